//! The HTTP middleware measured per request, against a keep-alive loopback mock server (plain
//! tokio, its own runtime thread) serving an OpenAI chat completion (a ≈1 KB JSON body) and a
//! 100-event SSE stream (each event its own HTTP chunk). One `reqwest::Client` (one connection
//! pool) behind three `reqwest_middleware::ClientWithMiddleware`s:
//!
//! - **bare**: no middleware;
//! - **genai**: `tracing_genai::http::GenAiMiddleware::new()`;
//! - **reqwest-tracing**: `reqwest_tracing::TracingMiddleware::default()`.
//!
//! All three run under the same global subscriber: the GenAI layer around tracing-opentelemetry,
//! SDK tracer provider with a simple processor to an exporter that drops spans (so span end and
//! export are paid on the request's thread, as with the ladder in benches/layer.rs), behind the
//! filter `tracing_genai::setup` uses (`setup::ExportFilter`: `INFO`, the HTTP stack's crates
//! off; reqwest-tracing's spans, target `reqwest_tracing::…`, pass and are exported). The client
//! POSTs the same 874-byte chat request body each time and reads the response body to its end
//! (`bytes_stream()`, chunk by chunk).
//!
//! Criterion first (one benchmark per variant), then an **interleaved** measurement: rounds of
//! `BATCH` requests per variant in rotating order, the per-round ratio to the bare client, the
//! median over the rounds. The overhead per request is `median ratio − 1`, in % of the bare
//! request's time. SSE throughput is body bytes / request time, and the parse cost alone is
//! body bytes / (genai − bare) time.
//!
//! Run with: cargo bench --bench middleware --features reqwest -- --warm-up-time 1 --measurement-time 3
//! (`MIDDLEWARE_ROUNDS=N` interleaved rounds, default 31; `MIDDLEWARE_SKIP_CRITERION=1` for the
//! interleaved part only; `MIDDLEWARE_PROFILE=json|sse` for 20,000 GenAiMiddleware requests only,
//! under `perf record`; `MIDDLEWARE_PROFILE_N` requests instead)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(unreachable_pub)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use futures_util::StreamExt as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;

const REQUEST: &str = include_str!("../tests/data/http/openai_chat_request.json");
const JSON_FIXTURE: &str = include_str!("../tests/data/http/openai_chat.json");
const SSE_EVENTS: usize = 100;
const BATCH: u64 = 50;

/// Connections the mock server accepted (keep-alive check).
static CONNECTIONS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[derive(Debug)]
struct DropExporter;

impl SpanExporter for DropExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        drop(batch);
        Ok(())
    }
}

/// The ≈1 KB chat completion: the fixture with a longer assistant message.
fn json_body() -> String {
    JSON_FIXTURE.replace(
        "Hello! How can I assist you today?",
        "Hello! The picture shows a wooden boardwalk through a green meadow under a blue sky \
         with a few clouds; it looks like a nature reserve in summer.",
    )
}

/// 100 `chat.completion.chunk` events: the role, 97 content deltas, the finish reason, the
/// usage, then `[DONE]` (not counted).
fn sse_events() -> Vec<String> {
    let head = r#"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_44709d6fcb","service_tier":"default","choices":"#;
    let mut events = Vec::with_capacity(SSE_EVENTS + 1);
    events.push(format!(
        r#"{head}[{{"index":0,"delta":{{"role":"assistant","content":"","refusal":null}},"logprobs":null,"finish_reason":null}}],"usage":null}}"#
    ));
    for i in 0..SSE_EVENTS - 3 {
        events.push(format!(
            r#"{head}[{{"index":0,"delta":{{"content":" word{i}"}},"logprobs":null,"finish_reason":null}}],"usage":null}}"#
        ));
    }
    events.push(format!(
        r#"{head}[{{"index":0,"delta":{{}},"logprobs":null,"finish_reason":"stop"}}],"usage":null}}"#
    ));
    events.push(format!(
        r#"{head}[],"usage":{{"prompt_tokens":19,"completion_tokens":97,"total_tokens":116,"prompt_tokens_details":{{"cached_tokens":0,"audio_tokens":0}},"completion_tokens_details":{{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}}}}"#
    ));
    events
        .into_iter()
        .map(|e| format!("data: {e}\n\n"))
        .chain(std::iter::once("data: [DONE]\n\n".to_owned()))
        .collect()
}

struct Responses {
    json: Vec<u8>,
    sse: Vec<u8>,
    json_body_len: usize,
    sse_body_len: usize,
}

fn responses() -> Responses {
    let json = json_body();
    let mut json_response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        json.len()
    )
    .into_bytes();
    json_response.extend_from_slice(json.as_bytes());
    let mut sse =
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec();
    let mut sse_len = 0;
    for event in sse_events() {
        sse_len += event.len();
        sse.extend_from_slice(format!("{:x}\r\n{event}\r\n", event.len()).as_bytes());
    }
    sse.extend_from_slice(b"0\r\n\r\n");
    Responses {
        json: json_response,
        sse,
        json_body_len: json.len(),
        sse_body_len: sse_len,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One keep-alive connection: requests with a `content-length` body, answered by path
/// (`/sse/...`: the stream, anything else: the JSON).
async fn connection(mut stream: tokio::net::TcpStream, responses: Arc<Responses>) {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(16 * 1024);
    let mut tmp = vec![0u8; 16 * 1024];
    loop {
        let header_end = loop {
            if let Some(p) = find(&buf, b"\r\n\r\n") {
                break p + 4;
            }
            match stream.read(&mut tmp).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&tmp[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
        let sse = head
            .split_whitespace()
            .nth(1)
            .is_some_and(|p| p.starts_with("/sse"));
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < header_end + length {
            match stream.read(&mut tmp).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&tmp[..n]),
            }
        }
        buf.drain(..header_end + length);
        let response = if sse { &responses.sse } else { &responses.json };
        if stream.write_all(response).await.is_err() {
            return;
        }
    }
}

/// Starts the server on its own runtime thread; returns its base URL.
fn start_server(responses: Arc<Responses>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::Builder::new()
        .name("mock-llm".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                loop {
                    let (stream, _) = listener.accept().await.unwrap();
                    CONNECTIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tokio::spawn(connection(stream, Arc::clone(&responses)));
                }
            });
        })
        .unwrap();
    format!("http://{addr}")
}

#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Bare,
    GenAi,
    ReqwestTracing,
}

const VARIANTS: [Variant; 3] = [Variant::Bare, Variant::GenAi, Variant::ReqwestTracing];

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Bare => "bare",
            Variant::GenAi => "genai",
            Variant::ReqwestTracing => "reqwest-tracing",
        }
    }
}

struct Clients {
    clients: [ClientWithMiddleware; 3],
    base: String,
}

impl Clients {
    fn new(base: String) -> Self {
        let client = reqwest::Client::new();
        Clients {
            clients: [
                ClientBuilder::new(client.clone()).build(),
                ClientBuilder::new(client.clone())
                    .with(tracing_genai::http::GenAiMiddleware::new())
                    .build(),
                ClientBuilder::new(client)
                    .with(reqwest_tracing::TracingMiddleware::default())
                    .build(),
            ],
            base,
        }
    }

    /// One request; returns the body bytes read.
    async fn request(&self, variant: Variant, sse: bool) -> usize {
        let client = &self.clients[variant as usize];
        let url = if sse {
            format!("{}/sse/v1/chat/completions", self.base)
        } else {
            format!("{}/v1/chat/completions", self.base)
        };
        let response = client
            .post(url)
            .header("content-type", "application/json")
            .header("authorization", "Bearer sk-test")
            .body(REQUEST)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        let mut stream = response.bytes_stream();
        let mut n = 0;
        while let Some(chunk) = stream.next().await {
            n += chunk.unwrap().len();
        }
        n
    }

    async fn batch(&self, variant: Variant, sse: bool, n: u64) -> Duration {
        let started = Instant::now();
        for _ in 0..n {
            std::hint::black_box(self.request(variant, sse).await);
        }
        started.elapsed()
    }
}

fn install_subscriber() -> SdkTracerProvider {
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(DropExporter)
        .build();
    let layer = tracing_genai::layer()
        .with_tracer(provider.tracer("middleware-bench"))
        .with_filter(tracing_genai::setup::ExportFilter::new(
            tracing::level_filters::LevelFilter::INFO,
        ));
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer)).unwrap();
    provider
}

/// CPU time (ns, schedstat) of this thread (`"self"`) or of the thread named `name`.
fn thread_cpu_ns(name: &str) -> u64 {
    let read = |path: std::path::PathBuf| {
        std::fs::read_to_string(path.join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    if name == "self" {
        return read("/proc/thread-self".into());
    }
    std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == name))
        .map(|t| read(t.path()))
        .sum()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let _provider = install_subscriber();
    let responses = Arc::new(responses());
    let (json_len, sse_len) = (responses.json_body_len, responses.sse_body_len);
    let base = start_server(Arc::clone(&responses));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let clients = Clients::new(base);
    // Sanity: every variant gets the whole body.
    rt.block_on(async {
        for v in VARIANTS {
            assert_eq!(clients.request(v, false).await, json_len);
            assert_eq!(clients.request(v, true).await, sse_len);
        }
    });

    // Profiling aid: `MIDDLEWARE_PROFILE=json|sse[:bare|:genai|:reqwest-tracing]` runs 20,000
    // requests of one variant (default genai) and prints wall and CPU time per request.
    if let Ok(spec) = std::env::var("MIDDLEWARE_PROFILE") {
        let (kind, variant) = spec.split_once(':').unwrap_or((spec.as_str(), "genai"));
        let v = VARIANTS.into_iter().find(|v| v.name() == variant).unwrap();
        let n = std::env::var("MIDDLEWARE_PROFILE_N").map_or(20_000, |n| n.parse().unwrap());
        let (client0, server0) = (thread_cpu_ns("self"), thread_cpu_ns("mock-llm"));
        let t = rt.block_on(clients.batch(v, kind == "sse", n));
        let (client1, server1) = (thread_cpu_ns("self"), thread_cpu_ns("mock-llm"));
        println!(
            "{kind} {variant}: {:.1} µs/request wall, client thread CPU {:.1} µs, server CPU {:.1} µs",
            t.as_secs_f64() / n as f64 * 1e6,
            (client1 - client0) as f64 / n as f64 / 1e3,
            (server1 - server0) as f64 / n as f64 / 1e3,
        );
        return;
    }
    let skip_criterion = std::env::var_os("MIDDLEWARE_SKIP_CRITERION").is_some();
    if !skip_criterion {
        let mut c = Criterion::default().configure_from_args();
        for (kind, sse) in [("json", false), ("sse", true)] {
            let mut group = c.benchmark_group(format!("middleware/{kind}"));
            for v in VARIANTS {
                group.bench_function(v.name(), |b| {
                    b.iter_custom(|iters| rt.block_on(clients.batch(v, sse, iters)));
                });
            }
            group.finish();
        }
        c.final_summary();
    }

    let rounds: usize = std::env::var("MIDDLEWARE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(31);
    println!(
        "\nInterleaved: {rounds} rounds of {BATCH} requests per variant, rotating order; JSON body {json_len} B, SSE body {sse_len} B in {SSE_EVENTS} events (+ [DONE])\n"
    );
    println!(
        "| response | variant | median µs/request | median ratio to bare | overhead | body MB/s |"
    );
    println!("|---|---|---|---|---|---|");
    let mut summary = Vec::new();
    for (kind, sse, len) in [
        ("JSON ≈1 KB", false, json_len),
        ("SSE 100 events", true, sse_len),
    ] {
        // Warm-up: connections, callsite caches.
        rt.block_on(async {
            for v in VARIANTS {
                clients.batch(v, sse, BATCH).await;
            }
        });
        let mut times: [Vec<f64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
        let mut ratios: [Vec<f64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
        for round in 0..rounds {
            let mut per = [0.0; 3];
            for k in 0..3 {
                let v = VARIANTS[(round + k) % 3];
                let t = rt.block_on(clients.batch(v, sse, BATCH));
                per[v as usize] = t.as_secs_f64() / BATCH as f64;
            }
            for i in 0..3 {
                times[i].push(per[i]);
                ratios[i].push(per[i] / per[0]);
            }
        }
        let mut med = [0.0; 3];
        let mut med_ratio = [0.0; 3];
        for i in 0..3 {
            med[i] = median(&mut times[i]);
            med_ratio[i] = median(&mut ratios[i]);
            println!(
                "| {kind} | {} | {:.1} | {:.3} | {:+.1}% | {:.1} |",
                VARIANTS[i].name(),
                med[i] * 1e6,
                med_ratio[i],
                (med_ratio[i] - 1.0) * 100.0,
                len as f64 / med[i] / 1e6
            );
        }
        let genai = (med_ratio[1] - 1.0) * 100.0;
        let rt_overhead = (med_ratio[2] - 1.0) * 100.0;
        summary.push(format!(
            "| {kind}: GenAiMiddleware overhead vs bare | {genai:+.1}% | ≤ 5% | {} |",
            if genai <= 5.0 { "PASS" } else { "MISS" }
        ));
        summary.push(format!(
            "| {kind}: GenAiMiddleware vs reqwest-tracing overhead | {genai:+.1}% vs {rt_overhead:+.1}% | ≤ reqwest-tracing | {} |",
            if genai <= rt_overhead { "PASS" } else { "MISS" }
        ));
        if sse {
            let extra = (med[1] - med[0]).max(1e-9);
            summary.push(format!(
                "| SSE throughput: raw body read (bare) / through GenAiMiddleware / parse cost alone | {:.1} / {:.1} / {:.1} MB/s | | |",
                len as f64 / med[0] / 1e6,
                len as f64 / med[1] / 1e6,
                len as f64 / extra / 1e6
            ));
        }
    }
    println!(
        "\nconnections accepted by the mock server: {}",
        CONNECTIONS.load(std::sync::atomic::Ordering::Relaxed)
    );
    println!("\n| comparison | measured | target | result |\n|---|---|---|---|");
    for line in summary {
        println!("{line}");
    }
}
