//! Every way to configure a [`GenAiLayer`]: [`layer()`] and the `with_*` builder methods, one
//! per setting, grouped by the stage of the data path they configure.

use std::borrow::Cow;
use std::sync::Arc;

use opentelemetry::metrics::Meter;
use opentelemetry::trace::noop::NoopTracer;
use tracing_opentelemetry::OpenTelemetryLayer;

use super::{GenAiLayer, GenAiTracer, LayerConfig};
use crate::content::{ContentCapture, ContentConfig};
use crate::cost::{CostThreshold, OnCostExceeded, PriceTable};
use crate::export::cost_alert::CostAlertSlot;
use crate::export::diagnostics::Diagnostics;
use crate::export::events::EventTarget;
use crate::export::metrics::MetricsConfig;
use crate::mapper::{AttributeMapper, MapperSlot};
use crate::model::GenAiField;
use crate::record::{SpanRule, UnknownFields};
use crate::semconv::Conventions;

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

/// The wrapped layer.
impl<L> GenAiLayer<L> {
    /// Wraps `otel`, the tracing-opentelemetry layer (configured as you like) that creates and
    /// exports the spans. Give it its tracer through [`with_tracer`](GenAiLayer::with_tracer)
    /// afterwards, so a GenAI span's start facts reach the tracer typed (a layer given its
    /// tracer directly works too; those facts then travel as field values, which
    /// tracing-opentelemetry copies).
    ///
    /// ```
    /// use opentelemetry::trace::TracerProvider as _;
    /// use tracing_subscriber::layer::SubscriberExt;
    ///
    /// let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    /// let otel = tracing_opentelemetry::layer().with_location(false);
    /// let layer = tracing_genai::GenAiLayer::new(otel).with_tracer(provider.tracer("app"));
    /// let subscriber = tracing_subscriber::registry().with(layer);
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
    #[must_use]
    pub fn with_otel_layer<L2>(self, otel: L2) -> GenAiLayer<L2> {
        GenAiLayer::from_parts(otel, self.config, self.diagnostics)
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

    /// The content settings in effect (mode, limits, secret patterns).
    ///
    /// ```
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>();
    /// assert_eq!(layer.content_config().scrub("Bearer abcdefgh12345678"), "Bearer [REDACTED]");
    /// ```
    pub fn content_config(&self) -> &ContentConfig {
        &self.config.content
    }
}

impl<S, T> GenAiLayer<OpenTelemetryLayer<S, T>>
where
    S: tracing_core::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    T: opentelemetry::trace::Tracer + 'static,
    T::Span: Send + Sync,
{
    /// Sets the tracer of the wrapped tracing-opentelemetry layer, as a [`GenAiTracer`]: a
    /// GenAI span's start facts (name, kind, the sampling-relevant attributes) reach it typed
    /// and without a copy of their text. (A layer whose tracing-opentelemetry layer was given
    /// its tracer directly forwards them as field values, which tracing-opentelemetry copies.)
    ///
    /// ```
    /// use opentelemetry::trace::TracerProvider as _;
    ///
    /// let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .with_tracer(provider.tracer("app"));
    /// # drop(layer);
    /// ```
    #[must_use]
    pub fn with_tracer<Tracer>(
        self,
        tracer: Tracer,
    ) -> GenAiLayer<OpenTelemetryLayer<S, GenAiTracer<Tracer>>>
    where
        Tracer: opentelemetry::trace::Tracer + 'static,
        Tracer::Span: Send + Sync,
    {
        let otel = self.otel.with_tracer(GenAiTracer::new(tracer));
        let mut layer = GenAiLayer::from_parts(otel, self.config, self.diagnostics);
        layer.typed_start = true;
        layer
    }
}

/// Recording: which spans are GenAI spans, what their fields mean.
impl<L> GenAiLayer<L> {
    /// Adds a recognition rule for spans that do not declare `gen_ai.operation.name`.
    ///
    /// ```
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .with_rule(tracing_genai::SpanRule::target("async_openai").with_operation("chat"));
    /// # drop(layer);
    /// ```
    #[must_use]
    pub fn with_rule(mut self, rule: SpanRule) -> Self {
        self.config.record.add_rule(rule);
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
    #[must_use]
    pub fn with_alias(mut self, name: impl Into<Cow<'static, str>>, field: GenAiField) -> Self {
        self.config.record.alias(name.into(), field);
        self
    }

    /// What to do with `gen_ai.*` fields that are neither registry keys the layer knows nor
    /// aliases: [`UnknownFields::Keep`] (the default) exports them with the type they were
    /// recorded with, [`UnknownFields::Drop`] drops them. Either way each is named once in the
    /// span's `tracing_genai.diagnostics`. Message content fields are never unknown fields.
    ///
    /// ```
    /// use tracing_genai::UnknownFields;
    ///
    /// // Only the keys of the GenAI registry leave the process.
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .with_unknown_genai_fields(UnknownFields::Drop);
    /// # drop(layer);
    /// ```
    #[must_use]
    pub fn with_unknown_genai_fields(mut self, unknown: UnknownFields) -> Self {
        self.config.record.set_unknown_fields(unknown);
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
    #[must_use]
    pub fn without_alias(mut self, name: &str) -> Self {
        self.config.record.unalias(name);
        self
    }

    /// Copies these fields onto each new GenAI span that does not record them itself, from its
    /// nearest ancestor span that did (GenAI or not), also across spawned tasks.
    ///
    /// Names are ordinary field names (`request_id`) or GenAI names and aliases
    /// (`gen_ai.conversation.id`, `gen_ai.agent.name`). When the list is not empty the layer
    /// keeps the values of the listed fields (only those) of ordinary spans too; an empty list
    /// costs nothing. A span entered in a spawned task (`tokio::spawn(fut.instrument(span))`)
    /// has its creator's spans as ancestors, so values cross task boundaries. Values recorded
    /// on an ancestor after the GenAI span was created are not seen.
    ///
    /// ```
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .with_inherited_fields(["request_id", "gen_ai.conversation.id"]);
    /// # drop(layer);
    /// ```
    #[must_use]
    pub fn with_inherited_fields<I, N>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = N>,
        N: Into<Cow<'static, str>>,
    {
        self.config
            .record
            .set_inherited(names.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the content capture mode, overriding
    /// `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`.
    ///
    /// ```
    /// use tracing_genai::content::ContentCapture;
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .with_content_capture(ContentCapture::SpanOnly);
    /// # drop(layer);
    /// ```
    #[must_use]
    pub fn with_content_capture(mut self, mode: ContentCapture) -> Self {
        self.config.content.set_mode(mode);
        self
    }
}

/// Export: mappers, metrics, cost, content limits and privacy.
impl<L> GenAiLayer<L> {
    /// Adds a mapper; mappers run in the order they were added.
    ///
    /// ```
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>().with_mapper(
    ///     |_: &tracing_genai::GenAiSpan, attrs: &mut tracing_genai::mapper::Attributes<'_>| {
    ///         attrs.insert("app.feature", "search");
    ///     },
    /// );
    /// # drop(layer);
    /// ```
    #[must_use]
    pub fn with_mapper(mut self, mapper: impl AttributeMapper) -> Self {
        self.config.export.mappers.push(MapperSlot::new(mapper));
        self.config
            .record
            .set_mappers(self.config.export.mappers.len());
        self
    }

    /// Whether the span name and the sampling-relevant attributes
    /// ([`semconv::SAMPLING_RELEVANT`](crate::semconv::SAMPLING_RELEVANT)) declared with a value
    /// when a GenAI span is created are given to OpenTelemetry as the span starts, so a head
    /// sampler (`opentelemetry_sdk::trace::ShouldSample`, `OTEL_TRACES_SAMPLER`) can decide on
    /// them. On by default.
    ///
    /// OpenTelemetry cannot replace or remove an attribute of a started span, so with this on
    /// the values given at start are the exported ones: a later recording of another value,
    /// or a mapper that changes, renames or removes one of those keys, leaves the start value
    /// in place and says so in `tracing_genai.diagnostics` (the span name still follows the
    /// final state). Turn it off when mappers must own those keys; every attribute is then
    /// written when the span closes, as for fields recorded late. With the tracer given
    /// through [`with_tracer`](GenAiLayer::with_tracer) it costs about 500 instructions per
    /// LLM span (the values are shared with the state); around a tracing-opentelemetry layer
    /// given its tracer directly, tracing-opentelemetry copies each into a `String` of its own
    /// (BENCHMARKS.md, rungs r4 and r4s).
    ///
    /// ```
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .with_sampling_attributes(false);
    /// # drop(layer);
    /// ```
    #[must_use]
    pub fn with_sampling_attributes(mut self, enabled: bool) -> Self {
        self.config.export.at_start = crate::export::AtStart(enabled);
        self
    }

    /// Chooses which GenAI conventions are emitted (overriding `OTEL_SEMCONV_STABILITY_OPT_IN`):
    /// the pinned ones (the default), the latest, or both. What differs is listed in
    /// [`semconv::DIFFERENCES`](crate::semconv::DIFFERENCES); the fields accepted and the
    /// [`GenAiSpan`](crate::GenAiSpan) mappers see are the same in every setting.
    ///
    /// ```
    /// use tracing_genai::semconv::Conventions;
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .with_conventions(Conventions::Latest);
    /// assert_eq!(layer.conventions(), Conventions::Latest);
    /// ```
    #[must_use]
    pub fn with_conventions(mut self, conventions: Conventions) -> Self {
        self.config.export.conventions.choose(conventions);
        self
    }

    /// The conventions in effect: the one chosen in code, else the environment's (read once).
    ///
    /// ```
    /// use tracing_genai::semconv::Conventions;
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>();
    /// if std::env::var_os(Conventions::ENV_VAR).is_none() {
    ///     assert_eq!(layer.conventions(), Conventions::Pinned);
    /// }
    /// ```
    pub fn conventions(&self) -> Conventions {
        self.config.export.conventions.get()
    }

    /// Records the GenAI metrics through `meter` (instead of the global meter).
    ///
    /// ```
    /// use opentelemetry::metrics::MeterProvider as _;
    ///
    /// let provider = opentelemetry_sdk::metrics::SdkMeterProvider::builder().build();
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .with_meter(provider.meter("tracing-genai"));
    /// # drop(layer);
    /// ```
    #[must_use]
    pub fn with_meter(mut self, meter: Meter) -> Self {
        self.config.export.metrics = MetricsConfig::meter(meter);
        self
    }

    /// Turns metrics off (`false`) or back on (`true`: through the global meter).
    ///
    /// ```
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>().with_metrics(false);
    /// # drop(layer);
    /// ```
    #[must_use]
    pub fn with_metrics(mut self, enabled: bool) -> Self {
        self.config.export.metrics.set_enabled(enabled);
        self
    }

    /// Prices every GenAI call with `table` (see [`PriceTable`]); the cost is exported as
    /// `gen_ai.usage.cost` and the `tracing_genai.client.cost` metric, and rolls up to agent
    /// and workflow spans. Pass an `Arc` to keep a handle for
    /// [`PriceTable::unpriced_calls`].
    ///
    /// ```
    /// use tracing_genai::cost::{ModelPrice, PriceTable};
    ///
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .with_prices(PriceTable::new("USD").with_model("gpt-4o*", ModelPrice::new(2.5, 10.0)));
    /// # drop(layer);
    /// ```
    #[must_use]
    pub fn with_prices(mut self, table: impl Into<Arc<PriceTable>>) -> Self {
        self.config.export.prices = Some(table.into());
        self
    }

    /// Adds a cost alert: when a call (a priced span) or a rolled-up `invoke_agent` /
    /// `invoke_workflow` run costs more than `threshold` (in the price table's currency; a
    /// plain number is the same threshold for both, [`CostThreshold`] sets them apart), the
    /// layer emits a `tracing_genai.cost.threshold_exceeded` WARN event (target
    /// `tracing_genai::cost`) with the span's ids, cost and threshold, then calls `callback`
    /// (`()`: none; a panic is isolated and reported once). Alerts are checked when the span
    /// closes, in the order they were added; each one exceeded raises its own alert. Needs
    /// [`with_prices`](Self::with_prices). See [cost alerts](crate::cost#cost-alerts).
    ///
    /// ```
    /// use tracing_genai::cost::{CostExceeded, CostThreshold, ModelPrice, PriceTable};
    /// use tracing_genai::GenAiSpan;
    ///
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .with_prices(PriceTable::new("USD").with_model("gpt-4o*", ModelPrice::new(2.5, 10.0)))
    ///     // a WARN event for any call or run above $1
    ///     .with_cost_alert(1.0, ())
    ///     // and a callback for calls above $0.10 or runs above $5
    ///     .with_cost_alert(
    ///         CostThreshold::per_call(0.10).with_per_run(5.0),
    ///         |alert: &CostExceeded, _: &GenAiSpan| eprintln!("{} cost {}", alert.span_name, alert.cost),
    ///     );
    /// # drop(layer);
    /// ```
    #[must_use]
    pub fn with_cost_alert(
        mut self,
        threshold: impl Into<CostThreshold>,
        callback: impl OnCostExceeded,
    ) -> Self {
        self.config
            .export
            .cost_alerts
            .push(CostAlertSlot::new(threshold.into(), callback));
        self
    }

    /// Sets the content limits, redaction hook and secret patterns (the capture mode stays
    /// what [`with_content_capture`](Self::with_content_capture) or the environment set).
    ///
    /// ```
    /// use tracing_genai::content::{ContentCapture, ContentConfig, SecretPattern};
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .with_content_capture(ContentCapture::EventOnly)
    ///     .with_content_config(
    ///         ContentConfig::new()
    ///             .with_max_span_bytes(32 * 1024)
    ///             .with_secret_pattern(SecretPattern::prefix("acme_", 16)),
    ///     );
    /// # drop(layer);
    /// ```
    #[must_use]
    pub fn with_content_config(mut self, config: ContentConfig) -> Self {
        self.config.content = config.with_mode_of(&self.config.content);
        self
    }
}

/// Events: the GenAI events as OpenTelemetry log records (or span events).
impl<L> GenAiLayer<L> {
    /// Emits the GenAI events as OpenTelemetry log records through a logger of `provider`
    /// (instrumentation scope `tracing-genai`), each with its event name and the trace and span
    /// ids of its GenAI span:
    ///
    /// - `gen_ai.client.inference.operation.details` (INFO) for inference spans (`chat`,
    ///   `text_completion`, `generate_content`) when the content capture mode includes events
    ///   (`EVENT_ONLY`, `SPAN_AND_EVENT`; then with the message content) or
    ///   [`with_inference_details(true)`](Self::with_inference_details) (without content
    ///   unless the mode says so), and for any span whose content the mode sends to events;
    ///   its attributes are the span's `gen_ai.*`, `server.*` and `error.type` attributes;
    /// - `gen_ai.client.operation.exception` (WARN) for failed GenAI spans, with
    ///   `exception.type`, `exception.message`, `error.type`, the operation, provider,
    ///   request model and server; it replaces the `exception` span event;
    /// - `gen_ai.evaluation.result` (INFO) for each
    ///   [`record_evaluation`](crate::GenAiSpanExt::record_evaluation), when the span closes.
    ///
    /// Without a logger provider the same events are span events, as
    /// [`EventTarget::Auto`] says; [`with_events_as`](Self::with_events_as) chooses otherwise.
    /// The records are emitted when the span closes; shut the provider down (or flush it)
    /// before the process exits.
    ///
    /// ```
    /// use opentelemetry::trace::TracerProvider as _;
    /// use tracing_subscriber::layer::SubscriberExt;
    /// use tracing_genai::content::ContentCapture;
    ///
    /// let logs = opentelemetry_sdk::logs::InMemoryLogExporter::default();
    /// let logger_provider = opentelemetry_sdk::logs::SdkLoggerProvider::builder()
    ///     .with_simple_exporter(logs.clone())
    ///     .build();
    /// let tracer_provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    /// let layer = tracing_genai::layer()
    ///     .with_tracer(tracer_provider.tracer("app"))
    ///     .with_logger_provider(&logger_provider)
    ///     .with_content_capture(ContentCapture::EventOnly);
    /// tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
    ///     let _span = tracing_genai::genai_span!("chat", "openai", "gpt-4o").entered();
    /// });
    /// let records = logs.get_emitted_logs().unwrap();
    /// assert_eq!(records[0].record.event_name(), Some("gen_ai.client.inference.operation.details"));
    /// ```
    #[must_use]
    pub fn with_logger_provider(
        mut self,
        provider: &opentelemetry_sdk::logs::SdkLoggerProvider,
    ) -> Self {
        self.config.export.events.set_logger_provider(provider);
        self
    }

    /// Chooses where the GenAI events go: log records, span events or both (default
    /// [`EventTarget::Auto`]: log records when a logger provider is set, else span events).
    ///
    /// ```
    /// use tracing_genai::EventTarget;
    ///
    /// // A backend that reads only spans, while a logger provider is set for other logs.
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .with_events_as(EventTarget::SpanEvents);
    /// # drop(layer);
    /// ```
    #[must_use]
    pub fn with_events_as(mut self, target: EventTarget) -> Self {
        self.config.export.events.set_target(target);
        self
    }

    /// Emits the `gen_ai.client.inference.operation.details` event for every inference span,
    /// also when the content capture mode does not include events (then without message
    /// content). It is opt-in in the conventions, so off by default.
    ///
    /// ```
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
    ///     .with_inference_details(true);
    /// # drop(layer);
    /// ```
    #[must_use]
    pub fn with_inference_details(mut self, always: bool) -> Self {
        self.config.export.events.set_always_details(always);
        self
    }
}
