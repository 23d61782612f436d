//! Run with: cargo run --example genai_chat --features ecosystem-tests
//!
//! `genai` (0.7, feature `otel`) chatting with a small OpenAI-compatible mock it starts on
//! loopback (no network, no API key): one call, one streamed call and one embedding, exported
//! through `tracing_genai::setup()`. genai emits its own `gen_ai.*` spans; the GenAI layer
//! types them (finish reasons as a string array rather than genai's JSON string, token counts
//! as ints), records the GenAI metrics genai does not, and never exports the API key. With
//! `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true` both genai and the layer capture
//! the messages. Spans go to the console, or over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is
//! set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "common/mock_openai.rs"]
mod mock_openai;

use futures_util::StreamExt;
use genai::adapter::AdapterKind;
use genai::chat::{ChatMessage, ChatOptions, ChatRequest, ChatStreamEvent};
use genai::resolver::{AuthData, Endpoint, ServiceTargetResolver};
use genai::{Client, ModelIden, ServiceTarget};
use tracing::Instrument;

#[tokio::main]
async fn main() {
    let otlp = std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some();
    let telemetry = common::start("genai-chat", |config| {
        if otlp {
            config
        } else {
            config
                .with_exporter(tracing_genai::setup::ExporterKind::Console)
                .with_genai_printer(false)
        }
    });

    // Every model goes to the mock as an OpenAI model.
    let base = format!("{}/", mock_openai::start());
    let resolver = ServiceTargetResolver::from_resolver_fn(
        move |target: ServiceTarget| -> Result<ServiceTarget, genai::resolver::Error> {
            Ok(ServiceTarget {
                endpoint: Endpoint::from_owned(base.clone()),
                auth: AuthData::from_single("sk-mock-genai-example"),
                model: ModelIden::new(AdapterKind::OpenAI, target.model.model_name),
            })
        },
    );
    let client = match Client::builder()
        .with_service_target_resolver(resolver)
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            println!("genai client: {e}");
            return common::finish(telemetry);
        }
    };
    let request = ChatRequest::new(vec![
        ChatMessage::system("Answer in one short sentence."),
        ChatMessage::user("Why is the sky blue?"),
    ]);

    async {
        match client.exec_chat("gpt-4o", request.clone(), None).await {
            Ok(response) => println!("chat: {}", response.first_text().unwrap_or_default()),
            Err(e) => println!("chat failed: {e}"),
        }

        // The span stays open until the stream ends; usage is captured from its last event.
        let options = ChatOptions::default().with_capture_usage(true);
        match client
            .exec_chat_stream("gpt-4o", request, Some(&options))
            .await
        {
            Ok(response) => {
                let mut stream = response.stream;
                let mut text = String::new();
                while let Some(event) = stream.next().await {
                    match event {
                        Ok(ChatStreamEvent::Chunk(chunk)) => text.push_str(&chunk.content),
                        Ok(_) => {}
                        Err(e) => println!("stream failed: {e}"),
                    }
                }
                println!("streamed chat: {text}");
            }
            Err(e) => println!("streamed chat failed: {e}"),
        }

        match client
            .embed("text-embedding-3-small", "The food was delicious", None)
            .await
        {
            Ok(response) => println!("embeddings: {} vector(s)", response.embeddings.len()),
            Err(e) => println!("embeddings failed: {e}"),
        }
    }
    .instrument(tracing::info_span!("answer_question"))
    .await;

    common::finish(telemetry);
}
