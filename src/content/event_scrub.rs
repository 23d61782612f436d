//! Secret scrubbing of `tracing` events recorded inside GenAI spans (they become span events).
//!
//! The event is inspected; only if a field holds a secret (or is named like one, or is a
//! message-content field) is a copy with scrubbed values (content fields left out) forwarded
//! instead of the original. Clean events cost one scan and no copy.

use std::fmt;

use tracing_core::Event;
use tracing_core::field::{Field, Value as TracingValue, Visit};

use super::secrets::{REDACTED, SecretScanner};
use crate::model::text::{error_chain, is_secret_name};
use crate::semconv as sc;

enum Owned {
    Str(String),
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    F64(f64),
    Bool(bool),
}

impl Owned {
    fn as_value(&self) -> &dyn TracingValue {
        match self {
            Owned::Str(s) => s,
            Owned::I64(v) => v,
            Owned::U64(v) => v,
            Owned::I128(v) => v,
            Owned::U128(v) => v,
            Owned::F64(v) => v,
            Owned::Bool(v) => v,
        }
    }
}

struct Collect<'a> {
    scanner: &'a SecretScanner,
    values: Vec<Option<Owned>>,
    dirty: bool,
}

/// Message content never leaves through an event's fields (it is exported, bounded and
/// redacted, only through the span's content attributes).
fn is_content_field(name: &str) -> bool {
    sc::is_content_key(name)
}

impl Collect<'_> {
    fn put(&mut self, field: &Field, v: Owned) {
        if is_content_field(field.name()) {
            // Left unset: the field is not exported.
            self.dirty = true;
            return;
        }
        if let Some(slot) = self.values.get_mut(field.index()) {
            *slot = Some(v);
        }
    }

    fn put_str(&mut self, field: &Field, s: &str) {
        if is_secret_name(field.name()) {
            self.dirty = true;
            return self.put(field, Owned::Str(REDACTED.to_string()));
        }
        let scrubbed = self.scanner.scrub(s);
        if matches!(scrubbed, std::borrow::Cow::Owned(_)) {
            self.dirty = true;
        }
        self.put(field, Owned::Str(scrubbed.into_owned()));
    }

    fn put_plain(&mut self, field: &Field, v: Owned) {
        if is_secret_name(field.name()) {
            self.dirty = true;
            return self.put(field, Owned::Str(REDACTED.to_string()));
        }
        self.put(field, v);
    }
}

impl Visit for Collect<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put_plain(field, Owned::F64(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put_plain(field, Owned::I64(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put_plain(field, Owned::U64(value));
    }
    fn record_i128(&mut self, field: &Field, value: i128) {
        self.put_plain(field, Owned::I128(value));
    }
    fn record_u128(&mut self, field: &Field, value: u128) {
        self.put_plain(field, Owned::U128(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put_plain(field, Owned::Bool(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put_str(field, value);
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let s = error_chain(value);
        self.put_str(field, &s);
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let s = format!("{value:?}");
        self.put_str(field, &s);
    }
}

/// Forwards `event`, or a scrubbed copy of it when it carries a secret.
pub(crate) fn forward_scrubbed(
    scanner: &SecretScanner,
    event: &Event<'_>,
    forward: impl FnOnce(&Event<'_>),
) {
    let meta = event.metadata();
    let fields = meta.fields();
    let mut collect = Collect {
        scanner,
        values: (0..fields.len()).map(|_| None).collect(),
        dirty: false,
    };
    event.record(&mut collect);
    if !collect.dirty {
        return forward(event);
    }
    let values: Vec<Option<&dyn TracingValue>> = collect
        .values
        .iter()
        .map(|v| v.as_ref().map(Owned::as_value))
        .collect();
    let set = fields.value_set_all(&values);
    let copy = if let Some(parent) = event.parent() {
        Event::new_child_of(parent.clone(), meta, &set)
    } else if event.is_root() {
        Event::new_child_of(None, meta, &set)
    } else {
        Event::new(meta, &set)
    };
    forward(&copy)
}
