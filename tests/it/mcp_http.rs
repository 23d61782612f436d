//! MCP over rmcp's streamable HTTP transport on loopback: a real rmcp client
//! (`StreamableHttpClientTransport` over reqwest) and server (`StreamableHttpService` served by
//! axum on 127.0.0.1, an ephemeral port, one [`TracedServer`] per session from the factory).
//! Trace context across HTTP, `network.*`, `mcp.session.id` from `Mcp-Session-Id`, and the
//! client and server session histograms.

use std::time::{Duration, Instant};

use opentelemetry::trace::SpanKind;
use opentelemetry_sdk::trace::SpanData;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ReadResourceRequestParams};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tracing::Instrument;
use tracing_genai::content::ContentCapture;
use tracing_genai::mcp::{TracedClientService, TracedServer};
use tracing_genai::semconv as sc;

use crate::mcp::{Tools, args};
use crate::support::*;

/// The metric's total count (0 when it was never recorded).
fn total(h: &Harness, name: &str) -> u64 {
    h.collect_metrics()
        .into_iter()
        .find(|m| m.name == name)
        .map_or(0, |m| m.points.iter().map(|p| p.count).sum())
}

fn spans_named<'a>(spans: &'a [SpanData], name: &str, kind: SpanKind) -> Vec<&'a SpanData> {
    spans
        .iter()
        .filter(|s| s.name == name && s.span_kind == kind)
        .collect()
}

#[test]
fn mcp_over_streamable_http_one_trace_session_id_and_session_durations() {
    let h = Harness::builder()
        .content(ContentCapture::SpanOnly)
        .metrics(true)
        .build();
    let meter = h.meter();
    let server_meter = meter.clone();
    let sums = h.run_async(|| async {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let service: StreamableHttpService<TracedServer<Tools>, LocalSessionManager> =
            StreamableHttpService::new(
                move || Ok(TracedServer::new(Tools).with_meter(&server_meter)),
                Default::default(),
                StreamableHttpServerConfig::default().with_sse_keep_alive(None),
            );
        let router = axum::Router::new().nest_service("/mcp", service);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });

        let service = TracedClientService::new(())
            .with_meter(&meter)
            .over_streamable_http();
        let transport = StreamableHttpClientTransport::with_client(
            service.streamable_http_client(reqwest::Client::new()),
            StreamableHttpClientTransportConfig::with_uri(format!("http://{addr}/mcp")),
        );
        let running = service.serve(transport).await.unwrap();
        let client = running.service().client(running.peer().clone());
        let agent = tracing::info_span!(
            "agent",
            gen_ai.operation.name = "invoke_agent",
            gen_ai.agent.name = "planner",
        );
        let sums = async {
            let mut sums = Vec::new();
            for (a, b) in [(1, 2), (20, 22)] {
                let result = client
                    .call_tool(CallToolRequestParams::new("add").with_arguments(args(a, b)))
                    .await
                    .unwrap();
                sums.push(format!("{:?}", result.content));
            }
            let read = client
                .read_resource(ReadResourceRequestParams::new("file:///notes.txt"))
                .await
                .unwrap();
            sums.push(format!("{:?}", read.contents));
            sums
        }
        .instrument(agent)
        .await;
        assert_eq!(
            total(&h, sc::METRIC_MCP_CLIENT_SESSION_DURATION),
            0,
            "the session is still running"
        );
        // Ends the client's session: the client deletes it on the server, whose handler for
        // the session is dropped when its serving task ends.
        running.cancel().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while total(&h, sc::METRIC_MCP_SERVER_SESSION_DURATION) == 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = stop.send(());
        server.await.unwrap();
        sums
    });
    assert!(sums[0].contains('3'), "{sums:?}");
    assert!(sums[1].contains("42"), "{sums:?}");
    assert!(sums[2].contains("hello"), "{sums:?}");

    let spans = h.spans();
    let agent = find(&spans, "invoke_agent planner");
    let trace = agent.span_context.trace_id();
    let clients = spans_named(&spans, "tools/call add", SpanKind::Client);
    let servers = spans_named(&spans, "tools/call add", SpanKind::Server);
    assert_eq!(
        (clients.len(), servers.len()),
        (2, 2),
        "{:?}",
        names(&spans)
    );
    let mut pairs = Vec::new();
    for server in servers {
        // Each server span is the child of exactly one client span, all in the agent's trace.
        let client = clients
            .iter()
            .find(|c| c.span_context.span_id() == server.parent_span_id)
            .unwrap_or_else(|| panic!("server span without its client parent: {server:?}"));
        pairs.push((*client, server));
    }
    let read = (
        find_kind(&spans, "resources/read", SpanKind::Client),
        find_kind(&spans, "resources/read", SpanKind::Server),
    );
    assert_eq!(read.1.parent_span_id, read.0.span_context.span_id());
    pairs.push(read);
    assert_ne!(pairs[0].0.span_context, pairs[1].0.span_context);

    let session = str_attr(pairs[0].1, sc::MCP_SESSION_ID);
    assert!(!session.is_empty());
    for (client, server) in &pairs {
        assert_eq!(client.parent_span_id, agent.span_context.span_id());
        for span in [client, server] {
            assert_eq!(span.span_context.trace_id(), trace, "{}", span.name);
            assert_unique_keys(span);
            assert_eq!(str_attr(span, sc::NETWORK_TRANSPORT), "tcp");
            assert_eq!(str_attr(span, sc::NETWORK_PROTOCOL_NAME), "http");
            assert!(!str_attr(span, sc::MCP_PROTOCOL_VERSION).is_empty());
            // One session: the server's `Mcp-Session-Id`, on both sides.
            assert_eq!(str_attr(span, sc::MCP_SESSION_ID), session, "{}", span.name);
        }
        assert_eq!(str_attr(server, sc::NETWORK_PROTOCOL_VERSION), "1.1");
        assert_eq!(
            str_attr(client, sc::JSONRPC_REQUEST_ID),
            str_attr(server, sc::JSONRPC_REQUEST_ID)
        );
    }
    // `initialize` opens the session: the server knows no session id yet.
    let initialize = find_kind(&spans, "initialize", SpanKind::Server);
    assert!(!has(initialize, sc::MCP_SESSION_ID));
    assert_eq!(str_attr(initialize, sc::NETWORK_TRANSPORT), "tcp");
    let checked = registry::check_types(&spans, registry::cached());
    assert!(checked >= 20, "only {checked} attributes checked");

    // Operation histograms carry the network attributes.
    let ops = h.metric(sc::METRIC_MCP_CLIENT_OPERATION_DURATION);
    let add = ops.point(&[
        (sc::GEN_AI_TOOL_NAME, "add"),
        (sc::NETWORK_TRANSPORT, "tcp"),
        (sc::NETWORK_PROTOCOL_NAME, "http"),
    ]);
    assert_eq!(add.count, 2);
    assert!(
        !add.attrs.contains_key(sc::MCP_SESSION_ID),
        "high cardinality"
    );

    // One session on each side, ended by the client's cancel.
    for name in [
        sc::METRIC_MCP_CLIENT_SESSION_DURATION,
        sc::METRIC_MCP_SERVER_SESSION_DURATION,
    ] {
        let metric = h.metric(name);
        assert_eq!(metric.unit, "s", "{name}");
        assert_eq!(metric.kind, "histogram", "{name}");
        assert_eq!(metric.points.len(), 1, "{name}: {:?}", metric.points);
        let point = &metric.points[0];
        assert_eq!(point.count, 1, "{name}");
        assert!(point.sum > 0.0, "{name}");
        assert_eq!(
            point.attrs.get(sc::NETWORK_TRANSPORT).map(String::as_str),
            Some("tcp"),
            "{name}"
        );
        assert_eq!(
            point
                .attrs
                .get(sc::NETWORK_PROTOCOL_NAME)
                .map(String::as_str),
            Some("http"),
            "{name}"
        );
        assert_eq!(
            point.attrs.get(sc::MCP_PROTOCOL_VERSION),
            Some(&str_attr(pairs[0].0, sc::MCP_PROTOCOL_VERSION)),
            "{name}"
        );
        assert!(!point.attrs.contains_key(sc::ERROR_TYPE), "{name}");
    }
}

/// The one span named `name` of `kind`.
fn find_kind<'a>(spans: &'a [SpanData], name: &str, kind: SpanKind) -> &'a SpanData {
    let found = spans_named(spans, name, kind.clone());
    assert_eq!(found.len(), 1, "{name} {kind:?}: {:?}", names(spans));
    found[0]
}
