//! `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`: each value, invalid values fail
//! closed, code overrides the environment. One test function: the environment is process-wide.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::{attr, run};
use tracing_genai::content::{ChatMessage, ContentCapture, GenAiContentExt};

const EVENT: &str = "gen_ai.client.inference.operation.details";

/// (content on the span, content in the event) for a layer configured by `configure`.
fn observe(configure: fn(support::TestLayer) -> support::TestLayer) -> (bool, bool) {
    let spans = run(configure, || {
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

#[test]
fn environment_variable() {
    let var = ContentCapture::ENV_VAR;
    // SAFETY (edition 2021: safe fn): this binary has a single test, no other thread reads env.
    std::env::remove_var(var);
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
        // fail closed
        ("true", (false, false)),
        ("false", (false, false)),
        ("TRUE", (false, false)),
        ("1", (false, false)),
        ("yes", (false, false)),
        ("garbage", (false, false)),
        ("SPAN-ONLY", (false, false)),
        ("", (false, false)),
    ] {
        std::env::set_var(var, value);
        assert_eq!(observe(|l| l), expected, "{var}={value:?}");
    }

    // Code overrides the environment, both ways.
    std::env::set_var(var, "SPAN_AND_EVENT");
    assert_eq!(
        observe(|l| l.with_content_capture(ContentCapture::NoContent)),
        (false, false)
    );
    std::env::set_var(var, "garbage");
    assert_eq!(
        observe(|l| l.with_content_capture(ContentCapture::SpanOnly)),
        (true, false)
    );
    std::env::remove_var(var);
}
