//! Errors of [`setup`](crate::setup) and of [`TelemetryGuard::shutdown`](crate::TelemetryGuard::shutdown).

use super::report::ShutdownReport;

/// Why the telemetry pipeline could not be built or installed.
///
/// Every variant says what to change: the environment variable with the bad value, the cargo
/// feature to enable, or the call to use instead. The underlying error, when there is one (a
/// number that does not parse, an exporter that cannot be built, a thread that cannot start),
/// is the [`source`](std::error::Error::source).
///
/// ```
/// use std::error::Error as _;
///
/// let vars = [("OTEL_BSP_MAX_QUEUE_SIZE", "lots")];
/// let err = tracing_genai::Config::from_env_vars(vars).unwrap_err();
/// assert!(matches!(err, tracing_genai::setup::SetupError::InvalidEnv { .. }));
/// assert!(err.to_string().contains("OTEL_BSP_MAX_QUEUE_SIZE"));
/// // The number parser's own error.
/// let source = err.source().unwrap();
/// assert!(source.downcast_ref::<std::num::ParseIntError>().is_some());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// An environment variable has a value that cannot be used.
    ///
    /// ```
    /// let err = tracing_genai::Config::from_env_vars([("OTEL_EXPORTER_OTLP_PROTOCOL", "smoke")])
    ///     .unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     r#"invalid value "smoke" for OTEL_EXPORTER_OTLP_PROTOCOL: expected grpc, http/protobuf or http/json"#
    /// );
    /// ```
    #[error("invalid value {value:?} for {var}: {reason}")]
    InvalidEnv {
        /// The variable, e.g. `OTEL_EXPORTER_OTLP_PROTOCOL`.
        var: String,
        /// The value found.
        value: String,
        /// What is accepted.
        reason: String,
        /// The parser's error, when a parser rejected the value (e.g.
        /// [`ParseIntError`](std::num::ParseIntError) for a number of milliseconds).
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    /// A setting made in code cannot be used.
    ///
    /// ```
    /// let err = tracing_genai::Config::default()
    ///     .with_max_queue_size(0)
    ///     .build()
    ///     .unwrap_err();
    /// assert!(matches!(err, tracing_genai::setup::SetupError::InvalidConfig { setting, .. } if setting.contains("with_max_queue_size")));
    /// ```
    #[error("invalid setting {setting}: {reason}")]
    InvalidConfig {
        /// The builder method or setting, e.g. `with_endpoint`.
        setting: &'static str,
        /// What is wrong and what is accepted.
        reason: String,
        /// The underlying error, if any (e.g. the invalid header name or value).
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    /// A TLS file (extra CA, client certificate or key) cannot be read or is not what it
    /// should be. Named by the setting that gave it and its path.
    ///
    /// ```
    /// let err = tracing_genai::Config::from_env_vars([
    ///     ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"),
    ///     ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/no/such/ca.pem"),
    /// ])
    /// .unwrap()
    /// .build()
    /// .unwrap_err();
    /// match &err {
    ///     tracing_genai::setup::SetupError::TlsFile { setting, path, .. } => {
    ///         assert_eq!(setting, "OTEL_EXPORTER_OTLP_CERTIFICATE");
    ///         assert_eq!(path, std::path::Path::new("/no/such/ca.pem"));
    ///     }
    ///     other => panic!("{other}"),
    /// }
    /// assert!(err.to_string().starts_with("OTEL_EXPORTER_OTLP_CERTIFICATE: cannot use /no/such/ca.pem: cannot read it"));
    /// ```
    #[error("{setting}: cannot use {}: {reason}", path.display())]
    TlsFile {
        /// The variable (e.g. `OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY`) or `Config` method.
        setting: String,
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        reason: String,
        /// The IO or PEM parser error, if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    /// The requested transport is not compiled in.
    ///
    /// ```
    /// let result = tracing_genai::Config::default()
    ///     .with_protocol(tracing_genai::setup::Protocol::HttpJson)
    ///     .build();
    /// if cfg!(not(feature = "otlp-http-json")) {
    ///     assert!(matches!(
    ///         result,
    ///         Err(tracing_genai::setup::SetupError::FeatureDisabled { feature: "otlp-http-json", .. })
    ///     ));
    /// }
    /// ```
    #[error(
        "OTLP protocol {protocol} needs the cargo feature `{feature}` of tracing-genai (or set OTEL_EXPORTER_OTLP_PROTOCOL to a compiled-in protocol)"
    )]
    FeatureDisabled {
        /// The protocol asked for.
        protocol: &'static str,
        /// The cargo feature that provides it.
        feature: &'static str,
    },
    /// The OTLP exporter could not be built.
    ///
    /// ```
    /// let err = tracing_genai::Config::default()
    ///     .with_endpoint("http://bad host:4318")
    ///     .build()
    ///     .unwrap_err();
    /// match &err {
    ///     tracing_genai::setup::SetupError::Exporter { endpoint, source } => {
    ///         assert!(endpoint.starts_with("http://bad host:4318/"));
    ///         assert!(err.to_string().ends_with(&source.to_string()));
    ///     }
    ///     other => panic!("{other}"),
    /// }
    /// ```
    #[error("could not build the OTLP exporter for {endpoint}: {source}")]
    Exporter {
        /// The endpoint the exporter was built for.
        endpoint: String,
        /// The exporter builder's error.
        #[source]
        source: opentelemetry_otlp::ExporterBuildError,
    },
    /// A background thread or runtime could not be started.
    ///
    /// ```
    /// let err = tracing_genai::setup::SetupError::Runtime(std::io::Error::other("no threads left"));
    /// assert_eq!(
    ///     err.to_string(),
    ///     "could not start the telemetry background thread: no threads left"
    /// );
    /// ```
    #[error("could not start the telemetry background thread: {0}")]
    Runtime(#[source] std::io::Error),
    /// A global `tracing` subscriber was already installed.
    ///
    /// ```no_run
    /// let first = tracing_genai::setup(tracing_genai::Config::from_env()?)?;
    /// let second = tracing_genai::setup(tracing_genai::Config::from_env()?);
    /// assert!(matches!(second, Err(tracing_genai::setup::SetupError::SubscriberAlreadySet)));
    /// # drop(first);
    /// # Ok::<(), tracing_genai::setup::SetupError>(())
    /// ```
    #[error(
        "a global tracing subscriber is already installed; call setup() once, or use Config::build() and add the pipeline's layer to your own subscriber"
    )]
    SubscriberAlreadySet,
}

impl SetupError {
    /// [`SetupError::InvalidEnv`] with no underlying error.
    pub(crate) fn invalid_env(var: &str, value: &str, reason: impl Into<String>) -> SetupError {
        SetupError::InvalidEnv {
            var: var.to_owned(),
            value: value.to_owned(),
            reason: reason.into(),
            source: None,
        }
    }

    /// [`SetupError::InvalidEnv`] caused by `source` (a parser's error).
    pub(crate) fn invalid_env_because(
        var: &str,
        value: &str,
        reason: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> SetupError {
        SetupError::InvalidEnv {
            var: var.to_owned(),
            value: value.to_owned(),
            reason: reason.into(),
            source: Some(Box::new(source)),
        }
    }
}

/// Shutdown did not deliver every span. The [`ShutdownReport`] says how many were exported,
/// dropped or failed and why.
///
/// ```no_run
/// let guard = tracing_genai::setup(tracing_genai::Config::default()).unwrap();
/// if let Err(err) = guard.shutdown() {
///     eprintln!("{err}");
///     assert!(err.report().exported < err.report().ended);
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{report}")]
#[non_exhaustive]
pub struct ShutdownError {
    report: Box<ShutdownReport>,
}

impl ShutdownError {
    pub(crate) fn new(report: ShutdownReport) -> Self {
        ShutdownError {
            report: Box::new(report),
        }
    }

    /// The counts and the reason.
    ///
    /// ```no_run
    /// # let guard = tracing_genai::setup(tracing_genai::Config::default()).unwrap();
    /// if let Err(err) = guard.shutdown() {
    ///     println!("{} spans lost", err.report().lost());
    /// }
    /// ```
    pub fn report(&self) -> &ShutdownReport {
        &self.report
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use std::error::Error as _;

    #[test]
    fn errors_can_cross_threads() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<SetupError>();
        assert_send_sync::<ShutdownError>();
    }

    #[test]
    fn exporter_errors_keep_the_builder_error() {
        let err = crate::Config::default()
            .with_endpoint("http://bad host:4318")
            .build()
            .unwrap_err();
        let SetupError::Exporter { endpoint, source } = &err else {
            panic!("expected Exporter, got {err:?}");
        };
        assert_eq!(endpoint, "http://bad host:4318/v1/metrics");
        assert!(err.to_string().ends_with(&source.to_string()), "{err}");
        assert!(
            err.source()
                .unwrap()
                .downcast_ref::<opentelemetry_otlp::ExporterBuildError>()
                .is_some()
        );
    }

    #[cfg(feature = "otlp-grpc")]
    #[test]
    fn grpc_exporter_errors_keep_the_builder_error() {
        let err = crate::Config::default()
            .with_protocol(crate::setup::Protocol::Grpc)
            .with_endpoint("http://bad host:4317")
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, SetupError::Exporter { endpoint, .. } if endpoint == "http://bad host:4317"),
            "{err:?}"
        );
        assert!(err.source().is_some());
    }

    #[test]
    fn parse_errors_are_the_source() {
        let err = crate::Config::from_env_vars([("OTEL_EXPORTER_OTLP_TIMEOUT", "5s")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid value \"5s\" for OTEL_EXPORTER_OTLP_TIMEOUT: expected a whole number of milliseconds"
        );
        assert!(
            err.source()
                .unwrap()
                .downcast_ref::<std::num::ParseIntError>()
                .is_some()
        );
        let err = crate::Config::from_env_vars([
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "half"),
        ])
        .unwrap_err();
        assert!(
            err.source()
                .unwrap()
                .downcast_ref::<std::num::ParseFloatError>()
                .is_some()
        );
        // Rejected by a rule, not a parser: no source.
        let err = crate::Config::from_env_vars([("OTEL_BSP_MAX_QUEUE_SIZE", "0")]).unwrap_err();
        assert!(err.source().is_none());
    }
}
