//! The typed views of the request, response and stream-event bodies: the members the span
//! attributes come from, nothing else (message content, when captured, is read from a
//! `serde_json::Value` of the body by the content parsers). See [`super::lenient`].

use crate::ErrorInfo;

use super::lenient::{Json, Scalar, Skip, json_view};

/// An array member of which only the string elements matter.
pub(crate) type Strings<'a> = Json<'a, Skip, Scalar<'a>>;

/// An array member of object views (`Json::Obj`) and the other elements' kinds.
pub(crate) type Objects<'a, O> = Json<'a, Skip, Json<'a, O>>;

json_view! {
    /// An OpenAI-compatible request body (chat, completions, embeddings, Responses).
    pub(crate) struct OpenAiRequest<'a> {
        model: Scalar<'a> = "model",
        temperature: Scalar<'a> = "temperature",
        top_p: Scalar<'a> = "top_p",
        top_k: Scalar<'a> = "top_k",
        frequency_penalty: Scalar<'a> = "frequency_penalty",
        presence_penalty: Scalar<'a> = "presence_penalty",
        seed: Scalar<'a> = "seed",
        n: Scalar<'a> = "n",
        stop: Strings<'a> = "stop",
        stream: Scalar<'a> = "stream",
        max_completion_tokens: Scalar<'a> = "max_completion_tokens",
        max_tokens: Scalar<'a> = "max_tokens",
        max_output_tokens: Scalar<'a> = "max_output_tokens",
        reasoning_effort: Scalar<'a> = "reasoning_effort",
        reasoning: Json<'a, Effort<'a>> = "reasoning",
        previous_response_id: Scalar<'a> = "previous_response_id",
        encoding_format: Scalar<'a> = "encoding_format",
        dimensions: Scalar<'a> = "dimensions",
        service_tier: Scalar<'a> = "service_tier",
        response_format: Json<'a, Typed<'a>> = "response_format",
        text: Json<'a, TextOptions<'a>> = "text",
        modalities: Strings<'a> = "modalities",
        conversation: Json<'a, Id<'a>> = "conversation",
    }
}

json_view! {
    /// `{"effort": ...}` (OpenAI `reasoning`, Anthropic `output_config`).
    pub(crate) struct Effort<'a> {
        effort: Scalar<'a> = "effort",
    }
}

json_view! {
    /// An object of which only `type` matters.
    pub(crate) struct Typed<'a> {
        kind: Scalar<'a> = "type",
    }
}

json_view! {
    /// Responses API `text` options.
    pub(crate) struct TextOptions<'a> {
        format: Json<'a, Typed<'a>> = "format",
    }
}

json_view! {
    /// An object of which only `id` matters.
    pub(crate) struct Id<'a> {
        id: Scalar<'a> = "id",
    }
}

json_view! {
    /// An OpenAI-compatible response body: chat and legacy completions, embeddings, and the
    /// Responses API's `response` object (a body, or in a stream's final event).
    pub(crate) struct OpenAiResponse<'a> {
        id: Scalar<'a> = "id",
        model: Scalar<'a> = "model",
        system_fingerprint: Scalar<'a> = "system_fingerprint",
        service_tier: Scalar<'a> = "service_tier",
        choices: Objects<'a, Choice<'a>> = "choices",
        usage: Json<'a, Box<UsageCounts<'a>>> = "usage",
        error: Json<'a, Box<ErrorObject<'a>>> = "error",
        data: Objects<'a, Embedding<'a>> = "data",
        status: Scalar<'a> = "status",
        output: Objects<'a, Typed<'a>> = "output",
        incomplete_details: Json<'a, Reason<'a>> = "incomplete_details",
    }
}

json_view! {
    /// A chat or completions choice (body).
    pub(crate) struct Choice<'a> {
        index: Scalar<'a> = "index",
        finish_reason: Scalar<'a> = "finish_reason",
    }
}

json_view! {
    /// An embeddings `data[]` item.
    pub(crate) struct Embedding<'a> {
        embedding: Json<'a> = "embedding",
    }
}

json_view! {
    /// Responses API `incomplete_details`.
    pub(crate) struct Reason<'a> {
        reason: Scalar<'a> = "reason",
    }
}

json_view! {
    /// Token usage: OpenAI chat/completions (`prompt_tokens`, ...), Responses (`input_tokens`,
    /// ...), DeepSeek, and Anthropic (`cache_*_input_tokens`).
    pub(crate) struct UsageCounts<'a> {
        prompt_tokens: Scalar<'a> = "prompt_tokens",
        input_tokens: Scalar<'a> = "input_tokens",
        completion_tokens: Scalar<'a> = "completion_tokens",
        output_tokens: Scalar<'a> = "output_tokens",
        prompt_cache_hit_tokens: Scalar<'a> = "prompt_cache_hit_tokens",
        cache_read_input_tokens: Scalar<'a> = "cache_read_input_tokens",
        cache_creation_input_tokens: Scalar<'a> = "cache_creation_input_tokens",
        prompt_tokens_details: Json<'a, Details<'a>> = "prompt_tokens_details",
        input_tokens_details: Json<'a, Details<'a>> = "input_tokens_details",
        input_token_details: Json<'a, Details<'a>> = "input_token_details",
        completion_tokens_details: Json<'a, Details<'a>> = "completion_tokens_details",
        output_tokens_details: Json<'a, Details<'a>> = "output_tokens_details",
        output_token_details: Json<'a, Details<'a>> = "output_token_details",
    }
}

json_view! {
    /// Input or output token details.
    pub(crate) struct Details<'a> {
        cached_tokens: Scalar<'a> = "cached_tokens",
        reasoning_tokens: Scalar<'a> = "reasoning_tokens",
        text_tokens: Scalar<'a> = "text_tokens",
        image_tokens: Scalar<'a> = "image_tokens",
        audio_tokens: Scalar<'a> = "audio_tokens",
        cached_tokens_details: Json<'a, Modalities<'a>> = "cached_tokens_details",
    }
}

json_view! {
    /// Per-modality token counts.
    pub(crate) struct Modalities<'a> {
        text_tokens: Scalar<'a> = "text_tokens",
        image_tokens: Scalar<'a> = "image_tokens",
        audio_tokens: Scalar<'a> = "audio_tokens",
    }
}

json_view! {
    /// An error object (`{"error": {...}}` of OpenAI and Anthropic).
    pub(crate) struct ErrorObject<'a> {
        code: Scalar<'a> = "code",
        kind: Scalar<'a> = "type",
        message: Scalar<'a> = "message",
    }
}

json_view! {
    /// A chat/completions stream chunk; `C` is the view of a choice ([`ChunkChoice`] with
    /// content capture, else [`Choice`]).
    pub(crate) struct ChatChunk<'a, C> {
        id: Scalar<'a> = "id",
        model: Scalar<'a> = "model",
        system_fingerprint: Scalar<'a> = "system_fingerprint",
        service_tier: Scalar<'a> = "service_tier",
        choices: Objects<'a, C> = "choices",
        usage: Json<'a, Box<UsageCounts<'a>>> = "usage",
        x_groq: Json<'a, Box<Groq<'a>>> = "x_groq",
        error: Json<'a, Box<ErrorObject<'a>>> = "error",
    }
}

json_view! {
    /// Groq's `x_groq` (streamed usage).
    pub(crate) struct Groq<'a> {
        usage: Json<'a, Box<UsageCounts<'a>>> = "usage",
    }
}

json_view! {
    /// A streamed choice, with its content.
    pub(crate) struct ChunkChoice<'a> {
        index: Scalar<'a> = "index",
        finish_reason: Scalar<'a> = "finish_reason",
        text: Scalar<'a> = "text",
        delta: Json<'a, Delta<'a>> = "delta",
    }
}

json_view! {
    /// A streamed choice's `delta`.
    pub(crate) struct Delta<'a> {
        role: Scalar<'a> = "role",
        content: Scalar<'a> = "content",
        reasoning_content: Scalar<'a> = "reasoning_content",
        reasoning: Scalar<'a> = "reasoning",
        refusal: Scalar<'a> = "refusal",
        tool_calls: Json<'a, Skip, Json<'a, ToolCallDelta<'a>>> = "tool_calls",
    }
}

json_view! {
    /// A streamed tool call fragment.
    pub(crate) struct ToolCallDelta<'a> {
        index: Scalar<'a> = "index",
        id: Scalar<'a> = "id",
        function: Json<'a, FunctionDelta<'a>> = "function",
    }
}

json_view! {
    /// A streamed tool call's `function`.
    pub(crate) struct FunctionDelta<'a> {
        name: Scalar<'a> = "name",
        arguments: Scalar<'a> = "arguments",
    }
}

json_view! {
    /// A Responses API stream event.
    pub(crate) struct ResponsesEvent<'a> {
        kind: Scalar<'a> = "type",
        response: Json<'a, Box<OpenAiResponse<'a>>> = "response",
        output_index: Scalar<'a> = "output_index",
        delta: Scalar<'a> = "delta",
        code: Scalar<'a> = "code",
        message: Scalar<'a> = "message",
        error: Json<'a, Box<ErrorObject<'a>>> = "error",
    }
}

json_view! {
    /// An Anthropic Messages request body.
    pub(crate) struct AnthropicRequest<'a> {
        model: Scalar<'a> = "model",
        max_tokens: Scalar<'a> = "max_tokens",
        temperature: Scalar<'a> = "temperature",
        top_p: Scalar<'a> = "top_p",
        top_k: Scalar<'a> = "top_k",
        stop_sequences: Strings<'a> = "stop_sequences",
        stream: Scalar<'a> = "stream",
        output_config: Json<'a, Effort<'a>> = "output_config",
    }
}

json_view! {
    /// An Anthropic Messages response body, or the `message` of `message_start`.
    pub(crate) struct AnthropicMessage<'a> {
        id: Scalar<'a> = "id",
        model: Scalar<'a> = "model",
        role: Scalar<'a> = "role",
        stop_reason: Scalar<'a> = "stop_reason",
        usage: Json<'a, Box<UsageCounts<'a>>> = "usage",
        error: Json<'a, Box<ErrorObject<'a>>> = "error",
    }
}

json_view! {
    /// An Anthropic stream event.
    pub(crate) struct AnthropicEvent<'a> {
        kind: Scalar<'a> = "type",
        message: Json<'a, Box<AnthropicMessage<'a>>> = "message",
        index: Scalar<'a> = "index",
        content_block: Json<'a, Block<'a>> = "content_block",
        delta: Json<'a, BlockDelta<'a>> = "delta",
        usage: Json<'a, Box<UsageCounts<'a>>> = "usage",
        error: Json<'a, Box<ErrorObject<'a>>> = "error",
    }
}

json_view! {
    /// A `content_block_start` block.
    pub(crate) struct Block<'a> {
        kind: Scalar<'a> = "type",
        id: Scalar<'a> = "id",
        name: Scalar<'a> = "name",
    }
}

json_view! {
    /// A `content_block_delta` or `message_delta` delta.
    pub(crate) struct BlockDelta<'a> {
        kind: Scalar<'a> = "type",
        text: Scalar<'a> = "text",
        thinking: Scalar<'a> = "thinking",
        partial_json: Scalar<'a> = "partial_json",
        stop_reason: Scalar<'a> = "stop_reason",
    }
}

/// An error object carried by a successful body or a stream event (`"error": {...}` or
/// `"error": "..."`); `None` for any other `error` member.
pub(crate) fn embedded_error(error: &Json<'_, Box<ErrorObject<'_>>>) -> Option<ErrorInfo> {
    let (error_type, message) = match error {
        Json::Obj(e) => (
            e.code
                .string()
                .or_else(|| e.kind.string().filter(|t| t != "error")),
            e.message.string(),
        ),
        Json::Str(s) => (None, (!s.is_empty()).then(|| s.to_string())),
        _ => return None,
    };
    Some(ErrorInfo {
        error_type: error_type.unwrap_or_else(|| crate::semconv::ERROR_TYPE_OTHER.to_string()),
        message,
    })
}

#[cfg(test)]
#[path = "views_tests.rs"]
mod tests;
