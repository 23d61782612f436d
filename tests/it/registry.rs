//! Conformance with the pinned semantic-convention registry (vendored in tests/data/semconv, a
//! copy of the project's shared/semconv): every exported `gen_ai.*` / `openai.*` key exists
//! there with the declared type, and enum-typed keys use the registry's member values. The
//! tests always run (the registry is part of the crate) and fail when they find too little to
//! check; the vendored files are checked against shared/semconv when it exists. Unknown
//! `gen_ai.*` keys a span recorded (not registry keys, kept as recorded and named in its
//! diagnostics, see `UnknownFields`) are the recording library's and not checked.

use crate::support;
use crate::support::*;
use opentelemetry_sdk::trace::SpanData;
use tracing::field::Empty;
use tracing_genai::{GenAiField, GenAiSpanExt};

use crate::support::registry::{
    MIN_GEN_AI_ATTRIBUTES, MIN_OPENAI_ATTRIBUTES, Registries, Registry, semconv_dir,
    shared_semconv_dir,
};
use tracing_genai::semconv as sc;

fn registries() -> (Registry, Registry) {
    let Registries { gen_ai, openai, .. } = support::registry::registries();
    (gen_ai, openai)
}

/// Checks every `gen_ai.*` and `openai.*` attribute of every span (type, and enum members for
/// the well-known inputs below); returns how many were checked.
fn check_spans(spans: &[SpanData], regs: &Registries) -> usize {
    for span in spans {
        assert_unique_keys(span);
        for kv in &span.attributes {
            let key = kv.key.as_str();
            let def = if key.starts_with("gen_ai.") {
                regs.gen_ai.get(key)
            } else if key.starts_with("openai.") {
                regs.openai.get(key)
            } else if key.starts_with("mcp.") {
                regs.mcp.get(key)
            } else {
                None
            };
            if let Some(def) = def.filter(|d| d.ty == "enum")
                && key != "gen_ai.operation.name"
            {
                // Enum members are open sets in semconv; the inputs below are all well-known.
                let v = kv.value.as_str();
                assert!(
                    def.members.iter().any(|m| *m == v),
                    "{key} = {v:?} is not a registry member {:?}",
                    def.members
                );
            }
        }
    }
    support::registry::check_types(spans, regs)
}

fn exercise_all() -> Vec<SpanData> {
    Harness::new().collect_spans(|| {
        let agent = tracing::info_span!(
            "agent",
            gen_ai.operation.name = "invoke_agent",
            gen_ai.provider.name = "OpenAI",
            gen_ai.agent.name = "planner",
            gen_ai.agent.id = "a-1",
            gen_ai.agent.description = "plans trips",
            gen_ai.agent.version = "1.0",
            gen_ai.conversation.id = "conv-1",
            gen_ai.data_source.id = "ds-1",
            gen_ai.request.model = "gpt-4o"
        );
        let _a = agent.enter();
        let chat = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.provider.name = "openai",
            gen_ai.request.model = "gpt-4o",
            gen_ai.request.max_tokens = 100_u64,
            gen_ai.request.choice.count = 2_u64,
            gen_ai.request.temperature = 0.3,
            gen_ai.request.top_p = 0.9,
            gen_ai.request.top_k = 5_u64,
            gen_ai.request.stop_sequences = "END",
            gen_ai.request.frequency_penalty = 0.1,
            gen_ai.request.presence_penalty = 0.2,
            gen_ai.request.seed = 7_i64,
            gen_ai.request.stream = true,
            gen_ai.request.reasoning.level = "high",
            gen_ai.request.previous_response.id = "resp-0",
            gen_ai.output.type = "text",
            gen_ai.conversation.id = "conv-1",
            server.address = "api.openai.com",
            server.port = 443_u64,
            openai.request.service_tier = "auto",
            openai.response.service_tier = "default",
            openai.response.system_fingerprint = "fp_1",
            openai.api.type = "chat_completions",
            gen_ai.response.id = Empty,
            gen_ai.response.model = Empty,
            gen_ai.response.finish_reasons = Empty,
            gen_ai.response.time_to_first_chunk = Empty,
            gen_ai.usage.input_tokens = Empty,
            gen_ai.usage.output_tokens = Empty,
            error.type = Empty
        );
        chat.in_scope(|| {
            chat.record("gen_ai.response.id", "resp-1");
            chat.record("gen_ai.response.model", "gpt-4o-2024-08-06");
            chat.record("gen_ai.response.finish_reasons", "stop");
            chat.record("gen_ai.response.time_to_first_chunk", 0.2);
            chat.record("gen_ai.usage.input_tokens", 10_u64);
            chat.record("gen_ai.usage.output_tokens", 20_u64);
            chat.record_genai(GenAiField::CacheReadInputTokens, 3_u64);
            chat.record_genai(GenAiField::CacheCreationInputTokens, 4_u64);
            chat.record_genai(GenAiField::ReasoningOutputTokens, 5_u64);
            chat.record_genai(GenAiField::ResponseStatus, "completed");
        });
        let _t = tracing::info_span!(
            "tool",
            gen_ai.operation.name = "execute_tool",
            gen_ai.tool.name = "get_weather",
            gen_ai.tool.call.id = "call_1",
            gen_ai.tool.type = "function",
            gen_ai.tool.description = "weather",
            gen_ai.tool.call.arguments = "{\"city\":\"Paris\"}",
            gen_ai.tool.call.result = "sunny"
        )
        .entered();
        drop(_t);
        let _e = tracing::info_span!(
            "embed",
            gen_ai.operation.name = "embeddings",
            gen_ai.provider.name = "cohere",
            gen_ai.request.model = "embed-v3",
            gen_ai.embeddings.dimension.count = 1024_u64,
            gen_ai.request.encoding_formats = ?["float", "base64"],
            gen_ai.usage.input_tokens = 9_u64
        )
        .entered();
        drop(_e);
        let _c = tracing::info_span!(
            "create",
            gen_ai.operation.name = "create_agent",
            gen_ai.provider.name = "azure_openai",
            gen_ai.agent.name = "helper",
            gen_ai.request.model = "gpt-4o-mini",
            gen_ai.system_instructions = "be nice"
        )
        .entered();
        drop(_c);
        let _w = tracing::info_span!(
            "wf",
            gen_ai.operation.name = "invoke_workflow",
            gen_ai.workflow.name = "triage"
        )
        .entered();
        drop(_w);
        let _r = tracing::info_span!(
            "rag",
            gen_ai.operation.name = "retrieval",
            gen_ai.provider.name = "vertex",
            gen_ai.data_source.id = "kb",
            gen_ai.request.model = "text-embedding-005"
        )
        .entered();
        drop(_r);
        let _g = tracing::info_span!(
            "gem",
            gen_ai.operation.name = "generate_content",
            gen_ai.provider.name = "gemini",
            gen_ai.request.model = "gemini-2.0-flash",
            gen_ai.input.messages = "[]",
            gen_ai.output.messages = "[]"
        )
        .entered();
        drop(_g);
        let _f = tracing::info_span!(
            "err",
            gen_ai.operation.name = "text_completion",
            gen_ai.provider.name = "bedrock",
            gen_ai.request.model = "titan",
            gen_ai.system = "bedrock"
        )
        .entered();
        tracing::error!(error.type = "throttled", "throttled");
    })
}

#[test]
fn exported_keys_exist_with_registry_types() {
    let regs = support::registry::registries();
    let spans = exercise_all();
    assert_eq!(spans.len(), 9, "{:?}", names(&spans));
    let checked = check_spans(&spans, &regs);
    // Sanity: the check saw the breadth of the mapping (so it can fail).
    assert!(checked >= 60, "only {checked} attributes checked");
    let chat = find(&spans, "chat gpt-4o");
    for key in [
        "gen_ai.request.reasoning.level",
        "gen_ai.request.previous_response.id",
        "gen_ai.usage.cache_creation.input_tokens",
        "gen_ai.response.status",
        "gen_ai.output.type",
        "openai.api.type",
    ] {
        assert!(has(chat, key), "{key} missing");
    }
    // Content attributes are opt-in: never exported from plain fields.
    for s in &spans {
        for key in [
            "gen_ai.input.messages",
            "gen_ai.output.messages",
            "gen_ai.system_instructions",
            "gen_ai.tool.call.arguments",
            "gen_ai.tool.call.result",
        ] {
            assert!(!has(s, key), "{key} exported on {}", s.name);
        }
    }
}

#[test]
fn every_registry_operation_round_trips() {
    let (gen_ai, _) = registries();
    let ops = &gen_ai["gen_ai.operation.name"].members;
    assert!(ops.len() >= 9, "{ops:?}");
    for op in ops {
        let parsed = tracing_genai::Operation::parse(op);
        assert_eq!(parsed.as_str(), op, "Operation::parse({op:?})");
        assert!(parsed.is_well_known(), "{op} not well known");
        let spans = Harness::new().collect_spans(|| {
            let _s = tracing::info_span!("x", gen_ai.operation.name = op.as_str()).entered();
        });
        assert_eq!(str_attr(&spans[0], "gen_ai.operation.name"), *op);
        assert!(
            diagnostics(&spans[0])
                .iter()
                .all(|d| !d.contains("unknown operation")),
            "{op}: {:?}",
            diagnostics(&spans[0])
        );
    }
}

#[test]
fn common_operation_and_provider_spellings_normalise_to_members() {
    let (gen_ai, _) = registries();
    let ops = &gen_ai["gen_ai.operation.name"].members;
    for input in [
        "Chat",
        "chat_completion",
        "completion",
        "embedding",
        "tool",
        "agent",
        "workflow",
    ] {
        let v = tracing_genai::Operation::parse(input);
        assert!(ops.iter().any(|m| m == v.as_str()), "{input} -> {v:?}");
    }
    let providers = &gen_ai["gen_ai.provider.name"].members;
    for input in [
        "OpenAI",
        "openai",
        "Anthropic",
        "bedrock",
        "azure_openai",
        "azure.ai.inference",
        "vertex_ai",
        "gemini",
        "cohere",
        "watsonx",
        "perplexity",
        "xai",
        "deepseek",
        "groq",
        "mistral",
        "moonshot",
    ] {
        let v = tracing_genai::normalize_provider(input);
        assert!(
            providers.contains(&v),
            "{input} -> {v}, not in {providers:?}"
        );
    }
    // And every registry member is a fixed point.
    for p in providers {
        assert_eq!(&tracing_genai::normalize_provider(p), p);
    }
}

#[test]
fn semconv_constants_exist_in_registry() {
    let (gen_ai, openai) = registries();
    for key in [
        sc::GEN_AI_OPERATION_NAME,
        sc::GEN_AI_PROVIDER_NAME,
        sc::GEN_AI_REQUEST_MODEL,
        sc::GEN_AI_REQUEST_MAX_TOKENS,
        sc::GEN_AI_REQUEST_CHOICE_COUNT,
        sc::GEN_AI_REQUEST_TEMPERATURE,
        sc::GEN_AI_REQUEST_TOP_P,
        sc::GEN_AI_REQUEST_TOP_K,
        sc::GEN_AI_REQUEST_STOP_SEQUENCES,
        sc::GEN_AI_REQUEST_FREQUENCY_PENALTY,
        sc::GEN_AI_REQUEST_PRESENCE_PENALTY,
        sc::GEN_AI_REQUEST_ENCODING_FORMATS,
        sc::GEN_AI_REQUEST_SEED,
        sc::GEN_AI_REQUEST_STREAM,
        sc::GEN_AI_RESPONSE_ID,
        sc::GEN_AI_RESPONSE_MODEL,
        sc::GEN_AI_RESPONSE_FINISH_REASONS,
        sc::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
        sc::GEN_AI_USAGE_INPUT_TOKENS,
        sc::GEN_AI_USAGE_OUTPUT_TOKENS,
        sc::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
        sc::GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
        sc::GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
        sc::GEN_AI_CONVERSATION_ID,
        sc::GEN_AI_AGENT_NAME,
        sc::GEN_AI_TOOL_NAME,
        sc::GEN_AI_TOOL_CALL_ID,
        sc::GEN_AI_WORKFLOW_NAME,
        sc::GEN_AI_DATA_SOURCE_ID,
        sc::GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
        sc::GEN_AI_INPUT_MESSAGES,
        sc::GEN_AI_OUTPUT_MESSAGES,
    ] {
        assert!(gen_ai.contains_key(key), "{key}");
    }
    for key in [
        sc::OPENAI_API_TYPE,
        sc::OPENAI_REQUEST_SERVICE_TIER,
        sc::OPENAI_RESPONSE_SERVICE_TIER,
        sc::OPENAI_RESPONSE_SYSTEM_FINGERPRINT,
    ] {
        assert!(openai.contains_key(key), "{key}");
    }
    // GenAiField keys of the default aliases are registry keys too (except non-gen_ai ones),
    // or keys the pinned snapshot does not have yet: the latest-only rows of
    // semconv::DIFFERENCES (the per-modality usage), checked by the latest-mode tests.
    let latest_only = |key: &str| {
        sc::DIFFERENCES
            .iter()
            .any(|d| d.pinned.is_none() && d.latest == Some(key))
    };
    for (_, field) in tracing_genai::GenAiField::DEFAULT_ALIASES {
        let key = field.key();
        if key.starts_with("gen_ai.") {
            assert!(
                gen_ai.contains_key(key) || latest_only(key),
                "alias target {key}"
            );
        }
    }
}

/// The MCP names of `semconv` are keys of the vendored MCP registry, and its method enum has the
/// methods the MCP wrappers name spans after.
#[test]
fn mcp_constants_exist_in_mcp_registry() {
    let regs = support::registry::registries();
    assert!(regs.mcp.len() >= support::registry::MIN_MCP_ATTRIBUTES);
    assert!(regs.mcp.keys().all(|k| k.starts_with("mcp.")));
    for key in [
        sc::MCP_METHOD_NAME,
        sc::MCP_SESSION_ID,
        sc::MCP_RESOURCE_URI,
        sc::MCP_PROTOCOL_VERSION,
    ] {
        assert!(regs.mcp.contains_key(key), "{key}");
    }
    let methods = &regs.mcp[sc::MCP_METHOD_NAME].members;
    for method in [
        sc::MCP_METHOD_TOOLS_CALL,
        sc::MCP_METHOD_RESOURCES_READ,
        sc::MCP_METHOD_PROMPTS_GET,
        "tools/list",
        "initialize",
    ] {
        assert!(methods.iter().any(|m| m == method), "{method}");
    }
    assert!(regs.gen_ai.contains_key(sc::GEN_AI_PROMPT_NAME));
    let metrics = std::fs::read_to_string(format!(
        "{}/mcp-metrics.yaml",
        semconv_dir(env!("CARGO_MANIFEST_DIR"), 0)
    ))
    .unwrap();
    for name in [
        sc::METRIC_MCP_CLIENT_OPERATION_DURATION,
        sc::METRIC_MCP_SERVER_OPERATION_DURATION,
        sc::METRIC_MCP_CLIENT_SESSION_DURATION,
        sc::METRIC_MCP_SERVER_SESSION_DURATION,
    ] {
        assert!(metrics.contains(&format!("name: {name}")), "{name}");
    }
}

/// The vendored registry is there and complete, so the checks above cannot pass vacuously.
#[test]
fn vendored_registry_is_present_and_complete() {
    let (gen_ai, openai) = registries();
    assert!(
        gen_ai.len() >= MIN_GEN_AI_ATTRIBUTES,
        "{} gen_ai.* attributes",
        gen_ai.len()
    );
    assert!(
        openai.len() >= MIN_OPENAI_ATTRIBUTES,
        "{} openai.* attributes",
        openai.len()
    );
    assert!(gen_ai.keys().all(|k| k.starts_with("gen_ai.")));
    assert!(openai.keys().all(|k| k.starts_with("openai.")));
    assert!(gen_ai["gen_ai.operation.name"].members.len() >= 9);
    assert!(gen_ai["gen_ai.provider.name"].members.len() >= 10);
}

/// Every vendored file (tests/data/semconv) is byte-identical to the file of the same name in
/// the project's shared/semconv (`../shared/semconv` beside the crate) when that folder exists;
/// without it the comparison is skipped (and said so). `latest.yaml` is ours (written from
/// LATEST.md for the latest-conventions tests), not part of the snapshot.
#[test]
fn vendored_semconv_is_identical_to_shared() {
    const OURS: &[&str] = &["latest.yaml"];
    let manifest = env!("CARGO_MANIFEST_DIR");
    let vendored = semconv_dir(manifest, 0);
    let shared = shared_semconv_dir(manifest, 0);
    let mut files: Vec<String> = std::fs::read_dir(&vendored)
        .unwrap_or_else(|e| panic!("{vendored}: {e}"))
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| !OURS.contains(&name.as_str()))
        .collect();
    files.sort();
    for needed in [
        "LICENSE",
        "README.md",
        "gen-ai-registry.yaml",
        "openai-registry.yaml",
        "gen-ai-spans.yaml",
        "gen-ai-metrics.yaml",
        "gen-ai-input-messages.json",
    ] {
        assert!(
            files.iter().any(|f| f == needed),
            "{needed} not vendored in {vendored}"
        );
    }
    if !std::path::Path::new(&shared).is_dir() {
        println!(
            "{shared} not found: skipped comparing the {} vendored files in {vendored} with it",
            files.len()
        );
        return;
    }
    for file in &files {
        let ours = std::fs::read(format!("{vendored}/{file}")).unwrap();
        let theirs = std::fs::read(format!("{shared}/{file}")).unwrap_or_else(|e| {
            panic!("{file} is vendored but {shared}/{file} is not readable: {e}")
        });
        assert!(
            ours == theirs,
            "{vendored}/{file} differs from {shared}/{file}: copy the snapshot again"
        );
    }
    println!(
        "the {} vendored files are identical to {shared}",
        files.len()
    );
}
