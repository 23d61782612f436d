//! Export: what a closing GenAI span becomes, in named steps.
//!
//! 0. [`start`], when the span starts: its name and the sampling-relevant attributes known
//!    at creation, given to OpenTelemetry before the span starts (for head samplers);
//! 1. [`rollup`]: price the call ([`PriceTable`]) and roll its usage and cost up into the
//!    enclosing agent or workflow run (while the span is still in the registry);
//! 2. [`metrics`]: record the GenAI metrics of the call;
//! 3. [`attributes`]: build the typed attributes from the state, each key once;
//! 4. the [`AttributeMapper`](crate::mapper::AttributeMapper)s run, each isolated from panics;
//! 5. [`content`]: secrets scrubbed from everything exported, message content added when
//!    capture is on;
//! 6. [`events`]: the GenAI events (inference details, exception, evaluations) collected;
//! 7. `write`: name, attributes, span events and status written on the OpenTelemetry span,
//!    then the events emitted as log records in that span's trace context (when a logger
//!    provider is set; see [`EventTarget`](events::EventTarget)).
//!
//! 8. [`cost_alert`]: the cost alerts the span raised (checked before step 3, once its cost is
//!    known), emitted last.
//!
//! [`diagnostics`] counts what went wrong on the way, so nothing is lost silently.

pub(crate) mod attributes;
mod content;
pub(crate) mod cost_alert;
pub(crate) mod diagnostics;
pub(crate) mod events;
pub(crate) mod metrics;
mod rollup;
pub(crate) mod start;

use std::sync::{Arc, OnceLock};

use opentelemetry::trace::{SpanRef, Status};
use tracing_core::Subscriber;
use tracing_subscriber::registry::{LookupSpan, SpanRef as RegistrySpan};

use crate::content::ContentConfig;
use crate::cost::PriceTable;
use crate::mapper::{Attributes, Lead, MapperFailure, MapperSlot};
use crate::model::{GenAiSpan, Operation};
use crate::record::SpanRecord;
use crate::record::start::StartWrites;
use crate::semconv as sc;
use crate::semconv::{Conventions, Item};
use attributes::Given;
use diagnostics::Diagnostics;
use events::{EventsConfig, Pending};
use metrics::MetricsConfig;

/// The export stage's configuration.
#[derive(Clone, Debug, Default)]
pub(crate) struct Exporter {
    pub(crate) mappers: Vec<MapperSlot>,
    /// Give the sampling-relevant attributes to OpenTelemetry at span start (default on).
    pub(crate) at_start: AtStart,
    pub(crate) metrics: MetricsConfig,
    pub(crate) prices: Option<Arc<PriceTable>>,
    pub(crate) conventions: ConventionsSetting,
    pub(crate) events: EventsConfig,
    pub(crate) cost_alerts: Vec<cost_alert::CostAlertSlot>,
}

/// Whether the sampling-relevant attributes known at creation are given to OpenTelemetry as
/// the span starts (see [`GenAiLayer::with_sampling_attributes`](crate::GenAiLayer)).
#[derive(Clone, Copy, Debug)]
pub(crate) struct AtStart(pub(crate) bool);

impl Default for AtStart {
    fn default() -> Self {
        AtStart(true)
    }
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

impl Exporter {
    /// Step 0: the name and sampling-relevant attributes to give OpenTelemetry as the span
    /// starts, kept in `state.at_start` (the layer writes them).
    #[inline]
    pub(crate) fn start(&self, state: &mut SpanRecord, content: &ContentConfig) {
        if self.at_start.0 {
            state.at_start = start::at_start(state, &content.scanner);
        }
    }

    /// Step 1: prices the call and rolls it up into its ancestors (`span` is the closing span,
    /// still in the registry).
    #[inline]
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
                    .get::<crate::record::Kept>()
                    .and_then(|r| r.conversation_id.clone())
            });
        }
    }

    /// Steps 2 to 6: metrics, attributes, mappers, scrubbing and content, then the write on
    /// `span`, the OpenTelemetry span of the record (`None`: it could not be found, which is
    /// counted). Mapper panics are counted and reported (once per mapper) last.
    pub(crate) fn close(
        &self,
        state: &mut SpanRecord,
        content: &ContentConfig,
        diagnostics: &Diagnostics,
        span: Option<SpanRef<'_>>,
    ) {
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
        // What the span was given at start is left out of the close-time attributes (it is
        // on the span already); mappers see every key, then those are taken out again.
        let mut at_start = std::mem::take(&mut state.at_start);
        // The name given at start stands while nothing it comes from changed: not rebuilt.
        let name = if at_start.has_name() && at_start.saved().is_none() {
            None
        } else {
            let name = match state.otel.name.take() {
                Some(name) => name,
                None => state.otel_name(),
            };
            let same = at_start.has_name()
                && at_start.saved().and_then(StartWrites::name) == Some(name.as_str());
            (!same).then_some(name)
        };
        // With no mapper and no content to export, nothing reads the state's string lists
        // after this: they are moved into the attributes instead of copied.
        let mut alerts = cost_alert::check(&self.cost_alerts, state, self.prices.as_deref());
        let take = self.mappers.is_empty() && state.content.is_none() && alerts.is_none();
        // The values given at start, where events read them: what was saved before a change,
        // else the state's, which are still those.
        let values = at_start.take_saved().or_else(|| {
            (!at_start.is_empty() && self.events.may_describe_call(content.mode()))
                .then(|| at_start.values(state))
        });
        let given = (!at_start.is_empty()).then_some(Given {
            given: &at_start,
            values: values.as_ref(),
        });
        let mut attrs = attributes::attributes_of_closing(state, take, conventions, given);
        if let Some(id) = state.accounting.ancestor_conversation_id.take() {
            attrs.push_unique(opentelemetry::KeyValue::new(sc::GEN_AI_CONVERSATION_ID, id));
        }
        let (mut attrs, mapper_failures) = self.map(attrs, state, given);
        let given_values = values.as_ref();
        let (name, details) =
            content::finish(content, state, &mut attrs, name, conventions, given_values);
        let events = Pending::collect(
            &self.events,
            state,
            events::Call {
                attrs: &attrs,
                given: given_values,
            },
            details,
            content.mode(),
            &content.scanner,
            conventions,
        );
        let exception_event = self.events.exception_span_event();
        if let Some(alerts) = alerts.as_mut() {
            // (Alerts keep the state's strings: a name that stands is rebuilt from them.)
            let shown = match &name {
                Some(name) => name.clone(),
                None => state.otel.name.clone().unwrap_or_else(|| state.otel_name()),
            };
            alerts.identify(&shown, span.as_ref().map(|s| s.span_context()));
        }
        match span {
            Some(span) => {
                let cx = span.span_context().clone();
                write(state, span, name, attrs, exception_event);
                events.emit(&self.events, Some(&cx));
            }
            None => {
                diagnostics.record_unwritten();
                events.emit(&self.events, None);
            }
        }
        if !mapper_failures.is_empty() {
            report(mapper_failures, diagnostics);
        }
        if let Some(alerts) = alerts {
            alerts.emit(state, diagnostics);
        }
    }

    /// Runs the mappers on `attrs`. They see every key, those given at start too (made from
    /// the state only if a mapper reads or changes one); a change to one of those is not
    /// exported (the span has them already) and is named in the diagnostics.
    fn map(
        &self,
        attrs: Attributes<'static>,
        state: &mut GenAiSpan,
        given: Option<Given<'_>>,
    ) -> (Attributes<'static>, Vec<MapperFailure>) {
        let mut failures = Vec::new();
        if self.mappers.is_empty() {
            return (attrs, failures);
        }
        let seen: &GenAiSpan = state;
        let values = move || given.map_or_else(Vec::new, |g| start::lead_values(g, seen));
        let keys = given.map_or(0, start::lead_keys);
        let mut attrs = attrs.with_lead(Lead::new(keys, &values));
        for mapper in &self.mappers {
            if let Err(failure) = mapper.apply(seen, &mut attrs) {
                failures.push(failure);
            }
        }
        let (mut attrs, led) = attrs.detach();
        // (`Some(0)`: no mapper changed a key given at start, nothing to settle.)
        if let Some(given) = given.filter(|_| keys != 0 && led != Some(0)) {
            start::settle(given, led, &mut attrs, state);
        }
        (attrs, failures)
    }
}

/// Step 7: writes the span's name (`None`: the one given at start stands), attributes, events
/// and status (the `exception` span event only when `exception_event`: the events go to
/// spans).
fn write(
    state: &mut SpanRecord,
    span: SpanRef<'_>,
    name: Option<String>,
    attrs: Attributes<'static>,
    exception_event: bool,
) {
    if let Some(name) = name {
        span.update_name(name);
    }
    // (`attrs` leaves out what the span was given at start.)
    let mut items = attrs.into_vec();
    span.set_attributes(items.drain(..));
    attributes::recycle(items);
    for event in std::mem::take(&mut state.events) {
        span.add_event_with_timestamp(event.name, event.time, event.attributes);
    }
    if state.is_error() {
        if let Some(attrs) = attributes::exception_event(state).filter(|_| exception_event) {
            // Stamped when the span was marked failed, within the span (not at close).
            let at = state.error_at.unwrap_or_else(std::time::SystemTime::now);
            span.add_event_with_timestamp(sc::EXCEPTION_EVENT, at, attrs);
        }
        span.set_status(Status::error(attributes::status_description(state)));
    } else if state.otel.status_ok {
        span.set_status(Status::Ok);
    }
}

/// Counts and reports (once per mapper) the mappers that panicked; the warning is a `tracing`
/// event, emitted after the span was written.
#[cold]
fn report(failures: Vec<MapperFailure>, diagnostics: &Diagnostics) {
    for failure in failures {
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
