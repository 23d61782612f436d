//! Run with: cargo run --example content_capture
//!
//! Message content capture: opt-in (here in code, through `Config::with_layer`), redaction
//! (hook + built-in secret scrubbing) and size limits. The `chat` span carries
//! `gen_ai.system_instructions`, `gen_ai.tool.definitions`, `gen_ai.input.messages` and
//! `gen_ai.output.messages` (JSON strings), the tool span its arguments and result; the email
//! address, the API key and the `api_key` argument never leave the process. Runs offline.
//!
//! Exported through `tracing_genai::setup()` like every example (default: OTLP/HTTP to
//! http://localhost:4318; `docker compose up -d` starts Jaeger, UI at http://localhost:16686).
//! Without Docker, print the spans, content included, on stdout instead:
//! `OTEL_TRACES_EXPORTER=console cargo run --example content_capture`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::json;
use tracing_genai::{
    GenAiSpanExt,
    content::{
        ChatMessage, ContentCapture, ContentConfig, MessagePart, OutputAccumulator, ToolDefinition,
    },
};

fn main() {
    // 1. Opt in (in code; the environment variable
    //    OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY would do the same).
    let content = ContentConfig::new()
        // 3. Limits: small here to show truncation (defaults: 16 KiB / attribute, 64 KiB / span).
        .with_max_attribute_bytes(400)
        .with_max_span_bytes(2_000)
        .with_max_blob_bytes(64)
        // 2. Redaction hook: sees every part before anything is written.
        .with_redactor(|_cx, part| match part {
            MessagePart::Text { content } => Some(MessagePart::text(
                content.replace("alice@example.com", "<email>"),
            )),
            other => Some(other),
        });
    let telemetry = common::start("content_capture", |config| {
        config.with_layer(|layer| {
            layer
                .with_content_capture(ContentCapture::SpanOnly)
                .with_content_config(content)
        })
    });

    {
        // One trace: the chat call and the tool call under one request span.
        let _request = tracing::info_span!("answer_question").entered();
        let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
        span.record_system_instructions(&[MessagePart::text("You are a helpful assistant.")]);
        span.record_tool_definitions(&[ToolDefinition::function("get_weather")]);
        span.record_input_messages(&[
            ChatMessage::user("I am alice@example.com; my key is sk-proj-abcdefghijklmnop1234"),
            ChatMessage::user("Describe this picture.").with_part(MessagePart::blob(
                "image",
                Some("image/png"),
                "iVBORw0KGgo".repeat(100),
            )),
        ]);
        // A streamed answer, accumulated from chunks.
        let mut stream = OutputAccumulator::new();
        for chunk in ["It is ", "sunny ", "in Paris. "].iter().cycle().take(60) {
            stream.push_text(0, chunk);
        }
        stream.set_finish_reason(0, "stop");
        span.record_output_stream(stream);
        drop(span);

        // Tool span: arguments and result.
        let tool = tracing_genai::tool_span!("get_weather", gen_ai.tool.call.id = "call_1");
        tool.record_tool_call_arguments(&json!({"city": "Paris", "api_key": "secret-value"}));
        tool.record_tool_call_result(&json!({"temperature_c": 21}));
    }

    common::finish(telemetry);
}
