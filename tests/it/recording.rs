//! Late recording: `span.record` after creation/entry/exit, repeated records, the
//! `GenAiSpanExt` helpers and the span macros.

use crate::support::*;
use opentelemetry::trace::SpanKind;
use tracing::field::Empty;
use tracing_genai::{GenAiField, GenAiSpanExt};

#[test]
fn recorded_after_creation_before_enter() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = Empty,
            gen_ai.usage.input_tokens = Empty
        );
        span.record("gen_ai.request.model", "gpt-4o");
        span.record("gen_ai.usage.input_tokens", 10_u64);
        let _g = span.enter();
    });
    let s = find(&spans, "chat gpt-4o");
    assert_eq!(i64_attr(s, "gen_ai.usage.input_tokens"), 10);
}

#[test]
fn recorded_while_entered_and_after_exit() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = "gpt-4o",
            gen_ai.usage.input_tokens = Empty,
            gen_ai.usage.output_tokens = Empty,
            gen_ai.response.id = Empty
        );
        {
            let _g = span.enter();
            span.record("gen_ai.usage.input_tokens", 12_u64);
        }
        // After exit, before close.
        span.record("gen_ai.usage.output_tokens", 30_u64);
        span.in_scope(|| {
            span.record("gen_ai.response.id", "r-9");
        });
    });
    let s = &spans[0];
    assert_eq!(i64_attr(s, "gen_ai.usage.input_tokens"), 12);
    assert_eq!(i64_attr(s, "gen_ai.usage.output_tokens"), 30);
    assert_eq!(str_attr(s, "gen_ai.response.id"), "r-9");
    assert_unique_keys(s);
}

#[test]
fn recorded_twice_last_wins_key_once() {
    // With the sampling-relevant attributes given at start off, every attribute is written at
    // close: the last value wins, each key once.
    let record = || {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = "first",
            gen_ai.usage.output_tokens = 1_u64,
            tenant_id = 1_u64
        );
        let _g = span.enter();
        span.record("gen_ai.request.model", "second");
        span.record("gen_ai.usage.output_tokens", 2_u64);
        span.record("gen_ai.usage.output_tokens", 3_u64);
        span.record("tenant_id", 2_u64);
    };
    let spans = Harness::builder()
        .configure(|l| l.with_sampling_attributes(false))
        .build()
        .collect(record)
        .spans;
    let s = &spans[0];
    assert_eq!(s.name, "chat second");
    assert_eq!(str_attr(s, "gen_ai.request.model"), "second");
    assert_eq!(i64_attr(s, "gen_ai.usage.output_tokens"), 3);
    assert_eq!(i64_attr(s, "tenant_id"), 2);
    assert_eq!(count(s, "gen_ai.request.model"), 1);
    assert_eq!(count(s, "gen_ai.usage.output_tokens"), 1);
    assert_eq!(count(s, "tenant_id"), 1);

    // By default the model given at creation went to the sampler with the span's start: it
    // stays the exported value (once), the later one is named in the diagnostics; the other
    // keys keep last-wins and the name follows the final state.
    let spans = Harness::new().collect_spans(record);
    let s = &spans[0];
    assert_eq!(s.name, "chat second");
    assert_eq!(str_attr(s, "gen_ai.request.model"), "first");
    assert_eq!(count(s, "gen_ai.request.model"), 1);
    assert_eq!(i64_attr(s, "gen_ai.usage.output_tokens"), 3);
    assert_eq!(count(s, "gen_ai.usage.output_tokens"), 1);
    assert_eq!(i64_attr(s, "tenant_id"), 2);
    let diagnostics = format!("{:?}", s.attributes);
    assert!(
        diagnostics.contains("gen_ai.request.model was given at span start as first"),
        "{diagnostics}"
    );
}

#[test]
fn state_changed_through_the_extension_after_start_is_compared_with_what_was_given() {
    // The values given at start are the state's own until something changes them: a change
    // made through `with_genai_state` (as the HTTP middleware does) must be seen as one, like
    // a field recorded again.
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.provider.name = "openai",
            gen_ai.request.model = "first",
            server.port = 443_u64
        );
        let _g = span.enter();
        span.with_genai_state(|s| {
            s.request.model = Some("second".into());
            s.server_port = Some(8443);
        });
    });
    let s = &spans[0];
    assert_eq!(s.name, "chat second");
    assert_eq!(str_attr(s, "gen_ai.request.model"), "first");
    assert_eq!(count(s, "gen_ai.request.model"), 1);
    assert_eq!(i64_attr(s, "server.port"), 443);
    assert_eq!(count(s, "server.port"), 1);
    assert_eq!(str_attr(s, "gen_ai.provider.name"), "openai");
    let diagnostics = format!("{:?}", s.attributes);
    assert!(
        diagnostics.contains("gen_ai.request.model was given at span start as first"),
        "{diagnostics}"
    );
    assert!(
        diagnostics.contains("server.port was given at span start as 443"),
        "{diagnostics}"
    );

    // A change back to the value given, and a change of a fact that only names the span.
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!(
            "wf",
            gen_ai.operation.name = "invoke_workflow",
            gen_ai.workflow.name = "nightly"
        );
        let _g = span.enter();
        span.record("gen_ai.workflow.name", "weekly");
        let chat = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = "same"
        );
        chat.record("gen_ai.request.model", "other");
        chat.record("gen_ai.request.model", "same");
    });
    let wf = spans
        .iter()
        .find(|s| s.name.starts_with("invoke_workflow"))
        .unwrap();
    assert_eq!(wf.name, "invoke_workflow weekly");
    let chat = spans.iter().find(|s| s.name.starts_with("chat")).unwrap();
    assert_eq!(chat.name, "chat same");
    assert_eq!(str_attr(chat, "gen_ai.request.model"), "same");
    assert!(
        !format!("{:?}", chat.attributes).contains("was given at span start"),
        "{:?}",
        chat.attributes
    );
}

#[test]
fn operation_recorded_late_sets_name_and_kind() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = Empty,
            gen_ai.tool.name = "lookup"
        );
        span.record("gen_ai.operation.name", "execute_tool");
        let _g = span.enter();
    });
    let s = &spans[0];
    assert_eq!(s.name, "execute_tool lookup");
    assert_eq!(s.span_kind, SpanKind::Internal);
}

#[test]
fn operation_recorded_before_enter_sets_client_kind() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = Empty,
            gen_ai.request.model = "m"
        );
        span.record("gen_ai.operation.name", "chat");
        let _g = span.enter();
    });
    assert_eq!(spans[0].name, "chat m");
    assert_eq!(spans[0].span_kind, SpanKind::Client);
}

#[test]
fn ext_helpers_work_without_declared_fields() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = "gpt-4o"
        );
        let _g = span.enter();
        assert!(span.record_token_usage(100, 200));
        assert!(span.record_finish_reasons(["stop", "tool_calls"]));
        assert!(span.record_genai(GenAiField::ResponseId, "chatcmpl-1"));
        assert!(span.record_genai(GenAiField::Temperature, 0.25));
        assert!(span.record_genai(GenAiField::CacheReadInputTokens, 5_u64));
        assert!(span.with_genai_state(|st| st.conversation_id = Some("conv-1".into())));
    });
    let s = &spans[0];
    assert_eq!(i64_attr(s, "gen_ai.usage.input_tokens"), 100);
    assert_eq!(i64_attr(s, "gen_ai.usage.output_tokens"), 200);
    assert_eq!(
        strings_attr(s, "gen_ai.response.finish_reasons"),
        ["stop", "tool_calls"]
    );
    assert_eq!(str_attr(s, "gen_ai.response.id"), "chatcmpl-1");
    assert_eq!(f64_attr(s, "gen_ai.request.temperature"), 0.25);
    assert_eq!(i64_attr(s, "gen_ai.usage.cache_read.input_tokens"), 5);
    assert_eq!(str_attr(s, "gen_ai.conversation.id"), "conv-1");
    assert_unique_keys(s);
}

#[test]
fn ext_helpers_return_false_on_non_genai_spans() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!("http", route = "/x");
        assert!(!span.record_token_usage(1, 2));
        assert!(!span.record_genai(GenAiField::RequestModel, "m"));
    });
    let s = &spans[0];
    assert!(
        s.attributes
            .iter()
            .all(|kv| !kv.key.as_str().starts_with("gen_ai."))
    );
}

#[test]
fn ext_helpers_without_subscriber_return_false() {
    let span = tracing::info_span!("llm", gen_ai.operation.name = "chat");
    assert!(!span.record_token_usage(1, 2));
}

#[test]
fn ext_helper_then_record_last_wins() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.usage.input_tokens = Empty
        );
        span.record_token_usage(1, 2);
        span.record("gen_ai.usage.input_tokens", 9_u64);
    });
    let s = &spans[0];
    assert_eq!(i64_attr(s, "gen_ai.usage.input_tokens"), 9);
    assert_eq!(i64_attr(s, "gen_ai.usage.output_tokens"), 2);
    assert_eq!(count(s, "gen_ai.usage.input_tokens"), 1);
}

#[test]
fn genai_span_macro() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing_genai::genai_span!(
            "chat",
            "anthropic",
            "claude-3-5-sonnet",
            gen_ai.request.temperature = 0.2,
            tenant_id = 42_u64
        );
        let _g = span.enter();
        span.record("gen_ai.usage.input_tokens", 12_u64);
        span.record("gen_ai.usage.output_tokens", 34_u64);
        span.record("gen_ai.response.finish_reasons", "stop");
        span.record("gen_ai.response.id", "msg_1");
    });
    let s = find(&spans, "chat claude-3-5-sonnet");
    assert_eq!(s.span_kind, SpanKind::Client);
    assert_eq!(str_attr(s, "gen_ai.provider.name"), "anthropic");
    assert_eq!(f64_attr(s, "gen_ai.request.temperature"), 0.2);
    assert_eq!(i64_attr(s, "gen_ai.usage.input_tokens"), 12);
    assert_eq!(i64_attr(s, "gen_ai.usage.output_tokens"), 34);
    assert_eq!(strings_attr(s, "gen_ai.response.finish_reasons"), ["stop"]);
    assert_eq!(str_attr(s, "gen_ai.response.id"), "msg_1");
    assert_eq!(i64_attr(s, "tenant_id"), 42);
    // Declared but never recorded fields are not exported.
    assert!(!has(s, "gen_ai.response.model"));
    assert!(!has(s, "error.type"));
    assert!(!is_error(s));
    assert_unique_keys(s);
}

#[test]
fn tool_and_agent_span_macros() {
    let spans = Harness::new().collect_spans(|| {
        let agent = tracing_genai::agent_span!("travel_planner", gen_ai.agent.id = "agent-7");
        let _a = agent.enter();
        let tool = tracing_genai::tool_span!("get_weather", gen_ai.tool.call.id = "call_1");
        let _t = tool.enter();
    });
    let agent = find(&spans, "invoke_agent travel_planner");
    assert_eq!(agent.span_kind, SpanKind::Internal);
    assert_eq!(str_attr(agent, "gen_ai.agent.id"), "agent-7");
    let tool = find(&spans, "execute_tool get_weather");
    assert_eq!(tool.span_kind, SpanKind::Internal);
    assert_eq!(str_attr(tool, "gen_ai.tool.call.id"), "call_1");
    assert_eq!(tool.parent_span_id, agent.span_context.span_id());
}

#[test]
fn macros_without_extra_fields() {
    let spans = Harness::new().collect_spans(|| {
        let _a = tracing_genai::agent_span!("solo").entered();
        let _t = tracing_genai::tool_span!("t").entered();
        let _c = tracing_genai::genai_span!("chat", "openai", "gpt-4o").entered();
        let _d = tracing_genai::genai_span!("embeddings", "openai", "e3",).entered();
    });
    assert_eq!(
        {
            let mut n = names(&spans);
            n.sort();
            n
        },
        [
            "chat gpt-4o",
            "embeddings e3",
            "execute_tool t",
            "invoke_agent solo"
        ]
    );
}
