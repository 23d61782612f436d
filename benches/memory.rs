//! Memory with the collector down: 1,000,000 LLM spans (15 GenAI attributes) exported over
//! OTLP/HTTP to a closed loopback port, RSS and live heap sampled every 50,000 spans; then the
//! same with 4 KiB of captured message content per span. Each pass runs in its own process so
//! that the first cannot inflate the second's RSS.
//!
//! Then the per-span state: `size_of::<GenAiSpan>()` (the public part of the crate-private
//! per-span record, which the layer keeps boxed in the span's extensions), the heap one *open*
//! LLM span holds with the GenAI layer against tracing-opentelemetry alone (the difference is
//! the GenAI layer's per-span state as allocated), and allocations per span lifecycle on the
//! producing thread.
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
use tracing::Dispatch;
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
    alloc::reset_peak();
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
    let peak_live = alloc::peak_live_bytes();
    let r = &out.report;
    println!(
        "| {name} | {spans} | {:.0} | {} | {} | {} | {} | {:+.1} MiB | {} | {} | {:+.1} MiB | {} B | {} | {}/{}/{} |",
        spans as f64 / elapsed.as_secs_f64(),
        alloc::mib(peak),
        alloc::mib(peak_live),
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
                "| pass | spans | spans/s | peak RSS | peak live heap | RSS after 50k | RSS at end | RSS growth | heap after 50k | heap at end | heap growth | bytes/span | queue × bytes/span | exported/failed/dropped |"
            );
            println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            let exe = std::env::current_exe().unwrap();
            for which in ["plain", "content"] {
                let status = std::process::Command::new(&exe)
                    .env("MEMORY_PASS", which)
                    .env("MEMORY_SPANS", spans.to_string())
                    .status()
                    .unwrap();
                assert!(status.success(), "pass {which} failed");
            }
            state();
        }
    }
}

/// A subscriber with tracing-opentelemetry (an in-memory exporter), with or without the
/// GenAI layer around it (metrics off, no content).
fn state_dispatch(genai: bool) -> (Dispatch, InMemorySpanExporter) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let tracer = provider.tracer("memory");
    let dispatch = if genai {
        let layer = tracing_genai::layer()
            .with_tracer(tracer)
            .with_metrics(false);
        Dispatch::new(tracing_subscriber::registry().with(layer))
    } else {
        Dispatch::new(
            tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer)),
        )
    };
    (dispatch, exporter)
}

/// Heap bytes one open LLM span holds (created, all fields recorded, not ended), and
/// allocations on this thread for one whole span (create, record, end).
fn open_span_heap(genai: bool) -> (f64, f64) {
    const N: usize = 4096;
    let (dispatch, exporter) = state_dispatch(genai);
    tracing::dispatcher::with_default(&dispatch, || {
        // Warm-up: registry slab pages, callsite caches, exporter buffers.
        let warm: Vec<_> = (0..N as u64).map(|i| faults::chat_span(i, "")).collect();
        drop(warm);
        exporter.reset();
        let before = alloc::live_bytes();
        let open: Vec<_> = (0..N as u64).map(|i| faults::chat_span(i, "")).collect();
        let after = alloc::live_bytes();
        drop(open);
        exporter.reset();
        let per_open =
            (after as f64 - before as f64 - (N * std::mem::size_of::<tracing::Span>()) as f64)
                / N as f64;
        let allocs = alloc::allocations(|| emit(N as u64, 0, None)) as f64 / N as f64;
        exporter.reset();
        (per_open, allocs)
    })
}

fn state() {
    let (genai_open, genai_allocs) = open_span_heap(true);
    let (otel_open, otel_allocs) = open_span_heap(false);
    println!(
        "\nper-span state (one open LLM span, 15 GenAI attributes, 4,096 spans open at once)\n"
    );
    println!("| measure | GenAI layer + otel | otel alone | GenAI layer's share |");
    println!("|---|---|---|---|");
    println!(
        "| `size_of::<tracing_genai::GenAiSpan>()` (public state inside the per-span record) | {} B | | |",
        std::mem::size_of::<tracing_genai::GenAiSpan>()
    );
    println!(
        "| heap held per open span (counting allocator) | {genai_open:.0} B | {otel_open:.0} B | {:.0} B |",
        genai_open - otel_open
    );
    println!(
        "| allocations per span, create to end (producing thread) | {genai_allocs:.1} | {otel_allocs:.1} | {:+.1} |",
        genai_allocs - otel_allocs
    );
}
