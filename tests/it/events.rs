//! GenAI events as OpenTelemetry log records: the inference details record (with and without
//! content), the exception record, evaluations, the span-event fallback and the behaviour
//! without a logger provider.

use opentelemetry::logs::{AnyValue, Severity};
use opentelemetry_sdk::logs::{InMemoryLogExporter, SdkLogRecord, SdkLoggerProvider};
use opentelemetry_sdk::trace::SpanData;
use tracing_genai::content::{ChatMessage, ContentCapture, OutputMessage};
use tracing_genai::{Evaluation, EventTarget, GenAiSpanExt};

use crate::support::{Harness, HarnessBuilder, event, event_attr, registry};

const DETAILS: &str = "gen_ai.client.inference.operation.details";
const EXCEPTION: &str = "gen_ai.client.operation.exception";
const EVALUATION: &str = "gen_ai.evaluation.result";

/// The in-memory logs pipeline; the provider is kept so that dropping the layer does not shut
/// it down (the in-memory exporter forgets its records on shutdown).
struct Logs {
    exporter: InMemoryLogExporter,
    _provider: SdkLoggerProvider,
}

/// A harness whose layer has an in-memory logger provider (simple processor).
fn with_logs(builder: HarnessBuilder) -> (HarnessBuilder, Logs) {
    let exporter = InMemoryLogExporter::default();
    let provider = SdkLoggerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    (
        builder.configure(|l| l.with_logger_provider(&provider)),
        Logs {
            exporter,
            _provider: provider,
        },
    )
}

fn records(logs: &Logs) -> Vec<SdkLogRecord> {
    logs.exporter
        .get_emitted_logs()
        .unwrap()
        .into_iter()
        .map(|l| l.record)
        .collect()
}

fn named<'a>(records: &'a [SdkLogRecord], name: &str) -> Vec<&'a SdkLogRecord> {
    records
        .iter()
        .filter(|r| r.event_name() == Some(name))
        .collect()
}

fn log_attr<'a>(record: &'a SdkLogRecord, key: &str) -> Option<&'a AnyValue> {
    record
        .attributes_iter()
        .find(|(k, _)| k.as_str() == key)
        .map(|(_, v)| v)
}

fn log_str(record: &SdkLogRecord, key: &str) -> Option<String> {
    match log_attr(record, key) {
        Some(AnyValue::String(s)) => Some(s.as_str().to_string()),
        _ => None,
    }
}

fn assert_in_span(record: &SdkLogRecord, span: &SpanData) {
    let cx = record.trace_context().expect("trace context");
    assert_eq!(cx.trace_id, span.span_context.trace_id());
    assert_eq!(cx.span_id, span.span_context.span_id());
}

fn chat() {
    let span = tracing_genai::genai_span!(
        "chat",
        "openai",
        "gpt-4o",
        gen_ai.request.temperature = 0.2,
        gen_ai.request.max_tokens = 100_u64
    );
    span.record_token_usage(12, 30);
    span.record_finish_reasons(["stop"]);
    span.record_input_messages(&[ChatMessage::user("PROMPT-MARKER")]);
    span.record_output_messages(&[OutputMessage::assistant("OUTPUT-MARKER", "stop")]);
}

#[test]
fn event_only_emits_one_details_record_with_content_and_typed_attributes() {
    let (builder, logs) = with_logs(Harness::builder().content(ContentCapture::EventOnly));
    let spans = builder.build().collect_spans(chat);
    let records = records(&logs);
    assert_eq!(records.len(), 1, "{records:?}");
    let details = named(&records, DETAILS);
    assert_eq!(details.len(), 1);
    let r = details[0];
    assert_in_span(r, &spans[0]);
    assert_eq!(r.severity_number(), Some(Severity::Info));
    assert_eq!(
        log_attr(r, "gen_ai.usage.input_tokens"),
        Some(&AnyValue::Int(12))
    );
    assert_eq!(
        log_attr(r, "gen_ai.request.max_tokens"),
        Some(&AnyValue::Int(100))
    );
    assert_eq!(
        log_attr(r, "gen_ai.request.temperature"),
        Some(&AnyValue::Double(0.2))
    );
    assert_eq!(
        log_attr(r, "gen_ai.response.finish_reasons"),
        Some(&AnyValue::ListAny(Box::new(vec![AnyValue::String(
            "stop".into()
        )])))
    );
    assert_eq!(log_str(r, "gen_ai.operation.name").as_deref(), Some("chat"));
    assert!(
        log_str(r, "gen_ai.input.messages")
            .unwrap()
            .contains("PROMPT-MARKER")
    );
    assert!(
        log_str(r, "gen_ai.output.messages")
            .unwrap()
            .contains("OUTPUT-MARKER")
    );
    // Log records replace the span event; EVENT_ONLY keeps content off the span.
    assert!(event(&spans[0], DETAILS).is_none());
    assert!(
        format!("{:?}", spans[0].attributes)
            .find("PROMPT-MARKER")
            .is_none()
    );
}

#[test]
fn content_off_details_record_has_no_content() {
    let (builder, logs) = with_logs(
        Harness::builder()
            .content(ContentCapture::NoContent)
            .configure(|l| l.with_inference_details(true)),
    );
    builder.build().collect_spans(chat);
    let records = records(&logs);
    let details = named(&records, DETAILS);
    assert_eq!(details.len(), 1);
    let text = format!("{:?}", details[0]);
    assert!(!text.contains("PROMPT-MARKER") && !text.contains("OUTPUT-MARKER"));
    assert!(log_attr(details[0], "gen_ai.input.messages").is_none());
    assert_eq!(
        log_attr(details[0], "gen_ai.usage.output_tokens"),
        Some(&AnyValue::Int(30))
    );
}

#[test]
fn no_details_record_by_default_without_event_mode() {
    for mode in [ContentCapture::NoContent, ContentCapture::SpanOnly] {
        let (builder, logs) = with_logs(Harness::builder().content(mode));
        builder.build().collect_spans(chat);
        assert!(records(&logs).is_empty(), "{mode:?}");
    }
}

#[test]
fn failed_call_emits_the_exception_record_at_warn() {
    let (builder, logs) = with_logs(Harness::builder());
    let spans = builder.build().collect_spans(|| {
        let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
        span.record_error_type("rate_limit_exceeded", Some("slow down"));
    });
    let records = records(&logs);
    let exc = named(&records, EXCEPTION);
    assert_eq!(exc.len(), 1, "{records:?}");
    let r = exc[0];
    assert_in_span(r, &spans[0]);
    assert_eq!(r.severity_number(), Some(Severity::Warn));
    assert_eq!(r.severity_text(), Some("WARN"));
    assert_eq!(
        log_str(r, "exception.type").as_deref(),
        Some("rate_limit_exceeded")
    );
    assert_eq!(
        log_str(r, "exception.message").as_deref(),
        Some("slow down")
    );
    assert_eq!(
        log_str(r, "error.type").as_deref(),
        Some("rate_limit_exceeded")
    );
    assert_eq!(
        log_str(r, "gen_ai.request.model").as_deref(),
        Some("gpt-4o")
    );
    // The record replaces the `exception` span event; the span keeps error.type and status.
    assert!(event(&spans[0], "exception").is_none());
    assert!(crate::support::is_error(&spans[0]));
}

#[test]
fn evaluation_is_emitted_with_the_span_ids() {
    let (builder, logs) = with_logs(Harness::builder());
    let spans = builder.build().collect_spans(|| {
        let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
        span.record_genai(tracing_genai::GenAiField::ResponseId, "resp-1");
        assert!(
            span.record_evaluation(
                Evaluation::new("relevance")
                    .with_score_value(0.75)
                    .with_score_label("relevant")
                    .with_explanation("key sk-abcdefghijklmnopqrstuvwx on topic")
            )
        );
        span.record_evaluation(Evaluation::new("toxicity").with_error_type("timeout"));
    });
    let records = records(&logs);
    let evals = named(&records, EVALUATION);
    assert_eq!(evals.len(), 2, "{records:?}");
    let r = evals[0];
    assert_in_span(r, &spans[0]);
    assert_eq!(
        log_str(r, "gen_ai.evaluation.name").as_deref(),
        Some("relevance")
    );
    assert_eq!(
        log_attr(r, "gen_ai.evaluation.score.value"),
        Some(&AnyValue::Double(0.75))
    );
    assert_eq!(
        log_str(r, "gen_ai.evaluation.score.label").as_deref(),
        Some("relevant")
    );
    assert_eq!(
        log_str(r, "gen_ai.evaluation.explanation").as_deref(),
        Some("key [REDACTED] on topic")
    );
    assert_eq!(log_str(r, "gen_ai.response.id").as_deref(), Some("resp-1"));
    assert_eq!(log_str(evals[1], "error.type").as_deref(), Some("timeout"));
    assert!(log_attr(evals[1], "gen_ai.evaluation.score.value").is_none());
}

#[test]
fn span_event_fallback_when_chosen() {
    let (builder, logs) = with_logs(
        Harness::builder()
            .content(ContentCapture::EventOnly)
            .configure(|l| l.with_events_as(EventTarget::SpanEvents)),
    );
    let spans = builder.build().collect_spans(|| {
        chat();
        let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
        span.record_error_type("500", Some("boom"));
        span.record_evaluation(Evaluation::new("relevance").with_score_value(1.0));
    });
    assert!(records(&logs).is_empty());
    let ok = &spans[0];
    let details = event(ok, DETAILS).expect("details span event");
    assert!(
        event_attr(details, "gen_ai.input.messages")
            .unwrap()
            .contains("PROMPT-MARKER")
    );
    let failed = &spans[1];
    assert!(event(failed, "exception").is_some());
    assert!(event(failed, EVALUATION).is_some());
}

#[test]
fn both_targets_emit_records_and_span_events() {
    let (builder, logs) = with_logs(
        Harness::builder()
            .content(ContentCapture::EventOnly)
            .configure(|l| l.with_events_as(EventTarget::Both)),
    );
    let spans = builder.build().collect_spans(|| {
        let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
        span.record_input_messages(&[ChatMessage::user("PROMPT-MARKER")]);
        span.record_error_type("500", Some("boom"));
    });
    let records = records(&logs);
    assert_eq!(named(&records, DETAILS).len(), 1);
    assert_eq!(named(&records, EXCEPTION).len(), 1);
    assert!(event(&spans[0], DETAILS).is_some());
    assert!(event(&spans[0], "exception").is_some());
}

#[test]
fn without_a_logger_events_stay_span_events() {
    let spans = Harness::builder()
        .content(ContentCapture::EventOnly)
        .build()
        .collect_spans(|| {
            chat();
            let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
            span.record_error_type("500", Some("boom"));
        });
    assert!(event(&spans[0], DETAILS).is_some());
    assert!(event(&spans[1], "exception").is_some());
    assert!(event(&spans[1], EXCEPTION).is_none());
}

#[test]
fn log_records_only_without_logger_emits_nothing() {
    let spans = Harness::builder()
        .content(ContentCapture::EventOnly)
        .configure(|l| l.with_events_as(EventTarget::LogRecords))
        .build()
        .collect_spans(|| {
            chat();
            let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
            span.record_error_type("500", Some("boom"));
        });
    assert!(spans.iter().all(|s| s.events.events.is_empty()));
    // The failure is still on the span.
    assert!(crate::support::is_error(&spans[1]));
}

#[test]
fn non_genai_spans_and_tool_spans_emit_no_details() {
    let (builder, logs) = with_logs(
        Harness::builder()
            .content(ContentCapture::EventOnly)
            .configure(|l| l.with_inference_details(true)),
    );
    builder.build().collect_spans(|| {
        let _plain = tracing::info_span!("handler").entered();
        let _tool = tracing_genai::tool_span!("get_weather").entered();
    });
    assert!(named(&records(&logs), DETAILS).is_empty());
}

/// Every `gen_ai.*` key of every emitted record exists in the registry with its declared type.
#[test]
fn log_record_attributes_match_the_registry() {
    let (builder, logs) = with_logs(
        Harness::builder()
            .content(ContentCapture::SpanAndEvent)
            .configure(|l| l.with_inference_details(true)),
    );
    builder.build().collect_spans(|| {
        chat();
        let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
        span.record_error_type("500", Some("boom"));
        span.record_evaluation(
            Evaluation::new("relevance")
                .with_score_value(1.0)
                .with_score_label("ok")
                .with_explanation("fine"),
        );
    });
    let regs = registry::cached();
    let mut checked = 0;
    for r in records(&logs) {
        let name = r.event_name().unwrap_or_default().to_string();
        for (key, value) in r.attributes_iter() {
            let Some(ty) = registry::declared_type(regs, key.as_str(), &name) else {
                continue;
            };
            let ok = match (ty, value) {
                ("int", AnyValue::Int(_)) => true,
                ("double", AnyValue::Double(f)) => f.is_finite(),
                ("string" | "enum" | "any", AnyValue::String(_)) => true,
                ("boolean", AnyValue::Boolean(_)) => true,
                ("string[]", AnyValue::ListAny(items)) => {
                    items.iter().all(|i| matches!(i, AnyValue::String(_)))
                }
                _ => false,
            };
            assert!(ok, "{key} on {name}: declared {ty} but emitted {value:?}");
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} attributes checked");
}

/// Latest conventions: the details record is recommended, so every inference call gets one
/// (as a log record, severity DEBUG), without content unless capture asks for events; a
/// tool call gets none. Pinned (above): none without an event mode. Both: the latest rule.
#[test]
fn latest_conventions_emit_the_details_record_by_default_at_debug() {
    use tracing_genai::semconv::Conventions;
    for conventions in [Conventions::Latest, Conventions::Both] {
        let (builder, logs) = with_logs(Harness::builder().configure(move |l| {
            l.with_conventions(conventions)
                .with_content_capture(ContentCapture::SpanOnly)
        }));
        let spans = builder.build().collect_spans(|| {
            chat();
            drop(tracing_genai::tool_span!("get_weather").entered());
        });
        let records = records(&logs);
        let details = named(&records, DETAILS);
        assert_eq!(details.len(), 1, "{conventions:?}: {records:?}");
        let r = details[0];
        let chat_span = spans.iter().find(|s| s.name == "chat gpt-4o").unwrap();
        assert_in_span(r, chat_span);
        assert_eq!(
            r.severity_number(),
            Some(Severity::Debug),
            "{conventions:?}"
        );
        assert_eq!(
            log_attr(r, "gen_ai.usage.output_tokens"),
            Some(&AnyValue::Int(30))
        );
        // SPAN_ONLY: the content is on the span, not in the record.
        assert_eq!(log_str(r, "gen_ai.input.messages"), None, "{conventions:?}");
        assert!(event(chat_span, DETAILS).is_none());
    }
    // Without a logger, latest mode adds no span event (it would repeat the span).
    let spans = Harness::builder()
        .configure(|l| l.with_conventions(Conventions::Latest))
        .build()
        .collect_spans(chat);
    assert!(event(&spans[0], DETAILS).is_none());
}
