//! The attribute mapper: user code that adds, renames or drops attributes of an LLM span before
//! it is exported.
//!
//! A mapper runs once per LLM span, when the span closes, after the GenAI layer has turned the
//! span's fields into typed `gen_ai.*` attributes. It sees the span's typed state
//! ([`GenAiSpan`]), including every non-GenAI field the span recorded, and the [`Attributes`]
//! about to be written. Closures are mappers (`Fn(&GenAiSpan, &mut Attributes)`), `()` is the
//! no-op mapper, and reusable mappers implement [`AttributeMapper`].
//!
//! ```
//! use tracing_genai::{mapper::Attributes, GenAiSpan};
//!
//! let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
//!     // add: a tenant id from an ordinary span field
//!     .with_mapper(|span: &GenAiSpan, attrs: &mut Attributes| {
//!         if let Some(tenant) = span.field("tenant_id") {
//!             attrs.insert("app.tenant.id", tenant.to_string());
//!         }
//!     })
//!     // rename and drop
//!     .with_mapper(|_: &GenAiSpan, attrs: &mut Attributes| {
//!         attrs.rename("feature", "app.feature");
//!         attrs.remove("user_email");
//!     });
//! # drop(layer);
//! ```

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use opentelemetry::{Key, KeyValue, Value};

use crate::model::GenAiSpan;

/// The attributes of one span, each key at most once.
///
/// Insertion replaces an existing value of the same key, so a mapper can never produce a
/// duplicate key. Order is kept (first insertion position).
///
/// ```
/// use tracing_genai::mapper::Attributes;
///
/// let mut attrs = Attributes::new();
/// attrs.insert("a", 1_i64);
/// attrs.insert("a", 2_i64);
/// assert_eq!(attrs.len(), 1);
/// assert!(attrs.rename("a", "b"));
/// assert_eq!(attrs.get("b"), Some(&opentelemetry::Value::I64(2)));
/// ```
#[derive(Clone, Debug)]
pub struct Attributes {
    items: Vec<KeyValue>,
    /// While a mapper runs: how to undo each change it made, so a panicking mapper changes
    /// nothing without the set being copied for every mapper call.
    journal: Journal,
    /// The lowest index a mapper replaced or removed (`usize::MAX`: none), so the layer knows
    /// in one check whether the keys it put in front were left alone.
    touched: usize,
}

impl Default for Attributes {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            journal: Journal(None),
            touched: usize::MAX,
        }
    }
}

impl PartialEq for Attributes {
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items
    }
}

/// One change to undo (besides pushes at the end, which are counted: see [`Log`]).
#[derive(Debug)]
enum Undo {
    /// The value at this index was replaced; this was it.
    Replaced(usize, Value),
    /// This item was removed from this index.
    Removed(usize, KeyValue),
}

/// The undo log of the mapper running on a set (`None`: no mapper is running).
#[derive(Debug, Default)]
struct Journal(Option<Log>);

/// The changes of one mapper: each other change with the pushes made before it, and the pushes
/// made since the last one. A mapper that only adds attributes allocates no log.
#[derive(Debug, Default)]
struct Log {
    changes: Vec<(usize, Undo)>,
    pushes: usize,
}

impl Clone for Journal {
    /// A copy records nothing: the journal belongs to the set a mapper is changing.
    fn clone(&self) -> Self {
        Journal(None)
    }
}

impl Attributes {
    /// An empty set.
    ///
    /// ```
    /// assert!(tracing_genai::mapper::Attributes::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty set with room for `n` attributes.
    ///
    /// ```
    /// assert!(tracing_genai::mapper::Attributes::with_capacity(8).is_empty());
    /// ```
    pub fn with_capacity(n: usize) -> Self {
        Self {
            items: Vec::with_capacity(n),
            journal: Journal(None),
            touched: usize::MAX,
        }
    }

    /// A set built in `items` (emptied first), reusing its allocation.
    pub(crate) fn reusing(mut items: Vec<KeyValue>) -> Self {
        items.clear();
        Self {
            items,
            journal: Journal(None),
            touched: usize::MAX,
        }
    }

    fn log(&mut self, undo: Undo) {
        if let Some(log) = &mut self.journal.0 {
            let (Undo::Replaced(i, _) | Undo::Removed(i, _)) = &undo;
            self.touched = self.touched.min(*i);
            log.changes.push((std::mem::take(&mut log.pushes), undo));
        }
    }

    fn log_push(&mut self) {
        if let Some(log) = &mut self.journal.0 {
            log.pushes += 1;
        }
    }

    /// Starts recording changes (a mapper is about to run).
    fn begin(&mut self) {
        self.journal.0 = Some(Log::default());
    }

    /// Keeps the changes made since [`begin`](Self::begin).
    fn commit(&mut self) {
        self.journal.0 = None;
    }

    /// Undoes every change made since [`begin`](Self::begin), latest first.
    fn rollback(&mut self) {
        let Some(log) = self.journal.0.take() else {
            return;
        };
        let pop =
            |items: &mut Vec<KeyValue>, n: usize| items.truncate(items.len().saturating_sub(n));
        pop(&mut self.items, log.pushes);
        for (pushes, undo) in log.changes.into_iter().rev() {
            match undo {
                Undo::Replaced(i, old) => {
                    if let Some(kv) = self.items.get_mut(i) {
                        kv.value = old;
                    }
                }
                Undo::Removed(i, kv) => {
                    let i = i.min(self.items.len());
                    self.items.insert(i, kv);
                }
            }
            pop(&mut self.items, pushes);
        }
    }

    /// The value of `key`, if present.
    ///
    /// ```
    /// let mut attrs = tracing_genai::mapper::Attributes::new();
    /// attrs.insert("k", "v");
    /// assert_eq!(attrs.get("k").map(|v| v.as_str().into_owned()), Some("v".to_string()));
    /// ```
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.items
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| &kv.value)
    }

    /// Whether `key` is present.
    ///
    /// ```
    /// let mut attrs = tracing_genai::mapper::Attributes::new();
    /// attrs.insert("k", true);
    /// assert!(attrs.contains_key("k"));
    /// ```
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`, replacing (in place) and returning any previous value.
    ///
    /// ```
    /// let mut attrs = tracing_genai::mapper::Attributes::new();
    /// assert!(attrs.insert("k", 1_i64).is_none());
    /// assert!(attrs.insert("k", 2_i64).is_some());
    /// ```
    pub fn insert(&mut self, key: impl Into<Key>, value: impl Into<Value>) -> Option<Value> {
        let key = key.into();
        let value = value.into();
        match self.items.iter().position(|kv| kv.key == key) {
            Some(i) => {
                let old = std::mem::replace(&mut self.items[i].value, value);
                if self.journal.0.is_some() {
                    self.log(Undo::Replaced(i, old.clone()));
                }
                Some(old)
            }
            None => {
                self.items.push(KeyValue::new(key, value));
                self.log_push();
                None
            }
        }
    }

    /// Removes `key`, returning its value.
    ///
    /// ```
    /// let mut attrs = tracing_genai::mapper::Attributes::new();
    /// attrs.insert("k", 1_i64);
    /// assert!(attrs.remove("k").is_some());
    /// assert!(attrs.is_empty());
    /// ```
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let pos = self.items.iter().position(|kv| kv.key.as_str() == key)?;
        let kv = self.items.remove(pos);
        if self.journal.0.is_some() {
            self.log(Undo::Removed(pos, kv.clone()));
        }
        Some(kv.value)
    }

    /// Moves the value of `from` to `to` (replacing any value `to` had). Returns whether `from`
    /// was present.
    ///
    /// ```
    /// let mut attrs = tracing_genai::mapper::Attributes::new();
    /// attrs.insert("old", 1_i64);
    /// assert!(attrs.rename("old", "new"));
    /// assert!(!attrs.contains_key("old"));
    /// ```
    pub fn rename(&mut self, from: &str, to: impl Into<Key>) -> bool {
        match self.remove(from) {
            Some(value) => {
                self.insert(to, value);
                true
            }
            None => false,
        }
    }

    /// Keeps only the attributes for which `f` returns `true`.
    ///
    /// ```
    /// let mut attrs = tracing_genai::mapper::Attributes::new();
    /// attrs.insert("secret.token", "x");
    /// attrs.insert("keep", "y");
    /// attrs.retain(|key, _| !key.starts_with("secret."));
    /// assert_eq!(attrs.len(), 1);
    /// ```
    pub fn retain(&mut self, mut f: impl FnMut(&str, &Value) -> bool) {
        if self.journal.0.is_none() {
            return self.items.retain(|kv| f(kv.key.as_str(), &kv.value));
        }
        let mut i = 0;
        while i < self.items.len() {
            if f(self.items[i].key.as_str(), &self.items[i].value) {
                i += 1;
            } else {
                let kv = self.items.remove(i);
                self.log(Undo::Removed(i, kv));
            }
        }
    }

    /// Iterates over the attributes in order.
    ///
    /// ```
    /// let mut attrs = tracing_genai::mapper::Attributes::new();
    /// attrs.insert("k", 1_i64);
    /// assert_eq!(attrs.iter().count(), 1);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &KeyValue> {
        self.items.iter()
    }

    /// Number of attributes.
    ///
    /// ```
    /// assert_eq!(tracing_genai::mapper::Attributes::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are no attributes.
    ///
    /// ```
    /// assert!(tracing_genai::mapper::Attributes::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Removes the items at `positions` (any order, each at most once; out-of-range entries are
    /// ignored).
    pub(crate) fn remove_positions(&mut self, positions: &mut [usize]) {
        positions.sort_unstable();
        for &p in positions.iter().rev() {
            if p < self.items.len() {
                self.items.remove(p);
            }
        }
    }

    /// Whether no mapper replaced or removed any of the first `n` items.
    pub(crate) fn untouched_below(&self, n: usize) -> bool {
        self.touched >= n && self.items.len() >= n
    }

    /// Removes the first `n` items.
    pub(crate) fn remove_front(&mut self, n: usize) {
        self.items.drain(..n.min(self.items.len()));
    }

    /// Pushes without checking for an existing key; only for the layer, which builds the set from
    /// distinct keys.
    pub(crate) fn push_unique(&mut self, kv: KeyValue) {
        debug_assert!(!self.contains_key(kv.key.as_str()));
        self.items.push(kv);
    }

    /// The attributes as a vector, in order.
    ///
    /// ```
    /// let mut attrs = tracing_genai::mapper::Attributes::new();
    /// attrs.insert("k", 1_i64);
    /// assert_eq!(attrs.into_vec().len(), 1);
    /// ```
    pub fn into_vec(self) -> Vec<KeyValue> {
        self.items
    }
}

impl IntoIterator for Attributes {
    type Item = KeyValue;
    type IntoIter = std::vec::IntoIter<KeyValue>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// Adds, renames or drops attributes of an LLM span before export.
///
/// Implemented for closures `Fn(&GenAiSpan, &mut Attributes)` and for `()` (no-op). A mapper that
/// panics is isolated: the span is exported without that mapper's changes and the panic is
/// reported once per mapper (see [`Diagnostics`](crate::Diagnostics)).
///
/// Mappers run while the span closes, with no lock of the layer held: they may record on other
/// spans, log events and create spans. A span created *and closed* inside a mapper should be a
/// root (`info_span!(parent: None, ..)`): tracing-subscriber's `Registry` never frees a span
/// closed while another span is closing on the same thread, so a child of the current span made
/// there would keep that span from ever closing.
///
/// ```
/// use tracing_genai::{mapper::{AttributeMapper, Attributes}, GenAiSpan};
///
/// /// Copies the `tenant_id` field of every LLM span to `app.tenant.id`.
/// struct Tenant;
///
/// impl AttributeMapper for Tenant {
///     fn map(&self, span: &GenAiSpan, attrs: &mut Attributes) {
///         if let Some(tenant) = span.field("tenant_id") {
///             attrs.insert("app.tenant.id", tenant.to_string());
///         }
///     }
/// }
///
/// let layer = tracing_genai::layer::<tracing_subscriber::Registry>().with_mapper(Tenant);
/// # drop(layer);
/// ```
pub trait AttributeMapper: Send + Sync + 'static {
    /// Edits `attributes`, the attributes about to be written on the span described by `span`.
    fn map(&self, span: &GenAiSpan, attributes: &mut Attributes);

    /// A short name used when reporting this mapper's failures. Defaults to its type name.
    fn name(&self) -> &str {
        std::any::type_name::<Self>()
    }
}

impl<F> AttributeMapper for F
where
    F: Fn(&GenAiSpan, &mut Attributes) + Send + Sync + 'static,
{
    fn map(&self, span: &GenAiSpan, attributes: &mut Attributes) {
        self(span, attributes)
    }
}

impl AttributeMapper for () {
    fn map(&self, _: &GenAiSpan, _: &mut Attributes) {}
}

/// A mapper that renames attribute keys.
///
/// ```
/// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
///     .with_mapper(tracing_genai::mapper::RenameAttributes::new([("feature", "app.feature")]));
/// # drop(layer);
/// ```
#[derive(Clone, Debug, Default)]
pub struct RenameAttributes {
    pairs: Vec<(String, String)>,
}

impl RenameAttributes {
    /// Renames each `(from, to)`.
    pub fn new<I, A, B>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (A, B)>,
        A: Into<String>,
        B: Into<String>,
    {
        Self {
            pairs: pairs
                .into_iter()
                .map(|(a, b)| (a.into(), b.into()))
                .collect(),
        }
    }
}

impl AttributeMapper for RenameAttributes {
    fn map(&self, _: &GenAiSpan, attributes: &mut Attributes) {
        for (from, to) in &self.pairs {
            attributes.rename(from, to.clone());
        }
    }
}

/// A mapper that drops attributes by exact key or by `prefix.*` pattern.
///
/// ```
/// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
///     .with_mapper(tracing_genai::mapper::DropAttributes::new(["user_email", "debug.*"]));
/// # drop(layer);
/// ```
#[derive(Clone, Debug, Default)]
pub struct DropAttributes {
    patterns: Vec<String>,
}

impl DropAttributes {
    /// Drops every key equal to a pattern, or starting with the part before a trailing `*`.
    pub fn new<I, A>(patterns: I) -> Self
    where
        I: IntoIterator<Item = A>,
        A: Into<String>,
    {
        Self {
            patterns: patterns.into_iter().map(Into::into).collect(),
        }
    }

    fn matches(&self, key: &str) -> bool {
        self.patterns.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => key.starts_with(prefix),
            None => key == p,
        })
    }
}

impl AttributeMapper for DropAttributes {
    fn map(&self, _: &GenAiSpan, attributes: &mut Attributes) {
        attributes.retain(|key, _| !self.matches(key));
    }
}

/// One configured mapper with its failure bookkeeping.
#[derive(Clone)]
pub(crate) struct MapperSlot {
    mapper: Arc<dyn AttributeMapper>,
    reported: Arc<AtomicBool>,
    panics: Arc<AtomicU64>,
}

impl fmt::Debug for MapperSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapperSlot")
            .field("mapper", &self.mapper.name())
            .field("panics", &self.panics.load(Ordering::Relaxed))
            .finish()
    }
}

/// What went wrong when a mapper ran; reported by the layer after all locks are released.
#[derive(Debug)]
pub(crate) struct MapperFailure {
    pub(crate) mapper: String,
    pub(crate) message: String,
    /// Whether this is the first failure of that mapper (report it then, count it always).
    pub(crate) first: bool,
}

impl MapperSlot {
    pub(crate) fn new(mapper: impl AttributeMapper) -> Self {
        Self {
            mapper: Arc::new(mapper),
            reported: Arc::new(AtomicBool::new(false)),
            panics: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Runs the mapper on `attributes`; undoes its changes if it panicked.
    pub(crate) fn apply(
        &self,
        span: &GenAiSpan,
        attributes: &mut Attributes,
    ) -> Result<(), MapperFailure> {
        // Each change is journaled while the mapper runs (no copy of the set): a panic rolls
        // them back, so a panicking mapper changes nothing.
        attributes.begin();
        match catch_unwind(AssertUnwindSafe(|| self.mapper.map(span, attributes))) {
            Ok(()) => {
                attributes.commit();
                Ok(())
            }
            Err(payload) => {
                attributes.rollback();
                self.panics.fetch_add(1, Ordering::Relaxed);
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-string panic payload".to_string());
                Err(MapperFailure {
                    mapper: self.mapper.name().to_string(),
                    message,
                    first: !self.reported.swap(true, Ordering::Relaxed),
                })
            }
        }
    }
}

#[cfg(test)]
#[path = "mapper_tests.rs"]
mod tests;
