//! The set a mapper edits ([`Attributes`]): each key once, every change journaled while a
//! mapper runs (so a panicking mapper changes nothing), and the keys the span was given at
//! start seen without being copied in until a mapper reads or changes one ([`Lead`]).

use std::fmt;
use std::sync::OnceLock;

use opentelemetry::{Key, KeyValue, Value};

use crate::semconv::SAMPLING_RELEVANT;

/// The attributes of one span, each key at most once.
///
/// Insertion replaces an existing value of the same key, so a mapper can never produce a
/// duplicate key. Order is kept (first insertion position). A mapper's set also holds, first,
/// the attributes the span was given when it started (what a head sampler saw): a mapper reads
/// them like any other, and a change to one is named in the span's diagnostics (OpenTelemetry
/// cannot change the attributes of a started span). `'a` is how long the set may look at that
/// span; a set made with [`new`](Self::new) looks at none.
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
#[derive(Clone)]
pub struct Attributes<'a> {
    items: Vec<KeyValue>,
    /// While a mapper runs: how to undo each change it made, so a panicking mapper changes
    /// nothing without the set being copied for every mapper call.
    journal: Journal,
    /// The keys given at start while they are not in `items` (no mapper changed one).
    lead: Option<Lead<'a>>,
    /// How many of the first `items` are the keys given at start, moved there when a mapper
    /// changed one of them.
    in_front: usize,
}

/// The attributes a span was given at start, which its mappers see. They are not copied into
/// the set unless a mapper changes one: most mappers only add, and copying those values in and
/// out again would cost about as much as the rest of the mapper's work.
#[derive(Clone)]
pub(crate) struct Lead<'a> {
    /// Bit `i`: `SAMPLING_RELEVANT[i]` is one of them.
    keys: u16,
    /// Their values, in `SAMPLING_RELEVANT` order (one per key).
    values: &'a (dyn Fn() -> Vec<KeyValue> + Sync),
    /// `values()`, once a mapper read one.
    read: OnceLock<Vec<KeyValue>>,
}

impl<'a> Lead<'a> {
    /// The keys of `keys` (bit `i`: `SAMPLING_RELEVANT[i]`), whose values `values` makes.
    pub(crate) fn new(keys: u16, values: &'a (dyn Fn() -> Vec<KeyValue> + Sync)) -> Self {
        Self {
            keys,
            values,
            read: OnceLock::new(),
        }
    }

    fn has(&self, key: &str) -> bool {
        // Most keys a mapper names have none of those lengths: one check.
        if LENGTHS & (1_u128 << key.len().min(127)) == 0 {
            return false;
        }
        SAMPLING_RELEVANT
            .iter()
            .enumerate()
            .any(|(i, k)| self.keys & (1 << i) != 0 && *k == key)
    }

    fn len(&self) -> usize {
        self.keys.count_ones() as usize
    }

    fn read(&self) -> &[KeyValue] {
        self.read.get_or_init(|| self.make())
    }

    fn into_values(mut self) -> Vec<KeyValue> {
        self.read.take().unwrap_or_else(|| self.make())
    }

    fn make(&self) -> Vec<KeyValue> {
        let values = (self.values)();
        debug_assert!(
            values.len() == self.len() && values.iter().all(|kv| self.has(kv.key.as_str()))
        );
        values
    }
}

/// Bit `n`: a key of `SAMPLING_RELEVANT` is `n` bytes long (all are shorter than 127).
const LENGTHS: u128 = {
    let mut bits = 0_u128;
    let mut i = 0;
    while i < SAMPLING_RELEVANT.len() {
        assert!(SAMPLING_RELEVANT[i].len() < 127);
        bits |= 1 << SAMPLING_RELEVANT[i].len();
        i += 1;
    }
    bits
};

impl Default for Attributes<'_> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl PartialEq for Attributes<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl fmt::Debug for Attributes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
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

impl<'a> Attributes<'a> {
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
        Self::reusing(Vec::with_capacity(n))
    }

    /// A set built in `items` (emptied first), reusing its allocation.
    pub(crate) fn reusing(mut items: Vec<KeyValue>) -> Self {
        items.clear();
        Self {
            items,
            journal: Journal(None),
            lead: None,
            in_front: 0,
        }
    }

    /// This set with the attributes given at start seen first (`lead`), for the mappers.
    pub(crate) fn with_lead<'b>(self, lead: Lead<'b>) -> Attributes<'b> {
        Attributes {
            items: self.items,
            journal: Journal(None),
            lead: (lead.keys != 0).then_some(lead),
            in_front: 0,
        }
    }

    /// After the mappers: the set without its view of the span, and where in it are the
    /// attributes given at start: `Some(n)`, the first `n` items (0 while no mapper changed one:
    /// then none are); `None`, anywhere or nowhere (a mapper replaced the whole set).
    pub(crate) fn detach(self) -> (Attributes<'static>, Option<usize>) {
        let led = match (&self.lead, self.in_front) {
            (Some(_), _) => Some(0),
            (None, 0) => None,
            (None, n) => Some(n),
        };
        let detached = Attributes {
            items: self.items,
            journal: Journal(None),
            lead: None,
            in_front: 0,
        };
        (detached, led)
    }

    fn log(&mut self, undo: Undo) {
        if let Some(log) = &mut self.journal.0 {
            log.changes.push((std::mem::take(&mut log.pushes), undo));
        }
    }

    fn log_push(&mut self) {
        if let Some(log) = &mut self.journal.0 {
            log.pushes += 1;
        }
    }

    /// Starts recording changes (a mapper is about to run).
    pub(super) fn begin(&mut self) {
        self.journal.0 = Some(Log::default());
    }

    /// Keeps the changes made since [`begin`](Self::begin).
    pub(super) fn commit(&mut self) {
        self.journal.0 = None;
    }

    /// Undoes every change made since [`begin`](Self::begin), latest first. (Attributes given
    /// at start that were moved in front stay there: the same attributes.)
    pub(super) fn rollback(&mut self) {
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

    /// Whether `key` is one of the attributes given at start not yet in `items`.
    fn led(&self, key: &str) -> bool {
        self.lead.as_ref().is_some_and(|l| l.has(key))
    }

    /// Moves the attributes given at start in front of `items` (a mapper changes one of them),
    /// shifting what the journal recorded accordingly.
    fn bring_forward(&mut self) {
        let Some(lead) = self.lead.take() else {
            return;
        };
        let values = lead.into_values();
        let n = values.len();
        self.items.splice(0..0, values);
        self.in_front = n;
        if let Some(log) = &mut self.journal.0 {
            for (_, undo) in &mut log.changes {
                let (Undo::Replaced(i, _) | Undo::Removed(i, _)) = undo;
                *i += n;
            }
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
        let items = match &self.lead {
            Some(lead) if lead.has(key) => lead.read(),
            _ => &self.items[..],
        };
        items
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
        self.led(key) || self.items.iter().any(|kv| kv.key.as_str() == key)
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
        if self.led(key.as_str()) {
            self.bring_forward();
        }
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
        if self.led(key) {
            self.bring_forward();
        }
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

    /// Keeps only the attributes for which `f` returns `true` (`f` sees each once, in order).
    ///
    /// ```
    /// let mut attrs = tracing_genai::mapper::Attributes::new();
    /// attrs.insert("secret.token", "x");
    /// attrs.insert("keep", "y");
    /// attrs.retain(|key, _| !key.starts_with("secret."));
    /// assert_eq!(attrs.len(), 1);
    /// ```
    pub fn retain(&mut self, mut f: impl FnMut(&str, &Value) -> bool) {
        // The attributes given at start are offered first, and moved in only if one goes.
        let mut from = 0;
        if let Some(lead) = &self.lead {
            let read = lead.read();
            // Bit `i`: the `i`th of them goes (there are at most `SAMPLING_RELEVANT.len()`).
            let gone = read.iter().enumerate().fold(0_u16, |gone, (i, kv)| {
                if f(kv.key.as_str(), &kv.value) {
                    gone
                } else {
                    gone | 1 << i
                }
            });
            if gone != 0 {
                let n = read.len();
                self.bring_forward();
                for i in (0..n).rev().filter(|&i| gone & (1 << i) != 0) {
                    self.remove_at(i);
                }
                from = n - gone.count_ones() as usize;
            }
        }
        if self.journal.0.is_none() && from == 0 {
            return self.items.retain(|kv| f(kv.key.as_str(), &kv.value));
        }
        let mut i = from;
        while i < self.items.len() {
            if f(self.items[i].key.as_str(), &self.items[i].value) {
                i += 1;
            } else {
                self.remove_at(i);
            }
        }
    }

    fn remove_at(&mut self, i: usize) {
        let kv = self.items.remove(i);
        self.log(Undo::Removed(i, kv));
    }

    /// Iterates over the attributes in order.
    ///
    /// ```
    /// let mut attrs = tracing_genai::mapper::Attributes::new();
    /// attrs.insert("k", 1_i64);
    /// assert_eq!(attrs.iter().count(), 1);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &KeyValue> {
        let lead = self.lead.as_ref().map_or(&[][..], Lead::read);
        lead.iter().chain(&self.items)
    }

    /// Number of attributes.
    ///
    /// ```
    /// assert_eq!(tracing_genai::mapper::Attributes::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.lead.as_ref().map_or(0, Lead::len) + self.items.len()
    }

    /// Whether there are no attributes.
    ///
    /// ```
    /// assert!(tracing_genai::mapper::Attributes::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The set's items: all its attributes once it no longer looks at a span (see
    /// [`detach`](Self::detach)); a plain slice for the layer's scans.
    pub(crate) fn items(&self) -> &[KeyValue] {
        debug_assert!(self.lead.is_none());
        &self.items
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
    pub fn into_vec(mut self) -> Vec<KeyValue> {
        if self.lead.is_some() {
            self.bring_forward();
        }
        self.items
    }
}

impl IntoIterator for Attributes<'_> {
    type Item = KeyValue;
    type IntoIter = std::vec::IntoIter<KeyValue>;
    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

#[cfg(test)]
#[path = "attributes_tests.rs"]
mod tests;
