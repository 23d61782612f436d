//! Per-span accounting done when a GenAI span closes: its cost (from the
//! [`PriceTable`](crate::cost::PriceTable)), the roll-up of its usage and cost into the enclosing
//! agent or workflow run, and the inference/tool call counts of agent runs.
//!
//! # Roll-up rules
//!
//! - Token usage (`gen_ai.usage.*`) and cost of a closing span are **added** to its nearest
//!   ancestor `invoke_agent` or `invoke_workflow` span, so that span exports the totals of its
//!   whole run as its own `gen_ai.usage.*` and `gen_ai.usage.cost` (plus whatever usage was
//!   recorded on it directly). When that run span closes it rolls up the same way, so nested
//!   runs are totalled without counting anything twice.
//! - Each inference (`chat`, `text_completion`, `generate_content`) and `execute_tool` span
//!   counts once towards its nearest `invoke_agent` ancestor (calls of sub-agents count for the
//!   sub-agent, as the conventions say), exported as `tracing_genai.agent.inference_calls` /
//!   `tracing_genai.agent.tool_calls` and the `gen_ai.invoke_agent.*_calls` metrics.
//! - Agent and workflow spans are never priced themselves (their usage is the sum of priced
//!   calls); the `gen_ai.client.token.usage` metric is not recorded for them either.
//! - A child that outlives its agent span (a detached task) is not rolled up.

use opentelemetry::KeyValue;
use tracing_core::Subscriber;
use tracing_subscriber::registry::{LookupSpan, SpanRef};

use crate::cost::PriceTable;
use crate::model::Operation;
use crate::record::SpanRecord;
use crate::semconv as sc;

fn is_run(op: Option<&Operation>) -> bool {
    matches!(
        op,
        Some(Operation::InvokeAgent) | Some(Operation::InvokeWorkflow)
    )
}

/// Prices the call, rolls it up into its ancestors and adds the extension attributes.
/// Called by the layer when a GenAI span closes, before its attributes are built.
#[inline]
pub(crate) fn on_close<S>(
    state: &mut SpanRecord,
    span: &SpanRef<'_, S>,
    prices: Option<&PriceTable>,
) where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let run = is_run(state.operation.as_ref());
    if let Some(table) = prices
        && !run
        && state.usage.has_tokens()
    {
        price(state, table);
    }
    rollup(state, span);
    export(state, run);
}

fn price(state: &mut SpanRecord, table: &PriceTable) {
    let (span, accounting) = state.split_mut();
    let models: Vec<&str> = [&span.response.model, &span.request.model]
        .into_iter()
        .flatten()
        .map(|m| &**m)
        .collect();
    match table.cost(&span.usage, &models) {
        Some(cost) => accounting.own_cost = Some(cost),
        None => {
            table.count_unpriced();
            accounting.unpriced = true;
            let model = models.first().copied().unwrap_or("<none>").to_string();
            span.add_diagnostic(format!(
                "no price for model {model:?} in the price table; cost not computed"
            ));
        }
    }
}

fn rollup<S>(state: &SpanRecord, span: &SpanRef<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let op = state.operation.as_ref();
    let counts_as_inference = op.is_some_and(Operation::is_inference);
    let counts_as_tool = matches!(op, Some(Operation::ExecuteTool));
    let cost = state.accounting.total_cost();
    let mut usage_done = !state.usage.has_tokens() && cost.is_none();
    let mut count_done = !(counts_as_inference || counts_as_tool);
    if usage_done && count_done {
        return;
    }
    // (A root span has no run to roll up into: no lookup then.)
    let Some(parent) = span.parent() else {
        return;
    };
    for ancestor in parent.scope() {
        let mut ext = ancestor.extensions_mut();
        let Some(parent) = ext.get_mut::<crate::record::Kept>() else {
            continue;
        };
        let parent_is_run = is_run(parent.operation.as_ref());
        let parent_is_agent = matches!(parent.operation, Some(Operation::InvokeAgent));
        if !usage_done && parent_is_run {
            parent.usage.add(&state.usage);
            if let Some(c) = cost {
                parent.accounting.rolled_cost =
                    Some(parent.accounting.rolled_cost.unwrap_or(0.0) + c);
            }
            usage_done = true;
        }
        if !count_done && parent_is_agent {
            if counts_as_inference {
                parent.accounting.inference_calls += 1;
            } else {
                parent.accounting.tool_calls += 1;
            }
            count_done = true;
        }
        if usage_done && count_done {
            break;
        }
    }
}

fn export(state: &mut SpanRecord, run: bool) {
    let acc = &state.accounting;
    // Nothing to add is the common case: no allocation then.
    let mut extra = Vec::new();
    if let Some(cost) = acc.total_cost() {
        extra.push(KeyValue::new(sc::GEN_AI_USAGE_COST, cost));
    }
    if run && matches!(state.operation, Some(Operation::InvokeAgent)) {
        extra.push(KeyValue::new(
            sc::TG_AGENT_INFERENCE_CALLS,
            i64::try_from(acc.inference_calls).unwrap_or(i64::MAX),
        ));
        extra.push(KeyValue::new(
            sc::TG_AGENT_TOOL_CALLS,
            i64::try_from(acc.tool_calls).unwrap_or(i64::MAX),
        ));
    }
    if acc.chunks > 0 || acc.cancelled {
        extra.push(KeyValue::new(
            sc::TG_STREAM_CHUNKS,
            i64::try_from(acc.chunks).unwrap_or(i64::MAX),
        ));
    }
    if acc.cancelled {
        extra.push(KeyValue::new(sc::TG_STREAM_CANCELLED, true));
    }
    state.provider_attributes.extend(extra);
}
