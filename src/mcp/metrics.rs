//! The MCP duration histograms (`mcp.client.operation.duration`,
//! `mcp.server.operation.duration`, `mcp.client.session.duration`,
//! `mcp.server.session.duration`, unit `s`).
//!
//! The GenAI layer's metrics are derived from spans; the MCP histograms are recorded here on
//! an [`opentelemetry::metrics::Meter`]: by default the global meter
//! ([`METER_NAME`](crate::semconv::METER_NAME)), or one passed to the client or server
//! wrapper.

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Histogram, Meter};

use super::request::RequestFacts;
use super::span::{Context, Network, Outcome};
use crate::semconv as sc;

/// One duration histogram.
#[derive(Clone, Debug)]
pub(crate) struct DurationMetric {
    histogram: Histogram<f64>,
}

impl DurationMetric {
    pub(crate) fn new(meter: &Meter, name: &'static str, description: &'static str) -> Self {
        DurationMetric {
            histogram: meter
                .f64_histogram(name)
                .with_unit("s")
                .with_description(description)
                .with_boundaries(sc::MCP_DURATION_BUCKETS.to_vec())
                .build(),
        }
    }

    /// The global meter ([`METER_NAME`](sc::METER_NAME)).
    pub(crate) fn global_meter() -> Meter {
        opentelemetry::global::meter(sc::METER_NAME)
    }

    /// Records one operation: `mcp.method.name`, `error.type`, `gen_ai.tool.name` /
    /// `gen_ai.operation.name` for tool calls, `gen_ai.prompt.name`, `mcp.protocol.version`,
    /// `network.*`.
    pub(crate) fn record_operation(
        &self,
        elapsed: Duration,
        facts: &RequestFacts,
        cx: &Context,
        outcome: &Outcome,
    ) {
        let mut attrs = Vec::with_capacity(6);
        attrs.push(KeyValue::new(sc::MCP_METHOD_NAME, facts.method.clone()));
        if facts.is_tool_call() {
            attrs.push(KeyValue::new(sc::GEN_AI_OPERATION_NAME, "execute_tool"));
            if let Some(tool) = &facts.tool {
                attrs.push(KeyValue::new(sc::GEN_AI_TOOL_NAME, tool.clone()));
            }
        }
        if let Some(prompt) = &facts.prompt {
            attrs.push(KeyValue::new(sc::GEN_AI_PROMPT_NAME, prompt.clone()));
        }
        if let Some(version) = &cx.protocol_version {
            attrs.push(KeyValue::new(sc::MCP_PROTOCOL_VERSION, version.clone()));
        }
        for (key, value) in cx.network.key_values() {
            attrs.push(KeyValue::new(key, value));
        }
        if let Some(error) = &outcome.error_type {
            attrs.push(KeyValue::new(sc::ERROR_TYPE, error.clone()));
        }
        self.histogram.record(elapsed.as_secs_f64(), &attrs);
    }

    /// Records one session: `mcp.protocol.version`, `network.*`, `error.type`.
    pub(crate) fn record_session(
        &self,
        elapsed: Duration,
        protocol_version: Option<String>,
        network: Network,
        error_type: Option<String>,
    ) {
        let mut attrs = Vec::with_capacity(5);
        if let Some(v) = protocol_version {
            attrs.push(KeyValue::new(sc::MCP_PROTOCOL_VERSION, v));
        }
        for (key, value) in network.key_values() {
            attrs.push(KeyValue::new(key, value));
        }
        if let Some(e) = error_type {
            attrs.push(KeyValue::new(sc::ERROR_TYPE, e));
        }
        self.histogram.record(elapsed.as_secs_f64(), &attrs);
    }
}
