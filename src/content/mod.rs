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
//! When enabled, content recorded on a span (typed, with the content methods of
//! [`GenAiSpanExt`](crate::GenAiSpanExt), or as raw JSON in
//! the `gen_ai.input.messages`, ... fields, which is validated) is exported when the span closes:
//! 1. the redaction hook ([`ContentConfig::with_redactor`]) sees every part and may edit or drop it;
//! 2. built-in secret scrubbing replaces API keys, bearer tokens and secret-keyed values by
//!    [`REDACTED`];
//! 3. size limits cut long strings inside the JSON (never the JSON text), replace large blobs
//!    by placeholders and drop the oldest messages if needed;
//! 4. the JSON strings are written as span attributes and/or in the
//!    `gen_ai.client.inference.operation.details` event: an OpenTelemetry log record (with the
//!    span's trace and span ids) when the layer has a logger provider
//!    ([`GenAiLayer::with_logger_provider`](crate::GenAiLayer::with_logger_provider)), else a
//!    span event (see [`EventTarget`](crate::EventTarget)).
//!
//! Secret scrubbing runs on every GenAI span whether or not content capture is on: on every
//! string attribute, event attribute, the error message, the status description and the span
//! name.
//!
//! ```
//! use opentelemetry::trace::TracerProvider as _;
//! use tracing_subscriber::layer::SubscriberExt;
//! use tracing_genai::GenAiSpanExt;
//! use tracing_genai::content::{ChatMessage, ContentCapture, OutputMessage};
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
mod hook;
mod messages;
mod secrets;
mod truncate;

use std::fmt;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use serde_json::Value;

pub use accumulate::OutputAccumulator;
pub(crate) use hook::run_hook;
pub use hook::{ContentKind, PartContext};
pub use messages::{ChatMessage, MessagePart, OutputMessage, Role, ToolDefinition};
pub(crate) use secrets::SecretScanner;
pub use secrets::{REDACTED, SecretMatcher, SecretPattern};
pub use truncate::TRUNCATION_MARKER;
pub(crate) use truncate::{fit, replace_blobs};

use crate::model::text;
use hook::RedactFn;

/// Where message content is exported (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`).
///
/// ```
/// use tracing_genai::content::ContentCapture;
///
/// assert_eq!(ContentCapture::parse("span_and_event"), Some(ContentCapture::SpanAndEvent));
/// // What OpenTelemetry's own OpenAI instrumentations and the `genai` crate document:
/// assert_eq!(ContentCapture::parse("TRUE"), Some(ContentCapture::SpanOnly));
/// assert_eq!(ContentCapture::parse("false"), Some(ContentCapture::NoContent));
/// assert_eq!(ContentCapture::parse("yes"), None);
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
    /// Content in the `gen_ai.client.inference.operation.details` event only (a log record
    /// when the layer has a logger provider, else a span event).
    EventOnly,
    /// Both.
    SpanAndEvent,
}

/// The environment variable held a value that is not a content capture mode.
///
/// ```
/// use tracing_genai::content::ContentCapture;
///
/// let err = ContentCapture::from_env_value("on").unwrap_err();
/// assert!(err.to_string().contains("NO_CONTENT"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid {var} value {value:?}: expected NO_CONTENT, SPAN_ONLY, EVENT_ONLY, SPAN_AND_EVENT, true (= SPAN_ONLY) or false (= NO_CONTENT); message content capture stays off (NO_CONTENT)", var = ContentCapture::ENV_VAR)]
#[non_exhaustive]
pub struct InvalidContentCapture {
    /// The rejected value (truncated to 64 bytes).
    pub value: String,
}

static WARNED: AtomicBool = AtomicBool::new(false);

impl ContentCapture {
    /// The environment variable read when no mode is set in code.
    pub const ENV_VAR: &'static str = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";

    /// Parses a mode name, case-insensitively (surrounding whitespace ignored): the four
    /// modes, and `true` (= `SPAN_ONLY`) / `false` (= `NO_CONTENT`), the values OpenTelemetry's
    /// own OpenAI instrumentations and Rust's `genai` crate document.
    pub fn parse(value: &str) -> Option<Self> {
        let v = value.trim();
        [
            ("NO_CONTENT", ContentCapture::NoContent),
            ("SPAN_ONLY", ContentCapture::SpanOnly),
            ("EVENT_ONLY", ContentCapture::EventOnly),
            ("SPAN_AND_EVENT", ContentCapture::SpanAndEvent),
            ("true", ContentCapture::SpanOnly),
            ("false", ContentCapture::NoContent),
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
    /// assert_eq!(ContentCapture::from_env_value("True"), Ok(ContentCapture::SpanOnly));
    /// assert!(ContentCapture::from_env_value("1").is_err());
    /// ```
    pub fn from_env_value(value: &str) -> Result<Self, InvalidContentCapture> {
        if value.trim().is_empty() {
            return Ok(ContentCapture::NoContent);
        }
        ContentCapture::parse(value).ok_or_else(|| InvalidContentCapture {
            value: text::cut(value, 64).to_string(),
        })
    }

    /// Reads [`ENV_VAR`](Self::ENV_VAR). Unset means `NoContent`; an invalid value means
    /// `NoContent` and a warning, once per process, both as a `tracing` event and as one line
    /// on stderr (visible even when no `tracing` output is configured; `setup()` reads the
    /// variable when it builds the pipeline, so the line appears at start-up).
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
                    // Never panics on a closed stderr.
                    let _ = writeln!(std::io::stderr(), "tracing-genai: {err}");
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

/// Content settings: size limits, the redaction hook and extra secret patterns. The capture
/// *mode* is set on the layer with
/// [`with_content_capture`](crate::GenAiLayer::with_content_capture) (or by the environment).
///
/// ```
/// use tracing_genai::content::{ContentCapture, ContentConfig, MessagePart, SecretPattern};
///
/// let config = ContentConfig::new()
///     .with_max_attribute_bytes(8 * 1024)
///     .with_max_span_bytes(32 * 1024)
///     .with_max_blob_bytes(0)
///     .with_secret_pattern(SecretPattern::prefix("acme_", 16))
///     .with_redactor(|_cx, part| match part {
///         MessagePart::Text { content } => Some(MessagePart::text(content.replace("Alice", "<name>"))),
///         other => Some(other),
///     });
/// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
///     .with_content_capture(ContentCapture::SpanAndEvent)
///     .with_content_config(config);
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
    ///
    /// ```
    /// let config = tracing_genai::content::ContentConfig::new();
    /// # drop(config);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the mode (overrides the environment variable). The layer's
    /// [`with_content_capture`](crate::GenAiLayer::with_content_capture) calls this.
    pub(crate) fn set_mode(&mut self, mode: ContentCapture) {
        self.mode = Some(mode);
        self.resolved = Arc::new(OnceLock::new());
    }

    /// Keeps the mode of `other` (the mode is set on the layer, not here).
    pub(crate) fn with_mode_of(mut self, other: &ContentConfig) -> Self {
        self.mode = other.mode;
        self.resolved = Arc::clone(&other.resolved);
        self
    }

    /// Per-attribute limit in bytes of JSON.
    ///
    /// ```
    /// let config = tracing_genai::content::ContentConfig::new().with_max_attribute_bytes(8 * 1024);
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_max_attribute_bytes(mut self, n: usize) -> Self {
        self.max_attribute_bytes = n;
        self
    }

    /// Per-span limit over all content attributes, in bytes.
    ///
    /// ```
    /// let config = tracing_genai::content::ContentConfig::new().with_max_span_bytes(32 * 1024);
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_max_span_bytes(mut self, n: usize) -> Self {
        self.max_span_bytes = n;
        self
    }

    /// Blob parts whose base64 content is longer are replaced by a placeholder.
    ///
    /// ```
    /// let config = tracing_genai::content::ContentConfig::new().with_max_blob_bytes(0);
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_max_blob_bytes(mut self, n: usize) -> Self {
        self.max_blob_bytes = n;
        self
    }

    /// Sets the redaction hook. It sees each part (and tool arguments as a `tool_call` part,
    /// tool results as a `tool_call_response` part) before any attribute is written, and
    /// returns the part to keep or `None` to drop it. A panicking hook drops the part.
    ///
    /// ```
    /// use tracing_genai::content::{ContentConfig, MessagePart};
    ///
    /// let config = ContentConfig::new().with_redactor(|_cx, part| match part {
    ///     MessagePart::Blob { .. } => None,
    ///     other => Some(other),
    /// });
    /// # drop(config);
    /// ```
    #[must_use]
    pub fn with_redactor(
        mut self,
        f: impl Fn(&PartContext<'_>, MessagePart) -> Option<MessagePart> + Send + Sync + 'static,
    ) -> Self {
        self.redactor = Some(Arc::new(f));
        self
    }

    /// Adds a secret pattern to the always-on scrubbing.
    ///
    /// ```
    /// use tracing_genai::content::{ContentConfig, SecretPattern};
    ///
    /// let config = ContentConfig::new().with_secret_pattern(SecretPattern::prefix("acme_", 16));
    /// assert_eq!(config.scrub("key acme_0123456789abcdef"), "key [REDACTED]");
    /// ```
    #[must_use]
    pub fn with_secret_pattern(mut self, p: SecretPattern) -> Self {
        self.scanner.add(p);
        self
    }

    /// The effective mode: the one set in code, else the environment's (read once).
    ///
    /// ```
    /// use tracing_genai::content::{ContentCapture, ContentConfig};
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .with_content_capture(ContentCapture::SpanOnly);
    /// assert_eq!(layer.content_config().mode(), ContentCapture::SpanOnly);
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
    /// The input messages came from legacy fields (`gen_ai.prompt`, ...): a recorded
    /// `gen_ai.input.messages` replaces them, they never replace it.
    pub(crate) legacy_input: bool,
    /// As `legacy_input`, for the output messages.
    pub(crate) legacy_output: bool,
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
            ("true", ContentCapture::SpanOnly),
            ("TRUE", ContentCapture::SpanOnly),
            ("False", ContentCapture::NoContent),
        ] {
            assert_eq!(ContentCapture::from_env_value(v), Ok(m));
        }
        for bad in [
            "1",
            "0",
            "yes",
            "on",
            "SPAN",
            "span-only",
            "truee",
            "garbage",
        ] {
            assert!(ContentCapture::from_env_value(bad).is_err(), "{bad}");
        }
    }
}
