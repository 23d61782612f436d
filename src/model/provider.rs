//! Provider names: the spellings apps and clients use, normalised to the registry's values.

/// Normalises a provider name to the registry's well-known value where one matches.
///
/// ```
/// assert_eq!(tracing_genai::normalize_provider("OpenAI"), "openai");
/// assert_eq!(tracing_genai::normalize_provider("bedrock"), "aws.bedrock");
/// assert_eq!(tracing_genai::normalize_provider("Ollama"), "ollama");
/// ```
pub fn normalize_provider(name: &str) -> String {
    let mut buf = [0u8; 32];
    normalized(name, &mut buf).into_owned()
}

/// [`normalize_provider`] as shared text (one copy).
pub(crate) fn shared_provider(name: &str) -> std::sync::Arc<str> {
    let mut buf = [0u8; 32];
    std::sync::Arc::from(&*normalized(name, &mut buf))
}

fn normalized<'a>(name: &'a str, buf: &'a mut [u8]) -> std::borrow::Cow<'a, str> {
    let lower = super::text::ascii_lowercase(name.trim(), buf);
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
        _ => return lower,
    };
    std::borrow::Cow::Borrowed(known)
}
