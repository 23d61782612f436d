//! The meter provider built by `setup()`: a periodic reader over an OTLP metric exporter that
//! shares the trace exporter's transport, headers, timeout and compression.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider, Temporality};
use opentelemetry_sdk::Resource;

use super::config::{Config, Protocol};
use super::error::SetupError;

/// Metric export outcomes, read by the guard.
#[derive(Debug, Default)]
pub(crate) struct MetricCounters {
    /// Last export error (periodic or final flush).
    pub(crate) last_error: Mutex<Option<String>>,
    /// Whether the last export succeeded (`None`: nothing exported yet).
    pub(crate) last_ok: Mutex<Option<bool>>,
}

impl MetricCounters {
    pub(crate) fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }

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
            if let Ok(mut last) = self.counters.last_error.lock() {
                *last = Some(err.to_string());
            }
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

/// Builds the meter provider over OTLP (the caller checked that metrics are on).
pub(crate) fn otlp_meter_provider(
    config: &Config,
    resource: Resource,
    counters: &Arc<MetricCounters>,
) -> Result<SdkMeterProvider, SetupError> {
    let endpoint = config.metrics_endpoint();
    let interval = config.metric_export_interval();
    match config.protocol() {
        Protocol::Grpc => {
            #[cfg(feature = "otlp-grpc")]
            {
                let exporter = grpc::GrpcMetricBridge::start(config, &endpoint)?;
                Ok(with_reader(exporter, counters, interval, resource))
            }
            #[cfg(not(feature = "otlp-grpc"))]
            {
                let _ = (endpoint, interval, counters, resource);
                Err(SetupError::FeatureDisabled {
                    protocol: "grpc",
                    feature: "otlp-grpc",
                })
            }
        }
        protocol @ (Protocol::HttpProtobuf | Protocol::HttpJson) => {
            #[cfg(feature = "otlp-http")]
            {
                let exporter = http_exporter(config, protocol, &endpoint)?;
                Ok(with_reader(exporter, counters, interval, resource))
            }
            #[cfg(not(feature = "otlp-http"))]
            {
                let _ = (endpoint, interval, counters, protocol, resource);
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

#[cfg(feature = "otlp-http")]
fn http_exporter(
    config: &Config,
    protocol: Protocol,
    endpoint: &str,
) -> Result<opentelemetry_otlp::MetricExporter, SetupError> {
    super::exporter::configure_http(
        opentelemetry_otlp::MetricExporter::builder().with_http(),
        config,
        protocol,
        endpoint,
    )?
    .build()
    .map_err(|e| SetupError::Exporter {
        endpoint: endpoint.to_owned(),
        reason: e.to_string(),
    })
}

#[cfg(feature = "otlp-grpc")]
mod grpc {
    //! The tonic metric exporter on a dedicated current-thread runtime thread. That thread
    //! drives the runtime (IO and timers); the periodic reader's own thread (never a runtime
    //! thread) waits on each export through `Handle::block_on`, bounded by the request timeout.

    use std::sync::mpsc::sync_channel;
    use std::time::Duration;

    use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
    use opentelemetry_sdk::metrics::data::ResourceMetrics;
    use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
    use opentelemetry_sdk::metrics::Temporality;

    use super::super::config::Config;
    use super::super::error::SetupError;

    pub(crate) struct GrpcMetricBridge {
        exporter: opentelemetry_otlp::MetricExporter,
        handle: tokio::runtime::Handle,
        timeout: Duration,
        // Dropping it stops the runtime thread.
        _stop: tokio::sync::oneshot::Sender<()>,
    }

    impl std::fmt::Debug for GrpcMetricBridge {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("GrpcMetricBridge").finish_non_exhaustive()
        }
    }

    impl GrpcMetricBridge {
        pub(crate) fn start(
            config: &Config,
            endpoint: &str,
        ) -> Result<GrpcMetricBridge, SetupError> {
            use opentelemetry_otlp::{WithExportConfig, WithTonicConfig};

            let (metadata, timeout, gzip) = super::super::exporter::grpc_options(config)?;
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let (ready_tx, ready_rx) = sync_channel(1);
            std::thread::Builder::new()
                .name("tracing-genai-otlp-grpc-metrics".into())
                .spawn(move || {
                    match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(runtime) => {
                            let _ = ready_tx.send(Ok(runtime.handle().clone()));
                            runtime.block_on(async move {
                                let _ = stopped.await;
                            });
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.to_string()));
                        }
                    }
                })
                .map_err(|e| SetupError::Runtime(e.to_string()))?;
            let handle = match ready_rx.recv_timeout(Duration::from_secs(10)) {
                Ok(Ok(handle)) => handle,
                Ok(Err(reason)) => return Err(SetupError::Runtime(reason)),
                Err(_) => {
                    return Err(SetupError::Runtime(
                        "the gRPC metrics thread did not start".into(),
                    ))
                }
            };
            // The tonic channel spawns its worker on the runtime it is built in.
            let _entered = handle.enter();
            #[cfg_attr(not(any(feature = "gzip", feature = "tls")), allow(unused_mut))]
            let mut builder = opentelemetry_otlp::MetricExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint.to_owned())
                .with_timeout(timeout)
                .with_metadata(metadata);
            if gzip {
                #[cfg(feature = "gzip")]
                {
                    builder = builder.with_compression(opentelemetry_otlp::Compression::Gzip);
                }
            }
            #[cfg(feature = "tls")]
            if endpoint.starts_with("https://") {
                builder = builder.with_tls_config(
                    opentelemetry_otlp::tonic_types::transport::ClientTlsConfig::new()
                        .with_native_roots(),
                );
            }
            let exporter = builder.build().map_err(|e| SetupError::Exporter {
                endpoint: endpoint.to_owned(),
                reason: e.to_string(),
            })?;
            Ok(GrpcMetricBridge {
                exporter,
                handle: handle.clone(),
                timeout,
                _stop: stop,
            })
        }
    }

    impl PushMetricExporter for GrpcMetricBridge {
        async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
            // Called on the periodic reader's thread (not a runtime thread): blocking is fine.
            let deadline = self.timeout + Duration::from_millis(250);
            let export =
                async { tokio::time::timeout(deadline, self.exporter.export(metrics)).await };
            match self.handle.block_on(export) {
                Ok(result) => result,
                Err(_) => Err(OTelSdkError::Timeout(self.timeout)),
            }
        }

        fn force_flush(&self) -> OTelSdkResult {
            self.exporter.force_flush()
        }

        fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
            self.exporter.shutdown_with_timeout(timeout)
        }

        fn temporality(&self) -> Temporality {
            self.exporter.temporality()
        }
    }
}
