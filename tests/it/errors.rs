//! Failure recording: `error` fields, ERROR events, `otel.status_code`, the error helpers.

use crate::support::*;
use opentelemetry::trace::Status;
use tracing::field::Empty;
use tracing_genai::GenAiSpanExt;

#[derive(Debug)]
struct RateLimited;
impl std::fmt::Display for RateLimited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("slow down")
    }
}
impl std::error::Error for RateLimited {}

#[derive(Debug)]
struct ApiError {
    source: RateLimited,
}
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("request failed")
    }
}
impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

#[test]
fn error_field_sets_status_type_and_exception_event() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = "m",
            error = Empty
        );
        let _g = span.enter();
        span.record("error", "connection reset");
    });
    let s = &spans[0];
    assert!(is_error(s), "status {:?}", s.status);
    assert_eq!(str_attr(s, "error.type"), "_OTHER");
    assert!(!has(s, "error"));
    let ev = event(s, "exception").expect("exception event");
    assert_eq!(
        event_attr(ev, "exception.message").as_deref(),
        Some("connection reset")
    );
    match &s.status {
        Status::Error { description } => assert_eq!(description, "connection reset"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn error_field_with_dyn_error_keeps_source_chain() {
    let spans = Harness::new().collect_spans(|| {
        let err = ApiError {
            source: RateLimited,
        };
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            error = &err as &(dyn std::error::Error + 'static)
        )
        .entered();
    });
    let s = &spans[0];
    assert!(is_error(s));
    let ev = event(s, "exception").unwrap();
    assert_eq!(
        event_attr(ev, "exception.message").as_deref(),
        Some("request failed: slow down")
    );
}

#[test]
fn error_event_inside_span() {
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = "m"
        )
        .entered();
        tracing::error!(error.type = "rate_limit", "provider said no");
    });
    let s = &spans[0];
    assert!(is_error(s));
    assert_eq!(str_attr(s, "error.type"), "rate_limit");
    assert_eq!(count(s, "error.type"), 1);
}

#[test]
fn error_event_without_type_is_other() {
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!("llm", gen_ai.operation.name = "chat").entered();
        tracing::error!("boom");
    });
    let s = &spans[0];
    assert!(is_error(s));
    assert_eq!(str_attr(s, "error.type"), "_OTHER");
}

#[test]
fn warn_event_is_not_an_error() {
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!("llm", gen_ai.operation.name = "chat").entered();
        tracing::warn!(error.type = "retry", "retrying");
    });
    let s = &spans[0];
    assert!(!is_error(s));
    assert!(!has(s, "error.type"));
}

#[test]
fn otel_status_code_error() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            otel.status_code = Empty,
            otel.status_description = Empty
        );
        let _g = span.enter();
        span.record("otel.status_code", "ERROR");
        span.record("otel.status_description", "quota exhausted");
    });
    let s = &spans[0];
    match &s.status {
        Status::Error { description } => assert_eq!(description, "quota exhausted"),
        other => panic!("expected error status, got {other:?}"),
    }
    assert_eq!(str_attr(s, "error.type"), "_OTHER");
    assert!(!has(s, "otel.status_code"));
    assert!(!has(s, "otel.status_description"));
}

#[test]
fn record_genai_error_uses_type_name() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!("llm", gen_ai.operation.name = "chat");
        let _g = span.enter();
        let err = ApiError {
            source: RateLimited,
        };
        assert!(span.record_genai_error(&err));
    });
    let s = &spans[0];
    assert!(is_error(s));
    assert_eq!(str_attr(s, "error.type"), "ApiError");
    let ev = event(s, "exception").unwrap();
    assert_eq!(
        event_attr(ev, "exception.message").as_deref(),
        Some("request failed: slow down")
    );
    assert_eq!(
        event_attr(ev, "exception.type").as_deref(),
        Some("ApiError")
    );
}

#[test]
fn record_error_type_http_status() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!("llm", gen_ai.operation.name = "chat");
        assert!(span.record_error_type("429", Some("Too Many Requests")));
    });
    let s = &spans[0];
    assert!(is_error(s));
    assert_eq!(str_attr(s, "error.type"), "429");
    let ev = event(s, "exception").unwrap();
    assert_eq!(
        event_attr(ev, "exception.message").as_deref(),
        Some("Too Many Requests")
    );
}

#[test]
fn explicit_error_type_wins_over_other() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            error = Empty,
            error.type = Empty
        );
        span.record("error", "boom");
        span.record("error.type", "timeout");
    });
    let s = &spans[0];
    assert_eq!(str_attr(s, "error.type"), "timeout");
    assert_eq!(count(s, "error.type"), 1);
}

#[test]
fn success_has_unset_status_and_no_error_type() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
        let _g = span.enter();
        span.record("gen_ai.usage.input_tokens", 1_u64);
        tracing::info!("all good");
    });
    let s = &spans[0];
    assert_eq!(s.status, Status::Unset);
    assert!(!has(s, "error.type"));
    assert!(event(s, "exception").is_none());
}

#[test]
fn error_in_child_non_genai_span_does_not_fail_parent() {
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = "m"
        )
        .entered();
        let _child = tracing::info_span!("http").entered();
        tracing::error!("child failed");
    });
    let llm = find(&spans, "chat m");
    assert!(!is_error(llm));
}

#[test]
fn otel_status_code_ok_sets_ok_like_tracing_opentelemetry() {
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            otel.status_code = "ok"
        )
        .entered();
    });
    assert_eq!(spans[0].status, Status::Ok);
    assert!(!has(&spans[0], "error.type"));
    let plain = Harness::plain().collect_spans(|| {
        let _s = tracing::info_span!("x", otel.status_code = "ok").entered();
    });
    assert_eq!(plain[0].status, Status::Ok);
}

#[test]
fn error_wins_over_status_ok() {
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            otel.status_code = "ok",
            error = "boom"
        )
        .entered();
    });
    assert!(is_error(&spans[0]));
}

#[test]
fn otel_status_description_alone_fails_the_span_like_tracing_opentelemetry() {
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            otel.status_description = "bad gateway"
        )
        .entered();
    });
    let plain = Harness::plain().collect_spans(|| {
        let _s = tracing::info_span!("x", otel.status_description = "bad gateway").entered();
    });
    assert_eq!(spans[0].status, plain[0].status);
    assert_eq!(
        spans[0].status,
        Status::Error {
            description: "bad gateway".into()
        }
    );
    assert_eq!(str_attr(&spans[0], "error.type"), "_OTHER");
}

#[test]
fn error_event_with_error_field_uses_the_error_text() {
    let io = std::io::Error::other("connection reset by peer");
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!("llm", gen_ai.operation.name = "chat").entered();
        tracing::error!(
            error = &io as &(dyn std::error::Error + 'static),
            "calling provider"
        );
    });
    let s = &spans[0];
    assert!(is_error(s));
    let exception = event(s, "exception").expect("exception event");
    assert_eq!(
        event_attr(exception, "exception.message").as_deref(),
        Some("connection reset by peer")
    );
}

/// The `exception` span event lies within the span: it is stamped when the error was
/// recorded, not when the span closed (a span ends at its last exit, which may be long before
/// it is closed), and a span failed after its last exit ends when it closes.
#[test]
fn the_exception_event_lies_within_the_span() {
    let within = |s: &opentelemetry_sdk::trace::SpanData| {
        let ev = event(s, "exception").expect("exception event");
        assert!(
            s.start_time <= ev.timestamp && ev.timestamp <= s.end_time,
            "{:?} <= {:?} <= {:?}",
            s.start_time,
            ev.timestamp,
            s.end_time
        );
    };
    let pause = || std::thread::sleep(std::time::Duration::from_millis(20));
    let spans = Harness::new().collect_spans(|| {
        // Failed inside (a field, then a helper), closed well after the last exit.
        let by_field = tracing::info_span!("a", gen_ai.operation.name = "chat", error = Empty);
        by_field.in_scope(|| by_field.record("error", "boom"));
        let by_helper = tracing::info_span!("b", gen_ai.operation.name = "chat");
        by_helper.in_scope(|| by_helper.record_genai_error(&RateLimited));
        // Failed by a field recorded after the last exit.
        let after_exit = tracing::info_span!("c", gen_ai.operation.name = "chat", error = Empty);
        after_exit.in_scope(|| {});
        pause();
        after_exit.record("error", "late");
        pause();
        drop((by_field, by_helper, after_exit));
    });
    assert_eq!(spans.len(), 3);
    for s in &spans {
        within(s);
    }
}
