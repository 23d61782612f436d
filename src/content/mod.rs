//! Message content capture with privacy controls.
//!
//! **Off by default.** No prompt, completion, system instruction, tool definition or tool
//! argument/result leaves the process unless content capture is enabled, in code
//! ([`GenAiLayer::with_content_capture`](crate::GenAiLayer::with_content_capture)) or with the
//! environment variable [`ContentCapture::ENV_VAR`]
//! (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` = `NO_CONTENT` | `SPAN_ONLY` |
//! `EVENT_ONLY` | `SPAN_AND_EVENT`, case-insensitive; anything else fails closed to
//! `NO_CONTENT` with one warning). Code overrides the environment.
//!
//! When enabled, content recorded on a span (typed, with [`GenAiContentExt`], or as raw JSON in
//! the `gen_ai.input.messages`, ... fields, which is validated) is exported when the span closes:
//! 1. the redaction hook ([`ContentConfig::redactor`]) sees every part and may edit or drop it;
//! 2. built-in secret scrubbing replaces API keys, bearer tokens and secret-keyed values by
//!    [`REDACTED`];
//! 3. size limits cut long strings inside the JSON (never the JSON text), replace large blobs
//!    by placeholders and drop the oldest messages if needed;
//! 4. the JSON strings are written as span attributes and/or in the
//!    `gen_ai.client.inference.operation.details` span event.
//!
//! Secret scrubbing runs on every GenAI span whether or not content capture is on: on every
//! string attribute, event attribute, the error message, the status description and the span
//! name.
//!
//! ```
//! use opentelemetry::trace::TracerProvider as _;
//! use tracing_subscriber::layer::SubscriberExt;
//! use tracing_genai::content::{ChatMessage, ContentCapture, GenAiContentExt, OutputMessage};
//!
//! let exporter = opentelemetry_sdk::trace::InMemorySpanExporter::default();
//! let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
//!     .with_simple_exporter(exporter.clone())
//!     .build();
//! let layer = tracing_genai::layer()
//!     .with_tracer(provider.tracer("app"))
//!     .with_content_capture(ContentCapture::SpanOnly);
//! tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
//!     let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
//!     span.record_input_messages(&[ChatMessage::user("My key is sk-abcdefghijklmnopqrstuvwx")]);
//!     span.record_output_messages(&[OutputMessage::assistant("Noted.", "stop")]);
//! });
//! let spans = exporter.get_finished_spans().unwrap();
//! let input = spans[0].attributes.iter().find(|kv| kv.key.as_str() == "gen_ai.input.messages").unwrap();
//! let input: serde_json::Value = serde_json::from_str(&input.value.as_str()).unwrap();
//! assert_eq!(input[0]["parts"][0]["content"], "My key is [REDACTED]");
//! ```

mod accumulate;
mod event_scrub;
mod export;
mod layer_ext;
mod messages;
mod redact;
mod span_ext;
mod truncate;

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use serde_json::Value;

pub use accumulate::OutputAccumulator;
pub(crate) use export::finish;
pub use messages::{ChatMessage, MessagePart, OutputMessage, Role, ToolDefinition};
pub use redact::{ContentKind, PartContext, SecretMatcher, SecretPattern, REDACTED};
pub use span_ext::GenAiContentExt;
pub use truncate::TRUNCATION_MARKER;

use crate::capture::Raw;
use crate::semconv as sc;
use crate::state::GenAiSpan;
use redact::{RedactFn, SecretScanner};

/// Span field that turns content capture off for one call: record `false` (or `"off"`,
/// `"no_content"`) in it. `true` does not turn capture on.
///
/// ```
/// let span = tracing::info_span!(
///     "llm",
///     gen_ai.operation.name = "chat",
///     tracing_genai.content.capture = false,
/// );
/// # drop(span);
/// ```
pub const CONTENT_CAPTURE_FIELD: &str = "tracing_genai.content.capture";

/// Where message content is exported (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`).
///
/// ```
/// use tracing_genai::content::ContentCapture;
///
/// assert_eq!(ContentCapture::parse("span_and_event"), Some(ContentCapture::SpanAndEvent));
/// assert_eq!(ContentCapture::parse("true"), None);
/// assert_eq!(ContentCapture::default(), ContentCapture::NoContent);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentCapture {
    /// No content is exported (the default).
    #[default]
    NoContent,
    /// Content attributes on the span.
    SpanOnly,
    /// Content in the `gen_ai.client.inference.operation.details` span event only.
    EventOnly,
    /// Both.
    SpanAndEvent,
}

/// The environment variable held a value that is not a content capture mode.
///
/// ```
/// use tracing_genai::content::ContentCapture;
///
/// let err = ContentCapture::from_env_value("true").unwrap_err();
/// assert!(err.to_string().contains("NO_CONTENT"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid {var} value {value:?}: expected NO_CONTENT, SPAN_ONLY, EVENT_ONLY or SPAN_AND_EVENT; message content capture stays off (NO_CONTENT)", var = ContentCapture::ENV_VAR)]
#[non_exhaustive]
pub struct InvalidContentCapture {
    /// The rejected value (truncated to 64 bytes).
    pub value: String,
}

static WARNED: AtomicBool = AtomicBool::new(false);

impl ContentCapture {
    /// The environment variable read when no mode is set in code.
    pub const ENV_VAR: &'static str = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";

    /// Parses a mode name, case-insensitively (surrounding whitespace ignored).
    pub fn parse(value: &str) -> Option<Self> {
        let v = value.trim();
        [
            ("NO_CONTENT", ContentCapture::NoContent),
            ("SPAN_ONLY", ContentCapture::SpanOnly),
            ("EVENT_ONLY", ContentCapture::EventOnly),
            ("SPAN_AND_EVENT", ContentCapture::SpanAndEvent),
        ]
        .into_iter()
        .find(|(name, _)| v.eq_ignore_ascii_case(name))
        .map(|(_, mode)| mode)
    }

    /// Interprets a value of [`ENV_VAR`](Self::ENV_VAR); an empty value is `NoContent`, an
    /// invalid one an error (callers fail closed to `NoContent`).
    ///
    /// ```
    /// use tracing_genai::content::ContentCapture;
    /// assert_eq!(ContentCapture::from_env_value("Event_Only"), Ok(ContentCapture::EventOnly));
    /// assert_eq!(ContentCapture::from_env_value(""), Ok(ContentCapture::NoContent));
    /// assert!(ContentCapture::from_env_value("false").is_err());
    /// ```
    pub fn from_env_value(value: &str) -> Result<Self, InvalidContentCapture> {
        if value.trim().is_empty() {
            return Ok(ContentCapture::NoContent);
        }
        ContentCapture::parse(value).ok_or_else(|| {
            let mut end = value.len().min(64);
            while !value.is_char_boundary(end) {
                end -= 1;
            }
            InvalidContentCapture {
                value: value[..end].to_string(),
            }
        })
    }

    /// Reads [`ENV_VAR`](Self::ENV_VAR). Unset means `NoContent`; an invalid value means
    /// `NoContent` and a warning (logged once per process).
    ///
    /// ```
    /// let mode = tracing_genai::content::ContentCapture::from_env();
    /// # drop(mode);
    /// ```
    pub fn from_env() -> Self {
        let Some(raw) = std::env::var_os(Self::ENV_VAR) else {
            return ContentCapture::NoContent;
        };
        let raw = raw.to_string_lossy();
        match Self::from_env_value(&raw) {
            Ok(mode) => mode,
            Err(err) => {
                if !WARNED.swap(true, Ordering::Relaxed) {
                    tracing::warn!(target: "tracing_genai", "{err}");
                }
                ContentCapture::NoContent
            }
        }
    }

    /// Whether any content is exported.
    pub fn is_enabled(self) -> bool {
        self != ContentCapture::NoContent
    }

    /// Whether content goes on the span.
    pub fn on_span(self) -> bool {
        matches!(
            self,
            ContentCapture::SpanOnly | ContentCapture::SpanAndEvent
        )
    }

    /// Whether content goes in the details event.
    pub fn on_event(self) -> bool {
        matches!(
            self,
            ContentCapture::EventOnly | ContentCapture::SpanAndEvent
        )
    }
}

/// Content capture settings: mode, size limits, redaction.
///
/// ```
/// use tracing_genai::content::{ContentCapture, ContentConfig, MessagePart, SecretPattern};
///
/// let config = ContentConfig::new()
///     .capture(ContentCapture::SpanAndEvent)
///     .max_attribute_bytes(8 * 1024)
///     .max_span_bytes(32 * 1024)
///     .max_blob_bytes(0)
///     .secret_pattern(SecretPattern::prefix("acme_", 16))
///     .redactor(|_cx, part| match part {
///         MessagePart::Text { content } => Some(MessagePart::text(content.replace("Alice", "<name>"))),
///         other => Some(other),
///     });
/// let layer = tracing_genai::layer::<tracing_subscriber::Registry>().with_content_config(config);
/// # drop(layer);
/// ```
#[derive(Clone)]
pub struct ContentConfig {
    mode: Option<ContentCapture>,
    resolved: Arc<OnceLock<ContentCapture>>,
    pub(crate) max_attribute_bytes: usize,
    pub(crate) max_span_bytes: usize,
    pub(crate) max_blob_bytes: usize,
    pub(crate) redactor: Option<RedactFn>,
    pub(crate) scanner: SecretScanner,
}

impl fmt::Debug for ContentConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContentConfig")
            .field("mode", &self.mode)
            .field("max_attribute_bytes", &self.max_attribute_bytes)
            .field("max_span_bytes", &self.max_span_bytes)
            .field("max_blob_bytes", &self.max_blob_bytes)
            .field("redactor", &self.redactor.is_some())
            .field("scanner", &self.scanner)
            .finish()
    }
}

impl Default for ContentConfig {
    fn default() -> Self {
        ContentConfig {
            mode: None,
            resolved: Arc::new(OnceLock::new()),
            max_attribute_bytes: Self::DEFAULT_MAX_ATTRIBUTE_BYTES,
            max_span_bytes: Self::DEFAULT_MAX_SPAN_BYTES,
            max_blob_bytes: Self::DEFAULT_MAX_BLOB_BYTES,
            redactor: None,
            scanner: SecretScanner::default(),
        }
    }
}

impl ContentConfig {
    /// Default per-attribute limit: 16 KiB of JSON.
    pub const DEFAULT_MAX_ATTRIBUTE_BYTES: usize = 16 * 1024;
    /// Default per-span limit over all content attributes: 64 KiB.
    pub const DEFAULT_MAX_SPAN_BYTES: usize = 64 * 1024;
    /// Default blob limit: base64 bodies over 1 KiB become placeholders.
    pub const DEFAULT_MAX_BLOB_BYTES: usize = 1024;

    /// Defaults: mode from the environment, default limits, no hook, built-in secret patterns.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the mode (overrides the environment variable).
    pub fn capture(mut self, mode: ContentCapture) -> Self {
        self.mode = Some(mode);
        self.resolved = Arc::new(OnceLock::new());
        self
    }

    /// Per-attribute limit in bytes of JSON.
    pub fn max_attribute_bytes(mut self, n: usize) -> Self {
        self.max_attribute_bytes = n;
        self
    }

    /// Per-span limit over all content attributes, in bytes.
    pub fn max_span_bytes(mut self, n: usize) -> Self {
        self.max_span_bytes = n;
        self
    }

    /// Blob parts whose base64 content is longer are replaced by a placeholder.
    pub fn max_blob_bytes(mut self, n: usize) -> Self {
        self.max_blob_bytes = n;
        self
    }

    /// Sets the redaction hook. It sees each part (and tool arguments as a `tool_call` part,
    /// tool results as a `tool_call_response` part) before any attribute is written, and
    /// returns the part to keep or `None` to drop it. A panicking hook drops the part.
    pub fn redactor(
        mut self,
        f: impl Fn(&PartContext<'_>, MessagePart) -> Option<MessagePart> + Send + Sync + 'static,
    ) -> Self {
        self.redactor = Some(Arc::new(f));
        self
    }

    /// Adds a secret pattern to the always-on scrubbing.
    pub fn secret_pattern(mut self, p: SecretPattern) -> Self {
        self.scanner.add(p);
        self
    }

    /// The effective mode: the one set in code, else the environment's (read once).
    ///
    /// ```
    /// use tracing_genai::content::{ContentCapture, ContentConfig};
    /// assert_eq!(ContentConfig::new().capture(ContentCapture::SpanOnly).mode(), ContentCapture::SpanOnly);
    /// ```
    pub fn mode(&self) -> ContentCapture {
        match self.mode {
            Some(m) => m,
            None => *self.resolved.get_or_init(ContentCapture::from_env),
        }
    }

    /// Scrubs secrets from a string with this configuration's patterns.
    ///
    /// ```
    /// let c = tracing_genai::content::ContentConfig::new();
    /// assert_eq!(c.scrub("Bearer abcdefgh12345678"), "Bearer [REDACTED]");
    /// ```
    pub fn scrub<'a>(&self, s: &'a str) -> std::borrow::Cow<'a, str> {
        self.scanner.scrub(s)
    }

    /// Forwards `event` (a scrubbed copy if it carries a secret) to `forward`.
    pub(crate) fn forward_event(
        &self,
        event: &tracing_core::Event<'_>,
        forward: impl FnOnce(&tracing_core::Event<'_>),
    ) {
        event_scrub::forward_scrubbed(&self.scanner, event, forward)
    }

    /// Prepares a new span: gives it a content slot when capture is on.
    pub(crate) fn init(&self, state: &mut GenAiSpan) {
        if self.mode().is_enabled() {
            state.content = Some(Box::default());
        }
    }
}

/// Content recorded on one span, kept until it closes.
#[derive(Clone, Debug, Default)]
pub(crate) struct SpanContent {
    pub(crate) system_instructions: Option<Vec<MessagePart>>,
    pub(crate) input_messages: Option<Vec<ChatMessage>>,
    pub(crate) output_messages: Option<Vec<OutputMessage>>,
    pub(crate) tool_definitions: Option<Vec<ToolDefinition>>,
    pub(crate) tool_call_arguments: Option<Value>,
    pub(crate) tool_call_result: Option<Value>,
}

fn json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "unreadable",
        Category::Syntax => "invalid JSON",
        Category::Data => "JSON not matching the schema",
        Category::Eof => "truncated JSON",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

/// Applies a recorded content field (raw JSON) or the per-call opt-out field.
pub(crate) fn record_raw(state: &mut GenAiSpan, name: &str, raw: Raw<'_>) {
    let owned;
    let raw: &str = match raw {
        Raw::Str(s) => s,
        Raw::Bool(b) => {
            if b {
                "true"
            } else {
                "false"
            }
        }
        Raw::I64(v) => {
            owned = v.to_string();
            &owned
        }
        Raw::U64(v) => {
            owned = v.to_string();
            &owned
        }
        _ => "",
    };
    if name == CONTENT_CAPTURE_FIELD {
        let v = raw.trim().to_ascii_lowercase();
        if matches!(v.as_str(), "false" | "0" | "no" | "off" | "no_content") {
            state.content = None;
        }
        return;
    }
    let Some(content) = state.content.as_mut() else {
        return;
    };
    let result = match name {
        sc::GEN_AI_INPUT_MESSAGES => {
            serde_json::from_str(raw).map(|v| content.input_messages = Some(v))
        }
        sc::GEN_AI_OUTPUT_MESSAGES => {
            serde_json::from_str(raw).map(|v| content.output_messages = Some(v))
        }
        sc::GEN_AI_SYSTEM_INSTRUCTIONS => {
            serde_json::from_str(raw).map(|v| content.system_instructions = Some(v))
        }
        sc::GEN_AI_TOOL_DEFINITIONS => {
            serde_json::from_str(raw).map(|v| content.tool_definitions = Some(v))
        }
        sc::GEN_AI_TOOL_CALL_ARGUMENTS => {
            serde_json::from_str::<Value>(raw).and_then(|v| match v {
                Value::Object(_) => {
                    content.tool_call_arguments = Some(v);
                    Ok(())
                }
                _ => Err(serde::de::Error::custom("not an object")),
            })
        }
        sc::GEN_AI_TOOL_CALL_RESULT => {
            // Tool results are often plain text: non-JSON text is kept as a string result.
            let v = serde_json::from_str::<Value>(raw).unwrap_or_else(|_| Value::from(raw));
            content.tool_call_result = Some(v);
            Ok(())
        }
        _ => {
            state.diagnose(format!(
                "{name}: aliased to message content but not a content attribute; dropped"
            ));
            return;
        }
    };
    if let Err(e) = result {
        state.diagnose(format!("{name}: {}; not exported", json_error(&e)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values() {
        for (v, m) in [
            ("NO_CONTENT", ContentCapture::NoContent),
            ("span_only", ContentCapture::SpanOnly),
            (" Event_Only ", ContentCapture::EventOnly),
            ("SPAN_AND_EVENT", ContentCapture::SpanAndEvent),
        ] {
            assert_eq!(ContentCapture::from_env_value(v), Ok(m));
        }
        for bad in ["true", "false", "1", "yes", "SPAN", "span-only", "garbage"] {
            assert!(ContentCapture::from_env_value(bad).is_err(), "{bad}");
        }
    }
}
