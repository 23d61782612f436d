//! Run with: cargo run --example agent_tools
//!
//! An agent turn: `invoke_agent` > `chat` (asks for a tool) > `execute_tool` (run on a spawned
//! tokio task) > `chat` (final answer). Runs on a current-thread runtime, where shutdown is
//! still safe. A `PriceTable` prices each call; the agent span rolls up the tokens and cost of
//! its calls (`gen_ai.usage.*`, `gen_ai.usage.cost`).
//!
//! Exported through `tracing_genai::setup()` like every example (default: OTLP/HTTP to
//! http://localhost:4318; `docker compose up -d` starts Jaeger, UI at http://localhost:16686).
//! Without Docker, print each trace as a tree and the metrics as a table on stdout instead:
//! `OTEL_TRACES_EXPORTER=console cargo run --example agent_tools`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use tracing::Instrument;
use tracing_genai::GenAiSpanExt;

fn chat(llm: &common::FakeLlm, prompt: &str) -> common::Completion {
    let span =
        tracing_genai::genai_span!("chat", "openai", "gpt-4o", gen_ai.request.temperature = 0.0);
    let _call = span.enter();
    let completion = llm.chat("gpt-4o", prompt).unwrap();
    span.record("gen_ai.response.id", completion.id.as_str());
    span.record_token_usage(completion.input_tokens, completion.output_tokens);
    span.record_finish_reasons([completion.finish_reason]);
    completion
}

async fn get_weather(city: String) -> String {
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    format!("18°C and sunny in {city}")
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // Illustrative prices (per 1M tokens), not a quote.
    let prices = tracing_genai::cost::PriceTable::new("USD")
        .with_model("gpt-4o*", tracing_genai::cost::ModelPrice::new(2.5, 10.0));
    let telemetry = common::start("agent-tools", |config| {
        config.with_layer(move |layer| layer.with_prices(prices))
    });
    let llm = common::FakeLlm;

    let agent = tracing_genai::agent_span!("travel_planner", gen_ai.agent.id = "agent-7");
    async {
        let first = chat(&llm, "What's the weather in Paris?");
        if let Some((call_id, tool)) = first.tool_call {
            let tool_span =
                tracing_genai::tool_span!(tool.clone(), gen_ai.tool.call.id = call_id.as_str());
            // The tool runs on another task; the span keeps it in the agent's trace.
            let result = tokio::spawn(get_weather("Paris".into()).instrument(tool_span))
                .await
                .unwrap();
            let last = chat(
                &llm,
                &format!("tool result: {result}. What's the weather in Paris?"),
            );
            println!("agent: {}", last.text);
        }
    }
    .instrument(agent)
    .await;

    common::finish(telemetry);
}
