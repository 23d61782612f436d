//! [`Config`]: the builder for [`setup`](crate::setup), with `OTEL_*` defaults.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::trace::noop::NoopTracer;
use opentelemetry_sdk::trace::Sampler;
use tracing_opentelemetry::OpenTelemetryLayer;
use tracing_subscriber::Registry;

use super::env::{self, EnvSettings};
use super::error::SetupError;
pub use super::kinds::{Compression, ExporterKind, Protocol};
use crate::GenAiLayer;
use crate::semconv::Conventions;

/// The GenAI layer as [`Config::with_layer`] hands it to you, before the tracer is set.
///
/// ```
/// fn tenant(layer: tracing_genai::setup::ConfigLayer) -> tracing_genai::setup::ConfigLayer {
///     layer.with_mapper(|_: &tracing_genai::GenAiSpan, attrs: &mut tracing_genai::mapper::Attributes<'_>| {
///         attrs.insert("app.tenant", "acme");
///     })
/// }
/// let config = tracing_genai::Config::default().with_layer(tenant);
/// # drop(config);
/// ```
pub type ConfigLayer = GenAiLayer<OpenTelemetryLayer<Registry, NoopTracer>>;

type LayerFn = Box<dyn FnOnce(ConfigLayer) -> ConfigLayer + Send>;

/// Configuration of the telemetry pipeline. Start from [`Config::from_env`] (the `OTEL_*`
/// variables) or [`Config::default`] (no environment); builder methods override both.
///
/// ```
/// use std::time::Duration;
///
/// let config = tracing_genai::Config::from_env_vars([("OTEL_SERVICE_NAME", "from-env")])
///     .unwrap()
///     .with_service_name("from-code") // code wins over the environment
///     .with_shutdown_timeout(Duration::from_secs(2));
/// assert_eq!(config.service_name(), "from-code");
/// ```
#[non_exhaustive]
pub struct Config {
    pub(crate) env: EnvSettings,
    pub(crate) service_name: Option<String>,
    pub(crate) default_service_name: Option<String>,
    pub(crate) resource_attributes: Vec<KeyValue>,
    pub(crate) exporter: Option<ExporterKind>,
    pub(crate) protocol: Option<Protocol>,
    pub(crate) endpoint: Option<String>,
    pub(crate) traces_endpoint: Option<String>,
    pub(crate) metrics_endpoint: Option<String>,
    pub(crate) logs_endpoint: Option<String>,
    pub(crate) certificate: Option<PathBuf>,
    pub(crate) client_certificate: Option<PathBuf>,
    pub(crate) client_key: Option<PathBuf>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) compression: Option<Option<Compression>>,
    pub(crate) sampler: Option<Sampler>,
    pub(crate) disabled: Option<bool>,
    pub(crate) schedule_delay: Option<Duration>,
    pub(crate) max_queue_size: Option<usize>,
    pub(crate) max_export_batch_size: Option<usize>,
    pub(crate) export_timeout: Option<Duration>,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) drop_timeout: Duration,
    pub(crate) fmt_layer: bool,
    pub(crate) env_filter: Option<String>,
    pub(crate) otel_level: tracing_core::LevelFilter,
    pub(crate) print_genai_spans: bool,
    pub(crate) layer_fn: Option<LayerFn>,
    pub(crate) metrics: Option<bool>,
    pub(crate) metric_export_interval: Option<Duration>,
    pub(crate) conventions: Option<Conventions>,
    // Logs (issue 12): the `with_logs_*` / `with_log_bridge` settings (see logs.rs).
    pub(crate) logs: super::logs::LogsSettings,
}

impl Default for Config {
    /// Defaults without reading the environment: OTLP/HTTP to `http://localhost:4318`.
    ///
    /// ```
    /// let config = tracing_genai::Config::default();
    /// assert_eq!(config.traces_endpoint(), "http://localhost:4318/v1/traces");
    /// ```
    fn default() -> Self {
        Config {
            env: EnvSettings::default(),
            service_name: None,
            default_service_name: None,
            resource_attributes: Vec::new(),
            exporter: None,
            protocol: None,
            endpoint: None,
            traces_endpoint: None,
            metrics_endpoint: None,
            logs_endpoint: None,
            certificate: None,
            client_certificate: None,
            client_key: None,
            headers: Vec::new(),
            timeout: None,
            compression: None,
            sampler: None,
            disabled: None,
            schedule_delay: None,
            max_queue_size: None,
            max_export_batch_size: None,
            export_timeout: None,
            shutdown_timeout: Duration::from_secs(5),
            drop_timeout: Duration::from_secs(2),
            fmt_layer: false,
            env_filter: None,
            otel_level: tracing_core::LevelFilter::INFO,
            print_genai_spans: false,
            layer_fn: None,
            metrics: None,
            metric_export_interval: None,
            conventions: None,
            logs: Default::default(),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("service_name", &self.service_name())
            .field("exporter", &self.exporter_kind())
            .field("protocol", &self.protocol())
            .field("endpoint", &self.traces_endpoint())
            .field(
                "header_names",
                &self
                    .headers()
                    .iter()
                    .map(|(k, _)| k.clone())
                    .collect::<Vec<_>>(),
            )
            .field("timeout", &self.timeout())
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Defaults from the process environment (`OTEL_*` variables, `RUST_LOG` for the fmt layer).
    /// A bad value is an error naming the variable.
    ///
    /// ```
    /// let config = tracing_genai::Config::from_env().unwrap();
    /// # drop(config);
    /// ```
    pub fn from_env() -> Result<Config, SetupError> {
        let mut config = Config {
            env: env::parse(&|name| std::env::var(name).ok())?,
            ..Config::default()
        };
        config.env_filter = std::env::var("RUST_LOG")
            .ok()
            .filter(|v| !v.trim().is_empty());
        Ok(config)
    }

    /// Like [`Config::from_env`] but from the given variables instead of the process
    /// environment (for tests and for configuration read from elsewhere).
    ///
    /// ```
    /// let config = tracing_genai::Config::from_env_vars([
    ///     ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
    /// ]).unwrap();
    /// assert_eq!(config.traces_endpoint(), "http://collector:4318/v1/traces");
    /// ```
    pub fn from_env_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Result<Config, SetupError>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let map: HashMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let env_filter = map.get("RUST_LOG").cloned();
        let mut config = Config {
            env: env::parse(&env::from_map(map))?,
            ..Config::default()
        };
        config.env_filter = env_filter;
        Ok(config)
    }

    /// Sets `service.name` (overrides `OTEL_SERVICE_NAME`).
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_service_name("chatbot");
    /// assert_eq!(config.service_name(), "chatbot");
    /// ```
    #[must_use]
    pub fn with_service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Sets `service.name` only if neither code nor `OTEL_SERVICE_NAME` /
    /// `OTEL_RESOURCE_ATTRIBUTES` set one (instead of `unknown_service:<executable>`).
    ///
    /// ```
    /// let config = tracing_genai::Config::from_env_vars([("OTEL_SERVICE_NAME", "ops-name")])
    ///     .unwrap()
    ///     .with_default_service_name("my-app");
    /// assert_eq!(config.service_name(), "ops-name");
    /// ```
    #[must_use]
    pub fn with_default_service_name(mut self, name: impl Into<String>) -> Self {
        self.default_service_name = Some(name.into());
        self
    }

    /// Adds a resource attribute (after those of `OTEL_RESOURCE_ATTRIBUTES`).
    ///
    /// ```
    /// let config = tracing_genai::Config::default()
    ///     .with_resource_attribute("deployment.environment.name", "staging");
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_resource_attribute(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.resource_attributes
            .push(KeyValue::new(key.into(), value.into()));
        self
    }

    /// Chooses the exporter (overrides `OTEL_TRACES_EXPORTER`).
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_exporter(tracing_genai::setup::ExporterKind::None);
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_exporter(mut self, exporter: ExporterKind) -> Self {
        self.exporter = Some(exporter);
        self
    }

    /// Head sampler (overrides `OTEL_TRACES_SAMPLER`; default parent-based always-on).
    ///
    /// ```
    /// use opentelemetry_sdk::trace::Sampler;
    /// let config = tracing_genai::Config::default()
    ///     .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(0.1))));
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_sampler(mut self, sampler: Sampler) -> Self {
        self.sampler = Some(sampler);
        self
    }

    /// Disables export entirely (overrides `OTEL_SDK_DISABLED`).
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_disabled(true);
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_disabled(mut self, disabled: bool) -> Self {
        self.disabled = Some(disabled);
        self
    }

    /// Batch processor delay between exports (overrides `OTEL_BSP_SCHEDULE_DELAY`, default 5 s).
    /// Shutdown never waits for it.
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_schedule_delay(std::time::Duration::from_millis(500));
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_schedule_delay(mut self, delay: Duration) -> Self {
        self.schedule_delay = Some(delay);
        self
    }

    /// Maximum queued spans; beyond it spans are dropped, never blocking (overrides
    /// `OTEL_BSP_MAX_QUEUE_SIZE`, default 2048).
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_max_queue_size(4096);
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_max_queue_size(mut self, size: usize) -> Self {
        self.max_queue_size = Some(size);
        self
    }

    /// Maximum spans per export request (overrides `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, default 512).
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_max_export_batch_size(128);
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_max_export_batch_size(mut self, size: usize) -> Self {
        self.max_export_batch_size = Some(size);
        self
    }

    /// How long [`TelemetryGuard::shutdown`](crate::TelemetryGuard::shutdown) may take in
    /// total (default 5 s). It returns by then whatever the collector does.
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_shutdown_timeout(std::time::Duration::from_secs(1));
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// How long the best-effort flush in the guard's `Drop` may take (default 2 s).
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_drop_timeout(std::time::Duration::from_millis(500));
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_drop_timeout(mut self, timeout: Duration) -> Self {
        self.drop_timeout = timeout;
        self
    }

    /// Adds a `tracing_subscriber::fmt` layer (logs on stderr) filtered by `RUST_LOG`
    /// (default `info`). Only used by [`setup`](fn@crate::setup).
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_fmt_layer(true);
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_fmt_layer(mut self, enabled: bool) -> Self {
        self.fmt_layer = enabled;
        self
    }

    /// The filter directives of the fmt layer (overrides `RUST_LOG`).
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_fmt_layer(true).with_env_filter("warn,my_app=debug");
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_env_filter(mut self, directives: impl Into<String>) -> Self {
        self.env_filter = Some(directives.into());
        self
    }

    /// The most verbose level exported as OpenTelemetry spans (default `INFO`). Spans of the
    /// exporter's own network crates (tonic, hyper, h2, reqwest, tower, opentelemetry) are
    /// never exported, whatever the level.
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_otel_level(tracing::level_filters::LevelFilter::DEBUG);
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_otel_level(mut self, level: tracing_core::LevelFilter) -> Self {
        self.otel_level = level;
        self
    }

    /// Also prints a short line per GenAI span on stdout (e.g.
    /// `chat gpt-4o  provider=openai in=12 out=30 finish=[stop] 1.2ms`), whatever the exporter.
    /// Meant for examples and local development.
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_genai_printer(true);
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_genai_printer(mut self, enabled: bool) -> Self {
        self.print_genai_spans = enabled;
        self
    }

    /// Turns the export of the GenAI metrics on or off (overrides `OTEL_METRICS_EXPORTER`).
    /// By default metrics go where spans go (OTLP, or a table on the console at shutdown);
    /// on keeps the variable's `otlp` or `console`; with metrics off the layer records none.
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_metrics(false);
    /// assert!(!config.metrics_enabled());
    /// ```
    #[must_use]
    pub fn with_metrics(mut self, enabled: bool) -> Self {
        self.metrics = Some(enabled);
        self
    }

    /// How often metrics are exported (overrides `OTEL_METRIC_EXPORT_INTERVAL`, default 60 s).
    /// Shutdown always exports the last values, whatever the interval.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = tracing_genai::Config::default().with_metric_export_interval(Duration::from_secs(10));
    /// assert_eq!(config.metric_export_interval(), Duration::from_secs(10));
    /// ```
    #[must_use]
    pub fn with_metric_export_interval(mut self, interval: Duration) -> Self {
        self.metric_export_interval = Some(interval);
        self
    }

    /// Chooses the GenAI conventions the layer emits (overrides `OTEL_SEMCONV_STABILITY_OPT_IN`;
    /// see [`Conventions`]). Without either, the pinned conventions.
    ///
    /// ```
    /// use tracing_genai::semconv::Conventions;
    /// let config = tracing_genai::Config::default().with_conventions(Conventions::Both);
    /// assert_eq!(config.conventions(), Conventions::Both);
    /// let from_env = tracing_genai::Config::from_env_vars([
    ///     ("OTEL_SEMCONV_STABILITY_OPT_IN", "http,gen_ai_latest_experimental"),
    /// ]).unwrap();
    /// assert_eq!(from_env.conventions(), Conventions::Latest);
    /// ```
    #[must_use]
    pub fn with_conventions(mut self, conventions: Conventions) -> Self {
        self.conventions = Some(conventions);
        self
    }

    /// The conventions the layer will emit: the code setting, else the environment's, else
    /// [`Conventions::Pinned`].
    ///
    /// ```
    /// assert_eq!(
    ///     tracing_genai::Config::default().conventions(),
    ///     tracing_genai::semconv::Conventions::Pinned,
    /// );
    /// ```
    pub fn conventions(&self) -> Conventions {
        self.conventions
            .or(self.env.conventions)
            .unwrap_or_default()
    }

    /// Customises the GenAI layer (mappers, aliases, rules) before the tracer is set.
    ///
    /// ```
    /// let config = tracing_genai::Config::default().with_layer(|layer| {
    ///     layer.with_mapper(|_: &tracing_genai::GenAiSpan, attrs: &mut tracing_genai::mapper::Attributes<'_>| {
    ///         attrs.insert("app.tenant", "acme");
    ///     })
    /// });
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_layer(
        mut self,
        f: impl FnOnce(ConfigLayer) -> ConfigLayer + Send + 'static,
    ) -> Self {
        let previous = self.layer_fn.take();
        self.layer_fn = Some(Box::new(move |layer| {
            let layer = match previous {
                Some(p) => p(layer),
                None => layer,
            };
            f(layer)
        }));
        self
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn endpoint_path_handling_follows_the_spec() {
        let generic =
            Config::from_env_vars([("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/base/")])
                .unwrap();
        assert_eq!(generic.traces_endpoint(), "http://c:4318/base/v1/traces");
        let grpc = Config::from_env_vars([
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ])
        .unwrap();
        assert_eq!(grpc.traces_endpoint(), "http://c:4317");
        let both = Config::from_env_vars([
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:9999/x"),
        ])
        .unwrap();
        assert_eq!(both.traces_endpoint(), "http://t:9999/x");
        // Code overrides the environment.
        let code = both.with_endpoint("http://code:4318");
        assert_eq!(code.traces_endpoint(), "http://code:4318/v1/traces");
        assert_eq!(
            Config::default().traces_endpoint(),
            "http://localhost:4318/v1/traces"
        );
    }

    #[test]
    fn code_overrides_environment() {
        let config = Config::from_env_vars([
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_TRACES_EXPORTER", "none"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "100"),
        ])
        .unwrap()
        .with_protocol(Protocol::HttpProtobuf)
        .with_exporter(ExporterKind::Console)
        .with_timeout(Duration::from_secs(1));
        assert_eq!(config.protocol(), Protocol::HttpProtobuf);
        assert_eq!(config.exporter_kind(), ExporterKind::Console);
        assert_eq!(config.timeout(), Duration::from_secs(1));
    }

    #[test]
    fn batch_config_from_env() {
        let config = Config::from_env_vars([
            ("OTEL_BSP_MAX_QUEUE_SIZE", "64"),
            ("OTEL_BSP_SCHEDULE_DELAY", "10"),
        ])
        .unwrap();
        let batch = config.batch_config().unwrap();
        assert!(format!("{batch:?}").contains("max_queue_size: 64"));
    }
}
