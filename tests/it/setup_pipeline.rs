//! `Config::build()` for applications with their own subscriber: mappers via `with_layer`,
//! resource attributes, head sampling.

use crate::support::otlp::{self, Behavior, attr};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use tracing_genai::{
    GenAiSpan, GenAiSpanExt,
    mapper::{Attributes, DropAttributes, RenameAttributes},
};
use tracing_subscriber::layer::SubscriberExt;

#[test]
fn layer_customisation_and_resource_reach_the_wire() {
    let receiver = otlp::start_http(Behavior::Accept);
    let config = tracing_genai::Config::from_env_vars([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.http_base()),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            "deployment.environment.name=test,service.name=attrs".to_string(),
        ),
    ])
    .unwrap()
    .with_resource_attribute("service.version", "1.2.3")
    .with_layer(|layer| {
        layer.with_mapper(|span: &GenAiSpan, attrs: &mut Attributes<'_>| {
            if let Some(tenant) = span.field("tenant_id") {
                attrs.insert("app.tenant.id", tenant.to_string());
            }
        })
    })
    .with_layer(|layer| {
        layer
            .with_mapper(RenameAttributes::new([(
                "gen_ai.conversation.id",
                "app.conversation",
            )]))
            .with_mapper(DropAttributes::new(["user_email"]))
    });
    let (layer, guard) = config.build().unwrap().layer();
    // The application's own subscriber stack.
    let subscriber = tracing_subscriber::registry()
        .with(layer)
        .with(tracing_subscriber::fmt::layer().with_test_writer());
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing_genai::genai_span!(
            "chat",
            "anthropic",
            "claude-sonnet-4",
            gen_ai.conversation.id = "conv-1",
            tenant_id = "acme",
            user_email = "a@b.c",
        );
        span.record_token_usage(1, 2);
    });
    let report = guard.shutdown().unwrap();
    assert_eq!(report.exported, 1);

    let spans = receiver.spans();
    let chat = &spans[0];
    assert_eq!(chat.service_name.as_deref(), Some("attrs"));
    assert_eq!(
        attr(&chat.span, "app.tenant.id"),
        Some(&Value::StringValue("acme".into()))
    );
    assert_eq!(
        attr(&chat.span, "app.conversation"),
        Some(&Value::StringValue("conv-1".into()))
    );
    assert_eq!(attr(&chat.span, "gen_ai.conversation.id"), None);
    assert_eq!(attr(&chat.span, "user_email"), None);
}

#[test]
fn always_off_sampler_exports_nothing_and_reports_complete() {
    let receiver = otlp::start_http(Behavior::Accept);
    let config = tracing_genai::Config::from_env_vars([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.http_base()),
        ("OTEL_TRACES_SAMPLER", "always_off".to_string()),
    ])
    .unwrap();
    let (layer, guard) = config.build().unwrap().layer();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        drop(tracing_genai::genai_span!(
            "chat",
            "openai",
            "gpt-4o",
            gen_ai.request.seed = 1_i64
        ));
    });
    let report = guard.shutdown().unwrap();
    assert_eq!((report.ended, report.exported), (0, 0));
    assert_eq!(receiver.attempts(), 0);
}

#[test]
fn http_pipeline_inside_current_thread_runtime() {
    let receiver = otlp::start_http(Behavior::Accept);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = runtime.block_on(async {
        // Built, used and shut down on the runtime's only thread.
        let config = tracing_genai::Config::default().with_endpoint(receiver.http_base());
        let (layer, guard) = config.build().unwrap().layer();
        let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
        drop(tracing_genai::genai_span!(
            "chat",
            "openai",
            "gpt-4o",
            gen_ai.request.seed = 7_i64
        ));
        tokio::task::yield_now().await;
        guard.shutdown()
    });
    assert_eq!(report.unwrap().exported, 1);
    assert_eq!(receiver.spans()[0].span.name, "chat gpt-4o");
}

/// The exporter's own crates are left out by crate, not by prefix: an application's
/// `reqwest_tracing` or `hyperion` spans are exported, `reqwest::connect` and
/// `tower_http::trace` spans are not.
#[test]
fn the_exporters_crates_are_excluded_by_crate_not_by_prefix() {
    let receiver = otlp::start_http(Behavior::Accept);
    let config = tracing_genai::Config::from_env_vars([(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        receiver.http_base(),
    )])
    .unwrap();
    let (layer, guard) = config.build().unwrap().layer();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        drop(tracing::info_span!(target: "reqwest_tracing::reqwest_otel_span_builder", "POST"));
        drop(tracing::info_span!(target: "reqwest_middleware", "middleware"));
        drop(tracing::info_span!(target: "hyperion::server", "hyperion"));
        drop(tracing::info_span!(target: "towerdb", "towerdb"));
        drop(tracing::info_span!(target: "reqwest::connect", "connect"));
        drop(tracing::info_span!(target: "hyper_util::client::legacy", "pool"));
        drop(tracing::info_span!(target: "tower_http::trace::make_span", "request"));
        drop(tracing::info_span!(target: "opentelemetry_sdk", "sdk"));
        drop(tracing::debug_span!(target: "my_app", "below the level"));
    });
    let report = guard.shutdown().unwrap();
    let mut names: Vec<String> = receiver
        .spans()
        .iter()
        .map(|s| s.span.name.clone())
        .collect();
    names.sort();
    assert_eq!(names, ["POST", "hyperion", "middleware", "towerdb"]);
    assert_eq!(report.exported, 4);
}
