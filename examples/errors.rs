//! Run with: cargo run --example errors
//!
//! A failed call (`error.type`, ERROR status, exception event) and a call retried after a
//! rate limit: each attempt is its own span, the failed one carrying `error.type = 429`.
//!
//! Exported through `tracing_genai::setup()` like every example (default: OTLP/HTTP to
//! http://localhost:4318; `docker compose up -d` starts Jaeger, UI at http://localhost:16686).
//! Without Docker, print each trace as a tree and the metrics as a table on stdout instead:
//! `OTEL_TRACES_EXPORTER=console cargo run --example errors`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use tracing_genai::GenAiSpanExt;

fn attempt(
    llm: &common::FakeLlm,
    prompt: &str,
    rate_limited: bool,
) -> Result<common::Completion, common::ApiError> {
    let span = tracing_genai::genai_span!(
        "chat",
        "openai",
        "gpt-4o-mini",
        gen_ai.request.max_tokens = 100_u64
    );
    let _call = span.enter();
    let result = if rate_limited {
        Err(common::ApiError {
            status: 429,
            code: "rate_limit_exceeded",
        })
    } else {
        llm.chat("gpt-4o-mini", prompt)
    };
    match &result {
        Ok(c) => {
            span.record_token_usage(c.input_tokens, c.output_tokens);
            span.record_finish_reasons([c.finish_reason]);
        }
        Err(e) if e.status == 429 => {
            span.record_error_type("429", Some(&e.to_string()));
        }
        Err(e) => {
            span.record_genai_error(e);
        }
    }
    result
}

fn main() {
    let telemetry = common::start("errors", |config| config);
    let llm = common::FakeLlm;

    // 1. A call that fails for good (empty prompt -> 400 invalid request).
    if let Err(e) = attempt(&llm, "", false) {
        println!("call failed: {e}");
    }

    // 2. A call that is rate limited once, then retried successfully.
    let _retry = tracing::info_span!("answer_with_retry").entered();
    let mut rate_limited = true;
    loop {
        match attempt(&llm, "Hello", rate_limited) {
            Ok(c) => {
                println!("retried call succeeded: {}", c.text);
                break;
            }
            Err(e) if e.status == 429 => {
                println!("rate limited, retrying");
                rate_limited = false;
            }
            Err(e) => {
                println!("gave up: {e}");
                break;
            }
        }
    }
    drop(_retry);
    common::finish(telemetry);
}
