//! Per-span accounting done when a GenAI span closes: its cost (from the
//! [`PriceTable`]), the roll-up of its usage and cost into the enclosing
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

use std::sync::Arc;

use opentelemetry::KeyValue;
use tracing_core::Subscriber;
use tracing_subscriber::registry::{LookupSpan, SpanRef};

use crate::cost::PriceTable;
use crate::metrics::MetricsConfig;
use crate::semconv as sc;
use crate::state::{GenAiSpan, Operation, Usage};

/// Layer configuration for metrics, cost and field inheritance (one field of `LayerConfig`).
#[derive(Clone, Debug, Default)]
pub(crate) struct AccountingConfig {
    pub(crate) metrics: MetricsConfig,
    pub(crate) prices: Option<Arc<PriceTable>>,
    pub(crate) inherit: crate::inherit::InheritList,
}

/// Per-span counters kept next to the [`GenAiSpan`] state.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct SpanAccounting {
    /// Inference calls made by this agent run itself.
    pub(crate) inference_calls: u64,
    /// Tool calls made by this agent run itself.
    pub(crate) tool_calls: u64,
    /// Cost of this call itself (priced from its own usage).
    pub(crate) own_cost: Option<f64>,
    /// Cost rolled up from children.
    pub(crate) rolled_cost: Option<f64>,
    /// The table did not know the model of this call.
    pub(crate) unpriced: bool,
    /// Stream chunks received.
    pub(crate) chunks: u64,
    /// Seconds between consecutive chunks (for `time_per_output_chunk`), bounded.
    pub(crate) chunk_gaps: Vec<f64>,
    /// The stream was dropped by its consumer before it ended.
    pub(crate) cancelled: bool,
}

/// The most chunk gaps kept per span (the metric then sees the first ones only).
pub(crate) const MAX_CHUNK_GAPS: usize = 65_536;

impl SpanAccounting {
    pub(crate) fn total_cost(&self) -> Option<f64> {
        match (self.own_cost, self.rolled_cost) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        }
    }
}

fn is_run(op: Option<&Operation>) -> bool {
    matches!(
        op,
        Some(Operation::InvokeAgent) | Some(Operation::InvokeWorkflow)
    )
}

fn add(a: &mut Option<u64>, b: Option<u64>) {
    if let Some(b) = b {
        *a = Some(a.unwrap_or(0).saturating_add(b));
    }
}

fn add_usage(into: &mut Usage, from: &Usage) {
    add(&mut into.input_tokens, from.input_tokens);
    add(&mut into.output_tokens, from.output_tokens);
    add(
        &mut into.cache_read_input_tokens,
        from.cache_read_input_tokens,
    );
    add(
        &mut into.cache_creation_input_tokens,
        from.cache_creation_input_tokens,
    );
    add(
        &mut into.reasoning_output_tokens,
        from.reasoning_output_tokens,
    );
}

fn has_usage(u: &Usage) -> bool {
    u.input_tokens.is_some() || u.output_tokens.is_some()
}

/// Prices the call, rolls it up into its ancestors and adds the extension attributes.
/// Called by the layer when a GenAI span closes, before its attributes are built.
pub(crate) fn on_close<S>(state: &mut GenAiSpan, span: &SpanRef<'_, S>, config: &AccountingConfig)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let run = is_run(state.operation.as_ref());
    if let Some(table) = &config.prices {
        if !run && has_usage(&state.usage) {
            price(state, table);
        }
    }
    rollup(state, span);
    export(state, run);
}

fn price(state: &mut GenAiSpan, table: &PriceTable) {
    let models: Vec<&str> = [&state.response.model, &state.request.model]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    match table.cost(&state.usage, &models) {
        Some(cost) => state.accounting.own_cost = Some(cost),
        None => {
            table.count_unpriced();
            state.accounting.unpriced = true;
            let model = models.first().copied().unwrap_or("<none>").to_string();
            state.diagnose(format!(
                "no price for model {model:?} in the price table; cost not computed"
            ));
        }
    }
}

fn rollup<S>(state: &GenAiSpan, span: &SpanRef<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let op = state.operation.as_ref();
    let counts_as_inference = op.is_some_and(Operation::is_inference);
    let counts_as_tool = matches!(op, Some(Operation::ExecuteTool));
    let cost = state.accounting.total_cost();
    let mut usage_done = !has_usage(&state.usage) && cost.is_none();
    let mut count_done = !(counts_as_inference || counts_as_tool);
    if usage_done && count_done {
        return;
    }
    for ancestor in span.scope().skip(1) {
        let mut ext = ancestor.extensions_mut();
        let Some(parent) = ext.get_mut::<GenAiSpan>() else {
            continue;
        };
        let parent_op = parent.operation.as_ref();
        if !usage_done && is_run(parent_op) {
            add_usage(&mut parent.usage, &state.usage);
            if let Some(c) = cost {
                parent.accounting.rolled_cost =
                    Some(parent.accounting.rolled_cost.unwrap_or(0.0) + c);
            }
            usage_done = true;
        }
        if !count_done && matches!(parent_op, Some(Operation::InvokeAgent)) {
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

fn export(state: &mut GenAiSpan, run: bool) {
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
