#![doc = include_str!("crate_docs.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The modules in data-path order; every import points down this list (see "Architecture").

// 1. Vocabulary: every name the crate spells.
pub mod semconv;
// 2. Model: what a GenAI call is (pure data), its message content and prices.
pub mod content;
pub mod cost;
mod model;
// 3. Recording: `tracing` callbacks to one typed record per GenAI span.
mod record;
// 4. Export: a closing record to attributes, metrics, cost and content.
mod export;
pub mod mapper;
// 5. The layer: the tracing hooks wiring recording, export and tracing-opentelemetry.
mod layer;
// 6. The user API: one extension trait on `Span`, the span macros, streams.
mod macros;
mod span_ext;
pub mod stream;
// 7. Integrations and setup: clients of the API above.
#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub mod http;
#[cfg(feature = "rmcp")]
#[cfg_attr(docsrs, doc(cfg(feature = "rmcp")))]
pub mod mcp;
#[cfg(feature = "setup")]
#[cfg_attr(docsrs, doc(cfg(feature = "setup")))]
pub mod setup;

pub use export::diagnostics::{Diagnostics, DiagnosticsSnapshot};
pub use export::events::EventTarget;
pub use layer::{GenAiLayer, GenAiTracer, layer};
pub use model::{
    Agent, ErrorInfo, Evaluation, FieldValue, GenAiField, GenAiSpan, Operation, Request, Response,
    SpanEvent, Tool, Usage, normalize_provider,
};
pub use record::{SpanRule, UnknownFields};
#[cfg(feature = "setup")]
pub use setup::{Config, TelemetryGuard, setup};
pub use span_ext::GenAiSpanExt;

/// The OpenTelemetry API crate this crate is built against (use it to avoid version mixes).
pub use opentelemetry;
/// The OpenTelemetry SDK crate this crate is built against.
pub use opentelemetry_sdk;
/// The tracing-opentelemetry crate this crate wraps.
pub use tracing_opentelemetry;

#[doc(hidden)]
pub mod __private {
    pub use tracing;
}
