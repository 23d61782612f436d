//! The test harness, [`Harness`]: a subscriber with the GenAI layer (or a plain
//! tracing-opentelemetry layer) over an in-memory span exporter, optionally in-memory metrics,
//! configured with builder options; and helpers to inspect the exported spans.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// The counting global allocator of the test binary and RSS readings (memory and
/// allocation tests, memory bench).
#[allow(unsafe_code)]
pub mod alloc;
/// Inspection helpers for captured message content (optional attribute strings, dumps).
pub mod content;
/// The four checks of every fault scenario (non-blocking, bounded shutdown, accounting, summary).
#[cfg(feature = "setup")]
pub mod faults;
/// Collected metrics, simplified ([`MetricInfo`], [`Point`]).
pub mod metrics;
#[cfg(feature = "setup")]
pub mod otlp;
/// Re-running a test alone in a child process (environment, global state, process-wide memory).
pub mod process;
/// proptest strategies for field values of every type.
pub mod props;
/// The semconv registry and the type check of exported attributes (also used by fuzz/).
pub mod registry;
/// Test certificates (CA, server valid and expired, wrong CA, mTLS client) and a TLS probe.
#[cfg(feature = "setup")]
pub mod tls;

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::{Status, TracerProvider as _};
use opentelemetry::{Array, Value};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracer, SdkTracerProvider, SpanData};
use tracing::Dispatch;
use tracing_genai::content::{ContentCapture, ContentConfig};
use tracing_genai::{Diagnostics, GenAiLayer, cost::PriceTable, mapper::AttributeMapper};
use tracing_opentelemetry::OpenTelemetryLayer;
use tracing_subscriber::Registry;
use tracing_subscriber::layer::SubscriberExt;

pub use metrics::MetricInfo;

/// The GenAI layer the harness installs (what [`HarnessBuilder::configure`] closures and
/// [`HarnessBuilder::build_with`] get).
pub type TestLayer =
    GenAiLayer<OpenTelemetryLayer<Registry, tracing_genai::GenAiTracer<SdkTracer>>>;

/// In-memory spans (and, with [`HarnessBuilder::metrics`], metrics) behind a subscriber with
/// the GenAI layer; the subscriber is the default only inside [`run`](Self::run) and friends.
///
/// ```ignore
/// let spans = Harness::new().collect(|| { /* spans */ }).spans;
/// let h = Harness::builder().metrics(true).prices(table).build();
/// h.run(|| { /* spans */ });
/// let m = h.metric("gen_ai.client.token.usage");
/// ```
pub struct Harness {
    pub exporter: InMemorySpanExporter,
    pub provider: SdkTracerProvider,
    meters: Option<Meters>,
    dispatch: Dispatch,
    diagnostics: Option<Arc<Diagnostics>>,
}

/// The in-memory metric pipeline of a harness built with `metrics(true)`.
struct Meters {
    exporter: InMemoryMetricExporter,
    provider: SdkMeterProvider,
}

/// Options of a [`Harness`]. Each option configures the GenAI layer at once, in call order.
pub struct HarnessBuilder {
    exporter: InMemorySpanExporter,
    provider: SdkTracerProvider,
    meters: Option<Meters>,
    layer: TestLayer,
}

impl HarnessBuilder {
    /// The layer records metrics through an in-memory meter provider (read with
    /// [`Harness::metric`] and [`Harness::collect_metrics`]); `false` then turns them off
    /// (`with_metrics(false)`), so that `collect_metrics` shows that nothing was recorded.
    /// Without this option the layer keeps its default, the global meter (a no-op meter in this
    /// test binary: only tests in a process of their own set one).
    pub fn metrics(mut self, on: bool) -> Self {
        if self.meters.is_none() {
            let exporter = InMemoryMetricExporter::default();
            let provider = SdkMeterProvider::builder()
                .with_reader(PeriodicReader::builder(exporter.clone()).build())
                .build();
            self.layer = self.layer.with_meter(provider.meter("tracing-genai"));
            self.meters = Some(Meters { exporter, provider });
        }
        if !on {
            self.layer = self.layer.with_metrics(false);
        }
        self
    }

    /// `with_content_capture(mode)`.
    pub fn content(mut self, mode: ContentCapture) -> Self {
        self.layer = self.layer.with_content_capture(mode);
        self
    }

    /// `with_content_config(config)` (limits, redaction, secret patterns).
    pub fn content_config(mut self, config: ContentConfig) -> Self {
        self.layer = self.layer.with_content_config(config);
        self
    }

    /// `with_mapper(mapper)` (mappers run in the order they were added).
    pub fn mapper(mut self, mapper: impl AttributeMapper) -> Self {
        self.layer = self.layer.with_mapper(mapper);
        self
    }

    /// `with_prices(table)`.
    pub fn prices(mut self, table: impl Into<Arc<PriceTable>>) -> Self {
        self.layer = self.layer.with_prices(table);
        self
    }

    /// `with_inherited_fields(names)`.
    pub fn inherited_fields<I, N>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = N>,
        N: Into<Cow<'static, str>>,
    {
        self.layer = self.layer.with_inherited_fields(names);
        self
    }

    /// Any other layer configuration (aliases, rules, ...).
    pub fn configure(mut self, configure: impl FnOnce(TestLayer) -> TestLayer) -> Self {
        self.layer = configure(self.layer);
        self
    }

    /// The harness, its subscriber `registry().with(layer)`.
    pub fn build(self) -> Harness {
        self.build_with(|layer| Dispatch::new(tracing_subscriber::registry().with(layer)))
    }

    /// The harness, its subscriber built by `compose` from the configured layer (other
    /// layers, a per-layer filter, installing it as the global default ...).
    pub fn build_with(self, compose: impl FnOnce(TestLayer) -> Dispatch) -> Harness {
        let diagnostics = self.layer.diagnostics();
        Harness {
            dispatch: compose(self.layer),
            exporter: self.exporter,
            provider: self.provider,
            meters: self.meters,
            diagnostics: Some(diagnostics),
        }
    }
}

/// What [`Harness::collect`] produced.
pub struct Run<R = ()> {
    pub spans: Vec<SpanData>,
    pub diagnostics: Arc<Diagnostics>,
    pub value: R,
}

impl<R> Run<R> {
    /// The one span named `name`.
    pub fn span(&self, name: &str) -> &SpanData {
        find(&self.spans, name)
    }

    /// The only span.
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

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

fn span_pipeline() -> (InMemorySpanExporter, SdkTracerProvider) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    (exporter, provider)
}

impl Harness {
    /// The default GenAI layer (`tracing_genai::layer().with_tracer(..)`).
    pub fn new() -> Self {
        Harness::builder().build()
    }

    /// A harness with options.
    pub fn builder() -> HarnessBuilder {
        let (exporter, provider) = span_pipeline();
        HarnessBuilder {
            layer: tracing_genai::layer().with_tracer(provider.tracer("test")),
            exporter,
            provider,
            meters: None,
        }
    }

    /// A plain tracing-opentelemetry layer on the same kind of provider, no GenAI layer (what
    /// the GenAI layer is compared with).
    pub fn plain() -> Self {
        let (exporter, provider) = span_pipeline();
        let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("test"));
        Harness {
            dispatch: Dispatch::new(tracing_subscriber::registry().with(layer)),
            exporter,
            provider,
            meters: None,
            diagnostics: None,
        }
    }

    /// The harness subscriber.
    pub fn dispatch(&self) -> &Dispatch {
        &self.dispatch
    }

    /// The GenAI layer's diagnostics counters.
    pub fn diagnostics(&self) -> Arc<Diagnostics> {
        Arc::clone(
            self.diagnostics
                .as_ref()
                .expect("a plain harness has no GenAI layer"),
        )
    }

    /// Runs `f` with the harness subscriber as the thread's default.
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        tracing::dispatcher::with_default(&self.dispatch, f)
    }

    /// Runs the future built by `f` on a multi-thread tokio runtime (2 workers) where every
    /// worker thread and the calling thread use the harness subscriber as their default, so
    /// spans created in spawned tasks are seen by the layer.
    pub fn run_async<F, Fut>(&self, f: F) -> Fut::Output
    where
        F: FnOnce() -> Fut,
        Fut: Future,
    {
        let worker_dispatch = self.dispatch.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .on_thread_start(move || {
                // The worker thread keeps this default until it exits with the runtime.
                std::mem::forget(tracing::dispatcher::set_default(&worker_dispatch));
            })
            .build()
            .unwrap();
        let _guard = tracing::dispatcher::set_default(&self.dispatch);
        let value = runtime.block_on(f());
        runtime.shutdown_timeout(std::time::Duration::from_secs(10));
        value
    }

    /// [`run`](Self::run), then every exported span.
    pub fn collect<R>(self, f: impl FnOnce() -> R) -> Run<R> {
        let value = self.run(f);
        self.into_run(value)
    }

    /// [`run`](Self::run), then every exported span (`collect(f).spans`).
    pub fn collect_spans(self, f: impl FnOnce()) -> Vec<SpanData> {
        self.collect(f).spans
    }

    /// [`run_async`](Self::run_async), then every exported span.
    pub fn collect_async<F, Fut>(self, f: F) -> Run<Fut::Output>
    where
        F: FnOnce() -> Fut,
        Fut: Future,
    {
        let value = self.run_async(f);
        self.into_run(value)
    }

    fn into_run<R>(self, value: R) -> Run<R> {
        Run {
            spans: self.spans(),
            // A plain harness has no GenAI layer: counters that stay at zero.
            diagnostics: self.diagnostics.clone().unwrap_or_default(),
            value,
        }
    }

    /// Flushes and returns every exported span.
    pub fn spans(&self) -> Vec<SpanData> {
        self.provider.force_flush().unwrap();
        self.exporter.get_finished_spans().unwrap()
    }

    /// The one exported span named `name`.
    pub fn span(&self, name: &str) -> SpanData {
        find(&self.spans(), name).clone()
    }

    /// Flushes and returns every metric collected so far (cumulative); needs `metrics(true)`.
    pub fn collect_metrics(&self) -> Vec<MetricInfo> {
        let meters = self
            .meters
            .as_ref()
            .expect("the harness records no metrics: build it with metrics(true)");
        meters.exporter.reset();
        meters.provider.force_flush().unwrap();
        let all = meters.exporter.get_finished_metrics().unwrap();
        all.last().map(metrics::convert).unwrap_or_default()
    }

    /// A meter of the harness's in-memory meter provider, for instruments recorded outside
    /// the layer (the MCP wrappers' `with_meter`); needs `metrics(true)`.
    pub fn meter(&self) -> opentelemetry::metrics::Meter {
        self.meters
            .as_ref()
            .expect("the harness records no metrics: build it with metrics(true)")
            .provider
            .meter("tracing-genai")
    }

    /// The metric called `name` (panics if absent); needs `metrics(true)`.
    pub fn metric(&self, name: &str) -> MetricInfo {
        self.collect_metrics()
            .into_iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("no metric {name}"))
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

/// The span's `gen_ai.usage.cost` (panics when it is missing or not a double).
pub fn cost_of(span: &SpanData) -> f64 {
    match attr(span, "gen_ai.usage.cost") {
        Some(Value::F64(v)) => *v,
        other => panic!("cost: {other:?}"),
    }
}

/// Whether two costs are equal up to float rounding.
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
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
    if has(span, tracing_genai::semconv::DIAGNOSTICS_ATTRIBUTE) {
        strings_attr(span, tracing_genai::semconv::DIAGNOSTICS_ATTRIBUTE)
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

/// Asserts `needle` (a planted API key) appears nowhere in `spans`: names, attribute values,
/// events (names and attributes), links and status descriptions.
pub fn assert_nowhere(spans: &[SpanData], needle: &str) {
    let leaks = |v: &Value| v.as_str().contains(needle);
    for span in spans {
        assert!(
            !span.name.contains(needle),
            "{needle:?} in the name of {}",
            span.name
        );
        for kv in &span.attributes {
            assert!(
                !leaks(&kv.value),
                "{needle:?} in {} of {}",
                kv.key,
                span.name
            );
            assert!(
                !kv.key.as_str().contains(needle),
                "{needle:?} in a key of {}",
                span.name
            );
        }
        for event in span.events.iter() {
            assert!(
                !event.name.contains(needle),
                "{needle:?} in an event of {}",
                span.name
            );
            for kv in &event.attributes {
                assert!(
                    !leaks(&kv.value),
                    "{needle:?} in {} of event {} of {}",
                    kv.key,
                    event.name,
                    span.name
                );
            }
        }
        for link in span.links.iter() {
            assert!(!link.attributes.iter().any(|kv| leaks(&kv.value)));
        }
        if let Status::Error { description } = &span.status {
            assert!(
                !description.contains(needle),
                "{needle:?} in the status of {}",
                span.name
            );
        }
    }
}

/// The span whose span id is the parent of `span` (panics if it was not exported).
pub fn parent_of<'a>(spans: &'a [SpanData], span: &SpanData) -> &'a SpanData {
    spans
        .iter()
        .find(|s| s.span_context.span_id() == span.parent_span_id)
        .unwrap_or_else(|| panic!("the parent of {} was not exported", span.name))
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
