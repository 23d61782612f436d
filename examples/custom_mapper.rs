//! Run with: cargo run --example custom_mapper
//!
//! Mappers customise the exported attributes: this one adds tenant and feature attributes,
//! renames one attribute and drops one.
//!
//! Exported through `tracing_genai::setup()` like every example (default: OTLP/HTTP to
//! http://localhost:4318; `docker compose up -d` starts Jaeger, UI at http://localhost:16686).
//! Without Docker, print each trace as a tree and the metrics as a table on stdout instead:
//! `OTEL_TRACES_EXPORTER=console cargo run --example custom_mapper`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use tracing_genai::{
    GenAiSpan, GenAiSpanExt,
    mapper::{Attributes, DropAttributes, RenameAttributes},
};

fn main() {
    let telemetry = common::start("custom-mapper", |config| {
        config.with_layer(|layer| {
            layer
                // Add: the tenant from the span's `tenant_id` field, and a constant feature name.
                .with_mapper(|span: &GenAiSpan, attrs: &mut Attributes<'_>| {
                    if let Some(tenant) = span.field("tenant_id") {
                        attrs.insert("app.tenant.id", tenant.to_string());
                    }
                    attrs.insert("app.feature", "support-bot");
                })
                // Rename: our dashboards use `app.conversation` for the conversation id.
                .with_mapper(RenameAttributes::new([(
                    "gen_ai.conversation.id",
                    "app.conversation",
                )]))
                // Drop: never export the user's e-mail address.
                .with_mapper(DropAttributes::new(["user_email"]))
        })
    });

    let llm = common::FakeLlm;
    let span = tracing_genai::genai_span!(
        "chat",
        "anthropic",
        "claude-sonnet-4",
        gen_ai.conversation.id = "conv-42",
        tenant_id = "acme",
        user_email = "jane@example.com",
    );
    {
        let _call = span.enter();
        let completion = llm
            .chat("claude-sonnet-4", "Summarise my last ticket")
            .unwrap();
        span.record_token_usage(completion.input_tokens, completion.output_tokens);
        span.record_finish_reasons([completion.finish_reason]);
    }
    drop(span);
    common::finish(telemetry);
}
