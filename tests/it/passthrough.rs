//! Non-GenAI spans are exported exactly as plain tracing-opentelemetry exports them.

use crate::support::*;
use opentelemetry::KeyValue;
use opentelemetry::trace::SpanId;
use opentelemetry_sdk::trace::SpanData;
use tracing::field::Empty;
use tracing_genai::GenAiSpanExt;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;

/// Timing attributes differ from run to run; everything else must be identical.
const TIMINGS: [&str; 2] = ["busy_ns", "idle_ns"];

fn app() {
    let span = tracing::info_span!(
        "http.request",
        http.method = "GET",
        http.route = "/chat",
        status = Empty,
        user_id = 42_u64,
        ratio = 0.5,
        flag = true,
        neg = -3_i64,
        dbg = ?vec![1, 2],
        otel.kind = "server"
    );
    let _g = span.enter();
    span.record("status", 200_u64);
    tracing::info!(step = "parse", "parsed request");
    let inner = tracing::debug_span!("db.query", db.statement = "SELECT 1", rows = 3_u64);
    inner.in_scope(|| {
        tracing::warn!("slow query");
    });
}

fn comparable(span: &SpanData) -> Vec<KeyValue> {
    let mut attrs: Vec<KeyValue> = span
        .attributes
        .iter()
        .filter(|kv| !TIMINGS.contains(&kv.key.as_str()))
        .cloned()
        .collect();
    attrs.sort_by(|a, b| a.key.as_str().cmp(b.key.as_str()));
    attrs
}

#[test]
fn plain_spans_identical_to_tracing_opentelemetry() {
    let plain = Harness::plain().collect_spans(app);
    let genai = Harness::new().collect_spans(app);
    assert_eq!(plain.len(), 2);
    assert_eq!(genai.len(), 2);
    for name in ["http.request", "db.query"] {
        let p = find(&plain, name);
        let g = find(&genai, name);
        assert_eq!(comparable(p), comparable(g), "attributes of {name}");
        assert_eq!(p.span_kind, g.span_kind, "kind of {name}");
        assert_eq!(p.status, g.status);
        let ev = |s: &SpanData| {
            s.events
                .events
                .iter()
                .map(|e| {
                    let mut a = e.attributes.clone();
                    a.sort_by(|x, y| x.key.as_str().cmp(y.key.as_str()));
                    (e.name.to_string(), a)
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(ev(p), ev(g), "events of {name}");
        for t in TIMINGS {
            assert_eq!(count(p, t), count(g, t));
        }
    }
    // Sanity: the comparison sees the fields (so it can fail).
    let g = find(&genai, "http.request");
    assert_eq!(str_attr(g, "http.route"), "/chat");
    assert!(has(g, "status"));
    assert!(has(g, "user_id"));
    assert_eq!(
        find(&genai, "http.request").span_kind,
        opentelemetry::trace::SpanKind::Server
    );
}

#[test]
fn plain_and_genai_spans_share_one_trace_tree() {
    let spans = Harness::new().collect_spans(|| {
        let _root = tracing::info_span!("handler", route = "/x").entered();
        let _llm = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = "m"
        )
        .entered();
        let _child = tracing::info_span!("http.client", url = "https://api").entered();
    });
    let root = find(&spans, "handler");
    let llm = find(&spans, "chat m");
    let child = find(&spans, "http.client");
    assert_eq!(root.parent_span_id, SpanId::INVALID);
    assert_eq!(llm.parent_span_id, root.span_context.span_id());
    assert_eq!(child.parent_span_id, llm.span_context.span_id());
    let trace = root.span_context.trace_id();
    assert!(spans.iter().all(|s| s.span_context.trace_id() == trace));
    // The plain child keeps its own fields.
    assert_eq!(str_attr(child, "url"), "https://api");
}

#[test]
fn events_inside_genai_span_are_kept() {
    let spans = Harness::new().collect_spans(|| {
        let _llm = tracing::info_span!("llm", gen_ai.operation.name = "chat").entered();
        tracing::info!(chunk = 1_u64, "first chunk");
    });
    let s = &spans[0];
    assert!(
        s.events.events.iter().any(|e| e.name == "first chunk"),
        "{:?}",
        s.events
    );
}

/// A per-layer filter around the GenAI layer: filtered-out spans are not exported, the rest
/// are still mapped (and the typed helpers reach them through the filter).
#[test]
fn filtered_genai_layer_still_maps() {
    let h = Harness::builder().build_with(|layer| {
        tracing::Dispatch::new(
            tracing_subscriber::registry()
                .with(layer.with_filter(tracing_subscriber::filter::LevelFilter::INFO)),
        )
    });
    h.run(|| {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = "m"
        );
        assert!(span.record_token_usage(1, 2));
        let _d = tracing::debug_span!("dbg", gen_ai.operation.name = "chat").entered();
    });
    let spans = h.spans();
    assert_eq!(names(&spans), ["chat m"]);
    assert_eq!(i64_attr(&spans[0], "gen_ai.usage.output_tokens"), 2);
}
