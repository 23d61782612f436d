//! Incremental parsing of streamed (`text/event-stream`) responses: per-API accumulation of
//! ids, usage, finish reasons and, with content capture, output (bounded by
//! [`CONTENT_CAP`](super::model::CONTENT_CAP)). Without content capture no text is kept: memory
//! stays bounded by the number of choices.

use serde_json::Value;

use crate::ErrorInfo;
use crate::content::{MessagePart, OutputMessage, Role};

use super::anthropic::MessagesStream;
use super::api::Api;
use super::lenient::Scalar;
use super::lenient::parse_event;
use super::model::{ContentBudget, ParsedResponse, arguments_value, content_object, diagnose};
use super::openai::{
    chat_header, output_finish_reason, positional_reasons, responses_response, usage,
};
use super::openai_content::responses_output;
use super::sse::{SseDecoder, SseEvent};
use super::views::{ChatChunk, Choice, ChunkChoice, ResponsesEvent, embedded_error};

/// A streamed choice's view: its index and finish reason, and its content if it was read.
trait ChoiceView {
    fn index(&self) -> &Scalar<'_>;
    fn finish_reason(&self) -> &Scalar<'_>;
    fn content(&self) -> Option<&ChunkChoice<'_>>;
}

impl ChoiceView for Choice<'_> {
    fn index(&self) -> &Scalar<'_> {
        &self.index
    }
    fn finish_reason(&self) -> &Scalar<'_> {
        &self.finish_reason
    }
    fn content(&self) -> Option<&ChunkChoice<'_>> {
        None
    }
}

impl ChoiceView for ChunkChoice<'_> {
    fn index(&self) -> &Scalar<'_> {
        &self.index
    }
    fn finish_reason(&self) -> &Scalar<'_> {
        &self.finish_reason
    }
    fn content(&self) -> Option<&ChunkChoice<'_>> {
        Some(self)
    }
}

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
    fn on_event(&mut self, event: SseEvent<'_>) {
        let data = event.data.trim();
        if data == "[DONE]" {
            match self {
                Accumulator::Chat(c) => c.terminal = true,
                Accumulator::Responses(r) => r.terminal = true,
                Accumulator::Anthropic(a) => a.terminal = true,
            }
            return;
        }
        let name = event.event;
        let object = match self {
            // Without capture the choices' content is skipped unparsed.
            Accumulator::Chat(c) if c.capture => {
                parse_event::<ChatChunk<'_, ChunkChoice<'_>>>(data)
                    .map(|m| c.on_chunk(&m))
                    .is_some()
            }
            Accumulator::Chat(c) => parse_event::<ChatChunk<'_, Choice<'_>>>(data)
                .map(|m| c.on_chunk(&m))
                .is_some(),
            Accumulator::Responses(r) => parse_event::<ResponsesEvent<'_>>(data)
                .map(|m| r.on_event(name, &m, data))
                .is_some(),
            Accumulator::Anthropic(a) => a.on_data(name, data),
        };
        if !object {
            // Anthropic sends `data: {"type": "ping"}`; a non-JSON event is unusual.
            diagnose(self.diagnostics(), "stream event data is not a JSON object");
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
    #[cfg(test)]
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

    fn on_chunk<C: ChoiceView>(&mut self, m: &ChatChunk<'_, C>) {
        if let Some(e) = embedded_error(&m.error) {
            self.out.error = Some(e);
        }
        chat_header(
            &m.id,
            &m.model,
            &m.system_fingerprint,
            &m.service_tier,
            &mut self.out,
        );
        let d = &mut self.out.diagnostics;
        // Groq reports streamed usage in `x_groq.usage` on the last chunk.
        let u = m
            .usage
            .obj()
            .or_else(|| m.x_groq.obj().and_then(|x| x.usage.obj()));
        if let Some(u) = u {
            self.out.usage = usage(u, d);
        }
        for (i, c) in m.choices.items().iter().enumerate() {
            let Some(c) = c.obj() else { continue };
            let index = c.index().as_i64().unwrap_or(i as i64);
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
            if let Some(r) = c.finish_reason().str() {
                choice.finish_reason = Some(r.to_string());
            }
            let Some(c) = c.content().filter(|_| self.capture) else {
                continue;
            };
            let budget = &mut self.budget;
            // Legacy completions stream `text`; chat streams a `delta`.
            if let Some(t) = c.text.str() {
                budget.push(&mut choice.text, t, d);
            }
            let Some(delta) = c.delta.obj() else {
                continue;
            };
            if let Some(role) = delta.role.string() {
                choice.role = Some(role);
            }
            if let Some(t) = delta.content.str() {
                budget.push(&mut choice.text, t, d);
            }
            if let Some(t) = delta
                .reasoning_content
                .str()
                .or_else(|| delta.reasoning.str())
            {
                budget.push(&mut choice.reasoning, t, d);
            }
            if let Some(t) = delta.refusal.str() {
                budget.push(&mut choice.refusal, t, d);
            }
            for (j, call) in delta.tool_calls.items().iter().enumerate() {
                let Some(call) = call.obj() else {
                    continue;
                };
                let index = call.index.as_i64().unwrap_or(j as i64);
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
                if let Some(id) = call.id.string() {
                    acc.id = Some(id);
                }
                if let Some(f) = call.function.obj() {
                    if let Some(name) = f.name.str()
                        && acc.name.is_empty()
                    {
                        acc.name = name.to_string();
                    }
                    if let Some(a) = f.arguments.str() {
                        budget.push(&mut acc.arguments, a, d);
                    }
                }
            }
        }
    }

    fn finish(mut self) -> ParsedResponse {
        let mut out = std::mem::take(&mut self.out);
        self.choices.sort_by_key(|c| c.index);
        out.response.finish_reasons =
            positional_reasons(self.choices.iter().map(|c| c.finish_reason.clone()));
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

    /// Handles one event (`data`: its JSON, read again for the captured output).
    fn on_event(&mut self, event: Option<&str>, m: &ResponsesEvent<'_>, data: &str) {
        let d = &mut self.out.diagnostics;
        match m.kind.str().or(event) {
            Some("response.created" | "response.in_progress" | "response.queued") => {
                if let Some(r) = m.response.obj() {
                    if self.out.response.id.is_none() {
                        self.out.response.id = r.id.shared();
                    }
                    if self.out.response.model.is_none() {
                        self.out.response.model = r.model.shared();
                    }
                    self.out.response.status = r.status.shared();
                }
            }
            Some("response.output_text.delta") if self.capture && !self.final_seen => {
                let index = m.output_index.as_i64().unwrap_or(0);
                let Some(delta) = m.delta.str() else {
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
                match m.response.obj() {
                    Some(r) => {
                        let reason = responses_response(r, &mut self.out);
                        if self.capture
                            && let Some(Value::Object(r)) = content_object(data.as_bytes())
                                .and_then(|mut v| v.remove("response"))
                        {
                            responses_output(&r, reason.as_deref(), &mut self.out);
                        }
                        self.final_seen = true;
                    }
                    None => diagnose(d, "final response event without a response"),
                }
                self.terminal = true;
            }
            Some("error") => {
                self.out.error = Some(embedded_error(&m.error).unwrap_or_else(|| {
                    ErrorInfo {
                        error_type: m
                            .code
                            .string()
                            .unwrap_or_else(|| crate::semconv::ERROR_TYPE_OTHER.to_string()),
                        message: m.message.string(),
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
#[path = "stream_tests.rs"]
mod tests;
