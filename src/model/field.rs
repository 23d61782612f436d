//! [`GenAiField`]: the GenAI facts a span field can name, their exported keys, and the default
//! aliases (the table the recording stage builds its alias lookup from).

use crate::semconv as sc;

/// A GenAI fact the layer captures from a span field.
///
/// Used to configure aliases ([`GenAiLayer::with_alias`](crate::GenAiLayer::with_alias)) and
/// to record facts with [`GenAiSpanExt::record_genai`](crate::GenAiSpanExt::record_genai).
///
/// ```
/// use tracing_genai::GenAiField;
///
/// assert_eq!(GenAiField::RequestModel.key(), "gen_ai.request.model");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GenAiField {
    /// `gen_ai.operation.name`
    OperationName,
    /// `gen_ai.provider.name`
    ProviderName,
    /// `gen_ai.request.model`
    RequestModel,
    /// `gen_ai.request.max_tokens`
    MaxTokens,
    /// `gen_ai.request.choice.count`
    ChoiceCount,
    /// `gen_ai.request.temperature`
    Temperature,
    /// `gen_ai.request.top_p`
    TopP,
    /// `gen_ai.request.top_k`
    TopK,
    /// `gen_ai.request.stop_sequences`
    StopSequences,
    /// `gen_ai.request.frequency_penalty`
    FrequencyPenalty,
    /// `gen_ai.request.presence_penalty`
    PresencePenalty,
    /// `gen_ai.request.encoding_formats`
    EncodingFormats,
    /// `gen_ai.request.seed`
    Seed,
    /// `gen_ai.request.stream`
    Stream,
    /// `gen_ai.request.reasoning.level`
    ReasoningLevel,
    /// `gen_ai.request.previous_response.id`
    PreviousResponseId,
    /// `gen_ai.response.id`
    ResponseId,
    /// `gen_ai.response.model`
    ResponseModel,
    /// `gen_ai.response.finish_reasons`
    FinishReasons,
    /// `gen_ai.response.time_to_first_chunk`
    TimeToFirstChunk,
    /// `gen_ai.response.status`
    ResponseStatus,
    /// `gen_ai.usage.input_tokens`
    InputTokens,
    /// `gen_ai.usage.output_tokens`
    OutputTokens,
    /// `gen_ai.usage.cache_read.input_tokens`
    CacheReadInputTokens,
    /// `gen_ai.usage.cache_creation.input_tokens`
    CacheCreationInputTokens,
    /// `gen_ai.usage.reasoning.output_tokens`
    ReasoningOutputTokens,
    /// `gen_ai.usage.text.input_tokens` (exported in the latest conventions only)
    TextInputTokens,
    /// `gen_ai.usage.image.input_tokens` (exported in the latest conventions only)
    ImageInputTokens,
    /// `gen_ai.usage.audio.input_tokens` (exported in the latest conventions only)
    AudioInputTokens,
    /// `gen_ai.usage.text.output_tokens` (exported in the latest conventions only)
    TextOutputTokens,
    /// `gen_ai.usage.image.output_tokens` (exported in the latest conventions only)
    ImageOutputTokens,
    /// `gen_ai.usage.audio.output_tokens` (exported in the latest conventions only)
    AudioOutputTokens,
    /// `gen_ai.usage.text.cache_read.input_tokens` (exported in the latest conventions only)
    TextCacheReadInputTokens,
    /// `gen_ai.usage.image.cache_read.input_tokens` (exported in the latest conventions only)
    ImageCacheReadInputTokens,
    /// `gen_ai.usage.audio.cache_read.input_tokens` (exported in the latest conventions only)
    AudioCacheReadInputTokens,
    /// `gen_ai.conversation.id`
    ConversationId,
    /// `gen_ai.agent.id`
    AgentId,
    /// `gen_ai.agent.name`
    AgentName,
    /// `gen_ai.agent.description`
    AgentDescription,
    /// `gen_ai.agent.version`
    AgentVersion,
    /// `gen_ai.tool.name`
    ToolName,
    /// `gen_ai.tool.call.id`
    ToolCallId,
    /// `gen_ai.tool.type`
    ToolType,
    /// `gen_ai.tool.description`
    ToolDescription,
    /// `gen_ai.workflow.name`
    WorkflowName,
    /// `gen_ai.data_source.id`
    DataSourceId,
    /// `gen_ai.output.type`
    OutputType,
    /// `gen_ai.embeddings.dimension.count`
    EmbeddingsDimensionCount,
    /// `server.address`
    ServerAddress,
    /// `server.port`
    ServerPort,
    /// `error.type`: marks the span failed with this error class.
    ErrorType,
    /// `error`: marks the span failed; the value is the message.
    Error,
    /// Message content (`gen_ai.input.messages`, `gen_ai.output.messages`,
    /// `gen_ai.system_instructions`, `gen_ai.tool.definitions`, `gen_ai.tool.call.arguments`,
    /// `gen_ai.tool.call.result`). Never exported unless content capture is enabled.
    Content,
    /// `openai.request.service_tier`
    OpenAiRequestServiceTier,
    /// `openai.response.service_tier`
    OpenAiResponseServiceTier,
    /// `openai.response.system_fingerprint`
    OpenAiResponseSystemFingerprint,
    /// `openai.api.type`
    OpenAiApiType,
    /// `otel.name`: overrides the exported span name.
    OtelName,
    /// `otel.kind`: overrides the span kind.
    OtelKind,
    /// `otel.status_code`: `error` marks the span failed.
    OtelStatusCode,
    /// `otel.status_description`: the error description.
    OtelStatusDescription,
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

    /// The attribute key this fact is exported under (`otel.*` and `error` are not exported as
    /// attributes; they return their field name).
    pub fn key(self) -> &'static str {
        use GenAiField::*;
        match self {
            OperationName => sc::GEN_AI_OPERATION_NAME,
            ProviderName => sc::GEN_AI_PROVIDER_NAME,
            RequestModel => sc::GEN_AI_REQUEST_MODEL,
            MaxTokens => sc::GEN_AI_REQUEST_MAX_TOKENS,
            ChoiceCount => sc::GEN_AI_REQUEST_CHOICE_COUNT,
            Temperature => sc::GEN_AI_REQUEST_TEMPERATURE,
            TopP => sc::GEN_AI_REQUEST_TOP_P,
            TopK => sc::GEN_AI_REQUEST_TOP_K,
            StopSequences => sc::GEN_AI_REQUEST_STOP_SEQUENCES,
            FrequencyPenalty => sc::GEN_AI_REQUEST_FREQUENCY_PENALTY,
            PresencePenalty => sc::GEN_AI_REQUEST_PRESENCE_PENALTY,
            EncodingFormats => sc::GEN_AI_REQUEST_ENCODING_FORMATS,
            Seed => sc::GEN_AI_REQUEST_SEED,
            Stream => sc::GEN_AI_REQUEST_STREAM,
            ReasoningLevel => sc::GEN_AI_REQUEST_REASONING_LEVEL,
            PreviousResponseId => sc::GEN_AI_REQUEST_PREVIOUS_RESPONSE_ID,
            ResponseId => sc::GEN_AI_RESPONSE_ID,
            ResponseModel => sc::GEN_AI_RESPONSE_MODEL,
            FinishReasons => sc::GEN_AI_RESPONSE_FINISH_REASONS,
            TimeToFirstChunk => sc::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
            ResponseStatus => sc::GEN_AI_RESPONSE_STATUS,
            InputTokens => sc::GEN_AI_USAGE_INPUT_TOKENS,
            OutputTokens => sc::GEN_AI_USAGE_OUTPUT_TOKENS,
            CacheReadInputTokens => sc::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
            CacheCreationInputTokens => sc::GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
            ReasoningOutputTokens => sc::GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
            TextInputTokens => sc::GEN_AI_USAGE_TEXT_INPUT_TOKENS,
            ImageInputTokens => sc::GEN_AI_USAGE_IMAGE_INPUT_TOKENS,
            AudioInputTokens => sc::GEN_AI_USAGE_AUDIO_INPUT_TOKENS,
            TextOutputTokens => sc::GEN_AI_USAGE_TEXT_OUTPUT_TOKENS,
            ImageOutputTokens => sc::GEN_AI_USAGE_IMAGE_OUTPUT_TOKENS,
            AudioOutputTokens => sc::GEN_AI_USAGE_AUDIO_OUTPUT_TOKENS,
            TextCacheReadInputTokens => sc::GEN_AI_USAGE_TEXT_CACHE_READ_INPUT_TOKENS,
            ImageCacheReadInputTokens => sc::GEN_AI_USAGE_IMAGE_CACHE_READ_INPUT_TOKENS,
            AudioCacheReadInputTokens => sc::GEN_AI_USAGE_AUDIO_CACHE_READ_INPUT_TOKENS,
            ConversationId => sc::GEN_AI_CONVERSATION_ID,
            AgentId => sc::GEN_AI_AGENT_ID,
            AgentName => sc::GEN_AI_AGENT_NAME,
            AgentDescription => sc::GEN_AI_AGENT_DESCRIPTION,
            AgentVersion => sc::GEN_AI_AGENT_VERSION,
            ToolName => sc::GEN_AI_TOOL_NAME,
            ToolCallId => sc::GEN_AI_TOOL_CALL_ID,
            ToolType => sc::GEN_AI_TOOL_TYPE,
            ToolDescription => sc::GEN_AI_TOOL_DESCRIPTION,
            WorkflowName => sc::GEN_AI_WORKFLOW_NAME,
            DataSourceId => sc::GEN_AI_DATA_SOURCE_ID,
            OutputType => sc::GEN_AI_OUTPUT_TYPE,
            EmbeddingsDimensionCount => sc::GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
            ServerAddress => sc::SERVER_ADDRESS,
            ServerPort => sc::SERVER_PORT,
            ErrorType => sc::ERROR_TYPE,
            Error => sc::ERROR_FIELD,
            Content => sc::CONTENT_FIELDS,
            OpenAiRequestServiceTier => sc::OPENAI_REQUEST_SERVICE_TIER,
            OpenAiResponseServiceTier => sc::OPENAI_RESPONSE_SERVICE_TIER,
            OpenAiResponseSystemFingerprint => sc::OPENAI_RESPONSE_SYSTEM_FINGERPRINT,
            OpenAiApiType => sc::OPENAI_API_TYPE,
            OtelName => sc::OTEL_NAME,
            OtelKind => sc::OTEL_KIND,
            OtelStatusCode => sc::OTEL_STATUS_CODE,
            OtelStatusDescription => sc::OTEL_STATUS_DESCRIPTION,
        }
    }
}

/// Every semconv key the layer accepts verbatim, and the fact it maps to.
pub(crate) const SEMCONV: &[GenAiField] = {
    use GenAiField::*;
    &[
        OperationName,
        ProviderName,
        RequestModel,
        MaxTokens,
        ChoiceCount,
        Temperature,
        TopP,
        TopK,
        StopSequences,
        FrequencyPenalty,
        PresencePenalty,
        EncodingFormats,
        Seed,
        Stream,
        ReasoningLevel,
        PreviousResponseId,
        ResponseId,
        ResponseModel,
        FinishReasons,
        TimeToFirstChunk,
        ResponseStatus,
        InputTokens,
        OutputTokens,
        CacheReadInputTokens,
        CacheCreationInputTokens,
        ReasoningOutputTokens,
        TextInputTokens,
        ImageInputTokens,
        AudioInputTokens,
        TextOutputTokens,
        ImageOutputTokens,
        AudioOutputTokens,
        TextCacheReadInputTokens,
        ImageCacheReadInputTokens,
        AudioCacheReadInputTokens,
        ConversationId,
        AgentId,
        AgentName,
        AgentDescription,
        AgentVersion,
        ToolName,
        ToolCallId,
        ToolType,
        ToolDescription,
        WorkflowName,
        DataSourceId,
        OutputType,
        EmbeddingsDimensionCount,
        ServerAddress,
        ServerPort,
        ErrorType,
        Error,
        OpenAiRequestServiceTier,
        OpenAiResponseServiceTier,
        OpenAiResponseSystemFingerprint,
        OpenAiApiType,
        OtelName,
        OtelKind,
        OtelStatusCode,
        OtelStatusDescription,
    ]
};

/// The content attributes; captured only when content capture is on.
pub(crate) const CONTENT_KEYS: &[&str] = &[
    sc::GEN_AI_INPUT_MESSAGES,
    sc::GEN_AI_OUTPUT_MESSAGES,
    sc::GEN_AI_SYSTEM_INSTRUCTIONS,
    sc::GEN_AI_TOOL_DEFINITIONS,
    sc::GEN_AI_TOOL_CALL_ARGUMENTS,
    sc::GEN_AI_TOOL_CALL_RESULT,
    sc::CONTENT_CAPTURE_FIELD,
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
    ]
};
