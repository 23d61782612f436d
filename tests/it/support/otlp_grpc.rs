//! The gRPC transport of the receivers in `otlp.rs` (tonic; TLS streams from `otlp_tls.rs`).

use std::collections::HashMap;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
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

use super::{Answer, Behavior, Receiver, tls};

/// The request metadata as headers (names lower-case).
fn headers<T>(request: &tonic::Request<T>) -> HashMap<String, String> {
    request
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
        .collect()
}

const TRACES: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const METRICS: &str = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
const LOGS: &str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

/// The contract's required metadata: UNAUTHENTICATED without it.
fn check(receiver: &Receiver, headers: &HashMap<String, String>) -> Result<(), tonic::Status> {
    receiver
        .check_headers(headers)
        .map_err(tonic::Status::unauthenticated)
}

/// Records the request with the code answered.
fn finish<T>(
    receiver: &Receiver,
    path: &str,
    headers: &HashMap<String, String>,
    result: Result<T, tonic::Status>,
) -> Result<T, tonic::Status> {
    let code = match &result {
        Ok(_) => 0,
        Err(status) => i32::from(status.code()) as u16,
    };
    receiver.record_request(path, headers, code);
    result
}

struct GrpcTraces(Receiver);

impl GrpcTraces {
    async fn answer(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
        headers: &HashMap<String, String>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        check(&self.0, headers)?;
        match self.0.next_answer(0) {
            Answer::Hang => {
                self.0.record_request(TRACES, headers, 0);
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
                self.0.record(request.into_inner(), headers.clone());
                Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
            }
        }
    }
}

#[tonic::async_trait]
impl TraceService for GrpcTraces {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let headers = headers(&request);
        let result = self.answer(request, &headers).await;
        finish(&self.0, TRACES, &headers, result)
    }
}

struct GrpcMetrics(Receiver);

#[tonic::async_trait]
impl MetricsService for GrpcMetrics {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        let headers = headers(&request);
        let result = check(&self.0, &headers).map(|()| {
            self.0.record_metrics(request.into_inner());
            tonic::Response::new(ExportMetricsServiceResponse::default())
        });
        finish(&self.0, METRICS, &headers, result)
    }
}

struct GrpcLogs(Receiver);

#[tonic::async_trait]
impl LogsService for GrpcLogs {
    async fn export(
        &self,
        request: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, tonic::Status> {
        let headers = headers(&request);
        let result = check(&self.0, &headers).map(|()| {
            self.0.record_logs(request.into_inner());
            tonic::Response::new(ExportLogsServiceResponse::default())
        });
        finish(&self.0, LOGS, &headers, result)
    }
}

pub(super) async fn serve(listener: tokio::net::TcpListener, receiver: Receiver) {
    let max_bytes = match receiver.state.0.lock().unwrap().behavior {
        Some(Behavior::MaxBytes(max)) => max,
        _ => 64 * 1024 * 1024,
    };
    let traces =
        TraceServiceServer::new(GrpcTraces(receiver.clone())).max_decoding_message_size(max_bytes);
    #[cfg(feature = "gzip")]
    let traces = traces.accept_compressed(tonic::codec::CompressionEncoding::Gzip);
    let metrics = MetricsServiceServer::new(GrpcMetrics(receiver.clone()));
    #[cfg(feature = "gzip")]
    let metrics = metrics.accept_compressed(tonic::codec::CompressionEncoding::Gzip);
    let logs = LogsServiceServer::new(GrpcLogs(receiver.clone()));
    #[cfg(feature = "gzip")]
    let logs = logs.accept_compressed(tonic::codec::CompressionEncoding::Gzip);
    let router = tonic::transport::Server::builder()
        .add_service(traces)
        .add_service(metrics)
        .add_service(logs);
    match receiver.tls.clone() {
        None => {
            let incoming = tonic::transport::server::TcpIncoming::from(listener);
            let _ = router.serve_with_incoming(incoming).await;
        }
        Some(config) => {
            // Handshakes run in their own tasks (a stuck or failing client never blocks the
            // accept loop); the established streams are served in order of completion.
            let (tx, rx) = tokio::sync::mpsc::channel::<tls::TlsIo>(16);
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let (config, tx, receiver) = (config.clone(), tx.clone(), receiver.clone());
                    tokio::spawn(async move {
                        if let Some(io) = tls::accept(config, stream, &receiver).await {
                            let _ = tx.send(io).await;
                        }
                    });
                }
            });
            let incoming = futures_util::stream::unfold(rx, |mut rx| async move {
                let io = rx.recv().await?;
                Some((Ok::<_, std::io::Error>(io), rx))
            });
            let _ = router.serve_with_incoming(incoming).await;
        }
    }
}
