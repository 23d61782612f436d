//! [`Config::build`]: the tracer provider, exporter, meter provider and GenAI layer, as a
//! [`Pipeline`] that is not installed anywhere yet.

use std::sync::Arc;

use opentelemetry::InstrumentationScope;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::resource::TelemetryResourceDetector;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetryLayer;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::Filtered;

use super::config::{Config, ConfigLayer, ExporterKind};
use super::error::SetupError;
use super::exporter::{self, Counters, CountingProcessor};
use super::filter::ExportFilter;
use super::guard::{self, TelemetryGuard};
use super::kinds::MetricsExporter;
use super::{console, logs, meter};
use crate::{GenAiLayer, GenAiTracer};

/// The GenAI layer (wrapping tracing-opentelemetry) with the filter that keeps the exporter's
/// own crates out, as returned by [`Pipeline::layer`].
///
/// ```
/// use tracing_subscriber::Registry;
///
/// let pipeline = tracing_genai::Config::default()
///     .with_exporter(tracing_genai::setup::ExporterKind::None)
///     .build()
///     .unwrap();
/// let (layer, guard): (tracing_genai::setup::PipelineLayer<Registry>, _) = pipeline.layer();
/// # drop((layer, guard));
/// ```
pub type PipelineLayer<S> = Filtered<
    GenAiLayer<OpenTelemetryLayer<S, GenAiTracer<opentelemetry_sdk::trace::Tracer>>>,
    ExportFilter,
    S,
>;

/// A built but not installed pipeline, for applications that compose their own subscriber.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let pipeline = tracing_genai::Config::default()
///     .with_exporter(tracing_genai::setup::ExporterKind::None)
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
    /// Owns the provider; handed out by [`Pipeline::layer`].
    guard: TelemetryGuard,
    genai: ConfigLayer,
    tracer: opentelemetry_sdk::trace::Tracer,
    filter: ExportFilter,
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
    /// # let pipeline = tracing_genai::Config::default().with_exporter(tracing_genai::setup::ExporterKind::None).build().unwrap();
    /// let provider = pipeline.provider().clone();
    /// # drop(provider);
    /// ```
    pub fn provider(&self) -> &SdkTracerProvider {
        self.guard.provider()
    }

    /// The filtered GenAI layer for a subscriber `S`, and the guard that owns the pipeline
    /// (shut it down at the end of `main`).
    ///
    /// ```
    /// use tracing_subscriber::layer::SubscriberExt;
    ///
    /// let (layer, guard) = tracing_genai::Config::default()
    ///     .with_exporter(tracing_genai::setup::ExporterKind::None)
    ///     .build()
    ///     .unwrap()
    ///     .layer();
    /// let subscriber = tracing_subscriber::registry()
    ///     .with(layer)
    ///     .with(tracing_subscriber::fmt::layer());
    /// # drop(subscriber);
    /// guard.shutdown().unwrap();
    /// ```
    #[must_use = "the guard shuts the pipeline down when dropped; keep it and add the layer to a subscriber"]
    pub fn layer<S>(self) -> (PipelineLayer<S>, TelemetryGuard)
    where
        S: tracing_core::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    {
        let layer = self
            .genai
            .with_otel_layer(tracing_opentelemetry::layer::<S>())
            .with_tracer(self.tracer)
            .with_filter(self.filter);
        (layer, self.guard)
    }
}

impl Config {
    /// Builds the provider, exporter and layer without installing anything.
    ///
    /// ```
    /// let pipeline = tracing_genai::Config::default()
    ///     .with_exporter(tracing_genai::setup::ExporterKind::Console)
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
        let metrics = self.metrics_exporter();
        // Console spans and console metrics: the table waits for the last trees at shutdown.
        let console_order = (kind == ExporterKind::Console && metrics == MetricsExporter::Console)
            .then(|| Arc::new(console::ShutdownOrder::default()));
        let meter_provider = match metrics {
            MetricsExporter::Otlp => Some(meter::otlp_meter_provider(
                &self,
                resource.clone(),
                &metric_counters,
            )?),
            MetricsExporter::Console => Some(meter::console_meter_provider(
                &self,
                resource.clone(),
                &metric_counters,
                console_order.clone(),
            )),
            MetricsExporter::None => None,
        };
        // Logs (issue 12): the logger provider, when a logs exporter is configured.
        let logs = logs::logger_provider(&self, resource.clone())?;
        let mut builder = SdkTracerProvider::builder()
            .with_resource(resource)
            .with_sampler(self.sampler());
        #[cfg_attr(
            not(any(feature = "otlp-http", feature = "otlp-grpc")),
            allow(unused_mut)
        )]
        let mut tls_probe = None;
        let (destination, endpoint) = match kind {
            ExporterKind::Otlp => {
                let processor = exporter::otlp_processor(&self, &counters)?;
                builder = builder
                    .with_span_processor(CountingProcessor::new(processor, Arc::clone(&counters)));
                let endpoint = self.traces_endpoint();
                #[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
                {
                    tls_probe =
                        super::tls::probe_config(&self.transport(super::signal::Signal::Traces));
                }
                (
                    format!("otlp {} {endpoint}", self.protocol().as_str()),
                    Some(endpoint),
                )
            }
            ExporterKind::Console => {
                // Buffers at most a queue's worth of spans, like the batch processor.
                let max_spans = self
                    .max_queue_size
                    .or(self.env.max_queue_size)
                    .unwrap_or(2048);
                let processor = console::ConsoleProcessor::new(
                    console::Sink::Stdout,
                    console::Style::for_stdout(),
                    max_spans,
                    Arc::clone(&counters),
                )
                .with_order(console_order);
                builder = builder
                    .with_span_processor(CountingProcessor::new(processor, Arc::clone(&counters)));
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
        let mut genai: ConfigLayer = crate::layer().with_conventions(self.conventions());
        // Before the user's `with_layer`, which may choose another meter.
        genai = match &meter_provider {
            Some(meters) => genai.with_meter(meters.meter_with_scope(scope)),
            None => genai.with_metrics(false),
        };
        // Logs (issue 12): the GenAI events become log records.
        if let Some(logs) = &logs {
            genai = genai.with_logger_provider(&logs.provider);
        }
        if let Some(f) = self.layer_fn.take() {
            genai = f(genai);
        }
        // Resolves the content capture mode now (the environment's, unless set in code), so
        // that an invalid OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT is reported on
        // stderr at start-up rather than at the first span.
        let _ = genai.content_config().mode();
        let filter = ExportFilter::new(self.otel_level);
        let metrics_endpoint = match metrics {
            MetricsExporter::Otlp => Some(self.metrics_endpoint()),
            MetricsExporter::Console => Some("console".to_owned()),
            MetricsExporter::None => None,
        };
        let guard = TelemetryGuard::new(
            guard::Traces {
                provider,
                counters,
                kind,
                destination,
                endpoint,
                tls_probe,
            },
            guard::Meters {
                provider: meter_provider,
                counters: metric_counters,
                endpoint: metrics_endpoint,
            },
            self.shutdown_timeout,
            self.drop_timeout,
        )
        .with_logs(logs);
        Ok(Pipeline {
            guard,
            genai,
            tracer,
            filter,
        })
    }
}
