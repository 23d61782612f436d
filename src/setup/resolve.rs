//! Effective settings: code, then environment, then default.

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::Sampler;

use super::config::Config;
use super::error::SetupError;
use super::kinds::{ExporterKind, MetricsExporter, Protocol};
use super::signal::Signal;

impl Config {
    /// The effective `service.name` (code, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`,
    /// else `unknown_service:<executable>`).
    ///
    /// ```
    /// assert!(tracing_genai::Config::default().service_name().starts_with("unknown_service"));
    /// ```
    pub fn service_name(&self) -> String {
        self.service_name
            .clone()
            .or_else(|| self.env.service_name.clone())
            .or_else(|| self.default_service_name.clone())
            .unwrap_or_else(|| {
                let exe = std::env::current_exe()
                    .ok()
                    .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()));
                match exe {
                    Some(exe) => format!("unknown_service:{exe}"),
                    None => "unknown_service".to_owned(),
                }
            })
    }

    /// The effective exporter (disabled SDK counts as [`ExporterKind::None`]).
    ///
    /// ```
    /// let config = tracing_genai::Config::from_env_vars([("OTEL_SDK_DISABLED", "true")]).unwrap();
    /// assert_eq!(config.exporter_kind(), tracing_genai::setup::ExporterKind::None);
    /// ```
    pub fn exporter_kind(&self) -> ExporterKind {
        if self.disabled.unwrap_or(self.env.disabled) {
            return ExporterKind::None;
        }
        self.exporter
            .or(self.env.exporter)
            .unwrap_or(ExporterKind::Otlp)
    }

    /// The effective OTLP protocol of the span exporter (default `http/protobuf`, as the
    /// specification says). Metrics and logs can use another one
    /// (`OTEL_EXPORTER_OTLP_METRICS_PROTOCOL`, `OTEL_EXPORTER_OTLP_LOGS_PROTOCOL`).
    ///
    /// ```
    /// assert_eq!(tracing_genai::Config::default().protocol(), tracing_genai::setup::Protocol::HttpProtobuf);
    /// ```
    pub fn protocol(&self) -> Protocol {
        self.transport(Signal::Traces).protocol
    }

    /// The URL spans are sent to. For HTTP, `/v1/traces` is appended to a base endpoint
    /// but not to a traces-specific one.
    ///
    /// ```
    /// let config = tracing_genai::Config::from_env_vars([
    ///     ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://a:4318/custom"),
    /// ]).unwrap();
    /// assert_eq!(config.traces_endpoint(), "http://a:4318/custom");
    /// ```
    pub fn traces_endpoint(&self) -> String {
        self.transport(Signal::Traces).endpoint
    }

    /// Whether the GenAI metrics are exported (over OTLP, or as a table on stdout at shutdown):
    /// code ([`Config::with_metrics`]), else `OTEL_METRICS_EXPORTER`, else whenever spans
    /// are exported (to OTLP: over OTLP; to the console: to the console). Never when the SDK
    /// is disabled.
    ///
    /// ```
    /// let config = tracing_genai::Config::from_env_vars([("OTEL_METRICS_EXPORTER", "none")]).unwrap();
    /// assert!(!config.metrics_enabled());
    /// assert!(tracing_genai::Config::default().metrics_enabled());
    /// let console = tracing_genai::Config::from_env_vars([("OTEL_TRACES_EXPORTER", "console")]).unwrap();
    /// assert!(console.metrics_enabled()); // a table on stdout at shutdown
    /// ```
    pub fn metrics_enabled(&self) -> bool {
        self.metrics_exporter() != MetricsExporter::None
    }

    /// Where metrics go: [`Config::metrics_enabled`] and, when on, the variable's choice, else
    /// the console next to console spans, else OTLP.
    pub(crate) fn metrics_exporter(&self) -> MetricsExporter {
        if self.disabled.unwrap_or(self.env.disabled) {
            return MetricsExporter::None;
        }
        let with_spans = match self.exporter_kind() {
            ExporterKind::Console => MetricsExporter::Console,
            ExporterKind::Otlp | ExporterKind::None => MetricsExporter::Otlp,
        };
        match (self.metrics, self.env.metrics) {
            (Some(false), _) => MetricsExporter::None,
            (Some(true), Some(env @ (MetricsExporter::Otlp | MetricsExporter::Console))) => env,
            (Some(true), _) => with_spans,
            (None, Some(env)) => env,
            (None, None) if self.exporter_kind() == ExporterKind::None => MetricsExporter::None,
            (None, None) => with_spans,
        }
    }

    /// The effective metric export interval (default 60 s; a zero interval from code counts
    /// as 1 ms).
    ///
    /// ```
    /// let config = tracing_genai::Config::from_env_vars([("OTEL_METRIC_EXPORT_INTERVAL", "5000")]).unwrap();
    /// assert_eq!(config.metric_export_interval(), std::time::Duration::from_secs(5));
    /// ```
    pub fn metric_export_interval(&self) -> Duration {
        self.metric_export_interval
            .or(self.env.metric_export_interval)
            .unwrap_or(Duration::from_secs(60))
            .max(Duration::from_millis(1))
    }

    /// The URL metrics are sent to: [`Config::with_metrics_endpoint`] or
    /// `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` as is, else the base endpoint (code, then
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`) with `/v1/metrics` appended for HTTP.
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_endpoint("http://otel:4318/");
    /// assert_eq!(config.metrics_endpoint(), "http://otel:4318/v1/metrics");
    /// ```
    pub fn metrics_endpoint(&self) -> String {
        self.transport(Signal::Metrics).endpoint
    }

    /// The URL log records are sent to: [`Config::with_logs_endpoint`] or
    /// `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` as is, else the base endpoint with `/v1/logs`
    /// appended for HTTP.
    ///
    /// ```
    /// let config = tracing_genai::Config::from_env_vars([
    ///     ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otlp.example.com/otel"),
    /// ]).unwrap();
    /// assert_eq!(config.logs_endpoint(), "https://otlp.example.com/otel/v1/logs");
    /// ```
    pub fn logs_endpoint(&self) -> String {
        self.transport(Signal::Logs).endpoint
    }

    /// The headers sent with every span export: the environment's
    /// (`OTEL_EXPORTER_OTLP_TRACES_HEADERS`, else `OTEL_EXPORTER_OTLP_HEADERS`), then code's
    /// (code wins per name).
    ///
    /// ```
    /// let config = tracing_genai::Config::from_env_vars([("OTEL_EXPORTER_OTLP_HEADERS", "a=1,b=2")])
    ///     .unwrap()
    ///     .with_header("b", "3");
    /// assert_eq!(config.headers(), vec![("a".into(), "1".into()), ("b".into(), "3".into())]);
    /// ```
    pub fn headers(&self) -> Vec<(String, String)> {
        self.transport(Signal::Traces).headers
    }

    /// The effective span export request timeout (default 10 s, never more than
    /// `OTEL_BSP_EXPORT_TIMEOUT`).
    ///
    /// ```
    /// assert_eq!(tracing_genai::Config::default().timeout(), std::time::Duration::from_secs(10));
    /// ```
    pub fn timeout(&self) -> Duration {
        self.transport(Signal::Traces).timeout
    }

    pub(crate) fn sampler(&self) -> Sampler {
        self.sampler
            .clone()
            .or_else(|| self.env.sampler.clone())
            .unwrap_or_else(|| Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
    }

    pub(crate) fn resource_attributes(&self) -> Vec<KeyValue> {
        let mut out = self.env.resource_attributes.clone();
        out.extend(self.resource_attributes.iter().cloned());
        out
    }

    pub(crate) fn batch_config(&self) -> Result<opentelemetry_sdk::trace::BatchConfig, SetupError> {
        let queue = self
            .max_queue_size
            .or(self.env.max_queue_size)
            .unwrap_or(2048);
        let batch = self
            .max_export_batch_size
            .or(self.env.max_export_batch_size)
            .unwrap_or(512)
            .min(queue);
        if queue == 0 || batch == 0 {
            return Err(SetupError::InvalidConfig {
                setting: "with_max_queue_size / with_max_export_batch_size",
                reason: "sizes must be positive".into(),
                source: None,
            });
        }
        Ok(opentelemetry_sdk::trace::BatchConfigBuilder::default()
            .with_max_queue_size(queue)
            .with_max_export_batch_size(batch)
            .with_scheduled_delay(
                self.schedule_delay
                    .or(self.env.schedule_delay)
                    .unwrap_or(Duration::from_secs(5)),
            )
            .build())
    }
}

// --- console metrics (issue 12) ---
#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn metrics(vars: &[(&str, &str)], code: Option<bool>) -> MetricsExporter {
        let mut config = Config::from_env_vars(vars.iter().copied()).unwrap();
        if let Some(on) = code {
            config = config.with_metrics(on);
        }
        config.metrics_exporter()
    }

    #[test]
    fn metrics_follow_the_spans_unless_told_otherwise() {
        use MetricsExporter::{Console, None, Otlp};
        let console = ("OTEL_TRACES_EXPORTER", "console");
        assert_eq!(metrics(&[], Option::None), Otlp);
        assert_eq!(metrics(&[console], Option::None), Console);
        assert_eq!(
            metrics(&[("OTEL_TRACES_EXPORTER", "none")], Option::None),
            None
        );
        assert_eq!(
            metrics(&[("OTEL_METRICS_EXPORTER", "console")], Option::None),
            Console
        );
        assert_eq!(
            metrics(&[console, ("OTEL_METRICS_EXPORTER", "otlp")], Option::None),
            Otlp
        );
        assert_eq!(
            metrics(&[console, ("OTEL_METRICS_EXPORTER", "none")], Option::None),
            None
        );
        // Code: off wins; on keeps the variable's destination, else follows the spans.
        assert_eq!(
            metrics(&[("OTEL_METRICS_EXPORTER", "console")], Some(false)),
            None
        );
        assert_eq!(
            metrics(&[("OTEL_METRICS_EXPORTER", "console")], Some(true)),
            Console
        );
        assert_eq!(
            metrics(&[console, ("OTEL_METRICS_EXPORTER", "none")], Some(true)),
            Console
        );
        assert_eq!(
            metrics(&[("OTEL_TRACES_EXPORTER", "none")], Some(true)),
            Otlp
        );
        assert_eq!(
            metrics(&[console, ("OTEL_SDK_DISABLED", "true")], Some(true)),
            None
        );
    }
}
