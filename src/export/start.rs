//! Step 0, when a GenAI span starts: the span name the conventions give it and the
//! sampling-relevant attributes declared with a value at creation
//! ([`SAMPLING_RELEVANT`](sc::SAMPLING_RELEVANT)), written on the OpenTelemetry span *before*
//! it starts, so a head sampler (`ShouldSample`) decides on them. Each value is the one the
//! close-time mapping would export (same key, same type); a value the secret scanner would
//! change is left to the close-time write, which scrubs it. The close-time write skips what
//! was written here (its attributes leave those keys out).

use opentelemetry::{Array, StringValue, Value};

use crate::content::SecretScanner;
use crate::mapper::Attributes;
use crate::model::GenAiSpan;
use crate::record::start::{self, OPERATION, PORT, StartGiven, StartWrites};
use crate::semconv as sc;
use crate::semconv::DIAGNOSTICS_ATTRIBUTE;

/// What to give OpenTelemetry as a span with this state starts: which of its name and its
/// sampling-relevant attributes (the values stay in the state).
pub(crate) fn at_start(state: &GenAiSpan, scanner: &SecretScanner) -> StartGiven {
    let clean = |s: &str| matches!(scanner.scrub(s), std::borrow::Cow::Borrowed(_));
    // A well-known operation name is a constant: nothing to scrub.
    let constant_op = state
        .operation
        .as_ref()
        .is_some_and(|o| o.static_str().is_some());
    // What is given must fit a `StartWrites` (u16 offsets), should it be saved later.
    let mut room = usize::from(u16::MAX);
    let mut fits = |len: usize| match room.checked_sub(len) {
        Some(left) => {
            room = left;
            true
        }
        None => false,
    };
    let mut given = StartGiven::default();
    match (state.otel.name.as_deref(), state.name_parts()) {
        (Some(explicit), _) => {
            if clean(explicit) && fits(explicit.len()) {
                given.give_name();
            }
        }
        (None, Some((op, detail))) => {
            if (constant_op || clean(op))
                && detail.is_none_or(clean)
                && fits(op.len() + detail.map_or(0, |d| 1 + d.len()))
            {
                given.give_name();
            }
        }
        (None, None) => {}
    }
    for (key, value) in start::start_strings(state).into_iter().enumerate() {
        let constant = key == OPERATION && constant_op;
        if value.is_some_and(|v| (constant || clean(v)) && fits(v.len())) {
            given.give(key);
        }
    }
    if state.server_port.is_some() {
        given.give(PORT);
    }
    given
}

/// After the mappers ran on the full attributes: takes out of them every key the span was
/// given at start (it carries those already, and OpenTelemetry cannot replace or remove an
/// attribute of a started span), naming in the diagnostics each one a mapper changed or
/// removed. The caller then treats the attributes as leaving out `writes`, like those built
/// without mappers.
pub(crate) fn settle(writes: &StartWrites, attrs: &mut Attributes, state: &mut GenAiSpan) {
    let mut positions = [usize::MAX; sc::SAMPLING_RELEVANT.len()];
    let mut notes = Vec::new();
    for (slot, key) in sc::SAMPLING_RELEVANT.iter().enumerate() {
        let given = match (writes.get(slot), writes.port()) {
            (Some(text), _) => Given::Text(text),
            (None, Some(port)) if slot == PORT => Given::Int(port),
            _ => continue,
        };
        let found = attrs.iter().position(|kv| kv.key.as_str() == *key);
        let now = found.and_then(|i| attrs.iter().nth(i)).map(|kv| &kv.value);
        match now {
            Some(now) if given.is(now) => {}
            Some(now) => notes.push(super::attributes::changed_note(key, given, now)),
            None => notes.push(format!(
                "{key} was given at span start (what the sampler saw); a mapper cannot remove it"
            )),
        }
        if let Some(i) = found {
            positions[slot] = i;
        }
    }
    attrs.remove_positions(&mut positions);
    if !notes.is_empty() {
        for note in notes {
            state.add_diagnostic(note);
        }
        let list = state
            .diagnostics
            .iter()
            .map(|d| StringValue::from(d.clone()));
        attrs.insert(
            DIAGNOSTICS_ATTRIBUTE,
            Value::Array(Array::String(list.collect())),
        );
    }
}

/// A value given at start, compared with a close-time value without copying it.
#[derive(Clone, Copy)]
enum Given<'a> {
    Text(&'a str),
    Int(i64),
}

impl Given<'_> {
    fn is(self, value: &Value) -> bool {
        match (self, value) {
            (Given::Text(t), Value::String(s)) => s.as_str() == t,
            (Given::Int(i), Value::I64(v)) => i == *v,
            _ => false,
        }
    }
}

impl std::fmt::Display for Given<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Given::Text(t) => f.write_str(t),
            Given::Int(i) => write!(f, "{i}"),
        }
    }
}
