//! Every emitted content attribute validates against the semconv JSON schemas (copied in
//! tests/data/semconv), for hand-written content covering every part type and for random
//! message trees (which must also never panic).

use std::sync::OnceLock;

use crate::support::Harness;
use crate::support::content::{attr_str, event_attr_str};
use opentelemetry_sdk::trace::SpanData;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use tracing_genai::{
    GenAiSpanExt,
    content::{
        ChatMessage, ContentCapture, ContentConfig, MessagePart, OutputMessage, Role,
        ToolDefinition,
    },
};

const EVENT: &str = "gen_ai.client.inference.operation.details";

fn schema_file(key: &str) -> &'static str {
    match key {
        "gen_ai.input.messages" => "gen-ai-input-messages.json",
        "gen_ai.output.messages" => "gen-ai-output-messages.json",
        "gen_ai.system_instructions" => "gen-ai-system-instructions.json",
        "gen_ai.tool.definitions" => "gen-ai-tool-definitions.json",
        "gen_ai.tool.call.arguments" => "gen-ai-tool-call-arguments.json",
        "gen_ai.tool.call.result" => "gen-ai-tool-call-result.json",
        other => panic!("no schema for {other}"),
    }
}

const KEYS: [&str; 6] = [
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
];

fn validators() -> &'static Vec<(&'static str, jsonschema::Validator)> {
    static V: OnceLock<Vec<(&'static str, jsonschema::Validator)>> = OnceLock::new();
    V.get_or_init(|| {
        KEYS.iter()
            .map(|key| {
                let path = format!(
                    "{}/tests/data/semconv/{}",
                    env!("CARGO_MANIFEST_DIR"),
                    schema_file(key)
                );
                let schema: Value =
                    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
                // The schemas' keywords mean the same in draft-07, whose meta-schema (referenced by
                // tool parameters) is then bundled; 2020-12 would need to fetch it.
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft7)
                    .build(&schema)
                    .unwrap();
                (*key, validator)
            })
            .collect()
    })
}

/// Validates every content attribute on the span and in the details event; returns how many.
fn validate_all(span: &SpanData) -> usize {
    let mut n = 0;
    for (key, validator) in validators() {
        for json in [attr_str(span, key), event_attr_str(span, EVENT, key)]
            .into_iter()
            .flatten()
        {
            let v: Value = serde_json::from_str(&json)
                .unwrap_or_else(|e| panic!("{key} is not valid JSON ({e}): {json}"));
            let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
            assert!(
                errors.is_empty(),
                "{key} fails its schema: {errors:?}\n{json}"
            );
            n += 1;
        }
    }
    n
}

#[test]
fn schema_files_reject_wrong_content() {
    // The validators are not vacuous.
    let v = validators();
    let output = &v
        .iter()
        .find(|(k, _)| *k == "gen_ai.output.messages")
        .unwrap()
        .1;
    assert!(!output.is_valid(&json!([{"role": "assistant", "parts": []}])));
    assert!(output.is_valid(&json!([{"role": "assistant", "parts": [], "finish_reason": "stop"}])));
    let args = &v
        .iter()
        .find(|(k, _)| *k == "gen_ai.tool.call.arguments")
        .unwrap()
        .1;
    assert!(!args.is_valid(&json!("a string")));
    let tools = &v
        .iter()
        .find(|(k, _)| *k == "gen_ai.tool.definitions")
        .unwrap()
        .1;
    // (A function tool with bad parameters is still a valid generic tool definition.)
    assert!(!tools.is_valid(&json!([{"type": "function"}])));
    assert!(
        tools.is_valid(
            &json!([{"type": "function", "name": "x", "parameters": {"type": "object"}}])
        )
    );
}

fn every_part() -> Vec<MessagePart> {
    let mut generic = Map::new();
    generic.insert("type".into(), json!("custom_widget"));
    generic.insert("payload".into(), json!({"a": [1, 2, {"b": null}]}));
    vec![
        MessagePart::text("plain"),
        MessagePart::tool_call(Some("call_1"), "get_weather", json!({"city": "Paris"})),
        MessagePart::tool_response(Some("call_1"), json!({"temp": 21})),
        serde_json::from_value(
            json!({"type": "server_tool_call", "id": "s1", "name": "web_search",
            "server_tool_call": {"type": "web_search", "query": "rust"}}),
        )
        .unwrap(),
        serde_json::from_value(json!({"type": "server_tool_call_response", "id": "s1",
            "server_tool_call_response": {"type": "web_search", "results": []}}))
        .unwrap(),
        MessagePart::blob("image", Some("image/png"), "iVBORw0KGgo="),
        MessagePart::blob("audio", None, "A".repeat(5000)),
        serde_json::from_value(
            json!({"type": "file", "modality": "document", "file_id": "file-1"}),
        )
        .unwrap(),
        MessagePart::uri("image", Some("image/jpeg"), "https://example.com/cat.jpg"),
        MessagePart::Reasoning {
            content: "thinking".into(),
        },
        serde_json::from_value(json!({"type": "compaction", "id": "c1"})).unwrap(),
        MessagePart::Generic(generic),
        // built without a `type`: exported with `"type": "unknown"`
        MessagePart::Generic(Map::from_iter([("type".to_string(), json!(7))])),
    ]
}

#[test]
fn every_part_type_and_attribute_validates() {
    for mode in [
        ContentCapture::SpanOnly,
        ContentCapture::EventOnly,
        ContentCapture::SpanAndEvent,
    ] {
        let spans = Harness::builder().content(mode).build().collect_spans(|| {
            let chat = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
            chat.record_system_instructions(&[
                MessagePart::text("be brief"),
                MessagePart::Reasoning {
                    content: "x".into(),
                },
            ]);
            chat.record_input_messages(&[
                ChatMessage::system("sys"),
                ChatMessage::new(Role::User, every_part()).with_name("alice"),
                ChatMessage::tool_response(Some("call_1"), json!("21C")),
                ChatMessage::new(Role::Other("developer".into()), vec![]),
            ]);
            chat.record_output_messages(&[
                OutputMessage::new(Role::Assistant, every_part(), "tool_call"),
                OutputMessage::assistant("done", "provider_specific_reason"),
            ]);
            chat.record_tool_definitions(&[
                ToolDefinition::function("get_weather")
                    .with_description("weather")
                    .with_parameters(json!({"type": "object",
                            "properties": {"city": {"type": "string"}}, "required": ["city"]})),
                // not a schema: the parameters are dropped rather than exported invalid
                ToolDefinition::function("bad").with_parameters(json!("not a schema")),
            ]);
            drop(chat);
            let tool = tracing_genai::tool_span!("get_weather");
            tool.record_tool_call_arguments(&json!(["not", "an", "object"]));
            tool.record_tool_call_result(&json!({"temp": 21, "unit": "C"}));
        });
        let n: usize = spans.iter().map(validate_all).sum();
        let expected = if mode == ContentCapture::SpanAndEvent {
            12
        } else {
            6
        };
        assert_eq!(n, expected, "{mode:?}");
    }
}

#[test]
fn raw_json_with_unknown_and_incomplete_parts_validates() {
    let spans = Harness::builder().content(ContentCapture::SpanOnly).build().collect_spans(|| {
            let _s = tracing::info_span!(
                "llm",
                gen_ai.operation.name = "chat",
                // `text` without content and `blob` without modality are generic parts;
                // the blob body is not exported.
                gen_ai.input.messages = r#"[{"role":"user","parts":[{"type":"text"},{"type":"blob","content":"QUJD"},{"type":"x","y":1}],"extra":true}]"#,
                gen_ai.tool.definitions = r#"[{"type":"mcp","name":"fs"}]"#,
            );
        });
    assert_eq!(validate_all(&spans[0]), 2);
    let input = attr_str(&spans[0], "gen_ai.input.messages").unwrap();
    assert!(!input.contains("QUJD"), "{input}");
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        "sk-[a-zA-Z0-9]{20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,10}|password|api_key|type", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_part() -> impl Strategy<Value = MessagePart> {
    prop_oneof![
        any::<String>().prop_map(MessagePart::text),
        (any::<String>(), arb_json()).prop_map(|(n, a)| MessagePart::tool_call(Some("id"), n, a)),
        arb_json().prop_map(|r| MessagePart::tool_response(None, r)),
        (".{0,3000}", prop::option::of("[a-z]+/[a-z]+")).prop_map(|(b, m)| MessagePart::blob(
            "image",
            m.as_deref(),
            b
        )),
        any::<String>().prop_map(|c| MessagePart::Reasoning { content: c }),
        (any::<String>(), arb_json()).prop_map(|(t, v)| {
            let mut m = Map::new();
            m.insert("type".into(), Value::from(t));
            m.insert("data".into(), v);
            MessagePart::Generic(m)
        }),
    ]
}

fn arb_role() -> impl Strategy<Value = Role> {
    prop_oneof![
        Just(Role::User),
        Just(Role::Assistant),
        Just(Role::System),
        Just(Role::Tool),
        any::<String>().prop_map(|s| Role::from(s.as_str())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_message_trees_validate_and_never_panic(
        input in prop::collection::vec((arb_role(), prop::collection::vec(arb_part(), 0..5)), 0..6),
        output in prop::collection::vec((prop::collection::vec(arb_part(), 0..4), any::<String>()), 0..3),
        args in arb_json(),
        limit in 64usize..20_000,
    ) {
        let input: Vec<ChatMessage> = input.into_iter().map(|(r, p)| ChatMessage::new(r, p)).collect();
        let output: Vec<OutputMessage> = output
            .into_iter()
            .map(|(p, f)| OutputMessage::new(Role::Assistant, p, f))
            .collect();
        let config = ContentConfig::new()
            .with_max_attribute_bytes(limit)
            .with_max_span_bytes(limit * 2);
        let spans = Harness::builder().content(ContentCapture::SpanAndEvent).content_config(config).build().collect_spans(|| {
            let chat = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
            chat.record_input_messages(&input);
            chat.record_output_messages(&output);
            drop(chat);
            let tool = tracing_genai::tool_span!("t");
            tool.record_tool_call_arguments(&args);
            tool.record_tool_call_result(&args);
        });
        prop_assert_eq!(spans.len(), 2);
        for s in &spans {
            validate_all(s);
            for key in KEYS {
                if let Some(v) = attr_str(s, key) {
                    prop_assert!(v.len() <= limit, "{} is {} bytes > {}", key, v.len(), limit);
                }
            }
        }
    }
}
