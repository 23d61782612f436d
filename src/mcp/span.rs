//! The `mcp.client` / `mcp.server` span of one request: creation (name, kind, attributes),
//! content, and the outcome (JSON-RPC error, tool error).

use serde_json::Value;
use tracing::field::Empty;

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
    /// `network.transport`, `network.protocol.name`, `network.protocol.version`.
    pub(crate) network: Network,
}

/// The `network.*` attributes of a transport (`mcp.network.protocol.attributes`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Network {
    /// `network.transport`: `pipe` (stdio) or `tcp` (HTTP).
    pub(crate) transport: Option<&'static str>,
    /// `network.protocol.name`: `http` over streamable HTTP.
    pub(crate) protocol: Option<&'static str>,
    /// `network.protocol.version`: `1.1`, `2`, ... (known on the server from the request).
    pub(crate) version: Option<&'static str>,
}

impl Network {
    /// stdio (or any byte stream): `network.transport = pipe`.
    pub(crate) const PIPE: Network = Network {
        transport: Some(sc::NETWORK_TRANSPORT_PIPE),
        protocol: None,
        version: None,
    };

    /// Streamable HTTP: `network.transport = tcp`, `network.protocol.name = http`.
    pub(crate) const HTTP: Network = Network {
        transport: Some(sc::NETWORK_TRANSPORT_TCP),
        protocol: Some(sc::NETWORK_PROTOCOL_NAME_HTTP),
        version: None,
    };

    /// The attributes as key-value pairs, for the histograms.
    pub(crate) fn key_values(&self) -> impl Iterator<Item = (&'static str, &'static str)> {
        [
            (sc::NETWORK_TRANSPORT, self.transport),
            (sc::NETWORK_PROTOCOL_NAME, self.protocol),
            (sc::NETWORK_PROTOCOL_VERSION, self.version),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
    }
}

/// Creates the span of a request, a child of the current span (call
/// [`set_parent`](tracing_opentelemetry::OpenTelemetrySpanExt::set_parent) before entering it
/// to give it a remote parent instead). A tool call is an `execute_tool` GenAI span (the GenAI
/// layer owns it: content, `error.type`); other requests are plain spans for
/// tracing-opentelemetry (the conventions say not to set `gen_ai.operation.name` on them).
/// Both declare the MCP attributes as fields, recorded with [`set`].
pub(crate) fn start(side: Side, facts: &RequestFacts, cx: &Context) -> tracing::Span {
    let name = facts.span_name();
    let kind = side.kind();
    let method = facts.method.as_str();
    let span = if facts.is_tool_call() {
        let tool = facts.tool.as_deref().unwrap_or_default();
        tracing::info_span!(
            target: "tracing_genai::mcp",
            "mcp",
            gen_ai.operation.name = "execute_tool",
            gen_ai.tool.name = tool,
            otel.name = name.as_str(),
            otel.kind = kind,
            mcp.method.name = method,
            mcp.resource.uri = Empty,
            gen_ai.prompt.name = Empty,
            jsonrpc.request.id = Empty,
            mcp.session.id = Empty,
            mcp.protocol.version = Empty,
            network.transport = Empty,
            network.protocol.name = Empty,
            network.protocol.version = Empty,
            rpc.response.status_code = Empty,
        )
    } else {
        tracing::info_span!(
            target: "tracing_genai::mcp",
            "mcp",
            otel.name = name.as_str(),
            otel.kind = kind,
            mcp.method.name = method,
            mcp.resource.uri = Empty,
            gen_ai.prompt.name = Empty,
            jsonrpc.request.id = Empty,
            mcp.session.id = Empty,
            mcp.protocol.version = Empty,
            network.transport = Empty,
            network.protocol.name = Empty,
            network.protocol.version = Empty,
            rpc.response.status_code = Empty,
            error.type = Empty,
            otel.status_code = Empty,
            otel.status_description = Empty,
        )
    };
    set(&span, sc::MCP_RESOURCE_URI, facts.resource_uri.as_deref());
    set(&span, sc::GEN_AI_PROMPT_NAME, facts.prompt.as_deref());
    set(&span, sc::JSONRPC_REQUEST_ID, cx.request_id.as_deref());
    set(&span, sc::MCP_SESSION_ID, cx.session_id.as_deref());
    set(
        &span,
        sc::MCP_PROTOCOL_VERSION,
        cx.protocol_version.as_deref(),
    );
    for (key, value) in cx.network.key_values() {
        span.record(key, value);
    }
    if let Some(arguments) = &facts.arguments {
        span.record_tool_call_arguments(arguments);
    }
    span
}

/// Records a string attribute declared by [`start`] (nothing for `None`).
pub(crate) fn set(span: &tracing::Span, key: &'static str, value: Option<&str>) {
    if let Some(value) = value {
        span.record(key, value);
    }
}

/// Marks the span failed with `error.type`: through the GenAI layer for a tool call, else
/// with the `otel.status_*` fields tracing-opentelemetry understands.
fn fail(span: &tracing::Span, error_type: &str, message: Option<&str>) {
    if !span.record_error_type(error_type, message) {
        span.record(sc::ERROR_TYPE, error_type);
        span.record(sc::OTEL_STATUS_CODE, "error");
        if let Some(message) = message {
            span.record(sc::OTEL_STATUS_DESCRIPTION, message);
        }
    }
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
        fail(span, sc::ERROR_TYPE_TOOL_ERROR, None);
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
    span.record(sc::RPC_RESPONSE_STATUS_CODE, code.as_str());
    fail(span, &code, Some(message));
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
    fail(span, error_type, Some(&error.to_string()));
    Outcome {
        error_type: Some(error_type.to_string()),
    }
}
