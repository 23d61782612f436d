//! Transport construction (OTLP/HTTP; OTLP/gRPC on its own runtime thread, see
//! `bridge.rs`) and the counting wrappers that make the shutdown report possible.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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
use super::http_client::ExportErrors;
#[cfg(feature = "otlp-http")]
use super::http_client::OtlpHttpClient;
#[cfg(feature = "otlp-http")]
use super::http_client::TransportError;
use super::signal::Signal;
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
use super::signal::Transport;
#[cfg(feature = "otlp-grpc")]
use super::tls::{self, TlsMaterial};

/// Counts shared by the counting exporter and processor, read by the guard.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) ended: AtomicU64,
    pub(crate) exported: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) errors: ExportErrors,
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
                self.counters.errors.set(err.to_string());
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

/// Builds the OTLP span exporter for the configured transport, wrapped in the counter.
pub(crate) fn otlp_processor(
    config: &Config,
    counters: &Arc<Counters>,
) -> Result<opentelemetry_sdk::trace::BatchSpanProcessor, SetupError> {
    let batch = config.batch_config()?;
    let transport = config.transport(Signal::Traces);
    #[cfg_attr(
        not(any(feature = "otlp-http", feature = "otlp-grpc")),
        allow(dead_code)
    )]
    fn batched<E: SpanExporter + 'static>(
        exporter: E,
        batch: opentelemetry_sdk::trace::BatchConfig,
        counters: &Arc<Counters>,
    ) -> opentelemetry_sdk::trace::BatchSpanProcessor {
        opentelemetry_sdk::trace::BatchSpanProcessor::builder(CountingExporter::new(
            exporter,
            Arc::clone(counters),
        ))
        .with_batch_config(batch)
        .build()
    }
    match transport.protocol {
        Protocol::Grpc => {
            #[cfg(feature = "otlp-grpc")]
            {
                let exporter = GrpcOptions::new(&transport)?.bridge(
                    "tracing-genai-otlp-grpc",
                    "exporter",
                    opentelemetry_otlp::SpanExporter::builder().with_tonic(),
                    |builder| builder.build(),
                )?;
                Ok(batched(exporter, batch, counters))
            }
            #[cfg(not(feature = "otlp-grpc"))]
            {
                let _ = (batch, counters);
                Err(SetupError::FeatureDisabled {
                    protocol: "grpc",
                    feature: "otlp-grpc",
                })
            }
        }
        Protocol::HttpProtobuf | Protocol::HttpJson => {
            #[cfg(feature = "otlp-http")]
            {
                let builder = configure_http(
                    opentelemetry_otlp::SpanExporter::builder().with_http(),
                    &transport,
                    &counters.errors.transport,
                )?;
                let exporter = builder.build().map_err(|source| SetupError::Exporter {
                    endpoint: transport.endpoint.clone(),
                    source,
                })?;
                Ok(batched(exporter, batch, counters))
            }
            #[cfg(not(feature = "otlp-http"))]
            {
                let _ = (batch, counters);
                Err(SetupError::FeatureDisabled {
                    protocol: "http/protobuf",
                    feature: "otlp-http",
                })
            }
        }
    }
}

/// Applies `transport` (endpoint, protocol, timeout, compression; headers and TLS through our
/// own HTTP client, see `http_client.rs`) to an OTLP HTTP exporter builder of any signal.
/// `errors` receives the transport's failures.
#[cfg(feature = "otlp-http")]
pub(super) fn configure_http<B>(
    builder: B,
    transport: &Transport,
    errors: &Arc<TransportError>,
) -> Result<B, SetupError>
where
    B: opentelemetry_otlp::WithExportConfig + opentelemetry_otlp::WithHttpConfig,
{
    let otlp_protocol = match transport.protocol {
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
    let client = OtlpHttpClient::new(transport, Arc::clone(errors))?;
    #[cfg_attr(not(feature = "gzip"), allow(unused_mut))]
    let mut builder = builder
        .with_endpoint(&transport.endpoint)
        .with_protocol(otlp_protocol)
        .with_timeout(transport.timeout)
        .with_http_client(client);
    if let Some(Compression::Gzip) = transport.compression {
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

/// The gRPC settings of one signal's exporter: metadata (set last by an interceptor, so that
/// code headers win over environment headers), TLS, timeout and compression.
#[cfg(feature = "otlp-grpc")]
#[derive(Debug)]
pub(super) struct GrpcOptions {
    endpoint: String,
    metadata: opentelemetry_otlp::tonic_types::metadata::MetadataMap,
    tls: Option<opentelemetry_otlp::tonic_types::transport::ClientTlsConfig>,
    timeout: Duration,
    #[cfg_attr(not(feature = "gzip"), allow(dead_code))]
    gzip: bool,
}

#[cfg(feature = "otlp-grpc")]
impl GrpcOptions {
    /// Checks the headers (valid gRPC metadata), the TLS files and the compression (compiled
    /// in).
    pub(super) fn new(transport: &Transport) -> Result<GrpcOptions, SetupError> {
        let headers = transport.header_map()?;
        let metadata =
            opentelemetry_otlp::tonic_types::metadata::MetadataMap::from_headers(headers);
        let material = TlsMaterial::load(transport)?;
        let tls = (tls::is_https(&transport.endpoint) || !material.is_empty())
            .then(|| material.tonic_config());
        let gzip = transport.compression == Some(Compression::Gzip);
        #[cfg(not(feature = "gzip"))]
        if gzip {
            return Err(SetupError::FeatureDisabled {
                protocol: "gzip compression",
                feature: "gzip",
            });
        }
        Ok(GrpcOptions {
            endpoint: transport.endpoint.clone(),
            metadata,
            tls,
            timeout: transport.timeout,
            gzip,
        })
    }

    /// Applies the endpoint, timeout, metadata, compression and TLS to a tonic exporter
    /// builder (any signal).
    fn configure<B>(self, builder: B) -> B
    where
        B: opentelemetry_otlp::WithExportConfig + opentelemetry_otlp::WithTonicConfig,
    {
        let metadata = self.metadata;
        let mut builder = builder
            .with_endpoint(&self.endpoint)
            .with_timeout(self.timeout)
            .with_interceptor(
                move |mut request: tonic::Request<()>| -> Result<tonic::Request<()>, tonic::Status> {
                    for entry in metadata.iter() {
                        if let tonic::metadata::KeyAndValueRef::Ascii(key, value) = entry {
                            request.metadata_mut().insert(key.clone(), value.clone());
                        }
                    }
                    Ok(request)
                },
            );
        #[cfg(feature = "gzip")]
        if self.gzip {
            builder = builder.with_compression(opentelemetry_otlp::Compression::Gzip);
        }
        if let Some(tls) = self.tls {
            builder = builder.with_tls_config(tls);
        }
        builder
    }

    /// Starts a [`Bridge`] (runtime thread `thread`, serving `what`) and builds the exporter
    /// from `builder`, configured with these options, inside its runtime.
    pub(super) fn bridge<B, E>(
        self,
        thread: &'static str,
        what: &'static str,
        builder: B,
        build: impl FnOnce(B) -> Result<E, opentelemetry_otlp::ExporterBuildError>,
    ) -> Result<Bridge<E>, SetupError>
    where
        B: opentelemetry_otlp::WithExportConfig + opentelemetry_otlp::WithTonicConfig,
    {
        let timeout = self.timeout;
        let endpoint = self.endpoint.clone();
        Bridge::start(thread, what, timeout, || {
            build(self.configure(builder))
                .map_err(|source| SetupError::Exporter { endpoint, source })
        })
    }
}
