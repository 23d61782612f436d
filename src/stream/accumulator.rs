//! [`StreamAccumulator`]: what the chunks of a stream reported.

use crate::content::OutputAccumulator;
use crate::model::{ErrorInfo, Usage};

/// What the chunks of a stream reported: usage, finish reasons, response id/model, the
/// output (text, reasoning, tool calls per choice, in an [`OutputAccumulator`]) and an error.
/// Filled by your per-chunk closure. When the stream ends, the output becomes the span's
/// `gen_ai.output.messages` if the span captures content (and costs only the appends if not).
///
/// ```
/// let mut acc = tracing_genai::stream::StreamAccumulator::default();
/// acc.output().push_text(0, "Hel");
/// acc.output().push_text(0, "lo");
/// acc.output_tokens(2);
/// acc.finish_reason("stop");
/// assert_eq!(acc.output().text(0), "Hello");
/// ```
#[derive(Clone, Debug, Default)]
pub struct StreamAccumulator {
    pub(super) usage: Usage,
    pub(super) finish_reasons: Vec<String>,
    pub(super) response_id: Option<String>,
    pub(super) response_model: Option<String>,
    pub(super) output: OutputAccumulator,
    pub(super) error: Option<(String, Option<String>)>,
    pub(super) complete: bool,
}

impl StreamAccumulator {
    /// Sets the input token count (providers report it in the first or last chunk).
    ///
    /// ```
    /// tracing_genai::stream::StreamAccumulator::default().input_tokens(12);
    /// ```
    pub fn input_tokens(&mut self, n: u64) -> &mut Self {
        self.usage.input_tokens = Some(n);
        self
    }

    /// Sets the output token count.
    ///
    /// ```
    /// tracing_genai::stream::StreamAccumulator::default().output_tokens(30);
    /// ```
    pub fn output_tokens(&mut self, n: u64) -> &mut Self {
        self.usage.output_tokens = Some(n);
        self
    }

    /// Adds to the output token count (for providers that send one token per chunk).
    ///
    /// ```
    /// let mut acc = tracing_genai::stream::StreamAccumulator::default();
    /// acc.add_output_tokens(1).add_output_tokens(1);
    /// assert_eq!(acc.usage().output_tokens, Some(2));
    /// ```
    pub fn add_output_tokens(&mut self, n: u64) -> &mut Self {
        let total = self.usage.output_tokens.unwrap_or(0).saturating_add(n);
        self.usage.output_tokens = Some(total);
        self
    }

    /// Sets every count `usage` has (the others are kept).
    ///
    /// ```
    /// let mut u = tracing_genai::Usage::default();
    /// u.cache_read_input_tokens = Some(8);
    /// tracing_genai::stream::StreamAccumulator::default().usage_from(&u);
    /// ```
    pub fn usage_from(&mut self, usage: &Usage) -> &mut Self {
        self.usage.overlay(usage);
        self
    }

    /// The usage reported so far.
    ///
    /// ```
    /// assert_eq!(tracing_genai::stream::StreamAccumulator::default().usage().input_tokens, None);
    /// ```
    pub fn usage(&self) -> &Usage {
        &self.usage
    }

    /// Adds a finish reason (one per choice).
    ///
    /// ```
    /// tracing_genai::stream::StreamAccumulator::default().finish_reason("stop");
    /// ```
    pub fn finish_reason(&mut self, reason: impl Into<String>) -> &mut Self {
        self.finish_reasons.push(reason.into());
        self
    }

    /// Sets the response id.
    ///
    /// ```
    /// tracing_genai::stream::StreamAccumulator::default().response_id("chatcmpl-1");
    /// ```
    pub fn response_id(&mut self, id: impl Into<String>) -> &mut Self {
        self.response_id = Some(id.into());
        self
    }

    /// Sets the response model.
    ///
    /// ```
    /// tracing_genai::stream::StreamAccumulator::default().response_model("gpt-4o-2024-08-06");
    /// ```
    pub fn response_model(&mut self, model: impl Into<String>) -> &mut Self {
        self.response_model = Some(model.into());
        self
    }

    /// The streamed output so far: push text, reasoning and tool-call deltas per choice.
    ///
    /// ```
    /// let mut acc = tracing_genai::stream::StreamAccumulator::default();
    /// acc.output().push_text(0, "Hi");
    /// assert_eq!(acc.output().text(0), "Hi");
    /// ```
    pub fn output(&mut self) -> &mut OutputAccumulator {
        &mut self.output
    }

    /// Marks the call failed with a low-cardinality `error.type` and a message.
    ///
    /// ```
    /// tracing_genai::stream::StreamAccumulator::default().error("overloaded_error", Some("server overloaded"));
    /// ```
    pub fn error(&mut self, error_type: &str, message: Option<&str>) -> &mut Self {
        self.error = Some((error_type.to_string(), message.map(str::to_string)));
        self
    }

    /// Marks the stream complete: the provider sent its terminal event (OpenAI's `[DONE]`,
    /// Anthropic's `message_stop`, a chunk with a finish reason your client treats as the
    /// end). A consumer that stops reading there and drops the stream has not cancelled
    /// the call: the span ends as a finished stream, without `error` in the finish reasons
    /// and without `tracing_genai.stream.cancelled`.
    ///
    /// ```
    /// let mut acc = tracing_genai::stream::StreamAccumulator::default();
    /// assert!(!acc.is_complete());
    /// acc.finish_reason("stop").mark_complete();
    /// assert!(acc.is_complete());
    /// ```
    pub fn mark_complete(&mut self) -> &mut Self {
        self.complete = true;
        self
    }

    /// Whether [`mark_complete`](Self::mark_complete) was called.
    ///
    /// ```
    /// assert!(!tracing_genai::stream::StreamAccumulator::default().is_complete());
    /// ```
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    pub(super) fn error_from<E: std::error::Error + 'static>(&mut self, e: &E) {
        let info = ErrorInfo::from_error(e);
        self.error = Some((info.error_type, info.message));
    }
}
