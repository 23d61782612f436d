//! Incremental parsing of streamed (`text/event-stream`) responses: per-API accumulation of
//! ids, usage, finish reasons and, with content capture, output (bounded by
//! [`CONTENT_CAP`](super::model::CONTENT_CAP)). Without content capture no text is kept: memory
//! stays bounded by the number of choices.

use serde_json::{Map, Value};

use crate::content::{MessagePart, OutputMessage, Role};
use crate::state::ErrorInfo;

use super::anthropic::MessagesStream;
use super::api::Api;
use super::model::{
    arguments_value, arr_of, diagnose, embedded_error, obj_of, str_of, string_of, ContentBudget,
    ParsedResponse,
};
use super::openai::{chat_header, output_finish_reason, responses_response, usage};
use super::sse::{SseDecoder, SseEvent};

/// At most this many choices (and tool calls per choice) are tracked per stream.
const MAX_CHOICES: usize = 128;

/// An incremental parser for one streamed response.
#[derive(Debug)]
pub(crate) struct StreamParser {
    decoder: SseDecoder,
    acc: Accumulator,
    events: u64,
}

#[derive(Debug)]
enum Accumulator {
    /// Chat completions and legacy completions chunks.
    Chat(ChatStream),
    Responses(ResponsesStream),
    Anthropic(MessagesStream),
}

impl Accumulator {
    fn on_event(&mut self, event: SseEvent) {
        let data = event.data.trim();
        if data == "[DONE]" {
            match self {
                Accumulator::Chat(c) => c.terminal = true,
                Accumulator::Responses(r) => r.terminal = true,
                Accumulator::Anthropic(a) => a.terminal = true,
            }
            return;
        }
        let map = match serde_json::from_str::<Value>(data) {
            Ok(Value::Object(m)) => m,
            _ => {
                // Anthropic sends `data: {"type": "ping"}`; a non-JSON event is unusual.
                diagnose(self.diagnostics(), "stream event data is not a JSON object");
                return;
            }
        };
        let name = event.event.as_deref();
        match self {
            Accumulator::Chat(c) => c.on_chunk(&map),
            Accumulator::Responses(r) => r.on_event(name, &map),
            Accumulator::Anthropic(a) => a.on_event(name, &map),
        }
    }

    fn diagnostics(&mut self) -> &mut Vec<String> {
        match self {
            Accumulator::Chat(c) => &mut c.out.diagnostics,
            Accumulator::Responses(r) => &mut r.out.diagnostics,
            Accumulator::Anthropic(a) => a.diagnostics(),
        }
    }

    fn terminal(&self) -> bool {
        match self {
            Accumulator::Chat(c) => c.terminal,
            Accumulator::Responses(r) => r.terminal,
            Accumulator::Anthropic(a) => a.terminal,
        }
    }

    fn finish(self) -> ParsedResponse {
        match self {
            Accumulator::Chat(c) => c.finish(),
            Accumulator::Responses(r) => r.finish(),
            Accumulator::Anthropic(a) => a.finish(),
        }
    }
}

impl StreamParser {
    pub(crate) fn new(api: Api, capture_content: bool) -> Self {
        let acc = match api {
            Api::AnthropicMessages => Accumulator::Anthropic(MessagesStream::new(capture_content)),
            Api::OpenAiResponses => Accumulator::Responses(ResponsesStream::new(capture_content)),
            // Embeddings are not streamed; a stream of chunks is read as chat chunks.
            Api::OpenAiChat | Api::OpenAiCompletions | Api::OpenAiEmbeddings => {
                Accumulator::Chat(ChatStream::new(capture_content))
            }
        };
        StreamParser {
            decoder: SseDecoder::new(),
            acc,
            events: 0,
        }
    }

    /// Feeds a chunk of the body; returns how many events it completed (the first chunk
    /// completing an event marks the time to first chunk).
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> usize {
        let mut n = 0usize;
        let acc = &mut self.acc;
        self.decoder.feed(chunk, &mut |e| {
            n += 1;
            acc.on_event(e);
        });
        self.events = self.events.saturating_add(n as u64);
        n
    }

    /// Events completed so far.
    pub(crate) fn events(&self) -> u64 {
        self.events
    }

    /// Whether the stream's terminal event (`[DONE]`, `message_stop`, `response.completed` /
    /// `.incomplete` / `.failed`, or an `error` event) has been seen: a body dropped after it
    /// was read completely.
    pub(crate) fn is_complete(&self) -> bool {
        self.acc.terminal()
    }

    /// Ends the stream and returns what it said; a stream that ended before its terminal
    /// event (`[DONE]`, `message_stop`, `response.completed`) gets a diagnostic.
    pub(crate) fn finish(mut self) -> ParsedResponse {
        let acc = &mut self.acc;
        self.decoder.finish(&mut |e| acc.on_event(e));
        let terminal = self.acc.terminal();
        let mut out = self.acc.finish();
        let mut diagnostics = self.decoder.diagnostics().to_vec();
        diagnostics.append(&mut out.diagnostics);
        for d in diagnostics {
            diagnose(&mut out.diagnostics, d);
        }
        if !terminal {
            diagnose(
                &mut out.diagnostics,
                "stream ended before its terminal event",
            );
        }
        out
    }
}

#[derive(Debug, Default)]
struct ToolCallAcc {
    index: i64,
    id: Option<String>,
    name: String,
    arguments: String,
}

#[derive(Debug, Default)]
struct ChoiceAcc {
    index: i64,
    finish_reason: Option<String>,
    role: Option<String>,
    reasoning: String,
    text: String,
    refusal: String,
    tool_calls: Vec<ToolCallAcc>,
}

/// Chat completions (and legacy completions) chunks.
#[derive(Debug, Default)]
struct ChatStream {
    capture: bool,
    out: ParsedResponse,
    choices: Vec<ChoiceAcc>,
    budget: ContentBudget,
    terminal: bool,
}

impl ChatStream {
    fn new(capture: bool) -> Self {
        ChatStream {
            capture,
            ..Default::default()
        }
    }

    fn on_chunk(&mut self, m: &Map<String, Value>) {
        if let Some(e) = embedded_error(m) {
            self.out.error = Some(e);
        }
        chat_header(m, &mut self.out);
        let d = &mut self.out.diagnostics;
        // Groq reports streamed usage in `x_groq.usage` on the last chunk.
        let u = obj_of(m, "usage").or_else(|| obj_of(m, "x_groq").and_then(|x| obj_of(x, "usage")));
        if let Some(u) = u {
            self.out.usage = usage(u, d);
        }
        for (i, c) in arr_of(m, "choices").iter().enumerate() {
            let Some(c) = c.as_object() else { continue };
            let index = c.get("index").and_then(Value::as_i64).unwrap_or(i as i64);
            let pos = match self.choices.iter().position(|x| x.index == index) {
                Some(p) => p,
                None if self.choices.len() < MAX_CHOICES => {
                    self.choices.push(ChoiceAcc {
                        index,
                        ..Default::default()
                    });
                    self.choices.len() - 1
                }
                None => {
                    diagnose(
                        d,
                        format!("more than {MAX_CHOICES} choices: later ones not kept"),
                    );
                    continue;
                }
            };
            let choice = &mut self.choices[pos];
            if let Some(r) = string_of(c, "finish_reason") {
                choice.finish_reason = Some(r);
            }
            if !self.capture {
                continue;
            }
            let budget = &mut self.budget;
            // Legacy completions stream `text`; chat streams a `delta`.
            if let Some(t) = str_of(c, "text") {
                budget.push(&mut choice.text, t, d);
            }
            let Some(delta) = obj_of(c, "delta") else {
                continue;
            };
            if let Some(role) = string_of(delta, "role") {
                choice.role = Some(role);
            }
            if let Some(t) = str_of(delta, "content") {
                budget.push(&mut choice.text, t, d);
            }
            if let Some(t) =
                str_of(delta, "reasoning_content").or_else(|| str_of(delta, "reasoning"))
            {
                budget.push(&mut choice.reasoning, t, d);
            }
            if let Some(t) = str_of(delta, "refusal") {
                budget.push(&mut choice.refusal, t, d);
            }
            for (j, call) in arr_of(delta, "tool_calls").iter().enumerate() {
                let Some(call) = call.as_object() else {
                    continue;
                };
                let index = call
                    .get("index")
                    .and_then(Value::as_i64)
                    .unwrap_or(j as i64);
                let pos = match choice.tool_calls.iter().position(|t| t.index == index) {
                    Some(p) => p,
                    None if choice.tool_calls.len() < MAX_CHOICES => {
                        choice.tool_calls.push(ToolCallAcc {
                            index,
                            ..Default::default()
                        });
                        choice.tool_calls.len() - 1
                    }
                    None => continue,
                };
                let acc = &mut choice.tool_calls[pos];
                if let Some(id) = string_of(call, "id") {
                    acc.id = Some(id);
                }
                if let Some(f) = obj_of(call, "function") {
                    if let Some(name) = str_of(f, "name") {
                        if acc.name.is_empty() {
                            acc.name = name.to_string();
                        }
                    }
                    if let Some(a) = str_of(f, "arguments") {
                        budget.push(&mut acc.arguments, a, d);
                    }
                }
            }
        }
    }

    fn finish(mut self) -> ParsedResponse {
        let mut out = std::mem::take(&mut self.out);
        self.choices.sort_by_key(|c| c.index);
        let reasons: Vec<String> = self
            .choices
            .iter()
            .filter_map(|c| c.finish_reason.clone())
            .collect();
        if !reasons.is_empty() {
            out.response.finish_reasons = Some(reasons);
        }
        if !self.capture {
            return out;
        }
        for c in self.choices {
            let mut parts = Vec::new();
            if !c.reasoning.is_empty() {
                parts.push(MessagePart::Reasoning {
                    content: c.reasoning,
                });
            }
            if !c.text.is_empty() {
                parts.push(MessagePart::text(c.text));
            }
            if !c.refusal.is_empty() {
                parts.push(MessagePart::text(c.refusal));
            }
            for t in c.tool_calls {
                parts.push(MessagePart::ToolCall {
                    id: t.id,
                    name: t.name,
                    arguments: arguments_value(&t.arguments),
                });
            }
            let role = Role::from(c.role.as_deref().unwrap_or("assistant"));
            let reason = c
                .finish_reason
                .as_deref()
                .map_or("error", output_finish_reason);
            out.output_messages
                .push(OutputMessage::new(role, parts, reason));
        }
        out
    }
}

/// Responses API events. `response.completed` (or `.incomplete`, `.failed`) carries the whole
/// response; text deltas are only kept (with capture) for a stream cut before it.
#[derive(Debug, Default)]
struct ResponsesStream {
    capture: bool,
    out: ParsedResponse,
    texts: Vec<(i64, String)>,
    budget: ContentBudget,
    final_seen: bool,
    terminal: bool,
}

impl ResponsesStream {
    fn new(capture: bool) -> Self {
        ResponsesStream {
            capture,
            ..Default::default()
        }
    }

    fn on_event(&mut self, event: Option<&str>, m: &Map<String, Value>) {
        let d = &mut self.out.diagnostics;
        match str_of(m, "type").or(event) {
            Some("response.created" | "response.in_progress" | "response.queued") => {
                if let Some(r) = obj_of(m, "response") {
                    if self.out.response.id.is_none() {
                        self.out.response.id = string_of(r, "id");
                    }
                    if self.out.response.model.is_none() {
                        self.out.response.model = string_of(r, "model");
                    }
                    self.out.response.status = string_of(r, "status");
                }
            }
            Some("response.output_text.delta") if self.capture && !self.final_seen => {
                let index = m.get("output_index").and_then(Value::as_i64).unwrap_or(0);
                let Some(delta) = str_of(m, "delta") else {
                    return;
                };
                let pos = match self.texts.iter().position(|(i, _)| *i == index) {
                    Some(p) => p,
                    None if self.texts.len() < MAX_CHOICES => {
                        self.texts.push((index, String::new()));
                        self.texts.len() - 1
                    }
                    None => return,
                };
                self.budget.push(&mut self.texts[pos].1, delta, d);
            }
            Some("response.completed" | "response.incomplete" | "response.failed") => {
                match obj_of(m, "response") {
                    Some(r) => {
                        responses_response(r, self.capture, &mut self.out);
                        self.final_seen = true;
                    }
                    None => diagnose(d, "final response event without a response"),
                }
                self.terminal = true;
            }
            Some("error") => {
                self.out.error = Some(embedded_error(m).unwrap_or_else(|| {
                    ErrorInfo {
                        error_type: string_of(m, "code")
                            .unwrap_or_else(|| crate::semconv::ERROR_TYPE_OTHER.to_string()),
                        message: string_of(m, "message"),
                    }
                }));
                self.terminal = true;
            }
            _ => {}
        }
    }

    fn finish(mut self) -> ParsedResponse {
        let mut out = std::mem::take(&mut self.out);
        if self.capture && !self.final_seen && !self.texts.is_empty() {
            self.texts.sort_by_key(|(i, _)| *i);
            let parts = self
                .texts
                .into_iter()
                .map(|(_, t)| MessagePart::text(t))
                .collect();
            out.output_messages = vec![OutputMessage::new(Role::Assistant, parts, "error")];
        }
        out
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(p.usage, crate::state::Usage::default());
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
        assert!(c
            .choices
            .iter()
            .all(|c| c.text.is_empty() && c.tool_calls.is_empty()));
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
}
