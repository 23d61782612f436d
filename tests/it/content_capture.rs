//! Content capture: off by default, each mode, per-call opt-out, raw JSON validation, tool spans,
//! streamed output.

use crate::support::content::{attr_str, dump, event_attr_str};
use crate::support::{Harness, attr};
use serde_json::{Value, json};
use tracing_genai::{
    GenAiSpanExt,
    content::{
        ChatMessage, ContentCapture, MessagePart, OutputAccumulator, OutputMessage, ToolDefinition,
    },
};

const CONTENT_KEYS: [&str; 6] = [
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
];
const EVENT: &str = "gen_ai.client.inference.operation.details";

fn json_attr(s: &opentelemetry_sdk::trace::SpanData, key: &str) -> Value {
    serde_json::from_str(&attr_str(s, key).unwrap()).unwrap()
}

/// A chat span recording content both as raw JSON fields and typed helpers.
fn chat_with_content() {
    let span = tracing::info_span!(
        "llm",
        gen_ai.operation.name = "chat",
        gen_ai.provider.name = "openai",
        gen_ai.request.model = "gpt-4o",
        gen_ai.input.messages =
            r#"[{"role":"user","parts":[{"type":"text","content":"PROMPT-MARKER"}]}]"#,
    );
    span.record_system_instructions(&[MessagePart::text("SYSTEM-MARKER")]);
    span.record_output_messages(&[OutputMessage::assistant("OUTPUT-MARKER", "stop")]);
    span.record_tool_definitions(&[ToolDefinition::function("get_weather")]);
}

#[test]
fn default_exports_no_content() {
    // Explicit NoContent and the default (env unset in this test process) behave alike.
    for harness in [
        Harness::new(),
        Harness::builder()
            .content(ContentCapture::NoContent)
            .build(),
    ] {
        let spans = harness.collect_spans(chat_with_content);
        assert_eq!(spans.len(), 1);
        let text = dump(&spans);
        for marker in [
            "PROMPT-MARKER",
            "SYSTEM-MARKER",
            "OUTPUT-MARKER",
            "get_weather",
        ] {
            assert!(!text.contains(marker), "{marker} leaked:\n{text}");
        }
        for key in CONTENT_KEYS {
            assert!(attr(&spans[0], key).is_none(), "{key}");
        }
        assert!(spans[0].events.iter().all(|e| e.name != EVENT));
        // The span itself is still fully exported.
        assert_eq!(
            attr_str(&spans[0], "gen_ai.request.model").unwrap(),
            "gpt-4o"
        );
    }
}

#[test]
fn span_only() {
    let spans = Harness::builder()
        .content(ContentCapture::SpanOnly)
        .build()
        .collect_spans(chat_with_content);
    let s = &spans[0];
    assert_eq!(
        json_attr(s, "gen_ai.input.messages"),
        json!([{"role":"user","parts":[{"type":"text","content":"PROMPT-MARKER"}]}])
    );
    assert_eq!(
        json_attr(s, "gen_ai.output.messages"),
        json!([{"role":"assistant","parts":[{"type":"text","content":"OUTPUT-MARKER"}],"finish_reason":"stop"}])
    );
    assert_eq!(
        json_attr(s, "gen_ai.system_instructions"),
        json!([{"type":"text","content":"SYSTEM-MARKER"}])
    );
    assert_eq!(
        json_attr(s, "gen_ai.tool.definitions"),
        json!([{"type":"function","name":"get_weather"}])
    );
    assert!(s.events.iter().all(|e| e.name != EVENT));
}

#[test]
fn event_only() {
    let spans = Harness::builder()
        .content(ContentCapture::EventOnly)
        .build()
        .collect_spans(chat_with_content);
    let s = &spans[0];
    for key in CONTENT_KEYS {
        assert!(attr(s, key).is_none(), "{key} on span");
    }
    let input = event_attr_str(s, EVENT, "gen_ai.input.messages").unwrap();
    assert!(input.contains("PROMPT-MARKER"));
    assert!(
        event_attr_str(s, EVENT, "gen_ai.output.messages")
            .unwrap()
            .contains("OUTPUT-MARKER")
    );
    // The event carries the inference attributes too.
    assert_eq!(
        event_attr_str(s, EVENT, "gen_ai.request.model").unwrap(),
        "gpt-4o"
    );
    assert_eq!(
        event_attr_str(s, EVENT, "gen_ai.operation.name").unwrap(),
        "chat"
    );
}

#[test]
fn span_and_event() {
    let spans = Harness::builder()
        .content(ContentCapture::SpanAndEvent)
        .build()
        .collect_spans(chat_with_content);
    let s = &spans[0];
    let on_span = attr_str(s, "gen_ai.input.messages").unwrap();
    let on_event = event_attr_str(s, EVENT, "gen_ai.input.messages").unwrap();
    assert_eq!(on_span, on_event);
    assert!(on_span.contains("PROMPT-MARKER"));
}

#[test]
fn per_call_opt_out_by_field_and_api() {
    let spans = Harness::builder()
        .content(ContentCapture::SpanAndEvent)
        .build()
        .collect_spans(|| {
            let a = tracing::info_span!(
                "llm",
                gen_ai.operation.name = "chat",
                tracing_genai.content.capture = false,
            );
            a.record_input_messages(&[ChatMessage::user("SECRET-PROMPT-A")]);
            drop(a);
            let b = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
            b.record_input_messages(&[ChatMessage::user("SECRET-PROMPT-B")]);
            assert!(b.disable_content_capture());
            assert!(!b.record_output_messages(&[OutputMessage::assistant("X-OUT", "stop")]));
            drop(b);
            let c = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
            assert!(c.record_input_messages(&[ChatMessage::user("KEPT-PROMPT-C")]));
        });
    assert_eq!(spans.len(), 3);
    let text = dump(&spans);
    assert!(!text.contains("SECRET-PROMPT-A"), "{text}");
    assert!(!text.contains("SECRET-PROMPT-B"), "{text}");
    assert!(!text.contains("X-OUT"), "{text}");
    assert!(text.contains("KEPT-PROMPT-C"));
    // The opt-out field itself is not exported.
    assert!(!text.contains("tracing_genai.content.capture"));
}

#[test]
fn invalid_raw_json_is_a_diagnostic_not_exported() {
    let spans = Harness::builder()
        .content(ContentCapture::SpanOnly)
        .build()
        .collect_spans(|| {
            let _span = tracing::info_span!(
                "llm",
                gen_ai.operation.name = "chat",
                gen_ai.input.messages =
                    r#"[{"role":"user","parts":[{"type":"text","content":"BROKEN"#,
                gen_ai.output.messages = r#"[{"role":"assistant","parts":[]}]"#,
                gen_ai.system_instructions = "just a string",
            );
        });
    let s = &spans[0];
    for key in [
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
    ] {
        assert!(attr(s, key).is_none(), "{key}");
    }
    let diags = format!("{:?}", attr(s, "tracing_genai.diagnostics").unwrap());
    assert!(
        diags.contains("gen_ai.input.messages: truncated JSON"),
        "{diags}"
    );
    // output message without finish_reason fails the schema
    assert!(
        diags.contains("gen_ai.output.messages: JSON not matching"),
        "{diags}"
    );
    assert!(diags.contains("gen_ai.system_instructions"), "{diags}");
    assert!(
        !diags.contains("BROKEN"),
        "diagnostics must not echo content: {diags}"
    );
}

#[test]
fn tool_span_arguments_and_result() {
    let spans = Harness::builder()
        .content(ContentCapture::SpanOnly)
        .build()
        .collect_spans(|| {
            let span = tracing_genai::tool_span!(
                "get_weather",
                gen_ai.tool.call.id = "call_1",
                gen_ai.tool.call.arguments = r#"{"city":"Paris"}"#,
            );
            span.record_tool_call_result(&json!("sunny, 21C"));
        });
    let s = &spans[0];
    assert_eq!(
        json_attr(s, "gen_ai.tool.call.arguments"),
        json!({"city":"Paris"})
    );
    assert_eq!(
        json_attr(s, "gen_ai.tool.call.result"),
        json!({"result":"sunny, 21C"})
    );
}

#[test]
fn streamed_output_is_accumulated() {
    let spans = Harness::builder()
        .content(ContentCapture::SpanOnly)
        .build()
        .collect_spans(|| {
            let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
            let mut acc = OutputAccumulator::new();
            for chunk in ["The ", "weather ", "is ", "sunny."] {
                acc.push_text(0, chunk);
            }
            acc.push_reasoning(0, "think");
            acc.push_text(1, "second choice");
            acc.set_finish_reason(0, "stop");
            assert!(span.record_output_stream(acc));
        });
    let out: Value =
        serde_json::from_str(&attr_str(&spans[0], "gen_ai.output.messages").unwrap()).unwrap();
    assert_eq!(
        out[0]["parts"][0],
        json!({"type": "reasoning", "content": "think"})
    );
    assert_eq!(
        out[0]["parts"][1],
        json!({"type": "text", "content": "The weather is sunny."})
    );
    assert_eq!(out[0]["finish_reason"], "stop");
    assert_eq!(out[1]["finish_reason"], "stop");
    assert_eq!(out[1]["parts"][0]["content"], "second choice");
}

#[test]
fn accumulator_is_bounded_and_marks_truncation() {
    let mut acc = OutputAccumulator::with_limit(10);
    acc.push_text(0, "ééééééééé"); // 18 bytes
    acc.push_tool_call(0, 0, Some("c"), Some("f"), "{\"a\":1}");
    acc.push_text(100_000, "ignored: absurd choice index");
    assert!(acc.is_truncated());
    let out = acc.finish_interrupted();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].finish_reason, "error");
    let json = serde_json::to_string(&out).unwrap();
    assert!(json.contains("ééééé…[truncated]"), "{json}");
    // The tool call's arguments did not fit: kept as a call without arguments.
    assert!(json.contains(r#""name":"f"}"#), "{json}");
}

#[test]
fn content_in_events_inside_genai_spans_is_not_exported() {
    for mode in [ContentCapture::NoContent, ContentCapture::SpanAndEvent] {
        let spans = Harness::builder().content(mode).build().collect_spans(|| {
            let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
            let _e = span.enter();
            tracing::info!(
                gen_ai.input.messages = "EVENT-CONTENT",
                attempt = 2_u64,
                "calling model"
            );
        });
        let text = dump(&spans);
        assert!(!text.contains("EVENT-CONTENT"), "{mode:?}: {text}");
        assert!(text.contains("calling model"), "the event itself is kept");
        assert!(text.contains("attempt"), "other fields are kept");
    }
}
