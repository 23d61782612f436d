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
pub(crate) mod diagnostics;
pub(crate) mod metrics;
mod rollup;

use std::sync::Arc;

use opentelemetry::trace::{SpanRef, Status};
use opentelemetry::KeyValue;
use tracing_core::Subscriber;
use tracing_subscriber::registry::{LookupSpan, SpanRef as RegistrySpan};

use crate::content::ContentConfig;
use crate::cost::PriceTable;
use crate::mapper::{Attributes, MapperFailure, MapperSlot};
use crate::model::SpanEvent;
use crate::record::SpanRecord;
use crate::semconv as sc;
use diagnostics::Diagnostics;
use metrics::MetricsConfig;

/// The export stage's configuration.
#[derive(Clone, Debug, Default)]
pub(crate) struct Exporter {
    pub(crate) mappers: Vec<MapperSlot>,
    pub(crate) metrics: MetricsConfig,
    pub(crate) prices: Option<Arc<PriceTable>>,
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
        if !self.metrics.is_off() {
            self.metrics
                .record(state, state.started.elapsed(), self.prices.as_deref());
        }
        let name = match state.otel.name.take() {
            Some(name) => name,
            None => state.otel_name(),
        };
        // With no mapper and no content to export, nothing reads the state's strings after
        // this: they are moved into the attributes instead of copied.
        let take = self.mappers.is_empty() && state.content.is_none();
        let mut attrs = attributes::attributes_of_closing(state, take);
        let mut mapper_failures = Vec::new();
        for mapper in &self.mappers {
            if let Err(failure) = mapper.apply(state, &mut attrs) {
                mapper_failures.push(failure);
            }
        }
        let name = content::finish(content, state, &mut attrs, name);
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
