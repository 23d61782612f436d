//! The fault matrix over loopback, for OTLP/HTTP and OTLP/gRPC: collector down for the whole
//! run, accepting connections but never answering, restarted mid-run, throttling with
//! Retry-After, refusing oversized payloads, answering with errors. Every scenario checks the
//! four properties of `support::faults` (app not blocked, bounded shutdown, accounting,
//! summary) and which bucket the spans landed in.
//!
//! Built with `Config::build()` (nothing installed globally), so the scenarios share one
//! binary and run in parallel.

use std::time::Duration;

use crate::support;
use crate::support::faults::{self, emit, emit_with, pipeline};
use crate::support::otlp::{self, Behavior, Receiver};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use tracing_genai::{Config, setup::Protocol};

/// Export timeout for the scenarios where an export hangs: longer than `faults::EMIT_BOUND`, so
/// a span end that waited for one export would fail check (a).
const HANG_TIMEOUT: Duration = Duration::from_secs(30);

fn config(endpoint: String, protocol: Protocol) -> Config {
    Config::default()
        .with_endpoint(endpoint)
        .with_protocol(protocol)
}

fn protocols() -> Vec<Protocol> {
    let mut all = vec![Protocol::HttpProtobuf];
    if cfg!(feature = "otlp-grpc") {
        all.push(Protocol::Grpc);
    }
    all
}

fn start(protocol: Protocol, behavior: Behavior) -> Receiver {
    match protocol {
        Protocol::Grpc => otlp::start_grpc(behavior),
        _ => otlp::start_http(behavior),
    }
}

fn markers(receiver: &Receiver) -> Vec<i64> {
    let mut out: Vec<i64> = receiver
        .spans()
        .iter()
        .filter_map(|s| match otlp::attr(&s.span, "gen_ai.usage.input_tokens") {
            Some(Value::IntValue(v)) => Some(*v),
            _ => None,
        })
        .collect();
    out.sort_unstable();
    out
}

#[test]
fn collector_down_for_the_whole_run() {
    for protocol in protocols() {
        let addr = support::closed_port();
        let timeout = Duration::from_secs(5);
        let (dispatch, guard) = pipeline(
            config(format!("http://{addr}"), protocol)
                .with_timeout(Duration::from_secs(1))
                .with_shutdown_timeout(timeout),
        );
        let took = emit(&dispatch, 200, 0);
        let out = faults::shutdown(&guard, timeout);
        faults::row(&format!("{protocol:?} collector down"), 200, took, &out);
        let r = &out.report;
        assert_eq!((r.ended, r.exported), (200, 0), "{protocol:?}: {r}");
        assert!(r.failed > 0, "{protocol:?}: {r}");
        assert!(out.summary.contains("200 failed"), "{}", out.summary);
        assert!(
            r.to_string().contains("connection refused"),
            "{protocol:?}: {r}"
        );
    }
}

#[test]
fn collector_accepts_connections_but_never_answers() {
    for protocol in protocols() {
        let addr = otlp::start_blackhole();
        let timeout = Duration::from_secs(2);
        let (dispatch, guard) = pipeline(
            config(format!("http://{addr}"), protocol)
                .with_timeout(HANG_TIMEOUT)
                .with_shutdown_timeout(timeout),
        );
        // More than the 2048-span queue: the batch thread is stuck on the first export.
        let took = emit(&dispatch, 3000, 0);
        let out = faults::shutdown(&guard, timeout);
        faults::row(
            &format!("{protocol:?} accepts, never answers"),
            3000,
            took,
            &out,
        );
        let r = &out.report;
        assert_eq!(
            (r.ended, r.exported, r.failed),
            (3000, 0, 0),
            "{protocol:?}: {r}"
        );
        assert_eq!(r.dropped, 3000, "{protocol:?}: {r}");
        assert!(r.timed_out, "{protocol:?}: {r}");
    }
}

#[test]
fn collector_answers_slower_than_the_queue_fills() {
    // The receiver reads each request and never answers (a hung collector process): spans
    // beyond the queue are dropped and counted, never buffered without bound.
    for protocol in protocols() {
        let receiver = start(protocol, Behavior::Hang);
        let timeout = Duration::from_secs(1);
        let (dispatch, guard) = pipeline(
            config(receiver.http_base(), protocol)
                .with_timeout(HANG_TIMEOUT)
                .with_schedule_delay(Duration::from_millis(10))
                .with_max_queue_size(64)
                .with_max_export_batch_size(8)
                .with_shutdown_timeout(timeout),
        );
        let took = emit(&dispatch, 1000, 0);
        let out = faults::shutdown(&guard, timeout);
        faults::row(&format!("{protocol:?} hung (queue 64)"), 1000, took, &out);
        let r = &out.report;
        assert!(
            receiver.attempts() >= 1,
            "{protocol:?}: no export reached it"
        );
        assert_eq!(
            (r.ended, r.exported, r.failed),
            (1000, 0, 0),
            "{protocol:?}: {r}"
        );
        // At most the queue and one batch were held; everything else was dropped on arrival.
        assert!(r.dropped >= 1000 - 64 - 8, "{protocol:?}: {r}");
        assert!(r.timed_out, "{protocol:?}: {r}");
    }
}

#[test]
fn collector_restarted_mid_run() {
    for protocol in protocols() {
        let receiver = start(protocol, Behavior::Accept);
        let timeout = Duration::from_secs(5);
        let (dispatch, guard) = pipeline(
            config(receiver.http_base(), protocol)
                .with_timeout(Duration::from_secs(1))
                .with_schedule_delay(Duration::from_millis(20))
                .with_shutdown_timeout(timeout),
        );
        emit(&dispatch, 50, 0);
        assert_eq!(
            receiver.wait_for_spans(50, Duration::from_secs(10)).len(),
            50
        );

        receiver.stop();
        emit(&dispatch, 50, 1000);
        // The export of those fails within its 1 s budget (retries included).
        std::thread::sleep(Duration::from_secs(3));

        receiver.start_again();
        let took = emit(&dispatch, 50, 2000);
        assert_eq!(
            receiver.wait_for_spans(100, Duration::from_secs(10)).len(),
            100,
            "{protocol:?}: spans emitted after the restart did not arrive"
        );

        let out = faults::shutdown(&guard, timeout);
        faults::row(&format!("{protocol:?} restarted mid-run"), 150, took, &out);
        let r = &out.report;
        let expected: Vec<i64> = (0..50).chain(2000..2050).collect();
        assert_eq!(markers(&receiver), expected, "{protocol:?}");
        assert_eq!((r.ended, r.exported), (150, 100), "{protocol:?}: {r}");
        assert_eq!(r.failed + r.dropped, 50, "{protocol:?}: {r}");
        assert!(r.failed > 0, "{protocol:?}: {r}");
        assert!(!r.timed_out, "{protocol:?}: {r}");
        assert!(
            r.to_string().contains("for part of the run"),
            "{protocol:?}: {r}"
        );
    }
}

#[test]
fn http_429_and_503_honour_retry_after_then_deliver() {
    for status in [429, 503] {
        let receiver = otlp::start_http(Behavior::FailFirst {
            times: 1,
            status,
            retry_after_secs: 2,
        });
        let timeout = Duration::from_secs(10);
        let (dispatch, guard) = pipeline(
            config(receiver.http_base(), Protocol::HttpProtobuf)
                .with_timeout(Duration::from_secs(8))
                .with_shutdown_timeout(timeout),
        );
        let took = emit(&dispatch, 100, 0);
        let out = faults::shutdown(&guard, timeout);
        faults::row(
            &format!("HTTP {status} once, Retry-After 2"),
            100,
            took,
            &out,
        );
        let r = &out.report;
        assert_eq!(
            (r.ended, r.exported, r.failed, r.dropped),
            (100, 100, 0, 0),
            "{status}: {r}"
        );
        let times = receiver.attempt_times();
        assert_eq!(times.len(), 2, "{status}: one refusal, then accepted");
        // The retry waited for the server's Retry-After, not the 1 s-ish default backoff.
        assert!(
            times[1] - times[0] >= Duration::from_millis(1900),
            "{status}: retried after {:?}",
            times[1] - times[0]
        );
    }
}

#[test]
fn http_429_throttling_longer_than_the_export_timeout_fails_in_time() {
    let receiver = otlp::start_http(Behavior::FailFirst {
        times: usize::MAX,
        status: 429,
        retry_after_secs: 3600,
    });
    let timeout = Duration::from_secs(5);
    let (dispatch, guard) = pipeline(
        config(receiver.http_base(), Protocol::HttpProtobuf)
            .with_timeout(Duration::from_secs(2))
            .with_shutdown_timeout(timeout),
    );
    let took = emit(&dispatch, 100, 0);
    let out = faults::shutdown(&guard, timeout);
    faults::row("HTTP 429 always, Retry-After 3600", 100, took, &out);
    let r = &out.report;
    assert_eq!((r.ended, r.exported, r.failed), (100, 0, 100), "{r}");
    assert!(!r.timed_out, "{r}");
    assert_eq!(
        receiver.attempts(),
        1,
        "a Retry-After past the deadline is not waited for"
    );
    assert!(r.to_string().contains("throttled"), "{r}");
}

#[test]
fn payload_over_the_receiver_limit_fails_only_that_batch() {
    let big = "x".repeat(256 * 1024);
    for protocol in protocols() {
        let receiver = start(protocol, Behavior::MaxBytes(64 * 1024));
        let timeout = Duration::from_secs(8);
        let (dispatch, guard) = pipeline(
            config(receiver.http_base(), protocol)
                .with_timeout(Duration::from_secs(1))
                .with_schedule_delay(Duration::from_millis(10))
                .with_max_export_batch_size(1)
                .with_shutdown_timeout(timeout),
        );
        emit(&dispatch, 10, 0);
        assert_eq!(
            receiver.wait_for_spans(10, Duration::from_secs(10)).len(),
            10
        );
        let took = emit_with(&dispatch, 2, 1000, &big);
        emit(&dispatch, 10, 2000);
        assert_eq!(
            receiver.wait_for_spans(20, Duration::from_secs(10)).len(),
            20
        );
        let out = faults::shutdown(&guard, timeout);
        faults::row(
            &format!("{protocol:?} 2 spans over 64 KiB limit"),
            22,
            took,
            &out,
        );
        let r = &out.report;
        assert_eq!(
            (r.ended, r.exported, r.failed, r.dropped),
            (22, 20, 2, 0),
            "{protocol:?}: {r}"
        );
        let expected: Vec<i64> = (0..10).chain(2000..2010).collect();
        assert_eq!(markers(&receiver), expected, "{protocol:?}");
        let error = r.error.clone().unwrap_or_default();
        match protocol {
            Protocol::Grpc => assert!(error.contains("OutOfRange"), "{error}"),
            _ => assert!(error.contains("413"), "{error}"),
        }
        let text = r.to_string();
        assert!(
            text.contains("too large") && text.contains("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"),
            "{text}"
        );
    }
}

#[test]
fn exporter_errors_http_500_and_grpc_internal() {
    for protocol in protocols() {
        let receiver = start(
            protocol,
            Behavior::FailFirst {
                times: usize::MAX,
                status: 500,
                retry_after_secs: 0,
            },
        );
        let timeout = Duration::from_secs(5);
        let (dispatch, guard) = pipeline(
            config(receiver.http_base(), protocol)
                .with_timeout(HANG_TIMEOUT)
                .with_schedule_delay(Duration::from_millis(10))
                .with_shutdown_timeout(timeout),
        );
        let took = emit(&dispatch, 300, 0);
        let out = faults::shutdown(&guard, timeout);
        faults::row(&format!("{protocol:?} 500 / INTERNAL"), 300, took, &out);
        let r = &out.report;
        assert_eq!(
            (r.ended, r.exported, r.failed, r.dropped),
            (300, 0, 300, 0),
            "{protocol:?}: {r}"
        );
        assert!(!r.timed_out, "{protocol:?}: {r}");
        // Not retried (OTLP: 500 and INTERNAL are permanent).
        assert!(receiver.attempts() >= 1);
        let why = r.to_string();
        assert!(why.contains("export to") && why.contains("failed"), "{why}");
        assert!(why.contains("check the collector's logs"), "{why}");
    }
}
