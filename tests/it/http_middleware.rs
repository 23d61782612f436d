//! The reqwest middleware against a loopback mock server: span name, kind, attributes and
//! types, bytes seen by the app, trace context, pass-through, errors, retries.

use std::time::Duration;

use crate::support::http_mock::{MockServer, Received, Reply, fixture};
use crate::support::*;
use opentelemetry::trace::SpanKind;
use opentelemetry_sdk::trace::SpanData;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use tracing::Instrument;
use tracing_genai::content::ContentCapture;
use tracing_genai::http::GenAiMiddleware;

fn client(middleware: GenAiMiddleware) -> ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new())
        .with(middleware)
        .build()
}

/// POSTs `body` to `server{path}` and returns (status, bytes the app read, url, content-length).
async fn post(
    client: &ClientWithMiddleware,
    server: &MockServer,
    path: &str,
    body: Vec<u8>,
) -> (u16, Vec<u8>, String, Option<u64>) {
    let response = client
        .post(format!("{}{path}", server.url()))
        .header("content-type", "application/json")
        .header("authorization", "Bearer sk-test")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let url = response.url().to_string();
    let length = response.content_length();
    let bytes = response.bytes().await.unwrap().to_vec();
    (status, bytes, url, length)
}

/// `(trace id, span id)` of a `traceparent` header.
fn traceparent(received: &Received) -> Option<(String, String)> {
    let value = received.header("traceparent")?;
    let parts: Vec<&str> = value.split('-').collect();
    assert_eq!(parts.len(), 4, "traceparent {value}");
    Some((parts[1].to_string(), parts[2].to_string()))
}

fn ids(span: &SpanData) -> (String, String) {
    (
        span.span_context.trace_id().to_string(),
        span.span_context.span_id().to_string(),
    )
}

#[test]
fn chat_completion_span_has_request_response_and_usage() {
    let run = Harness::new().collect_async(|| async {
        let server = MockServer::start().await;
        server.route(
            "/v1/chat/completions",
            vec![Reply::json(200, fixture("openai_chat.json"))],
        );
        let client = client(GenAiMiddleware::new());
        let parent = tracing::info_span!("handler");
        let out = post(
            &client,
            &server,
            "/v1/chat/completions",
            fixture("openai_chat_request.json"),
        )
        .instrument(parent)
        .await;
        (server, out)
    });
    let (ref server, (status, ref bytes, ref url, length)) = run.value;
    assert_eq!(status, 200);
    // The app read exactly what the server sent, and the response kept its URL and length.
    assert_eq!(*bytes, fixture("openai_chat.json"));
    assert_eq!(*url, format!("{}/v1/chat/completions", server.url()));
    assert_eq!(length, Some(fixture("openai_chat.json").len() as u64));

    let span = run.span("chat gpt-4.1");
    assert_eq!(span.span_kind, SpanKind::Client);
    assert_unique_keys(span);
    assert_eq!(str_attr(span, "gen_ai.operation.name"), "chat");
    // An unknown host speaking the OpenAI API is reported as `openai` unless configured.
    assert_eq!(str_attr(span, "gen_ai.provider.name"), "openai");
    assert_eq!(str_attr(span, "server.address"), "127.0.0.1");
    assert_eq!(i64_attr(span, "server.port"), i64::from(server.addr.port()));
    assert_eq!(str_attr(span, "gen_ai.request.model"), "gpt-4.1");
    assert_eq!(i64_attr(span, "gen_ai.request.max_tokens"), 300);
    assert_eq!(f64_attr(span, "gen_ai.request.temperature"), 0.2);
    assert_eq!(i64_attr(span, "gen_ai.request.seed"), 42);
    assert_eq!(
        strings_attr(span, "gen_ai.request.stop_sequences"),
        ["\n\n", "END"]
    );
    assert_eq!(
        str_attr(span, "gen_ai.response.id"),
        "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT"
    );
    assert_eq!(
        str_attr(span, "gen_ai.response.model"),
        "gpt-4.1-2025-04-14"
    );
    assert_eq!(
        strings_attr(span, "gen_ai.response.finish_reasons"),
        ["stop"]
    );
    assert_eq!(i64_attr(span, "gen_ai.usage.input_tokens"), 2006);
    assert_eq!(i64_attr(span, "gen_ai.usage.output_tokens"), 300);
    assert_eq!(i64_attr(span, "gen_ai.usage.cache_read.input_tokens"), 1920);
    assert_eq!(str_attr(span, "openai.response.service_tier"), "default");
    assert_eq!(
        str_attr(span, "openai.response.system_fingerprint"),
        "fp_44709d6fcb"
    );
    assert!(!is_error(span));
    // No content without content capture.
    assert!(!has(span, "gen_ai.input.messages"));
    assert!(!has(span, "gen_ai.output.messages"));

    // Child of the current span; the server got this span's trace context.
    let parent = run.span("handler");
    assert_eq!(span.parent_span_id, parent.span_context.span_id());
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(traceparent(&received[0]), Some(ids(span)));
    // The request bytes were not changed.
    assert_eq!(received[0].body, fixture("openai_chat_request.json"));
    assert_eq!(received[0].header("authorization"), Some("Bearer sk-test"));
}

#[test]
fn content_is_captured_only_when_the_layer_captures_it() {
    let run = Harness::builder()
        .content(ContentCapture::SpanOnly)
        .build()
        .collect_async(|| async {
            let server = MockServer::start().await;
            server.route(
                "/v1/chat/completions",
                vec![Reply::json(200, fixture("openai_chat.json"))],
            );
            let client = client(GenAiMiddleware::new());
            post(
                &client,
                &server,
                "/v1/chat/completions",
                fixture("openai_chat_request.json"),
            )
            .await;
        });
    let span = run.only();
    let input: serde_json::Value =
        serde_json::from_str(&str_attr(span, "gen_ai.input.messages")).unwrap();
    assert_eq!(input.as_array().unwrap().len(), 2, "{input}");
    assert_eq!(input[1]["role"], "user");
    let output: serde_json::Value =
        serde_json::from_str(&str_attr(span, "gen_ai.output.messages")).unwrap();
    assert_eq!(
        output[0]["parts"][0]["content"],
        "Hello! How can I assist you today?"
    );
    assert_eq!(output[0]["finish_reason"], "stop");
}

#[test]
fn anthropic_messages_and_configured_providers() {
    let run = Harness::new().collect_async(|| async {
        let server = MockServer::start().await;
        server.route(
            "/v1/messages",
            vec![Reply::json(200, fixture("anthropic_messages.json"))],
        );
        server.route(
            "/v1/embeddings",
            vec![Reply::json(200, fixture("openai_embeddings.json"))],
        );
        server.route(
            "/v1/chat/completions",
            vec![Reply::json(200, fixture("openai_chat.json"))],
        );
        let host = format!("127.0.0.1:{}", server.addr.port());
        let client = client(GenAiMiddleware::new().with_provider_for_host(&host, "vllm"));
        post(
            &client,
            &server,
            "/v1/chat/completions",
            fixture("openai_chat_request.json"),
        )
        .await;
        post(
            &client,
            &server,
            "/v1/messages",
            fixture("anthropic_messages_request.json"),
        )
        .await;
        post(
            &client,
            &server,
            "/v1/embeddings",
            fixture("openai_embeddings_request.json"),
        )
        .await;
    });
    let chat = run.span("chat claude-sonnet-4-20250514");
    assert_eq!(str_attr(chat, "gen_ai.provider.name"), "vllm");
    assert_eq!(i64_attr(chat, "gen_ai.request.max_tokens"), 1024);
    assert_eq!(i64_attr(chat, "gen_ai.request.top_k"), 40);
    assert_eq!(
        str_attr(chat, "gen_ai.response.id"),
        "msg_013Zva2CMHLNnXjNJJKqJ2EF"
    );
    assert_eq!(
        strings_attr(chat, "gen_ai.response.finish_reasons"),
        ["end_turn"]
    );
    // Anthropic's input tokens exclude the cache: input = 2095 + 1024 read + 248 created.
    assert_eq!(
        i64_attr(chat, "gen_ai.usage.input_tokens"),
        2095 + 1024 + 248
    );
    assert_eq!(i64_attr(chat, "gen_ai.usage.cache_read.input_tokens"), 1024);
    assert_eq!(
        i64_attr(chat, "gen_ai.usage.cache_creation.input_tokens"),
        248
    );
    assert_eq!(i64_attr(chat, "gen_ai.usage.output_tokens"), 503);

    let embeddings = run.span("embeddings text-embedding-3-small");
    assert_eq!(embeddings.span_kind, SpanKind::Client);
    assert_eq!(str_attr(embeddings, "gen_ai.provider.name"), "vllm");
    assert_eq!(i64_attr(embeddings, "gen_ai.embeddings.dimension.count"), 8);
    assert_eq!(
        strings_attr(embeddings, "gen_ai.request.encoding_formats"),
        ["float"]
    );

    // An OpenAI-compatible server speaks OpenAI's API but is not OpenAI: no `openai.*`.
    let compatible = run
        .spans
        .iter()
        .find(|s| s.name.starts_with("chat gpt"))
        .expect("the chat completion span");
    assert_eq!(str_attr(compatible, "gen_ai.provider.name"), "vllm");
    assert!(!str_attr(compatible, "gen_ai.response.id").is_empty());
    let openai_keys: Vec<_> = compatible
        .attributes
        .iter()
        .filter(|kv| kv.key.as_str().starts_with("openai."))
        .collect();
    assert!(openai_keys.is_empty(), "{openai_keys:?}");
}

#[test]
fn non_llm_requests_pass_through_untouched() {
    let run = Harness::new().collect_async(|| async {
        let server = MockServer::start().await;
        server.route("/v1/models", vec![Reply::json(200, r#"{"data":[]}"#)]);
        server.route("/v1/files", vec![Reply::json(200, r#"{"id":"file-1"}"#)]);
        server.route(
            "/v1/chat/completions",
            vec![Reply::json(200, fixture("openai_chat.json"))],
        );
        let client = client(GenAiMiddleware::new());
        let models = client
            .get(format!("{}/v1/models", server.url()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(models, r#"{"data":[]}"#);
        post(&client, &server, "/v1/files", b"{}".to_vec()).await;
        // A GET on an LLM path is not a model call either.
        client
            .get(format!("{}/v1/chat/completions", server.url()))
            .send()
            .await
            .unwrap();
        server
    });
    assert!(run.spans.is_empty(), "{:?}", names(&run.spans));
    let received = run.value.received();
    assert_eq!(received.len(), 3);
    for r in &received {
        assert_eq!(r.header("traceparent"), None, "{} {}", r.method, r.path);
    }
}

#[test]
fn trace_context_can_be_turned_off() {
    let run = Harness::new().collect_async(|| async {
        let server = MockServer::start().await;
        server.route(
            "/v1/chat/completions",
            vec![Reply::json(200, fixture("openai_chat.json"))],
        );
        let client = client(GenAiMiddleware::new().with_trace_context(false));
        post(
            &client,
            &server,
            "/v1/chat/completions",
            fixture("openai_chat_request.json"),
        )
        .await;
        server
    });
    assert_eq!(run.spans.len(), 1);
    assert_eq!(run.value.received()[0].header("traceparent"), None);
}

#[test]
fn error_statuses_use_the_provider_error_code() {
    let cases = [
        ("openai_error_400.json", 400, "context_length_exceeded"),
        ("openai_error_401.json", 401, "invalid_api_key"),
        ("openai_error_429.json", 429, "rate_limit_exceeded"),
    ];
    for (file, status, code) in cases {
        let run = Harness::new().collect_async(|| async move {
            let server = MockServer::start().await;
            server.route(
                "/v1/chat/completions",
                vec![Reply::json(status, fixture(file))],
            );
            let client = client(GenAiMiddleware::new());
            post(
                &client,
                &server,
                "/v1/chat/completions",
                fixture("openai_chat_request.json"),
            )
            .await
        });
        let (got_status, ref bytes, _, _) = run.value;
        assert_eq!(got_status, status);
        assert_eq!(*bytes, fixture(file), "the app still reads the error body");
        let span = run.span("chat gpt-4.1");
        assert!(is_error(span), "{file}");
        assert_eq!(str_attr(span, "error.type"), code, "{file}");
    }
}

#[test]
fn non_json_error_body_falls_back_to_the_http_status() {
    let run = Harness::new().collect_async(|| async {
        let server = MockServer::start().await;
        server.route(
            "/v1/chat/completions",
            vec![Reply::json(502, "<html>Bad gateway</html>").header("content-type", "text/html")],
        );
        let client = client(GenAiMiddleware::new());
        post(
            &client,
            &server,
            "/v1/chat/completions",
            fixture("openai_chat_request.json"),
        )
        .await
    });
    assert_eq!(run.value.1, b"<html>Bad gateway</html>");
    let span = run.only();
    assert!(is_error(span));
    assert_eq!(str_attr(span, "error.type"), "502");
}

#[test]
fn transport_errors_end_the_span_with_their_kind() {
    let run = Harness::new().collect_async(|| async {
        // A port nobody listens on.
        let closed_url = format!("http://{}/v1/chat/completions", closed_port());
        let client = client(GenAiMiddleware::new());
        let refused = client
            .post(closed_url)
            .body(r#"{"model":"refused-model"}"#)
            .send()
            .await;
        assert!(refused.is_err());

        let server = MockServer::start().await;
        server.route(
            "/v1/chat/completions",
            vec![Reply::json(200, fixture("openai_chat.json")).delayed(Duration::from_secs(5))],
        );
        let slow = ClientBuilder::new(
            reqwest::Client::builder()
                .timeout(Duration::from_millis(200))
                .build()
                .unwrap(),
        )
        .with(GenAiMiddleware::new())
        .build();
        let timed_out = slow
            .post(format!("{}/v1/chat/completions", server.url()))
            .body(r#"{"model":"slow-model"}"#)
            .send()
            .await;
        assert!(timed_out.unwrap_err().is_timeout());
    });
    let refused = run.span("chat refused-model");
    assert!(is_error(refused));
    assert_eq!(str_attr(refused, "error.type"), "connect");
    let slow = run.span("chat slow-model");
    assert!(is_error(slow));
    assert_eq!(str_attr(slow, "error.type"), "timeout");
}

#[test]
fn retries_are_events_in_one_span() {
    use reqwest_retry::RetryTransientMiddleware;
    use reqwest_retry::policies::ExponentialBackoff;

    let run = Harness::new().collect_async(|| async {
        let server = MockServer::start().await;
        server.route(
            "/v1/chat/completions",
            vec![
                Reply::json(429, fixture("openai_error_429.json")).header("retry-after", "0"),
                Reply::json(200, fixture("openai_chat.json")),
            ],
        );
        let genai = GenAiMiddleware::new();
        let policy = ExponentialBackoff::builder()
            .retry_bounds(Duration::from_millis(1), Duration::from_millis(5))
            .build_with_max_retries(3);
        let client = ClientBuilder::new(reqwest::Client::new())
            .with(genai.clone())
            .with(RetryTransientMiddleware::new_with_policy(policy))
            .with(genai.retry_observer())
            .build();
        let out = post(
            &client,
            &server,
            "/v1/chat/completions",
            fixture("openai_chat_request.json"),
        )
        .await;
        (server, out)
    });
    let (ref server, (status, ref bytes, _, _)) = run.value;
    assert_eq!(status, 200);
    assert_eq!(*bytes, fixture("openai_chat.json"));
    let span = run.only();
    assert!(!is_error(span), "the retry succeeded");
    assert!(!has(span, "error.type"));
    assert_eq!(i64_attr(span, "gen_ai.usage.input_tokens"), 2006);
    let retries: Vec<_> = span
        .events
        .events
        .iter()
        .filter(|e| e.name == "tracing_genai.retry")
        .collect();
    assert_eq!(retries.len(), 1);
    assert_eq!(
        event_attr(retries[0], "tracing_genai.retry.attempt").as_deref(),
        Some("2")
    );
    assert_eq!(
        event_attr(retries[0], "tracing_genai.retry.reason").as_deref(),
        Some("HTTP 429, Retry-After: 0")
    );
    assert_eq!(event_attr(retries[0], "error.type").as_deref(), Some("429"));
    // Both attempts carried the one span's trace context.
    let received = server.received();
    assert_eq!(received.len(), 2);
    for r in &received {
        assert_eq!(traceparent(r), Some(ids(span)));
    }
}

#[test]
fn oversized_json_is_passed_through_but_not_parsed() {
    let run = Harness::new().collect_async(|| async {
        let server = MockServer::start().await;
        server.route(
            "/v1/chat/completions",
            vec![Reply::json(200, fixture("openai_chat.json"))],
        );
        let client = client(GenAiMiddleware::new().with_max_buffered_body(64));
        post(
            &client,
            &server,
            "/v1/chat/completions",
            fixture("openai_chat_request.json"),
        )
        .await
    });
    assert_eq!(run.value.1, fixture("openai_chat.json"));
    let span = run.only();
    assert_diagnostic(span, "larger than 64 bytes");
    assert!(!has(span, "gen_ai.response.id"));
    assert_eq!(str_attr(span, "gen_ai.request.model"), "gpt-4.1");
}

#[test]
fn without_the_layer_requests_pass_through() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (bytes, received) = rt.block_on(async {
        let server = MockServer::start().await;
        server.route(
            "/v1/chat/completions",
            vec![Reply::json(200, fixture("openai_chat.json"))],
        );
        let out = post(
            &client(GenAiMiddleware::new()),
            &server,
            "/v1/chat/completions",
            fixture("openai_chat_request.json"),
        )
        .await;
        (out.1, server.received())
    });
    assert_eq!(bytes, fixture("openai_chat.json"));
    assert_eq!(received[0].header("traceparent"), None);
}

#[test]
fn retried_transport_errors_keep_their_kind() {
    use reqwest_retry::RetryTransientMiddleware;
    use reqwest_retry::policies::ExponentialBackoff;

    let run = Harness::new().collect_async(|| async {
        let url = format!("http://{}/v1/chat/completions", closed_port());
        let genai = GenAiMiddleware::new();
        let policy = ExponentialBackoff::builder()
            .retry_bounds(Duration::from_millis(1), Duration::from_millis(5))
            .build_with_max_retries(2);
        let client = ClientBuilder::new(reqwest::Client::new())
            .with(genai.clone())
            .with(RetryTransientMiddleware::new_with_policy(policy))
            .with(genai.retry_observer())
            .build();
        client
            .post(url)
            .body(r#"{"model":"gpt-4o"}"#)
            .send()
            .await
            .unwrap_err()
            .to_string()
    });
    assert!(run.value.contains("after 2 retries"), "{}", run.value);
    let span = run.only();
    assert!(is_error(span));
    assert_eq!(str_attr(span, "error.type"), "connect");
    let retries: Vec<_> = span
        .events
        .events
        .iter()
        .filter(|e| e.name == "tracing_genai.retry")
        .collect();
    assert_eq!(retries.len(), 2);
    for (i, retry) in retries.iter().enumerate() {
        assert_eq!(
            event_attr(retry, "tracing_genai.retry.attempt"),
            Some((i + 2).to_string())
        );
        assert_eq!(event_attr(retry, "error.type").as_deref(), Some("connect"));
    }
}
