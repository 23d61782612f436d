//! Content-capture configuration methods of [`GenAiLayer`].

use super::{ContentCapture, ContentConfig, MessagePart, PartContext, SecretPattern};
use crate::layer::GenAiLayer;

impl<L> GenAiLayer<L> {
    /// Sets the content capture mode, overriding
    /// `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`.
    ///
    /// ```
    /// use tracing_genai::content::ContentCapture;
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .with_content_capture(ContentCapture::SpanOnly);
    /// # drop(layer);
    /// ```
    pub fn with_content_capture(mut self, mode: ContentCapture) -> Self {
        self.config.content = std::mem::take(&mut self.config.content).capture(mode);
        self
    }

    /// Replaces the whole content configuration (mode, limits, redaction).
    ///
    /// ```
    /// use tracing_genai::content::{ContentCapture, ContentConfig};
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .with_content_config(ContentConfig::new().capture(ContentCapture::EventOnly).max_span_bytes(32 * 1024));
    /// # drop(layer);
    /// ```
    pub fn with_content_config(mut self, config: ContentConfig) -> Self {
        self.config.content = config;
        self
    }

    /// Sets the redaction hook (see [`ContentConfig::redactor`]).
    ///
    /// ```
    /// use tracing_genai::content::MessagePart;
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .with_redactor(|_cx, part| match part {
    ///         MessagePart::Blob { .. } => None,
    ///         other => Some(other),
    ///     });
    /// # drop(layer);
    /// ```
    pub fn with_redactor(
        mut self,
        f: impl Fn(&PartContext<'_>, MessagePart) -> Option<MessagePart> + Send + Sync + 'static,
    ) -> Self {
        self.config.content = std::mem::take(&mut self.config.content).redactor(f);
        self
    }

    /// Adds a pattern to the always-on secret scrubbing.
    ///
    /// ```
    /// use tracing_genai::content::SecretPattern;
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .with_secret_pattern(SecretPattern::prefix("acme_", 16));
    /// # drop(layer);
    /// ```
    pub fn with_secret_pattern(mut self, pattern: SecretPattern) -> Self {
        self.config.content = std::mem::take(&mut self.config.content).secret_pattern(pattern);
        self
    }
}
