//! Self-tests of the in-process receivers and certificates in `support` (TLS handshakes, mTLS,
//! the logs signal, the backend contract), without the library's exporters.

use std::net::SocketAddr;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::support::otlp::{self, Behavior, ReceiverOptions};
use crate::support::tls::{self, Pki};

const WAIT: Duration = Duration::from_secs(2);

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

fn string(s: &str) -> any_value::Value {
    any_value::Value::StringValue(s.into())
}

/// One log record (an event with a string body, attributes and a trace context) from `svc`.
fn logs_request() -> ExportLogsServiceRequest {
    let record = LogRecord {
        event_name: "gen_ai.client.inference.operation.details".into(),
        severity_number: 9,
        severity_text: "INFO".into(),
        body: Some(AnyValue {
            value: Some(string("hello")),
        }),
        attributes: vec![
            kv("gen_ai.request.model", string("gpt-4o")),
            kv("gen_ai.usage.input_tokens", any_value::Value::IntValue(12)),
        ],
        trace_id: vec![0xab; 16],
        span_id: vec![0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08],
        ..LogRecord::default()
    };
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![kv("service.name", string("svc"))],
                ..Resource::default()
            }),
            scope_logs: vec![ScopeLogs {
                scope: Some(InstrumentationScope {
                    name: "tracing-genai".into(),
                    ..InstrumentationScope::default()
                }),
                log_records: vec![record],
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
    }
}

/// One HTTP/1.1 POST on `stream`; the status code and the response body.
async fn post<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/x-protobuf\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        let mut chunk = [0u8; 1024];
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed before the response");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
    let len: usize = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let mut chunk = [0u8; 1024];
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed inside the response body");
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + len]).into_owned();
    (status, body)
}

async fn connect(addr: SocketAddr) -> tokio::net::TcpStream {
    tokio::net::TcpStream::connect(addr).await.unwrap()
}

#[tokio::test]
async fn tls_handshake_trusts_the_ca_and_refuses_the_wrong_one() {
    let pki = Pki::new();
    let http = otlp::start_http_tls(Behavior::Accept, pki.server());
    let grpc = otlp::start_grpc_tls(Behavior::Accept, pki.server());
    assert_eq!(
        http.base_url(),
        format!("https://localhost:{}", http.addr.port())
    );
    assert!(grpc.http_base().starts_with("https://localhost:"));
    for receiver in [&http, &grpc] {
        for name in ["localhost", "127.0.0.1"] {
            tls::probe(receiver.addr, name, pki.client_config(&pki.ca.cert))
                .await
                .unwrap();
        }
        let err = tls::probe(
            receiver.addr,
            "localhost",
            pki.client_config(&pki.wrong_ca.cert),
        )
        .await
        .unwrap_err();
        assert!(err.starts_with("handshake:"), "{err}");
    }
    // The server sees the refusal as a failed handshake.
    assert_eq!(http.wait_for_handshake_failures(1, WAIT), 1);
}

#[tokio::test]
async fn an_expired_server_certificate_is_refused() {
    let pki = Pki::new();
    let receiver = otlp::start_http_tls(Behavior::Accept, pki.expired_server());
    let err = tls::probe(receiver.addr, "localhost", pki.client_config(&pki.ca.cert))
        .await
        .unwrap_err();
    assert!(err.to_lowercase().contains("expired"), "{err}");
}

#[tokio::test]
async fn mtls_refuses_clients_without_a_certificate_from_the_client_ca() {
    let pki = Pki::new();
    for receiver in [
        otlp::start_http_tls(Behavior::Accept, pki.mtls_server()),
        otlp::start_grpc_tls(Behavior::Accept, pki.mtls_server()),
    ] {
        let err = tls::probe(receiver.addr, "localhost", pki.client_config(&pki.ca.cert))
            .await
            .unwrap_err();
        assert!(err.contains("refused") || err.contains("closed"), "{err}");
        let untrusted = tls::client_config(&pki.ca.cert, Some(&pki.untrusted_client));
        tls::probe(receiver.addr, "localhost", untrusted)
            .await
            .unwrap_err();
        tls::probe(receiver.addr, "localhost", pki.mtls_client_config())
            .await
            .unwrap();
        assert_eq!(receiver.wait_for_handshake_failures(2, WAIT), 2);
    }
}

#[test]
fn the_pki_files_are_written() {
    let pki = Pki::new();
    let read = |p: std::path::PathBuf| std::fs::read_to_string(p).unwrap();
    assert_eq!(read(pki.ca_path()), pki.ca.cert);
    assert_eq!(read(pki.wrong_ca_path()), pki.wrong_ca.cert);
    assert_eq!(read(pki.client_ca_path()), pki.client_ca.cert);
    assert_eq!(read(pki.client_cert_path()), pki.client.cert);
    assert_eq!(read(pki.client_key_path()), pki.client.key);
    assert_eq!(read(pki.server_cert_path()), pki.server.cert);
    assert_eq!(
        read(pki.expired_server_cert_path()),
        pki.expired_server.cert
    );
    assert!(pki.client.key.contains("PRIVATE KEY"));
    assert!(read(pki.malformed_pem_path()).starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(pki.not_pem_path().exists());
    assert!(!pki.missing_path().exists());
    assert_ne!(Pki::new().ca.cert, pki.ca.cert, "a fresh PKI per call");
}

#[tokio::test]
async fn logs_are_decoded_over_http() {
    let receiver = otlp::start_http(Behavior::Accept);
    let mut stream = connect(receiver.addr).await;
    let body = logs_request().encode_to_vec();
    assert_eq!(post(&mut stream, "/v1/logs", &[], &body).await.0, 200);
    // Garbage is a 400, not a record.
    assert_eq!(post(&mut stream, "/v1/logs", &[], b"\xff\xff").await.0, 400);

    let logs = receiver.wait_for_logs(1, WAIT);
    assert_eq!(logs.len(), 1);
    assert_eq!(receiver.log_requests(), 1);
    let log = &logs[0];
    assert_eq!(log.event_name, "gen_ai.client.inference.operation.details");
    assert_eq!(log.severity_number, 9);
    assert_eq!(log.severity_text, "INFO");
    assert_eq!(log.body.as_deref(), Some("hello"));
    assert_eq!(log.attr_str("gen_ai.request.model"), Some("gpt-4o"));
    assert_eq!(log.attr_i64("gen_ai.usage.input_tokens"), Some(12));
    assert_eq!(log.trace_id, "ab".repeat(16));
    assert_eq!(log.span_id, "0102030405060708");
    assert_eq!(log.service_name.as_deref(), Some("svc"));
    assert_eq!(log.scope, "tracing-genai");
    assert_eq!(receiver.paths(), ["/v1/logs", "/v1/logs"]);
    assert_eq!(receiver.rejected(), 0);
}

#[tokio::test]
async fn logs_arrive_over_https() {
    let pki = Pki::new();
    let receiver = otlp::start_http_tls(Behavior::Accept, pki.server());
    let tcp = connect(receiver.addr).await;
    let mut stream = tokio_rustls::TlsConnector::from(pki.client_config(&pki.ca.cert))
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .unwrap();
    let body = logs_request().encode_to_vec();
    assert_eq!(post(&mut stream, "/v1/logs", &[], &body).await.0, 200);
    assert_eq!(
        receiver.wait_for_logs(1, WAIT)[0].body.as_deref(),
        Some("hello")
    );
}

#[tokio::test]
async fn the_http_contract_wants_its_prefix_and_headers() {
    let receiver = otlp::start_http_with(
        Behavior::Accept,
        ReceiverOptions::default()
            .path_prefix("/api/public/otel")
            .header("Authorization", "Basic cGs6c2s=")
            .header("x-tenant", "t1"),
    );
    let mut stream = connect(receiver.addr).await;
    let body = logs_request().encode_to_vec();
    let auth = [("authorization", "Basic cGs6c2s="), ("X-Tenant", "t1")];

    // Off the prefix: 404, even with the headers.
    assert_eq!(post(&mut stream, "/v1/logs", &auth, &body).await.0, 404);
    // Missing and wrong headers: 401 with a reason.
    let (status, reason) = post(&mut stream, "/api/public/otel/v1/logs", &[], &body).await;
    assert_eq!(
        (status, reason.as_str()),
        (401, "missing header Authorization")
    );
    let wrong = [auth[0], ("x-tenant", "t2")];
    let (status, reason) = post(&mut stream, "/api/public/otel/v1/logs", &wrong, &body).await;
    assert_eq!(
        (status, reason.as_str()),
        (401, "wrong value for header x-tenant")
    );
    assert_eq!(receiver.rejected(), 3);
    assert_eq!(receiver.log_requests(), 0);

    // Right path and headers: accepted, every signal.
    let path = "/api/public/otel/v1/logs";
    assert_eq!(post(&mut stream, path, &auth, &body).await.0, 200);
    let empty = Vec::new();
    assert_eq!(
        post(&mut stream, "/api/public/otel/v1/traces", &auth, &empty)
            .await
            .0,
        200
    );
    assert_eq!(
        post(&mut stream, "/api/public/otel/v1/metrics", &auth, &empty)
            .await
            .0,
        200
    );
    assert_eq!(receiver.log_requests(), 1);
    assert_eq!(receiver.metric_requests(), 1);
    assert_eq!(receiver.attempts(), 1);
    assert_eq!(receiver.rejected(), 3);
    let requests = receiver.requests();
    let statuses: Vec<u16> = requests.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [404, 401, 401, 200, 200, 200]);
    assert_eq!(requests[3].headers["x-tenant"], "t1");
    assert_eq!(
        receiver.paths(),
        [
            "/v1/logs",
            "/api/public/otel/v1/logs",
            "/api/public/otel/v1/logs",
            "/api/public/otel/v1/logs",
            "/api/public/otel/v1/traces",
            "/api/public/otel/v1/metrics",
        ]
    );
}

#[tokio::test]
async fn grpc_logs_and_required_metadata() {
    use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;

    let receiver = otlp::start_grpc_with(
        Behavior::Accept,
        ReceiverOptions::default().header("x-api-key", "k1"),
    );
    let mut client = LogsServiceClient::connect(receiver.http_base())
        .await
        .unwrap();
    let status = client.export(logs_request()).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    assert_eq!(status.message(), "missing header x-api-key");
    let mut request = tonic::Request::new(logs_request());
    request
        .metadata_mut()
        .insert("x-api-key", "k1".parse().unwrap());
    client.export(request).await.unwrap();
    let logs = receiver.wait_for_logs(1, WAIT);
    assert_eq!(
        logs[0].event_name,
        "gen_ai.client.inference.operation.details"
    );
    assert_eq!(receiver.rejected(), 1);
    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1].path,
        "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
    );
    assert_eq!((requests[0].status, requests[1].status), (16, 0));
    assert_eq!(requests[1].headers["x-api-key"], "k1");
}

/// The gRPC TLS receiver with the client the OTLP exporter uses (tonic's, ALPN h2).
#[cfg(feature = "otlp-grpc")]
#[tokio::test]
async fn grpc_logs_over_tls_with_a_tonic_client() {
    use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
    use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

    let pki = Pki::new();
    let receiver = otlp::start_grpc_tls(Behavior::Accept, pki.mtls_server());
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&pki.ca.cert))
        .identity(Identity::from_pem(&pki.client.cert, &pki.client.key))
        .domain_name("localhost");
    let channel = Channel::from_shared(receiver.base_url())
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .unwrap();
    LogsServiceClient::new(channel)
        .export(logs_request())
        .await
        .unwrap();
    assert_eq!(receiver.wait_for_logs(1, WAIT).len(), 1);
}
