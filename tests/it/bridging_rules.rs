//! Bridging, the configuration side: metrics that fit every operation (embeddings have no
//! output tokens, counters add no zeros) in every conventions mode, and a library we have never
//! seen bridged by a `SpanRule` and aliases (the README's worked example).

use crate::support::*;
use tracing::field::Empty;
use tracing_genai::semconv::Conventions;
use tracing_genai::{GenAiField, SpanRule};

/// Token metric points of `operation` with the recorded `(input, output)` usage.
fn token_points(conventions: Conventions, operation: &str, output: u64) -> Vec<(String, String)> {
    let h = Harness::builder()
        .metrics(true)
        .configure(|l| l.with_conventions(conventions))
        .build();
    h.run(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = operation,
            gen_ai.request.model = "m",
            gen_ai.usage.input_tokens = 9_u64,
            gen_ai.usage.output_tokens = output,
        )
        .entered();
    });
    let mut points = Vec::new();
    for m in h.collect_metrics() {
        let token = m.name.contains("token") && m.name.starts_with("gen_ai.");
        for p in m.points.iter().filter(|_| token) {
            let kind = p
                .attrs
                .get("gen_ai.token.type")
                .cloned()
                .unwrap_or_default();
            points.push((m.name.clone(), format!("{kind}={}", p.sum)));
        }
    }
    points.sort();
    points
}

#[test]
fn embeddings_record_no_output_token_metric() {
    for conventions in [Conventions::Pinned, Conventions::Latest, Conventions::Both] {
        let points = token_points(conventions, "embeddings", 0);
        assert!(
            !points.is_empty(),
            "{conventions:?}: no token metric at all"
        );
        for (name, point) in &points {
            assert!(
                !name.contains("output") && !point.starts_with("output"),
                "{conventions:?}: output point {name} {point} for embeddings"
            );
        }
        // A chat with the same usage does have its output point (the check can fail).
        let chat = token_points(conventions, "chat", 4);
        assert!(
            chat.iter()
                .any(|(n, p)| n.contains("output") || p.starts_with("output")),
            "{conventions:?}: {chat:?}"
        );
    }
}

#[test]
fn usage_counters_add_no_zero_points() {
    let points = token_points(Conventions::Latest, "chat", 0);
    assert!(
        points.iter().all(
            |(n, p)| !(n == "gen_ai.client.inference.usage.output_tokens" && p.ends_with("=0"))
        ),
        "{points:?}"
    );
    assert!(
        points
            .iter()
            .any(|(n, _)| n == "gen_ai.client.inference.usage.input_tokens"),
        "{points:?}"
    );
}

/// The worked example of the README ("Bridging a library with its own span names"): a client
/// that names its spans `llm.request` under target `acme_llm`, records `llm.model`,
/// `llm.tokens.in` / `llm.tokens.out`, `llm.stop_reason` and a vendor-specific `llm.latency_ms`.
#[test]
fn span_rule_and_aliases_bridge_an_unknown_library() {
    let spans = Harness::builder()
        .configure(|l| {
            l.with_rule(
                SpanRule::target("acme_llm")
                    .with_name("llm.request")
                    .with_operation("chat")
                    .with_provider("Anthropic"),
            )
            .with_alias("llm.model", GenAiField::RequestModel)
            .with_alias("llm.tokens.in", GenAiField::InputTokens)
            .with_alias("llm.tokens.out", GenAiField::OutputTokens)
            .with_alias("llm.stop_reason", GenAiField::FinishReasons)
        })
        .build()
        .collect_spans(|| {
            let span = tracing::info_span!(
                target: "acme_llm::client",
                "llm.request",
                llm.model = "claude-sonnet-4",
                llm.tokens.in = Empty,
                llm.tokens.out = Empty,
                llm.stop_reason = Empty,
                llm.latency_ms = Empty,
            );
            let _e = span.enter();
            span.record("llm.tokens.in", "12");
            span.record("llm.tokens.out", 34_u64);
            span.record("llm.stop_reason", "end_turn");
            span.record("llm.latency_ms", 250_u64);
            // Another target: not bridged.
            let _other = tracing::info_span!(target: "other", "llm.request").entered();
        });
    assert_eq!(spans.len(), 2, "{:?}", names(&spans));
    let s = find(&spans, "chat claude-sonnet-4");
    assert_eq!(str_attr(s, "gen_ai.operation.name"), "chat");
    assert_eq!(str_attr(s, "gen_ai.provider.name"), "anthropic");
    assert_eq!(i64_attr(s, "gen_ai.usage.input_tokens"), 12);
    assert_eq!(i64_attr(s, "gen_ai.usage.output_tokens"), 34);
    assert_eq!(
        strings_attr(s, "gen_ai.response.finish_reasons"),
        ["end_turn"]
    );
    assert_eq!(i64_attr(s, "llm.latency_ms"), 250);
    for raw in [
        "llm.model",
        "llm.tokens.in",
        "llm.tokens.out",
        "llm.stop_reason",
    ] {
        assert!(!has(s, raw), "{raw} exported");
    }
    let other = find(&spans, "llm.request");
    assert!(!has(other, "gen_ai.operation.name"));
}

/// Rule aliases apply to the rule's spans only; a field can give the operation.
#[test]
fn rule_aliases_are_scoped_to_the_rule_and_can_give_the_operation() {
    let spans = Harness::builder()
        .configure(|l| {
            l.without_alias("model").with_rule(
                SpanRule::target("acme_llm")
                    .with_alias("model", GenAiField::RequestModel)
                    .with_alias("kind", GenAiField::OperationName)
                    .with_alias("used", GenAiField::InputTokens),
            )
        })
        .build()
        .collect_spans(|| {
            let _a = tracing::info_span!(
                target: "acme_llm",
                "call",
                model = "embed-1",
                kind = "embedding",
                used = 5_u64,
            )
            .entered();
            drop(_a);
            let _b = tracing::info_span!(
                "mine",
                gen_ai.operation.name = "chat",
                model = "not-a-model",
                used = 1_u64,
            )
            .entered();
        });
    let acme = find(&spans, "embeddings embed-1");
    assert_eq!(str_attr(acme, "gen_ai.operation.name"), "embeddings");
    assert_eq!(i64_attr(acme, "gen_ai.usage.input_tokens"), 5);
    assert!(!has(acme, "model") && !has(acme, "kind") && !has(acme, "used"));
    let mine = find(&spans, "chat");
    assert_eq!(str_attr(mine, "model"), "not-a-model");
    assert_eq!(i64_attr(mine, "used"), 1);
    assert!(!has(mine, "gen_ai.request.model") && !has(mine, "gen_ai.usage.input_tokens"));
}
