//! Export throughput over loopback OTLP/gRPC into the in-process tonic receiver
//! (tests/it/support/otlp.rs, counting only), at the default batch settings (queue 2048, batch
//! 512, delay 5 s), and where the batch queue starts dropping:
//!
//! 1. saturated: one thread emits LLM spans as fast as it can for a few seconds;
//! 2. rate ramp: the thread emits at a fixed rate for a few seconds, the rate growing 1.5x each
//!    step; the first rate with `dropped > 0` is the sustained drop point;
//! 3. bursts: an idle pipeline gets `B` spans back to back; the first `B` with `dropped > 0`
//!    is the burst drop point.
//!
//! Counts come from the shutdown report (`ended = exported + failed + dropped`) and the
//! receiver's own count. Prints markdown tables.
//!
//! Run with: cargo bench --bench throughput
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(unreachable_pub)]

#[allow(dead_code)]
#[path = "../tests/it/support/faults.rs"]
mod faults;
#[allow(dead_code)]
#[path = "../tests/it/support/otlp.rs"]
mod otlp;

use std::time::{Duration, Instant};

use tracing_genai::{
    Config,
    setup::{Protocol, ShutdownReport},
};

const SHUTDOWN: Duration = Duration::from_secs(30);

struct Run {
    produced_per_sec: f64,
    exported_per_sec: f64,
    received: u64,
    report: ShutdownReport,
}

/// Builds a default gRPC pipeline to a fresh counting receiver, runs `produce` (which returns
/// how many spans it emitted), shuts down and reads the counts.
fn run(produce: impl FnOnce() -> u64) -> Run {
    let receiver = otlp::start_grpc(otlp::Behavior::CountOnly);
    let (dispatch, guard) = faults::pipeline(
        Config::default()
            .with_endpoint(receiver.http_base())
            .with_protocol(Protocol::Grpc)
            .with_shutdown_timeout(SHUTDOWN),
    );
    let started = Instant::now();
    let produced = tracing::dispatcher::with_default(&dispatch, produce);
    let produce_time = started.elapsed();
    let out = faults::shutdown(&guard, SHUTDOWN);
    let total = started.elapsed();
    let received = receiver.wait_for_count(out.report.exported, Duration::from_secs(5));
    assert_eq!(out.report.ended, produced);
    Run {
        produced_per_sec: produced as f64 / produce_time.as_secs_f64(),
        exported_per_sec: out.report.exported as f64 / total.as_secs_f64(),
        received,
        report: out.report,
    }
}

/// Emits for `duration` at `rate` spans/s (`None`: as fast as possible).
fn paced(rate: Option<f64>, duration: Duration) -> u64 {
    let started = Instant::now();
    let mut sent = 0u64;
    loop {
        let elapsed = started.elapsed();
        if elapsed >= duration {
            return sent;
        }
        let target = match rate {
            Some(rate) => (rate * elapsed.as_secs_f64()) as u64,
            None => sent + 256,
        };
        while sent < target {
            faults::llm_span(sent, "");
            sent += 1;
        }
        if rate.is_some() {
            std::thread::sleep(Duration::from_micros(500));
        }
    }
}

fn main() {
    let secs: u64 = std::env::var("THROUGHPUT_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let duration = Duration::from_secs(secs);
    println!(
        "\nOTLP/gRPC over loopback, default batch settings (queue 2048, batch 512, delay 5 s), one producer thread, {secs} s per row\n"
    );

    println!(
        "| mode | produced spans/s | exported spans/s (to end of shutdown) | ended | exported | dropped | received |"
    );
    println!("|---|---|---|---|---|---|---|");
    let row = |mode: &str, r: &Run| {
        println!(
            "| {mode} | {:.0} | {:.0} | {} | {} | {} | {} |",
            r.produced_per_sec,
            r.exported_per_sec,
            r.report.ended,
            r.report.exported,
            r.report.dropped,
            r.received
        );
    };
    let saturated = run(|| paced(None, duration));
    row("saturated (as fast as possible)", &saturated);

    let mut drop_rate = None;
    let mut rate = 5_000.0;
    while rate <= 1_280_000.0 {
        let r = run(|| paced(Some(rate), duration));
        row(&format!("rate {rate:.0}/s"), &r);
        if r.report.dropped > 0 && drop_rate.is_none() {
            drop_rate = Some(rate);
        }
        // The producer could not keep up: higher targets measure the same thing.
        if r.produced_per_sec < rate * 0.9 {
            break;
        }
        rate *= 1.5;
    }

    println!("\n| burst (spans back to back, idle pipeline) | ended | exported | dropped |");
    println!("|---|---|---|---|");
    let mut drop_burst = None;
    for burst in [1024u64, 2048, 2560, 3072, 4096, 8192, 16384] {
        let r = run(|| {
            for i in 0..burst {
                faults::llm_span(i, "");
            }
            burst
        });
        println!(
            "| {burst} | {} | {} | {} |",
            r.report.ended, r.report.exported, r.report.dropped
        );
        if r.report.dropped > 0 && drop_burst.is_none() {
            drop_burst = Some(burst);
        }
    }
    println!(
        "\nfirst rate with drops: {}; first burst with drops: {}",
        drop_rate.map_or("none up to the producer's maximum".into(), |r| format!(
            "{r:.0} spans/s"
        )),
        drop_burst.map_or("none".into(), |b| format!("{b} spans"))
    );
}
