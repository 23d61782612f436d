//! Transport construction (OTLP/HTTP; OTLP/gRPC on its own runtime thread, see
//! `bridge.rs`) and the counting wrappers that make the shutdown report possible.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry::Context;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};

#[cfg(feature = "otlp-grpc")]
use super::bridge::Bridge;
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
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
#[cfg_attr(
    not(any(feature = "otlp-http", feature = "otlp-grpc")),
    allow(dead_code)
)]
pub(crate) struct CountingExporter<E> {
    inner: E,
    counters: Arc<Counters>,
}

impl<E> CountingExporter<E> {
    #[cfg_attr(
        not(any(feature = "otlp-http", feature = "otlp-grpc")),
        allow(dead_code)
    )]
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
                let exporter = grpc_exporter(config, &endpoint)?;
                let exporter = CountingExporter::new(exporter, Arc::clone(counters));
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
    .map_err(|source| SetupError::Exporter {
        endpoint: endpoint.to_owned(),
        source,
    })
}

/// The tonic span exporter on its own runtime thread.
#[cfg(feature = "otlp-grpc")]
fn grpc_exporter(
    config: &Config,
    endpoint: &str,
) -> Result<Bridge<opentelemetry_otlp::SpanExporter>, SetupError> {
    GrpcOptions::from_config(config)?.bridge(
        "tracing-genai-otlp-grpc",
        "exporter",
        endpoint,
        opentelemetry_otlp::SpanExporter::builder().with_tonic(),
        |builder| builder.build(),
    )
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
            });
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
#[derive(Debug)]
pub(super) struct GrpcOptions {
    metadata: opentelemetry_otlp::tonic_types::metadata::MetadataMap,
    timeout: Duration,
    #[cfg_attr(not(feature = "gzip"), allow(dead_code))]
    gzip: bool,
}

#[cfg(feature = "otlp-grpc")]
impl GrpcOptions {
    /// Checks the headers (valid gRPC metadata) and the compression (compiled in).
    pub(super) fn from_config(config: &Config) -> Result<GrpcOptions, SetupError> {
        let mut headers = http::HeaderMap::new();
        for (k, v) in config.headers() {
            let invalid = |e: Box<dyn std::error::Error + Send + Sync>| SetupError::InvalidConfig {
                setting: "headers",
                reason: format!("{k}: {e}"),
                source: Some(e),
            };
            let name = http::HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes())
                .map_err(|e| invalid(Box::new(e)))?;
            let value = http::HeaderValue::from_str(&v).map_err(|e| invalid(Box::new(e)))?;
            headers.insert(name, value);
        }
        let metadata =
            opentelemetry_otlp::tonic_types::metadata::MetadataMap::from_headers(headers);
        let gzip = config.compression() == Some(Compression::Gzip);
        #[cfg(not(feature = "gzip"))]
        if gzip {
            return Err(SetupError::FeatureDisabled {
                protocol: "gzip compression",
                feature: "gzip",
            });
        }
        Ok(GrpcOptions {
            metadata,
            timeout: config.timeout(),
            gzip,
        })
    }

    /// Applies the endpoint, timeout, metadata, compression and (for `https://`, with the
    /// `tls` feature) the system roots to a tonic exporter builder (span or metric).
    fn configure<B>(self, builder: B, endpoint: &str) -> B
    where
        B: opentelemetry_otlp::WithExportConfig + opentelemetry_otlp::WithTonicConfig,
    {
        #[cfg_attr(not(any(feature = "gzip", feature = "tls")), allow(unused_mut))]
        let mut builder = builder
            .with_endpoint(endpoint)
            .with_timeout(self.timeout)
            .with_metadata(self.metadata);
        #[cfg(feature = "gzip")]
        if self.gzip {
            builder = builder.with_compression(opentelemetry_otlp::Compression::Gzip);
        }
        #[cfg(feature = "tls")]
        if endpoint.starts_with("https://") {
            builder = builder.with_tls_config(
                opentelemetry_otlp::tonic_types::transport::ClientTlsConfig::new()
                    .with_native_roots(),
            );
        }
        builder
    }

    /// Starts a [`Bridge`] (runtime thread `thread`, serving `what`) and builds the exporter
    /// from `builder`, configured with these options, inside its runtime.
    pub(super) fn bridge<B, E>(
        self,
        thread: &'static str,
        what: &'static str,
        endpoint: &str,
        builder: B,
        build: impl FnOnce(B) -> Result<E, opentelemetry_otlp::ExporterBuildError>,
    ) -> Result<Bridge<E>, SetupError>
    where
        B: opentelemetry_otlp::WithExportConfig + opentelemetry_otlp::WithTonicConfig,
    {
        let timeout = self.timeout;
        Bridge::start(thread, what, timeout, || {
            build(self.configure(builder, endpoint)).map_err(|source| SetupError::Exporter {
                endpoint: endpoint.to_owned(),
                source,
            })
        })
    }
}
