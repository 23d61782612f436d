//! End-to-end pipelines to in-process OTLP receivers. `setup()` installs the global
//! subscriber and the global tracer and meter providers, which a process does once and which
//! every other test would then see: each `setup()` test re-runs itself alone in a child
//! process of this binary (`rerun_in_child_process`).

use std::time::Duration;

use crate::support::otlp::{self, Behavior};
use crate::support::process::rerun_in_child_process;

/// `setup()` over OTLP/HTTP to an in-process receiver: names, kinds, parent/child ids,
/// attribute types, resource, headers; flushed at shutdown despite a long batch delay.
#[cfg(feature = "otlp-http")]
#[test]
fn http_export_end_to_end() {
    if rerun_in_child_process() {
        return;
    }
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
        tracing_genai::Config::default().with_exporter(tracing_genai::setup::ExporterKind::None),
    );
    assert!(matches!(
        second,
        Err(tracing_genai::setup::SetupError::SubscriberAlreadySet)
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

/// `setup()` over OTLP/gRPC to an in-process tonic receiver, called and shut down from inside
/// a multi-thread tokio runtime.
#[cfg(feature = "otlp-grpc")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_export_end_to_end() {
    if rerun_in_child_process() {
        return;
    }
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
    assert!(
        headers
            .get("content-type")
            .is_some_and(|v| v.starts_with("application/grpc"))
    );
    assert_eq!(guard.shutdown().unwrap(), report);
}

/// The classic hang: shutting down a gRPC pipeline from inside
/// `#[tokio::main(flavor = "current_thread")]`. Here it completes and delivers.
#[cfg(feature = "otlp-grpc")]
#[test]
fn current_thread_runtime_shutdown_completes() {
    if rerun_in_child_process() {
        return;
    }
    let receiver = otlp::start_grpc(Behavior::Accept);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = runtime.block_on(async {
        let config = tracing_genai::Config::default()
            .with_protocol(tracing_genai::setup::Protocol::Grpc)
            .with_endpoint(receiver.http_base())
            .with_service_name("current-thread")
            .with_shutdown_timeout(Duration::from_secs(10));
        let guard = tracing_genai::setup(config).unwrap();
        otlp::emit_sample_trace();
        // An await point, like a real app, before shutting down on the runtime's only thread.
        tokio::task::yield_now().await;
        guard.shutdown()
    });
    let report = report.unwrap();
    assert_eq!((report.ended, report.exported), (3, 3), "{report}");
    otlp::assert_sample_trace(&receiver.spans(), "current-thread");
}

/// `OTEL_EXPORTER_OTLP_COMPRESSION=gzip` over gRPC: the receiver gets gzip-encoded requests.
#[cfg(all(feature = "otlp-grpc", feature = "gzip"))]
#[test]
fn grpc_gzip_compression() {
    use tracing_subscriber::layer::SubscriberExt;

    let receiver = otlp::start_grpc(Behavior::Accept);
    let config = tracing_genai::Config::from_env_vars([
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".to_string()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.http_base()),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip".to_string()),
    ])
    .unwrap();
    let (layer, guard) = config.build().unwrap().layer();
    tracing::subscriber::with_default(
        tracing_subscriber::registry().with(layer),
        otlp::emit_sample_trace,
    );
    let report = guard.shutdown().unwrap();
    assert_eq!(report.exported, 3, "{report}");
    assert_eq!(
        receiver.headers()[0]
            .get("grpc-encoding")
            .map(String::as_str),
        Some("gzip")
    );
    assert_eq!(receiver.spans().len(), 3);
}
