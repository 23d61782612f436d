//! Retries: one logical span per LLM call, one span event per retry.
//!
//! The GenAI conventions let a span cover a call's retries. Call
//! [`record_retry`](GenAiRetryExt::record_retry) when an attempt failed and another one is
//! about to start: it adds a `tracing_genai.retry` event with
//! `tracing_genai.retry.attempt` (the attempt about to start: 2 for the first retry),
//! `tracing_genai.retry.delay` (seconds waited before it), `tracing_genai.retry.reason`
//! (e.g. `HTTP 429, Retry-After: 2`) and the failed attempt's `error.type` if one was
//! recorded. It then clears the span's error, so the span's status and `error.type` reflect
//! the **last** attempt: a retry that succeeds leaves the span OK; record the final failure
//! as usual if the last attempt fails.
//! [`record_retry_after_error`](GenAiRetryExt::record_retry_after_error) takes the failed
//! attempt's `error.type` as an argument instead, for retry code that did not record it on the
//! span.

use std::time::{Duration, SystemTime};

use opentelemetry::KeyValue;

use crate::semconv as sc;
use crate::span_ext::GenAiSpanExt;
use crate::state::SpanEvent;

/// Retry recording on a [`tracing::Span`]; see the [module docs](self).
///
/// ```
/// use std::time::Duration;
/// use tracing_genai::{GenAiRetryExt, GenAiSpanExt};
///
/// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
/// span.record_error_type("429", Some("rate limited"));
/// span.record_retry(2, Duration::from_secs(2), "HTTP 429, Retry-After: 2");
/// // ... the second attempt succeeds: the span ends OK, with one retry event.
/// ```
pub trait GenAiRetryExt {
    /// Records that attempt `attempt` starts after waiting `delay` because of `reason`.
    /// Returns whether the span is a GenAI span known to an installed layer.
    fn record_retry(&self, attempt: u32, delay: Duration, reason: &str) -> bool;

    /// Like [`record_retry`](Self::record_retry), for code that knows why the previous attempt
    /// failed without having recorded it on the span (a retry middleware, a retry loop):
    /// `previous_error_type` becomes the event's `error.type` (instead of the error recorded
    /// on the span, which is cleared all the same). Returns whether the span is a GenAI span
    /// known to an installed layer.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tracing_genai::GenAiRetryExt;
    ///
    /// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    /// span.record_retry_after_error(2, Duration::from_millis(500), "HTTP 503", "503");
    /// // ... the second attempt succeeds: the span ends OK, with one retry event whose
    /// // `error.type` is `503`.
    /// ```
    fn record_retry_after_error(
        &self,
        attempt: u32,
        delay: Duration,
        reason: &str,
        previous_error_type: &str,
    ) -> bool;
}

impl GenAiRetryExt for tracing::Span {
    fn record_retry(&self, attempt: u32, delay: Duration, reason: &str) -> bool {
        retry_event(self, attempt, delay, reason, None)
    }

    fn record_retry_after_error(
        &self,
        attempt: u32,
        delay: Duration,
        reason: &str,
        previous_error_type: &str,
    ) -> bool {
        retry_event(self, attempt, delay, reason, Some(previous_error_type))
    }
}

/// Adds the retry event; `previous` overrides the error recorded on the span.
fn retry_event(
    span: &tracing::Span,
    attempt: u32,
    delay: Duration,
    reason: &str,
    previous: Option<&str>,
) -> bool {
    span.with_genai_state(|s| {
        let mut attributes = vec![
            KeyValue::new(sc::TG_RETRY_ATTEMPT, i64::from(attempt)),
            KeyValue::new(sc::TG_RETRY_DELAY, delay.as_secs_f64()),
            KeyValue::new(sc::TG_RETRY_REASON, reason.to_string()),
        ];
        let recorded = s.error.take().map(|e| e.error_type);
        let previous = previous
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .or(recorded);
        if let Some(error_type) = previous {
            attributes.push(KeyValue::new(sc::ERROR_TYPE, error_type));
        }
        s.otel.status_error = false;
        s.events.push(SpanEvent {
            name: sc::EVENT_RETRY.into(),
            time: SystemTime::now(),
            attributes,
        });
    })
}
