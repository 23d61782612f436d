//! W3C trace context (`traceparent`, `tracestate`) for outgoing LLM requests.
//!
//! The GenAI span's context is injected with the globally installed text map propagator
//! (`opentelemetry::global::set_text_map_propagator`) when one is installed and writes
//! something; otherwise with a W3C [`TraceContextPropagator`] directly, so a gateway or a
//! self-hosted model server joins the trace without any global setup.

use std::collections::HashMap;

use opentelemetry::propagation::{Injector, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Collects the injected fields.
struct Fields(HashMap<String, String>);

impl Injector for Fields {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_ascii_lowercase(), value);
    }
}

/// Adds the trace context of `span` to `headers`. Returns whether a `traceparent` was added.
/// Does nothing when the span has no valid OpenTelemetry context (no layer, sampled out by a
/// filter); headers the application set itself are replaced.
pub(crate) fn inject(span: &tracing::Span, headers: &mut HeaderMap) -> bool {
    let cx = span.context();
    if !cx.span().span_context().is_valid() {
        return false;
    }
    let mut fields = Fields(HashMap::new());
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut fields));
    if fields.0.is_empty() {
        TraceContextPropagator::new().inject_context(&cx, &mut fields);
    }
    let mut injected = false;
    for (key, value) in fields.0 {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) else {
            continue;
        };
        injected |= name == "traceparent";
        headers.insert(name, value);
    }
    injected
}
