//! The checks every fault scenario makes (tests/it/setup_faults.rs, tests/it/setup_failures.rs,
//! tests/it/setup_grpc_failures.rs):
//!
//! (a) the application is not blocked: emitting LLM spans while the collector misbehaves
//!     finishes within [`EMIT_BOUND`];
//! (b) `guard.shutdown()` returns within its configured timeout plus [`SHUTDOWN_SLACK`];
//! (c) `ended == exported + failed + dropped`;
//! (d) the one-line summary (`{report}` / `{err}`, what the guard prints when dropped) states
//!     those counts, and shutdown logs it as one `tracing` event (target
//!     `tracing_genai::export`, `WARN` when spans were lost) whose fields carry the same counts.

use std::time::{Duration, Instant};

use tracing::Dispatch;
use tracing_genai::GenAiSpanExt;
use tracing_genai::content::ChatMessage;
use tracing_genai::{TelemetryGuard, setup::ShutdownReport};
use tracing_subscriber::layer::SubscriberExt;

/// Upper bound for emitting one call's spans (at most a few thousand) in a debug build on a
/// loaded machine. Emitting is microseconds per span; the fault tests set export timeouts of
/// 30 s or more where that matters, so a span end that waited for one export would exceed it.
/// A non-blocking check, not a speed test.
pub const EMIT_BOUND: Duration = Duration::from_secs(15);

/// Bookkeeping slack over the configured shutdown timeout (thread start, probe, scheduling on
/// a shared 2-core machine).
pub const SHUTDOWN_SLACK: Duration = Duration::from_secs(2);

/// Builds the pipeline without installing it globally.
pub fn pipeline(config: tracing_genai::Config) -> (Dispatch, TelemetryGuard) {
    let (layer, guard) = config.with_fmt_layer(false).build().unwrap().layer();
    (
        Dispatch::new(tracing_subscriber::registry().with(layer)),
        guard,
    )
}

/// Emits `n` chat spans (15 GenAI attributes each) through `dispatch`; `gen_ai.usage.input_tokens`
/// is `marker + i` so that the receiver can tell batches apart. Asserts (a) and returns how long
/// it took.
pub fn emit(dispatch: &Dispatch, n: u64, marker: u64) -> Duration {
    emit_with(dispatch, n, marker, "")
}

/// [`emit`] with an extra `payload` attribute on every span (for size limits).
pub fn emit_with(dispatch: &Dispatch, n: u64, marker: u64, payload: &str) -> Duration {
    let started = Instant::now();
    tracing::dispatcher::with_default(dispatch, || {
        for i in 0..n {
            llm_span(marker + i, payload);
        }
    });
    let elapsed = started.elapsed();
    assert!(
        elapsed < EMIT_BOUND,
        "emitting {n} spans took {elapsed:?}: span end blocked on the exporter"
    );
    elapsed
}

/// One LLM call span with the usual GenAI fields (15 attributes with the operation, provider,
/// model and span kind), ended before returning.
pub fn llm_span(input_tokens: u64, payload: &str) {
    drop(chat_span(input_tokens, payload));
}

/// [`llm_span`] with one user message of `content` (exported when content capture is on).
pub fn llm_span_with_content(input_tokens: u64, content: &str) {
    let span = chat_span(input_tokens, "");
    span.record_input_messages(&[ChatMessage::user(content)]);
    drop(span);
}

/// The span of [`llm_span`], not yet ended.
pub fn chat_span(input_tokens: u64, payload: &str) -> tracing::Span {
    let span = tracing_genai::genai_span!(
        "chat",
        "openai",
        "gpt-4o",
        gen_ai.request.max_tokens = 1024_u64,
        gen_ai.request.temperature = 0.2,
        gen_ai.request.top_p = 0.9,
        server.address = "api.openai.com",
        server.port = 443_u64,
        gen_ai.conversation.id = "conv_5j66UpCpwteGg4YSxUnt7lPY",
        payload = payload,
    );
    span.record("gen_ai.response.id", "chatcmpl-123");
    span.record("gen_ai.response.model", "gpt-4o-2024-08-06");
    span.record_token_usage(input_tokens, 256);
    span.record_finish_reasons(["stop"]);
    span
}

/// What shutdown returned, how long it took and the summary line.
#[derive(Debug)]
pub struct Shutdown {
    pub report: ShutdownReport,
    pub elapsed: Duration,
    /// The first line of the report as the guard prints it.
    pub summary: String,
}

/// Shuts down, asserting (b), (c) and (d).
pub fn shutdown(guard: &TelemetryGuard, timeout: Duration) -> Shutdown {
    let log = LogCapture::default();
    let subscriber = tracing_subscriber::registry().with(log.clone());
    let started = Instant::now();
    let result = tracing::subscriber::with_default(subscriber, || guard.shutdown());
    let elapsed = started.elapsed();
    let (report, text) = match &result {
        Ok(report) => (report.clone(), report.to_string()),
        Err(err) => (err.report().clone(), err.to_string()),
    };
    assert!(
        elapsed <= timeout + SHUTDOWN_SLACK,
        "shutdown took {elapsed:?} (timeout {timeout:?}): {text}"
    );
    assert_eq!(
        report.ended,
        report.exported + report.failed + report.dropped,
        "accounting: {report:?}"
    );
    let summary = text.lines().next().unwrap_or_default().to_owned();
    let counts = if report.is_complete() {
        format!("{} of {} spans exported", report.exported, report.ended)
    } else {
        format!(
            "{} of {} spans exported, {} failed, {} dropped",
            report.exported, report.ended, report.failed, report.dropped
        )
    };
    assert!(
        summary.contains(&counts),
        "summary {summary:?} lacks {counts:?}"
    );
    assert_eq!(result.is_ok(), report.is_complete());
    let events = log.events();
    assert_eq!(events.len(), 1, "one shutdown log event: {events:?}");
    let event = &events[0];
    let level = if report.is_complete() { "INFO" } else { "WARN" };
    assert_eq!(event.level, level, "{event:?}");
    for (name, value) in [
        ("ended", report.ended),
        ("exported", report.exported),
        ("failed", report.failed),
        ("dropped", report.dropped),
    ] {
        assert_eq!(
            event.fields.get(name),
            Some(&value.to_string()),
            "{name} in {event:?}"
        );
    }
    assert!(event.message.contains(&counts), "{event:?}");
    // Idempotent: a second call returns the first result at once.
    assert_eq!(guard.shutdown(), result);
    Shutdown {
        report,
        elapsed,
        summary,
    }
}

/// Prints a row of the fault matrix in BENCHMARKS.md (visible with `--nocapture`).
pub fn row(scenario: &str, emitted: u64, emit: Duration, out: &Shutdown) {
    let r = &out.report;
    eprintln!(
        "| {scenario} | {emitted} spans in {:.0?} | {:.2?} | {} | {} | {} | {} | {} |",
        emit,
        out.elapsed,
        r.ended,
        r.exported,
        r.failed,
        r.dropped,
        if r.timed_out { "yes" } else { "no" },
    );
    eprintln!("  summary: {}", r.to_string().replace('\n', " / "));
}

/// One captured `tracing_genai::export` event.
#[derive(Debug, Clone)]
pub struct LogEvent {
    pub level: String,
    pub message: String,
    pub fields: std::collections::BTreeMap<String, String>,
}

/// A layer that keeps the events of target `tracing_genai::export`.
#[derive(Clone, Default)]
pub struct LogCapture(std::sync::Arc<std::sync::Mutex<Vec<LogEvent>>>);

impl LogCapture {
    pub fn events(&self) -> Vec<LogEvent> {
        self.0.lock().unwrap().clone()
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for LogCapture {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if event.metadata().target() != "tracing_genai::export" {
            return;
        }
        struct Visit<'a>(&'a mut LogEvent);
        impl tracing::field::Visit for Visit<'_> {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0.message = format!("{value:?}");
                } else {
                    self.0
                        .fields
                        .insert(field.name().to_owned(), format!("{value:?}"));
                }
            }
        }
        let mut captured = LogEvent {
            level: event.metadata().level().to_string(),
            message: String::new(),
            fields: Default::default(),
        };
        event.record(&mut Visit(&mut captured));
        self.0.lock().unwrap().push(captured);
    }
}
