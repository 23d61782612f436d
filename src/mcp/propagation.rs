//! W3C trace context in a request's `params._meta` (root keys `traceparent`, `tracestate`,
//! as SEP-414 and the OpenTelemetry MCP conventions describe).
//!
//! Injection and extraction use the globally installed text map propagator when it writes
//! (or finds) a context, otherwise a W3C [`TraceContextPropagator`], as the HTTP middleware
//! does.

use std::collections::HashMap;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use serde_json::{Map, Value};
use tracing_opentelemetry::OpenTelemetrySpanExt;

struct Fields(HashMap<String, String>);

impl Injector for Fields {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_ascii_lowercase(), value);
    }
}

/// The trace context fields of `span` (`traceparent`, `tracestate`, ...), empty when the span
/// has no valid OpenTelemetry context.
pub(crate) fn inject(span: &tracing::Span) -> Map<String, Value> {
    let cx = span.context();
    if !cx.span().span_context().is_valid() {
        return Map::new();
    }
    let mut fields = Fields(HashMap::new());
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut fields));
    if fields.0.is_empty() {
        TraceContextPropagator::new().inject_context(&cx, &mut fields);
    }
    fields
        .0
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
}

struct Meta<'a>(&'a Map<String, Value>);

impl Extractor for Meta<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

/// The remote parent carried by a request's `_meta`, if it carries a valid one.
pub(crate) fn extract(meta: &Map<String, Value>) -> Option<opentelemetry::Context> {
    let carrier = Meta(meta);
    // Only a remote span context counts: a propagator that finds nothing returns its input,
    // and the global no-op one returns the *current* context, neither a remote parent.
    let valid = |cx: &opentelemetry::Context| {
        let span = cx.span();
        let sc = span.span_context();
        sc.is_valid() && sc.is_remote()
    };
    let empty = opentelemetry::Context::new();
    let cx = opentelemetry::global::get_text_map_propagator(|p| {
        p.extract_with_context(&empty, &carrier)
    });
    if valid(&cx) {
        return Some(cx);
    }
    let cx = TraceContextPropagator::new().extract_with_context(&empty, &carrier);
    valid(&cx).then_some(cx)
}
