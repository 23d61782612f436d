//! A tiny HTTP/1.1 server on loopback that replays LLM provider responses by route.
//!
//! Each route has a queue of [`Reply`]s (the last one repeats). Bodies can be sent as chunks
//! (chunked transfer encoding), split at chosen byte offsets, with an optional pause after the
//! first chunk until the test releases it. Every request is recorded (method, path, headers,
//! body). One request per connection (`connection: close`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// A request the server received.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// One canned response.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send the body as chunks split at these offsets (chunked encoding) instead of at once.
    pub splits: Option<Vec<usize>>,
    /// Wait for this notification after the first chunk.
    pub gate: Option<Arc<Notify>>,
    /// Wait this long before answering.
    pub delay: Option<Duration>,
    /// Close the connection after the first chunk (a body cut off mid-stream).
    pub cut_after_first: bool,
}

impl Reply {
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
            splits: None,
            gate: None,
            delay: None,
            cut_after_first: false,
        }
    }

    /// A server-sent-events body, sent in chunks of `chunk` bytes (awkward boundaries: mid-line
    /// and, for multi-byte text, mid-character).
    pub fn sse(body: impl Into<Vec<u8>>, chunk: usize) -> Self {
        let body = body.into();
        let splits = (1..)
            .map(|i| i * chunk.max(1))
            .take_while(|&o| o < body.len())
            .collect();
        Reply {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            body,
            splits: Some(splits),
            gate: None,
            delay: None,
            cut_after_first: false,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn split_at(mut self, splits: Vec<usize>) -> Self {
        self.splits = Some(splits);
        self
    }

    /// gzip-compresses the body (`content-encoding: gzip`); splits then apply to the
    /// compressed bytes.
    pub fn gzipped(mut self) -> Self {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&self.body).unwrap();
        self.body = encoder.finish().unwrap();
        self.headers
            .push(("content-encoding".into(), "gzip".into()));
        self
    }

    pub fn gated(mut self, gate: Arc<Notify>) -> Self {
        self.gate = Some(gate);
        self
    }

    pub fn cut_after_first(mut self) -> Self {
        self.cut_after_first = true;
        self
    }

    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }
}

/// The fixture `tests/data/http/{name}`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/http")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Vec<Reply>>,
    served: HashMap<String, usize>,
    received: Vec<Received>,
}

/// The server; dropped with the runtime.
#[derive(Clone)]
pub struct MockServer {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl MockServer {
    /// Starts the server on `127.0.0.1:0` (call inside a tokio runtime).
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let server = MockServer { addr, state };
        let s = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = s.serve(stream).await;
                });
            }
        });
        server
    }

    /// `http://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replies to `path` with `replies` in order (the last one repeats).
    pub fn route(&self, path: &str, replies: Vec<Reply>) -> &Self {
        self.state
            .lock()
            .unwrap()
            .routes
            .insert(path.to_string(), replies);
        self
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    async fn serve(&self, mut stream: TcpStream) -> std::io::Result<()> {
        let mut buf = Vec::new();
        let mut tmp = [0u8; 8192];
        let head_end = loop {
            let n = stream.read(&mut tmp).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&tmp[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or_default().split(' ');
        let method = request_line.next().unwrap_or_default().to_string();
        let path = request_line.next().unwrap_or_default().to_string();
        let headers: HashMap<String, String> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let length: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = buf[head_end..].to_vec();
        while body.len() < length {
            let n = stream.read(&mut tmp).await?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&tmp[..n]);
        }
        let reply = {
            let mut state = self.state.lock().unwrap();
            state.received.push(Received {
                method,
                path: path.clone(),
                headers,
                body,
            });
            let route = path.split('?').next().unwrap_or_default().to_string();
            let index = {
                let served = state.served.entry(route.clone()).or_insert(0);
                *served += 1;
                *served - 1
            };
            state
                .routes
                .get(&route)
                .and_then(|r| r.get(index).or_else(|| r.last()))
                .cloned()
                .unwrap_or_else(|| Reply::json(404, r#"{"error":"no route"}"#))
        };
        if let Some(delay) = reply.delay {
            tokio::time::sleep(delay).await;
        }
        let mut head = format!("HTTP/1.1 {} Mock\r\nconnection: close\r\n", reply.status);
        for (k, v) in &reply.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        match &reply.splits {
            None => {
                head.push_str(&format!("content-length: {}\r\n\r\n", reply.body.len()));
                stream.write_all(head.as_bytes()).await?;
                stream.write_all(&reply.body).await?;
            }
            Some(splits) => {
                head.push_str("transfer-encoding: chunked\r\n\r\n");
                stream.write_all(head.as_bytes()).await?;
                let mut start = 0;
                let mut offsets: Vec<usize> = splits
                    .iter()
                    .copied()
                    .filter(|&o| o > 0 && o < reply.body.len())
                    .collect();
                offsets.push(reply.body.len());
                for (i, end) in offsets.into_iter().enumerate() {
                    if end <= start {
                        continue;
                    }
                    let chunk = &reply.body[start..end];
                    stream
                        .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                        .await?;
                    stream.write_all(chunk).await?;
                    stream.write_all(b"\r\n").await?;
                    stream.flush().await?;
                    start = end;
                    if i == 0 {
                        if let Some(gate) = &reply.gate {
                            gate.notified().await;
                        }
                        if reply.cut_after_first {
                            return Ok(());
                        }
                    }
                }
                stream.write_all(b"0\r\n\r\n").await?;
            }
        }
        stream.flush().await?;
        let _ = stream.shutdown().await;
        Ok(())
    }
}

/// Token usage of an OpenAI chat completion body built by [`openai`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    pub prompt: u64,
    pub completion: u64,
    /// `completion_tokens_details.reasoning_tokens`.
    pub reasoning: Option<u64>,
    /// `prompt_tokens_details.cached_tokens`.
    pub cached: Option<u64>,
}

impl Usage {
    pub fn new(prompt: u64, completion: u64) -> Self {
        Usage {
            prompt,
            completion,
            ..Usage::default()
        }
    }

    pub fn reasoning(mut self, tokens: u64) -> Self {
        self.reasoning = Some(tokens);
        self
    }

    pub fn cached(mut self, tokens: u64) -> Self {
        self.cached = Some(tokens);
        self
    }

    fn json(self) -> serde_json::Value {
        let mut usage = serde_json::json!({
            "prompt_tokens": self.prompt,
            "completion_tokens": self.completion,
            "total_tokens": self.prompt + self.completion,
        });
        if let Some(cached) = self.cached {
            usage["prompt_tokens_details"] = serde_json::json!({"cached_tokens": cached});
        }
        if let Some(reasoning) = self.reasoning {
            usage["completion_tokens_details"] = serde_json::json!({"reasoning_tokens": reasoning});
        }
        usage
    }
}

/// OpenAI Chat Completions bodies made to measure (for the real client crates, which send
/// their own requests: text answers, tool calls, streamed answers with usage).
pub mod openai {
    use super::{Reply, Usage};
    use serde_json::{Value, json};

    fn completion(id: &str, model: &str, message: Value, finish: &str, usage: Usage) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "id": id,
            "object": "chat.completion",
            "created": 1_741_569_952,
            "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
            "usage": usage.json(),
            "system_fingerprint": "fp_mock",
        }))
        .unwrap()
    }

    /// A text answer (`finish_reason` `stop`).
    pub fn text(id: &str, model: &str, text: &str, usage: Usage) -> Reply {
        let message = json!({"role": "assistant", "content": text, "refusal": null});
        Reply::json(200, completion(id, model, message, "stop", usage))
    }

    /// One function call (`finish_reason` `tool_calls`); `arguments` is the JSON object the
    /// model passes.
    pub fn tool_call(
        id: &str,
        model: &str,
        call_id: &str,
        name: &str,
        arguments: Value,
        usage: Usage,
    ) -> Reply {
        let message = json!({
            "role": "assistant",
            "content": null,
            "tool_calls": [{
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": arguments.to_string()},
            }],
        });
        Reply::json(200, completion(id, model, message, "tool_calls", usage))
    }

    /// A streamed text answer: one chunk per piece (the first with the role), a finish chunk, a usage
    /// chunk (`stream_options.include_usage`) and `[DONE]`, each event its own HTTP chunk (so
    /// a gate after the first chunk holds the stream open).
    pub fn stream(id: &str, model: &str, pieces: &[&str], usage: Usage) -> Reply {
        let chunk = |delta: Value, finish: Value| {
            json!({
                "id": id, "object": "chat.completion.chunk", "created": 1_741_569_952,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
            })
        };
        let mut events: Vec<Value> = pieces
            .iter()
            .map(|p| chunk(json!({"content": p}), Value::Null))
            .collect();
        if let Some(first) = events.first_mut() {
            first["choices"][0]["delta"]["role"] = json!("assistant");
        }
        events.push(chunk(json!({}), json!("stop")));
        events.push(json!({
            "id": id, "object": "chat.completion.chunk", "created": 1_741_569_952,
            "model": model, "choices": [], "usage": usage.json(),
        }));
        let mut body = Vec::new();
        let mut splits = Vec::new();
        for event in events {
            body.extend_from_slice(format!("data: {event}\n\n").as_bytes());
            splits.push(body.len());
        }
        body.extend_from_slice(b"data: [DONE]\n\n");
        Reply::sse(body, usize::MAX).split_at(splits)
    }

    /// An embeddings answer: one `dimensions`-long vector per input.
    pub fn embeddings(model: &str, inputs: usize, dimensions: usize, prompt_tokens: u64) -> Reply {
        let data: Vec<Value> = (0..inputs)
            .map(|i| json!({"object": "embedding", "index": i, "embedding": vec![0.25_f32; dimensions]}))
            .collect();
        Reply::json(
            200,
            serde_json::to_vec(&json!({
                "object": "list",
                "data": data,
                "model": model,
                "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
            }))
            .unwrap(),
        )
    }
}
