//! Field inheritance: correlation fields (an application `request_id`, a
//! `gen_ai.conversation.id`) recorded on an outer span are copied onto the GenAI spans below
//! it, when the application lists them with
//! [`GenAiLayer::with_inherited_fields`](crate::GenAiLayer::with_inherited_fields).
//!
//! When a GenAI span is created, each listed field it did not record itself is looked up on
//! its ancestors, nearest first. Ancestors may be ordinary (non-GenAI) spans: for those the
//! layer keeps the values of the listed fields only, and only when the list is not empty, so
//! the feature costs nothing when unused. A span entered in a spawned task
//! (`tokio::spawn(fut.instrument(span))`) has its creator's spans as ancestors, so the
//! values cross task boundaries. Values recorded on the ancestor after the GenAI span was
//! created are not seen.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use tracing_core::Subscriber;
use tracing_core::field::{Field, Visit};
use tracing_core::span::Id;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use super::SpanRecord;
use super::aliases::AliasTable;
use super::capture::apply;
use super::raw::Raw;
use crate::model::{FieldValue, GenAiField, GenAiSpan};
use crate::semconv as sc;

/// The exported value of a GenAI attribute key on a span's state. Inheritance reads a
/// GenAI ancestor's facts in their exported form, which the export stage defines; the layer
/// passes its function in, so recording does not depend on export.
pub(crate) type AttributeOf = fn(&GenAiSpan, &str) -> Option<opentelemetry::Value>;

/// The configured field names.
#[derive(Clone, Debug, Default)]
pub(crate) struct InheritList(Arc<[Cow<'static, str>]>);

impl InheritList {
    /// The list of these names.
    pub(crate) fn new(names: Vec<Cow<'static, str>>) -> Self {
        InheritList(names.into())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|n| n == name)
    }
}

/// Values of listed fields recorded by a non-GenAI span (a span extension).
#[derive(Debug, Default)]
struct Inherited(Vec<(&'static str, FieldValue)>);

impl Inherited {
    fn get(&self, name: &str) -> Option<(&'static str, &FieldValue)> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, v)| (*n, v))
    }
}

struct Collect<'a> {
    list: &'a InheritList,
    out: Vec<(&'static str, FieldValue)>,
}

impl Collect<'_> {
    fn keep(&mut self, field: &Field, value: FieldValue) {
        if self.list.contains(field.name()) {
            self.out.push((field.name(), value));
        }
    }
}

impl Visit for Collect<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.keep(field, FieldValue::Str(value.to_string()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.keep(field, FieldValue::I64(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.keep(field, FieldValue::U64(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.keep(field, FieldValue::F64(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.keep(field, FieldValue::Bool(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.list.contains(field.name()) {
            self.out
                .push((field.name(), FieldValue::Str(format!("{value:?}"))));
        }
    }
}

/// Keeps the listed fields a non-GenAI span records (`record` feeds a visitor).
pub(crate) fn capture_plain<S>(
    list: &InheritList,
    id: &Id,
    ctx: &Context<'_, S>,
    record: impl FnOnce(&mut dyn Visit),
) where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let mut collect = Collect {
        list,
        out: Vec::new(),
    };
    record(&mut collect);
    if collect.out.is_empty() {
        return;
    }
    let Some(span) = ctx.span(id) else {
        return;
    };
    let mut ext = span.extensions_mut();
    match ext.get_mut::<Inherited>() {
        Some(existing) => {
            for (name, value) in collect.out {
                match existing.0.iter_mut().find(|(n, _)| *n == name) {
                    Some(slot) => slot.1 = value,
                    None => existing.0.push((name, value)),
                }
            }
        }
        None => ext.insert(Inherited(collect.out)),
    }
}

/// The value of `name` on a GenAI span's state: a GenAI attribute (through the alias table)
/// or an ordinary field.
fn genai_value(
    state: &GenAiSpan,
    name: &str,
    aliases: &AliasTable,
    attribute_of: AttributeOf,
) -> Option<(&'static str, FieldValue)> {
    match aliases.get(name) {
        Some(GenAiField::ConversationId) => state
            .conversation_id
            .as_deref()
            .map(|v| (sc::GEN_AI_CONVERSATION_ID, FieldValue::Str(v.to_owned()))),
        Some(GenAiField::Content) => None,
        Some(field) => {
            let key = field.key();
            let value = match attribute_of(state, key)? {
                opentelemetry::Value::String(s) => FieldValue::Str(s.to_string()),
                opentelemetry::Value::I64(v) => FieldValue::I64(v),
                opentelemetry::Value::F64(v) => FieldValue::F64(v),
                opentelemetry::Value::Bool(v) => FieldValue::Bool(v),
                _ => return None,
            };
            Some((key, value))
        }
        None => state
            .fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, v)| (*n, v.clone())),
    }
}

/// Fills the listed fields a new GenAI span did not record from its nearest ancestors.
pub(crate) fn inherit_into<S>(
    state: &mut SpanRecord,
    id: &Id,
    ctx: &Context<'_, S>,
    aliases: &AliasTable,
    list: &InheritList,
    attribute_of: AttributeOf,
) where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let Some(span) = ctx.span(id) else {
        return;
    };
    for name in list.0.iter() {
        if genai_value(state, name, aliases, attribute_of).is_some() {
            continue;
        }
        let found = span.scope().skip(1).find_map(|ancestor| {
            let ext = ancestor.extensions();
            if let Some(parent) = ext.get::<super::Kept>()
                && let Some(found) = genai_value(parent, name, aliases, attribute_of)
            {
                return Some(found);
            }
            ext.get::<Inherited>()
                .and_then(|i| i.get(name))
                .map(|(n, v)| (n, v.clone()))
        });
        let Some((static_name, value)) = found else {
            continue;
        };
        match aliases.get(static_name) {
            Some(GenAiField::Content) | None => state.set_field(static_name, value),
            Some(field) => apply(state, field, static_name, Raw::from(&value)),
        }
    }
}
