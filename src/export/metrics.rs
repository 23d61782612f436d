//! Metrics recorded from the same GenAI spans, per the conventions' `gen-ai-metrics.yaml`.
//!
//! | instrument | unit | recorded for | attributes |
//! |---|---|---|---|
//! | `gen_ai.client.token.usage` (histogram, int) | `{token}` | calls with usage; once per `gen_ai.token.type` (`input`, `output`) | common + `gen_ai.token.type` |
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

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram, Meter};

use super::attributes::{operation_value, shared};
use crate::cost::PriceTable;
use crate::model::Operation;
use crate::record::SpanRecord;
use crate::semconv as sc;
use crate::semconv::{CALL_COUNT_BUCKETS, DURATION_BUCKETS, METER_NAME, TOKEN_BUCKETS};

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
    token_usage: Histogram<u64>,
    duration: Histogram<f64>,
    ttfc: Histogram<f64>,
    tpoc: Histogram<f64>,
    tool_duration: Histogram<f64>,
    agent_duration: Histogram<f64>,
    agent_inference_calls: Histogram<u64>,
    agent_tool_calls: Histogram<u64>,
    workflow_duration: Histogram<f64>,
    cost: Counter<f64>,
    unpriced: Counter<u64>,
}

fn seconds(meter: &Meter, name: &'static str, description: &'static str) -> Histogram<f64> {
    meter
        .f64_histogram(name)
        .with_unit("s")
        .with_description(description)
        .with_boundaries(DURATION_BUCKETS.to_vec())
        .build()
}

impl Instruments {
    fn new(meter: &Meter, currency: &str) -> Self {
        Instruments {
            token_usage: meter
                .u64_histogram(sc::METRIC_CLIENT_TOKEN_USAGE)
                .with_unit("{token}")
                .with_description("Number of input and output tokens used.")
                .with_boundaries(TOKEN_BUCKETS.to_vec())
                .build(),
            duration: seconds(
                meter,
                sc::METRIC_CLIENT_OPERATION_DURATION,
                "GenAI operation duration.",
            ),
            ttfc: seconds(
                meter,
                sc::METRIC_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
                "Time to receive the first chunk of a streamed response.",
            ),
            tpoc: seconds(
                meter,
                sc::METRIC_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK,
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
            workflow_duration: seconds(
                meter,
                sc::METRIC_WORKFLOW_DURATION,
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

    fn instruments(&self, prices: Option<&PriceTable>) -> Option<&Instruments> {
        self.instruments
            .get_or_init(|| {
                let currency = prices.map(PriceTable::currency).unwrap_or("USD");
                match &self.source {
                    Source::Off => None,
                    Source::Meter(m) => Some(Instruments::new(m, currency)),
                    Source::Global => Some(Instruments::new(
                        &opentelemetry::global::meter(METER_NAME),
                        currency,
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
    ) {
        if self.is_off() {
            return;
        }
        let Some(inst) = self.instruments(prices) else {
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
        let opt = |key: &'static str, v: &Option<String>| {
            v.as_ref().map(|v| KeyValue::new(key, shared(v)))
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
                inst.workflow_duration.record(secs, &attrs);
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

    match error {
        Some(e) => {
            let mut attrs = common.clone();
            attrs.push(e);
            inst.duration.record(secs, &attrs);
        }
        None => inst.duration.record(secs, &common),
    }
    for (kind, tokens) in [
        (sc::GEN_AI_TOKEN_TYPE_INPUT, state.usage.input_tokens),
        (sc::GEN_AI_TOKEN_TYPE_OUTPUT, state.usage.output_tokens),
    ] {
        if let Some(tokens) = tokens {
            let mut attrs = common.clone();
            attrs.push(KeyValue::new(sc::GEN_AI_TOKEN_TYPE, kind));
            inst.token_usage.record(tokens, &attrs);
        }
    }
    if let Some(ttfc) = state.response.time_to_first_chunk {
        inst.ttfc.record(ttfc, &common);
    }
    for gap in &state.accounting.chunk_gaps {
        inst.tpoc.record(*gap, &common);
    }
    if let Some(cost) = state.accounting.own_cost {
        inst.cost.add(cost, &common);
    }
    if state.accounting.unpriced {
        inst.unpriced.add(1, &common);
    }
}
