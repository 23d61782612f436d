//! Decoded OTLP log records ([`ReceivedLog`]) of the receivers in `otlp.rs`.

use std::collections::HashMap;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::LogRecord;

use super::{hex, string_value};

/// A decoded log record with its resource and scope.
#[derive(Clone, Debug)]
pub struct ReceivedLog {
    pub record: LogRecord,
    pub event_name: String,
    pub severity_number: i32,
    pub severity_text: String,
    /// The body when it is a string.
    pub body: Option<String>,
    pub attributes: HashMap<String, any_value::Value>,
    /// Lower-case hex; empty when the record carries no trace context.
    pub trace_id: String,
    pub span_id: String,
    pub resource: HashMap<String, any_value::Value>,
    pub service_name: Option<String>,
    pub scope: String,
}

impl ReceivedLog {
    /// The attribute `key` of the record.
    pub fn attr(&self, key: &str) -> Option<&any_value::Value> {
        self.attributes.get(key)
    }

    /// The attribute `key` when it is a string.
    pub fn attr_str(&self, key: &str) -> Option<&str> {
        match self.attributes.get(key)? {
            any_value::Value::StringValue(s) => Some(s),
            _ => None,
        }
    }

    /// The attribute `key` when it is an integer.
    pub fn attr_i64(&self, key: &str) -> Option<i64> {
        match self.attributes.get(key)? {
            any_value::Value::IntValue(i) => Some(*i),
            _ => None,
        }
    }
}

pub(super) fn log_count(requests: &[ExportLogsServiceRequest]) -> usize {
    requests
        .iter()
        .flat_map(|r| &r.resource_logs)
        .flat_map(|rl| &rl.scope_logs)
        .map(|sl| sl.log_records.len())
        .sum()
}

pub(super) fn flatten_logs(requests: &[ExportLogsServiceRequest]) -> Vec<ReceivedLog> {
    let mut out = Vec::new();
    for req in requests {
        for rl in &req.resource_logs {
            let resource = rl
                .resource
                .as_ref()
                .map(|r| attribute_map(&r.attributes))
                .unwrap_or_default();
            let service_name = match resource.get("service.name") {
                Some(any_value::Value::StringValue(s)) => Some(s.clone()),
                _ => None,
            };
            for sl in &rl.scope_logs {
                let scope = sl
                    .scope
                    .as_ref()
                    .map(|s| s.name.clone())
                    .unwrap_or_default();
                for record in &sl.log_records {
                    out.push(ReceivedLog {
                        event_name: record.event_name.clone(),
                        severity_number: record.severity_number,
                        severity_text: record.severity_text.clone(),
                        body: string_value(record.body.as_ref()),
                        attributes: attribute_map(&record.attributes),
                        trace_id: hex(&record.trace_id),
                        span_id: hex(&record.span_id),
                        resource: resource.clone(),
                        service_name: service_name.clone(),
                        scope: scope.clone(),
                        record: record.clone(),
                    });
                }
            }
        }
    }
    out
}

fn attribute_map(attributes: &[KeyValue]) -> HashMap<String, any_value::Value> {
    attributes
        .iter()
        .filter_map(|kv| Some((kv.key.clone(), kv.value.as_ref()?.value.clone()?)))
        .collect()
}
