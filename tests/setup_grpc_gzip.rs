//! `OTEL_EXPORTER_OTLP_COMPRESSION=gzip` over gRPC: the receiver gets gzip-encoded requests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(all(feature = "otlp-grpc", feature = "gzip"))]

mod support;

use support::otlp::{self, Behavior};
use tracing_subscriber::layer::SubscriberExt;

#[test]
fn grpc_gzip_compression() {
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
