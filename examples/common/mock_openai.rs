//! A tiny OpenAI-compatible server on loopback for the ecosystem examples (`rig_agent`,
//! `genai_chat`): no network, no API key. `POST …/chat/completions` answers a server-sent-events
//! stream when the request says `"stream":true`, the weather when it holds a tool result, a
//! `get_weather` call when it offers tools, and a text answer otherwise; `POST …/embeddings`
//! answers one vector. Usage includes reasoning tokens.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

const TOOL_CALL: &str = r#"{"id":"chatcmpl-mock-1","object":"chat.completion","model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Lyon\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":40,"completion_tokens":12,"total_tokens":52,"completion_tokens_details":{"reasoning_tokens":3}}}"#;

const TEXT: &str = r#"{"id":"chatcmpl-mock-2","object":"chat.completion","model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"It is sunny in Lyon, 21°C."},"finish_reason":"stop"}],"usage":{"prompt_tokens":60,"completion_tokens":15,"total_tokens":75,"completion_tokens_details":{"reasoning_tokens":4}}}"#;

const ANSWER: &str = r#"{"id":"chatcmpl-mock-4","object":"chat.completion","model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"Rayleigh scattering: air scatters blue light the most."},"finish_reason":"stop"}],"usage":{"prompt_tokens":25,"completion_tokens":11,"total_tokens":36,"completion_tokens_details":{"reasoning_tokens":4}}}"#;

const STREAM: &str = concat!(
    "data: {\"id\":\"chatcmpl-mock-3\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Rayleigh \"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"chatcmpl-mock-3\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"scattering.\"},\"finish_reason\":\"stop\"}]}\n\n",
    "data: {\"id\":\"chatcmpl-mock-3\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":[],\"usage\":{\"prompt_tokens\":19,\"completion_tokens\":7,\"total_tokens\":26,\"completion_tokens_details\":{\"reasoning_tokens\":2}}}\n\n",
    "data: [DONE]\n\n",
);

const EMBEDDINGS: &str = r#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.25,0.5,0.25,0.5,0.25,0.5,0.25,0.5]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":5,"total_tokens":5}}"#;

/// Starts the server on `127.0.0.1:0` on a thread of its own; returns `http://127.0.0.1:{port}/v1`.
pub(crate) fn start() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let base = format!(
        "http://{}/v1",
        listener.local_addr().expect("the listener's address")
    );
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let body = String::from_utf8_lossy(&body).replace(' ', "");
            let (kind, payload) = if request_line.contains("/embeddings") {
                ("application/json", EMBEDDINGS)
            } else if body.contains("\"stream\":true") {
                ("text/event-stream", STREAM)
            } else if body.contains("\"role\":\"tool\"") {
                ("application/json", TEXT)
            } else if body.contains("\"tools\"") {
                ("application/json", TOOL_CALL)
            } else {
                ("application/json", ANSWER)
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
