//! In-process OTLP receivers on 127.0.0.1:0 (gRPC via tonic, HTTP/protobuf via a tiny HTTP/1.1
//! server), plain or over TLS ([`TlsServer`]: valid or expired certificate, optionally mTLS),
//! that decode traces, metrics and logs, record headers and paths, and can be told to fail
//! (503/429 with Retry-After, 500/INTERNAL), to hang, or to refuse requests over a size limit;
//! a receiver can enforce a backend's contract ([`ReceiverOptions`]: a path prefix, required
//! headers) and can be stopped and started again on the same port (a collector restart). Each
//! receiver runs on its own runtime thread, so it works the same from plain tests and from
//! inside any tokio runtime.
//!
//! The transports are in `otlp_grpc.rs`, `otlp_http.rs` and `otlp_tls.rs` (declared with
//! `#[path]` so that benches can include this file alone).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::Metric;
use opentelemetry_proto::tonic::trace::v1::Span;
use tracing_genai::GenAiSpanExt;

#[path = "otlp_grpc.rs"]
mod grpc;
#[path = "otlp_http.rs"]
mod http;
#[path = "otlp_logs.rs"]
mod logs;
#[path = "otlp_options.rs"]
mod options;
#[path = "otlp_tls.rs"]
mod tls;

pub use logs::ReceivedLog;
use logs::{flatten_logs, log_count};
pub use options::{ReceiverOptions, TlsServer};

/// How the receiver answers trace exports (metrics and logs are always accepted, subject only
/// to the [`ReceiverOptions`] contract).
#[derive(Clone, Debug, PartialEq)]
pub enum Behavior {
    /// Accept everything.
    Accept,
    /// Answer the first `times` requests with `status` (HTTP code; gRPC: INTERNAL for 500,
    /// UNAVAILABLE otherwise) and a Retry-After of `retry_after_secs`, then accept
    /// (`times: usize::MAX`: always fail).
    FailFirst {
        times: usize,
        status: u16,
        retry_after_secs: u32,
    },
    /// Never answer.
    Hang,
    /// Accept requests up to this many bytes; refuse larger ones (HTTP 413; gRPC: the
    /// server's max decoding message size).
    MaxBytes(usize),
    /// Accept, and only count the spans (benchmarks: nothing is kept).
    CountOnly,
}

#[derive(Default)]
struct State {
    requests: Vec<ExportTraceServiceRequest>,
    /// The undecoded request bodies (HTTP only), as received.
    bodies: Vec<Vec<u8>>,
    headers: Vec<HashMap<String, String>>,
    attempts: usize,
    /// Spans received (every accepted request, including `CountOnly` ones).
    span_count: u64,
    /// When each attempt arrived.
    attempt_times: Vec<Instant>,
    behavior: Option<Behavior>,
    /// Metric export requests (always accepted, whatever the behavior).
    metrics: Vec<ExportMetricsServiceRequest>,
    /// Log export requests (always accepted, whatever the behavior).
    logs: Vec<ExportLogsServiceRequest>,
    /// Requests refused by the contract (404 off the path prefix, 401 / UNAUTHENTICATED).
    rejected: usize,
    /// Every request answered, in order (refused ones too).
    log: Vec<RecordedRequest>,
    /// TLS handshakes that failed (wrong CA, expired certificate, no client certificate...).
    handshake_failures: usize,
}

/// A running receiver.
#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    state: Arc<(Mutex<State>, Condvar)>,
    kind: Kind,
    options: Arc<ReceiverOptions>,
    /// The TLS acceptor configuration (from `options.tls`).
    tls: Option<Arc<rustls::ServerConfig>>,
    server: Arc<Mutex<Option<Server>>>,
}

#[derive(Clone, Copy)]
enum Kind {
    Grpc,
    Http,
}

/// The running server thread of a receiver and how to stop it.
struct Server {
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

/// A request as the receiver saw it (any signal; also the refused ones).
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// HTTP: the request path (with any query); gRPC: the method path.
    pub path: String,
    /// Headers (gRPC: metadata), names lower-case.
    pub headers: HashMap<String, String>,
    /// HTTP: the status answered (0: none, the receiver hangs); gRPC: the status code
    /// (0 OK, 16 UNAUTHENTICATED...).
    pub status: u16,
}

/// A decoded span with its resource's `service.name`.
#[derive(Clone, Debug)]
pub struct ReceivedSpan {
    pub span: Span,
    pub service_name: Option<String>,
    pub scope: String,
}

impl Receiver {
    fn new(addr: SocketAddr, behavior: Behavior, kind: Kind, options: ReceiverOptions) -> Self {
        let state = State {
            behavior: Some(behavior),
            ..State::default()
        };
        let alpn: &[u8] = match kind {
            Kind::Grpc => b"h2",
            Kind::Http => b"http/1.1",
        };
        let tls = options
            .tls
            .as_ref()
            .map(|server| tls::server_config(server, alpn));
        Receiver {
            addr,
            state: Arc::new((Mutex::new(state), Condvar::new())),
            kind,
            options: Arc::new(options),
            tls,
            server: Arc::new(Mutex::new(None)),
        }
    }

    /// Binds 127.0.0.1 (random port) and serves.
    fn start(behavior: Behavior, kind: Kind, options: ReceiverOptions) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let receiver = Receiver::new(listener.local_addr().unwrap(), behavior, kind, options);
        receiver.serve(listener);
        receiver
    }

    /// Serves on `listener` from a new runtime thread.
    fn serve(&self, listener: std::net::TcpListener) {
        listener.set_nonblocking(true).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let receiver = self.clone();
        let thread = std::thread::Builder::new()
            .name("otlp-receiver".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    let server = async move {
                        match receiver.kind {
                            Kind::Grpc => grpc::serve(listener, receiver).await,
                            Kind::Http => http::serve(listener, receiver).await,
                        }
                    };
                    tokio::select! {
                        _ = server => {}
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime cancels every connection task: sockets close.
            })
            .unwrap();
        *self.server.lock().unwrap() = Some(Server { stop, thread });
    }

    /// Stops the receiver (a collector going down): the listener and every open connection
    /// are closed when this returns. Recorded spans are kept.
    pub fn stop(&self) {
        if let Some(server) = self.server.lock().unwrap().take() {
            let _ = server.stop.send(());
            server.thread.join().unwrap();
        }
    }

    /// Starts the receiver again on the same address (after [`stop`](Self::stop)).
    pub fn start_again(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        let listener = loop {
            match std::net::TcpListener::bind(self.addr) {
                Ok(listener) => break listener,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => panic!("cannot bind {} again: {e}", self.addr),
            }
        };
        self.serve(listener);
    }

    /// The base URL: `http://127.0.0.1:PORT`, or `https://localhost:PORT` for a TLS receiver
    /// (the name its certificate is for). Same as [`base_url`](Self::base_url).
    pub fn http_base(&self) -> String {
        if self.tls.is_some() {
            format!("https://localhost:{}", self.addr.port())
        } else {
            format!("http://{}", self.addr)
        }
    }

    /// The base URL (see [`http_base`](Self::http_base)).
    pub fn base_url(&self) -> String {
        self.http_base()
    }

    /// Whether the receiver serves over TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    pub fn set_behavior(&self, behavior: Behavior) {
        self.state.0.lock().unwrap().behavior = Some(behavior);
    }

    /// What to do with the next request (counts the attempt).
    fn next_answer(&self, body_len: usize) -> Answer {
        let mut s = self.state.0.lock().unwrap();
        s.attempts += 1;
        s.attempt_times.push(Instant::now());
        match s.behavior.clone().unwrap_or(Behavior::Accept) {
            Behavior::Accept => Answer::Accept,
            Behavior::MaxBytes(max) if body_len > max => Answer::Fail(413, 0),
            Behavior::MaxBytes(_) => Answer::Accept,
            Behavior::CountOnly => Answer::Count,
            Behavior::Hang => Answer::Hang,
            Behavior::FailFirst {
                times,
                status,
                retry_after_secs,
            } => {
                if s.attempts <= times {
                    Answer::Fail(status, retry_after_secs)
                } else {
                    Answer::Accept
                }
            }
        }
    }

    fn record(&self, request: ExportTraceServiceRequest, headers: HashMap<String, String>) {
        let mut s = self.state.0.lock().unwrap();
        s.span_count += span_count(&request);
        s.requests.push(request);
        s.headers.push(headers);
        self.state.1.notify_all();
    }

    /// Checks the contract's headers; a refusal is counted.
    fn check_headers(&self, headers: &HashMap<String, String>) -> Result<(), String> {
        match self.options.missing_header(headers) {
            None => Ok(()),
            Some(why) => {
                self.reject();
                Err(why)
            }
        }
    }

    fn reject(&self) {
        let mut s = self.state.0.lock().unwrap();
        s.rejected += 1;
        self.state.1.notify_all();
    }

    fn record_request(&self, path: &str, headers: &HashMap<String, String>, status: u16) {
        let mut s = self.state.0.lock().unwrap();
        s.log.push(RecordedRequest {
            path: path.to_owned(),
            headers: headers.clone(),
            status,
        });
        self.state.1.notify_all();
    }

    fn handshake_failed(&self) {
        let mut s = self.state.0.lock().unwrap();
        s.handshake_failures += 1;
        self.state.1.notify_all();
    }

    /// Requests refused by the contract: off the path prefix or unknown path (404), a missing
    /// or wrong required header (401; gRPC UNAUTHENTICATED).
    pub fn rejected(&self) -> usize {
        self.state.0.lock().unwrap().rejected
    }

    /// The path of every request answered, in order, refused ones included (gRPC: the
    /// method, `/opentelemetry.proto.collector.logs.v1.LogsService/Export`...).
    pub fn paths(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.path).collect()
    }

    /// Every request answered (every signal, refused ones included), in order: path, headers,
    /// status.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.0.lock().unwrap().log.clone()
    }

    /// TLS handshakes that failed on this receiver (untrusted or missing client certificate,
    /// a client that refused the server's certificate...).
    pub fn handshake_failures(&self) -> usize {
        self.state.0.lock().unwrap().handshake_failures
    }

    /// Waits (bounded) until at least `n` handshakes failed; returns the count.
    pub fn wait_for_handshake_failures(&self, n: usize, timeout: Duration) -> usize {
        self.wait_until(
            timeout,
            |s| s.handshake_failures >= n,
            |s| s.handshake_failures,
        )
    }

    /// Waits (bounded) until at least `n` requests were refused; returns the count.
    pub fn wait_for_rejected(&self, n: usize, timeout: Duration) -> usize {
        self.wait_until(timeout, |s| s.rejected >= n, |s| s.rejected)
    }

    fn wait_until<T>(
        &self,
        timeout: Duration,
        done: impl Fn(&State) -> bool,
        out: impl Fn(&State) -> T,
    ) -> T {
        let deadline = Instant::now() + timeout;
        let mut s = self.state.0.lock().unwrap();
        loop {
            let now = Instant::now();
            if done(&s) || now >= deadline {
                return out(&s);
            }
            s = self.state.1.wait_timeout(s, deadline - now).unwrap().0;
        }
    }

    /// The raw bodies of the accepted HTTP trace requests, exactly as they came off the
    /// socket (gRPC requests are not kept).
    pub fn raw_bodies(&self) -> Vec<Vec<u8>> {
        self.state.0.lock().unwrap().bodies.clone()
    }

    fn record_metrics(&self, request: ExportMetricsServiceRequest) {
        let mut s = self.state.0.lock().unwrap();
        s.metrics.push(request);
        self.state.1.notify_all();
    }

    fn record_logs(&self, request: ExportLogsServiceRequest) {
        let mut s = self.state.0.lock().unwrap();
        s.logs.push(request);
        self.state.1.notify_all();
    }

    /// Number of metric export requests received.
    pub fn metric_requests(&self) -> usize {
        self.state.0.lock().unwrap().metrics.len()
    }

    /// Every metric received, with its scope name (all requests, in order).
    pub fn metrics(&self) -> Vec<(String, Metric)> {
        let s = self.state.0.lock().unwrap();
        let mut out = Vec::new();
        for req in &s.metrics {
            for rm in &req.resource_metrics {
                for sm in &rm.scope_metrics {
                    let scope = sm
                        .scope
                        .as_ref()
                        .map(|s| s.name.clone())
                        .unwrap_or_default();
                    for m in &sm.metrics {
                        out.push((scope.clone(), m.clone()));
                    }
                }
            }
        }
        out
    }

    /// Number of log export requests received.
    pub fn log_requests(&self) -> usize {
        self.state.0.lock().unwrap().logs.len()
    }

    /// Every log record received, decoded (all requests, in order).
    pub fn logs(&self) -> Vec<ReceivedLog> {
        flatten_logs(&self.state.0.lock().unwrap().logs)
    }

    /// Waits (bounded) until at least `n` log records arrived.
    pub fn wait_for_logs(&self, n: usize, timeout: Duration) -> Vec<ReceivedLog> {
        self.wait_until(
            timeout,
            |s| log_count(&s.logs) >= n,
            |s| flatten_logs(&s.logs),
        )
    }

    /// When each export attempt arrived, in order.
    pub fn attempt_times(&self) -> Vec<Instant> {
        self.state.0.lock().unwrap().attempt_times.clone()
    }

    /// Counts the spans of an accepted request without keeping it.
    fn count(&self, request: &ExportTraceServiceRequest) {
        let mut s = self.state.0.lock().unwrap();
        s.span_count += span_count(request);
        self.state.1.notify_all();
    }

    /// Spans received so far (also with [`Behavior::CountOnly`]).
    pub fn span_count(&self) -> u64 {
        self.state.0.lock().unwrap().span_count
    }

    /// Waits (bounded) until at least `n` spans were received; returns the count.
    pub fn wait_for_count(&self, n: u64, timeout: Duration) -> u64 {
        self.wait_until(timeout, |s| s.span_count >= n, |s| s.span_count)
    }

    pub fn attempts(&self) -> usize {
        self.state.0.lock().unwrap().attempts
    }

    /// Headers of each accepted trace request (names lower-case).
    pub fn headers(&self) -> Vec<HashMap<String, String>> {
        self.state.0.lock().unwrap().headers.clone()
    }

    pub fn spans(&self) -> Vec<ReceivedSpan> {
        let s = self.state.0.lock().unwrap();
        flatten(&s.requests)
    }

    /// Waits (bounded) until at least `n` spans arrived.
    pub fn wait_for_spans(&self, n: usize, timeout: Duration) -> Vec<ReceivedSpan> {
        self.wait_until(
            timeout,
            |s| s.requests.iter().map(span_count).sum::<u64>() >= n as u64,
            |s| flatten(&s.requests),
        )
    }
}

enum Answer {
    Accept,
    Count,
    Fail(u16, u32),
    Hang,
}

/// A gRPC OTLP receiver on 127.0.0.1 (random port): traces, metrics and logs.
pub fn start_grpc(behavior: Behavior) -> Receiver {
    start_grpc_with(behavior, ReceiverOptions::default())
}

/// A gRPC OTLP receiver over TLS (`https://localhost:PORT`).
pub fn start_grpc_tls(behavior: Behavior, tls: TlsServer) -> Receiver {
    start_grpc_with(behavior, ReceiverOptions::default().tls(tls))
}

/// A gRPC OTLP receiver with options (TLS, required metadata; the path prefix does not apply).
pub fn start_grpc_with(behavior: Behavior, options: ReceiverOptions) -> Receiver {
    Receiver::start(behavior, Kind::Grpc, options)
}

/// An HTTP/protobuf OTLP receiver on 127.0.0.1 (random port), paths `/v1/traces`,
/// `/v1/metrics` and `/v1/logs` (metrics and logs are always accepted).
pub fn start_http(behavior: Behavior) -> Receiver {
    start_http_with(behavior, ReceiverOptions::default())
}

/// An HTTPS/protobuf OTLP receiver (`https://localhost:PORT`).
pub fn start_http_tls(behavior: Behavior, tls: TlsServer) -> Receiver {
    start_http_with(behavior, ReceiverOptions::default().tls(tls))
}

/// An HTTP/protobuf OTLP receiver with options (TLS, path prefix, required headers).
pub fn start_http_with(behavior: Behavior, options: ReceiverOptions) -> Receiver {
    Receiver::start(behavior, Kind::Http, options)
}

fn span_count(request: &ExportTraceServiceRequest) -> u64 {
    request
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len() as u64)
        .sum()
}

fn flatten(requests: &[ExportTraceServiceRequest]) -> Vec<ReceivedSpan> {
    let mut out = Vec::new();
    for req in requests {
        for rs in &req.resource_spans {
            let service_name = rs
                .resource
                .as_ref()
                .and_then(|r| r.attributes.iter().find(|kv| kv.key == "service.name"))
                .and_then(|kv| string_value(kv.value.as_ref()));
            for ss in &rs.scope_spans {
                let scope = ss
                    .scope
                    .as_ref()
                    .map(|s| s.name.clone())
                    .unwrap_or_default();
                for span in &ss.spans {
                    out.push(ReceivedSpan {
                        span: span.clone(),
                        service_name: service_name.clone(),
                        scope: scope.clone(),
                    });
                }
            }
        }
    }
    out
}

/// Lower-case hex of trace and span ids.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn string_value(v: Option<&AnyValue>) -> Option<String> {
    match v?.value.as_ref()? {
        any_value::Value::StringValue(s) => Some(s.clone()),
        _ => None,
    }
}

/// The attribute `key` of a span.
pub fn attr<'a>(span: &'a Span, key: &str) -> Option<&'a any_value::Value> {
    span.attributes
        .iter()
        .find(|kv: &&KeyValue| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

/// A loopback address that accepts TCP connections and never reads or answers (a collector
/// whose process is stuck). The connections stay open until the test process exits.
pub fn start_blackhole() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::Builder::new()
        .name("otlp-blackhole".into())
        .spawn(move || {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept() {
                held.push(stream);
            }
        })
        .unwrap();
    addr
}

// ---------------------------------------------------------------- a sample trace

/// Emits `handle_request` > `chat gpt-4o` (tokens, finish reasons) > `execute_tool get_weather`
/// through whatever subscriber is current.
pub fn emit_sample_trace() {
    let request = tracing::info_span!("handle_request", http.route = "/chat");
    let _r = request.enter();
    let chat = tracing_genai::genai_span!(
        "chat",
        "openai",
        "gpt-4o",
        gen_ai.request.max_tokens = 256_u64
    );
    {
        let _c = chat.enter();
        let tool = tracing_genai::tool_span!("get_weather", gen_ai.tool.call.id = "call_1");
        drop(tool.entered());
        chat.record_token_usage(12, 30);
        chat.record_finish_reasons(["stop"]);
    }
    drop(chat);
}

/// Asserts what [`emit_sample_trace`] must produce on the wire.
pub fn assert_sample_trace(spans: &[ReceivedSpan], service: &str) {
    use opentelemetry_proto::tonic::trace::v1::span::SpanKind;

    let by_name = |name: &str| {
        spans
            .iter()
            .find(|s| s.span.name == name)
            .unwrap_or_else(|| {
                panic!(
                    "no span {name:?} in {:?}",
                    spans.iter().map(|s| &s.span.name).collect::<Vec<_>>()
                )
            })
    };
    let request = by_name("handle_request");
    let chat = by_name("chat gpt-4o");
    let tool = by_name("execute_tool get_weather");

    assert_eq!(chat.span.kind, SpanKind::Client as i32);
    assert_eq!(tool.span.kind, SpanKind::Internal as i32);
    assert_eq!(chat.span.trace_id, request.span.trace_id);
    assert_eq!(chat.span.parent_span_id, request.span.span_id);
    assert_eq!(tool.span.parent_span_id, chat.span.span_id);
    assert!(request.span.parent_span_id.is_empty());

    assert_eq!(
        attr(&chat.span, "gen_ai.usage.input_tokens"),
        Some(&any_value::Value::IntValue(12))
    );
    assert_eq!(
        attr(&chat.span, "gen_ai.usage.output_tokens"),
        Some(&any_value::Value::IntValue(30))
    );
    assert_eq!(
        attr(&chat.span, "gen_ai.request.max_tokens"),
        Some(&any_value::Value::IntValue(256))
    );
    assert_eq!(
        attr(&chat.span, "gen_ai.request.model"),
        Some(&any_value::Value::StringValue("gpt-4o".into()))
    );
    assert_eq!(
        attr(&chat.span, "gen_ai.provider.name"),
        Some(&any_value::Value::StringValue("openai".into()))
    );
    match attr(&chat.span, "gen_ai.response.finish_reasons") {
        Some(any_value::Value::ArrayValue(array)) => {
            let values: Vec<_> = array
                .values
                .iter()
                .filter_map(|v| string_value(Some(v)))
                .collect();
            assert_eq!(values, vec!["stop".to_string()]);
        }
        other => panic!("finish_reasons should be an array, got {other:?}"),
    }
    assert_eq!(
        attr(&tool.span, "gen_ai.tool.call.id"),
        Some(&any_value::Value::StringValue("call_1".into()))
    );
    for s in spans {
        assert_eq!(
            s.service_name.as_deref(),
            Some(service),
            "service.name of {}",
            s.span.name
        );
        assert_eq!(s.scope, "tracing-genai");
    }
}
