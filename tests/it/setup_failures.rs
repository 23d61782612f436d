//! Exit is safe when the collector is down, hung or throttling; span end never blocks.
//! Uses the build-without-installing path, so tests here can share one binary. The fault
//! scenarios also make the four checks of `support::faults`; tests/it/setup_faults.rs has the
//! full matrix.

use std::time::Duration;

use crate::support;
use crate::support::faults;
use crate::support::otlp::{self, Behavior};
use tracing_subscriber::layer::SubscriberExt;

/// Runs `f` with the pipeline built from `config` as the thread's subscriber.
fn with_pipeline(config: tracing_genai::Config, f: impl FnOnce()) -> tracing_genai::TelemetryGuard {
    let (layer, guard) = config.build().unwrap().layer();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, f);
    guard
}

fn emit_chats(n: usize) {
    for i in 0..n {
        let span = tracing_genai::genai_span!(
            "chat",
            "openai",
            "gpt-4o",
            gen_ai.request.temperature = 0.0
        );
        span.record("gen_ai.usage.input_tokens", i as u64);
    }
}

#[test]
fn collector_down_reports_why_and_what_to_do() {
    let addr = support::closed_port();
    let config = tracing_genai::Config::default()
        .with_endpoint(format!("http://{addr}"))
        .with_timeout(Duration::from_secs(2))
        .with_shutdown_timeout(Duration::from_secs(5));
    let (dispatch, guard) = faults::pipeline(config);
    faults::emit(&dispatch, 5, 0);
    // Bounded by the configured timeout (plus thread bookkeeping), counts add up.
    let out = faults::shutdown(&guard, Duration::from_secs(5));
    assert!(out.report.failed > 0, "{}", out.summary);
    let err = guard.shutdown().unwrap_err();
    let report = err.report();
    assert_eq!((report.ended, report.exported), (5, 0), "{report}");
    assert_eq!(report.lost(), 5);
    let text = format!("{err} {report:?}");
    assert!(
        text.contains(&format!("no collector at http://{addr}/v1/traces")),
        "{text}"
    );
    assert!(
        text.contains("docker compose up -d") && text.contains("OTEL_TRACES_EXPORTER=console"),
        "{text}"
    );
    // Idempotent, also for errors.
    assert_eq!(guard.shutdown().unwrap_err(), err);
}

#[test]
fn hung_collector_neither_blocks_spans_nor_shutdown() {
    let receiver = otlp::start_http(Behavior::Hang);
    let config = tracing_genai::Config::default()
        .with_endpoint(receiver.http_base())
        .with_timeout(Duration::from_secs(60))
        .with_schedule_delay(Duration::from_millis(10))
        .with_max_queue_size(16)
        .with_max_export_batch_size(4)
        .with_shutdown_timeout(Duration::from_secs(1));
    let (dispatch, guard) = faults::pipeline(config);
    // Had span end waited for the hung export (60 s timeout), this would exceed its bound.
    faults::emit(&dispatch, 500, 0);
    assert!(
        receiver.attempts() >= 1,
        "the exporter should be stuck on the hung collector"
    );

    let out = faults::shutdown(&guard, Duration::from_secs(1));
    let report = &out.report;
    assert_eq!(report.ended, 500);
    assert_eq!(report.exported, 0);
    // Bounded memory: the queue holds 16, the rest were dropped, never buffered.
    assert!(report.dropped >= 500 - 16 - 4, "{report}");
    assert!(report.timed_out, "{report}");
}

#[test]
fn http_503_and_429_are_retried_honouring_retry_after() {
    for (status, retry_after) in [(503, 0), (429, 1)] {
        let receiver = otlp::start_http(Behavior::FailFirst {
            times: 2,
            status,
            retry_after_secs: retry_after,
        });
        let config = tracing_genai::Config::default()
            .with_endpoint(receiver.http_base())
            .with_timeout(Duration::from_secs(8))
            .with_shutdown_timeout(Duration::from_secs(10));
        let (dispatch, guard) = faults::pipeline(config);
        faults::emit(&dispatch, 3, 0);
        let report = faults::shutdown(&guard, Duration::from_secs(10)).report;
        assert_eq!(
            (report.exported, report.failed),
            (3, 0),
            "{status}: {report}"
        );
        assert_eq!(
            receiver.attempts(),
            3,
            "{status}: two refusals, then accepted"
        );
        assert_eq!(receiver.spans().len(), 3);
    }
}

#[test]
fn console_and_none_exporters() {
    let guard = with_pipeline(
        tracing_genai::Config::default().with_exporter(tracing_genai::setup::ExporterKind::Console),
        || emit_chats(2),
    );
    let report = guard.shutdown().unwrap();
    assert_eq!((report.ended, report.exported), (2, 2));

    let guard = with_pipeline(
        tracing_genai::Config::from_env_vars([("OTEL_SDK_DISABLED", "true")]).unwrap(),
        || emit_chats(2),
    );
    let report = guard.shutdown().unwrap();
    assert_eq!((report.ended, report.exported), (0, 0));
    assert!(report.destination.starts_with("none"));
}

#[test]
fn drop_during_unwinding_flushes_and_does_not_abort() {
    let receiver = otlp::start_http(Behavior::Accept);
    let config = tracing_genai::Config::default()
        .with_endpoint(receiver.http_base())
        .with_schedule_delay(Duration::from_secs(600))
        .with_drop_timeout(Duration::from_secs(5));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _guard = with_pipeline(config, || emit_chats(2));
        panic!("application bug");
    }));
    assert!(result.is_err());
    // The guard's Drop (during unwinding) flushed.
    assert_eq!(receiver.wait_for_spans(2, Duration::from_secs(5)).len(), 2);
}

#[test]
fn network_crate_spans_are_not_exported() {
    let receiver = otlp::start_http(Behavior::Accept);
    let config = tracing_genai::Config::default().with_endpoint(receiver.http_base());
    let guard = with_pipeline(config, || {
        drop(tracing::info_span!(target: "hyper_util::client", "connect").entered());
        drop(tracing::info_span!(target: "opentelemetry_sdk", "export").entered());
        emit_chats(1);
    });
    let report = guard.shutdown().unwrap();
    assert_eq!(report.exported, 1);
    let names: Vec<_> = receiver.spans().into_iter().map(|s| s.span.name).collect();
    assert_eq!(names, vec!["chat gpt-4o".to_string()]);
}
