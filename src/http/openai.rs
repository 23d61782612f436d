//! OpenAI-compatible APIs: chat completions, legacy completions, embeddings, Responses.
//! Request parameters, usage and finish reasons always, from typed views of the body
//! ([`super::views`]); messages and tool definitions only with content capture
//! ([`super::openai_content`]). Unknown fields are ignored; fields of the wrong type are
//! diagnosed.

use opentelemetry::KeyValue;

use crate::semconv;
use crate::{ErrorInfo, Usage};

use super::api::Api;
use super::lenient::{Json, Scalar, parse_view};
use super::model::{ParsedRequest, ParsedResponse, content_object};
use super::openai_content;
use super::views::{OpenAiRequest, OpenAiResponse, UsageCounts, embedded_error};

/// Parses an OpenAI-compatible request body.
pub(crate) fn parse_request(api: Api, body: &[u8], capture_content: bool) -> ParsedRequest {
    let mut out = ParsedRequest::default();
    let Some(m) = parse_view::<OpenAiRequest<'_>>(body, "request body", &mut out.diagnostics)
    else {
        return out;
    };
    let d = &mut out.diagnostics;
    let r = &mut out.request;
    r.model = m.model.model(d);
    r.temperature = m.temperature.f64("temperature", d);
    r.top_p = m.top_p.f64("top_p", d);
    // `top_k` is not OpenAI's, but vLLM, Ollama and LiteLLM accept it.
    r.top_k = m.top_k.i64("top_k", d);
    r.frequency_penalty = m.frequency_penalty.f64("frequency_penalty", d);
    r.presence_penalty = m.presence_penalty.f64("presence_penalty", d);
    r.seed = m.seed.i64("seed", d);
    r.choice_count = m.n.i64("n", d);
    r.stop_sequences = m.stop.string_list();
    r.stream = m.stream.bool();
    r.max_tokens = [
        ("max_completion_tokens", &m.max_completion_tokens),
        ("max_tokens", &m.max_tokens),
        ("max_output_tokens", &m.max_output_tokens),
    ]
    .into_iter()
    .find_map(|(k, v)| v.i64(k, d));
    r.reasoning_level = m
        .reasoning_effort
        .shared()
        .or_else(|| m.reasoning.obj().and_then(|o| o.effort.shared()));
    r.previous_response_id = m.previous_response_id.shared();
    if let Some(format) = m.encoding_format.string() {
        r.encoding_formats = Some(vec![format]);
    }
    if api == Api::OpenAiEmbeddings {
        out.embeddings_dimension_count = m.dimensions.i64("dimensions", d);
    }
    if let Some(tier) = m.service_tier.string() {
        out.provider_attributes
            .push(KeyValue::new(semconv::OPENAI_REQUEST_SERVICE_TIER, tier));
    }
    let api_type = match api {
        Api::OpenAiChat => Some("chat_completions"),
        Api::OpenAiResponses => Some("responses"),
        _ => None,
    };
    if let Some(t) = api_type {
        out.provider_attributes
            .push(KeyValue::new(semconv::OPENAI_API_TYPE, t));
    }
    // Chat: `response_format.type`; Responses: `text.format.type`.
    let format = m
        .response_format
        .obj()
        .or_else(|| m.text.obj().and_then(|t| t.format.obj()))
        .and_then(|f| f.kind.str());
    let audio = m
        .modalities
        .items()
        .iter()
        .any(|x| x.as_str() == Some("audio"));
    out.output_type = match format {
        Some("json_object" | "json_schema") => Some("json".to_string()),
        // Chat `modalities: ["text", "audio"]` asks for spoken output.
        _ if audio => Some("speech".to_string()),
        Some("text") => Some("text".to_string()),
        _ => None,
    };
    out.conversation_id = match &m.conversation {
        Json::Str(s) if !s.is_empty() => Some(s.to_string()),
        Json::Obj(o) => o.id.string(),
        _ => None,
    };
    if capture_content && let Some(v) = content_object(body) {
        openai_content::request_content(api, &v, &mut out);
    }
    out
}

/// Parses an OpenAI-compatible 2xx response body.
pub(crate) fn parse_response(api: Api, body: &[u8], capture_content: bool) -> ParsedResponse {
    let mut out = ParsedResponse::default();
    let Some(m) = parse_view::<OpenAiResponse<'_>>(body, "response body", &mut out.diagnostics)
    else {
        return out;
    };
    out.error = embedded_error(&m.error);
    match api {
        Api::OpenAiEmbeddings => embeddings_response(&m, &mut out),
        Api::OpenAiResponses => {
            let reason = responses_response(&m, &mut out);
            if capture_content && let Some(v) = content_object(body) {
                openai_content::responses_output(&v, reason.as_deref(), &mut out);
            }
        }
        _ => {
            chat_response(&m, &mut out);
            if capture_content && let Some(v) = content_object(body) {
                openai_content::chat_output(&v, &mut out);
            }
        }
    }
    out
}

/// Id, model, fingerprint and service tier of a chat/completions response or chunk.
pub(crate) fn chat_header(
    id: &Scalar<'_>,
    model: &Scalar<'_>,
    fingerprint: &Scalar<'_>,
    service_tier: &Scalar<'_>,
    out: &mut ParsedResponse,
) {
    if out.response.id.is_none() {
        out.response.id = id.shared();
    }
    if out.response.model.is_none() {
        out.response.model = model.shared();
    }
    for (value, attr) in [
        (fingerprint, semconv::OPENAI_RESPONSE_SYSTEM_FINGERPRINT),
        (service_tier, semconv::OPENAI_RESPONSE_SERVICE_TIER),
    ] {
        if let Some(v) = value.str()
            && !out
                .provider_attributes
                .iter()
                .any(|kv| kv.key.as_str() == attr)
        {
            out.provider_attributes
                .push(KeyValue::new(attr, v.to_string()));
        }
    }
}

/// One finish reason per generation, in choice order, `error` for a generation whose reason
/// never arrived (`None`: no generation reported one).
pub(crate) fn positional_reasons(
    reasons: impl Iterator<Item = Option<String>>,
) -> Option<Vec<String>> {
    let reasons: Vec<Option<String>> = reasons.collect();
    if reasons.iter().all(Option::is_none) {
        return None;
    }
    Some(
        reasons
            .into_iter()
            .map(|r| r.unwrap_or_else(|| "error".to_owned()))
            .collect(),
    )
}

fn chat_response(m: &OpenAiResponse<'_>, out: &mut ParsedResponse) {
    chat_header(&m.id, &m.model, &m.system_fingerprint, &m.service_tier, out);
    let mut reasons: Vec<(i64, Option<String>)> = m
        .choices
        .items()
        .iter()
        .filter_map(Json::obj)
        .enumerate()
        .map(|(i, c)| {
            (
                c.index.as_i64().unwrap_or(i as i64),
                c.finish_reason.string(),
            )
        })
        .collect();
    reasons.sort_by_key(|(i, _)| *i);
    out.response.finish_reasons = positional_reasons(reasons.into_iter().map(|(_, r)| r));
    if let Some(u) = m.usage.obj() {
        out.usage = usage(u, &mut out.diagnostics);
    }
}

/// The schema's finish reason for an output message from an OpenAI finish reason.
pub(crate) fn output_finish_reason(raw: &str) -> &str {
    match raw {
        "tool_calls" | "function_call" => "tool_call",
        other => other,
    }
}

/// Usage of chat/completions (`prompt_tokens`, ...) and Responses (`input_tokens`, ...), with
/// the details where the API reports them: cached and reasoning tokens, and the per-modality
/// counts (`text_tokens`, `image_tokens`, `audio_tokens` of the input and output details, and
/// `cached_tokens_details` of the input, as the audio, realtime and image models report).
pub(crate) fn usage(u: &UsageCounts<'_>, d: &mut Vec<String>) -> Usage {
    let input_details = [
        &u.prompt_tokens_details,
        &u.input_tokens_details,
        &u.input_token_details,
    ]
    .into_iter()
    .find_map(Json::obj);
    let output_details = [
        &u.completion_tokens_details,
        &u.output_tokens_details,
        &u.output_token_details,
    ]
    .into_iter()
    .find_map(Json::obj);
    let cached_details = input_details.and_then(|i| i.cached_tokens_details.obj());
    // A token count of an optional details object.
    macro_rules! of {
        ($o:expr, $field:ident) => {
            $o.and_then(|o| o.$field.count(stringify!($field), d))
        };
    }
    Usage {
        input_tokens: u
            .prompt_tokens
            .count("prompt_tokens", d)
            .or_else(|| u.input_tokens.count("input_tokens", d)),
        output_tokens: u
            .completion_tokens
            .count("completion_tokens", d)
            .or_else(|| u.output_tokens.count("output_tokens", d)),
        cache_read_input_tokens: of!(input_details, cached_tokens)
            // DeepSeek reports cache hits at the top level.
            .or_else(|| {
                u.prompt_cache_hit_tokens
                    .count("prompt_cache_hit_tokens", d)
            }),
        cache_creation_input_tokens: None,
        reasoning_output_tokens: of!(output_details, reasoning_tokens),
        text_input_tokens: of!(input_details, text_tokens),
        image_input_tokens: of!(input_details, image_tokens),
        audio_input_tokens: of!(input_details, audio_tokens),
        text_output_tokens: of!(output_details, text_tokens),
        image_output_tokens: of!(output_details, image_tokens),
        audio_output_tokens: of!(output_details, audio_tokens),
        text_cache_read_input_tokens: of!(cached_details, text_tokens),
        image_cache_read_input_tokens: of!(cached_details, image_tokens),
        audio_cache_read_input_tokens: of!(cached_details, audio_tokens),
    }
}

fn embeddings_response(m: &OpenAiResponse<'_>, out: &mut ParsedResponse) {
    out.response.model = m.model.shared();
    out.response.id = m.id.shared();
    if let Some(u) = m.usage.obj() {
        out.usage = usage(u, &mut out.diagnostics);
    }
    let first = m.data.items().first().and_then(Json::obj);
    out.embeddings_dimension_count = match first.map(|e| &e.embedding) {
        Some(Json::Arr(v)) => i64::try_from(v.len()).ok(),
        Some(Json::Str(b64)) => base64_f32_count(b64),
        _ => None,
    };
}

/// How many little-endian `f32`s a base64 string holds.
fn base64_f32_count(b64: &str) -> Option<i64> {
    let s = b64.trim();
    let unpadded = s.trim_end_matches('=').len();
    let bytes = unpadded * 3 / 4;
    i64::try_from(bytes / 4).ok()
}

/// The Responses API's full `response` object (a body, or `response.completed` in a stream);
/// returns the finish reason it gives the output message.
pub(crate) fn responses_response(
    m: &OpenAiResponse<'_>,
    out: &mut ParsedResponse,
) -> Option<String> {
    out.response.id = m.id.shared().or(out.response.id.take());
    out.response.model = m.model.shared().or(out.response.model.take());
    let status = m.status.string();
    if let Some(tier) = m.service_tier.string() {
        out.provider_attributes
            .retain(|kv| kv.key.as_str() != semconv::OPENAI_RESPONSE_SERVICE_TIER);
        out.provider_attributes
            .push(KeyValue::new(semconv::OPENAI_RESPONSE_SERVICE_TIER, tier));
    }
    if let Some(u) = m.usage.obj() {
        out.usage = usage(u, &mut out.diagnostics);
    }
    if let Some(e) = m.error.obj() {
        out.error = Some(ErrorInfo {
            error_type: e
                .code
                .string()
                .or_else(|| e.kind.string())
                .unwrap_or_else(|| semconv::ERROR_TYPE_OTHER.to_string()),
            message: e.message.string(),
        });
    }
    let calls_tool = m
        .output
        .items()
        .iter()
        .filter_map(Json::obj)
        .any(|i| i.kind.str() == Some("function_call"));
    let reason = match status.as_deref() {
        Some("completed") if calls_tool => Some("tool_call".to_string()),
        Some("completed") => Some("stop".to_string()),
        Some("incomplete") => Some(
            match m.incomplete_details.obj().and_then(|i| i.reason.str()) {
                Some("max_output_tokens") => "length".to_string(),
                Some(other) => other.to_string(),
                None => "incomplete".to_string(),
            },
        ),
        Some("failed") => Some("error".to_string()),
        Some(other) => Some(other.to_string()),
        None => None,
    };
    out.response.status = status.map(std::sync::Arc::from);
    if let Some(r) = &reason {
        out.response.finish_reasons = Some(vec![r.clone()]);
    }
    reason
}
