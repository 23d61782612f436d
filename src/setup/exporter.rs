//! Transport construction (OTLP/HTTP, OTLP/gRPC on its own runtime thread, console) and the
//! counting wrappers that make the shutdown report possible.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry::Context;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};
use opentelemetry_sdk::Resource;

#[cfg(feature = "otlp-http")]
use super::config::Compression;
use super::config::{Config, Protocol};
use super::error::SetupError;

/// Counts shared by the counting exporter and processor, read by the guard.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) ended: AtomicU64,
    pub(crate) exported: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) last_error: Mutex<Option<String>>,
}

impl Counters {
    pub(crate) fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }
}

/// Wraps an exporter: counts exported and failed spans and keeps the last error.
#[derive(Debug)]
pub(crate) struct CountingExporter<E> {
    inner: E,
    counters: Arc<Counters>,
}

impl<E> CountingExporter<E> {
    pub(crate) fn new(inner: E, counters: Arc<Counters>) -> Self {
        CountingExporter { inner, counters }
    }
}

impl<E: SpanExporter> SpanExporter for CountingExporter<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let n = batch.len() as u64;
        let result = self.inner.export(batch).await;
        match &result {
            Ok(()) => {
                self.counters.exported.fetch_add(n, Ordering::AcqRel);
            }
            Err(err) => {
                self.counters.failed.fetch_add(n, Ordering::AcqRel);
                if let Ok(mut last) = self.counters.last_error.lock() {
                    *last = Some(err.to_string());
                }
            }
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// Wraps a processor: counts ended (sampled) spans before delegating, so that
/// `dropped = ended - exported - failed` once shutdown completed.
#[derive(Debug)]
pub(crate) struct CountingProcessor<P> {
    inner: P,
    counters: Arc<Counters>,
}

impl<P> CountingProcessor<P> {
    pub(crate) fn new(inner: P, counters: Arc<Counters>) -> Self {
        CountingProcessor { inner, counters }
    }
}

impl<P: SpanProcessor> SpanProcessor for CountingProcessor<P> {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        self.inner.on_start(span, cx);
    }

    fn on_end(&self, span: SpanData) {
        self.counters.ended.fetch_add(1, Ordering::AcqRel);
        self.inner.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// Builds the OTLP exporter for the configured protocol, wrapped in the counter.
pub(crate) fn otlp_processor(
    config: &Config,
    counters: &Arc<Counters>,
) -> Result<opentelemetry_sdk::trace::BatchSpanProcessor, SetupError> {
    let batch = config.batch_config()?;
    let endpoint = config.traces_endpoint();
    match config.protocol() {
        Protocol::Grpc => {
            #[cfg(feature = "otlp-grpc")]
            {
                let bridge = grpc::GrpcBridge::start(config, &endpoint)?;
                let exporter = CountingExporter::new(bridge, Arc::clone(counters));
                Ok(
                    opentelemetry_sdk::trace::BatchSpanProcessor::builder(exporter)
                        .with_batch_config(batch)
                        .build(),
                )
            }
            #[cfg(not(feature = "otlp-grpc"))]
            {
                let _ = (batch, endpoint, counters);
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
                let exporter = CountingExporter::new(exporter, Arc::clone(counters));
                Ok(
                    opentelemetry_sdk::trace::BatchSpanProcessor::builder(exporter)
                        .with_batch_config(batch)
                        .build(),
                )
            }
            #[cfg(not(feature = "otlp-http"))]
            {
                let _ = (batch, endpoint, counters, protocol);
                Err(SetupError::FeatureDisabled {
                    protocol: "http/protobuf",
                    feature: "otlp-http",
                })
            }
        }
    }
}

#[cfg(feature = "otlp-http")]
fn http_exporter(
    config: &Config,
    protocol: Protocol,
    endpoint: &str,
) -> Result<opentelemetry_otlp::SpanExporter, SetupError> {
    configure_http(
        opentelemetry_otlp::SpanExporter::builder().with_http(),
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

/// Applies the endpoint, protocol, timeout, headers and compression of `config` to an OTLP
/// HTTP exporter builder (span or metric).
#[cfg(feature = "otlp-http")]
pub(super) fn configure_http<B>(
    builder: B,
    config: &Config,
    protocol: Protocol,
    endpoint: &str,
) -> Result<B, SetupError>
where
    B: opentelemetry_otlp::WithExportConfig + opentelemetry_otlp::WithHttpConfig,
{
    let otlp_protocol = match protocol {
        #[cfg(feature = "otlp-http-json")]
        Protocol::HttpJson => opentelemetry_otlp::Protocol::HttpJson,
        #[cfg(not(feature = "otlp-http-json"))]
        Protocol::HttpJson => {
            return Err(SetupError::FeatureDisabled {
                protocol: "http/json",
                feature: "otlp-http-json",
            })
        }
        _ => opentelemetry_otlp::Protocol::HttpBinary,
    };
    #[cfg_attr(not(feature = "gzip"), allow(unused_mut))]
    let mut builder = builder
        .with_endpoint(endpoint)
        .with_protocol(otlp_protocol)
        .with_timeout(config.timeout())
        .with_headers(config.headers().into_iter().collect());
    if let Some(Compression::Gzip) = config.compression() {
        #[cfg(feature = "gzip")]
        {
            builder = builder.with_compression(opentelemetry_otlp::Compression::Gzip);
        }
        #[cfg(not(feature = "gzip"))]
        return Err(SetupError::FeatureDisabled {
            protocol: "gzip compression",
            feature: "gzip",
        });
    }
    Ok(builder)
}

/// The gRPC metadata (headers), request timeout and whether to gzip, shared by the span and
/// metric exporters.
#[cfg(feature = "otlp-grpc")]
pub(super) fn grpc_options(
    config: &Config,
) -> Result<
    (
        opentelemetry_otlp::tonic_types::metadata::MetadataMap,
        std::time::Duration,
        bool,
    ),
    SetupError,
> {
    let mut headers = http::HeaderMap::new();
    for (k, v) in config.headers() {
        let invalid = |e: String| SetupError::InvalidConfig {
            setting: "headers",
            reason: format!("{k}: {e}"),
        };
        let name = http::HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes())
            .map_err(|e| invalid(e.to_string()))?;
        let value = http::HeaderValue::from_str(&v).map_err(|e| invalid(e.to_string()))?;
        headers.insert(name, value);
    }
    let metadata = opentelemetry_otlp::tonic_types::metadata::MetadataMap::from_headers(headers);
    let gzip = config.compression() == Some(super::config::Compression::Gzip);
    #[cfg(not(feature = "gzip"))]
    if gzip {
        return Err(SetupError::FeatureDisabled {
            protocol: "gzip compression",
            feature: "gzip",
        });
    }
    Ok((metadata, config.timeout(), gzip))
}

#[cfg(feature = "otlp-grpc")]
mod grpc {
    //! The tonic exporter needs a tokio reactor: it lives on a dedicated current-thread
    //! runtime thread; the batch thread hands it each batch and waits with a timeout, so the
    //! caller's runtime flavour (or absence of a runtime) never matters.

    use std::sync::mpsc::{sync_channel, RecvTimeoutError, SyncSender};
    use std::time::Duration;

    use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
    use opentelemetry_sdk::trace::{SpanData, SpanExporter};
    use opentelemetry_sdk::Resource;
    use tokio::sync::mpsc::error::TrySendError;

    use super::super::config::Config;
    use super::super::error::SetupError;

    enum Job {
        Export(Vec<SpanData>, SyncSender<OTelSdkResult>),
        Resource(Resource),
    }

    /// Batches that may wait for the runtime thread. The batch thread waits for each reply
    /// (with a timeout), so more than one waits only when an export outlived that timeout
    /// (retries against a hung collector); beyond this many, a batch fails at once instead
    /// of piling up in memory for as long as the collector stays hung.
    const MAX_PENDING: usize = 2;

    /// A [`SpanExporter`] that forwards to the tonic exporter on its own runtime thread.
    #[derive(Debug)]
    pub(crate) struct GrpcBridge {
        jobs: tokio::sync::mpsc::Sender<Job>,
        timeout: Duration,
    }

    impl std::fmt::Debug for Job {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Job")
        }
    }

    impl GrpcBridge {
        pub(crate) fn start(config: &Config, endpoint: &str) -> Result<GrpcBridge, SetupError> {
            use opentelemetry_otlp::{WithExportConfig, WithTonicConfig};

            let (metadata, timeout, gzip) = super::super::exporter::grpc_options(config)?;
            let endpoint = endpoint.to_owned();
            let endpoint_for_thread = endpoint.clone();
            let (jobs, mut rx) = tokio::sync::mpsc::channel::<Job>(MAX_PENDING);
            let (ready_tx, ready_rx) = sync_channel::<Result<(), String>>(1);
            std::thread::Builder::new()
                .name("tracing-genai-otlp-grpc".into())
                .spawn(move || {
                    let runtime = match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(rt) => rt,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.to_string()));
                            return;
                        }
                    };
                    runtime.block_on(async move {
                        #[cfg_attr(not(any(feature = "gzip", feature = "tls")), allow(unused_mut))]
                        let mut builder = opentelemetry_otlp::SpanExporter::builder()
                            .with_tonic()
                            .with_endpoint(endpoint_for_thread.clone())
                            .with_timeout(timeout)
                            .with_metadata(metadata);
                        if gzip {
                            #[cfg(feature = "gzip")]
                            {
                                builder =
                                    builder.with_compression(opentelemetry_otlp::Compression::Gzip);
                            }
                        }
                        #[cfg(feature = "tls")]
                        if endpoint_for_thread.starts_with("https://") {
                            builder = builder.with_tls_config(
                                opentelemetry_otlp::tonic_types::transport::ClientTlsConfig::new()
                                    .with_native_roots(),
                            );
                        }
                        let mut exporter = match builder.build() {
                            Ok(e) => {
                                let _ = ready_tx.send(Ok(()));
                                e
                            }
                            Err(e) => {
                                let _ = ready_tx.send(Err(e.to_string()));
                                return;
                            }
                        };
                        while let Some(job) = rx.recv().await {
                            match job {
                                Job::Export(batch, reply) => {
                                    let result = exporter.export(batch).await;
                                    let _ = reply.send(result);
                                }
                                Job::Resource(resource) => exporter.set_resource(&resource),
                            }
                        }
                        let _ = exporter.shutdown();
                    });
                })
                .map_err(|e| SetupError::Runtime(e.to_string()))?;
            match ready_rx.recv_timeout(Duration::from_secs(10)) {
                Ok(Ok(())) => Ok(GrpcBridge { jobs, timeout }),
                Ok(Err(reason)) => Err(SetupError::Exporter { endpoint, reason }),
                Err(_) => Err(SetupError::Runtime(
                    "the gRPC exporter thread did not start".into(),
                )),
            }
        }
    }

    impl SpanExporter for GrpcBridge {
        async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
            // Called on the batch processor's own thread: blocking here is fine.
            let (reply, answer) = sync_channel(1);
            self.jobs
                .try_send(Job::Export(batch, reply))
                .map_err(|e| match e {
                    TrySendError::Full(_) => OTelSdkError::InternalFailure(format!(
                        "{MAX_PENDING} earlier exports are still in flight (the collector does not answer)"
                    )),
                    TrySendError::Closed(_) => {
                        OTelSdkError::InternalFailure("the gRPC exporter thread has stopped".into())
                    }
                })?;
            match answer.recv_timeout(self.timeout + Duration::from_millis(250)) {
                Ok(result) => result,
                Err(RecvTimeoutError::Timeout) => Err(OTelSdkError::Timeout(self.timeout)),
                Err(RecvTimeoutError::Disconnected) => Err(OTelSdkError::InternalFailure(
                    "the gRPC exporter thread has stopped".into(),
                )),
            }
        }

        fn set_resource(&mut self, resource: &Resource) {
            // Called once, before any export: the channel has room.
            let _ = self.jobs.try_send(Job::Resource(resource.clone()));
        }
    }
}
