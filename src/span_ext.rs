//! Typed recording helpers on [`tracing::Span`], and the span macros.
//!
//! `tracing` fixes a span's field names when the span is created (they are part of its static
//! callsite metadata), so `span.record("gen_ai.usage.input_tokens", 12)` is silently ignored
//! unless the span declared that field, usually as `tracing::field::Empty`. The helpers here do
//! not have that limitation: they write to the GenAI layer's state for the span directly, so
//! they work whether or not the field was declared. [`genai_span!`](crate::genai_span) declares
//! the common fields for you when you prefer `span.record`.

use crate::capture::{apply, Raw};
use crate::fields::GenAiField;
use crate::layer::WithState;
use crate::state::GenAiSpan;
use crate::value::FieldValue;

/// Typed GenAI recording on a [`tracing::Span`].
///
/// Each method returns whether the span is a GenAI span known to an installed
/// [`GenAiLayer`](crate::GenAiLayer) (otherwise it does nothing).
///
/// ```
/// use tracing_genai::GenAiSpanExt;
///
/// let span = tracing::info_span!("llm", gen_ai.operation.name = "chat", gen_ai.request.model = "gpt-4o");
/// // ... call the model ...
/// span.record_token_usage(12, 30);
/// span.record_finish_reasons(["stop"]);
/// ```
pub trait GenAiSpanExt {
    /// Records any GenAI fact, validated like a span field of that name.
    fn record_genai(&self, field: GenAiField, value: impl Into<FieldValue>) -> bool;

    /// Records input and output token counts.
    fn record_token_usage(&self, input_tokens: u64, output_tokens: u64) -> bool;

    /// Records the finish reasons (`gen_ai.response.finish_reasons`).
    fn record_finish_reasons<I, T>(&self, reasons: I) -> bool
    where
        I: IntoIterator<Item = T>,
        T: Into<String>;

    /// Marks the call failed with `error`: `error.type` becomes the error's type name (last path
    /// segment, e.g. `ApiError`) unless one was recorded already, and the message (with its
    /// source chain) goes to the `exception` event and the span status. Return the error to
    /// your caller as usual; this only observes it.
    fn record_genai_error<E>(&self, error: &E) -> bool
    where
        E: std::error::Error + 'static;

    /// Marks the call failed with a low-cardinality class such as a provider error code
    /// (`rate_limit_exceeded`) or HTTP status (`429`), and an optional message.
    fn record_error_type(&self, error_type: &str, message: Option<&str>) -> bool;

    /// Runs `f` on the span's GenAI state (for integrations that need more than the helpers).
    fn with_genai_state(&self, f: impl FnOnce(&mut GenAiSpan)) -> bool;
}

impl GenAiSpanExt for tracing::Span {
    fn record_genai(&self, field: GenAiField, value: impl Into<FieldValue>) -> bool {
        let value = value.into();
        self.with_genai_state(|state| {
            let raw = match &value {
                FieldValue::Str(s) => Raw::Str(s),
                FieldValue::I64(v) => Raw::I64(*v),
                FieldValue::U64(v) => Raw::U64(*v),
                FieldValue::F64(v) => Raw::F64(*v),
                FieldValue::Bool(v) => Raw::Bool(*v),
            };
            apply(state, field, field.key(), raw);
        })
    }

    fn record_token_usage(&self, input_tokens: u64, output_tokens: u64) -> bool {
        self.with_genai_state(|state| {
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
        self.with_genai_state(|state| state.response.finish_reasons = Some(reasons))
    }

    fn record_genai_error<E>(&self, error: &E) -> bool
    where
        E: std::error::Error + 'static,
    {
        let type_name = short_type_name(std::any::type_name::<E>());
        let message = crate::capture::error_chain(error);
        self.with_genai_state(|state| state.set_error(Some(type_name), Some(message)))
    }

    fn record_error_type(&self, error_type: &str, message: Option<&str>) -> bool {
        self.with_genai_state(|state| {
            state.error = None;
            state.set_error(Some(error_type.to_string()), message.map(str::to_string))
        })
    }

    fn with_genai_state(&self, f: impl FnOnce(&mut GenAiSpan)) -> bool {
        let mut f = Some(f);
        let mut applied = false;
        self.with_subscriber(|(id, dispatch)| {
            if let Some(with) = dispatch.downcast_ref::<WithState>() {
                // Recorded outside the span's own scope: the call may outlive its last exit.
                let outside = dispatch.current_span().id() != Some(id);
                with.with(dispatch, id, &mut |state| {
                    state.otel.end_at_close |= outside;
                    if let Some(f) = f.take() {
                        f(state);
                        applied = true;
                    }
                });
            }
        });
        applied
    }
}

/// `my_crate::error::ApiError<T>` -> `ApiError`.
fn short_type_name(full: &str) -> String {
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base).to_string()
}

/// Creates an `INFO` span for a GenAI operation with the common fields declared, so that they
/// can be recorded later with `span.record(...)`.
///
/// `genai_span!(operation, provider, model, extra fields...)` declares
/// `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model` with the given values
/// and, empty: `gen_ai.usage.input_tokens`, `gen_ai.usage.output_tokens`,
/// `gen_ai.usage.cache_read.input_tokens`, `gen_ai.usage.reasoning.output_tokens`,
/// `gen_ai.response.id`, `gen_ai.response.model`, `gen_ai.response.finish_reasons`,
/// `error.type`. Extra fields use the syntax of `tracing::info_span!`.
///
/// ```
/// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o", gen_ai.request.temperature = 0.2);
/// span.record("gen_ai.usage.input_tokens", 12_u64);
/// span.record("gen_ai.response.finish_reasons", "stop");
/// ```
#[macro_export]
macro_rules! genai_span {
    ($operation:expr, $provider:expr, $model:expr, $($fields:tt)*) => {
        $crate::__private::tracing::info_span!(
            "gen_ai",
            gen_ai.operation.name = $operation,
            gen_ai.provider.name = $provider,
            gen_ai.request.model = $model,
            gen_ai.usage.input_tokens = $crate::__private::tracing::field::Empty,
            gen_ai.usage.output_tokens = $crate::__private::tracing::field::Empty,
            gen_ai.usage.cache_read.input_tokens = $crate::__private::tracing::field::Empty,
            gen_ai.usage.reasoning.output_tokens = $crate::__private::tracing::field::Empty,
            gen_ai.response.id = $crate::__private::tracing::field::Empty,
            gen_ai.response.model = $crate::__private::tracing::field::Empty,
            gen_ai.response.finish_reasons = $crate::__private::tracing::field::Empty,
            error.type = $crate::__private::tracing::field::Empty,
            $($fields)*
        )
    };
    // After the arm above, so that the added trailing comma cannot match this arm again.
    ($operation:expr, $provider:expr, $model:expr $(,)?) => {
        $crate::genai_span!($operation, $provider, $model,)
    };
}

/// Creates an `INFO` span for a tool execution: `execute_tool {name}`, kind `INTERNAL`.
///
/// ```
/// let span = tracing_genai::tool_span!("get_weather", gen_ai.tool.call.id = "call_1");
/// ```
#[macro_export]
macro_rules! tool_span {
    ($name:expr, $($fields:tt)*) => {
        $crate::__private::tracing::info_span!(
            "execute_tool",
            gen_ai.operation.name = "execute_tool",
            gen_ai.tool.name = $name,
            error.type = $crate::__private::tracing::field::Empty,
            $($fields)*
        )
    };
    // After the arm above, so that the added trailing comma cannot match this arm again.
    ($name:expr $(,)?) => { $crate::tool_span!($name,) };
}

/// Creates an `INFO` span for an in-process agent run: `invoke_agent {name}`, kind `INTERNAL`.
///
/// ```
/// let span = tracing_genai::agent_span!("travel_planner", gen_ai.agent.id = "agent-7");
/// ```
#[macro_export]
macro_rules! agent_span {
    ($name:expr, $($fields:tt)*) => {
        $crate::__private::tracing::info_span!(
            "invoke_agent",
            gen_ai.operation.name = "invoke_agent",
            gen_ai.agent.name = $name,
            error.type = $crate::__private::tracing::field::Empty,
            $($fields)*
        )
    };
    // After the arm above, so that the added trailing comma cannot match this arm again.
    ($name:expr $(,)?) => { $crate::agent_span!($name,) };
}

#[cfg(test)]
mod tests {
    use super::short_type_name;

    #[test]
    fn short_names() {
        assert_eq!(short_type_name("a::b::ApiError"), "ApiError");
        assert_eq!(short_type_name("a::Wrapper<b::C>"), "Wrapper");
        assert_eq!(short_type_name("std::io::Error"), "Error");
    }
}
