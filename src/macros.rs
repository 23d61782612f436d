//! The span macros: one per GenAI operation a caller opens a span for.
//!
//! They are macros, not functions, so the spans get the caller's module as their target (and
//! `EnvFilter` directives for your crate apply to them). All declare `error.type` so it can be
//! recorded later; agent and workflow runs report their total usage, cost and call counts when
//! they close (see the roll-up rules in the crate docs).

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

/// Creates an `INFO` span for a tool execution: `execute_tool {name}`, kind `INTERNAL`, with
/// `gen_ai.tool.name` and an empty `error.type`. Extra fields use the syntax of
/// `tracing::info_span!`; for a tool call the model requested, give its id and type:
///
/// ```
/// // A tool call as returned by the model: {"id": "call_abc", "name": "get_weather", ...}
/// let (id, name) = ("call_abc", "get_weather");
/// let span = tracing_genai::tool_span!(
///     name,
///     gen_ai.tool.call.id = id,
///     gen_ai.tool.type = "function",
///     gen_ai.tool.description = "Current weather",
/// );
/// let _guard = span.enter();
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

/// Creates an `INFO` span for a workflow run: `invoke_workflow {name}`, kind `INTERNAL`.
/// Usage and cost of the calls below it roll up onto it.
///
/// ```
/// let span = tracing_genai::workflow_span!("trip_planning", gen_ai.conversation.id = "conv-1");
/// let _guard = span.enter();
/// ```
#[macro_export]
macro_rules! workflow_span {
    ($name:expr, $($fields:tt)*) => {
        $crate::__private::tracing::info_span!(
            "invoke_workflow",
            gen_ai.operation.name = "invoke_workflow",
            gen_ai.workflow.name = $name,
            error.type = $crate::__private::tracing::field::Empty,
            $($fields)*
        )
    };
    ($name:expr) => { $crate::workflow_span!($name,) };
}

/// Creates an `INFO` span for the creation of an agent: `create_agent {name}`, kind `CLIENT`
/// (a remote agent service), with `gen_ai.agent.name`, and empty `gen_ai.agent.id` to record
/// once the service returned it.
///
/// ```
/// let span = tracing_genai::create_agent_span!("travel_planner", gen_ai.provider.name = "azure.ai.inference");
/// span.record("gen_ai.agent.id", "asst_123");
/// ```
#[macro_export]
macro_rules! create_agent_span {
    ($name:expr, $($fields:tt)*) => {
        $crate::__private::tracing::info_span!(
            "create_agent",
            gen_ai.operation.name = "create_agent",
            gen_ai.agent.name = $name,
            gen_ai.agent.id = $crate::__private::tracing::field::Empty,
            error.type = $crate::__private::tracing::field::Empty,
            $($fields)*
        )
    };
    ($name:expr) => { $crate::create_agent_span!($name,) };
}
