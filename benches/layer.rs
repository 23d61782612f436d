//! The cost ladder of the GenAI layer, in one run: each rung adds one thing to the one before,
//! and the issue-6 targets are checked as ratios of rungs measured in the same process.
//!
//! Run with: cargo bench --bench layer -- --warm-up-time 1 --measurement-time 3
//!
//! | rung | subscriber | span |
//! |---|---|---|
//! | r0 | bare `tracing_subscriber::registry()` | non-LLM |
//! | r1 | + tracing-opentelemetry | non-LLM |
//! | r2 | + GenAI layer around it | non-LLM |
//! | r3 | tracing-opentelemetry only | LLM span, 16 GenAI fields recorded raw |
//! | r4 | GenAI layer (metrics off) | same LLM span, typed mapping |
//! | r4s | r4 without the sampling-relevant attributes given at span start | same |
//! | r5 | r4 + one closure mapper inserting one constant attribute | same |
//! | r6 | r4 + content capture (span attributes) | same + ~4 KB of input messages |
//! | r7 | r4 + metrics (SDK meter provider, periodic reader that never fires) | same |
//! | r8a | r3 exported through a `BatchSpanProcessor` | same as r3 |
//! | r8b | r4 exported through a `BatchSpanProcessor` | same as r4 |
//!
//! The non-LLM span is created with 3 fields, entered, records one field, emits one event,
//! exited and closed. The LLM span declares 16 fields (11 set at creation, 5 recorded later)
//! and emits no event. Every tracing-opentelemetry layer (alone or inside the GenAI layer) is
//! configured the same lean way (`with_location(false)`, `with_threads(false)`,
//! `with_tracked_inactivity(false)`), so r4/r3 compares the GenAI mapping with the plain bridge
//! on equal terms. Rungs r0-r7 have no span processor (spans are built and ended, nothing more);
//! r8 adds the batch processor (default configuration) to an exporter that drops spans.
//!
//! After criterion's report the bench prints, from criterion's own estimates, the ns/span of
//! every rung, the ratios, the target checks (r2/r1 <= 1.03, r4/r3 <= 1.15, r5/r4 <= 1.05) with PASS/MISS,
//! and a markdown table ready to paste into BENCHMARKS.md. It also measures the two target
//! ratios *interleaved* (the two rungs alternate in short batches, so load from other
//! processes hits both alike) and prints the median of the per-round ratios.
//!
//! Instruction counts (load-independent): `GENAI_BENCH_RUNG=r2 GENAI_BENCH_ITERS=20000` runs
//! one rung without criterion, for callgrind:
//!
//! ```text
//! GENAI_BENCH_RUNG=r2 GENAI_BENCH_ITERS=20000 valgrind --tool=callgrind \
//!   --toggle-collect='*measured_loop*' target/release/deps/layer-<hash>
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(unreachable_pub)]

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::Criterion;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{BatchSpanProcessor, SdkTracerProvider, SpanData, SpanExporter};
use tracing::Dispatch;
use tracing::field::Empty;
use tracing_genai::content::ContentCapture;
use tracing_genai::{GenAiSpan, mapper::Attributes};
use tracing_subscriber::layer::SubscriberExt;

/// Drops every span, counting them (so the export path runs but costs nothing).
#[derive(Debug, Clone, Default)]
struct DropExporter(Arc<AtomicU64>);

impl SpanExporter for DropExporter {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        self.0.fetch_add(batch.len() as u64, Ordering::Relaxed);
        drop(batch);
        std::future::ready(Ok(()))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Export {
    /// No span processor: the cost of building and ending spans only.
    None,
    /// The batch processor (default configuration) to the dropping exporter.
    Batch,
}

/// What a rung's subscriber is made of.
#[derive(Clone, Copy)]
enum Stack {
    Bare,
    Otel(Export),
    GenAi {
        export: Export,
        mapper: bool,
        content: bool,
        metrics: bool,
        /// Sampling-relevant attributes given at span start (the default).
        sampling: bool,
    },
}

struct Rung {
    id: &'static str,
    what: &'static str,
    stack: Stack,
    work: fn(),
}

const GENAI: Stack = Stack::GenAi {
    export: Export::None,
    mapper: false,
    content: false,
    metrics: false,
    sampling: true,
};

fn rungs() -> Vec<Rung> {
    vec![
        Rung {
            id: "r0",
            what: "bare registry, non-LLM span",
            stack: Stack::Bare,
            work: non_llm_span,
        },
        Rung {
            id: "r1",
            what: "+ tracing-opentelemetry, non-LLM span",
            stack: Stack::Otel(Export::None),
            work: non_llm_span,
        },
        Rung {
            id: "r2",
            what: "+ GenAI layer, non-LLM span",
            stack: GENAI,
            work: non_llm_span,
        },
        Rung {
            id: "r3",
            what: "otel only, LLM span, 16 fields raw",
            stack: Stack::Otel(Export::None),
            work: llm_span,
        },
        Rung {
            id: "r4",
            what: "GenAI layer, LLM span (metrics off)",
            stack: GENAI,
            work: llm_span,
        },
        Rung {
            id: "r4s",
            what: "r4 without the sampling attributes at start",
            stack: Stack::GenAi {
                export: Export::None,
                mapper: false,
                content: false,
                metrics: false,
                sampling: false,
            },
            work: llm_span,
        },
        Rung {
            id: "r5",
            what: "r4 + one closure mapper",
            stack: Stack::GenAi {
                export: Export::None,
                mapper: true,
                content: false,
                metrics: false,
                sampling: true,
            },
            work: llm_span,
        },
        Rung {
            id: "r6",
            what: "r4 + content capture, ~4 KB messages",
            stack: Stack::GenAi {
                export: Export::None,
                mapper: false,
                content: true,
                metrics: false,
                sampling: true,
            },
            work: llm_span_with_content,
        },
        Rung {
            id: "r7",
            what: "r4 + metrics (SDK meter, in-memory reader)",
            stack: Stack::GenAi {
                export: Export::None,
                mapper: false,
                content: false,
                metrics: true,
                sampling: true,
            },
            work: llm_span,
        },
        Rung {
            id: "r8a",
            what: "r3 through BatchSpanProcessor",
            stack: Stack::Otel(Export::Batch),
            work: llm_span,
        },
        Rung {
            id: "r8b",
            what: "r4 through BatchSpanProcessor",
            stack: Stack::GenAi {
                export: Export::Batch,
                mapper: false,
                content: false,
                metrics: false,
                sampling: true,
            },
            work: llm_span,
        },
    ]
}

/// Keeps providers alive as long as their dispatch.
struct Built {
    dispatch: Dispatch,
    _tracer: Option<SdkTracerProvider>,
    _meter: Option<SdkMeterProvider>,
}

fn tracer_provider(exported: &Arc<AtomicU64>, export: Export) -> SdkTracerProvider {
    let exporter = DropExporter(Arc::clone(exported));
    match export {
        Export::None => SdkTracerProvider::builder().build(),
        Export::Batch => SdkTracerProvider::builder()
            .with_span_processor(BatchSpanProcessor::builder(exporter).build())
            .build(),
    }
}

/// The tracing-opentelemetry layer as a user tuning for cost configures it, the same on both
/// sides of every comparison: no code location, no thread attributes, no busy/idle timings.
fn lean_otel<S, T>(tracer: T) -> tracing_opentelemetry::OpenTelemetryLayer<S, T>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    T: opentelemetry::trace::Tracer + 'static,
    T::Span: Send + Sync,
{
    tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_location(false)
        .with_threads(false)
        .with_tracked_inactivity(false)
}

fn build(stack: Stack, exported: &Arc<AtomicU64>) -> Built {
    match stack {
        Stack::Bare => Built {
            dispatch: Dispatch::new(tracing_subscriber::registry()),
            _tracer: None,
            _meter: None,
        },
        Stack::Otel(export) => {
            let provider = tracer_provider(exported, export);
            let layer = lean_otel(provider.tracer("bench"));
            Built {
                dispatch: Dispatch::new(tracing_subscriber::registry().with(layer)),
                _tracer: Some(provider),
                _meter: None,
            }
        }
        Stack::GenAi {
            export,
            mapper,
            content,
            metrics,
            sampling,
        } => {
            let provider = tracer_provider(exported, export);
            // The same lean tracing-opentelemetry layer, given its tracer through the GenAI
            // layer (`with_tracer`, as `layer().with_tracer(..)` and `setup()` do).
            let mut layer = tracing_genai::layer::<tracing_subscriber::Registry>()
                .with_otel_layer(lean_otel(opentelemetry::trace::noop::NoopTracer::new()))
                .with_tracer(provider.tracer("bench"))
                .with_metrics(false)
                .with_sampling_attributes(sampling)
                .with_content_capture(if content {
                    ContentCapture::SpanOnly
                } else {
                    ContentCapture::NoContent
                });
            let mut meter = None;
            if metrics {
                let mp = SdkMeterProvider::builder()
                    // A reader that never fires during the run (like a manual reader, which
                    // needs an experimental SDK feature): the cost measured is aggregation.
                    .with_reader(
                        PeriodicReader::builder(InMemoryMetricExporter::default())
                            .with_interval(Duration::from_secs(3600))
                            .build(),
                    )
                    .build();
                layer = layer.with_meter(mp.meter("tracing-genai"));
                meter = Some(mp);
            }
            if mapper {
                // One constant attribute, the mapper the issue-16 target is stated for.
                layer = layer.with_mapper(|_: &GenAiSpan, attrs: &mut Attributes<'_>| {
                    attrs.insert("app.tier", "gold");
                });
            }
            Built {
                dispatch: Dispatch::new(tracing_subscriber::registry().with(layer)),
                _tracer: Some(provider),
                _meter: meter,
            }
        }
    }
}

fn non_llm_span() {
    let span = tracing::info_span!(
        "http.request",
        http.method = "GET",
        http.route = "/chat",
        user_id = 42_u64,
        http.status = Empty
    );
    let _g = span.enter();
    span.record("http.status", 200_u64);
    tracing::info!(bytes = 512_u64, "response sent");
    black_box(&span);
}

fn llm_span() {
    let span = tracing::info_span!(
        "llm",
        gen_ai.operation.name = "chat",
        gen_ai.provider.name = "openai",
        gen_ai.request.model = "gpt-4o",
        gen_ai.request.max_tokens = 512_u64,
        gen_ai.request.temperature = 0.2,
        gen_ai.request.top_p = 0.9,
        gen_ai.request.seed = 7_i64,
        gen_ai.request.stream = false,
        gen_ai.conversation.id = "conv-1",
        server.address = "api.openai.com",
        server.port = 443_u64,
        gen_ai.response.id = Empty,
        gen_ai.response.model = Empty,
        gen_ai.response.finish_reasons = Empty,
        gen_ai.usage.input_tokens = Empty,
        gen_ai.usage.output_tokens = Empty
    );
    let _g = span.enter();
    span.record("gen_ai.response.id", "chatcmpl-123");
    span.record("gen_ai.response.model", "gpt-4o-2024-08-06");
    span.record("gen_ai.response.finish_reasons", "stop");
    span.record("gen_ai.usage.input_tokens", 120_u64);
    span.record("gen_ai.usage.output_tokens", 48_u64);
}

/// ~4 KB of `gen_ai.input.messages` JSON (a system prompt, a user turn, an assistant turn).
fn messages_json() -> &'static str {
    static JSON: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    JSON.get_or_init(|| {
        let text = "The quick brown fox jumps over the lazy dog; summarise the report. ".repeat(20);
        let messages = serde_json::json!([
            {"role": "system", "parts": [{"type": "text", "content": "You are a careful assistant."}]},
            {"role": "user", "parts": [{"type": "text", "content": text}]},
            {"role": "assistant", "parts": [{"type": "text", "content": text}]},
            {"role": "user", "parts": [{"type": "text", "content": text}]},
        ]);
        serde_json::to_string(&messages).unwrap()
    })
}

fn llm_span_with_content() {
    let span = tracing::info_span!(
        "llm",
        gen_ai.operation.name = "chat",
        gen_ai.provider.name = "openai",
        gen_ai.request.model = "gpt-4o",
        gen_ai.request.max_tokens = 512_u64,
        gen_ai.request.temperature = 0.2,
        gen_ai.request.top_p = 0.9,
        gen_ai.request.seed = 7_i64,
        gen_ai.request.stream = false,
        gen_ai.conversation.id = "conv-1",
        server.address = "api.openai.com",
        server.port = 443_u64,
        gen_ai.input.messages = messages_json(),
        gen_ai.response.id = Empty,
        gen_ai.response.model = Empty,
        gen_ai.response.finish_reasons = Empty,
        gen_ai.usage.input_tokens = Empty,
        gen_ai.usage.output_tokens = Empty
    );
    let _g = span.enter();
    span.record("gen_ai.response.id", "chatcmpl-123");
    span.record("gen_ai.response.model", "gpt-4o-2024-08-06");
    span.record("gen_ai.response.finish_reasons", "stop");
    span.record("gen_ai.usage.input_tokens", 120_u64);
    span.record("gen_ai.usage.output_tokens", 48_u64);
}

/// The loop callgrind measures (`--toggle-collect='*measured_loop*'`).
#[inline(never)]
fn measured_loop(work: fn(), iters: u64) {
    for _ in 0..iters {
        work();
    }
}

fn run(dispatch: &Dispatch, work: fn(), iters: u64) -> Duration {
    tracing::dispatcher::with_default(dispatch, || {
        let start = Instant::now();
        measured_loop(work, iters);
        start.elapsed()
    })
}

/// `GENAI_BENCH_RUNG=rX [GENAI_BENCH_ITERS=n]`: one rung, no criterion (for callgrind).
fn single_rung(id: &str) {
    let iters = std::env::var("GENAI_BENCH_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let exported = Arc::new(AtomicU64::new(0));
    let rung = rungs()
        .into_iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("unknown rung {id}"));
    let built = build(rung.stack, &exported);
    // Warm-up outside the measured loop: lazily built caches and instruments.
    tracing::dispatcher::with_default(&built.dispatch, || {
        for _ in 0..100 {
            (rung.work)();
        }
    });
    let t = run(&built.dispatch, rung.work, iters);
    println!(
        "{id}: {iters} spans, {:.0} ns/span (wall clock; use callgrind for instruction counts)",
        t.as_nanos() as f64 / iters as f64
    );
}

/// Criterion's estimates for one benchmark (`mean`, `median` point estimates, ns).
fn estimates(name: &str) -> Option<(f64, f64)> {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    let path = dir.join("criterion").join(name).join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let get = |k: &str| v.get(k)?.get("point_estimate")?.as_f64();
    Some((get("mean")?, get("median")?))
}

/// The two rungs alternate in batches; returns the median of the per-round ratios `b/a`.
fn interleaved(a: &Rung, b: &Rung, exported: &Arc<AtomicU64>) -> f64 {
    let (da, db) = (build(a.stack, exported), build(b.stack, exported));
    let batch = 2_000;
    run(&da.dispatch, a.work, batch);
    run(&db.dispatch, b.work, batch);
    let mut ratios: Vec<f64> = (0..41)
        .map(|round| {
            // Alternate which goes first so a load change within a round favours neither.
            let (ta, tb) = if round % 2 == 0 {
                let ta = run(&da.dispatch, a.work, batch);
                (ta, run(&db.dispatch, b.work, batch))
            } else {
                let tb = run(&db.dispatch, b.work, batch);
                (run(&da.dispatch, a.work, batch), tb)
            };
            tb.as_secs_f64() / ta.as_secs_f64()
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

fn check(label: &str, ratio: f64, target: f64) -> String {
    let verdict = if ratio <= target { "PASS" } else { "MISS" };
    format!(
        "{label}: {ratio:.3} (target <= {target:.2}) {verdict}, margin {:+.1} points",
        (target - ratio) * 100.0
    )
}

fn main() {
    if let Ok(id) = std::env::var("GENAI_BENCH_RUNG") {
        return single_rung(&id);
    }
    let mut c = Criterion::default().configure_from_args();
    let exported = Arc::new(AtomicU64::new(0));
    let rungs = rungs();
    let mut group = c.benchmark_group("ladder");
    for rung in &rungs {
        let built = build(rung.stack, &exported);
        group.bench_function(rung.id, |b| {
            b.iter_custom(|iters| run(&built.dispatch, rung.work, iters))
        });
    }
    group.finish();
    assert!(exported.load(Ordering::Relaxed) > 0, "no span was exported");
    c.final_summary();

    let est: Vec<Option<(f64, f64)>> = rungs
        .iter()
        .map(|r| estimates(&format!("ladder/{}", r.id)))
        .collect();
    let mean = |id: &str| {
        rungs
            .iter()
            .position(|r| r.id == id)
            .and_then(|i| est[i])
            .map(|e| e.0)
    };
    let ratio = |a: &str, b: &str| Some(mean(a)? / mean(b)?);
    let prev = |i: usize| -> Option<(&'static str, &'static str)> {
        match rungs[i].id {
            "r1" => Some(("r1/r0", "r0")),
            "r2" => Some(("r2/r1", "r1")),
            "r4" => Some(("r4/r3", "r3")),
            "r4s" | "r5" | "r6" | "r7" => None,
            "r8b" => Some(("r8b/r8a", "r8a")),
            _ => None,
        }
    };
    let lead = |id: &str| match id {
        "r4s" | "r5" | "r6" | "r7" => Some("r4"),
        _ => None,
    };

    println!("\n## Ladder (criterion estimates, ns per span)\n");
    println!("| rung | what | mean ns | median ns | ratio |");
    println!("|---|---|---|---|---|");
    for (i, r) in rungs.iter().enumerate() {
        let (m, md) = est[i].map_or(("n/a".into(), "n/a".into()), |(m, md)| {
            (format!("{m:.0}"), format!("{md:.0}"))
        });
        let ratio_cell = match (prev(i), lead(r.id)) {
            (Some((label, den)), _) => ratio(r.id, den)
                .map(|x| format!("{label} = {x:.3}"))
                .unwrap_or_default(),
            (None, Some(den)) => ratio(r.id, den)
                .map(|x| format!("{}/{den} = {x:.3}", r.id))
                .unwrap_or_default(),
            _ => String::new(),
        };
        println!("| {} | {} | {m} | {md} | {ratio_cell} |", r.id, r.what);
    }

    let find = |id: &str| rungs.iter().find(|r| r.id == id).unwrap();
    let i21 = interleaved(find("r1"), find("r2"), &exported);
    let i43 = interleaved(find("r3"), find("r4"), &exported);
    let i54 = interleaved(find("r4"), find("r5"), &exported);
    println!("\n## Targets\n");
    if let Some(x) = ratio("r2", "r1") {
        println!("- {}", check("r2/r1 (criterion means)", x, 1.03));
    }
    println!("- {}", check("r2/r1 (interleaved, median)", i21, 1.03));
    if let Some(x) = ratio("r4", "r3") {
        println!("- {}", check("r4/r3 (criterion means)", x, 1.15));
    }
    println!("- {}", check("r4/r3 (interleaved, median)", i43, 1.15));
    if let Some(x) = ratio("r5", "r4") {
        println!("- {}", check("r5/r4 (criterion means)", x, 1.05));
    }
    println!("- {}", check("r5/r4 (interleaved, median)", i54, 1.05));
}
