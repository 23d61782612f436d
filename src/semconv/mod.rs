//! The vocabulary: every name this crate spells (OpenTelemetry GenAI semantic-convention
//! attributes, metrics and events, the `otel.*` fields, the crate's own extensions, legacy and
//! newer input names) and the metric advice.
//!
//! This is the only place names are spelled. The values were taken from the pinned registry
//! snapshot (vendored as `tests/data/semconv/gen-ai-registry.yaml`, schema
//! `https://opentelemetry.io/schemas/gen-ai-dev/1.42.0-dev`); the `registry` integration test
//! checks every emitted key against that file. The names of the latest conventions (upstream
//! `main` after the pin) are here too, and [`DIFFERENCES`] is the one table of what the two
//! versions do differently; [`Conventions`] chooses which the layer emits. The deprecated GenAI
//! constants of `opentelemetry-semantic-conventions` are deliberately not used.
//!
//! ```
//! assert_eq!(tracing_genai::semconv::GEN_AI_REQUEST_MODEL, "gen_ai.request.model");
//! ```

mod versions;

pub use versions::{
    Conventions, DIFFERENCES, Difference, Item, Kind, OPT_IN_LATEST, OPT_IN_LATEST_DUP,
};

/// Schema URL of the pinned GenAI semantic-convention snapshot.
pub const SCHEMA_URL: &str = "https://opentelemetry.io/schemas/gen-ai-dev/1.42.0-dev";

/// `gen_ai.provider.name` (string (enum)): The Generative AI provider as identified by the client or server instrumentation.
pub const GEN_AI_PROVIDER_NAME: &str = "gen_ai.provider.name";
/// `gen_ai.request.model` (string): The name of the GenAI model a request is being made to.
pub const GEN_AI_REQUEST_MODEL: &str = "gen_ai.request.model";
/// `gen_ai.request.max_tokens` (int): The maximum number of tokens the model generates for a request.
pub const GEN_AI_REQUEST_MAX_TOKENS: &str = "gen_ai.request.max_tokens";
/// `gen_ai.request.choice.count` (int): The target number of candidate completions to return.
pub const GEN_AI_REQUEST_CHOICE_COUNT: &str = "gen_ai.request.choice.count";
/// `gen_ai.request.temperature` (double): The temperature setting for the GenAI request.
pub const GEN_AI_REQUEST_TEMPERATURE: &str = "gen_ai.request.temperature";
/// `gen_ai.request.top_p` (double): The top_p sampling setting for the GenAI request.
pub const GEN_AI_REQUEST_TOP_P: &str = "gen_ai.request.top_p";
/// `gen_ai.request.top_k` (int): The top-K sampling setting for the GenAI request: restricts token generation at each step to the K most likely next tokens.
pub const GEN_AI_REQUEST_TOP_K: &str = "gen_ai.request.top_k";
/// `gen_ai.request.stop_sequences` (string[]): List of sequences that the model will use to stop generating further tokens.
pub const GEN_AI_REQUEST_STOP_SEQUENCES: &str = "gen_ai.request.stop_sequences";
/// `gen_ai.request.frequency_penalty` (double): The frequency penalty setting for the GenAI request.
pub const GEN_AI_REQUEST_FREQUENCY_PENALTY: &str = "gen_ai.request.frequency_penalty";
/// `gen_ai.request.presence_penalty` (double): The presence penalty setting for the GenAI request.
pub const GEN_AI_REQUEST_PRESENCE_PENALTY: &str = "gen_ai.request.presence_penalty";
/// `gen_ai.request.encoding_formats` (string[]): The encoding formats requested in an embeddings operation, if specified.
pub const GEN_AI_REQUEST_ENCODING_FORMATS: &str = "gen_ai.request.encoding_formats";
/// `gen_ai.request.seed` (int): Requests with same seed value more likely to return same result.
pub const GEN_AI_REQUEST_SEED: &str = "gen_ai.request.seed";
/// `gen_ai.request.stream` (boolean): Indicates whether the GenAI request was made in streaming mode.
pub const GEN_AI_REQUEST_STREAM: &str = "gen_ai.request.stream";
/// `gen_ai.request.reasoning.level` (string): The reasoning or thinking effort level requested for a GenAI model.
pub const GEN_AI_REQUEST_REASONING_LEVEL: &str = "gen_ai.request.reasoning.level";
/// `gen_ai.request.previous_response.id` (string): The unique identifier of a previous response or interaction used to provide context for the current operation.
pub const GEN_AI_REQUEST_PREVIOUS_RESPONSE_ID: &str = "gen_ai.request.previous_response.id";
/// `gen_ai.request.stream_cursor` (string): The cursor identifying the last streamed event already received, used to resume a streamed response from that position.
pub const GEN_AI_REQUEST_STREAM_CURSOR: &str = "gen_ai.request.stream_cursor";
/// `gen_ai.response.id` (string): The unique identifier for the completion.
pub const GEN_AI_RESPONSE_ID: &str = "gen_ai.response.id";
/// `gen_ai.response.model` (string): The name of the model that generated the response.
pub const GEN_AI_RESPONSE_MODEL: &str = "gen_ai.response.model";
/// `gen_ai.response.finish_reasons` (string[]): Array of reasons the model stopped generating tokens, corresponding to each generation received.
pub const GEN_AI_RESPONSE_FINISH_REASONS: &str = "gen_ai.response.finish_reasons";
/// `gen_ai.response.status` (string (enum)): The lifecycle status of a generated response, as reported by the provider when the response is fetched or polled.
pub const GEN_AI_RESPONSE_STATUS: &str = "gen_ai.response.status";
/// `gen_ai.response.time_to_first_chunk` (double): Time to first chunk in a streaming response, measured from request issuance, in seconds. The value is measured from when the client issues the generation request to when the first chunk is received in the response stream.
pub const GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: &str = "gen_ai.response.time_to_first_chunk";
/// `gen_ai.usage.input_tokens` (int): The number of tokens used in the GenAI input (prompt).
pub const GEN_AI_USAGE_INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
/// `gen_ai.usage.cache_read.input_tokens` (int): The number of input tokens served from a provider-managed cache.
pub const GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: &str = "gen_ai.usage.cache_read.input_tokens";
/// `gen_ai.usage.cache_creation.input_tokens` (int): The number of input tokens written to a provider-managed cache.
pub const GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: &str =
    "gen_ai.usage.cache_creation.input_tokens";
/// `gen_ai.usage.output_tokens` (int): The number of tokens used in the GenAI response (completion).
pub const GEN_AI_USAGE_OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
/// `gen_ai.usage.reasoning.output_tokens` (int): The number of output tokens used for reasoning (e.g. chain-of-thought, extended thinking).
pub const GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: &str = "gen_ai.usage.reasoning.output_tokens";
/// `gen_ai.token.type` (string (enum)): The type of token being counted.
pub const GEN_AI_TOKEN_TYPE: &str = "gen_ai.token.type";
/// `gen_ai.token.type` value for input tokens.
pub const GEN_AI_TOKEN_TYPE_INPUT: &str = "input";
/// `gen_ai.token.type` value for output tokens.
pub const GEN_AI_TOKEN_TYPE_OUTPUT: &str = "output";
/// `gen_ai.conversation.id` (string): The unique identifier for a conversation (session, thread), used to store and correlate messages within this conversation.
pub const GEN_AI_CONVERSATION_ID: &str = "gen_ai.conversation.id";
/// `gen_ai.conversation.compacted` (boolean): Indicates whether the effective conversation context used for this operation is a compacted view of a prior conversation.
pub const GEN_AI_CONVERSATION_COMPACTED: &str = "gen_ai.conversation.compacted";
/// `gen_ai.agent.id` (string): The unique and stable identifier of the GenAI hosted agent resource.
pub const GEN_AI_AGENT_ID: &str = "gen_ai.agent.id";
/// `gen_ai.agent.name` (string): Human-readable name of the GenAI agent provided by the application.
pub const GEN_AI_AGENT_NAME: &str = "gen_ai.agent.name";
/// `gen_ai.agent.description` (string): Free-form description of the GenAI agent provided by the application.
pub const GEN_AI_AGENT_DESCRIPTION: &str = "gen_ai.agent.description";
/// `gen_ai.agent.version` (string): The version of the GenAI agent.
pub const GEN_AI_AGENT_VERSION: &str = "gen_ai.agent.version";
/// `gen_ai.tool.name` (string): Name of the tool utilized by the agent.
pub const GEN_AI_TOOL_NAME: &str = "gen_ai.tool.name";
/// `gen_ai.tool.call.id` (string): The tool call identifier.
pub const GEN_AI_TOOL_CALL_ID: &str = "gen_ai.tool.call.id";
/// `gen_ai.tool.description` (string): The tool description.
pub const GEN_AI_TOOL_DESCRIPTION: &str = "gen_ai.tool.description";
/// `gen_ai.tool.type` (string): Type of the tool utilized by the agent
pub const GEN_AI_TOOL_TYPE: &str = "gen_ai.tool.type";
/// `gen_ai.tool.call.arguments` (any): Parameters passed to the tool call.
pub const GEN_AI_TOOL_CALL_ARGUMENTS: &str = "gen_ai.tool.call.arguments";
/// `gen_ai.tool.call.result` (any): The result returned by the tool call (if any and if execution was successful).
pub const GEN_AI_TOOL_CALL_RESULT: &str = "gen_ai.tool.call.result";
/// `gen_ai.tool.definitions` (any): The list of tool definitions available to the GenAI agent or model.
pub const GEN_AI_TOOL_DEFINITIONS: &str = "gen_ai.tool.definitions";
/// `gen_ai.data_source.id` (string): The data source identifier.
pub const GEN_AI_DATA_SOURCE_ID: &str = "gen_ai.data_source.id";
/// `gen_ai.operation.name` (string (enum)): The name of the operation being performed.
pub const GEN_AI_OPERATION_NAME: &str = "gen_ai.operation.name";
/// `gen_ai.output.type` (string (enum)): Represents the content type requested by the client.
pub const GEN_AI_OUTPUT_TYPE: &str = "gen_ai.output.type";
/// `gen_ai.embeddings.dimension.count` (int): The number of dimensions the resulting output embeddings should have.
pub const GEN_AI_EMBEDDINGS_DIMENSION_COUNT: &str = "gen_ai.embeddings.dimension.count";
/// `gen_ai.retrieval.documents` (any): The documents retrieved.
pub const GEN_AI_RETRIEVAL_DOCUMENTS: &str = "gen_ai.retrieval.documents";
/// `gen_ai.retrieval.query.text` (string): The query text used for retrieval.
pub const GEN_AI_RETRIEVAL_QUERY_TEXT: &str = "gen_ai.retrieval.query.text";
/// `gen_ai.retrieval.top_k` (int): The maximum number of documents the retriever was asked to return for the query (also known as k, limit, or max_num_results).
pub const GEN_AI_RETRIEVAL_TOP_K: &str = "gen_ai.retrieval.top_k";
/// `gen_ai.memory.store.id` (string): The unique identifier of the memory store.
pub const GEN_AI_MEMORY_STORE_ID: &str = "gen_ai.memory.store.id";
/// `gen_ai.memory.record.id` (string): The unique identifier of the memory record.
pub const GEN_AI_MEMORY_RECORD_ID: &str = "gen_ai.memory.record.id";
/// `gen_ai.memory.record.count` (int): The number of memory records relevant to the operation.
pub const GEN_AI_MEMORY_RECORD_COUNT: &str = "gen_ai.memory.record.count";
/// `gen_ai.memory.query.text` (string): The search query used to retrieve memories.
pub const GEN_AI_MEMORY_QUERY_TEXT: &str = "gen_ai.memory.query.text";
/// `gen_ai.memory.records` (any): The memory records stored or retrieved in a memory operation.
pub const GEN_AI_MEMORY_RECORDS: &str = "gen_ai.memory.records";
/// `gen_ai.system_instructions` (any): The system message or instructions provided to the GenAI model separately from the chat history.
pub const GEN_AI_SYSTEM_INSTRUCTIONS: &str = "gen_ai.system_instructions";
/// `gen_ai.input.messages` (any): The chat history provided to the model as an input.
pub const GEN_AI_INPUT_MESSAGES: &str = "gen_ai.input.messages";
/// `gen_ai.output.messages` (any): Messages returned by the model where each message represents a specific model response (choice, candidate).
pub const GEN_AI_OUTPUT_MESSAGES: &str = "gen_ai.output.messages";

/// The keys that carry message content (opt-in: exported only when content capture is on,
/// bounded and redacted).
pub(crate) const CONTENT_KEYS: [&str; 8] = [
    GEN_AI_INPUT_MESSAGES,
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_SYSTEM_INSTRUCTIONS,
    GEN_AI_TOOL_DEFINITIONS,
    GEN_AI_TOOL_CALL_ARGUMENTS,
    GEN_AI_TOOL_CALL_RESULT,
    GEN_AI_RETRIEVAL_DOCUMENTS,
    GEN_AI_MEMORY_RECORDS,
];

/// Whether `key` carries message content ([`CONTENT_KEYS`]).
pub(crate) fn is_content_key(key: &str) -> bool {
    CONTENT_KEYS.contains(&key)
}
/// Event `gen_ai.client.inference.operation.details` (opt-in): the details of an inference call,
/// including its message content when content capture sends events.
pub const GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS_EVENT: &str =
    "gen_ai.client.inference.operation.details";
/// Event `gen_ai.client.operation.exception` (recommended, severity WARN): an error that
/// prevented a GenAI client operation from completing.
pub const GEN_AI_CLIENT_OPERATION_EXCEPTION_EVENT: &str = "gen_ai.client.operation.exception";
/// Event `gen_ai.evaluation.result` (recommended): the result of evaluating a GenAI output.
pub const GEN_AI_EVALUATION_RESULT_EVENT: &str = "gen_ai.evaluation.result";
/// `gen_ai.evaluation.name` (string): The name of the evaluation metric used for the GenAI response.
pub const GEN_AI_EVALUATION_NAME: &str = "gen_ai.evaluation.name";
/// `gen_ai.evaluation.score.value` (double): The evaluation score returned by the evaluator.
pub const GEN_AI_EVALUATION_SCORE_VALUE: &str = "gen_ai.evaluation.score.value";
/// `gen_ai.evaluation.score.label` (string): Human readable label for evaluation.
pub const GEN_AI_EVALUATION_SCORE_LABEL: &str = "gen_ai.evaluation.score.label";
/// `gen_ai.evaluation.explanation` (string): A free-form explanation for the assigned score provided by the evaluator.
pub const GEN_AI_EVALUATION_EXPLANATION: &str = "gen_ai.evaluation.explanation";
/// `gen_ai.prompt.name` (string): The name of the prompt that uniquely identifies it.
pub const GEN_AI_PROMPT_NAME: &str = "gen_ai.prompt.name";
/// `gen_ai.prompt.version` (string): The version of the prompt template used.
pub const GEN_AI_PROMPT_VERSION: &str = "gen_ai.prompt.version";
/// `gen_ai.prompt.variable` (`template[string]`): The variables supplied to the prompt template, the `<key>` being the variable name, the value being the variable value.
pub const GEN_AI_PROMPT_VARIABLE: &str = "gen_ai.prompt.variable";
/// `gen_ai.workflow.name` (string): Human-readable name of the GenAI workflow provided by the application.
pub const GEN_AI_WORKFLOW_NAME: &str = "gen_ai.workflow.name";
/// `openai.request.service_tier` (string (enum)): The service tier requested. May be a specific tier, default, or auto.
pub const OPENAI_REQUEST_SERVICE_TIER: &str = "openai.request.service_tier";
/// `openai.api.type` (string (enum)): The type of OpenAI API being used.
pub const OPENAI_API_TYPE: &str = "openai.api.type";
/// `openai.response.service_tier` (string): The service tier used for the response.
pub const OPENAI_RESPONSE_SERVICE_TIER: &str = "openai.response.service_tier";
/// `openai.response.system_fingerprint` (string): A fingerprint to track any eventual change in the Generative AI environment.
pub const OPENAI_RESPONSE_SYSTEM_FINGERPRINT: &str = "openai.response.system_fingerprint";

// General (non-`gen_ai`) attributes used by the GenAI conventions.
/// `error.type` (string): Low-cardinality class of the error the operation ended with.
pub const ERROR_TYPE: &str = "error.type";
/// `server.address` (string): GenAI server address.
pub const SERVER_ADDRESS: &str = "server.address";
/// `server.port` (int): GenAI server port.
pub const SERVER_PORT: &str = "server.port";
/// `exception.type` (string): Type of the exception recorded in an `exception` event.
pub const EXCEPTION_TYPE: &str = "exception.type";
/// `exception.message` (string): Message of the exception recorded in an `exception` event.
pub const EXCEPTION_MESSAGE: &str = "exception.message";

/// Name of the span event that carries an error, per the exception conventions.
pub const EXCEPTION_EVENT: &str = "exception";
/// The instrumentation scope name of the telemetry this crate emits (tracer, meter, logger).
pub const INSTRUMENTATION_SCOPE: &str = "tracing-genai";
/// Value of `error.type` when no more specific class is known.
pub const ERROR_TYPE_OTHER: &str = "_OTHER";

// Metric instruments (see `gen-ai-metrics.yaml`).
/// Metric `gen_ai.client.token.usage` (histogram, unit `{token}`): Number of input and output tokens used.
pub const METRIC_CLIENT_TOKEN_USAGE: &str = "gen_ai.client.token.usage";
/// Metric `gen_ai.client.operation.duration` (histogram, unit `s`): GenAI operation duration.
pub const METRIC_CLIENT_OPERATION_DURATION: &str = "gen_ai.client.operation.duration";
/// Metric `gen_ai.client.operation.time_to_first_chunk` (histogram, unit `s`): Time to receive the first chunk, measured from when the client issues the generation request to when the first chunk is received in the response stream.
pub const METRIC_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK: &str =
    "gen_ai.client.operation.time_to_first_chunk";
/// Metric `gen_ai.client.operation.time_per_output_chunk` (histogram, unit `s`): Time per output chunk, recorded for each chunk received after the first one, measured as the time elapsed from the end of the previous chunk to the end of the current chunk.
pub const METRIC_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK: &str =
    "gen_ai.client.operation.time_per_output_chunk";
/// Metric `gen_ai.server.request.duration` (histogram, unit `s`): Generative AI server request duration such as time-to-last byte or last output token.
pub const METRIC_SERVER_REQUEST_DURATION: &str = "gen_ai.server.request.duration";
/// Metric `gen_ai.server.time_per_output_token` (histogram, unit `s`): Time per output token generated after the first token for successful responses.
pub const METRIC_SERVER_TIME_PER_OUTPUT_TOKEN: &str = "gen_ai.server.time_per_output_token";
/// Metric `gen_ai.server.time_to_first_token` (histogram, unit `s`): Time to generate first token for successful responses.
pub const METRIC_SERVER_TIME_TO_FIRST_TOKEN: &str = "gen_ai.server.time_to_first_token";
/// Metric `gen_ai.workflow.duration` (histogram, unit `s`): GenAI workflow duration.
pub const METRIC_WORKFLOW_DURATION: &str = "gen_ai.workflow.duration";
/// Metric `gen_ai.invoke_agent.duration` (histogram, unit `s`): The end-to-end duration of a single in-process agent invocation, from the moment the invocation starts until the agent emits the last chunk of its final response or terminates with an error.
pub const METRIC_INVOKE_AGENT_DURATION: &str = "gen_ai.invoke_agent.duration";
/// Metric `gen_ai.invoke_agent.inference_calls` (histogram, unit `{inference_call}`): The number of inference (model) calls a GenAI agent makes during a single invocation.
pub const METRIC_INVOKE_AGENT_INFERENCE_CALLS: &str = "gen_ai.invoke_agent.inference_calls";
/// Metric `gen_ai.invoke_agent.tool_calls` (histogram, unit `{tool_call}`): The number of tool calls a GenAI agent makes during a single invocation.
pub const METRIC_INVOKE_AGENT_TOOL_CALLS: &str = "gen_ai.invoke_agent.tool_calls";
/// Metric `gen_ai.execute_tool.duration` (histogram, unit `s`): The duration of a single tool execution.
pub const METRIC_EXECUTE_TOOL_DURATION: &str = "gen_ai.execute_tool.duration";

// Names of the latest conventions (upstream `main` after the pin; see [`DIFFERENCES`]). Emitted
// only with `Conventions::Latest` or `Conventions::Both`.

/// `gen_ai.usage.cache_write.input_tokens` (int, latest): the input tokens written to a
/// provider-managed cache; replaces `gen_ai.usage.cache_creation.input_tokens`.
pub const GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: &str = "gen_ai.usage.cache_write.input_tokens";
/// `gen_ai.usage.text.input_tokens` (int, latest): the text part of `gen_ai.usage.input_tokens`.
pub const GEN_AI_USAGE_TEXT_INPUT_TOKENS: &str = "gen_ai.usage.text.input_tokens";
/// `gen_ai.usage.image.input_tokens` (int, latest): the image part of `gen_ai.usage.input_tokens`.
pub const GEN_AI_USAGE_IMAGE_INPUT_TOKENS: &str = "gen_ai.usage.image.input_tokens";
/// `gen_ai.usage.audio.input_tokens` (int, latest): the audio part of `gen_ai.usage.input_tokens`.
pub const GEN_AI_USAGE_AUDIO_INPUT_TOKENS: &str = "gen_ai.usage.audio.input_tokens";
/// `gen_ai.usage.text.output_tokens` (int, latest): the text part of `gen_ai.usage.output_tokens`.
pub const GEN_AI_USAGE_TEXT_OUTPUT_TOKENS: &str = "gen_ai.usage.text.output_tokens";
/// `gen_ai.usage.image.output_tokens` (int, latest): the image part of `gen_ai.usage.output_tokens`.
pub const GEN_AI_USAGE_IMAGE_OUTPUT_TOKENS: &str = "gen_ai.usage.image.output_tokens";
/// `gen_ai.usage.audio.output_tokens` (int, latest): the audio part of `gen_ai.usage.output_tokens`.
pub const GEN_AI_USAGE_AUDIO_OUTPUT_TOKENS: &str = "gen_ai.usage.audio.output_tokens";
/// `gen_ai.usage.text.cache_read.input_tokens` (int, latest): the text part of the cache reads.
pub const GEN_AI_USAGE_TEXT_CACHE_READ_INPUT_TOKENS: &str =
    "gen_ai.usage.text.cache_read.input_tokens";
/// `gen_ai.usage.image.cache_read.input_tokens` (int, latest): the image part of the cache reads.
pub const GEN_AI_USAGE_IMAGE_CACHE_READ_INPUT_TOKENS: &str =
    "gen_ai.usage.image.cache_read.input_tokens";
/// `gen_ai.usage.audio.cache_read.input_tokens` (int, latest): the audio part of the cache reads.
pub const GEN_AI_USAGE_AUDIO_CACHE_READ_INPUT_TOKENS: &str =
    "gen_ai.usage.audio.cache_read.input_tokens";
/// `gen_ai.token.modality` (string (enum), latest): the modality of the counted tokens, on the
/// usage counters.
pub const GEN_AI_TOKEN_MODALITY: &str = "gen_ai.token.modality";
/// `gen_ai.token.modality` value `text`.
pub const GEN_AI_TOKEN_MODALITY_TEXT: &str = "text";
/// `gen_ai.token.modality` value `image`.
pub const GEN_AI_TOKEN_MODALITY_IMAGE: &str = "image";
/// `gen_ai.token.modality` value `audio`.
pub const GEN_AI_TOKEN_MODALITY_AUDIO: &str = "audio";
/// `gen_ai.token.modality` value `unknown`: the provider did not report the modality.
pub const GEN_AI_TOKEN_MODALITY_UNKNOWN: &str = "unknown";
/// Metric `gen_ai.client.inference.usage.input_tokens` (counter, int, `{token}`, latest).
pub const METRIC_CLIENT_INFERENCE_USAGE_INPUT_TOKENS: &str =
    "gen_ai.client.inference.usage.input_tokens";
/// Metric `gen_ai.client.inference.usage.output_tokens` (counter, int, `{token}`, latest).
pub const METRIC_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS: &str =
    "gen_ai.client.inference.usage.output_tokens";
/// Metric `gen_ai.client.inference.usage.cache_read.input_tokens` (counter, int, `{token}`, latest).
pub const METRIC_CLIENT_INFERENCE_USAGE_CACHE_READ_INPUT_TOKENS: &str =
    "gen_ai.client.inference.usage.cache_read.input_tokens";
/// Metric `gen_ai.client.inference.usage.cache_write.input_tokens` (counter, int, `{token}`, latest).
pub const METRIC_CLIENT_INFERENCE_USAGE_CACHE_WRITE_INPUT_TOKENS: &str =
    "gen_ai.client.inference.usage.cache_write.input_tokens";
/// Metric `gen_ai.client.inference.usage.reasoning.output_tokens` (counter, int, `{token}`, latest).
pub const METRIC_CLIENT_INFERENCE_USAGE_REASONING_OUTPUT_TOKENS: &str =
    "gen_ai.client.inference.usage.reasoning.output_tokens";
/// Metric `gen_ai.client.inference.operation.input_tokens` (histogram, int, `{token}`, latest):
/// input tokens per inference, for percentiles.
pub const METRIC_CLIENT_INFERENCE_OPERATION_INPUT_TOKENS: &str =
    "gen_ai.client.inference.operation.input_tokens";
/// Metric `gen_ai.client.inference.operation.output_tokens` (histogram, int, `{token}`, latest):
/// output tokens per inference, for percentiles.
pub const METRIC_CLIENT_INFERENCE_OPERATION_OUTPUT_TOKENS: &str =
    "gen_ai.client.inference.operation.output_tokens";
/// Metric `gen_ai.client.inference.duration` (histogram, `s`, latest): the duration of an
/// inference (other operations keep `gen_ai.client.operation.duration`).
pub const METRIC_CLIENT_INFERENCE_DURATION: &str = "gen_ai.client.inference.duration";
/// Metric `gen_ai.client.inference.time_to_first_chunk` (histogram, `s`, latest).
pub const METRIC_CLIENT_INFERENCE_TIME_TO_FIRST_CHUNK: &str =
    "gen_ai.client.inference.time_to_first_chunk";
/// Metric `gen_ai.client.inference.time_per_output_chunk` (histogram, `s`, latest).
pub const METRIC_CLIENT_INFERENCE_TIME_PER_OUTPUT_CHUNK: &str =
    "gen_ai.client.inference.time_per_output_chunk";
/// Metric `gen_ai.invoke_workflow.duration` (histogram, `s`, latest): replaces
/// `gen_ai.workflow.duration`.
pub const METRIC_INVOKE_WORKFLOW_DURATION: &str = "gen_ai.invoke_workflow.duration";

// Extensions: names tracing-genai emits that the GenAI registry does not (yet) define.
// Everything here is documented as our extension; the registry conformance test consults
// [`EXTENSIONS`].

/// `gen_ai.usage.cost` (double): the cost of the call (or, on `invoke_agent`/`invoke_workflow`
/// spans, of the whole run), in the currency of the configured [`PriceTable`](crate::cost::PriceTable).
/// Our extension, not in the registry.
pub const GEN_AI_USAGE_COST: &str = "gen_ai.usage.cost";
/// `tracing_genai.stream.cancelled` (boolean): the consumer dropped the stream before it ended.
pub const TG_STREAM_CANCELLED: &str = "tracing_genai.stream.cancelled";
/// `tracing_genai.stream.chunks` (int): chunks received from a streamed response.
pub const TG_STREAM_CHUNKS: &str = "tracing_genai.stream.chunks";
/// `tracing_genai.agent.inference_calls` (int): inference calls an agent run made itself.
pub const TG_AGENT_INFERENCE_CALLS: &str = "tracing_genai.agent.inference_calls";
/// `tracing_genai.agent.tool_calls` (int): tool calls an agent run made itself.
pub const TG_AGENT_TOOL_CALLS: &str = "tracing_genai.agent.tool_calls";
/// `tracing_genai.retry.attempt` (int): the attempt that is about to start (2 = first retry).
pub const TG_RETRY_ATTEMPT: &str = "tracing_genai.retry.attempt";
/// `tracing_genai.retry.delay` (double): seconds waited before the attempt.
pub const TG_RETRY_DELAY: &str = "tracing_genai.retry.delay";
/// `tracing_genai.retry.reason` (string): why the previous attempt failed (free text).
pub const TG_RETRY_REASON: &str = "tracing_genai.retry.reason";

/// Span event: the first chunk of a streamed response arrived.
pub const EVENT_FIRST_CHUNK: &str = "tracing_genai.first_chunk";
/// Span event: a streamed response was dropped by its consumer before it ended.
pub const EVENT_STREAM_CANCELLED: &str = "tracing_genai.stream.cancelled";
/// Span event: an LLM call is retried (one per retry, inside the one logical span).
pub const EVENT_RETRY: &str = "tracing_genai.retry";
/// `tracing` event (WARN, target `tracing_genai::cost`): a call or a rolled-up run cost more
/// than a [cost alert](crate::cost#cost-alerts)'s threshold.
///
/// ```
/// assert_eq!(tracing_genai::semconv::EVENT_COST_THRESHOLD_EXCEEDED, "tracing_genai.cost.threshold_exceeded");
/// ```
pub const EVENT_COST_THRESHOLD_EXCEEDED: &str = "tracing_genai.cost.threshold_exceeded";

/// Metric (counter, currency unit): cost of GenAI calls priced by the price table.
pub const METRIC_TG_CLIENT_COST: &str = "tracing_genai.client.cost";
/// Metric (counter, `{call}`): calls whose model the price table does not know.
pub const METRIC_TG_CLIENT_UNPRICED_CALLS: &str = "tracing_genai.client.unpriced_calls";

/// Attribute keys this crate emits beyond the registry, with their type, as `(key, type)`
/// using the registry's type names. The registry conformance test accepts exactly these.
///
/// ```
/// assert!(tracing_genai::semconv::EXTENSIONS.contains(&("gen_ai.usage.cost", "double")));
/// ```
pub const EXTENSIONS: &[(&str, &str)] = &[
    (GEN_AI_USAGE_COST, "double"),
    (TG_STREAM_CANCELLED, "boolean"),
    (TG_STREAM_CHUNKS, "int"),
    (TG_AGENT_INFERENCE_CALLS, "int"),
    (TG_AGENT_TOOL_CALLS, "int"),
    (TG_RETRY_ATTEMPT, "int"),
    (TG_RETRY_DELAY, "double"),
    (TG_RETRY_REASON, "string"),
];

/// Registry keys the layer has no typed fact for (memory, evaluation, prompt-management and
/// resumption attributes), with their registry type: a span field so named is exported as an
/// ordinary field, coerced to that type (a value that does not coerce is dropped with a
/// diagnostic). The sensitive ones (`gen_ai.retrieval.query.text`, `gen_ai.memory.query.text`,
/// `gen_ai.prompt.variable.*`) are not here: they are message content.
///
/// ```
/// assert!(tracing_genai::semconv::PASSTHROUGH_KEYS.contains(&("gen_ai.prompt.name", "string")));
/// ```
pub const PASSTHROUGH_KEYS: &[(&str, &str)] = &[
    (GEN_AI_REQUEST_STREAM_CURSOR, "string"),
    (GEN_AI_TOKEN_TYPE, "string"),
    (GEN_AI_CONVERSATION_COMPACTED, "boolean"),
    (GEN_AI_RETRIEVAL_TOP_K, "int"),
    (GEN_AI_MEMORY_STORE_ID, "string"),
    (GEN_AI_MEMORY_RECORD_ID, "string"),
    (GEN_AI_MEMORY_RECORD_COUNT, "int"),
    (GEN_AI_EVALUATION_NAME, "string"),
    (GEN_AI_EVALUATION_SCORE_VALUE, "double"),
    (GEN_AI_EVALUATION_SCORE_LABEL, "string"),
    (GEN_AI_EVALUATION_EXPLANATION, "string"),
    (GEN_AI_PROMPT_NAME, "string"),
    (GEN_AI_PROMPT_VERSION, "string"),
];

/// The attributes the GenAI span conventions mark `sampling_relevant` (on the inference,
/// embeddings, retrieval, agent and tool spans): the layer gives those declared with a value at
/// span creation to OpenTelemetry when the span starts, so a head sampler sees them.
///
/// ```
/// assert!(tracing_genai::semconv::SAMPLING_RELEVANT.contains(&"gen_ai.request.model"));
/// ```
pub const SAMPLING_RELEVANT: [&str; 8] = [
    GEN_AI_OPERATION_NAME,
    GEN_AI_PROVIDER_NAME,
    GEN_AI_REQUEST_MODEL,
    SERVER_ADDRESS,
    SERVER_PORT,
    GEN_AI_AGENT_NAME,
    GEN_AI_TOOL_NAME,
    GEN_AI_TOOL_TYPE,
];

/// The values `gen_ai.response.finish_reasons` holds most often: the output-message schema's
/// `FinishReason` enum, then the reasons OpenAI-compatible APIs, Anthropic and Gemini report
/// natively. A shared copy of the list uses these constants instead of copying their text.
pub(crate) const COMMON_FINISH_REASONS: [&str; 15] = [
    "stop",
    "length",
    "content_filter",
    "tool_call",
    "compaction",
    "error",
    "tool_calls",
    "function_call",
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "STOP",
    "MAX_TOKENS",
    "SAFETY",
];

// Names and values the layer spells beyond attribute keys: the `otel.*` fields tracing-opentelemetry
// understands, the crate's own fields and attributes, legacy and newer input names, metric advice.

/// `otel.name`: a span field that overrides the exported span name.
pub const OTEL_NAME: &str = "otel.name";
/// `otel.kind`: a span field that overrides the span kind.
pub const OTEL_KIND: &str = "otel.kind";
/// `otel.status_code`: a span field; `error` marks the span failed, `ok` sets status `Ok`.
pub const OTEL_STATUS_CODE: &str = "otel.status_code";
/// `otel.status_description`: a span field with the error description (marks the span failed).
pub const OTEL_STATUS_DESCRIPTION: &str = "otel.status_description";
/// `error`: a span field whose value is the failure message (marks the span failed).
pub const ERROR_FIELD: &str = "error";
/// What [`GenAiField::Content`](crate::GenAiField::Content) reports as its key: it stands for
/// every content attribute.
pub const CONTENT_FIELDS: &str = "gen_ai.*messages";
/// The prefix of every GenAI attribute key.
pub const GEN_AI_PREFIX: &str = "gen_ai.";
/// The prefix of the `server.*` attributes.
pub const SERVER_PREFIX: &str = "server.";

/// Span field that turns content capture off for one call: record `false` (or `"off"`,
/// `"no_content"`) in it. `true` does not turn capture on.
///
/// ```
/// let span = tracing::info_span!(
///     "llm",
///     gen_ai.operation.name = "chat",
///     tracing_genai.content.capture = false,
/// );
/// # drop(span);
/// ```
pub const CONTENT_CAPTURE_FIELD: &str = "tracing_genai.content.capture";

/// Attribute carrying the layer's input diagnostics for one span (string array).
///
/// ```
/// assert_eq!(tracing_genai::semconv::DIAGNOSTICS_ATTRIBUTE, "tracing_genai.diagnostics");
/// ```
pub const DIAGNOSTICS_ATTRIBUTE: &str = "tracing_genai.diagnostics";

/// Deprecated `gen_ai.system`: accepted as input for `gen_ai.provider.name`.
pub const LEGACY_GEN_AI_SYSTEM: &str = "gen_ai.system";
/// Deprecated `gen_ai.usage.prompt_tokens`: accepted as input for `gen_ai.usage.input_tokens`.
pub const LEGACY_GEN_AI_USAGE_PROMPT_TOKENS: &str = "gen_ai.usage.prompt_tokens";
/// Deprecated `gen_ai.usage.completion_tokens`: accepted as input for
/// `gen_ai.usage.output_tokens`.
pub const LEGACY_GEN_AI_USAGE_COMPLETION_TOKENS: &str = "gen_ai.usage.completion_tokens";
/// `gen_ai.prompt`: the prompt as one string (plain text or a JSON message array), as older
/// instrumentations and `rig` (rig-agent 0.44, `invoke_agent` spans) record it. Accepted as
/// input for `gen_ai.input.messages` when content capture is on; never exported itself.
pub const LEGACY_GEN_AI_PROMPT: &str = "gen_ai.prompt";
/// `gen_ai.completion`: the completion as one string (plain text or a JSON message array), as
/// older instrumentations and `rig` (rig-agent 0.44) record it. Accepted as input for
/// `gen_ai.output.messages` when content capture is on; never exported itself.
pub const LEGACY_GEN_AI_COMPLETION: &str = "gen_ai.completion";
/// The indexed form `gen_ai.prompt.{i}.role` / `gen_ai.prompt.{i}.content` (OpenLLMetry and
/// other early instrumentations): this prefix followed by a digit. Every field so named is
/// message content (never exported raw); the registry's `gen_ai.prompt.name`, `.version` and
/// `.variable.*` do not start with a digit.
pub const LEGACY_GEN_AI_PROMPT_INDEXED: &str = "gen_ai.prompt.";
/// The indexed form `gen_ai.completion.{i}.role` / `.content` / `.finish_reason` (see
/// [`LEGACY_GEN_AI_PROMPT_INDEXED`]).
pub const LEGACY_GEN_AI_COMPLETION_INDEXED: &str = "gen_ai.completion.";
/// The sub-fields of an indexed legacy message that are read: `role`, `content` and (output
/// messages) `finish_reason`; any other (`tool_calls.0.arguments`, ...) is dropped.
pub const LEGACY_MESSAGE_ROLE: &str = "role";
/// See [`LEGACY_MESSAGE_ROLE`].
pub const LEGACY_MESSAGE_CONTENT: &str = "content";
/// See [`LEGACY_MESSAGE_ROLE`].
pub const LEGACY_MESSAGE_FINISH_REASON: &str = "finish_reason";
/// The finish reason of an output message read from a legacy field when the span recorded
/// none (the message schema requires one; `unknown` is what rig records then too).
pub const LEGACY_UNKNOWN_FINISH_REASON: &str = "unknown";
/// `gen_ai.usage.reasoning_tokens`, rig's name (rig-core 0.44 chat and modality spans,
/// rig-agent 0.44 `invoke_agent` spans) for `gen_ai.usage.reasoning.output_tokens`.
pub const RIG_GEN_AI_USAGE_REASONING_TOKENS: &str = "gen_ai.usage.reasoning_tokens";
/// `gen_ai.tool.error.type`, rig's name (rig-agent 0.44 `execute_tool` spans) for the error
/// class of a failed tool call: accepted as input for `error.type`.
pub const RIG_GEN_AI_TOOL_ERROR_TYPE: &str = "gen_ai.tool.error.type";
/// `gen_ai.usage.cache_write.input_tokens`, the newer name (after the pinned snapshot) of
/// `gen_ai.usage.cache_creation.input_tokens`: accepted as input for it in every setting
/// (the same name as [`GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS`]).
pub const NEWER_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: &str = GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS;

/// The instrumentation scope name used for the global meter.
///
/// ```
/// let meter = opentelemetry::global::meter(tracing_genai::semconv::METER_NAME);
/// # drop(meter);
/// ```
pub const METER_NAME: &str = "tracing-genai";

// Metric advice: histogram bucket boundaries (see the export metrics docs for their sources).

/// Bucket boundaries of `gen_ai.client.token.usage`.
///
/// ```
/// assert_eq!(tracing_genai::semconv::TOKEN_BUCKETS.last(), Some(&67108864.0));
/// ```
pub const TOKEN_BUCKETS: &[f64] = &[
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0,
    16777216.0, 67108864.0,
];

/// Bucket boundaries of the histograms in seconds.
///
/// ```
/// assert_eq!(tracing_genai::semconv::DURATION_BUCKETS[0], 0.01);
/// ```
pub const DURATION_BUCKETS: &[f64] = &[
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/// Bucket boundaries of `gen_ai.invoke_agent.inference_calls` and `tool_calls` (our choice:
/// the conventions give none).
///
/// ```
/// assert_eq!(tracing_genai::semconv::CALL_COUNT_BUCKETS[0], 0.0);
/// ```
pub const CALL_COUNT_BUCKETS: &[f64] = &[0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];

// MCP (Model Context Protocol): from the pinned MCP registry (`tests/data/semconv/mcp-registry.yaml`,
// `mcp-spans.yaml`, `mcp-metrics.yaml`, `mcp-common.yaml`); `jsonrpc.*`, `rpc.*` and `network.*`
// are the general registry's, referenced by the MCP spans.

/// `mcp.method.name` (string (enum)): The name of the request or notification method.
///
/// ```
/// assert_eq!(tracing_genai::semconv::MCP_METHOD_NAME, "mcp.method.name");
/// ```
pub const MCP_METHOD_NAME: &str = "mcp.method.name";
/// `mcp.session.id` (string): Identifies MCP session.
pub const MCP_SESSION_ID: &str = "mcp.session.id";
/// `mcp.resource.uri` (string): The value of the resource uri.
pub const MCP_RESOURCE_URI: &str = "mcp.resource.uri";
/// `mcp.protocol.version` (string): The version of the Model Context Protocol used.
pub const MCP_PROTOCOL_VERSION: &str = "mcp.protocol.version";
/// `jsonrpc.request.id` (string): A string representation of the `id` property of the request.
pub const JSONRPC_REQUEST_ID: &str = "jsonrpc.request.id";
/// `rpc.response.status_code` (string): The JSON-RPC error code of a failed request.
pub const RPC_RESPONSE_STATUS_CODE: &str = "rpc.response.status_code";
/// `network.transport` (string): `pipe` for stdio, `tcp` for HTTP.
pub const NETWORK_TRANSPORT: &str = "network.transport";
/// `network.transport` value for stdio (and any in-process byte stream).
pub const NETWORK_TRANSPORT_PIPE: &str = "pipe";
/// `network.transport` value for streamable HTTP.
pub const NETWORK_TRANSPORT_TCP: &str = "tcp";
/// `network.protocol.name` (string): `http` for streamable HTTP.
pub const NETWORK_PROTOCOL_NAME: &str = "network.protocol.name";
/// `network.protocol.name` value for streamable HTTP.
pub const NETWORK_PROTOCOL_NAME_HTTP: &str = "http";
/// `network.protocol.version` (string): the HTTP version (`1.1`, `2`).
pub const NETWORK_PROTOCOL_VERSION: &str = "network.protocol.version";
/// `error.type` of a `tools/call` whose result has `isError: true`.
pub const ERROR_TYPE_TOOL_ERROR: &str = "tool_error";
/// `mcp.method.name` of a tool call.
pub const MCP_METHOD_TOOLS_CALL: &str = "tools/call";
/// `mcp.method.name` of a resource read.
pub const MCP_METHOD_RESOURCES_READ: &str = "resources/read";
/// `mcp.method.name` of a prompt request.
pub const MCP_METHOD_PROMPTS_GET: &str = "prompts/get";
/// The `_meta` key of the W3C `traceparent` (SEP-414).
pub const MCP_META_TRACEPARENT: &str = "traceparent";
/// The `_meta` key of the W3C `tracestate` (SEP-414).
pub const MCP_META_TRACESTATE: &str = "tracestate";
/// Histogram `mcp.client.operation.duration` (s): request duration seen by the client.
///
/// ```
/// assert_eq!(tracing_genai::semconv::METRIC_MCP_CLIENT_OPERATION_DURATION, "mcp.client.operation.duration");
/// ```
pub const METRIC_MCP_CLIENT_OPERATION_DURATION: &str = "mcp.client.operation.duration";
/// Histogram `mcp.server.operation.duration` (s): request duration seen by the server.
pub const METRIC_MCP_SERVER_OPERATION_DURATION: &str = "mcp.server.operation.duration";
/// Histogram `mcp.client.session.duration` (s).
pub const METRIC_MCP_CLIENT_SESSION_DURATION: &str = "mcp.client.session.duration";
/// Histogram `mcp.server.session.duration` (s).
pub const METRIC_MCP_SERVER_SESSION_DURATION: &str = "mcp.server.session.duration";
/// Bucket boundaries of the MCP duration histograms (the conventions' advice).
pub const MCP_DURATION_BUCKETS: &[f64] = &[
    0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];
