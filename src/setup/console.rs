//! A readable one-line-per-span console output: an exporter (`OTEL_TRACES_EXPORTER=console`)
//! and a printing processor (`Config::with_genai_printer`) that only prints GenAI spans.

use std::fmt::Write as _;
use std::io::Write as _;

use opentelemetry::{Array, Context, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};

use crate::semconv;

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
        let fields: [(&str, &str); 6] = [
            ("provider", semconv::GEN_AI_PROVIDER_NAME),
            ("in", semconv::GEN_AI_USAGE_INPUT_TOKENS),
            ("out", semconv::GEN_AI_USAGE_OUTPUT_TOKENS),
            ("finish", semconv::GEN_AI_RESPONSE_FINISH_REASONS),
            ("tool_call", semconv::GEN_AI_TOOL_CALL_ID),
            ("error", semconv::ERROR_TYPE),
        ];
        for (label, key) in fields {
            if let Some(v) = get(key) {
                let _ = write!(line, " {label}={}", display_value(v));
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
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
}

/// `OTEL_TRACES_EXPORTER=console`: prints every span as one line on stdout.
#[derive(Debug, Default)]
pub(crate) struct ConsoleExporter;

impl SpanExporter for ConsoleExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        for span in &batch {
            print_line(&format_span(span));
        }
        Ok(())
    }
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
