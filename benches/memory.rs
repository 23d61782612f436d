//! Memory with the collector down: 1,000,000 LLM spans (15 GenAI attributes) exported over
//! OTLP/HTTP to a closed loopback port, RSS and live heap sampled every 50,000 spans; then the
//! same with 4 KiB of captured message content per span. Each pass runs in its own process so
//! that the first cannot inflate the second's RSS.
//!
//! Run with: cargo bench --bench memory
//! (`MEMORY_SPANS=200000 cargo bench --bench memory` for a shorter run)
//!
//! Prints, per pass: peak RSS (VmHWM), RSS and live heap after warm-up (the first 50,000 spans)
//! and at the end (growth), what shutdown reported, and the theoretical bound
//! `max_queue_size × bytes per span` with the bytes per span measured (heap bytes one ended
//! span holds, from the counting allocator, with an in-memory exporter).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(unreachable_pub)]

#[allow(dead_code, unsafe_code)]
#[path = "../tests/it/support/alloc.rs"]
mod alloc;
#[allow(dead_code)]
#[path = "../tests/it/support/faults.rs"]
mod faults;

use std::time::{Duration, Instant};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use tracing_genai::content::ContentCapture;
use tracing_subscriber::layer::SubscriberExt;

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

const STEP: u64 = 50_000;
const QUEUE: usize = 2048;

fn emit(n: u64, first: u64, content: Option<&str>) {
    for i in first..first + n {
        match content {
            Some(text) => faults::llm_span_with_content(i, text),
            None => faults::llm_span(i, ""),
        }
    }
}

/// Heap bytes one ended span holds (attributes, events, ids), measured with an in-memory
/// exporter that keeps every span.
fn bytes_per_span(content: Option<&str>) -> u64 {
    const N: u64 = 1024;
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let layer = tracing_genai::layer()
        .with_tracer(provider.tracer("memory"))
        .with_metrics(false)
        .with_content_capture(if content.is_some() {
            ContentCapture::SpanOnly
        } else {
            ContentCapture::NoContent
        });
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    // Warm the subscriber's own allocations up first.
    tracing::dispatcher::with_default(&dispatch, || emit(8, 0, content));
    exporter.reset();
    let before = alloc::live_bytes();
    tracing::dispatcher::with_default(&dispatch, || emit(N, 0, content));
    let after = alloc::live_bytes();
    assert_eq!(exporter.get_finished_spans().unwrap().len() as u64, N);
    (after.saturating_sub(before)) / N
}

fn pass(name: &str, spans: u64, content: Option<&str>) {
    let per_span = bytes_per_span(content);
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mode = if content.is_some() {
        ContentCapture::SpanOnly
    } else {
        ContentCapture::NoContent
    };
    let timeout = Duration::from_secs(5);
    let (dispatch, guard) = faults::pipeline(
        tracing_genai::Config::default()
            .with_endpoint(format!("http://{addr}"))
            .with_max_queue_size(QUEUE)
            .with_shutdown_timeout(timeout)
            .with_layer(move |l| l.with_content_capture(mode)),
    );
    let started = Instant::now();
    let mut warm: Option<(u64, u64)> = None;
    let mut last = (0, 0);
    let mut emitted = 0;
    while emitted < spans {
        let n = STEP.min(spans - emitted);
        tracing::dispatcher::with_default(&dispatch, || emit(n, emitted, content));
        emitted += n;
        let rss = alloc::rss().map(|(r, _)| r).unwrap_or_default();
        let live = alloc::live_bytes();
        if warm.is_none() {
            warm = Some((rss, live));
        }
        last = (rss, live);
        eprintln!(
            "  {name}: {emitted:>9} spans  rss {:>10}  live heap {:>10}",
            alloc::mib(rss),
            alloc::mib(live)
        );
    }
    let elapsed = started.elapsed();
    let out = faults::shutdown(&guard, timeout);
    let (warm_rss, warm_live) = warm.unwrap_or_default();
    let peak = alloc::rss().map(|(_, hwm)| hwm).unwrap_or_default();
    let r = &out.report;
    println!(
        "| {name} | {spans} | {:.0} | {} | {} | {} | {:+.1} MiB | {} | {} | {:+.1} MiB | {} B | {} | {}/{}/{} |",
        spans as f64 / elapsed.as_secs_f64(),
        alloc::mib(peak),
        alloc::mib(warm_rss),
        alloc::mib(last.0),
        (last.0 as f64 - warm_rss as f64) / 1048576.0,
        alloc::mib(warm_live),
        alloc::mib(last.1),
        (last.1 as f64 - warm_live as f64) / 1048576.0,
        per_span,
        alloc::mib(per_span * QUEUE as u64),
        r.exported,
        r.failed,
        r.dropped,
    );
}

fn main() {
    let spans = std::env::var("MEMORY_SPANS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000u64);
    match std::env::var("MEMORY_PASS").as_deref() {
        Ok("plain") => pass("no content", spans, None),
        Ok("content") => pass("4 KiB content", spans, Some(&"x".repeat(4096))),
        _ => {
            println!(
                "\ncollector down (closed loopback port, OTLP/HTTP), queue {QUEUE}, {spans} spans per pass\n"
            );
            println!(
                "| pass | spans | spans/s | peak RSS | RSS after 50k | RSS at end | RSS growth | heap after 50k | heap at end | heap growth | bytes/span | queue × bytes/span | exported/failed/dropped |"
            );
            println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            let exe = std::env::current_exe().unwrap();
            for which in ["plain", "content"] {
                let status = std::process::Command::new(&exe)
                    .env("MEMORY_PASS", which)
                    .env("MEMORY_SPANS", spans.to_string())
                    .status()
                    .unwrap();
                assert!(status.success(), "pass {which} failed");
            }
        }
    }
}
