//! Unit tests of `stream.rs` (fixture-driven; kept apart to keep the module small).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use super::super::model::CONTENT_CAP;
use super::*;
use proptest::prelude::*;
use serde_json::json;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../tests/data/http/", $name)).as_slice()
    };
}

const STREAMS: [(Api, &str, &[u8]); 7] = [
    (
        Api::OpenAiChat,
        "openai_chat_stream",
        fixture!("openai_chat_stream.sse"),
    ),
    (
        Api::OpenAiChat,
        "openai_chat_tool_calls_stream",
        fixture!("openai_chat_tool_calls_stream.sse"),
    ),
    (
        Api::OpenAiCompletions,
        "openai_completions_stream",
        fixture!("openai_completions_stream.sse"),
    ),
    (
        Api::OpenAiResponses,
        "openai_responses_stream",
        fixture!("openai_responses_stream.sse"),
    ),
    (
        Api::AnthropicMessages,
        "anthropic_messages_stream",
        fixture!("anthropic_messages_stream.sse"),
    ),
    (
        Api::AnthropicMessages,
        "anthropic_messages_tool_use_stream",
        fixture!("anthropic_messages_tool_use_stream.sse"),
    ),
    (
        Api::AnthropicMessages,
        "anthropic_messages_stream_error",
        fixture!("anthropic_messages_stream_error.sse"),
    ),
];

fn parse(api: Api, capture: bool, chunks: &[&[u8]]) -> (ParsedResponse, u64) {
    let mut p = api.stream_parser(capture);
    let mut sum = 0u64;
    for c in chunks {
        sum += p.feed(c) as u64;
    }
    assert_eq!(sum, p.events());
    let events = p.events();
    (p.finish(), events)
}

fn whole(api: Api, capture: bool, bytes: &[u8]) -> (ParsedResponse, u64) {
    parse(api, capture, &[bytes])
}

#[test]
fn openai_chat_stream() {
    let (p, events) = whole(Api::OpenAiChat, true, fixture!("openai_chat_stream.sse"));
    assert_eq!(events, 7);
    assert_eq!(p.response.id.as_deref(), Some("chatcmpl-123"));
    assert_eq!(p.response.model.as_deref(), Some("gpt-4o-mini-2024-07-18"));
    assert_eq!(p.response.finish_reasons, Some(vec!["stop".to_string()]));
    assert_eq!(
        (p.usage.input_tokens, p.usage.output_tokens),
        (Some(19), Some(7))
    );
    assert_eq!(p.usage.cache_read_input_tokens, Some(0));
    assert_eq!(p.provider_attributes.len(), 2);
    assert_eq!(
        p.output_messages,
        vec![OutputMessage::assistant(
            "Bonjour ! Ça va très bien 😀",
            "stop"
        )]
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let (q, _) = whole(Api::OpenAiChat, false, fixture!("openai_chat_stream.sse"));
    assert!(q.output_messages.is_empty());
    assert_eq!((q.usage, &q.response), (p.usage, &p.response));
}

#[test]
fn openai_tool_call_stream() {
    let (p, _) = whole(
        Api::OpenAiChat,
        true,
        fixture!("openai_chat_tool_calls_stream.sse"),
    );
    assert_eq!(
        p.response.finish_reasons,
        Some(vec!["tool_calls".to_string()])
    );
    assert_eq!(
        p.output_messages[0].parts,
        vec![
            MessagePart::tool_call(
                Some("call_DdmO9pD3xa9XTPNJ32zg2hcA"),
                "get_weather",
                json!({"location": "Paris, France"})
            ),
            MessagePart::tool_call(
                Some("call_ABCD1234efgh5678ijkl9012"),
                "get_weather",
                json!({"location": "Zürich"})
            ),
        ]
    );
    assert_eq!(p.output_messages[0].finish_reason, "tool_call");
    // No usage chunk without `stream_options.include_usage`.
    assert_eq!(p.usage, crate::Usage::default());
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
}

#[test]
fn completions_stream() {
    let (p, _) = whole(
        Api::OpenAiCompletions,
        true,
        fixture!("openai_completions_stream.sse"),
    );
    assert_eq!(
        p.output_messages,
        vec![OutputMessage::assistant(
            "\n\nThis is indeed a test",
            "length"
        )]
    );
    assert_eq!(
        (p.usage.input_tokens, p.usage.output_tokens),
        (Some(5), Some(7))
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
}

#[test]
fn responses_stream() {
    let (p, events) = whole(
        Api::OpenAiResponses,
        true,
        fixture!("openai_responses_stream.sse"),
    );
    assert_eq!(events, 18);
    assert_eq!(
        p.response.id.as_deref(),
        Some("resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654")
    );
    assert_eq!(p.response.status.as_deref(), Some("completed"));
    assert_eq!(p.response.finish_reasons, Some(vec!["stop".to_string()]));
    assert_eq!(
        (p.usage.input_tokens, p.usage.output_tokens),
        (Some(37), Some(11))
    );
    assert_eq!(
        p.output_messages,
        vec![OutputMessage::assistant(
            "Hi there! How can I assist you today?",
            "stop"
        )]
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    // Cut before `response.completed`: the deltas so far, and a diagnostic.
    let bytes = fixture!("openai_responses_stream.sse");
    let text = std::str::from_utf8(bytes).unwrap();
    let cut = text.find("event: response.output_text.done").unwrap();
    let (p, _) = whole(Api::OpenAiResponses, true, &bytes[..cut]);
    assert_eq!(p.response.status.as_deref(), Some("in_progress"));
    assert_eq!(
        p.output_messages[0].parts,
        vec![MessagePart::text("Hi there! How can I assist you today?")]
    );
    assert_eq!(
        p.diagnostics,
        vec!["stream ended before its terminal event".to_string()]
    );
}

#[test]
fn anthropic_stream() {
    let (p, events) = whole(
        Api::AnthropicMessages,
        true,
        fixture!("anthropic_messages_stream.sse"),
    );
    assert_eq!(events, 12);
    assert_eq!(
        p.response.id.as_deref(),
        Some("msg_01XFDUDYJgAACzvnptvVoYEL")
    );
    assert_eq!(
        p.response.finish_reasons,
        Some(vec!["end_turn".to_string()])
    );
    assert_eq!(p.usage.input_tokens, Some(472 + 100 + 2048));
    assert_eq!(p.usage.output_tokens, Some(89));
    assert_eq!(p.usage.cache_read_input_tokens, Some(2048));
    assert_eq!(p.usage.cache_creation_input_tokens, Some(100));
    let m = &p.output_messages[0];
    assert_eq!(m.finish_reason, "stop");
    assert!(
        matches!(&m.parts[0], MessagePart::Reasoning { content } if content.contains("1071 = 2 × 462 + 147\n462"))
    );
    assert_eq!(
        m.parts[1],
        MessagePart::text("The greatest common divisor of 1071 and 462 is **21**.")
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);

    let (p, _) = whole(
        Api::AnthropicMessages,
        true,
        fixture!("anthropic_messages_tool_use_stream.sse"),
    );
    assert_eq!(
        p.output_messages[0].parts,
        vec![
            MessagePart::text("Okay, let's check the weather for San Francisco, CA:"),
            MessagePart::tool_call(
                Some("toolu_01T1x1fJ34qAmk2tNTrN7Up6"),
                "get_weather",
                json!({"location": "San Francisco, CA", "unit": "fahrenheit"})
            ),
        ]
    );
    assert_eq!(p.output_messages[0].finish_reason, "tool_call");

    let (p, _) = whole(
        Api::AnthropicMessages,
        true,
        fixture!("anthropic_messages_stream_error.sse"),
    );
    let e = p.error.as_ref().unwrap();
    assert_eq!(e.error_type, "overloaded_error");
    assert_eq!(
        p.output_messages,
        vec![OutputMessage::new(
            Role::Assistant,
            vec![MessagePart::text("Hello")],
            "error"
        )]
    );
    assert!(p.response.finish_reasons.is_none());
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
}

#[test]
fn truncated_and_garbage_streams_are_diagnosed() {
    let bytes = fixture!("openai_chat_stream.sse");
    let cut = bytes.len() - "data: [DONE]\n\n".len();
    let mut parser = Api::OpenAiChat.stream_parser(false);
    parser.feed(&bytes[..cut]);
    assert!(!parser.is_complete());
    parser.feed(b"data: [DONE]\n\n");
    assert!(parser.is_complete());
    let (p, _) = whole(Api::OpenAiChat, false, &bytes[..cut]);
    assert_eq!(p.usage.input_tokens, Some(19));
    assert_eq!(
        p.diagnostics,
        vec!["stream ended before its terminal event".to_string()]
    );
    let (p, events) = whole(
        Api::OpenAiChat,
        true,
        b"data: {not json\n\ndata: [DONE]\n\n",
    );
    assert_eq!(events, 2);
    assert_eq!(
        p.diagnostics,
        vec!["stream event data is not a JSON object".to_string()]
    );
    // An error chunk in a 200 stream.
    let (p, _) = whole(
        Api::OpenAiChat,
        false,
        b"data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\",\"code\":\"overloaded\"}}\n\n",
    );
    assert_eq!(p.error.unwrap().error_type, "overloaded");
}

#[test]
fn compatible_server_variants() {
    // Groq: usage under `x_groq`; DeepSeek: `reasoning_content` deltas and cache hits;
    // Azure: a first chunk with no choices and empty id/model (prompt filter results).
    let stream = [
        json!({"id": "", "model": "", "choices": [], "prompt_filter_results": []}),
        json!({"id": "c1", "model": "deepseek-reasoner", "choices": [{"index": 0, "delta": {"role": "assistant", "reasoning_content": "think"}}]}),
        json!({"id": "c1", "model": "deepseek-reasoner", "choices": [{"index": 0, "delta": {"content": "answer"}, "finish_reason": "stop"}]}),
        json!({"id": "c1", "choices": [], "x_groq": {"usage": {"prompt_tokens": 4, "completion_tokens": 2, "prompt_cache_hit_tokens": 3}}}),
    ];
    let body: String = stream.iter().map(|c| format!("data: {c}\n\n")).collect();
    let (p, _) = whole(
        Api::OpenAiChat,
        true,
        format!("{body}data: [DONE]\n\n").as_bytes(),
    );
    assert_eq!(p.response.id.as_deref(), Some("c1"));
    assert_eq!(p.response.model.as_deref(), Some("deepseek-reasoner"));
    assert_eq!(
        (p.usage.input_tokens, p.usage.output_tokens),
        (Some(4), Some(2))
    );
    assert_eq!(p.usage.cache_read_input_tokens, Some(3));
    assert_eq!(
        p.output_messages[0].parts,
        vec![
            MessagePart::Reasoning {
                content: "think".into()
            },
            MessagePart::text("answer")
        ]
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
}

#[test]
fn no_text_is_kept_without_capture() {
    let mut p = Api::OpenAiChat.stream_parser(false);
    p.feed(fixture!("openai_chat_tool_calls_stream.sse"));
    p.feed(fixture!("openai_chat_stream.sse"));
    let Accumulator::Chat(c) = &p.acc else {
        panic!()
    };
    assert!(
        c.choices
            .iter()
            .all(|c| c.text.is_empty() && c.tool_calls.is_empty())
    );
    let mut p = Api::AnthropicMessages.stream_parser(false);
    p.feed(fixture!("anthropic_messages_stream.sse"));
    let Accumulator::Anthropic(a) = &p.acc else {
        panic!()
    };
    assert_eq!(format!("{a:?}").matches("GCD").count(), 0);
}

#[test]
fn captured_text_is_bounded() {
    let chunk = format!(
        "data: {}\n\n",
        json!({"choices": [{"index": 0, "delta": {"content": "x".repeat(64 * 1024)}}]})
    );
    let mut p = Api::OpenAiChat.stream_parser(true);
    for _ in 0..(CONTENT_CAP / (64 * 1024) + 4) {
        p.feed(chunk.as_bytes());
    }
    p.feed(b"data: [DONE]\n\n");
    let out = p.finish();
    let MessagePart::Text { content } = &out.output_messages[0].parts[0] else {
        panic!()
    };
    assert_eq!(content.len(), CONTENT_CAP);
    assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
}

#[test]
fn every_byte_boundary_split_gives_the_same_result() {
    for (api, name, bytes) in STREAMS {
        let want = [whole(api, false, bytes), whole(api, true, bytes)];
        // Every boundary, alternating capture on and off (each is a full parse).
        for i in 0..=bytes.len() {
            let capture = i % 2 == 0;
            let got = parse(api, capture, &[&bytes[..i], &bytes[i..]]);
            assert_eq!(got, want[usize::from(capture)], "{name} split at {i}");
        }
    }
}

#[test]
fn one_byte_at_a_time_with_crlf_line_endings() {
    for (api, name, bytes) in STREAMS {
        let crlf = String::from_utf8(bytes.to_vec())
            .unwrap()
            .replace('\n', "\r\n");
        let chunks: Vec<&[u8]> = crlf.as_bytes().chunks(1).collect();
        assert_eq!(parse(api, true, &chunks), whole(api, true, bytes), "{name}");
    }
}

proptest! {
    #[test]
    fn random_multi_splits_give_the_same_result(
        which in 0..STREAMS.len(),
        cuts in proptest::collection::vec(0usize..6000, 0..24),
        capture in any::<bool>(),
    ) {
        let (api, _, bytes) = STREAMS[which];
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut at = 0;
        for c in cuts {
            chunks.push(&bytes[at..c]);
            at = c;
        }
        chunks.push(&bytes[at..]);
        prop_assert_eq!(parse(api, capture, &chunks), whole(api, capture, bytes));
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..1024),
        which in 0usize..5,
    ) {
        let api = [Api::OpenAiChat, Api::OpenAiCompletions, Api::OpenAiEmbeddings,
                   Api::OpenAiResponses, Api::AnthropicMessages][which];
        let mut p = api.stream_parser(true);
        for c in bytes.chunks(7) {
            p.feed(c);
        }
        let _ = p.finish();
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in 0..STREAMS.len(),
        at in 0usize..6000,
        len in 0usize..16,
        byte in any::<u8>(),
    ) {
        let (api, _, bytes) = STREAMS[which];
        let mut body = bytes.to_vec();
        let at = at.min(body.len());
        let end = (at + len).min(body.len());
        body.splice(at..end, [byte]);
        let _ = whole(api, true, &body);
    }
}

/// Two streamed choices, one of which never got its finish reason: one entry per choice, in
/// index order, `error` for the missing one.
#[test]
fn streamed_finish_reasons_are_positional() {
    let stream = [
        json!({"id": "c", "model": "gpt-4o", "choices": [{"index": 1, "delta": {"content": "b"}}]}),
        json!({"id": "c", "model": "gpt-4o", "choices": [{"index": 0, "delta": {"content": "a"}, "finish_reason": "stop"}]}),
    ];
    let body: String = stream.iter().map(|c| format!("data: {c}\n\n")).collect();
    let (p, _) = whole(
        Api::OpenAiChat,
        false,
        format!("{body}data: [DONE]\n\n").as_bytes(),
    );
    assert_eq!(
        p.response.finish_reasons,
        Some(vec!["stop".to_string(), "error".to_string()])
    );
}
