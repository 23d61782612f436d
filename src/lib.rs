//! tracing-genai: LLM spans from [`tracing`] become OpenTelemetry spans with the GenAI semantic
//! conventions.
//!
//! (Crate documentation is completed below the quickstart.)
//!
//! # Quickstart
//!
//! ```
//! use opentelemetry::trace::TracerProvider as _;
//! use tracing_subscriber::layer::SubscriberExt;
//! use tracing_genai::GenAiSpanExt;
//!
//! let exporter = opentelemetry_sdk::trace::InMemorySpanExporter::default();
//! let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
//!     .with_simple_exporter(exporter.clone())
//!     .build();
//! let subscriber = tracing_subscriber::registry()
//!     .with(tracing_genai::layer().with_tracer(provider.tracer("quickstart")));
//!
//! tracing::subscriber::with_default(subscriber, || {
//!     let span = tracing::info_span!(
//!         "llm",
//!         gen_ai.operation.name = "chat",
//!         gen_ai.provider.name = "OpenAI",
//!         gen_ai.request.model = "gpt-4o",
//!         gen_ai.request.temperature = 0.2,
//!         gen_ai.usage.input_tokens = tracing::field::Empty,
//!     );
//!     let _entered = span.enter();
//!     // ... call the model ...
//!     span.record("gen_ai.usage.input_tokens", 12_u64);
//!     span.record_token_usage(12, 30);
//! });
//!
//! let spans = exporter.get_finished_spans().unwrap();
//! assert_eq!(spans[0].name, "chat gpt-4o");
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod capture;
mod config;
pub mod content;
mod diagnostics;
mod fields;
mod layer;
mod mapper;
mod mapping;
pub mod semconv;
mod span_ext;
mod state;
mod value;

pub use capture::normalize_provider;
pub use config::{layer, SpanRule};
pub use diagnostics::{Diagnostics, DiagnosticsSnapshot};
pub use fields::{GenAiField, DEFAULT_ALIASES};
pub use layer::GenAiLayer;
pub use mapper::{AttributeMapper, Attributes, DropAttributes, RenameAttributes};
pub use mapping::DIAGNOSTICS_ATTRIBUTE;
pub use span_ext::GenAiSpanExt;
pub use state::{Agent, ErrorInfo, GenAiSpan, Operation, Request, Response, SpanEvent, Tool, Usage};
pub use value::FieldValue;

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
