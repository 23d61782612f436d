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
use crate::record::start::{PORT, StartWrites};
use crate::semconv as sc;
use crate::semconv::DIAGNOSTICS_ATTRIBUTE;

/// Fills `writes` from the state of a span that is starting.
pub(crate) fn at_start(state: &GenAiSpan, scanner: &SecretScanner, writes: &mut StartWrites) {
    let clean = |s: &str| matches!(scanner.scrub(s), std::borrow::Cow::Borrowed(_));
    match (state.otel.name.as_deref(), state.name_parts()) {
        (Some(explicit), _) => {
            if clean(explicit) {
                writes.push_name(explicit);
            }
        }
        (None, Some((op, detail))) => {
            let constant = state
                .operation
                .as_ref()
                .is_some_and(|o| o.static_str().is_some());
            if (constant || clean(op)) && detail.is_none_or(clean) {
                writes.push_name_parts(op, detail);
            }
        }
        (None, None) => {}
    }
    let strings = [
        state.operation.as_ref().map(|op| op.as_str()),
        state.provider.as_deref(),
        state.request.model.as_deref(),
        state.server_address.as_deref(),
        None, // server.port: an int
        state.agent.name.as_deref(),
        state.tool.name.as_deref(),
        state.tool.tool_type.as_deref(),
    ];
    // A well-known operation name is a constant: nothing to scrub.
    let known_operation = state.operation.as_ref().and_then(|op| op.static_str());
    for (key, value) in strings.into_iter().enumerate() {
        let constant = key == 0 && known_operation.is_some();
        if let Some(v) = value.filter(|v| constant || clean(v)) {
            writes.push(key, v);
        }
    }
    debug_assert!(strings[PORT].is_none());
    if let Some(port) = state.server_port {
        writes.set_port(port);
    }
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
        let was: Option<Value> = if slot == PORT {
            writes.port().map(Value::I64)
        } else {
            None
        };
        let given_str = writes.get(slot);
        if given_str.is_none() && was.is_none() {
            continue;
        }
        let found = attrs.iter().position(|kv| kv.key.as_str() == *key);
        let now = found.and_then(|i| attrs.iter().nth(i)).map(|kv| &kv.value);
        let same = match (now, given_str, &was) {
            (Some(Value::String(s)), Some(g), _) => s.as_str() == g,
            (Some(v), None, Some(w)) => v == w,
            _ => false,
        };
        if !same {
            let given: &dyn std::fmt::Display = match (given_str, &was) {
                (Some(g), _) => &g.to_owned(),
                (None, Some(w)) => w,
                (None, None) => continue,
            };
            notes.push(match now {
                Some(now) => super::attributes::changed_note(key, given, now),
                None => format!(
                    "{key} was given at span start (what the sampler saw); a mapper cannot \
                     remove it"
                ),
            });
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
