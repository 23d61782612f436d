//! Shared by the examples: a simulated LLM client (no network, no API key) and the
//! telemetry start/finish used by every example.
#![allow(dead_code)]

use std::time::Duration;

/// A completion from the simulated model.
#[derive(Debug, Clone)]
pub(crate) struct Completion {
    pub(crate) id: String,
    pub(crate) model: String,
    pub(crate) text: String,
    pub(crate) input_tokens: u64,
    pub(crate) output_tokens: u64,
    pub(crate) finish_reason: &'static str,
    pub(crate) tool_call: Option<(String, String)>,
}

/// An error of the simulated provider API.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) code: &'static str,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "provider answered {}: {}", self.status, self.code)
    }
}

impl std::error::Error for ApiError {}

/// A fake LLM: answers after a few milliseconds, counts tokens as words.
pub(crate) struct FakeLlm;

impl FakeLlm {
    pub(crate) fn chat(&self, model: &str, prompt: &str) -> Result<Completion, ApiError> {
        std::thread::sleep(Duration::from_millis(3));
        if prompt.is_empty() {
            return Err(ApiError {
                status: 400,
                code: "invalid_request_error",
            });
        }
        let wants_tool = prompt.contains("weather") && !prompt.contains("tool result");
        Ok(Completion {
            id: format!("chatcmpl-{}", prompt.len()),
            model: format!("{model}-2024-08-06"),
            text: if wants_tool {
                String::new()
            } else {
                format!("Answer to: {prompt}")
            },
            input_tokens: prompt.split_whitespace().count() as u64 + 8,
            output_tokens: if wants_tool { 18 } else { 24 },
            finish_reason: if wants_tool { "tool_calls" } else { "stop" },
            tool_call: wants_tool.then(|| ("call_1".to_owned(), "get_weather".to_owned())),
        })
    }

    pub(crate) fn embed(&self, model: &str, inputs: &[&str]) -> (Vec<Vec<f32>>, u64) {
        let _ = model;
        std::thread::sleep(Duration::from_millis(2));
        let tokens = inputs
            .iter()
            .map(|s| s.split_whitespace().count() as u64)
            .sum();
        (
            inputs.iter().map(|s| vec![s.len() as f32; 8]).collect(),
            tokens,
        )
    }
}

/// Starts telemetry from the `OTEL_*` variables (default: OTLP/HTTP to localhost:4318;
/// `OTEL_TRACES_EXPORTER=console` prints each trace as a tree and the metrics as a table).
/// Also prints one line per GenAI span unless the console already shows them. Telemetry
/// problems never stop the example.
pub(crate) fn start(
    name: &str,
    config: impl FnOnce(tracing_genai::Config) -> tracing_genai::Config,
) -> Option<tracing_genai::TelemetryGuard> {
    let base = match tracing_genai::Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("telemetry disabled: {e}");
            return None;
        }
    };
    let base = base
        .with_default_service_name(name)
        .with_genai_printer(true)
        .with_shutdown_timeout(Duration::from_secs(3));
    match tracing_genai::setup(config(base)) {
        Ok(guard) => Some(guard),
        Err(e) => {
            eprintln!("telemetry disabled: {e}");
            None
        }
    }
}

/// Flushes and prints the report (exported / dropped / failed, and why and what to do).
pub(crate) fn finish(guard: Option<tracing_genai::TelemetryGuard>) {
    if let Some(guard) = guard {
        match guard.shutdown() {
            Ok(report) => println!("{report}"),
            Err(lost) => println!("{lost}"),
        }
    }
}
