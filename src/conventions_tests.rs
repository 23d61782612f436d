//! Tests of the conventions switch through the whole data path (record, export, layer, user
//! API): the same spans exported with each [`Conventions`] setting. Last in the module list,
//! since it uses all of them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{Array, Value};
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt;

use crate::semconv::Conventions;
use crate::span_ext::GenAiSpanExt;
use crate::{GenAiField, GenAiSpan};

struct Out {
    spans: Vec<SpanData>,
    metrics: Vec<ResourceMetrics>,
    seen: Vec<String>,
}

/// Runs the scenario with `conventions`; `seen` is what a mapper saw of each span's state.
fn run(conventions: Conventions) -> Out {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let metric_exporter = InMemoryMetricExporter::default();
    let meters = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(metric_exporter.clone()).build())
        .build();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = Arc::clone(&seen);
    let layer = crate::layer()
        .with_tracer(provider.tracer("t"))
        .with_meter(meters.meter("tracing-genai"))
        .with_conventions(conventions)
        .with_mapper(move |s: &GenAiSpan, _: &mut crate::mapper::Attributes| {
            seen2.lock().unwrap().push(format!(
                "{:?} {:?} {:?} {:?} {:?}",
                s.operation, s.usage, s.response, s.conversation_id, s.diagnostics
            ));
        });
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, scenario);
    meters.force_flush().unwrap();
    let seen = seen.lock().unwrap().clone();
    Out {
        spans: exporter.get_finished_spans().unwrap(),
        metrics: metric_exporter.get_finished_metrics().unwrap(),
        seen,
    }
}

fn scenario() {
    let agent = tracing::info_span!(
        "agent",
        gen_ai.operation.name = "invoke_agent",
        gen_ai.agent.name = "planner",
        gen_ai.conversation.id = "conv-1"
    );
    agent.in_scope(|| {
        let chat = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.provider.name = "openai",
            gen_ai.request.model = "gpt-4o",
            gen_ai.usage.input_tokens = 100_u64,
            gen_ai.usage.output_tokens = 20_u64,
            gen_ai.usage.cache_read.input_tokens = 64_u64,
            gen_ai.usage.cache_write.input_tokens = 8_u64,
            gen_ai.response.finish_reasons = "stop",
        );
        chat.record_genai(GenAiField::AudioInputTokens, 40_u64);
        chat.record_genai(GenAiField::TextInputTokens, 50_u64);
        chat.record_genai(GenAiField::AudioOutputTokens, 20_u64);
        drop(chat);
        let tool = tracing::info_span!(
            "tool",
            gen_ai.operation.name = "execute_tool",
            gen_ai.tool.name = "get_weather"
        );
        drop(tool);
    });
    drop(agent);
    let failed = tracing::info_span!(
        "llm",
        gen_ai.operation.name = "text_completion",
        gen_ai.request.model = "titan",
        gen_ai.request.choice.count = 2_u64,
        error.type = "timeout"
    );
    drop(failed);
    let embed = tracing::info_span!(
        "embed",
        gen_ai.operation.name = "embeddings",
        gen_ai.request.model = "embed-v3",
        gen_ai.usage.input_tokens = 9_u64
    );
    drop(embed);
}

fn span<'a>(out: &'a Out, name: &str) -> &'a SpanData {
    out.spans.iter().find(|s| s.name == name).unwrap()
}

fn keys(span: &SpanData) -> Vec<&str> {
    span.attributes.iter().map(|kv| kv.key.as_str()).collect()
}

fn get(span: &SpanData, key: &str) -> Option<Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.clone())
}

fn metric_names(out: &Out) -> BTreeSet<String> {
    out.metrics
        .iter()
        .flat_map(|rm| rm.scope_metrics())
        .flat_map(|s| s.metrics())
        .map(|m| m.name().to_string())
        .collect()
}

const CACHE_CREATION: &str = "gen_ai.usage.cache_creation.input_tokens";
const CACHE_WRITE: &str = "gen_ai.usage.cache_write.input_tokens";
const CACHE_READ: &str = "gen_ai.usage.cache_read.input_tokens";

#[test]
fn span_attributes_follow_the_setting() {
    let pinned = run(Conventions::Pinned);
    let latest = run(Conventions::Latest);
    let both = run(Conventions::Both);
    for out in [&pinned, &latest, &both] {
        for s in &out.spans {
            let k = keys(s);
            let unique: BTreeSet<&str> = k.iter().copied().collect();
            assert_eq!(unique.len(), k.len(), "{}: a key twice: {k:?}", s.name);
        }
    }

    let chat = span(&pinned, "chat gpt-4o");
    assert_eq!(get(chat, CACHE_CREATION), Some(Value::I64(8)));
    assert!(get(chat, CACHE_WRITE).is_none());
    assert!(!keys(chat)
        .iter()
        .any(|k| k.contains(".audio.") || k.contains(".text.")));

    let chat = span(&latest, "chat gpt-4o");
    assert_eq!(get(chat, CACHE_WRITE), Some(Value::I64(8)));
    assert!(get(chat, CACHE_CREATION).is_none());
    assert_eq!(
        get(chat, "gen_ai.usage.audio.input_tokens"),
        Some(Value::I64(40))
    );
    assert_eq!(
        get(chat, "gen_ai.usage.text.input_tokens"),
        Some(Value::I64(50))
    );
    assert_eq!(
        get(chat, "gen_ai.usage.audio.output_tokens"),
        Some(Value::I64(20))
    );
    assert!(get(chat, "gen_ai.usage.image.input_tokens").is_none());

    let chat = span(&both, "chat gpt-4o");
    assert_eq!(get(chat, CACHE_WRITE), Some(Value::I64(8)));
    assert_eq!(get(chat, CACHE_CREATION), Some(Value::I64(8)));
    assert_eq!(
        get(chat, "gen_ai.usage.audio.input_tokens"),
        Some(Value::I64(40))
    );

    // The INTERNAL agent span: rolled-up cache usage only in the pinned conventions.
    let agent = |o: &Out| span(o, "invoke_agent planner").clone();
    assert_eq!(get(&agent(&pinned), CACHE_READ), Some(Value::I64(64)));
    assert!(get(&agent(&latest), CACHE_READ).is_none());
    assert!(get(&agent(&latest), CACHE_WRITE).is_none());
    assert!(get(&agent(&latest), "gen_ai.usage.audio.input_tokens").is_some());
    assert_eq!(
        get(&agent(&latest), "gen_ai.usage.input_tokens"),
        Some(Value::I64(100))
    );
    assert_eq!(get(&agent(&both), CACHE_READ), Some(Value::I64(64)));

    // execute_tool gets the agent's conversation id in the latest conventions.
    let tool = |o: &Out| {
        get(
            span(o, "execute_tool get_weather"),
            "gen_ai.conversation.id",
        )
    };
    assert_eq!(tool(&pinned), None);
    assert_eq!(tool(&latest), Some(Value::from("conv-1")));
    assert_eq!(tool(&both), Some(Value::from("conv-1")));

    // A failed inference without reasons: `error` per expected generation.
    let reasons = |o: &Out| {
        get(
            span(o, "text_completion titan"),
            "gen_ai.response.finish_reasons",
        )
    };
    assert_eq!(reasons(&pinned), None);
    let errors = Value::Array(Array::String(vec!["error".into(), "error".into()]));
    assert_eq!(reasons(&latest), Some(errors.clone()));
    assert_eq!(reasons(&both), Some(errors));
    // Successful calls keep their reasons as recorded.
    assert_eq!(
        get(
            span(&latest, "chat gpt-4o"),
            "gen_ai.response.finish_reasons"
        ),
        Some(Value::Array(Array::String(vec!["stop".into()])))
    );

    // Mappers see the same state whatever the setting.
    assert_eq!(pinned.seen, latest.seen);
    assert_eq!(pinned.seen, both.seen);
    assert_eq!(pinned.seen.len(), 5);
}

#[test]
fn metric_names_follow_the_setting() {
    let pinned = metric_names(&run(Conventions::Pinned));
    let latest = metric_names(&run(Conventions::Latest));
    let both = metric_names(&run(Conventions::Both));
    let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let old = set(&[
        "gen_ai.client.token.usage",
        "gen_ai.client.operation.duration",
        "gen_ai.execute_tool.duration",
        "gen_ai.invoke_agent.duration",
        "gen_ai.invoke_agent.inference_calls",
        "gen_ai.invoke_agent.tool_calls",
    ]);
    assert_eq!(pinned, old);
    let new = set(&[
        "gen_ai.client.inference.usage.input_tokens",
        "gen_ai.client.inference.usage.output_tokens",
        "gen_ai.client.inference.usage.cache_read.input_tokens",
        "gen_ai.client.inference.usage.cache_write.input_tokens",
        "gen_ai.client.inference.operation.input_tokens",
        "gen_ai.client.inference.operation.output_tokens",
        "gen_ai.client.inference.duration",
        // embeddings (not an inference) keeps the old duration name.
        "gen_ai.client.operation.duration",
        "gen_ai.execute_tool.duration",
        "gen_ai.invoke_agent.duration",
        "gen_ai.invoke_agent.inference_calls",
        "gen_ai.invoke_agent.tool_calls",
    ]);
    assert_eq!(latest, new);
    assert_eq!(both, old.union(&new).cloned().collect());
}

#[test]
fn modality_split() {
    use crate::export::metrics::by_modality;
    assert_eq!(by_modality(None, [None; 3]), []);
    assert_eq!(by_modality(Some(0), [None; 3]), [("unknown", 0)]);
    assert_eq!(by_modality(Some(100), [None; 3]), [("unknown", 100)]);
    assert_eq!(
        by_modality(Some(100), [Some(50), None, Some(40)]),
        [("text", 50), ("audio", 40), ("unknown", 10)]
    );
    assert_eq!(
        by_modality(Some(90), [Some(50), Some(0), Some(40)]),
        [("text", 50), ("audio", 40)]
    );
    assert_eq!(by_modality(None, [Some(3), None, None]), [("text", 3)]);
    assert_eq!(
        by_modality(Some(2), [Some(0), None, None]),
        [("unknown", 2)]
    );
}

#[test]
fn output_messages_lose_finish_reason_in_latest_only() {
    use crate::content::{ContentCapture, OutputMessage};
    let output = |conventions: Conventions| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let layer = crate::layer()
            .with_tracer(provider.tracer("t"))
            .with_metrics(false)
            .with_content_capture(ContentCapture::SpanOnly)
            .with_conventions(conventions);
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
            let span = tracing::info_span!("llm", gen_ai.operation.name = "chat");
            span.record_output_messages(&[OutputMessage::assistant("hi", "stop")]);
        });
        let spans = exporter.get_finished_spans().unwrap();
        let v = get(&spans[0], "gen_ai.output.messages").unwrap();
        serde_json::from_str::<serde_json::Value>(&v.as_str()).unwrap()
    };
    assert_eq!(output(Conventions::Pinned)[0]["finish_reason"], "stop");
    assert_eq!(output(Conventions::Both)[0]["finish_reason"], "stop");
    let latest = output(Conventions::Latest);
    assert!(latest[0].get("finish_reason").is_none(), "{latest}");
    assert_eq!(latest[0]["parts"][0]["content"], "hi");
}
