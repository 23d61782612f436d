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
}

impl GenAiRetryExt for tracing::Span {
    fn record_retry(&self, attempt: u32, delay: Duration, reason: &str) -> bool {
        self.with_genai_state(|s| {
            let mut attributes = vec![
                KeyValue::new(sc::TG_RETRY_ATTEMPT, i64::from(attempt)),
                KeyValue::new(sc::TG_RETRY_DELAY, delay.as_secs_f64()),
                KeyValue::new(sc::TG_RETRY_REASON, reason.to_string()),
            ];
            if let Some(previous) = s.error.take() {
                attributes.push(KeyValue::new(sc::ERROR_TYPE, previous.error_type));
            }
            s.otel.status_error = false;
            s.events.push(SpanEvent {
                name: sc::EVENT_RETRY.into(),
                time: SystemTime::now(),
                attributes,
            });
        })
    }
}
