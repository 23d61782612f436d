//! The pinned semantic-convention registry, vendored in tests/data/semconv (a byte-for-byte
//! copy of the project's shared/semconv), read at run time, and the type check of exported
//! attributes against it. Used by tests/it/registry.rs, the property tests and the fuzz target
//! (fuzz/fuzz_targets/layer.rs includes this file with `#[path]`), so it depends on nothing else
//! in tests/it/support.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use opentelemetry::{Array, Value};
use opentelemetry_sdk::trace::SpanData;

/// The vendored registry directory (tests/data/semconv) seen from a crate whose manifest is
/// `levels` directories below the main crate's (0 for the main crate, 1 for fuzz/).
pub fn semconv_dir(manifest_dir: &str, levels: usize) -> String {
    format!("{manifest_dir}/{}tests/data/semconv", "../".repeat(levels))
}

/// The project's shared copy of the snapshot (`../shared/semconv` beside the main crate), which
/// the vendored files must be identical to; it may be absent.
pub fn shared_semconv_dir(manifest_dir: &str, levels: usize) -> String {
    format!("{manifest_dir}/{}../shared/semconv", "../".repeat(levels))
}

/// Fewer `gen_ai.*` attributes than this means a truncated or wrong registry file (the pinned
/// snapshot declares 63).
pub const MIN_GEN_AI_ATTRIBUTES: usize = 50;
/// The pinned snapshot declares 4 `openai.*` attributes.
pub const MIN_OPENAI_ATTRIBUTES: usize = 4;
/// The pinned MCP registry declares 4 `mcp.*` attributes.
pub const MIN_MCP_ATTRIBUTES: usize = 4;

/// One registry attribute: its declared type and, for enums, the member values.
#[derive(Debug)]
pub struct Def {
    pub ty: String,
    pub members: Vec<String>,
}

/// Attribute key -> definition.
pub type Registry = HashMap<String, Def>;

/// The GenAI, OpenAI and MCP registries.
#[derive(Debug)]
pub struct Registries {
    pub gen_ai: Registry,
    pub openai: Registry,
    pub mcp: Registry,
}

/// Loads a registry file (panics if it is missing, malformed or has no attributes).
pub fn load(path: &str) -> Registry {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("semconv registry {path} not readable: {e}"));
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let mut out = HashMap::new();
    for attr in doc["attributes"].as_sequence().unwrap() {
        let key = attr["key"].as_str().unwrap().to_string();
        let def = match &attr["type"] {
            serde_yaml_ng::Value::String(s) => Def {
                ty: s.clone(),
                members: Vec::new(),
            },
            serde_yaml_ng::Value::Mapping(m) => Def {
                ty: "enum".to_string(),
                members: m
                    .get("members")
                    .and_then(|v| v.as_sequence())
                    .unwrap()
                    .iter()
                    .map(|m| m["value"].as_str().unwrap().to_string())
                    .collect(),
            },
            other => panic!("{key}: unexpected type {other:?}"),
        };
        out.insert(key, def);
    }
    assert!(!out.is_empty(), "{path} has no attributes");
    out
}

/// The registries from `dir`, each with at least its floor of attributes.
pub fn registries_in(dir: &str) -> Registries {
    let regs = Registries {
        gen_ai: load(&format!("{dir}/gen-ai-registry.yaml")),
        openai: load(&format!("{dir}/openai-registry.yaml")),
        mcp: load(&format!("{dir}/mcp-registry.yaml")),
    };
    assert!(
        regs.mcp.len() >= MIN_MCP_ATTRIBUTES,
        "{dir}/mcp-registry.yaml: only {} attributes",
        regs.mcp.len()
    );
    assert!(
        regs.gen_ai.len() >= MIN_GEN_AI_ATTRIBUTES,
        "{dir}/gen-ai-registry.yaml: only {} attributes",
        regs.gen_ai.len()
    );
    assert!(
        regs.openai.len() >= MIN_OPENAI_ATTRIBUTES,
        "{dir}/openai-registry.yaml: only {} attributes",
        regs.openai.len()
    );
    regs
}

/// The vendored registries, seen from the main crate's tests.
pub fn registries() -> Registries {
    registries_in(&semconv_dir(env!("CARGO_MANIFEST_DIR"), 0))
}

/// The vendored registries, loaded once per test process.
pub fn cached() -> &'static Registries {
    static R: std::sync::OnceLock<Registries> = std::sync::OnceLock::new();
    R.get_or_init(registries)
}

/// Whether an exported value has the OTel type that the registry type maps to.
pub fn type_matches(ty: &str, value: &Value) -> bool {
    match ty {
        "int" => matches!(value, Value::I64(_)),
        "double" => matches!(value, Value::F64(_)),
        "string" | "enum" | "any" => matches!(value, Value::String(_)),
        "string[]" => matches!(value, Value::Array(Array::String(_))),
        "boolean" => matches!(value, Value::Bool(_)),
        _ => false,
    }
}

/// The declared type of an exported key: our extensions (`gen_ai.usage.cost`,
/// `tracing_genai.*`) first, then the registries for `gen_ai.*` / `openai.*` / `mcp.*`. `None`
/// for keys outside those namespaces; panics for a `gen_ai.*`/`openai.*`/`mcp.*`/
/// `tracing_genai.*` key that is declared nowhere.
pub fn declared_type<'a>(regs: &'a Registries, key: &str, span: &str) -> Option<&'a str> {
    if let Some((_, ty)) = tracing_genai::semconv::EXTENSIONS
        .iter()
        .find(|(k, _)| *k == key)
    {
        return Some(ty);
    }
    if key == tracing_genai::semconv::DIAGNOSTICS_ATTRIBUTE {
        return Some("string[]");
    }
    let reg = if key.starts_with("gen_ai.") {
        &regs.gen_ai
    } else if key.starts_with("openai.") {
        &regs.openai
    } else if key.starts_with("mcp.") {
        &regs.mcp
    } else if key.starts_with("tracing_genai.") {
        panic!("{key} (span {span}) is not a declared extension")
    } else {
        return None;
    };
    let def = reg
        .get(key)
        .unwrap_or_else(|| panic!("{key} (span {span}) is not in the registry"));
    Some(def.ty.as_str())
}

/// Asserts every `gen_ai.*`, `openai.*`, `mcp.*` and `tracing_genai.*` attribute of every span exists
/// with its declared type (doubles finite); returns how many attributes were checked.
pub fn check_types(spans: &[SpanData], regs: &Registries) -> usize {
    let mut checked = 0;
    for span in spans {
        let unknown = unknown_keys(span);
        // The diagnostics are bounded (16 per span): when full, an unknown key may be unnamed.
        let full = span_diagnostics(span).len() >= 16;
        for kv in &span.attributes {
            let key = kv.key.as_str();
            let unnamed_unknown =
                full && key.starts_with("gen_ai.") && !regs.gen_ai.contains_key(key);
            if unnamed_unknown || unknown.iter().any(|k| k == key) {
                // Not a registry key: the recording library's, exported as recorded.
                continue;
            }
            let Some(ty) = declared_type(regs, key, &span.name) else {
                continue;
            };
            assert!(
                type_matches(ty, &kv.value),
                "{key} on {}: declared {ty} but exported {:?}",
                span.name,
                kv.value
            );
            if let Value::F64(f) = kv.value {
                assert!(f.is_finite(), "{key} on {} = {f}", span.name);
            }
            checked += 1;
        }
    }
    checked
}

/// The keys a span's diagnostics name as unknown `gen_ai.*` fields exported as recorded (the
/// registry says nothing about their type).
pub fn unknown_keys(span: &SpanData) -> Vec<String> {
    const KEPT: &str = ": not in the GenAI registry; exported as recorded";
    span_diagnostics(span)
        .iter()
        .filter_map(|d| d.strip_suffix(KEPT).map(str::to_string))
        .collect()
}

/// The span's `tracing_genai.diagnostics` (self-contained: the fuzz target includes this file).
fn span_diagnostics(span: &SpanData) -> Vec<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == tracing_genai::semconv::DIAGNOSTICS_ATTRIBUTE)
        .map(|kv| match &kv.value {
            Value::Array(Array::String(items)) => items.iter().map(|s| s.to_string()).collect(),
            _ => Vec::new(),
        })
        .unwrap_or_default()
}
