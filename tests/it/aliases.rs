//! Input field aliases map to the semconv keys; the raw alias key is never exported.

use crate::support::*;
use tracing_genai::GenAiField;

#[test]
fn default_aliases_map_and_raw_keys_are_not_exported() {
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            model = "gpt-4o",
            provider = "OpenAI",
            temperature = 0.5,
            max_tokens = 256_u64,
            prompt_tokens = 11_u64,
            completion_tokens = 22_u64,
            cache_read_tokens = 3_u64,
            reasoning_tokens = 4_u64,
            finish_reason = "stop",
            response_id = "resp-1",
            response_model = "gpt-4o-2024-08-06"
        )
        .entered();
    });
    let s = find(&spans, "chat gpt-4o");
    assert_eq!(str_attr(s, "gen_ai.request.model"), "gpt-4o");
    assert_eq!(str_attr(s, "gen_ai.provider.name"), "openai");
    assert_eq!(f64_attr(s, "gen_ai.request.temperature"), 0.5);
    assert_eq!(i64_attr(s, "gen_ai.request.max_tokens"), 256);
    assert_eq!(i64_attr(s, "gen_ai.usage.input_tokens"), 11);
    assert_eq!(i64_attr(s, "gen_ai.usage.output_tokens"), 22);
    assert_eq!(i64_attr(s, "gen_ai.usage.cache_read.input_tokens"), 3);
    assert_eq!(i64_attr(s, "gen_ai.usage.reasoning.output_tokens"), 4);
    assert_eq!(strings_attr(s, "gen_ai.response.finish_reasons"), ["stop"]);
    assert_eq!(str_attr(s, "gen_ai.response.id"), "resp-1");
    assert_eq!(str_attr(s, "gen_ai.response.model"), "gpt-4o-2024-08-06");
    for raw in [
        "model",
        "provider",
        "temperature",
        "max_tokens",
        "prompt_tokens",
        "completion_tokens",
        "cache_read_tokens",
        "reasoning_tokens",
        "finish_reason",
        "response_id",
        "response_model",
    ] {
        assert!(!has(s, raw), "raw alias key {raw} exported");
    }
    assert_unique_keys(s);
}

#[test]
fn alternative_aliases() {
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = "m",
            input_tokens = 7_u64,
            output_tokens = 8_u64,
            finish_reasons = "length"
        )
        .entered();
    });
    let s = &spans[0];
    assert_eq!(i64_attr(s, "gen_ai.usage.input_tokens"), 7);
    assert_eq!(i64_attr(s, "gen_ai.usage.output_tokens"), 8);
    assert_eq!(
        strings_attr(s, "gen_ai.response.finish_reasons"),
        ["length"]
    );
    assert!(!has(s, "input_tokens") && !has(s, "output_tokens") && !has(s, "finish_reasons"));
}

#[test]
fn provider_aliases_system_and_deprecated_gen_ai_system() {
    for (i, provider) in ["system", "gen_ai.system", "provider"]
        .into_iter()
        .enumerate()
    {
        let spans = Harness::new().collect_spans(|| match i {
            0 => {
                let _s =
                    tracing::info_span!("llm", gen_ai.operation.name = "chat", system = "bedrock")
                        .entered();
            }
            1 => {
                let _s = tracing::info_span!(
                    "llm",
                    gen_ai.operation.name = "chat",
                    gen_ai.system = "bedrock"
                )
                .entered();
            }
            _ => {
                let _s = tracing::info_span!(
                    "llm",
                    gen_ai.operation.name = "chat",
                    provider = "bedrock"
                )
                .entered();
            }
        });
        let s = &spans[0];
        assert_eq!(
            str_attr(s, "gen_ai.provider.name"),
            "aws.bedrock",
            "alias {provider}"
        );
        assert!(!has(s, provider), "raw key {provider} exported");
        assert_eq!(count(s, "gen_ai.provider.name"), 1);
    }
}

#[test]
fn provider_normalisation() {
    assert_eq!(tracing_genai::normalize_provider("OpenAI"), "openai");
    assert_eq!(tracing_genai::normalize_provider("bedrock"), "aws.bedrock");
    assert_eq!(
        tracing_genai::normalize_provider("SomethingNew"),
        "somethingnew"
    );
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.provider.name = "OpenAI"
        )
        .entered();
    });
    assert_eq!(str_attr(&spans[0], "gen_ai.provider.name"), "openai");
}

#[test]
fn custom_alias() {
    let r = Harness::builder()
        .configure(|l| {
            l.with_alias("llm.model_name", GenAiField::RequestModel)
                .with_alias("usage_in", GenAiField::InputTokens)
        })
        .build()
        .collect(|| {
            let _s = tracing::info_span!(
                "llm",
                gen_ai.operation.name = "chat",
                llm.model_name = "claude-3-5-sonnet",
                usage_in = 42_u64
            )
            .entered();
        });
    let s = r.only();
    assert_eq!(s.name, "chat claude-3-5-sonnet");
    assert_eq!(i64_attr(s, "gen_ai.usage.input_tokens"), 42);
    assert!(!has(s, "llm.model_name") && !has(s, "usage_in"));
}

#[test]
fn removed_alias_is_an_ordinary_field() {
    let r = Harness::builder()
        .configure(|l| l.without_alias("seed"))
        .build()
        .collect(|| {
            let _s = tracing::info_span!(
                "llm",
                gen_ai.operation.name = "chat",
                gen_ai.request.model = "m",
                seed = 7_i64
            )
            .entered();
        });
    let s = r.only();
    assert!(!has(s, "gen_ai.request.seed"));
    assert_eq!(i64_attr(s, "seed"), 7);
}

#[test]
fn semconv_names_cannot_be_removed() {
    let r = Harness::builder()
        .configure(|l| l.without_alias("gen_ai.request.model"))
        .build()
        .collect(|| {
            let _s = tracing::info_span!(
                "llm",
                gen_ai.operation.name = "chat",
                gen_ai.request.model = "m"
            )
            .entered();
        });
    assert_eq!(str_attr(r.only(), "gen_ai.request.model"), "m");
}

#[test]
fn semconv_key_and_alias_together_export_once() {
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = "a",
            model = "b"
        )
        .entered();
    });
    let s = &spans[0];
    assert_eq!(count(s, "gen_ai.request.model"), 1);
    // Fields are visited in declaration order: the later one wins.
    assert_eq!(str_attr(s, "gen_ai.request.model"), "b");
}

#[test]
fn deprecated_semconv_names_are_inputs_only() {
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.usage.prompt_tokens = 3_u64,
            gen_ai.usage.completion_tokens = 4_u64,
            gen_ai.usage.cache_write.input_tokens = 5_u64,
            cached_tokens = 6_u64
        )
        .entered();
    });
    let s = &spans[0];
    assert_eq!(i64_attr(s, "gen_ai.usage.input_tokens"), 3);
    assert_eq!(i64_attr(s, "gen_ai.usage.output_tokens"), 4);
    assert_eq!(i64_attr(s, "gen_ai.usage.cache_creation.input_tokens"), 5);
    assert_eq!(i64_attr(s, "gen_ai.usage.cache_read.input_tokens"), 6);
    for old in [
        "gen_ai.usage.prompt_tokens",
        "gen_ai.usage.completion_tokens",
        "gen_ai.usage.cache_write.input_tokens",
        "cached_tokens",
    ] {
        assert!(!has(s, old), "{old} exported");
    }
    assert!(diagnostics(s).is_empty(), "{:?}", diagnostics(s));
}

#[test]
fn alias_recorded_late() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            model = tracing::field::Empty,
            prompt_tokens = tracing::field::Empty
        );
        let _g = span.enter();
        span.record("model", "gpt-4o-mini");
        span.record("prompt_tokens", 9_u64);
    });
    let s = find(&spans, "chat gpt-4o-mini");
    assert_eq!(i64_attr(s, "gen_ai.usage.input_tokens"), 9);
    assert!(!has(s, "model") && !has(s, "prompt_tokens"));
}
