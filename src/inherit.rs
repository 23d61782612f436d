//! Field inheritance: correlation fields (an application `request_id`, a
//! `gen_ai.conversation.id`) recorded on an outer span are copied onto the GenAI spans below
//! it, when the application lists them with [`GenAiLayer::with_inherited_fields`].
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

use tracing_core::field::{Field, Visit};
use tracing_core::span::Id;
use tracing_core::Subscriber;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::capture::{apply, Raw};
use crate::config::LayerConfig;
use crate::fields::GenAiField;
use crate::layer::GenAiLayer;
use crate::state::GenAiSpan;
use crate::value::FieldValue;

/// The configured field names.
#[derive(Clone, Debug, Default)]
pub(crate) struct InheritList(Arc<[Cow<'static, str>]>);

impl InheritList {
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
    config: &LayerConfig,
) -> Option<(&'static str, FieldValue)> {
    match config.aliases.get(name) {
        Some(GenAiField::ConversationId) => state
            .conversation_id
            .clone()
            .map(|v| (crate::semconv::GEN_AI_CONVERSATION_ID, FieldValue::Str(v))),
        Some(GenAiField::Content) => None,
        Some(field) => {
            let key = field.key();
            let attrs = crate::mapping::attributes(state);
            let value = match attrs.get(key)? {
                opentelemetry::Value::String(s) => FieldValue::Str(s.to_string()),
                opentelemetry::Value::I64(v) => FieldValue::I64(*v),
                opentelemetry::Value::F64(v) => FieldValue::F64(*v),
                opentelemetry::Value::Bool(v) => FieldValue::Bool(*v),
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

fn raw(value: &FieldValue) -> Raw<'_> {
    match value {
        FieldValue::Str(s) => Raw::Str(s),
        FieldValue::I64(v) => Raw::I64(*v),
        FieldValue::U64(v) => Raw::U64(*v),
        FieldValue::F64(v) => Raw::F64(*v),
        FieldValue::Bool(v) => Raw::Bool(*v),
    }
}

/// Fills the listed fields a new GenAI span did not record from its nearest ancestors.
pub(crate) fn inherit_into<S>(
    state: &mut GenAiSpan,
    id: &Id,
    ctx: &Context<'_, S>,
    config: &LayerConfig,
) where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let list = &config.accounting.inherit;
    let Some(span) = ctx.span(id) else {
        return;
    };
    for name in list.0.iter() {
        if genai_value(state, name, config).is_some() {
            continue;
        }
        let found = span.scope().skip(1).find_map(|ancestor| {
            let ext = ancestor.extensions();
            if let Some(parent) = ext.get::<GenAiSpan>() {
                if let Some(found) = genai_value(parent, name, config) {
                    return Some(found);
                }
            }
            ext.get::<Inherited>()
                .and_then(|i| i.get(name))
                .map(|(n, v)| (n, v.clone()))
        });
        let Some((static_name, value)) = found else {
            continue;
        };
        match config.aliases.get(static_name) {
            Some(GenAiField::Content) | None => state.set_field(static_name, value),
            Some(field) => apply(state, field, static_name, raw(&value)),
        }
    }
}

impl<L> GenAiLayer<L> {
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
    pub fn with_inherited_fields<I, N>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = N>,
        N: Into<Cow<'static, str>>,
    {
        let names: Vec<Cow<'static, str>> = names.into_iter().map(Into::into).collect();
        self.config.accounting.inherit = InheritList(names.into());
        self
    }
}
