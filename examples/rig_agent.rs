//! Run with: cargo run --example rig_agent --features ecosystem-tests
//!
//! A `rig` agent (rig-core and rig-agent 0.44) with one tool, against a small OpenAI-compatible
//! mock it starts on loopback (no network, no API key), exported through
//! `tracing_genai::setup()`. rig emits its own `invoke_agent`, `chat` and `execute_tool`
//! spans; the GenAI layer names and types them (`invoke_agent weather_agent` → `chat gpt-4o`
//! (client) → `execute_tool get_weather` → `chat gpt-4o`), rolls the token totals up to the
//! agent span and never exports the API key. Spans go to the console, or over OTLP when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "common/mock_openai.rs"]
mod mock_openai;

use rig_agent::prelude::*;
use rig_core::providers::openai::OpenAIConfig;
use rig_core::tool::PortableTool;

#[derive(serde::Deserialize)]
struct WeatherArgs {
    city: String,
}

#[derive(Debug)]
struct NoWeather;

impl std::fmt::Display for NoWeather {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no weather for that city")
    }
}

impl std::error::Error for NoWeather {}

/// The tool the model calls.
struct GetWeather;

impl PortableTool for GetWeather {
    const NAME: &'static str = "get_weather";
    type Args = WeatherArgs;
    type Output = String;
    type Error = NoWeather;

    fn description(&self) -> String {
        "The current weather in a city".into()
    }

    fn parameters(&self) -> serde_json::Value {
        serde_json::json!({
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        })
    }

    async fn call(&self, args: WeatherArgs) -> Result<String, NoWeather> {
        Ok(format!("Sunny, 21°C in {}", args.city))
    }
}

#[tokio::main]
async fn main() {
    let otlp = std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some();
    let telemetry = common::start("rig-agent", |config| {
        if otlp {
            config
        } else {
            config
                .with_exporter(tracing_genai::setup::ExporterKind::Console)
                .with_genai_printer(false)
        }
    });

    let base = mock_openai::start();
    let openai = OpenAIConfig::new("sk-mock-rig-example")
        .with_base_url(base)
        .client();
    let agent = AgentBuilder::new(openai.chat("gpt-4o"))
        .name("weather_agent")
        .preamble("You answer weather questions.")
        // rig records prompts, messages and tool arguments only when asked; the layer exports
        // them only with content capture on (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`).
        .record_content_telemetry(true)
        // rig's default is one turn; the tool call and the answer take two.
        .default_max_turns(3)
        .tool(GetWeather)
        .build();

    // No span is current here, so rig opens its own `invoke_agent` root span.
    match agent.prompt("What's the weather in Lyon?").await {
        Ok(response) => println!("answer: {}", response.output()),
        Err(e) => println!("the agent failed: {e}"),
    }

    common::finish(telemetry);
}
