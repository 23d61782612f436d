//! async-openai clients instrumented with `GenAiHttpService`: chat, streaming chat and
//! embeddings against the loopback mock server.

use crate::support::http_mock::{MockServer, Reply, fixture};
use crate::support::*;
use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::chat::CreateChatCompletionRequest;
use async_openai::types::embeddings::CreateEmbeddingRequest;
use futures_util::StreamExt;
use opentelemetry::trace::SpanKind;
use serde_json::json;
use tracing_genai::http::{GenAiHttpService, GenAiMiddleware};

fn openai(server: &MockServer) -> Client<OpenAIConfig> {
    let config = OpenAIConfig::new()
        .with_api_base(format!("{}/v1", server.url()))
        .with_api_key("sk-test");
    let host = format!("127.0.0.1:{}", server.addr.port());
    Client::with_config(config).with_http_service(GenAiHttpService::with_middleware(
        reqwest::Client::new(),
        GenAiMiddleware::new().with_provider_for_host(&host, "openai"),
    ))
}

fn chat_request(stream: bool) -> CreateChatCompletionRequest {
    let mut request = json!({
        "model": "gpt-4o-mini",
        "temperature": 0.5,
        "max_completion_tokens": 64,
        "messages": [{"role": "user", "content": "Ça va ?"}],
    });
    if stream {
        request["stream_options"] = json!({"include_usage": true});
    }
    serde_json::from_value(request).unwrap()
}

#[test]
fn chat_completion() {
    let run = Harness::new().collect_async(|| async {
        let server = MockServer::start().await;
        server.route(
            "/v1/chat/completions",
            vec![Reply::json(200, fixture("openai_chat.json"))],
        );
        let response = openai(&server)
            .chat()
            .create(chat_request(false))
            .await
            .unwrap();
        assert_eq!(
            response.choices[0].message.content.as_deref(),
            Some("Hello! How can I assist you today?")
        );
        server
    });
    let span = run.span("chat gpt-4o-mini");
    assert_eq!(span.span_kind, SpanKind::Client);
    assert_eq!(str_attr(span, "gen_ai.provider.name"), "openai");
    assert_eq!(f64_attr(span, "gen_ai.request.temperature"), 0.5);
    assert_eq!(i64_attr(span, "gen_ai.request.max_tokens"), 64);
    assert_eq!(
        str_attr(span, "gen_ai.response.model"),
        "gpt-4.1-2025-04-14"
    );
    assert_eq!(i64_attr(span, "gen_ai.usage.input_tokens"), 2006);
    assert_eq!(i64_attr(span, "gen_ai.usage.output_tokens"), 300);
    let received = run.value.received();
    assert!(received[0].header("traceparent").is_some());
}

#[test]
fn streaming_chat_completion() {
    let run = Harness::new().collect_async(|| async {
        let server = MockServer::start().await;
        server.route(
            "/v1/chat/completions",
            vec![Reply::sse(fixture("openai_chat_stream.sse"), 5)],
        );
        let mut stream = openai(&server)
            .chat()
            .create_stream(chat_request(true))
            .await
            .unwrap();
        let mut text = String::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.unwrap();
            if let Some(choice) = chunk.choices.first() {
                text.push_str(choice.delta.content.as_deref().unwrap_or_default());
            }
        }
        text
    });
    assert_eq!(run.value, "Bonjour ! Ça va très bien 😀");
    let span = run.span("chat gpt-4o-mini");
    assert!(bool_attr(span, "gen_ai.request.stream"));
    assert_eq!(
        strings_attr(span, "gen_ai.response.finish_reasons"),
        ["stop"]
    );
    assert_eq!(i64_attr(span, "gen_ai.usage.input_tokens"), 19);
    assert_eq!(i64_attr(span, "gen_ai.usage.output_tokens"), 7);
    assert!(has(span, "gen_ai.response.time_to_first_chunk"));
    assert!(!is_error(span));
}

#[test]
fn embeddings() {
    let run = Harness::new().collect_async(|| async {
        let server = MockServer::start().await;
        server.route(
            "/v1/embeddings",
            vec![Reply::json(200, fixture("openai_embeddings.json"))],
        );
        let request: CreateEmbeddingRequest = serde_json::from_value(json!({
            "model": "text-embedding-3-small",
            "input": "The food was delicious",
            "dimensions": 8,
        }))
        .unwrap();
        let response = openai(&server).embeddings().create(request).await.unwrap();
        response.data[0].embedding.len()
    });
    assert_eq!(run.value, 8);
    let span = run.span("embeddings text-embedding-3-small");
    assert_eq!(str_attr(span, "gen_ai.operation.name"), "embeddings");
    assert_eq!(i64_attr(span, "gen_ai.embeddings.dimension.count"), 8);
    assert!(has(span, "gen_ai.usage.input_tokens"));
}

#[test]
fn api_errors_reach_async_openai_and_the_span() {
    let run = Harness::new().collect_async(|| async {
        let server = MockServer::start().await;
        server.route(
            "/v1/chat/completions",
            vec![Reply::json(401, fixture("openai_error_401.json"))],
        );
        openai(&server)
            .chat()
            .create(chat_request(false))
            .await
            .unwrap_err()
            .to_string()
    });
    assert!(run.value.contains("Incorrect API key"), "{}", run.value);
    let span = run.only();
    assert!(is_error(span));
    assert_eq!(str_attr(span, "error.type"), "invalid_api_key");
}
