//! The close-time pass: secret scrubbing of everything the span exports, and the content
//! attributes / details event (redaction hook, scrubbing, blob placeholders, size limits).

use std::sync::Arc;

use opentelemetry::{Array, KeyValue, StringValue, Value as OtelValue};
use serde_json::{Map, Value};

use crate::content::{
    ContentConfig, ContentKind, MessagePart, PartContext, SecretScanner, SpanContent, fit,
    replace_blobs, run_hook,
};
use crate::mapper::Attributes;
use crate::record::SpanRecord;
use crate::record::start::StartWrites;
use crate::semconv as sc;
use crate::semconv::{Conventions, DIAGNOSTICS_ATTRIBUTE, Item};

/// JSON nesting kept below a content attribute's top level.
const MAX_DEPTH: usize = 32;

fn scrub_otel(scanner: &SecretScanner, v: &mut OtelValue) {
    match v {
        OtelValue::String(s) => {
            if let std::borrow::Cow::Owned(o) = scanner.scrub(s.as_str()) {
                *s = StringValue::from(o);
            }
        }
        OtelValue::Array(Array::String(items)) => {
            for s in items {
                if let std::borrow::Cow::Owned(o) = scanner.scrub(s.as_str()) {
                    *s = StringValue::from(o);
                }
            }
        }
        _ => {}
    }
}

fn needs_scrub(scanner: &SecretScanner, v: &OtelValue) -> bool {
    let dirty = |s: &str| matches!(scanner.scrub(s), std::borrow::Cow::Owned(_));
    match v {
        OtelValue::String(s) => dirty(s.as_str()),
        OtelValue::Array(Array::String(items)) => items.iter().any(|s| dirty(s.as_str())),
        _ => false,
    }
}

fn scrub_attributes(scanner: &SecretScanner, attrs: &mut Attributes<'static>) {
    // The common case (nothing to scrub) only scans; a copy is made only when needed.
    if !attrs
        .items()
        .iter()
        .any(|kv| needs_scrub(scanner, &kv.value))
    {
        return;
    }
    let items = std::mem::take(attrs).into_vec();
    let mut out = Attributes::with_capacity(items.len());
    for mut kv in items {
        scrub_otel(scanner, &mut kv.value);
        out.insert(kv.key, kv.value);
    }
    *attrs = out;
}

/// Scrubs secrets from everything the span will export and adds the content (when enabled).
/// Returns the (scrubbed) span name (`None`: the one given at start stands) and, when the mode
/// sends content to events and there was content, the attributes of the details event (the
/// call's attributes and the content).
pub(crate) fn finish(
    config: &ContentConfig,
    state: &mut SpanRecord,
    attrs: &mut Attributes<'static>,
    mut name: Option<String>,
    conventions: Conventions,
    given: Option<&StartWrites>,
) -> (Option<String>, Option<Vec<KeyValue>>) {
    let scanner = &config.scanner;
    // 1. Always: secrets never leave in attributes, events, error text, status or name.
    scrub_attributes(scanner, attrs);
    for event in &mut state.events {
        for kv in &mut event.attributes {
            scrub_otel(scanner, &mut kv.value);
        }
    }
    if let Some(e) = &mut state.error {
        scanner.scrub_string(&mut e.error_type);
        if let Some(m) = &mut e.message {
            scanner.scrub_string(m);
        }
    }
    if let Some(d) = &mut state.otel.status_description {
        scanner.scrub_string(d);
    }
    // (A name given at start was clean then, and stands.)
    if let Some(name) = &mut name {
        scanner.scrub_string(name);
    }

    // 2. Content, when enabled and not opted out for this call.
    let mode = config.mode();
    let Some(content) = state.content.take() else {
        return (name, None);
    };
    if !mode.is_enabled() {
        return (name, None);
    }
    let diagnostics_before = state.diagnostics.len();
    let values = content_attributes(config, state, *content, conventions);
    if values.is_empty() {
        refresh_diagnostics(state, attrs, diagnostics_before);
        return (name, None);
    }
    let details = mode.on_event().then(|| {
        let mut event_attrs = super::events::call_attributes(attrs, given);
        for (key, v) in &values {
            event_attrs.push(KeyValue::new(*key, OtelValue::from(Arc::clone(v))));
        }
        event_attrs
    });
    if mode.on_span() {
        for (key, v) in values {
            attrs.insert(key, OtelValue::from(v));
        }
    }
    refresh_diagnostics(state, attrs, diagnostics_before);
    (name, details)
}

fn refresh_diagnostics(state: &crate::model::GenAiSpan, attrs: &mut Attributes<'_>, before: usize) {
    if state.diagnostics.len() > before {
        attrs.insert(
            DIAGNOSTICS_ATTRIBUTE,
            OtelValue::Array(Array::String(
                state
                    .diagnostics
                    .iter()
                    .cloned()
                    .map(StringValue::from)
                    .collect(),
            )),
        );
    }
}

/// Hook, scrub, bound and serialise each recorded content item, in a fixed order, within the
/// span budget.
fn content_attributes(
    config: &ContentConfig,
    state: &mut SpanRecord,
    content: SpanContent,
    conventions: Conventions,
) -> Vec<(&'static str, Arc<str>)> {
    let mut hook_panicked = false;
    let mut items: Vec<(&'static str, Value)> = Vec::new();
    let hook = config.redactor.as_ref();
    let mut apply_parts = |kind: ContentKind,
                           role: Option<&crate::content::Role>,
                           index: usize,
                           parts: Vec<MessagePart>|
     -> Vec<MessagePart> {
        match hook {
            None => parts,
            Some(h) => {
                let cx = PartContext {
                    kind,
                    role,
                    message_index: index,
                };
                parts
                    .into_iter()
                    .filter_map(|p| run_hook(h, &cx, p, &mut hook_panicked))
                    .collect()
            }
        }
    };

    if let Some(parts) = content.system_instructions {
        let parts = apply_parts(ContentKind::SystemInstructions, None, 0, parts);
        items.push((sc::GEN_AI_SYSTEM_INSTRUCTIONS, to_value(&parts)));
    }
    if let Some(mut messages) = content.input_messages {
        for (i, m) in messages.iter_mut().enumerate() {
            let parts = std::mem::take(&mut m.parts);
            m.parts = apply_parts(ContentKind::InputMessages, Some(&m.role), i, parts);
        }
        items.push((sc::GEN_AI_INPUT_MESSAGES, to_value(&messages)));
    }
    if let Some(mut messages) = content.output_messages {
        if content.legacy_output {
            crate::record::legacy::fill_finish_reasons(
                &mut messages,
                state.response.finish_reasons.as_deref(),
            );
        }
        for (i, m) in messages.iter_mut().enumerate() {
            let parts = std::mem::take(&mut m.parts);
            m.parts = apply_parts(ContentKind::OutputMessages, Some(&m.role), i, parts);
        }
        let mut value = to_value(&messages);
        if !conventions.has(Item::OutputMessageFinishReason) {
            // Deprecated in the latest conventions: `gen_ai.response.finish_reasons` has it.
            if let Value::Array(items) = &mut value {
                for m in items.iter_mut().filter_map(Value::as_object_mut) {
                    m.remove("finish_reason");
                }
            }
        }
        items.push((sc::GEN_AI_OUTPUT_MESSAGES, value));
    }
    if let Some(mut tools) = content.tool_definitions {
        for t in &mut tools {
            if matches!(&t.parameters, Some(p) if !(p.is_object() || p.is_boolean())) {
                t.parameters = None;
            }
        }
        items.push((sc::GEN_AI_TOOL_DEFINITIONS, to_value(&tools)));
    }
    let call_id = state.tool.call_id.as_deref().map(str::to_owned);
    let tool_name = state.tool.name.as_deref().unwrap_or_default().to_owned();
    if let Some(args) = content.tool_call_arguments {
        let part = MessagePart::ToolCall {
            id: call_id.clone(),
            name: tool_name,
            arguments: Some(args),
        };
        let kept = apply_parts(ContentKind::ToolCallArguments, None, 0, vec![part]);
        if let Some(MessagePart::ToolCall {
            arguments: Some(a), ..
        }) = kept.into_iter().next()
        {
            items.push((sc::GEN_AI_TOOL_CALL_ARGUMENTS, as_object(a)));
        }
    }
    if let Some(result) = content.tool_call_result {
        let part = MessagePart::ToolCallResponse {
            id: call_id,
            response: result,
        };
        let kept = apply_parts(ContentKind::ToolCallResult, None, 0, vec![part]);
        if let Some(MessagePart::ToolCallResponse { response, .. }) = kept.into_iter().next() {
            items.push((sc::GEN_AI_TOOL_CALL_RESULT, as_object(response)));
        }
    }
    if hook_panicked {
        state.add_diagnostic("content redaction hook panicked; the parts it saw were dropped");
    }

    let mut remaining = config.max_span_bytes;
    let mut out = Vec::with_capacity(items.len());
    for (key, mut v) in items {
        config.scanner.scrub_value(&mut v, MAX_DEPTH);
        let blobs = replace_blobs(&mut v, config.max_blob_bytes, MAX_DEPTH + 2);
        let limit = config.max_attribute_bytes.min(remaining);
        let (json, outcome) = fit(v, limit);
        if blobs > 0 {
            state.add_diagnostic(format!(
                "{key}: {blobs} blob part(s) over {} bytes replaced by placeholders",
                config.max_blob_bytes
            ));
        }
        match json {
            Some(json) => {
                if outcome.elements_dropped > 0 {
                    state.add_diagnostic(format!(
                        "{key}: truncated to {limit} bytes ({} oldest element(s) dropped)",
                        outcome.elements_dropped
                    ));
                } else if outcome.strings_cut {
                    state.add_diagnostic(format!("{key}: truncated to {limit} bytes"));
                }
                remaining = remaining.saturating_sub(json.len());
                out.push((key, Arc::<str>::from(json)));
            }
            None => state.add_diagnostic(format!(
                "{key}: does not fit in {limit} bytes (content size limits); not exported"
            )),
        }
    }
    out
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Array(Vec::new()))
}

/// Tool arguments and results are JSON objects by schema; any other value is wrapped as
/// `{"result": value}`.
fn as_object(v: Value) -> Value {
    match v {
        Value::Object(_) => v,
        other => {
            let mut m = Map::new();
            m.insert("result".into(), other);
            Value::Object(m)
        }
    }
}
