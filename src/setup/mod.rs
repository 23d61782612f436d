//! One-call setup and safe teardown of an OTLP pipeline: [`setup`], [`Config`],
//! [`TelemetryGuard`].
//!
//! Span end is a non-blocking enqueue into a bounded queue (spans beyond it are dropped and
//! counted); export runs on the batch processor's thread (HTTP, blocking client) or on a
//! dedicated runtime thread (gRPC); shutdown runs on its own thread with a deadline.
//!
//! - `config.rs`, `kinds.rs`, `env.rs`, `resolve.rs`: [`Config`], its enums, the `OTEL_*`
//!   variables and the effective settings;
//! - `transport.rs`, `signal.rs`: the OTLP transport settings in code, and those of each signal (generic and per-signal
//!   variables, code over environment);
//! - `tls.rs`, `http_client.rs`: the TLS files and configurations, and the HTTP client of the
//!   OTLP/HTTP exporters (code headers last, the transport's error kept for the report);
//! - `pipeline.rs`: [`Config::build`] and [`Pipeline`];
//! - `filter.rs`: [`ExportFilter`], the level and the exporter's own crates the layers leave out;
//! - `exporter.rs`, `meter.rs`: the OTLP span and metric exporters and the counting wrappers
//!   behind the report;
//! - `console/`: the offline console output (each trace as a tree, the metrics as a table at
//!   shutdown, the one-line GenAI printer);
//! - `logs.rs`: the logger provider (GenAI events as log records, the optional bridge of the
//!   application's `tracing` events), its settings and [`LogsReport`];
//! - `bridge.rs`: the runtime thread that the gRPC exporters run on;
//! - `guard.rs`: [`TelemetryGuard`] and its bounded shutdown;
//! - `report.rs`: [`ShutdownReport`] and the classification of why spans were lost;
//! - `probe.rs`: the TCP probe of the endpoint that classification uses;
//! - `error.rs`: [`SetupError`], [`ShutdownError`].

#[cfg(feature = "otlp-grpc")]
mod bridge;
mod config;
mod console;
mod env;
mod error;
mod exporter;
mod filter;
mod guard;
mod http_client;
mod kinds;
mod logs;
mod meter;
mod pipeline;
mod probe;
mod report;
mod resolve;
mod signal;
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
mod tls;
mod transport;

use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;

pub use config::{Compression, Config, ConfigLayer, ExporterKind, Protocol};
pub use error::{SetupError, ShutdownError};
pub use filter::{EXCLUDED_TARGETS, ExportFilter};
pub use guard::TelemetryGuard;
pub use logs::LogsReport;
pub use pipeline::{Pipeline, PipelineLayer};
pub use report::ShutdownReport;

/// Builds the pipeline from `config`, installs it as the global `tracing` subscriber (GenAI
/// layer, optional fmt layer filtered by `RUST_LOG`) and as the global OpenTelemetry tracer
/// provider (and, when metrics are on, meter provider), and returns the guard to shut it down.
/// The GenAI layer records metrics through its own meter provider, not the global one.
///
/// ```no_run
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let telemetry = tracing_genai::setup(tracing_genai::Config::from_env()?)?;
///     // ... the application ...
///     match telemetry.shutdown() {
///         Ok(report) => eprintln!("{report}"),
///         Err(lost) => eprintln!("{lost}"), // telemetry failure never fails the program
///     }
///     Ok(())
/// }
/// ```
pub fn setup(config: Config) -> Result<TelemetryGuard, SetupError> {
    let fmt = config.fmt_layer.then(|| {
        config
            .env_filter
            .clone()
            .unwrap_or_else(|| "info".to_owned())
    });
    let (log_bridge, otel_level) = (config.log_bridge(), config.otel_level);
    let (genai, guard) = config.build()?.layer::<tracing_subscriber::Registry>();
    let mut layers = vec![genai.boxed()];
    // Logs (issue 12): the application's own `tracing` events as log records (opt-in).
    if let Some(provider) = guard.logger_provider().filter(|_| log_bridge) {
        let filter = ExportFilter::new(otel_level);
        layers.push(
            opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge::new(provider)
                .with_filter(filter)
                .boxed(),
        );
    }
    if let Some(directives) = fmt {
        let filter = tracing_subscriber::EnvFilter::try_new(&directives).map_err(|e| {
            SetupError::invalid_env_because("RUST_LOG", &directives, e.to_string(), e)
        })?;
        layers.push(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(filter)
                .boxed(),
        );
    }
    let subscriber = tracing_subscriber::registry().with(layers);
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|_| SetupError::SubscriberAlreadySet)?;
    opentelemetry::global::set_tracer_provider(guard.provider().clone());
    if let Some(meters) = guard.meter_provider() {
        opentelemetry::global::set_meter_provider(meters.clone());
    }
    Ok(guard)
}
