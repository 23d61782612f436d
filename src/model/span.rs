//! [`GenAiSpan`]: the typed GenAI state of one LLM span (what the layer captured from its
//! fields and helpers), and the request, response, agent, tool and error facts it holds.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use opentelemetry::KeyValue;
use opentelemetry::trace::SpanKind;

use super::{FieldValue, Operation, Usage};
use crate::semconv as sc;

/// Request parameters (`gen_ai.request.*`).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Request {
    /// `gen_ai.request.model`.
    pub model: Option<Arc<str>>,
    /// `gen_ai.request.max_tokens`.
    pub max_tokens: Option<i64>,
    /// `gen_ai.request.choice.count`.
    pub choice_count: Option<i64>,
    /// `gen_ai.request.temperature`.
    pub temperature: Option<f64>,
    /// `gen_ai.request.top_p`.
    pub top_p: Option<f64>,
    /// `gen_ai.request.top_k`.
    pub top_k: Option<i64>,
    /// `gen_ai.request.stop_sequences`.
    pub stop_sequences: Option<Vec<String>>,
    /// `gen_ai.request.frequency_penalty`.
    pub frequency_penalty: Option<f64>,
    /// `gen_ai.request.presence_penalty`.
    pub presence_penalty: Option<f64>,
    /// `gen_ai.request.encoding_formats`.
    pub encoding_formats: Option<Vec<String>>,
    /// `gen_ai.request.seed`.
    pub seed: Option<i64>,
    /// `gen_ai.request.stream`.
    pub stream: Option<bool>,
    /// `gen_ai.request.reasoning.level`.
    pub reasoning_level: Option<Arc<str>>,
    /// `gen_ai.request.previous_response.id`.
    pub previous_response_id: Option<Arc<str>>,
}

/// Response facts (`gen_ai.response.*`).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Response {
    /// `gen_ai.response.id`.
    pub id: Option<Arc<str>>,
    /// `gen_ai.response.model`.
    pub model: Option<Arc<str>>,
    /// `gen_ai.response.finish_reasons`.
    pub finish_reasons: Option<Vec<String>>,
    /// `gen_ai.response.time_to_first_chunk`, seconds.
    pub time_to_first_chunk: Option<f64>,
    /// `gen_ai.response.status`.
    pub status: Option<Arc<str>>,
}

/// The agent a span invokes, creates or runs under (`gen_ai.agent.*`).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Agent {
    /// `gen_ai.agent.id`.
    pub id: Option<Arc<str>>,
    /// `gen_ai.agent.name`.
    pub name: Option<Arc<str>>,
    /// `gen_ai.agent.description`.
    pub description: Option<Arc<str>>,
    /// `gen_ai.agent.version`.
    pub version: Option<Arc<str>>,
}

/// The tool an `execute_tool` span runs (`gen_ai.tool.*`).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Tool {
    /// `gen_ai.tool.name`.
    pub name: Option<Arc<str>>,
    /// `gen_ai.tool.call.id`.
    pub call_id: Option<Arc<str>>,
    /// `gen_ai.tool.type` (`function`, `extension`, `datastore`).
    pub tool_type: Option<Arc<str>>,
    /// `gen_ai.tool.description`.
    pub description: Option<Arc<str>>,
}

/// How an LLM span failed.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ErrorInfo {
    /// Low-cardinality `error.type`: a provider error code, an error type name, or `_OTHER`.
    pub error_type: String,
    /// Human-readable message, exported in the `exception` event and the span status.
    pub message: Option<String>,
}

impl ErrorInfo {
    /// The failure `error` describes: `error.type` is the error's type name (last path segment,
    /// e.g. `ApiError`), the message its text with its source chain (`a: b: c`).
    ///
    /// ```
    /// let info = tracing_genai::ErrorInfo::from_error(&std::io::Error::other("reset"));
    /// assert_eq!((info.error_type.as_str(), info.message.as_deref()), ("Error", Some("reset")));
    /// ```
    pub fn from_error<E: std::error::Error + 'static>(error: &E) -> Self {
        ErrorInfo {
            error_type: super::text::type_name_of::<E>().to_string(),
            message: Some(super::text::error_chain(error)),
        }
    }

    /// The message of `error` with its source chain (`a: b: c`), as
    /// [`from_error`](Self::from_error) renders it, for errors behind a `dyn` reference.
    ///
    /// ```
    /// let error: Box<dyn std::error::Error> = Box::new(std::io::Error::other("reset"));
    /// assert_eq!(tracing_genai::ErrorInfo::message_of(error.as_ref()), "reset");
    /// ```
    pub fn message_of(error: &(dyn std::error::Error + 'static)) -> String {
        super::text::error_chain(error)
    }
}

/// A span event recorded by the layer (exceptions now; retries and stream chunks later).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SpanEvent {
    /// Event name.
    pub name: Cow<'static, str>,
    /// When it happened.
    pub time: SystemTime,
    /// Event attributes.
    pub attributes: Vec<KeyValue>,
}

/// Overrides from the special `otel.*` fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct OtelOverrides {
    pub(crate) name: Option<String>,
    pub(crate) kind: Option<SpanKind>,
    pub(crate) status_error: bool,
    /// `otel.status_code = "ok"`: the span status is set to `Ok` (unless it failed).
    pub(crate) status_ok: bool,
    pub(crate) status_description: Option<String>,
}

/// The typed GenAI state of one span, as seen by [`AttributeMapper`](crate::mapper::AttributeMapper)s.
///
/// Built by the layer from the span's fields (semconv names and aliases) and from the typed
/// recording helpers of [`GenAiSpanExt`](crate::GenAiSpanExt). Every ordinary field the span
/// recorded (say `tenant_id`) is kept too and readable with [`GenAiSpan::field`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct GenAiSpan {
    /// `gen_ai.operation.name`; `None` until recorded.
    pub operation: Option<Operation>,
    /// `gen_ai.provider.name`, normalised to the registry's well-known values.
    pub provider: Option<Arc<str>>,
    /// Request parameters.
    pub request: Request,
    /// Response facts.
    pub response: Response,
    /// Token usage.
    pub usage: Usage,
    /// Agent attributes.
    pub agent: Agent,
    /// Tool attributes.
    pub tool: Tool,
    /// `gen_ai.workflow.name`.
    pub workflow_name: Option<Arc<str>>,
    /// `gen_ai.conversation.id`.
    pub conversation_id: Option<Arc<str>>,
    /// `gen_ai.data_source.id`.
    pub data_source_id: Option<Arc<str>>,
    /// `gen_ai.output.type`.
    pub output_type: Option<Arc<str>>,
    /// `gen_ai.embeddings.dimension.count`.
    pub embeddings_dimension_count: Option<i64>,
    /// `server.address`.
    pub server_address: Option<Arc<str>>,
    /// `server.port`.
    pub server_port: Option<i64>,
    /// `openai.*` and other provider-specific attributes already in their exported form.
    pub provider_attributes: Vec<KeyValue>,
    /// The failure, if the call failed.
    pub error: Option<ErrorInfo>,
    /// Span events the layer will add (exceptions, retries, stream milestones).
    pub events: Vec<SpanEvent>,
    /// Ordinary fields, in first-recorded order, each name once (last value wins). Unknown
    /// `gen_ai.*` fields kept as recorded ([`UnknownFields`](crate::UnknownFields)) and the
    /// registry keys without a typed fact ([`PASSTHROUGH_KEYS`](crate::semconv::PASSTHROUGH_KEYS))
    /// are here too.
    pub fields: Vec<(&'static str, FieldValue)>,
    /// Problems found in the span's input (a NaN temperature, a negative token count, ...).
    /// Exported as `tracing_genai.diagnostics`.
    pub diagnostics: Vec<String>,
    /// When the layer first saw the span.
    pub started: Instant,
    pub(crate) otel: OtelOverrides,
    span_name: &'static str,
    target: &'static str,
}

impl GenAiSpan {
    #[inline]
    pub(crate) fn new(span_name: &'static str, target: &'static str) -> Self {
        GenAiSpan {
            operation: None,
            provider: None,
            request: Request::default(),
            response: Response::default(),
            usage: Usage::default(),
            agent: Agent::default(),
            tool: Tool::default(),
            workflow_name: None,
            conversation_id: None,
            data_source_id: None,
            output_type: None,
            embeddings_dimension_count: None,
            server_address: None,
            server_port: None,
            provider_attributes: Vec::new(),
            error: None,
            events: Vec::new(),
            fields: Vec::new(),
            diagnostics: Vec::new(),
            started: Instant::now(),
            otel: OtelOverrides::default(),
            span_name,
            target,
        }
    }

    /// The value of an ordinary field the span recorded, e.g. `span.field("tenant_id")`.
    pub fn field(&self, name: &str) -> Option<&FieldValue> {
        self.fields.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The `tracing` span's name (the first argument of `info_span!`).
    pub fn span_name(&self) -> &'static str {
        self.span_name
    }

    /// The `tracing` span's target (by default its module path).
    pub fn target(&self) -> &'static str {
        self.target
    }

    /// The OpenTelemetry span name the conventions give this span, e.g. `chat gpt-4o`,
    /// `execute_tool get_weather`, `invoke_agent`.
    pub fn otel_name(&self) -> String {
        let Some((op, detail)) = self.name_parts() else {
            return self.span_name.to_string();
        };
        match detail {
            Some(d) => {
                let mut name = String::with_capacity(op.len() + 1 + d.len());
                name.push_str(op);
                name.push(' ');
                name.push_str(d);
                name
            }
            None => op.to_string(),
        }
    }

    /// The two parts of the conventions' span name, `{operation} {detail}` (the detail is the
    /// model, agent, tool, workflow or data source, when known and not empty); `None` while the
    /// operation is unknown.
    pub(crate) fn name_parts(&self) -> Option<(&str, Option<&str>)> {
        let op = self.operation.as_ref()?;
        let detail = match op {
            Operation::ExecuteTool => self.tool.name.as_deref(),
            Operation::InvokeAgent | Operation::CreateAgent | Operation::Plan => {
                self.agent.name.as_deref()
            }
            Operation::InvokeWorkflow => self.workflow_name.as_deref(),
            Operation::Retrieval => self.data_source_id.as_deref(),
            Operation::FetchResponse | Operation::Memory(_) => None,
            _ => self.request.model.as_deref(),
        };
        Some((op.as_str(), detail.filter(|d| !d.is_empty())))
    }

    /// The span kind: an explicit `otel.kind`, else the operation's default.
    ///
    /// While the operation is unknown the kind is `CLIENT` (most GenAI spans are calls to a
    /// model). OpenTelemetry fixes a span's kind when the span starts (its first `enter`), so
    /// an `INTERNAL` operation recorded later than that keeps `CLIENT`: declare the operation
    /// at creation, as the macros do.
    pub fn kind(&self) -> SpanKind {
        if let Some(kind) = &self.otel.kind {
            return kind.clone();
        }
        self.operation
            .as_ref()
            .map(Operation::default_kind)
            .unwrap_or(SpanKind::Client)
    }

    /// Whether the span is marked as failed.
    pub fn is_error(&self) -> bool {
        self.error.is_some() || self.otel.status_error
    }

    /// Marks the call failed. The first recorded `error.type` that is not `_OTHER` wins (a
    /// later `None` or `_OTHER` does not replace it); the latest message wins.
    ///
    /// ```
    /// # let mut span = tracing_genai::GenAiSpan::default();
    /// span.record_error(None, Some("connection reset".into()));
    /// span.record_error(Some("timeout".into()), None);
    /// let error = span.error.as_ref().unwrap();
    /// assert_eq!((error.error_type.as_str(), error.message.as_deref()), ("timeout", Some("connection reset")));
    /// ```
    pub fn record_error(&mut self, error_type: Option<String>, message: Option<String>) {
        let other = sc::ERROR_TYPE_OTHER;
        match &mut self.error {
            Some(existing) => {
                if let Some(t) = error_type
                    && existing.error_type == other
                {
                    existing.error_type = t;
                }
                if message.is_some() {
                    existing.message = message;
                }
            }
            None => {
                self.error = Some(ErrorInfo {
                    error_type: error_type.unwrap_or_else(|| other.to_string()),
                    message,
                })
            }
        }
    }

    /// Keeps an ordinary field, replacing an earlier value of the same name.
    pub(crate) fn set_field(&mut self, name: &'static str, value: FieldValue) {
        match self.fields.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((name, value)),
        }
    }

    /// Token counts above `i64::MAX` are exported saturated (an OTLP int is an `i64`); say so.
    pub(crate) fn diagnose_saturated_counts(&mut self) {
        // The common case, every count representable: no iteration, no allocation.
        let counts = self.usage.counts();
        if !counts
            .iter()
            .any(|(_, v)| v.is_some_and(|v| v > i64::MAX as u64))
        {
            return;
        }
        let too_big: Vec<&'static str> = counts
            .into_iter()
            .filter(|(_, v)| v.is_some_and(|v| i64::try_from(v).is_err()))
            .map(|(k, _)| k)
            .collect();
        for key in too_big {
            self.add_diagnostic(format!(
                "{key}: above {} exported as {}",
                i64::MAX,
                i64::MAX
            ));
        }
    }

    /// Adds a problem found in the span's input to its `tracing_genai.diagnostics`
    /// (at most 16 per span, each message once).
    ///
    /// ```
    /// # let mut span = tracing_genai::GenAiSpan::default();
    /// span.add_diagnostic("response body is not JSON");
    /// span.add_diagnostic("response body is not JSON");
    /// assert_eq!(span.diagnostics, ["response body is not JSON"]);
    /// ```
    pub fn add_diagnostic(&mut self, message: impl Into<String>) {
        let message = message.into();
        // Bounded: a span that records garbage in a loop must not grow without limit.
        if self.diagnostics.len() < 16 && !self.diagnostics.contains(&message) {
            self.diagnostics.push(message);
        }
    }
}

impl Default for GenAiSpan {
    /// An empty state, as the layer starts it (for tests of mappers and integrations).
    fn default() -> Self {
        GenAiSpan::new("gen_ai", "tracing_genai")
    }
}
