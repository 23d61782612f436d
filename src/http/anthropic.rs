//! The Anthropic Messages API: request, response and streamed events.
//!
//! `gen_ai.usage.input_tokens` is the total input: Anthropic's `input_tokens` counts only the
//! uncached part, so the cache read and cache creation counts are added to it (the registry
//! says cached tokens SHOULD be included in `gen_ai.usage.input_tokens`).

use serde_json::{Map, Value};

use crate::content::{ChatMessage, MessagePart, OutputMessage, Role};
use crate::{ErrorInfo, Usage};

use super::lenient::{parse_event, parse_view};
use super::model::{
    ContentBudget, ParsedRequest, ParsedResponse, arr_of, content_object, diagnose, generic_part,
    joined_texts, obj_of, str_of, string_of, url_part,
};
use super::openai_content::tool_definition;
use super::views::{
    AnthropicEvent, AnthropicMessage, AnthropicRequest, UsageCounts, embedded_error,
};

/// Parses a Messages API request body.
pub(crate) fn parse_request(body: &[u8], capture_content: bool) -> ParsedRequest {
    let mut out = ParsedRequest::default();
    let Some(v) = parse_view::<AnthropicRequest<'_>>(body, "request body", &mut out.diagnostics)
    else {
        return out;
    };
    let d = &mut out.diagnostics;
    let r = &mut out.request;
    r.model = v.model.model(d);
    r.max_tokens = v.max_tokens.i64("max_tokens", d);
    r.temperature = v.temperature.f64("temperature", d);
    r.top_p = v.top_p.f64("top_p", d);
    r.top_k = v.top_k.i64("top_k", d);
    r.stop_sequences = v.stop_sequences.string_list();
    r.stream = v.stream.bool();
    r.reasoning_level = v.output_config.obj().and_then(|o| o.effort.shared());
    if !capture_content {
        return out;
    }
    let Some(m) = content_object(body) else {
        return out;
    };
    match m.get("system") {
        Some(Value::String(s)) if !s.is_empty() => {
            out.system_instructions.push(MessagePart::text(s.clone()))
        }
        Some(Value::Array(blocks)) => {
            for b in blocks.iter().filter_map(Value::as_object) {
                block_parts(b, &mut out.system_instructions);
            }
        }
        _ => {}
    }
    out.input_messages = arr_of(&m, "messages")
        .iter()
        .filter_map(Value::as_object)
        .map(|msg| {
            let mut parts = Vec::new();
            match msg.get("content") {
                Some(Value::String(s)) => parts.push(MessagePart::text(s.clone())),
                Some(Value::Array(blocks)) => {
                    for b in blocks.iter().filter_map(Value::as_object) {
                        block_parts(b, &mut parts);
                    }
                }
                _ => {}
            }
            ChatMessage::new(Role::from(str_of(msg, "role").unwrap_or("user")), parts)
        })
        .collect();
    out.tool_definitions = arr_of(&m, "tools")
        .iter()
        .filter_map(|t| {
            let mut def = tool_definition(t)?;
            // Client tools have no `type` (or `custom`); server tools are versioned types.
            if def.tool_type == "custom" {
                def.tool_type = "function".to_string();
            }
            Some(def)
        })
        .collect();
    out
}

/// Parses a Messages API 2xx response body.
pub(crate) fn parse_response(body: &[u8], capture_content: bool) -> ParsedResponse {
    let mut out = ParsedResponse::default();
    let Some(v) = parse_view::<AnthropicMessage<'_>>(body, "response body", &mut out.diagnostics)
    else {
        return out;
    };
    out.error = embedded_error(&v.error);
    out.response.id = v.id.shared();
    out.response.model = v.model.shared();
    let stop_reason = v.stop_reason.string();
    if let Some(u) = v.usage.obj() {
        let mut counts = Counts::default();
        counts.update(u, &mut out.diagnostics);
        out.usage = counts.usage();
    }
    if capture_content && let Some(m) = content_object(body) {
        let mut parts = Vec::new();
        for b in arr_of(&m, "content").iter().filter_map(Value::as_object) {
            block_parts(b, &mut parts);
        }
        let role = str_of(&m, "role").unwrap_or("assistant");
        let reason = stop_reason.as_deref().map_or("error", output_finish_reason);
        out.output_messages = vec![OutputMessage::new(Role::from(role), parts, reason)];
    }
    out.response.finish_reasons = stop_reason.map(|r| vec![r]);
    out
}

/// The schema's finish reason for an output message from an Anthropic `stop_reason`.
fn output_finish_reason(raw: &str) -> &str {
    match raw {
        "end_turn" | "stop_sequence" => "stop",
        "max_tokens" | "model_context_window_exceeded" => "length",
        "tool_use" => "tool_call",
        "refusal" => "content_filter",
        other => other,
    }
}

/// Anthropic's usage counts as reported (`input_tokens` excludes cached tokens).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Counts {
    input: Option<u64>,
    cache_read: Option<u64>,
    cache_creation: Option<u64>,
    output: Option<u64>,
}

impl Counts {
    /// Takes every count present in `u` (a later `message_delta` refines `message_start`).
    fn update(&mut self, u: &UsageCounts<'_>, d: &mut Vec<String>) {
        for (slot, value, key) in [
            (&mut self.input, &u.input_tokens, "input_tokens"),
            (
                &mut self.cache_read,
                &u.cache_read_input_tokens,
                "cache_read_input_tokens",
            ),
            (
                &mut self.cache_creation,
                &u.cache_creation_input_tokens,
                "cache_creation_input_tokens",
            ),
            (&mut self.output, &u.output_tokens, "output_tokens"),
        ] {
            if let Some(v) = value.count(key, d) {
                *slot = Some(v);
            }
        }
    }

    fn usage(self) -> Usage {
        let parts = [self.input, self.cache_read, self.cache_creation];
        let input = parts.iter().any(Option::is_some).then(|| {
            parts
                .iter()
                .flatten()
                .fold(0u64, |a, b| a.saturating_add(*b))
        });
        Usage {
            input_tokens: input,
            output_tokens: self.output,
            cache_read_input_tokens: self.cache_read,
            cache_creation_input_tokens: self.cache_creation,
            // Anthropic reports no thinking-token count and no per-modality counts (its usage
            // has `input_tokens`, the two cache counts, `output_tokens`, server tool use).
            ..Usage::default()
        }
    }
}

/// The parts of one content block (request or response).
fn block_parts(b: &Map<String, Value>, parts: &mut Vec<MessagePart>) {
    match str_of(b, "type") {
        Some("text") => {
            if let Some(t) = b.get("text").and_then(Value::as_str) {
                parts.push(MessagePart::text(t));
            }
        }
        Some("thinking") => {
            if let Some(t) = str_of(b, "thinking") {
                parts.push(MessagePart::Reasoning {
                    content: t.to_string(),
                });
            }
        }
        Some(kind @ ("image" | "document")) => {
            let modality = if kind == "image" { "image" } else { "document" };
            let source = obj_of(b, "source");
            let part = match source.map(|s| (str_of(s, "type"), s)) {
                Some((Some("base64"), s)) => str_of(s, "data")
                    .map(|data| MessagePart::blob(modality, str_of(s, "media_type"), data)),
                Some((Some("url"), s)) => str_of(s, "url").map(|u| url_part(modality, u)),
                Some((Some("file"), s)) => str_of(s, "file_id").map(|id| MessagePart::File {
                    mime_type: None,
                    modality: modality.to_string(),
                    file_id: id.to_string(),
                }),
                Some((Some("text"), s)) => str_of(s, "data").map(MessagePart::text),
                _ => None,
            };
            parts.push(part.unwrap_or_else(|| generic_part(b)));
        }
        Some("tool_use") => match str_of(b, "name") {
            Some(name) => parts.push(MessagePart::ToolCall {
                id: string_of(b, "id"),
                name: name.to_string(),
                arguments: b.get("input").filter(|v| !v.is_null()).cloned(),
            }),
            None => parts.push(generic_part(b)),
        },
        Some("tool_result") => {
            let response = joined_texts(b.get("content"), |o| str_of(o, "type") == Some("text"));
            parts.push(MessagePart::tool_response(
                str_of(b, "tool_use_id"),
                response,
            ));
        }
        Some(_) => parts.push(generic_part(b)),
        None => {}
    }
}

/// At most this many content blocks are accumulated per streamed message.
const MAX_BLOCKS: usize = 256;

#[derive(Clone, Debug, PartialEq)]
enum Block {
    Text(String),
    Thinking(String),
    ToolUse {
        id: Option<String>,
        name: String,
        json: String,
        start_input: Option<Value>,
    },
    Other(Map<String, Value>),
}

/// Accumulates a streamed Messages API response.
#[derive(Debug, Default)]
pub(crate) struct MessagesStream {
    capture: bool,
    out: ParsedResponse,
    counts: Counts,
    stop_reason: Option<String>,
    role: Option<String>,
    blocks: Vec<(i64, Block)>,
    budget: ContentBudget,
    /// `message_stop` or `error` was seen.
    pub(crate) terminal: bool,
}

impl MessagesStream {
    pub(crate) fn new(capture: bool) -> Self {
        MessagesStream {
            capture,
            ..Default::default()
        }
    }

    /// Handles one event's data; `event` is the SSE event name (the JSON `type` wins). Returns
    /// `false` if the data is not a JSON object.
    pub(crate) fn on_data(&mut self, event: Option<&str>, data: &str) -> bool {
        match parse_event::<AnthropicEvent<'_>>(data) {
            Some(m) => {
                self.on_event(event, &m, data);
                true
            }
            None => false,
        }
    }

    /// Handles one event (`data`: its JSON, read again for a captured block's content).
    fn on_event(&mut self, event: Option<&str>, m: &AnthropicEvent<'_>, data: &str) {
        let d = &mut self.out.diagnostics;
        match m.kind.str().or(event) {
            Some("message_start") => {
                let Some(msg) = m.message.obj() else {
                    diagnose(d, "message_start without a message");
                    return;
                };
                self.out.response.id = msg.id.shared().or(self.out.response.id.take());
                self.out.response.model = msg.model.shared().or(self.out.response.model.take());
                self.role = msg.role.string();
                if let Some(u) = msg.usage.obj() {
                    self.counts.update(u, d);
                }
            }
            Some("content_block_start") if self.capture => {
                let (Some(index), Some(b)) = (m.index.as_i64(), m.content_block.obj()) else {
                    return;
                };
                if self.blocks.len() >= MAX_BLOCKS {
                    diagnose(
                        d,
                        format!("more than {MAX_BLOCKS} content blocks: later ones not kept"),
                    );
                    return;
                }
                let block = match b.kind.str() {
                    Some("text") => Block::Text(String::new()),
                    Some("thinking") => Block::Thinking(String::new()),
                    kind => {
                        // The block's JSON: its `input`, or the whole block for its parts.
                        let Some(mut v) = content_object(data.as_bytes()) else {
                            return;
                        };
                        let Some(Value::Object(raw)) = v.remove("content_block") else {
                            return;
                        };
                        match kind {
                            Some("tool_use") => Block::ToolUse {
                                id: b.id.string(),
                                name: b.name.string().unwrap_or_default(),
                                json: String::new(),
                                start_input: raw.get("input").filter(|v| !v.is_null()).cloned(),
                            },
                            _ => Block::Other(raw),
                        }
                    }
                };
                self.blocks.push((index, block));
            }
            Some("content_block_delta") if self.capture => {
                let (Some(index), Some(delta)) = (m.index.as_i64(), m.delta.obj()) else {
                    return;
                };
                let Some((_, block)) = self.blocks.iter_mut().find(|(i, _)| *i == index) else {
                    return;
                };
                let budget = &mut self.budget;
                match (block, delta.kind.str()) {
                    (Block::Text(s), Some("text_delta")) => {
                        budget.push(s, delta.text.str().unwrap_or_default(), d)
                    }
                    (Block::Thinking(s), Some("thinking_delta")) => {
                        budget.push(s, delta.thinking.str().unwrap_or_default(), d)
                    }
                    (Block::ToolUse { json, .. }, Some("input_json_delta")) => {
                        budget.push(json, delta.partial_json.str().unwrap_or_default(), d)
                    }
                    _ => {}
                }
            }
            Some("message_delta") => {
                if let Some(r) = m.delta.obj().and_then(|x| x.stop_reason.string()) {
                    self.stop_reason = Some(r);
                }
                if let Some(u) = m.usage.obj() {
                    self.counts.update(u, d);
                }
            }
            Some("message_stop") => self.terminal = true,
            Some("error") => {
                self.out.error = Some(embedded_error(&m.error).unwrap_or_else(|| ErrorInfo {
                    error_type: crate::semconv::ERROR_TYPE_OTHER.to_string(),
                    message: None,
                }));
                self.terminal = true;
            }
            _ => {}
        }
    }

    pub(crate) fn diagnostics(&mut self) -> &mut Vec<String> {
        &mut self.out.diagnostics
    }

    /// The accumulated response.
    pub(crate) fn finish(mut self) -> ParsedResponse {
        let mut out = std::mem::take(&mut self.out);
        if self.counts != Counts::default() {
            out.usage = self.counts.usage();
        }
        if self.capture && (!self.blocks.is_empty() || self.stop_reason.is_some()) {
            let mut parts = Vec::new();
            for (_, block) in self.blocks {
                match block {
                    Block::Text(t) => parts.push(MessagePart::text(t)),
                    Block::Thinking(t) => parts.push(MessagePart::Reasoning { content: t }),
                    Block::ToolUse {
                        id,
                        name,
                        json,
                        start_input,
                    } => {
                        let arguments = if json.trim().is_empty() {
                            start_input
                        } else {
                            match serde_json::from_str(&json) {
                                Ok(v) => Some(v),
                                Err(_) => {
                                    diagnose(
                                        &mut out.diagnostics,
                                        "streamed tool input is not valid JSON",
                                    );
                                    Some(Value::String(json))
                                }
                            }
                        };
                        parts.push(MessagePart::ToolCall {
                            id,
                            name,
                            arguments,
                        });
                    }
                    Block::Other(b) => block_parts(&b, &mut parts),
                }
            }
            let role = self.role.as_deref().unwrap_or("assistant");
            let reason = self
                .stop_reason
                .as_deref()
                .map_or("error", output_finish_reason);
            out.output_messages = vec![OutputMessage::new(Role::from(role), parts, reason)];
        }
        out.response.finish_reasons = self.stop_reason.map(|r| vec![r]);
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use serde_json::json;

    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!("../../tests/data/http/", $name)).as_slice()
        };
    }

    #[test]
    fn request() {
        let body = fixture!("anthropic_messages_request.json");
        let p = parse_request(body, false);
        let r = &p.request;
        assert_eq!(r.model.as_deref(), Some("claude-sonnet-4-20250514"));
        assert_eq!(r.max_tokens, Some(1024));
        assert_eq!(r.temperature, Some(0.7));
        assert_eq!(r.top_p, Some(0.95));
        assert_eq!(r.top_k, Some(40));
        assert_eq!(r.stop_sequences, Some(vec!["\n\nHuman:".to_string()]));
        assert_eq!(r.stream, Some(true));
        assert!(p.system_instructions.is_empty() && p.input_messages.is_empty());
        assert!(p.provider_attributes.is_empty());
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);

        let p = parse_request(body, true);
        assert_eq!(
            p.system_instructions,
            vec![MessagePart::text("You are a weather assistant.")]
        );
        assert_eq!(p.tool_definitions.len(), 1);
        assert_eq!(p.tool_definitions[0].tool_type, "function");
        assert_eq!(p.tool_definitions[0].name, "get_weather");
        assert!(p.tool_definitions[0].parameters.is_some());
        let m = &p.input_messages;
        assert_eq!(m.len(), 3);
        assert_eq!(
            m[0],
            ChatMessage::user("What's the weather like in San Francisco?")
        );
        assert_eq!(
            m[1].parts[1],
            MessagePart::tool_call(
                Some("toolu_01A09q90qw90lq917835lq9"),
                "get_weather",
                json!({"location": "San Francisco, CA"})
            )
        );
        assert_eq!(m[2].role, Role::User);
        assert_eq!(
            m[2].parts,
            vec![
                MessagePart::tool_response(
                    Some("toolu_01A09q90qw90lq917835lq9"),
                    json!("15 degrees")
                ),
                MessagePart::blob("image", Some("image/jpeg"), "/9j/4AAQSkZJRg=="),
                MessagePart::text("And what does this picture show?"),
            ]
        );
    }

    #[test]
    fn response_usage_includes_cached_input() {
        let p = parse_response(fixture!("anthropic_messages.json"), false);
        assert_eq!(
            p.response.id.as_deref(),
            Some("msg_013Zva2CMHLNnXjNJJKqJ2EF")
        );
        assert_eq!(
            p.response.model.as_deref(),
            Some("claude-sonnet-4-20250514")
        );
        assert_eq!(
            p.response.finish_reasons,
            Some(vec!["end_turn".to_string()])
        );
        assert_eq!(p.usage.input_tokens, Some(2095 + 248 + 1024));
        assert_eq!(p.usage.output_tokens, Some(503));
        assert_eq!(p.usage.cache_read_input_tokens, Some(1024));
        assert_eq!(p.usage.cache_creation_input_tokens, Some(248));
        assert!(p.output_messages.is_empty());
        assert!(p.error.is_none());
        let p = parse_response(fixture!("anthropic_messages.json"), true);
        assert_eq!(
            p.output_messages,
            vec![OutputMessage::new(
                Role::Assistant,
                vec![MessagePart::text("Hi! My name is Claude.")],
                "stop"
            )]
        );
    }

    #[test]
    fn tool_use_response() {
        let p = parse_response(fixture!("anthropic_messages_tool_use.json"), true);
        assert_eq!(
            p.response.finish_reasons,
            Some(vec!["tool_use".to_string()])
        );
        assert_eq!(p.usage.input_tokens, Some(472));
        let m = &p.output_messages[0];
        assert_eq!(m.finish_reason, "tool_call");
        assert_eq!(m.parts[0].part_type(), "reasoning");
        assert_eq!(
            m.parts[2],
            MessagePart::tool_call(
                Some("toolu_01A09q90qw90lq917835lq9"),
                "get_weather",
                json!({"location": "San Francisco, CA", "unit": "celsius"})
            )
        );
    }

    #[test]
    fn usage_without_cache_fields_and_saturation() {
        let mut c = Counts::default();
        let mut d = Vec::new();
        fn counts(body: &str) -> UsageCounts<'_> {
            parse_view(body.as_bytes(), "usage", &mut Vec::new()).unwrap()
        }
        let first = json!({"input_tokens": 10}).to_string();
        let later = json!({"cache_read_input_tokens": u64::MAX, "output_tokens": 3}).to_string();
        c.update(&counts(&first), &mut d);
        assert_eq!(c.usage().input_tokens, Some(10));
        assert_eq!(c.usage().cache_read_input_tokens, None);
        c.update(&counts(&later), &mut d);
        assert_eq!(c.usage().input_tokens, Some(u64::MAX));
        assert_eq!(Counts::default().usage(), Usage::default());
        assert!(d.is_empty());
    }

    #[test]
    fn stream_error_event() {
        let mut s = MessagesStream::new(true);
        let ev = json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}});
        assert!(s.on_data(Some("error"), &ev.to_string()));
        assert!(s.terminal);
        let out = s.finish();
        let e = out.error.unwrap();
        assert_eq!(
            (e.error_type.as_str(), e.message.as_deref()),
            ("overloaded_error", Some("Overloaded"))
        );
    }
}
