//! Metrics recorded from the same GenAI spans, per the conventions' `gen-ai-metrics.yaml`.
//!
//! | instrument | unit | recorded for | attributes |
//! |---|---|---|---|
//! | `gen_ai.client.token.usage` (histogram, int) | `{token}` | calls with usage; once per `gen_ai.token.type` (`input`, `output`; `embeddings` input only) | common + `gen_ai.token.type` |
//! | `gen_ai.client.operation.duration` | `s` | every GenAI span except agents, workflows and tools | common + `error.type` on failure |
//! | `gen_ai.client.operation.time_to_first_chunk` | `s` | streamed calls | common |
//! | `gen_ai.client.operation.time_per_output_chunk` | `s` | each chunk after the first | common |
//! | `gen_ai.execute_tool.duration` | `s` | `execute_tool` | `gen_ai.tool.name`, `gen_ai.tool.type`, `gen_ai.agent.name`, `error.type` |
//! | `gen_ai.invoke_agent.duration` | `s` | `invoke_agent` | `gen_ai.agent.name`, `gen_ai.request.model`, `error.type` |
//! | `gen_ai.invoke_agent.inference_calls` (histogram, int) | `{inference_call}` | `invoke_agent` | `gen_ai.agent.name` |
//! | `gen_ai.invoke_agent.tool_calls` (histogram, int) | `{tool_call}` | `invoke_agent` | `gen_ai.agent.name` |
//! | `gen_ai.workflow.duration` | `s` | `invoke_workflow` | `gen_ai.workflow.name`, `error.type` |
//! | `tracing_genai.client.cost` (counter, double; our extension) | `{<currency>}` | priced calls | common |
//! | `tracing_genai.client.unpriced_calls` (counter; our extension) | `{call}` | calls the price table does not know | common |
//!
//!
//! That is the pinned conventions. With the latest ones
//! ([`Conventions`](crate::semconv::Conventions), the rows of
//! [`DIFFERENCES`](crate::semconv::DIFFERENCES)), instead:
//!
//! | instrument | unit | recorded for | attributes |
//! |---|---|---|---|
//! | `gen_ai.client.inference.usage.input_tokens`, `.output_tokens`, `.cache_read.input_tokens`, `.cache_write.input_tokens`, `.reasoning.output_tokens` (counters, int) | `{token}` | calls with that count (the client operations `gen_ai.client.token.usage` was recorded for, embeddings included, input only), never an add of 0 | common + `gen_ai.token.modality`: one add per reported modality with tokens, the rest of the total as `unknown` |
//! | `gen_ai.client.inference.operation.input_tokens`, `.output_tokens` (histograms, int) | `{token}` | the same calls | common |
//! | `gen_ai.client.inference.duration` | `s` | inference (`chat`, `text_completion`, `generate_content`); other client operations keep `gen_ai.client.operation.duration` | common + `error.type` on failure |
//! | `gen_ai.client.inference.time_to_first_chunk`, `gen_ai.client.inference.time_per_output_chunk` | `s` | as the pinned ones | common |
//! | `gen_ai.invoke_workflow.duration` | `s` | `invoke_workflow` | `gen_ai.workflow.name`, `error.type` |
//!
//! `Conventions::Both` records both sets (an unchanged instrument once).
//!
//! "common" is `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model`,
//! `gen_ai.response.model`, `server.address`, `server.port` (each when known). Metric
//! attributes are low-cardinality only: never ids, conversation ids or content.
//!
//! # Bucket boundaries
//!
//! The pinned `gen-ai-metrics.yaml` snapshot gives **no** bucket advice, so the boundaries are
//! those the published GenAI semantic-convention documents and the OpenTelemetry reference
//! instrumentations (`opentelemetry-util-genai`) use: [`TOKEN_BUCKETS`](crate::semconv::TOKEN_BUCKETS) for token usage and
//! [`DURATION_BUCKETS`](crate::semconv::DURATION_BUCKETS) for every histogram in seconds. The call-count histograms have no advice
//! anywhere; they use [`CALL_COUNT_BUCKETS`](crate::semconv::CALL_COUNT_BUCKETS) (our choice). A meter provider `View` can override
//! any of them.
//!
//! # Which meter
//!
//! By default the layer records through `opentelemetry::global::meter("tracing-genai")`,
//! resolved when the first GenAI span closes (install your global meter provider before
//! that, as `setup()` does); with no global provider that is a no-op meter. Use
//! [`GenAiLayer::with_meter`](crate::GenAiLayer::with_meter) for an explicit meter and `with_metrics(false)` to turn metrics
//! off.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use opentelemetry::metrics::{Counter, Histogram, Meter};
use opentelemetry::{KeyValue, StringValue};

use super::attributes::{operation_value, shared};
use crate::cost::PriceTable;
use crate::model::Operation;
use crate::record::SpanRecord;
use crate::semconv as sc;
use crate::semconv::{
    CALL_COUNT_BUCKETS, Conventions, DURATION_BUCKETS, Item, METER_NAME, TOKEN_BUCKETS,
};

#[derive(Clone, Debug, Default)]
enum Source {
    #[default]
    Global,
    Meter(Meter),
    Off,
}

/// Where metrics go; instruments are built once, lazily.
#[derive(Clone, Debug, Default)]
pub(crate) struct MetricsConfig {
    source: Source,
    instruments: Arc<OnceLock<Option<Instruments>>>,
}

#[derive(Debug)]
struct Instruments {
    /// Pinned `gen_ai.client.token.usage` (with `gen_ai.token.type`).
    token_usage: Option<Histogram<u64>>,
    /// Latest `gen_ai.client.inference.usage.*` counters (with `gen_ai.token.modality`).
    usage_counters: Option<UsageCounters>,
    /// Latest `gen_ai.client.inference.operation.{input,output}_tokens`.
    operation_tokens: Option<(Histogram<u64>, Histogram<u64>)>,
    /// `gen_ai.client.operation.duration`: every client operation that is not an inference.
    duration: Histogram<f64>,
    /// The duration of an inference, under each name the conventions give it.
    inference_duration: Vec<Histogram<f64>>,
    ttfc: Vec<Histogram<f64>>,
    tpoc: Vec<Histogram<f64>>,
    tool_duration: Histogram<f64>,
    agent_duration: Histogram<f64>,
    agent_inference_calls: Histogram<u64>,
    agent_tool_calls: Histogram<u64>,
    workflow_duration: Vec<Histogram<f64>>,
    cost: Counter<f64>,
    unpriced: Counter<u64>,
}

#[derive(Debug)]
struct UsageCounters {
    input: Counter<u64>,
    output: Counter<u64>,
    cache_read: Counter<u64>,
    cache_write: Counter<u64>,
    reasoning: Counter<u64>,
}

fn seconds(meter: &Meter, name: &'static str, description: &'static str) -> Histogram<f64> {
    meter
        .f64_histogram(name)
        .with_unit("s")
        .with_description(description)
        .with_boundaries(DURATION_BUCKETS.to_vec())
        .build()
}

/// A seconds histogram under each name `item` has in the conventions.
fn seconds_of(
    meter: &Meter,
    conventions: Conventions,
    item: Item,
    description: &'static str,
) -> Vec<Histogram<f64>> {
    conventions
        .names(item)
        .map(|name| seconds(meter, name, description))
        .collect()
}

fn tokens(meter: &Meter, name: &'static str, description: &'static str) -> Histogram<u64> {
    meter
        .u64_histogram(name)
        .with_unit("{token}")
        .with_description(description)
        .with_boundaries(TOKEN_BUCKETS.to_vec())
        .build()
}

fn token_counter(
    meter: &Meter,
    conventions: Conventions,
    item: Item,
    description: &'static str,
) -> Option<Counter<u64>> {
    conventions.name(item).map(|name| {
        meter
            .u64_counter(name)
            .with_unit("{token}")
            .with_description(description)
            .build()
    })
}

impl Instruments {
    fn new(meter: &Meter, currency: &str, conventions: Conventions) -> Self {
        let c = conventions;
        let counter = |item, description| token_counter(meter, c, item, description);
        let usage_counters = (|| {
            Some(UsageCounters {
                input: counter(Item::UsageInputTokensCounter, "Input tokens used.")?,
                output: counter(Item::UsageOutputTokensCounter, "Output tokens used.")?,
                cache_read: counter(
                    Item::UsageCacheReadInputTokensCounter,
                    "Input tokens served from a provider-managed cache.",
                )?,
                cache_write: counter(
                    Item::UsageCacheWriteInputTokensCounter,
                    "Input tokens written to a provider-managed cache.",
                )?,
                reasoning: counter(
                    Item::UsageReasoningOutputTokensCounter,
                    "Output tokens used for reasoning.",
                )?,
            })
        })();
        let operation_tokens = c
            .name(Item::OperationInputTokens)
            .zip(c.name(Item::OperationOutputTokens))
            .map(|(input, output)| {
                (
                    tokens(meter, input, "Input tokens per inference."),
                    tokens(meter, output, "Output tokens per inference."),
                )
            });
        let duration = seconds(
            meter,
            sc::METRIC_CLIENT_OPERATION_DURATION,
            "GenAI operation duration.",
        );
        // Under its old name the inference duration is the same instrument as `duration`.
        let inference_duration = c
            .names(Item::InferenceDuration)
            .map(|name| match name {
                sc::METRIC_CLIENT_OPERATION_DURATION => duration.clone(),
                name => seconds(meter, name, "GenAI inference duration."),
            })
            .collect();
        Instruments {
            token_usage: c
                .name(Item::TokenUsage)
                .map(|name| tokens(meter, name, "Number of input and output tokens used.")),
            usage_counters,
            operation_tokens,
            duration,
            inference_duration,
            ttfc: seconds_of(
                meter,
                c,
                Item::TimeToFirstChunk,
                "Time to receive the first chunk of a streamed response.",
            ),
            tpoc: seconds_of(
                meter,
                c,
                Item::TimePerOutputChunk,
                "Time per output chunk, for each chunk after the first.",
            ),
            tool_duration: seconds(
                meter,
                sc::METRIC_EXECUTE_TOOL_DURATION,
                "The duration of a single tool execution.",
            ),
            agent_duration: seconds(
                meter,
                sc::METRIC_INVOKE_AGENT_DURATION,
                "The end-to-end duration of a single in-process agent invocation.",
            ),
            agent_inference_calls: meter
                .u64_histogram(sc::METRIC_INVOKE_AGENT_INFERENCE_CALLS)
                .with_unit("{inference_call}")
                .with_description("The number of inference calls an agent makes in one invocation.")
                .with_boundaries(CALL_COUNT_BUCKETS.to_vec())
                .build(),
            agent_tool_calls: meter
                .u64_histogram(sc::METRIC_INVOKE_AGENT_TOOL_CALLS)
                .with_unit("{tool_call}")
                .with_description("The number of tool calls an agent makes in one invocation.")
                .with_boundaries(CALL_COUNT_BUCKETS.to_vec())
                .build(),
            workflow_duration: seconds_of(
                meter,
                c,
                Item::WorkflowDuration,
                "GenAI workflow duration.",
            ),
            cost: meter
                .f64_counter(sc::METRIC_TG_CLIENT_COST)
                .with_unit(format!("{{{currency}}}"))
                .with_description("Cost of GenAI calls, from the configured price table.")
                .build(),
            unpriced: meter
                .u64_counter(sc::METRIC_TG_CLIENT_UNPRICED_CALLS)
                .with_unit("{call}")
                .with_description("GenAI calls whose model has no price in the price table.")
                .build(),
        }
    }
}

/// The modalities in the order of `Usage::input_by_modality` and its siblings.
const MODALITIES: [&str; 3] = [
    sc::GEN_AI_TOKEN_MODALITY_TEXT,
    sc::GEN_AI_TOKEN_MODALITY_IMAGE,
    sc::GEN_AI_TOKEN_MODALITY_AUDIO,
];

/// A count split by `gen_ai.token.modality`: each reported modality with tokens, and the rest
/// of the total (or all of it, when no modality is reported) as `unknown`; nothing when
/// neither the total nor a modality is known.
pub(crate) fn by_modality(total: Option<u64>, parts: [Option<u64>; 3]) -> Vec<(&'static str, u64)> {
    let known: u64 = parts.iter().flatten().fold(0, |a, b| a.saturating_add(*b));
    let Some(total) = total.or(parts.iter().any(Option::is_some).then_some(known)) else {
        return Vec::new();
    };
    let mut out: Vec<(&'static str, u64)> = MODALITIES
        .into_iter()
        .zip(parts)
        .filter_map(|(m, v)| v.filter(|v| *v > 0).map(|v| (m, v)))
        .collect();
    let rest = total.saturating_sub(known);
    if rest > 0 || out.is_empty() {
        out.push((sc::GEN_AI_TOKEN_MODALITY_UNKNOWN, rest));
    }
    out
}

impl MetricsConfig {
    /// Metrics recorded through `meter`.
    pub(crate) fn meter(meter: Meter) -> Self {
        MetricsConfig {
            source: Source::Meter(meter),
            instruments: Arc::default(),
        }
    }

    /// Turns metrics off, or back on (then through the global meter).
    pub(crate) fn set_enabled(&mut self, enabled: bool) {
        match (&self.source, enabled) {
            (Source::Off, true) => *self = MetricsConfig::default(),
            (_, false) => {
                *self = MetricsConfig {
                    source: Source::Off,
                    instruments: Arc::default(),
                }
            }
            _ => {}
        }
    }

    fn instruments(
        &self,
        prices: Option<&PriceTable>,
        conventions: Conventions,
    ) -> Option<&Instruments> {
        self.instruments
            .get_or_init(|| {
                let currency = prices.map(PriceTable::currency).unwrap_or("USD");
                match &self.source {
                    Source::Off => None,
                    Source::Meter(m) => Some(Instruments::new(m, currency, conventions)),
                    Source::Global => Some(Instruments::new(
                        &opentelemetry::global::meter(METER_NAME),
                        currency,
                        conventions,
                    )),
                }
            })
            .as_ref()
    }

    /// Whether metrics are turned off (then nothing is computed for them).
    pub(crate) fn is_off(&self) -> bool {
        matches!(self.source, Source::Off)
    }

    /// Records the metrics of a closing GenAI span that lasted `duration`.
    pub(crate) fn record(
        &self,
        state: &SpanRecord,
        duration: Duration,
        prices: Option<&PriceTable>,
        conventions: Conventions,
    ) {
        if self.is_off() {
            return;
        }
        let Some(inst) = self.instruments(prices, conventions) else {
            return;
        };
        let Some(op) = &state.operation else {
            return;
        };
        let secs = duration.as_secs_f64();
        let error = state.is_error().then(|| {
            let t = state
                .error
                .as_ref()
                .map(|e| e.error_type.clone())
                .unwrap_or_else(|| sc::ERROR_TYPE_OTHER.to_string());
            KeyValue::new(sc::ERROR_TYPE, t)
        });
        let opt = |key: &'static str, v: &Option<Arc<str>>| {
            v.as_ref()
                .map(|v| KeyValue::new(key, StringValue::from(Arc::clone(v))))
        };
        match op {
            Operation::InvokeAgent => {
                let agent = opt(sc::GEN_AI_AGENT_NAME, &state.agent.name);
                let mut attrs: Vec<KeyValue> = agent.iter().cloned().collect();
                let acc = &state.accounting;
                inst.agent_inference_calls
                    .record(acc.inference_calls, &attrs);
                inst.agent_tool_calls.record(acc.tool_calls, &attrs);
                attrs.extend(opt(sc::GEN_AI_REQUEST_MODEL, &state.request.model));
                attrs.extend(error);
                inst.agent_duration.record(secs, &attrs);
            }
            Operation::InvokeWorkflow => {
                let mut attrs: Vec<KeyValue> = opt(sc::GEN_AI_WORKFLOW_NAME, &state.workflow_name)
                    .into_iter()
                    .collect();
                attrs.extend(error);
                for h in &inst.workflow_duration {
                    h.record(secs, &attrs);
                }
            }
            Operation::ExecuteTool => {
                let attrs: Vec<KeyValue> = [
                    opt(sc::GEN_AI_TOOL_NAME, &state.tool.name),
                    opt(sc::GEN_AI_TOOL_TYPE, &state.tool.tool_type),
                    opt(sc::GEN_AI_AGENT_NAME, &state.agent.name),
                    error,
                ]
                .into_iter()
                .flatten()
                .collect();
                inst.tool_duration.record(secs, &attrs);
            }
            _ => record_client(inst, state, secs, error),
        }
    }
}

fn record_client(inst: &Instruments, state: &SpanRecord, secs: f64, error: Option<KeyValue>) {
    let mut common = Vec::with_capacity(7);
    // Shared (reference-counted or static) strings: the per-token-type copies below are cheap.
    if let Some(op) = &state.operation {
        common.push(KeyValue::new(
            sc::GEN_AI_OPERATION_NAME,
            operation_value(op),
        ));
    }
    for (key, v) in [
        (sc::GEN_AI_PROVIDER_NAME, &state.provider),
        (sc::GEN_AI_REQUEST_MODEL, &state.request.model),
        (sc::GEN_AI_RESPONSE_MODEL, &state.response.model),
        (sc::SERVER_ADDRESS, &state.server_address),
    ] {
        if let Some(v) = v {
            common.push(KeyValue::new(key, shared(v)));
        }
    }
    if let Some(port) = state.server_port {
        common.push(KeyValue::new(sc::SERVER_PORT, port));
    }

    let inference = state
        .operation
        .as_ref()
        .is_some_and(Operation::is_inference);
    let durations = if inference {
        inst.inference_duration.as_slice()
    } else {
        std::slice::from_ref(&inst.duration)
    };
    let with_error;
    let duration_attrs = match error {
        Some(e) => {
            let mut attrs = common.clone();
            attrs.push(e);
            with_error = attrs;
            &with_error
        }
        None => &common,
    };
    for h in durations {
        h.record(secs, duration_attrs);
    }
    let usage = &state.usage;
    // An embeddings call has no output: its token metric is input only, whatever the span
    // recorded (`gen_ai.usage.output_tokens = 0` included; the span attribute stays).
    let has_output = !matches!(state.operation, Some(Operation::Embeddings));
    let output_tokens = usage.output_tokens.filter(|_| has_output);
    if let Some(h) = &inst.token_usage {
        for (kind, tokens) in [
            (sc::GEN_AI_TOKEN_TYPE_INPUT, usage.input_tokens),
            (sc::GEN_AI_TOKEN_TYPE_OUTPUT, output_tokens),
        ] {
            if let Some(tokens) = tokens {
                let mut attrs = common.clone();
                attrs.push(KeyValue::new(sc::GEN_AI_TOKEN_TYPE, kind));
                h.record(tokens, &attrs);
            }
        }
    }
    if let Some((input, output)) = &inst.operation_tokens {
        if let Some(v) = usage.input_tokens {
            input.record(v, &common);
        }
        if let Some(v) = output_tokens {
            output.record(v, &common);
        }
    }
    if let Some(c) = &inst.usage_counters {
        for (counter, total, parts) in [
            (&c.input, usage.input_tokens, usage.input_by_modality()),
            (
                &c.output,
                output_tokens,
                if has_output {
                    usage.output_by_modality()
                } else {
                    [None; 3]
                },
            ),
            (
                &c.cache_read,
                usage.cache_read_input_tokens,
                usage.cache_read_by_modality(),
            ),
            (&c.cache_write, usage.cache_creation_input_tokens, [None; 3]),
            (
                &c.reasoning,
                usage.reasoning_output_tokens.filter(|_| has_output),
                [None; 3],
            ),
        ] {
            // A counter point of 0 says nothing: a call that reported no tokens adds none.
            for (modality, tokens) in by_modality(total, parts)
                .into_iter()
                .filter(|(_, t)| *t > 0)
            {
                let mut attrs = common.clone();
                attrs.push(KeyValue::new(sc::GEN_AI_TOKEN_MODALITY, modality));
                counter.add(tokens, &attrs);
            }
        }
    }
    if let Some(ttfc) = state.response.time_to_first_chunk {
        for h in &inst.ttfc {
            h.record(ttfc, &common);
        }
    }
    for gap in &state.accounting.chunk_gaps {
        for h in &inst.tpoc {
            h.record(*gap, &common);
        }
    }
    if let Some(cost) = state.accounting.own_cost {
        inst.cost.add(cost, &common);
    }
    if state.accounting.unpriced {
        inst.unpriced.add(1, &common);
    }
}

#[cfg(test)]
mod tests {
    use super::by_modality;

    #[test]
    fn modality_split() {
        assert_eq!(by_modality(None, [None; 3]), []);
        assert_eq!(by_modality(Some(0), [None; 3]), [("unknown", 0)]);
        assert_eq!(by_modality(Some(100), [None; 3]), [("unknown", 100)]);
        assert_eq!(
            by_modality(Some(100), [Some(50), None, Some(40)]),
            [("text", 50), ("audio", 40), ("unknown", 10)]
        );
        assert_eq!(
            by_modality(Some(90), [Some(50), Some(0), Some(40)]),
            [("text", 50), ("audio", 40)]
        );
        assert_eq!(by_modality(None, [Some(3), None, None]), [("text", 3)]);
        assert_eq!(
            by_modality(Some(2), [Some(0), None, None]),
            [("unknown", 2)]
        );
    }
}
