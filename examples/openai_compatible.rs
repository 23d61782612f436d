//! Run with: cargo run --example openai_compatible --features reqwest
//!
//! Calls an OpenAI-compatible chat completions endpoint through `GenAiMiddleware`, once
//! non-streamed and once streamed, and prints the resulting GenAI spans. With no
//! configuration it talks to a small mock server it starts on loopback; set `OPENAI_BASE_URL`
//! (e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1` for Ollama) and
//! `OPENAI_API_KEY` (and optionally `OPENAI_MODEL`) to call a real endpoint. Spans go to the
//! console, or over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use futures_util::StreamExt;
use tracing::Instrument;
use tracing_genai::http::GenAiMiddleware;

const MOCK_CHAT: &str = r#"{"id":"chatcmpl-mock-1","object":"chat.completion","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"OpenTelemetry is a standard for traces, metrics and logs."},"finish_reason":"stop"}],"usage":{"prompt_tokens":14,"completion_tokens":12,"total_tokens":26}}"#;

const MOCK_STREAM: &str = concat!(
    "data: {\"id\":\"chatcmpl-mock-2\",\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Spans, \"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"chatcmpl-mock-2\",\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"metrics, logs.\"},\"finish_reason\":\"stop\"}]}\n\n",
    "data: {\"id\":\"chatcmpl-mock-2\",\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,\"total_tokens\":13}}\n\n",
    "data: [DONE]\n\n",
);

/// A one-thread HTTP/1.1 mock of `POST /v1/chat/completions`; returns its base URL.
fn start_mock() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut length = 0;
            let mut traceparent = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if let Some(v) = lower.strip_prefix("traceparent:") {
                    traceparent = v.trim().to_string();
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            println!("[mock server] received traceparent {traceparent}");
            let streamed = String::from_utf8_lossy(&body).contains("\"stream\":true");
            let (kind, payload) = if streamed {
                ("text/event-stream", MOCK_STREAM)
            } else {
                ("application/json", MOCK_CHAT)
            };
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{payload}",
                payload.len()
            );
        }
    });
    base
}

#[tokio::main]
async fn main() {
    let otlp = std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some();
    let telemetry = common::start("openai_compatible", |config| {
        if otlp {
            config
        } else {
            config
                .with_exporter(tracing_genai::setup::ExporterKind::Console)
                .with_genai_printer(false)
        }
    });

    let (base, key) = match std::env::var("OPENAI_BASE_URL") {
        Ok(base) => (base, std::env::var("OPENAI_API_KEY").unwrap_or_default()),
        Err(_) => (start_mock(), "sk-mock".to_string()),
    };
    let model = std::env::var("OPENAI_MODEL").unwrap_or_else(|_| "gpt-4o-mini".to_string());
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(GenAiMiddleware::new())
        .build();
    let url = format!("{}/chat/completions", base.trim_end_matches('/'));

    async {
        let body = format!(
            r#"{{"model":"{model}","temperature":0.2,"messages":[{{"role":"user","content":"What is OpenTelemetry? One sentence."}}]}}"#
        );
        match client.post(&url).bearer_auth(&key).header("content-type", "application/json").body(body).send().await {
            Ok(response) => println!("chat: {} {}", response.status(), response.text().await.unwrap_or_default()),
            Err(e) => println!("chat failed: {e}"),
        }

        let body = format!(
            r#"{{"model":"{model}","stream":true,"stream_options":{{"include_usage":true}},"messages":[{{"role":"user","content":"Name OpenTelemetry's signals."}}]}}"#
        );
        match client.post(&url).bearer_auth(&key).header("content-type", "application/json").body(body).send().await {
            Ok(response) => {
                let mut stream = response.bytes_stream();
                let mut bytes = 0;
                while let Some(Ok(chunk)) = stream.next().await {
                    bytes += chunk.len();
                }
                println!("streamed chat: {bytes} bytes of server-sent events");
            }
            Err(e) => println!("streamed chat failed: {e}"),
        }
    }
    .instrument(tracing::info_span!("answer_question"))
    .await;

    common::finish(telemetry);
}
