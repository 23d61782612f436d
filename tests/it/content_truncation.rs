//! Size limits: per attribute and per span, UTF-8 safe, always valid JSON, blob placeholders,
//! deep nesting.

use crate::support::content::attr_str;
use crate::support::{Harness, attr};
use proptest::prelude::*;
use serde_json::{Value, json};
use tracing_genai::{
    GenAiSpanExt,
    content::{
        ChatMessage, ContentCapture, ContentConfig, MessagePart, OutputMessage, Role,
        TRUNCATION_MARKER,
    },
};

fn config(attr_limit: usize, span_limit: usize) -> ContentConfig {
    ContentConfig::new()
        .with_max_attribute_bytes(attr_limit)
        .with_max_span_bytes(span_limit)
}

fn diagnostics(s: &opentelemetry_sdk::trace::SpanData) -> String {
    attr(s, "tracing_genai.diagnostics")
        .map(|v| format!("{v:?}"))
        .unwrap_or_default()
}

#[test]
fn long_prompt_is_cut_inside_the_text_and_marked() {
    let text = "日本語\"\\\n\u{2028}😀".repeat(2_000); // multi-byte, escapes, 4-byte chars
    let spans = Harness::builder()
        .content(ContentCapture::SpanOnly)
        .content_config(config(2_000, 100_000))
        .build()
        .collect_spans(|| {
            let s = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
            s.record_input_messages(&[ChatMessage::system("short"), ChatMessage::user(&text)]);
        });
    let json = attr_str(&spans[0], "gen_ai.input.messages").unwrap();
    assert!(json.len() <= 2_000, "{}", json.len());
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v[0]["parts"][0]["content"], "short",
        "short strings are kept"
    );
    let cut = v[1]["parts"][0]["content"].as_str().unwrap();
    assert!(cut.ends_with(TRUNCATION_MARKER));
    let kept = cut.strip_suffix(TRUNCATION_MARKER).unwrap();
    assert!(
        text.starts_with(kept),
        "the kept text is a prefix of the original"
    );
    assert!(
        kept.len() > 1_000,
        "the budget is used, not wasted: {}",
        kept.len()
    );
    assert!(diagnostics(&spans[0]).contains("gen_ai.input.messages: truncated to 2000 bytes"));
}

#[test]
fn span_limit_bounds_the_sum_of_content_attributes() {
    let big = "x".repeat(10_000);
    let spans = Harness::builder()
        .content(ContentCapture::SpanOnly)
        .content_config(config(8_000, 12_000))
        .build()
        .collect_spans(|| {
            let s = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
            s.record_system_instructions(&[MessagePart::text(&big)]);
            s.record_input_messages(&[ChatMessage::user(&big)]);
            s.record_output_messages(&[OutputMessage::assistant(&big, "stop")]);
        });
    let s = &spans[0];
    let total: usize = [
        "gen_ai.system_instructions",
        "gen_ai.input.messages",
        "gen_ai.output.messages",
    ]
    .iter()
    .filter_map(|k| attr_str(s, k))
    .inspect(|json| {
        assert!(json.len() <= 8_000);
        serde_json::from_str::<Value>(json).unwrap();
    })
    .map(|json| json.len())
    .sum();
    assert!(total <= 12_000, "{total}");
    assert!(attr_str(s, "gen_ai.system_instructions").is_some());
}

#[test]
fn oldest_messages_dropped_when_cutting_strings_is_not_enough() {
    let history: Vec<ChatMessage> = (0..500)
        .map(|i| ChatMessage::user(format!("turn {i}")))
        .collect();
    let spans = Harness::builder()
        .content(ContentCapture::SpanOnly)
        .content_config(config(1_000, 100_000))
        .build()
        .collect_spans(|| {
            let s = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
            s.record_input_messages(&history);
        });
    let json = attr_str(&spans[0], "gen_ai.input.messages").unwrap();
    assert!(json.len() <= 1_000);
    let v: Vec<Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(v.last().unwrap()["parts"][0]["content"], "turn 499");
    assert!(v.len() < 500);
    assert!(diagnostics(&spans[0]).contains("oldest element(s) dropped"));
}

#[test]
fn big_blobs_become_placeholders_with_size_and_mime_type() {
    let image = "QUJD".repeat(10_000); // 40 000 base64 chars = 30 000 bytes
    let spans = Harness::builder()
        .content(ContentCapture::SpanOnly)
        .content_config(config(16_000, 64_000).with_max_blob_bytes(1_000))
        .build()
        .collect_spans(|| {
            let s = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
            s.record_input_messages(&[ChatMessage::new(
                Role::User,
                vec![
                    MessagePart::text("describe"),
                    MessagePart::blob("image", Some("image/png"), &image),
                    MessagePart::blob("image", Some("image/gif"), "R0lGOD"),
                ],
            )]);
        });
    let v: Value =
        serde_json::from_str(&attr_str(&spans[0], "gen_ai.input.messages").unwrap()).unwrap();
    let placeholder = &v[0]["parts"][1];
    assert_eq!(placeholder["type"], "blob");
    assert_eq!(placeholder["mime_type"], "image/png");
    assert_eq!(placeholder["modality"], "image");
    assert_eq!(placeholder["size_bytes"], 30_000);
    assert_eq!(placeholder["content"], "");
    assert_eq!(
        v[0]["parts"][2]["content"], "R0lGOD",
        "small blobs are kept"
    );
}

#[test]
fn deep_nesting_is_bounded() {
    // Raw JSON nested beyond serde_json's limit is rejected with a diagnostic.
    let deep_raw = format!("{}{}", "[".repeat(500), "]".repeat(500));
    let raw_args = format!("{{\"a\":{deep_raw}}}");
    // Typed values nested deeply are cut (with a marker) and stay valid JSON.
    let mut typed = json!("leaf");
    for _ in 0..100 {
        typed = json!({ "k": typed });
    }
    let spans = Harness::builder()
        .content(ContentCapture::SpanOnly)
        .content_config(config(16_000, 64_000))
        .build()
        .collect_spans(|| {
            let a = tracing_genai::tool_span!("t1", gen_ai.tool.call.arguments = raw_args.as_str());
            drop(a);
            let b = tracing_genai::tool_span!("t2");
            b.record_tool_call_arguments(&typed);
        });
    assert!(attr(&spans[0], "gen_ai.tool.call.arguments").is_none());
    assert!(diagnostics(&spans[0]).contains("gen_ai.tool.call.arguments"));
    let json = attr_str(&spans[1], "gen_ai.tool.call.arguments").unwrap();
    let v: Value = serde_json::from_str(&json).unwrap();
    assert!(json.contains("nested too deep"), "{json}");
    assert!(!json.contains("leaf"));
    assert!(v.is_object());
}

#[test]
fn value_that_cannot_fit_is_omitted_with_a_diagnostic() {
    let spans = Harness::builder()
        .content(ContentCapture::SpanOnly)
        .content_config(config(10, 100))
        .build()
        .collect_spans(|| {
            let s = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
            s.record_output_messages(&[OutputMessage::assistant("hello there", "stop")]);
        });
    assert!(attr(&spans[0], "gen_ai.output.messages").is_none());
    assert!(diagnostics(&spans[0]).contains("does not fit in 10 bytes"));
}

fn adversarial_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\"\\\\\u{0}\u{1f}\u{7f}é日😀\u{2028}\u{fffd} ]{0,400}",
        (any::<char>(), 0usize..20_000).prop_map(|(c, n)| std::iter::repeat_n(c, n).collect()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn truncation_always_yields_valid_bounded_json(
        texts in prop::collection::vec(adversarial_string(), 1..6),
        attr_limit in 1usize..6_000,
        span_limit in 1usize..12_000,
    ) {
        let messages: Vec<ChatMessage> = texts.iter().map(ChatMessage::user).collect();
        let harness = Harness::builder().content(ContentCapture::SpanOnly).content_config(config(attr_limit, span_limit)).build();
        let spans = harness.collect_spans(|| {
            let s = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
            s.record_input_messages(&messages);
            s.record_output_messages(&[OutputMessage::assistant(texts[0].clone(), "stop")]);
        });
        let mut total = 0;
        for key in ["gen_ai.input.messages", "gen_ai.output.messages"] {
            if let Some(json) = attr_str(&spans[0], key) {
                prop_assert!(json.len() <= attr_limit);
                let v: Value = serde_json::from_str(&json).unwrap();
                prop_assert!(v.is_array());
                total += json.len();
            }
        }
        prop_assert!(total <= span_limit);
    }
}

#[test]
fn huge_single_string_is_cut_to_the_limit() {
    let huge = "ü".repeat(2 * 1024 * 1024); // 4 MiB of 2-byte chars
    let spans = Harness::builder()
        .content(ContentCapture::SpanOnly)
        .content_config(config(16 * 1024, 64 * 1024))
        .build()
        .collect_spans(|| {
            let s = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
            s.record_output_messages(&[OutputMessage::assistant(huge.clone(), "length")]);
        });
    let json = attr_str(&spans[0], "gen_ai.output.messages").unwrap();
    assert!(
        json.len() <= 16 * 1024 && json.len() > 15 * 1024,
        "{}",
        json.len()
    );
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["finish_reason"], "length");
    assert!(
        v[0]["parts"][0]["content"]
            .as_str()
            .unwrap()
            .ends_with(TRUNCATION_MARKER)
    );
}
