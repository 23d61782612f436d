//! `mcp.client.session.duration` ([`TracedClientService`]) over an in-process duplex stream:
//! nothing while the session runs, one point when it ends by `cancel()`, by dropping the
//! running service, or by `close()` and then dropping it; the attributes.

use std::time::{Duration, Instant};

use rmcp::ServiceExt;
use rmcp::service::{RoleClient, RunningService};
use tracing_genai::mcp::{TracedClientService, TracedServer};
use tracing_genai::semconv as sc;

use crate::mcp::Tools;
use crate::support::*;

fn sessions(h: &Harness) -> u64 {
    h.collect_metrics()
        .into_iter()
        .find(|m| m.name == sc::METRIC_MCP_CLIENT_SESSION_DURATION)
        .map_or(0, |m| m.points.iter().map(|p| p.count).sum())
}

async fn wait_for(h: &Harness, count: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while sessions(h) < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A session with an in-process server, one traced request made.
async fn session(
    meter: &opentelemetry::metrics::Meter,
) -> RunningService<RoleClient, TracedClientService<()>> {
    let (client_io, server_io) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        if let Ok(running) = TracedServer::new(Tools).serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    let running = TracedClientService::new(())
        .with_meter(meter)
        .serve(client_io)
        .await
        .unwrap();
    let client = running.service().client(running.peer().clone());
    assert_eq!(client.list_tools(None).await.unwrap().tools.len(), 2);
    running
}

#[test]
fn mcp_client_session_duration_when_the_session_ends() {
    let h = Harness::builder().metrics(true).build();
    let meter = h.meter();
    h.run_async(|| async {
        let running = session(&meter).await;
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(sessions(&h), 0, "still running");
        running.cancel().await.unwrap();
        assert_eq!(sessions(&h), 1, "cancel() ends the session");

        let running = session(&meter).await;
        drop(running);
        wait_for(&h, 2).await;
        assert_eq!(
            sessions(&h),
            2,
            "dropping the running service ends the session"
        );

        let mut running = session(&meter).await;
        running.close().await.unwrap();
        drop(running);
        wait_for(&h, 3).await;
        assert_eq!(sessions(&h), 3, "close() then drop ends the session");
    });
    let metric = h.metric(sc::METRIC_MCP_CLIENT_SESSION_DURATION);
    assert_eq!(metric.unit, "s");
    assert_eq!(metric.kind, "histogram");
    assert_eq!(metric.points.len(), 1, "{:?}", metric.points);
    let point = &metric.points[0];
    assert_eq!(point.count, 3);
    // The first session lasted at least its 30 ms pause.
    assert!(point.max.unwrap_or_default() >= 0.03, "{point:?}");
    assert_eq!(
        point.bounds.first().copied(),
        sc::MCP_DURATION_BUCKETS.first().copied()
    );
    assert_eq!(
        point.attrs.get(sc::NETWORK_TRANSPORT).map(String::as_str),
        Some("pipe")
    );
    assert!(!point.attrs.contains_key(sc::NETWORK_PROTOCOL_NAME));
    assert!(
        point
            .attrs
            .get(sc::MCP_PROTOCOL_VERSION)
            .is_some_and(|v| !v.is_empty()),
        "{point:?}"
    );
    assert!(!point.attrs.contains_key(sc::ERROR_TYPE));
}
