//! Run with: cargo run --example quickstart
//!
//! One chat call inside an HTTP-handler-like parent span, exported over OTLP as configured by
//! the `OTEL_*` variables (default: OTLP/HTTP to http://localhost:4318; start Jaeger with
//! `docker compose up -d`, then open http://localhost:16686). Works without any collector:
//! it prints its GenAI spans and a report saying what was (not) delivered, and exits 0. To
//! see the whole trace without Docker, print it on stdout as a tree (metrics as a table):
//! `OTEL_TRACES_EXPORTER=console cargo run --example quickstart`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use tracing_genai::GenAiSpanExt;

fn handle_request(llm: &common::FakeLlm, question: &str) -> String {
    let _request = tracing::info_span!(
        "POST /chat",
        http.request.method = "POST",
        http.route = "/chat"
    )
    .entered();

    let span =
        tracing_genai::genai_span!("chat", "openai", "gpt-4o", gen_ai.request.temperature = 0.2);
    let _call = span.enter();
    match llm.chat("gpt-4o", question) {
        Ok(completion) => {
            span.record("gen_ai.response.id", completion.id.as_str());
            span.record("gen_ai.response.model", completion.model.as_str());
            span.record_token_usage(completion.input_tokens, completion.output_tokens);
            span.record_finish_reasons([completion.finish_reason]);
            completion.text
        }
        Err(error) => {
            span.record_genai_error(&error);
            "sorry, try again".to_owned()
        }
    }
}

fn main() {
    let telemetry = common::start("quickstart", |config| config);
    let answer = handle_request(&common::FakeLlm, "What is OpenTelemetry?");
    println!("answer: {answer}");
    common::finish(telemetry);
}
