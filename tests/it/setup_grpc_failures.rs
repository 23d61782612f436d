//! gRPC transport: collector down or hung, shutdown from plain `main` (no runtime) and twice.
//! Each scenario also makes the four checks of `support::faults`; tests/it/setup_faults.rs has
//! the full matrix.

use std::time::{Duration, Instant};

use crate::support;
use crate::support::faults;
use crate::support::otlp::{self, Behavior};

/// Emits `n` spans through a gRPC pipeline (asserting they did not block) and shuts down
/// (asserting the time bound, the accounting and the summary).
fn run(
    config: tracing_genai::Config,
    timeout: Duration,
    n: u64,
) -> (tracing_genai::TelemetryGuard, faults::Shutdown) {
    let (dispatch, guard) = faults::pipeline(
        config
            .with_protocol(tracing_genai::setup::Protocol::Grpc)
            .with_shutdown_timeout(timeout),
    );
    let started = Instant::now();
    tracing::dispatcher::with_default(&dispatch, || {
        for _ in 0..n {
            drop(tracing_genai::genai_span!(
                "embeddings",
                "openai",
                "text-embedding-3-small",
                gen_ai.request.seed = 1_i64
            ));
        }
    });
    assert!(
        started.elapsed() < faults::EMIT_BOUND,
        "{:?}",
        started.elapsed()
    );
    let out = faults::shutdown(&guard, timeout);
    (guard, out)
}

#[test]
fn grpc_collector_down_without_runtime() {
    let addr = support::closed_port();
    let (guard, out) = run(
        tracing_genai::Config::default()
            .with_endpoint(format!("http://{addr}"))
            .with_timeout(Duration::from_secs(2)),
        Duration::from_secs(4),
        4,
    );
    assert_eq!(out.report.failed, 4, "{}", out.summary);
    let err = guard.shutdown().unwrap_err();
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
    let (_guard, out) = run(
        tracing_genai::Config::default()
            .with_endpoint(receiver.http_base())
            .with_timeout(Duration::from_secs(60)),
        Duration::from_secs(1),
        3,
    );
    let r = &out.report;
    assert!(r.timed_out, "{r}");
    assert_eq!((r.exported, r.dropped), (0, 3), "{r}");
}

#[test]
fn grpc_unavailable_is_retried() {
    let receiver = otlp::start_grpc(Behavior::FailFirst {
        times: 1,
        status: 503,
        retry_after_secs: 0,
    });
    let (_guard, out) = run(
        tracing_genai::Config::default()
            .with_endpoint(receiver.http_base())
            .with_timeout(Duration::from_secs(5)),
        Duration::from_secs(8),
        2,
    );
    let report = out.report;
    assert_eq!(report.exported, 2, "{report}");
    assert_eq!(receiver.attempts(), 2);
}
