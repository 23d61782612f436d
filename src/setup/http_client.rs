//! The HTTP client of the OTLP/HTTP exporters: a blocking reqwest client (run on the
//! exporter's own thread) with the TLS settings of `tls.rs`, that
//!
//! - sets the effective headers last, so that headers set in code win over the
//!   `OTEL_EXPORTER_OTLP_*HEADERS` the OTLP exporter adds from the process environment;
//! - keeps the whole error chain of a failed request (the OTLP exporter reduces it to
//!   `network error`), so that the shutdown report can say *why*: a TLS certificate not
//!   trusted, expired or for another name, a plain-HTTP server behind an `https://` URL.

#[cfg(feature = "otlp-http")]
use std::io::Read as _;
use std::sync::{Arc, Mutex};

#[cfg(feature = "otlp-http")]
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};

#[cfg(feature = "otlp-http")]
use super::error::SetupError;
#[cfg(feature = "otlp-http")]
use super::signal::Transport;
#[cfg(feature = "otlp-http")]
use super::tls::TlsMaterial;

/// Response bodies beyond this are not read (an OTLP response is a few bytes).
#[cfg(feature = "otlp-http")]
const MAX_RESPONSE_BYTES: u64 = 4 * 1024 * 1024;

/// The last transport failure of one exporter (`None` after a request got a response).
#[derive(Debug, Default)]
pub(crate) struct TransportError(Mutex<Option<String>>);

impl TransportError {
    pub(crate) fn get(&self) -> Option<String> {
        self.0.lock().ok().and_then(|e| e.clone())
    }

    #[cfg_attr(not(feature = "otlp-http"), allow(dead_code))]
    fn set(&self, value: Option<String>) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = value;
        }
    }

    /// `error` (the exporter's message), with the transport's own explanation appended when
    /// the exporter dropped it.
    pub(crate) fn explain(&self, error: String) -> String {
        match self.get() {
            Some(detail) if !error.contains(&detail) => format!("{error}: {detail}"),
            _ => error,
        }
    }
}

/// The last failure of one signal's exports, as the exporter reported it, and what its HTTP
/// transport saw (the exporters drop the transport's own error): one per signal's counters.
#[derive(Debug, Default)]
pub(crate) struct ExportErrors {
    last: Mutex<Option<String>>,
    /// The HTTP transport's own account of its last failure.
    pub(crate) transport: Arc<TransportError>,
}

impl ExportErrors {
    /// Keeps `error` as the last one.
    pub(crate) fn set(&self, error: String) {
        if let Ok(mut last) = self.last.lock() {
            *last = Some(error);
        }
    }

    /// The last export error, with the transport's explanation when the exporter dropped it.
    pub(crate) fn last(&self) -> Option<String> {
        let last = self.last.lock().ok().and_then(|e| e.clone())?;
        Some(self.transport.explain(last))
    }
}

/// See the module docs.
#[cfg(feature = "otlp-http")]
#[derive(Debug)]
pub(crate) struct OtlpHttpClient {
    client: reqwest::blocking::Client,
    headers: http::HeaderMap,
    errors: Arc<TransportError>,
}

#[cfg(feature = "otlp-http")]
impl OtlpHttpClient {
    /// Builds the client for `transport` (TLS files read and checked here).
    pub(crate) fn new(
        transport: &Transport,
        errors: Arc<TransportError>,
    ) -> Result<OtlpHttpClient, SetupError> {
        let headers = transport.header_map()?;
        let material = TlsMaterial::load(transport)?;
        let mut builder = reqwest::blocking::Client::builder().timeout(transport.timeout);
        // Always our configuration (also for http://: a redirect could lead to https://).
        builder = builder.tls_backend_preconfigured(material.rustls_config()?);
        // reqwest's blocking client owns a runtime: build it (and so never drop a half-built
        // one) outside any async context the caller may be in.
        let client = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("tracing-genai-http-client".into())
                .spawn_scoped(scope, move || builder.build())
                .map_err(SetupError::Runtime)?
                .join()
                .map_err(|_| {
                    SetupError::Runtime(std::io::Error::other("building the HTTP client panicked"))
                })
        })?
        .map_err(|e| SetupError::InvalidConfig {
            setting: "TLS",
            reason: format!("cannot build the HTTP client: {e}"),
            source: Some(Box::new(e)),
        })?;
        Ok(OtlpHttpClient {
            client,
            headers,
            errors,
        })
    }
}

#[cfg(feature = "otlp-http")]
#[async_trait::async_trait]
impl HttpClient for OtlpHttpClient {
    async fn send_bytes(&self, mut request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        for (name, value) in &self.headers {
            request.headers_mut().insert(name.clone(), value.clone());
        }
        let request: reqwest::blocking::Request = request.try_into()?;
        let mut response = match self.client.execute(request) {
            Ok(response) => response,
            Err(e) => {
                self.errors.set(Some(crate::model::text::error_chain(&e)));
                return Err(Box::new(e));
            }
        };
        self.errors.set(None);
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let mut body = Vec::new();
        response.take(MAX_RESPONSE_BYTES).read_to_end(&mut body)?;
        let mut out = Response::builder().status(status).body(Bytes::from(body))?;
        *out.headers_mut() = headers;
        Ok(out)
    }
}
