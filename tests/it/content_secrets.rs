//! Secrets never leave the process: planted keys in prompts, tool arguments, errors, custom
//! fields and events are absent from everything exported, with content capture on or off.
//! Plus the redaction hook.

use crate::support::Harness;
use crate::support::content::{attr_str, dump};
use serde_json::{Value, json};
use tracing_genai::{
    GenAiSpanExt,
    content::{
        ChatMessage, ContentCapture, ContentConfig, ContentKind, MessagePart, OutputMessage,
        REDACTED, SecretPattern,
    },
};

const OPENAI: &str = "sk-proj-Q1w2E3r4T5y6U7i8O9p0AaSsDdFfGg";
const ANTHROPIC: &str = "sk-ant-api03-ZxCvBnMmLkJhGfDsA1234567890";
const AWS: &str = "AKIAIOSFODNN7EXAMPLE";
const BEARER: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
const PASSWORD: &str = "hunter2-correct-horse";
const CUSTOM: &str = "acme_live_0123456789abcdef";

const ALL: [&str; 6] = [OPENAI, ANTHROPIC, AWS, BEARER, PASSWORD, CUSTOM];

#[derive(Debug, thiserror::Error)]
#[error("provider rejected key {0}")]
struct ApiError(String);

fn leaky_workload() {
    // Inference span: secrets in prompts, raw JSON content, custom fields, errors, events.
    let raw_input = json!([{"role": "user", "parts": [
        {"type": "text", "content": format!("my key is {OPENAI}, aws {AWS}")},
        {"type": "text", "content": format!("curl -H 'Authorization: Bearer {BEARER}'")}
    ]}])
    .to_string();
    let span = tracing::info_span!(
        "llm",
        gen_ai.operation.name = "chat",
        gen_ai.provider.name = "openai",
        gen_ai.request.model = "gpt-4o",
        gen_ai.input.messages = raw_input.as_str(),
        // a bad value echoed in a diagnostic
        gen_ai.request.temperature = OPENAI,
        // custom fields: named like secrets (dropped) and holding secrets (scrubbed)
        api_key = ANTHROPIC,
        password = PASSWORD,
        http_headers = format!("Authorization: Bearer {BEARER}").as_str(),
        note = format!("aws={AWS} custom={CUSTOM}").as_str(),
        config_dump = format!(r#"{{"password": "{PASSWORD}"}}"#).as_str(),
    );
    span.record_system_instructions(&[MessagePart::text(format!("Use key {ANTHROPIC}"))]);
    span.record_output_messages(&[OutputMessage::assistant(
        format!("Your key {OPENAI} is set. password={PASSWORD}"),
        "stop",
    )
    .with_part(MessagePart::tool_call(
        Some("c1"),
        "login",
        json!({"password": PASSWORD, "user": "bob", "headers": {"Authorization": format!("Bearer {BEARER}")}}),
    ))]);
    {
        let _e = span.enter();
        tracing::info!(token = BEARER, detail = %format!("retrying with {OPENAI}"), "retry");
        tracing::error!(error = %ApiError(AWS.to_string()), "request failed with {ANTHROPIC}");
    }
    span.record_genai_error(&ApiError(OPENAI.to_string()));
    drop(span);

    // Tool span: secrets in arguments and result, status description.
    let tool = tracing_genai::tool_span!(
        "login",
        gen_ai.tool.call.arguments =
            format!(r#"{{"api_key": "{ANTHROPIC}", "q": "{CUSTOM}"}}"#).as_str(),
        otel.status_description = format!("failed: {AWS}").as_str(),
        otel.status_code = "error",
    );
    tool.record_tool_call_result(&json!({"session": format!("Bearer {BEARER}"), "password": 1234}));
    drop(tool);
}

fn assert_no_secret(text: &str) {
    for secret in ALL {
        assert!(!text.contains(secret), "secret {secret} leaked:\n{text}");
    }
    // No fragment long enough to be useful either.
    for secret in ALL {
        assert!(
            !text.contains(&secret[..12]),
            "secret prefix of {secret} leaked:\n{text}"
        );
    }
}

#[test]
fn planted_secrets_never_exported_in_any_mode() {
    for mode in [
        ContentCapture::NoContent,
        ContentCapture::SpanOnly,
        ContentCapture::EventOnly,
        ContentCapture::SpanAndEvent,
    ] {
        let spans = Harness::builder()
            .content(mode)
            .content_config(
                ContentConfig::new().with_secret_pattern(SecretPattern::prefix("acme_live_", 8)),
            )
            .build()
            .collect_spans(leaky_workload);
        assert_eq!(spans.len(), 2);
        let text = dump(&spans);
        assert_no_secret(&text);
        assert!(
            text.contains(REDACTED),
            "{mode:?}: nothing was redacted?\n{text}"
        );
        // Not vacuous: the workload really was exported.
        assert!(text.contains("execute_tool login"));
        assert!(text.contains("http_headers"));
        // Secret-named fields are not exported, and not silently: named, value-less.
        assert!(
            text.contains("secret-named field api_key not exported")
                && text.contains("secret-named field password not exported"),
            "{mode:?}: {text}"
        );
        if mode.on_span() {
            let input = attr_str(&spans[0], "gen_ai.input.messages").unwrap();
            assert!(input.contains("my key is [REDACTED]"), "{input}");
            let result: Value =
                serde_json::from_str(&attr_str(&spans[1], "gen_ai.tool.call.result").unwrap())
                    .unwrap();
            assert_eq!(result["password"], REDACTED);
        }
    }
}

#[test]
fn redaction_hook_edits_and_drops_parts() {
    let spans = Harness::builder()
        .configure(|l| {
            l.with_content_capture(ContentCapture::SpanOnly)
                .with_content_config(ContentConfig::new().with_redactor(|cx, part| {
                    match (cx.kind, part) {
                        (_, MessagePart::Text { content }) => {
                            Some(MessagePart::text(content.replace("Alice", "<person>")))
                        }
                        (_, MessagePart::Blob { .. }) => None,
                        (
                            ContentKind::ToolCallArguments,
                            MessagePart::ToolCall { id, name, .. },
                        ) => Some(MessagePart::ToolCall {
                            id,
                            name,
                            arguments: Some(json!({"redacted": true})),
                        }),
                        (ContentKind::ToolCallResult, _) => None,
                        (_, other) => Some(other),
                    }
                }))
        })
        .build()
        .collect_spans(|| {
            let chat = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
            chat.record_input_messages(&[ChatMessage::user("I am Alice")
                .with_part(MessagePart::blob("image", Some("image/png"), "QUJD"))]);
            drop(chat);
            let tool = tracing_genai::tool_span!("lookup");
            tool.record_tool_call_arguments(&json!({"ssn": "123-45-6789"}));
            tool.record_tool_call_result(&json!({"address": "1 Main St"}));
        });
    let input: Value =
        serde_json::from_str(&attr_str(&spans[0], "gen_ai.input.messages").unwrap()).unwrap();
    assert_eq!(
        input,
        json!([{"role": "user", "parts": [{"type": "text", "content": "I am <person>"}]}])
    );
    let text = dump(&spans);
    assert!(
        !text.contains("123-45-6789") && !text.contains("Main St"),
        "{text}"
    );
    assert_eq!(
        attr_str(&spans[1], "gen_ai.tool.call.arguments").unwrap(),
        r#"{"redacted":true}"#
    );
    assert!(attr_str(&spans[1], "gen_ai.tool.call.result").is_none());
}

#[test]
fn panicking_hook_fails_closed() {
    let spans = Harness::builder()
        .configure(|l| {
            l.with_content_capture(ContentCapture::SpanOnly)
                .with_content_config(ContentConfig::new().with_redactor(|_, _| panic!("hook bug")))
        })
        .build()
        .collect_spans(|| {
            let chat = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
            chat.record_input_messages(&[ChatMessage::user("PRIVATE-TEXT")]);
        });
    let text = dump(&spans);
    assert!(!text.contains("PRIVATE-TEXT"), "{text}");
    assert!(text.contains("redaction hook panicked"), "{text}");
}
