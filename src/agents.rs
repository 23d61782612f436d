//! Span macros for agents, workflows and tool calls (in addition to
//! [`agent_span!`](crate::agent_span) and [`tool_span!`](crate::tool_span)).
//!
//! They are macros, not functions, so the spans get the caller's module as their target (and
//! `EnvFilter` directives for your crate apply to them). All declare `error.type` so it can be
//! recorded later; agent runs report their total usage, cost and call counts when they close
//! (see the roll-up rules in the crate docs).

/// Creates an `INFO` span for the execution of a tool call the model requested, from the
/// call's **name** and **id**: `execute_tool {name}`, kind `INTERNAL`, with
/// `gen_ai.tool.name`, `gen_ai.tool.call.id` and `gen_ai.tool.type = "function"`. Extra fields
/// use the syntax of `tracing::info_span!`.
///
/// ```
/// // A tool call as returned by the model: {"id": "call_abc", "name": "get_weather", ...}
/// let (id, name) = ("call_abc", "get_weather");
/// let span = tracing_genai::tool_call_span!(name, id, gen_ai.tool.description = "Current weather");
/// let _guard = span.enter();
/// ```
#[macro_export]
macro_rules! tool_call_span {
    ($name:expr, $call_id:expr, $($fields:tt)*) => {
        $crate::__private::tracing::info_span!(
            "execute_tool",
            gen_ai.operation.name = "execute_tool",
            gen_ai.tool.name = $name,
            gen_ai.tool.call.id = $call_id,
            gen_ai.tool.type = "function",
            error.type = $crate::__private::tracing::field::Empty,
            $($fields)*
        )
    };
    ($name:expr, $call_id:expr) => { $crate::tool_call_span!($name, $call_id,) };
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
