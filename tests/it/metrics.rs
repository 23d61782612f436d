//! Metrics recorded from GenAI spans: names, units, buckets, attributes, values.

use std::collections::BTreeSet;

use crate::support::Harness;
use tracing_genai::{GenAiField, GenAiSpanExt};

// Boundaries from the GenAI semantic-convention documents (the pinned yaml has none).
const TOKEN: [f64; 14] = [
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0,
    16777216.0, 67108864.0,
];
const SECONDS: [f64; 14] = [
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

fn chat(ok: bool) {
    let span = tracing::info_span!(
        "llm",
        gen_ai.operation.name = "chat",
        gen_ai.provider.name = "openai",
        gen_ai.request.model = "gpt-4o",
        server.address = "api.openai.com",
        server.port = 443_i64,
        gen_ai.conversation.id = "conv-123",
        request_id = "req-9",
    );
    let _e = span.enter();
    span.record_genai(GenAiField::ResponseModel, "gpt-4o-2024-08-06");
    span.record_genai(GenAiField::ResponseId, "chatcmpl-1");
    if ok {
        span.record_token_usage(12, 30);
    } else {
        span.record_error_type("rate_limit_exceeded", Some("slow down"));
    }
}

#[test]
fn client_duration_and_token_usage() {
    let h = Harness::builder().metrics(true).build();
    h.run(|| chat(true));

    let d = h.metric("gen_ai.client.operation.duration");
    assert_eq!(d.unit, "s");
    assert_eq!((d.kind, d.value_type), ("histogram", "f64"));
    let p = d.point(&[("gen_ai.operation.name", "chat")]);
    assert_eq!(p.bounds, SECONDS);
    assert_eq!(p.count, 1);
    assert!(p.sum >= 0.0);
    let expected: BTreeSet<&str> = [
        "gen_ai.operation.name",
        "gen_ai.provider.name",
        "gen_ai.request.model",
        "gen_ai.response.model",
        "server.address",
        "server.port",
    ]
    .into();
    assert_eq!(
        p.attrs.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        expected
    );
    assert_eq!(p.attrs["gen_ai.provider.name"], "openai");
    assert_eq!(p.attrs["gen_ai.request.model"], "gpt-4o");
    assert_eq!(p.attrs["gen_ai.response.model"], "gpt-4o-2024-08-06");
    assert_eq!(p.attrs["server.port"], "443");

    let t = h.metric("gen_ai.client.token.usage");
    assert_eq!(t.unit, "{token}");
    assert_eq!((t.kind, t.value_type), ("histogram", "u64"));
    assert_eq!(t.points.len(), 2);
    let input = t.point(&[("gen_ai.token.type", "input")]);
    let output = t.point(&[("gen_ai.token.type", "output")]);
    assert_eq!((input.count, input.sum), (1, 12.0));
    assert_eq!((output.count, output.sum), (1, 30.0));
    assert_eq!(input.bounds, TOKEN);
    // Never ids or content in metric attributes.
    for m in h.collect_metrics() {
        for p in &m.points {
            for key in p.attrs.keys() {
                assert!(
                    !key.contains(".id") && key != "request_id",
                    "{}: high-cardinality attribute {key}",
                    m.name
                );
            }
        }
    }
    // Nothing streamed, no agents: those instruments are absent.
    let names: Vec<String> = h.collect_metrics().into_iter().map(|m| m.name).collect();
    assert!(
        !names
            .iter()
            .any(|n| n.contains("chunk") || n.contains("invoke_agent"))
    );
}

#[test]
fn failed_call_has_error_type_and_no_token_usage() {
    let h = Harness::builder().metrics(true).build();
    h.run(|| {
        chat(false);
        chat(true);
    });
    let d = h.metric("gen_ai.client.operation.duration");
    assert_eq!(d.points.len(), 2);
    let failed = d.point(&[("error.type", "rate_limit_exceeded")]);
    assert_eq!(failed.count, 1);
    let ok: Vec<_> = d
        .points
        .iter()
        .filter(|p| !p.attrs.contains_key("error.type"))
        .collect();
    assert_eq!(ok.len(), 1);
    let t = h.metric("gen_ai.client.token.usage");
    assert_eq!(t.point(&[("gen_ai.token.type", "input")]).count, 1);
}

#[test]
fn agent_tool_and_workflow_instruments() {
    let h = Harness::builder().metrics(true).build();
    h.run(|| {
        let wf = tracing::info_span!("wf", gen_ai.operation.name = "invoke_workflow", gen_ai.workflow.name = "trip");
        let _w = wf.enter();
        let agent = tracing_genai::agent_span!("planner", gen_ai.request.model = "gpt-4o");
        let _a = agent.enter();
        chat(true);
        chat(true);
        {
            let tool = tracing_genai::tool_span!("get_weather", gen_ai.tool.type = "function", gen_ai.tool.call.id = "call_1");
            let _t = tool.enter();
            tool.record_error_type("timeout", None);
        }
        {
            // A sub-agent's calls count for the sub-agent only.
            let sub = tracing_genai::agent_span!("researcher");
            let _s = sub.enter();
            chat(true);
        }
    });

    let tool = h.metric("gen_ai.execute_tool.duration");
    assert_eq!(tool.unit, "s");
    let p = tool.point(&[("gen_ai.tool.name", "get_weather")]);
    assert_eq!(p.bounds, SECONDS);
    assert_eq!(p.attrs["gen_ai.tool.type"], "function");
    assert_eq!(p.attrs["error.type"], "timeout");
    assert!(!p.attrs.contains_key("gen_ai.tool.call.id"));

    let agent = h.metric("gen_ai.invoke_agent.duration");
    assert_eq!(agent.unit, "s");
    let p = agent.point(&[("gen_ai.agent.name", "planner")]);
    assert_eq!(p.attrs["gen_ai.request.model"], "gpt-4o");
    assert_eq!(p.bounds, SECONDS);
    assert_eq!(agent.point(&[("gen_ai.agent.name", "researcher")]).count, 1);

    let inf = h.metric("gen_ai.invoke_agent.inference_calls");
    assert_eq!(
        (inf.unit.as_str(), inf.value_type),
        ("{inference_call}", "u64")
    );
    assert_eq!(inf.point(&[("gen_ai.agent.name", "planner")]).sum, 2.0);
    assert_eq!(inf.point(&[("gen_ai.agent.name", "researcher")]).sum, 1.0);
    let tools = h.metric("gen_ai.invoke_agent.tool_calls");
    assert_eq!(tools.unit, "{tool_call}");
    assert_eq!(tools.point(&[("gen_ai.agent.name", "planner")]).sum, 1.0);
    assert_eq!(tools.point(&[("gen_ai.agent.name", "researcher")]).sum, 0.0);

    let wf = h.metric("gen_ai.workflow.duration");
    assert_eq!(wf.unit, "s");
    assert_eq!(wf.point(&[("gen_ai.workflow.name", "trip")]).count, 1);

    // Agents and workflows are not client operations; their rolled-up usage is not
    // recorded again as token usage (3 chats x 12 input tokens).
    let d = h.metric("gen_ai.client.operation.duration");
    assert_eq!(d.points.iter().map(|p| p.count).sum::<u64>(), 3);
    let t = h.metric("gen_ai.client.token.usage");
    assert_eq!(t.point(&[("gen_ai.token.type", "input")]).sum, 36.0);
}

#[test]
fn metrics_can_be_turned_off() {
    let h = Harness::builder().metrics(false).build();
    h.run(|| chat(true));
    assert!(h.collect_metrics().is_empty());
    assert_eq!(h.spans().len(), 1);
}

/// Sets the process-wide meter provider, which every layer without a meter of its own uses:
/// re-runs itself alone in a child process of the test binary.
#[test]
fn default_layer_records_through_the_global_meter() {
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt;

    if crate::support::process::rerun_in_child_process() {
        return;
    }
    let exporter = opentelemetry_sdk::metrics::InMemoryMetricExporter::default();
    let provider = opentelemetry_sdk::metrics::SdkMeterProvider::builder()
        .with_reader(opentelemetry_sdk::metrics::PeriodicReader::builder(exporter.clone()).build())
        .build();
    // Installed before the first GenAI span closes, as documented.
    opentelemetry::global::set_meter_provider(provider.clone());
    let tracer = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let subscriber =
        tracing_subscriber::registry().with(tracing_genai::layer().with_tracer(tracer.tracer("t")));
    tracing::subscriber::with_default(subscriber, || chat(true));
    provider.force_flush().unwrap();
    let metrics = exporter.get_finished_metrics().unwrap();
    let scope = metrics[0].scope_metrics().next().unwrap();
    assert_eq!(scope.scope().name(), "tracing-genai");
    let names: Vec<&str> = scope.metrics().map(|m| m.name()).collect();
    assert!(
        names.contains(&"gen_ai.client.operation.duration"),
        "{names:?}"
    );
}
