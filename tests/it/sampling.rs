//! Head samplers see GenAI spans as they start: the conventions' span name, the kind and the
//! sampling-relevant attributes declared at creation (also through aliases and rules), with
//! their registry types; a real `ShouldSample` keeps and drops exactly the right spans, and
//! parent-based children follow.

use std::sync::{Arc, Mutex};

use opentelemetry::trace::{Link, SpanKind, TraceContextExt, TraceId, TracerProvider as _};
use opentelemetry::{Context, KeyValue, Value};
use opentelemetry_sdk::trace::{
    InMemorySpanExporter, Sampler, SamplingDecision, SamplingResult, SdkTracerProvider,
    ShouldSample, SpanData,
};
use tracing::field::Empty;
use tracing_subscriber::layer::SubscriberExt;

use tracing_genai::{GenAiField, SpanRule};

/// What the sampler was shown for one span.
#[derive(Clone, Debug)]
struct Seen {
    name: String,
    kind: SpanKind,
    attributes: Vec<KeyValue>,
}

impl Seen {
    /// The attributes the GenAI layer gave (tracing-opentelemetry adds code location, thread
    /// and target ones of its own).
    fn genai(&self) -> Vec<&KeyValue> {
        let ours = |k: &str| k.starts_with("gen_ai.") || k.starts_with("server.");
        self.attributes
            .iter()
            .filter(|kv| ours(kv.key.as_str()))
            .collect()
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| &kv.value)
    }
}

/// The README recipe's sampler: keep every chat, drop embeddings (the recipe keeps 1%; here
/// 0% so the test is exact), keep every call to `o1` whatever its operation; and record what
/// it saw.
#[derive(Clone, Debug, Default)]
struct GenAiSampler {
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl ShouldSample for GenAiSampler {
    fn should_sample(
        &self,
        _parent: Option<&Context>,
        _trace_id: TraceId,
        name: &str,
        kind: &SpanKind,
        attributes: &[KeyValue],
        _links: &[Link],
    ) -> SamplingResult {
        self.seen.lock().unwrap().push(Seen {
            name: name.to_string(),
            kind: kind.clone(),
            attributes: attributes.to_vec(),
        });
        let get = |key: &str| {
            attributes
                .iter()
                .find(|kv| kv.key.as_str() == key)
                .map(|kv| kv.value.as_str().into_owned())
        };
        let keep = get("gen_ai.request.model").as_deref() == Some("o1")
            || get("gen_ai.operation.name").as_deref() != Some("embeddings");
        SamplingResult {
            decision: if keep {
                SamplingDecision::RecordAndSample
            } else {
                SamplingDecision::Drop
            },
            attributes: Vec::new(),
            trace_state: Default::default(),
        }
    }
}

struct Run {
    spans: Vec<SpanData>,
    seen: Vec<Seen>,
}

fn run(configure: impl FnOnce(TestLayer) -> TestLayer, scenario: impl FnOnce()) -> Run {
    let sampler = GenAiSampler::default();
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_sampler(Sampler::ParentBased(Box::new(sampler.clone())))
        .with_simple_exporter(exporter.clone())
        .build();
    let layer = configure(tracing_genai::layer().with_tracer(provider.tracer("t")));
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), scenario);
    let spans = exporter.get_finished_spans().unwrap();
    let seen = sampler.seen.lock().unwrap().clone();
    Run { spans, seen }
}

type TestLayer = tracing_genai::GenAiLayer<
    tracing_opentelemetry::OpenTelemetryLayer<
        tracing_subscriber::Registry,
        tracing_genai::GenAiTracer<opentelemetry_sdk::trace::SdkTracer>,
    >,
>;

fn count(span: &SpanData, key: &str) -> usize {
    span.attributes
        .iter()
        .filter(|kv| kv.key.as_str() == key)
        .count()
}

fn assert_keys_once(span: &SpanData) {
    for kv in &span.attributes {
        assert_eq!(
            count(span, kv.key.as_str()),
            1,
            "{} twice in {:?}",
            kv.key,
            span.attributes
        );
    }
}

#[test]
fn sampler_sees_name_kind_and_typed_attributes_at_start() {
    let r = run(
        |l| l,
        || {
            let span = tracing::info_span!(
                "llm",
                gen_ai.operation.name = "chat",
                gen_ai.provider.name = "openai",
                gen_ai.request.model = "gpt-4o",
                server.address = "api.openai.com",
                server.port = 443_u64,
                gen_ai.request.temperature = 0.2,
                gen_ai.usage.input_tokens = Empty
            );
            let _g = span.enter();
            span.record("gen_ai.usage.input_tokens", 10_u64);
        },
    );
    assert_eq!(r.seen.len(), 1);
    let seen = &r.seen[0];
    assert_eq!(seen.name, "chat gpt-4o");
    assert_eq!(seen.kind, SpanKind::Client);
    assert_eq!(
        seen.get("gen_ai.operation.name"),
        Some(&Value::from("chat"))
    );
    assert_eq!(
        seen.get("gen_ai.provider.name"),
        Some(&Value::from("openai"))
    );
    assert_eq!(
        seen.get("gen_ai.request.model"),
        Some(&Value::from("gpt-4o"))
    );
    assert_eq!(
        seen.get("server.address"),
        Some(&Value::from("api.openai.com"))
    );
    // The registry type: an int, not tracing-opentelemetry's string for a `u64`.
    assert_eq!(seen.get("server.port"), Some(&Value::I64(443)));
    // Only the sampling-relevant keys are given at start.
    assert_eq!(seen.get("gen_ai.request.temperature"), None);
    assert_eq!(seen.get("gen_ai.usage.input_tokens"), None);
    assert_eq!(seen.genai().len(), 5, "{:?}", seen.attributes);

    let span = &r.spans[0];
    assert_eq!(span.name, "chat gpt-4o");
    assert_keys_once(span);
    let attr = |k: &str| {
        span.attributes
            .iter()
            .find(|kv| kv.key.as_str() == k)
            .map(|kv| kv.value.clone())
    };
    assert_eq!(attr("server.port"), Some(Value::I64(443)));
    assert_eq!(attr("gen_ai.request.model"), Some(Value::from("gpt-4o")));
    assert_eq!(attr("gen_ai.usage.input_tokens"), Some(Value::I64(10)));
    assert_eq!(attr("gen_ai.request.temperature"), Some(Value::F64(0.2)));
}

#[test]
fn keeps_chats_drops_embeddings_and_children_follow() {
    let r = run(
        |l| l,
        || {
            {
                let chat = tracing::info_span!(
                    "llm",
                    gen_ai.operation.name = "chat",
                    gen_ai.request.model = "gpt-4o"
                );
                let _g = chat.enter();
                tracing::info_span!("parse_reply").in_scope(|| {});
            }
            {
                let emb = tracing::info_span!(
                    "embed",
                    gen_ai.operation.name = "embeddings",
                    gen_ai.request.model = "text-embedding-3-small"
                );
                let _g = emb.enter();
                // A plain child and a GenAI child of a dropped span are dropped too.
                tracing::info_span!("tokenize").in_scope(|| {});
                let _tool = tracing::info_span!(
                    "tool",
                    gen_ai.operation.name = "execute_tool",
                    gen_ai.tool.name = "lookup"
                )
                .entered();
            }
            {
                // An embeddings call to the model the recipe always keeps.
                let _s = tracing::info_span!(
                    "embed",
                    gen_ai.operation.name = "embeddings",
                    gen_ai.request.model = "o1"
                )
                .entered();
            }
        },
    );
    let mut names: Vec<&str> = r.spans.iter().map(|s| s.name.as_ref()).collect();
    names.sort_unstable();
    assert_eq!(names, ["chat gpt-4o", "embeddings o1", "parse_reply"]);
    let chat = r.spans.iter().find(|s| s.name == "chat gpt-4o").unwrap();
    let child = r.spans.iter().find(|s| s.name == "parse_reply").unwrap();
    assert_eq!(child.parent_span_id, chat.span_context.span_id());
    // The root sampler ran for the three roots only; children followed their parents.
    let roots: Vec<&str> = r.seen.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        roots,
        [
            "chat gpt-4o",
            "embeddings text-embedding-3-small",
            "embeddings o1"
        ]
    );
    for s in &r.spans {
        assert_keys_once(s);
    }
}

#[test]
fn aliases_and_rules_are_given_at_start_with_the_registry_kind() {
    let r = run(
        |l| {
            l.with_rule(
                SpanRule::target("vendor_sdk")
                    .with_name("embed_call")
                    .with_operation("embeddings")
                    .with_alias("model_id", GenAiField::RequestModel),
            )
            .with_alias("agent", GenAiField::AgentName)
        },
        || {
            let _rule =
                tracing::info_span!(target: "vendor_sdk", "embed_call", model_id = "o1").entered();
            drop(_rule);
            let _agent = tracing::info_span!(
                "agent",
                gen_ai.operation.name = "invoke_agent",
                agent = "planner"
            )
            .entered();
        },
    );
    let rule = &r.seen[0];
    assert_eq!(rule.name, "embeddings o1");
    assert_eq!(
        rule.get("gen_ai.operation.name"),
        Some(&Value::from("embeddings"))
    );
    assert_eq!(rule.get("gen_ai.request.model"), Some(&Value::from("o1")));
    assert_eq!(rule.get("model_id"), None);
    let agent = &r.seen[1];
    assert_eq!(agent.name, "invoke_agent planner");
    assert_eq!(agent.kind, SpanKind::Internal);
    assert_eq!(
        agent.get("gen_ai.agent.name"),
        Some(&Value::from("planner"))
    );
    assert_eq!(r.spans.len(), 2);
    for s in &r.spans {
        assert_keys_once(s);
    }
}

#[test]
fn fields_recorded_late_reach_the_span_at_close_only() {
    let r = run(
        |l| l,
        || {
            let span = tracing::info_span!(
                "llm",
                gen_ai.operation.name = Empty,
                gen_ai.request.model = Empty
            );
            let _g = span.enter();
            span.record("gen_ai.operation.name", "chat");
            span.record("gen_ai.request.model", "gpt-4o");
        },
    );
    // The sampler saw the callsite name and no GenAI attribute; the span is complete at close.
    assert_eq!(r.seen[0].name, "llm");
    assert!(r.seen[0].genai().is_empty(), "{:?}", r.seen[0].attributes);
    let span = &r.spans[0];
    assert_eq!(span.name, "chat gpt-4o");
    assert_eq!(count(span, "gen_ai.request.model"), 1);
    assert_eq!(count(span, "gen_ai.operation.name"), 1);
}

#[test]
fn switched_off_the_sampler_sees_nothing_and_the_span_is_unchanged() {
    let scenario = || {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = "gpt-4o",
            server.port = 443_u64
        )
        .entered();
    };
    let off = run(|l| l.with_sampling_attributes(false), scenario);
    let on = run(|l| l, scenario);
    assert_eq!(off.seen[0].name, "llm");
    assert!(off.seen[0].genai().is_empty());
    let sorted = |s: &SpanData| {
        let ours = |k: &str| k.starts_with("gen_ai.") || k.starts_with("server.");
        let mut a: Vec<(String, Value)> = s
            .attributes
            .iter()
            .filter(|kv| ours(kv.key.as_str()))
            .map(|kv| (kv.key.to_string(), kv.value.clone()))
            .collect();
        a.sort_by(|x, y| x.0.cmp(&y.0));
        a
    };
    assert_eq!(sorted(&off.spans[0]), sorted(&on.spans[0]));
    assert_eq!(off.spans[0].name, on.spans[0].name);
}

#[test]
fn a_secret_in_a_sampling_attribute_is_left_to_the_scrubbed_close_write() {
    let r = run(
        |l| l,
        || {
            let _s = tracing::info_span!(
                "llm",
                gen_ai.operation.name = "chat",
                gen_ai.request.model = "sk-abcdefghijklmnop1234567890"
            )
            .entered();
        },
    );
    assert_eq!(r.seen[0].get("gen_ai.request.model"), None);
    assert!(!r.seen[0].name.contains("sk-abc"), "{}", r.seen[0].name);
    let span = &r.spans[0];
    let text = format!("{:?} {}", span.attributes, span.name);
    assert!(!text.contains("sk-abcdefghijklmnop"), "{text}");
    assert_eq!(count(span, "gen_ai.request.model"), 1);
    let _ = TraceContextExt::span(&Context::current());
}

#[test]
fn the_sampling_relevant_set_is_the_span_conventions_one() {
    let dir = crate::support::registry::semconv_dir(env!("CARGO_MANIFEST_DIR"), 0);
    let text = std::fs::read_to_string(format!("{dir}/gen-ai-spans.yaml")).unwrap();
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let mut declared = std::collections::BTreeSet::new();
    let groups = ["attribute_groups", "spans", "span_refinements"]
        .iter()
        .filter_map(|k| doc[*k].as_sequence())
        .flatten();
    for group in groups {
        for attr in group["attributes"].as_sequence().into_iter().flatten() {
            if attr["sampling_relevant"].as_bool() == Some(true) {
                declared.insert(attr["ref"].as_str().unwrap().to_string());
            }
        }
    }
    assert!(declared.len() >= 5, "{declared:?}");
    let ours: std::collections::BTreeSet<String> = tracing_genai::semconv::SAMPLING_RELEVANT
        .iter()
        .map(|k| k.to_string())
        .collect();
    assert_eq!(ours, declared);
}

#[test]
fn what_the_sampler_saw_has_the_registry_types() {
    let r = run(
        |l| l,
        || {
            let _tool = tracing::info_span!(
                "tool",
                gen_ai.operation.name = "execute_tool",
                gen_ai.tool.name = "lookup",
                gen_ai.tool.type = "function",
                server.address = "tools.local",
                server.port = 8080_i64
            )
            .entered();
        },
    );
    let regs = crate::support::registry::cached();
    let seen = &r.seen[0];
    assert_eq!(seen.name, "execute_tool lookup");
    assert_eq!(seen.kind, SpanKind::Internal);
    assert_eq!(seen.genai().len(), 5, "{:?}", seen.attributes);
    for kv in seen.genai() {
        let key = kv.key.as_str();
        let ty = match key {
            "server.address" => "string",
            "server.port" => "int",
            _ => regs.gen_ai.get(key).map(|d| d.ty.as_str()).unwrap(),
        };
        assert!(
            crate::support::registry::type_matches(ty, &kv.value),
            "{key}: {:?} is not {ty}",
            kv.value
        );
    }
}

#[cfg(feature = "reqwest")]
#[test]
fn the_http_middleware_gives_the_sampler_the_call_it_makes() {
    // The middleware knows provider, model and server before it creates its span (from the URL
    // and the request body): the sampler sees them as the span starts, typed.
    use crate::support::http_mock::{MockServer, Reply, fixture};
    use tracing_genai::http::GenAiMiddleware;
    let run = run(
        |l| l,
        || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let server = MockServer::start().await;
                server.route(
                    "/v1/chat/completions",
                    vec![Reply::json(200, fixture("openai_chat.json"))],
                );
                let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
                    .with(GenAiMiddleware::new())
                    .build();
                let response = client
                    .post(format!("{}/v1/chat/completions", server.url()))
                    .header("content-type", "application/json")
                    .body(fixture("openai_chat_request.json"))
                    .send()
                    .await
                    .unwrap();
                response.bytes().await.unwrap();
            });
        },
    );
    let seen = run
        .seen
        .iter()
        .find(|s| s.name.starts_with("chat"))
        .expect("the chat span was sampled at its start");
    assert_eq!(seen.name, "chat gpt-4.1");
    assert_eq!(seen.kind, SpanKind::Client);
    let get = |key: &str| {
        seen.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| kv.value.clone())
    };
    assert_eq!(get("gen_ai.operation.name"), Some(Value::from("chat")));
    assert_eq!(get("gen_ai.provider.name"), Some(Value::from("openai")));
    assert_eq!(get("gen_ai.request.model"), Some(Value::from("gpt-4.1")));
    assert_eq!(get("server.address"), Some(Value::from("127.0.0.1")));
    assert!(matches!(get("server.port"), Some(Value::I64(p)) if p > 0));
    // Exported once each, and the response's facts arrive at close.
    let span = run.spans.iter().find(|s| s.name == "chat gpt-4.1").unwrap();
    assert_keys_once(span);
    assert!(
        span.attributes
            .iter()
            .any(|kv| kv.key.as_str() == "gen_ai.response.model")
    );
    assert!(
        !format!("{:?}", span.attributes).contains("was given at span start"),
        "{:?}",
        span.attributes
    );
}

/// The same spans through `layer().with_tracer(..)` (start facts typed, through the
/// `GenAiTracer`) and through a tracing-opentelemetry layer given its tracer directly (start
/// facts as field values): the sampler sees the same names, kinds and typed attributes, and
/// the same spans are exported, with their links.
#[test]
fn the_start_facts_are_the_same_through_the_genai_tracer_and_without_it() {
    fn scenario() {
        let first = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.provider.name = "openai",
            gen_ai.request.model = "gpt-4o",
            server.address = "api.openai.com",
            server.port = 443_u64,
        );
        let agent = tracing::info_span!("agent", gen_ai.operation.name = "invoke_agent");
        let tool = tracing::info_span!(
            "tool",
            gen_ai.operation.name = "execute_tool",
            gen_ai.tool.name = "search",
            gen_ai.tool.type = "function",
        );
        tool.follows_from(&first);
        let named = tracing::info_span!(
            "named",
            gen_ai.operation.name = "embeddings",
            gen_ai.request.model = "o1",
            otel.name = "my embeddings",
        );
        for span in [&first, &agent, &tool, &named] {
            let _g = span.enter();
        }
    }
    /// Key, type and value (not how the text is held: static, shared or owned).
    fn canonical<'a>(attrs: impl IntoIterator<Item = &'a KeyValue>) -> Vec<String> {
        attrs
            .into_iter()
            .map(|kv| match &kv.value {
                Value::String(s) => format!("{}=str {}", kv.key, s.as_str()),
                other => format!("{}={other:?}", kv.key),
            })
            .collect()
    }
    fn observe<L>(
        layer: impl FnOnce(opentelemetry_sdk::trace::SdkTracer) -> L,
    ) -> (Vec<String>, Vec<String>)
    where
        L: tracing_subscriber::Layer<tracing_subscriber::Registry> + Send + Sync,
    {
        let sampler = GenAiSampler::default();
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_sampler(Sampler::ParentBased(Box::new(sampler.clone())))
            .with_simple_exporter(exporter.clone())
            .build();
        let subscriber = tracing_subscriber::registry().with(layer(provider.tracer("t")));
        tracing::subscriber::with_default(subscriber, scenario);
        let seen = sampler.seen.lock().unwrap().clone();
        let seen = seen
            .iter()
            .map(|s| format!("{} {:?} {:?}", s.name, s.kind, canonical(&s.attributes)))
            .collect();
        let timing = |k: &str| matches!(k, "busy_ns" | "idle_ns") || k.starts_with("thread.");
        let spans = exporter
            .get_finished_spans()
            .unwrap()
            .iter()
            .map(|s| {
                let attrs: Vec<&KeyValue> = s
                    .attributes
                    .iter()
                    .filter(|kv| !timing(kv.key.as_str()))
                    .collect();
                let attrs = canonical(attrs);
                format!(
                    "{} {:?} links={} {attrs:?}",
                    s.name,
                    s.span_kind,
                    s.links.len()
                )
            })
            .collect();
        (seen, spans)
    }
    let typed = observe(|tracer| tracing_genai::layer().with_tracer(tracer));
    let visited = observe(|tracer| {
        tracing_genai::GenAiLayer::new(tracing_opentelemetry::layer().with_tracer(tracer))
    });
    assert_eq!(typed.0.len(), 4);
    assert!(
        typed.0[0].starts_with("chat gpt-4o Client"),
        "{:?}",
        typed.0
    );
    assert!(typed.0[1].starts_with("invoke_agent "), "{:?}", typed.0);
    assert!(typed.0[3].starts_with("my embeddings "), "{:?}", typed.0);
    assert!(
        typed.1.iter().any(|s| s.contains("links=1")),
        "{:?}",
        typed.1
    );
    assert_eq!(typed, visited);
}
