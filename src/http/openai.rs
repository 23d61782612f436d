//! OpenAI-compatible APIs: chat completions, legacy completions, embeddings, Responses.

use super::api::Api;
use super::model::{parse_object, ParsedRequest, ParsedResponse};

/// Parses an OpenAI-compatible request body.
pub(crate) fn parse_request(api: Api, body: &[u8], capture_content: bool) -> ParsedRequest {
    let _ = (api, capture_content);
    let mut out = ParsedRequest::default();
    let _ = parse_object(body, "request body", &mut out.diagnostics);
    out
}

/// Parses an OpenAI-compatible 2xx response body.
pub(crate) fn parse_response(api: Api, body: &[u8], capture_content: bool) -> ParsedResponse {
    let _ = (api, capture_content);
    let mut out = ParsedResponse::default();
    let _ = parse_object(body, "response body", &mut out.diagnostics);
    out
}
