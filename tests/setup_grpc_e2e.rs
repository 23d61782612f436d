//! `setup()` over OTLP/gRPC to an in-process tonic receiver, called and shut down from inside
//! a multi-thread tokio runtime.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(feature = "otlp-grpc")]

mod support;

use std::time::Duration;

use support::otlp::{self, Behavior};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_export_end_to_end() {
    let receiver = otlp::start_grpc(Behavior::Accept);
    let config = tracing_genai::Config::from_env_vars([
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".to_string()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.http_base()),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            "authorization=Bearer%20abc".to_string(),
        ),
        ("OTEL_SERVICE_NAME", "e2e-grpc".to_string()),
        ("OTEL_BSP_SCHEDULE_DELAY", "600000".to_string()),
    ])
    .unwrap()
    .with_shutdown_timeout(Duration::from_secs(10));
    let guard = tracing_genai::setup(config).unwrap();

    otlp::emit_sample_trace();
    assert_eq!(receiver.attempts(), 0, "nothing exported before shutdown");

    let report = guard.shutdown().unwrap();
    assert_eq!(
        (report.ended, report.exported, report.dropped, report.failed),
        (3, 3, 0, 0),
        "{report}"
    );
    otlp::assert_sample_trace(&receiver.spans(), "e2e-grpc");
    let headers = &receiver.headers()[0];
    assert_eq!(
        headers.get("authorization").map(String::as_str),
        Some("Bearer abc")
    );
    assert!(headers
        .get("content-type")
        .is_some_and(|v| v.starts_with("application/grpc")));
    assert_eq!(guard.shutdown().unwrap(), report);
}
