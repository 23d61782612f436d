//! [`GenAiTracer`]: the tracer [`GenAiLayer::with_tracer`](super::GenAiLayer::with_tracer)
//! gives the wrapped tracing-opentelemetry layer, through which a GenAI span's start facts
//! (its name, kind and sampling-relevant attributes) reach OpenTelemetry typed and shared,
//! instead of as field values tracing-opentelemetry would copy one by one.
//!
//! tracing-opentelemetry asks its tracer for a span builder once per new span, synchronously,
//! inside the `on_new_span` the GenAI layer forwards: the layer offers the span's start facts
//! on its thread just before ([`Offer`]), the tracer takes them into the builder
//! ([`GenAiTracer::span_builder`]), and, when the span starts (where the sampler runs), moves
//! the attributes onto the builder's own list ([`GenAiTracer::build_with_context`]), after the
//! attributes tracing-opentelemetry added (location, thread), so the list it sized is the one
//! that grows. An offer not taken is withdrawn ([`Offer`]'s drop, also on a panic in the inner
//! layer) and the layer forwards the facts as field values instead.

use std::borrow::Cow;
use std::cell::Cell;

use opentelemetry::trace::{Link, SpanBuilder, SpanContext, SpanKind};
use opentelemetry::{Context, KeyValue};

/// A GenAI span's start facts, offered to the tracer.
pub(crate) struct Prefill {
    pub(crate) name: Option<Cow<'static, str>>,
    pub(crate) kind: SpanKind,
    pub(crate) attributes: Vec<KeyValue>,
}

thread_local! {
    static OFFERED: Cell<Option<Prefill>> = const { Cell::new(None) };
}

/// `prefill` offered to the tracer of the span about to be created on this thread; withdrawn
/// when dropped (also when the inner layer panics), so no later span takes it.
pub(crate) struct Offer(());

impl Offer {
    pub(crate) fn new(prefill: Prefill) -> Self {
        let _ = OFFERED.try_with(|o| o.set(Some(prefill)));
        Offer(())
    }

    /// Whether the tracer took it (what it did not take is dropped now).
    pub(crate) fn taken(self) -> bool {
        take().is_none()
    }
}

impl Drop for Offer {
    fn drop(&mut self) {
        drop(take());
    }
}

#[inline]
fn take() -> Option<Prefill> {
    OFFERED.try_with(Cell::take).ok().flatten()
}

/// The tracer of a [`GenAiLayer`](crate::GenAiLayer) built with
/// [`with_tracer`](crate::GenAiLayer::with_tracer): the given tracer, which also takes each
/// GenAI span's start facts (name, kind, sampling-relevant attributes) typed and without a
/// copy of their text. Every other span is built by the given tracer unchanged.
///
/// ```
/// use opentelemetry::trace::TracerProvider as _;
///
/// let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
/// let layer: tracing_genai::GenAiLayer<
///     tracing_opentelemetry::OpenTelemetryLayer<
///         tracing_subscriber::Registry,
///         tracing_genai::GenAiTracer<opentelemetry_sdk::trace::Tracer>,
///     >,
/// > = tracing_genai::layer().with_tracer(provider.tracer("app"));
/// # drop(layer);
/// ```
#[derive(Clone, Debug)]
pub struct GenAiTracer<T> {
    inner: T,
}

impl<T> GenAiTracer<T> {
    pub(crate) fn new(inner: T) -> Self {
        Self { inner }
    }

    /// The tracer given to [`with_tracer`](crate::GenAiLayer::with_tracer).
    ///
    /// ```
    /// use opentelemetry::trace::noop::NoopTracer;
    ///
    /// let layer = tracing_genai::layer::<tracing_subscriber::Registry>().with_tracer(NoopTracer::new());
    /// # drop(layer);
    /// ```
    pub fn inner(&self) -> &T {
        &self.inner
    }
}

/// Marks the link that carries taken start attributes from the builder to the start: no
/// link has it otherwise (an invalid span context and this many dropped attributes), and the
/// tracer removes it before the span is built.
const CARRIER: u32 = u32::MAX;

fn is_carrier(link: &Link) -> bool {
    link.dropped_attributes_count == CARRIER && link.span_context == SpanContext::NONE
}

impl<T: opentelemetry::trace::Tracer> opentelemetry::trace::Tracer for GenAiTracer<T> {
    type Span = T::Span;

    #[inline]
    fn span_builder<N>(&self, name: N) -> SpanBuilder
    where
        N: Into<Cow<'static, str>>,
    {
        let mut builder = self.inner.span_builder(name);
        if let Some(p) = take() {
            if let Some(name) = p.name {
                builder.name = name;
            }
            builder.span_kind = Some(p.kind);
            if p.attributes.is_empty() {
                return builder;
            }
            // Carried to the start apart from `attributes`, which tracing-opentelemetry sizes
            // and fills itself after this call (its links come after this one).
            builder.links = Some(vec![Link::new(SpanContext::NONE, p.attributes, CARRIER)]);
        }
        builder
    }

    #[inline]
    fn build_with_context(&self, mut builder: SpanBuilder, parent_cx: &Context) -> Self::Span {
        unload(&mut builder);
        self.inner.build_with_context(builder, parent_cx)
    }
}

/// Moves the carried start attributes (if any) onto the builder's attributes, after those
/// already there, and removes their carrier.
fn unload(builder: &mut SpanBuilder) {
    if let Some(links) = builder.links.as_mut()
        && links.first().is_some_and(is_carrier)
    {
        let carried = links.remove(0);
        if links.is_empty() {
            builder.links = None;
        }
        builder
            .attributes
            .get_or_insert_with(Vec::new)
            .extend(carried.attributes);
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::Tracer as _;
    use opentelemetry::trace::noop::NoopTracer;

    use super::*;

    fn prefill() -> Prefill {
        Prefill {
            name: Some(Cow::Borrowed("chat gpt-4o")),
            kind: SpanKind::Client,
            attributes: vec![KeyValue::new("gen_ai.request.model", "gpt-4o")],
        }
    }

    #[test]
    fn a_taken_offer_reaches_the_builder_and_its_attributes_follow_the_layers_own() {
        let tracer = GenAiTracer::new(NoopTracer::new());
        let offer = Offer::new(prefill());
        let mut builder = tracer.span_builder("llm");
        assert!(offer.taken());
        assert_eq!(builder.name, "chat gpt-4o");
        assert_eq!(builder.span_kind, Some(SpanKind::Client));
        // tracing-opentelemetry adds its own attributes and links before the start.
        builder.attributes = Some(vec![KeyValue::new("code.line.number", 7)]);
        let real = Link::new(SpanContext::NONE, Vec::new(), 0);
        builder.links.get_or_insert_with(Vec::new).push(real);
        unload(&mut builder);
        let keys: Vec<&str> = builder
            .attributes
            .iter()
            .flatten()
            .map(|kv| kv.key.as_str())
            .collect();
        assert_eq!(keys, ["code.line.number", "gen_ai.request.model"]);
        // The carrier is gone, the real link stays.
        assert_eq!(builder.links.as_ref().map(Vec::len), Some(1));
        assert!(!builder.links.iter().flatten().any(is_carrier));
    }

    #[test]
    fn an_offer_not_taken_is_withdrawn_and_no_later_span_takes_it() {
        let tracer = GenAiTracer::new(NoopTracer::new());
        assert!(!Offer::new(prefill()).taken());
        {
            // Dropped without a look, as when the inner layer panics.
            let _offer = Offer::new(prefill());
        }
        let builder = tracer.span_builder("plain");
        assert_eq!(builder.name, "plain");
        assert!(builder.links.is_none() && builder.span_kind.is_none());
    }
}
