//! Cost, roll-up to agent/workflow spans, retries and field inheritance.

use std::sync::Arc;
use std::time::Duration;

use crate::support::{Harness, attr, close, cost_of};
use opentelemetry::Value;
use opentelemetry::trace::Status;
use tracing::Instrument;
use tracing_genai::{
    GenAiField, GenAiSpanExt,
    cost::{ModelPrice, PriceTable},
};

fn prices() -> PriceTable {
    PriceTable::new("USD")
        .with_model("gpt-4o*", ModelPrice::new(2.5, 10.0).with_cache_read(1.25))
        .with_model("o3", ModelPrice::new(2.0, 8.0).with_reasoning(8.0))
}

/// A chat call with usage; `cached` of the input tokens were cache reads.
fn chat(model: &str, input: u64, cached: u64, output: u64) {
    let span = tracing_genai::genai_span!("chat", "openai", model);
    let _e = span.enter();
    span.record_token_usage(input, output);
    if cached > 0 {
        span.record_genai(GenAiField::CacheReadInputTokens, cached);
    }
}

#[test]
fn cost_attribute_metric_and_unknown_models() {
    let table = Arc::new(prices());
    let h = Harness::builder()
        .metrics(true)
        .prices(Arc::clone(&table))
        .build();
    h.run(|| {
        chat("gpt-4o-2024-08-06", 1000, 400, 200);
        chat("mystery-model", 1000, 0, 200);
    });
    let priced = h.span("chat gpt-4o-2024-08-06");
    // 600 uncached * 2.5 + 400 cached * 1.25 + 200 output * 10, per 1M tokens.
    let expected = (600.0 * 2.5 + 400.0 * 1.25 + 200.0 * 10.0) / 1e6;
    assert!(close(cost_of(&priced), expected));
    let unpriced = h.span("chat mystery-model");
    assert_eq!(attr(&unpriced, "gen_ai.usage.cost"), None, "never guessed");
    let diags = attr(&unpriced, tracing_genai::semconv::DIAGNOSTICS_ATTRIBUTE)
        .unwrap()
        .to_string();
    assert!(diags.contains("mystery-model"), "{diags}");
    assert_eq!(table.unpriced_calls(), 1);

    let m = h.metric("tracing_genai.client.cost");
    assert_eq!((m.unit.as_str(), m.kind), ("{USD}", "sum"));
    let p = m.point(&[("gen_ai.request.model", "gpt-4o-2024-08-06")]);
    assert!(close(p.sum, expected));
    assert_eq!(m.points.len(), 1);
    let u = h.metric("tracing_genai.client.unpriced_calls");
    assert_eq!(
        u.point(&[("gen_ai.request.model", "mystery-model")]).sum,
        1.0
    );
}

#[test]
fn reasoning_tokens_billed_at_reasoning_price() {
    let table =
        PriceTable::new("USD").with_model("o3", ModelPrice::new(2.0, 8.0).with_reasoning(20.0));
    let h = Harness::builder().metrics(true).prices(table).build();
    h.run(|| {
        let span = tracing_genai::genai_span!("chat", "openai", "o3");
        let _e = span.enter();
        span.record_token_usage(100, 1000);
        span.record_genai(GenAiField::ReasoningOutputTokens, 800_u64);
    });
    let span = h.span("chat o3");
    // 800 reasoning at 20, the other 200 output tokens at 8, 100 input at 2.
    assert!(close(
        cost_of(&span),
        (800.0 * 20.0 + 200.0 * 8.0 + 100.0 * 2.0) / 1e6
    ));
}

#[test]
fn usage_cost_and_call_counts_roll_up_to_agent_and_workflow() {
    let h = Harness::builder().metrics(true).prices(prices()).build();
    h.run(|| {
        let wf = tracing::info_span!(
            "wf",
            gen_ai.operation.name = "invoke_workflow",
            gen_ai.workflow.name = "trip"
        );
        let _w = wf.enter();
        let agent = tracing_genai::agent_span!("planner");
        let _a = agent.enter();
        chat("gpt-4o", 1000, 400, 200);
        {
            let tool = tracing_genai::tool_span!("get_weather");
            let _t = tool.enter();
        }
        {
            let sub = tracing_genai::agent_span!("researcher");
            let _s = sub.enter();
            chat("o3", 100, 0, 50);
            chat("o3", 100, 0, 50);
        }
    });
    let gpt = cost_of(&h.span("chat gpt-4o"));
    let o3 = (100.0 * 2.0 + 50.0 * 8.0) / 1e6;

    let sub = h.span("invoke_agent researcher");
    assert_eq!(
        attr(&sub, "gen_ai.usage.input_tokens"),
        Some(&Value::I64(200))
    );
    assert_eq!(
        attr(&sub, "gen_ai.usage.output_tokens"),
        Some(&Value::I64(100))
    );
    assert!(close(cost_of(&sub), 2.0 * o3));
    assert_eq!(
        attr(&sub, "tracing_genai.agent.inference_calls"),
        Some(&Value::I64(2))
    );
    assert_eq!(
        attr(&sub, "tracing_genai.agent.tool_calls"),
        Some(&Value::I64(0))
    );

    let planner = h.span("invoke_agent planner");
    assert_eq!(
        attr(&planner, "gen_ai.usage.input_tokens"),
        Some(&Value::I64(1200))
    );
    assert_eq!(
        attr(&planner, "gen_ai.usage.output_tokens"),
        Some(&Value::I64(300))
    );
    assert_eq!(
        attr(&planner, "gen_ai.usage.cache_read.input_tokens"),
        Some(&Value::I64(400))
    );
    assert!(close(cost_of(&planner), gpt + 2.0 * o3));
    assert_eq!(
        attr(&planner, "tracing_genai.agent.inference_calls"),
        Some(&Value::I64(1))
    );
    assert_eq!(
        attr(&planner, "tracing_genai.agent.tool_calls"),
        Some(&Value::I64(1))
    );

    let wf = h.span("invoke_workflow trip");
    assert_eq!(
        attr(&wf, "gen_ai.usage.input_tokens"),
        Some(&Value::I64(1200))
    );
    assert!(close(cost_of(&wf), gpt + 2.0 * o3));
    assert_eq!(attr(&wf, "tracing_genai.agent.inference_calls"), None);

    // The cost metric counts each priced call once, not again for the agents.
    let m = h.metric("tracing_genai.client.cost");
    let total: f64 = m.points.iter().map(|p| p.sum).sum();
    assert!(close(total, gpt + 2.0 * o3));
}

#[test]
fn no_price_table_no_cost() {
    let h = Harness::builder().metrics(true).build();
    h.run(|| chat("gpt-4o", 10, 0, 10));
    assert_eq!(attr(&h.span("chat gpt-4o"), "gen_ai.usage.cost"), None);
    assert!(
        h.collect_metrics()
            .iter()
            .all(|m| !m.name.contains("cost") && !m.name.contains("unpriced"))
    );
}

#[test]
fn retries_are_events_and_status_follows_last_attempt() {
    let h = Harness::builder().metrics(true).build();
    h.run(|| {
        let span = tracing_genai::genai_span!("chat", "openai", "recovers");
        let _e = span.enter();
        span.record_error_type("429", Some("rate limited"));
        assert!(span.record_retry(2, Duration::from_millis(1500), "HTTP 429, Retry-After: 1.5"));
        span.record_token_usage(5, 5);
    });
    h.run(|| {
        let span = tracing_genai::genai_span!("chat", "openai", "gives-up");
        let _e = span.enter();
        span.record_error_type("429", None);
        span.record_retry(2, Duration::from_secs(1), "HTTP 429");
        span.record_error_type("503", None);
        span.record_retry(3, Duration::from_secs(2), "HTTP 503");
        span.record_error_type("503", Some("unavailable"));
    });
    let ok = h.span("chat recovers");
    assert_eq!(ok.status, Status::Unset);
    assert_eq!(attr(&ok, "error.type"), None);
    let retries: Vec<_> = ok
        .events
        .iter()
        .filter(|e| e.name == "tracing_genai.retry")
        .collect();
    assert_eq!(retries.len(), 1);
    let get = |key: &str| {
        retries[0]
            .attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| kv.value.clone())
    };
    assert_eq!(get("tracing_genai.retry.attempt"), Some(Value::I64(2)));
    assert_eq!(get("tracing_genai.retry.delay"), Some(Value::F64(1.5)));
    assert_eq!(
        get("tracing_genai.retry.reason"),
        Some(Value::from("HTTP 429, Retry-After: 1.5"))
    );
    assert_eq!(get("error.type"), Some(Value::from("429")));
    assert!(ok.events.iter().all(|e| e.name != "exception"));

    let failed = h.span("chat gives-up");
    assert!(matches!(failed.status, Status::Error { .. }));
    assert_eq!(attr(&failed, "error.type"), Some(&Value::from("503")));
    let attempts: Vec<_> = failed
        .events
        .iter()
        .filter(|e| e.name == "tracing_genai.retry")
        .map(|e| e.attributes[0].value.clone())
        .collect();
    assert_eq!(attempts, vec![Value::I64(2), Value::I64(3)]);
    let d = h.metric("gen_ai.client.operation.duration");
    assert_eq!(
        d.point(&[("gen_ai.request.model", "gives-up")]).attrs["error.type"],
        "503"
    );
    assert!(
        !d.point(&[("gen_ai.request.model", "recovers")])
            .attrs
            .contains_key("error.type")
    );
}

async fn llm_call() {
    chat("gpt-4o", 1, 0, 1);
}

#[test]
fn inherited_fields_cross_tokio_spawn() {
    let h = Harness::builder()
        .metrics(true)
        .inherited_fields(["request_id", "gen_ai.conversation.id"])
        .build();
    h.run(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let request = tracing::info_span!(
                "http_request",
                request_id = "req-42",
                gen_ai.conversation.id = "conv-7",
                user = "u1"
            );
            let handler = tracing::info_span!(parent: &request, "handler");
            let task = tokio::spawn(llm_call().instrument(handler));
            task.await.unwrap();
            // A GenAI span's own value wins over the inherited one.
            let _r = request.enter();
            let own = tracing::info_span!(
                "own",
                gen_ai.operation.name = "chat",
                gen_ai.request.model = "own",
                request_id = "mine"
            );
            let _o = own.enter();
        });
    });
    let span = h.span("chat gpt-4o");
    assert_eq!(attr(&span, "request_id"), Some(&Value::from("req-42")));
    assert_eq!(
        attr(&span, "gen_ai.conversation.id"),
        Some(&Value::from("conv-7"))
    );
    assert_eq!(
        attr(&span, "user"),
        None,
        "only listed fields are inherited"
    );
    assert_eq!(
        attr(&h.span("chat own"), "request_id"),
        Some(&Value::from("mine"))
    );
    // The outer span keeps its own fields (it is not a GenAI span).
    assert_eq!(
        attr(&h.span("http_request"), "request_id"),
        Some(&Value::from("req-42"))
    );
}

#[test]
fn nothing_inherited_unless_asked() {
    let h = Harness::builder().metrics(true).build();
    h.run(|| {
        let request = tracing::info_span!("http_request", request_id = "req-42");
        let _r = request.enter();
        chat("gpt-4o", 1, 0, 1);
    });
    assert_eq!(attr(&h.span("chat gpt-4o"), "request_id"), None);
}

#[test]
fn inherits_values_recorded_later_on_the_outer_span_before_the_call() {
    let h = Harness::builder()
        .metrics(true)
        .inherited_fields(["request_id"])
        .build();
    h.run(|| {
        let request = tracing::info_span!("http_request", request_id = tracing::field::Empty);
        let _r = request.enter();
        request.record("request_id", 77_u64);
        chat("gpt-4o", 1, 0, 1);
    });
    assert_eq!(
        attr(&h.span("chat gpt-4o"), "request_id"),
        Some(&Value::I64(77))
    );
}

#[test]
fn agent_workflow_and_tool_call_macros() {
    let h = Harness::builder().metrics(true).build();
    h.run(|| {
        let wf = tracing_genai::workflow_span!("trip", gen_ai.conversation.id = "conv-1");
        let _w = wf.enter();
        {
            let c = tracing_genai::create_agent_span!("planner", gen_ai.provider.name = "openai");
            c.record("gen_ai.agent.id", "asst_1");
        }
        let agent = tracing_genai::agent_span!(
            "planner",
            gen_ai.agent.id = "asst_1",
            gen_ai.agent.description = "plans trips"
        );
        let _a = agent.enter();
        // The model asked for a tool call {id: "call_9", name: "get_weather"}.
        let tool = tracing_genai::tool_span!("get_weather", gen_ai.tool.call.id = "call_9", gen_ai.tool.type = "function");
        let _t = tool.enter();
    });
    let tool = h.span("execute_tool get_weather");
    assert_eq!(tool.span_kind, opentelemetry::trace::SpanKind::Internal);
    assert_eq!(
        attr(&tool, "gen_ai.tool.call.id"),
        Some(&Value::from("call_9"))
    );
    assert_eq!(
        attr(&tool, "gen_ai.tool.type"),
        Some(&Value::from("function"))
    );
    let created = h.span("create_agent planner");
    assert_eq!(
        attr(&created, "gen_ai.agent.id"),
        Some(&Value::from("asst_1"))
    );
    assert_eq!(created.span_kind, opentelemetry::trace::SpanKind::Client);
    let agent = h.span("invoke_agent planner");
    assert_eq!(
        attr(&agent, "gen_ai.agent.description"),
        Some(&Value::from("plans trips"))
    );
    assert_eq!(
        attr(&agent, "tracing_genai.agent.tool_calls"),
        Some(&Value::I64(1))
    );
    let wf = h.span("invoke_workflow trip");
    assert_eq!(
        attr(&wf, "gen_ai.conversation.id"),
        Some(&Value::from("conv-1"))
    );
    assert_eq!(
        attr(&wf, "gen_ai.workflow.name"),
        Some(&Value::from("trip"))
    );
}

#[test]
fn genai_attributes_can_be_inherited_from_genai_ancestors() {
    let h = Harness::builder()
        .metrics(true)
        .inherited_fields(["gen_ai.agent.name"])
        .build();
    h.run(|| {
        let agent = tracing_genai::agent_span!("planner");
        let _a = agent.enter();
        {
            let tool = tracing_genai::tool_span!("get_weather", gen_ai.tool.call.id = "call_1", gen_ai.tool.type = "function");
            let _t = tool.enter();
        }
        let own = tracing_genai::tool_span!("search", gen_ai.tool.call.id = "call_2", gen_ai.tool.type = "function", gen_ai.agent.name = "other");
        let _o = own.enter();
    });
    assert_eq!(
        attr(&h.span("execute_tool get_weather"), "gen_ai.agent.name"),
        Some(&Value::from("planner"))
    );
    assert_eq!(
        attr(&h.span("execute_tool search"), "gen_ai.agent.name"),
        Some(&Value::from("other"))
    );
    let m = h.metric("gen_ai.execute_tool.duration");
    assert_eq!(
        m.point(&[("gen_ai.tool.name", "get_weather")]).attrs["gen_ai.agent.name"],
        "planner"
    );
}

#[test]
fn retry_after_error_takes_the_previous_error_type_as_argument() {
    let h = Harness::builder().metrics(true).build();
    h.run(|| {
        let span = tracing_genai::genai_span!("chat", "openai", "given");
        let _e = span.enter();
        // Nothing recorded on the span: the argument is the event's error.type.
        assert!(span.record_retry_after_error(2, Duration::from_millis(250), "HTTP 503", "503"));
        // A stale error on the span is cleared; the argument wins.
        span.record_error_type("connect", None);
        span.record_retry_after_error(3, Duration::from_millis(500), "HTTP 429", "429");
        span.record_token_usage(5, 5);
    });
    let span = h.span("chat given");
    assert_eq!(span.status, Status::Unset, "the last attempt succeeded");
    assert_eq!(attr(&span, "error.type"), None);
    let retries: Vec<(Value, Option<Value>)> = span
        .events
        .iter()
        .filter(|e| e.name == "tracing_genai.retry")
        .map(|e| {
            let get = |key: &str| {
                e.attributes
                    .iter()
                    .find(|kv| kv.key.as_str() == key)
                    .map(|kv| kv.value.clone())
            };
            (
                get("tracing_genai.retry.attempt").unwrap(),
                get("error.type"),
            )
        })
        .collect();
    assert_eq!(
        retries,
        vec![
            (Value::I64(2), Some(Value::from("503"))),
            (Value::I64(3), Some(Value::from("429"))),
        ]
    );
}
