//! Step 0, when a GenAI span starts: the span name the conventions give it and the
//! sampling-relevant attributes declared with a value at creation
//! ([`SAMPLING_RELEVANT`](sc::SAMPLING_RELEVANT)), written on the OpenTelemetry span *before*
//! it starts, so a head sampler (`ShouldSample`) decides on them. Each value is the one the
//! close-time mapping would export (same key, same type); a value the secret scanner would
//! change is left to the close-time write, which scrubs it. The close-time write skips what
//! was written here (its attributes leave those keys out).

use std::sync::Arc;

use opentelemetry::{Array, KeyValue, StringValue, Value};

use super::attributes::Given;
use crate::content::SecretScanner;
use crate::mapper::Attributes;
use crate::model::GenAiSpan;
use crate::record::start::{self, OPERATION, PORT, StartGiven};
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

/// The value each slot was given at start: the saved one, else the state's (still the one
/// given); `None` for the slots not given.
fn given_values<'a>(
    given: Given<'a>,
    state: &'a GenAiSpan,
) -> [Option<GivenValue<'a>>; sc::SAMPLING_RELEVANT.len()] {
    let mut out = [None; sc::SAMPLING_RELEVANT.len()];
    match given.values {
        Some(v) => {
            for (slot, o) in out.iter_mut().enumerate() {
                *o = v.get(slot).map(GivenValue::Text);
            }
            out[PORT] = v.port().map(GivenValue::Int);
        }
        None => {
            for (o, s) in out.iter_mut().zip(start::start_strings(state)) {
                *o = s.map(GivenValue::Text);
            }
            out[PORT] = state.server_port.map(GivenValue::Int);
        }
    }
    for (slot, o) in out.iter_mut().enumerate() {
        if !given.given.has(slot) {
            *o = None;
        }
    }
    out
}

/// The attributes `given` at start, typed as the close-time mapping exports them, their text
/// shared with the state, each passed to `push`; while nothing they come from changed (the
/// state's values are the ones given). Returns how many.
pub(crate) fn given_attributes(
    given: &StartGiven,
    state: &GenAiSpan,
    mut push: impl FnMut(KeyValue),
) -> usize {
    let own = start::start_shared(state);
    let mut n = 0;
    for slot in (0..sc::SAMPLING_RELEVANT.len()).filter(|&s| given.has(s)) {
        let value = match (slot, &state.operation, own[slot]) {
            (OPERATION, Some(op), _) => super::attributes::operation_value(op),
            (PORT, ..) => match state.server_port {
                Some(port) => Value::I64(port),
                None => continue,
            },
            (_, _, Some(text)) => Value::String(StringValue::from(Arc::clone(text))),
            _ => continue,
        };
        push(KeyValue::new(sc::SAMPLING_RELEVANT[slot], value));
        n += 1;
    }
    n
}

/// For the mappers, which see every key: the keys given at start (bit `i`:
/// `SAMPLING_RELEVANT[i]`), whose values [`lead_values`] makes.
pub(crate) fn lead_keys(given: Given<'_>) -> u16 {
    (0..sc::SAMPLING_RELEVANT.len())
        .filter(|&slot| given.given.has(slot))
        .fold(0, |keys, slot| keys | 1 << slot)
}

/// The attributes given at start, with their values as given, in `SAMPLING_RELEVANT` order:
/// what the mappers see of [`lead_keys`] (made only when a mapper reads or changes one).
pub(crate) fn lead_values(given: Given<'_>, state: &GenAiSpan) -> Vec<KeyValue> {
    let mut out = Vec::with_capacity(sc::SAMPLING_RELEVANT.len());
    if given.values.is_none() {
        given_attributes(given.given, state, |kv| out.push(kv));
        return out;
    }
    for (slot, v) in given_values(given, state).into_iter().enumerate() {
        let value = match v {
            None => continue,
            Some(GivenValue::Int(i)) => Value::I64(i),
            Some(GivenValue::Text(t)) => super::attributes::shared(t),
        };
        out.push(KeyValue::new(sc::SAMPLING_RELEVANT[slot], value));
    }
    out
}

/// After the mappers ran, when one changed a key given at start: takes those keys out of the set
/// again (the span carries them already, and OpenTelemetry cannot replace or remove an
/// attribute of a started span), naming in the diagnostics each one a mapper changed or
/// removed. `lead`: how many of them the set holds in front (`None`: a mapper replaced the
/// whole set, so they may be anywhere or nowhere).
pub(crate) fn settle(
    given: Given<'_>,
    lead: Option<usize>,
    attrs: &mut Attributes<'_>,
    state: &mut GenAiSpan,
) {
    let values = given_values(given, state);
    // The values in front are still those given (a mapper put them back, or was rolled back).
    if let Some(lead) = lead {
        let mut expected = values
            .iter()
            .enumerate()
            .filter_map(|(slot, v)| v.map(|v| (sc::SAMPLING_RELEVANT[slot], v)));
        let intact = attrs.len() >= lead
            && attrs.iter().take(lead).all(|kv| {
                expected
                    .next()
                    .is_some_and(|(key, v)| kv.key.as_str() == key && v.is(&kv.value))
            });
        if intact {
            attrs.remove_front(lead);
            return;
        }
    }
    let mut positions = [usize::MAX; sc::SAMPLING_RELEVANT.len()];
    let mut notes = Vec::new();
    for (slot, key) in sc::SAMPLING_RELEVANT.iter().enumerate() {
        let Some(given) = values[slot] else {
            continue;
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
enum GivenValue<'a> {
    Text(&'a str),
    Int(i64),
}

impl GivenValue<'_> {
    fn is(self, value: &Value) -> bool {
        match (self, value) {
            (GivenValue::Text(t), Value::String(s)) => s.as_str() == t,
            (GivenValue::Int(i), Value::I64(v)) => i == *v,
            _ => false,
        }
    }
}

impl std::fmt::Display for GivenValue<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GivenValue::Text(t) => f.write_str(t),
            GivenValue::Int(i) => write!(f, "{i}"),
        }
    }
}
