//! Run with: cargo run --example streaming
//!
//! A simulated (offline) streamed chat completion instrumented with
//! `GenAiStreamExt::instrument_genai`: the span covers the consumption of the stream and
//! carries `gen_ai.request.stream`, `gen_ai.response.time_to_first_chunk` (also a
//! `tracing_genai.first_chunk` event), usage and finish reasons from the last chunk, and the
//! cost from a price table. A second stream is dropped early and ends as cancelled. The
//! metrics include the time-to-first-chunk histogram.
//!
//! Exported through `tracing_genai::setup()` like every example (default: OTLP/HTTP to
//! http://localhost:4318; `docker compose up -d` starts Jaeger, UI at http://localhost:16686).
//! Without Docker, print the traces and metrics on stdout instead:
//! `OTEL_TRACES_EXPORTER=console cargo run --example streaming`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use futures_util::{StreamExt, stream};
use tracing_genai::{
    cost::{ModelPrice, PriceTable},
    stream::{GenAiStreamExt, StreamAccumulator},
};

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
    let prices = PriceTable::new("USD").with_model("gpt-4o*", ModelPrice::new(2.5, 10.0));
    let telemetry = common::start("streaming", |config| {
        config.with_layer(move |layer| layer.with_prices(prices))
    });

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
    println!("second stream dropped after two chunks");

    common::finish(telemetry);
}
