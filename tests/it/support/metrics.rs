//! Collected metrics, simplified, for assertions: what [`Harness::collect_metrics`]
//! (`super::Harness`) returns.

use std::collections::BTreeMap;

use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};

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

pub(super) fn convert(rm: &ResourceMetrics) -> Vec<MetricInfo> {
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
