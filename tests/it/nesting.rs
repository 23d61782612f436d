//! Parent/child structure of an agent run, sync and across tokio tasks.

use crate::support::*;
use opentelemetry::trace::SpanId;
use opentelemetry_sdk::trace::SpanData;
use tracing::Instrument;

fn chat(model: &'static str) -> tracing::Span {
    tracing::info_span!(
        "llm",
        gen_ai.operation.name = "chat",
        gen_ai.provider.name = "openai",
        gen_ai.request.model = model
    )
}

fn assert_tree(spans: &[SpanData]) {
    assert_eq!(spans.len(), 6, "{:?}", names(spans));
    let handler = find(spans, "POST /agent");
    let agent = find(spans, "invoke_agent planner");
    let chat1 = find(spans, "chat gpt-4o");
    let tool = find(spans, "execute_tool get_weather");
    let nested = find(spans, "chat gpt-4o-mini");
    let chat2 = find(spans, "chat o3");
    assert_eq!(handler.parent_span_id, SpanId::INVALID);
    assert_eq!(agent.parent_span_id, handler.span_context.span_id());
    assert_eq!(chat1.parent_span_id, agent.span_context.span_id());
    assert_eq!(tool.parent_span_id, agent.span_context.span_id());
    assert_eq!(nested.parent_span_id, tool.span_context.span_id());
    assert_eq!(chat2.parent_span_id, agent.span_context.span_id());
    let trace = handler.span_context.trace_id();
    for s in spans {
        assert_eq!(s.span_context.trace_id(), trace, "{}", s.name);
    }
    let mut ids: Vec<_> = spans.iter().map(|s| s.span_context.span_id()).collect();
    ids.sort_by_key(|id| id.to_bytes());
    ids.dedup();
    assert_eq!(ids.len(), 6);
    // GenAI attributes survive nesting.
    assert_eq!(str_attr(tool, "gen_ai.tool.name"), "get_weather");
    assert_eq!(str_attr(agent, "gen_ai.agent.name"), "planner");
}

#[test]
fn agent_loop_sync() {
    let spans = Harness::new().collect_spans(|| {
        let _h = tracing::info_span!("POST /agent", http.route = "/agent").entered();
        let _a = tracing_genai::agent_span!("planner").entered();
        chat("gpt-4o").in_scope(|| {});
        tracing_genai::tool_span!("get_weather").in_scope(|| {
            chat("gpt-4o-mini").in_scope(|| {});
        });
        chat("o3").in_scope(|| {});
    });
    assert_tree(&spans);
}

#[test]
fn agent_loop_async_with_spawned_tool() {
    let r = Harness::new().collect_async(|| async {
        let handler = tracing::info_span!("POST /agent", http.route = "/agent");
        async {
            let agent = tracing_genai::agent_span!("planner");
            async {
                chat("gpt-4o").in_scope(|| {});
                let tool = tracing_genai::tool_span!("get_weather");
                let handle = tokio::spawn(
                    async {
                        tokio::task::yield_now().await;
                        let c = chat("gpt-4o-mini");
                        async {
                            tokio::task::yield_now().await;
                        }
                        .instrument(c)
                        .await;
                        std::thread::current().id()
                    }
                    .instrument(tool),
                );
                let _tool_thread = handle.await.unwrap();
                async {
                    tokio::task::yield_now().await;
                }
                .instrument(chat("o3"))
                .await;
            }
            .instrument(agent)
            .await;
        }
        .instrument(handler)
        .await;
    });
    assert_tree(&r.spans);
    assert_eq!(r.diagnostics.snapshot().genai_spans, 5);
    assert_eq!(r.diagnostics.snapshot().unwritten_spans, 0);
}

#[test]
fn concurrent_llm_calls_in_tasks_are_independent() {
    let r = Harness::new().collect_async(|| async {
        let mut handles = Vec::new();
        for i in 0..8_u64 {
            let span = tracing::info_span!(
                "llm",
                gen_ai.operation.name = "chat",
                gen_ai.request.model = format!("m{i}"),
                gen_ai.usage.input_tokens = tracing::field::Empty
            );
            let s2 = span.clone();
            handles.push(tokio::spawn(
                async move {
                    tokio::task::yield_now().await;
                    s2.record("gen_ai.usage.input_tokens", i * 10);
                }
                .instrument(span),
            ));
        }
        for h in handles {
            h.await.unwrap();
        }
    });
    assert_eq!(r.spans.len(), 8);
    for i in 0..8_i64 {
        let s = find(&r.spans, &format!("chat m{i}"));
        assert_eq!(i64_attr(s, "gen_ai.usage.input_tokens"), i * 10);
        assert_eq!(s.parent_span_id, SpanId::INVALID);
    }
}
