//! The content-capture tests' harness: a GenAI layer, configured per test, over an in-memory
//! span exporter.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt;

/// The layer type the harness builds (configure it in the closure given to [`run`]).
pub type TestLayer = tracing_genai::GenAiLayer<
    tracing_opentelemetry::OpenTelemetryLayer<
        tracing_subscriber::Registry,
        opentelemetry_sdk::trace::Tracer,
    >,
>;

/// Runs `f` under a subscriber with the GenAI layer (configured by `configure`) exporting to
/// memory, and returns the finished spans.
pub fn run(configure: impl FnOnce(TestLayer) -> TestLayer, f: impl FnOnce()) -> Vec<SpanData> {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let layer = configure(tracing_genai::layer().with_tracer(provider.tracer("test")));
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, f);
    let _ = provider.force_flush();
    exporter.get_finished_spans().unwrap()
}

/// The value of attribute `key` of `span`.
pub fn attr<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

/// The string value of attribute `key`.
pub fn attr_str(span: &SpanData, key: &str) -> Option<String> {
    attr(span, key).map(|v| v.as_str().into_owned())
}

/// The string value of attribute `key` of the event named `event`.
pub fn event_attr_str(span: &SpanData, event: &str, key: &str) -> Option<String> {
    span.events
        .iter()
        .find(|e| e.name == event)
        .and_then(|e| e.attributes.iter().find(|kv| kv.key.as_str() == key))
        .map(|kv| kv.value.as_str().into_owned())
}

fn dump_kvs(out: &mut String, kvs: &[KeyValue]) {
    for kv in kvs {
        out.push_str(kv.key.as_str());
        out.push('=');
        out.push_str(&format!("{:?}", kv.value));
        out.push_str(&kv.value.as_str());
        out.push('\n');
    }
}

/// Everything exported for `spans` as text: names, attributes, events, links, status.
pub fn dump(spans: &[SpanData]) -> String {
    let mut out = String::new();
    for s in spans {
        out.push_str(&s.name);
        out.push('\n');
        dump_kvs(&mut out, &s.attributes);
        for e in s.events.iter() {
            out.push_str(&e.name);
            out.push('\n');
            dump_kvs(&mut out, &e.attributes);
        }
        for l in s.links.iter() {
            dump_kvs(&mut out, &l.attributes);
        }
        out.push_str(&format!("{:?}\n", s.status));
    }
    out
}
