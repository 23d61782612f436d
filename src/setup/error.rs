//! Errors of [`setup`](crate::setup) and of [`TelemetryGuard::shutdown`](crate::TelemetryGuard::shutdown).

use super::report::ShutdownReport;

/// Why the telemetry pipeline could not be built or installed.
///
/// Every variant says what to change: the environment variable with the bad value, the cargo
/// feature to enable, or the call to use instead.
///
/// ```
/// let vars = [("OTEL_BSP_MAX_QUEUE_SIZE", "lots")];
/// let err = tracing_genai::Config::from_env_vars(vars).unwrap_err();
/// assert!(matches!(err, tracing_genai::SetupError::InvalidEnv { .. }));
/// assert!(err.to_string().contains("OTEL_BSP_MAX_QUEUE_SIZE"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// An environment variable has a value that cannot be used.
    #[error("invalid value {value:?} for {var}: {reason}")]
    InvalidEnv {
        /// The variable, e.g. `OTEL_EXPORTER_OTLP_PROTOCOL`.
        var: String,
        /// The value found.
        value: String,
        /// What is accepted.
        reason: String,
    },
    /// A setting made in code cannot be used.
    #[error("invalid setting {setting}: {reason}")]
    InvalidConfig {
        /// The builder method or setting, e.g. `with_endpoint`.
        setting: &'static str,
        /// What is wrong and what is accepted.
        reason: String,
    },
    /// The requested transport is not compiled in.
    #[error("OTLP protocol {protocol} needs the cargo feature `{feature}` of tracing-genai (or set OTEL_EXPORTER_OTLP_PROTOCOL to a compiled-in protocol)")]
    FeatureDisabled {
        /// The protocol asked for.
        protocol: &'static str,
        /// The cargo feature that provides it.
        feature: &'static str,
    },
    /// The OTLP exporter could not be built.
    #[error("could not build the OTLP exporter for {endpoint}: {reason}")]
    Exporter {
        /// The endpoint the exporter was built for.
        endpoint: String,
        /// The underlying error.
        reason: String,
    },
    /// A background thread or runtime could not be started.
    #[error("could not start the telemetry background thread: {0}")]
    Runtime(String),
    /// A global `tracing` subscriber was already installed.
    #[error("a global tracing subscriber is already installed; call setup() once, or use Config::build() and add the pipeline's layer to your own subscriber")]
    SubscriberAlreadySet,
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
