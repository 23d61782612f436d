//! The logger provider built by `setup()`: the GenAI events (and, with
//! [`Config::with_log_bridge`], the application's own `tracing` events) as OpenTelemetry log
//! records, over the trace exporter's transport (HTTP: `/v1/logs`; gRPC: the same kind of
//! `Bridge` as the other signals, on a runtime thread of its own) or to the console. Like
//! `meter.rs`, it is self-contained: its settings (`OTEL_LOGS_EXPORTER`,
//! `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`, the `with_logs_*` methods), the counting wrappers behind
//! the report's log line, and [`LogsReport`].

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use opentelemetry::InstrumentationScope;
use opentelemetry::logs::{AnyValue, Severity};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{
    BatchLogProcessor, LogBatch, LogExporter, LogProcessor, SdkLogRecord, SdkLoggerProvider,
    SimpleLogProcessor,
};

use super::config::{Config, ExporterKind, Protocol};
use super::error::SetupError;
#[cfg(feature = "otlp-grpc")]
use super::exporter::GrpcOptions;
use super::http_client::ExportErrors;
use super::signal::{Signal, Transport};

/// The logs settings of the environment (`None`: variable not set).
#[derive(Clone, Debug, Default)]
pub(crate) struct LogsEnv {
    /// `OTEL_LOGS_EXPORTER`.
    exporter: Option<ExporterKind>,
}

/// The logs settings chosen in code.
#[derive(Clone, Debug, Default)]
pub(crate) struct LogsSettings {
    exporter: Option<ExporterKind>,
    bridge: bool,
}

/// Reads `OTEL_LOGS_EXPORTER` through `var` (trimmed, empty = unset; the OTLP transport
/// variables of the logs signal are read with the others, in `signal.rs`).
pub(crate) fn parse_env(
    var: &dyn Fn(&str) -> Option<String>,
    out: &mut LogsEnv,
) -> Result<(), SetupError> {
    const EXPORTER: &str = "OTEL_LOGS_EXPORTER";
    if let Some(v) = var(EXPORTER) {
        out.exporter = Some(super::env::parse_exporter_kind(EXPORTER, &v)?);
    }
    Ok(())
}

/// Logs: OpenTelemetry log records for the GenAI events and, optionally, the application's own
/// `tracing` events.
impl Config {
    /// Where log records go (overrides `OTEL_LOGS_EXPORTER`): [`ExporterKind::Otlp`] (the
    /// traces' transport, HTTP `/v1/logs` or gRPC), [`ExporterKind::Console`] (one line per
    /// record on stdout) or [`ExporterKind::None`].
    ///
    /// With a logs exporter the GenAI layer emits its events
    /// (`gen_ai.client.inference.operation.details`, `gen_ai.client.operation.exception`,
    /// `gen_ai.evaluation.result`) as log records instead of span events; see
    /// [`EventTarget`](crate::EventTarget).
    ///
    /// ```
    /// use tracing_genai::setup::ExporterKind;
    ///
    /// let config = tracing_genai::Config::default().with_logs_exporter(ExporterKind::Console);
    /// assert_eq!(config.logs_exporter_kind(), ExporterKind::Console);
    /// ```
    #[must_use]
    pub fn with_logs_exporter(mut self, exporter: ExporterKind) -> Self {
        self.logs.exporter = Some(exporter);
        self
    }

    /// Also sends the application's own `tracing` events (`tracing::info!` ...) to the logs
    /// exporter, through `opentelemetry-appender-tracing`, at the level of
    /// [`with_otel_level`](Self::with_otel_level) (default `INFO`), except those of the exporter's
    /// own crates ([`EXCLUDED_TARGETS`](crate::setup::EXCLUDED_TARGETS)). An event emitted
    /// while a span is entered carries that span's trace and span ids. Installed by
    /// [`setup()`](crate::setup()); with [`Config::build`], add
    /// `opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge::new(provider)` over
    /// [`TelemetryGuard::logger_provider`](crate::TelemetryGuard::logger_provider) yourself.
    /// Needs a logs exporter (`OTEL_LOGS_EXPORTER=otlp` or `console`): building fails otherwise.
    ///
    /// ```
    /// use tracing_genai::setup::ExporterKind;
    ///
    /// let config = tracing_genai::Config::default()
    ///     .with_logs_exporter(ExporterKind::Otlp)
    ///     .with_log_bridge(true);
    /// assert!(config.log_bridge());
    /// ```
    #[must_use]
    pub fn with_log_bridge(mut self, enabled: bool) -> Self {
        self.logs.bridge = enabled;
        self
    }

    /// Whether the application's `tracing` events are bridged to log records.
    ///
    /// ```
    /// assert!(!tracing_genai::Config::default().log_bridge());
    /// ```
    pub fn log_bridge(&self) -> bool {
        self.logs.bridge
    }

    /// The effective logs exporter: code, else `OTEL_LOGS_EXPORTER`, else
    /// [`ExporterKind::None`] (the GenAI events then stay span events, as without a logs
    /// pipeline); always `None` when the SDK is disabled.
    ///
    /// ```
    /// use tracing_genai::setup::ExporterKind;
    ///
    /// let config = tracing_genai::Config::from_env_vars([("OTEL_LOGS_EXPORTER", "otlp")]).unwrap();
    /// assert_eq!(config.logs_exporter_kind(), ExporterKind::Otlp);
    /// assert_eq!(tracing_genai::Config::default().logs_exporter_kind(), ExporterKind::None);
    /// ```
    pub fn logs_exporter_kind(&self) -> ExporterKind {
        if self.disabled.unwrap_or(self.env.disabled) {
            return ExporterKind::None;
        }
        self.logs
            .exporter
            .or(self.env.logs.exporter)
            .unwrap_or(ExporterKind::None)
    }
}

/// Log record counts, read by the guard (`dropped = emitted - exported - failed`).
#[derive(Debug, Default)]
pub(crate) struct LogCounters {
    emitted: AtomicU64,
    exported: AtomicU64,
    failed: AtomicU64,
    errors: ExportErrors,
}

/// The logs side of the pipeline, owned by the guard.
#[derive(Debug)]
pub(crate) struct Logs {
    pub(crate) provider: SdkLoggerProvider,
    counters: Arc<LogCounters>,
    destination: String,
}

impl Logs {
    /// The report once the provider was shut down (`error`: why the shutdown failed).
    pub(crate) fn report(&self, shutdown_error: Option<String>) -> LogsReport {
        let c = &self.counters;
        let emitted = c.emitted.load(Ordering::Acquire);
        let exported = c.exported.load(Ordering::Acquire);
        let failed = c.failed.load(Ordering::Acquire);
        LogsReport {
            destination: self.destination.clone(),
            emitted,
            exported,
            failed,
            dropped: emitted.saturating_sub(exported + failed),
            error: c.errors.last().or(shutdown_error),
        }
    }
}

/// What shutdown delivered of the log records (part of
/// [`ShutdownReport::logs`](crate::setup::ShutdownReport::logs); `emitted == exported +
/// failed + dropped`). Lost records add a line to the report's summary but do not make
/// shutdown fail, which is about spans.
///
/// ```
/// use tracing_genai::setup::ExporterKind;
///
/// let (_layer, guard) = tracing_genai::Config::default()
///     .with_exporter(ExporterKind::None)
///     .with_logs_exporter(ExporterKind::Console)
///     .build()
///     .unwrap()
///     .layer::<tracing_subscriber::Registry>();
/// let report = guard.shutdown().unwrap();
/// let logs = report.logs.unwrap();
/// assert_eq!((logs.emitted, logs.lost()), (0, 0));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogsReport {
    /// Where log records were sent, e.g. `otlp http/protobuf http://localhost:4318/v1/logs`.
    pub destination: String,
    /// Log records emitted while the pipeline ran (GenAI events and bridged events).
    pub emitted: u64,
    /// Records the exporter delivered.
    pub exported: u64,
    /// Records whose export failed.
    pub failed: u64,
    /// Records never handed to the exporter (queue full, or still queued at the deadline).
    pub dropped: u64,
    /// The last export or shutdown error, if any.
    pub error: Option<String>,
}

impl LogsReport {
    /// Records not delivered (`failed + dropped`).
    ///
    /// ```
    /// # let (_l, guard) = tracing_genai::Config::default().with_exporter(tracing_genai::setup::ExporterKind::None).with_logs_exporter(tracing_genai::setup::ExporterKind::Console).build().unwrap().layer::<tracing_subscriber::Registry>();
    /// assert_eq!(guard.shutdown().unwrap().logs.unwrap().lost(), 0);
    /// ```
    pub fn lost(&self) -> u64 {
        self.failed + self.dropped
    }
}

impl std::fmt::Display for LogsReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "log records: {} of {} exported to {}, {} failed, {} dropped",
            self.exported, self.emitted, self.destination, self.failed, self.dropped
        )?;
        if let Some(error) = &self.error {
            write!(f, " ({})", crate::model::text::cut(error, 300))?;
        }
        Ok(())
    }
}

/// Counts records entering the pipeline before delegating.
#[derive(Debug)]
struct CountingLogProcessor<P> {
    inner: P,
    counters: Arc<LogCounters>,
}

impl<P: LogProcessor> LogProcessor for CountingLogProcessor<P> {
    fn emit(&self, data: &mut SdkLogRecord, instrumentation: &InstrumentationScope) {
        self.counters.emitted.fetch_add(1, Ordering::AcqRel);
        self.inner.emit(data, instrumentation);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn event_enabled(&self, level: Severity, target: &str, name: Option<&str>) -> bool {
        self.inner.event_enabled(level, target, name)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// Counts exported and failed records and keeps the last error.
#[derive(Debug)]
struct CountingLogExporter<E> {
    inner: E,
    counters: Arc<LogCounters>,
}

impl<E: LogExporter> LogExporter for CountingLogExporter<E> {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        let n = batch.iter().count() as u64;
        let result = self.inner.export(batch).await;
        let counters = &self.counters;
        match &result {
            Ok(()) => counters.exported.fetch_add(n, Ordering::AcqRel),
            Err(err) => {
                counters.errors.set(err.to_string());
                counters.failed.fetch_add(n, Ordering::AcqRel)
            }
        };
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn event_enabled(&self, level: Severity, target: &str, name: Option<&str>) -> bool {
        self.inner.event_enabled(level, target, name)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// Builds the logger provider (`None`: logs are off).
pub(crate) fn logger_provider(
    config: &Config,
    resource: Resource,
) -> Result<Option<Logs>, SetupError> {
    let counters = Arc::new(LogCounters::default());
    let builder = SdkLoggerProvider::builder().with_resource(resource);
    let (builder, destination) = match config.logs_exporter_kind() {
        ExporterKind::None => {
            if config.logs.bridge {
                return Err(SetupError::InvalidConfig {
                    setting: "with_log_bridge",
                    reason: "the log bridge needs a logs exporter: set OTEL_LOGS_EXPORTER=otlp \
                             or console, or Config::with_logs_exporter"
                        .into(),
                    source: None,
                });
            }
            return Ok(None);
        }
        ExporterKind::Console => {
            let exporter = counting(ConsoleLogExporter, &counters);
            let processor = SimpleLogProcessor::new(exporter);
            (
                builder.with_log_processor(counted(processor, &counters)),
                "console".to_owned(),
            )
        }
        ExporterKind::Otlp => {
            let transport = config.transport(Signal::Logs);
            let processor = otlp_processor(&transport, &counters)?;
            (
                builder.with_log_processor(counted(processor, &counters)),
                format!(
                    "otlp {} {}",
                    transport.protocol.as_str(),
                    transport.endpoint
                ),
            )
        }
    };
    Ok(Some(Logs {
        provider: builder.build(),
        counters,
        destination,
    }))
}

fn counting<E>(inner: E, counters: &Arc<LogCounters>) -> CountingLogExporter<E> {
    CountingLogExporter {
        inner,
        counters: Arc::clone(counters),
    }
}

fn counted<P>(inner: P, counters: &Arc<LogCounters>) -> CountingLogProcessor<P> {
    CountingLogProcessor {
        inner,
        counters: Arc::clone(counters),
    }
}

#[cfg_attr(
    not(any(feature = "otlp-http", feature = "otlp-grpc")),
    allow(unused_variables)
)]
fn otlp_processor(
    transport: &Transport,
    counters: &Arc<LogCounters>,
) -> Result<BatchLogProcessor, SetupError> {
    match transport.protocol {
        Protocol::Grpc => {
            #[cfg(feature = "otlp-grpc")]
            {
                let exporter = GrpcOptions::new(transport)?.bridge(
                    "tracing-genai-otlp-grpc-logs",
                    "logs",
                    opentelemetry_otlp::LogExporter::builder().with_tonic(),
                    |builder| builder.build(),
                )?;
                Ok(BatchLogProcessor::builder(counting(exporter, counters)).build())
            }
            #[cfg(not(feature = "otlp-grpc"))]
            Err(SetupError::FeatureDisabled {
                protocol: "grpc",
                feature: "otlp-grpc",
            })
        }
        Protocol::HttpProtobuf | Protocol::HttpJson => {
            #[cfg(feature = "otlp-http")]
            {
                let exporter = super::exporter::configure_http(
                    opentelemetry_otlp::LogExporter::builder().with_http(),
                    transport,
                    &counters.errors.transport,
                )?
                .build()
                .map_err(|source| SetupError::Exporter {
                    endpoint: transport.endpoint.clone(),
                    source,
                })?;
                Ok(BatchLogProcessor::builder(counting(exporter, counters)).build())
            }
            #[cfg(not(feature = "otlp-http"))]
            Err(SetupError::FeatureDisabled {
                protocol: "http/protobuf",
                feature: "otlp-http",
            })
        }
    }
}

/// `OTEL_LOGS_EXPORTER=console`: one readable line per record on stdout, e.g.
/// `log WARN gen_ai.client.operation.exception trace=4bf9… span=00f0… exception.type=500`.
#[derive(Debug)]
struct ConsoleLogExporter;

impl LogExporter for ConsoleLogExporter {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        let mut out = String::new();
        for (record, scope) in batch.iter() {
            out.push_str(&format_record(record, scope));
            out.push('\n');
        }
        let _ = std::io::stdout().lock().write_all(out.as_bytes());
        Ok(())
    }
}

fn format_record(record: &SdkLogRecord, scope: &InstrumentationScope) -> String {
    let mut line = format!(
        "log {} {}",
        record.severity_text().unwrap_or("-"),
        record
            .event_name()
            .or_else(|| record.target().map(|t| t.as_ref()))
            .unwrap_or(scope.name())
    );
    if let Some(cx) = record.trace_context() {
        let _ = write!(line, " trace={} span={}", cx.trace_id, cx.span_id);
    }
    if let Some(body) = record.body() {
        let _ = write!(line, " {:?}", display(body));
    }
    for (key, value) in record.attributes_iter() {
        let _ = write!(line, " {key}={}", display(value));
    }
    line
}

fn display(value: &AnyValue) -> String {
    match value {
        AnyValue::String(s) => s.as_str().to_owned(),
        AnyValue::Int(i) => i.to_string(),
        AnyValue::Double(d) => d.to_string(),
        AnyValue::Boolean(b) => b.to_string(),
        AnyValue::ListAny(items) => format!(
            "[{}]",
            items.iter().map(display).collect::<Vec<_>>().join(",")
        ),
        other => format!("{other:?}"),
    }
}
