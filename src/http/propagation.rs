//! W3C trace context (`traceparent`, `tracestate`) for outgoing LLM requests.
//!
//! The GenAI span's context is injected with the globally installed text map propagator
//! (`opentelemetry::global::set_text_map_propagator`) when one is installed and writes
//! something; otherwise with a W3C [`TraceContextPropagator`] directly, so a gateway or a
//! self-hosted model server joins the trace without any global setup.

use opentelemetry::propagation::{Injector, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Writes the injected fields straight into the request headers (a field that is not a valid
/// header name or value is skipped).
struct Headers<'a> {
    headers: &'a mut HeaderMap,
    /// Whether the propagator set any field.
    set: bool,
    /// Whether a `traceparent` was added.
    traceparent: bool,
}

impl Injector for Headers<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.set = true;
        // `HeaderName::from_bytes` lower-cases the name.
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::try_from(value),
        ) else {
            return;
        };
        self.traceparent |= name == "traceparent";
        self.headers.insert(name, value);
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
    let mut fields = Headers {
        headers,
        set: false,
        traceparent: false,
    };
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut fields));
    if !fields.set {
        TraceContextPropagator::new().inject_context(&cx, &mut fields);
    }
    fields.traceparent
}
