//! Step 0, when a GenAI span starts: the span name the conventions give it and the
//! sampling-relevant attributes declared with a value at creation
//! ([`SAMPLING_RELEVANT`](sc::SAMPLING_RELEVANT)), written on the OpenTelemetry span *before*
//! it starts, so a head sampler (`ShouldSample`) decides on them. Each value is the one the
//! close-time mapping would export (same key, same type); a value the secret scanner would
//! change is left to the close-time write, which scrubs it. The close-time write skips what
//! was written here with the same value (see [`StartWrites::wrote`]).

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
            if clean(op) && detail.is_none_or(clean) {
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
    for (key, value) in strings.into_iter().enumerate() {
        if let Some(v) = value.filter(|v| clean(v)) {
            writes.push(key, v);
        }
    }
    debug_assert!(strings[PORT].is_none());
    if let Some(port) = state.server_port {
        writes.set_port(port);
    }
}

/// Puts back, in the close-time attributes, every value written at start that a later
/// recording or a mapper changed or removed: the span already carries it (OpenTelemetry cannot
/// replace or remove an attribute of a started span), so the attributes the events and the
/// write see stay what the span exports. Each such change is named in the diagnostics.
pub(crate) fn keep_start_values(
    writes: &StartWrites,
    attrs: &mut Attributes,
    state: &mut GenAiSpan,
) {
    let mut changed = false;
    let given = writes
        .strings()
        .map(|(i, v)| (sc::SAMPLING_RELEVANT[i], Value::from(v.to_string())))
        .chain(
            writes
                .port()
                .map(|p| (sc::SAMPLING_RELEVANT[PORT], Value::I64(p))),
        );
    for (key, value) in given {
        let note = match attrs.get(key) {
            Some(now) if *now == value => continue,
            Some(now) => super::attributes::changed_note(key, &value, now),
            None => format!(
                "{key} was given at span start (what the sampler saw); a mapper cannot remove it"
            ),
        };
        attrs.insert(key, value);
        state.add_diagnostic(note);
        changed = true;
    }
    if changed {
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
