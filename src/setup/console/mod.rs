//! The offline console output, for development and the examples:
//!
//! - `processor.rs`: [`ConsoleProcessor`] (`OTEL_TRACES_EXPORTER=console`), each trace as an
//!   indented tree (drawn by `tree.rs`) once its local root ends;
//! - `metrics.rs`: [`ConsoleMetricExporter`] (`OTEL_METRICS_EXPORTER=console`), the metrics as
//!   a table at shutdown;
//! - `style.rs`: colours (only on a terminal, without `NO_COLOR`), typed values, durations;
//! - here: the [`Sink`] they write to (stdout, or a buffer in tests) and [`GenAiPrinter`]
//!   (`Config::with_genai_printer`), one line per GenAI span.

mod metrics;
mod processor;
mod style;
mod tree;

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use opentelemetry::{Array, Context, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};

use crate::semconv;

pub(crate) use metrics::ConsoleMetricExporter;
pub(crate) use processor::ConsoleProcessor;
pub(crate) use style::Style;

/// Lets the metrics table wait, briefly, for the span processor's final flush at shutdown
/// (the guard shuts both down in parallel), so that the table comes after the last trees.
#[derive(Debug, Default)]
pub(crate) struct ShutdownOrder {
    spans_flushed: Mutex<bool>,
    changed: Condvar,
}

impl ShutdownOrder {
    /// The span processor printed everything it had left.
    pub(crate) fn spans_flushed(&self) {
        *self
            .spans_flushed
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = true;
        self.changed.notify_all();
    }

    /// Waits until [`spans_flushed`](Self::spans_flushed), at most `max`.
    pub(crate) fn wait_for_spans(&self, max: Duration) {
        let flushed = self
            .spans_flushed
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let _ = self.changed.wait_timeout_while(flushed, max, |done| !*done);
    }
}

/// Where the console output goes. One call to [`Sink::write`] writes one block (a trace, the
/// metrics table) whole, so blocks written from several threads never interleave.
#[derive(Clone)]
pub(crate) enum Sink {
    /// The process's stdout.
    Stdout,
    /// An in-memory buffer (tests).
    #[cfg_attr(not(test), allow(dead_code))]
    Buffer(Arc<Mutex<Vec<u8>>>),
    /// Any writer (tests of write errors).
    #[cfg_attr(not(test), allow(dead_code))]
    Writer(Arc<Mutex<Box<dyn std::io::Write + Send>>>),
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Sink::Stdout => "Sink::Stdout",
            Sink::Buffer(_) => "Sink::Buffer",
            Sink::Writer(_) => "Sink::Writer",
        })
    }
}

impl Sink {
    /// Writes `text` and flushes; an error (closed stdout) is returned, never a panic.
    pub(crate) fn write(&self, text: &str) -> std::io::Result<()> {
        match self {
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(text.as_bytes())?;
                out.flush()
            }
            Sink::Buffer(buffer) => {
                buffer
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend_from_slice(text.as_bytes());
                Ok(())
            }
            Sink::Writer(writer) => {
                let mut writer = writer.lock().unwrap_or_else(PoisonError::into_inner);
                writer.write_all(text.as_bytes())?;
                writer.flush()
            }
        }
    }
}

/// One line for a span: GenAI spans as `chat gpt-4o  provider=openai in=12 out=30
/// finish=[stop] 1.2ms`, other spans as `name 1.2ms`.
pub(crate) fn format_span(span: &SpanData) -> String {
    let get = |key: &str| {
        span.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| &kv.value)
    };
    let mut line = span.name.to_string();
    if get(semconv::GEN_AI_OPERATION_NAME).is_some() {
        line.push(' ');
        let fields: [(&str, &str); 7] = [
            ("provider", semconv::GEN_AI_PROVIDER_NAME),
            ("in", semconv::GEN_AI_USAGE_INPUT_TOKENS),
            ("out", semconv::GEN_AI_USAGE_OUTPUT_TOKENS),
            ("finish", semconv::GEN_AI_RESPONSE_FINISH_REASONS),
            ("ttfc", semconv::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK),
            ("tool_call", semconv::GEN_AI_TOOL_CALL_ID),
            ("error", semconv::ERROR_TYPE),
        ];
        for (label, key) in fields {
            if let Some(v) = get(key) {
                let _ = match v {
                    // Seconds, shown as a duration.
                    Value::F64(secs) if key == semconv::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK => {
                        let d = std::time::Duration::try_from_secs_f64(*secs).unwrap_or_default();
                        write!(line, " {label}={}", style::duration(d))
                    }
                    _ => write!(line, " {label}={}", display_value(v)),
                };
            }
        }
    }
    let elapsed = span
        .end_time
        .duration_since(span.start_time)
        .unwrap_or_default();
    let _ = write!(line, " {:.1}ms", elapsed.as_secs_f64() * 1000.0);
    line
}

fn display_value(v: &Value) -> String {
    match v {
        Value::Array(Array::String(items)) => {
            format!(
                "[{}]",
                items
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            )
        }
        Value::Array(other) => format!("{other}"),
        other => other.as_str().into_owned(),
    }
}

fn print_line(line: &str) {
    // Never panic on a closed stdout.
    let _ = Sink::Stdout.write(&format!("{line}\n"));
}

/// Prints GenAI spans (those with `gen_ai.operation.name`) as they end.
#[derive(Debug, Default)]
pub(crate) struct GenAiPrinter;

impl SpanProcessor for GenAiPrinter {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        if span
            .attributes
            .iter()
            .any(|kv| kv.key.as_str() == semconv::GEN_AI_OPERATION_NAME)
        {
            print_line(&format_span(&span));
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: std::time::Duration) -> OTelSdkResult {
        Ok(())
    }
}
