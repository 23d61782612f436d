//! Zero-boilerplate instrumentation of LLM HTTP clients (feature `reqwest`).
//!
//! [`GenAiMiddleware`] is a [`reqwest_middleware`] middleware: add it to a `reqwest` client and
//! every call to an OpenAI-compatible API (chat completions, legacy completions, embeddings,
//! the Responses API; OpenAI, Azure OpenAI, vLLM, Ollama, LiteLLM, Groq, DeepSeek, Mistral,
//! ...) or to the Anthropic Messages API becomes a GenAI span, streamed responses included,
//! with the W3C trace context sent to the server. Other requests pass through untouched.
//! With the `async-openai` feature, [`GenAiHttpService`] does the same for `async-openai`
//! clients.
//!
//! ```no_run
//! use tracing_genai::http::GenAiMiddleware;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(GenAiMiddleware::new())
//!     .build();
//! let response = client
//!     .post("https://api.openai.com/v1/chat/completions")
//!     .bearer_auth(std::env::var("OPENAI_API_KEY")?)
//!     .header("content-type", "application/json")
//!     .body(r#"{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}"#)
//!     .send()
//!     .await?;
//! let text = response.text().await?; // the span `chat gpt-4o` ends here
//! # drop(text);
//! # Ok(())
//! # }
//! ```
//!
//! The parsing layer (`api`, `lenient`, `views`, `model`, `sse`, `openai`, `openai_content`,
//! `anthropic`, `stream`) is pure: it reads
//! request and response bytes and never touches the transport.

mod anthropic;
mod api;
mod lenient;
mod model;
mod openai;
mod openai_content;
mod sse;
// `StreamParser::events` is not used by the middleware (which counts events from `feed`).
mod stream;
mod views;

#[cfg(feature = "async-openai")]
mod async_openai;
mod body;
mod middleware;
mod propagation;
mod provider;

#[cfg(feature = "async-openai")]
pub use self::async_openai::GenAiHttpService;
pub use middleware::{GenAiMiddleware, RetryObserver};
