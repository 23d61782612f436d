//! Run with: cargo run --example streaming
//!
//! A simulated (offline) streamed chat completion instrumented with
//! `GenAiStreamExt::instrument_genai`: the span covers the consumption of the stream and
//! carries `gen_ai.request.stream`, `gen_ai.response.time_to_first_chunk` (also a
//! `tracing_genai.first_chunk` event), usage and finish reasons from the last chunk, and the
//! cost from a price table. A second stream is dropped early and ends as cancelled.
//!
//! The spans and metrics go to in-memory exporters and are printed. To see them in Jaeger,
//! install the same layer over an OTLP tracer/meter (as `tracing_genai::setup()` does).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use futures_util::{StreamExt, stream};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use tracing_genai::{
    cost::{ModelPrice, PriceTable},
    stream::{GenAiStreamExt, StreamAccumulator},
};
use tracing_subscriber::layer::SubscriberExt;

/// One server-sent chunk of a chat completion, as a provider SDK would yield it.
#[derive(Debug)]
struct ChatChunk {
    delta: &'static str,
    usage: Option<(u64, u64)>,
    finish_reason: Option<&'static str>,
}

/// A fake provider: the first chunk after 120 ms, then one every 30 ms.
fn fake_completion() -> impl futures_util::Stream<Item = ChatChunk> {
    let deltas = ["The", " sky", " is", " blue", "."];
    stream::iter(deltas.into_iter().enumerate())
        .then(move |(i, delta)| async move {
            let wait = if i == 0 { 120 } else { 30 };
            tokio::time::sleep(Duration::from_millis(wait)).await;
            let last = i == deltas.len() - 1;
            ChatChunk {
                delta,
                usage: last.then_some((42, 5)),
                finish_reason: last.then_some("stop"),
            }
        })
        .boxed()
}

fn on_chunk(chunk: &ChatChunk, acc: &mut StreamAccumulator) {
    acc.output().push_text(0, chunk.delta);
    if let Some((input, output)) = chunk.usage {
        acc.input_tokens(input).output_tokens(output);
    }
    if let Some(reason) = chunk.finish_reason {
        acc.finish_reason(reason)
            .response_model("gpt-4o-2024-08-06");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let spans = InMemorySpanExporter::default();
    let tracer_provider = SdkTracerProvider::builder()
        .with_simple_exporter(spans.clone())
        .build();
    let metrics = InMemoryMetricExporter::default();
    let meter_provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(metrics.clone()).build())
        .build();
    let prices = PriceTable::new("USD").with_model("gpt-4o*", ModelPrice::new(2.5, 10.0));
    let subscriber = tracing_subscriber::registry().with(
        tracing_genai::layer()
            .with_tracer(tracer_provider.tracer("streaming-example"))
            .with_meter(meter_provider.meter("tracing-genai"))
            .with_prices(prices),
    );
    let _default = tracing::subscriber::set_default(subscriber);

    // 1. A stream consumed to the end.
    let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    let mut answer = String::new();
    let mut chunks = fake_completion().instrument_genai(span, on_chunk);
    while let Some(chunk) = chunks.next().await {
        answer.push_str(chunk.delta);
    }
    println!("answer: {answer:?}");

    // 2. A stream the consumer drops after two chunks (e.g. the user pressed stop).
    let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o-mini");
    let mut chunks = fake_completion().instrument_genai(span, on_chunk);
    chunks.next().await;
    chunks.next().await;
    drop(chunks);

    for span in spans.get_finished_spans().unwrap() {
        let duration = span.end_time.duration_since(span.start_time).unwrap();
        println!(
            "\nspan {:?} ({:.0} ms)",
            span.name,
            duration.as_secs_f64() * 1e3
        );
        for kv in &span.attributes {
            println!("  {} = {}", kv.key, kv.value);
        }
        for event in span.events.iter() {
            let attrs: Vec<String> = event
                .attributes
                .iter()
                .map(|kv| format!("{}={}", kv.key, kv.value))
                .collect();
            println!("  event {} {}", event.name, attrs.join(" "));
        }
    }

    meter_provider.force_flush().unwrap();
    println!();
    for rm in metrics.get_finished_metrics().unwrap().iter().take(1) {
        for scope in rm.scope_metrics() {
            for m in scope.metrics() {
                if let AggregatedMetrics::F64(MetricData::Histogram(h)) = m.data() {
                    for p in h.data_points() {
                        println!(
                            "metric {} [{}]: count {} sum {:.3}",
                            m.name(),
                            m.unit(),
                            p.count(),
                            p.sum()
                        );
                    }
                }
            }
        }
    }
}
