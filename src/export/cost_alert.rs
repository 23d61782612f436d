//! Cost alerts ([`crate::cost#cost-alerts`]): after a closing span's cost is known, each configured
//! alert compares it with its threshold; the alerts raised are emitted (a root `tracing` event,
//! then the callback, isolated from panics) after the span was written, with no lock held.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceId};
use tracing::Level;

use super::diagnostics::Diagnostics;
use crate::cost::{CostExceeded, CostThreshold, OnCostExceeded, PriceTable};
use crate::model::{GenAiSpan, Operation};
use crate::record::SpanRecord;
use crate::semconv as sc;

/// One configured alert: its thresholds, its callback and the callback's failure bookkeeping.
#[derive(Clone)]
pub(crate) struct CostAlertSlot {
    threshold: CostThreshold,
    callback: Arc<dyn OnCostExceeded>,
    reported: Arc<AtomicBool>,
}

impl fmt::Debug for CostAlertSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CostAlertSlot")
            .field("threshold", &self.threshold)
            .field("callback", &self.callback.name())
            .finish()
    }
}

impl CostAlertSlot {
    pub(crate) fn new(threshold: CostThreshold, callback: impl OnCostExceeded) -> Self {
        CostAlertSlot {
            threshold,
            callback: Arc::new(callback),
            reported: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Runs the callback; on a panic, its message and whether it is this alert's first.
    fn call(&self, alert: &CostExceeded, span: &GenAiSpan) -> Result<(), (String, bool)> {
        catch_unwind(AssertUnwindSafe(|| {
            self.callback.on_cost_exceeded(alert, span)
        }))
        .map_err(|payload| {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".to_string());
            (message, !self.reported.swap(true, Ordering::Relaxed))
        })
    }
}

/// The alerts a closing span raised, waiting for its exported name and ids.
#[derive(Debug)]
pub(crate) struct Raised<'a> {
    alert: CostExceeded,
    /// The span's OpenTelemetry context, current while the event is emitted.
    span: Option<SpanContext>,
    /// Each alert raised, with the threshold it exceeded.
    slots: Vec<(&'a CostAlertSlot, f64)>,
}

/// Compares the closing span's cost (known once it was accounted) with each alert's threshold.
/// `None` (the common case, no allocation) when no alert is raised. Reads the span's strings,
/// so it runs before the attributes may take them.
#[inline]
pub(crate) fn check<'a>(
    slots: &'a [CostAlertSlot],
    state: &SpanRecord,
    prices: Option<&PriceTable>,
) -> Option<Raised<'a>> {
    if slots.is_empty() {
        return None;
    }
    let cost = state.accounting.total_cost()?;
    let rolled_up = matches!(
        state.operation,
        Some(Operation::InvokeAgent) | Some(Operation::InvokeWorkflow)
    );
    let raised: Vec<_> = slots
        .iter()
        .filter_map(|slot| {
            let threshold = slot.threshold.for_span(rolled_up)?;
            (cost > threshold).then_some((slot, threshold))
        })
        .collect();
    if raised.is_empty() {
        return None;
    }
    Some(Raised {
        alert: CostExceeded {
            trace_id: TraceId::INVALID,
            span_id: SpanId::INVALID,
            span_name: String::new(),
            operation: state.operation.clone(),
            provider: state.provider.as_deref().map(str::to_owned),
            model: state
                .response
                .model
                .as_deref()
                .or(state.request.model.as_deref())
                .map(str::to_owned),
            agent_name: state.agent.name.as_deref().map(str::to_owned),
            cost,
            threshold: 0.0,
            currency: prices.map(|p| p.currency().to_string()).unwrap_or_default(),
            rolled_up,
        },
        span: None,
        slots: raised,
    })
}

impl Raised<'_> {
    /// Adds the exported span name and the OpenTelemetry span's ids (`None`: none was found).
    pub(crate) fn identify(&mut self, name: &str, span: Option<&SpanContext>) {
        self.alert.span_name = name.to_string();
        if let Some(cx) = span {
            self.alert.trace_id = cx.trace_id();
            self.alert.span_id = cx.span_id();
            self.span = Some(cx.clone());
        }
    }

    /// Emits each alert (the event, then the callback) and counts them; called after the span
    /// was written, with no lock held.
    #[cold]
    pub(crate) fn emit(self, span: &GenAiSpan, diagnostics: &Diagnostics) {
        for (slot, threshold) in self.slots {
            let alert = CostExceeded {
                threshold,
                ..self.alert.clone()
            };
            diagnostics.record_cost_alert();
            event(&alert, self.span.as_ref());
            if let Err((message, first)) = slot.call(&alert, span) {
                diagnostics.record_cost_alert_panic();
                if first {
                    tracing::warn!(
                        target: "tracing_genai",
                        callback = %slot.callback.name(),
                        panic = %message,
                        "cost alert callback panicked; the alert event was emitted and nothing \
                         else changed (reported once per alert)"
                    );
                }
            }
        }
    }
}

/// The `tracing_genai.cost.threshold_exceeded` event: a root event (no parent span), so it
/// changes no exported span and is not re-captured by the GenAI layer. The span's
/// OpenTelemetry context is current meanwhile, so a log bridge (which reads the current
/// context) gives the log record that span's trace and span ids.
fn event(alert: &CostExceeded, span: Option<&SpanContext>) {
    let _cx = span.map(|cx| {
        opentelemetry::Context::current()
            .with_remote_span_context(cx.clone())
            .attach()
    });
    tracing::event!(
        name: sc::EVENT_COST_THRESHOLD_EXCEEDED,
        target: "tracing_genai::cost",
        parent: None,
        Level::WARN,
        trace_id = %alert.trace_id,
        span_id = %alert.span_id,
        span_name = alert.span_name.as_str(),
        gen_ai.operation.name = alert.operation.as_ref().map(Operation::as_str),
        gen_ai.provider.name = alert.provider.as_deref(),
        model = alert.model.as_deref(),
        gen_ai.agent.name = alert.agent_name.as_deref(),
        gen_ai.usage.cost = alert.cost,
        threshold = alert.threshold,
        currency = alert.currency.as_str(),
        rolled_up = alert.rolled_up,
        "GenAI cost above threshold"
    );
}
