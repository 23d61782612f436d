//! The classic hang: shutting down a gRPC pipeline from inside
//! `#[tokio::main(flavor = "current_thread")]`. Here it completes and delivers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(feature = "otlp-grpc")]

mod support;

use std::time::Duration;

use support::otlp::{self, Behavior};

#[test]
fn current_thread_runtime_shutdown_completes() {
    let receiver = otlp::start_grpc(Behavior::Accept);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = runtime.block_on(async {
        let config = tracing_genai::Config::default()
            .with_protocol(tracing_genai::Protocol::Grpc)
            .with_endpoint(receiver.http_base())
            .with_service_name("current-thread")
            .with_shutdown_timeout(Duration::from_secs(10));
        let guard = tracing_genai::setup(config).unwrap();
        otlp::emit_sample_trace();
        // An await point, like a real app, before shutting down on the runtime's only thread.
        tokio::task::yield_now().await;
        guard.shutdown()
    });
    let report = report.unwrap();
    assert_eq!((report.ended, report.exported), (3, 3), "{report}");
    otlp::assert_sample_trace(&receiver.spans(), "current-thread");
}
