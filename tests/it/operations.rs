//! One span per GenAI operation kind: name and kind per the semantic conventions.

use crate::support::*;
use opentelemetry::trace::SpanKind;

fn one(f: impl FnOnce()) -> opentelemetry_sdk::trace::SpanData {
    let spans = Harness::new().collect_spans(f);
    assert_eq!(spans.len(), 1, "{:?}", names(&spans));
    spans.into_iter().next().unwrap()
}

#[test]
fn chat() {
    let s = one(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.provider.name = "openai",
            gen_ai.request.model = "gpt-4o"
        )
        .entered();
    });
    assert_eq!(s.name, "chat gpt-4o");
    assert_eq!(s.span_kind, SpanKind::Client);
    assert_eq!(str_attr(&s, "gen_ai.operation.name"), "chat");
    assert_eq!(str_attr(&s, "gen_ai.request.model"), "gpt-4o");
    assert_eq!(str_attr(&s, "gen_ai.provider.name"), "openai");
}

#[test]
fn text_completion() {
    let s = one(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "text_completion",
            gen_ai.request.model = "davinci-002"
        )
        .entered();
    });
    assert_eq!(s.name, "text_completion davinci-002");
    assert_eq!(s.span_kind, SpanKind::Client);
    assert_eq!(str_attr(&s, "gen_ai.operation.name"), "text_completion");
}

#[test]
fn generate_content() {
    let s = one(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "generate_content",
            gen_ai.provider.name = "gcp.gemini",
            gen_ai.request.model = "gemini-2.0-flash"
        )
        .entered();
    });
    assert_eq!(s.name, "generate_content gemini-2.0-flash");
    assert_eq!(s.span_kind, SpanKind::Client);
    assert_eq!(str_attr(&s, "gen_ai.provider.name"), "gcp.gemini");
}

#[test]
fn embeddings() {
    let s = one(|| {
        let _s = tracing::info_span!(
            "embed",
            gen_ai.operation.name = "embeddings",
            gen_ai.request.model = "text-embedding-3-small",
            gen_ai.embeddings.dimension.count = 1536_u64
        )
        .entered();
    });
    assert_eq!(s.name, "embeddings text-embedding-3-small");
    assert_eq!(s.span_kind, SpanKind::Client);
    assert_eq!(i64_attr(&s, "gen_ai.embeddings.dimension.count"), 1536);
}

#[test]
fn execute_tool() {
    let s = one(|| {
        let _s = tracing::info_span!(
            "tool",
            gen_ai.operation.name = "execute_tool",
            gen_ai.tool.name = "get_weather",
            gen_ai.tool.call.id = "call_1"
        )
        .entered();
    });
    assert_eq!(s.name, "execute_tool get_weather");
    assert_eq!(s.span_kind, SpanKind::Internal);
    assert_eq!(str_attr(&s, "gen_ai.tool.call.id"), "call_1");
}

#[test]
fn invoke_agent_named() {
    let s = one(|| {
        let _s = tracing::info_span!(
            "agent",
            gen_ai.operation.name = "invoke_agent",
            gen_ai.agent.name = "planner"
        )
        .entered();
    });
    assert_eq!(s.name, "invoke_agent planner");
    assert_eq!(s.span_kind, SpanKind::Internal);
    assert_eq!(str_attr(&s, "gen_ai.agent.name"), "planner");
}

#[test]
fn invoke_agent_without_name() {
    let s = one(|| {
        let _s = tracing::info_span!("agent", gen_ai.operation.name = "invoke_agent").entered();
    });
    assert_eq!(s.name, "invoke_agent");
    assert_eq!(s.span_kind, SpanKind::Internal);
    assert!(!has(&s, "gen_ai.agent.name"));
}

#[test]
fn create_agent() {
    let s = one(|| {
        let _s = tracing::info_span!(
            "agent",
            gen_ai.operation.name = "create_agent",
            gen_ai.agent.name = "x",
            gen_ai.provider.name = "openai"
        )
        .entered();
    });
    assert_eq!(s.name, "create_agent x");
    assert_eq!(s.span_kind, SpanKind::Client);
}

#[test]
fn invoke_workflow() {
    let s = one(|| {
        let _s = tracing::info_span!(
            "wf",
            gen_ai.operation.name = "invoke_workflow",
            gen_ai.workflow.name = "w"
        )
        .entered();
    });
    assert_eq!(s.name, "invoke_workflow w");
    assert_eq!(s.span_kind, SpanKind::Internal);
    assert_eq!(str_attr(&s, "gen_ai.workflow.name"), "w");
}

#[test]
fn retrieval() {
    let s = one(|| {
        let _s = tracing::info_span!(
            "rag",
            gen_ai.operation.name = "retrieval",
            gen_ai.data_source.id = "docs-index"
        )
        .entered();
    });
    assert_eq!(s.name, "retrieval docs-index");
    assert_eq!(s.span_kind, SpanKind::Client);
    assert_eq!(str_attr(&s, "gen_ai.data_source.id"), "docs-index");
}

#[test]
fn otel_kind_overrides_default_kind() {
    let s = one(|| {
        let _s = tracing::info_span!(
            "tool",
            gen_ai.operation.name = "execute_tool",
            gen_ai.tool.name = "remote_search",
            otel.kind = "client"
        )
        .entered();
    });
    assert_eq!(s.span_kind, SpanKind::Client);
    assert!(!has(&s, "otel.kind"));
}

#[test]
fn otel_kind_recorded_before_enter_overrides() {
    let s = one(|| {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = "m",
            otel.kind = tracing::field::Empty
        );
        span.record("otel.kind", "server");
        let _g = span.enter();
    });
    assert_eq!(s.span_kind, SpanKind::Server);
}

#[test]
fn otel_name_overrides_span_name() {
    let s = one(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = "m",
            otel.name = "custom name"
        )
        .entered();
    });
    assert_eq!(s.name, "custom name");
    assert!(!has(&s, "otel.name"));
}

#[test]
fn operation_aliases_normalise() {
    let s = one(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "Chat_Completion",
            gen_ai.request.model = "m"
        )
        .entered();
    });
    assert_eq!(str_attr(&s, "gen_ai.operation.name"), "chat");
    assert_eq!(s.name, "chat m");
}

#[test]
fn span_rule_recognises_spans_without_operation_field() {
    let r = Harness::builder()
        .configure(|l| {
            l.with_rule(
                tracing_genai::SpanRule::target("my_client")
                    .with_name("complete")
                    .with_operation("chat")
                    .with_provider("OpenAI"),
            )
        })
        .build()
        .collect(|| {
            let _s = tracing::info_span!(
                target: "my_client::http",
                "complete",
                model = "gpt-4o",
                prompt_tokens = 5_u64
            )
            .entered();
            let _other = tracing::info_span!(target: "other", "complete", model = "x").entered();
        });
    let s = r.span("chat gpt-4o");
    assert_eq!(str_attr(s, "gen_ai.provider.name"), "openai");
    assert_eq!(i64_attr(s, "gen_ai.usage.input_tokens"), 5);
    assert!(!has(s, "model"));
    // The non-matching span is passed through untouched.
    let other = r.span("complete");
    assert_eq!(str_attr(other, "model"), "x");
}

#[test]
fn operation_recorded_late_but_before_enter_sets_kind() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!(
            "tool",
            gen_ai.operation.name = tracing::field::Empty,
            gen_ai.tool.name = "lookup"
        );
        span.record("gen_ai.operation.name", "execute_tool");
        let _e = span.entered();
    });
    assert_eq!(spans[0].name, "execute_tool lookup");
    assert_eq!(spans[0].span_kind, opentelemetry::trace::SpanKind::Internal);
}

#[test]
fn operation_unknown_at_start_defaults_to_client() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = tracing::field::Empty,
            gen_ai.request.model = "m"
        );
        let _e = span.enter();
        span.record("gen_ai.operation.name", "chat");
    });
    assert_eq!(spans[0].name, "chat m");
    assert_eq!(spans[0].span_kind, opentelemetry::trace::SpanKind::Client);
}
