//! `setup()` over OTLP/HTTP to an in-process receiver: names, kinds, parent/child ids,
//! attribute types, resource, headers; flushed at shutdown despite a long batch delay.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(feature = "otlp-http")]

mod support;

use std::time::Duration;

use support::otlp::{self, Behavior};

#[test]
fn http_export_end_to_end() {
    let receiver = otlp::start_http(Behavior::Accept);
    let config = tracing_genai::Config::from_env_vars([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.http_base()),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            "x-api-key=s3cr%20t".to_string(),
        ),
        ("OTEL_SERVICE_NAME", "e2e-http".to_string()),
        // Far longer than the test may run: spans can only arrive through the shutdown flush.
        ("OTEL_BSP_SCHEDULE_DELAY", "600000".to_string()),
    ])
    .unwrap()
    .with_header("x-team", "core")
    .with_shutdown_timeout(Duration::from_secs(10));
    let guard = tracing_genai::setup(config).unwrap();
    let second = tracing_genai::setup(
        tracing_genai::Config::default().with_exporter(tracing_genai::ExporterKind::None),
    );
    assert!(matches!(
        second,
        Err(tracing_genai::SetupError::SubscriberAlreadySet)
    ));

    otlp::emit_sample_trace();
    // Nothing was exported yet: the batch delay has not elapsed.
    assert_eq!(receiver.attempts(), 0);

    let report = guard.shutdown().unwrap();
    assert_eq!(
        (report.ended, report.exported, report.dropped, report.failed),
        (3, 3, 0, 0),
        "{report}"
    );
    let spans = receiver.spans();
    assert_eq!(spans.len(), 3);
    otlp::assert_sample_trace(&spans, "e2e-http");
    let headers = &receiver.headers()[0];
    assert_eq!(headers.get("x-api-key").map(String::as_str), Some("s3cr t"));
    assert_eq!(headers.get("x-team").map(String::as_str), Some("core"));
    assert_eq!(
        headers.get("content-type").map(String::as_str),
        Some("application/x-protobuf")
    );

    // Idempotent.
    assert_eq!(guard.shutdown().unwrap(), report);
}
