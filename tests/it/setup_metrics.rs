//! Metrics exported by the pipeline `Config::build()` makes: a periodic reader over OTLP
//! (HTTP `/v1/metrics`, gRPC `MetricsService`), flushed by the guard's shutdown; turned off by
//! `OTEL_METRICS_EXPORTER=none` or `with_metrics(false)`; bad interval is a typed error.
//! Uses the build-without-install path (`with_default`), so several tests share the binary.

use std::time::Duration;

use crate::support;
use crate::support::otlp::{self, Behavior, Receiver};
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::metrics::v1::{HistogramDataPoint, Metric, metric};
use tracing_genai::GenAiSpanExt as _;
use tracing_genai::semconv::{DURATION_BUCKETS, TOKEN_BUCKETS};
use tracing_genai::{Config, setup::SetupError};
use tracing_subscriber::layer::SubscriberExt as _;

/// Runs the sample trace (one chat call with 12 input / 30 output tokens) plus a second chat
/// call through the built pipeline, then shuts it down.
fn run(config: Config) -> tracing_genai::setup::ShutdownReport {
    let (layer, guard) = config.build().unwrap().layer();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        otlp::emit_sample_trace();
        let chat = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
        chat.record_token_usage(100, 7);
        drop(chat);
    });
    guard.shutdown().unwrap()
}

fn histogram<'a>(metrics: &'a [(String, Metric)], name: &str) -> &'a Metric {
    metrics
        .iter()
        .map(|(_, m)| m)
        .find(|m| m.name == name)
        .unwrap_or_else(|| {
            panic!(
                "no metric {name:?} in {:?}",
                metrics.iter().map(|(_, m)| &m.name).collect::<Vec<_>>()
            )
        })
}

fn points(m: &Metric) -> &[HistogramDataPoint] {
    match &m.data {
        Some(metric::Data::Histogram(h)) => &h.data_points,
        other => panic!("{} is not a histogram: {other:?}", m.name),
    }
}

fn str_attr<'a>(p: &'a HistogramDataPoint, key: &str) -> Option<&'a str> {
    p.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
        .and_then(|v| match v {
            any_value::Value::StringValue(s) => Some(s.as_str()),
            _ => None,
        })
}

fn assert_genai_metrics(receiver: &Receiver) {
    let metrics = receiver.metrics();
    assert!(metrics.iter().all(|(scope, _)| scope == "tracing-genai"));

    let duration = histogram(&metrics, "gen_ai.client.operation.duration");
    assert_eq!(duration.unit, "s");
    let points_d = points(duration);
    let count: u64 = points_d.iter().map(|p| p.count).sum();
    assert_eq!(count, 2, "two chat calls");
    for p in points_d {
        assert_eq!(p.explicit_bounds, DURATION_BUCKETS);
        assert_eq!(str_attr(p, "gen_ai.operation.name"), Some("chat"));
        assert_eq!(str_attr(p, "gen_ai.request.model"), Some("gpt-4o"));
    }

    let tokens = histogram(&metrics, "gen_ai.client.token.usage");
    assert_eq!(tokens.unit, "{token}");
    let by_type = |t: &str| {
        let p: Vec<_> = points(tokens)
            .iter()
            .filter(|p| str_attr(p, "gen_ai.token.type") == Some(t))
            .collect();
        assert_eq!(p.len(), 1, "one point for token type {t}");
        p[0].clone()
    };
    let input = by_type("input");
    let output = by_type("output");
    assert_eq!(points(tokens).len(), 2);
    assert_eq!((input.count, input.sum), (2, Some(112.0)));
    assert_eq!((output.count, output.sum), (2, Some(37.0)));
    assert_eq!(input.explicit_bounds, TOKEN_BUCKETS);
    assert_eq!(output.explicit_bounds, TOKEN_BUCKETS);
}

#[test]
fn http_metrics_flushed_at_shutdown() {
    let receiver = otlp::start_http(Behavior::Accept);
    let config = Config::from_env_vars([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.http_base()),
        // Far longer than the test: metrics can only arrive through the shutdown flush.
        ("OTEL_METRIC_EXPORT_INTERVAL", "600000".to_string()),
    ])
    .unwrap()
    .with_shutdown_timeout(Duration::from_secs(10));
    assert_eq!(
        config.metrics_endpoint(),
        format!("{}/v1/metrics", receiver.http_base())
    );
    let report = run(config);
    assert_eq!(report.metrics_flushed, Some(true), "{report:?}");
    assert_eq!(report.metrics_error, None);
    assert_eq!(report.exported, 4, "{report}");
    assert_eq!(receiver.metric_requests(), 1);
    assert_genai_metrics(&receiver);
}

#[test]
fn periodic_export_honours_the_interval() {
    let receiver = otlp::start_http(Behavior::Accept);
    let config = Config::default()
        .with_endpoint(receiver.http_base())
        .with_metric_export_interval(Duration::from_millis(50));
    let (layer, guard) = config.build().unwrap().layer();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        otlp::emit_sample_trace();
    });
    // Bounded wait for a periodic export, before any shutdown.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while receiver.metric_requests() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(receiver.metric_requests() >= 1, "no periodic metric export");
    let report = guard.shutdown().unwrap();
    assert_eq!(report.metrics_flushed, Some(true), "{report:?}");
}

#[cfg(feature = "otlp-grpc")]
#[test]
fn grpc_metrics_flushed_at_shutdown() {
    let receiver = otlp::start_grpc(Behavior::Accept);
    let config = Config::default()
        .with_protocol(tracing_genai::setup::Protocol::Grpc)
        .with_endpoint(receiver.http_base())
        .with_shutdown_timeout(Duration::from_secs(10));
    let report = run(config);
    assert_eq!(report.metrics_flushed, Some(true), "{report:?}");
    assert_genai_metrics(&receiver);
}

#[test]
fn metrics_off_sends_nothing_to_v1_metrics() {
    for config in [
        Config::from_env_vars([("OTEL_METRICS_EXPORTER", "none")]).unwrap(),
        Config::default().with_metrics(false),
    ] {
        let receiver = otlp::start_http(Behavior::Accept);
        let config = config
            .with_endpoint(receiver.http_base())
            .with_metric_export_interval(Duration::from_millis(10));
        assert!(!config.metrics_enabled());
        let report = run(config);
        assert_eq!(report.metrics_flushed, None);
        assert_eq!(report.metrics_destination, None);
        // Spans still went out; no metric request ever did.
        assert_eq!(receiver.spans().len(), 4);
        assert_eq!(receiver.metric_requests(), 0);
    }
}

#[test]
fn failed_final_flush_is_reported() {
    let closed = support::closed_port();
    let config = Config::default()
        .with_endpoint(format!("http://{closed}"))
        .with_shutdown_timeout(Duration::from_secs(5));
    let (layer, guard) = config.build().unwrap().layer();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        otlp::emit_sample_trace();
    });
    let report = guard.shutdown().unwrap_err().report().clone();
    assert_eq!(report.metrics_flushed, Some(false), "{report:?}");
    assert!(report.metrics_error.is_some(), "{report:?}");
    assert!(
        report.to_string().contains("metrics: final flush"),
        "{report}"
    );
}

#[test]
fn metrics_env_parsing() {
    for bad in ["soon", "-5", "0", "1.5"] {
        match Config::from_env_vars([("OTEL_METRIC_EXPORT_INTERVAL", bad)]) {
            Err(SetupError::InvalidEnv { var, value, .. }) => {
                assert_eq!(var, "OTEL_METRIC_EXPORT_INTERVAL");
                assert_eq!(value, bad);
            }
            other => panic!("{bad:?}: expected InvalidEnv, got {other:?}"),
        }
    }
    assert!(matches!(
        Config::from_env_vars([("OTEL_METRICS_EXPORTER", "prometheus")]),
        Err(SetupError::InvalidEnv { var, .. }) if var == "OTEL_METRICS_EXPORTER"
    ));
    let config = Config::from_env_vars([
        ("OTEL_METRIC_EXPORT_INTERVAL", "1500"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318"),
        ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m:9/custom"),
    ])
    .unwrap();
    assert_eq!(config.metric_export_interval(), Duration::from_millis(1500));
    assert_eq!(config.metrics_endpoint(), "http://m:9/custom");
    assert_eq!(config.traces_endpoint(), "http://base:4318/v1/traces");
    // Defaults: 60 s; on with OTLP spans and with console spans (printed at shutdown), off
    // with a disabled SDK.
    assert_eq!(
        Config::default().metric_export_interval(),
        Duration::from_secs(60)
    );
    assert!(Config::default().metrics_enabled());
    assert!(
        Config::default()
            .with_exporter(tracing_genai::setup::ExporterKind::Console)
            .metrics_enabled()
    );
    assert!(
        !Config::from_env_vars([("OTEL_SDK_DISABLED", "true")])
            .unwrap()
            .metrics_enabled()
    );
    // Code wins over the environment.
    assert!(
        Config::from_env_vars([("OTEL_METRICS_EXPORTER", "none")])
            .unwrap()
            .with_metrics(true)
            .metrics_enabled()
    );
}
