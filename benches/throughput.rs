//! Export throughput over loopback OTLP/gRPC into the in-process tonic receiver
//! (tests/it/support/otlp.rs, counting only), ours against the stock pipeline in one run, so
//! that every row is a ratio of two numbers taken minutes apart at most:
//!
//! - **ours**: `tracing_genai::Config` (`setup`'s pipeline: GenAI layer around
//!   tracing-opentelemetry, the SDK `BatchSpanProcessor`, opentelemetry-otlp's tonic exporter
//!   on our runtime bridge, metrics on, as a user gets it);
//! - **stock**: plain `tracing-opentelemetry` 0.34 layer + opentelemetry-otlp 0.33's own tonic
//!   exporter built inside a default multi-thread tokio runtime (what `#[tokio::main]` gives)
//!   + `SdkTracerProvider::with_span_processor(BatchSpanProcessor)` at `BatchConfig::default()`.
//!
//! Both get the same LLM span (tests/it/support/faults.rs `llm_span`: 8 fields at creation,
//! the rest recorded later) from one producer thread. Modes:
//!
//! 1. saturated: the thread emits as fast as it can for `THROUGHPUT_SECS`; exported spans/s is
//!    what the receiver got divided by the time to the end of shutdown; the per-thread CPU
//!    (from /proc/self/task/*/schedstat) over the producing window gives the cost per span of
//!    the producer, the batch thread, the runtime thread(s) and the receiver;
//! 2. rate ramp: fixed rates growing 1.25x; the last rate with no drop is the sustained rate,
//!    the first with drops the drop point;
//! 3. bursts: an idle pipeline gets `B` spans back to back, then shutdown;
//! 4. tuned (`OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`,
//!    `OTEL_BSP_SCHEDULE_DELAY` set in code, the same for both): saturated, and a ramp to find
//!    the highest drop-free rate.
//!
//! Drops are `produced - received` for both (ours: also checked against the shutdown report).
//! Prints markdown tables.
//!
//! Run with: cargo bench --bench throughput --features otlp-grpc
//! (`THROUGHPUT_SECS=N` per row, default 3; `THROUGHPUT_ONLY=tuned` for the tuned part only)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(unreachable_pub)]

#[allow(dead_code)]
#[path = "../tests/it/support/faults.rs"]
mod faults;
#[allow(dead_code)]
#[path = "../tests/it/support/otlp.rs"]
mod otlp;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider};
use tracing::Dispatch;
use tracing_genai::{Config, TelemetryGuard, setup::Protocol};
use tracing_subscriber::layer::SubscriberExt;

const SHUTDOWN: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, PartialEq, Debug)]
enum Pipe {
    Ours,
    Stock,
}

impl Pipe {
    fn name(self) -> &'static str {
        match self {
            Pipe::Ours => "ours",
            Pipe::Stock => "stock",
        }
    }
}

/// Batch settings; `None` in [`run`] means each pipeline's defaults.
#[derive(Clone, Copy, Debug)]
struct Tuning {
    queue: usize,
    batch: usize,
    delay: Duration,
}

// Built once per run: the size difference does not matter.
#[allow(clippy::large_enum_variant)]
enum Guard {
    Ours(TelemetryGuard),
    Stock(
        SdkTracerProvider,
        #[allow(dead_code)] tokio::runtime::Runtime,
    ),
}

fn build(pipe: Pipe, endpoint: String, tuning: Option<Tuning>) -> (Dispatch, Guard) {
    match pipe {
        Pipe::Ours => {
            let mut config = Config::default()
                .with_endpoint(endpoint)
                .with_protocol(Protocol::Grpc)
                .with_shutdown_timeout(SHUTDOWN);
            if let Some(t) = tuning {
                config = config
                    .with_max_queue_size(t.queue)
                    .with_max_export_batch_size(t.batch)
                    .with_schedule_delay(t.delay);
            }
            let (dispatch, guard) = faults::pipeline(config);
            (dispatch, Guard::Ours(guard))
        }
        Pipe::Stock => {
            let rt = tokio::runtime::Runtime::new().unwrap();
            let exporter = {
                let _context = rt.enter();
                opentelemetry_otlp::SpanExporter::builder()
                    .with_tonic()
                    .with_endpoint(endpoint)
                    .build()
                    .unwrap()
            };
            let config = match tuning {
                None => opentelemetry_sdk::trace::BatchConfig::default(),
                Some(t) => BatchConfigBuilder::default()
                    .with_max_queue_size(t.queue)
                    .with_max_export_batch_size(t.batch)
                    .with_scheduled_delay(t.delay)
                    .build(),
            };
            let provider = SdkTracerProvider::builder()
                .with_span_processor(
                    BatchSpanProcessor::builder(exporter)
                        .with_batch_config(config)
                        .build(),
                )
                .build();
            let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("stock"));
            (
                Dispatch::new(tracing_subscriber::registry().with(layer)),
                Guard::Stock(provider, rt),
            )
        }
    }
}

/// Per-thread CPU time (ns, from schedstat), summed by thread name.
fn thread_cpu() -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in dir.flatten() {
        let path = task.path();
        let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        let ns = std::fs::read_to_string(path.join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0);
        let name = match name.trim() {
            n if n.starts_with("throughput") || n == "main" => "producer".to_owned(),
            n if n.starts_with("OpenTelemetry.T") => "batch thread".to_owned(),
            n if n.starts_with("tracing-genai-o")
                || n.starts_with("tokio-runtime-w")
                || n.starts_with("tokio-rt-worker") =>
            {
                "exporter runtime".to_owned()
            }
            n if n.starts_with("otlp-receiver") => "receiver".to_owned(),
            n => n.to_owned(),
        };
        *out.entry(name).or_default() += ns;
    }
    out
}

#[derive(Debug)]
struct Run {
    produced: u64,
    produced_per_sec: f64,
    exported_per_sec: f64,
    received: u64,
    dropped: u64,
    /// CPU ns per span exported during the producing window, by thread.
    cpu_per_span: BTreeMap<String, f64>,
}

/// Builds `pipe` to a fresh counting receiver, runs `produce` (which returns how many spans
/// it emitted), shuts down and reads the counts.
fn run(pipe: Pipe, tuning: Option<Tuning>, produce: impl FnOnce() -> u64) -> Run {
    let receiver = otlp::start_grpc(otlp::Behavior::CountOnly);
    let (dispatch, guard) = build(pipe, receiver.http_base(), tuning);
    let cpu_before = thread_cpu();
    let received_before = receiver.span_count();
    let started = Instant::now();
    let produced = tracing::dispatcher::with_default(&dispatch, produce);
    let produce_time = started.elapsed();
    let cpu_after = thread_cpu();
    let received_window = receiver.span_count() - received_before;
    let (received, dropped) = match &guard {
        Guard::Ours(guard) => {
            let out = faults::shutdown(guard, SHUTDOWN);
            assert_eq!(out.report.ended, produced);
            let received = receiver.wait_for_count(out.report.exported, Duration::from_secs(5));
            assert_eq!(received, out.report.exported, "{:?}", out.report);
            (received, out.report.dropped + out.report.failed)
        }
        Guard::Stock(provider, _) => {
            provider.shutdown_with_timeout(SHUTDOWN).unwrap();
            // Every export has been answered when shutdown returns: the count is final.
            let received = receiver.span_count();
            (received, produced - received)
        }
    };
    let total = started.elapsed();
    drop(guard);
    // The producer per span produced, every other thread per span received in the window.
    let cpu_per_span = cpu_after
        .iter()
        .map(|(name, after)| {
            let before = cpu_before.get(name).copied().unwrap_or(0);
            let per = if name == "producer" {
                produced.max(1)
            } else {
                received_window.max(1)
            };
            (
                name.clone(),
                after.saturating_sub(before) as f64 / per as f64,
            )
        })
        .collect();
    Run {
        produced,
        produced_per_sec: produced as f64 / produce_time.as_secs_f64(),
        exported_per_sec: received as f64 / total.as_secs_f64(),
        received,
        dropped,
        cpu_per_span,
    }
}

/// The span emitter of each pipeline: ours records usage and finish reasons through
/// `GenAiSpanExt` (faults::llm_span); the stock pipeline has no GenAI layer for those to reach,
/// so it records the same values raw with `span.record` on the fields `genai_span!` declares,
/// as a user of plain tracing-opentelemetry would: both export the same 23 attributes.
fn emitter(pipe: Pipe) -> fn(u64) {
    match pipe {
        Pipe::Ours => |i| faults::llm_span(i, ""),
        Pipe::Stock => stock_llm_span,
    }
}

fn stock_llm_span(input_tokens: u64) {
    let span = faults::chat_span(input_tokens, "");
    span.record("gen_ai.usage.input_tokens", input_tokens);
    span.record("gen_ai.usage.output_tokens", 256_u64);
    span.record("gen_ai.response.finish_reasons", "stop");
}

/// Emits for `duration` at `rate` spans/s (`None`: as fast as possible).
fn paced(emit: fn(u64), rate: Option<f64>, duration: Duration) -> u64 {
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
            emit(sent);
            sent += 1;
        }
        if rate.is_some() {
            std::thread::sleep(Duration::from_micros(500));
        }
    }
}

fn burst(emit: fn(u64), n: u64) -> u64 {
    for i in 0..n {
        emit(i);
    }
    n
}

fn ratio(ours: f64, stock: f64) -> String {
    if stock > 0.0 {
        format!("{:.2}", ours / stock)
    } else {
        "n/a".into()
    }
}

fn row(mode: &str, pipe: Pipe, r: &Run) {
    println!(
        "| {mode} | {} | {:.0} | {:.0} | {} | {} | {} |",
        pipe.name(),
        r.produced_per_sec,
        r.exported_per_sec,
        r.produced,
        r.received,
        r.dropped
    );
}

const TABLE_HEAD: &str = "| mode | pipeline | produced spans/s | exported spans/s (to end of shutdown) | produced | received | dropped |\n|---|---|---|---|---|---|---|";

/// Saturated runs, alternating (ours, stock, stock, ours, ours, stock): returns the mean exported rate of
/// each and prints the CPU profile.
fn saturated(label: &str, tuning: Option<Tuning>, duration: Duration) -> (f64, f64) {
    println!("\n{TABLE_HEAD}");
    let mut rates = [Vec::new(), Vec::new()];
    let mut cpu: [Vec<BTreeMap<String, f64>>; 2] = [Vec::new(), Vec::new()];
    for pipe in [
        Pipe::Ours,
        Pipe::Stock,
        Pipe::Stock,
        Pipe::Ours,
        Pipe::Ours,
        Pipe::Stock,
    ] {
        let r = run(pipe, tuning, || paced(emitter(pipe), None, duration));
        row(&format!("saturated, {label}"), pipe, &r);
        rates[pipe as usize].push(r.exported_per_sec);
        cpu[pipe as usize].push(r.cpu_per_span);
    }
    println!(
        "\nCPU per span during the producing window (µs; producer: per span produced, other threads: per span received; mean of the runs), {label}:\n"
    );
    println!("| thread | ours | stock | ours/stock |\n|---|---|---|---|");
    let mut names: Vec<&String> = cpu.iter().flatten().flat_map(|m| m.keys()).collect();
    names.sort();
    names.dedup();
    let mean = |v: &Vec<BTreeMap<String, f64>>, name: &str| {
        v.iter()
            .map(|m| m.get(name).copied().unwrap_or(0.0))
            .sum::<f64>()
            / v.len() as f64
            / 1e3
    };
    let mut totals = [0.0, 0.0];
    for name in names {
        let (o, s) = (mean(&cpu[0], name), mean(&cpu[1], name));
        if o < 0.01 && s < 0.01 {
            continue;
        }
        totals[0] += o;
        totals[1] += s;
        println!("| {name} | {o:.2} | {s:.2} | {} |", ratio(o, s));
    }
    println!(
        "| **total** | {:.2} | {:.2} | {} |",
        totals[0],
        totals[1],
        ratio(totals[0], totals[1])
    );
    let mean_rate = |v: &Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
    (mean_rate(&rates[0]), mean_rate(&rates[1]))
}

/// Rate ramp for both pipelines, interleaved at each rate. Returns, per pipeline, the last
/// rate without drops and the first with drops.
fn ramp(
    label: &str,
    tuning: Option<Tuning>,
    rates: &[f64],
    duration: Duration,
) -> [(Option<f64>, Option<f64>); 2] {
    println!("\n{TABLE_HEAD}");
    let mut out = [(None, None), (None, None)];
    for (step, &rate) in rates.iter().enumerate() {
        let order = if step % 2 == 0 {
            [Pipe::Ours, Pipe::Stock]
        } else {
            [Pipe::Stock, Pipe::Ours]
        };
        let mut keep_up = false;
        for pipe in order {
            let slot = &mut out[pipe as usize];
            if slot.1.is_some() {
                continue;
            }
            let r = run(pipe, tuning, || paced(emitter(pipe), Some(rate), duration));
            row(&format!("rate {rate:.0}/s, {label}"), pipe, &r);
            if r.dropped > 0 {
                slot.1 = Some(rate);
            } else if r.produced_per_sec >= rate * 0.97 {
                slot.0 = Some(rate);
            }
            keep_up |= r.produced_per_sec >= rate * 0.9;
        }
        if out.iter().all(|s| s.1.is_some()) || !keep_up {
            break;
        }
    }
    out
}

/// What one span looks like at the receiver for each pipeline: attribute count, events and
/// encoded size (protobuf `Span` message, without resource and scope).
fn wire() {
    println!(
        "\n| pipeline | attributes | events | encoded span bytes | attribute keys |\n|---|---|---|---|---|"
    );
    for pipe in [Pipe::Ours, Pipe::Stock] {
        let receiver = otlp::start_grpc(otlp::Behavior::Accept);
        let (dispatch, guard) = build(pipe, receiver.http_base(), None);
        tracing::dispatcher::with_default(&dispatch, || emitter(pipe)(7));
        match &guard {
            Guard::Ours(g) => {
                let _ = g.shutdown();
            }
            Guard::Stock(p, _) => p.shutdown().unwrap(),
        }
        let spans = receiver.wait_for_spans(1, Duration::from_secs(5));
        let span = &spans[0].span;
        let mut keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
        keys.sort_unstable();
        println!(
            "| {} | {} | {} | {} | {} |",
            pipe.name(),
            span.attributes.len(),
            span.events.len(),
            prost::Message::encoded_len(span),
            keys.join(", ")
        );
        drop(guard);
    }
}

fn fmt_rate(r: Option<f64>) -> String {
    r.map_or("none".into(), |r| format!("{r:.0}"))
}

fn main() {
    let secs: u64 = std::env::var("THROUGHPUT_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let only = std::env::var("THROUGHPUT_ONLY").unwrap_or_default();
    let duration = Duration::from_secs(secs);
    let mut summary = Vec::new();
    wire();
    if only == "wire" {
        return;
    }
    if only == "saturated" {
        saturated("default", None, duration);
        return;
    }
    if only.is_empty() || only == "default" {
        println!(
            "\nOTLP/gRPC over loopback, default batch settings (queue 2048, batch 512, delay 5 s), one producer thread, {secs} s per row; ours = tracing_genai::Config, stock = tracing-opentelemetry + opentelemetry-otlp tonic + BatchSpanProcessor"
        );
        let (o, s) = saturated("default", None, duration);
        summary.push(format!(
            "| saturated export rate, default | {o:.0} | {s:.0} | {} | ≥ 1.00 | {} |",
            ratio(o, s),
            if o >= s { "PASS" } else { "MISS" }
        ));
        let rates: Vec<f64> = (0..24).map(|i| 5_000.0 * 1.25f64.powi(i)).collect();
        let [ours, stock] = ramp("default", None, &rates, duration);
        let (o, s) = (ours.0.unwrap_or(0.0), stock.0.unwrap_or(0.0));
        summary.push(format!(
            "| sustained drop-free rate, default (first rate with drops: ours {}, stock {}) | {o:.0} | {s:.0} | {} | ≥ 1.00 | {} |",
            fmt_rate(ours.1),
            fmt_rate(stock.1),
            ratio(o, s),
            if o >= s { "PASS" } else { "MISS" }
        ));

        println!(
            "\n| burst (spans back to back, idle pipeline, default settings) | pipeline | received | dropped |\n|---|---|---|---|"
        );
        let mut largest_kept = [0u64, 0u64];
        let mut first_drop: [Option<u64>; 2] = [None, None];
        for n in [1024u64, 2048, 2560, 3072, 4096, 6144, 8192, 16384] {
            for pipe in [Pipe::Ours, Pipe::Stock] {
                let r = run(pipe, None, || burst(emitter(pipe), n));
                println!("| {n} | {} | {} | {} |", pipe.name(), r.received, r.dropped);
                let i = pipe as usize;
                if r.dropped > 0 {
                    first_drop[i].get_or_insert(n);
                } else if first_drop[i].is_none() {
                    largest_kept[i] = n;
                }
            }
        }
        let (o, s) = (largest_kept[0] as f64, largest_kept[1] as f64);
        summary.push(format!(
            "| largest burst kept whole, default (first burst with drops: ours {}, stock {}) | {o:.0} | {s:.0} | {} | ≥ 1.00 | {} |",
            first_drop[0].map_or("none".into(), |b| b.to_string()),
            first_drop[1].map_or("none".into(), |b| b.to_string()),
            ratio(o, s),
            if o >= s { "PASS" } else { "MISS" }
        ));
    }

    if only.is_empty() || only == "tuned" {
        let tuning = Tuning {
            queue: env_usize("TUNED_QUEUE", 65_536),
            batch: env_usize("TUNED_BATCH", 2_048),
            delay: Duration::from_millis(env_usize("TUNED_DELAY_MS", 100) as u64),
        };
        let label = format!(
            "queue {}, batch {}, delay {} ms",
            tuning.queue,
            tuning.batch,
            tuning.delay.as_millis()
        );
        println!("\nTuned: {label} (same for both)");
        let (o, s) = saturated(&label, Some(tuning), duration);
        summary.push(format!(
            "| saturated export rate, {label} | {o:.0} | {s:.0} | {} | | |",
            ratio(o, s)
        ));
        let rates = [
            40_000.0, 60_000.0, 80_000.0, 100_000.0, 120_000.0, 150_000.0, 200_000.0,
        ];
        let [ours, stock] = ramp(&label, Some(tuning), &rates, duration);
        let (o, s) = (ours.0.unwrap_or(0.0), stock.0.unwrap_or(0.0));
        summary.push(format!(
            "| sustained drop-free rate, {label} (first with drops: ours {}, stock {}) | {o:.0} | {s:.0} | {} | ours ≥ 100,000 | {} |",
            fmt_rate(ours.1),
            fmt_rate(stock.1),
            ratio(o, s),
            if o >= 100_000.0 { "PASS" } else { "MISS" }
        ));
    }
    println!(
        "\n| comparison | ours | stock | ours/stock | target | result |\n|---|---|---|---|---|---|"
    );
    for line in summary {
        println!("{line}");
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
