//! The typed GenAI state of one LLM span: what the layer captured from its fields and helpers.

use std::borrow::Cow;
use std::time::{Instant, SystemTime};

use opentelemetry::trace::SpanKind;
use opentelemetry::KeyValue;

use crate::value::FieldValue;

/// The GenAI operation a span describes (`gen_ai.operation.name`).
///
/// ```
/// use tracing_genai::Operation;
///
/// assert_eq!(Operation::parse("Chat"), Operation::Chat);
/// assert_eq!(Operation::parse("embedding").as_str(), "embeddings");
/// assert_eq!(Operation::parse("rerank").as_str(), "rerank");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `chat`: chat completion.
    Chat,
    /// `generate_content`: multimodal content generation (Gemini).
    GenerateContent,
    /// `text_completion`: legacy text completion.
    TextCompletion,
    /// `embeddings`.
    Embeddings,
    /// `retrieval`: a retrieval (RAG) query.
    Retrieval,
    /// `fetch_response`: fetch a stored response.
    FetchResponse,
    /// `create_agent`.
    CreateAgent,
    /// `invoke_agent`.
    InvokeAgent,
    /// `execute_tool`.
    ExecuteTool,
    /// `invoke_workflow`.
    InvokeWorkflow,
    /// `plan`: an agent planning phase.
    Plan,
    /// A memory operation (`search_memory`, `create_memory`, ...), kept verbatim.
    Memory(&'static str),
    /// Any other operation name, kept verbatim (lower-cased).
    Other(String),
}

const MEMORY_OPS: [&str; 7] = [
    "search_memory",
    "create_memory",
    "update_memory",
    "upsert_memory",
    "delete_memory",
    "create_memory_store",
    "delete_memory_store",
];

impl Operation {
    /// Parses an operation name, accepting the semconv names case-insensitively and common
    /// aliases (`completion`, `embedding`, `chat_completion`, `tool`, `agent`, `workflow`).
    pub fn parse(name: &str) -> Operation {
        let mut buf = [0u8; 32];
        let lower = crate::value::ascii_lowercase(name.trim(), &mut buf);
        match &*lower {
            "chat" | "chat_completion" | "chat_completions" | "chat.completions" | "messages" => {
                Operation::Chat
            }
            "generate_content" => Operation::GenerateContent,
            "text_completion" | "completion" | "completions" => Operation::TextCompletion,
            "embeddings" | "embedding" | "embed" => Operation::Embeddings,
            "retrieval" | "retrieve" => Operation::Retrieval,
            "fetch_response" => Operation::FetchResponse,
            "create_agent" => Operation::CreateAgent,
            "invoke_agent" | "agent" => Operation::InvokeAgent,
            "execute_tool" | "tool" | "tool_call" => Operation::ExecuteTool,
            "invoke_workflow" | "workflow" => Operation::InvokeWorkflow,
            "plan" => Operation::Plan,
            other => match MEMORY_OPS.iter().find(|m| **m == other) {
                Some(m) => Operation::Memory(m),
                None => Operation::Other(lower.into_owned()),
            },
        }
    }

    /// The semconv value of `gen_ai.operation.name`.
    pub fn as_str(&self) -> &str {
        match self {
            Operation::Other(s) => s,
            known => known.static_str().unwrap_or_default(),
        }
    }

    /// The name as a `'static` string (every operation but [`Operation::Other`]).
    pub(crate) fn static_str(&self) -> Option<&'static str> {
        Some(match self {
            Operation::Chat => "chat",
            Operation::GenerateContent => "generate_content",
            Operation::TextCompletion => "text_completion",
            Operation::Embeddings => "embeddings",
            Operation::Retrieval => "retrieval",
            Operation::FetchResponse => "fetch_response",
            Operation::CreateAgent => "create_agent",
            Operation::InvokeAgent => "invoke_agent",
            Operation::ExecuteTool => "execute_tool",
            Operation::InvokeWorkflow => "invoke_workflow",
            Operation::Plan => "plan",
            Operation::Memory(m) => m,
            Operation::Other(_) => return None,
        })
    }

    /// Whether the registry knows this operation name.
    pub fn is_well_known(&self) -> bool {
        !matches!(self, Operation::Other(_))
    }

    /// Whether this is a model inference (chat, completion, generate_content).
    pub fn is_inference(&self) -> bool {
        matches!(
            self,
            Operation::Chat | Operation::GenerateContent | Operation::TextCompletion
        )
    }

    /// The span kind the registry gives this operation: `CLIENT` for calls to a remote model
    /// or service, `INTERNAL` for tools, workflows, planning and in-process agents.
    pub fn default_kind(&self) -> SpanKind {
        match self {
            Operation::ExecuteTool
            | Operation::InvokeWorkflow
            | Operation::Plan
            | Operation::InvokeAgent => SpanKind::Internal,
            _ => SpanKind::Client,
        }
    }
}

/// Request parameters (`gen_ai.request.*`).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Request {
    /// `gen_ai.request.model`.
    pub model: Option<String>,
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
    pub reasoning_level: Option<String>,
    /// `gen_ai.request.previous_response.id`.
    pub previous_response_id: Option<String>,
}

/// Response facts (`gen_ai.response.*`).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Response {
    /// `gen_ai.response.id`.
    pub id: Option<String>,
    /// `gen_ai.response.model`.
    pub model: Option<String>,
    /// `gen_ai.response.finish_reasons`.
    pub finish_reasons: Option<Vec<String>>,
    /// `gen_ai.response.time_to_first_chunk`, seconds.
    pub time_to_first_chunk: Option<f64>,
    /// `gen_ai.response.status`.
    pub status: Option<String>,
}

/// Token usage (`gen_ai.usage.*`). Counts are never negative.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Usage {
    /// `gen_ai.usage.input_tokens` (total input, including cached tokens).
    pub input_tokens: Option<u64>,
    /// `gen_ai.usage.output_tokens`.
    pub output_tokens: Option<u64>,
    /// `gen_ai.usage.cache_read.input_tokens`.
    pub cache_read_input_tokens: Option<u64>,
    /// `gen_ai.usage.cache_creation.input_tokens`.
    pub cache_creation_input_tokens: Option<u64>,
    /// `gen_ai.usage.reasoning.output_tokens`.
    pub reasoning_output_tokens: Option<u64>,
}

/// The agent a span invokes, creates or runs under (`gen_ai.agent.*`).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Agent {
    /// `gen_ai.agent.id`.
    pub id: Option<String>,
    /// `gen_ai.agent.name`.
    pub name: Option<String>,
    /// `gen_ai.agent.description`.
    pub description: Option<String>,
    /// `gen_ai.agent.version`.
    pub version: Option<String>,
}

/// The tool an `execute_tool` span runs (`gen_ai.tool.*`).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Tool {
    /// `gen_ai.tool.name`.
    pub name: Option<String>,
    /// `gen_ai.tool.call.id`.
    pub call_id: Option<String>,
    /// `gen_ai.tool.type` (`function`, `extension`, `datastore`).
    pub tool_type: Option<String>,
    /// `gen_ai.tool.description`.
    pub description: Option<String>,
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
    /// The state was changed while the span was not the current span (a stream, a response
    /// body, a helper called after the call returned): the span is exported as ending when it
    /// closes, not at its last exit (see `GenAiLayer::mark_end_now`).
    pub(crate) end_at_close: bool,
}

/// The typed GenAI state of one span, as seen by [`AttributeMapper`](crate::AttributeMapper)s.
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
    pub provider: Option<String>,
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
    pub workflow_name: Option<String>,
    /// `gen_ai.conversation.id`.
    pub conversation_id: Option<String>,
    /// `gen_ai.data_source.id`.
    pub data_source_id: Option<String>,
    /// `gen_ai.output.type`.
    pub output_type: Option<String>,
    /// `gen_ai.embeddings.dimension.count`.
    pub embeddings_dimension_count: Option<i64>,
    /// `server.address`.
    pub server_address: Option<String>,
    /// `server.port`.
    pub server_port: Option<i64>,
    /// `openai.*` and other provider-specific attributes already in their exported form.
    pub provider_attributes: Vec<KeyValue>,
    /// The failure, if the call failed.
    pub error: Option<ErrorInfo>,
    /// Span events the layer will add (exceptions, retries, stream milestones).
    pub events: Vec<SpanEvent>,
    /// Ordinary fields, in first-recorded order, each name once (last value wins).
    pub fields: Vec<(&'static str, FieldValue)>,
    /// Problems found in the span's input (a NaN temperature, a negative token count, ...).
    /// Exported as `tracing_genai.diagnostics`.
    pub diagnostics: Vec<String>,
    /// When the layer first saw the span.
    pub started: Instant,
    pub(crate) otel: OtelOverrides,
    pub(crate) accounting: crate::rollup::SpanAccounting,
    /// Message content, kept only when content capture is on (see [`crate::content`]).
    pub(crate) content: Option<Box<crate::content::SpanContent>>,
    pub(crate) span_name: &'static str,
    pub(crate) target: &'static str,
    /// The span's callsite fields, resolved once per callsite by the layer.
    pub(crate) resolved: Option<std::sync::Arc<crate::callsite::CallsiteFields>>,
}

impl GenAiSpan {
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
            accounting: Default::default(),
            content: None,
            span_name,
            target,
            resolved: None,
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
        let Some(op) = &self.operation else {
            return self.span_name.to_string();
        };
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
        let op = op.as_str();
        match detail {
            Some(d) if !d.is_empty() => {
                let mut name = String::with_capacity(op.len() + 1 + d.len());
                name.push_str(op);
                name.push(' ');
                name.push_str(d);
                name
            }
            _ => op.to_string(),
        }
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

    /// Records a failure; the first recorded `error.type` that is not `_OTHER` wins, the latest
    /// message wins.
    pub(crate) fn set_error(&mut self, error_type: Option<String>, message: Option<String>) {
        let other = crate::semconv::ERROR_TYPE_OTHER;
        match &mut self.error {
            Some(existing) => {
                if let Some(t) = error_type {
                    if existing.error_type == other {
                        existing.error_type = t;
                    }
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
        let u = &self.usage;
        let big = |v: Option<u64>| v.is_some_and(|v| v > i64::MAX as u64);
        if !(big(u.input_tokens)
            || big(u.output_tokens)
            || big(u.cache_read_input_tokens)
            || big(u.cache_creation_input_tokens)
            || big(u.reasoning_output_tokens))
        {
            return;
        }
        let too_big: Vec<&'static str> = [
            (crate::semconv::GEN_AI_USAGE_INPUT_TOKENS, u.input_tokens),
            (crate::semconv::GEN_AI_USAGE_OUTPUT_TOKENS, u.output_tokens),
            (
                crate::semconv::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
                u.cache_read_input_tokens,
            ),
            (
                crate::semconv::GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
                u.cache_creation_input_tokens,
            ),
            (
                crate::semconv::GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
                u.reasoning_output_tokens,
            ),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_some_and(|v| i64::try_from(v).is_err()))
        .map(|(k, _)| k)
        .collect();
        for key in too_big {
            self.diagnose(format!(
                "{key}: above {} exported as {}",
                i64::MAX,
                i64::MAX
            ));
        }
    }

    pub(crate) fn diagnose(&mut self, message: String) {
        // Bounded: a span that records garbage in a loop must not grow without limit.
        if self.diagnostics.len() < 16 && !self.diagnostics.contains(&message) {
            self.diagnostics.push(message);
        }
    }
}
