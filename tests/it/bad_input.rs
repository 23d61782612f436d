//! Bad input never panics, the span is always exported, and problems are listed in
//! `tracing_genai.diagnostics`.

use crate::support::props::{record, value};
use crate::support::*;
use opentelemetry::{Array, Value};
use proptest::prelude::*;
use tracing::field::Empty;
use tracing_genai::GenAiSpanExt;

fn one(f: impl FnOnce()) -> opentelemetry_sdk::trace::SpanData {
    let spans = Harness::new().collect_spans(f);
    assert_eq!(spans.len(), 1, "{:?}", names(&spans));
    spans.into_iter().next().unwrap()
}

#[test]
fn numeric_string_tokens_are_accepted() {
    let s = one(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.usage.input_tokens = "12",
            gen_ai.request.temperature = " 0.3 "
        )
        .entered();
    });
    assert_eq!(i64_attr(&s, "gen_ai.usage.input_tokens"), 12);
    assert_eq!(f64_attr(&s, "gen_ai.request.temperature"), 0.3);
    assert!(diagnostics(&s).is_empty(), "{:?}", diagnostics(&s));
}

#[test]
fn non_numeric_tokens_are_dropped_with_diagnostic() {
    let r = Harness::new().collect(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.usage.input_tokens = "abc",
            gen_ai.usage.output_tokens = true
        )
        .entered();
    });
    let s = r.only();
    assert!(!has(s, "gen_ai.usage.input_tokens"));
    assert!(!has(s, "gen_ai.usage.output_tokens"));
    assert_diagnostic(s, "gen_ai.usage.input_tokens");
    assert_diagnostic(s, "\"abc\"");
    assert_diagnostic(s, "gen_ai.usage.output_tokens");
    assert_eq!(r.diagnostics.snapshot().spans_with_input_problems, 1);
    assert_eq!(r.diagnostics.snapshot().genai_spans, 1);
}

#[test]
fn non_finite_temperature() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let s = one(|| {
            let _s = tracing::info_span!(
                "llm",
                gen_ai.operation.name = "chat",
                gen_ai.request.temperature = bad,
                gen_ai.request.top_p = bad
            )
            .entered();
        });
        assert!(!has(&s, "gen_ai.request.temperature"), "{bad}");
        assert!(!has(&s, "gen_ai.request.top_p"), "{bad}");
        assert_diagnostic(&s, "gen_ai.request.temperature");
        assert_diagnostic(&s, "not finite");
    }
}

#[test]
fn negative_tokens() {
    let s = one(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.usage.input_tokens = -5_i64,
            gen_ai.request.max_tokens = -1_i64,
            gen_ai.request.seed = -7_i64
        )
        .entered();
    });
    assert!(!has(&s, "gen_ai.usage.input_tokens"));
    assert!(!has(&s, "gen_ai.request.max_tokens"));
    // Seeds may be negative.
    assert_eq!(i64_attr(&s, "gen_ai.request.seed"), -7);
    assert_diagnostic(&s, "gen_ai.usage.input_tokens: -5 ignored (negative)");
    assert_diagnostic(&s, "gen_ai.request.max_tokens");
}

#[test]
fn u64_max_tokens_saturate_with_diagnostic() {
    let s = one(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.usage.input_tokens = u64::MAX,
            gen_ai.request.max_tokens = u64::MAX
        )
        .entered();
    });
    // An OTLP int is an i64: the count saturates and the span says so.
    assert_eq!(i64_attr(&s, "gen_ai.usage.input_tokens"), i64::MAX);
    assert_diagnostic(&s, "gen_ai.usage.input_tokens");
    // max_tokens is a signed request parameter: out of range, dropped.
    assert!(!has(&s, "gen_ai.request.max_tokens"));
    assert_diagnostic(&s, "gen_ai.request.max_tokens");
}

#[test]
fn i128_values() {
    let s = one(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.usage.input_tokens = 5_i128,
            gen_ai.usage.output_tokens = i128::MAX,
            big = i128::MIN,
            small = 3_u128
        )
        .entered();
    });
    assert_eq!(i64_attr(&s, "gen_ai.usage.input_tokens"), 5);
    assert!(!has(&s, "gen_ai.usage.output_tokens"));
    assert_diagnostic(&s, "gen_ai.usage.output_tokens");
    // Ordinary fields: out-of-range 128-bit ints become strings, small ones ints.
    assert_eq!(str_attr(&s, "big"), i128::MIN.to_string());
    assert_eq!(i64_attr(&s, "small"), 3);
}

#[test]
fn huge_strings() {
    let huge = "x".repeat(1 << 20);
    let s = one(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = huge.as_str(),
            gen_ai.usage.input_tokens = huge.as_str()
        )
        .entered();
    });
    assert_eq!(str_attr(&s, "gen_ai.request.model").len(), huge.len());
    // The diagnostic quotes a bounded prefix of the bad value, not the whole megabyte.
    let d = diagnostics(&s);
    assert_eq!(d.len(), 1, "{} diagnostics", d.len());
    assert!(d[0].len() < 300, "diagnostic is {} bytes", d[0].len());
}

#[test]
fn multibyte_strings_in_diagnostics() {
    let bad = "é".repeat(100);
    let s = one(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.usage.input_tokens = bad.as_str()
        )
        .entered();
    });
    assert_diagnostic(&s, "gen_ai.usage.input_tokens");
}

#[test]
fn unknown_operation_is_kept_with_diagnostic() {
    let s = one(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "rerank",
            gen_ai.request.model = "rerank-v3"
        )
        .entered();
    });
    assert_eq!(str_attr(&s, "gen_ai.operation.name"), "rerank");
    assert_eq!(s.name, "rerank rerank-v3");
    assert_diagnostic(&s, "unknown operation \"rerank\"");
}

#[test]
fn operation_declared_but_never_recorded() {
    let s = one(|| {
        let _s = tracing::info_span!(
            "my_llm_call",
            gen_ai.operation.name = Empty,
            gen_ai.request.model = "m"
        )
        .entered();
    });
    assert_eq!(s.name, "my_llm_call");
    assert!(!has(&s, "gen_ai.operation.name"));
    assert_eq!(str_attr(&s, "gen_ai.request.model"), "m");
    assert_diagnostic(&s, "never recorded");
}

#[test]
fn unknown_gen_ai_field_is_kept_with_diagnostic() {
    let s = one(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.made.up = "x",
            gen_ai.usage.input_tokens = 3_u64
        )
        .entered();
    });
    assert_eq!(str_attr(&s, "gen_ai.made.up"), "x");
    assert_eq!(i64_attr(&s, "gen_ai.usage.input_tokens"), 3);
    assert_diagnostic(
        &s,
        "gen_ai.made.up: not in the GenAI registry; exported as recorded",
    );
}

#[test]
fn secret_named_fields_are_never_exported() {
    let s = one(|| {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            api_key = "sk-123",
            openai.api_key = "sk-456",
            authorization = "Bearer x",
            client_secret = Empty,
            db_password = "hunter2",
            keep_me = "visible"
        );
        span.record("client_secret", "s3cr3t");
        let _g = span.enter();
    });
    for k in [
        "api_key",
        "openai.api_key",
        "authorization",
        "client_secret",
        "db_password",
    ] {
        assert!(!has(&s, k), "{k} exported");
    }
    for kv in &s.attributes {
        let v = kv.value.as_str();
        assert!(
            !v.contains("sk-") && !v.contains("hunter2") && !v.contains("s3cr3t"),
            "secret value leaked in {}",
            kv.key
        );
    }
    assert_eq!(str_attr(&s, "keep_me"), "visible");
}

#[test]
fn wrong_types_for_ports_and_bools() {
    let s = one(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            server.port = 70000_u64,
            gen_ai.request.stream = "maybe",
            gen_ai.response.time_to_first_chunk = -1.0
        )
        .entered();
    });
    assert!(!has(&s, "server.port"));
    assert!(!has(&s, "gen_ai.request.stream"));
    assert!(!has(&s, "gen_ai.response.time_to_first_chunk"));
    assert_diagnostic(&s, "server.port");
    assert_diagnostic(&s, "gen_ai.request.stream");
    assert_diagnostic(&s, "gen_ai.response.time_to_first_chunk");
}

#[test]
fn diagnostics_are_bounded() {
    let s = one(|| {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.usage.input_tokens = Empty
        );
        for i in 0..1000 {
            span.record("gen_ai.usage.input_tokens", format!("bad{i}").as_str());
        }
    });
    let d = diagnostics(&s);
    assert!(!d.is_empty() && d.len() <= 16, "{}", d.len());
}

#[test]
fn more_than_32_fields_via_nested_spans_and_many_fields() {
    // tracing allows at most 32 fields per callsite; use 32 to exercise the largest case.
    let s = one(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            f1 = 1,
            f2 = 2,
            f3 = 3,
            f4 = 4,
            f5 = 5,
            f6 = 6,
            f7 = 7,
            f8 = 8,
            f9 = 9,
            f10 = 10,
            f11 = 11,
            f12 = 12,
            f13 = 13,
            f14 = 14,
            f15 = 15,
            f16 = 16,
            f17 = 17,
            f18 = 18,
            f19 = 19,
            f20 = 20,
            f21 = 21,
            f22 = 22,
            f23 = 23,
            f24 = 24,
            f25 = 25,
            f26 = 26,
            f27 = 27,
            f28 = 28,
            f29 = 29,
            f30 = 30,
            f31 = 31
        )
        .entered();
    });
    assert_eq!(i64_attr(&s, "f31"), 31);
    assert_unique_keys(&s);
}

// ---- property test -------------------------------------------------------------------------

/// Keys the span below declares (all `Empty`), recorded by name in arbitrary order.
const KEYS: [&str; 31] = [
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "gen_ai.request.max_tokens",
    "gen_ai.request.temperature",
    "gen_ai.request.top_p",
    "gen_ai.request.top_k",
    "gen_ai.request.seed",
    "gen_ai.request.stream",
    "gen_ai.request.stop_sequences",
    "gen_ai.request.choice.count",
    "gen_ai.request.frequency_penalty",
    "gen_ai.request.encoding_formats",
    "gen_ai.response.id",
    "gen_ai.response.model",
    "gen_ai.response.finish_reasons",
    "gen_ai.response.time_to_first_chunk",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.tool.name",
    "gen_ai.agent.name",
    "gen_ai.embeddings.dimension.count",
    "server.port",
    "error.type",
    "model",
    "prompt_tokens",
    "temperature",
    "finish_reason",
    "tenant_id",
];

/// The OTel value kind the registry gives each exported key.
fn expected_kind(key: &str) -> Option<&'static str> {
    Some(match key {
        "gen_ai.request.max_tokens"
        | "gen_ai.request.top_k"
        | "gen_ai.request.seed"
        | "gen_ai.request.choice.count"
        | "gen_ai.usage.input_tokens"
        | "gen_ai.usage.output_tokens"
        | "gen_ai.usage.cache_read.input_tokens"
        | "gen_ai.usage.reasoning.output_tokens"
        | "gen_ai.embeddings.dimension.count"
        | "server.port" => "int",
        "gen_ai.request.temperature"
        | "gen_ai.request.top_p"
        | "gen_ai.request.frequency_penalty"
        | "gen_ai.response.time_to_first_chunk" => "double",
        "gen_ai.request.stream" => "bool",
        "gen_ai.request.stop_sequences"
        | "gen_ai.request.encoding_formats"
        | "gen_ai.response.finish_reasons"
        | "tracing_genai.diagnostics" => "string[]",
        "gen_ai.operation.name"
        | "gen_ai.provider.name"
        | "gen_ai.request.model"
        | "gen_ai.response.id"
        | "gen_ai.response.model"
        | "gen_ai.tool.name"
        | "gen_ai.agent.name"
        | "error.type" => "string",
        _ => return None,
    })
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::I64(_) => "int",
        Value::F64(_) => "double",
        Value::Bool(_) => "bool",
        Value::String(_) => "string",
        Value::Array(Array::String(_)) => "string[]",
        _ => "other",
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_records_never_break_the_span(
        ops in proptest::collection::vec((0..KEYS.len(), value()), 0..40)
    ) {
        let spans = Harness::new().collect_spans(|| {
            let span = tracing::info_span!(
                "prop",
                gen_ai.operation.name = Empty,
                gen_ai.provider.name = Empty,
                gen_ai.request.model = Empty,
                gen_ai.request.max_tokens = Empty,
                gen_ai.request.temperature = Empty,
                gen_ai.request.top_p = Empty,
                gen_ai.request.top_k = Empty,
                gen_ai.request.seed = Empty,
                gen_ai.request.stream = Empty,
                gen_ai.request.stop_sequences = Empty,
                gen_ai.request.choice.count = Empty,
                gen_ai.request.frequency_penalty = Empty,
                gen_ai.request.encoding_formats = Empty,
                gen_ai.response.id = Empty,
                gen_ai.response.model = Empty,
                gen_ai.response.finish_reasons = Empty,
                gen_ai.response.time_to_first_chunk = Empty,
                gen_ai.usage.input_tokens = Empty,
                gen_ai.usage.output_tokens = Empty,
                gen_ai.usage.cache_read.input_tokens = Empty,
                gen_ai.usage.reasoning.output_tokens = Empty,
                gen_ai.tool.name = Empty,
                gen_ai.agent.name = Empty,
                gen_ai.embeddings.dimension.count = Empty,
                server.port = Empty,
                error.type = Empty,
                model = Empty,
                prompt_tokens = Empty,
                temperature = Empty,
                finish_reason = Empty,
                tenant_id = Empty
            );
            let _g = span.enter();
            for (k, v) in &ops {
                record(&span, KEYS[*k], v);
            }
        });
        prop_assert_eq!(spans.len(), 1);
        let s = &spans[0];
        assert_unique_keys(s);
        for raw in ["model", "prompt_tokens", "temperature", "finish_reason"] {
            prop_assert!(!has(s, raw), "alias {} exported raw", raw);
        }
        for kv in &s.attributes {
            let key = kv.key.as_str();
            if key.starts_with("gen_ai.") || key == "server.port" || key == "error.type"
                || key == "tracing_genai.diagnostics"
            {
                let want = expected_kind(key);
                prop_assert!(want.is_some(), "unexpected key {}", key);
                prop_assert_eq!(kind_of(&kv.value), want.unwrap(), "type of {}", key);
            }
            if let (true, Value::F64(f)) = (key.starts_with("gen_ai."), &kv.value) {
                prop_assert!(f.is_finite(), "{} = {}", key, f);
            }
            if key.starts_with("gen_ai.usage.")
                && let Value::I64(n) = kv.value {
                    prop_assert!(n >= 0, "{} = {}", key, n);
                }
        }
    }
}

#[test]
fn u64_max_tokens_from_helper_saturate_with_diagnostic() {
    let s = one(|| {
        let span = tracing::info_span!("llm", gen_ai.operation.name = "chat");
        span.record_token_usage(u64::MAX, 1);
    });
    assert_eq!(i64_attr(&s, "gen_ai.usage.input_tokens"), i64::MAX);
    assert_eq!(i64_attr(&s, "gen_ai.usage.output_tokens"), 1);
    assert_diagnostic(&s, "gen_ai.usage.input_tokens");
}
