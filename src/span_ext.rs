//! [`GenAiSpanExt`]: the one extension trait on [`tracing::Span`] (typed facts, errors,
//! retries, message content).
//!
//! `tracing` fixes a span's field names when the span is created (they are part of its static
//! callsite metadata), so `span.record("gen_ai.usage.input_tokens", 12)` is silently ignored
//! unless the span declared that field, usually as `tracing::field::Empty`. The methods here do
//! not have that limitation: they write to the GenAI layer's record of the span directly, so
//! they work whether or not the field was declared. [`genai_span!`](crate::genai_span) declares
//! the common fields for you when you prefer `span.record`.

use std::time::{Duration, SystemTime};

use opentelemetry::KeyValue;
use serde_json::Value;

use crate::content::SpanContent;
use crate::content::{ChatMessage, MessagePart, OutputAccumulator, OutputMessage, ToolDefinition};
use crate::layer::WithState;
use crate::model::{ErrorInfo, Evaluation, FieldValue, GenAiField, GenAiSpan, SpanEvent};
use crate::record::SpanRecord;
use crate::record::capture::apply;
use crate::record::raw::Raw;
use crate::semconv as sc;

/// Typed GenAI recording on a [`tracing::Span`].
///
/// Each method returns whether the span is a GenAI span known to an installed
/// [`GenAiLayer`](crate::GenAiLayer) (otherwise it does nothing); the content methods return
/// whether the content was kept.
///
/// ```
/// use tracing_genai::GenAiSpanExt;
///
/// let span = tracing::info_span!("llm", gen_ai.operation.name = "chat", gen_ai.request.model = "gpt-4o");
/// // ... call the model ...
/// span.record_token_usage(12, 30);
/// span.record_finish_reasons(["stop"]);
/// ```
///
/// # Errors
///
/// [`record_genai_error`](Self::record_genai_error) and
/// [`record_error_type`](Self::record_error_type) mark the call failed: `error.type`, the
/// `exception` event and an error status.
///
/// # Retries
///
/// The conventions let one span cover a call's retries. Call
/// [`record_retry`](Self::record_retry) when an attempt failed and another one is about to
/// start: it adds a `tracing_genai.retry` event with `tracing_genai.retry.attempt` (the attempt
/// about to start: 2 for the first retry), `tracing_genai.retry.delay` (seconds waited before
/// it), `tracing_genai.retry.reason` (e.g. `HTTP 429, Retry-After: 2`) and the failed attempt's
/// `error.type` if one was recorded. It then clears the span's error, so the span's status and
/// `error.type` reflect the **last** attempt: a retry that succeeds leaves the span OK; record
/// the final failure as usual if the last attempt fails.
/// [`record_retry_after_error`](Self::record_retry_after_error) takes the failed attempt's
/// `error.type` as an argument instead, for retry code that did not record it on the span.
///
/// ```
/// use std::time::Duration;
/// use tracing_genai::GenAiSpanExt;
///
/// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
/// span.record_error_type("429", Some("rate limited"));
/// span.record_retry(2, Duration::from_secs(2), "HTTP 429, Retry-After: 2");
/// // ... the second attempt succeeds: the span ends OK, with one retry event.
/// ```
///
/// # Message content
///
/// Content is kept only when content capture is enabled (nothing is cloned otherwise) and
/// exported when the span closes, after redaction, secret scrubbing and size limits (see
/// [`content`](crate::content)).
///
/// ```
/// use tracing_genai::GenAiSpanExt;
/// use tracing_genai::content::{ChatMessage, MessagePart, OutputMessage};
///
/// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
/// span.record_system_instructions(&[MessagePart::text("You are terse.")]);
/// span.record_input_messages(&[ChatMessage::user("Weather in Paris?")]);
/// span.record_output_messages(&[OutputMessage::assistant("Sunny.", "stop")]);
/// ```
pub trait GenAiSpanExt {
    /// Records any GenAI fact, validated like a span field of that name.
    ///
    /// ```
    /// use tracing_genai::{GenAiField, GenAiSpanExt};
    ///
    /// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    /// span.record_genai(GenAiField::Temperature, 0.2);
    /// ```
    fn record_genai(&self, field: GenAiField, value: impl Into<FieldValue>) -> bool;

    /// Records input and output token counts.
    ///
    /// ```
    /// use tracing_genai::GenAiSpanExt;
    ///
    /// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    /// span.record_token_usage(12, 30);
    /// ```
    fn record_token_usage(&self, input_tokens: u64, output_tokens: u64) -> bool;

    /// Records the finish reasons (`gen_ai.response.finish_reasons`).
    ///
    /// ```
    /// use tracing_genai::GenAiSpanExt;
    ///
    /// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    /// span.record_finish_reasons(["stop"]);
    /// ```
    fn record_finish_reasons<I, T>(&self, reasons: I) -> bool
    where
        I: IntoIterator<Item = T>,
        T: Into<String>;

    /// Marks the call failed with `error`: `error.type` becomes the error's type name (last path
    /// segment, e.g. `ApiError`) unless one was recorded already, and the message (with its
    /// source chain) goes to the `exception` event and the span status. Return the error to
    /// your caller as usual; this only observes it.
    ///
    /// ```
    /// use tracing_genai::GenAiSpanExt;
    ///
    /// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    /// span.record_genai_error(&std::io::Error::other("connection reset"));
    /// ```
    fn record_genai_error<E>(&self, error: &E) -> bool
    where
        E: std::error::Error + 'static;

    /// Marks the call failed with a low-cardinality class such as a provider error code
    /// (`rate_limit_exceeded`) or HTTP status (`429`), and an optional message.
    ///
    /// ```
    /// use tracing_genai::GenAiSpanExt;
    ///
    /// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    /// span.record_error_type("rate_limit_exceeded", Some("slow down"));
    /// ```
    fn record_error_type(&self, error_type: &str, message: Option<&str>) -> bool;

    /// Records that attempt `attempt` starts after waiting `delay` because of `reason` (see
    /// [Retries](Self#retries)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tracing_genai::GenAiSpanExt;
    ///
    /// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    /// span.record_retry(2, Duration::from_secs(1), "HTTP 503");
    /// ```
    fn record_retry(&self, attempt: u32, delay: Duration, reason: &str) -> bool;

    /// Like [`record_retry`](Self::record_retry), for code that knows why the previous attempt
    /// failed without having recorded it on the span (a retry middleware, a retry loop):
    /// `previous_error_type` becomes the event's `error.type` (instead of the error recorded
    /// on the span, which is cleared all the same).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tracing_genai::GenAiSpanExt;
    ///
    /// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    /// span.record_retry_after_error(2, Duration::from_millis(500), "HTTP 503", "503");
    /// // ... the second attempt succeeds: the span ends OK, with one retry event whose
    /// // `error.type` is `503`.
    /// ```
    fn record_retry_after_error(
        &self,
        attempt: u32,
        delay: Duration,
        reason: &str,
        previous_error_type: &str,
    ) -> bool;

    /// `gen_ai.input.messages`.
    ///
    /// ```
    /// use tracing_genai::GenAiSpanExt;
    /// use tracing_genai::content::ChatMessage;
    ///
    /// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    /// span.record_input_messages(&[ChatMessage::user("Weather in Paris?")]);
    /// ```
    fn record_input_messages(&self, messages: &[ChatMessage]) -> bool;

    /// `gen_ai.output.messages`.
    ///
    /// ```
    /// use tracing_genai::GenAiSpanExt;
    /// use tracing_genai::content::OutputMessage;
    ///
    /// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    /// span.record_output_messages(&[OutputMessage::assistant("Sunny.", "stop")]);
    /// ```
    fn record_output_messages(&self, messages: &[OutputMessage]) -> bool;

    /// `gen_ai.output.messages` from a stream accumulator (see [`OutputAccumulator`]).
    ///
    /// ```
    /// use tracing_genai::GenAiSpanExt;
    /// use tracing_genai::content::OutputAccumulator;
    ///
    /// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    /// let mut output = OutputAccumulator::new();
    /// output.push_text(0, "Sun");
    /// output.push_text(0, "ny.");
    /// span.record_output_stream(output);
    /// ```
    fn record_output_stream(&self, accumulator: OutputAccumulator) -> bool;

    /// `gen_ai.system_instructions`.
    ///
    /// ```
    /// use tracing_genai::GenAiSpanExt;
    /// use tracing_genai::content::MessagePart;
    ///
    /// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    /// span.record_system_instructions(&[MessagePart::text("You are terse.")]);
    /// ```
    fn record_system_instructions(&self, parts: &[MessagePart]) -> bool;

    /// `gen_ai.tool.definitions`.
    ///
    /// ```
    /// use tracing_genai::GenAiSpanExt;
    /// use tracing_genai::content::ToolDefinition;
    ///
    /// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    /// span.record_tool_definitions(&[ToolDefinition::function("get_weather")]);
    /// ```
    fn record_tool_definitions(&self, tools: &[ToolDefinition]) -> bool;

    /// `gen_ai.tool.call.arguments` (a JSON object; other values are exported as
    /// `{"result": value}`).
    ///
    /// ```
    /// use tracing_genai::GenAiSpanExt;
    ///
    /// let span = tracing_genai::tool_span!("get_weather");
    /// span.record_tool_call_arguments(&serde_json::json!({"city": "Paris"}));
    /// ```
    fn record_tool_call_arguments(&self, arguments: &Value) -> bool;

    /// `gen_ai.tool.call.result` (a JSON object; other values are exported as
    /// `{"result": value}`).
    ///
    /// ```
    /// use tracing_genai::GenAiSpanExt;
    ///
    /// let span = tracing_genai::tool_span!("get_weather");
    /// span.record_tool_call_result(&serde_json::json!({"temperature": 21}));
    /// ```
    fn record_tool_call_result(&self, result: &Value) -> bool;

    /// Turns content capture off for this span: nothing recorded before or after is exported.
    ///
    /// ```
    /// use tracing_genai::GenAiSpanExt;
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
    /// use tracing_genai::GenAiSpanExt;
    /// use tracing_genai::content::{ChatMessage, ContentCapture};
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

    /// Records the result of evaluating this span's output (`gen_ai.evaluation.result`),
    /// emitted with the span's trace and span ids when the span closes (then the span's
    /// `gen_ai.response.id` is added too): a log record when the layer has a logger provider,
    /// else a span event (see [`EventTarget`](crate::EventTarget)). Record it before the span
    /// closes; evaluations made later belong to a span of their own.
    ///
    /// ```
    /// use tracing_genai::{Evaluation, GenAiSpanExt};
    ///
    /// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    /// span.record_evaluation(Evaluation::new("relevance").with_score_value(0.9).with_score_label("relevant"));
    /// ```
    fn record_evaluation(&self, evaluation: Evaluation) -> bool;

    /// Runs `f` on the span's GenAI state (for integrations that need more than the methods
    /// above: [`GenAiSpan::record_error`], [`GenAiSpan::add_diagnostic`], the usage, ...).
    ///
    /// ```
    /// use tracing_genai::GenAiSpanExt;
    ///
    /// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    /// span.with_genai_state(|state| state.add_diagnostic("request body is not JSON"));
    /// ```
    fn with_genai_state(&self, f: impl FnOnce(&mut GenAiSpan)) -> bool;
}

/// Runs `f` on the record of `span`, if it is a GenAI span known to an installed layer.
pub(crate) fn with_record(span: &tracing::Span, f: impl FnOnce(&mut SpanRecord)) -> bool {
    let mut f = Some(f);
    let mut applied = false;
    span.with_subscriber(|(id, dispatch)| {
        if let Some(with) = dispatch.downcast_ref::<WithState>() {
            // Recorded outside the span's own scope: the call may outlive its last exit.
            let outside = dispatch.current_span().id() != Some(id);
            with.with(dispatch, id, &mut |state| {
                state.end_at_close |= outside;
                if let Some(f) = f.take() {
                    f(state);
                    state.note_error(|| outside);
                    applied = true;
                }
            });
        }
    });
    applied
}

fn with_content(span: &tracing::Span, f: impl FnOnce(&mut SpanContent)) -> bool {
    let mut kept = false;
    with_record(span, |state| {
        if let Some(c) = state.content.as_mut() {
            f(c);
            kept = true;
        }
    });
    kept
}

/// Adds the retry event; `previous` overrides the error recorded on the span.
fn retry_event(
    span: &tracing::Span,
    attempt: u32,
    delay: Duration,
    reason: &str,
    previous: Option<&str>,
) -> bool {
    span.with_genai_state(|s| {
        let mut attributes = vec![
            KeyValue::new(sc::TG_RETRY_ATTEMPT, i64::from(attempt)),
            KeyValue::new(sc::TG_RETRY_DELAY, delay.as_secs_f64()),
            KeyValue::new(sc::TG_RETRY_REASON, reason.to_string()),
        ];
        let recorded = s.error.take().map(|e| e.error_type);
        let previous = previous
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .or(recorded);
        if let Some(error_type) = previous {
            attributes.push(KeyValue::new(sc::ERROR_TYPE, error_type));
        }
        s.otel.status_error = false;
        s.events.push(SpanEvent {
            name: sc::EVENT_RETRY.into(),
            time: SystemTime::now(),
            attributes,
        });
    })
}

impl GenAiSpanExt for tracing::Span {
    fn record_genai(&self, field: GenAiField, value: impl Into<FieldValue>) -> bool {
        let value = value.into();
        with_record(self, |state| {
            apply(state, field, field.key(), Raw::from(&value));
        })
    }

    fn record_token_usage(&self, input_tokens: u64, output_tokens: u64) -> bool {
        // (These helpers change nothing the span was given at start: `with_record`, not
        // `with_genai_state`, which must save those values first.)
        with_record(self, |state| {
            state.usage.input_tokens = Some(input_tokens);
            state.usage.output_tokens = Some(output_tokens);
        })
    }

    fn record_finish_reasons<I, T>(&self, reasons: I) -> bool
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        let reasons: Vec<String> = reasons.into_iter().map(Into::into).collect();
        with_record(self, |state| state.response.finish_reasons = Some(reasons))
    }

    fn record_genai_error<E>(&self, error: &E) -> bool
    where
        E: std::error::Error + 'static,
    {
        let info = ErrorInfo::from_error(error);
        with_record(self, |state| {
            state.record_error(Some(info.error_type), info.message)
        })
    }

    fn record_error_type(&self, error_type: &str, message: Option<&str>) -> bool {
        with_record(self, |state| {
            state.error = None;
            state.record_error(Some(error_type.to_string()), message.map(str::to_string))
        })
    }

    fn record_retry(&self, attempt: u32, delay: Duration, reason: &str) -> bool {
        retry_event(self, attempt, delay, reason, None)
    }

    fn record_retry_after_error(
        &self,
        attempt: u32,
        delay: Duration,
        reason: &str,
        previous_error_type: &str,
    ) -> bool {
        retry_event(self, attempt, delay, reason, Some(previous_error_type))
    }

    fn record_input_messages(&self, messages: &[ChatMessage]) -> bool {
        with_content(self, |c| {
            c.input_messages = Some(messages.to_vec());
            c.legacy_input = false;
        })
    }

    fn record_output_messages(&self, messages: &[OutputMessage]) -> bool {
        with_content(self, |c| {
            c.output_messages = Some(messages.to_vec());
            c.legacy_output = false;
        })
    }

    fn record_output_stream(&self, accumulator: OutputAccumulator) -> bool {
        with_content(self, |c| {
            c.output_messages = Some(accumulator.finish());
            c.legacy_output = false;
        })
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
        with_record(self, |state| state.content = None)
    }

    fn captures_content(&self) -> bool {
        let mut captures = false;
        with_record(self, |state| captures = state.content.is_some());
        captures
    }

    fn record_evaluation(&self, evaluation: Evaluation) -> bool {
        with_record(self, |state| state.evaluations.push(evaluation))
    }

    fn with_genai_state(&self, f: impl FnOnce(&mut GenAiSpan)) -> bool {
        with_record(self, |state| {
            // `f` may change what the span was given at start: those values are kept first.
            state.before_change();
            f(state)
        })
    }
}
