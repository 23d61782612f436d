//! `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`: each value, invalid values fail
//! closed, code overrides the environment. One test function: the environment is process-wide,
//! and so are the global subscriber and the once-per-process warning it checks. It re-runs itself
//! alone in a child process of the test binary, started with the variable unset, so that no
//! other test sees the values it sets.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::process::rerun_in_child_process_with;
use crate::support::{Harness, TestLayer, attr};
use tracing::Dispatch;
use tracing_genai::{
    GenAiSpanExt,
    content::{ChatMessage, ContentCapture},
};
use tracing_subscriber::layer::SubscriberExt;

static WARNINGS: AtomicUsize = AtomicUsize::new(0);

/// Counts the warnings tracing-genai logs.
struct CountWarnings;
impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountWarnings {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let meta = event.metadata();
        if *meta.level() == tracing::Level::WARN && meta.target() == "tracing_genai" {
            WARNINGS.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// The harness, its subscriber `registry().with(layer).with(CountWarnings)`.
fn harness(configure: fn(TestLayer) -> TestLayer) -> Harness {
    Harness::builder().configure(configure).build_with(|layer| {
        Dispatch::new(
            tracing_subscriber::registry()
                .with(layer)
                .with(CountWarnings),
        )
    })
}

const EVENT: &str = "gen_ai.client.inference.operation.details";

/// (content on the span, content in the event) for a layer configured by `configure`.
fn observe(configure: fn(TestLayer) -> TestLayer) -> (bool, bool) {
    let spans = harness(configure).collect_spans(|| {
        let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
        span.record_input_messages(&[ChatMessage::user("hello")]);
    });
    let s = &spans[0];
    let on_span = attr(s, "gen_ai.input.messages").is_some();
    let on_event = s.events.iter().any(|e| {
        e.name == EVENT
            && e.attributes
                .iter()
                .any(|kv| kv.key.as_str() == "gen_ai.input.messages")
    });
    (on_span, on_event)
}

/// Sets the variable (`None`: removes it).
#[allow(unsafe_code)]
fn set_env(var: &str, value: Option<&str>) {
    // SAFETY: `environment_variable` runs alone in a child process of its own
    // (`rerun_in_child_process_with`, one test thread) and starts no thread that reads the
    // environment, so nothing reads it while it changes.
    unsafe {
        match value {
            Some(v) => std::env::set_var(var, v),
            None => std::env::remove_var(var),
        }
    }
}

#[test]
fn environment_variable() {
    let var = ContentCapture::ENV_VAR;
    if rerun_in_child_process_with(&[(var, None)]) {
        return;
    }

    // An invalid value fails closed with exactly one warning. (Checked with a global
    // subscriber: tracing drops events emitted inside a scoped subscriber's callbacks.)
    set_env(var, Some("garbage"));
    let global = harness(|l| l);
    tracing::dispatcher::set_global_default(global.dispatch().clone()).unwrap();
    for _ in 0..3 {
        let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
        span.record_input_messages(&[ChatMessage::user("hello")]);
    }
    let spans = global.spans();
    assert_eq!(spans.len(), 3);
    assert!(
        spans
            .iter()
            .all(|s| attr(s, "gen_ai.input.messages").is_none())
    );
    assert_eq!(WARNINGS.load(Ordering::SeqCst), 1, "exactly one warning");

    set_env(var, None);
    assert_eq!(observe(|l| l), (false, false), "unset");

    for (value, expected) in [
        ("NO_CONTENT", (false, false)),
        ("SPAN_ONLY", (true, false)),
        ("EVENT_ONLY", (false, true)),
        ("SPAN_AND_EVENT", (true, true)),
        ("span_only", (true, false)),
        ("Span_And_Event", (true, true)),
        ("event_only", (false, true)),
        ("no_content", (false, false)),
        // What OpenTelemetry's OpenAI instrumentations and the genai crate document.
        ("true", (true, false)),
        ("TRUE", (true, false)),
        ("False", (false, false)),
        // fail closed
        ("1", (false, false)),
        ("yes", (false, false)),
        ("garbage", (false, false)),
        ("SPAN-ONLY", (false, false)),
        ("", (false, false)),
    ] {
        set_env(var, Some(value));
        assert_eq!(observe(|l| l), expected, "{var}={value:?}");
    }
    assert_eq!(WARNINGS.load(Ordering::SeqCst), 1, "exactly one warning");

    // Code overrides the environment, both ways.
    set_env(var, Some("SPAN_AND_EVENT"));
    assert_eq!(
        observe(|l| l.with_content_capture(ContentCapture::NoContent)),
        (false, false)
    );
    set_env(var, Some("garbage"));
    assert_eq!(
        observe(|l| l.with_content_capture(ContentCapture::SpanOnly)),
        (true, false)
    );
    set_env(var, None);
}

/// An invalid value is visible with no `tracing` output configured: one line on stderr at
/// `setup()`, naming the variable, the value and the accepted values; content stays off.
#[cfg(feature = "setup")]
#[test]
fn invalid_value_is_one_stderr_line_at_setup() {
    use crate::support::process::run_in_child_process;
    let var = ContentCapture::ENV_VAR;
    if let Some(child) = run_in_child_process(&[(var, Some("yes please"))]) {
        let lines: Vec<&str> = child.stderr.lines().filter(|l| l.contains(var)).collect();
        assert_eq!(lines.len(), 1, "{}", child.stderr);
        let line = lines[0];
        assert!(line.starts_with("tracing-genai: invalid"), "{line}");
        for accepted in [
            "\"yes please\"",
            "SPAN_ONLY",
            "EVENT_ONLY",
            "true",
            "false",
            "NO_CONTENT",
        ] {
            assert!(line.contains(accepted), "{accepted} missing: {line}");
        }
        return;
    }
    let guard = tracing_genai::setup(
        tracing_genai::Config::from_env()
            .unwrap()
            .with_exporter(tracing_genai::setup::ExporterKind::None),
    )
    .unwrap();
    // Reported at setup already: spans afterwards add no second line.
    for _ in 0..2 {
        let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
        span.record_input_messages(&[ChatMessage::user("hello")]);
    }
    guard.shutdown().unwrap();
}
