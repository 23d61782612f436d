//! Harness for metrics, streaming and cost tests: a GenAI layer over in-memory span and metric exporters.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracer, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Registry;

/// The layer type the harness builds (for `configure` closures).
pub type TestLayer =
    tracing_genai::GenAiLayer<tracing_opentelemetry::OpenTelemetryLayer<Registry, SdkTracer>>;

/// In-memory spans and metrics behind a GenAI layer.
pub struct Harness {
    pub spans: InMemorySpanExporter,
    pub metrics: InMemoryMetricExporter,
    pub tracer_provider: SdkTracerProvider,
    pub meter_provider: SdkMeterProvider,
    pub dispatch: tracing::Dispatch,
}

impl Harness {
    /// A layer with a tracer and a meter, configured further by `configure`.
    pub fn with(configure: impl FnOnce(TestLayer) -> TestLayer) -> Self {
        let spans = InMemorySpanExporter::default();
        let tracer_provider = SdkTracerProvider::builder()
            .with_simple_exporter(spans.clone())
            .build();
        let metrics = InMemoryMetricExporter::default();
        let meter_provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(metrics.clone()).build())
            .build();
        let layer = tracing_genai::layer()
            .with_tracer(tracer_provider.tracer("test"))
            .with_meter(meter_provider.meter("tracing-genai"));
        let subscriber = tracing_subscriber::registry().with(configure(layer));
        Harness {
            spans,
            metrics,
            tracer_provider,
            meter_provider,
            dispatch: tracing::Dispatch::new(subscriber),
        }
    }

    pub fn new() -> Self {
        Harness::with(|l| l)
    }

    /// Runs `f` with the harness subscriber as the default.
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        tracing::dispatcher::with_default(&self.dispatch, f)
    }

    pub fn finished_spans(&self) -> Vec<SpanData> {
        self.spans.get_finished_spans().unwrap()
    }

    /// The one finished span called `name`.
    pub fn span(&self, name: &str) -> SpanData {
        let mut all: Vec<SpanData> = self
            .finished_spans()
            .into_iter()
            .filter(|s| s.name == name)
            .collect();
        assert_eq!(all.len(), 1, "expected one span named {name:?}");
        all.remove(0)
    }

    /// Flushes and returns every metric collected so far (cumulative).
    pub fn collect_metrics(&self) -> Vec<MetricInfo> {
        self.metrics.reset();
        self.meter_provider.force_flush().unwrap();
        let all = self.metrics.get_finished_metrics().unwrap();
        all.last().map(convert).unwrap_or_default()
    }

    /// The metric called `name` (panics if absent).
    pub fn metric(&self, name: &str) -> MetricInfo {
        self.collect_metrics()
            .into_iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("no metric {name}"))
    }
}

/// Attribute value of a span as a string, if present.
pub fn attr(span: &SpanData, key: &str) -> Option<opentelemetry::Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.clone())
}

/// One data point, simplified.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub attrs: BTreeMap<String, String>,
    /// Histogram count (0 for sums).
    pub count: u64,
    /// Histogram sum or counter value.
    pub sum: f64,
    /// Histogram bucket boundaries (empty for sums).
    pub bounds: Vec<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// One metric, simplified.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricInfo {
    pub name: String,
    pub unit: String,
    /// `histogram` or `sum`.
    pub kind: &'static str,
    /// `f64` or `u64`.
    pub value_type: &'static str,
    pub points: Vec<Point>,
}

impl MetricInfo {
    /// The single point whose attributes contain all of `attrs`.
    pub fn point(&self, attrs: &[(&str, &str)]) -> Point {
        let found: Vec<&Point> = self
            .points
            .iter()
            .filter(|p| {
                attrs
                    .iter()
                    .all(|(k, v)| p.attrs.get(*k).map(String::as_str) == Some(*v))
            })
            .collect();
        assert_eq!(
            found.len(),
            1,
            "{}: points matching {attrs:?}: {:?}",
            self.name,
            self.points
        );
        found[0].clone()
    }
}

fn attrs<'a>(it: impl Iterator<Item = &'a opentelemetry::KeyValue>) -> BTreeMap<String, String> {
    it.map(|kv| (kv.key.to_string(), kv.value.to_string()))
        .collect()
}

fn convert(rm: &ResourceMetrics) -> Vec<MetricInfo> {
    let mut out = Vec::new();
    for scope in rm.scope_metrics() {
        for m in scope.metrics() {
            let (kind, value_type, points) = match m.data() {
                AggregatedMetrics::F64(d) => {
                    let (k, p) = points(d, |v| v);
                    (k, "f64", p)
                }
                AggregatedMetrics::U64(d) => {
                    let (k, p) = points(d, |v| v as f64);
                    (k, "u64", p)
                }
                AggregatedMetrics::I64(d) => {
                    let (k, p) = points(d, |v| v as f64);
                    (k, "i64", p)
                }
            };
            out.push(MetricInfo {
                name: m.name().to_string(),
                unit: m.unit().to_string(),
                kind,
                value_type,
                points,
            });
        }
    }
    out
}

fn points<T: Copy>(d: &MetricData<T>, f: impl Fn(T) -> f64) -> (&'static str, Vec<Point>) {
    match d {
        MetricData::Histogram(h) => (
            "histogram",
            h.data_points()
                .map(|p| Point {
                    attrs: attrs(p.attributes()),
                    count: p.count(),
                    sum: f(p.sum()),
                    bounds: p.bounds().collect(),
                    min: p.min().map(&f),
                    max: p.max().map(&f),
                })
                .collect(),
        ),
        MetricData::Sum(s) => (
            "sum",
            s.data_points()
                .map(|p| Point {
                    attrs: attrs(p.attributes()),
                    count: 0,
                    sum: f(p.value()),
                    bounds: Vec::new(),
                    min: None,
                    max: None,
                })
                .collect(),
        ),
        _ => ("other", Vec::new()),
    }
}
