//! Property tests: arbitrary field names, values of every type, random record orders and
//! repeats, invalid JSON in content fields, unknown operations, and span trees closed in odd
//! orders on several threads. The layer never panics, every span is exported, every exported
//! `gen_ai.*` attribute has its registry type, and bad input leaves a diagnostic.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::support;
use crate::support::props::{V, dyn_span, record, value};
use crate::support::*;
use opentelemetry::Value;
use opentelemetry::trace::SpanId;
use opentelemetry_sdk::trace::SpanData;
use proptest::prelude::*;
use tracing::Span;
use tracing_genai::content::ContentCapture;
use tracing_genai::{GenAiSpanExt, Operation};

const CONTENT_KEYS: [&str; 6] = [
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
];

/// Known names: every `gen_ai.*` key of the registry and every default alias.
fn known_names() -> &'static Vec<String> {
    static N: OnceLock<Vec<String>> = OnceLock::new();
    N.get_or_init(|| {
        let mut names: Vec<String> = support::registry::cached().gen_ai.keys().cloned().collect();
        names.extend(
            tracing_genai::GenAiField::DEFAULT_ALIASES
                .iter()
                .map(|(a, _)| a.to_string()),
        );
        names.extend(CONTENT_KEYS.iter().map(|k| k.to_string()));
        names.extend(["server.port", "server.address", "error.type", "error"].map(String::from));
        names.sort();
        names.dedup();
        names
    })
}

/// An unknown `gen_ai.*` name (the `zz_` prefix is in no registry).
fn unknown_genai() -> impl Strategy<Value = String> {
    "[a-z]{1,8}(\\.[a-z]{1,6})?".prop_map(|s| format!("gen_ai.zz_{s}"))
}

/// A random name outside the namespaces the layer owns or the registry declares.
fn random_name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,10}(\\.[a-z0-9_]{1,8}){0,2}".prop_filter("reserved namespace", |s| {
        ![
            "gen_ai",
            "openai",
            "tracing_genai",
            "otel",
            "error",
            "server",
        ]
        .iter()
        .any(|p| s.starts_with(p))
    })
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(known_names().clone()),
        1 => unknown_genai(),
        2 => random_name(),
    ]
}

fn capture_mode() -> impl Strategy<Value = ContentCapture> {
    prop_oneof![
        Just(ContentCapture::NoContent),
        Just(ContentCapture::SpanOnly),
        Just(ContentCapture::EventOnly),
        Just(ContentCapture::SpanAndEvent),
    ]
}

/// Checks the types of the exported attributes against the registry.
fn check_registry_types(spans: &[SpanData]) {
    support::registry::check_types(spans, support::registry::cached());
}

/// Whether `needle` is among the diagnostics of `span`, or the diagnostics are full (16).
fn diagnosed(span: &SpanData, needle: &str) -> bool {
    let d = diagnostics(span);
    d.len() >= 16 || d.iter().any(|m| m.contains(needle))
}

/// The first declaration of each name wins in `tracing`; a record goes to it.
fn declared_first(fields: &[String], idx: usize) -> &str {
    &fields[idx % fields.len()]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 192,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Arbitrary declared names (GenAI, aliases, unknown `gen_ai.*`, random), values of every
    /// type, random order, repeated records.
    #[test]
    fn arbitrary_names_values_and_orders(
        genai in any::<bool>(),
        fields in proptest::collection::vec(field_name(), 1..24),
        records in proptest::collection::vec((any::<usize>(), value()), 0..48),
        mode in capture_mode(),
    ) {
        let mut declared = fields.clone();
        if genai {
            declared.insert(0, "gen_ai.operation.name".to_string());
        }
        let spans = Harness::builder().content(mode).build().collect_spans(|| {
            let span = dyn_span("prop", &declared);
            if genai {
                span.record("gen_ai.operation.name", "chat");
            }
            for (i, v) in &records {
                record(&span, declared_first(&fields, *i), v);
            }
        });
        prop_assert_eq!(spans.len(), 1);
        let s = &spans[0];
        if !genai {
            // Not a GenAI span: tracing-opentelemetry's own export, untouched.
            return Ok(());
        }
        assert_unique_keys(s);
        check_registry_types(&spans);
        // Aliases are never exported under their own name.
        for (alias, _) in tracing_genai::GenAiField::DEFAULT_ALIASES {
            prop_assert!(!has(s, alias), "alias {} exported raw", alias);
        }
        for (i, v) in &records {
            let name = declared_first(&fields, *i);
            if name.starts_with("gen_ai.zz_") {
                // Unknown `gen_ai.*` fields are kept as recorded (UnknownFields::Keep).
                prop_assert!(has(s, name), "{} not kept", name);
                prop_assert!(diagnosed(s, name), "{} not diagnosed: {:?}", name, diagnostics(s));
            }
            let content_on = mode != ContentCapture::NoContent;
            if let (true, V::S(text)) = (content_on, v) {
                let is_json = serde_json::from_str::<serde_json::Value>(text).is_ok();
                if CONTENT_KEYS[..4].contains(&name) && !is_json {
                    prop_assert!(diagnosed(s, name), "{} = {:?}: {:?}", name, text, diagnostics(s));
                }
            }
        }
        // Content attributes, when exported, are JSON.
        for key in CONTENT_KEYS {
            if let Some(v) = attr(s, key) {
                let text = v.as_str();
                prop_assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok(), "{}", key);
            }
        }
    }

    /// Any operation name: exported as a string; unknown ones are kept with a diagnostic.
    #[test]
    fn unknown_operations(op in "[A-Za-z_. ]{0,16}", model in ".{0,8}") {
        let spans = Harness::new().collect_spans(|| {
            let _s = tracing::info_span!(
                "llm",
                gen_ai.operation.name = op.as_str(),
                gen_ai.request.model = model.as_str()
            )
            .entered();
        });
        prop_assert_eq!(spans.len(), 1);
        let s = &spans[0];
        assert_unique_keys(s);
        check_registry_types(&spans);
        let parsed = Operation::parse(&op);
        if parsed.is_well_known() {
            prop_assert_eq!(str_attr(s, "gen_ai.operation.name"), parsed.as_str());
        } else {
            prop_assert!(diagnosed(s, "unknown operation"), "{:?}", diagnostics(s));
        }
    }
}

// ---- span trees closed in odd orders, across threads ------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Agent,
    Workflow,
    Chat,
    Tool,
    Plain,
}

#[derive(Clone, Debug)]
struct Node {
    kind: Kind,
    parent: Option<usize>,
    input: u64,
    output: u64,
    /// 0: closed on the test thread; otherwise on a fresh thread (which also records usage).
    thread: u8,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        2 => Just(Kind::Agent),
        1 => Just(Kind::Workflow),
        3 => Just(Kind::Chat),
        1 => Just(Kind::Tool),
        1 => Just(Kind::Plain),
    ]
}

/// A random forest (each node's parent comes before it) and a close order.
fn forest() -> impl Strategy<Value = (Vec<Node>, Vec<usize>)> {
    proptest::collection::vec(
        (
            kind(),
            any::<prop::sample::Index>(),
            any::<bool>(),
            0..1000_u64,
            0..1000_u64,
            0..3_u8,
        ),
        1..14,
    )
    .prop_flat_map(|raw| {
        let nodes: Vec<Node> = raw
            .into_iter()
            .enumerate()
            .map(|(i, (kind, p, root, input, output, thread))| Node {
                kind,
                parent: (i > 0 && !root).then(|| p.index(i)),
                input,
                output,
                thread,
            })
            .collect();
        let order: Vec<usize> = (0..nodes.len()).collect();
        (Just(nodes), Just(order).prop_shuffle())
    })
}

fn make(node: &Node, i: usize, parent: Option<&Span>) -> Span {
    let id = i as i64;
    let p = parent.and_then(Span::id);
    match node.kind {
        Kind::Agent => {
            tracing::info_span!(parent: p, "agent", gen_ai.operation.name = "invoke_agent", gen_ai.agent.name = "a", node = id)
        }
        Kind::Workflow => {
            tracing::info_span!(parent: p, "wf", gen_ai.operation.name = "invoke_workflow", gen_ai.workflow.name = "w", node = id)
        }
        Kind::Chat => {
            tracing::info_span!(parent: p, "chat", gen_ai.operation.name = "chat", gen_ai.request.model = "gpt-4o", node = id)
        }
        Kind::Tool => {
            tracing::info_span!(parent: p, "tool", gen_ai.operation.name = "execute_tool", gen_ai.tool.name = "t", node = id)
        }
        Kind::Plain => tracing::info_span!(parent: p, "plain", node = id),
    }
}

fn is_run(k: Kind) -> bool {
    matches!(k, Kind::Agent | Kind::Workflow)
}

/// Expected totals of run span `r`: the usage of every chat in its subtree; and the calls
/// of agent `r`: chats and tools whose nearest agent ancestor it is.
fn expected(nodes: &[Node], r: usize) -> (u64, u64, i64, i64) {
    let (mut input, mut output, mut chats, mut tools) = (0, 0, 0, 0);
    for (i, n) in nodes.iter().enumerate() {
        let mut a = n.parent;
        let mut in_subtree = false;
        let mut nearest_agent = None;
        while let Some(p) = a {
            if p == r {
                in_subtree = true;
            }
            if nearest_agent.is_none() && nodes[p].kind == Kind::Agent {
                nearest_agent = Some(p);
            }
            a = nodes[p].parent;
        }
        if in_subtree && n.kind == Kind::Chat {
            input += n.input;
            output += n.output;
        }
        if nearest_agent == Some(r) && i != r {
            match n.kind {
                Kind::Chat => chats += 1,
                Kind::Tool => tools += 1,
                _ => {}
            }
        }
    }
    (input, output, chats, tools)
}

fn close(span: Span, node: &Node, dispatch: &tracing::Dispatch) {
    let finish = move |span: Span| {
        if node.kind == Kind::Chat {
            span.record_token_usage(node.input, node.output);
        }
        drop(span);
    };
    if node.thread == 0 {
        finish(span);
    } else {
        std::thread::scope(|s| {
            s.spawn(|| tracing::dispatcher::with_default(dispatch, || finish(span)));
        });
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn span_trees_closed_in_any_order_on_any_thread((nodes, order) in forest()) {
        let spans = Harness::new().collect_spans(|| {
            let dispatch = tracing::dispatcher::get_default(|d| d.clone());
            let mut live: Vec<Option<Span>> = Vec::new();
            for (i, n) in nodes.iter().enumerate() {
                let parent = n.parent.and_then(|p| live[p].as_ref());
                let span = make(n, i, parent);
                live.push(Some(span));
            }
            for &i in &order {
                let span = live[i].take().unwrap();
                close(span, &nodes[i], &dispatch);
            }
        });
        prop_assert_eq!(spans.len(), nodes.len(), "{:?}", names(&spans));
        check_registry_types(&spans);
        let by_node: HashMap<i64, &SpanData> = spans
            .iter()
            .map(|s| match attr(s, "node") {
                Some(Value::I64(i)) => (*i, s),
                other => panic!("{}: node = {other:?}", s.name),
            })
            .collect();
        prop_assert_eq!(by_node.len(), nodes.len());
        for (i, n) in nodes.iter().enumerate() {
            let s = by_node[&(i as i64)];
            match n.parent {
                Some(p) => {
                    let ps = by_node[&(p as i64)];
                    prop_assert_eq!(s.span_context.trace_id(), ps.span_context.trace_id());
                    prop_assert_eq!(s.parent_span_id, ps.span_context.span_id());
                }
                None => prop_assert_eq!(s.parent_span_id, SpanId::INVALID),
            }
            if n.kind == Kind::Plain {
                continue;
            }
            assert_unique_keys(s);
            prop_assert!(diagnostics(s).is_empty(), "{}: {:?}", i, diagnostics(s));
            let tokens = |key: &str| match attr(s, key) {
                Some(Value::I64(v)) => Some(*v as u64),
                None => None,
                other => panic!("{key} = {other:?}"),
            };
            if n.kind == Kind::Chat {
                prop_assert_eq!(tokens("gen_ai.usage.input_tokens"), Some(n.input));
                prop_assert_eq!(tokens("gen_ai.usage.output_tokens"), Some(n.output));
            }
            if is_run(n.kind) {
                let (input, output, chats, tools) = expected(&nodes, i);
                let has_chats = nodes.iter().enumerate().any(|(j, c)| {
                    c.kind == Kind::Chat && {
                        let mut a = c.parent;
                        let mut found = false;
                        while let Some(p) = a {
                            found |= p == i;
                            a = nodes[p].parent;
                        }
                        found && j != i
                    }
                });
                let want = |v: u64| has_chats.then_some(v);
                prop_assert_eq!(tokens("gen_ai.usage.input_tokens"), want(input), "node {}", i);
                prop_assert_eq!(tokens("gen_ai.usage.output_tokens"), want(output), "node {}", i);
                if n.kind == Kind::Agent {
                    prop_assert_eq!(i64_attr(s, "tracing_genai.agent.inference_calls"), chats);
                    prop_assert_eq!(i64_attr(s, "tracing_genai.agent.tool_calls"), tools);
                }
            }
        }
    }
}

#[test]
fn content_fields_with_invalid_json_are_diagnosed() {
    let spans = Harness::builder()
        .content(ContentCapture::SpanAndEvent)
        .build()
        .collect_spans(|| {
            let _s = tracing::info_span!(
                "llm",
                gen_ai.operation.name = "chat",
                gen_ai.input.messages = "[{\"role\":",
                gen_ai.output.messages = "not json",
                gen_ai.system_instructions = 42_u64,
                gen_ai.tool.call.arguments = "[1,2]"
            )
            .entered();
        });
    let s = &spans[0];
    for key in [
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.tool.call.arguments",
    ] {
        assert!(!has(s, key), "{key} exported");
        assert_diagnostic(s, key);
    }
    check_registry_types(&spans);
}
