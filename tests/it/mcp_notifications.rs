//! MCP notifications over an in-process duplex stream: `mcp.client` spans for notifications
//! sent through [`TracedClient::send_notification`], with the trace context in `_meta`, and
//! `mcp.server` spans for the notifications the server handles (`notifications/cancelled`,
//! `notifications/initialized` from rmcp's handshake), without `jsonrpc.request.id`.

use std::time::{Duration, Instant};

use opentelemetry::trace::SpanKind;
use opentelemetry_sdk::trace::SpanData;
use rmcp::ServiceExt;
use rmcp::model::{
    CancelledNotification, CancelledNotificationParam, ClientNotification, RequestId,
};
use tracing::Instrument;
use tracing_genai::mcp::{TracedClientService, TracedServer};
use tracing_genai::semconv as sc;

use crate::mcp::Tools;
use crate::support::*;

fn of_kind<'a>(spans: &'a [SpanData], name: &str, kind: SpanKind) -> Vec<&'a SpanData> {
    spans
        .iter()
        .filter(|s| s.name == name && s.span_kind == kind)
        .collect()
}

#[test]
fn mcp_notification_spans_on_both_sides_in_one_trace() {
    let h = Harness::builder().metrics(true).build();
    let meter = h.meter();
    h.run_async(|| async {
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
        let running = TracedClientService::new(())
            .with_meter(&meter)
            .serve(client_io)
            .await
            .unwrap();
        let client = running.service().client(running.peer().clone());
        let agent = tracing::info_span!("agent", gen_ai.operation.name = "invoke_agent");
        let params = CancelledNotificationParam::new(Some(RequestId::Number(999)), None);
        client
            .send_notification(ClientNotification::CancelledNotification(
                CancelledNotification::new(params),
            ))
            .instrument(agent)
            .await
            .unwrap();
        // A notification has no response: wait until the server handled it.
        let deadline = Instant::now() + Duration::from_secs(10);
        while of_kind(&h.spans(), "notifications/cancelled", SpanKind::Server).is_empty()
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        running.cancel().await.unwrap();
        server.await.unwrap();
    });
    let spans = h.spans();
    let agent = find(&spans, "invoke_agent");
    let client = of_kind(&spans, "notifications/cancelled", SpanKind::Client);
    let server = of_kind(&spans, "notifications/cancelled", SpanKind::Server);
    assert_eq!((client.len(), server.len()), (1, 1), "{:?}", names(&spans));
    let (client, server) = (client[0], server[0]);
    assert_eq!(client.parent_span_id, agent.span_context.span_id());
    assert_eq!(server.parent_span_id, client.span_context.span_id());
    assert_eq!(
        server.span_context.trace_id(),
        agent.span_context.trace_id()
    );
    for span in [client, server] {
        assert_unique_keys(span);
        assert_eq!(
            str_attr(span, sc::MCP_METHOD_NAME),
            "notifications/cancelled"
        );
        assert!(
            !has(span, sc::JSONRPC_REQUEST_ID),
            "a notification has no id"
        );
        assert!(!has(span, sc::ERROR_TYPE));
        assert!(!has(span, sc::GEN_AI_OPERATION_NAME));
        assert_eq!(str_attr(span, sc::NETWORK_TRANSPORT), "pipe");
        assert!(!str_attr(span, sc::MCP_PROTOCOL_VERSION).is_empty());
    }
    // rmcp's handshake sends `notifications/initialized` after `initialize`.
    let initialized = of_kind(&spans, "notifications/initialized", SpanKind::Server);
    assert_eq!(initialized.len(), 1, "{:?}", names(&spans));
    assert!(!has(initialized[0], sc::JSONRPC_REQUEST_ID));
    let members = &registry::cached().mcp[sc::MCP_METHOD_NAME].members;
    for method in ["notifications/cancelled", "notifications/initialized"] {
        assert!(members.iter().any(|m| m == method), "{method}");
    }

    for name in [
        sc::METRIC_MCP_CLIENT_OPERATION_DURATION,
        sc::METRIC_MCP_SERVER_OPERATION_DURATION,
    ] {
        let point = h
            .metric(name)
            .point(&[(sc::MCP_METHOD_NAME, "notifications/cancelled")]);
        assert_eq!(point.count, 1, "{name}");
        assert!(!point.attrs.contains_key(sc::ERROR_TYPE), "{name}");
    }
}
