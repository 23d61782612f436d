//! The meter provider built by `setup()`: a periodic reader over an OTLP metric exporter that
//! shares the trace exporter's transport, headers, timeout and compression (and, for gRPC, the
//! same kind of `Bridge` (`bridge.rs`), on a runtime thread of its own).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider, Temporality};

use super::config::{Config, Protocol};
use super::error::SetupError;
#[cfg(feature = "otlp-grpc")]
use super::exporter::GrpcOptions;
use super::http_client::ExportErrors;
use super::signal::Signal;

/// Metric export outcomes, read by the guard.
#[derive(Debug, Default)]
pub(crate) struct MetricCounters {
    /// Last export error (periodic or final flush).
    pub(crate) errors: ExportErrors,
    /// Whether the last export succeeded (`None`: nothing exported yet).
    pub(crate) last_ok: Mutex<Option<bool>>,
}

impl MetricCounters {
    pub(crate) fn last_ok(&self) -> Option<bool> {
        self.last_ok.lock().ok().and_then(|e| *e)
    }
}

/// Wraps a metric exporter and remembers the outcome of each export.
#[derive(Debug)]
struct CountingMetricExporter<E> {
    inner: E,
    counters: Arc<MetricCounters>,
}

impl<E: PushMetricExporter> PushMetricExporter for CountingMetricExporter<E> {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let result = self.inner.export(metrics).await;
        if let Ok(mut ok) = self.counters.last_ok.lock() {
            *ok = Some(result.is_ok());
        }
        if let Err(err) = &result {
            self.counters.errors.set(err.to_string());
        }
        result
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.inner.temporality()
    }
}

// --- console metrics (issue 12) ---

/// Builds the meter provider whose metrics are printed as a table at shutdown
/// (`OTEL_METRICS_EXPORTER=console`).
pub(crate) fn console_meter_provider(
    config: &Config,
    resource: Resource,
    counters: &Arc<MetricCounters>,
    order: Option<Arc<super::console::ShutdownOrder>>,
) -> SdkMeterProvider {
    let exporter = super::console::ConsoleMetricExporter::new(
        super::console::Sink::Stdout,
        super::console::Style::for_stdout(),
    )
    .with_order(order);
    with_reader(
        exporter,
        counters,
        config.metric_export_interval(),
        resource,
    )
}

// --- end console metrics ---

/// Builds the meter provider over OTLP (the caller checked that metrics are on).
pub(crate) fn otlp_meter_provider(
    config: &Config,
    resource: Resource,
    counters: &Arc<MetricCounters>,
) -> Result<SdkMeterProvider, SetupError> {
    let transport = config.transport(Signal::Metrics);
    let interval = config.metric_export_interval();
    match transport.protocol {
        Protocol::Grpc => {
            #[cfg(feature = "otlp-grpc")]
            {
                let exporter = GrpcOptions::new(&transport)?.bridge(
                    "tracing-genai-otlp-grpc-metrics",
                    "metrics",
                    opentelemetry_otlp::MetricExporter::builder().with_tonic(),
                    |builder| builder.build(),
                )?;
                Ok(with_reader(exporter, counters, interval, resource))
            }
            #[cfg(not(feature = "otlp-grpc"))]
            {
                let _ = (interval, counters, resource);
                Err(SetupError::FeatureDisabled {
                    protocol: "grpc",
                    feature: "otlp-grpc",
                })
            }
        }
        Protocol::HttpProtobuf | Protocol::HttpJson => {
            #[cfg(feature = "otlp-http")]
            {
                let exporter = super::exporter::configure_http(
                    opentelemetry_otlp::MetricExporter::builder().with_http(),
                    &transport,
                    &counters.errors.transport,
                )?
                .build()
                .map_err(|source| SetupError::Exporter {
                    endpoint: transport.endpoint.clone(),
                    source,
                })?;
                Ok(with_reader(exporter, counters, interval, resource))
            }
            #[cfg(not(feature = "otlp-http"))]
            {
                let _ = (interval, counters, resource);
                Err(SetupError::FeatureDisabled {
                    protocol: "http/protobuf",
                    feature: "otlp-http",
                })
            }
        }
    }
}

fn with_reader<E: PushMetricExporter>(
    exporter: E,
    counters: &Arc<MetricCounters>,
    interval: Duration,
    resource: Resource,
) -> SdkMeterProvider {
    let reader = PeriodicReader::builder(CountingMetricExporter {
        inner: exporter,
        counters: Arc::clone(counters),
    })
    .with_interval(interval)
    .build();
    SdkMeterProvider::builder()
        .with_resource(resource)
        .with_reader(reader)
        .build()
}
