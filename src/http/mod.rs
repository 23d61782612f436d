//! Instrumentation of OpenAI-compatible and Anthropic HTTP APIs (feature `reqwest`).
//!
//! The parsing layer (`api`, `model`, `sse`, `openai`, `anthropic`, `stream`) is pure: it reads
//! request and response bytes and never touches the transport.

// Used by the middleware; until it lands, only the tests use them.
#[allow(dead_code)]
mod anthropic;
#[allow(dead_code)]
mod api;
#[allow(dead_code)]
mod model;
#[allow(dead_code)]
mod openai;
#[allow(dead_code)]
mod sse;
#[allow(dead_code)]
mod stream;

#[allow(unused_imports)]
pub(crate) use api::Api;
#[allow(unused_imports)]
pub(crate) use model::{ParsedRequest, ParsedResponse};
#[allow(unused_imports)]
pub(crate) use sse::{SseDecoder, SseEvent};
#[allow(unused_imports)]
pub(crate) use stream::StreamParser;
