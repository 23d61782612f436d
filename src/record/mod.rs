//! Recording: from `tracing` callbacks to a typed record per GenAI span.
//!
//! - [`rule`]: which spans are GenAI spans (a declared `gen_ai.operation.name`, or a
//!   [`SpanRule`] by target and name);
//! - [`aliases`] and [`callsite`]: what each field name means, resolved once per callsite;
//! - [`raw`] and [`capture`]: recorded values coerced and validated into the model, bad input
//!   kept as a diagnostic;
//! - [`content`]: raw content fields into the span's content slot (only when capture is on);
//! - [`legacy`]: `gen_ai.prompt`, `gen_ai.completion` and their indexed forms read into
//!   messages (only when capture is on);
//! - [`inherit`]: correlation fields copied from ancestor spans;
//! - [`error_event`]: ERROR events that mark the span failed;
//! - [`forward`]: the synthetic callsite a GenAI span is forwarded to the inner layer under;
//! - [`start`]: what was given to OpenTelemetry when the span started (name and
//!   sampling-relevant attributes), so it is not written twice;
//! - [`SpanRecord`]: the crate-private per-span record: the public [`GenAiSpan`] state plus the
//!   bookkeeping later stages need (stream and roll-up accounting, content, the callsite).

pub(crate) mod aliases;
pub(crate) mod callsite;
pub(crate) mod capture;
pub(crate) mod content;
pub(crate) mod error_event;
pub(crate) mod forward;
pub(crate) mod inherit;
pub(crate) mod legacy;
pub(crate) mod raw;
pub(crate) mod rule;
pub(crate) mod start;

use std::borrow::Cow;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use tracing_core::span::{Attributes as SpanAttributes, Id, Record};
use tracing_core::{Metadata, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::content::{ContentConfig, SpanContent};
use crate::model::GenAiSpan;
use crate::semconv as sc;
use aliases::AliasTable;
use callsite::{CallsiteCache, CallsiteFields};
use capture::Capture;
use inherit::{AttributeOf, InheritList};
pub use rule::SpanRule;

/// The record of one open GenAI span, kept in its registry extensions: the public state
/// (what mappers see) and the bookkeeping of the stages after recording. It dereferences to
/// the public state, so every stage reads and writes facts the same way.
#[derive(Debug)]
pub(crate) struct SpanRecord {
    span: GenAiSpan,
    /// Stream, cost and roll-up accounting.
    pub(crate) accounting: SpanAccounting,
    /// Message content, kept only when content capture is on.
    pub(crate) content: Option<Box<SpanContent>>,
    /// The span's callsite fields, resolved once per callsite.
    pub(crate) resolved: Option<Arc<CallsiteFields>>,
    /// The state was changed while the span was not the current span (a stream, a response
    /// body, a helper called after the call returned): the span is exported as ending when it
    /// closes, not at its last exit.
    pub(crate) end_at_close: bool,
    /// When the span was first marked failed: the time of its `exception` event.
    pub(crate) error_at: Option<std::time::SystemTime>,
    /// Evaluations recorded on the span, emitted when it closes.
    pub(crate) evaluations: Vec<crate::model::Evaluation>,
    /// Which of the name and sampling-relevant attributes OpenTelemetry was given at span
    /// start (and their values as given, once something they come from changed).
    pub(crate) at_start: start::StartGiven,
}

/// A GenAI span's record as the registry keeps it (in the span's extensions). The box is ours
/// so it can be reused: a record is about 1.4 KB, past glibc's per-thread cache, and allocating
/// one per span took the allocator's slow path (and a consolidation of its free lists) every
/// time. A closed span's box goes back to a small per-thread pool ([`Kept::recycle`]).
pub(crate) struct Kept(Box<SpanRecord>);

/// Most boxes each thread keeps for reuse.
const POOLED: usize = 8;

thread_local! {
    // The boxes themselves are what is reused: a `Vec<SpanRecord>` would move the records.
    #[allow(clippy::vec_box)]
    static POOL: std::cell::Cell<Vec<Box<SpanRecord>>> = const { std::cell::Cell::new(Vec::new()) };
}

impl Kept {
    /// `record`, in a box from this thread's pool when it has one.
    #[inline]
    pub(crate) fn new(record: SpanRecord) -> Kept {
        let reused = POOL
            .try_with(|pool| {
                let mut boxes = pool.take();
                let b = boxes.pop();
                pool.set(boxes);
                b
            })
            .ok()
            .flatten();
        match reused {
            Some(mut b) => {
                *b = record;
                Kept(b)
            }
            None => Kept(Box::new(record)),
        }
    }

    /// Gives the box back to this thread's pool (the record's message content is dropped now,
    /// not kept until the box is reused).
    #[inline]
    pub(crate) fn recycle(self) {
        let mut b = self.0;
        b.content = None;
        let _ = POOL.try_with(move |pool| {
            let mut boxes = pool.take();
            if boxes.len() < POOLED {
                boxes.push(b);
            }
            pool.set(boxes);
        });
    }
}

impl Deref for Kept {
    type Target = SpanRecord;
    fn deref(&self) -> &SpanRecord {
        &self.0
    }
}

impl DerefMut for Kept {
    fn deref_mut(&mut self) -> &mut SpanRecord {
        &mut self.0
    }
}

impl SpanRecord {
    #[inline]
    pub(crate) fn new(span_name: &'static str, target: &'static str) -> Self {
        SpanRecord {
            span: GenAiSpan::new(span_name, target),
            accounting: SpanAccounting::default(),
            content: None,
            resolved: None,
            end_at_close: false,
            error_at: None,
            evaluations: Vec::new(),
            at_start: start::StartGiven::default(),
        }
    }

    /// After a change: notes when the span was first marked failed (its `exception` event is
    /// stamped then, not when the span closes, which may be long after its last exit, where it
    /// ends). `outside`: the change was made while the span was not the current one, so it
    /// ends when it closes (else the event would lie after its end).
    #[inline]
    pub(crate) fn note_error(&mut self, outside: impl FnOnce() -> bool) {
        if self.error_at.is_none() && self.span.is_error() {
            self.error_at = Some(std::time::SystemTime::now());
            self.end_at_close |= outside();
        }
    }

    /// Saves the values given at start, before a change of the state they may come from.
    #[inline]
    pub(crate) fn before_change(&mut self) {
        if self.at_start.watches_any() {
            self.at_start.save(&self.span);
        }
    }

    /// The public state and the accounting, borrowed apart.
    pub(crate) fn split_mut(&mut self) -> (&mut GenAiSpan, &mut SpanAccounting) {
        (&mut self.span, &mut self.accounting)
    }
}

impl Deref for SpanRecord {
    type Target = GenAiSpan;
    fn deref(&self) -> &GenAiSpan {
        &self.span
    }
}

impl DerefMut for SpanRecord {
    fn deref_mut(&mut self) -> &mut GenAiSpan {
        &mut self.span
    }
}

/// Per-span counters kept next to the public state (streams, pricing, roll-up).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct SpanAccounting {
    /// Inference calls made by this agent run itself.
    pub(crate) inference_calls: u64,
    /// Tool calls made by this agent run itself.
    pub(crate) tool_calls: u64,
    /// Cost of this call itself (priced from its own usage).
    pub(crate) own_cost: Option<f64>,
    /// Cost rolled up from children.
    pub(crate) rolled_cost: Option<f64>,
    /// The table did not know the model of this call.
    pub(crate) unpriced: bool,
    /// Stream chunks received.
    pub(crate) chunks: u64,
    /// Seconds between consecutive chunks (for `time_per_output_chunk`), bounded.
    pub(crate) chunk_gaps: Vec<f64>,
    /// The stream was dropped by its consumer before it ended.
    pub(crate) cancelled: bool,
    /// `gen_ai.conversation.id` of the nearest GenAI ancestor, for an `execute_tool` span that
    /// has none (exported only by the conventions that want it there; mappers' `GenAiSpan`
    /// stays as recorded).
    pub(crate) ancestor_conversation_id: Option<std::sync::Arc<str>>,
}

/// The most chunk gaps kept per span (the metric then sees the first ones only).
pub(crate) const MAX_CHUNK_GAPS: usize = 65_536;

impl SpanAccounting {
    pub(crate) fn total_cost(&self) -> Option<f64> {
        match (self.own_cost, self.rolled_cost) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        }
    }
}

/// What the layer does with a `gen_ai.*` field that is neither a registry key it knows nor an
/// alias (`gen_ai.usage.tool_use_prompt_tokens`, `gen_ai.tool.call.outcome`, a key newer than
/// the pinned registry, a typo). Either way the field is named once in the span's
/// `tracing_genai.diagnostics`. Set with
/// [`GenAiLayer::with_unknown_genai_fields`](crate::GenAiLayer::with_unknown_genai_fields).
///
/// Kept keys are the recording library's: the layer does not know their type, so they are
/// exported with the type they were recorded with (an `u64` as an int, a `bool` as a boolean,
/// a `&str` as a string), and the registry conformance the crate guarantees covers the
/// registry keys only. Message content (`gen_ai.prompt`, `gen_ai.completion`, the indexed
/// `gen_ai.prompt.0.content` style) is never an unknown field: it is read as content, and
/// exported only when content capture is on.
///
/// ```
/// use tracing_genai::UnknownFields;
///
/// assert_eq!(UnknownFields::default(), UnknownFields::Keep);
/// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
///     .with_unknown_genai_fields(UnknownFields::Drop);
/// # drop(layer);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnknownFields {
    /// Export them unchanged, with their recorded type (the default: nothing a library
    /// recorded is lost).
    #[default]
    Keep,
    /// Drop them: only keys the layer knows are exported.
    Drop,
}

/// The recording stage's configuration and its callsite cache.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    aliases: AliasTable,
    unknown: UnknownFields,
    rules: Vec<SpanRule>,
    inherit: InheritList,
    /// Room for attributes the mappers add, in each forwarded span's attribute list.
    room: usize,
    /// GenAI callsites, resolved once.
    callsites: CallsiteCache,
}

impl Clone for Recorder {
    /// A copy with an empty callsite cache (it is rebuilt on use).
    fn clone(&self) -> Self {
        Recorder {
            aliases: self.aliases.clone(),
            unknown: self.unknown,
            rules: self.rules.clone(),
            inherit: self.inherit.clone(),
            room: self.room,
            callsites: CallsiteCache::default(),
        }
    }
}

impl Recorder {
    /// Maps the input field `name` to `field` (adds or replaces an alias).
    pub(crate) fn alias(&mut self, name: Cow<'static, str>, field: crate::model::GenAiField) {
        self.aliases.insert(name, field);
        self.callsites.clear();
    }

    /// Removes an alias (semconv names stay).
    pub(crate) fn unalias(&mut self, name: &str) {
        self.aliases.remove(name);
        self.callsites.clear();
    }

    /// `mappers` are configured: each forwarded span's attribute list gets room for an
    /// attribute per mapper (up to 4), so the one a mapper adds does not grow (copy) it.
    pub(crate) fn set_mappers(&mut self, mappers: usize) {
        self.room = mappers.min(4);
        self.callsites.clear();
    }

    pub(crate) fn set_unknown_fields(&mut self, unknown: UnknownFields) {
        self.unknown = unknown;
    }

    pub(crate) fn add_rule(&mut self, rule: SpanRule) {
        self.rules.push(rule);
    }

    pub(crate) fn set_inherited(&mut self, names: Vec<Cow<'static, str>>) {
        self.inherit = InheritList::new(names);
    }

    /// Whether spans of this callsite are GenAI spans: they declare `gen_ai.operation.name`, or
    /// a configured [`SpanRule`] matches.
    #[inline]
    pub(crate) fn is_genai(&self, meta: &Metadata<'_>) -> bool {
        meta.is_span()
            && (meta.fields().field(sc::GEN_AI_OPERATION_NAME).is_some()
                || (!self.rules.is_empty() && self.rule_for(meta).is_some()))
    }

    fn rule_for(&self, meta: &Metadata<'_>) -> Option<&SpanRule> {
        self.rules.iter().find(|r| r.matches(meta))
    }

    /// Whether ordinary spans must be watched for inherited fields.
    #[inline]
    pub(crate) fn inherits(&self) -> bool {
        !self.inherit.is_empty()
    }

    /// Fills the record of a new GenAI span (made by [`SpanRecord::new`] in the caller's frame,
    /// so the large record is not moved once more): seeded by its rule, its fields captured,
    /// its inherited fields filled from its ancestors.
    #[inline]
    pub(crate) fn start<S>(
        &self,
        state: &mut SpanRecord,
        attrs: &SpanAttributes<'_>,
        id: &Id,
        ctx: &Context<'_, S>,
        content: &ContentConfig,
        attribute_of: AttributeOf,
    ) where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let meta = attrs.metadata();
        self::content::init(content, state);
        let rule = if self.rules.is_empty() {
            None
        } else {
            self.rule_for(meta)
        };
        if let Some(rule) = rule {
            rule.seed(state);
        }
        let resolved = self.callsites.get(meta, &self.aliases, rule, self.room);
        attrs.record(&mut Capture {
            state,
            aliases: &self.aliases,
            unknown: self.unknown,
            resolved: Some(&resolved),
        });
        state.resolved = Some(resolved);
        if self.inherits() {
            inherit::inherit_into(state, id, ctx, &self.aliases, &self.inherit, attribute_of);
        }
    }

    /// Captures values recorded later on a GenAI span.
    #[inline]
    pub(crate) fn record(&self, state: &mut SpanRecord, values: &Record<'_>) {
        let resolved = state.resolved.take();
        values.record(&mut Capture {
            state,
            aliases: &self.aliases,
            unknown: self.unknown,
            resolved: resolved.as_deref(),
        });
        state.resolved = resolved;
    }

    /// Keeps the inherited fields an ordinary span records (`record` feeds a visitor).
    pub(crate) fn record_plain<S>(
        &self,
        id: &Id,
        ctx: &Context<'_, S>,
        record: impl FnOnce(&mut dyn tracing_core::field::Visit),
    ) where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        inherit::capture_plain(&self.inherit, id, ctx, record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recycled_box_is_reused_by_the_next_span_on_the_thread() {
        let mut first = Kept::new(SpanRecord::new("llm", "app"));
        first.diagnostics.push("from the first span".into());
        let addr: *const SpanRecord = &*first;
        first.recycle();
        let second = Kept::new(SpanRecord::new("llm2", "app"));
        assert_eq!(&*second as *const SpanRecord, addr);
        // A fresh record, nothing of the first left.
        assert!(second.diagnostics.is_empty());
        assert!(second.content.is_none());
        // The pool is bounded: more boxes than it keeps are freed.
        let many: Vec<Kept> = (0..3 * POOLED)
            .map(|_| Kept::new(SpanRecord::new("llm", "app")))
            .collect();
        for k in many {
            k.recycle();
        }
        let pooled = POOL.with(|p| {
            let boxes = p.take();
            let n = boxes.len();
            p.set(boxes);
            n
        });
        assert_eq!(pooled, POOLED);
        drop(second);
    }
}
