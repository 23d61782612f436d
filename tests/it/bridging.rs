//! Bridging libraries that emit their own `gen_ai.*` fields (rig-core / rig-agent 0.44, genai
//! 0.7 with `otel`, OpenLLMetry-style legacy content): nothing they record is lost silently,
//! their non-standard names are aliases, legacy content becomes messages only when capture is
//! on, JSON-string arrays become arrays, and metrics fit the operation.

use crate::support::*;
use opentelemetry::Value;
use opentelemetry_sdk::trace::SpanData;
use tracing::field::Empty;
use tracing_genai::content::ContentCapture;
use tracing_genai::{EventTarget, UnknownFields};

fn diagnostics_naming(span: &SpanData, key: &str) -> Vec<String> {
    diagnostics(span)
        .into_iter()
        .filter(|d| d.starts_with(&format!("{key}:")))
        .collect()
}

#[test]
fn unknown_genai_fields_are_kept_with_their_recorded_type_and_named_once() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = "m",
            gen_ai.zz.count = 7_u64,
            gen_ai.zz.signed = -3_i64,
            gen_ai.zz.flag = true,
            gen_ai.zz.ratio = 0.25,
            gen_ai.zz.label = "x",
            gen_ai.zz.later = Empty,
        );
        span.record("gen_ai.zz.later", 1_u64);
        span.record("gen_ai.zz.later", 2_u64);
        let _e = span.enter();
    });
    let s = &spans[0];
    assert_eq!(attr(s, "gen_ai.zz.count"), Some(&Value::I64(7)));
    assert_eq!(attr(s, "gen_ai.zz.signed"), Some(&Value::I64(-3)));
    assert_eq!(attr(s, "gen_ai.zz.flag"), Some(&Value::Bool(true)));
    assert_eq!(attr(s, "gen_ai.zz.ratio"), Some(&Value::F64(0.25)));
    assert_eq!(str_attr(s, "gen_ai.zz.label"), "x");
    // The last value wins; the field is named once however often it is recorded.
    assert_eq!(i64_attr(s, "gen_ai.zz.later"), 2);
    for key in [
        "gen_ai.zz.count",
        "gen_ai.zz.signed",
        "gen_ai.zz.flag",
        "gen_ai.zz.ratio",
        "gen_ai.zz.label",
        "gen_ai.zz.later",
    ] {
        assert_eq!(
            diagnostics_naming(s, key),
            [format!(
                "{key}: not in the GenAI registry; exported as recorded"
            )]
        );
    }
    assert_unique_keys(s);
}

#[test]
fn unknown_genai_fields_can_be_dropped() {
    let spans = Harness::builder()
        .configure(|l| l.with_unknown_genai_fields(UnknownFields::Drop))
        .build()
        .collect_spans(|| {
            let _s = tracing::info_span!(
                "llm",
                gen_ai.operation.name = "chat",
                gen_ai.zz.count = 7_u64,
                gen_ai.usage.input_tokens = 3_u64,
            )
            .entered();
        });
    let s = &spans[0];
    assert!(!has(s, "gen_ai.zz.count"));
    assert_eq!(i64_attr(s, "gen_ai.usage.input_tokens"), 3);
    let named = diagnostics_naming(s, "gen_ai.zz.count");
    assert_eq!(named.len(), 1, "{named:?}");
    assert!(named[0].contains("dropped"), "{named:?}");
}

#[test]
fn secret_named_genai_fields_are_never_kept() {
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.provider.api_key = "sk-planted-0123456789abcdef",
        )
        .entered();
    });
    assert!(!has(&spans[0], "gen_ai.provider.api_key"));
    assert!(!format!("{:?}", spans[0].attributes).contains("planted"));
}

/// rig-core 0.44 `chat` span (target `rig::completions`, fields of
/// `__rig_canonical_completion_span!`) and its `SpanCombinator::record_token_usage`.
#[test]
fn rig_completion_span_fields_map() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!(
            target: "rig::completions",
            "chat",
            gen_ai.operation.name = "chat",
            gen_ai.provider.name = "openai",
            gen_ai.request.model = "gpt-4o",
            gen_ai.system_instructions = Empty,
            gen_ai.request.stream = Empty,
            gen_ai.response.id = Empty,
            gen_ai.response.model = Empty,
            rig.provider_request_id = Empty,
            gen_ai.usage.input_tokens = Empty,
            gen_ai.usage.output_tokens = Empty,
            gen_ai.usage.cache_read.input_tokens = Empty,
            gen_ai.usage.cache_creation.input_tokens = Empty,
            gen_ai.usage.tool_use_prompt_tokens = Empty,
            gen_ai.usage.reasoning_tokens = Empty,
            gen_ai.input.messages = Empty,
            gen_ai.output.messages = Empty
        );
        let _e = span.enter();
        span.record("gen_ai.request.stream", false);
        span.record("gen_ai.response.id", "resp-1");
        span.record("rig.provider_request_id", "req-1");
        span.record("gen_ai.usage.input_tokens", 10_u64);
        span.record("gen_ai.usage.output_tokens", 20_u64);
        span.record("gen_ai.usage.cache_read.input_tokens", 2_u64);
        span.record("gen_ai.usage.tool_use_prompt_tokens", 5_u64);
        span.record("gen_ai.usage.reasoning_tokens", 8_u64);
    });
    let s = find(&spans, "chat gpt-4o");
    assert_eq!(i64_attr(s, "gen_ai.usage.reasoning.output_tokens"), 8);
    assert!(
        !has(s, "gen_ai.usage.reasoning_tokens"),
        "raw alias exported"
    );
    assert_eq!(i64_attr(s, "gen_ai.usage.input_tokens"), 10);
    assert_eq!(i64_attr(s, "gen_ai.usage.output_tokens"), 20);
    assert_eq!(i64_attr(s, "gen_ai.usage.cache_read.input_tokens"), 2);
    // No registry equivalent: kept as recorded, an int, and named in the diagnostics.
    assert_eq!(i64_attr(s, "gen_ai.usage.tool_use_prompt_tokens"), 5);
    assert_eq!(
        diagnostics_naming(s, "gen_ai.usage.tool_use_prompt_tokens").len(),
        1
    );
    assert_eq!(str_attr(s, "rig.provider_request_id"), "req-1");
    assert!(!bool_attr(s, "gen_ai.request.stream"));
    assert_unique_keys(s);
}

/// rig-agent 0.44 `execute_tool` span (`new_execute_tool_span`, `record_tool_result`).
#[test]
fn rig_tool_span_outcome_kept_and_error_type_fails_the_span() {
    let spans = Harness::new().collect_spans(|| {
        for fail in [false, true] {
            let span = tracing::info_span!(
                "execute_tool",
                gen_ai.operation.name = "execute_tool",
                gen_ai.tool.type = "function",
                gen_ai.tool.name = Empty,
                gen_ai.tool.call.id = Empty,
                gen_ai.tool.call.arguments = Empty,
                gen_ai.tool.call.result = Empty,
                gen_ai.tool.call.outcome = Empty,
                gen_ai.tool.error.type = Empty
            );
            let _e = span.enter();
            span.record("gen_ai.tool.name", if fail { "broken" } else { "add" });
            span.record("gen_ai.tool.call.arguments", "{\"x\":1}");
            span.record(
                "gen_ai.tool.call.outcome",
                if fail { "error" } else { "success" },
            );
            if fail {
                span.record("gen_ai.tool.error.type", "execution");
            }
        }
    });
    let ok = find(&spans, "execute_tool add");
    assert_eq!(str_attr(ok, "gen_ai.tool.call.outcome"), "success");
    assert!(!is_error(ok));
    let failed = find(&spans, "execute_tool broken");
    assert_eq!(str_attr(failed, "gen_ai.tool.call.outcome"), "error");
    assert!(is_error(failed));
    assert_eq!(str_attr(failed, "error.type"), "execution");
    assert!(!has(failed, "gen_ai.tool.error.type"));
    // Content stays off: the arguments are not exported.
    assert!(!has(ok, "gen_ai.tool.call.arguments"));
}

/// genai 0.7.2 (`otel`): stop sequences, finish reasons and encoding formats recorded as JSON
/// strings (`serde_json::to_string`) are exported as string arrays.
#[test]
fn genai_json_string_arrays_are_parsed() {
    let spans = Harness::new().collect_spans(|| {
        let span = tracing::info_span!(
            "genai.chat",
            "otel.name" = "chat gpt-4o",
            "otel.kind" = "client",
            "gen_ai.operation.name" = "chat",
            "gen_ai.provider.name" = "openai",
            "gen_ai.request.model" = "gpt-4o",
            "gen_ai.request.stop_sequences" = Empty,
            "gen_ai.response.finish_reasons" = Empty,
            "gen_ai.usage.reasoning.output_tokens" = Empty,
        );
        let _e = span.enter();
        span.record("gen_ai.request.stop_sequences", r#"["END","\n\n"]"#);
        span.record("gen_ai.response.finish_reasons", r#"["stop"]"#);
        span.record("gen_ai.usage.reasoning.output_tokens", 4_i64);
        let embed = tracing::info_span!(
            "genai.embeddings",
            "gen_ai.operation.name" = "embeddings",
            "gen_ai.request.model" = "text-embedding-3-small",
            "gen_ai.request.encoding_formats" = r#"["float"]"#,
        );
        let _e = embed.enter();
    });
    let chat = find(&spans, "chat gpt-4o");
    assert_eq!(
        strings_attr(chat, "gen_ai.request.stop_sequences"),
        ["END", "\n\n"]
    );
    assert_eq!(
        strings_attr(chat, "gen_ai.response.finish_reasons"),
        ["stop"]
    );
    assert_eq!(i64_attr(chat, "gen_ai.usage.reasoning.output_tokens"), 4);
    let embed = find(&spans, "embeddings text-embedding-3-small");
    assert_eq!(
        strings_attr(embed, "gen_ai.request.encoding_formats"),
        ["float"]
    );
}

const MARKER: &str = "zebra-marker-31";

/// A rig-agent 0.44 `invoke_agent` span with legacy content, an OpenLLMetry-style span with
/// indexed content and a span with a JSON message array in `gen_ai.prompt`.
fn legacy_content_spans() {
    let agent = tracing::info_span!(
        parent: None,
        "invoke_agent",
        gen_ai.operation.name = "invoke_agent",
        gen_ai.agent.name = "helper",
        gen_ai.prompt = Empty,
        gen_ai.completion = Empty,
    );
    {
        let _e = agent.enter();
        agent.record("gen_ai.prompt", format!("What is {MARKER}?").as_str());
        agent.record("gen_ai.completion", format!("{MARKER} is a test.").as_str());
    }
    drop(agent);
    let indexed = tracing::info_span!(
        "openllmetry",
        gen_ai.operation.name = "chat",
        gen_ai.request.model = "m-indexed",
        "gen_ai.prompt.0.role" = "system",
        "gen_ai.prompt.0.content" = format!("be {MARKER}").as_str(),
        "gen_ai.prompt.1.role" = "user",
        "gen_ai.prompt.1.content" = format!("hi {MARKER}").as_str(),
        "gen_ai.completion.0.role" = "assistant",
        "gen_ai.completion.0.content" = format!("hello {MARKER}").as_str(),
        "gen_ai.completion.0.finish_reason" = "stop",
        "gen_ai.completion.0.tool_calls.0.arguments" = format!("{{\"q\":\"{MARKER}\"}}").as_str(),
    );
    drop(indexed.entered());
    let json =
        format!(r#"[{{"role":"user","parts":[{{"type":"text","content":"json {MARKER}"}}]}}]"#);
    let array = tracing::info_span!(
        "json",
        gen_ai.operation.name = "chat",
        gen_ai.request.model = "m-json",
        gen_ai.prompt = json.as_str(),
        gen_ai.completion =
            format!(r#"[{{"role":"assistant","content":"out {MARKER}"}}]"#).as_str(),
        gen_ai.response.finish_reasons = "length",
    );
    drop(array.entered());
}

fn messages(span: &SpanData, key: &str) -> serde_json::Value {
    serde_json::from_str(&str_attr(span, key)).unwrap()
}

#[test]
fn legacy_content_becomes_messages_when_capture_is_on() {
    let spans = Harness::builder()
        .content(ContentCapture::SpanOnly)
        .build()
        .collect_spans(legacy_content_spans);
    let agent = find(&spans, "invoke_agent helper");
    let input = messages(agent, "gen_ai.input.messages");
    assert_eq!(input[0]["role"], "user");
    assert_eq!(input[0]["parts"][0]["type"], "text");
    assert_eq!(
        input[0]["parts"][0]["content"],
        format!("What is {MARKER}?")
    );
    let output = messages(agent, "gen_ai.output.messages");
    assert_eq!(output[0]["role"], "assistant");
    assert_eq!(
        output[0]["parts"][0]["content"],
        format!("{MARKER} is a test.")
    );
    // No finish reason recorded: `unknown`, as rig says itself.
    assert_eq!(output[0]["finish_reason"], "unknown");

    let indexed = find(&spans, "chat m-indexed");
    let input = messages(indexed, "gen_ai.input.messages");
    assert_eq!(input.as_array().unwrap().len(), 2);
    assert_eq!(input[0]["role"], "system");
    assert_eq!(input[1]["parts"][0]["content"], format!("hi {MARKER}"));
    let output = messages(indexed, "gen_ai.output.messages");
    assert_eq!(output[0]["finish_reason"], "stop");
    assert_eq!(output[0]["parts"][0]["content"], format!("hello {MARKER}"));
    // The unread sub-field is dropped with a diagnostic that does not quote it.
    assert!(
        diagnostics(indexed)
            .iter()
            .any(|d| d.starts_with("gen_ai.completion.0.tool_calls.0.arguments:"))
    );

    let json = find(&spans, "chat m-json");
    let input = messages(json, "gen_ai.input.messages");
    assert_eq!(input[0]["parts"][0]["content"], format!("json {MARKER}"));
    let output = messages(json, "gen_ai.output.messages");
    assert_eq!(output[0]["parts"][0]["content"], format!("out {MARKER}"));
    assert_eq!(output[0]["finish_reason"], "length");

    for s in &spans {
        for kv in &s.attributes {
            let key = kv.key.as_str();
            assert!(
                !key.starts_with("gen_ai.prompt") && !key.starts_with("gen_ai.completion"),
                "legacy key {key} exported on {}",
                s.name
            );
        }
        assert!(
            diagnostics(s).iter().all(|d| !d.contains(MARKER)),
            "{:?}",
            diagnostics(s)
        );
    }
}

#[test]
fn legacy_content_goes_through_scrubbing() {
    let spans = Harness::builder()
        .content(ContentCapture::SpanOnly)
        .build()
        .collect_spans(|| {
            let _s = tracing::info_span!(
                "invoke_agent",
                gen_ai.operation.name = "invoke_agent",
                gen_ai.prompt = "my key is sk-abcdefghijklmnopqrstuvwx",
            )
            .entered();
        });
    let input = messages(&spans[0], "gen_ai.input.messages");
    assert_eq!(input[0]["parts"][0]["content"], "my key is [REDACTED]");
}

/// Everything the span exports, as text: name, attributes, events, links.
fn everything(span: &SpanData) -> String {
    format!("{} {:?} {:?}", span.name, span.attributes, span.events)
}

#[test]
fn legacy_content_is_never_exported_when_capture_is_off() {
    for events in [EventTarget::SpanEvents, EventTarget::Auto] {
        let spans = Harness::builder()
            .content(ContentCapture::NoContent)
            .configure(|l| l.with_inference_details(true).with_events_as(events))
            .build()
            .collect_spans(legacy_content_spans);
        assert_eq!(spans.len(), 3, "{:?}", names(&spans));
        for s in &spans {
            assert!(!everything(s).contains(MARKER), "{}", everything(s));
            for key in ["gen_ai.input.messages", "gen_ai.output.messages"] {
                assert!(!has(s, key), "{key} on {}", s.name);
            }
        }
        // The details event is there (so the check above looked at it).
        let indexed = find(&spans, "chat m-indexed");
        assert!(
            indexed
                .events
                .iter()
                .any(|e| e.name == "gen_ai.client.inference.operation.details"),
            "{:?}",
            indexed.events
        );
    }
}

/// Registry keys the layer has no typed fact for are exported with their registry type (not
/// as unknown keys); the sensitive ones are content and stay out while capture is off.
#[test]
fn unmodeled_registry_keys_keep_their_registry_type() {
    let spans = Harness::new().collect_spans(|| {
        let _s = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "retrieval",
            gen_ai.prompt.name = "greeting",
            gen_ai.prompt.version = 3_u64,
            gen_ai.retrieval.top_k = "5",
            gen_ai.conversation.compacted = "true",
            gen_ai.memory.record.count = "many",
            gen_ai.retrieval.query.text = "secret query zebra",
            "gen_ai.prompt.variable.user_name" = "Alice zebra",
            // The template's bare name is no attribute: content too, never exported as is.
            "gen_ai.prompt.variable" = 7_i64,
        )
        .entered();
    });
    let s = &spans[0];
    assert!(!has(s, "gen_ai.prompt.variable"));
    assert_eq!(str_attr(s, "gen_ai.prompt.name"), "greeting");
    assert_eq!(str_attr(s, "gen_ai.prompt.version"), "3");
    assert_eq!(i64_attr(s, "gen_ai.retrieval.top_k"), 5);
    assert!(bool_attr(s, "gen_ai.conversation.compacted"));
    assert!(!has(s, "gen_ai.memory.record.count"));
    assert_diagnostic(s, "gen_ai.memory.record.count");
    assert!(!everything(s).contains("zebra"), "{}", everything(s));
    assert!(
        diagnostics(s)
            .iter()
            .all(|d| !d.contains("not in the GenAI registry")),
        "{:?}",
        diagnostics(s)
    );
    let checked = crate::support::registry::check_types(&spans, crate::support::registry::cached());
    assert!(checked >= 5, "{checked}");
}

/// The conventions' own message fields win over legacy ones, recorded before or after them.
#[test]
fn recorded_messages_win_over_legacy_fields_in_any_order() {
    let typed = r#"[{"role":"user","parts":[{"type":"text","content":"typed"}]}]"#;
    let spans = Harness::builder()
        .content(ContentCapture::SpanOnly)
        .build()
        .collect_spans(|| {
            for legacy_first in [true, false] {
                let span = tracing::info_span!(
                    "llm",
                    gen_ai.operation.name = "chat",
                    gen_ai.request.model = if legacy_first { "a" } else { "b" },
                    gen_ai.prompt = Empty,
                    gen_ai.input.messages = Empty,
                );
                let _e = span.enter();
                if legacy_first {
                    span.record("gen_ai.prompt", "legacy");
                    span.record("gen_ai.input.messages", typed);
                } else {
                    span.record("gen_ai.input.messages", typed);
                    span.record("gen_ai.prompt", "legacy");
                }
            }
        });
    for name in ["chat a", "chat b"] {
        let input = messages(find(&spans, name), "gen_ai.input.messages");
        assert_eq!(input[0]["parts"][0]["content"], "typed", "{name}");
    }
}
