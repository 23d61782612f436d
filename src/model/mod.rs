//! The model: what a GenAI call *is*, as pure data. The public span state ([`GenAiSpan`]) with
//! its operation, request, response, usage, agent, tool and error facts, the recorded values of
//! ordinary fields, the GenAI facts a field can name ([`GenAiField`]), and the text helpers
//! every later stage shares. Nothing here knows about `tracing` hooks or export.

mod evaluation;
pub(crate) mod field;
mod operation;
pub(crate) mod provider;
mod span;
pub(crate) mod text;
mod usage;
mod value;

pub use evaluation::Evaluation;
pub use field::GenAiField;
pub use operation::Operation;
pub use provider::normalize_provider;
pub use span::{Agent, ErrorInfo, GenAiSpan, Request, Response, SpanEvent, Tool};
pub(crate) use usage::USAGE_COUNTS;
pub use usage::Usage;
pub use value::FieldValue;
