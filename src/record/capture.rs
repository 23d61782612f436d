//! Field capture: turns the values a span records (in any order, any number of times, with any
//! Rust type) into the typed [`GenAiSpan`](crate::GenAiSpan) state, validating as it goes. Bad input never panics:
//! it is dropped with a diagnostic on the span.

use std::fmt;

use opentelemetry::KeyValue;
use opentelemetry::trace::SpanKind;
use tracing_core::field::{Field, Visit};

use super::aliases::AliasTable;
use super::callsite::{CallsiteFields, RegistryType, Slot};
use super::raw::Raw;
use super::{SpanRecord, UnknownFields};
use crate::model::provider::shared_provider;
use crate::model::{FieldValue, GenAiField, Operation};

/// Applies one recorded value to the span state.
pub(crate) fn apply(state: &mut SpanRecord, field: GenAiField, name: &str, raw: Raw<'_>) {
    use GenAiField::*;
    if state.at_start.watches(field) {
        state.before_change();
    }
    macro_rules! checked {
        ($conv:ident, $slot:expr) => {
            match raw.$conv() {
                Ok(v) => $slot = Some(v),
                Err(why) => state.add_diagnostic(format!(
                    "{name}: {} ignored ({why}); expected {}",
                    raw.describe(),
                    stringify!($conv)
                )),
            }
        };
    }
    match field {
        OperationName => {
            let op = Operation::parse(&raw.text());
            if !op.is_well_known() {
                state.add_diagnostic(format!(
                    "{name}: unknown operation {:?} kept as-is",
                    op.as_str()
                ));
            }
            state.operation = Some(op);
        }
        ProviderName => state.provider = Some(shared_provider(&raw.text())),
        RequestModel => state.request.model = Some(raw.shared()),
        MaxTokens => checked!(int_non_negative, state.request.max_tokens),
        ChoiceCount => checked!(int_non_negative, state.request.choice_count),
        Temperature => checked!(float, state.request.temperature),
        TopP => checked!(float, state.request.top_p),
        TopK => checked!(int_non_negative, state.request.top_k),
        StopSequences => state.request.stop_sequences = Some(raw.list()),
        FrequencyPenalty => checked!(float, state.request.frequency_penalty),
        PresencePenalty => checked!(float, state.request.presence_penalty),
        EncodingFormats => state.request.encoding_formats = Some(raw.list()),
        Seed => checked!(int, state.request.seed),
        Stream => checked!(boolean, state.request.stream),
        ReasoningLevel => state.request.reasoning_level = Some(raw.shared()),
        PreviousResponseId => state.request.previous_response_id = Some(raw.shared()),
        ResponseId => state.response.id = Some(raw.shared()),
        ResponseModel => state.response.model = Some(raw.shared()),
        FinishReasons => state.response.finish_reasons = Some(raw.list()),
        TimeToFirstChunk => match raw.float() {
            Ok(v) if v >= 0.0 => state.response.time_to_first_chunk = Some(v),
            _ => state.add_diagnostic(format!(
                "{name}: {} ignored; expected non-negative seconds",
                raw.describe()
            )),
        },
        ResponseStatus => state.response.status = Some(raw.shared()),
        InputTokens => checked!(count, state.usage.input_tokens),
        OutputTokens => checked!(count, state.usage.output_tokens),
        CacheReadInputTokens => checked!(count, state.usage.cache_read_input_tokens),
        CacheCreationInputTokens => checked!(count, state.usage.cache_creation_input_tokens),
        ReasoningOutputTokens => checked!(count, state.usage.reasoning_output_tokens),
        TextInputTokens => checked!(count, state.usage.text_input_tokens),
        ImageInputTokens => checked!(count, state.usage.image_input_tokens),
        AudioInputTokens => checked!(count, state.usage.audio_input_tokens),
        TextOutputTokens => checked!(count, state.usage.text_output_tokens),
        ImageOutputTokens => checked!(count, state.usage.image_output_tokens),
        AudioOutputTokens => checked!(count, state.usage.audio_output_tokens),
        TextCacheReadInputTokens => checked!(count, state.usage.text_cache_read_input_tokens),
        ImageCacheReadInputTokens => checked!(count, state.usage.image_cache_read_input_tokens),
        AudioCacheReadInputTokens => checked!(count, state.usage.audio_cache_read_input_tokens),
        ConversationId => state.conversation_id = Some(raw.shared()),
        AgentId => state.agent.id = Some(raw.shared()),
        AgentName => state.agent.name = Some(raw.shared()),
        AgentDescription => state.agent.description = Some(raw.shared()),
        AgentVersion => state.agent.version = Some(raw.shared()),
        ToolName => state.tool.name = Some(raw.shared()),
        ToolCallId => state.tool.call_id = Some(raw.shared()),
        ToolType => state.tool.tool_type = Some(raw.shared()),
        ToolDescription => state.tool.description = Some(raw.shared()),
        WorkflowName => state.workflow_name = Some(raw.shared()),
        DataSourceId => state.data_source_id = Some(raw.shared()),
        OutputType => state.output_type = Some(raw.shared()),
        EmbeddingsDimensionCount => checked!(int_non_negative, state.embeddings_dimension_count),
        ServerAddress => state.server_address = Some(raw.shared()),
        ServerPort => match raw.count() {
            Ok(p) if (1..=65535).contains(&p) => state.server_port = Some(p as i64),
            _ => state.add_diagnostic(format!(
                "{name}: {} ignored; expected a port 1-65535",
                raw.describe()
            )),
        },
        ErrorType => state.record_error(Some(raw.string()), None),
        Error => state.record_error(None, Some(raw.string())),
        // Message content is opt-in: kept (validated) only when capture is on.
        Content => super::content::record_raw(state, name, raw),
        OpenAiRequestServiceTier
        | OpenAiResponseServiceTier
        | OpenAiResponseSystemFingerprint
        | OpenAiApiType => {
            let key = field.key();
            state
                .provider_attributes
                .retain(|kv| kv.key.as_str() != key);
            state
                .provider_attributes
                .push(KeyValue::new(key, raw.string()));
        }
        OtelName => state.otel.name = Some(raw.string()),
        OtelKind => state.otel.kind = parse_kind(&raw.text()),
        OtelStatusCode => {
            let s = raw.text();
            if s.eq_ignore_ascii_case("error") {
                state.otel.status_error = true;
                state.otel.status_ok = false;
            } else if s.eq_ignore_ascii_case("ok") {
                state.otel.status_error = false;
                state.otel.status_ok = true;
            }
        }
        OtelStatusDescription => {
            // As in tracing-opentelemetry, a status description means the span failed.
            state.otel.status_description = Some(raw.string());
            state.otel.status_error = true;
            state.otel.status_ok = false;
        }
    }
}

fn parse_kind(s: &str) -> Option<SpanKind> {
    match s.to_ascii_lowercase().as_str() {
        "client" => Some(SpanKind::Client),
        "server" => Some(SpanKind::Server),
        "internal" => Some(SpanKind::Internal),
        "producer" => Some(SpanKind::Producer),
        "consumer" => Some(SpanKind::Consumer),
        _ => None,
    }
}

/// The visitor that feeds a span's fields into its record.
pub(crate) struct Capture<'a> {
    pub(crate) state: &'a mut SpanRecord,
    pub(crate) aliases: &'a AliasTable,
    /// What to do with unknown `gen_ai.*` fields.
    pub(crate) unknown: UnknownFields,
    /// The span's callsite, resolved once; fields of other callsites are classified by name.
    pub(crate) resolved: Option<&'a CallsiteFields>,
}

impl Capture<'_> {
    fn record(&mut self, field: &Field, raw: Raw<'_>) {
        let name = field.name();
        let slot = self
            .resolved
            .and_then(|r| r.slot(field))
            .unwrap_or_else(|| Slot::classify(self.aliases, name));
        match slot {
            Slot::GenAi(f) => apply(self.state, f, name, raw),
            Slot::UnknownGenAi => self.unknown_genai(name, raw),
            Slot::Registered(ty) => registered(self.state, name, ty, raw),
            // Never exported, never silently: the diagnostic names the field, not its value.
            Slot::Secret => self
                .state
                .add_diagnostic(format!("secret-named field {name} not exported")),
            Slot::Plain => self.state.set_field(name, raw.to_field_value()),
        }
    }
}

/// A registry key without a typed fact, kept as an ordinary field with its registry type.
fn registered(state: &mut SpanRecord, name: &'static str, ty: RegistryType, raw: Raw<'_>) {
    let value = match ty {
        RegistryType::Str => Ok(FieldValue::Str(raw.string())),
        RegistryType::Int => raw.int().map(FieldValue::I64),
        RegistryType::Bool => raw.boolean().map(FieldValue::Bool),
        RegistryType::Double => raw.float().map(FieldValue::F64),
    };
    match value {
        Ok(v) => state.set_field(name, v),
        Err(why) => state.add_diagnostic(format!(
            "{name}: {} ignored ({why}); expected {ty:?}",
            raw.describe()
        )),
    }
}

impl Capture<'_> {
    /// A `gen_ai.*` field the registry does not know: kept as recorded (named once in the
    /// diagnostics) or dropped, as configured.
    fn unknown_genai(&mut self, name: &'static str, raw: Raw<'_>) {
        match self.unknown {
            UnknownFields::Keep => {
                // Named once: a later record of the same field only replaces the value.
                if self.state.field(name).is_none() {
                    self.state.add_diagnostic(format!(
                        "{name}: not in the GenAI registry; exported as recorded"
                    ));
                }
                self.state.set_field(name, raw.to_field_value());
            }
            UnknownFields::Drop => self.state.add_diagnostic(format!(
                "{name}: not in the GenAI registry; dropped (unknown GenAI fields are dropped)"
            )),
        }
    }
}

impl Visit for Capture<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.record(field, Raw::F64(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record(field, Raw::I64(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.record(field, Raw::U64(value));
    }
    fn record_i128(&mut self, field: &Field, value: i128) {
        self.record(field, Raw::I128(value));
    }
    fn record_u128(&mut self, field: &Field, value: u128) {
        self.record(field, Raw::U128(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.record(field, Raw::Bool(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record(field, Raw::Str(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let message = crate::model::text::error_chain(value);
        self.record(field, Raw::Str(&message));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let s = format!("{value:?}");
        self.record(field, Raw::Str(&s));
    }
}
