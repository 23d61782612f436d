//! Typed content recording on [`tracing::Span`].

use serde_json::Value;

use super::messages::{ChatMessage, MessagePart, OutputMessage, ToolDefinition};
use super::{OutputAccumulator, SpanContent};
use crate::span_ext::GenAiSpanExt;

/// Records message content on a GenAI span. Content is kept only when content capture is
/// enabled (nothing is cloned otherwise) and exported when the span closes, after redaction,
/// secret scrubbing and size limits.
///
/// Each method returns whether the content was kept (`false`: not a GenAI span, capture off,
/// or opted out for this call).
///
/// ```
/// use tracing_genai::content::{ChatMessage, GenAiContentExt, MessagePart, OutputMessage};
///
/// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
/// span.record_system_instructions(&[MessagePart::text("You are terse.")]);
/// span.record_input_messages(&[ChatMessage::user("Weather in Paris?")]);
/// span.record_output_messages(&[OutputMessage::assistant("Sunny.", "stop")]);
/// ```
pub trait GenAiContentExt {
    /// `gen_ai.input.messages`.
    fn record_input_messages(&self, messages: &[ChatMessage]) -> bool;
    /// `gen_ai.output.messages`.
    fn record_output_messages(&self, messages: &[OutputMessage]) -> bool;
    /// `gen_ai.output.messages` from a stream accumulator (see [`OutputAccumulator`]).
    fn record_output_stream(&self, accumulator: OutputAccumulator) -> bool;
    /// `gen_ai.system_instructions`.
    fn record_system_instructions(&self, parts: &[MessagePart]) -> bool;
    /// `gen_ai.tool.definitions`.
    fn record_tool_definitions(&self, tools: &[ToolDefinition]) -> bool;
    /// `gen_ai.tool.call.arguments` (a JSON object; other values are exported as
    /// `{"result": value}`).
    fn record_tool_call_arguments(&self, arguments: &Value) -> bool;
    /// `gen_ai.tool.call.result` (a JSON object; other values are exported as
    /// `{"result": value}`).
    fn record_tool_call_result(&self, result: &Value) -> bool;
    /// Turns content capture off for this span: nothing recorded before or after is exported.
    ///
    /// ```
    /// use tracing_genai::content::GenAiContentExt;
    /// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    /// span.disable_content_capture();
    /// ```
    fn disable_content_capture(&self) -> bool;
    /// Whether content recorded on this span would be kept: it is a GenAI span known to an
    /// installed layer, content capture is on, and it was not
    /// [disabled](Self::disable_content_capture) for this span. Use it to skip building
    /// messages (parsing, cloning, converting) that would be thrown away.
    ///
    /// ```
    /// use opentelemetry::trace::TracerProvider as _;
    /// use tracing_subscriber::layer::SubscriberExt;
    /// use tracing_genai::content::{ChatMessage, ContentCapture, GenAiContentExt};
    ///
    /// let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    /// let layer = tracing_genai::layer()
    ///     .with_tracer(provider.tracer("app"))
    ///     .with_content_capture(ContentCapture::SpanOnly);
    /// tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
    ///     let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    ///     if span.captures_content() {
    ///         span.record_input_messages(&[ChatMessage::user("Weather in Paris?")]);
    ///     }
    ///     assert!(span.captures_content());
    ///     span.disable_content_capture();
    ///     assert!(!span.captures_content());
    /// });
    /// // No layer installed: nothing is captured.
    /// assert!(!tracing_genai::genai_span!("chat", "openai", "gpt-4o").captures_content());
    /// ```
    fn captures_content(&self) -> bool;
}

fn with_content(span: &tracing::Span, f: impl FnOnce(&mut SpanContent)) -> bool {
    let mut kept = false;
    span.with_genai_state(|state| {
        if let Some(c) = state.content.as_mut() {
            f(c);
            kept = true;
        }
    });
    kept
}

impl GenAiContentExt for tracing::Span {
    fn record_input_messages(&self, messages: &[ChatMessage]) -> bool {
        with_content(self, |c| c.input_messages = Some(messages.to_vec()))
    }

    fn record_output_messages(&self, messages: &[OutputMessage]) -> bool {
        with_content(self, |c| c.output_messages = Some(messages.to_vec()))
    }

    fn record_output_stream(&self, accumulator: OutputAccumulator) -> bool {
        with_content(self, |c| c.output_messages = Some(accumulator.finish()))
    }

    fn record_system_instructions(&self, parts: &[MessagePart]) -> bool {
        with_content(self, |c| c.system_instructions = Some(parts.to_vec()))
    }

    fn record_tool_definitions(&self, tools: &[ToolDefinition]) -> bool {
        with_content(self, |c| c.tool_definitions = Some(tools.to_vec()))
    }

    fn record_tool_call_arguments(&self, arguments: &Value) -> bool {
        with_content(self, |c| c.tool_call_arguments = Some(arguments.clone()))
    }

    fn record_tool_call_result(&self, result: &Value) -> bool {
        with_content(self, |c| c.tool_call_result = Some(result.clone()))
    }

    fn disable_content_capture(&self) -> bool {
        self.with_genai_state(|state| state.content = None)
    }

    fn captures_content(&self) -> bool {
        let mut captures = false;
        self.with_genai_state(|state| captures = state.content.is_some());
        captures
    }
}
