//! The real `genai` (0.7, feature `otel`) against the loopback mock of the OpenAI API, through
//! the GenAI layer: a chat call, a streamed chat, embeddings, an API error, content capture
//! with genai's documented switch (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`),
//! and the client's API key nowhere in the export.
//!
//! What genai 0.7.2 records (`src/otel/span.rs`): a `genai.chat` span (target `genai::otel::span`)
//! with `otel.name = "chat {model}"`, `otel.kind = "client"`, `otel.status_code` (`"error"` on
//! failure), `error.type`, `gen_ai.operation.name`, `gen_ai.provider.name`,
//! `gen_ai.request.model`, `gen_ai.request.stream` (bool), `.temperature`, `.top_p` (f64),
//! `.max_tokens`, `.seed` (i64), `.stop_sequences` (a JSON string), `gen_ai.output.type`,
//! `server.address`, `server.port` (i64), `gen_ai.response.id`, `.model`,
//! `.finish_reasons` (a JSON string such as `["stop"]`), `gen_ai.usage.input_tokens`,
//! `.output_tokens`, `.cache_read.input_tokens`, `.cache_creation.input_tokens`,
//! `.reasoning.output_tokens` (i64), `gen_ai.response.time_to_first_chunk` (f64 seconds,
//! streams), and with content on `gen_ai.system_instructions`, `gen_ai.input.messages`,
//! `gen_ai.output.messages`, `gen_ai.tool.definitions` (JSON strings); a `genai.embeddings`
//! span with `otel.*`, `error.type`, `gen_ai.operation.name`, `.provider.name`,
//! `.request.model`, `gen_ai.embeddings.dimension.count` (i64),
//! `gen_ai.request.encoding_formats` (a JSON string), `server.*`, `gen_ai.response.model`,
//! `gen_ai.usage.input_tokens`. Content capture is read once per process from the variable.

use std::time::Duration;

use crate::support::http_mock::{MockServer, Reply, Usage, fixture, openai};
use crate::support::process::rerun_in_child_process_with;
use crate::support::*;
use futures_util::StreamExt;
use genai::adapter::AdapterKind;
use genai::chat::{ChatMessage, ChatOptions, ChatRequest, ChatStreamEvent};
use genai::embed::EmbedOptions;
use genai::resolver::{AuthData, Endpoint, ServiceTargetResolver};
use genai::{Client, ModelIden, ServiceTarget};
use opentelemetry::trace::SpanKind;
use tracing_genai::content::ContentCapture;

const KEY: &str = "sk-planted-genai-83b2d4e6f1";
const MODEL: &str = "gpt-4o-mini";

/// A genai client whose every model is OpenAI on the mock, with the planted key.
fn client(server: &MockServer) -> Client {
    let base = format!("{}/v1/", server.url());
    let resolver = ServiceTargetResolver::from_resolver_fn(
        move |target: ServiceTarget| -> Result<ServiceTarget, genai::resolver::Error> {
            Ok(ServiceTarget {
                endpoint: Endpoint::from_owned(base.clone()),
                auth: AuthData::from_single(KEY),
                model: ModelIden::new(AdapterKind::OpenAI, target.model.model_name),
            })
        },
    );
    Client::builder()
        .with_service_target_resolver(resolver)
        .build()
        .unwrap()
}

fn request() -> ChatRequest {
    ChatRequest::new(vec![
        ChatMessage::system("Answer in one short sentence."),
        ChatMessage::user("Why is the sky blue?"),
    ])
}

fn assert_key_sent(server: &MockServer) {
    let received = server.received();
    assert!(!received.is_empty());
    for request in &received {
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
    }
}

fn answer() -> Reply {
    openai::text(
        "chatcmpl-genai-1",
        "gpt-4o-mini-2024-07-18",
        "Rayleigh scattering.",
        Usage::new(25, 4).reasoning(2).cached(8),
    )
}

#[test]
fn chat_is_a_typed_client_span() {
    let run = Harness::new().collect_async(|| async {
        let server = MockServer::start().await;
        server.route("/v1/chat/completions", vec![answer()]);
        let options = ChatOptions::default()
            .with_temperature(0.3)
            .with_max_tokens(64);
        let response = client(&server)
            .exec_chat(MODEL, request(), Some(&options))
            .await
            .unwrap();
        assert_eq!(response.first_text(), Some("Rayleigh scattering."));
        server
    });
    assert_key_sent(&run.value);
    let span = run.only();
    assert_eq!(span.name, "chat gpt-4o-mini");
    assert_eq!(span.span_kind, SpanKind::Client);
    assert_eq!(str_attr(span, "gen_ai.operation.name"), "chat");
    assert_eq!(str_attr(span, "gen_ai.provider.name"), "openai");
    assert_eq!(str_attr(span, "gen_ai.request.model"), MODEL);
    assert!(!bool_attr(span, "gen_ai.request.stream"));
    assert_eq!(f64_attr(span, "gen_ai.request.temperature"), 0.3);
    assert_eq!(i64_attr(span, "gen_ai.request.max_tokens"), 64);
    assert_eq!(str_attr(span, "server.address"), "127.0.0.1");
    assert_eq!(
        i64_attr(span, "server.port"),
        i64::from(run.value.addr.port())
    );
    // genai 0.7.2's OpenAI adapter does not capture the response id.
    assert!(!has(span, "gen_ai.response.id"));
    assert_eq!(
        str_attr(span, "gen_ai.response.model"),
        "gpt-4o-mini-2024-07-18"
    );
    // genai records a JSON string: exported as a string array.
    assert_eq!(
        strings_attr(span, "gen_ai.response.finish_reasons"),
        ["stop"]
    );
    assert_eq!(i64_attr(span, "gen_ai.usage.input_tokens"), 25);
    assert_eq!(i64_attr(span, "gen_ai.usage.output_tokens"), 4);
    assert_eq!(i64_attr(span, "gen_ai.usage.cache_read.input_tokens"), 8);
    assert_eq!(i64_attr(span, "gen_ai.usage.reasoning.output_tokens"), 2);
    // The bridge fields steer the span; they are not exported as attributes.
    for key in ["otel.name", "otel.kind", "otel.status_code"] {
        assert!(!has(span, key), "{key}");
    }
    assert!(!is_error(span));
    assert!(diagnostics(span).is_empty(), "{:?}", diagnostics(span));
    assert_unique_keys(span);
    // Content capture is off (the variable is unset in this process): no content.
    for key in [
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
    ] {
        assert!(!has(span, key), "{key}");
    }
    assert_nowhere(&run.spans, KEY);
}

/// The span stays open until the stream has been read to the end (the mock holds the stream
/// after its first event until the test has waited 200 ms), with the usage of the last event.
#[test]
fn streamed_chat_span_covers_the_stream() {
    let hold = Duration::from_millis(200);
    let run = Harness::new().collect_async(|| async move {
        let server = MockServer::start().await;
        let gate = std::sync::Arc::new(tokio::sync::Notify::new());
        server.route(
            "/v1/chat/completions",
            vec![
                openai::stream(
                    "chatcmpl-genai-s",
                    "gpt-4o-mini-2024-07-18",
                    &["Rayleigh", " scattering."],
                    Usage::new(19, 7).reasoning(3),
                )
                .gated(gate.clone()),
            ],
        );
        let options = ChatOptions::default()
            .with_capture_usage(true)
            .with_capture_content(true);
        let mut stream = client(&server)
            .exec_chat_stream(MODEL, request(), Some(&options))
            .await
            .unwrap()
            .stream;
        let release = tokio::spawn(async move {
            tokio::time::sleep(hold).await;
            gate.notify_one();
        });
        let mut text = String::new();
        while let Some(event) = stream.next().await {
            if let ChatStreamEvent::Chunk(chunk) = event.unwrap() {
                text.push_str(&chunk.content);
            }
        }
        release.await.unwrap();
        (server, text)
    });
    assert_eq!(run.value.1, "Rayleigh scattering.");
    assert_key_sent(&run.value.0);
    let span = run.only();
    assert_eq!(span.name, "chat gpt-4o-mini");
    assert_eq!(span.span_kind, SpanKind::Client);
    assert!(bool_attr(span, "gen_ai.request.stream"));
    let took = span.end_time.duration_since(span.start_time).unwrap();
    assert!(took >= hold, "the chat span ended after {took:?}");
    assert!(f64_attr(span, "gen_ai.response.time_to_first_chunk") < hold.as_secs_f64());
    assert_eq!(
        strings_attr(span, "gen_ai.response.finish_reasons"),
        ["stop"]
    );
    assert_eq!(i64_attr(span, "gen_ai.usage.input_tokens"), 19);
    assert_eq!(i64_attr(span, "gen_ai.usage.output_tokens"), 7);
    assert_eq!(i64_attr(span, "gen_ai.usage.reasoning.output_tokens"), 3);
    assert!(!is_error(span));
    assert_unique_keys(span);
    assert_nowhere(&run.spans, KEY);
}

/// Embeddings: named and typed, and only an input-token metric point.
#[test]
fn embeddings_span_and_metrics() {
    let harness = Harness::builder().metrics(true).build();
    harness.run_async(|| async {
        let server = MockServer::start().await;
        server.route(
            "/v1/embeddings",
            vec![openai::embeddings("text-embedding-3-small", 1, 8, 5)],
        );
        let options = EmbedOptions::default().with_dimensions(8);
        let response = client(&server)
            .embed(
                "text-embedding-3-small",
                "The food was delicious",
                Some(&options),
            )
            .await
            .unwrap();
        assert_eq!(response.embeddings.len(), 1);
        assert_key_sent(&server);
    });
    let span = harness.span("embeddings text-embedding-3-small");
    assert_eq!(span.span_kind, SpanKind::Client);
    assert_eq!(str_attr(&span, "gen_ai.operation.name"), "embeddings");
    assert_eq!(i64_attr(&span, "gen_ai.embeddings.dimension.count"), 8);
    assert_eq!(i64_attr(&span, "gen_ai.usage.input_tokens"), 5);
    assert!(!has(&span, "gen_ai.usage.output_tokens"));
    assert_unique_keys(&span);
    let usage = harness.metric("gen_ai.client.token.usage");
    assert!(
        usage
            .points
            .iter()
            .all(|p| p.attrs.get("gen_ai.token.type").map(String::as_str) == Some("input")),
        "{usage:?}"
    );
    assert_nowhere(&harness.spans(), KEY);
}

/// genai marks a failed call itself (`otel.status_code = "error"`, `error.type`).
#[test]
fn api_error_marks_the_span_failed() {
    let run = Harness::new().collect_async(|| async {
        let server = MockServer::start().await;
        server.route(
            "/v1/chat/completions",
            vec![Reply::json(401, fixture("openai_error_401.json"))],
        );
        client(&server)
            .exec_chat(MODEL, request(), None)
            .await
            .unwrap_err()
            .to_string()
    });
    let span = run.only();
    assert_eq!(span.name, "chat gpt-4o-mini");
    assert!(is_error(span));
    assert!(!str_attr(span, "error.type").is_empty());
    assert_unique_keys(span);
    assert_nowhere(&run.spans, KEY);
}

/// genai's documented switch turns content on for genai and for the layer at once; the layer
/// can still keep it out in code.
#[test]
fn content_with_genais_documented_variable() {
    if rerun_in_child_process_with(&[(ContentCapture::ENV_VAR, Some("true"))]) {
        return;
    }
    let chat = |harness: Harness| {
        harness
            .collect_async(|| async {
                let server = MockServer::start().await;
                server.route("/v1/chat/completions", vec![answer()]);
                client(&server)
                    .exec_chat(MODEL, request(), None)
                    .await
                    .unwrap();
            })
            .spans
    };
    let spans = chat(Harness::new());
    let span = find(&spans, "chat gpt-4o-mini");
    assert!(str_attr(span, "gen_ai.input.messages").contains("Why is the sky blue?"));
    assert!(str_attr(span, "gen_ai.output.messages").contains("Rayleigh scattering."));
    assert!(str_attr(span, "gen_ai.system_instructions").contains("one short sentence"));
    assert_unique_keys(span);
    assert_nowhere(&spans, KEY);

    let spans = chat(
        Harness::builder()
            .content(ContentCapture::NoContent)
            .build(),
    );
    let span = find(&spans, "chat gpt-4o-mini");
    for kv in &span.attributes {
        let value = kv.value.as_str();
        assert!(
            !value.contains("sky") && !value.contains("Rayleigh"),
            "content in {}",
            kv.key
        );
    }
}
