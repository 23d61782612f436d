//! In-process OTLP receivers on 127.0.0.1:0 (gRPC via tonic, HTTP/protobuf via a tiny HTTP/1.1
//! server) that decode `ExportTraceServiceRequest`s, record headers, and can be told to fail
//! (503/429 with Retry-After, 500/INTERNAL), to hang, or to refuse requests over a size limit;
//! a receiver can be stopped and started again on the same port (a collector restart). Each
//! receiver runs on its own runtime thread, so it works the same from plain tests and from
//! inside any tokio runtime.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::Metric;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing_genai::GenAiSpanExt;

/// How the receiver answers.
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
}

/// A running receiver.
#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    state: Arc<(Mutex<State>, Condvar)>,
    kind: Kind,
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

/// A decoded span with its resource's `service.name`.
#[derive(Clone, Debug)]
pub struct ReceivedSpan {
    pub span: Span,
    pub service_name: Option<String>,
    pub scope: String,
}

impl Receiver {
    fn new(addr: SocketAddr, behavior: Behavior, kind: Kind) -> Self {
        let state = State {
            behavior: Some(behavior),
            ..State::default()
        };
        Receiver {
            addr,
            state: Arc::new((Mutex::new(state), Condvar::new())),
            kind,
            server: Arc::new(Mutex::new(None)),
        }
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
                            Kind::Grpc => serve_grpc(listener, receiver).await,
                            Kind::Http => serve_http(listener, receiver).await,
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

    pub fn http_base(&self) -> String {
        format!("http://{}", self.addr)
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

    /// The raw bodies of the accepted HTTP requests, exactly as they came off the socket
    /// (gRPC requests are not kept).
    pub fn raw_bodies(&self) -> Vec<Vec<u8>> {
        self.state.0.lock().unwrap().bodies.clone()
    }

    fn record_metrics(&self, request: ExportMetricsServiceRequest) {
        let mut s = self.state.0.lock().unwrap();
        s.metrics.push(request);
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
        let deadline = Instant::now() + timeout;
        let mut s = self.state.0.lock().unwrap();
        loop {
            let now = Instant::now();
            if s.span_count >= n || now >= deadline {
                return s.span_count;
            }
            s = self.state.1.wait_timeout(s, deadline - now).unwrap().0;
        }
    }

    pub fn attempts(&self) -> usize {
        self.state.0.lock().unwrap().attempts
    }

    /// Headers of each accepted request (names lower-case).
    pub fn headers(&self) -> Vec<HashMap<String, String>> {
        self.state.0.lock().unwrap().headers.clone()
    }

    pub fn spans(&self) -> Vec<ReceivedSpan> {
        let s = self.state.0.lock().unwrap();
        flatten(&s.requests)
    }

    /// Waits (bounded) until at least `n` spans arrived.
    pub fn wait_for_spans(&self, n: usize, timeout: Duration) -> Vec<ReceivedSpan> {
        let deadline = Instant::now() + timeout;
        let mut s = self.state.0.lock().unwrap();
        loop {
            let spans = flatten(&s.requests);
            let now = Instant::now();
            if spans.len() >= n || now >= deadline {
                return spans;
            }
            s = self.state.1.wait_timeout(s, deadline - now).unwrap().0;
        }
    }
}

enum Answer {
    Accept,
    Count,
    Fail(u16, u32),
    Hang,
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

// ---------------------------------------------------------------- gRPC

struct GrpcService(Receiver);

#[tonic::async_trait]
impl TraceService for GrpcService {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        match self.0.next_answer(0) {
            Answer::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Err(tonic::Status::unavailable("hung"))
            }
            Answer::Fail(500, _) => Err(tonic::Status::internal("told to fail")),
            Answer::Count => {
                self.0.count(request.get_ref());
                Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
            }
            Answer::Fail(_, _) => Err(tonic::Status::unavailable("told to fail")),
            Answer::Accept => {
                let headers = request
                    .metadata()
                    .clone()
                    .into_headers()
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().to_owned(),
                            v.to_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect();
                self.0.record(request.into_inner(), headers);
                Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
            }
        }
    }
}

struct GrpcMetrics(Receiver);

#[tonic::async_trait]
impl MetricsService for GrpcMetrics {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        self.0.record_metrics(request.into_inner());
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

/// A gRPC OTLP receiver on 127.0.0.1 (random port), traces and metrics.
pub fn start_grpc(behavior: Behavior) -> Receiver {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let receiver = Receiver::new(listener.local_addr().unwrap(), behavior, Kind::Grpc);
    receiver.serve(listener);
    receiver
}

async fn serve_grpc(listener: tokio::net::TcpListener, receiver: Receiver) {
    let max_bytes = match receiver.state.0.lock().unwrap().behavior {
        Some(Behavior::MaxBytes(max)) => max,
        _ => 64 * 1024 * 1024,
    };
    let incoming = tonic::transport::server::TcpIncoming::from(listener);
    let server =
        TraceServiceServer::new(GrpcService(receiver.clone())).max_decoding_message_size(max_bytes);
    #[cfg(feature = "gzip")]
    let server = server.accept_compressed(tonic::codec::CompressionEncoding::Gzip);
    let metrics = MetricsServiceServer::new(GrpcMetrics(receiver));
    #[cfg(feature = "gzip")]
    let metrics = metrics.accept_compressed(tonic::codec::CompressionEncoding::Gzip);
    let _ = tonic::transport::Server::builder()
        .add_service(server)
        .add_service(metrics)
        .serve_with_incoming(incoming)
        .await;
}

// ---------------------------------------------------------------- HTTP

/// An HTTP/protobuf OTLP receiver on 127.0.0.1 (random port), paths `/v1/traces` and
/// `/v1/metrics` (metrics are always accepted).
pub fn start_http(behavior: Behavior) -> Receiver {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let receiver = Receiver::new(listener.local_addr().unwrap(), behavior, Kind::Http);
    receiver.serve(listener);
    receiver
}

async fn serve_http(listener: tokio::net::TcpListener, receiver: Receiver) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(serve_http_connection(stream, receiver.clone()));
    }
}

async fn serve_http_connection(mut stream: tokio::net::TcpStream, receiver: Receiver) {
    let mut buf = Vec::new();
    loop {
        // Read the head.
        let head_end = loop {
            if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break pos + 4;
            }
            let mut chunk = [0u8; 8192];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default().to_owned();
        let headers: HashMap<String, String> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let len: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + len {
            let mut chunk = [0u8; 8192];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body: Vec<u8> = buf[head_end..head_end + len].to_vec();
        buf.drain(..head_end + len);

        let response = if request_line.starts_with("POST /v1/metrics ") {
            match ExportMetricsServiceRequest::decode(body.as_slice()) {
                Ok(request) => {
                    receiver.record_metrics(request);
                    "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n".to_owned()
                }
                Err(_) => "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n".to_owned(),
            }
        } else if !request_line.starts_with("POST /v1/traces ") {
            "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_owned()
        } else {
            match receiver.next_answer(body.len()) {
                Answer::Hang => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    return;
                }
                Answer::Fail(status, retry_after) => format!(
                    "HTTP/1.1 {status} Refused\r\nretry-after: {retry_after}\r\ncontent-length: 0\r\n\r\n"
                ),
                Answer::Count => match ExportTraceServiceRequest::decode(body.as_slice()) {
                    Ok(request) => {
                        receiver.count(&request);
                        "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n".to_owned()
                    }
                    Err(_) => "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n".to_owned(),
                },
                Answer::Accept => match ExportTraceServiceRequest::decode(body.as_slice()) {
                    Ok(request) => {
                        receiver.state.0.lock().unwrap().bodies.push(body);
                        receiver.record(request, headers);
                        "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n".to_owned()
                    }
                    Err(_) => "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n".to_owned(),
                },
            }
        };
        if stream.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
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
