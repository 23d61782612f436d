//! The HTTP/1.1 transport of the receivers in `otlp.rs` (a tiny hand-written server; over TLS
//! from `otlp_tls.rs`).

use std::collections::HashMap;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{Answer, Receiver, tls};

const OK: &str =
    "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
const BAD_REQUEST: &str = "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n";
const NOT_FOUND: &str = "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";

pub(super) async fn serve(listener: tokio::net::TcpListener, receiver: Receiver) {
    while let Ok((stream, _)) = listener.accept().await {
        let receiver = receiver.clone();
        match receiver.tls.clone() {
            None => {
                tokio::spawn(serve_connection(stream, receiver));
            }
            Some(config) => {
                tokio::spawn(async move {
                    if let Some(stream) = tls::accept(config, stream, &receiver).await {
                        serve_connection(stream, receiver).await;
                    }
                });
            }
        }
    }
}

/// The signal a request path is for, under the contract's prefix.
#[derive(PartialEq)]
enum Signal {
    Traces,
    Metrics,
    Logs,
}

fn route(receiver: &Receiver, method: &str, path: &str) -> Option<Signal> {
    let path = path.split('?').next().unwrap_or_default();
    let prefix = receiver
        .options
        .required_path_prefix
        .as_deref()
        .unwrap_or_default()
        .trim_end_matches('/');
    if method != "POST" {
        return None;
    }
    match path.strip_prefix(prefix)? {
        "/v1/traces" => Some(Signal::Traces),
        "/v1/metrics" => Some(Signal::Metrics),
        "/v1/logs" => Some(Signal::Logs),
        _ => None,
    }
}

async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, receiver: Receiver) {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        // Read the head.
        let head_end = loop {
            if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break pos + 4;
            }
            // Like real HTTP servers: bytes that cannot start a request line (a TLS
            // ClientHello sent to this plain-HTTP port) get a 400 at once.
            if buf.first().is_some_and(|b| !b.is_ascii_uppercase()) {
                let _ = stream.write_all(BAD_REQUEST.as_bytes()).await;
                return;
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

        let mut parts = request_line.split(' ');
        let method = parts.next().unwrap_or_default();
        let path = parts.next().unwrap_or_default();

        let response = match route(&receiver, method, path) {
            None => {
                receiver.reject();
                NOT_FOUND.to_owned()
            }
            Some(signal) => match receiver.check_headers(&headers) {
                Err(why) => format!(
                    "HTTP/1.1 401 Unauthorized\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n{why}",
                    why.len()
                ),
                Ok(()) => match signal {
                    Signal::Metrics => match ExportMetricsServiceRequest::decode(body.as_slice()) {
                        Ok(request) => {
                            receiver.record_metrics(request);
                            OK.to_owned()
                        }
                        Err(_) => BAD_REQUEST.to_owned(),
                    },
                    Signal::Logs => match ExportLogsServiceRequest::decode(body.as_slice()) {
                        Ok(request) => {
                            receiver.record_logs(request);
                            OK.to_owned()
                        }
                        Err(_) => BAD_REQUEST.to_owned(),
                    },
                    Signal::Traces => match traces(&receiver, path, body, &headers).await {
                        Some(response) => response,
                        None => return,
                    },
                },
            },
        };
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_default();
        receiver.record_request(path, &headers, status);
        if stream.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// The answer to a trace export, per the behavior (`None`: hang up).
async fn traces(
    receiver: &Receiver,
    path: &str,
    body: Vec<u8>,
    headers: &HashMap<String, String>,
) -> Option<String> {
    Some(match receiver.next_answer(body.len()) {
        Answer::Hang => {
            receiver.record_request(path, headers, 0);
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return None;
        }
        Answer::Fail(status, retry_after) => format!(
            "HTTP/1.1 {status} Refused\r\nretry-after: {retry_after}\r\ncontent-length: 0\r\n\r\n"
        ),
        Answer::Count => match ExportTraceServiceRequest::decode(body.as_slice()) {
            Ok(request) => {
                receiver.count(&request);
                OK.to_owned()
            }
            Err(_) => BAD_REQUEST.to_owned(),
        },
        Answer::Accept => match ExportTraceServiceRequest::decode(body.as_slice()) {
            Ok(request) => {
                receiver.state.0.lock().unwrap().bodies.push(body);
                receiver.record(request, headers.clone());
                OK.to_owned()
            }
            Err(_) => BAD_REQUEST.to_owned(),
        },
    })
}
