//! [`GenAiTracer`]: the tracer [`GenAiLayer::with_tracer`](super::GenAiLayer::with_tracer)
//! gives the wrapped tracing-opentelemetry layer, through which a GenAI span's start facts
//! (its name, kind and sampling-relevant attributes) reach OpenTelemetry typed and shared,
//! instead of as field values tracing-opentelemetry would copy one by one.
//!
//! tracing-opentelemetry asks its tracer for a span builder once per new span, synchronously,
//! inside the `on_new_span` the GenAI layer forwards: the layer offers the span's start facts
//! on its thread just before ([`offer`]), the tracer takes them into the builder
//! ([`GenAiTracer::span_builder`]), and, when the span starts (where the sampler runs), moves
//! the attributes onto the builder's own list ([`GenAiTracer::build_with_context`]), after the
//! attributes tracing-opentelemetry added (location, thread), so the list it sized is the one
//! that grows. Facts not taken (no `GenAiTracer` inside, or the inner layer filtered the span)
//! are given back ([`take_back`]) and the layer forwards them as field values instead.

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

/// Offers `prefill` to the tracer of the span about to be created on this thread.
pub(crate) fn offer(prefill: Prefill) {
    let _ = OFFERED.try_with(|o| o.set(Some(prefill)));
}

/// What the tracer did not take (`None`: it took the offer).
#[inline]
pub(crate) fn take_back() -> Option<Prefill> {
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
        if let Some(p) = take_back() {
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
        self.inner.build_with_context(builder, parent_cx)
    }
}
