//! Run with: cargo run --example mcp_tools --features rmcp
//!
//! An agent calls a tool over the Model Context Protocol: an `invoke_agent` span, inside it
//! `tools/list` and `tools/call get_weather` as `mcp.client` spans ([`TracedClient`](tracing_genai::mcp::TracedClient), made by
//! [`TracedClientService`]), each
//! with its `mcp.server` span from the in-process rmcp server ([`TracedServer`]) as a child,
//! in one trace: the client puts the W3C trace context into `params._meta`, the server takes
//! it out. Offline: the server runs on a duplex stream in the same process.
//!
//! Exported through `tracing_genai::setup()` like every example (default: OTLP/HTTP to
//! http://localhost:4318; `docker compose up -d` starts Jaeger, UI at http://localhost:16686).
//! Without Docker: `OTEL_TRACES_EXPORTER=console cargo run --example mcp_tools --features rmcp`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, ServerHandler, ServiceExt};
use tracing::Instrument;
use tracing_genai::mcp::{TracedClientService, TracedServer};

/// The MCP server: one tool, `get_weather`.
#[derive(Clone)]
struct Weather;

impl ServerHandler for Weather {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {"city": {"type": "string"}},
        });
        let schema = serde_json::from_value(schema).unwrap();
        Ok(ListToolsResult::with_all_items(vec![Tool::new(
            "get_weather",
            "The weather in a city",
            Arc::new(schema),
        )]))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let city = request
            .arguments
            .as_ref()
            .and_then(|a| a.get("city"))
            .and_then(|c| c.as_str())
            .unwrap_or("nowhere")
            .to_string();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        Ok(CallToolResponse::Complete(CallToolResult::success(vec![
            ContentBlock::text(format!("18°C and sunny in {city}")),
        ])))
    }
}

#[tokio::main]
async fn main() {
    let telemetry = common::start("mcp-tools", |config| config);

    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    let server = tokio::spawn(async move {
        let running = TracedServer::new(Weather).serve(server_io).await.unwrap();
        running.waiting().await.unwrap();
    });
    // The client's service records `mcp.client.session.duration` when the session ends.
    let running = TracedClientService::new(()).serve(client_io).await.unwrap();
    let client = running.service().client(running.peer().clone());

    let agent = tracing_genai::agent_span!("travel_planner");
    async {
        let tools = client.list_tools(None).await.unwrap();
        println!(
            "tools: {:?}",
            tools.tools.iter().map(|t| &t.name).collect::<Vec<_>>()
        );
        let mut args = serde_json::Map::new();
        args.insert("city".into(), "Paris".into());
        let result = client
            .call_tool(CallToolRequestParams::new("get_weather").with_arguments(args))
            .await
            .unwrap();
        println!("tool result: {:?}", result.content);
    }
    .instrument(agent)
    .await;

    running.cancel().await.unwrap();
    server.await.unwrap();
    common::finish(telemetry);
}
