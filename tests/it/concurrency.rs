//! Concurrency: many OS threads and tokio tasks build LLM span trees at once (agent → chat →
//! tool, with a mapper and a price table); every tree keeps its own parent/child links and
//! exact roll-up totals. And no deadlock when user code in a mapper, or the exporter itself,
//! goes back into `tracing` (each such scenario runs on a thread with a timeout, so a deadlock
//! fails the test instead of hanging CI).

use std::collections::HashMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::*;
use opentelemetry::Value;
use opentelemetry::trace::{SpanId, TracerProvider as _};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, InMemorySpanExporter, SdkTracerProvider, SpanData,
    SpanExporter,
};
use tracing::Instrument;
use tracing_genai::{
    GenAiSpan, GenAiSpanExt,
    cost::{ModelPrice, PriceTable},
    mapper::Attributes,
};
use tracing_subscriber::layer::SubscriberExt;

const TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `f` on its own thread; fails if it panics or has not finished within [`TIMEOUT`].
fn within_timeout(what: &str, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(TIMEOUT) {
        Ok(()) => handle.join().unwrap(),
        Err(RecvTimeoutError::Timeout) => {
            panic!("{what}: no progress in {TIMEOUT:?}, deadlocked (the thread is left hanging)")
        }
        Err(RecvTimeoutError::Disconnected) => {
            std::panic::resume_unwind(handle.join().unwrap_err())
        }
    }
}

// ---- many trees at once ------------------------------------------------------------------

/// Prices per token (`per_tokens_of(1.0)`) are small integers, so every cost is an exact f64.
fn prices() -> PriceTable {
    PriceTable::new("USD")
        .per_tokens_of(1.0)
        .with_model("gpt-4o", ModelPrice::new(2.0, 10.0))
}

/// Copies the tree number into a mapper-made attribute.
fn tree_mapper(state: &GenAiSpan, attrs: &mut Attributes<'_>) {
    if let Some(tree) = state.field("tree").and_then(|v| v.as_i64()) {
        attrs.insert("app.tree", tree);
    }
}

fn customize(l: TestLayer) -> TestLayer {
    l.with_prices(prices()).with_mapper(tree_mapper)
}

/// The harness of the tree tests: [`customize`]d.
fn harness() -> Harness {
    Harness::builder().configure(customize).build()
}

/// Token counts of chat `c` (0 or 1) of tree `t`.
fn tokens(t: i64, c: i64) -> (u64, u64) {
    ((t * 10 + c + 1) as u64, (t + 2 * c + 3) as u64)
}

/// One tree: agent → 2 × (chat → tool). Records usage from the calling thread.
fn build_tree(t: i64) {
    let agent = tracing::info_span!(
        "agent",
        gen_ai.operation.name = "invoke_agent",
        gen_ai.agent.name = "a",
        tree = t
    );
    let _a = agent.enter();
    for c in 0..2 {
        let chat = tracing::info_span!(
            "chat",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = "gpt-4o",
            tree = t
        );
        let _c = chat.enter();
        let (input, output) = tokens(t, c);
        chat.record_token_usage(input, output);
        let _tool = tracing::info_span!(
            "tool",
            gen_ai.operation.name = "execute_tool",
            gen_ai.tool.name = "search",
            tree = t
        )
        .entered();
    }
}

/// The same tree as async tasks: the chats run as spawned tasks that yield (so they move
/// between worker threads), the tools as nested futures.
async fn build_tree_async(t: i64) {
    let agent = tracing::info_span!(
        "agent",
        gen_ai.operation.name = "invoke_agent",
        gen_ai.agent.name = "a",
        tree = t
    );
    let a = agent.clone();
    async move {
        for c in 0..2 {
            let chat = tracing::info_span!(parent: &a, "chat", gen_ai.operation.name = "chat", gen_ai.request.model = "gpt-4o", tree = t);
            let task = tokio::spawn(
                async move {
                    tokio::task::yield_now().await;
                    let (input, output) = tokens(t, c);
                    tracing::Span::current().record_token_usage(input, output);
                    async { tokio::task::yield_now().await }
                        .instrument(tracing::info_span!("tool", gen_ai.operation.name = "execute_tool", gen_ai.tool.name = "search", tree = t))
                        .await;
                }
                .instrument(chat),
            );
            task.await.unwrap();
        }
    }
    .instrument(agent)
    .await
}

/// Checks links, totals and the mapper attribute of every tree in `0..trees`.
fn check_trees(spans: &[SpanData], trees: i64) {
    assert_eq!(spans.len() as i64, trees * 5, "{} spans", spans.len());
    let mut by_tree: HashMap<i64, Vec<&SpanData>> = HashMap::new();
    for s in spans {
        let t = match attr(s, "tree") {
            Some(Value::I64(t)) => *t,
            other => panic!("{}: tree = {other:?}", s.name),
        };
        assert_eq!(i64_attr(s, "app.tree"), t, "mapper attribute of {}", s.name);
        assert!(diagnostics(s).is_empty(), "{:?}", diagnostics(s));
        assert_unique_keys(s);
        by_tree.entry(t).or_default().push(s);
    }
    assert_eq!(by_tree.len() as i64, trees);
    for (t, spans) in by_tree {
        let agent = *spans.iter().find(|s| s.name == "invoke_agent a").unwrap();
        let chats: Vec<&&SpanData> = spans.iter().filter(|s| s.name == "chat gpt-4o").collect();
        let tools: Vec<&&SpanData> = spans
            .iter()
            .filter(|s| s.name == "execute_tool search")
            .collect();
        assert_eq!((chats.len(), tools.len()), (2, 2), "tree {t}");
        let trace = agent.span_context.trace_id();
        assert_eq!(agent.parent_span_id, SpanId::INVALID, "tree {t}");
        for chat in &chats {
            assert_eq!(chat.span_context.trace_id(), trace, "tree {t}");
            assert_eq!(
                chat.parent_span_id,
                agent.span_context.span_id(),
                "tree {t}"
            );
        }
        for tool in &tools {
            assert_eq!(tool.span_context.trace_id(), trace, "tree {t}");
            assert!(
                chats
                    .iter()
                    .any(|c| c.span_context.span_id() == tool.parent_span_id),
                "tree {t}: tool parent is not one of its chats"
            );
        }
        let (mut input, mut output, mut cost) = (0, 0, 0.0);
        for c in 0..2 {
            let (i, o) = tokens(t, c);
            input += i as i64;
            output += o as i64;
            cost += (2 * i + 10 * o) as f64;
        }
        for chat in &chats {
            let i = i64_attr(chat, "gen_ai.usage.input_tokens");
            let o = i64_attr(chat, "gen_ai.usage.output_tokens");
            assert_eq!(f64_attr(chat, "gen_ai.usage.cost"), (2 * i + 10 * o) as f64);
        }
        assert_eq!(
            i64_attr(agent, "gen_ai.usage.input_tokens"),
            input,
            "tree {t}"
        );
        assert_eq!(
            i64_attr(agent, "gen_ai.usage.output_tokens"),
            output,
            "tree {t}"
        );
        assert_eq!(f64_attr(agent, "gen_ai.usage.cost"), cost, "tree {t}");
        assert_eq!(i64_attr(agent, "tracing_genai.agent.inference_calls"), 2);
        // Tools count for their nearest agent, through the chat.
        assert_eq!(
            i64_attr(agent, "tracing_genai.agent.tool_calls"),
            2,
            "tree {t}"
        );
    }
}

#[test]
fn os_threads_build_independent_trees() {
    const THREADS: i64 = 16;
    const PER_THREAD: i64 = 20;
    within_timeout("os threads", || {
        let r = harness().collect(|| {
            let dispatch = tracing::dispatcher::get_default(|d| d.clone());
            std::thread::scope(|s| {
                for th in 0..THREADS {
                    let dispatch = dispatch.clone();
                    s.spawn(move || {
                        tracing::dispatcher::with_default(&dispatch, || {
                            for k in 0..PER_THREAD {
                                build_tree(th * PER_THREAD + k);
                            }
                        })
                    });
                }
            });
        });
        check_trees(&r.spans, THREADS * PER_THREAD);
    });
}

#[test]
fn tokio_tasks_build_independent_trees() {
    const TASKS: i64 = 200;
    within_timeout("tokio tasks", || {
        let r = harness().collect_async(|| async {
            let handles: Vec<_> = (0..TASKS)
                .map(|t| tokio::spawn(build_tree_async(t)))
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        });
        check_trees(&r.spans, TASKS);
    });
}

// ---- user code in a mapper goes back into tracing ----------------------------------------

/// A mapper that, while the layer closes a chat span, records on the enclosing agent span,
/// logs events, and creates and closes spans (a GenAI one and a plain one). The spans are
/// roots: tracing-subscriber's `Registry` never frees a span closed while another span is
/// closing on the same thread, so a child of the agent made here would keep the agent open
/// (see `AttributeMapper`'s docs).
fn reentrant_mapper(state: &GenAiSpan, attrs: &mut Attributes<'_>) {
    if state.operation.as_ref().map(|o| o.as_str()) != Some("chat") {
        return;
    }
    let current = tracing::Span::current();
    current.record("gen_ai.conversation.id", "from-mapper");
    current.with_genai_state(|agent| {
        agent.usage.reasoning_output_tokens = Some(7);
    });
    tracing::info!(target: "app", "mapper ran");
    tracing::warn!(target: "app", attrs = attrs.len(), "mapper warning");
    tracing::info_span!(parent: None, "from_mapper", gen_ai.operation.name = "execute_tool", gen_ai.tool.name = "m")
        .in_scope(|| tracing::info!("inside the mapper's span"));
    drop(tracing::info_span!(parent: None, "plain_from_mapper"));
    attrs.insert("app.mapped", true);
}

#[test]
fn mapper_that_reenters_tracing_does_not_deadlock() {
    within_timeout("re-entrant mapper", || {
        let r = Harness::builder()
            .mapper(reentrant_mapper)
            .build()
            .collect(|| {
                let dispatch = tracing::dispatcher::get_default(|d| d.clone());
                std::thread::scope(|s| {
                    for th in 0..4 {
                        let dispatch = dispatch.clone();
                        s.spawn(move || {
                            tracing::dispatcher::with_default(&dispatch, || {
                                for k in 0..10 {
                                    let agent = tracing::info_span!(
                                        "agent",
                                        gen_ai.operation.name = "invoke_agent",
                                        gen_ai.agent.name = "a",
                                        gen_ai.conversation.id = tracing::field::Empty,
                                        tree = th * 10 + k
                                    );
                                    let _a = agent.enter();
                                    let _c = tracing::info_span!(
                                        "chat",
                                        gen_ai.operation.name = "chat",
                                        gen_ai.request.model = "gpt-4o"
                                    )
                                    .entered();
                                }
                            })
                        });
                    }
                });
            });
        let count = |name: &str| r.spans.iter().filter(|s| s.name == name).count();
        assert_eq!(count("invoke_agent a"), 40);
        assert_eq!(count("chat gpt-4o"), 40);
        assert_eq!(count("execute_tool m"), 40);
        assert_eq!(count("plain_from_mapper"), 40);
        assert_eq!(r.spans.len(), 160);
        for s in r.spans.iter().filter(|s| s.name == "invoke_agent a") {
            assert_eq!(str_attr(s, "gen_ai.conversation.id"), "from-mapper");
            assert_eq!(i64_attr(s, "gen_ai.usage.reasoning.output_tokens"), 7);
            assert!(
                event(s, "mapper ran").is_some(),
                "event not on the agent span"
            );
        }
        for s in r.spans.iter().filter(|s| s.name == "chat gpt-4o") {
            assert!(bool_attr(s, "app.mapped"));
        }
        assert_eq!(r.diagnostics.snapshot().mapper_panics, 0);
    });
}

// ---- the exporter goes back into tracing ------------------------------------------------

/// An exporter that logs (and opens a span) through `tracing` in `export`, then keeps the
/// spans in memory. The dispatch is weak: the subscriber owns the provider that owns this.
#[derive(Clone, Debug)]
struct LoggingExporter {
    inner: InMemorySpanExporter,
    dispatch: Arc<Mutex<Option<tracing::dispatcher::WeakDispatch>>>,
    open_span: bool,
}

impl SpanExporter for LoggingExporter {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        let log = || {
            tracing::info!(target: "exporter", spans = batch.len(), "exporting");
            tracing::warn!(gen_ai.usage.input_tokens = 1_u64, "odd field");
            if self.open_span {
                // A root span: with a simple processor this runs while an app span closes, and
                // tracing-subscriber's Registry never frees a span closed then, which would
                // keep a contextual parent open.
                tracing::info_span!(parent: None, "exporter_span", gen_ai.operation.name = "chat")
                    .in_scope(|| tracing::info!("inside the exporter's span"));
            }
        };
        let dispatch = self
            .dispatch
            .lock()
            .unwrap()
            .as_ref()
            .and_then(|d| d.upgrade());
        match dispatch {
            Some(d) => tracing::dispatcher::with_default(&d, log),
            None => log(),
        }
        self.inner.export(batch)
    }
}

/// Builds trees on 4 threads with a logging exporter behind a simple or a batch processor.
fn exporter_scenario(batch: bool, open_span: bool) {
    let memory = InMemorySpanExporter::default();
    let exporter = LoggingExporter {
        inner: memory.clone(),
        dispatch: Arc::default(),
        open_span,
    };
    let provider = if batch {
        let processor = BatchSpanProcessor::builder(exporter.clone())
            .with_batch_config(
                BatchConfigBuilder::default()
                    .with_max_export_batch_size(16)
                    .with_scheduled_delay(Duration::from_millis(5))
                    .build(),
            )
            .build();
        SdkTracerProvider::builder()
            .with_span_processor(processor)
            .build()
    } else {
        SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build()
    };
    let layer = customize(tracing_genai::layer().with_tracer(provider.tracer("test")));
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    *exporter.dispatch.lock().unwrap() = Some(dispatch.downgrade());
    std::thread::scope(|s| {
        for th in 0..4 {
            let dispatch = dispatch.clone();
            s.spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || {
                    for k in 0..10 {
                        build_tree(th * 10 + k);
                    }
                })
            });
        }
    });
    provider.force_flush().unwrap();
    let spans = memory.get_finished_spans().unwrap();
    // The exporter's own spans are not exported (suppressed on the batch thread by the SDK,
    // not forwarded to OpenTelemetry by the layer during a synchronous export).
    assert!(
        spans.iter().all(|s| attr(s, "tree").is_some()),
        "{:?}",
        names(&spans)
    );
    check_trees(&spans, 40);
    provider.shutdown().unwrap();
}

#[test]
fn exporter_logging_with_simple_processor_does_not_deadlock() {
    within_timeout("simple processor", || exporter_scenario(false, false));
}

#[test]
fn exporter_logging_with_batch_processor_does_not_deadlock() {
    within_timeout("batch processor", || exporter_scenario(true, false));
}

#[test]
fn exporter_opening_spans_with_batch_processor_does_not_deadlock() {
    within_timeout("batch processor, spans", || exporter_scenario(true, true));
}

#[test]
fn exporter_opening_spans_with_simple_processor_does_not_deadlock() {
    within_timeout("simple processor, spans", || exporter_scenario(false, true));
}
