//! Export: what a closing GenAI span becomes, in named steps.
//!
//! 1. [`rollup`]: price the call ([`PriceTable`]) and roll its usage and cost up into the
//!    enclosing agent or workflow run (while the span is still in the registry);
//! 2. [`metrics`]: record the GenAI metrics of the call;
//! 3. [`attributes`]: build the typed attributes from the state, each key once;
//! 4. the [`AttributeMapper`](crate::mapper::AttributeMapper)s run, each isolated from panics;
//! 5. [`content`]: secrets scrubbed from everything exported, message content added when
//!    capture is on;
//! 6. [`Closed::write_to`]: name, attributes, events and status written on the OpenTelemetry
//!    span.
//!
//! [`diagnostics`] counts what went wrong on the way, so nothing is lost silently.

pub(crate) mod attributes;
mod content;
#[cfg(test)]
mod conventions_tests;
pub(crate) mod diagnostics;
pub(crate) mod metrics;
mod rollup;

use std::sync::{Arc, OnceLock};

use opentelemetry::trace::{SpanRef, Status};
use opentelemetry::KeyValue;
use tracing_core::Subscriber;
use tracing_subscriber::registry::{LookupSpan, SpanRef as RegistrySpan};

use crate::content::ContentConfig;
use crate::cost::PriceTable;
use crate::mapper::{Attributes, MapperFailure, MapperSlot};
use crate::model::{Operation, SpanEvent};
use crate::record::SpanRecord;
use crate::semconv as sc;
use crate::semconv::{Conventions, Item};
use diagnostics::Diagnostics;
use metrics::MetricsConfig;

/// The export stage's configuration.
#[derive(Clone, Debug, Default)]
pub(crate) struct Exporter {
    pub(crate) mappers: Vec<MapperSlot>,
    pub(crate) metrics: MetricsConfig,
    pub(crate) prices: Option<Arc<PriceTable>>,
    pub(crate) conventions: ConventionsSetting,
}

/// The conventions setting: chosen in code, else `OTEL_SEMCONV_STABILITY_OPT_IN` (read once,
/// when the first GenAI span closes).
#[derive(Clone, Debug, Default)]
pub(crate) struct ConventionsSetting {
    chosen: Option<Conventions>,
    resolved: OnceLock<Conventions>,
}

impl ConventionsSetting {
    pub(crate) fn choose(&mut self, conventions: Conventions) {
        self.chosen = Some(conventions);
    }

    pub(crate) fn get(&self) -> Conventions {
        match self.chosen {
            Some(c) => c,
            None => *self.resolved.get_or_init(Conventions::from_env),
        }
    }
}

/// A closed GenAI span, ready to be written on its OpenTelemetry span.
#[derive(Debug)]
pub(crate) struct Closed {
    name: String,
    attributes: Attributes,
    events: Vec<SpanEvent>,
    /// The `exception` event of a failed span.
    exception: Option<Vec<KeyValue>>,
    status: Option<Status>,
    mapper_failures: Vec<MapperFailure>,
}

impl Exporter {
    /// Step 1: prices the call and rolls it up into its ancestors (`span` is the closing span,
    /// still in the registry).
    pub(crate) fn account<S>(&self, state: &mut SpanRecord, span: &RegistrySpan<'_, S>)
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        rollup::on_close(state, span, self.prices.as_deref());
        let wants_id = matches!(state.operation, Some(Operation::ExecuteTool))
            && state.conversation_id.is_none();
        if wants_id && self.conventions.get().has(Item::ToolConversationId) {
            state.accounting.ancestor_conversation_id = span.scope().skip(1).find_map(|a| {
                a.extensions()
                    .get::<SpanRecord>()
                    .and_then(|r| r.conversation_id.clone())
            });
        }
    }

    /// Steps 2 to 5: metrics, attributes, mappers, scrubbing and content.
    pub(crate) fn close(
        &self,
        state: &mut SpanRecord,
        content: &ContentConfig,
        diagnostics: &Diagnostics,
    ) -> Closed {
        state.diagnose_saturated_counts();
        diagnostics.record_span(state);
        if state.operation.is_none() {
            state.add_diagnostic(
                "gen_ai.operation.name was declared but never recorded; exported without GenAI name",
            );
        }
        let conventions = self.conventions.get();
        if !self.metrics.is_off() {
            self.metrics.record(
                state,
                state.started.elapsed(),
                self.prices.as_deref(),
                conventions,
            );
        }
        let name = match state.otel.name.take() {
            Some(name) => name,
            None => state.otel_name(),
        };
        // With no mapper and no content to export, nothing reads the state's strings after
        // this: they are moved into the attributes instead of copied.
        let take = self.mappers.is_empty() && state.content.is_none();
        let mut attrs = attributes::attributes_of_closing(state, take, conventions);
        if let Some(id) = state.accounting.ancestor_conversation_id.take() {
            attrs.push_unique(KeyValue::new(sc::GEN_AI_CONVERSATION_ID, id));
        }
        let mut mapper_failures = Vec::new();
        for mapper in &self.mappers {
            if let Err(failure) = mapper.apply(state, &mut attrs) {
                mapper_failures.push(failure);
            }
        }
        let name = content::finish(content, state, &mut attrs, name, conventions);
        let (exception, status) = if state.is_error() {
            (
                attributes::exception_event(state),
                Some(Status::error(attributes::status_description(state))),
            )
        } else if state.otel.status_ok {
            (None, Some(Status::Ok))
        } else {
            (None, None)
        };
        Closed {
            name,
            attributes: attrs,
            events: std::mem::take(&mut state.events),
            exception,
            status,
            mapper_failures,
        }
    }
}

impl Closed {
    /// Step 6: writes the span's name, attributes, events and status.
    pub(crate) fn write_to(&mut self, span: &SpanRef<'_>) {
        span.update_name(std::mem::take(&mut self.name));
        span.set_attributes(std::mem::take(&mut self.attributes));
        for event in std::mem::take(&mut self.events) {
            span.add_event_with_timestamp(event.name, event.time, event.attributes);
        }
        if let Some(attrs) = self.exception.take() {
            span.add_event(sc::EXCEPTION_EVENT, attrs);
        }
        if let Some(status) = self.status.take() {
            span.set_status(status);
        }
    }

    /// Counts and reports (once per mapper) the mappers that panicked. Called after every lock
    /// is released: the warning is a `tracing` event.
    pub(crate) fn report(self, diagnostics: &Diagnostics) {
        for failure in self.mapper_failures {
            diagnostics.record_mapper_panic();
            if failure.first {
                tracing::warn!(
                    target: "tracing_genai",
                    mapper = %failure.mapper,
                    panic = %failure.message,
                    "attribute mapper panicked; spans are exported without its changes \
                     (reported once per mapper)"
                );
            }
        }
    }
}
