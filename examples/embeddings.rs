//! Run with: cargo run --example embeddings
//!
//! An embeddings call: `embeddings text-embedding-3-small`, kind CLIENT, with input tokens.
//!
//! Exported through `tracing_genai::setup()` like every example (default: OTLP/HTTP to
//! http://localhost:4318; `docker compose up -d` starts Jaeger, UI at http://localhost:16686).
//! Without Docker, print each trace as a tree and the metrics as a table on stdout instead:
//! `OTEL_TRACES_EXPORTER=console cargo run --example embeddings`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

fn main() {
    let telemetry = common::start("embeddings", |config| config);
    let llm = common::FakeLlm;
    let documents = [
        "The cat sat on the mat.",
        "OpenTelemetry is a CNCF project.",
        "Rust has no GC.",
    ];

    let span = tracing_genai::genai_span!(
        "embeddings",
        "openai",
        "text-embedding-3-small",
        gen_ai.embeddings.dimension.count = 8_u64,
    );
    {
        let _call = span.enter();
        let (vectors, tokens) = llm.embed("text-embedding-3-small", &documents);
        span.record("gen_ai.usage.input_tokens", tokens);
        println!(
            "embedded {} documents into {}-dimensional vectors",
            vectors.len(),
            vectors[0].len()
        );
    }
    drop(span);
    common::finish(telemetry);
}
