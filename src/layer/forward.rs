//! Forwarding a GenAI span to the wrapped layer: its creation under the forwarded callsite
//! (see [`record::forward`](crate::record::forward)) with what a sampler decides on, typed
//! through the [`GenAiTracer`](super::GenAiTracer) or as field values, and later changes of its kind.

use tracing_core::field::Value as TracingValue;
use tracing_core::span::{Attributes as SpanAttributes, Id, Record};
use tracing_core::{Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use super::{GenAiLayer, tracer};
use crate::record::SpanRecord;
use crate::record::forward::{self, FALLBACK_META, FORWARD_FIELDS};
use crate::record::start::PORT;

/// The values of a forwarded span's fields ([`FORWARD_FIELDS`], then unnamed ones), in order.
const START_FIELDS: usize = forward::MAX_FORWARD_FIELDS;

fn kind_str(kind: &opentelemetry::trace::SpanKind) -> &'static str {
    use opentelemetry::trace::SpanKind::*;
    match kind {
        Client => "client",
        Server => "server",
        Producer => "producer",
        Consumer => "consumer",
        Internal => "internal",
    }
}

/// `attrs` (a new span's parent) for the forwarded callsite `meta` with the values `set`.
fn forwarded<'a>(
    attrs: &SpanAttributes<'_>,
    meta: &'static Metadata<'static>,
    set: &'a tracing_core::field::ValueSet<'a>,
) -> SpanAttributes<'a> {
    if let Some(parent) = attrs.parent() {
        SpanAttributes::child_of(parent.clone(), meta, set)
    } else if attrs.is_root() {
        SpanAttributes::new_root(meta, set)
    } else {
        SpanAttributes::new(meta, set)
    }
}

/// The name a GenAI span starts with, for the [`GenAiTracer`](super::GenAiTracer): static for a well-known
/// operation alone, else joined (`{operation} {detail}`, or the explicit `otel.name`).
fn start_name(state: &SpanRecord) -> Option<std::borrow::Cow<'static, str>> {
    use std::borrow::Cow;
    if state.otel.name.is_none()
        && let Some((_, None)) = state.name_parts()
        && let Some(op) = state.operation.as_ref().and_then(|o| o.static_str())
    {
        return Some(Cow::Borrowed(op));
    }
    let (a, b) = crate::record::start::name_of(state)?;
    let mut name = String::with_capacity(a.len() + b.map_or(0, |b| b.len() + 1));
    name.push_str(a);
    if let Some(b) = b {
        name.push(' ');
        name.push_str(b);
    }
    Some(Cow::Owned(name))
}

const NONE: Option<&'static dyn TracingValue> = None;

/// Room on the stack for a span name given at start (`{operation} {model}`); longer names
/// are joined on the heap.
const NAME_BUF: usize = 128;

/// `first`, or `first second`, as one `&str`: `first` itself, `buf`, or `long` when it does not
/// fit `buf`.
fn join_name<'a>(
    first: &'a str,
    second: Option<&'a str>,
    buf: &'a mut [u8; NAME_BUF],
    long: &'a mut String,
) -> &'a str {
    let Some(second) = second else {
        return first;
    };
    let len = first.len() + 1 + second.len();
    if let Some(out) = buf.get_mut(..len) {
        let (a, rest) = out.split_at_mut(first.len());
        a.copy_from_slice(first.as_bytes());
        if let Some((space, b)) = rest.split_first_mut() {
            *space = b' ';
            b.copy_from_slice(second.as_bytes());
        }
        if let Ok(joined) = std::str::from_utf8(out) {
            return joined;
        }
    }
    long.reserve_exact(len);
    long.push_str(first);
    long.push(' ');
    long.push_str(second);
    long
}

impl<L> GenAiLayer<L> {
    /// Tells the inner layer the span kind (only effective before the span is first entered).
    pub(super) fn forward_kind<S>(
        &self,
        id: &Id,
        kind: &opentelemetry::trace::SpanKind,
        ctx: Context<'_, S>,
    ) where
        S: Subscriber + for<'a> LookupSpan<'a>,
        L: Layer<S>,
    {
        let value = kind_str(kind);
        let mut values = [NONE; FORWARD_FIELDS.len()];
        values[forward::KIND] = Some(&value as &dyn TracingValue);
        let set = FALLBACK_META.fields().value_set_all(&values);
        self.otel.on_record(id, &Record::new(&set), ctx);
    }

    /// Hands a new GenAI span to the inner layer under its forwarded callsite (see
    /// [`forward`]): none of its own field values, but its kind, the conventions' name and
    /// the sampling-relevant attributes known at creation (`state.at_start`), so the
    /// OpenTelemetry span's sampler sees them when it starts. With a
    /// [`GenAiTracer`](super::GenAiTracer) inside (the layer's tracer was given through
    /// `with_tracer`) they go to it typed and shared; otherwise, or when it did not take them,
    /// as the forwarded span's field values.
    pub(super) fn forward_new_span<S>(
        &self,
        attrs: &SpanAttributes<'_>,
        id: &Id,
        state: &SpanRecord,
        ctx: Context<'_, S>,
    ) where
        S: Subscriber + for<'a> LookupSpan<'a>,
        L: Layer<S>,
    {
        let meta = state
            .resolved
            .as_ref()
            .map_or(&FALLBACK_META, |r| r.forward);
        let given = &state.at_start;
        if self.typed_start {
            let name = given.has_name().then(|| start_name(state)).flatten();
            let mut attributes = Vec::with_capacity(given.attributes());
            crate::export::start::given_attributes(given, state, |kv| attributes.push(kv));
            let offer = tracer::Offer::new(tracer::Prefill {
                name,
                kind: state.kind(),
                attributes,
            });
            let empty = meta
                .fields()
                .value_set::<[(&tracing_core::Field, Option<&dyn TracingValue>); 0]>(&[]);
            self.otel
                .on_new_span(&forwarded(attrs, meta, &empty), id, ctx.clone());
            if offer.taken() {
                return;
            }
            // Not taken: tracing-opentelemetry 0.34 always asks its tracer for the builder in
            // `on_new_span`; should a version not, the facts are given as field values
            // before the span starts.
            return self.forward_start_values(state, meta, |set| {
                self.otel.on_record(id, &Record::new(set), ctx)
            });
        }
        self.forward_start_values(state, meta, |set| {
            self.otel.on_new_span(&forwarded(attrs, meta, set), id, ctx)
        });
    }

    /// Calls `give` with the span's start facts as the values of the forwarded callsite `meta`.
    fn forward_start_values(
        &self,
        state: &SpanRecord,
        meta: &'static Metadata<'static>,
        give: impl FnOnce(&tracing_core::field::ValueSet<'_>),
    ) {
        let given = &state.at_start;
        let kind = kind_str(&state.kind());
        // The name's parts are joined on the stack (the inner layer copies it anyway).
        let mut buf = [0u8; NAME_BUF];
        let mut long = String::new();
        let name = if given.has_name() {
            crate::record::start::name_of(state).map(|(a, b)| join_name(a, b, &mut buf, &mut long))
        } else {
            None
        };
        let mut strings = crate::record::start::start_strings(state);
        for (i, s) in strings.iter_mut().enumerate() {
            if !given.has(i) {
                *s = None;
            }
        }
        let port = state.server_port.filter(|_| given.has(PORT));
        let mut values = [NONE; START_FIELDS];
        values[forward::KIND] = Some(&kind as &dyn TracingValue);
        values[forward::NAME] = name.as_ref().map(|n| n as &dyn TracingValue);
        for (i, s) in strings.iter().enumerate() {
            values[forward::FIRST_ATTRIBUTE + i] = s.as_ref().map(|s| s as &dyn TracingValue);
        }
        values[forward::FIRST_ATTRIBUTE + PORT] = port.as_ref().map(|p| p as &dyn TracingValue);
        let fields = meta.fields();
        give(&fields.value_set_all(&values[..fields.len().min(START_FIELDS)]));
    }
}
