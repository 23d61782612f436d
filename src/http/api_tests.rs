//! Unit tests of `api.rs` (fixture-driven; kept apart to keep the module small).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use super::*;

#[test]
fn detects_paths() {
    let cases = [
        ("/v1/chat/completions", Some(Api::OpenAiChat)),
        ("/chat/completions", Some(Api::OpenAiChat)),
        ("/chat/completions/", Some(Api::OpenAiChat)),
        (
            "/openai/deployments/gpt-4o/chat/completions",
            Some(Api::OpenAiChat),
        ),
        (
            "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
            Some(Api::OpenAiChat),
        ),
        ("/api/v1/chat/completions", Some(Api::OpenAiChat)),
        ("/v1/completions", Some(Api::OpenAiCompletions)),
        ("/v1/embeddings", Some(Api::OpenAiEmbeddings)),
        (
            "/openai/deployments/e/embeddings",
            Some(Api::OpenAiEmbeddings),
        ),
        ("/openai/v1/responses", Some(Api::OpenAiResponses)),
        ("/v1/responses", Some(Api::OpenAiResponses)),
        ("/v1/messages", Some(Api::AnthropicMessages)),
        ("/v1/responses/resp_123", None),
        ("/v1/responses/resp_123/cancel", None),
        ("/v1/messages/count_tokens", None),
        ("/v1/messages/batches", None),
        ("/v1/models", None),
        ("/v1/files", None),
        ("/v1/threads/thread_1/messages", None),
        ("/v1/chat/completions/chatcmpl-1", None),
        ("/", None),
        ("", None),
    ];
    for (path, want) in cases {
        assert_eq!(Api::detect("POST", path), want, "{path}");
    }
    assert_eq!(
        Api::detect("post", "/v1/messages"),
        Some(Api::AnthropicMessages)
    );
    assert_eq!(Api::detect("GET", "/v1/chat/completions"), None);
    assert_eq!(Api::detect("GET", "/v1/responses/resp_1"), None);
}

#[test]
fn operations() {
    assert_eq!(Api::OpenAiChat.operation(), Operation::Chat);
    assert_eq!(Api::OpenAiResponses.operation(), Operation::Chat);
    assert_eq!(Api::AnthropicMessages.operation(), Operation::Chat);
    assert_eq!(
        Api::OpenAiCompletions.operation(),
        Operation::TextCompletion
    );
    assert_eq!(Api::OpenAiEmbeddings.operation(), Operation::Embeddings);
}

use crate::content::{ChatMessage, MessagePart, OutputMessage, Role};
use serde_json::{Value, json};

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../tests/data/http/", $name)).as_slice()
    };
}

fn attr(attrs: &[opentelemetry::KeyValue], key: &str) -> Option<String> {
    attrs
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.as_str().into_owned())
}

#[test]
fn openai_chat_request() {
    let body = fixture!("openai_chat_request.json");
    let p = Api::OpenAiChat.parse_request(body, false);
    let r = &p.request;
    assert_eq!(r.model.as_deref(), Some("gpt-4.1"));
    assert_eq!(r.max_tokens, Some(300));
    assert_eq!(r.temperature, Some(0.2));
    assert_eq!(r.top_p, Some(0.9));
    assert_eq!(r.frequency_penalty, Some(0.5));
    assert_eq!(r.presence_penalty, Some(-0.5));
    assert_eq!(r.seed, Some(42));
    assert_eq!(r.choice_count, Some(1));
    assert_eq!(
        r.stop_sequences,
        Some(vec!["\n\n".to_string(), "END".to_string()])
    );
    assert_eq!(r.stream, None);
    assert_eq!(p.output_type.as_deref(), Some("json"));
    assert_eq!(
        attr(
            &p.provider_attributes,
            crate::semconv::OPENAI_REQUEST_SERVICE_TIER
        )
        .as_deref(),
        Some("auto")
    );
    assert_eq!(
        attr(&p.provider_attributes, crate::semconv::OPENAI_API_TYPE).as_deref(),
        Some("chat_completions")
    );
    assert!(p.input_messages.is_empty(), "no content without capture");
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);

    let p = Api::OpenAiChat.parse_request(body, true);
    assert_eq!(p.input_messages.len(), 2);
    assert_eq!(
        p.input_messages[0],
        ChatMessage::new(
            Role::Other("developer".into()),
            vec![MessagePart::text("You are a helpful assistant.")]
        )
    );
    assert_eq!(p.input_messages[1].role, Role::User);
    assert_eq!(
        p.input_messages[1].parts[0],
        MessagePart::text("What is in this image?")
    );
    assert_eq!(p.input_messages[1].parts[1].part_type(), "uri");
}

#[test]
fn openai_chat_tools_request() {
    let body = fixture!("openai_chat_tools_request.json");
    let p = Api::OpenAiChat.parse_request(body, false);
    assert_eq!(p.request.stream, Some(true));
    assert!(
        p.tool_definitions.is_empty(),
        "tool definitions are opt-in content"
    );
    let p = Api::OpenAiChat.parse_request(body, true);
    assert_eq!(p.tool_definitions.len(), 1);
    let t = &p.tool_definitions[0];
    assert_eq!(
        (t.tool_type.as_str(), t.name.as_str()),
        ("function", "get_current_weather")
    );
    assert!(t.description.is_some());
    assert_eq!(
        t.parameters.as_ref().unwrap()["required"],
        json!(["location"])
    );
    let msgs = &p.input_messages;
    assert_eq!(msgs.len(), 3);
    assert_eq!(
        msgs[1],
        ChatMessage::new(
            Role::Assistant,
            vec![MessagePart::tool_call(
                Some("call_abc123"),
                "get_current_weather",
                json!({"location": "Boston, MA"})
            )]
        )
    );
    assert_eq!(
        msgs[2],
        ChatMessage::tool_response(
            Some("call_abc123"),
            json!("{\"temperature\": 22, \"unit\": \"celsius\"}")
        )
    );
}

#[test]
fn openai_chat_response() {
    let body = fixture!("openai_chat.json");
    let p = Api::OpenAiChat.parse_response(body, false);
    assert_eq!(
        p.response.id.as_deref(),
        Some("chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT")
    );
    assert_eq!(p.response.model.as_deref(), Some("gpt-4.1-2025-04-14"));
    assert_eq!(p.response.finish_reasons, Some(vec!["stop".to_string()]));
    assert_eq!(p.usage.input_tokens, Some(2006));
    assert_eq!(p.usage.output_tokens, Some(300));
    assert_eq!(p.usage.cache_read_input_tokens, Some(1920));
    assert_eq!(p.usage.reasoning_output_tokens, Some(0));
    assert_eq!(p.usage.cache_creation_input_tokens, None);
    assert_eq!(
        attr(
            &p.provider_attributes,
            crate::semconv::OPENAI_RESPONSE_SERVICE_TIER
        )
        .as_deref(),
        Some("default")
    );
    assert_eq!(
        attr(
            &p.provider_attributes,
            crate::semconv::OPENAI_RESPONSE_SYSTEM_FINGERPRINT
        )
        .as_deref(),
        Some("fp_44709d6fcb")
    );
    assert!(p.output_messages.is_empty());
    assert!(p.error.is_none());
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let p = Api::OpenAiChat.parse_response(body, true);
    assert_eq!(
        p.output_messages,
        vec![OutputMessage::assistant(
            "Hello! How can I assist you today?",
            "stop"
        )]
    );
}

#[test]
fn openai_chat_tool_calls_response() {
    let p = Api::OpenAiChat.parse_response(fixture!("openai_chat_tool_calls.json"), true);
    assert_eq!(
        p.response.finish_reasons,
        Some(vec!["tool_calls".to_string()])
    );
    assert_eq!(p.usage.input_tokens, Some(82));
    assert_eq!(p.usage.cache_read_input_tokens, None);
    let m = &p.output_messages[0];
    assert_eq!(m.finish_reason, "tool_call");
    assert_eq!(
        m.parts,
        vec![
            MessagePart::tool_call(
                Some("call_abc123"),
                "get_current_weather",
                json!({"location": "Boston, MA"})
            ),
            MessagePart::tool_call(
                Some("call_def456"),
                "get_current_weather",
                json!({"location": "Paris, France"})
            ),
        ]
    );
}

#[test]
fn openai_completions() {
    let p = Api::OpenAiCompletions.parse_request(fixture!("openai_completions_request.json"), true);
    assert_eq!(p.request.max_tokens, Some(7));
    assert_eq!(p.request.temperature, Some(0.0));
    assert_eq!(p.request.stream, Some(false));
    assert_eq!(
        p.input_messages,
        vec![ChatMessage::user("Say this is a test")]
    );
    assert!(attr(&p.provider_attributes, crate::semconv::OPENAI_API_TYPE).is_none());
    let p = Api::OpenAiCompletions.parse_response(fixture!("openai_completions.json"), true);
    assert_eq!(p.response.finish_reasons, Some(vec!["length".to_string()]));
    assert_eq!(
        (p.usage.input_tokens, p.usage.output_tokens),
        (Some(5), Some(7))
    );
    assert_eq!(
        p.output_messages,
        vec![OutputMessage::assistant(
            "\n\nThis is indeed a test",
            "length"
        )]
    );
}

#[test]
fn openai_embeddings() {
    let p = Api::OpenAiEmbeddings.parse_request(fixture!("openai_embeddings_request.json"), true);
    assert_eq!(p.request.model.as_deref(), Some("text-embedding-3-small"));
    assert_eq!(p.request.encoding_formats, Some(vec!["float".to_string()]));
    assert_eq!(p.embeddings_dimension_count, Some(8));
    assert!(p.input_messages.is_empty());
    for body in [
        fixture!("openai_embeddings.json"),
        fixture!("openai_embeddings_base64.json"),
    ] {
        let p = Api::OpenAiEmbeddings.parse_response(body, true);
        assert_eq!(p.embeddings_dimension_count, Some(8));
        assert_eq!(p.response.model.as_deref(), Some("text-embedding-3-small"));
        assert!(p.usage.input_tokens.is_some());
        assert_eq!(p.usage.output_tokens, None);
        assert!(p.response.finish_reasons.is_none());
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    }
}

#[test]
fn openai_responses() {
    let body = fixture!("openai_responses_request.json");
    let p = Api::OpenAiResponses.parse_request(body, false);
    assert_eq!(p.request.model.as_deref(), Some("o4-mini"));
    assert_eq!(p.request.max_tokens, Some(1024));
    assert_eq!(p.request.reasoning_level.as_deref(), Some("low"));
    assert_eq!(
        p.request.previous_response_id.as_deref(),
        Some("resp_67ccd2bed1ec8190b14f964abc054267")
    );
    assert_eq!(p.output_type.as_deref(), Some("json"));
    assert_eq!(
        attr(&p.provider_attributes, crate::semconv::OPENAI_API_TYPE).as_deref(),
        Some("responses")
    );
    assert!(p.system_instructions.is_empty());
    let p = Api::OpenAiResponses.parse_request(body, true);
    assert_eq!(
        p.system_instructions,
        vec![MessagePart::text("You are a concise assistant.")]
    );
    assert_eq!(
        p.input_messages,
        vec![ChatMessage::user(
            "Write a one-sentence bedtime story about a unicorn."
        )]
    );
    let names: Vec<_> = p.tool_definitions.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["get_weather", "web_search_preview"]);

    let body = fixture!("openai_responses.json");
    let p = Api::OpenAiResponses.parse_response(body, true);
    assert_eq!(p.response.status.as_deref(), Some("completed"));
    assert_eq!(p.response.finish_reasons, Some(vec!["stop".to_string()]));
    assert_eq!(p.response.model.as_deref(), Some("o4-mini-2025-04-16"));
    assert_eq!(p.usage.input_tokens, Some(81));
    assert_eq!(p.usage.output_tokens, Some(1035));
    assert_eq!(p.usage.cache_read_input_tokens, Some(64));
    assert_eq!(p.usage.reasoning_output_tokens, Some(832));
    let parts = &p.output_messages[0].parts;
    assert_eq!(parts[0].part_type(), "reasoning");
    assert_eq!(parts[1].part_type(), "text");
    assert!(p.error.is_none());
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
}

#[test]
fn responses_input_items_and_statuses() {
    let body = json!({
        "model": "gpt-4.1",
        "conversation": {"id": "conv_123"},
        "input": [
            {"type": "message", "role": "user", "content": "weather?"},
            {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
            {"type": "item_reference", "id": "msg_1"}
        ]
    });
    let p = Api::OpenAiResponses.parse_request(body.to_string().as_bytes(), true);
    assert_eq!(p.conversation_id.as_deref(), Some("conv_123"));
    assert_eq!(p.output_type, None);
    let audio = json!({"model": "gpt-4o-audio-preview", "modalities": ["text", "audio"]});
    let a = Api::OpenAiChat.parse_request(audio.to_string().as_bytes(), false);
    assert_eq!(a.output_type.as_deref(), Some("speech"));
    assert_eq!(p.input_messages.len(), 3);
    assert_eq!(
        p.input_messages[1].parts,
        vec![MessagePart::tool_call(
            Some("call_1"),
            "get_weather",
            json!({"city": "Paris"})
        )]
    );
    assert_eq!(
        p.input_messages[2],
        ChatMessage::tool_response(Some("call_1"), json!("sunny"))
    );

    let incomplete = json!({"id": "resp_1", "status": "incomplete",
        "incomplete_details": {"reason": "max_output_tokens"}, "output": []});
    let p = Api::OpenAiResponses.parse_response(incomplete.to_string().as_bytes(), false);
    assert_eq!(p.response.finish_reasons, Some(vec!["length".to_string()]));
    let failed = json!({"id": "resp_1", "status": "failed",
        "error": {"code": "server_error", "message": "boom"}, "output": []});
    let p = Api::OpenAiResponses.parse_response(failed.to_string().as_bytes(), false);
    assert_eq!(p.error.unwrap().error_type, "server_error");
    let tool = json!({"id": "resp_1", "status": "completed", "output": [
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}]});
    let p = Api::OpenAiResponses.parse_response(tool.to_string().as_bytes(), true);
    assert_eq!(
        p.response.finish_reasons,
        Some(vec!["tool_call".to_string()])
    );
    assert_eq!(p.output_messages[0].finish_reason, "tool_call");
}

#[test]
fn error_fixtures() {
    let cases: [(Api, u16, &[u8], &str); 6] = [
        (
            Api::OpenAiChat,
            400,
            fixture!("openai_error_400.json"),
            "context_length_exceeded",
        ),
        (
            Api::OpenAiChat,
            401,
            fixture!("openai_error_401.json"),
            "invalid_api_key",
        ),
        (
            Api::OpenAiChat,
            429,
            fixture!("openai_error_429.json"),
            "rate_limit_exceeded",
        ),
        (
            Api::OpenAiChat,
            500,
            fixture!("openai_error_500.json"),
            "server_error",
        ),
        (
            Api::AnthropicMessages,
            529,
            fixture!("anthropic_error_529.json"),
            "overloaded_error",
        ),
        (
            Api::AnthropicMessages,
            400,
            fixture!("anthropic_error_400.json"),
            "invalid_request_error",
        ),
    ];
    for (api, status, body, want) in cases {
        let e = api.parse_error(status, body);
        assert_eq!(e.error_type, want);
        assert!(e.message.as_deref().is_some_and(|m| !m.is_empty()));
    }
}

#[test]
fn error_inside_a_200_body() {
    let body = br#"{"error":{"message":"upstream failed","type":"server_error","code":null}}"#;
    let p = Api::OpenAiChat.parse_response(body, false);
    let e = p.error.unwrap();
    assert_eq!(e.error_type, "server_error");
    assert_eq!(e.message.as_deref(), Some("upstream failed"));
}

#[test]
fn wrong_types_are_diagnosed_not_fatal() {
    let body = json!({
        "model": 5, "temperature": "hot", "max_tokens": 1.5, "n": "2", "stop": 7,
        "messages": "not an array", "tools": {"a": 1}, "stream": "yes",
        "response_format": "json", "reasoning": 3, "unknown": {"x": [1, 2]}
    });
    let p = Api::OpenAiChat.parse_request(body.to_string().as_bytes(), true);
    assert_eq!(p.request, crate::Request::default());
    assert!(p.input_messages.is_empty());
    assert!(p.diagnostics.len() >= 3, "{:?}", p.diagnostics);
    let body = json!({
        "id": 1, "choices": {"index": 0}, "usage": {"prompt_tokens": -3, "completion_tokens": "x",
        "prompt_tokens_details": 5}, "model": null
    });
    let p = Api::OpenAiChat.parse_response(body.to_string().as_bytes(), true);
    assert_eq!(p.usage, crate::Usage::default());
    assert!(p.response.id.is_none());
    assert_eq!(p.diagnostics.len(), 2, "{:?}", p.diagnostics);
    let p = Api::AnthropicMessages.parse_response(b"[]", true);
    assert_eq!(
        p.diagnostics,
        vec!["response body is JSON but not an object".to_string()]
    );
}

#[test]
fn parsers_never_panic_on_fixture_mutations() {
    use proptest::prelude::*;
    let bodies: [&[u8]; 8] = [
        fixture!("openai_chat_request.json"),
        fixture!("openai_chat_tools_request.json"),
        fixture!("openai_chat_tool_calls.json"),
        fixture!("openai_responses.json"),
        fixture!("openai_responses_request.json"),
        fixture!("anthropic_messages_request.json"),
        fixture!("anthropic_messages_tool_use.json"),
        fixture!("openai_embeddings_base64.json"),
    ];
    let apis = [
        Api::OpenAiChat,
        Api::OpenAiCompletions,
        Api::OpenAiEmbeddings,
        Api::OpenAiResponses,
        Api::AnthropicMessages,
    ];
    let mut runner = proptest::test_runner::TestRunner::default();
    runner
        .run(
            &(0..bodies.len(), 0usize..4096, 0usize..64, any::<u8>()),
            |(b, at, len, byte)| {
                let mut body = bodies[b].to_vec();
                let at = at.min(body.len());
                let end = (at + len).min(body.len());
                body.splice(at..end, [byte]);
                for api in apis {
                    let _ = api.parse_request(&body, true);
                    let _ = api.parse_response(&body, true);
                    let _ = api.parse_error(500, &body);
                }
                Ok(())
            },
        )
        .unwrap();
}

/// Random JSON trees built from the field names the parsers look at: structurally valid
/// JSON with every type in every place. Parsing (request, response, stream) never panics.
#[test]
fn random_json_with_known_field_names_never_panics() {
    use proptest::prelude::*;
    const KEYS: &[&str] = &[
        "model",
        "messages",
        "choices",
        "delta",
        "message",
        "usage",
        "content",
        "tool_calls",
        "function",
        "arguments",
        "index",
        "type",
        "text",
        "error",
        "code",
        "role",
        "input",
        "output",
        "response",
        "stop",
        "n",
        "max_tokens",
        "prompt_tokens",
        "input_tokens",
        "output_tokens",
        "completion_tokens",
        "cache_read_input_tokens",
        "finish_reason",
        "stop_reason",
        "content_block",
        "partial_json",
        "data",
        "embedding",
        "tools",
        "name",
        "image_url",
        "url",
        "source",
        "status",
        "incomplete_details",
        "reason",
        "system",
        "instructions",
        "conversation",
        "id",
        "prompt_tokens_details",
        "cached_tokens",
    ];
    const TYPES: &[&str] = &[
        "message_start",
        "content_block_start",
        "content_block_delta",
        "message_delta",
        "message_stop",
        "text_delta",
        "input_json_delta",
        "thinking_delta",
        "tool_use",
        "thinking",
        "tool_result",
        "image",
        "document",
        "base64",
        "response.created",
        "response.output_text.delta",
        "response.completed",
        "response.failed",
        "function_call",
        "function_call_output",
        "reasoning",
        "image_url",
        "input_image",
        "input_audio",
        "input_file",
        "file",
        "error",
        "assistant",
        "tool",
        "completed",
        "incomplete",
        "data:image/png;base64,AAAA",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-z_. ]{0,8}".prop_map(Value::String),
        proptest::sample::select(KEYS).prop_map(|k| json!(k)),
        proptest::sample::select(TYPES).prop_map(|k| json!(k)),
    ];
    let tree = leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..6).prop_map(
                |kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            ),
        ]
    });
    let apis = [
        Api::OpenAiChat,
        Api::OpenAiCompletions,
        Api::OpenAiEmbeddings,
        Api::OpenAiResponses,
        Api::AnthropicMessages,
    ];
    let mut runner = proptest::test_runner::TestRunner::default();
    runner
        .run(&proptest::collection::vec(tree, 1..4), |values| {
            let mut stream = String::new();
            for v in &values {
                stream.push_str(&format!("data: {v}\n\n"));
            }
            for api in apis {
                for capture in [true, false] {
                    for v in &values {
                        let body = v.to_string();
                        let _ = api.parse_request(body.as_bytes(), capture);
                        let _ = api.parse_response(body.as_bytes(), capture);
                        let _ = api.parse_error(400, body.as_bytes());
                    }
                    let mut p = api.stream_parser(capture);
                    p.feed(stream.as_bytes());
                    let _ = p.finish();
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn openai_usage_by_modality_audio() {
    let p = Api::OpenAiChat.parse_response(fixture!("openai_chat_audio.json"), false);
    let u = p.usage;
    assert_eq!((u.input_tokens, u.output_tokens), (Some(1310), Some(212)));
    assert_eq!(u.cache_read_input_tokens, Some(1024));
    assert_eq!(u.input_by_modality(), [Some(430), Some(0), Some(880)]);
    assert_eq!(u.output_by_modality(), [Some(32), None, Some(180)]);
    assert_eq!(u.cache_read_by_modality(), [Some(256), None, Some(768)]);
    assert_eq!(u.reasoning_output_tokens, Some(0));
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
}

#[test]
fn openai_usage_by_modality_image_input() {
    let p = Api::OpenAiChat.parse_response(fixture!("openai_chat_multimodal.json"), false);
    let u = p.usage;
    assert_eq!(u.input_tokens, Some(783));
    assert_eq!(u.input_by_modality(), [Some(18), Some(765), Some(0)]);
    assert_eq!(u.output_by_modality(), [Some(15), None, Some(0)]);
    assert_eq!(u.cache_read_by_modality(), [None; 3]);
    // The plain fixture reports only audio (zero) of each side.
    let plain = Api::OpenAiChat
        .parse_response(fixture!("openai_chat.json"), false)
        .usage;
    assert_eq!(plain.input_by_modality(), [None, None, Some(0)]);
    // Anthropic reports no modality counts.
    let a = Api::AnthropicMessages
        .parse_response(fixture!("anthropic_messages.json"), false)
        .usage;
    assert_eq!(a.input_by_modality(), [None; 3]);
    assert_eq!(a.output_by_modality(), [None; 3]);
}

#[test]
fn openai_usage_realtime_detail_names() {
    let body =
        br#"{"id":"r","model":"gpt-4o-realtime","usage":{"input_tokens":50,"output_tokens":9,
        "input_token_details":{"text_tokens":20,"audio_tokens":30,"cached_tokens":10,
          "cached_tokens_details":{"text_tokens":10,"audio_tokens":0}},
        "output_token_details":{"text_tokens":4,"audio_tokens":5}}}"#;
    let u = Api::OpenAiResponses.parse_response(body, false).usage;
    assert_eq!(u.input_by_modality(), [Some(20), None, Some(30)]);
    assert_eq!(u.output_by_modality(), [Some(4), None, Some(5)]);
    assert_eq!(u.cache_read_by_modality(), [Some(10), None, Some(0)]);
    assert_eq!(u.cache_read_input_tokens, Some(10));
}

/// One finish reason per choice, in index order; a choice without one is `error` (the
/// conventions: "one entry per generation, in order; `error` where an expected reason never
/// arrived").
#[test]
fn finish_reasons_are_positional_with_error_for_a_missing_one() {
    let body = br#"{"id":"c","model":"gpt-4o","choices":[
        {"index":1,"message":{"role":"assistant","content":"b"},"finish_reason":null},
        {"index":0,"message":{"role":"assistant","content":"a"},"finish_reason":"stop"},
        {"index":2,"message":{"role":"assistant","content":"c"},"finish_reason":"length"}]}"#;
    let p = Api::OpenAiChat.parse_response(body, false);
    assert_eq!(
        p.response.finish_reasons,
        Some(vec![
            "stop".to_string(),
            "error".to_string(),
            "length".to_string()
        ])
    );
    let none = br#"{"id":"c","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"a"}}]}"#;
    assert_eq!(
        Api::OpenAiChat
            .parse_response(none, false)
            .response
            .finish_reasons,
        None
    );
}
