//! MCP over rmcp (feature `rmcp`): a real rmcp client ([`TracedClient`]) and server
//! ([`TracedServer`]) talking over an in-process duplex stream, through the GenAI layer: span
//! names, kinds, attributes and their registry types, client/server parent links in one trace
//! under the agent span, JSON-RPC and tool errors, and the duration histograms.

use std::sync::Arc;

use opentelemetry::Value;
use opentelemetry::trace::{SpanKind, TraceId};
use opentelemetry_sdk::trace::SpanData;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ClientRequest, ContentBlock,
    CustomRequest, ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, ResourceContents, ServerCapabilities, ServerConfig,
    Tool,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, ServerHandler, ServiceError, ServiceExt};
use tracing::Instrument;
use tracing_genai::content::ContentCapture;
use tracing_genai::mcp::{TracedClient, TracedServer};
use tracing_genai::semconv as sc;

use crate::support::*;

/// The server under test: tools `add` (sums `a` and `b`) and `fail` (a tool error), and one
/// text resource.
#[derive(Clone)]
pub(crate) struct Tools;

fn tool(name: &'static str) -> Tool {
    let schema: serde_json::Map<String, serde_json::Value> =
        serde_json::from_value(serde_json::json!({"type": "object"})).unwrap();
    Tool::new(name, "test tool", Arc::new(schema))
}

impl ServerHandler for Tools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(vec![
            tool("add"),
            tool("fail"),
        ]))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let arg = |k: &str| {
            request
                .arguments
                .as_ref()
                .and_then(|a| a.get(k))
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(0)
        };
        match request.name.as_ref() {
            "add" => Ok(CallToolResponse::Complete(CallToolResult::success(vec![
                ContentBlock::text((arg("a") + arg("b")).to_string()),
            ]))),
            "fail" => Ok(CallToolResponse::Complete(CallToolResult::error(vec![
                ContentBlock::text("division by zero"),
            ]))),
            other => Err(ErrorData::invalid_params(
                format!("unknown tool {other}"),
                None,
            )),
        }
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        Ok(ReadResourceResult::new(vec![ResourceContents::text("hello", request.uri)]).into())
    }
}

pub(crate) fn args(a: i64, b: i64) -> serde_json::Map<String, serde_json::Value> {
    serde_json::from_value(serde_json::json!({"a": a, "b": b})).unwrap()
}

/// What the client saw of each call.
#[derive(Debug, Default)]
struct Seen {
    tools: usize,
    sum: String,
    tool_error: Option<bool>,
    unknown_tool: Option<i32>,
    unknown_method: Option<i32>,
    resource: String,
}

fn rpc_code(result: Result<impl std::fmt::Debug, ServiceError>) -> Option<i32> {
    match result {
        Err(ServiceError::McpError(e)) => Some(e.code.0),
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
}

/// Runs the whole conversation inside an `invoke_agent` span; returns the harness (spans and
/// metrics) and what the client saw.
fn converse(content: ContentCapture, trace_context: bool) -> (Harness, Seen) {
    let h = Harness::builder().content(content).metrics(true).build();
    let meter = h.meter();
    let seen = h.run_async(|| async move {
        let (client_io, server_io) = tokio::io::duplex(1 << 16);
        let server_meter = meter.clone();
        let server = tokio::spawn(async move {
            let running = TracedServer::new(Tools)
                .with_meter(&server_meter)
                .serve(server_io)
                .await
                .unwrap();
            running.waiting().await.unwrap();
        });
        let running = ().serve(client_io).await.unwrap();
        let client = TracedClient::new(running.peer().clone())
            .with_meter(&meter)
            .with_trace_context(trace_context);
        let agent = tracing::info_span!(
            "agent",
            gen_ai.operation.name = "invoke_agent",
            gen_ai.agent.name = "planner",
        );
        let seen = async {
            let mut seen = Seen {
                tools: client.list_tools(None).await.unwrap().tools.len(),
                ..Seen::default()
            };
            let sum = client
                .call_tool(CallToolRequestParams::new("add").with_arguments(args(1, 2)))
                .await
                .unwrap();
            seen.sum = format!("{:?}", sum.content);
            let fail = client
                .call_tool(CallToolRequestParams::new("fail"))
                .await
                .unwrap();
            seen.tool_error = fail.is_error;
            seen.unknown_tool =
                rpc_code(client.call_tool(CallToolRequestParams::new("nope")).await);
            seen.unknown_method = rpc_code(
                client
                    .send_request(ClientRequest::CustomRequest(CustomRequest::new(
                        "x/unknown",
                        None,
                    )))
                    .await,
            );
            let read = client
                .read_resource(ReadResourceRequestParams::new("file:///notes.txt"))
                .await
                .unwrap();
            seen.resource = format!("{:?}", read.contents);
            seen
        }
        .instrument(agent)
        .await;
        running.cancel().await.unwrap();
        server.await.unwrap();
        seen
    });
    (h, seen)
}

fn mcp_spans(spans: &[SpanData], kind: SpanKind) -> Vec<&SpanData> {
    spans
        .iter()
        .filter(|s| s.span_kind == kind && has(s, sc::MCP_METHOD_NAME))
        .collect()
}

fn pair<'a>(spans: &'a [SpanData], name: &str) -> (&'a SpanData, &'a SpanData) {
    let of = |kind: SpanKind| {
        let found: Vec<&SpanData> = spans
            .iter()
            .filter(|s| s.name == name && s.span_kind == kind)
            .collect();
        assert_eq!(found.len(), 1, "{name} {kind:?}: {:?}", names(spans));
        found[0]
    };
    (of(SpanKind::Client), of(SpanKind::Server))
}

#[test]
fn mcp_client_and_server_spans_share_one_trace_under_the_agent() {
    let (h, seen) = converse(ContentCapture::SpanOnly, true);
    assert_eq!(seen.tools, 2);
    assert!(seen.sum.contains('3'), "{}", seen.sum);
    assert_eq!(seen.tool_error, Some(true));
    assert_eq!(seen.unknown_tool, Some(-32602));
    assert_eq!(seen.unknown_method, Some(-32601));
    assert!(seen.resource.contains("hello"), "{}", seen.resource);

    let spans = h.spans();
    let agent = find(&spans, "invoke_agent planner");
    let trace: TraceId = agent.span_context.trace_id();
    let clients = mcp_spans(&spans, SpanKind::Client);
    let servers = mcp_spans(&spans, SpanKind::Server);
    assert_eq!(clients.len(), 6, "{:?}", names(&spans));
    // The server also handled `initialize` and `notifications/initialized` (sent by rmcp
    // inside `serve`, outside the agent).
    assert_eq!(servers.len(), 8, "{:?}", names(&spans));
    for client in &clients {
        assert_eq!(client.span_context.trace_id(), trace, "{}", client.name);
        assert_eq!(
            client.parent_span_id,
            agent.span_context.span_id(),
            "{}",
            client.name
        );
    }
    for name in [
        "tools/list",
        "tools/call add",
        "tools/call fail",
        "tools/call nope",
        "x/unknown",
        "resources/read",
    ] {
        let (client, server) = pair(&spans, name);
        assert_eq!(server.span_context.trace_id(), trace, "{name}");
        assert_eq!(
            server.parent_span_id,
            client.span_context.span_id(),
            "{name}"
        );
        for span in [client, server] {
            assert_unique_keys(span);
            assert!(
                diagnostics(span).is_empty(),
                "{name}: {:?}",
                diagnostics(span)
            );
            let method = str_attr(span, sc::MCP_METHOD_NAME);
            assert!(name.starts_with(&method), "{name}: {method}");
            assert!(!str_attr(span, sc::JSONRPC_REQUEST_ID).is_empty(), "{name}");
            assert!(
                !str_attr(span, sc::MCP_PROTOCOL_VERSION).is_empty(),
                "{name}"
            );
            assert_eq!(str_attr(span, sc::NETWORK_TRANSPORT), "pipe", "{name}");
        }
        assert_eq!(
            str_attr(client, sc::JSONRPC_REQUEST_ID),
            str_attr(server, sc::JSONRPC_REQUEST_ID),
            "{name}"
        );
    }
    let initialize = find(&spans, "initialize");
    assert_eq!(initialize.span_kind, SpanKind::Server);
    assert_unique_keys(initialize);
    assert_eq!(str_attr(initialize, sc::MCP_METHOD_NAME), "initialize");
    // The negotiated version, the one every later span reports.
    assert_eq!(
        str_attr(initialize, sc::MCP_PROTOCOL_VERSION),
        str_attr(pair(&spans, "tools/list").1, sc::MCP_PROTOCOL_VERSION)
    );

    // tools/call: execute_tool with the tool name and, with capture on, arguments and result.
    let (client, server) = pair(&spans, "tools/call add");
    for span in [client, server] {
        assert_eq!(str_attr(span, sc::GEN_AI_OPERATION_NAME), "execute_tool");
        assert_eq!(str_attr(span, sc::GEN_AI_TOOL_NAME), "add");
        let arguments = str_attr(span, sc::GEN_AI_TOOL_CALL_ARGUMENTS);
        let arguments: serde_json::Value = serde_json::from_str(&arguments).unwrap();
        assert_eq!(arguments, serde_json::json!({"a": 1, "b": 2}));
        assert!(str_attr(span, sc::GEN_AI_TOOL_CALL_RESULT).contains('3'));
        assert!(!is_error(span));
        assert!(!has(span, sc::ERROR_TYPE));
    }
    // A tool result with isError: true.
    let (client, server) = pair(&spans, "tools/call fail");
    for span in [client, server] {
        assert_eq!(str_attr(span, sc::ERROR_TYPE), sc::ERROR_TYPE_TOOL_ERROR);
        assert!(is_error(span));
        assert!(!has(span, sc::RPC_RESPONSE_STATUS_CODE));
    }
    // JSON-RPC errors: the code as error.type and rpc.response.status_code.
    for (name, code) in [("tools/call nope", "-32602"), ("x/unknown", "-32601")] {
        let (client, server) = pair(&spans, name);
        for span in [client, server] {
            assert_eq!(str_attr(span, sc::ERROR_TYPE), code, "{name}");
            assert_eq!(str_attr(span, sc::RPC_RESPONSE_STATUS_CODE), code, "{name}");
            assert!(is_error(span), "{name}");
        }
    }
    // Other methods are no GenAI operation.
    let (client, server) = pair(&spans, "resources/read");
    for span in [client, server] {
        assert_eq!(str_attr(span, sc::MCP_RESOURCE_URI), "file:///notes.txt");
        assert!(!has(span, sc::GEN_AI_OPERATION_NAME));
        assert!(!is_error(span));
    }
    let (list, _) = pair(&spans, "tools/list");
    assert!(!has(list, sc::GEN_AI_OPERATION_NAME));
    assert!(!has(list, sc::GEN_AI_TOOL_NAME));

    // Types: mcp.* and gen_ai.* against the vendored registries; the general-registry keys are
    // strings.
    let checked = registry::check_types(&spans, registry::cached());
    assert!(checked >= 40, "only {checked} attributes checked");
    for span in clients.iter().chain(&servers) {
        for key in [
            sc::JSONRPC_REQUEST_ID,
            sc::RPC_RESPONSE_STATUS_CODE,
            sc::NETWORK_TRANSPORT,
        ] {
            if let Some(v) = attr(span, key) {
                assert!(
                    matches!(v, Value::String(_)),
                    "{key} on {}: {v:?}",
                    span.name
                );
            }
        }
        let method = str_attr(span, sc::MCP_METHOD_NAME);
        if method != "x/unknown" {
            let members = &registry::cached().mcp[sc::MCP_METHOD_NAME].members;
            assert!(members.contains(&method), "{method}");
        }
    }

    // Metrics: one client point per call, server points with the same attributes.
    let client = h.metric(sc::METRIC_MCP_CLIENT_OPERATION_DURATION);
    assert_eq!(client.unit, "s");
    assert_eq!(client.kind, "histogram");
    let add = client.point(&[
        (sc::MCP_METHOD_NAME, "tools/call"),
        (sc::GEN_AI_TOOL_NAME, "add"),
    ]);
    assert_eq!(add.count, 1);
    assert_eq!(
        add.attrs.get(sc::GEN_AI_OPERATION_NAME).map(String::as_str),
        Some("execute_tool")
    );
    assert!(!add.attrs.contains_key(sc::ERROR_TYPE));
    let fail = client.point(&[(sc::GEN_AI_TOOL_NAME, "fail")]);
    assert_eq!(
        fail.attrs.get(sc::ERROR_TYPE).map(String::as_str),
        Some("tool_error")
    );
    let unknown = client.point(&[(sc::MCP_METHOD_NAME, "x/unknown")]);
    assert_eq!(
        unknown.attrs.get(sc::ERROR_TYPE).map(String::as_str),
        Some("-32601")
    );
    assert_eq!(client.points.iter().map(|p| p.count).sum::<u64>(), 6);
    let server = h.metric(sc::METRIC_MCP_SERVER_OPERATION_DURATION);
    assert_eq!(server.points.iter().map(|p| p.count).sum::<u64>(), 8);
    server.point(&[(sc::MCP_METHOD_NAME, "resources/read")]);
    let session = h.metric(sc::METRIC_MCP_SERVER_SESSION_DURATION);
    assert_eq!(session.unit, "s");
    assert_eq!(session.points.iter().map(|p| p.count).sum::<u64>(), 1);
}

#[test]
fn mcp_content_only_with_capture_and_trace_context_opt_out() {
    let (h, _) = converse(ContentCapture::NoContent, false);
    let spans = h.spans();
    let (client, server) = pair(&spans, "tools/call add");
    for span in [client, server] {
        assert!(!has(span, sc::GEN_AI_TOOL_CALL_ARGUMENTS));
        assert!(!has(span, sc::GEN_AI_TOOL_CALL_RESULT));
        assert_eq!(str_attr(span, sc::GEN_AI_TOOL_NAME), "add");
    }
    // Without the trace context the server span starts its own trace.
    assert_ne!(
        server.span_context.trace_id(),
        client.span_context.trace_id()
    );
    assert_ne!(server.parent_span_id, client.span_context.span_id());
}
