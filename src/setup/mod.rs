//! One-call setup and safe teardown of an OTLP pipeline: [`setup`], [`Config`],
//! [`TelemetryGuard`].
//!
//! Span end is a non-blocking enqueue into a bounded queue (spans beyond it are dropped and
//! counted); export runs on the batch processor's thread (HTTP, blocking client) or on a
//! dedicated runtime thread (gRPC); shutdown runs on its own thread with a deadline.

mod config;
mod console;
mod env;
mod error;
mod exporter;
mod guard;
mod kinds;
mod meter;
mod resolve;

use std::sync::Arc;

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::resource::TelemetryResourceDetector;
use opentelemetry_sdk::trace::{SdkTracerProvider, SimpleSpanProcessor};
use opentelemetry_sdk::Resource;
use tracing_core::LevelFilter;
use tracing_opentelemetry::OpenTelemetryLayer;
use tracing_subscriber::filter::{Filtered, Targets};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::Layer as _;

pub use config::{Compression, Config, ConfigLayer, ExporterKind, Protocol};
pub use error::{SetupError, ShutdownError};
pub use guard::{ShutdownReport, TelemetryGuard};

use crate::GenAiLayer;
use exporter::{Counters, CountingExporter, CountingProcessor};

/// Targets whose spans are never exported: the exporter's own network stack and the SDK
/// (exporting them would feed the pipeline with its own activity).
pub const EXCLUDED_TARGETS: &[&str] = &[
    "tonic",
    "hyper",
    "hyper_util",
    "h2",
    "reqwest",
    "tower",
    "tower_http",
    "opentelemetry",
    "opentelemetry_sdk",
    "opentelemetry_otlp",
    "opentelemetry_http",
];

/// The GenAI layer (wrapping tracing-opentelemetry) with the filter that keeps the exporter's
/// own crates out, as returned by [`Pipeline::layer`].
pub type PipelineLayer<S> =
    Filtered<GenAiLayer<OpenTelemetryLayer<S, opentelemetry_sdk::trace::Tracer>>, Targets, S>;

/// A built but not installed pipeline, for applications that compose their own subscriber.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let pipeline = tracing_genai::Config::default()
///     .with_exporter(tracing_genai::ExporterKind::None)
///     .build()
///     .unwrap();
/// let (layer, guard) = pipeline.layer();
/// let subscriber = tracing_subscriber::registry().with(layer);
/// tracing::subscriber::with_default(subscriber, || {
///     let _span = tracing_genai::genai_span!("chat", "openai", "gpt-4o", gen_ai.request.seed = 1_i64).entered();
/// });
/// guard.shutdown().unwrap();
/// ```
#[non_exhaustive]
pub struct Pipeline {
    /// Owns the provider; shut it down at the end of `main`.
    pub guard: TelemetryGuard,
    genai: ConfigLayer,
    tracer: opentelemetry_sdk::trace::Tracer,
    filter: Targets,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("guard", &self.guard)
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    /// The tracer provider (also reachable through the guard).
    ///
    /// ```
    /// # let pipeline = tracing_genai::Config::default().with_exporter(tracing_genai::ExporterKind::None).build().unwrap();
    /// let provider = pipeline.provider().clone();
    /// # drop(provider);
    /// ```
    pub fn provider(&self) -> &SdkTracerProvider {
        self.guard.provider()
    }

    /// The filtered GenAI layer for a subscriber `S`, and the guard.
    ///
    /// ```
    /// use tracing_subscriber::layer::SubscriberExt;
    ///
    /// let (layer, guard) = tracing_genai::Config::default()
    ///     .with_exporter(tracing_genai::ExporterKind::None)
    ///     .build()
    ///     .unwrap()
    ///     .layer();
    /// let subscriber = tracing_subscriber::registry()
    ///     .with(layer)
    ///     .with(tracing_subscriber::fmt::layer());
    /// # drop(subscriber);
    /// # drop(guard);
    /// ```
    pub fn layer<S>(self) -> (PipelineLayer<S>, TelemetryGuard)
    where
        S: tracing_core::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    {
        let otel = tracing_opentelemetry::layer::<S>().with_tracer(self.tracer);
        let layer = self.genai.with_otel_layer(otel).with_filter(self.filter);
        (layer, self.guard)
    }
}

impl Config {
    /// Builds the provider, exporter and layer without installing anything.
    ///
    /// ```
    /// let pipeline = tracing_genai::Config::default()
    ///     .with_exporter(tracing_genai::ExporterKind::Console)
    ///     .build()
    ///     .unwrap();
    /// # drop(pipeline);
    /// ```
    pub fn build(mut self) -> Result<Pipeline, SetupError> {
        let kind = self.exporter_kind();
        let counters = Arc::new(Counters::default());
        let resource = Resource::builder_empty()
            .with_detector(Box::new(TelemetryResourceDetector))
            .with_attributes(self.resource_attributes())
            .with_service_name(self.service_name())
            .build();
        let metric_counters = Arc::new(meter::MetricCounters::default());
        let meter_provider = if self.metrics_enabled() {
            Some(meter::otlp_meter_provider(
                &self,
                resource.clone(),
                &metric_counters,
            )?)
        } else {
            None
        };
        let mut builder = SdkTracerProvider::builder()
            .with_resource(resource)
            .with_sampler(self.sampler());
        let (destination, endpoint) = match kind {
            ExporterKind::Otlp => {
                let processor = exporter::otlp_processor(&self, &counters)?;
                builder = builder
                    .with_span_processor(CountingProcessor::new(processor, Arc::clone(&counters)));
                let endpoint = self.traces_endpoint();
                (
                    format!("otlp {} {endpoint}", self.protocol().as_str()),
                    Some(endpoint),
                )
            }
            ExporterKind::Console => {
                let exporter =
                    CountingExporter::new(console::ConsoleExporter, Arc::clone(&counters));
                builder = builder.with_span_processor(CountingProcessor::new(
                    SimpleSpanProcessor::new(exporter),
                    Arc::clone(&counters),
                ));
                ("console".to_owned(), None)
            }
            ExporterKind::None => ("none (export disabled)".to_owned(), None),
        };
        if self.print_genai_spans && kind != ExporterKind::Console {
            builder = builder.with_span_processor(console::GenAiPrinter);
        }
        let provider = builder.build();
        let scope = InstrumentationScope::builder("tracing-genai")
            .with_version(env!("CARGO_PKG_VERSION"))
            .build();
        let tracer = provider.tracer_with_scope(scope.clone());
        let mut genai: ConfigLayer = crate::layer();
        // Before the user's `with_layer`, which may choose another meter.
        genai = match &meter_provider {
            Some(meters) => genai.with_meter(meters.meter_with_scope(scope)),
            None => genai.with_metrics(false),
        };
        if let Some(f) = self.layer_fn.take() {
            genai = f(genai);
        }
        let filter = EXCLUDED_TARGETS
            .iter()
            .fold(Targets::new().with_default(self.otel_level), |t, target| {
                t.with_target(*target, LevelFilter::OFF)
            });
        let metrics_endpoint = meter_provider.as_ref().map(|_| self.metrics_endpoint());
        let guard = guard::TelemetryGuard::new(
            provider,
            guard::Meters {
                provider: meter_provider,
                counters: metric_counters,
                endpoint: metrics_endpoint,
            },
            counters,
            kind,
            destination,
            endpoint,
            self.shutdown_timeout,
            self.drop_timeout,
        );
        Ok(Pipeline {
            guard,
            genai,
            tracer,
            filter,
        })
    }
}

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
    let (genai, guard) = config.build()?.layer::<tracing_subscriber::Registry>();
    let mut layers = vec![genai.boxed()];
    if let Some(directives) = fmt {
        let filter = tracing_subscriber::EnvFilter::try_new(&directives).map_err(|e| {
            SetupError::InvalidEnv {
                var: "RUST_LOG".to_owned(),
                value: directives.clone(),
                reason: e.to_string(),
            }
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
