//! The transport, exporter and compression choices.

/// OTLP transport.
///
/// ```
/// assert_eq!(tracing_genai::setup::Protocol::parse("http/protobuf"), Some(tracing_genai::setup::Protocol::HttpProtobuf));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol {
    /// OTLP/gRPC (tonic), default port 4317. Cargo feature `otlp-grpc`.
    Grpc,
    /// OTLP/HTTP with protobuf bodies, default port 4318. Cargo feature `otlp-http` (default).
    HttpProtobuf,
    /// OTLP/HTTP with JSON bodies. Cargo feature `otlp-http-json`.
    HttpJson,
}

impl Protocol {
    /// Parses the value of `OTEL_EXPORTER_OTLP_PROTOCOL`.
    ///
    /// ```
    /// assert_eq!(tracing_genai::setup::Protocol::parse("grpc"), Some(tracing_genai::setup::Protocol::Grpc));
    /// assert_eq!(tracing_genai::setup::Protocol::parse("smoke signals"), None);
    /// ```
    pub fn parse(value: &str) -> Option<Protocol> {
        match value.trim().to_ascii_lowercase().as_str() {
            "grpc" => Some(Protocol::Grpc),
            "http/protobuf" => Some(Protocol::HttpProtobuf),
            "http/json" => Some(Protocol::HttpJson),
            _ => None,
        }
    }

    /// The name used in `OTEL_EXPORTER_OTLP_PROTOCOL`.
    ///
    /// ```
    /// assert_eq!(tracing_genai::setup::Protocol::Grpc.as_str(), "grpc");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Grpc => "grpc",
            Protocol::HttpProtobuf => "http/protobuf",
            Protocol::HttpJson => "http/json",
        }
    }

    pub(crate) fn default_endpoint(self) -> &'static str {
        match self {
            Protocol::Grpc => "http://localhost:4317",
            Protocol::HttpProtobuf | Protocol::HttpJson => "http://localhost:4318",
        }
    }
}

/// Where spans go (`OTEL_TRACES_EXPORTER`).
///
/// ```
/// let config = tracing_genai::Config::default().with_exporter(tracing_genai::setup::ExporterKind::Console);
/// # drop(config);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExporterKind {
    /// OTLP to a collector or backend (default).
    Otlp,
    /// Each trace as a readable tree on stdout (typed attributes, events, status), printed
    /// when its root span ends; with it, metrics default to a table at shutdown.
    Console,
    /// Spans are not exported.
    None,
}

/// OTLP payload compression (`OTEL_EXPORTER_OTLP_COMPRESSION`). Needs the cargo feature `gzip`.
///
/// ```
/// let config = tracing_genai::Config::default().with_compression(Some(tracing_genai::setup::Compression::Gzip));
/// # drop(config);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compression {
    /// gzip.
    Gzip,
}

// --- console metrics (issue 12): where metrics go, as `OTEL_METRICS_EXPORTER` says ---

/// Where the GenAI metrics go (`OTEL_METRICS_EXPORTER`); `None` as a variant: off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MetricsExporter {
    /// OTLP, next to the spans.
    Otlp,
    /// A table on stdout at shutdown.
    Console,
    /// No metrics.
    None,
}
