//! [`SpanRule`]: recognising the LLM spans of libraries that do not declare
//! `gen_ai.operation.name`, by target and span name.

use std::borrow::Cow;

use tracing_core::Metadata;

use crate::model::{GenAiField, GenAiSpan, Operation};

/// Recognises spans of a library that does not use `gen_ai.operation.name`, by target and/or
/// span name, and says which operation (and provider) they are.
///
/// The span's fields are then read through the alias table (so `model`, `prompt_tokens`, ...
/// work), and a `gen_ai.operation.name` field still wins over the rule's operation.
///
/// ```
/// use tracing_genai::SpanRule;
///
/// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
///     .with_rule(SpanRule::target("my_llm_client").with_name("chat_completion").with_operation("chat").with_provider("openai"));
/// # drop(layer);
/// ```
#[derive(Clone, Debug, Default)]
pub struct SpanRule {
    target: Option<Cow<'static, str>>,
    name: Option<Cow<'static, str>>,
    operation: Option<Operation>,
    provider: Option<std::sync::Arc<str>>,
    aliases: Vec<(Cow<'static, str>, GenAiField)>,
}

impl SpanRule {
    /// Matches spans whose target is `prefix` or starts with `prefix::`.
    ///
    /// ```
    /// let rule = tracing_genai::SpanRule::target("my_llm_client");
    /// # drop(rule);
    /// ```
    pub fn target(prefix: impl Into<Cow<'static, str>>) -> Self {
        SpanRule {
            target: Some(prefix.into()),
            ..Default::default()
        }
    }

    /// Matches spans with this exact name (combined with a target, both must match).
    ///
    /// ```
    /// let rule = tracing_genai::SpanRule::target("my_llm_client").with_name("chat_completion");
    /// # drop(rule);
    /// ```
    #[must_use]
    pub fn with_name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Matches spans with this exact name, any target.
    ///
    /// ```
    /// let rule = tracing_genai::SpanRule::span_name("llm_call").with_operation("chat");
    /// # drop(rule);
    /// ```
    pub fn span_name(name: impl Into<Cow<'static, str>>) -> Self {
        SpanRule::default().with_name(name)
    }

    /// The operation of matching spans (default: none until the span records one).
    ///
    /// ```
    /// let rule = tracing_genai::SpanRule::target("my_llm_client").with_operation("embeddings");
    /// # drop(rule);
    /// ```
    #[must_use]
    pub fn with_operation(mut self, operation: &str) -> Self {
        self.operation = Some(Operation::parse(operation));
        self
    }

    /// The provider of matching spans, normalised like a recorded provider.
    ///
    /// ```
    /// let rule = tracing_genai::SpanRule::target("my_llm_client").with_provider("OpenAI");
    /// # drop(rule);
    /// ```
    #[must_use]
    pub fn with_provider(mut self, provider: &str) -> Self {
        self.provider = Some(crate::model::provider::shared_provider(provider));
        self
    }

    /// Reads the field `name` of matching spans as `field`, for these spans only (a layer
    /// alias, [`GenAiLayer::with_alias`](crate::GenAiLayer::with_alias), applies to every LLM
    /// span). A rule alias wins over the layer's aliases and over a semconv name. Map a field to
    /// [`GenAiField::OperationName`] to take the operation from the span's own value.
    ///
    /// ```
    /// use tracing_genai::{GenAiField, SpanRule};
    ///
    /// // `model` means something else elsewhere in this application: alias it for acme only.
    /// let rule = SpanRule::target("acme_llm")
    ///     .with_alias("model", GenAiField::RequestModel)
    ///     .with_alias("kind", GenAiField::OperationName);
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .without_alias("model")
    ///     .with_rule(rule);
    /// # drop(layer);
    /// ```
    #[must_use]
    pub fn with_alias(mut self, name: impl Into<Cow<'static, str>>, field: GenAiField) -> Self {
        let name = name.into();
        self.aliases.retain(|(n, _)| *n != name);
        self.aliases.push((name, field));
        self
    }

    /// The rule's own alias for `name`, if any.
    pub(crate) fn alias(&self, name: &str) -> Option<GenAiField> {
        self.aliases
            .iter()
            .find(|(n, _)| n.as_ref() == name)
            .map(|(_, f)| *f)
    }

    pub(crate) fn matches(&self, meta: &Metadata<'_>) -> bool {
        if self.target.is_none() && self.name.is_none() {
            return false;
        }
        let target_ok = self.target.as_deref().is_none_or(|t| {
            let actual = meta.target();
            actual == t
                || actual
                    .strip_prefix(t)
                    .is_some_and(|rest| rest.starts_with("::"))
        });
        let name_ok = self.name.as_deref().is_none_or(|n| meta.name() == n);
        target_ok && name_ok
    }

    pub(crate) fn seed(&self, state: &mut GenAiSpan) {
        if state.operation.is_none() {
            state.operation = self.operation.clone();
        }
        if state.provider.is_none() {
            state.provider = self.provider.clone();
        }
    }
}
