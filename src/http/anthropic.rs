//! The Anthropic Messages API.

use super::model::{parse_object, ParsedRequest, ParsedResponse};

/// Parses an Anthropic request body.
pub(crate) fn parse_request(body: &[u8], capture_content: bool) -> ParsedRequest {
    let _ = capture_content;
    let mut out = ParsedRequest::default();
    let _ = parse_object(body, "request body", &mut out.diagnostics);
    out
}

/// Parses an Anthropic 2xx response body.
pub(crate) fn parse_response(body: &[u8], capture_content: bool) -> ParsedResponse {
    let _ = capture_content;
    let mut out = ParsedResponse::default();
    let _ = parse_object(body, "response body", &mut out.diagnostics);
    out
}
