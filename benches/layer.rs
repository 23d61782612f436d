//! Overhead of the GenAI layer compared with plain tracing-opentelemetry, in one run.
//!
//! Run with: cargo bench --bench layer -- --warm-up-time 1 --measurement-time 3
//!
//! Variants (all export through a simple span processor to an exporter that drops spans):
//! - a: plain tracing-opentelemetry, non-LLM span with 3 fields
//! - b: GenAI layer wrapping it, same non-LLM span (pass-through cost)
//! - c: plain tracing-opentelemetry, LLM-like span with 16 fields (11 at creation, 5 recorded)
//! - d: GenAI layer, same LLM span (typed mapping)
//! - e: d + one attribute mapper
//!
//! After the criterion report it prints the mean time per span of each variant and the ratios
//! b/a and d/c (means over every timed iteration, warm-up included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use criterion::Criterion;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use tracing::field::Empty;
use tracing::Dispatch;
use tracing_genai::{Attributes, GenAiSpan};
use tracing_subscriber::layer::SubscriberExt;

/// Drops every span, counting them (so the export path runs but costs nothing).
#[derive(Debug, Clone, Default)]
struct DropExporter(Arc<AtomicU64>);

impl SpanExporter for DropExporter {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        self.0.fetch_add(batch.len() as u64, Ordering::Relaxed);
        drop(batch);
        std::future::ready(Ok(()))
    }
}

fn provider(exported: &Arc<AtomicU64>) -> SdkTracerProvider {
    SdkTracerProvider::builder()
        .with_simple_exporter(DropExporter(Arc::clone(exported)))
        .build()
}

fn plain(exported: &Arc<AtomicU64>) -> Dispatch {
    let tracer = provider(exported).tracer("bench");
    Dispatch::new(
        tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer)),
    )
}

fn genai(exported: &Arc<AtomicU64>, with_mapper: bool) -> Dispatch {
    let tracer = provider(exported).tracer("bench");
    let mut layer = tracing_genai::layer().with_tracer(tracer);
    if with_mapper {
        layer = layer.with_mapper(|span: &GenAiSpan, attrs: &mut Attributes| {
            if let Some(tenant) = span.conversation_id.as_deref() {
                attrs.insert("app.conversation", tenant.to_string());
            }
            attrs.remove("server.address");
        });
    }
    Dispatch::new(tracing_subscriber::registry().with(layer))
}

fn non_llm_span() {
    let span = tracing::info_span!(
        "http.request",
        http.method = "GET",
        http.route = "/chat",
        user_id = 42_u64
    );
    let _g = span.enter();
    black_box(&span);
}

fn llm_span() {
    let span = tracing::info_span!(
        "llm",
        gen_ai.operation.name = "chat",
        gen_ai.provider.name = "openai",
        gen_ai.request.model = "gpt-4o",
        gen_ai.request.max_tokens = 512_u64,
        gen_ai.request.temperature = 0.2,
        gen_ai.request.top_p = 0.9,
        gen_ai.request.seed = 7_i64,
        gen_ai.request.stream = false,
        gen_ai.conversation.id = "conv-1",
        server.address = "api.openai.com",
        server.port = 443_u64,
        gen_ai.response.id = Empty,
        gen_ai.response.model = Empty,
        gen_ai.response.finish_reasons = Empty,
        gen_ai.usage.input_tokens = Empty,
        gen_ai.usage.output_tokens = Empty
    );
    let _g = span.enter();
    span.record("gen_ai.response.id", "chatcmpl-123");
    span.record("gen_ai.response.model", "gpt-4o-2024-08-06");
    span.record("gen_ai.response.finish_reasons", "stop");
    span.record("gen_ai.usage.input_tokens", 120_u64);
    span.record("gen_ai.usage.output_tokens", 48_u64);
}

/// Total time and iterations per variant.
fn totals() -> &'static Mutex<BTreeMap<&'static str, (Duration, u64)>> {
    static T: OnceLock<Mutex<BTreeMap<&'static str, (Duration, u64)>>> = OnceLock::new();
    T.get_or_init(Default::default)
}

fn bench_variant(c: &mut Criterion, name: &'static str, dispatch: Dispatch, work: fn()) {
    c.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let elapsed = tracing::dispatcher::with_default(&dispatch, || {
                let start = Instant::now();
                for _ in 0..iters {
                    work();
                }
                start.elapsed()
            });
            let mut t = totals().lock().unwrap();
            let e = t.entry(name).or_default();
            e.0 += elapsed;
            e.1 += iters;
            elapsed
        })
    });
}

fn benches(c: &mut Criterion) {
    let exported = Arc::new(AtomicU64::new(0));
    bench_variant(c, "a_plain_non_llm", plain(&exported), non_llm_span);
    bench_variant(c, "b_genai_non_llm", genai(&exported, false), non_llm_span);
    bench_variant(c, "c_plain_llm", plain(&exported), llm_span);
    bench_variant(c, "d_genai_llm", genai(&exported, false), llm_span);
    bench_variant(c, "e_genai_llm_mapper", genai(&exported, true), llm_span);
    assert!(exported.load(Ordering::Relaxed) > 0, "no span was exported");
}

fn print_ratios() {
    let t = totals().lock().unwrap();
    let mean = |k: &str| {
        t.get(k)
            .filter(|(_, n)| *n > 0)
            .map(|(d, n)| d.as_nanos() as f64 / *n as f64)
    };
    println!("\nmean time per span (all timed iterations):");
    for k in t.keys() {
        if let Some(m) = mean(k) {
            println!("  {k:<22} {m:>10.0} ns");
        }
    }
    for (label, num, den) in [
        (
            "b/a (non-LLM span, GenAI layer vs plain)",
            "b_genai_non_llm",
            "a_plain_non_llm",
        ),
        (
            "d/c (LLM span, GenAI layer vs plain)",
            "d_genai_llm",
            "c_plain_llm",
        ),
        ("e/d (one mapper)", "e_genai_llm_mapper", "d_genai_llm"),
    ] {
        if let (Some(n), Some(d)) = (mean(num), mean(den)) {
            println!("  {label:<42} {:.3}", n / d);
        }
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
    print_ratios();
}
