//! Effective settings: code, then environment, then default.

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::Sampler;

use super::config::Config;
use super::error::SetupError;
use super::kinds::{Compression, ExporterKind, MetricsExporter, Protocol};

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

    /// The effective OTLP protocol (default `http/protobuf`, as the specification says).
    ///
    /// ```
    /// assert_eq!(tracing_genai::Config::default().protocol(), tracing_genai::setup::Protocol::HttpProtobuf);
    /// ```
    pub fn protocol(&self) -> Protocol {
        self.protocol
            .or(self.env.protocol)
            .unwrap_or(Protocol::HttpProtobuf)
    }

    /// The URL the exporter sends to. For HTTP, `/v1/traces` is appended to a base endpoint
    /// but not to a traces-specific one.
    ///
    /// ```
    /// let config = tracing_genai::Config::from_env_vars([
    ///     ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://a:4318/custom"),
    /// ]).unwrap();
    /// assert_eq!(config.traces_endpoint(), "http://a:4318/custom");
    /// ```
    pub fn traces_endpoint(&self) -> String {
        let protocol = self.protocol();
        let exact = if self.endpoint.is_some() {
            // A base endpoint from code overrides both variables.
            self.traces_endpoint.clone()
        } else {
            self.traces_endpoint
                .clone()
                .or_else(|| self.env.traces_endpoint.clone())
        };
        if let Some(exact) = exact {
            return exact;
        }
        let base = self
            .endpoint
            .clone()
            .or_else(|| self.env.endpoint.clone())
            .unwrap_or_else(|| protocol.default_endpoint().to_owned());
        match protocol {
            Protocol::Grpc => base,
            Protocol::HttpProtobuf | Protocol::HttpJson => {
                format!("{}/v1/traces", base.trim_end_matches('/'))
            }
        }
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

    /// The URL metrics are sent to: `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` as is, else the base
    /// endpoint (code, then `OTEL_EXPORTER_OTLP_ENDPOINT`) with `/v1/metrics` appended for HTTP.
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_endpoint("http://otel:4318/");
    /// assert_eq!(config.metrics_endpoint(), "http://otel:4318/v1/metrics");
    /// ```
    pub fn metrics_endpoint(&self) -> String {
        let protocol = self.protocol();
        if self.endpoint.is_none()
            && let Some(exact) = &self.env.metrics_endpoint
        {
            return exact.clone();
        }
        let base = self
            .endpoint
            .clone()
            .or_else(|| self.env.endpoint.clone())
            .unwrap_or_else(|| protocol.default_endpoint().to_owned());
        match protocol {
            Protocol::Grpc => base,
            Protocol::HttpProtobuf | Protocol::HttpJson => {
                format!("{}/v1/metrics", base.trim_end_matches('/'))
            }
        }
    }

    /// The effective headers: the environment's, then code's (code wins per name).
    ///
    /// ```
    /// let config = tracing_genai::Config::from_env_vars([("OTEL_EXPORTER_OTLP_HEADERS", "a=1,b=2")])
    ///     .unwrap()
    ///     .with_header("b", "3");
    /// assert_eq!(config.headers(), vec![("a".into(), "1".into()), ("b".into(), "3".into())]);
    /// ```
    pub fn headers(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .env
            .headers
            .iter()
            .filter(|(k, _)| !self.headers.iter().any(|(c, _)| c.eq_ignore_ascii_case(k)))
            .cloned()
            .collect();
        out.extend(self.headers.iter().cloned());
        out
    }

    /// The effective export request timeout (default 10 s).
    ///
    /// ```
    /// assert_eq!(tracing_genai::Config::default().timeout(), std::time::Duration::from_secs(10));
    /// ```
    pub fn timeout(&self) -> Duration {
        let request = self
            .timeout
            .or(self.env.timeout)
            .unwrap_or(Duration::from_secs(10));
        // OTEL_BSP_EXPORT_TIMEOUT bounds a whole export; the request timeout cannot exceed it.
        match self.export_timeout.or(self.env.export_timeout) {
            Some(export) => request.min(export),
            None => request,
        }
    }

    #[cfg_attr(
        not(any(feature = "otlp-http", feature = "otlp-grpc")),
        allow(dead_code)
    )]
    pub(crate) fn compression(&self) -> Option<Compression> {
        self.compression.or(self.env.compression).flatten()
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
