//! Legacy content fields read into messages: `gen_ai.prompt` / `gen_ai.completion` (one string,
//! plain text or a JSON message array, as rig-agent 0.44 records them on `invoke_agent` spans)
//! and the indexed `gen_ai.prompt.{i}.role` / `.content`, `gen_ai.completion.{i}.role` /
//! `.content` / `.finish_reason` of OpenLLMetry-style instrumentations. Called only when the
//! span has a content slot (capture on); the values then take the path of recorded messages
//! (redaction hook, scrubbing, size limits) and are never exported under their own keys.

use serde::Deserialize;

use crate::content::{ChatMessage, MessagePart, OutputMessage, Role, SpanContent};
use crate::semconv as sc;

/// The highest message index read from an indexed field (a bogus index must not make a huge
/// array).
const MAX_INDEX: usize = 255;

/// Whether `name` is a legacy content field this module reads.
pub(crate) fn is_legacy(name: &str) -> bool {
    name == sc::LEGACY_GEN_AI_PROMPT
        || name == sc::LEGACY_GEN_AI_COMPLETION
        || super::callsite::is_legacy_indexed(name)
}

/// `{"role": ..., "content": "..."}`: the chat-completions message shape older
/// instrumentations serialised.
#[derive(Deserialize)]
struct PlainMessage {
    role: String,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    finish_reason: Option<String>,
}

/// Reads a legacy field into `content`; `Err` is a diagnostic (never containing the value).
pub(crate) fn record(content: &mut SpanContent, name: &str, raw: &str) -> Result<(), String> {
    if name == sc::LEGACY_GEN_AI_PROMPT {
        if content.input_messages.is_none() || content.legacy_input {
            content.input_messages = Some(input_messages(raw));
            content.legacy_input = true;
        }
        return Ok(());
    }
    if name == sc::LEGACY_GEN_AI_COMPLETION {
        if content.output_messages.is_none() || content.legacy_output {
            content.output_messages = Some(output_messages(raw));
            content.legacy_output = true;
        }
        return Ok(());
    }
    let (input, rest) = match name.strip_prefix(sc::LEGACY_GEN_AI_PROMPT_INDEXED) {
        Some(rest) => (true, rest),
        None => match name.strip_prefix(sc::LEGACY_GEN_AI_COMPLETION_INDEXED) {
            Some(rest) => (false, rest),
            None => return Err(format!("{name}: not a legacy content field; dropped")),
        },
    };
    let (index, sub) = rest.split_once('.').unwrap_or((rest, ""));
    let index = match index.parse::<usize>() {
        Ok(i) if i <= MAX_INDEX => i,
        _ => {
            return Err(format!(
                "{name}: message index not in 0..={MAX_INDEX}; dropped"
            ));
        }
    };
    let known = [
        sc::LEGACY_MESSAGE_ROLE,
        sc::LEGACY_MESSAGE_CONTENT,
        sc::LEGACY_MESSAGE_FINISH_REASON,
    ];
    if !known.contains(&sub) {
        return Err(format!(
            "{name}: legacy message field not read (only role, content, finish_reason); dropped"
        ));
    }
    if input {
        if content.input_messages.is_some() && !content.legacy_input {
            return Ok(());
        }
        content.legacy_input = true;
        let messages = content.input_messages.get_or_insert_with(Vec::new);
        while messages.len() <= index {
            messages.push(ChatMessage::new(Role::User, Vec::new()));
        }
        if let Some(m) = messages.get_mut(index) {
            match sub {
                s if s == sc::LEGACY_MESSAGE_ROLE => m.role = Role::from(raw.trim()),
                s if s == sc::LEGACY_MESSAGE_CONTENT => m.parts = vec![MessagePart::text(raw)],
                _ => {}
            }
        }
    } else {
        if content.output_messages.is_some() && !content.legacy_output {
            return Ok(());
        }
        content.legacy_output = true;
        let messages = content.output_messages.get_or_insert_with(Vec::new);
        while messages.len() <= index {
            messages.push(OutputMessage::new(Role::Assistant, Vec::new(), ""));
        }
        if let Some(m) = messages.get_mut(index) {
            match sub {
                s if s == sc::LEGACY_MESSAGE_ROLE => m.role = Role::from(raw.trim()),
                s if s == sc::LEGACY_MESSAGE_CONTENT => m.parts = vec![MessagePart::text(raw)],
                _ => m.finish_reason = raw.trim().to_string(),
            }
        }
    }
    Ok(())
}

/// A JSON message array (the conventions' shape or `{role, content}` objects), else one
/// `user` text message.
fn input_messages(raw: &str) -> Vec<ChatMessage> {
    if raw.trim_start().starts_with('[') {
        if let Ok(messages) = serde_json::from_str::<Vec<ChatMessage>>(raw) {
            return messages;
        }
        if let Ok(plain) = serde_json::from_str::<Vec<PlainMessage>>(raw) {
            return plain
                .into_iter()
                .map(|m| {
                    let parts = m.content.map(MessagePart::text).into_iter().collect();
                    ChatMessage::new(Role::from(m.role.as_str()), parts)
                })
                .collect();
        }
    }
    vec![ChatMessage::user(raw)]
}

/// A JSON message array (output messages, input-shaped messages or `{role, content}`
/// objects), else one `assistant` text message. A missing finish reason is left empty and
/// filled when the span closes (see `fill_finish_reasons`).
fn output_messages(raw: &str) -> Vec<OutputMessage> {
    if raw.trim_start().starts_with('[') {
        if let Ok(messages) = serde_json::from_str::<Vec<OutputMessage>>(raw) {
            return messages;
        }
        if let Ok(messages) = serde_json::from_str::<Vec<ChatMessage>>(raw) {
            return messages
                .into_iter()
                .map(|m| OutputMessage::new(m.role, m.parts, ""))
                .collect();
        }
        if let Ok(plain) = serde_json::from_str::<Vec<PlainMessage>>(raw) {
            return plain
                .into_iter()
                .map(|m| {
                    let parts = m.content.map(MessagePart::text).into_iter().collect();
                    let reason = m.finish_reason.unwrap_or_default();
                    OutputMessage::new(Role::from(m.role.as_str()), parts, reason)
                })
                .collect();
        }
    }
    vec![OutputMessage::new(
        Role::Assistant,
        vec![MessagePart::text(raw)],
        "",
    )]
}

/// Output messages read from legacy fields without a finish reason get the span's recorded
/// finish reason of their position, else `unknown` (the schema requires one; the layer does
/// not invent `stop`).
pub(crate) fn fill_finish_reasons(messages: &mut [OutputMessage], reasons: Option<&[String]>) {
    for (i, m) in messages.iter_mut().enumerate() {
        if m.finish_reason.is_empty() {
            m.finish_reason = reasons
                .and_then(|r| r.get(i).or(r.first()))
                .cloned()
                .unwrap_or_else(|| sc::LEGACY_UNKNOWN_FINISH_REASON.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn content() -> SpanContent {
        SpanContent::default()
    }

    #[test]
    fn plain_text_becomes_one_message() {
        let mut c = content();
        record(&mut c, "gen_ai.prompt", "What is 2+2?").unwrap();
        record(&mut c, "gen_ai.completion", "4").unwrap();
        assert_eq!(
            c.input_messages,
            Some(vec![ChatMessage::user("What is 2+2?")])
        );
        let out = c.output_messages.unwrap();
        assert_eq!(out[0].role, Role::Assistant);
        assert_eq!(out[0].parts, vec![MessagePart::text("4")]);
    }

    #[test]
    fn json_arrays_are_parsed() {
        let mut c = content();
        let conv = r#"[{"role":"system","parts":[{"type":"text","content":"be brief"}]}]"#;
        record(&mut c, "gen_ai.prompt", conv).unwrap();
        assert_eq!(c.input_messages.as_ref().unwrap()[0].role, Role::System);
        let plain = r#"[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}]"#;
        record(&mut c, "gen_ai.prompt", plain).unwrap();
        let m = c.input_messages.unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[1], ChatMessage::assistant("yo"));
        // Not a message array: kept as text.
        let mut c = content();
        record(&mut c, "gen_ai.prompt", "[1, 2]").unwrap();
        assert_eq!(c.input_messages, Some(vec![ChatMessage::user("[1, 2]")]));
    }

    #[test]
    fn indexed_fields_build_messages_and_bad_ones_are_diagnosed() {
        let mut c = content();
        record(&mut c, "gen_ai.prompt.1.content", "second").unwrap();
        record(&mut c, "gen_ai.prompt.0.role", "system").unwrap();
        record(&mut c, "gen_ai.prompt.0.content", "first").unwrap();
        record(&mut c, "gen_ai.completion.0.content", "answer").unwrap();
        record(&mut c, "gen_ai.completion.0.finish_reason", "length").unwrap();
        let m = c.input_messages.unwrap();
        assert_eq!(
            m,
            vec![ChatMessage::system("first"), ChatMessage::user("second")]
        );
        let out = c.output_messages.unwrap();
        assert_eq!(out[0].finish_reason, "length");
        let mut c = content();
        let e = record(&mut c, "gen_ai.prompt.999.content", "x").unwrap_err();
        assert!(e.contains("index"), "{e}");
        assert!(record(&mut c, "gen_ai.prompt.0.tool_calls.0.arguments", "{}").is_err());
        assert!(c.input_messages.is_none());
    }

    #[test]
    fn recorded_messages_win_over_legacy_fields() {
        let mut c = content();
        c.input_messages = Some(vec![ChatMessage::user("typed")]);
        record(&mut c, "gen_ai.prompt", "legacy").unwrap();
        record(&mut c, "gen_ai.prompt.0.content", "legacy").unwrap();
        assert_eq!(c.input_messages, Some(vec![ChatMessage::user("typed")]));
    }

    #[test]
    fn missing_finish_reasons_are_filled() {
        let mut m = vec![OutputMessage::new(Role::Assistant, Vec::new(), "")];
        fill_finish_reasons(&mut m, None);
        assert_eq!(m[0].finish_reason, "unknown");
        let mut m = vec![OutputMessage::new(Role::Assistant, Vec::new(), "")];
        fill_finish_reasons(&mut m, Some(&["stop".to_string()]));
        assert_eq!(m[0].finish_reason, "stop");
    }
}
