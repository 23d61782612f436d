//! The extension keys (`semconv::EXTENSIONS`) are not registry keys, and every attribute the
//! accounting features emit is a registry key or a declared extension.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::support::Harness;
use futures_util::{StreamExt, stream};
use tracing_genai::semconv::EXTENSIONS;
use tracing_genai::{
    GenAiSpanExt,
    cost::{ModelPrice, PriceTable},
    stream::GenAiStreamExt,
};

/// Every key of the vendored GenAI registry.
fn registry_keys() -> BTreeSet<String> {
    crate::support::registry::cached()
        .gen_ai
        .keys()
        .cloned()
        .collect()
}

#[test]
fn extensions_are_not_registry_keys() {
    let registry = registry_keys();
    assert!(registry.contains("gen_ai.usage.input_tokens"));
    for (key, ty) in EXTENSIONS {
        assert!(!registry.contains(*key), "{key} is a registry key");
        assert!(
            ["int", "double", "string", "boolean"].contains(ty),
            "{key}: {ty}"
        );
    }
}

#[test]
fn accounting_attributes_are_registry_keys_or_extensions() {
    let registry = registry_keys();
    let h = Harness::builder()
        .metrics(true)
        .prices(PriceTable::new("USD").with_model("gpt-4o", ModelPrice::new(1.0, 1.0)))
        .build();
    h.run(|| {
        let agent = tracing_genai::agent_span!("a");
        let _a = agent.enter();
        {
            let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
            let _e = span.enter();
            span.record_error_type("429", None);
            span.record_retry(2, Duration::from_millis(10), "HTTP 429");
            span.record_token_usage(3, 4);
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
            let mut s = stream::iter([1, 2, 3]).instrument_genai(span, |_, acc| {
                acc.add_output_tokens(1);
            });
            s.next().await;
        });
    });
    let extensions: BTreeSet<&str> = EXTENSIONS.iter().map(|(k, _)| *k).collect();
    let mut seen = BTreeSet::new();
    for span in h.spans() {
        let keys = span.attributes.iter().map(|kv| kv.key.to_string()).chain(
            span.events
                .iter()
                .flat_map(|e| e.attributes.iter().map(|kv| kv.key.to_string())),
        );
        for key in keys {
            if key.starts_with("gen_ai.") || key.starts_with("tracing_genai.") {
                assert!(
                    registry.contains(&key)
                        || extensions.contains(key.as_str())
                        || key == tracing_genai::semconv::DIAGNOSTICS_ATTRIBUTE,
                    "{}: {key} is neither a registry key nor a declared extension",
                    span.name
                );
                seen.insert(key);
            }
        }
    }
    for key in [
        "gen_ai.usage.cost",
        "tracing_genai.retry.attempt",
        "tracing_genai.stream.cancelled",
        "tracing_genai.agent.inference_calls",
    ] {
        assert!(seen.contains(key), "{key} not emitted");
    }
}
