//! Which LLM API an HTTP request calls, recognised from its method and URL path, and the entry
//! points of the per-API parsers.

use crate::{ErrorInfo, Operation};

use super::model::{ParsedRequest, ParsedResponse};
use super::stream::StreamParser;
use super::{anthropic, openai};

/// An LLM HTTP API the middleware understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Api {
    /// OpenAI-compatible `POST /chat/completions`.
    OpenAiChat,
    /// OpenAI-compatible legacy `POST /completions`.
    OpenAiCompletions,
    /// OpenAI-compatible `POST /embeddings`.
    OpenAiEmbeddings,
    /// OpenAI `POST /responses`.
    OpenAiResponses,
    /// Anthropic `POST /v1/messages`.
    AnthropicMessages,
}

impl Api {
    /// Recognises an API call by method (`POST` only) and URL path, tolerating prefixes
    /// (`/v1`, `/api/v1`, `/openai/deployments/{d}`, `/openai/v1`) and a trailing slash.
    /// A query string, if left on the path, is ignored.
    pub(crate) fn detect(method: &str, path: &str) -> Option<Api> {
        if !method.eq_ignore_ascii_case("POST") {
            return None;
        }
        let path = path.split(['?', '#']).next().unwrap_or_default();
        // The last two segments (no allocation).
        let (mut previous, mut last) = (None, None);
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            // OpenAI Assistants: `/threads/{id}/messages` and `/threads/{id}/runs` are not
            // model calls.
            if segment == "threads" {
                return None;
            }
            previous = last.replace(segment);
        }
        match (previous, last?) {
            (Some("chat"), "completions") => Some(Api::OpenAiChat),
            (_, "completions") => Some(Api::OpenAiCompletions),
            (_, "embeddings") => Some(Api::OpenAiEmbeddings),
            (_, "responses") => Some(Api::OpenAiResponses),
            (_, "messages") => Some(Api::AnthropicMessages),
            _ => None,
        }
    }

    /// The Azure OpenAI deployment named by a path such as
    /// `/openai/deployments/{deployment}/chat/completions` (any prefix, e.g. an API gateway's).
    /// Azure takes the model from the deployment, so the body usually has no `model`.
    pub(crate) fn azure_deployment(path: &str) -> Option<&str> {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let mut segments = path.split('/').filter(|s| !s.is_empty());
        while let Some(segment) = segments.next() {
            if segment == "openai" {
                let mut rest = segments.clone();
                if rest.next() == Some("deployments") {
                    // The deployment must be followed by the API path.
                    return rest.next().filter(|_| rest.next().is_some());
                }
            }
        }
        None
    }

    /// The GenAI operation of a call to this API.
    pub(crate) fn operation(self) -> Operation {
        match self {
            Api::OpenAiChat | Api::OpenAiResponses | Api::AnthropicMessages => Operation::Chat,
            Api::OpenAiCompletions => Operation::TextCompletion,
            Api::OpenAiEmbeddings => Operation::Embeddings,
        }
    }

    /// Parses a request body. Never fails: problems become diagnostics.
    pub(crate) fn parse_request(self, body: &[u8], capture_content: bool) -> ParsedRequest {
        match self {
            Api::AnthropicMessages => anthropic::parse_request(body, capture_content),
            _ => openai::parse_request(self, body, capture_content),
        }
    }

    /// Parses a successful (2xx) JSON response body. Never fails: problems become diagnostics.
    pub(crate) fn parse_response(self, body: &[u8], capture_content: bool) -> ParsedResponse {
        match self {
            Api::AnthropicMessages => anthropic::parse_response(body, capture_content),
            _ => openai::parse_response(self, body, capture_content),
        }
    }

    /// The error of a non-2xx response: `error.type` is the provider's error code if it is a
    /// string, else its error type, else the HTTP status code; the message is the provider's
    /// message, else the start of the body.
    pub(crate) fn parse_error(self, status: u16, body: &[u8]) -> ErrorInfo {
        super::model::parse_error(status, body)
    }

    /// An incremental parser for a `text/event-stream` response body.
    pub(crate) fn stream_parser(self, capture_content: bool) -> StreamParser {
        StreamParser::new(self, capture_content)
    }
}

#[cfg(test)]
#[path = "api_tests.rs"]
mod tests;
