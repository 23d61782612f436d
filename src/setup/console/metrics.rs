//! [`ConsoleMetricExporter`] (`OTEL_METRICS_EXPORTER=console`): keeps the latest cumulative
//! collection and prints it as one table when the meter provider shuts down (the final
//! collect), so the program ends with a readable summary; periodic exports print nothing.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;

use super::style::{self, Paint, Style};
use super::{ShutdownOrder, Sink};

/// Prints the metrics table at shutdown (see the module docs).
#[derive(Debug)]
pub(crate) struct ConsoleMetricExporter {
    sink: Sink,
    style: Style,
    /// The rows of the latest collection (cumulative: the totals so far).
    latest: Mutex<Option<Vec<Row>>>,
    /// Set when console spans are printed too: the table waits for their last trees.
    order: Option<Arc<ShutdownOrder>>,
}

/// The longest the table waits for the span processor's final flush.
const WAIT_FOR_SPANS: Duration = Duration::from_secs(1);

/// One data point: `metric unit count sum min max attributes`.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    metric: String,
    unit: String,
    /// Histograms: count, sum, min, max; sums and gauges: the value (in `sum`).
    count: Option<u64>,
    sum: f64,
    min: Option<f64>,
    max: Option<f64>,
    attributes: String,
}

impl ConsoleMetricExporter {
    pub(crate) fn new(sink: Sink, style: Style) -> Self {
        ConsoleMetricExporter {
            sink,
            style,
            latest: Mutex::new(None),
            order: None,
        }
    }

    /// Prints the table only after `order` says the spans are flushed (at most 1 s later).
    pub(crate) fn with_order(mut self, order: Option<Arc<ShutdownOrder>>) -> Self {
        self.order = order;
        self
    }

    fn table(&self) -> Option<String> {
        let rows = self
            .latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()?;
        Some(table(self.style, rows))
    }
}

impl PushMetricExporter for ConsoleMetricExporter {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let rows = rows(metrics);
        *self.latest.lock().unwrap_or_else(PoisonError::into_inner) = Some(rows);
        Ok(())
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        if let Some(order) = &self.order {
            order.wait_for_spans(timeout.min(WAIT_FOR_SPANS));
        }
        match self.table() {
            Some(text) => self.sink.write(&text).map_err(|e| {
                OTelSdkError::InternalFailure(format!("writing to the console failed: {e}"))
            }),
            None => Ok(()),
        }
    }

    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}

/// The data points of a collection, sorted by metric name then attributes.
fn rows(metrics: &ResourceMetrics) -> Vec<Row> {
    let mut rows = Vec::new();
    for scope in metrics.scope_metrics() {
        for metric in scope.metrics() {
            let row = |count, sum, min, max, attrs: &mut dyn Iterator<Item = &KeyValue>| Row {
                metric: style::clean(metric.name()).into_owned(),
                unit: style::clean(metric.unit()).into_owned(),
                count,
                sum,
                min,
                max,
                attributes: attributes(attrs),
            };
            macro_rules! points {
                ($data:expr) => {
                    match $data {
                        MetricData::Histogram(h) => {
                            for p in h.data_points() {
                                rows.push(row(
                                    Some(p.count()),
                                    p.sum() as f64,
                                    p.min().map(|v| v as f64),
                                    p.max().map(|v| v as f64),
                                    &mut p.attributes(),
                                ));
                            }
                        }
                        MetricData::ExponentialHistogram(h) => {
                            for p in h.data_points() {
                                rows.push(row(
                                    Some(p.count() as u64),
                                    p.sum() as f64,
                                    p.min().map(|v| v as f64),
                                    p.max().map(|v| v as f64),
                                    &mut p.attributes(),
                                ));
                            }
                        }
                        MetricData::Sum(s) => {
                            for p in s.data_points() {
                                rows.push(row(
                                    None,
                                    p.value() as f64,
                                    None,
                                    None,
                                    &mut p.attributes(),
                                ));
                            }
                        }
                        MetricData::Gauge(g) => {
                            for p in g.data_points() {
                                rows.push(row(
                                    None,
                                    p.value() as f64,
                                    None,
                                    None,
                                    &mut p.attributes(),
                                ));
                            }
                        }
                    }
                };
            }
            match metric.data() {
                AggregatedMetrics::F64(data) => points!(data),
                AggregatedMetrics::U64(data) => points!(data),
                AggregatedMetrics::I64(data) => points!(data),
            }
        }
    }
    rows.sort_by(|a, b| {
        (a.metric.as_str(), a.attributes.as_str()).cmp(&(b.metric.as_str(), b.attributes.as_str()))
    });
    rows
}

/// `key=value` pairs sorted by key, values unquoted.
fn attributes(attrs: &mut dyn Iterator<Item = &KeyValue>) -> String {
    let mut pairs: Vec<String> = attrs
        .map(|kv| {
            let (key, value) = (kv.key.as_str(), kv.value.as_str());
            format!("{}={}", style::clean(key), style::clean(&value))
        })
        .collect();
    pairs.sort();
    pairs.join(" ")
}

/// A number at a readable precision: whole numbers bare, else 4 significant digits.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{v:.0}");
    }
    if !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (3 - magnitude).clamp(0, 12) as usize;
    let text = format!("{v:.decimals$}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_owned()
}

/// The table: a title, a header, one line per row; columns padded to their widest cell.
fn table(style: Style, rows: Vec<Row>) -> String {
    let mut out = String::new();
    style.paint(&mut out, Paint::Line, "── ");
    style.paint(&mut out, Paint::Dim, "metrics (totals at shutdown)");
    out.push('\n');
    if rows.is_empty() {
        style.paint(&mut out, Paint::Dim, "(no metrics recorded)\n");
        return out;
    }
    let dash = || "-".to_owned();
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.metric.clone(),
                r.unit.clone(),
                r.count.map_or_else(dash, |c| c.to_string()),
                number(r.sum),
                r.min.map_or_else(dash, number),
                r.max.map_or_else(dash, number),
            ]
        })
        .collect();
    let header = ["metric", "unit", "count", "sum|value", "min", "max"];
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut String, cells: [&str; 6], attributes: &str, paints: [Paint; 7]| {
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            // Numbers right-aligned, names left-aligned.
            let (before, after) = if i >= 2 { (pad, 0) } else { (0, pad) };
            out.push_str(&" ".repeat(before));
            style.paint(out, paints[i], cell);
            out.push_str(&" ".repeat(after + 2));
        }
        style.paint(out, paints[6], attributes);
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
        out.push('\n');
    };
    line(&mut out, header, "attributes", [Paint::Dim; 7]);
    let paints = [
        Paint::Name,
        Paint::Dim,
        Paint::Num,
        Paint::Num,
        Paint::Num,
        Paint::Num,
        Paint::Key,
    ];
    for (row, r) in cells.iter().zip(&rows) {
        let cells = [row[0].as_str(), &row[1], &row[2], &row[3], &row[4], &row[5]];
        line(&mut out, cells, &r.attributes, paints);
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use opentelemetry::metrics::MeterProvider as _;
    use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};

    use super::*;

    #[test]
    fn numbers_are_readable() {
        assert_eq!(number(42.0), "42");
        assert_eq!(number(0.003_214_6), "0.003215");
        assert_eq!(number(1.5), "1.5");
        assert_eq!(number(1234.5678), "1235");
        assert_eq!(number(0.000_125), "0.000125");
    }

    #[test]
    fn prints_one_table_at_shutdown_only() {
        let out = Arc::new(Mutex::new(Vec::new()));
        let exporter = ConsoleMetricExporter::new(Sink::Buffer(Arc::clone(&out)), Style::PLAIN);
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter).build())
            .build();
        let meter = provider.meter("tracing-genai");
        let tokens = meter
            .u64_histogram("gen_ai.client.token.usage")
            .with_unit("{token}")
            .build();
        let attrs = |t: &'static str| {
            [
                KeyValue::new("gen_ai.operation.name", "chat"),
                KeyValue::new("gen_ai.request.model", "gpt-4o"),
                KeyValue::new("gen_ai.token.type", t),
            ]
        };
        tokens.record(12, &attrs("input"));
        tokens.record(100, &attrs("input"));
        tokens.record(30, &attrs("output"));
        let cost = meter
            .f64_counter("tracing_genai.client.cost")
            .with_unit("USD")
            .build();
        cost.add(
            0.000_425,
            &[KeyValue::new("gen_ai.request.model", "gpt-4o")],
        );
        provider.force_flush().unwrap();
        assert!(
            out.lock().unwrap().is_empty(),
            "periodic exports print nothing"
        );
        provider.shutdown().unwrap();
        let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
        let expected = "\
── metrics (totals at shutdown)
metric                     unit     count  sum|value  min  max  attributes
gen_ai.client.token.usage  {token}      2        112   12  100  gen_ai.operation.name=chat gen_ai.request.model=gpt-4o gen_ai.token.type=input
gen_ai.client.token.usage  {token}      1         30   30   30  gen_ai.operation.name=chat gen_ai.request.model=gpt-4o gen_ai.token.type=output
tracing_genai.client.cost  USD          -   0.000425    -    -  gen_ai.request.model=gpt-4o

";
        assert_eq!(text, expected);
    }

    #[test]
    fn the_table_waits_for_the_spans_at_shutdown() {
        let out = Arc::new(Mutex::new(Vec::new()));
        let order = Arc::new(ShutdownOrder::default());
        let exporter = ConsoleMetricExporter::new(Sink::Buffer(Arc::clone(&out)), Style::PLAIN)
            .with_order(Some(Arc::clone(&order)));
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter).build())
            .build();
        let calls = provider.meter("t").u64_counter("calls").build();
        calls.add(1, &[]);
        let spans = {
            let (out, order) = (Arc::clone(&out), Arc::clone(&order));
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(100));
                out.lock().unwrap().extend_from_slice(b"last trace\n");
                order.spans_flushed();
            })
        };
        provider.shutdown().unwrap();
        spans.join().unwrap();
        let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
        assert!(text.starts_with("last trace\n── metrics"), "{text}");
        // Without the spans' signal the table still comes, within the bound.
        let lonely = ConsoleMetricExporter::new(Sink::Buffer(Arc::clone(&out)), Style::PLAIN)
            .with_order(Some(Arc::new(ShutdownOrder::default())));
        let started = std::time::Instant::now();
        lonely
            .shutdown_with_timeout(Duration::from_millis(50))
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn an_empty_collection_says_so() {
        assert!(table(Style::PLAIN, Vec::new()).contains("(no metrics recorded)"));
    }
}
