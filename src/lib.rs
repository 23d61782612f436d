#![doc = include_str!("crate_docs.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod agents;
mod callsite;
mod capture;
mod config;
pub mod content;
pub mod cost;
mod diagnostics;
mod fields;
#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub mod http;
mod inherit;
mod layer;
mod mapper;
mod mapping;
pub mod metrics;
pub mod retry;
pub mod rollup;
pub mod semconv;
#[cfg(feature = "setup")]
mod setup;
mod span_ext;
mod state;
pub mod stream;
mod value;

pub use capture::normalize_provider;
pub use config::{layer, SpanRule};
pub use cost::{ModelPrice, PriceTable, PriceTableError};
pub use diagnostics::{Diagnostics, DiagnosticsSnapshot};
pub use fields::{GenAiField, DEFAULT_ALIASES};
pub use layer::GenAiLayer;
pub use mapper::{AttributeMapper, Attributes, DropAttributes, RenameAttributes};
pub use mapping::DIAGNOSTICS_ATTRIBUTE;
pub use retry::GenAiRetryExt;
#[cfg(feature = "setup")]
pub use setup::{
    setup, Compression, Config, ConfigLayer, ExporterKind, Pipeline, PipelineLayer, Protocol,
    SetupError, ShutdownError, ShutdownReport, TelemetryGuard, EXCLUDED_TARGETS,
};
pub use span_ext::GenAiSpanExt;
pub use state::{
    Agent, ErrorInfo, GenAiSpan, Operation, Request, Response, SpanEvent, Tool, Usage,
};
pub use stream::{GenAiStreamExt, InstrumentedStream, StreamAccumulator, StreamRecorder};
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
