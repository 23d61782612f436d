//! The `mcp.client` / `mcp.server` span of one request: creation (name, kind, attributes),
//! content, and the outcome (JSON-RPC error, tool error).

use opentelemetry::KeyValue;
use serde_json::Value;

use super::request::{RequestFacts, is_tool_error};
use crate::GenAiSpanExt;
use crate::semconv as sc;

/// Which side of the protocol a span describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// `mcp.client`: kind `CLIENT`.
    Client,
    /// `mcp.server`: kind `SERVER`.
    Server,
}

impl Side {
    fn kind(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
}

/// Per-request facts known besides the request itself.
#[derive(Debug, Clone, Default)]
pub(crate) struct Context {
    /// `jsonrpc.request.id`.
    pub(crate) request_id: Option<String>,
    /// `mcp.session.id`.
    pub(crate) session_id: Option<String>,
    /// `mcp.protocol.version`.
    pub(crate) protocol_version: Option<String>,
    /// `network.transport`.
    pub(crate) transport: Option<&'static str>,
}

/// Creates the span of a request, a child of the current span (call
/// [`set_parent`](tracing_opentelemetry::OpenTelemetrySpanExt::set_parent) before entering it
/// to give it a remote parent instead). Tool calls are `execute_tool` GenAI spans; other
/// requests declare `gen_ai.operation.name` empty, so the GenAI layer still owns them but
/// exports no operation.
pub(crate) fn start(side: Side, facts: &RequestFacts, cx: &Context) -> tracing::Span {
    let name = facts.span_name();
    let kind = side.kind();
    let span = if facts.is_tool_call() {
        let tool = facts.tool.as_deref().unwrap_or_default();
        tracing::info_span!(
            target: "tracing_genai::mcp",
            "mcp",
            gen_ai.operation.name = "execute_tool",
            gen_ai.tool.name = tool,
            otel.name = name.as_str(),
            otel.kind = kind,
        )
    } else {
        tracing::info_span!(
            target: "tracing_genai::mcp",
            "mcp",
            gen_ai.operation.name = tracing::field::Empty,
            otel.name = name.as_str(),
            otel.kind = kind,
        )
    };
    span.with_genai_state(|s| {
        let mut put = |key: &'static str, value: Option<String>| {
            if let Some(v) = value {
                s.provider_attributes.push(KeyValue::new(key, v));
            }
        };
        put(sc::MCP_METHOD_NAME, Some(facts.method.clone()));
        put(sc::MCP_RESOURCE_URI, facts.resource_uri.clone());
        put(sc::GEN_AI_PROMPT_NAME, facts.prompt.clone());
        put(sc::JSONRPC_REQUEST_ID, cx.request_id.clone());
        put(sc::MCP_SESSION_ID, cx.session_id.clone());
        put(sc::MCP_PROTOCOL_VERSION, cx.protocol_version.clone());
        put(sc::NETWORK_TRANSPORT, cx.transport.map(str::to_string));
    });
    if let Some(arguments) = &facts.arguments {
        span.record_tool_call_arguments(arguments);
    }
    span
}

/// The outcome of a request, for the span and the duration metric.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Outcome {
    /// `error.type`, if the request failed.
    pub(crate) error_type: Option<String>,
}

/// Records a successful response (`result` as JSON): the tool result as content, and
/// `error.type = tool_error` for a tool result with `isError: true`.
pub(crate) fn record_result(span: &tracing::Span, facts: &RequestFacts, result: &Value) -> Outcome {
    if !facts.is_tool_call() {
        return Outcome::default();
    }
    span.record_tool_call_result(result);
    if is_tool_error(result) {
        span.record_error_type(sc::ERROR_TYPE_TOOL_ERROR, None);
        return Outcome {
            error_type: Some(sc::ERROR_TYPE_TOOL_ERROR.to_string()),
        };
    }
    Outcome::default()
}

/// Records a JSON-RPC error response: `rpc.response.status_code` and `error.type` are the
/// error code.
pub(crate) fn record_rpc_error(span: &tracing::Span, code: i32, message: &str) -> Outcome {
    let code = code.to_string();
    span.with_genai_state(|s| {
        s.provider_attributes
            .push(KeyValue::new(sc::RPC_RESPONSE_STATUS_CODE, code.clone()));
    });
    span.record_error_type(&code, Some(message));
    Outcome {
        error_type: Some(code),
    }
}

/// Records a failure that is not a JSON-RPC error (transport closed, timeout, cancelled).
pub(crate) fn record_failure<E: std::error::Error + 'static>(
    span: &tracing::Span,
    error_type: &str,
    error: &E,
) -> Outcome {
    span.record_error_type(error_type, Some(&error.to_string()));
    Outcome {
        error_type: Some(error_type.to_string()),
    }
}
