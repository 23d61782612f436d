//! gRPC transport: collector down or hung, shutdown from plain `main` (no runtime) and twice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(feature = "otlp-grpc")]

mod support;

use std::time::{Duration, Instant};

use support::otlp::{self, Behavior};
use tracing_subscriber::layer::SubscriberExt;

fn run(config: tracing_genai::Config, n: usize) -> tracing_genai::TelemetryGuard {
    let (layer, guard) = config
        .with_protocol(tracing_genai::Protocol::Grpc)
        .build()
        .unwrap()
        .layer();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        for _ in 0..n {
            drop(tracing_genai::genai_span!(
                "embeddings",
                "openai",
                "text-embedding-3-small",
                gen_ai.request.seed = 1_i64
            ));
        }
    });
    guard
}

#[test]
fn grpc_collector_down_without_runtime() {
    let addr = otlp::closed_port();
    let guard = run(
        tracing_genai::Config::default()
            .with_endpoint(format!("http://{addr}"))
            .with_timeout(Duration::from_secs(2))
            .with_shutdown_timeout(Duration::from_secs(4)),
        4,
    );
    let started = Instant::now();
    let err = guard.shutdown().unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.report().exported, 0);
    assert_eq!(err.report().ended, 4);
    assert!(
        err.to_string()
            .contains(&format!("no collector at http://{addr}")),
        "{err}"
    );
    assert_eq!(guard.shutdown().unwrap_err(), err);
}

#[test]
fn grpc_hung_collector_shutdown_is_bounded() {
    let receiver = otlp::start_grpc(Behavior::Hang);
    let guard = run(
        tracing_genai::Config::default()
            .with_endpoint(receiver.http_base())
            .with_timeout(Duration::from_secs(60))
            .with_shutdown_timeout(Duration::from_secs(1)),
        3,
    );
    let started = Instant::now();
    let err = guard.shutdown().unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(err.report().timed_out, "{err}");
    assert_eq!(err.report().exported, 0);
}

#[test]
fn grpc_unavailable_is_retried() {
    let receiver = otlp::start_grpc(Behavior::FailFirst {
        times: 1,
        status: 503,
        retry_after_secs: 0,
    });
    let guard = run(
        tracing_genai::Config::default()
            .with_endpoint(receiver.http_base())
            .with_timeout(Duration::from_secs(5))
            .with_shutdown_timeout(Duration::from_secs(8)),
        2,
    );
    let report = guard.shutdown().unwrap();
    assert_eq!(report.exported, 2, "{report}");
    assert_eq!(receiver.attempts(), 2);
}
