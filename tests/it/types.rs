//! Every exported GenAI attribute has its registry type, and every key appears once.

use crate::support::*;
use tracing::field::Empty;

#[test]
fn all_typed_fields() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.provider.name = "openai",
            gen_ai.request.model = "gpt-4o",
            gen_ai.request.max_tokens = 512_u64,
            gen_ai.request.seed = 42_i64,
            gen_ai.request.top_k = 40_u32,
            gen_ai.request.choice.count = 2_u64,
            gen_ai.request.temperature = 0.7,
            gen_ai.request.top_p = 0.9_f32,
            gen_ai.request.frequency_penalty = 0.1,
            gen_ai.request.presence_penalty = -0.5,
            gen_ai.request.stop_sequences = "END",
            gen_ai.request.stream = true,
            gen_ai.response.time_to_first_chunk = 0.125,
            gen_ai.usage.input_tokens = 10_u64,
            gen_ai.usage.output_tokens = 20_u64,
            gen_ai.response.finish_reasons = Empty,
            server.port = 443_u64,
            tenant_id = 77_u64
        );
        let _g = span.enter();
        span.record("gen_ai.response.finish_reasons", "stop");
    });
    let s = &spans[0];
    assert_unique_keys(s);
    assert_eq!(i64_attr(s, "gen_ai.request.max_tokens"), 512);
    assert_eq!(i64_attr(s, "gen_ai.request.seed"), 42);
    assert_eq!(i64_attr(s, "gen_ai.request.top_k"), 40);
    assert_eq!(i64_attr(s, "gen_ai.request.choice.count"), 2);
    assert_eq!(f64_attr(s, "gen_ai.request.temperature"), 0.7);
    assert!((f64_attr(s, "gen_ai.request.top_p") - 0.9).abs() < 1e-6);
    assert_eq!(f64_attr(s, "gen_ai.request.frequency_penalty"), 0.1);
    assert_eq!(f64_attr(s, "gen_ai.request.presence_penalty"), -0.5);
    assert_eq!(strings_attr(s, "gen_ai.request.stop_sequences"), ["END"]);
    assert!(bool_attr(s, "gen_ai.request.stream"));
    assert_eq!(f64_attr(s, "gen_ai.response.time_to_first_chunk"), 0.125);
    assert_eq!(i64_attr(s, "gen_ai.usage.input_tokens"), 10);
    assert_eq!(i64_attr(s, "gen_ai.usage.output_tokens"), 20);
    assert_eq!(strings_attr(s, "gen_ai.response.finish_reasons"), ["stop"]);
    assert_eq!(i64_attr(s, "server.port"), 443);
    // u64 ordinary fields are ints, not strings (plain tracing-opentelemetry makes them strings).
    assert_eq!(i64_attr(s, "tenant_id"), 77);
}

#[test]
fn embeddings_types() {
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!(
            "embed",
            gen_ai.operation.name = "embeddings",
            gen_ai.request.model = "text-embedding-3-small",
            gen_ai.embeddings.dimension.count = 256_u64,
            gen_ai.request.encoding_formats = "float,base64"
        )
        .entered();
    });
    let s = &spans[0];
    assert_eq!(i64_attr(s, "gen_ai.embeddings.dimension.count"), 256);
    assert_eq!(
        strings_attr(s, "gen_ai.request.encoding_formats"),
        ["float", "base64"]
    );
}

#[test]
fn string_arrays_from_debug_vec() {
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.response.finish_reasons = ?vec!["stop", "length"],
            gen_ai.request.stop_sequences = ?["a b", "c,d"]
        )
        .entered();
    });
    let s = &spans[0];
    assert_eq!(
        strings_attr(s, "gen_ai.response.finish_reasons"),
        ["stop", "length"]
    );
    // A JSON-like debug rendering keeps commas inside items.
    assert_eq!(
        strings_attr(s, "gen_ai.request.stop_sequences"),
        ["a b", "c,d"]
    );
}

#[test]
fn string_arrays_from_comma_separated_string() {
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.response.finish_reasons = "a, b"
        )
        .entered();
    });
    assert_eq!(
        strings_attr(&spans[0], "gen_ai.response.finish_reasons"),
        ["a", "b"]
    );
}

#[test]
fn stream_from_string_and_int_types() {
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.request.stream = "false",
            gen_ai.request.max_tokens = 100_i32,
            gen_ai.usage.input_tokens = 5_i64,
            gen_ai.request.temperature = 1_i64
        )
        .entered();
    });
    let s = &spans[0];
    assert!(!bool_attr(s, "gen_ai.request.stream"));
    assert_eq!(i64_attr(s, "gen_ai.request.max_tokens"), 100);
    assert_eq!(i64_attr(s, "gen_ai.usage.input_tokens"), 5);
    assert_eq!(f64_attr(s, "gen_ai.request.temperature"), 1.0);
}

#[test]
fn ordinary_field_types_are_preserved() {
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            a_u64 = 5_u64,
            a_i64 = -5_i64,
            a_f64 = 1.5,
            a_bool = true,
            a_str = "x",
            a_dbg = ?Some(3)
        )
        .entered();
    });
    let s = &spans[0];
    assert_eq!(i64_attr(s, "a_u64"), 5);
    assert_eq!(i64_attr(s, "a_i64"), -5);
    assert_eq!(f64_attr(s, "a_f64"), 1.5);
    assert!(bool_attr(s, "a_bool"));
    assert_eq!(str_attr(s, "a_str"), "x");
    assert_eq!(str_attr(s, "a_dbg"), "Some(3)");
    assert_unique_keys(s);
}

#[test]
fn openai_attributes() {
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.provider.name = "openai",
            openai.request.service_tier = "auto",
            openai.response.system_fingerprint = "fp_1",
            openai.api.type = "chat_completions"
        )
        .entered();
    });
    let s = &spans[0];
    assert_eq!(str_attr(s, "openai.request.service_tier"), "auto");
    assert_eq!(str_attr(s, "openai.response.system_fingerprint"), "fp_1");
    assert_eq!(str_attr(s, "openai.api.type"), "chat_completions");
    assert_unique_keys(s);
}
