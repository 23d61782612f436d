//! What the layer gave OpenTelemetry when a GenAI span started: its name and the
//! sampling-relevant attributes ([`SAMPLING_RELEVANT`](sc::SAMPLING_RELEVANT)) declared with a
//! value at creation, so a head sampler decides on them. Kept in the span's record so the
//! close-time write leaves those keys out (the span has them already).
//!
//! [`StartGiven`] says *which* were given; their values are the state's own for as long as
//! nothing they come from is recorded again, so the common span keeps no copy. Before the
//! first later change of such a fact (a field recorded again, the state handed to
//! [`with_genai_state`](crate::GenAiSpanExt::with_genai_state)), the values as given are saved
//! in a [`StartWrites`], which the close compares with the final state.

use opentelemetry::KeyValue;

use crate::model::{GenAiField, GenAiSpan};
use crate::semconv as sc;

/// Slot of the span name; slot `1 + i` holds `SAMPLING_RELEVANT[i]`.
const NAME: usize = 0;
const SLOTS: usize = 1 + sc::SAMPLING_RELEVANT.len();
/// Index of each key in [`sc::SAMPLING_RELEVANT`].
pub(crate) const OPERATION: usize = 0;
pub(crate) const PROVIDER: usize = 1;
pub(crate) const MODEL: usize = 2;
pub(crate) const ADDRESS: usize = 3;
/// `server.port`: an int, kept apart from the text.
pub(crate) const PORT: usize = 4;
pub(crate) const AGENT_NAME: usize = 5;
pub(crate) const TOOL_NAME: usize = 6;
pub(crate) const TOOL_TYPE: usize = 7;

/// The values given at span start, back to back in one buffer (one allocation), saved when
/// something they come from changes.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct StartWrites {
    text: String,
    /// `(start, end)` byte range in `text` of each written slot.
    ranges: [(u16, u16); SLOTS],
    /// Bit `slot` set: the slot was written.
    written: u16,
    port: Option<i64>,
}

impl StartWrites {
    fn push_slot(&mut self, slot: usize, value: &str) -> bool {
        self.push_parts(slot, value, None)
    }

    /// Appends `first` and, when given, a space and `second`, as the value of `slot`.
    fn push_parts(&mut self, slot: usize, first: &str, second: Option<&str>) -> bool {
        let start = self.text.len();
        let end = start + first.len() + second.map_or(0, |s| 1 + s.len());
        let (Ok(s), Ok(e)) = (u16::try_from(start), u16::try_from(end)) else {
            // Longer than any name or model: left to the close-time write.
            return false;
        };
        if self.text.capacity() == 0 {
            // Room for a typical name and its attributes at once: one allocation.
            self.text.reserve(96);
        }
        self.text.push_str(first);
        if let Some(second) = second {
            self.text.push(' ');
            self.text.push_str(second);
        }
        self.ranges[slot] = (s, e);
        self.written |= 1 << slot;
        true
    }

    #[inline]
    fn slot(&self, slot: usize) -> Option<&str> {
        if self.written & (1 << slot) == 0 {
            return None;
        }
        let (s, e) = self.ranges[slot];
        self.text.get(usize::from(s)..usize::from(e))
    }

    /// Records the span name `{operation} {detail}` given at start.
    pub(crate) fn push_name_parts(&mut self, operation: &str, detail: Option<&str>) -> bool {
        self.push_parts(NAME, operation, detail)
    }

    /// Records the string value of `SAMPLING_RELEVANT[key]` (`false`: too long, not given).
    pub(crate) fn push(&mut self, key: usize, value: &str) -> bool {
        key != PORT && key < sc::SAMPLING_RELEVANT.len() && self.push_slot(1 + key, value)
    }

    /// Records `server.port`.
    pub(crate) fn set_port(&mut self, port: i64) {
        self.port = Some(port);
    }

    /// The span name given at start.
    pub(crate) fn name(&self) -> Option<&str> {
        self.slot(NAME)
    }

    /// The string value written for `SAMPLING_RELEVANT[key]`.
    #[inline]
    pub(crate) fn get(&self, key: usize) -> Option<&str> {
        if key == PORT {
            return None;
        }
        self.slot(1 + key)
    }

    /// The string values written, with their index in `SAMPLING_RELEVANT`.
    pub(crate) fn strings(&self) -> impl Iterator<Item = (usize, &str)> {
        (0..sc::SAMPLING_RELEVANT.len()).filter_map(|i| self.slot(1 + i).map(|v| (i, v)))
    }

    /// `server.port`, if written.
    pub(crate) fn port(&self) -> Option<i64> {
        self.port
    }

    /// What was written, as attributes (for the events of a span whose close-time
    /// attributes leave them out).
    pub(crate) fn key_values(&self) -> impl Iterator<Item = KeyValue> + '_ {
        self.strings()
            .map(|(i, v)| KeyValue::new(sc::SAMPLING_RELEVANT[i], v.to_string()))
            .chain(
                self.port
                    .map(|p| KeyValue::new(sc::SAMPLING_RELEVANT[PORT], p)),
            )
    }
}

/// Which of the name and the sampling-relevant attributes the span was given at start, and,
/// once a fact they come from changed, their values as given.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct StartGiven {
    /// Bit `NAME`: the name; bit `1 + i`: `SAMPLING_RELEVANT[i]`.
    bits: u16,
    /// The values as given, saved before the first later change (`None`: the state's values
    /// are still the ones given).
    was: Option<Box<StartWrites>>,
}

/// The string value of each sampling-relevant attribute in `state` (`None` for `server.port`,
/// an int): what a span starting with this state is given.
pub(crate) fn start_strings(state: &GenAiSpan) -> [Option<&str>; sc::SAMPLING_RELEVANT.len()] {
    let mut strings = start_shared(state).map(|s| s.map(|s| &**s));
    strings[OPERATION] = state.operation.as_ref().map(|op| op.as_str());
    strings
}

/// [`start_strings`] as the state holds them (shared text); the operation is not text there.
pub(crate) fn start_shared(
    state: &GenAiSpan,
) -> [Option<&std::sync::Arc<str>>; sc::SAMPLING_RELEVANT.len()] {
    let mut strings = [None; sc::SAMPLING_RELEVANT.len()];
    strings[PROVIDER] = state.provider.as_ref();
    strings[MODEL] = state.request.model.as_ref();
    strings[ADDRESS] = state.server_address.as_ref();
    strings[AGENT_NAME] = state.agent.name.as_ref();
    strings[TOOL_NAME] = state.tool.name.as_ref();
    strings[TOOL_TYPE] = state.tool.tool_type.as_ref();
    strings
}

/// The span name of `state` as two parts (`{first} {second}`): an explicit `otel.name`, else
/// the conventions' `{operation} {detail}`.
pub(crate) fn name_of(state: &GenAiSpan) -> Option<(&str, Option<&str>)> {
    match state.otel.name.as_deref() {
        Some(explicit) => Some((explicit, None)),
        None => state.name_parts(),
    }
}

/// Whether a value of `field` feeds the start name or a sampling-relevant attribute.
fn feeds_start(field: GenAiField) -> bool {
    use GenAiField::*;
    matches!(
        field,
        OperationName
            | ProviderName
            | RequestModel
            | ServerAddress
            | ServerPort
            | AgentName
            | ToolName
            | ToolType
            | WorkflowName
            | DataSourceId
            | OtelName
    )
}

impl StartGiven {
    /// Whether nothing was given at start.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.bits == 0
    }

    /// Marks the name as given.
    pub(crate) fn give_name(&mut self) {
        self.bits |= 1 << NAME;
    }

    /// Marks `SAMPLING_RELEVANT[key]` as given.
    pub(crate) fn give(&mut self, key: usize) {
        if key < sc::SAMPLING_RELEVANT.len() {
            self.bits |= 1 << (1 + key);
        }
    }

    /// Whether the name was given.
    #[inline]
    pub(crate) fn has_name(&self) -> bool {
        self.bits & (1 << NAME) != 0
    }

    /// How many of the sampling-relevant attributes were given.
    #[inline]
    pub(crate) fn attributes(&self) -> usize {
        (self.bits & !(1 << NAME)).count_ones() as usize
    }

    /// Whether `SAMPLING_RELEVANT[key]` was given.
    #[inline]
    pub(crate) fn has(&self, key: usize) -> bool {
        key < sc::SAMPLING_RELEVANT.len() && self.bits & (1 << (1 + key)) != 0
    }

    /// Whether a change of `field` must first save the values as given.
    #[inline]
    pub(crate) fn watches(&self, field: GenAiField) -> bool {
        self.bits != 0 && self.was.is_none() && feeds_start(field)
    }

    /// Whether any change of the state must first save the values as given.
    #[inline]
    pub(crate) fn watches_any(&self) -> bool {
        self.bits != 0 && self.was.is_none()
    }

    /// Saves the values as given from `state` (which must still hold them), once.
    pub(crate) fn save(&mut self, state: &GenAiSpan) {
        if self.was.is_none() {
            self.was = Some(Box::new(self.snapshot(state)));
        }
    }

    /// The values as given: the saved ones, else `state`'s (unchanged since the start).
    pub(crate) fn values(&self, state: &GenAiSpan) -> StartWrites {
        match &self.was {
            Some(was) => (**was).clone(),
            None => self.snapshot(state),
        }
    }

    /// The saved values as given (`None`: nothing they come from changed since the start).
    #[inline]
    pub(crate) fn saved(&self) -> Option<&StartWrites> {
        self.was.as_deref()
    }

    /// Takes the saved values out.
    pub(crate) fn take_saved(&mut self) -> Option<StartWrites> {
        self.was.take().map(|b| *b)
    }

    fn snapshot(&self, state: &GenAiSpan) -> StartWrites {
        let mut w = StartWrites::default();
        if self.has_name()
            && let Some((first, second)) = name_of(state)
        {
            w.push_name_parts(first, second);
        }
        for (key, v) in start_strings(state).into_iter().enumerate() {
            if let Some(v) = v.filter(|_| self.has(key)) {
                w.push(key, v);
            }
        }
        if let Some(port) = state.server_port.filter(|_| self.has(PORT)) {
            w.set_port(port);
        }
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_name_the_vocabulary() {
        let slots = [
            (OPERATION, sc::GEN_AI_OPERATION_NAME),
            (PROVIDER, sc::GEN_AI_PROVIDER_NAME),
            (MODEL, sc::GEN_AI_REQUEST_MODEL),
            (ADDRESS, sc::SERVER_ADDRESS),
            (PORT, sc::SERVER_PORT),
            (AGENT_NAME, sc::GEN_AI_AGENT_NAME),
            (TOOL_NAME, sc::GEN_AI_TOOL_NAME),
            (TOOL_TYPE, sc::GEN_AI_TOOL_TYPE),
        ];
        for (slot, key) in slots {
            assert_eq!(sc::SAMPLING_RELEVANT[slot], key);
        }
    }

    #[test]
    fn remembers_exact_values() {
        let mut w = StartWrites::default();
        assert!(w.push_name_parts("chat", Some("gpt-4o")));
        assert!(w.push(MODEL, "gpt-4o"));
        assert!(!w.push(PORT, "443"));
        w.set_port(443);
        assert_eq!(w.name(), Some("chat gpt-4o"));
        assert_eq!(w.get(MODEL), Some("gpt-4o"));
        assert_eq!(w.get(PROVIDER), None);
        assert_eq!(w.get(PORT), None);
        assert_eq!(w.port(), Some(443));
        assert_eq!(w.key_values().count(), 2);
        assert_eq!(sc::SAMPLING_RELEVANT[PORT], sc::SERVER_PORT);
        assert_eq!(w.strings().collect::<Vec<_>>(), vec![(MODEL, "gpt-4o")]);
        assert!(!w.push(ADDRESS, &"x".repeat(70_000)));
        assert_eq!(w.strings().count(), 1);
    }
}
