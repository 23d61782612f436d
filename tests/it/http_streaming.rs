//! Streamed (SSE) responses through the reqwest middleware: incremental parsing at awkward
//! chunk boundaries, identical bytes for the app, no buffering, early drop, span timing.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::support::http_mock::{MockServer, Reply, fixture};
use crate::support::*;
use futures_util::StreamExt;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use tokio::sync::Notify;
use tracing_genai::content::ContentCapture;
use tracing_genai::http::GenAiMiddleware;

fn client() -> ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new())
        .with(GenAiMiddleware::new())
        .build()
}

fn stream_request(model: &str) -> Vec<u8> {
    format!(
        r#"{{"model":"{model}","stream":true,"stream_options":{{"include_usage":true}},"messages":[{{"role":"user","content":"Ça va ?"}}]}}"#
    )
    .into_bytes()
}

/// Sends the request and reads the body chunk by chunk; returns the bytes.
async fn read_stream(server: &MockServer, path: &str, body: Vec<u8>) -> Vec<u8> {
    let response = client()
        .post(format!("{}{path}", server.url()))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut stream = response.bytes_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.unwrap());
    }
    bytes
}

/// A chat stream whose server sends the first event and then waits for the gate. Returns the
/// server (keep it alive), the gate, the fixture's bytes, the length of the first event, and
/// the application's byte stream of the response.
async fn gated_chat_stream() -> (
    MockServer,
    Arc<Notify>,
    Vec<u8>,
    usize,
    impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>>,
) {
    let gate = Arc::new(Notify::new());
    let sse = fixture("openai_chat_stream.sse");
    let first = sse.iter().position(|b| *b == b'\n').unwrap() + 2;
    let server = MockServer::start().await;
    server.route(
        "/v1/chat/completions",
        vec![
            Reply::sse(sse.clone(), 1)
                .split_at(vec![first])
                .gated(gate.clone()),
        ],
    );
    let response = client()
        .post(format!("{}/v1/chat/completions", server.url()))
        .body(stream_request("gpt-4o-mini"))
        .send()
        .await
        .unwrap();
    (server, gate, sse, first, response.bytes_stream())
}

#[test]
fn openai_stream_split_mid_line_and_mid_utf8() {
    // 7-byte chunks split lines, JSON and the multi-byte characters of "Ça", "très", "😀".
    let sse = fixture("openai_chat_stream.sse");
    assert!(std::str::from_utf8(&sse).unwrap().contains('😀'));
    for chunk in [1, 7, 64] {
        let run = Harness::builder()
            .content(ContentCapture::SpanOnly)
            .build()
            .collect_async(|| async move {
                let server = MockServer::start().await;
                server.route(
                    "/v1/chat/completions",
                    vec![Reply::sse(fixture("openai_chat_stream.sse"), chunk)],
                );
                read_stream(
                    &server,
                    "/v1/chat/completions",
                    stream_request("gpt-4o-mini"),
                )
                .await
            });
        assert_eq!(
            run.value, sse,
            "chunk size {chunk}: the app got the same bytes"
        );
        let span = run.span("chat gpt-4o-mini");
        assert!(bool_attr(span, "gen_ai.request.stream"));
        assert_eq!(str_attr(span, "gen_ai.response.id"), "chatcmpl-123");
        assert_eq!(
            str_attr(span, "gen_ai.response.model"),
            "gpt-4o-mini-2024-07-18"
        );
        assert_eq!(
            strings_attr(span, "gen_ai.response.finish_reasons"),
            ["stop"]
        );
        assert_eq!(i64_attr(span, "gen_ai.usage.input_tokens"), 19);
        assert_eq!(i64_attr(span, "gen_ai.usage.output_tokens"), 7);
        let ttfc = f64_attr(span, "gen_ai.response.time_to_first_chunk");
        assert!(ttfc >= 0.0);
        let output: serde_json::Value =
            serde_json::from_str(&str_attr(span, "gen_ai.output.messages")).unwrap();
        assert_eq!(
            output[0]["parts"][0]["content"],
            "Bonjour ! Ça va très bien 😀"
        );
        assert!(!is_error(span));
        assert!(diagnostics(span).is_empty(), "{:?}", diagnostics(span));
        assert!(span.end_time > span.start_time);
    }
}

#[test]
fn anthropic_stream_usage_and_finish_reason() {
    let run = Harness::new().collect_async(|| async {
            let server = MockServer::start().await;
            server.route(
                "/v1/messages",
                vec![Reply::sse(fixture("anthropic_messages_stream.sse"), 13)],
            );
            read_stream(
                &server,
                "/v1/messages",
                br#"{"model":"claude-sonnet-4-20250514","max_tokens":1024,"stream":true,"messages":[]}"#.to_vec(),
            )
            .await
        });
    assert_eq!(run.value, fixture("anthropic_messages_stream.sse"));
    let span = run.span("chat claude-sonnet-4-20250514");
    assert_eq!(str_attr(span, "gen_ai.provider.name"), "anthropic");
    assert_eq!(
        str_attr(span, "gen_ai.response.id"),
        "msg_01XFDUDYJgAACzvnptvVoYEL"
    );
    assert_eq!(
        strings_attr(span, "gen_ai.response.finish_reasons"),
        ["end_turn"]
    );
    assert_eq!(
        i64_attr(span, "gen_ai.usage.input_tokens"),
        472 + 100 + 2048
    );
    assert_eq!(i64_attr(span, "gen_ai.usage.cache_read.input_tokens"), 2048);
    assert_eq!(i64_attr(span, "gen_ai.usage.output_tokens"), 89);
}

#[test]
fn streamed_body_is_not_buffered() {
    let run = Harness::new().collect_async(|| async {
        let (_server, gate, sse, first, mut stream) = gated_chat_stream().await;
        // The server holds the rest until the app has read the first event: a middleware
        // that buffered the body would wait forever (bounded here by the timeout).
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("first chunk reached the app while the server waited")
            .unwrap()
            .unwrap();
        assert_eq!(&chunk[..], &sse[..first]);
        let released = SystemTime::now();
        gate.notify_one();
        let mut bytes = chunk.to_vec();
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(bytes, sse);
        released
    });
    let span = run.only();
    assert_eq!(i64_attr(span, "gen_ai.usage.output_tokens"), 7);
    // The span covers the body: the server sent the rest only after `released`.
    assert!(span.end_time > run.value);
}

#[test]
fn dropped_stream_ends_the_span_without_error() {
    let run = Harness::new().collect_async(|| async {
        let (_server, gate, _, _, mut stream) = gated_chat_stream().await;
        stream.next().await.unwrap().unwrap();
        drop(stream);
        gate.notify_one();
    });
    let span = run.only();
    assert_diagnostic(span, "response body dropped before end");
    assert!(!is_error(span));
    assert_eq!(str_attr(span, "gen_ai.response.id"), "chatcmpl-123");
    assert!(bool_attr(span, "tracing_genai.stream.cancelled"));
}

#[test]
fn unread_json_response_ends_the_span_when_dropped() {
    let run = Harness::new().collect_async(|| async {
        let server = MockServer::start().await;
        server.route(
            "/v1/chat/completions",
            vec![Reply::json(200, fixture("openai_chat.json"))],
        );
        let response = client()
            .post(format!("{}/v1/chat/completions", server.url()))
            .body(r#"{"model":"gpt-4.1"}"#)
            .send()
            .await
            .unwrap();
        drop(response);
    });
    let span = run.only();
    assert_diagnostic(span, "response body dropped before end");
    assert!(!is_error(span));
}

#[test]
fn gzip_encoded_json_and_stream_are_parsed_after_decoding() {
    let run = Harness::new().collect_async(|| async {
        let server = MockServer::start().await;
        server.route(
            "/v1/chat/completions",
            vec![
                Reply::json(200, fixture("openai_chat.json")).gzipped(),
                Reply::sse(fixture("openai_chat_stream.sse"), 1)
                    .gzipped()
                    .split_at(vec![10, 11, 50, 333]),
            ],
        );
        let json = client()
            .post(format!("{}/v1/chat/completions", server.url()))
            .body(r#"{"model":"gpt-4.1"}"#)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let sse = read_stream(
            &server,
            "/v1/chat/completions",
            stream_request("gpt-4o-mini"),
        )
        .await;
        (json, sse, server.received())
    });
    let (json, sse, received) = &run.value;
    // reqwest decoded the bodies; the app got the original bytes.
    assert_eq!(json.as_ref(), fixture("openai_chat.json").as_slice());
    assert_eq!(*sse, fixture("openai_chat_stream.sse"));
    assert!(
        received[0]
            .header("accept-encoding")
            .unwrap()
            .contains("gzip")
    );
    let chat = run.span("chat gpt-4.1");
    assert_eq!(i64_attr(chat, "gen_ai.usage.input_tokens"), 2006);
    let stream = run.span("chat gpt-4o-mini");
    assert_eq!(i64_attr(stream, "gen_ai.usage.output_tokens"), 7);
    assert!(diagnostics(stream).is_empty(), "{:?}", diagnostics(stream));
}

#[test]
fn body_cut_off_mid_stream_fails_the_span() {
    let run = Harness::new().collect_async(|| async {
        let sse = fixture("openai_chat_stream.sse");
        // The first event and a part of the second.
        let cut = sse.windows(2).position(|w| w == b"\n\n").unwrap() + 40;
        let server = MockServer::start().await;
        server.route(
            "/v1/chat/completions",
            vec![Reply::sse(sse, 1).split_at(vec![cut]).cut_after_first()],
        );
        let response = client()
            .post(format!("{}/v1/chat/completions", server.url()))
            .body(stream_request("gpt-4o-mini"))
            .send()
            .await
            .unwrap();
        let mut stream = response.bytes_stream();
        let mut failed = false;
        while let Some(chunk) = stream.next().await {
            failed |= chunk.is_err();
        }
        failed
    });
    assert!(run.value, "the app saw the transport error");
    let span = run.only();
    assert!(is_error(span));
    assert_eq!(str_attr(span, "error.type"), "body");
    assert_eq!(str_attr(span, "gen_ai.response.id"), "chatcmpl-123");
}

/// The span ends when the body ended, not when the application drops the finished body, and
/// not at its last poll: the timestamps bracket the call.
#[test]
fn span_ends_when_the_body_ends_not_when_it_is_dropped() {
    let run = Harness::new().collect_async(|| async {
        let server = MockServer::start().await;
        server.route(
            "/v1/chat/completions",
            vec![Reply::sse(fixture("openai_chat_stream.sse"), 64)],
        );
        let response = client()
            .post(format!("{}/v1/chat/completions", server.url()))
            .body(stream_request("gpt-4o-mini"))
            .send()
            .await
            .unwrap();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            chunk.unwrap();
        }
        let read = SystemTime::now();
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(stream);
        read
    });
    let span = run.only();
    assert!(span.end_time <= run.value, "ended at the body's end");
}

/// A body dropped some time after its last read ends its span at the drop (the call lasted
/// until the application gave up on it).
#[test]
fn span_of_a_dropped_body_ends_at_the_drop() {
    let run = Harness::new().collect_async(|| async {
        let (_server, gate, _, _, mut stream) = gated_chat_stream().await;
        stream.next().await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let dropped = SystemTime::now();
        drop(stream);
        gate.notify_one();
        dropped
    });
    let span = run.only();
    assert!(bool_attr(span, "tracing_genai.stream.cancelled"));
    assert!(span.end_time >= run.value, "ended at the drop");
}
