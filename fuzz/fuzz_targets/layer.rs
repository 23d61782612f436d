//! Fuzzes the GenAI layer: the input decodes into a layer configuration and a sequence of
//! span operations (create with fields, record, helper calls, events, enter/exit, close, also
//! from other threads), run against the layer over an in-memory exporter. Then every created
//! span must have been exported, and every exported `gen_ai.*` / `openai.*` /
//! `tracing_genai.*` attribute must have the type the semconv registry declares.
#![no_main]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The registry reader and type check shared with the integration tests.
#[path = "../../tests/it/support/registry.rs"]
mod registry;

use std::sync::OnceLock;
use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use tracing::field::{debug, Empty};
use tracing::{Dispatch, Span};
use tracing_genai::content::{
    ChatMessage, ContentCapture, MessagePart, OutputMessage, ToolDefinition,
};
use tracing_genai::cost::{ModelPrice, PriceTable};
use tracing_genai::mapper::Attributes;
use tracing_genai::{GenAiField, GenAiSpan, GenAiSpanExt};
use tracing_subscriber::layer::SubscriberExt;

/// Field names declared (as `Empty`) by the big callsite; records pick one by index.
const NAMES: [&str; 31] = [
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "gen_ai.request.max_tokens",
    "gen_ai.request.temperature",
    "gen_ai.request.top_p",
    "gen_ai.request.seed",
    "gen_ai.request.stream",
    "gen_ai.request.stop_sequences",
    "gen_ai.response.id",
    "gen_ai.response.model",
    "gen_ai.response.finish_reasons",
    "gen_ai.response.time_to_first_chunk",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.tool.name",
    "gen_ai.agent.name",
    "gen_ai.conversation.id",
    "server.port",
    "error.type",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.tool.call.arguments",
    "gen_ai.made.up",
    "model",
    "prompt_tokens",
    "otel.name",
    "otel.status_code",
    "error",
    "tenant_id",
];

/// Typed facts reachable through `record_genai`.
const FIELDS: [GenAiField; 16] = [
    GenAiField::OperationName,
    GenAiField::ProviderName,
    GenAiField::RequestModel,
    GenAiField::MaxTokens,
    GenAiField::Temperature,
    GenAiField::StopSequences,
    GenAiField::Seed,
    GenAiField::Stream,
    GenAiField::FinishReasons,
    GenAiField::TimeToFirstChunk,
    GenAiField::InputTokens,
    GenAiField::CacheCreationInputTokens,
    GenAiField::ServerPort,
    GenAiField::Content,
    GenAiField::OtelKind,
    GenAiField::OtelStatusCode,
];

const SPECIAL_F64: [f64; 8] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    -0.0,
    f64::MAX,
    f64::MIN_POSITIVE,
    1e300,
    -1e-300,
];

const MAX_SLOTS: usize = 8;
const MAX_OPS: usize = 96;

#[derive(Arbitrary, Debug)]
enum Val {
    Str(String),
    /// Arbitrary bytes, recorded as a (lossy UTF-8) string: invalid JSON for content fields.
    Bytes(Vec<u8>),
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    F64(f64),
    Special(u8),
    Bool(bool),
    Debug(Vec<String>),
    /// A string of `n` KiB.
    Huge(u8),
}

#[derive(Arbitrary, Debug)]
enum Op {
    New {
        callsite: u8,
        parent: Option<u8>,
        init: Vec<(u8, Val)>,
    },
    Record {
        span: u8,
        field: u8,
        val: Val,
    },
    Genai {
        span: u8,
        field: u8,
        val: Val,
    },
    Tokens {
        span: u8,
        input: u64,
        output: u64,
    },
    FinishReasons {
        span: u8,
        reasons: Vec<String>,
    },
    ErrorType {
        span: u8,
        ty: String,
        message: Option<String>,
    },
    Retry {
        span: u8,
        attempt: u32,
        nanos: u64,
        reason: String,
    },
    State {
        span: u8,
        model: Option<String>,
        input: Option<u64>,
    },
    Content {
        span: u8,
        which: u8,
        json: Vec<u8>,
    },
    Event {
        error: bool,
        ty: Option<String>,
        message: String,
    },
    Enter(u8),
    Exit(u8),
    Close(u8),
    CloseOnThread(u8),
    RecordOnThread {
        span: u8,
        field: u8,
        val: Val,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    content: u8,
    prices: bool,
    mapper: bool,
    ops: Vec<Op>,
}

fn record(span: &Span, name: &str, val: &Val) {
    match val {
        Val::Str(s) => span.record(name, s.as_str()),
        Val::Bytes(b) => span.record(name, String::from_utf8_lossy(b).as_ref()),
        Val::I64(v) => span.record(name, *v),
        Val::U64(v) => span.record(name, *v),
        Val::I128(v) => span.record(name, *v),
        Val::U128(v) => span.record(name, *v),
        Val::F64(v) => span.record(name, *v),
        Val::Special(i) => span.record(name, SPECIAL_F64[usize::from(*i) % SPECIAL_F64.len()]),
        Val::Bool(v) => span.record(name, *v),
        Val::Debug(v) => span.record(name, debug(v)),
        Val::Huge(n) => span.record(name, "x".repeat(usize::from(*n) * 1024).as_str()),
    };
}

fn record_genai(span: &Span, field: GenAiField, val: &Val) {
    match val {
        Val::Str(s) => span.record_genai(field, s.as_str()),
        Val::Bytes(b) => span.record_genai(field, String::from_utf8_lossy(b).into_owned()),
        Val::I64(v) => span.record_genai(field, *v),
        Val::U64(v) => span.record_genai(field, *v),
        Val::F64(v) => span.record_genai(field, *v),
        Val::Special(i) => {
            span.record_genai(field, SPECIAL_F64[usize::from(*i) % SPECIAL_F64.len()])
        }
        Val::Bool(v) => span.record_genai(field, *v),
        other => span.record_genai(field, format!("{other:?}")),
    };
}

/// Runs `$body` with a span created by `$make` under explicit parent `$parent` (an
/// `Option<&Span>`) or the contextual one.
macro_rules! spans {
    ($parent:expr, $callsite:expr, [$($name:literal => { $($fields:tt)* }),* $(,)?]) => {{
        let mut i = 0usize;
        let mut made = None;
        $(
            if made.is_none() && $callsite == i {
                made = Some(match $parent {
                    Some(p) => tracing::info_span!(parent: p, $name, $($fields)*),
                    None => tracing::info_span!($name, $($fields)*),
                });
            }
            i += 1;
        )*
        let _ = i;
        made.unwrap()
    }};
}

const CALLSITES: usize = 6;

fn new_span(callsite: usize, parent: Option<&Span>) -> Span {
    spans!(parent, callsite, [
        "fuzz" => {
            gen_ai.operation.name = Empty, gen_ai.provider.name = Empty,
            gen_ai.request.model = Empty, gen_ai.request.max_tokens = Empty,
            gen_ai.request.temperature = Empty, gen_ai.request.top_p = Empty,
            gen_ai.request.seed = Empty, gen_ai.request.stream = Empty,
            gen_ai.request.stop_sequences = Empty, gen_ai.response.id = Empty,
            gen_ai.response.model = Empty, gen_ai.response.finish_reasons = Empty,
            gen_ai.response.time_to_first_chunk = Empty, gen_ai.usage.input_tokens = Empty,
            gen_ai.usage.output_tokens = Empty, gen_ai.usage.cache_read.input_tokens = Empty,
            gen_ai.tool.name = Empty, gen_ai.agent.name = Empty,
            gen_ai.conversation.id = Empty, server.port = Empty, error.type = Empty,
            gen_ai.input.messages = Empty, gen_ai.output.messages = Empty,
            gen_ai.tool.call.arguments = Empty, gen_ai.made.up = Empty, model = Empty,
            prompt_tokens = Empty, otel.name = Empty, otel.status_code = Empty,
            error = Empty, tenant_id = Empty, fuzz.node = Empty
        },
        "agent" => {
            gen_ai.operation.name = "invoke_agent", gen_ai.agent.name = Empty,
            gen_ai.usage.input_tokens = Empty, error.type = Empty, fuzz.node = Empty
        },
        "chat" => {
            gen_ai.operation.name = "chat", gen_ai.provider.name = "openai",
            gen_ai.request.model = "gpt-4o", gen_ai.usage.input_tokens = Empty,
            gen_ai.usage.output_tokens = Empty, gen_ai.response.finish_reasons = Empty,
            gen_ai.input.messages = Empty, gen_ai.output.messages = Empty, fuzz.node = Empty
        },
        "tool" => {
            gen_ai.operation.name = "execute_tool", gen_ai.tool.name = Empty,
            gen_ai.tool.call.arguments = Empty, gen_ai.tool.call.result = Empty,
            fuzz.node = Empty
        },
        "workflow" => {
            gen_ai.operation.name = "invoke_workflow", gen_ai.workflow.name = Empty,
            fuzz.node = Empty
        },
        "plain" => { model = Empty, tenant_id = Empty, fuzz.node = Empty },
    ])
}

fn content(span: &Span, which: u8, json: &[u8]) {
    let text = String::from_utf8_lossy(json);
    match which % 8 {
        0 => {
            if let Ok(m) = serde_json::from_slice::<Vec<ChatMessage>>(json) {
                span.record_input_messages(&m);
            }
        }
        1 => {
            if let Ok(m) = serde_json::from_slice::<Vec<OutputMessage>>(json) {
                span.record_output_messages(&m);
            }
        }
        2 => {
            if let Ok(p) = serde_json::from_slice::<Vec<MessagePart>>(json) {
                span.record_system_instructions(&p);
            }
        }
        3 => {
            if let Ok(t) = serde_json::from_slice::<Vec<ToolDefinition>>(json) {
                span.record_tool_definitions(&t);
            }
        }
        4 => {
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(json) {
                span.record_tool_call_arguments(&v);
                span.record_tool_call_result(&v);
            }
        }
        5 => {
            span.record("gen_ai.input.messages", text.as_ref());
        }
        6 => {
            span.record("gen_ai.output.messages", text.as_ref());
        }
        _ => {
            span.record("gen_ai.tool.call.arguments", text.as_ref());
        }
    }
}

fn registries() -> &'static registry::Registries {
    static R: OnceLock<registry::Registries> = OnceLock::new();
    // The registry vendored with the main crate's tests (tests/data/semconv).
    R.get_or_init(|| registry::registries_in(&registry::semconv_dir(env!("CARGO_MANIFEST_DIR"), 1)))
}

struct World {
    slots: Vec<Option<Span>>,
    entered: Vec<tracing::span::EnteredSpan>,
    created: usize,
    /// Nodes (the `fuzz.node` field) that recorded an unknown `gen_ai.*` field.
    bad: std::collections::HashSet<i64>,
    /// Span id -> node, for the spans created so far.
    nodes: std::collections::HashMap<u64, i64>,
}

/// The name of the field that is always bad input (an unknown `gen_ai.*` name).
const UNKNOWN: &str = "gen_ai.made.up";

impl World {
    /// The node of a live span (span ids are unique while the span is open).
    fn node_of(&self, span: &Span) -> Option<i64> {
        span.id()
            .and_then(|id| self.nodes.get(&id.into_u64()).copied())
    }
}

impl World {
    fn get(&self, i: u8) -> Option<&Span> {
        self.slots
            .get(usize::from(i) % MAX_SLOTS)
            .and_then(Option::as_ref)
    }
}

fn run_op(w: &mut World, op: Op, dispatch: &Dispatch) {
    match op {
        Op::New {
            callsite,
            parent,
            init,
        } => {
            let parent = parent.and_then(|p| w.get(p)).cloned();
            let callsite = usize::from(callsite) % CALLSITES;
            let span = new_span(callsite, parent.as_ref());
            w.created += 1;
            let node = w.created as i64;
            span.record("fuzz.node", node);
            if let Some(id) = span.id() {
                w.nodes.insert(id.into_u64(), node);
            }
            for (field, val) in init.iter().take(32) {
                let name = NAMES[usize::from(*field) % NAMES.len()];
                record(&span, name, val);
                if name == UNKNOWN && callsite == 0 {
                    w.bad.insert(node);
                }
            }
            let slot = callsite % MAX_SLOTS;
            if let Some(free) = w.slots.iter_mut().find(|s| s.is_none()) {
                *free = Some(span);
            } else {
                w.slots[slot] = Some(span);
            }
        }
        Op::Record { span, field, val } => {
            if let Some(s) = w.get(span) {
                let name = NAMES[usize::from(field) % NAMES.len()];
                record(s, name, &val);
                if name == UNKNOWN && s.metadata().is_some_and(|m| m.name() == "fuzz") {
                    if let Some(node) = w.node_of(s) {
                        w.bad.insert(node);
                    }
                }
            }
        }
        Op::Genai { span, field, val } => {
            if let Some(s) = w.get(span) {
                record_genai(s, FIELDS[usize::from(field) % FIELDS.len()], &val);
            }
        }
        Op::Tokens {
            span,
            input,
            output,
        } => {
            if let Some(s) = w.get(span) {
                s.record_token_usage(input, output);
            }
        }
        Op::FinishReasons { span, reasons } => {
            if let Some(s) = w.get(span) {
                s.record_finish_reasons(reasons.iter().map(String::as_str));
            }
        }
        Op::ErrorType { span, ty, message } => {
            if let Some(s) = w.get(span) {
                s.record_error_type(&ty, message.as_deref());
            }
        }
        Op::Retry {
            span,
            attempt,
            nanos,
            reason,
        } => {
            if let Some(s) = w.get(span) {
                s.record_retry(attempt, Duration::from_nanos(nanos), &reason);
            }
        }
        Op::State { span, model, input } => {
            if let Some(s) = w.get(span) {
                s.with_genai_state(|st| {
                    if let Some(m) = model {
                        st.response.model = Some(m.into());
                    }
                    if input.is_some() {
                        st.usage.input_tokens = input;
                    }
                });
            }
        }
        Op::Content { span, which, json } => {
            if let Some(s) = w.get(span) {
                content(s, which, &json);
            }
        }
        Op::Event { error, ty, message } => match (error, ty) {
            (true, Some(ty)) => tracing::error!(error.type = ty.as_str(), "{message}"),
            (true, None) => tracing::error!(gen_ai.usage.input_tokens = 1_u64, "{message}"),
            (false, _) => tracing::info!(gen_ai.input.messages = message.as_str(), "event"),
        },
        Op::Enter(i) => {
            if let Some(s) = w.get(i) {
                w.entered.push(s.clone().entered());
            }
        }
        Op::Exit(i) => {
            if !w.entered.is_empty() {
                let at = usize::from(i) % w.entered.len();
                drop(w.entered.remove(at));
            }
        }
        Op::Close(i) => {
            w.slots[usize::from(i) % MAX_SLOTS] = None;
        }
        Op::CloseOnThread(i) => {
            if let Some(span) = w.slots[usize::from(i) % MAX_SLOTS].take() {
                std::thread::scope(|s| {
                    s.spawn(|| tracing::dispatcher::with_default(dispatch, || drop(span)));
                });
            }
        }
        Op::RecordOnThread { span, field, val } => {
            if let Some(sp) = w.get(span).cloned() {
                std::thread::scope(|s| {
                    s.spawn(|| {
                        tracing::dispatcher::with_default(dispatch, || {
                            record(&sp, NAMES[usize::from(field) % NAMES.len()], &val);
                            sp.record_token_usage(1, 2);
                        })
                    });
                });
            }
        }
    }
}

fuzz_target!(|input: Input| {
    let regs = registries();
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let mut layer = tracing_genai::layer()
        .with_tracer(provider.tracer("fuzz"))
        .with_content_capture(match input.content % 4 {
            0 => ContentCapture::NoContent,
            1 => ContentCapture::SpanOnly,
            2 => ContentCapture::EventOnly,
            _ => ContentCapture::SpanAndEvent,
        });
    if input.prices {
        layer = layer.with_prices(
            PriceTable::new("USD")
                .with_model("gpt-4o*", ModelPrice::new(2.5, 10.0).with_cache_read(1.25)),
        );
    }
    if input.mapper {
        layer = layer.with_mapper(|state: &GenAiSpan, attrs: &mut Attributes<'_>| {
            if let Some(model) = &state.request.model {
                attrs.insert("app.model", model.clone());
            }
            attrs.remove("gen_ai.request.seed");
        });
    }
    let diagnostics = layer.diagnostics();
    let dispatch = Dispatch::new(tracing_subscriber::registry().with(layer));
    let (created, bad) = tracing::dispatcher::with_default(&dispatch, || {
        let mut w = World {
            slots: (0..MAX_SLOTS).map(|_| None).collect(),
            entered: Vec::new(),
            created: 0,
            bad: Default::default(),
            nodes: Default::default(),
        };
        for op in input.ops.into_iter().take(MAX_OPS) {
            run_op(&mut w, op, &dispatch);
        }
        // Close the rest in an odd order: parents (earlier slots) first, guards last.
        w.slots.clear();
        while let Some(g) = w.entered.pop() {
            drop(g);
        }
        (w.created, w.bad)
    });
    drop(dispatch);
    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();
    assert_eq!(
        spans.len(),
        created,
        "created {created} spans, exported {}",
        spans.len()
    );
    assert_eq!(diagnostics.snapshot().unwritten_spans, 0);
    registry::check_types(&spans, regs);
    // Bad input leaves a diagnostic.
    for span in &spans {
        let node = span
            .attributes
            .iter()
            .find(|kv| kv.key.as_str() == "fuzz.node");
        if let Some(opentelemetry::Value::I64(node)) = node.map(|kv| &kv.value) {
            if bad.contains(node) {
                let d = span
                    .attributes
                    .iter()
                    .find(|kv| kv.key.as_str() == tracing_genai::semconv::DIAGNOSTICS_ATTRIBUTE);
                assert!(
                    d.is_some(),
                    "node {node}: {UNKNOWN} recorded, no diagnostic"
                );
            }
        }
    }
    // Plain spans are tracing-opentelemetry's (it appends a re-recorded field again).
    for span in spans.iter().filter(|s| s.name != "plain") {
        let mut keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
        keys.sort_unstable();
        keys.windows(2)
            .for_each(|w| assert_ne!(w[0], w[1], "duplicate key on {}", span.name));
    }
});
