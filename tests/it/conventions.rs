//! The conventions switch through the whole data path (record, export, layer, user API): the
//! same spans exported with each `Conventions` setting.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{Array, Value};
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt;

use tracing_genai::GenAiSpanExt;
use tracing_genai::semconv::Conventions;
use tracing_genai::{GenAiField, GenAiSpan};

struct Out {
    spans: Vec<SpanData>,
    metrics: Vec<ResourceMetrics>,
    seen: Vec<String>,
}

/// Runs the scenario with `conventions`.
fn run(conventions: Conventions) -> Out {
    run_scenario(conventions, scenario)
}

/// Runs the broad scenario (every operation) with `conventions`.
fn run_broad(conventions: Conventions) -> Out {
    run_scenario(conventions, broad_scenario)
}

/// Runs `scenario` with `conventions`; `seen` is what a mapper saw of each span's state.
fn run_scenario(conventions: Conventions, scenario: fn()) -> Out {
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
    let layer = tracing_genai::layer()
        .with_tracer(provider.tracer("t"))
        .with_meter(meters.meter("tracing-genai"))
        .with_conventions(conventions)
        .with_mapper(
            move |s: &GenAiSpan, _: &mut tracing_genai::mapper::Attributes<'_>| {
                seen2.lock().unwrap().push(format!(
                    "{:?} {:?} {:?} {:?} {:?}",
                    s.operation, s.usage, s.response, s.conversation_id, s.diagnostics
                ));
            },
        );
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
    assert!(
        !keys(chat)
            .iter()
            .any(|k| k.contains(".audio.") || k.contains(".text."))
    );

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
fn output_messages_lose_finish_reason_in_latest_only() {
    use tracing_genai::content::{ContentCapture, OutputMessage};
    let output = |conventions: Conventions| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let layer = tracing_genai::layer()
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

// ---- latest-mode conformance: tests/data/semconv/latest.yaml + the pinned registry ----------

type Yaml = serde_yaml_ng::Value;

fn read_yaml(file: &str) -> Option<Yaml> {
    let root = env!("CARGO_MANIFEST_DIR");
    // The vendored snapshot (tests/data/semconv), else the project's shared copy.
    [
        format!("{root}/tests/data/semconv/{file}"),
        format!("{root}/../shared/semconv/{file}"),
    ]
    .iter()
    .find_map(|p| std::fs::read_to_string(p).ok())
    .map(|text| serde_yaml_ng::from_str(&text).unwrap())
}

/// `key -> type` of a registry file (`enum` for member types).
fn registry_types(file: &str) -> std::collections::BTreeMap<String, String> {
    let doc = read_yaml(file).unwrap_or_else(|| panic!("{file} not found"));
    doc["attributes"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| {
            let ty = match &a["type"] {
                Yaml::String(s) => s.clone(),
                _ => "enum".to_string(),
            };
            (a["key"].as_str().unwrap().to_string(), ty)
        })
        .collect()
}

fn type_matches(ty: &str, v: &Value) -> bool {
    match ty {
        "int" => matches!(v, Value::I64(_)),
        "double" => matches!(v, Value::F64(_)),
        "boolean" => matches!(v, Value::Bool(_)),
        "string[]" => matches!(v, Value::Array(Array::String(_))),
        "string" | "enum" | "any" => matches!(v, Value::String(_)),
        _ => false,
    }
}

/// Names listed under `section.list` of latest.yaml, with the entry.
fn latest_entries(doc: &Yaml, section: &str, list: &str, name: &str) -> Vec<(String, Yaml)> {
    doc[section][list]
        .as_sequence()
        .map(|s| {
            s.iter()
                .map(|e| (e[name].as_str().unwrap().to_string(), e.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Every span kind and metric the layer has, in one run.
fn broad_scenario() {
    scenario();
    let stream = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    let mut rec = tracing_genai::stream::StreamRecorder::new(stream);
    for delta in ["a", "b", "c"] {
        rec.chunk();
        rec.accumulator().output().push_text(0, delta);
    }
    let mut usage = tracing_genai::Usage::new(5, 3);
    usage.reasoning_output_tokens = Some(1);
    usage.image_cache_read_input_tokens = Some(2);
    usage.cache_read_input_tokens = Some(2);
    rec.accumulator().usage_from(&usage).finish_reason("stop");
    rec.finish();
    let cancelled =
        tracing_genai::genai_span!("generate_content", "gcp.gemini", "gemini-2.0-flash");
    let mut rec = tracing_genai::stream::StreamRecorder::new(cancelled);
    rec.chunk();
    drop(rec);
    let wf = tracing::info_span!(
        "wf",
        gen_ai.operation.name = "invoke_workflow",
        gen_ai.workflow.name = "triage"
    );
    wf.in_scope(|| {
        let remote = tracing::info_span!(
            "remote",
            gen_ai.operation.name = "invoke_agent",
            gen_ai.agent.name = "remote",
            otel.kind = "client",
            gen_ai.usage.cache_read.input_tokens = 4_u64,
            gen_ai.usage.input_tokens = 10_u64
        );
        drop(remote);
    });
    drop(wf);
    for op in ["create_agent", "retrieval"] {
        let s = tracing::info_span!("op", gen_ai.operation.name = op, gen_ai.request.model = "m");
        drop(s);
    }
}

#[test]
fn latest_mode_emits_only_latest_names_with_their_types() {
    let latest = read_yaml("latest.yaml").unwrap_or_else(|| {
        serde_yaml_ng::from_str(include_str!("../data/semconv/latest.yaml")).unwrap()
    });
    let mut pinned = registry_types("gen-ai-registry.yaml");
    pinned.extend(registry_types("openai-registry.yaml"));
    let added: std::collections::BTreeMap<String, Yaml> =
        latest_entries(&latest, "attributes", "added", "key")
            .into_iter()
            .collect();
    let removed: BTreeSet<String> = latest_entries(&latest, "attributes", "removed", "key")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert!(added.contains_key(CACHE_WRITE) && removed.contains(CACHE_CREATION));

    let out = run_broad(Conventions::Latest);
    assert!(out.spans.len() >= 10, "{}", out.spans.len());
    let mut checked = 0;
    for s in &out.spans {
        for kv in &s.attributes {
            let key = kv.key.as_str();
            if !(key.starts_with("gen_ai.") || key.starts_with("openai.")) {
                continue;
            }
            let ty = if let Some((_, ty)) = tracing_genai::semconv::EXTENSIONS
                .iter()
                .find(|(k, _)| *k == key)
            {
                ty.to_string()
            } else if let Some(entry) = added.get(key) {
                entry["type"].as_str().unwrap().to_string()
            } else {
                assert!(
                    !removed.contains(key),
                    "{}: {key} was removed in latest",
                    s.name
                );
                pinned
                    .get(key)
                    .unwrap_or_else(|| panic!("{}: {key} is in neither registry", s.name))
                    .clone()
            };
            assert!(
                type_matches(&ty, &kv.value),
                "{}: {key} = {:?} is not {ty}",
                s.name,
                kv.value
            );
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} attributes checked");
    // The latest-only keys were exercised.
    let emitted: BTreeSet<&str> = out
        .spans
        .iter()
        .flat_map(|s| s.attributes.iter().map(|kv| kv.key.as_str()))
        .collect();
    for key in [
        CACHE_WRITE,
        "gen_ai.usage.audio.input_tokens",
        "gen_ai.usage.image.cache_read.input_tokens",
    ] {
        assert!(emitted.contains(key), "{key} not emitted");
    }

    // Metrics: each added one with its instrument, value type and unit; the pinned ones only
    // if not removed (and the old duration never for an inference).
    let metrics_doc = read_yaml("gen-ai-metrics.yaml").unwrap();
    let pinned_metrics: std::collections::BTreeMap<String, (String, String)> =
        metrics_doc["metrics"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["name"].as_str().unwrap().to_string(),
                    (
                        m["instrument"].as_str().unwrap().to_string(),
                        m["unit"].as_str().unwrap().to_string(),
                    ),
                )
            })
            .collect();
    let added_metrics: std::collections::BTreeMap<String, Yaml> =
        latest_entries(&latest, "metrics", "added", "name")
            .into_iter()
            .collect();
    let removed_metrics: BTreeSet<String> = latest_entries(&latest, "metrics", "removed", "name")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let not_for_inference: BTreeSet<String> =
        latest_entries(&latest, "metrics", "not_for_inference", "name")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
    let modality_members: Vec<String> = latest["metric_attributes"]["added"][0]["members"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    let mut metrics_seen = 0;
    for m in out
        .metrics
        .iter()
        .flat_map(|rm| rm.scope_metrics())
        .flat_map(|s| s.metrics())
    {
        use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
        let name = m.name();
        if name.starts_with("tracing_genai.") {
            continue;
        }
        let (instrument, value_type, attrs): (&str, &str, Vec<Vec<(String, String)>>) = {
            fn pts<T>(d: &MetricData<T>) -> (&'static str, Vec<Vec<(String, String)>>) {
                let a = |it: &mut dyn Iterator<Item = &opentelemetry::KeyValue>| {
                    it.map(|kv| (kv.key.to_string(), kv.value.to_string()))
                        .collect::<Vec<_>>()
                };
                match d {
                    MetricData::Histogram(h) => (
                        "histogram",
                        h.data_points().map(|p| a(&mut p.attributes())).collect(),
                    ),
                    MetricData::Sum(s) => (
                        "counter",
                        s.data_points().map(|p| a(&mut p.attributes())).collect(),
                    ),
                    _ => ("other", Vec::new()),
                }
            }
            match m.data() {
                AggregatedMetrics::F64(d) => {
                    let (i, p) = pts(d);
                    (i, "double", p)
                }
                AggregatedMetrics::U64(d) => {
                    let (i, p) = pts(d);
                    (i, "int", p)
                }
                AggregatedMetrics::I64(d) => {
                    let (i, p) = pts(d);
                    (i, "int", p)
                }
            }
        };
        if let Some(entry) = added_metrics.get(name) {
            assert_eq!(instrument, entry["instrument"].as_str().unwrap(), "{name}");
            assert_eq!(value_type, entry["value_type"].as_str().unwrap(), "{name}");
            assert_eq!(m.unit(), entry["unit"].as_str().unwrap(), "{name}");
            for required in entry["required_attributes"]
                .as_sequence()
                .into_iter()
                .flatten()
            {
                let required = required.as_str().unwrap();
                for p in &attrs {
                    let v = p.iter().find(|(k, _)| k == required);
                    let v = v.unwrap_or_else(|| panic!("{name}: a point without {required}"));
                    assert!(
                        modality_members.contains(&v.1),
                        "{name}: {required} = {}",
                        v.1
                    );
                }
            }
            for forbidden in entry["forbidden_attributes"]
                .as_sequence()
                .into_iter()
                .flatten()
            {
                let forbidden = forbidden.as_str().unwrap();
                assert!(
                    attrs.iter().all(|p| p.iter().all(|(k, _)| k != forbidden)),
                    "{name}"
                );
            }
        } else {
            assert!(
                !removed_metrics.contains(name),
                "{name} was removed in latest"
            );
            let (inst, unit) = pinned_metrics
                .get(name)
                .unwrap_or_else(|| panic!("{name} is in neither version"));
            assert_eq!(
                (instrument, m.unit()),
                (inst.as_str(), unit.as_str()),
                "{name}"
            );
            if not_for_inference.contains(name) {
                for p in &attrs {
                    let op = p
                        .iter()
                        .find(|(k, _)| k == "gen_ai.operation.name")
                        .map(|(_, v)| v.as_str());
                    assert!(
                        !matches!(op, Some("chat" | "text_completion" | "generate_content")),
                        "{name} recorded for an inference: {p:?}"
                    );
                }
            }
        }
        for p in &attrs {
            assert!(
                p.iter().all(|(k, _)| k != "gen_ai.token.type"),
                "{name}: gen_ai.token.type"
            );
        }
        metrics_seen += 1;
    }
    for name in added_metrics.keys() {
        // Every added metric the scenario can produce was seen.
        let seen = out
            .metrics
            .iter()
            .flat_map(|rm| rm.scope_metrics())
            .flat_map(|s| s.metrics())
            .any(|m| m.name() == name);
        assert!(seen, "{name} not recorded by the scenario");
    }
    assert!(metrics_seen >= 16, "{metrics_seen}");
}

#[test]
fn both_mode_is_the_union_without_duplicates() {
    let pinned = run_broad(Conventions::Pinned);
    let latest = run_broad(Conventions::Latest);
    let both = run_broad(Conventions::Both);
    assert_eq!(both.spans.len(), pinned.spans.len());
    for (i, b) in both.spans.iter().enumerate() {
        let k = keys(b);
        let set: BTreeSet<&str> = k.iter().copied().collect();
        assert_eq!(set.len(), k.len(), "{}: a key twice", b.name);
        let union: BTreeSet<&str> = keys(&pinned.spans[i])
            .into_iter()
            .chain(keys(&latest.spans[i]))
            .collect();
        assert_eq!(set, union, "{}", b.name);
    }
    let union: BTreeSet<String> = metric_names(&pinned)
        .union(&metric_names(&latest))
        .cloned()
        .collect();
    assert_eq!(metric_names(&both), union);
}
