//! The user's redaction hook: what it sees of each part, and how it runs (a panicking hook
//! drops the part).

use std::sync::Arc;

use super::messages::{MessagePart, Role};

/// Which content attribute a part belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentKind {
    /// `gen_ai.system_instructions`.
    SystemInstructions,
    /// `gen_ai.input.messages`.
    InputMessages,
    /// `gen_ai.output.messages`.
    OutputMessages,
    /// `gen_ai.tool.call.arguments` (shown to the hook as a `tool_call` part).
    ToolCallArguments,
    /// `gen_ai.tool.call.result` (shown to the hook as a `tool_call_response` part).
    ToolCallResult,
}

/// Where a part sits, for the redaction hook.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct PartContext<'a> {
    /// The attribute.
    pub kind: ContentKind,
    /// The role of the message holding the part (`None` for system instructions and tool
    /// spans).
    pub role: Option<&'a Role>,
    /// Index of the message in its list (0 for system instructions and tool spans).
    pub message_index: usize,
}

/// The user's redaction hook: sees each part before any attribute is written; returns the part
/// to keep (possibly edited) or `None` to drop it.
pub(crate) type RedactFn =
    Arc<dyn Fn(&PartContext<'_>, MessagePart) -> Option<MessagePart> + Send + Sync>;

/// Runs the hook on one part; a panicking hook drops the part (fails closed).
pub(crate) fn run_hook(
    hook: &RedactFn,
    cx: &PartContext<'_>,
    part: MessagePart,
    panicked: &mut bool,
) -> Option<MessagePart> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(cx, part))) {
        Ok(p) => p,
        Err(_) => {
            *panicked = true;
            None
        }
    }
}
