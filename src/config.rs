//! Configuration of the GenAI layer: aliases, recognition rules, mappers.

use std::borrow::Cow;
use std::sync::Arc;

use opentelemetry::trace::noop::NoopTracer;
use tracing_core::Metadata;
use tracing_opentelemetry::OpenTelemetryLayer;

use crate::capture::normalize_provider;
use crate::diagnostics::Diagnostics;
use crate::fields::{AliasTable, GenAiField};
use crate::layer::GenAiLayer;
use crate::mapper::{AttributeMapper, MapperSlot};
use crate::state::{GenAiSpan, Operation};

/// A GenAI layer around a default tracing-opentelemetry layer. Give it a tracer with
/// [`GenAiLayer::with_tracer`].
///
/// ```
/// use opentelemetry::trace::TracerProvider as _;
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
/// let subscriber = tracing_subscriber::registry()
///     .with(tracing_genai::layer().with_tracer(provider.tracer("my-service")));
/// # drop(subscriber);
/// ```
pub fn layer<S>() -> GenAiLayer<OpenTelemetryLayer<S, NoopTracer>>
where
    S: tracing_core::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    GenAiLayer::new(tracing_opentelemetry::layer())
}

/// Everything configurable on the layer, independent of the wrapped layer's type.
#[derive(Clone, Debug, Default)]
pub(crate) struct LayerConfig {
    pub(crate) aliases: AliasTable,
    pub(crate) rules: Vec<SpanRule>,
    pub(crate) mappers: Vec<MapperSlot>,
    pub(crate) accounting: crate::rollup::AccountingConfig,
    pub(crate) content: crate::content::ContentConfig,
}

impl LayerConfig {
    pub(crate) fn rule_for(&self, meta: &Metadata<'_>) -> Option<&SpanRule> {
        self.rules.iter().find(|r| r.matches(meta))
    }
}

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
///     .with_rule(SpanRule::target("my_llm_client").name("chat_completion").operation("chat").provider("openai"));
/// # drop(layer);
/// ```
#[derive(Clone, Debug, Default)]
pub struct SpanRule {
    target: Option<Cow<'static, str>>,
    name: Option<Cow<'static, str>>,
    operation: Option<Operation>,
    provider: Option<String>,
}

impl SpanRule {
    /// Matches spans whose target is `prefix` or starts with `prefix::`.
    pub fn target(prefix: impl Into<Cow<'static, str>>) -> Self {
        SpanRule {
            target: Some(prefix.into()),
            ..Default::default()
        }
    }

    /// Matches spans with this exact name (combined with a target, both must match).
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Matches spans with this exact name, any target.
    pub fn span_name(name: impl Into<Cow<'static, str>>) -> Self {
        SpanRule::default().name(name)
    }

    /// The operation of matching spans (default: none until the span records one).
    pub fn operation(mut self, operation: &str) -> Self {
        self.operation = Some(Operation::parse(operation));
        self
    }

    /// The provider of matching spans, normalised like a recorded provider.
    pub fn provider(mut self, provider: &str) -> Self {
        self.provider = Some(normalize_provider(provider));
        self
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

impl<L> GenAiLayer<L> {
    /// Wraps `otel`, the tracing-opentelemetry layer (configured as you like) that creates and
    /// exports the spans.
    ///
    /// ```
    /// use opentelemetry::trace::TracerProvider as _;
    /// use tracing_subscriber::layer::SubscriberExt;
    ///
    /// let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    /// let otel = tracing_opentelemetry::layer()
    ///     .with_tracer(provider.tracer("app"))
    ///     .with_location(false);
    /// let subscriber = tracing_subscriber::registry().with(tracing_genai::GenAiLayer::new(otel));
    /// # drop(subscriber);
    /// ```
    pub fn new(otel: L) -> Self {
        GenAiLayer::from_parts(
            otel,
            LayerConfig::default(),
            Arc::new(Diagnostics::default()),
        )
    }

    /// Replaces the wrapped layer, keeping this layer's configuration.
    ///
    /// ```
    /// let otel = tracing_opentelemetry::layer::<tracing_subscriber::Registry>().with_threads(false);
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>().with_otel_layer(otel);
    /// # drop(layer);
    /// ```
    pub fn with_otel_layer<L2>(self, otel: L2) -> GenAiLayer<L2> {
        GenAiLayer::from_parts(otel, self.config, self.diagnostics)
    }

    /// Adds a mapper; mappers run in the order they were added.
    ///
    /// ```
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>().with_mapper(
    ///     |_: &tracing_genai::GenAiSpan, attrs: &mut tracing_genai::Attributes| {
    ///         attrs.insert("app.feature", "search");
    ///     },
    /// );
    /// # drop(layer);
    /// ```
    pub fn with_mapper(mut self, mapper: impl AttributeMapper) -> Self {
        self.config.mappers.push(MapperSlot::new(mapper));
        self
    }

    /// Maps the input field `name` to `field` (adds or replaces an alias).
    ///
    /// ```
    /// use tracing_genai::GenAiField;
    ///
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>().with_alias("llm.model_name", GenAiField::RequestModel);
    /// # drop(layer);
    /// ```
    pub fn with_alias(mut self, name: impl Into<Cow<'static, str>>, field: GenAiField) -> Self {
        self.config.aliases.insert(name, field);
        self.callsites.clear();
        self
    }

    /// Removes a default alias, so a field with that name is kept as an ordinary field.
    /// Semconv names cannot be removed.
    ///
    /// ```
    /// // `seed` is an ordinary field in this application, not `gen_ai.request.seed`.
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>().without_alias("seed");
    /// # drop(layer);
    /// ```
    pub fn without_alias(mut self, name: &str) -> Self {
        self.config.aliases.remove(name);
        self.callsites.clear();
        self
    }

    /// Adds a recognition rule for spans that do not declare `gen_ai.operation.name`.
    ///
    /// ```
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .with_rule(tracing_genai::SpanRule::target("async_openai").operation("chat"));
    /// # drop(layer);
    /// ```
    pub fn with_rule(mut self, rule: SpanRule) -> Self {
        self.config.rules.push(rule);
        self
    }

    /// A handle to this layer's counters (LLM spans seen, spans with input problems, mapper
    /// panics), usable after the layer is installed.
    ///
    /// ```
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>();
    /// let diagnostics = layer.diagnostics();
    /// assert_eq!(diagnostics.snapshot().genai_spans, 0);
    /// ```
    pub fn diagnostics(&self) -> Arc<Diagnostics> {
        Arc::clone(&self.diagnostics)
    }
}

impl<S, T> GenAiLayer<OpenTelemetryLayer<S, T>>
where
    S: tracing_core::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    T: opentelemetry::trace::Tracer + 'static,
    T::Span: Send + Sync,
{
    /// Sets the tracer of the wrapped tracing-opentelemetry layer.
    ///
    /// ```
    /// use opentelemetry::trace::TracerProvider as _;
    ///
    /// let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .with_tracer(provider.tracer("app"));
    /// # drop(layer);
    /// ```
    pub fn with_tracer<Tracer>(self, tracer: Tracer) -> GenAiLayer<OpenTelemetryLayer<S, Tracer>>
    where
        Tracer: opentelemetry::trace::Tracer + 'static,
        Tracer::Span: Send + Sync,
    {
        GenAiLayer::from_parts(self.otel.with_tracer(tracer), self.config, self.diagnostics)
    }
}
