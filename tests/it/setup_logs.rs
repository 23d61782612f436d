//! The logs pipeline of `setup()`: `OTEL_LOGS_EXPORTER` / `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`,
//! the console exporter, the OTLP transport and the report's log record counts, and the bridge
//! of the application's own `tracing` events (`Config::with_log_bridge`), correlated with the
//! span they are emitted in.
//!
//! The in-process receivers (`support::otlp`) have no logs service yet: the OTLP test checks
//! that records go to `/v1/logs` on the traces' transport by the receiver's 404, counted as
//! failed records in the report; the delivered path is checked with the console exporter and
//! in memory.

use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge;
use opentelemetry_sdk::logs::{InMemoryLogExporter, SdkLoggerProvider};
use tracing_genai::GenAiSpanExt;
use tracing_genai::setup::{ExporterKind, Protocol};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt;

use crate::support::otlp::{self, Behavior};
use crate::support::process::rerun_in_child_process;

#[test]
fn logs_settings_from_the_environment() {
    let config = tracing_genai::Config::from_env_vars([("OTEL_LOGS_EXPORTER", "console")]).unwrap();
    assert_eq!(config.logs_exporter_kind(), ExporterKind::Console);
    // Unset: no logs pipeline (the GenAI events stay span events).
    assert_eq!(
        tracing_genai::Config::default().logs_exporter_kind(),
        ExporterKind::None
    );
    let disabled = tracing_genai::Config::from_env_vars([
        ("OTEL_LOGS_EXPORTER", "otlp"),
        ("OTEL_SDK_DISABLED", "true"),
    ])
    .unwrap();
    assert_eq!(disabled.logs_exporter_kind(), ExporterKind::None);

    let err = tracing_genai::Config::from_env_vars([("OTEL_LOGS_EXPORTER", "kafka")]).unwrap_err();
    assert!(err.to_string().contains("OTEL_LOGS_EXPORTER"), "{err}");
    let err = tracing_genai::Config::from_env_vars([("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "otel")])
        .unwrap_err();
    assert!(
        err.to_string().contains("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"),
        "{err}"
    );

    let base = tracing_genai::Config::from_env_vars([(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "http://collector:4318/",
    )])
    .unwrap();
    assert_eq!(base.logs_endpoint(), "http://collector:4318/v1/logs");
    let exact = tracing_genai::Config::from_env_vars([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
        (
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
            "http://logs:4318/custom",
        ),
    ])
    .unwrap();
    assert_eq!(exact.logs_endpoint(), "http://logs:4318/custom");
    let grpc = tracing_genai::Config::default()
        .with_protocol(Protocol::Grpc)
        .with_endpoint("http://collector:4317");
    assert_eq!(grpc.logs_endpoint(), "http://collector:4317");
}

#[test]
fn log_bridge_needs_a_logs_exporter() {
    let err = tracing_genai::Config::default()
        .with_exporter(ExporterKind::None)
        .with_log_bridge(true)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("OTEL_LOGS_EXPORTER"), "{err}");
}

#[test]
fn console_logs_count_every_record() {
    let (layer, guard) = tracing_genai::Config::default()
        .with_exporter(ExporterKind::None)
        .with_logs_exporter(ExporterKind::Console)
        .build()
        .unwrap()
        .layer();
    assert!(guard.logger_provider().is_some());
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
        span.record_error_type("rate_limit_exceeded", Some("slow down"));
        span.record_evaluation(tracing_genai::Evaluation::new("relevance").with_score_value(1.0));
    });
    let report = guard.shutdown().unwrap();
    let logs = report.logs.clone().expect("logs report");
    assert_eq!(logs.destination, "console");
    assert_eq!(
        (logs.emitted, logs.exported, logs.failed, logs.dropped),
        (2, 2, 0, 0)
    );
    assert!(!report.to_string().contains("log records"), "{report}");
}

/// An error's `gen_ai.client.operation.exception` record over OTLP to `receiver`: delivered,
/// with its event name, WARN severity, the span's trace and span ids and typed attributes; the
/// exception is not a span event too.
fn exception_record_arrives(protocol: &str, receiver: &otlp::Receiver, logs_path: &str) {
    let config = tracing_genai::Config::from_env_vars([
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.to_string()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.http_base()),
        ("OTEL_LOGS_EXPORTER", "otlp".to_string()),
        ("OTEL_METRICS_EXPORTER", "none".to_string()),
    ])
    .unwrap();
    let (layer, guard) = config.build().unwrap().layer();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        let span = tracing_genai::genai_span!(
            "chat",
            "openai",
            "gpt-4o",
            gen_ai.request.max_tokens = 64_u64
        );
        span.record_error_type("500", Some("boom"));
    });
    let report = guard.shutdown().unwrap();
    let logs = report.logs.clone().expect("logs report");
    assert_eq!(
        logs.destination,
        format!("otlp {protocol} {}{logs_path}", receiver.http_base())
    );
    assert_eq!(
        (logs.emitted, logs.exported, logs.failed, logs.dropped),
        (1, 1, 0, 0),
        "{report}"
    );
    assert!(!report.to_string().contains("log records"), "{report}");
    let spans = receiver.spans();
    assert_eq!(spans.len(), 1);
    let span = &spans[0].span;
    assert!(span.events.iter().all(|e| e.name != "exception"));
    let records = receiver.wait_for_logs(1, std::time::Duration::from_secs(5));
    assert_eq!(records.len(), 1, "{protocol}");
    let record = &records[0];
    assert_eq!(record.event_name, "gen_ai.client.operation.exception");
    assert_eq!(record.severity_number, 13, "WARN");
    assert_eq!(record.trace_id, otlp::hex(&span.trace_id));
    assert_eq!(record.span_id, otlp::hex(&span.span_id));
    assert_eq!(record.attr_str("error.type"), Some("500"));
    assert_eq!(record.attr_str("gen_ai.request.model"), Some("gpt-4o"));
    assert_eq!(record.service_name, spans[0].service_name);
}

#[test]
fn otlp_logs_arrive_on_v1_logs_with_the_span_ids() {
    let receiver = otlp::start_http(Behavior::Accept);
    exception_record_arrives("http/protobuf", &receiver, "/v1/logs");
    assert!(receiver.paths().iter().any(|p| p == "/v1/logs"));
}

#[test]
fn lost_log_records_are_a_line_of_the_report() {
    let receiver = otlp::start_http(Behavior::Accept);
    let config = tracing_genai::Config::from_env_vars([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.http_base()),
        (
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
            format!("{}/no/logs/here", receiver.http_base()),
        ),
        ("OTEL_LOGS_EXPORTER", "otlp".to_string()),
        ("OTEL_METRICS_EXPORTER", "none".to_string()),
    ])
    .unwrap();
    let (layer, guard) = config.build().unwrap().layer();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
        span.record_error_type("500", Some("boom"));
    });
    // Spans are complete; the lost record is a line of the summary, not a failure.
    let report = guard.shutdown().unwrap();
    let logs = report.logs.clone().expect("logs report");
    assert_eq!((logs.emitted, logs.failed), (1, 1), "{report}");
    assert!(logs.error.is_some());
    let text = report.to_string();
    assert!(text.contains("log records: 0 of 1 exported"), "{text}");
    assert!(receiver.logs().is_empty());
}

/// opentelemetry-appender-tracing (0.33) reads the trace context from the current
/// OpenTelemetry context, which tracing-opentelemetry (0.34) activates when a span is entered:
/// an event inside an entered span (GenAI or not) carries that span's ids.
#[test]
fn bridged_events_carry_the_entered_span_ids() {
    let logs = InMemoryLogExporter::default();
    let provider = SdkLoggerProvider::builder()
        .with_simple_exporter(logs.clone())
        .build();
    let (layer, guard) = tracing_genai::Config::default()
        .with_exporter(ExporterKind::None)
        .build()
        .unwrap()
        .layer();
    let subscriber = tracing_subscriber::registry()
        .with(layer)
        .with(OpenTelemetryTracingBridge::new(&provider));
    let ids = tracing::subscriber::with_default(subscriber, || {
        let handler = tracing::info_span!("handler");
        let handler_ids = {
            let _g = handler.enter();
            tracing::info!("in the handler");
            handler.context().span().span_context().clone()
        };
        let chat = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
        let chat_ids = {
            let _g = chat.enter();
            tracing::warn!("in the chat span");
            chat.context().span().span_context().clone()
        };
        tracing::info!("outside any span");
        (handler_ids, chat_ids)
    });
    let records = logs.get_emitted_logs().unwrap();
    assert_eq!(records.len(), 3);
    for (record, ids) in records.iter().zip([&ids.0, &ids.1]) {
        let cx = record.record.trace_context().expect("trace context");
        assert!(ids.is_valid());
        assert_eq!((cx.trace_id, cx.span_id), (ids.trace_id(), ids.span_id()));
    }
    assert!(records[2].record.trace_context().is_none());
    guard.shutdown().unwrap();
}

/// `setup()` with `with_log_bridge(true)` installs the bridge: the application's events are
/// counted as log records, the exporter's own crates are not.
#[test]
fn setup_installs_the_log_bridge() {
    if rerun_in_child_process() {
        return;
    }
    let guard = tracing_genai::setup(
        tracing_genai::Config::default()
            .with_exporter(ExporterKind::None)
            .with_logs_exporter(ExporterKind::Console)
            .with_log_bridge(true),
    )
    .unwrap();
    {
        let _span = tracing::info_span!("handler").entered();
        tracing::info!(target: "my_app", "hello");
        tracing::info!(target: "opentelemetry_sdk", "internal");
        tracing::debug!(target: "my_app", "below the level");
    }
    let report = guard.shutdown().unwrap();
    let logs = report.logs.expect("logs report");
    assert_eq!((logs.emitted, logs.exported), (1, 1), "{logs}");
}

/// Over gRPC the logs exporter runs on a bridge of its own, over the traces' transport.
#[cfg(feature = "otlp-grpc")]
#[test]
fn grpc_logs_use_the_traces_transport() {
    let receiver = otlp::start_grpc(Behavior::Accept);
    exception_record_arrives("grpc", &receiver, "");
}
