//! The shared test harness: a subscriber with the GenAI layer (or a plain tracing-opentelemetry
//! layer) exporting to an in-memory exporter, and helpers to inspect the exported spans.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// The counting global allocator of the test binary and RSS readings (memory and
/// allocation tests, memory bench).
#[allow(unsafe_code)]
pub mod alloc;
pub mod content;
/// The four checks of every fault scenario (non-blocking, bounded shutdown, accounting, summary).
#[cfg(feature = "setup")]
pub mod faults;
/// In-memory spans *and metrics* behind a configurable GenAI layer (metrics, streaming, cost).
pub mod metrics;
#[cfg(feature = "setup")]
pub mod otlp;
/// Re-running a test alone in a child process (environment, global state, process-wide memory).
pub mod process;
/// proptest strategies for field values of every type.
pub mod props;
/// The semconv registry and the type check of exported attributes (also used by fuzz/).
pub mod registry;

use std::future::Future;
use std::sync::Arc;

use opentelemetry::trace::{Status, TracerProvider as _};
use opentelemetry::{Array, Value};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracer, SdkTracerProvider, SpanData};
use tracing::Dispatch;
use tracing_genai::{Diagnostics, GenAiLayer};
use tracing_opentelemetry::OpenTelemetryLayer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Registry;

/// The GenAI layer type the harness installs.
pub type Genai = GenAiLayer<OpenTelemetryLayer<Registry, SdkTracer>>;

/// An in-memory exporter behind a simple (synchronous) span processor.
pub struct Harness {
    pub exporter: InMemorySpanExporter,
    pub provider: SdkTracerProvider,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    pub fn new() -> Self {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        Harness { exporter, provider }
    }

    pub fn tracer(&self) -> SdkTracer {
        self.provider.tracer("test")
    }

    /// `tracing_genai::layer().with_tracer(provider.tracer("test"))`.
    pub fn genai_layer(&self) -> Genai {
        tracing_genai::layer().with_tracer(self.tracer())
    }

    /// A plain tracing-opentelemetry layer on the same provider.
    pub fn plain_layer(&self) -> OpenTelemetryLayer<Registry, SdkTracer> {
        tracing_opentelemetry::layer().with_tracer(self.tracer())
    }

    /// Flushes and returns every exported span.
    pub fn spans(&self) -> Vec<SpanData> {
        self.provider.force_flush().unwrap();
        self.exporter.get_finished_spans().unwrap()
    }
}

/// What one harness run produced.
pub struct Run<R = ()> {
    pub spans: Vec<SpanData>,
    pub diagnostics: Arc<Diagnostics>,
    pub value: R,
}

impl<R> Run<R> {
    pub fn span(&self, name: &str) -> &SpanData {
        find(&self.spans, name)
    }
    pub fn only(&self) -> &SpanData {
        assert_eq!(
            self.spans.len(),
            1,
            "expected exactly one span, got {:?}",
            names(&self.spans)
        );
        &self.spans[0]
    }
}

/// Runs `f` under a subscriber with the default GenAI layer; returns the exported spans.
pub fn run(f: impl FnOnce()) -> Vec<SpanData> {
    run_with(|l| l, f).spans
}

/// Runs `f` under a subscriber whose GenAI layer was customised by `customize` (mappers,
/// aliases, rules).
pub fn run_with<R>(customize: impl FnOnce(Genai) -> Genai, f: impl FnOnce() -> R) -> Run<R> {
    let h = Harness::new();
    let layer = customize(h.genai_layer());
    let diagnostics = layer.diagnostics();
    let subscriber = tracing_subscriber::registry().with(layer);
    let value = tracing::subscriber::with_default(subscriber, f);
    Run {
        spans: h.spans(),
        diagnostics,
        value,
    }
}

/// Runs `f` under a subscriber with only the plain tracing-opentelemetry layer.
pub fn run_plain(f: impl FnOnce()) -> Vec<SpanData> {
    let h = Harness::new();
    let subscriber = tracing_subscriber::registry().with(h.plain_layer());
    tracing::subscriber::with_default(subscriber, f);
    h.spans()
}

/// Runs the future built by `f` on a multi-thread tokio runtime (2 workers) where every worker
/// thread and the calling thread use the GenAI subscriber as their default, so spans created in
/// spawned tasks are seen by the layer.
pub fn run_async<F, Fut>(customize: impl FnOnce(Genai) -> Genai, f: F) -> Run<Fut::Output>
where
    F: FnOnce() -> Fut,
    Fut: Future,
{
    let h = Harness::new();
    let layer = customize(h.genai_layer());
    let diagnostics = layer.diagnostics();
    let dispatch = Dispatch::new(tracing_subscriber::registry().with(layer));
    let value = {
        let worker_dispatch = dispatch.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .on_thread_start(move || {
                // The worker thread keeps this default until it exits with the runtime.
                std::mem::forget(tracing::dispatcher::set_default(&worker_dispatch));
            })
            .build()
            .unwrap();
        let _guard = tracing::dispatcher::set_default(&dispatch);
        let value = runtime.block_on(f());
        runtime.shutdown_timeout(std::time::Duration::from_secs(10));
        value
    };
    Run {
        spans: h.spans(),
        diagnostics,
        value,
    }
}

// ---- inspection helpers -------------------------------------------------------------------

pub fn names(spans: &[SpanData]) -> Vec<String> {
    spans.iter().map(|s| s.name.to_string()).collect()
}

/// The one span named `name` (panics if none or several).
pub fn find<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    let mut it = spans.iter().filter(|s| s.name == name);
    let found = it
        .next()
        .unwrap_or_else(|| panic!("no span named {name:?} in {:?}", names(spans)));
    assert!(it.next().is_none(), "several spans named {name:?}");
    found
}

pub fn attr<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

pub fn count(span: &SpanData, key: &str) -> usize {
    span.attributes
        .iter()
        .filter(|kv| kv.key.as_str() == key)
        .count()
}

pub fn has(span: &SpanData, key: &str) -> bool {
    count(span, key) > 0
}

pub fn str_attr(span: &SpanData, key: &str) -> String {
    match attr(span, key) {
        Some(Value::String(s)) => s.as_str().to_string(),
        other => panic!("{key}: expected a string attribute, got {other:?}"),
    }
}

pub fn i64_attr(span: &SpanData, key: &str) -> i64 {
    match attr(span, key) {
        Some(Value::I64(v)) => *v,
        other => panic!("{key}: expected an I64 attribute, got {other:?}"),
    }
}

pub fn f64_attr(span: &SpanData, key: &str) -> f64 {
    match attr(span, key) {
        Some(Value::F64(v)) => *v,
        other => panic!("{key}: expected an F64 attribute, got {other:?}"),
    }
}

pub fn bool_attr(span: &SpanData, key: &str) -> bool {
    match attr(span, key) {
        Some(Value::Bool(v)) => *v,
        other => panic!("{key}: expected a Bool attribute, got {other:?}"),
    }
}

pub fn strings_attr(span: &SpanData, key: &str) -> Vec<String> {
    match attr(span, key) {
        Some(Value::Array(Array::String(v))) => v.iter().map(|s| s.as_str().to_string()).collect(),
        other => panic!("{key}: expected a string array attribute, got {other:?}"),
    }
}

/// Asserts every attribute key of `span` appears exactly once.
pub fn assert_unique_keys(span: &SpanData) {
    let mut keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
    keys.sort_unstable();
    for w in keys.windows(2) {
        assert_ne!(w[0], w[1], "duplicate key {} on span {}", w[0], span.name);
    }
}

/// The `tracing_genai.diagnostics` messages of a span (empty if none).
pub fn diagnostics(span: &SpanData) -> Vec<String> {
    if has(span, tracing_genai::DIAGNOSTICS_ATTRIBUTE) {
        strings_attr(span, tracing_genai::DIAGNOSTICS_ATTRIBUTE)
    } else {
        Vec::new()
    }
}

/// Asserts some diagnostic of `span` contains `needle`.
pub fn assert_diagnostic(span: &SpanData, needle: &str) {
    let d = diagnostics(span);
    assert!(
        d.iter().any(|m| m.contains(needle)),
        "no diagnostic containing {needle:?} in {d:?}"
    );
}

pub fn is_error(span: &SpanData) -> bool {
    matches!(span.status, Status::Error { .. })
}

/// The attributes of the first event named `name`.
pub fn event<'a>(span: &'a SpanData, name: &str) -> Option<&'a opentelemetry::trace::Event> {
    span.events.events.iter().find(|e| e.name == name)
}

pub fn event_attr(event: &opentelemetry::trace::Event, key: &str) -> Option<String> {
    event
        .attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.as_str().into_owned())
}
/// A loopback HTTP server replaying LLM provider fixtures (HTTP middleware tests).
#[cfg(feature = "reqwest")]
pub mod http_mock;

/// A loopback address where nothing listens (connection refused): the listener is dropped
/// before the address is returned.
pub fn closed_port() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}
