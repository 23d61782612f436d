//! Counters that make the layer's own problems visible: nothing is dropped silently.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::model::GenAiSpan;

/// The GenAI layer's counters. Get a handle with
/// [`GenAiLayer::diagnostics`](crate::GenAiLayer::diagnostics).
///
/// ```
/// let layer = tracing_genai::layer::<tracing_subscriber::Registry>();
/// let snapshot = layer.diagnostics().snapshot();
/// assert_eq!(snapshot.mapper_panics, 0);
/// ```
#[derive(Debug, Default)]
pub struct Diagnostics {
    genai_spans: AtomicU64,
    spans_with_input_problems: AtomicU64,
    mapper_panics: AtomicU64,
    unwritten_spans: AtomicU64,
    cost_alerts: AtomicU64,
    cost_alert_panics: AtomicU64,
}

/// A point-in-time copy of [`Diagnostics`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiagnosticsSnapshot {
    /// GenAI spans closed so far.
    pub genai_spans: u64,
    /// GenAI spans that had at least one input problem (see `tracing_genai.diagnostics`).
    pub spans_with_input_problems: u64,
    /// Mapper invocations that panicked (their changes were discarded).
    pub mapper_panics: u64,
    /// GenAI spans whose attributes could not be written because no OpenTelemetry span was
    /// found (the wrapped layer is not tracing-opentelemetry, or filtered the span out).
    pub unwritten_spans: u64,
    /// Cost alerts raised (spans above an alert's threshold; see
    /// [cost alerts](crate::cost#cost-alerts)).
    pub cost_alerts: u64,
    /// Cost alert callbacks that panicked (nothing else changed).
    pub cost_alert_panics: u64,
}

impl fmt::Display for DiagnosticsSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} GenAI spans, {} with input problems, {} mapper panics, {} unwritten, \
             {} cost alerts, {} cost alert panics",
            self.genai_spans,
            self.spans_with_input_problems,
            self.mapper_panics,
            self.unwritten_spans,
            self.cost_alerts,
            self.cost_alert_panics
        )
    }
}

impl Diagnostics {
    /// Reads the counters.
    pub fn snapshot(&self) -> DiagnosticsSnapshot {
        DiagnosticsSnapshot {
            genai_spans: self.genai_spans.load(Ordering::Relaxed),
            spans_with_input_problems: self.spans_with_input_problems.load(Ordering::Relaxed),
            mapper_panics: self.mapper_panics.load(Ordering::Relaxed),
            unwritten_spans: self.unwritten_spans.load(Ordering::Relaxed),
            cost_alerts: self.cost_alerts.load(Ordering::Relaxed),
            cost_alert_panics: self.cost_alert_panics.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn record_span(&self, state: &GenAiSpan) {
        self.genai_spans.fetch_add(1, Ordering::Relaxed);
        if !state.diagnostics.is_empty() {
            self.spans_with_input_problems
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn record_mapper_panic(&self) {
        self.mapper_panics.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_unwritten(&self) {
        self.unwritten_spans.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_cost_alert(&self) {
        self.cost_alerts.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_cost_alert_panic(&self) {
        self.cost_alert_panics.fetch_add(1, Ordering::Relaxed);
    }
}
