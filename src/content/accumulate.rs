//! Accumulates streamed output (text, reasoning and tool-call deltas, per choice) into
//! [`OutputMessage`]s when the stream ends or is dropped.

use serde_json::Value;

use super::messages::{MessagePart, OutputMessage, Role};
use super::truncate::TRUNCATION_MARKER;

#[derive(Clone, Debug, Default)]
struct ToolCallBuf {
    index: usize,
    id: Option<String>,
    name: String,
    arguments: String,
}

#[derive(Clone, Debug, Default)]
struct Choice {
    text: String,
    reasoning: String,
    tool_calls: Vec<ToolCallBuf>,
    finish_reason: Option<String>,
}

/// Builds output messages from stream chunks.
///
/// Push deltas as they arrive; when the stream ends call [`finish`](Self::finish) (or, when the
/// stream was dropped or failed early, [`finish_interrupted`](Self::finish_interrupted)) and
/// record the messages with
/// [`GenAiSpanExt::record_output_stream`](crate::GenAiSpanExt::record_output_stream) (a
/// [`StreamAccumulator`](crate::stream::StreamAccumulator) does that for you).
/// Memory is bounded: deltas past the byte limit (default 256 KiB) are dropped and the text
/// is marked truncated. Pushing costs a string append; nothing is serialised before `finish`.
///
/// ```
/// use tracing_genai::content::OutputAccumulator;
///
/// let mut acc = OutputAccumulator::new();
/// acc.push_text(0, "Hel");
/// acc.push_text(0, "lo");
/// acc.push_tool_call(0, 0, Some("call_1"), Some("get_weather"), "{\"city\":");
/// acc.push_tool_call(0, 0, None, None, "\"Paris\"}");
/// acc.set_finish_reason(0, "tool_call");
/// let messages = acc.finish();
/// assert_eq!(
///     serde_json::to_string(&messages).unwrap(),
///     r#"[{"role":"assistant","parts":[{"type":"text","content":"Hello"},{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris"}}],"finish_reason":"tool_call"}]"#
/// );
/// ```
#[derive(Clone, Debug)]
pub struct OutputAccumulator {
    choices: Vec<Choice>,
    bytes: usize,
    limit: usize,
    truncated: bool,
}

impl Default for OutputAccumulator {
    fn default() -> Self {
        Self::with_limit(Self::DEFAULT_LIMIT)
    }
}

/// More choices than this are ignored (a bogus index must not allocate without bound).
const MAX_CHOICES: usize = 128;
/// More tool calls per choice than this are ignored.
const MAX_TOOL_CALLS: usize = 128;

impl OutputAccumulator {
    /// Default byte limit over all accumulated text.
    pub const DEFAULT_LIMIT: usize = 256 * 1024;

    /// An empty accumulator with the default limit.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty accumulator keeping at most `limit` bytes.
    ///
    /// ```
    /// let mut acc = tracing_genai::content::OutputAccumulator::with_limit(4);
    /// acc.push_text(0, "abcdef");
    /// assert!(acc.is_truncated());
    /// ```
    pub fn with_limit(limit: usize) -> Self {
        OutputAccumulator {
            choices: Vec::new(),
            bytes: 0,
            limit,
            truncated: false,
        }
    }

    fn choice(&mut self, index: usize) -> Option<&mut Choice> {
        if index >= MAX_CHOICES {
            return None;
        }
        if self.choices.len() <= index {
            self.choices.resize_with(index + 1, Choice::default);
        }
        self.choices.get_mut(index)
    }

    /// How much of `delta` fits, cut on a char boundary; marks truncation.
    fn admit<'a>(&mut self, delta: &'a str) -> &'a str {
        let room = self.limit.saturating_sub(self.bytes);
        if delta.len() <= room {
            self.bytes += delta.len();
            return delta;
        }
        self.truncated = true;
        let kept = crate::model::text::cut(delta, room);
        self.bytes += kept.len();
        kept
    }

    /// Appends text to choice `choice`.
    pub fn push_text(&mut self, choice: usize, delta: &str) {
        let delta = self.admit(delta);
        if let Some(c) = self.choice(choice) {
            c.text.push_str(delta);
        }
    }

    /// Appends reasoning text to choice `choice`.
    pub fn push_reasoning(&mut self, choice: usize, delta: &str) {
        let delta = self.admit(delta);
        if let Some(c) = self.choice(choice) {
            c.reasoning.push_str(delta);
        }
    }

    /// Adds to tool call `index` of choice `choice`: id and name when they arrive (first
    /// non-empty value wins), and an arguments fragment.
    pub fn push_tool_call(
        &mut self,
        choice: usize,
        index: usize,
        id: Option<&str>,
        name: Option<&str>,
        arguments_delta: &str,
    ) {
        let delta = self.admit(arguments_delta);
        let Some(c) = self.choice(choice) else {
            return;
        };
        let pos = match c.tool_calls.iter().position(|t| t.index == index) {
            Some(p) => p,
            None if c.tool_calls.len() < MAX_TOOL_CALLS => {
                c.tool_calls.push(ToolCallBuf {
                    index,
                    ..Default::default()
                });
                c.tool_calls.len() - 1
            }
            None => return,
        };
        let Some(t) = c.tool_calls.get_mut(pos) else {
            return;
        };
        if let Some(id) = id.filter(|s| !s.is_empty()) {
            t.id.get_or_insert_with(|| id.to_string());
        }
        if let Some(name) = name.filter(|s| !s.is_empty())
            && t.name.is_empty()
        {
            t.name = name.to_string();
        }
        t.arguments.push_str(delta);
    }

    /// Sets the finish reason of choice `choice` (as the provider says it).
    pub fn set_finish_reason(&mut self, choice: usize, reason: &str) {
        if let Some(c) = self.choice(choice) {
            c.finish_reason = Some(reason.to_string());
        }
    }

    /// The text of choice `choice` so far (empty for a choice nothing was pushed to).
    ///
    /// ```
    /// let mut acc = tracing_genai::content::OutputAccumulator::new();
    /// acc.push_text(1, "Hi");
    /// assert_eq!((acc.text(0), acc.text(1)), ("", "Hi"));
    /// ```
    pub fn text(&self, choice: usize) -> &str {
        self.choices.get(choice).map_or("", |c| c.text.as_str())
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.choices.is_empty()
    }

    /// Whether deltas were dropped because of the limit.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// The output messages of a completed stream; a choice without a finish reason gets
    /// `stop`.
    pub fn finish(self) -> Vec<OutputMessage> {
        self.build("stop")
    }

    /// The output messages of a stream that ended early (dropped or failed); a choice without a
    /// finish reason gets `error`.
    ///
    /// ```
    /// let mut acc = tracing_genai::content::OutputAccumulator::new();
    /// acc.push_text(0, "partial");
    /// assert_eq!(acc.finish_interrupted()[0].finish_reason, "error");
    /// ```
    pub fn finish_interrupted(self) -> Vec<OutputMessage> {
        self.build("error")
    }

    fn build(self, default_reason: &str) -> Vec<OutputMessage> {
        let truncated = self.truncated;
        self.choices
            .into_iter()
            .map(|mut c| {
                let mut parts = Vec::new();
                if truncated {
                    let target = if !c.text.is_empty() || c.reasoning.is_empty() {
                        &mut c.text
                    } else {
                        &mut c.reasoning
                    };
                    target.push_str(TRUNCATION_MARKER);
                }
                if !c.reasoning.is_empty() {
                    parts.push(MessagePart::Reasoning {
                        content: c.reasoning,
                    });
                }
                if !c.text.is_empty() {
                    parts.push(MessagePart::text(c.text));
                }
                c.tool_calls.sort_by_key(|t| t.index);
                for t in c.tool_calls {
                    let arguments = if t.arguments.trim().is_empty() {
                        None
                    } else {
                        Some(
                            serde_json::from_str::<Value>(&t.arguments)
                                .unwrap_or(Value::String(t.arguments)),
                        )
                    };
                    parts.push(MessagePart::ToolCall {
                        id: t.id,
                        name: t.name,
                        arguments,
                    });
                }
                OutputMessage::new(
                    Role::Assistant,
                    parts,
                    c.finish_reason
                        .unwrap_or_else(|| default_reason.to_string()),
                )
            })
            .collect()
    }
}
