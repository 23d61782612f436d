//! The conventions switch (`semconv::Conventions`): the latest usage counters with
//! `gen_ai.token.modality`, their units, the duration split between inference and other
//! operations, the HTTP middleware filling per-modality usage from OpenAI fixtures, inputs that
//! do not depend on the setting, and `OTEL_SEMCONV_STABILITY_OPT_IN`. (The attribute and metric
//! names of each setting against `tests/data/semconv/latest.yaml` and the pinned registry are
//! checked by the crate's unit tests, `src/conventions_tests.rs`; pinned mode by `registry`.)

use crate::support::process::rerun_in_child_process_with;
use crate::support::*;
use tracing_genai::semconv::Conventions;
use tracing_genai::{GenAiField, GenAiSpanExt};

fn harness(conventions: Conventions) -> Harness {
    Harness::builder()
        .metrics(true)
        .configure(move |l| l.with_conventions(conventions))
        .build()
}

fn calls() {
    let chat = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    chat.record_token_usage(100, 20);
    chat.record_genai(GenAiField::TextInputTokens, 60_u64);
    chat.record_genai(GenAiField::AudioInputTokens, 30_u64);
    chat.record_genai(GenAiField::CacheReadInputTokens, 16_u64);
    chat.record_genai(GenAiField::CacheCreationInputTokens, 4_u64);
    chat.record_genai(GenAiField::ReasoningOutputTokens, 5_u64);
    drop(chat);
    let embed = tracing_genai::genai_span!("embeddings", "openai", "text-embedding-3-small");
    embed.record_genai(GenAiField::InputTokens, 9_u64);
    drop(embed);
    let failed = tracing_genai::genai_span!("chat", "openai", "gpt-4o-mini");
    failed.record_error_type("timeout", None);
    drop(failed);
}

#[test]
fn latest_counters_carry_the_modality_and_count_tokens() {
    let h = harness(Conventions::Latest);
    h.run(calls);
    let input = h.metric("gen_ai.client.inference.usage.input_tokens");
    assert_eq!(
        (input.kind, input.value_type, input.unit.as_str()),
        ("sum", "u64", "{token}")
    );
    let chat = [("gen_ai.request.model", "gpt-4o")];
    let point = |m: &MetricInfo, modality: &str| {
        let mut attrs = chat.to_vec();
        attrs.push(("gen_ai.token.modality", modality));
        m.point(&attrs).sum
    };
    assert_eq!(point(&input, "text"), 60.0);
    assert_eq!(point(&input, "audio"), 30.0);
    // The 10 tokens whose modality was not reported.
    assert_eq!(point(&input, "unknown"), 10.0);
    // Embeddings: no modality reported at all.
    let embed = input.point(&[("gen_ai.request.model", "text-embedding-3-small")]);
    assert_eq!(embed.attrs["gen_ai.token.modality"], "unknown");
    assert_eq!(embed.sum, 9.0);
    // The failed call reported no usage: no point.
    assert!(
        input
            .points
            .iter()
            .all(|p| p.attrs["gen_ai.request.model"] != "gpt-4o-mini")
    );
    for (name, value) in [
        ("gen_ai.client.inference.usage.output_tokens", 20.0),
        (
            "gen_ai.client.inference.usage.cache_read.input_tokens",
            16.0,
        ),
        (
            "gen_ai.client.inference.usage.cache_write.input_tokens",
            4.0,
        ),
        ("gen_ai.client.inference.usage.reasoning.output_tokens", 5.0),
    ] {
        let m = h.metric(name);
        assert_eq!((m.kind, m.unit.as_str()), ("sum", "{token}"), "{name}");
        assert_eq!(point(&m, "unknown"), value, "{name}");
        assert!(
            m.points
                .iter()
                .all(|p| p.attrs.contains_key("gen_ai.token.modality"))
        );
    }
    // The per-call histograms: no modality, the old token buckets.
    let hist = h.metric("gen_ai.client.inference.operation.input_tokens");
    assert_eq!((hist.kind, hist.unit.as_str()), ("histogram", "{token}"));
    let p = hist.point(&chat);
    assert_eq!((p.count, p.sum), (1, 100.0));
    assert!(!p.attrs.contains_key("gen_ai.token.modality"));
    assert_eq!(p.bounds, tracing_genai::semconv::TOKEN_BUCKETS);
    assert_eq!(
        h.metric("gen_ai.client.inference.operation.output_tokens")
            .point(&chat)
            .sum,
        20.0
    );
    let names: Vec<String> = h.collect_metrics().into_iter().map(|m| m.name).collect();
    assert!(
        !names.iter().any(|n| n == "gen_ai.client.token.usage"),
        "{names:?}"
    );
}

#[test]
fn inference_and_other_operations_have_their_own_duration() {
    let h = harness(Conventions::Latest);
    h.run(calls);
    let inference = h.metric("gen_ai.client.inference.duration");
    assert_eq!(
        (inference.kind, inference.unit.as_str()),
        ("histogram", "s")
    );
    assert_eq!(inference.points.len(), 2, "{:?}", inference.points);
    let failed = inference.point(&[("gen_ai.request.model", "gpt-4o-mini")]);
    assert_eq!(failed.attrs["error.type"], "timeout");
    assert_eq!(failed.bounds, tracing_genai::semconv::DURATION_BUCKETS);
    let other = h.metric("gen_ai.client.operation.duration");
    assert_eq!(other.points.len(), 1, "{:?}", other.points);
    assert_eq!(other.points[0].attrs["gen_ai.operation.name"], "embeddings");

    // Pinned: one duration for everything; Both: inference under both names.
    let pinned = harness(Conventions::Pinned);
    pinned.run(calls);
    assert_eq!(
        pinned
            .metric("gen_ai.client.operation.duration")
            .points
            .len(),
        3
    );
    assert!(
        pinned
            .collect_metrics()
            .iter()
            .all(|m| !m.name.starts_with("gen_ai.client.inference."))
    );
    let both = harness(Conventions::Both);
    both.run(calls);
    assert_eq!(
        both.metric("gen_ai.client.operation.duration").points.len(),
        3
    );
    assert_eq!(
        both.metric("gen_ai.client.inference.duration").points.len(),
        2
    );
    let tokens = both.metric("gen_ai.client.token.usage");
    let input = tokens.point(&[
        ("gen_ai.request.model", "gpt-4o"),
        ("gen_ai.token.type", "input"),
    ]);
    assert_eq!(input.sum, 100.0);
}

#[test]
fn inputs_do_not_depend_on_the_setting() {
    let record = || {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.usage.cache_write.input_tokens = 7_u64,
            cached_audio_tokens = 3_u64,
            prompt_image_tokens = 11_u64,
        );
        drop(span);
    };
    let pinned = Harness::new().collect_spans(record);
    let span = &pinned[0];
    assert_unique_keys(span);
    assert_eq!(
        i64_attr(span, "gen_ai.usage.cache_creation.input_tokens"),
        7
    );
    for key in [
        "gen_ai.usage.cache_write.input_tokens",
        "gen_ai.usage.audio.cache_read.input_tokens",
        "gen_ai.usage.image.input_tokens",
        "cached_audio_tokens",
        "prompt_image_tokens",
    ] {
        assert!(!has(span, key), "{key} in pinned mode");
    }
    assert!(!has(span, tracing_genai::semconv::DIAGNOSTICS_ATTRIBUTE));
    let latest = Harness::builder()
        .configure(|l| l.with_conventions(Conventions::Latest))
        .build()
        .collect_spans(record);
    let span = &latest[0];
    assert_eq!(i64_attr(span, "gen_ai.usage.cache_write.input_tokens"), 7);
    assert!(!has(span, "gen_ai.usage.cache_creation.input_tokens"));
    assert_eq!(
        i64_attr(span, "gen_ai.usage.audio.cache_read.input_tokens"),
        3
    );
    assert_eq!(i64_attr(span, "gen_ai.usage.image.input_tokens"), 11);
}

#[test]
fn the_environment_chooses_and_code_wins() {
    if rerun_in_child_process_with(&[(
        "OTEL_SEMCONV_STABILITY_OPT_IN",
        Some("http, gen_ai_latest_experimental/dup"),
    )]) {
        return;
    }
    let layer = tracing_genai::layer::<tracing_subscriber::Registry>();
    assert_eq!(layer.conventions(), Conventions::Both);
    let layer = layer.with_conventions(Conventions::Pinned);
    assert_eq!(layer.conventions(), Conventions::Pinned);
    #[cfg(feature = "setup")]
    {
        let config = tracing_genai::Config::from_env().unwrap();
        assert_eq!(config.conventions(), Conventions::Both);
        let config = config.with_conventions(Conventions::Latest);
        assert_eq!(config.conventions(), Conventions::Latest);
    }
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.usage.cache_creation.input_tokens = 2_u64,
        );
        drop(span);
    });
    assert_eq!(
        i64_attr(&spans[0], "gen_ai.usage.cache_write.input_tokens"),
        2
    );
    assert_eq!(
        i64_attr(&spans[0], "gen_ai.usage.cache_creation.input_tokens"),
        2
    );
}

#[test]
fn a_misspelled_gen_ai_value_warns_once() {
    if rerun_in_child_process_with(&[(
        "OTEL_SEMCONV_STABILITY_OPT_IN",
        Some("database,gen_ai_latest_experimentl"),
    )]) {
        return;
    }
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Warnings(Arc<Mutex<Vec<String>>>);
    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Warnings {
        fn on_event(&self, e: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
            if *e.metadata().level() == tracing::Level::WARN {
                let mut message = String::new();
                struct V<'a>(&'a mut String);
                impl tracing::field::Visit for V<'_> {
                    fn record_debug(&mut self, _: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                        self.0.push_str(&format!("{v:?}"));
                    }
                }
                e.record(&mut V(&mut message));
                self.0.lock().unwrap().push(message);
            }
        }
    }
    use tracing_subscriber::layer::SubscriberExt;
    let warnings = Warnings::default();
    let subscriber = tracing_subscriber::registry().with(warnings.clone());
    tracing::subscriber::with_default(subscriber, || {
        for _ in 0..3 {
            assert_eq!(Conventions::from_env(), Conventions::Pinned);
        }
        let layer = tracing_genai::layer::<tracing_subscriber::Registry>();
        assert_eq!(layer.conventions(), Conventions::Pinned);
    });
    let seen = warnings.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].contains("gen_ai_latest_experimentl"), "{seen:?}");
    assert!(
        seen[0].contains("OTEL_SEMCONV_STABILITY_OPT_IN"),
        "{seen:?}"
    );
}

#[cfg(feature = "reqwest")]
mod http {
    use super::*;
    use crate::support::http_mock::{MockServer, Reply, fixture};
    use reqwest_middleware::ClientBuilder;
    use tracing_genai::http::GenAiMiddleware;

    /// The span and metrics of one chat call answered with `response` (latest conventions).
    fn call(
        response: &'static str,
        request: &'static str,
    ) -> (Harness, Vec<opentelemetry_sdk::trace::SpanData>) {
        let h = harness(Conventions::Latest);
        h.run_async(|| async move {
            let server = MockServer::start().await;
            server.route(
                "/v1/chat/completions",
                vec![Reply::json(200, fixture(response))],
            );
            let client = ClientBuilder::new(reqwest::Client::new())
                .with(GenAiMiddleware::new())
                .build();
            let reply = client
                .post(format!("{}/v1/chat/completions", server.url()))
                .header("content-type", "application/json")
                .body(fixture(request))
                .send()
                .await
                .unwrap();
            reply.bytes().await.unwrap();
        });
        let spans = h.exporter.get_finished_spans().unwrap();
        (h, spans)
    }

    #[test]
    fn openai_audio_and_cached_details_fill_modality_usage() {
        let (h, spans) = call("openai_chat_audio.json", "openai_chat_request.json");
        let span = find(&spans, "chat gpt-4.1");
        assert_unique_keys(span);
        for (key, want) in [
            ("gen_ai.usage.input_tokens", 1310),
            ("gen_ai.usage.text.input_tokens", 430),
            ("gen_ai.usage.audio.input_tokens", 880),
            ("gen_ai.usage.image.input_tokens", 0),
            ("gen_ai.usage.output_tokens", 212),
            ("gen_ai.usage.text.output_tokens", 32),
            ("gen_ai.usage.audio.output_tokens", 180),
            ("gen_ai.usage.cache_read.input_tokens", 1024),
            ("gen_ai.usage.text.cache_read.input_tokens", 256),
            ("gen_ai.usage.audio.cache_read.input_tokens", 768),
        ] {
            assert_eq!(i64_attr(span, key), want, "{key}");
        }
        assert!(!has(span, "gen_ai.usage.image.output_tokens"));
        let input = h.metric("gen_ai.client.inference.usage.input_tokens");
        let sum =
            |m: &MetricInfo, modality: &str| m.point(&[("gen_ai.token.modality", modality)]).sum;
        assert_eq!(sum(&input, "text"), 430.0);
        assert_eq!(sum(&input, "audio"), 880.0);
        assert!(
            input
                .points
                .iter()
                .all(|p| p.attrs["gen_ai.token.modality"] != "image")
        );
        assert!(
            input
                .points
                .iter()
                .all(|p| p.attrs["gen_ai.token.modality"] != "unknown")
        );
        let cache = h.metric("gen_ai.client.inference.usage.cache_read.input_tokens");
        assert_eq!(sum(&cache, "audio"), 768.0);
        assert_eq!(sum(&cache, "text"), 256.0);
    }

    #[test]
    fn a_multimodal_input_reports_its_image_tokens() {
        let (h, spans) = call(
            "openai_chat_multimodal.json",
            "openai_chat_multimodal_request.json",
        );
        let span = find(&spans, "chat gpt-4.1-mini");
        assert_eq!(i64_attr(span, "gen_ai.usage.image.input_tokens"), 765);
        assert_eq!(i64_attr(span, "gen_ai.usage.text.input_tokens"), 18);
        assert_eq!(i64_attr(span, "gen_ai.usage.text.output_tokens"), 15);
        let input = h.metric("gen_ai.client.inference.usage.input_tokens");
        assert_eq!(
            input.point(&[("gen_ai.token.modality", "image")]).sum,
            765.0
        );
        assert_eq!(input.point(&[("gen_ai.token.modality", "text")]).sum, 18.0);
        let output = h.metric("gen_ai.client.inference.usage.output_tokens");
        assert_eq!(output.point(&[("gen_ai.token.modality", "text")]).sum, 15.0);
    }
}
