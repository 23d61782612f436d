//! [`Operation`]: what kind of GenAI call a span is (`gen_ai.operation.name`).

use opentelemetry::trace::SpanKind;

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
        let lower = super::text::ascii_lowercase(name.trim(), &mut buf);
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
