//! Run with: cargo run --example content_capture
//!
//! Message content capture: opt-in, redaction (hook + built-in secret scrubbing) and size
//! limits. Spans go to an in-memory exporter and are printed; runs offline.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use opentelemetry::trace::TracerProvider as _;
use serde_json::json;
use tracing_genai::{
    GenAiSpanExt,
    content::{
        ChatMessage, ContentCapture, ContentConfig, MessagePart, OutputAccumulator, ToolDefinition,
    },
};
use tracing_subscriber::layer::SubscriberExt;

fn main() {
    let exporter = opentelemetry_sdk::trace::InMemorySpanExporter::default();
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();

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
    let layer = tracing_genai::layer()
        .with_tracer(provider.tracer("content-example"))
        .with_content_capture(ContentCapture::SpanOnly)
        .with_content_config(content);
    let subscriber = tracing_subscriber::registry().with(layer);

    tracing::subscriber::with_default(subscriber, || {
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
    });

    for span in exporter.get_finished_spans().unwrap() {
        println!("span {}", span.name);
        for kv in &span.attributes {
            let key = kv.key.as_str();
            if key.starts_with("gen_ai.input")
                || key.starts_with("gen_ai.output")
                || key.starts_with("gen_ai.system")
                || key.starts_with("gen_ai.tool.")
                || key.starts_with("tracing_genai")
            {
                println!("  {key} = {}", kv.value);
            }
        }
        let dump = format!("{:?}", span.attributes);
        assert!(!dump.contains("sk-proj-abcdefghijklmnop1234"));
        assert!(!dump.contains("alice@example.com"));
        assert!(!dump.contains("secret-value"));
    }
}
