//! [`GenAiField`]: the GenAI facts a span field can name, their exported keys, and the default
//! aliases (the table the recording stage builds its alias lookup from).

use crate::semconv as sc;

/// Declares [`GenAiField`] from one table: each fact with its docs and the key it is exported
/// under, so the enum, [`GenAiField::key`] and the list of keys accepted verbatim cannot drift.
macro_rules! genai_fields {
    ($($(#[$doc:meta])* $variant:ident => $key:expr,)*) => {
        /// A GenAI fact the layer captures from a span field.
        ///
        /// Used to configure aliases ([`GenAiLayer::with_alias`](crate::GenAiLayer::with_alias))
        /// and to record facts with
        /// [`GenAiSpanExt::record_genai`](crate::GenAiSpanExt::record_genai).
        ///
        /// ```
        /// use tracing_genai::GenAiField;
        ///
        /// assert_eq!(GenAiField::RequestModel.key(), "gen_ai.request.model");
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum GenAiField {
            $($(#[$doc])* $variant,)*
        }

        impl GenAiField {
            /// The attribute key this fact is exported under (`otel.*` and `error` are not
            /// exported as attributes; they return their field name).
            ///
            /// ```
            /// assert_eq!(tracing_genai::GenAiField::ServerPort.key(), "server.port");
            /// ```
            pub fn key(self) -> &'static str {
                match self {
                    $(GenAiField::$variant => $key,)*
                }
            }
        }

        /// Every fact, in declaration order.
        const ALL: &[GenAiField] = &[$(GenAiField::$variant,)*];
    };
}

genai_fields! {
    /// `gen_ai.operation.name`
    OperationName => sc::GEN_AI_OPERATION_NAME,
    /// `gen_ai.provider.name`
    ProviderName => sc::GEN_AI_PROVIDER_NAME,
    /// `gen_ai.request.model`
    RequestModel => sc::GEN_AI_REQUEST_MODEL,
    /// `gen_ai.request.max_tokens`
    MaxTokens => sc::GEN_AI_REQUEST_MAX_TOKENS,
    /// `gen_ai.request.choice.count`
    ChoiceCount => sc::GEN_AI_REQUEST_CHOICE_COUNT,
    /// `gen_ai.request.temperature`
    Temperature => sc::GEN_AI_REQUEST_TEMPERATURE,
    /// `gen_ai.request.top_p`
    TopP => sc::GEN_AI_REQUEST_TOP_P,
    /// `gen_ai.request.top_k`
    TopK => sc::GEN_AI_REQUEST_TOP_K,
    /// `gen_ai.request.stop_sequences`
    StopSequences => sc::GEN_AI_REQUEST_STOP_SEQUENCES,
    /// `gen_ai.request.frequency_penalty`
    FrequencyPenalty => sc::GEN_AI_REQUEST_FREQUENCY_PENALTY,
    /// `gen_ai.request.presence_penalty`
    PresencePenalty => sc::GEN_AI_REQUEST_PRESENCE_PENALTY,
    /// `gen_ai.request.encoding_formats`
    EncodingFormats => sc::GEN_AI_REQUEST_ENCODING_FORMATS,
    /// `gen_ai.request.seed`
    Seed => sc::GEN_AI_REQUEST_SEED,
    /// `gen_ai.request.stream`
    Stream => sc::GEN_AI_REQUEST_STREAM,
    /// `gen_ai.request.reasoning.level`
    ReasoningLevel => sc::GEN_AI_REQUEST_REASONING_LEVEL,
    /// `gen_ai.request.previous_response.id`
    PreviousResponseId => sc::GEN_AI_REQUEST_PREVIOUS_RESPONSE_ID,
    /// `gen_ai.response.id`
    ResponseId => sc::GEN_AI_RESPONSE_ID,
    /// `gen_ai.response.model`
    ResponseModel => sc::GEN_AI_RESPONSE_MODEL,
    /// `gen_ai.response.finish_reasons`
    FinishReasons => sc::GEN_AI_RESPONSE_FINISH_REASONS,
    /// `gen_ai.response.time_to_first_chunk`
    TimeToFirstChunk => sc::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
    /// `gen_ai.response.status`
    ResponseStatus => sc::GEN_AI_RESPONSE_STATUS,
    /// `gen_ai.usage.input_tokens`
    InputTokens => sc::GEN_AI_USAGE_INPUT_TOKENS,
    /// `gen_ai.usage.output_tokens`
    OutputTokens => sc::GEN_AI_USAGE_OUTPUT_TOKENS,
    /// `gen_ai.usage.cache_read.input_tokens`
    CacheReadInputTokens => sc::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    /// `gen_ai.usage.cache_creation.input_tokens`
    CacheCreationInputTokens => sc::GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    /// `gen_ai.usage.reasoning.output_tokens`
    ReasoningOutputTokens => sc::GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
    /// `gen_ai.usage.text.input_tokens` (exported in the latest conventions only)
    TextInputTokens => sc::GEN_AI_USAGE_TEXT_INPUT_TOKENS,
    /// `gen_ai.usage.image.input_tokens` (exported in the latest conventions only)
    ImageInputTokens => sc::GEN_AI_USAGE_IMAGE_INPUT_TOKENS,
    /// `gen_ai.usage.audio.input_tokens` (exported in the latest conventions only)
    AudioInputTokens => sc::GEN_AI_USAGE_AUDIO_INPUT_TOKENS,
    /// `gen_ai.usage.text.output_tokens` (exported in the latest conventions only)
    TextOutputTokens => sc::GEN_AI_USAGE_TEXT_OUTPUT_TOKENS,
    /// `gen_ai.usage.image.output_tokens` (exported in the latest conventions only)
    ImageOutputTokens => sc::GEN_AI_USAGE_IMAGE_OUTPUT_TOKENS,
    /// `gen_ai.usage.audio.output_tokens` (exported in the latest conventions only)
    AudioOutputTokens => sc::GEN_AI_USAGE_AUDIO_OUTPUT_TOKENS,
    /// `gen_ai.usage.text.cache_read.input_tokens` (exported in the latest conventions only)
    TextCacheReadInputTokens => sc::GEN_AI_USAGE_TEXT_CACHE_READ_INPUT_TOKENS,
    /// `gen_ai.usage.image.cache_read.input_tokens` (exported in the latest conventions only)
    ImageCacheReadInputTokens => sc::GEN_AI_USAGE_IMAGE_CACHE_READ_INPUT_TOKENS,
    /// `gen_ai.usage.audio.cache_read.input_tokens` (exported in the latest conventions only)
    AudioCacheReadInputTokens => sc::GEN_AI_USAGE_AUDIO_CACHE_READ_INPUT_TOKENS,
    /// `gen_ai.conversation.id`
    ConversationId => sc::GEN_AI_CONVERSATION_ID,
    /// `gen_ai.agent.id`
    AgentId => sc::GEN_AI_AGENT_ID,
    /// `gen_ai.agent.name`
    AgentName => sc::GEN_AI_AGENT_NAME,
    /// `gen_ai.agent.description`
    AgentDescription => sc::GEN_AI_AGENT_DESCRIPTION,
    /// `gen_ai.agent.version`
    AgentVersion => sc::GEN_AI_AGENT_VERSION,
    /// `gen_ai.tool.name`
    ToolName => sc::GEN_AI_TOOL_NAME,
    /// `gen_ai.tool.call.id`
    ToolCallId => sc::GEN_AI_TOOL_CALL_ID,
    /// `gen_ai.tool.type`
    ToolType => sc::GEN_AI_TOOL_TYPE,
    /// `gen_ai.tool.description`
    ToolDescription => sc::GEN_AI_TOOL_DESCRIPTION,
    /// `gen_ai.workflow.name`
    WorkflowName => sc::GEN_AI_WORKFLOW_NAME,
    /// `gen_ai.data_source.id`
    DataSourceId => sc::GEN_AI_DATA_SOURCE_ID,
    /// `gen_ai.output.type`
    OutputType => sc::GEN_AI_OUTPUT_TYPE,
    /// `gen_ai.embeddings.dimension.count`
    EmbeddingsDimensionCount => sc::GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
    /// `server.address`
    ServerAddress => sc::SERVER_ADDRESS,
    /// `server.port`
    ServerPort => sc::SERVER_PORT,
    /// `error.type`: marks the span failed with this error class.
    ErrorType => sc::ERROR_TYPE,
    /// `error`: marks the span failed; the value is the message.
    Error => sc::ERROR_FIELD,
    /// Message content (`gen_ai.input.messages`, `gen_ai.output.messages`,
    /// `gen_ai.system_instructions`, `gen_ai.tool.definitions`, `gen_ai.tool.call.arguments`,
    /// `gen_ai.tool.call.result`). Never exported unless content capture is enabled.
    Content => sc::CONTENT_FIELDS,
    /// `openai.request.service_tier`
    OpenAiRequestServiceTier => sc::OPENAI_REQUEST_SERVICE_TIER,
    /// `openai.response.service_tier`
    OpenAiResponseServiceTier => sc::OPENAI_RESPONSE_SERVICE_TIER,
    /// `openai.response.system_fingerprint`
    OpenAiResponseSystemFingerprint => sc::OPENAI_RESPONSE_SYSTEM_FINGERPRINT,
    /// `openai.api.type`
    OpenAiApiType => sc::OPENAI_API_TYPE,
    /// `otel.name`: overrides the exported span name.
    OtelName => sc::OTEL_NAME,
    /// `otel.kind`: overrides the span kind.
    OtelKind => sc::OTEL_KIND,
    /// `otel.status_code`: `error` marks the span failed.
    OtelStatusCode => sc::OTEL_STATUS_CODE,
    /// `otel.status_description`: the error description.
    OtelStatusDescription => sc::OTEL_STATUS_DESCRIPTION,
}

/// The facts whose key is accepted verbatim as a field name: all but
/// [`Content`](GenAiField::Content), which stands for several keys ([`CONTENT_KEYS`]).
pub(crate) fn verbatim() -> impl Iterator<Item = GenAiField> {
    ALL.iter().copied().filter(|f| *f != GenAiField::Content)
}

impl GenAiField {
    /// The default aliases: names used by Rust LLM clients and by older semconv versions
    /// (reproduced in the crate docs' field-mapping table).
    ///
    /// ```
    /// use tracing_genai::GenAiField;
    ///
    /// assert!(GenAiField::DEFAULT_ALIASES.contains(&("prompt_tokens", GenAiField::InputTokens)));
    /// ```
    pub const DEFAULT_ALIASES: &'static [(&'static str, GenAiField)] = DEFAULT_ALIASES;
}

/// The content attributes; captured only when content capture is on.
pub(crate) const CONTENT_KEYS: &[&str] = &[
    sc::GEN_AI_INPUT_MESSAGES,
    sc::GEN_AI_OUTPUT_MESSAGES,
    sc::GEN_AI_SYSTEM_INSTRUCTIONS,
    sc::GEN_AI_TOOL_DEFINITIONS,
    sc::GEN_AI_TOOL_CALL_ARGUMENTS,
    sc::GEN_AI_TOOL_CALL_RESULT,
    sc::CONTENT_CAPTURE_FIELD,
    // Content the layer does not export (yet): never kept raw, never as an unknown field.
    sc::GEN_AI_RETRIEVAL_DOCUMENTS,
    sc::GEN_AI_MEMORY_RECORDS,
    sc::GEN_AI_RETRIEVAL_QUERY_TEXT,
    sc::GEN_AI_MEMORY_QUERY_TEXT,
    // Legacy single-string content: read into the input / output messages.
    sc::LEGACY_GEN_AI_PROMPT,
    sc::LEGACY_GEN_AI_COMPLETION,
];

/// The default aliases: names used by Rust LLM clients and by older semconv versions.
///
/// This table is reproduced in the crate docs and the README.
pub(crate) const DEFAULT_ALIASES: &[(&str, GenAiField)] = {
    use GenAiField::*;
    &[
        ("operation", OperationName),
        ("operation_name", OperationName),
        (sc::LEGACY_GEN_AI_SYSTEM, ProviderName),
        ("provider", ProviderName),
        ("system", ProviderName),
        ("model", RequestModel),
        ("request_model", RequestModel),
        ("temperature", Temperature),
        ("top_p", TopP),
        ("top_k", TopK),
        ("max_tokens", MaxTokens),
        ("max_output_tokens", MaxTokens),
        ("max_completion_tokens", MaxTokens),
        ("seed", Seed),
        ("stream", Stream),
        ("n", ChoiceCount),
        ("frequency_penalty", FrequencyPenalty),
        ("presence_penalty", PresencePenalty),
        ("stop", StopSequences),
        ("stop_sequences", StopSequences),
        ("prompt_tokens", InputTokens),
        ("input_tokens", InputTokens),
        (sc::LEGACY_GEN_AI_USAGE_PROMPT_TOKENS, InputTokens),
        ("completion_tokens", OutputTokens),
        ("output_tokens", OutputTokens),
        (sc::LEGACY_GEN_AI_USAGE_COMPLETION_TOKENS, OutputTokens),
        ("cache_read_tokens", CacheReadInputTokens),
        ("cached_tokens", CacheReadInputTokens),
        ("cache_read_input_tokens", CacheReadInputTokens),
        ("cache_creation_tokens", CacheCreationInputTokens),
        ("cache_creation_input_tokens", CacheCreationInputTokens),
        ("cache_write_tokens", CacheCreationInputTokens),
        (
            sc::NEWER_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
            CacheCreationInputTokens,
        ),
        ("reasoning_tokens", ReasoningOutputTokens),
        // rig-core 0.44 / rig-agent 0.44 (`rig::completions`, `rig::modalities`, `invoke_agent`).
        (sc::RIG_GEN_AI_USAGE_REASONING_TOKENS, ReasoningOutputTokens),
        // Per-modality usage, as Rust clients name the details OpenAI and Gemini report.
        ("input_text_tokens", TextInputTokens),
        ("prompt_text_tokens", TextInputTokens),
        ("input_image_tokens", ImageInputTokens),
        ("prompt_image_tokens", ImageInputTokens),
        ("input_audio_tokens", AudioInputTokens),
        ("prompt_audio_tokens", AudioInputTokens),
        ("output_text_tokens", TextOutputTokens),
        ("completion_text_tokens", TextOutputTokens),
        ("output_image_tokens", ImageOutputTokens),
        ("completion_image_tokens", ImageOutputTokens),
        ("output_audio_tokens", AudioOutputTokens),
        ("completion_audio_tokens", AudioOutputTokens),
        ("cached_text_tokens", TextCacheReadInputTokens),
        ("cached_image_tokens", ImageCacheReadInputTokens),
        ("cached_audio_tokens", AudioCacheReadInputTokens),
        ("finish_reason", FinishReasons),
        ("finish_reasons", FinishReasons),
        ("stop_reason", FinishReasons),
        ("response_id", ResponseId),
        ("response_model", ResponseModel),
        ("conversation_id", ConversationId),
        ("agent_name", AgentName),
        ("tool_name", ToolName),
        ("tool_call_id", ToolCallId),
        ("error_type", ErrorType),
        // rig-agent 0.44 `execute_tool` spans: the error class of a failed tool call.
        (sc::RIG_GEN_AI_TOOL_ERROR_TYPE, ErrorType),
    ]
};
