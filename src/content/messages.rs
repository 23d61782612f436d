//! Typed message content, serialised exactly as the GenAI JSON schemas say
//! (`gen_ai.input.messages`, `gen_ai.output.messages`, `gen_ai.system_instructions`,
//! `gen_ai.tool.definitions`).
//!
//! Parts are a closed set of the schema's part types plus [`MessagePart::Generic`] for any other
//! `type`; deserialising a known type that lacks a required property yields a generic part
//! (which is what the schema's `anyOf` accepts too). Extra properties of known part types are
//! not kept.

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Who produced a message (`role`). The schema's roles plus any other string.
///
/// ```
/// use tracing_genai::content::Role;
///
/// assert_eq!(Role::from("user"), Role::User);
/// assert_eq!(Role::from("developer").as_str(), "developer");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// `system`.
    System,
    /// `user`.
    User,
    /// `assistant`.
    Assistant,
    /// `tool`.
    Tool,
    /// Any other role, kept verbatim.
    Other(String),
}

impl Role {
    /// The serialised role.
    pub fn as_str(&self) -> &str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
            Role::Other(s) => s,
        }
    }
}

impl From<&str> for Role {
    fn from(s: &str) -> Self {
        match s {
            "system" => Role::System,
            "user" => Role::User,
            "assistant" => Role::Assistant,
            "tool" => Role::Tool,
            other => Role::Other(other.to_string()),
        }
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Role::from(s.as_str()))
    }
}

/// One part of a message (`parts[]`), tagged by `type` on the wire.
///
/// ```
/// use tracing_genai::content::MessagePart;
///
/// let part = MessagePart::text("hello");
/// assert_eq!(serde_json::to_string(&part).unwrap(), r#"{"type":"text","content":"hello"}"#);
/// let back: MessagePart = serde_json::from_str(r#"{"type":"reasoning","content":"hmm"}"#).unwrap();
/// assert_eq!(back, MessagePart::Reasoning { content: "hmm".into() });
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum MessagePart {
    /// `text`: text sent to or received from the model.
    Text {
        /// The text.
        content: String,
    },
    /// `tool_call`: a tool call requested by the model.
    ToolCall {
        /// Call id.
        id: Option<String>,
        /// Tool name.
        name: String,
        /// Arguments (any JSON).
        arguments: Option<Value>,
    },
    /// `tool_call_response`: a tool result sent to the model.
    ToolCallResponse {
        /// Call id.
        id: Option<String>,
        /// The response (any JSON).
        response: Value,
    },
    /// `server_tool_call`: a tool the provider runs (web search, code interpreter).
    ServerToolCall {
        /// Call id.
        id: Option<String>,
        /// Tool name.
        name: String,
        /// Details: an object with a `type`.
        server_tool_call: Map<String, Value>,
    },
    /// `server_tool_call_response`.
    ServerToolCallResponse {
        /// Call id.
        id: Option<String>,
        /// Details: an object with a `type`.
        server_tool_call_response: Map<String, Value>,
    },
    /// `blob`: inline binary data, base64 in `content`.
    Blob {
        /// IANA MIME type.
        mime_type: Option<String>,
        /// `image`, `video`, `audio`, `document` or another string.
        modality: String,
        /// Base64 data.
        content: String,
    },
    /// `file`: a file pre-uploaded to the provider.
    File {
        /// IANA MIME type.
        mime_type: Option<String>,
        /// Modality.
        modality: String,
        /// Provider file id.
        file_id: String,
    },
    /// `uri`: data referenced by URI.
    Uri {
        /// IANA MIME type.
        mime_type: Option<String>,
        /// Modality.
        modality: String,
        /// The URI.
        uri: String,
    },
    /// `reasoning`: thinking content from the model.
    Reasoning {
        /// The reasoning text.
        content: String,
    },
    /// `compaction`: compacted conversation state.
    Compaction {
        /// Provider id.
        id: Option<String>,
        /// Summary, if unencrypted.
        content: Option<String>,
    },
    /// Any other part: an object whose `type` is a string (kept verbatim; serialised with
    /// `"type": "unknown"` if built without a string `type`).
    Generic(Map<String, Value>),
}

impl MessagePart {
    /// A `text` part.
    ///
    /// ```
    /// let p = tracing_genai::content::MessagePart::text("hi");
    /// assert_eq!(p.part_type(), "text");
    /// ```
    pub fn text(content: impl Into<String>) -> Self {
        MessagePart::Text {
            content: content.into(),
        }
    }

    /// A `tool_call` part.
    ///
    /// ```
    /// let p = tracing_genai::content::MessagePart::tool_call(
    ///     Some("call_1"), "get_weather", serde_json::json!({"city": "Paris"}));
    /// assert_eq!(p.part_type(), "tool_call");
    /// ```
    pub fn tool_call(id: Option<&str>, name: impl Into<String>, arguments: Value) -> Self {
        MessagePart::ToolCall {
            id: id.map(str::to_string),
            name: name.into(),
            arguments: Some(arguments),
        }
    }

    /// A `tool_call_response` part.
    ///
    /// ```
    /// let p = tracing_genai::content::MessagePart::tool_response(Some("call_1"), serde_json::json!("sunny"));
    /// assert_eq!(p.part_type(), "tool_call_response");
    /// ```
    pub fn tool_response(id: Option<&str>, response: Value) -> Self {
        MessagePart::ToolCallResponse {
            id: id.map(str::to_string),
            response,
        }
    }

    /// A `blob` part from base64 data.
    ///
    /// ```
    /// let p = tracing_genai::content::MessagePart::blob("image", Some("image/png"), "iVBORw0KGgo=");
    /// assert_eq!(p.part_type(), "blob");
    /// ```
    pub fn blob(modality: &str, mime_type: Option<&str>, base64: impl Into<String>) -> Self {
        MessagePart::Blob {
            mime_type: mime_type.map(str::to_string),
            modality: modality.to_string(),
            content: base64.into(),
        }
    }

    /// A `uri` part.
    ///
    /// ```
    /// let p = tracing_genai::content::MessagePart::uri("image", None, "gs://b/cat.png");
    /// assert_eq!(p.part_type(), "uri");
    /// ```
    pub fn uri(modality: &str, mime_type: Option<&str>, uri: impl Into<String>) -> Self {
        MessagePart::Uri {
            mime_type: mime_type.map(str::to_string),
            modality: modality.to_string(),
            uri: uri.into(),
        }
    }

    /// The part's `type` on the wire.
    pub fn part_type(&self) -> &str {
        match self {
            MessagePart::Text { .. } => "text",
            MessagePart::ToolCall { .. } => "tool_call",
            MessagePart::ToolCallResponse { .. } => "tool_call_response",
            MessagePart::ServerToolCall { .. } => "server_tool_call",
            MessagePart::ServerToolCallResponse { .. } => "server_tool_call_response",
            MessagePart::Blob { .. } => "blob",
            MessagePart::File { .. } => "file",
            MessagePart::Uri { .. } => "uri",
            MessagePart::Reasoning { .. } => "reasoning",
            MessagePart::Compaction { .. } => "compaction",
            MessagePart::Generic(m) => m.get("type").and_then(Value::as_str).unwrap_or("unknown"),
        }
    }

    fn from_map(mut m: Map<String, Value>) -> Result<Self, String> {
        let ty = match m.get("type") {
            Some(Value::String(t)) => t.clone(),
            _ => return Err("message part without a string \"type\"".to_string()),
        };
        fn s(m: &Map<String, Value>, k: &str) -> Option<String> {
            m.get(k).and_then(Value::as_str).map(str::to_string)
        }
        fn obj_with_type(m: &Map<String, Value>, k: &str) -> Option<Map<String, Value>> {
            match m.get(k) {
                Some(Value::Object(o)) if o.get("type").is_some_and(Value::is_string) => {
                    Some(o.clone())
                }
                _ => None,
            }
        }
        let part = match ty.as_str() {
            "text" => s(&m, "content").map(|content| MessagePart::Text { content }),
            "reasoning" => s(&m, "content").map(|content| MessagePart::Reasoning { content }),
            "tool_call" => s(&m, "name").map(|name| MessagePart::ToolCall {
                id: s(&m, "id"),
                name,
                arguments: m.get("arguments").filter(|v| !v.is_null()).cloned(),
            }),
            "tool_call_response" => m.get("response").map(|r| MessagePart::ToolCallResponse {
                id: s(&m, "id"),
                response: r.clone(),
            }),
            "server_tool_call" => match (s(&m, "name"), obj_with_type(&m, "server_tool_call")) {
                (Some(name), Some(call)) => Some(MessagePart::ServerToolCall {
                    id: s(&m, "id"),
                    name,
                    server_tool_call: call,
                }),
                _ => None,
            },
            "server_tool_call_response" => {
                obj_with_type(&m, "server_tool_call_response").map(|r| {
                    MessagePart::ServerToolCallResponse {
                        id: s(&m, "id"),
                        server_tool_call_response: r,
                    }
                })
            }
            "blob" => match (s(&m, "modality"), s(&m, "content")) {
                (Some(modality), Some(content)) => Some(MessagePart::Blob {
                    mime_type: s(&m, "mime_type"),
                    modality,
                    content,
                }),
                _ => None,
            },
            "file" => match (s(&m, "modality"), s(&m, "file_id")) {
                (Some(modality), Some(file_id)) => Some(MessagePart::File {
                    mime_type: s(&m, "mime_type"),
                    modality,
                    file_id,
                }),
                _ => None,
            },
            "uri" => match (s(&m, "modality"), s(&m, "uri")) {
                (Some(modality), Some(uri)) => Some(MessagePart::Uri {
                    mime_type: s(&m, "mime_type"),
                    modality,
                    uri,
                }),
                _ => None,
            },
            "compaction" => Some(MessagePart::Compaction {
                id: s(&m, "id"),
                content: s(&m, "content"),
            }),
            _ => None,
        };
        Ok(part.unwrap_or_else(|| {
            // A known type missing a required property, or an unknown type: a generic part.
            // Blob bodies that failed the typed form still must not be exported raw.
            if ty == "blob" {
                m.remove("content");
            }
            MessagePart::Generic(m)
        }))
    }
}

impl Serialize for MessagePart {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let MessagePart::Generic(m) = self {
            if m.get("type").is_some_and(Value::is_string) {
                return m.serialize(s);
            }
            // The schema requires a string `type`: a generic part built without one gets
            // `"unknown"`.
            let mut map = s.serialize_map(None)?;
            map.serialize_entry("type", "unknown")?;
            for (k, v) in m.iter().filter(|(k, _)| k.as_str() != "type") {
                map.serialize_entry(k, v)?;
            }
            return map.end();
        }
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("type", self.part_type())?;
        fn opt<M: SerializeMap>(map: &mut M, k: &str, v: &Option<String>) -> Result<(), M::Error> {
            match v {
                Some(v) => map.serialize_entry(k, v),
                None => Ok(()),
            }
        }
        match self {
            MessagePart::Text { content } | MessagePart::Reasoning { content } => {
                map.serialize_entry("content", content)?;
            }
            MessagePart::ToolCall {
                id,
                name,
                arguments,
            } => {
                opt(&mut map, "id", id)?;
                map.serialize_entry("name", name)?;
                if let Some(a) = arguments {
                    map.serialize_entry("arguments", a)?;
                }
            }
            MessagePart::ToolCallResponse { id, response } => {
                opt(&mut map, "id", id)?;
                map.serialize_entry("response", response)?;
            }
            MessagePart::ServerToolCall {
                id,
                name,
                server_tool_call,
            } => {
                opt(&mut map, "id", id)?;
                map.serialize_entry("name", name)?;
                map.serialize_entry("server_tool_call", server_tool_call)?;
            }
            MessagePart::ServerToolCallResponse {
                id,
                server_tool_call_response,
            } => {
                opt(&mut map, "id", id)?;
                map.serialize_entry("server_tool_call_response", server_tool_call_response)?;
            }
            MessagePart::Blob {
                mime_type,
                modality,
                content,
            } => {
                opt(&mut map, "mime_type", mime_type)?;
                map.serialize_entry("modality", modality)?;
                map.serialize_entry("content", content)?;
            }
            MessagePart::File {
                mime_type,
                modality,
                file_id,
            } => {
                opt(&mut map, "mime_type", mime_type)?;
                map.serialize_entry("modality", modality)?;
                map.serialize_entry("file_id", file_id)?;
            }
            MessagePart::Uri {
                mime_type,
                modality,
                uri,
            } => {
                opt(&mut map, "mime_type", mime_type)?;
                map.serialize_entry("modality", modality)?;
                map.serialize_entry("uri", uri)?;
            }
            MessagePart::Compaction { id, content } => {
                opt(&mut map, "id", id)?;
                opt(&mut map, "content", content)?;
            }
            MessagePart::Generic(_) => {}
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for MessagePart {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m = Map::<String, Value>::deserialize(d)?;
        MessagePart::from_map(m).map_err(D::Error::custom)
    }
}

/// An input message (`gen_ai.input.messages[]`).
///
/// ```
/// use tracing_genai::content::{ChatMessage, MessagePart};
///
/// let m = ChatMessage::user("What is the weather in Paris?");
/// assert_eq!(
///     serde_json::to_string(&m).unwrap(),
///     r#"{"role":"user","parts":[{"type":"text","content":"What is the weather in Paris?"}]}"#
/// );
/// let m = ChatMessage::assistant("").with_part(MessagePart::text("more"));
/// assert_eq!(m.parts.len(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChatMessage {
    /// Role.
    pub role: Role,
    /// Parts.
    pub parts: Vec<MessagePart>,
    /// Participant name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl ChatMessage {
    /// A message with `role` and `parts`.
    ///
    /// ```
    /// use tracing_genai::content::{ChatMessage, MessagePart, Role};
    /// let m = ChatMessage::new(Role::Tool, vec![MessagePart::tool_response(Some("c1"), serde_json::json!(21))]);
    /// assert_eq!(m.role, Role::Tool);
    /// ```
    pub fn new(role: Role, parts: Vec<MessagePart>) -> Self {
        ChatMessage {
            role,
            parts,
            name: None,
        }
    }

    /// A `user` message with one text part.
    pub fn user(text: impl Into<String>) -> Self {
        Self::new(Role::User, vec![MessagePart::text(text)])
    }

    /// A `system` message with one text part.
    pub fn system(text: impl Into<String>) -> Self {
        Self::new(Role::System, vec![MessagePart::text(text)])
    }

    /// An `assistant` message with one text part.
    pub fn assistant(text: impl Into<String>) -> Self {
        Self::new(Role::Assistant, vec![MessagePart::text(text)])
    }

    /// A `tool` message carrying one tool result.
    pub fn tool_response(id: Option<&str>, response: Value) -> Self {
        Self::new(Role::Tool, vec![MessagePart::tool_response(id, response)])
    }

    /// Adds a part.
    pub fn with_part(mut self, part: MessagePart) -> Self {
        self.parts.push(part);
        self
    }

    /// Sets the participant name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
}

/// An output message (`gen_ai.output.messages[]`): one choice/candidate, with its finish reason.
///
/// ```
/// use tracing_genai::content::OutputMessage;
///
/// let m = OutputMessage::assistant("It is sunny.", "stop");
/// assert_eq!(
///     serde_json::to_string(&m).unwrap(),
///     r#"{"role":"assistant","parts":[{"type":"text","content":"It is sunny."}],"finish_reason":"stop"}"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OutputMessage {
    /// Role (usually assistant).
    pub role: Role,
    /// Parts.
    pub parts: Vec<MessagePart>,
    /// Participant name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `stop`, `length`, `content_filter`, `tool_call`, `compaction`, `error` or a provider value.
    pub finish_reason: String,
}

impl OutputMessage {
    /// An output message with `role`, `parts` and `finish_reason`.
    ///
    /// ```
    /// use tracing_genai::content::{MessagePart, OutputMessage, Role};
    /// let m = OutputMessage::new(Role::Assistant, vec![MessagePart::text("hi")], "stop");
    /// assert_eq!(m.finish_reason, "stop");
    /// ```
    pub fn new(role: Role, parts: Vec<MessagePart>, finish_reason: impl Into<String>) -> Self {
        OutputMessage {
            role,
            parts,
            name: None,
            finish_reason: finish_reason.into(),
        }
    }

    /// An `assistant` message with one text part.
    pub fn assistant(text: impl Into<String>, finish_reason: impl Into<String>) -> Self {
        Self::new(
            Role::Assistant,
            vec![MessagePart::text(text)],
            finish_reason,
        )
    }

    /// Adds a part.
    pub fn with_part(mut self, part: MessagePart) -> Self {
        self.parts.push(part);
        self
    }
}

/// A tool definition (`gen_ai.tool.definitions[]`).
///
/// ```
/// use tracing_genai::content::ToolDefinition;
///
/// let t = ToolDefinition::function("get_weather")
///     .with_description("Current weather")
///     .with_parameters(serde_json::json!({"type": "object", "properties": {"city": {"type": "string"}}}));
/// assert!(serde_json::to_string(&t).unwrap().starts_with(r#"{"type":"function","name":"get_weather""#));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ToolDefinition {
    /// `function` or another tool type.
    #[serde(rename = "type")]
    pub tool_type: String,
    /// Tool name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema (draft-07) of the parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
}

impl ToolDefinition {
    /// A `function` tool.
    pub fn function(name: impl Into<String>) -> Self {
        ToolDefinition {
            tool_type: "function".to_string(),
            name: name.into(),
            description: None,
            parameters: None,
        }
    }

    /// Sets the description.
    pub fn with_description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }

    /// Sets the parameters schema.
    pub fn with_parameters(mut self, p: Value) -> Self {
        self.parameters = Some(p);
        self
    }
}
