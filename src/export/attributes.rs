//! Mapping: the typed [`GenAiSpan`] state to the span's exported attributes, each key once with
//! its registry type (ints as `Int`, lists as arrays, floats as `Double`).

use std::cell::Cell;
use std::sync::Arc;

use opentelemetry::{Array, KeyValue, StringValue, Value};

use crate::mapper::Attributes;
use crate::model::{GenAiSpan, Operation};
use crate::record::start::{self, StartGiven, StartWrites};
use crate::semconv as sc;
use crate::semconv::{Conventions, DIAGNOSTICS_ATTRIBUTE, Item};

/// The [`Item`] of each count of [`Usage::counts`](crate::model::Usage::counts) whose name
/// differs between conventions (`None`: the same name in every version). The cache counts
/// are the ones an INTERNAL `invoke_agent` span drops in the latest conventions.
const USAGE_ITEMS: [(Option<Item>, bool); crate::model::USAGE_COUNTS] = [
    (None, false),                                  // input
    (None, false),                                  // output
    (None, true),                                   // cache read
    (Some(Item::UsageCacheWriteInputTokens), true), // cache creation / write
    (None, false),                                  // reasoning
    (Some(Item::UsageTextInputTokens), false),
    (Some(Item::UsageImageInputTokens), false),
    (Some(Item::UsageAudioInputTokens), false),
    (Some(Item::UsageTextOutputTokens), false),
    (Some(Item::UsageImageOutputTokens), false),
    (Some(Item::UsageAudioOutputTokens), false),
    (Some(Item::UsageTextCacheReadInputTokens), true),
    (Some(Item::UsageImageCacheReadInputTokens), true),
    (Some(Item::UsageAudioCacheReadInputTokens), true),
];

/// The most `error` entries padded into `gen_ai.response.finish_reasons` (a bogus choice
/// count must not make a huge array).
const MAX_PADDED_REASONS: usize = 128;

/// Largest attribute list kept for reuse (a span with more attributes allocates its own).
const MAX_REUSED: usize = 64;

thread_local! {
    /// The emptied attribute list of the last span this thread wrote, reused by the next one
    /// (a span's close-time attributes are not a fresh allocation each time).
    static REUSED: Cell<Vec<KeyValue>> = const { Cell::new(Vec::new()) };
}

/// An empty attribute list with room for `n`, reusing this thread's last one when there is.
fn reused(n: usize) -> Vec<KeyValue> {
    let mut v = REUSED.try_with(Cell::take).unwrap_or_default();
    v.reserve(n);
    v
}

/// Gives back a written span's (emptied) attribute list for the next span on this thread.
pub(crate) fn recycle(mut v: Vec<KeyValue>) {
    if v.capacity() <= MAX_REUSED {
        v.clear();
        // (During thread teardown the list is dropped instead.)
        let _ = REUSED.try_with(|r| r.set(v));
    }
}

fn int(v: u64) -> i64 {
    // Counts above i64::MAX cannot be represented as an OTLP int: saturate (the layer adds a
    // diagnostic at close, see `GenAiSpan::diagnose_saturated_counts`).
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A string attribute value. Reference-counted, so the copies made later (a mapper's scratch
/// set, metric attributes) do not copy the text again.
pub(crate) fn shared(v: &str) -> Value {
    Value::String(StringValue::from(Arc::<str>::from(v)))
}

/// A string list attribute value, each element shared (reference-counted), or a constant when
/// it is a common finish reason (no copy at all).
fn strings(v: &[String]) -> Value {
    let element = |s: &String| match sc::COMMON_FINISH_REASONS
        .iter()
        .copied()
        .find(|r| *r == s.as_str())
    {
        Some(constant) => StringValue::from(constant),
        None => StringValue::from(Arc::<str>::from(s.as_str())),
    };
    Value::Array(Array::String(v.iter().map(element).collect()))
}

/// `gen_ai.operation.name`: static for the well-known operations.
pub(crate) fn operation_value(op: &Operation) -> Value {
    match op.static_str() {
        Some(s) => Value::from(s),
        None => shared(op.as_str()),
    }
}

/// The exported value of one attribute of an LLM span (the state is left as it was); what
/// field inheritance reads from GenAI ancestors.
pub(crate) fn attribute_of(state: &GenAiSpan, key: &str) -> Option<Value> {
    // Both conventions: an inherited key is found under its pinned and its latest name.
    let a = Attributes::with_capacity(16 + state.fields.len());
    build(&mut state.clone(), Lists::Share, Conventions::Both, None, a)
        .get(key)
        .cloned()
}

/// Builds the attributes of a closing LLM span. Its text is shared with the attributes; its
/// string lists are moved into them (no copy) when `take`: the caller then no longer reads
/// the span's `gen_ai.*` lists (no mapper and no content capture, which need them; moved lists
/// are left empty). Otherwise the lists are shared.
///
/// `given`: what the span was given at start (see [`StartGiven`]); those keys are left out
/// (the span has them already). A value recorded since under such a key is not exported
/// either (OpenTelemetry cannot replace it): the span's diagnostics name it.
pub(crate) fn attributes_of_closing(
    state: &mut GenAiSpan,
    take: bool,
    conventions: Conventions,
    given: Option<Given<'_>>,
) -> Attributes<'static> {
    let mode = if take { Lists::Move } else { Lists::Share };
    let a = Attributes::reusing(reused(16 + state.fields.len()));
    build(state, mode, conventions, given, a)
}

/// What a closing span was given at start: which keys, and their values as given where
/// something changed since (else the state's values are the ones given).
#[derive(Clone, Copy)]
pub(crate) struct Given<'a> {
    pub(crate) given: &'a StartGiven,
    pub(crate) values: Option<&'a StartWrites>,
}

/// Whether a sampling-relevant attribute whose value is `now` must still be written at close
/// (`slot`: its index in `SAMPLING_RELEVANT`); a value that differs from the one given at start
/// is noted in `changed`.
#[inline]
fn fresh(given: Option<Given<'_>>, slot: usize, now: &str, changed: &mut Vec<String>) -> bool {
    let Some(g) = given.filter(|g| g.given.has(slot)) else {
        return true;
    };
    if let Some(was) = g.values.and_then(|v| v.get(slot))
        && was != now
    {
        changed.push(changed_note(sc::SAMPLING_RELEVANT[slot], was, now));
    }
    false
}

/// The diagnostic for a sampling-relevant value recorded again after the span started.
pub(crate) fn changed_note(
    key: &str,
    was: impl std::fmt::Display,
    now: impl std::fmt::Display,
) -> String {
    format!(
        "{key} was given at span start as {was} (what the sampler saw) and is exported so; \
         its later value {now} is not"
    )
}

/// How many `error` entries `gen_ai.response.finish_reasons` needs: a failed inference whose
/// generations (the requested choice count, at least one) did not all report a reason.
fn missing_reasons(state: &GenAiSpan, conventions: Conventions) -> usize {
    let inference = state.operation.as_ref().is_some_and(|op| op.is_inference());
    if !inference || !state.is_error() || !conventions.has(Item::FinishReasonsErrorPadding) {
        return 0;
    }
    let expected = state
        .request
        .choice_count
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(1)
        .clamp(1, MAX_PADDED_REASONS);
    let have = state.response.finish_reasons.as_ref().map_or(0, Vec::len);
    expected.saturating_sub(have)
}

/// What becomes of the state's string lists (its text is always shared).
#[derive(Clone, Copy)]
enum Lists {
    /// Copy each element once into a reference-counted value (cheap to copy again later).
    Share,
    /// Move the lists out of the state.
    Move,
}

fn build(
    state: &mut GenAiSpan,
    mode: Lists,
    conventions: Conventions,
    given: Option<Given<'_>>,
    mut a: Attributes<'static>,
) -> Attributes<'static> {
    let mut changed = Vec::new();
    let pad_reasons = missing_reasons(state, conventions);
    // The cache counts of an INTERNAL agent span, in the versions that have them there.
    let internal_agent = matches!(state.operation, Some(Operation::InvokeAgent))
        && state.kind() == opentelemetry::trace::SpanKind::Internal;
    let cache_conventions = if internal_agent {
        conventions.where_has(Item::InternalAgentCacheUsage)
    } else {
        Some(conventions)
    };
    let mut put = |key: &'static str, value: Value| a.push_unique(KeyValue::new(key, value));
    // The state's text is shared: both modes hand the attribute a reference.
    let s = |v: &Arc<str>| Value::String(StringValue::from(Arc::clone(v)));
    let list = |v: &mut Vec<String>| match mode {
        Lists::Share => strings(v),
        Lists::Move => Value::Array(Array::String(
            std::mem::take(v)
                .into_iter()
                .map(StringValue::from)
                .collect(),
        )),
    };

    if let Some(op) = &state.operation
        && fresh(given, start::OPERATION, op.as_str(), &mut changed)
    {
        put(sc::GEN_AI_OPERATION_NAME, operation_value(op));
    }
    if let Some(v) = &state.provider
        && fresh(given, start::PROVIDER, v, &mut changed)
    {
        put(sc::GEN_AI_PROVIDER_NAME, s(v));
    }
    let r = &mut state.request;
    if let Some(v) = &r.model
        && fresh(given, start::MODEL, v, &mut changed)
    {
        put(sc::GEN_AI_REQUEST_MODEL, s(v));
    }
    if let Some(v) = r.max_tokens {
        put(sc::GEN_AI_REQUEST_MAX_TOKENS, Value::I64(v));
    }
    if let Some(v) = r.choice_count {
        put(sc::GEN_AI_REQUEST_CHOICE_COUNT, Value::I64(v));
    }
    if let Some(v) = r.temperature {
        put(sc::GEN_AI_REQUEST_TEMPERATURE, Value::F64(v));
    }
    if let Some(v) = r.top_p {
        put(sc::GEN_AI_REQUEST_TOP_P, Value::F64(v));
    }
    if let Some(v) = r.top_k {
        put(sc::GEN_AI_REQUEST_TOP_K, Value::I64(v));
    }
    if let Some(v) = &mut r.stop_sequences {
        put(sc::GEN_AI_REQUEST_STOP_SEQUENCES, list(v));
    }
    if let Some(v) = r.frequency_penalty {
        put(sc::GEN_AI_REQUEST_FREQUENCY_PENALTY, Value::F64(v));
    }
    if let Some(v) = r.presence_penalty {
        put(sc::GEN_AI_REQUEST_PRESENCE_PENALTY, Value::F64(v));
    }
    if let Some(v) = &mut r.encoding_formats {
        put(sc::GEN_AI_REQUEST_ENCODING_FORMATS, list(v));
    }
    if let Some(v) = r.seed {
        put(sc::GEN_AI_REQUEST_SEED, Value::I64(v));
    }
    if let Some(v) = r.stream {
        put(sc::GEN_AI_REQUEST_STREAM, Value::Bool(v));
    }
    if let Some(v) = &r.reasoning_level {
        put(sc::GEN_AI_REQUEST_REASONING_LEVEL, s(v));
    }
    if let Some(v) = &r.previous_response_id {
        put(sc::GEN_AI_REQUEST_PREVIOUS_RESPONSE_ID, s(v));
    }
    let resp = &mut state.response;
    if let Some(v) = &resp.id {
        put(sc::GEN_AI_RESPONSE_ID, s(v));
    }
    if let Some(v) = &resp.model {
        put(sc::GEN_AI_RESPONSE_MODEL, s(v));
    }
    match (&mut resp.finish_reasons, pad_reasons) {
        (Some(v), 0) => put(sc::GEN_AI_RESPONSE_FINISH_REASONS, list(v)),
        (reasons, pad) if pad > 0 => {
            let mut all: Vec<String> = reasons.clone().unwrap_or_default();
            all.extend(std::iter::repeat_n(String::from("error"), pad));
            put(sc::GEN_AI_RESPONSE_FINISH_REASONS, strings(&all));
        }
        _ => {}
    }
    if let Some(v) = resp.time_to_first_chunk {
        put(sc::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, Value::F64(v));
    }
    if let Some(v) = &resp.status {
        put(sc::GEN_AI_RESPONSE_STATUS, s(v));
    }
    for ((key, v), (item, cache)) in state.usage.counts().into_iter().zip(USAGE_ITEMS) {
        let Some(v) = v else { continue };
        let conventions = match (cache, cache_conventions) {
            (false, _) => conventions,
            (true, Some(c)) => c,
            (true, None) => continue,
        };
        match item {
            None => put(key, Value::I64(int(v))),
            Some(item) => {
                for name in conventions.names(item) {
                    put(name, Value::I64(int(v)));
                }
            }
        }
    }
    // One string attribute, and one that may have been given at start (its slot).
    macro_rules! text {
        ($key:expr, $v:expr) => {
            if let Some(v) = &$v {
                put($key, s(v));
            }
        };
        ($key:expr, $v:expr, $slot:expr) => {
            if let Some(v) = &$v
                && fresh(given, $slot, v, &mut changed)
            {
                put($key, s(v));
            }
        };
    }
    text!(sc::GEN_AI_CONVERSATION_ID, state.conversation_id);
    text!(sc::GEN_AI_AGENT_ID, state.agent.id);
    text!(sc::GEN_AI_AGENT_NAME, state.agent.name, start::AGENT_NAME);
    text!(sc::GEN_AI_AGENT_DESCRIPTION, state.agent.description);
    text!(sc::GEN_AI_AGENT_VERSION, state.agent.version);
    text!(sc::GEN_AI_TOOL_NAME, state.tool.name, start::TOOL_NAME);
    text!(sc::GEN_AI_TOOL_CALL_ID, state.tool.call_id);
    text!(sc::GEN_AI_TOOL_TYPE, state.tool.tool_type, start::TOOL_TYPE);
    text!(sc::GEN_AI_TOOL_DESCRIPTION, state.tool.description);
    text!(sc::GEN_AI_WORKFLOW_NAME, state.workflow_name);
    text!(sc::GEN_AI_DATA_SOURCE_ID, state.data_source_id);
    text!(sc::GEN_AI_OUTPUT_TYPE, state.output_type);
    text!(sc::SERVER_ADDRESS, state.server_address, start::ADDRESS);
    if let Some(v) = state.embeddings_dimension_count {
        put(sc::GEN_AI_EMBEDDINGS_DIMENSION_COUNT, Value::I64(v));
    }
    if let Some(v) = state.server_port {
        match given.filter(|g| g.given.has(start::PORT)) {
            None => put(sc::SERVER_PORT, Value::I64(v)),
            Some(g) => match g.values.and_then(StartWrites::port) {
                Some(was) if was != v => changed.push(changed_note(sc::SERVER_PORT, was, v)),
                _ => {}
            },
        }
    }
    if let Some(e) = &state.error {
        put(sc::ERROR_TYPE, shared(&e.error_type));
    } else if state.otel.status_error {
        put(sc::ERROR_TYPE, Value::from(sc::ERROR_TYPE_OTHER));
    }
    for kv in &state.provider_attributes {
        a.insert(kv.key.clone(), kv.value.clone());
    }
    // Ordinary fields: insert (not push) so a field named like a GenAI key cannot duplicate it.
    for (name, value) in &state.fields {
        if !a.contains_key(name) {
            a.insert(*name, value.to_otel());
        }
    }
    for note in changed {
        state.add_diagnostic(note);
    }
    if !state.diagnostics.is_empty() {
        a.insert(DIAGNOSTICS_ATTRIBUTE, strings(&state.diagnostics));
    }
    a
}

/// The attributes of the `exception` event for a failed span.
pub(crate) fn exception_event(state: &GenAiSpan) -> Option<Vec<KeyValue>> {
    let message = state
        .error
        .as_ref()
        .and_then(|e| e.message.clone())
        .or_else(|| state.otel.status_description.clone());
    let error_type = state.error.as_ref().map(|e| e.error_type.clone());
    if message.is_none() && error_type.is_none() {
        return None;
    }
    let mut attrs = Vec::with_capacity(2);
    if let Some(t) = error_type {
        attrs.push(KeyValue::new(sc::EXCEPTION_TYPE, t));
    }
    if let Some(m) = message {
        attrs.push(KeyValue::new(sc::EXCEPTION_MESSAGE, m));
    }
    Some(attrs)
}

/// The span status description for a failed span.
pub(crate) fn status_description(state: &GenAiSpan) -> String {
    state
        .otel
        .status_description
        .clone()
        .or_else(|| state.error.as_ref().and_then(|e| e.message.clone()))
        .or_else(|| state.error.as_ref().map(|e| e.error_type.clone()))
        .unwrap_or_default()
}
