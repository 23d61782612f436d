//! Field capture: turns the values a span records (in any order, any number of times, with any
//! Rust type) into the typed [`GenAiSpan`] state, validating as it goes. Bad input never panics:
//! it is dropped with a diagnostic on the span.

use std::fmt;

use opentelemetry::trace::SpanKind;
use opentelemetry::KeyValue;
use tracing_core::field::{Field, Visit};

use crate::callsite::{CallsiteFields, Slot};
use crate::fields::{AliasTable, GenAiField};
use crate::state::{GenAiSpan, Operation};
use crate::value::FieldValue;

/// A recorded value, borrowed for the duration of one visit.
#[derive(Clone, Copy)]
pub(crate) enum Raw<'a> {
    Str(&'a str),
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    F64(f64),
    Bool(bool),
}

impl Raw<'_> {
    fn describe(&self) -> String {
        match self {
            Raw::Str(s) => format!("{:?}", truncate_for_message(s)),
            Raw::I64(v) => v.to_string(),
            Raw::U64(v) => v.to_string(),
            Raw::I128(v) => v.to_string(),
            Raw::U128(v) => v.to_string(),
            Raw::F64(v) => v.to_string(),
            Raw::Bool(v) => v.to_string(),
        }
    }

    fn to_field_value(self) -> FieldValue {
        match self {
            Raw::Str(s) => FieldValue::Str(s.to_string()),
            Raw::I64(v) => FieldValue::I64(v),
            Raw::U64(v) => FieldValue::U64(v),
            Raw::I128(v) => i64::try_from(v)
                .map(FieldValue::I64)
                .unwrap_or_else(|_| FieldValue::Str(v.to_string())),
            Raw::U128(v) => u64::try_from(v)
                .map(FieldValue::U64)
                .unwrap_or_else(|_| FieldValue::Str(v.to_string())),
            Raw::F64(v) => FieldValue::F64(v),
            Raw::Bool(v) => FieldValue::Bool(v),
        }
    }

    fn string(&self) -> String {
        match self {
            Raw::Str(s) => (*s).to_string(),
            other => other.describe(),
        }
    }

    /// The value as text, borrowed when it is a string.
    fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Raw::Str(s) => std::borrow::Cow::Borrowed(s),
            other => std::borrow::Cow::Owned(other.describe()),
        }
    }

    /// A non-negative count. Strings are parsed; floats must be whole. Counts above `i64::MAX`
    /// are kept and exported saturated with a diagnostic (see `diagnose_saturated_counts`).
    fn count(&self) -> Result<u64, &'static str> {
        self.unsigned()
    }

    fn unsigned(&self) -> Result<u64, &'static str> {
        match *self {
            Raw::U64(v) => Ok(v),
            Raw::I64(v) => u64::try_from(v).map_err(|_| "negative"),
            Raw::I128(v) => u64::try_from(v).map_err(|_| "out of range"),
            Raw::U128(v) => u64::try_from(v).map_err(|_| "out of range"),
            Raw::F64(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1.8e19 => {
                Ok(v as u64)
            }
            Raw::F64(_) => Err("not a whole non-negative number"),
            Raw::Str(s) => s.trim().parse::<u64>().map_err(|_| "not a number"),
            Raw::Bool(_) => Err("a boolean"),
        }
    }

    /// A signed integer (seeds may be negative).
    fn int(&self) -> Result<i64, &'static str> {
        match *self {
            Raw::I64(v) => Ok(v),
            Raw::U64(v) => i64::try_from(v).map_err(|_| "out of range"),
            Raw::I128(v) => i64::try_from(v).map_err(|_| "out of range"),
            Raw::U128(v) => i64::try_from(v).map_err(|_| "out of range"),
            Raw::F64(v) if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.2e18 => Ok(v as i64),
            Raw::F64(_) => Err("not a whole number"),
            Raw::Str(s) => s.trim().parse::<i64>().map_err(|_| "not a number"),
            Raw::Bool(_) => Err("a boolean"),
        }
    }

    /// A finite float.
    fn float(&self) -> Result<f64, &'static str> {
        let v = match *self {
            Raw::F64(v) => v,
            Raw::I64(v) => v as f64,
            Raw::U64(v) => v as f64,
            Raw::I128(v) => v as f64,
            Raw::U128(v) => v as f64,
            Raw::Str(s) => s.trim().parse::<f64>().map_err(|_| "not a number")?,
            Raw::Bool(_) => return Err("a boolean"),
        };
        if v.is_finite() {
            Ok(v)
        } else {
            Err("not finite")
        }
    }

    fn boolean(&self) -> Result<bool, &'static str> {
        match *self {
            Raw::Bool(v) => Ok(v),
            Raw::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err("not a boolean"),
            },
            Raw::I64(0) | Raw::U64(0) => Ok(false),
            Raw::I64(1) | Raw::U64(1) => Ok(true),
            _ => Err("not a boolean"),
        }
    }

    /// A list of strings: a JSON array (`["stop"]`, as `?vec` renders it too), a comma-separated
    /// string, or a single value.
    fn list(&self) -> Vec<String> {
        match self {
            Raw::Str(s) => parse_list(s),
            other => vec![other.string()],
        }
    }
}

fn truncate_for_message(s: &str) -> &str {
    let mut end = s.len().min(64);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Parses `["a", "b"]`, `a,b` or `a` into a list of non-empty trimmed strings.
pub(crate) fn parse_list(s: &str) -> Vec<String> {
    let t = s.trim();
    // The common case, one value (`"stop"`): what the comma split below yields, without the
    // iterator and the over-sized vector.
    if !t.starts_with('[') && !t.contains(',') {
        return if t.is_empty() {
            Vec::new()
        } else {
            vec![t.to_string()]
        };
    }
    if t.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Vec<serde_json::Value>>(t) {
            return v
                .into_iter()
                .map(|x| match x {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                })
                .collect();
        }
        let inner = t.trim_start_matches('[').trim_end_matches(']');
        return inner
            .split(',')
            .map(|p| p.trim().trim_matches('"').trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
    }
    t.split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Normalises a provider name to the registry's well-known value where one matches.
///
/// ```
/// assert_eq!(tracing_genai::normalize_provider("OpenAI"), "openai");
/// assert_eq!(tracing_genai::normalize_provider("bedrock"), "aws.bedrock");
/// assert_eq!(tracing_genai::normalize_provider("Ollama"), "ollama");
/// ```
pub fn normalize_provider(name: &str) -> String {
    let mut buf = [0u8; 32];
    let lower = crate::value::ascii_lowercase(name.trim(), &mut buf);
    let known = match &*lower {
        "openai" | "open_ai" | "open-ai" => "openai",
        "azure" | "azure_openai" | "azure-openai" | "azure.openai" | "azureopenai"
        | "azure.ai.openai" => "azure.ai.openai",
        "azure.ai.inference" | "azure_ai_inference" | "azure-ai-inference" => "azure.ai.inference",
        "anthropic" | "claude" => "anthropic",
        "bedrock" | "aws_bedrock" | "aws-bedrock" | "aws.bedrock" | "amazon_bedrock" => {
            "aws.bedrock"
        }
        "vertex" | "vertexai" | "vertex_ai" | "vertex-ai" | "gcp.vertex_ai" => "gcp.vertex_ai",
        "gemini" | "google" | "google_ai" | "gcp.gemini" | "ai_studio" => "gcp.gemini",
        "gcp.gen_ai" | "gcp" | "google_genai" => "gcp.gen_ai",
        "cohere" => "cohere",
        "watsonx" | "ibm" | "ibm.watsonx.ai" | "watsonx.ai" => "ibm.watsonx.ai",
        "perplexity" => "perplexity",
        "xai" | "x_ai" | "x.ai" | "x-ai" | "grok" => "x_ai",
        "deepseek" | "deep_seek" => "deepseek",
        "groq" => "groq",
        "mistral" | "mistralai" | "mistral_ai" | "mistral-ai" => "mistral_ai",
        "moonshot" | "moonshot_ai" | "moonshotai" | "kimi" => "moonshot_ai",
        _ => return lower.into_owned(),
    };
    known.to_string()
}

/// Applies one recorded value to the span state.
pub(crate) fn apply(state: &mut GenAiSpan, field: GenAiField, name: &str, raw: Raw<'_>) {
    use GenAiField::*;
    macro_rules! checked {
        ($conv:ident, $slot:expr) => {
            match raw.$conv() {
                Ok(v) => $slot = Some(v),
                Err(why) => state.diagnose(format!(
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
                state.diagnose(format!(
                    "{name}: unknown operation {:?} kept as-is",
                    op.as_str()
                ));
            }
            state.operation = Some(op);
        }
        ProviderName => state.provider = Some(normalize_provider(&raw.text())),
        RequestModel => state.request.model = Some(raw.string()),
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
        ReasoningLevel => state.request.reasoning_level = Some(raw.string()),
        PreviousResponseId => state.request.previous_response_id = Some(raw.string()),
        ResponseId => state.response.id = Some(raw.string()),
        ResponseModel => state.response.model = Some(raw.string()),
        FinishReasons => state.response.finish_reasons = Some(raw.list()),
        TimeToFirstChunk => match raw.float() {
            Ok(v) if v >= 0.0 => state.response.time_to_first_chunk = Some(v),
            _ => state.diagnose(format!(
                "{name}: {} ignored; expected non-negative seconds",
                raw.describe()
            )),
        },
        ResponseStatus => state.response.status = Some(raw.string()),
        InputTokens => checked!(count, state.usage.input_tokens),
        OutputTokens => checked!(count, state.usage.output_tokens),
        CacheReadInputTokens => checked!(count, state.usage.cache_read_input_tokens),
        CacheCreationInputTokens => checked!(count, state.usage.cache_creation_input_tokens),
        ReasoningOutputTokens => checked!(count, state.usage.reasoning_output_tokens),
        ConversationId => state.conversation_id = Some(raw.string()),
        AgentId => state.agent.id = Some(raw.string()),
        AgentName => state.agent.name = Some(raw.string()),
        AgentDescription => state.agent.description = Some(raw.string()),
        AgentVersion => state.agent.version = Some(raw.string()),
        ToolName => state.tool.name = Some(raw.string()),
        ToolCallId => state.tool.call_id = Some(raw.string()),
        ToolType => state.tool.tool_type = Some(raw.string()),
        ToolDescription => state.tool.description = Some(raw.string()),
        WorkflowName => state.workflow_name = Some(raw.string()),
        DataSourceId => state.data_source_id = Some(raw.string()),
        OutputType => state.output_type = Some(raw.string()),
        EmbeddingsDimensionCount => checked!(int_non_negative, state.embeddings_dimension_count),
        ServerAddress => state.server_address = Some(raw.string()),
        ServerPort => match raw.count() {
            Ok(p) if (1..=65535).contains(&p) => state.server_port = Some(p as i64),
            _ => state.diagnose(format!(
                "{name}: {} ignored; expected a port 1-65535",
                raw.describe()
            )),
        },
        ErrorType => state.set_error(Some(raw.string()), None),
        Error => state.set_error(None, Some(raw.string())),
        // Message content is opt-in: kept (validated) only when capture is on.
        Content => crate::content::record_raw(state, name, raw),
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

impl Raw<'_> {
    fn int_non_negative(&self) -> Result<i64, &'static str> {
        let v = self.int()?;
        if v < 0 {
            Err("negative")
        } else {
            Ok(v)
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

/// Whether an ordinary field name looks like it holds a secret; such fields are never kept.
pub(crate) fn is_secret_name(name: &str) -> bool {
    // `X-Api-Key` and `x_api_key` alike; judge the last dotted segment (`http.authorization`).
    let lower = name.to_ascii_lowercase().replace('-', "_");
    let last = lower.rsplit('.').next().unwrap_or(&lower);
    matches!(
        last,
        "authorization"
            | "proxy_authorization"
            | "secret"
            | "token"
            | "bearer"
            | "cookie"
            | "set_cookie"
            | "credential"
            | "credentials"
            | "pwd"
    ) || [
        "api_key",
        "apikey",
        "password",
        "passwd",
        "_secret",
        "secret_key",
        "access_key",
        "private_key",
        "_token",
        "auth_token",
    ]
    .iter()
    .any(|suffix| last.ends_with(suffix))
}

/// The visitor that feeds a span's fields into its [`GenAiSpan`].
pub(crate) struct Capture<'a> {
    pub(crate) state: &'a mut GenAiSpan,
    pub(crate) aliases: &'a AliasTable,
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
            Slot::UnknownGenAi => self.state.diagnose(format!(
                "{name}: not in the GenAI registry; dropped (rename it with a mapper to keep it)"
            )),
            Slot::Secret => {}
            Slot::Plain => self.state.set_field(name, raw.to_field_value()),
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
        let message = error_chain(value);
        self.record(field, Raw::Str(&message));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let s = format!("{value:?}");
        self.record(field, Raw::Str(&s));
    }
}

/// `error` and its sources, joined with `: `.
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    let mut depth = 0;
    while let Some(s) = source {
        if depth >= 8 {
            break;
        }
        let text = s.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = s.source();
        depth += 1;
    }
    message
}

#[cfg(test)]
mod tests {
    use super::parse_list;

    #[test]
    fn single_values_parse_like_the_comma_split() {
        assert_eq!(parse_list("stop"), vec!["stop"]);
        assert_eq!(parse_list("  stop \n"), vec!["stop"]);
        assert!(parse_list("").is_empty());
        assert!(parse_list("   ").is_empty());
        assert_eq!(parse_list("a, b"), vec!["a", "b"]);
        assert_eq!(parse_list(" a,, b ,"), vec!["a", "b"]);
        assert_eq!(parse_list(",").len(), 0);
        assert_eq!(parse_list(r#"["x", "y"]"#), vec!["x", "y"]);
    }
}
