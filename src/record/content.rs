//! Content recording: the raw JSON content fields (`gen_ai.input.messages`, ...) validated
//! into the span's content slot, and the per-call opt-out field.

use serde_json::Value;

use super::SpanRecord;
use super::raw::Raw;
use crate::content::ContentConfig;
use crate::semconv as sc;

/// Gives a new span a content slot when capture is on (content recorded on a span without
/// one is never kept).
pub(crate) fn init(config: &ContentConfig, state: &mut SpanRecord) {
    if config.mode().is_enabled() {
        state.content = Some(Box::default());
    }
}

fn json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "unreadable",
        Category::Syntax => "invalid JSON",
        Category::Data => "JSON not matching the schema",
        Category::Eof => "truncated JSON",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

/// Applies a recorded content field (raw JSON) or the per-call opt-out field.
pub(crate) fn record_raw(state: &mut SpanRecord, name: &str, raw: Raw<'_>) {
    let owned;
    let raw: &str = match raw {
        Raw::Str(s) => s,
        Raw::Bool(b) => {
            if b {
                "true"
            } else {
                "false"
            }
        }
        Raw::I64(v) => {
            owned = v.to_string();
            &owned
        }
        Raw::U64(v) => {
            owned = v.to_string();
            &owned
        }
        _ => "",
    };
    if name == sc::CONTENT_CAPTURE_FIELD {
        let v = raw.trim().to_ascii_lowercase();
        if matches!(v.as_str(), "false" | "0" | "no" | "off" | "no_content") {
            state.content = None;
        }
        return;
    }
    let Some(content) = state.content.as_mut() else {
        return;
    };
    if super::legacy::is_legacy(name) {
        if let Err(why) = super::legacy::record(content, name, raw) {
            state.add_diagnostic(why);
        }
        return;
    }
    let result = match name {
        // The conventions' own fields win over legacy ones recorded before or after them.
        sc::GEN_AI_INPUT_MESSAGES => serde_json::from_str(raw).map(|v| {
            content.input_messages = Some(v);
            content.legacy_input = false;
        }),
        sc::GEN_AI_OUTPUT_MESSAGES => serde_json::from_str(raw).map(|v| {
            content.output_messages = Some(v);
            content.legacy_output = false;
        }),
        sc::GEN_AI_SYSTEM_INSTRUCTIONS => {
            serde_json::from_str(raw).map(|v| content.system_instructions = Some(v))
        }
        sc::GEN_AI_TOOL_DEFINITIONS => {
            serde_json::from_str(raw).map(|v| content.tool_definitions = Some(v))
        }
        sc::GEN_AI_TOOL_CALL_ARGUMENTS => {
            serde_json::from_str::<Value>(raw).and_then(|v| match v {
                Value::Object(_) => {
                    content.tool_call_arguments = Some(v);
                    Ok(())
                }
                _ => Err(serde::de::Error::custom("not an object")),
            })
        }
        sc::GEN_AI_TOOL_CALL_RESULT => {
            // Tool results are often plain text: non-JSON text is kept as a string result.
            let v = serde_json::from_str::<Value>(raw).unwrap_or_else(|_| Value::from(raw));
            content.tool_call_result = Some(v);
            Ok(())
        }
        _ => {
            state.add_diagnostic(format!(
                "{name}: aliased to message content but not a content attribute; dropped"
            ));
            return;
        }
    };
    if let Err(e) = result {
        state.add_diagnostic(format!("{name}: {}; not exported", json_error(&e)));
    }
}
