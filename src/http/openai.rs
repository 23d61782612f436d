//! OpenAI-compatible APIs: chat completions, legacy completions, embeddings, Responses.
//! Request parameters, usage and finish reasons always; messages and tool definitions only with
//! content capture. Unknown fields are ignored; fields of the wrong type are diagnosed.

use opentelemetry::KeyValue;
use serde_json::{Map, Value};

use crate::Usage;
use crate::content::{ChatMessage, MessagePart, OutputMessage, Role, ToolDefinition};
use crate::semconv;

use super::api::Api;
use super::model::{
    ParsedRequest, ParsedResponse, arguments_value, arr_of, bool_of, count_of, embedded_error,
    f64_of, generic_part, i64_of, model_of, obj_of, parse_object, str_of, string_list, string_of,
    url_part,
};

/// Parses an OpenAI-compatible request body.
pub(crate) fn parse_request(api: Api, body: &[u8], capture_content: bool) -> ParsedRequest {
    let mut out = ParsedRequest::default();
    let Some(m) = parse_object(body, "request body", &mut out.diagnostics) else {
        return out;
    };
    let d = &mut out.diagnostics;
    let r = &mut out.request;
    r.model = model_of(&m, d);
    r.temperature = f64_of(&m, "temperature", d);
    r.top_p = f64_of(&m, "top_p", d);
    // `top_k` is not OpenAI's, but vLLM, Ollama and LiteLLM accept it.
    r.top_k = i64_of(&m, "top_k", d);
    r.frequency_penalty = f64_of(&m, "frequency_penalty", d);
    r.presence_penalty = f64_of(&m, "presence_penalty", d);
    r.seed = i64_of(&m, "seed", d);
    r.choice_count = i64_of(&m, "n", d);
    r.stop_sequences = string_list(m.get("stop"));
    r.stream = bool_of(&m, "stream");
    r.max_tokens = ["max_completion_tokens", "max_tokens", "max_output_tokens"]
        .into_iter()
        .find_map(|k| i64_of(&m, k, d));
    r.reasoning_level = string_of(&m, "reasoning_effort")
        .or_else(|| obj_of(&m, "reasoning").and_then(|o| string_of(o, "effort")));
    r.previous_response_id = string_of(&m, "previous_response_id");
    if let Some(format) = string_of(&m, "encoding_format") {
        r.encoding_formats = Some(vec![format]);
    }
    if api == Api::OpenAiEmbeddings {
        out.embeddings_dimension_count = i64_of(&m, "dimensions", d);
    }
    if let Some(tier) = string_of(&m, "service_tier") {
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
    let format = obj_of(&m, "response_format")
        .or_else(|| obj_of(&m, "text").and_then(|t| obj_of(t, "format")))
        .and_then(|f| str_of(f, "type"));
    let audio = arr_of(&m, "modalities")
        .iter()
        .any(|x| x.as_str() == Some("audio"));
    out.output_type = match format {
        Some("json_object" | "json_schema") => Some("json".to_string()),
        // Chat `modalities: ["text", "audio"]` asks for spoken output.
        _ if audio => Some("speech".to_string()),
        Some("text") => Some("text".to_string()),
        _ => None,
    };
    out.conversation_id = match m.get("conversation") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Object(o)) => string_of(o, "id"),
        _ => None,
    };
    if !capture_content {
        return out;
    }
    match api {
        Api::OpenAiChat => {
            out.input_messages = arr_of(&m, "messages")
                .iter()
                .filter_map(chat_message)
                .collect();
        }
        Api::OpenAiCompletions => out.input_messages = prompt_messages(m.get("prompt")),
        Api::OpenAiResponses => {
            if let Some(text) = string_of(&m, "instructions") {
                out.system_instructions.push(MessagePart::text(text));
            }
            out.input_messages = match m.get("input") {
                Some(Value::String(s)) => vec![ChatMessage::user(s.clone())],
                Some(Value::Array(items)) => items.iter().filter_map(responses_input).collect(),
                _ => Vec::new(),
            };
        }
        Api::OpenAiEmbeddings | Api::AnthropicMessages => {}
    }
    out.tool_definitions = arr_of(&m, "tools")
        .iter()
        .filter_map(tool_definition)
        .collect();
    out
}

/// Parses an OpenAI-compatible 2xx response body.
pub(crate) fn parse_response(api: Api, body: &[u8], capture_content: bool) -> ParsedResponse {
    let mut out = ParsedResponse::default();
    let Some(m) = parse_object(body, "response body", &mut out.diagnostics) else {
        return out;
    };
    out.error = embedded_error(&m);
    match api {
        Api::OpenAiEmbeddings => embeddings_response(&m, &mut out),
        Api::OpenAiResponses => responses_response(&m, capture_content, &mut out),
        _ => chat_response(&m, capture_content, &mut out),
    }
    out
}

/// Id, model, fingerprint and service tier of a chat/completions response or chunk.
pub(crate) fn chat_header(m: &Map<String, Value>, out: &mut ParsedResponse) {
    if out.response.id.is_none() {
        out.response.id = string_of(m, "id");
    }
    if out.response.model.is_none() {
        out.response.model = string_of(m, "model");
    }
    for (key, attr) in [
        (
            "system_fingerprint",
            semconv::OPENAI_RESPONSE_SYSTEM_FINGERPRINT,
        ),
        ("service_tier", semconv::OPENAI_RESPONSE_SERVICE_TIER),
    ] {
        if let Some(v) = string_of(m, key)
            && !out
                .provider_attributes
                .iter()
                .any(|kv| kv.key.as_str() == attr)
        {
            out.provider_attributes.push(KeyValue::new(attr, v));
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

fn chat_response(m: &Map<String, Value>, capture: bool, out: &mut ParsedResponse) {
    chat_header(m, out);
    let mut choices: Vec<(i64, &Map<String, Value>)> = arr_of(m, "choices")
        .iter()
        .filter_map(Value::as_object)
        .enumerate()
        .map(|(i, c)| {
            (
                c.get("index").and_then(Value::as_i64).unwrap_or(i as i64),
                c,
            )
        })
        .collect();
    choices.sort_by_key(|(i, _)| *i);
    out.response.finish_reasons =
        positional_reasons(choices.iter().map(|(_, c)| string_of(c, "finish_reason")));
    if let Some(u) = obj_of(m, "usage") {
        out.usage = usage(u, &mut out.diagnostics);
    }
    if !capture {
        return;
    }
    for (_, c) in choices {
        let mut parts = Vec::new();
        if let Some(text) = str_of(c, "text") {
            parts.push(MessagePart::text(text));
        }
        let role = match obj_of(c, "message") {
            Some(msg) => {
                assistant_parts(msg, &mut parts);
                str_of(msg, "role").unwrap_or("assistant")
            }
            None => "assistant",
        };
        let reason = str_of(c, "finish_reason").map_or("error", output_finish_reason);
        out.output_messages
            .push(OutputMessage::new(Role::from(role), parts, reason));
    }
}

/// Parts of an assistant message (or a stream delta's settled form): reasoning, text, refusal,
/// tool calls.
fn assistant_parts(msg: &Map<String, Value>, parts: &mut Vec<MessagePart>) {
    if let Some(r) = str_of(msg, "reasoning_content").or_else(|| str_of(msg, "reasoning")) {
        parts.push(MessagePart::Reasoning {
            content: r.to_string(),
        });
    }
    content_parts(msg.get("content"), parts);
    if let Some(r) = str_of(msg, "refusal") {
        parts.push(MessagePart::text(r));
    }
    for call in arr_of(msg, "tool_calls") {
        if let Some(part) = call.as_object().and_then(tool_call_part) {
            parts.push(part);
        }
    }
    if let Some(f) = obj_of(msg, "function_call")
        && let Some(name) = str_of(f, "name")
    {
        parts.push(MessagePart::ToolCall {
            id: None,
            name: name.to_string(),
            arguments: str_of(f, "arguments").and_then(arguments_value),
        });
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
pub(crate) fn usage(u: &Map<String, Value>, d: &mut Vec<String>) -> Usage {
    const INPUT: [&str; 3] = [
        "prompt_tokens_details",
        "input_tokens_details",
        "input_token_details",
    ];
    const OUTPUT: [&str; 3] = [
        "completion_tokens_details",
        "output_tokens_details",
        "output_token_details",
    ];
    let first =
        |keys: [&str; 2], d: &mut Vec<String>| keys.into_iter().find_map(|k| count_of(u, k, d));
    let input_details = INPUT.into_iter().find_map(|k| obj_of(u, k));
    let output_details = OUTPUT.into_iter().find_map(|k| obj_of(u, k));
    let cached_details = input_details.and_then(|i| obj_of(i, "cached_tokens_details"));
    let of = |o: Option<&Map<String, Value>>, field: &str, d: &mut Vec<String>| {
        o.and_then(|o| count_of(o, field, d))
    };
    Usage {
        input_tokens: first(["prompt_tokens", "input_tokens"], d),
        output_tokens: first(["completion_tokens", "output_tokens"], d),
        cache_read_input_tokens: of(input_details, "cached_tokens", d)
            // DeepSeek reports cache hits at the top level.
            .or_else(|| count_of(u, "prompt_cache_hit_tokens", d)),
        cache_creation_input_tokens: None,
        reasoning_output_tokens: of(output_details, "reasoning_tokens", d),
        text_input_tokens: of(input_details, "text_tokens", d),
        image_input_tokens: of(input_details, "image_tokens", d),
        audio_input_tokens: of(input_details, "audio_tokens", d),
        text_output_tokens: of(output_details, "text_tokens", d),
        image_output_tokens: of(output_details, "image_tokens", d),
        audio_output_tokens: of(output_details, "audio_tokens", d),
        text_cache_read_input_tokens: of(cached_details, "text_tokens", d),
        image_cache_read_input_tokens: of(cached_details, "image_tokens", d),
        audio_cache_read_input_tokens: of(cached_details, "audio_tokens", d),
    }
}

fn embeddings_response(m: &Map<String, Value>, out: &mut ParsedResponse) {
    out.response.model = string_of(m, "model");
    out.response.id = string_of(m, "id");
    if let Some(u) = obj_of(m, "usage") {
        out.usage = usage(u, &mut out.diagnostics);
    }
    let first = arr_of(m, "data").first().and_then(Value::as_object);
    out.embeddings_dimension_count = match first.and_then(|e| e.get("embedding")) {
        Some(Value::Array(v)) => i64::try_from(v.len()).ok(),
        Some(Value::String(b64)) => base64_f32_count(b64),
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

/// The Responses API's full `response` object (a body, or `response.completed` in a stream).
pub(crate) fn responses_response(m: &Map<String, Value>, capture: bool, out: &mut ParsedResponse) {
    out.response.id = string_of(m, "id").or(out.response.id.take());
    out.response.model = string_of(m, "model").or(out.response.model.take());
    let status = string_of(m, "status");
    if let Some(tier) = string_of(m, "service_tier") {
        out.provider_attributes
            .retain(|kv| kv.key.as_str() != semconv::OPENAI_RESPONSE_SERVICE_TIER);
        out.provider_attributes
            .push(KeyValue::new(semconv::OPENAI_RESPONSE_SERVICE_TIER, tier));
    }
    if let Some(u) = obj_of(m, "usage") {
        out.usage = usage(u, &mut out.diagnostics);
    }
    if let Some(e) = obj_of(m, "error") {
        out.error = Some(crate::ErrorInfo {
            error_type: string_of(e, "code")
                .or_else(|| string_of(e, "type"))
                .unwrap_or_else(|| semconv::ERROR_TYPE_OTHER.to_string()),
            message: string_of(e, "message"),
        });
    }
    let items: Vec<&Map<String, Value>> = arr_of(m, "output")
        .iter()
        .filter_map(Value::as_object)
        .collect();
    let calls_tool = items
        .iter()
        .any(|i| str_of(i, "type") == Some("function_call"));
    let reason = match status.as_deref() {
        Some("completed") if calls_tool => Some("tool_call".to_string()),
        Some("completed") => Some("stop".to_string()),
        Some("incomplete") => Some(
            match obj_of(m, "incomplete_details").and_then(|i| str_of(i, "reason")) {
                Some("max_output_tokens") => "length".to_string(),
                Some(other) => other.to_string(),
                None => "incomplete".to_string(),
            },
        ),
        Some("failed") => Some("error".to_string()),
        Some(other) => Some(other.to_string()),
        None => None,
    };
    out.response.status = status;
    if let Some(r) = &reason {
        out.response.finish_reasons = Some(vec![r.clone()]);
    }
    if !capture {
        return;
    }
    let mut parts = Vec::new();
    for item in items {
        responses_output_item(item, &mut parts);
    }
    if !parts.is_empty() {
        out.output_messages = vec![OutputMessage::new(
            Role::Assistant,
            parts,
            reason.as_deref().unwrap_or("error"),
        )];
    }
}

/// The parts of one Responses API output item.
pub(crate) fn responses_output_item(item: &Map<String, Value>, parts: &mut Vec<MessagePart>) {
    match str_of(item, "type") {
        Some("message") => content_parts(item.get("content"), parts),
        Some("function_call") => {
            if let Some(name) = str_of(item, "name") {
                parts.push(MessagePart::ToolCall {
                    id: string_of(item, "call_id"),
                    name: name.to_string(),
                    arguments: str_of(item, "arguments").and_then(arguments_value),
                });
            }
        }
        Some("reasoning") => {
            let texts: Vec<&str> = arr_of(item, "summary")
                .iter()
                .chain(arr_of(item, "content"))
                .filter_map(Value::as_object)
                .filter_map(|s| str_of(s, "text"))
                .collect();
            if !texts.is_empty() {
                parts.push(MessagePart::Reasoning {
                    content: texts.join("\n"),
                });
            }
        }
        Some(_) => parts.push(generic_part(item)),
        None => {}
    }
}

/// A chat completions request message.
fn chat_message(v: &Value) -> Option<ChatMessage> {
    let m = v.as_object()?;
    let role = str_of(m, "role").unwrap_or("user");
    let mut parts = Vec::new();
    match role {
        "tool" | "function" => {
            let id = str_of(m, "tool_call_id");
            parts.push(MessagePart::tool_response(
                id,
                content_value(m.get("content")),
            ));
            return Some(ChatMessage::new(Role::Tool, parts));
        }
        "assistant" => assistant_parts(m, &mut parts),
        _ => content_parts(m.get("content"), &mut parts),
    }
    let mut msg = ChatMessage::new(Role::from(role), parts);
    msg.name = string_of(m, "name");
    Some(msg)
}

/// A Responses API input item.
fn responses_input(v: &Value) -> Option<ChatMessage> {
    let m = v.as_object()?;
    match str_of(m, "type") {
        Some("function_call") => {
            let mut parts = Vec::new();
            responses_output_item(m, &mut parts);
            Some(ChatMessage::new(Role::Assistant, parts))
        }
        Some("function_call_output") => Some(ChatMessage::tool_response(
            str_of(m, "call_id"),
            content_value(m.get("output")),
        )),
        Some("reasoning") => {
            let mut parts = Vec::new();
            responses_output_item(m, &mut parts);
            (!parts.is_empty()).then(|| ChatMessage::new(Role::Assistant, parts))
        }
        Some("message") | None => {
            let role = str_of(m, "role").unwrap_or("user");
            let mut parts = Vec::new();
            content_parts(m.get("content"), &mut parts);
            Some(ChatMessage::new(Role::from(role), parts))
        }
        Some(_) => None,
    }
}

/// Legacy completions `prompt`: a string or an array of strings (token arrays are skipped).
fn prompt_messages(prompt: Option<&Value>) -> Vec<ChatMessage> {
    match prompt {
        Some(Value::String(s)) => vec![ChatMessage::user(s.clone())],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(ChatMessage::user)
            .collect(),
        _ => Vec::new(),
    }
}

/// Message `content`: a string or an array of content parts (chat and Responses shapes).
pub(crate) fn content_parts(content: Option<&Value>, parts: &mut Vec<MessagePart>) {
    match content {
        Some(Value::String(s)) if !s.is_empty() => parts.push(MessagePart::text(s.clone())),
        Some(Value::Array(items)) => {
            for item in items {
                match item {
                    Value::String(s) => parts.push(MessagePart::text(s.clone())),
                    Value::Object(o) => content_part(o, parts),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

fn content_part(o: &Map<String, Value>, parts: &mut Vec<MessagePart>) {
    let file = |modality: &str, id: &str| MessagePart::File {
        mime_type: None,
        modality: modality.to_string(),
        file_id: id.to_string(),
    };
    match str_of(o, "type") {
        Some("text" | "input_text" | "output_text") => {
            if let Some(t) = o.get("text").and_then(Value::as_str) {
                parts.push(MessagePart::text(t));
            }
        }
        Some("refusal") => {
            if let Some(t) = str_of(o, "refusal") {
                parts.push(MessagePart::text(t));
            }
        }
        Some("image_url") => {
            let url = match o.get("image_url") {
                Some(Value::String(s)) => Some(s.as_str()),
                Some(Value::Object(i)) => str_of(i, "url"),
                _ => None,
            };
            parts.push(url.map_or_else(|| generic_part(o), |u| url_part("image", u)));
        }
        Some("input_image") => parts.push(match (str_of(o, "image_url"), str_of(o, "file_id")) {
            (Some(u), _) => url_part("image", u),
            (None, Some(id)) => file("image", id),
            _ => generic_part(o),
        }),
        Some("input_audio") => {
            let audio = obj_of(o, "input_audio");
            let data = audio.and_then(|a| str_of(a, "data"));
            let mime = audio
                .and_then(|a| str_of(a, "format"))
                .map(|f| format!("audio/{f}"));
            parts.push(match data {
                Some(data) => MessagePart::blob("audio", mime.as_deref(), data),
                None => generic_part(o),
            });
        }
        Some("file" | "input_file") => {
            let f = obj_of(o, "file").unwrap_or(o);
            parts.push(
                match (
                    str_of(f, "file_id"),
                    str_of(f, "file_data"),
                    str_of(f, "file_url"),
                ) {
                    (Some(id), _, _) => file("document", id),
                    (None, Some(data), _) if data.starts_with("data:") => {
                        url_part("document", data)
                    }
                    (None, Some(data), _) => MessagePart::blob("document", None, data),
                    (None, None, Some(url)) => url_part("document", url),
                    _ => generic_part(o),
                },
            );
        }
        Some(_) => parts.push(generic_part(o)),
        None => {}
    }
}

/// A tool message's `content` (or a function call output) as one JSON value: a string, the
/// text parts joined, or the value itself.
fn content_value(content: Option<&Value>) -> Value {
    match content {
        Some(Value::Array(items)) => {
            let texts: Vec<&str> = items
                .iter()
                .filter_map(Value::as_object)
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

/// A chat `tool_calls[]` entry.
fn tool_call_part(call: &Map<String, Value>) -> Option<MessagePart> {
    let f = obj_of(call, "function").or_else(|| obj_of(call, "custom"))?;
    let name = str_of(f, "name")?;
    let arguments = match f.get("arguments").or_else(|| f.get("input")) {
        Some(Value::String(s)) => arguments_value(s),
        Some(Value::Null) | None => None,
        Some(v) => Some(v.clone()),
    };
    Some(MessagePart::ToolCall {
        id: string_of(call, "id"),
        name: name.to_string(),
        arguments,
    })
}

/// A `tools[]` entry: chat (`{"type":"function","function":{...}}`), Responses
/// (`{"type":"function","name":...}`) or a built-in tool (`{"type":"web_search"}`).
pub(crate) fn tool_definition(v: &Value) -> Option<ToolDefinition> {
    let t = v.as_object()?;
    let tool_type = str_of(t, "type").unwrap_or("function");
    let f = obj_of(t, "function")
        .or_else(|| obj_of(t, "custom"))
        .unwrap_or(t);
    let name = str_of(f, "name").unwrap_or(tool_type);
    Some(ToolDefinition {
        tool_type: tool_type.to_string(),
        name: name.to_string(),
        description: string_of(f, "description"),
        parameters: f
            .get("parameters")
            .or_else(|| f.get("input_schema"))
            .filter(|p| !p.is_null())
            .cloned(),
    })
}
