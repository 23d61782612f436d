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

/// The contract's required metadata: UNAUTHENTICATED without it.
fn check<T>(receiver: &Receiver, request: &tonic::Request<T>) -> Result<(), tonic::Status> {
    receiver
        .check_headers(&headers(request))
        .map_err(tonic::Status::unauthenticated)
}

struct GrpcTraces(Receiver);

#[tonic::async_trait]
impl TraceService for GrpcTraces {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        check(&self.0, &request)?;
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
                let headers = headers(&request);
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
        check(&self.0, &request)?;
        self.0.record_metrics(request.into_inner());
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

struct GrpcLogs(Receiver);

#[tonic::async_trait]
impl LogsService for GrpcLogs {
    async fn export(
        &self,
        request: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, tonic::Status> {
        check(&self.0, &request)?;
        self.0.record_logs(request.into_inner());
        Ok(tonic::Response::new(ExportLogsServiceResponse::default()))
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
