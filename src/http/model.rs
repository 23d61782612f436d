//! What the parsers extract from an LLM API request or response body, and the small JSON helpers
//! they share. Pure data: no I/O, no reqwest.

use opentelemetry::KeyValue;
use serde_json::{Map, Value};

use crate::content::{ChatMessage, MessagePart, OutputMessage, ToolDefinition};
use crate::{ErrorInfo, Request, Response, Usage};

/// What a request body says about the call.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ParsedRequest {
    /// Model and parameters (`gen_ai.request.*`).
    pub(crate) request: Request,
    /// `openai.request.service_tier`, `openai.api.type`.
    pub(crate) provider_attributes: Vec<KeyValue>,
    /// `gen_ai.output.type` from `response_format` / `text.format`.
    pub(crate) output_type: Option<String>,
    /// The Responses API `conversation`.
    pub(crate) conversation_id: Option<String>,
    /// `gen_ai.embeddings.dimension.count` requested with `dimensions` (embeddings).
    pub(crate) embeddings_dimension_count: Option<i64>,
    /// Input messages; only with content capture.
    pub(crate) input_messages: Vec<ChatMessage>,
    /// Anthropic `system`, Responses `instructions`; only with content capture.
    pub(crate) system_instructions: Vec<MessagePart>,
    /// `tools`; only with content capture (`gen_ai.tool.definitions` is opt-in).
    pub(crate) tool_definitions: Vec<ToolDefinition>,
    /// Parsing problems; never an error for the caller.
    pub(crate) diagnostics: Vec<String>,
}

/// What a response body (or a whole event stream) says about the call.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ParsedResponse {
    /// Id, model, finish reasons, status (`gen_ai.response.*`).
    pub(crate) response: Response,
    /// Token usage.
    pub(crate) usage: Usage,
    /// Output messages; only with content capture.
    pub(crate) output_messages: Vec<OutputMessage>,
    /// `gen_ai.embeddings.dimension.count` measured on the first returned embedding.
    pub(crate) embeddings_dimension_count: Option<i64>,
    /// `openai.response.service_tier`, `openai.response.system_fingerprint`.
    pub(crate) provider_attributes: Vec<KeyValue>,
    /// An error object inside a successful body or stream.
    pub(crate) error: Option<ErrorInfo>,
    /// Parsing problems; never an error for the caller.
    pub(crate) diagnostics: Vec<String>,
}

/// At most this many distinct diagnostics are kept per request or response.
pub(crate) const MAX_DIAGNOSTICS: usize = 16;

/// Captured text per response is cut at this many bytes (streamed or not).
pub(crate) const CONTENT_CAP: usize = 1 << 20;

/// Adds a diagnostic once, bounded.
pub(crate) fn diagnose(diagnostics: &mut Vec<String>, message: impl Into<String>) {
    let message = message.into();
    if diagnostics.len() < MAX_DIAGNOSTICS && !diagnostics.contains(&message) {
        diagnostics.push(message);
    }
}

/// The whole body as a `serde_json` object, for the content parsers (content capture only:
/// the span attributes come from the typed views of [`super::views`], which have diagnosed
/// a body that is not a JSON object).
pub(crate) fn content_object(body: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// A message content value as exported: an array whose items are all text parts (`is_text`,
/// each with a string `text`) becomes their joined text; anything else is kept as it is.
pub(crate) fn joined_texts(
    content: Option<&Value>,
    is_text: impl Fn(&Map<String, Value>) -> bool,
) -> Value {
    match content {
        Some(Value::Array(items)) => {
            let texts: Vec<&str> = items
                .iter()
                .filter_map(Value::as_object)
                .filter(|o| is_text(o))
                .filter_map(|o| o.get("text").and_then(Value::as_str))
                .collect();
            if texts.len() == items.len() {
                Value::String(texts.concat())
            } else {
                Value::Array(items.clone())
            }
        }
        Some(v) => v.clone(),
        None => Value::Null,
    }
}

/// A non-empty string member.
pub(crate) fn str_of<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// A non-empty string member, owned.
pub(crate) fn string_of(m: &Map<String, Value>, key: &str) -> Option<String> {
    str_of(m, key).map(str::to_string)
}

/// An object member.
pub(crate) fn obj_of<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    m.get(key).and_then(Value::as_object)
}

/// An array member.
pub(crate) fn arr_of<'a>(m: &'a Map<String, Value>, key: &str) -> &'a [Value] {
    m.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// A tool-call `arguments` string parsed as JSON, else kept as a JSON string.
pub(crate) fn arguments_value(arguments: &str) -> Option<Value> {
    if arguments.trim().is_empty() {
        return None;
    }
    Some(serde_json::from_str(arguments).unwrap_or_else(|_| Value::String(arguments.to_string())))
}

/// A `data:` URL (`data:image/png;base64,AAAA`) as a blob part, else a `uri` part.
pub(crate) fn url_part(modality: &str, url: &str) -> MessagePart {
    if let Some(rest) = url.strip_prefix("data:")
        && let Some((meta, data)) = rest.split_once(',')
        && let Some(mime) = meta.strip_suffix(";base64")
    {
        let mime = (!mime.is_empty()).then_some(mime);
        return MessagePart::blob(modality, mime, data);
    }
    MessagePart::uri(modality, None, url)
}

/// A part of an unknown content type, kept as a generic part (the `type` is kept; a blob-like
/// payload is not).
pub(crate) fn generic_part(item: &Map<String, Value>) -> MessagePart {
    let mut m = Map::new();
    let ty = str_of(item, "type").unwrap_or("unknown");
    m.insert("type".to_string(), Value::String(ty.to_string()));
    MessagePart::Generic(m)
}

/// Error messages taken from a non-JSON body are cut at this many bytes.
const ERROR_BODY_CAP: usize = 512;

/// The error of a non-2xx response (see [`super::Api::parse_error`]).
pub(crate) fn parse_error(status: u16, body: &[u8]) -> ErrorInfo {
    let parsed = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| error_parts(&v));
    let (error_type, message) = parsed.unwrap_or((None, None));
    ErrorInfo {
        error_type: error_type.unwrap_or_else(|| status.to_string()),
        message: message.or_else(|| body_excerpt(body)),
    }
}

/// `(error.type, message)` of a non-2xx body, from the error shapes in use (the error object
/// inside a 2xx body is read by the typed views, [`super::views::embedded_error`]): OpenAI `{"error": {"message", "type",
/// "param", "code"}}`, Anthropic `{"type": "error", "error": {"type", "message"}}`, Ollama
/// `{"error": "..."}`, vLLM `{"object": "error", "message", "type", "code": 400}`, FastAPI
/// `{"detail": ...}`.
fn error_parts(v: &Value) -> Option<(Option<String>, Option<String>)> {
    let m = v.as_object()?;
    let code_or_type = |e: &Map<String, Value>| {
        string_of(e, "code").or_else(|| string_of(e, "type").filter(|t| t != "error"))
    };
    match m.get("error") {
        Some(Value::Object(e)) => return Some((code_or_type(e), string_of(e, "message"))),
        Some(Value::String(s)) => return Some((None, (!s.is_empty()).then(|| s.clone()))),
        _ => {}
    }
    if m.contains_key("message") || m.get("object").and_then(Value::as_str) == Some("error") {
        return Some((code_or_type(m), string_of(m, "message")));
    }
    match m.get("detail") {
        Some(Value::String(s)) if !s.is_empty() => Some((None, Some(s.clone()))),
        Some(d) if !d.is_null() => Some((None, Some(d.to_string()))),
        _ => None,
    }
}

/// The start of a non-JSON error body, as text.
fn body_excerpt(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&body[..body.len().min(ERROR_BODY_CAP)]);
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// A running budget of captured text bytes for one response.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ContentBudget {
    used: usize,
    exhausted: bool,
}

impl ContentBudget {
    /// Appends as much of `text` as the budget allows (cut on a char boundary).
    pub(crate) fn push(&mut self, target: &mut String, text: &str, diagnostics: &mut Vec<String>) {
        if self.exhausted {
            return;
        }
        let room = CONTENT_CAP.saturating_sub(self.used);
        if text.len() <= room {
            target.push_str(text);
            self.used += text.len();
            return;
        }
        let mut cut = room;
        while cut > 0 && !text.is_char_boundary(cut) {
            cut -= 1;
        }
        target.push_str(&text[..cut]);
        self.used += cut;
        self.exhausted = true;
        diagnose(
            diagnostics,
            format!("captured output content cut at {CONTENT_CAP} bytes"),
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn numbers_and_lists() {
        use super::super::lenient::{Json, Scalar, json_view, parse_view};
        json_view! {
            struct Members<'a> {
                a: Scalar<'a> = "a",
                b: Scalar<'a> = "b",
                c: Scalar<'a> = "c",
                s: Json<'a, super::super::lenient::Skip, Scalar<'a>> = "s",
                l: Json<'a, super::super::lenient::Skip, Scalar<'a>> = "l",
                t: Scalar<'a> = "t",
            }
        }
        fn parse(body: &str) -> Members<'_> {
            parse_view(body.as_bytes(), "body", &mut Vec::new()).unwrap()
        }
        let m = parse(r#"{"a": 2.0, "b": "x", "c": -1, "s": "END", "l": ["a", 1, "b"], "t": 0.5}"#);
        let mut d = Vec::new();
        assert_eq!(m.a.i64("a", &mut d), Some(2));
        assert_eq!(m.b.i64("b", &mut d), None);
        assert_eq!(m.c.count("c", &mut d), None);
        assert_eq!(d.len(), 2);
        assert_eq!(m.t.f64("t", &mut d), Some(0.5));
        assert_eq!(m.s.string_list(), Some(vec!["END".to_string()]));
        assert_eq!(
            m.l.string_list(),
            Some(vec!["a".to_string(), "b".to_string()])
        );
    }

    #[test]
    fn data_urls_become_blobs() {
        assert_eq!(
            url_part("image", "data:image/png;base64,iVBO"),
            MessagePart::blob("image", Some("image/png"), "iVBO")
        );
        assert_eq!(
            url_part("image", "https://x/cat.png"),
            MessagePart::uri("image", None, "https://x/cat.png")
        );
    }

    #[test]
    fn budget_cuts_on_char_boundary() {
        let mut b = ContentBudget::default();
        let mut s = String::new();
        let mut d = Vec::new();
        let big = "é".repeat(CONTENT_CAP / 2 + 10);
        b.push(&mut s, &big, &mut d);
        assert!(s.len() <= CONTENT_CAP);
        assert_eq!(d.len(), 1);
        b.push(&mut s, "more", &mut d);
        assert!(!s.ends_with("more"));
    }

    #[test]
    fn error_shapes() {
        let e = parse_error(
            429,
            br#"{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
        );
        assert_eq!(e.error_type, "rate_limit_exceeded");
        assert_eq!(e.message.as_deref(), Some("Rate limit reached"));
        let e = parse_error(
            500,
            br#"{"error":{"message":"boom","type":"server_error","param":null,"code":null}}"#,
        );
        assert_eq!(e.error_type, "server_error");
        let e = parse_error(
            529,
            br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        );
        assert_eq!(e.error_type, "overloaded_error");
        assert_eq!(e.message.as_deref(), Some("Overloaded"));
        let e = parse_error(404, br#"{"error":"model 'x' not found"}"#);
        assert_eq!(e.error_type, "404");
        assert_eq!(e.message.as_deref(), Some("model 'x' not found"));
        let e = parse_error(
            400,
            br#"{"object":"error","message":"bad","type":"BadRequestError","param":null,"code":400}"#,
        );
        assert_eq!(e.error_type, "BadRequestError");
        let e = parse_error(422, br#"{"detail":"Not Found"}"#);
        assert_eq!(
            (e.error_type.as_str(), e.message.as_deref()),
            ("422", Some("Not Found"))
        );
        let e = parse_error(502, b"<html>Bad Gateway</html>");
        assert_eq!(e.error_type, "502");
        assert_eq!(e.message.as_deref(), Some("<html>Bad Gateway</html>"));
        let e = parse_error(503, b"");
        assert_eq!((e.error_type.as_str(), e.message), ("503", None));
        let e = parse_error(500, &[0xff; 4096]);
        assert!(e.message.unwrap().len() <= 3 * ERROR_BODY_CAP);
    }

    #[test]
    fn embedded_errors() {
        use super::super::lenient::parse_view;
        use super::super::views::{OpenAiResponse, embedded_error};
        let error = |body: &str| {
            let m: OpenAiResponse<'_> =
                parse_view(body.as_bytes(), "body", &mut Vec::new()).unwrap();
            embedded_error(&m.error)
        };
        assert_eq!(
            error(r#"{"error":{"message":"m","type":"server_error"}}"#)
                .unwrap()
                .error_type,
            "server_error"
        );
        assert!(error(r#"{"id":"x","error":null}"#).is_none());
        assert!(error(r#"{"message":"x"}"#).is_none());
        assert!(error(r#"{"error":[]}"#).is_none());
        let e = error(r#"{"error":"model \"x\" not found"}"#).unwrap();
        assert_eq!(
            (e.error_type.as_str(), e.message.as_deref()),
            ("_OTHER", Some("model \"x\" not found"))
        );
    }

    #[test]
    fn bodies_that_are_not_objects() {
        use super::super::lenient::{Skip, parse_view};
        let mut d = Vec::new();
        assert!(parse_view::<Skip>(b"[1]", "request body", &mut d).is_none());
        assert!(parse_view::<Skip>(b"  ", "request body", &mut d).is_none());
        assert!(parse_view::<Skip>(b"<html>", "request body", &mut d).is_none());
        assert!(parse_view::<Skip>(b"{\"a\":\"\xff\"}", "request body", &mut d).is_none());
        assert_eq!(
            d,
            [
                "request body is JSON but not an object",
                "request body is empty",
                "request body is not JSON"
            ]
        );
    }

    /// Everything parsed from the fixtures, with capture on, validates against the semconv JSON
    /// schemas of the content attributes.
    #[test]
    fn captured_content_matches_the_semconv_schemas() {
        use super::super::api::Api;
        macro_rules! fixture {
            ($name:literal) => {
                include_bytes!(concat!("../../tests/data/http/", $name)).as_slice()
            };
        }
        let validator = |file: &str| {
            let path = format!("{}/tests/data/semconv/{file}", env!("CARGO_MANIFEST_DIR"));
            let schema: Value =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft7)
                .build(&schema)
                .unwrap()
        };
        let input = validator("gen-ai-input-messages.json");
        let output = validator("gen-ai-output-messages.json");
        let system = validator("gen-ai-system-instructions.json");
        let tools = validator("gen-ai-tool-definitions.json");
        let check = |v: &jsonschema::Validator, value: Value, what: &str| {
            let errors: Vec<String> = v.iter_errors(&value).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{what}: {errors:?}\n{value}");
        };
        let requests: [(Api, &[u8]); 6] = [
            (Api::OpenAiChat, fixture!("openai_chat_request.json")),
            (Api::OpenAiChat, fixture!("openai_chat_tools_request.json")),
            (
                Api::OpenAiCompletions,
                fixture!("openai_completions_request.json"),
            ),
            (
                Api::OpenAiResponses,
                fixture!("openai_responses_request.json"),
            ),
            (
                Api::AnthropicMessages,
                fixture!("anthropic_messages_request.json"),
            ),
            (
                Api::OpenAiEmbeddings,
                fixture!("openai_embeddings_request.json"),
            ),
        ];
        let mut checked = 0;
        for (api, body) in requests {
            let p = api.parse_request(body, true);
            if !p.input_messages.is_empty() {
                check(
                    &input,
                    serde_json::to_value(&p.input_messages).unwrap(),
                    "input",
                );
                checked += 1;
            }
            if !p.system_instructions.is_empty() {
                check(
                    &system,
                    serde_json::to_value(&p.system_instructions).unwrap(),
                    "system",
                );
            }
            if !p.tool_definitions.is_empty() {
                check(
                    &tools,
                    serde_json::to_value(&p.tool_definitions).unwrap(),
                    "tools",
                );
            }
        }
        let responses: [(Api, &[u8]); 6] = [
            (Api::OpenAiChat, fixture!("openai_chat.json")),
            (Api::OpenAiChat, fixture!("openai_chat_tool_calls.json")),
            (Api::OpenAiCompletions, fixture!("openai_completions.json")),
            (Api::OpenAiResponses, fixture!("openai_responses.json")),
            (Api::AnthropicMessages, fixture!("anthropic_messages.json")),
            (
                Api::AnthropicMessages,
                fixture!("anthropic_messages_tool_use.json"),
            ),
        ];
        for (api, body) in responses {
            let p = api.parse_response(body, true);
            assert!(!p.output_messages.is_empty());
            check(
                &output,
                serde_json::to_value(&p.output_messages).unwrap(),
                "output",
            );
            checked += 1;
        }
        let streams: [(Api, &[u8]); 5] = [
            (Api::OpenAiChat, fixture!("openai_chat_stream.sse")),
            (
                Api::OpenAiChat,
                fixture!("openai_chat_tool_calls_stream.sse"),
            ),
            (
                Api::OpenAiResponses,
                fixture!("openai_responses_stream.sse"),
            ),
            (
                Api::AnthropicMessages,
                fixture!("anthropic_messages_stream.sse"),
            ),
            (
                Api::AnthropicMessages,
                fixture!("anthropic_messages_stream_error.sse"),
            ),
        ];
        for (api, body) in streams {
            let mut s = api.stream_parser(true);
            s.feed(body);
            let p = s.finish();
            check(
                &output,
                serde_json::to_value(&p.output_messages).unwrap(),
                "stream output",
            );
            checked += 1;
        }
        assert_eq!(checked, 16);
        // The validators are not vacuous.
        assert!(!output.is_valid(&serde_json::json!([{"role": "assistant"}])));
        assert!(!tools.is_valid(&serde_json::json!([{"name": 1}])));
    }
}
