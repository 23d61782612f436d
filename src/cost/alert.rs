//! Cost alerts: the thresholds, the alert and the callback (see the `cost` module docs).

use opentelemetry::trace::{SpanId, TraceId};

use crate::model::{GenAiSpan, Operation};

/// The thresholds of one cost alert, in the price table's currency: one for a single call, one
/// for a rolled-up agent or workflow run. A threshold that is unset, negative or not a number
/// checks nothing.
///
/// `CostThreshold::from(x)` (what [`with_cost_alert`](crate::GenAiLayer::with_cost_alert)
/// does with a plain number) is [`CostThreshold::new(x)`](Self::new): the same threshold for
/// both.
///
/// ```
/// use tracing_genai::cost::CostThreshold;
///
/// let t = CostThreshold::per_call(0.05).with_per_run(2.0);
/// assert_eq!((t.call, t.run), (Some(0.05), Some(2.0)));
/// assert_eq!(CostThreshold::from(1.0), CostThreshold::new(1.0));
/// assert_eq!(CostThreshold::per_run(-1.0).run, None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct CostThreshold {
    /// The most one call (any priced span that is not an agent or workflow run) may cost.
    pub call: Option<f64>,
    /// The most one `invoke_agent` or `invoke_workflow` run may cost, all its calls included.
    pub run: Option<f64>,
}

fn valid(threshold: f64) -> Option<f64> {
    (threshold >= 0.0).then_some(threshold)
}

impl CostThreshold {
    /// The same threshold for a single call and for a rolled-up run.
    ///
    /// ```
    /// let t = tracing_genai::cost::CostThreshold::new(0.25);
    /// assert_eq!((t.call, t.run), (Some(0.25), Some(0.25)));
    /// ```
    pub fn new(threshold: f64) -> Self {
        CostThreshold {
            call: valid(threshold),
            run: valid(threshold),
        }
    }

    /// A threshold for single calls only.
    ///
    /// ```
    /// let t = tracing_genai::cost::CostThreshold::per_call(0.10);
    /// assert_eq!((t.call, t.run), (Some(0.10), None));
    /// ```
    pub fn per_call(threshold: f64) -> Self {
        CostThreshold {
            call: valid(threshold),
            run: None,
        }
    }

    /// A threshold for rolled-up agent and workflow runs only.
    ///
    /// ```
    /// let t = tracing_genai::cost::CostThreshold::per_run(5.0);
    /// assert_eq!((t.call, t.run), (None, Some(5.0)));
    /// ```
    pub fn per_run(threshold: f64) -> Self {
        CostThreshold {
            call: None,
            run: valid(threshold),
        }
    }

    /// Sets the single-call threshold.
    ///
    /// ```
    /// let t = tracing_genai::cost::CostThreshold::per_run(5.0).with_per_call(0.10);
    /// assert_eq!(t.call, Some(0.10));
    /// ```
    pub fn with_per_call(mut self, threshold: f64) -> Self {
        self.call = valid(threshold);
        self
    }

    /// Sets the rolled-up run threshold.
    ///
    /// ```
    /// let t = tracing_genai::cost::CostThreshold::per_call(0.10).with_per_run(5.0);
    /// assert_eq!(t.run, Some(5.0));
    /// ```
    pub fn with_per_run(mut self, threshold: f64) -> Self {
        self.run = valid(threshold);
        self
    }

    /// The threshold that applies to a span: the run threshold when `rolled_up`, else the
    /// call threshold.
    ///
    /// ```
    /// let t = tracing_genai::cost::CostThreshold::per_call(0.10).with_per_run(5.0);
    /// assert_eq!(t.for_span(true), Some(5.0));
    /// assert_eq!(t.for_span(false), Some(0.10));
    /// ```
    pub fn for_span(&self, rolled_up: bool) -> Option<f64> {
        if rolled_up { self.run } else { self.call }
    }
}

impl From<f64> for CostThreshold {
    fn from(threshold: f64) -> Self {
        CostThreshold::new(threshold)
    }
}

/// One cost alert: a span whose cost was above its threshold. Passed to the
/// [`OnCostExceeded`] callback; its fields are also the fields of the
/// `tracing_genai.cost.threshold_exceeded` event (see the [module docs](crate::cost#cost-alerts)).
///
/// ```
/// use tracing_genai::{cost::CostExceeded, GenAiSpan};
///
/// fn page_oncall(alert: &CostExceeded, _: &GenAiSpan) {
///     let what = if alert.rolled_up { "run" } else { "call" };
///     eprintln!(
///         "{what} {} ({:?}) cost {} {} > {} (trace {})",
///         alert.span_name, alert.model, alert.cost, alert.currency, alert.threshold, alert.trace_id
///     );
/// }
/// let layer = tracing_genai::layer::<tracing_subscriber::Registry>().with_cost_alert(1.0, page_oncall);
/// # drop(layer);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct CostExceeded {
    /// The trace of the span ([`TraceId::INVALID`] when the layer found no OpenTelemetry span).
    pub trace_id: TraceId,
    /// The span ([`SpanId::INVALID`] when the layer found no OpenTelemetry span).
    pub span_id: SpanId,
    /// The exported span name (`chat gpt-4o`, `invoke_agent planner`).
    pub span_name: String,
    /// `gen_ai.operation.name`.
    pub operation: Option<Operation>,
    /// `gen_ai.provider.name`.
    pub provider: Option<String>,
    /// The model the call was priced by: the response model, else the request model.
    pub model: Option<String>,
    /// `gen_ai.agent.name`.
    pub agent_name: Option<String>,
    /// The span's cost (`gen_ai.usage.cost`): the call's, or the run's total when `rolled_up`.
    pub cost: f64,
    /// The threshold that was exceeded.
    pub threshold: f64,
    /// The price table's currency label.
    pub currency: String,
    /// Whether this is an `invoke_agent` or `invoke_workflow` span, whose cost is rolled up
    /// from its children (checked against [`CostThreshold::run`]).
    pub rolled_up: bool,
}

/// What to do when a span costs more than its threshold; see the [module docs](crate::cost#cost-alerts).
///
/// Implemented for closures `Fn(&CostExceeded, &GenAiSpan)` and for `()` (no callback: the
/// alert is the `tracing` event only). The callback runs while the span closes, after its
/// attributes were written, with no lock of the layer held: it may log, record metrics or
/// send the alert to a channel. A panic is isolated and reported once per alert. As with
/// [mappers](crate::mapper::AttributeMapper), a span created *and closed* inside the callback
/// should be a root (`info_span!(parent: None, ..)`).
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use tracing_genai::{cost::{CostExceeded, CostThreshold, OnCostExceeded}, GenAiSpan};
///
/// /// Counts expensive calls per tenant field (here: just counts them).
/// #[derive(Default)]
/// struct Budget(AtomicU64);
///
/// impl OnCostExceeded for Budget {
///     fn on_cost_exceeded(&self, _alert: &CostExceeded, span: &GenAiSpan) {
///         if span.field("tenant_id").is_some() {
///             self.0.fetch_add(1, Ordering::Relaxed);
///         }
///     }
/// }
///
/// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
///     .with_cost_alert(CostThreshold::per_call(0.05), Budget::default());
/// # drop(layer);
/// ```
pub trait OnCostExceeded: Send + Sync + 'static {
    /// Called once per span whose cost is above the threshold; `span` is its typed state.
    fn on_cost_exceeded(&self, alert: &CostExceeded, span: &GenAiSpan);

    /// A short name used when reporting this callback's panics. Defaults to its type name.
    fn name(&self) -> &str {
        std::any::type_name::<Self>()
    }
}

impl<F> OnCostExceeded for F
where
    F: Fn(&CostExceeded, &GenAiSpan) + Send + Sync + 'static,
{
    fn on_cost_exceeded(&self, alert: &CostExceeded, span: &GenAiSpan) {
        self(alert, span)
    }
}

impl OnCostExceeded for () {
    fn on_cost_exceeded(&self, _: &CostExceeded, _: &GenAiSpan) {}
}
