//! Content capture checked on the OTLP wire: GenAI spans go through the real pipeline
//! (`Config::build()`, HTTP/protobuf, batch processor) to an in-process receiver, and the
//! assertions run on the raw request bytes as received *and* on the decoded protobuf.
//!
//! - Default configuration: no prompt, completion or tool payload text and no content keys in
//!   the exported bytes.
//! - Capture on (`SpanAndEvent`): the content is there (so the default test can fail), but planted
//!   secrets in prompts, tool arguments, error messages, events and custom fields are not.

use std::time::Duration;

use crate::support::otlp::{self, Behavior, ReceivedSpan};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use prost::Message;
use serde_json::json;
use tracing_genai::{
    GenAiSpanExt,
    content::{ChatMessage, ContentCapture, MessagePart, OutputMessage, REDACTED, ToolDefinition},
};
use tracing_subscriber::layer::SubscriberExt;

// Plain (non-secret) content, which must be absent by default and present with capture on.
const PROMPT: &str = "What is the weather in Paris tomorrow";
const RAW_PROMPT: &str = "Summarise the quarterly report for Lyon";
const SYSTEM: &str = "You are a terse meteorologist";
const OUTPUT: &str = "Sunny with light clouds over the Seine";
const RAW_OUTPUT: &str = "The Lyon report shows growth";
const TOOL_ARG: &str = "Montparnasse-district";
const TOOL_RESULT: &str = "twenty-one-degrees";
const TOOL_DESCRIPTION: &str = "Looks up the forecast for a city";

// Planted secrets.
const OPENAI: &str = "sk-proj-Q1w2E3r4T5y6U7i8O9p0AaSsDdFfGgHh";
const ANTHROPIC: &str = "sk-ant-api03-ZxCvBnMmLkJhGfDsA1234567890qwer";
const AWS: &str = "AKIAJ7QWERTYUIOP2345";
const BEARER_TOKEN: &str = "abcDEF0123456789ghiJKL.mnoPQR";
const SECRETS: [&str; 4] = [OPENAI, ANTHROPIC, AWS, BEARER_TOKEN];

const CONTENT_KEYS: [&str; 6] = [
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
];

#[derive(Debug, thiserror::Error)]
#[error("provider rejected the request made with key {0}")]
struct ProviderError(String);

/// What one pipeline run put on the wire.
struct Wire {
    bodies: Vec<Vec<u8>>,
    spans: Vec<ReceivedSpan>,
}

impl Wire {
    fn span(&self, name: &str) -> &ReceivedSpan {
        self.spans
            .iter()
            .find(|s| s.span.name == name)
            .unwrap_or_else(|| panic!("no span {name:?} in {:?}", self.names()))
    }

    fn names(&self) -> Vec<&str> {
        self.spans.iter().map(|s| s.span.name.as_str()).collect()
    }

    fn bytes_contain(&self, needle: &str) -> bool {
        self.bodies.iter().any(|b| contains(b, needle.as_bytes()))
    }

    /// Every string in the decoded requests: resource, scope, span names, attribute keys and
    /// values (nested), events, links, status messages.
    fn decoded_strings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for body in &self.bodies {
            let request = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
            for rs in &request.resource_spans {
                if let Some(r) = &rs.resource {
                    kvs(&mut out, &r.attributes);
                }
                for ss in &rs.scope_spans {
                    if let Some(scope) = &ss.scope {
                        out.push(scope.name.clone());
                        kvs(&mut out, &scope.attributes);
                    }
                    for span in &ss.spans {
                        out.push(span.name.clone());
                        kvs(&mut out, &span.attributes);
                        for e in &span.events {
                            out.push(e.name.clone());
                            kvs(&mut out, &e.attributes);
                        }
                        for l in &span.links {
                            kvs(&mut out, &l.attributes);
                        }
                        if let Some(status) = &span.status {
                            out.push(status.message.clone());
                        }
                    }
                }
            }
        }
        out
    }

    /// Every attribute key of every span and span event.
    fn keys(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.spans {
            out.extend(s.span.attributes.iter().map(|kv| kv.key.clone()));
            for e in &s.span.events {
                out.extend(e.attributes.iter().map(|kv| kv.key.clone()));
            }
        }
        out
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn kvs(out: &mut Vec<String>, kvs: &[KeyValue]) {
    for kv in kvs {
        out.push(kv.key.clone());
        if let Some(v) = &kv.value {
            any(out, v);
        }
    }
}

fn any(out: &mut Vec<String>, v: &AnyValue) {
    match &v.value {
        Some(any_value::Value::StringValue(s)) => out.push(s.clone()),
        Some(any_value::Value::BytesValue(b)) => out.push(String::from_utf8_lossy(b).into_owned()),
        Some(any_value::Value::ArrayValue(a)) => a.values.iter().for_each(|v| any(out, v)),
        Some(any_value::Value::KvlistValue(l)) => kvs(out, &l.values),
        _ => {}
    }
}

fn string_attr(span: &ReceivedSpan, key: &str) -> Option<String> {
    match otlp::attr(&span.span, key) {
        Some(any_value::Value::StringValue(s)) => Some(s.clone()),
        _ => None,
    }
}

/// Runs `workload` through `Config::build()` (HTTP/protobuf, uncompressed, to an in-process
/// receiver) under a scoped default subscriber, shuts the pipeline down and returns what the
/// receiver got.
fn run_pipeline(
    configure: impl FnOnce(tracing_genai::setup::ConfigLayer) -> tracing_genai::setup::ConfigLayer
    + Send
    + 'static,
    expected_spans: usize,
    workload: impl FnOnce(),
) -> Wire {
    let receiver = otlp::start_http(Behavior::Accept);
    let config = tracing_genai::Config::default()
        .with_endpoint(receiver.http_base())
        .with_protocol(tracing_genai::setup::Protocol::HttpProtobuf)
        // Raw byte searches are only meaningful on an uncompressed body.
        .with_compression(None)
        .with_layer(configure);
    let (layer, guard) = config.build().unwrap().layer();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), workload);
    let report = guard.shutdown().unwrap();
    assert_eq!(report.exported, expected_spans as u64, "{report}");
    let spans = receiver.wait_for_spans(expected_spans, Duration::from_secs(10));
    assert_eq!(spans.len(), expected_spans);
    for headers in receiver.headers() {
        assert_eq!(
            headers.get("content-type").map(String::as_str),
            Some("application/x-protobuf")
        );
        assert!(!headers.contains_key("content-encoding"), "{headers:?}");
    }
    let bodies = receiver.raw_bodies();
    assert!(!bodies.is_empty());
    Wire { bodies, spans }
}

/// A chat span with typed content, a chat span with raw JSON content fields, a tool span with
/// arguments and a result; secrets planted in prompts, tool arguments, an error, an event and
/// an ordinary custom field.
fn workload() {
    let raw_input = json!([{"role": "user", "parts": [
        {"type": "text", "content": format!("{RAW_PROMPT} using {ANTHROPIC}")}
    ]}])
    .to_string();
    let raw_output = json!([{"role": "assistant", "finish_reason": "stop", "parts": [
        {"type": "text", "content": RAW_OUTPUT}
    ]}])
    .to_string();
    let raw_system = json!([{"type": "text", "content": SYSTEM}]).to_string();

    let chat = tracing_genai::genai_span!(
        "chat",
        "openai",
        "gpt-4o",
        // An ordinary custom field whose value holds secrets.
        note = format!("deployed with {AWS} and Bearer {BEARER_TOKEN}").as_str(),
    );
    chat.record_system_instructions(&[MessagePart::text(SYSTEM)]);
    chat.record_tool_definitions(&[
        ToolDefinition::function("get_weather").with_description(TOOL_DESCRIPTION)
    ]);
    chat.record_input_messages(&[
        ChatMessage::user(format!("{PROMPT}? My key is {OPENAI}")),
        ChatMessage::user(format!("Header: Authorization: Bearer {BEARER_TOKEN}")),
    ]);
    chat.record_output_messages(&[OutputMessage::assistant(OUTPUT, "tool_calls").with_part(
        MessagePart::tool_call(
            Some("call_1"),
            "get_weather",
            json!({"city": TOOL_ARG, "api_key": ANTHROPIC, "note": format!("aws {AWS}")}),
        ),
    )]);
    chat.in_scope(|| tracing::warn!(detail = %format!("retrying with {OPENAI}"), "retry"));
    chat.record_token_usage(12, 30);
    drop(chat);

    let raw = tracing::info_span!(
        "llm",
        gen_ai.operation.name = "chat",
        gen_ai.provider.name = "anthropic",
        gen_ai.request.model = "claude-sonnet-4",
        gen_ai.input.messages = raw_input.as_str(),
        gen_ai.output.messages = raw_output.as_str(),
        gen_ai.system_instructions = raw_system.as_str(),
    );
    raw.record_genai_error(&ProviderError(OPENAI.to_string()));
    drop(raw);

    let tool = tracing_genai::tool_span!("get_weather", gen_ai.tool.call.id = "call_1");
    tool.record_tool_call_arguments(&json!({
        "city": TOOL_ARG,
        "auth": format!("Bearer {BEARER_TOKEN}"),
        "key": AWS,
    }));
    tool.record_tool_call_result(&json!({"forecast": TOOL_RESULT, "echo": OPENAI}));
    tool.record_genai_error(&ProviderError(ANTHROPIC.to_string()));
    drop(tool);
}

const SPANS: usize = 3;

fn assert_no_secrets(wire: &Wire) {
    let decoded = wire.decoded_strings();
    for secret in SECRETS {
        assert!(
            !wire.bytes_contain(secret),
            "secret {secret} is in the exported bytes"
        );
        // No fragment long enough to be useful either.
        assert!(
            !wire.bytes_contain(&secret[..12]),
            "a prefix of secret {secret} is in the exported bytes"
        );
        if let Some(s) = decoded.iter().find(|s| s.contains(&secret[..12])) {
            panic!("secret {secret} decoded from the wire in {s:?}");
        }
    }
}

#[test]
fn default_config_exports_no_content_on_the_wire() {
    let wire = run_pipeline(
        |layer| {
            // The default is whatever the environment says; this test checks the default, so it
            // pins the documented default in code only if the variable is set (never mutates
            // the process environment).
            if std::env::var_os(ContentCapture::ENV_VAR).is_some() {
                layer.with_content_capture(ContentCapture::NoContent)
            } else {
                layer
            }
        },
        SPANS,
        workload,
    );

    // Not vacuous: the spans and their non-content attributes are on the wire.
    assert!(wire.bytes_contain("chat gpt-4o"));
    assert!(wire.bytes_contain("chat claude-sonnet-4"));
    assert!(wire.bytes_contain("execute_tool get_weather"));
    assert!(wire.bytes_contain("gen_ai.usage.output_tokens"));
    assert!(wire.bytes_contain("call_1"));
    assert_eq!(
        string_attr(wire.span("chat gpt-4o"), "gen_ai.request.model").as_deref(),
        Some("gpt-4o")
    );

    for text in [
        PROMPT,
        RAW_PROMPT,
        SYSTEM,
        OUTPUT,
        RAW_OUTPUT,
        TOOL_ARG,
        TOOL_RESULT,
        TOOL_DESCRIPTION,
    ] {
        assert!(
            !wire.bytes_contain(text),
            "content {text:?} is in the exported bytes"
        );
    }
    let decoded = wire.decoded_strings();
    for text in [PROMPT, RAW_PROMPT, SYSTEM, OUTPUT, RAW_OUTPUT, TOOL_ARG] {
        assert!(
            !decoded.iter().any(|s| s.contains(text)),
            "content {text:?} decoded from the wire"
        );
    }
    let keys = wire.keys();
    for key in CONTENT_KEYS {
        assert!(!wire.bytes_contain(key), "{key} is in the exported bytes");
        assert!(!keys.iter().any(|k| k == key), "{key} is a decoded key");
    }
    // Secret scrubbing is on without content capture too (errors, events, custom fields).
    assert_no_secrets(&wire);
    assert!(wire.bytes_contain(REDACTED));
}

#[test]
fn captured_content_reaches_the_wire_without_planted_secrets() {
    let wire = run_pipeline(
        |layer| layer.with_content_capture(ContentCapture::SpanAndEvent),
        SPANS,
        workload,
    );

    // The content is exported (so the default test above can fail): raw bytes...
    for text in [
        PROMPT,
        RAW_PROMPT,
        SYSTEM,
        OUTPUT,
        RAW_OUTPUT,
        TOOL_ARG,
        TOOL_RESULT,
        TOOL_DESCRIPTION,
    ] {
        assert!(
            wire.bytes_contain(text),
            "content {text:?} is missing from the exported bytes"
        );
    }
    // ... and decoded: on the spans and in the details event.
    let chat = wire.span("chat gpt-4o");
    let input = string_attr(chat, "gen_ai.input.messages").unwrap();
    let input: serde_json::Value = serde_json::from_str(&input).unwrap();
    assert_eq!(
        input[0]["parts"][0]["content"],
        format!("{PROMPT}? My key is {REDACTED}")
    );
    assert!(
        string_attr(chat, "gen_ai.output.messages")
            .unwrap()
            .contains(OUTPUT)
    );
    assert!(
        string_attr(chat, "gen_ai.system_instructions")
            .unwrap()
            .contains(SYSTEM)
    );
    let details = chat
        .span
        .events
        .iter()
        .find(|e| e.name == "gen_ai.client.inference.operation.details")
        .expect("details event");
    assert!(
        details
            .attributes
            .iter()
            .any(|kv| kv.key == "gen_ai.input.messages")
    );
    let raw = wire.span("chat claude-sonnet-4");
    assert!(
        string_attr(raw, "gen_ai.input.messages")
            .unwrap()
            .contains(&format!("{RAW_PROMPT} using {REDACTED}"))
    );
    let tool = wire.span("execute_tool get_weather");
    let arguments: serde_json::Value =
        serde_json::from_str(&string_attr(tool, "gen_ai.tool.call.arguments").unwrap()).unwrap();
    assert_eq!(arguments["city"], TOOL_ARG);
    assert_eq!(arguments["key"], REDACTED);

    // The error messages and the custom field are exported, scrubbed.
    for span in [raw, tool] {
        let status = span.span.status.as_ref().expect("status");
        assert!(
            status
                .message
                .contains("provider rejected the request made with key")
                && status.message.contains(REDACTED),
            "{}: {status:?}",
            span.span.name
        );
    }
    let note = string_attr(chat, "note").expect("custom field");
    assert!(note.starts_with("deployed with "), "{note}");
    assert!(note.contains(REDACTED), "{note}");

    assert_no_secrets(&wire);
    assert!(wire.bytes_contain(REDACTED));
}
