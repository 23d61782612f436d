//! A minimal OTLP/HTTP receiver on `std::net`: HTTP/1.1 with keep-alive, `Content-Length` or
//! chunked bodies, optional gzip, protobuf or JSON payloads. Every request is recorded in
//! arrival order *before* it is answered, so once the exporting process has exited (it waits
//! for each answer), the record is complete.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

/// One decoded OTLP request.
#[derive(Debug)]
pub enum Export {
    Traces(ExportTraceServiceRequest),
    Metrics(ExportMetricsServiceRequest),
    Logs(ExportLogsServiceRequest),
}

/// Everything the receiver saw.
#[derive(Debug, Default)]
pub struct Received {
    pub exports: Vec<Export>,
    /// Requests that could not be handled (bad path, undecodable body, ...), in order.
    pub problems: Vec<String>,
    /// `content-type` of each accepted request (`protobuf` / `json`), counted.
    pub encodings: std::collections::BTreeMap<String, usize>,
}

#[derive(Debug, Clone)]
pub struct Receiver {
    pub port: u16,
    pub received: Arc<Mutex<Received>>,
    /// Requests being read/decoded right now (not yet recorded).
    in_flight: Arc<AtomicUsize>,
}

impl Receiver {
    pub fn start() -> std::io::Result<Receiver> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let received = Arc::new(Mutex::new(Received::default()));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let r = Receiver {
            port,
            received: Arc::clone(&received),
            in_flight: Arc::clone(&in_flight),
        };
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let received = Arc::clone(&received);
                let in_flight = Arc::clone(&in_flight);
                std::thread::spawn(move || {
                    let _ = serve(stream, &received, &in_flight);
                });
            }
        });
        Ok(r)
    }

    /// Waits (bounded) until no request is half-read. Called after the child exited; only
    /// matters for a child that died in the middle of sending.
    pub fn settle(&self, max: Duration) {
        let start = std::time::Instant::now();
        while self.in_flight.load(Ordering::SeqCst) > 0 && start.elapsed() < max {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn serve(
    stream: TcpStream,
    received: &Mutex<Received>,
    in_flight: &AtomicUsize,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(300)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        // Request line (skip stray empty lines between requests).
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(()); // connection closed
            }
            if !line.trim().is_empty() {
                break;
            }
        }
        in_flight.fetch_add(1, Ordering::SeqCst);
        let result = read_request(&line, &mut reader, &mut writer);
        let (status, close, content_type, body) = match result {
            Ok(req) => {
                let answer = handle(&req, received);
                in_flight.fetch_sub(1, Ordering::SeqCst);
                let close = req
                    .header("connection")
                    .is_some_and(|v| v.eq_ignore_ascii_case("close"));
                let (status, ct, body) = answer;
                (status, close, ct, body)
            }
            Err(e) => {
                received
                    .lock()
                    .unwrap()
                    .problems
                    .push(format!("unreadable request: {e}"));
                in_flight.fetch_sub(1, Ordering::SeqCst);
                (
                    "400 Bad Request",
                    true,
                    "text/plain",
                    b"bad request".to_vec(),
                )
            }
        };
        write!(
            writer,
            "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n{}\r\n",
            body.len(),
            if close { "connection: close\r\n" } else { "" }
        )?;
        writer.write_all(&body)?;
        writer.flush()?;
        if close {
            return Ok(());
        }
    }
}

fn read_request(
    request_line: &str,
    reader: &mut BufReader<TcpStream>,
    writer: &mut TcpStream,
) -> std::io::Result<Request> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    let mut parts = request_line.split_whitespace();
    let method = parts.next().ok_or_else(|| bad("no method"))?.to_string();
    let target = parts.next().ok_or_else(|| bad("no path"))?;
    let path = target.split('?').next().unwrap_or(target).to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(bad("eof in headers"));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let mut req = Request {
        method,
        path,
        headers,
        body: Vec::new(),
    };
    if req
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        writer.flush()?;
    }
    let chunked = req
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        loop {
            let mut size_line = String::new();
            if reader.read_line(&mut size_line)? == 0 {
                return Err(bad("eof in chunk size"));
            }
            let size_hex = size_line.trim().split(';').next().unwrap_or("");
            let size = usize::from_str_radix(size_hex, 16).map_err(|_| bad("bad chunk size"))?;
            if size == 0 {
                // Trailers until an empty line.
                loop {
                    let mut t = String::new();
                    if reader.read_line(&mut t)? == 0 || t.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            let start = req.body.len();
            req.body.resize(start + size, 0);
            reader.read_exact(&mut req.body[start..])?;
            let mut crlf = [0u8; 2];
            reader.read_exact(&mut crlf)?;
        }
    } else if let Some(len) = req.header("content-length") {
        let len: usize = len.parse().map_err(|_| bad("bad content-length"))?;
        req.body.resize(len, 0);
        reader.read_exact(&mut req.body)?;
    }
    if let Some(enc) = req.header("content-encoding") {
        match enc.to_ascii_lowercase().as_str() {
            "gzip" => {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&req.body[..]).read_to_end(&mut out)?;
                req.body = out;
            }
            "identity" | "" => {}
            other => return Err(bad(&format!("unsupported content-encoding {other}"))),
        }
    }
    Ok(req)
}

/// Decodes and records one request; returns (status, content-type, body).
fn handle(req: &Request, received: &Mutex<Received>) -> (&'static str, &'static str, Vec<u8>) {
    let json = req
        .header("content-type")
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    let mut rec = received.lock().unwrap();
    if req.method != "POST" {
        rec.problems
            .push(format!("unexpected {} {}", req.method, req.path));
        return ("405 Method Not Allowed", "text/plain", Vec::new());
    }
    fn decode<T: Message + Default + serde::de::DeserializeOwned>(
        body: &[u8],
        json: bool,
    ) -> Result<T, String> {
        if json {
            serde_json::from_slice(body).map_err(|e| e.to_string())
        } else {
            T::decode(body).map_err(|e| e.to_string())
        }
    }
    let decoded = match req.path.as_str() {
        "/v1/traces" => decode::<ExportTraceServiceRequest>(&req.body, json).map(Export::Traces),
        "/v1/metrics" => {
            decode::<ExportMetricsServiceRequest>(&req.body, json).map(Export::Metrics)
        }
        "/v1/logs" => decode::<ExportLogsServiceRequest>(&req.body, json).map(Export::Logs),
        other => {
            rec.problems.push(format!("unexpected path POST {other}"));
            return ("404 Not Found", "text/plain", Vec::new());
        }
    };
    match decoded {
        Ok(export) => {
            rec.exports.push(export);
            *rec
                .encodings
                .entry(if json { "json" } else { "protobuf" }.to_string())
                .or_default() += 1;
            // Empty Export*ServiceResponse: zero bytes in protobuf, `{}` in JSON.
            if json {
                ("200 OK", "application/json", b"{}".to_vec())
            } else {
                ("200 OK", "application/x-protobuf", Vec::new())
            }
        }
        Err(e) => {
            rec.problems
                .push(format!("undecodable body on {}: {e}", req.path));
            ("400 Bad Request", "text/plain", Vec::new())
        }
    }
}
