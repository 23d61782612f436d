//! Message content of the OpenAI-compatible APIs, read from a `serde_json::Value` of the body
//! only when content capture is on: input messages, system instructions, tool definitions
//! and output messages.

use serde_json::{Map, Value};

use crate::content::{ChatMessage, MessagePart, OutputMessage, Role, ToolDefinition};

use super::api::Api;
use super::model::{
    ParsedRequest, ParsedResponse, arguments_value, arr_of, generic_part, joined_texts, obj_of,
    str_of, string_of, url_part,
};
use super::openai::output_finish_reason;

/// The captured content of a request body.
pub(crate) fn request_content(api: Api, m: &Map<String, Value>, out: &mut ParsedRequest) {
    match api {
        Api::OpenAiChat => {
            out.input_messages = arr_of(m, "messages")
                .iter()
                .filter_map(chat_message)
                .collect();
        }
        Api::OpenAiCompletions => out.input_messages = prompt_messages(m.get("prompt")),
        Api::OpenAiResponses => {
            if let Some(text) = string_of(m, "instructions") {
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
    out.tool_definitions = arr_of(m, "tools")
        .iter()
        .filter_map(tool_definition)
        .collect();
}

/// The output messages of a chat or completions body, one per choice in index order.
pub(crate) fn chat_output(m: &Map<String, Value>, out: &mut ParsedResponse) {
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

/// The output message of a Responses API `response` object; `reason` is its finish reason.
pub(crate) fn responses_output(
    m: &Map<String, Value>,
    reason: Option<&str>,
    out: &mut ParsedResponse,
) {
    let mut parts = Vec::new();
    for item in arr_of(m, "output").iter().filter_map(Value::as_object) {
        responses_output_item(item, &mut parts);
    }
    if !parts.is_empty() {
        out.output_messages = vec![OutputMessage::new(
            Role::Assistant,
            parts,
            reason.unwrap_or("error"),
        )];
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
                joined_texts(m.get("content"), |_| true),
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
            joined_texts(m.get("output"), |_| true),
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
