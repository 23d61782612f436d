//! The OTLP transport settings made in code: protocol, endpoints (base and per signal),
//! headers, timeout, compression and the TLS files. They override the `OTEL_EXPORTER_OTLP_*`
//! variables, generic and per signal (resolved per signal in `signal.rs`).

use std::path::PathBuf;
use std::time::Duration;

use super::config::Config;
use super::kinds::{Compression, Protocol};

impl Config {
    /// Chooses the OTLP transport (overrides `OTEL_EXPORTER_OTLP_PROTOCOL`).
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_protocol(tracing_genai::setup::Protocol::Grpc);
    /// assert_eq!(config.traces_endpoint(), "http://localhost:4317");
    /// ```
    #[must_use]
    pub fn with_protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = Some(protocol);
        self
    }

    /// The base OTLP endpoint, like `OTEL_EXPORTER_OTLP_ENDPOINT`: for HTTP, `/v1/traces` is
    /// appended. Overrides both endpoint variables.
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_endpoint("http://otel:4318/");
    /// assert_eq!(config.traces_endpoint(), "http://otel:4318/v1/traces");
    /// ```
    #[must_use]
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self.traces_endpoint = None;
        self.metrics_endpoint = None;
        self.logs_endpoint = None;
        self
    }

    /// The exact traces URL, like `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is).
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_traces_endpoint("https://api.example.com/otlp/traces");
    /// assert_eq!(config.traces_endpoint(), "https://api.example.com/otlp/traces");
    /// ```
    #[must_use]
    pub fn with_traces_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.traces_endpoint = Some(endpoint.into());
        self
    }

    /// The exact metrics URL, like `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` (used as is).
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_metrics_endpoint("https://api.example.com/otlp/metrics");
    /// assert_eq!(config.metrics_endpoint(), "https://api.example.com/otlp/metrics");
    /// ```
    #[must_use]
    pub fn with_metrics_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.metrics_endpoint = Some(endpoint.into());
        self
    }

    /// The exact logs URL, like `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` (used as is).
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_logs_endpoint("https://api.example.com/otlp/logs");
    /// assert_eq!(config.logs_endpoint(), "https://api.example.com/otlp/logs");
    /// ```
    #[must_use]
    pub fn with_logs_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.logs_endpoint = Some(endpoint.into());
        self
    }

    /// A PEM file of CA certificates trusted in addition to the system roots for every
    /// `https://` endpoint, HTTP and gRPC alike (overrides `OTEL_EXPORTER_OTLP_CERTIFICATE`
    /// and its per-signal forms): for a collector whose certificate a private CA signed. An
    /// unreadable or malformed file fails [`Config::build`] with a
    /// [`SetupError::TlsFile`](crate::setup::SetupError::TlsFile) naming it.
    ///
    /// ```
    /// let config = tracing_genai::Config::default()
    ///     .with_endpoint("https://collector.internal:4318")
    ///     .with_certificate("/etc/otel/ca.pem");
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_certificate(mut self, path: impl Into<PathBuf>) -> Self {
        self.certificate = Some(path.into());
        self
    }

    /// The client certificate chain (PEM) presented to collectors that require mutual TLS
    /// (overrides `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` and its per-signal forms); needs
    /// [`Config::with_client_key`].
    ///
    /// ```
    /// let config = tracing_genai::Config::default()
    ///     .with_client_certificate("/etc/otel/client.pem")
    ///     .with_client_key("/etc/otel/client-key.pem");
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_client_certificate(mut self, path: impl Into<PathBuf>) -> Self {
        self.client_certificate = Some(path.into());
        self
    }

    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1) of the client certificate (overrides
    /// `OTEL_EXPORTER_OTLP_CLIENT_KEY` and its per-signal forms).
    ///
    /// ```
    /// let config = tracing_genai::Config::default()
    ///     .with_client_certificate("/etc/otel/client.pem")
    ///     .with_client_key("/etc/otel/client-key.pem");
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_client_key(mut self, path: impl Into<PathBuf>) -> Self {
        self.client_key = Some(path.into());
        self
    }

    /// Adds a header (gRPC metadata) sent with every export of every signal, e.g. an API key.
    /// Replaces a header of the same name from `OTEL_EXPORTER_OTLP_HEADERS` and its
    /// per-signal forms: code wins over the environment.
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_header("x-api-key", "secret");
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(&name));
        self.headers.push((name, value.into()));
        self
    }

    /// Timeout of one export request (overrides `OTEL_EXPORTER_OTLP_TIMEOUT`, default 10 s).
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_timeout(std::time::Duration::from_secs(3));
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Payload compression (overrides `OTEL_EXPORTER_OTLP_COMPRESSION`).
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_compression(None);
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_compression(mut self, compression: Option<Compression>) -> Self {
        self.compression = Some(compression);
        self
    }
}
