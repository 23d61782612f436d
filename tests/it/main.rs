//! The integration tests: one test binary, one module per behaviour, the shared harness in
//! `support`. Tests that need a process of their own (environment variables, the global
//! subscriber or OpenTelemetry providers, process-wide heap and RSS) re-run themselves alone in a
//! child process of this binary (`support::process`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Test helpers are `pub` inside the private `support` module: shared between modules, never API.
#![allow(unreachable_pub)]

mod support;

/// For the whole binary: counts live heap bytes (process-wide, read by `memory_bounded` in its
/// own process) and allocations per thread while a test asks (`alloc_free`).
#[global_allocator]
static ALLOCATOR: support::alloc::Counting = support::alloc::Counting;

mod accounting;
mod aliases;
mod alloc_free;
#[cfg(feature = "otlp-http")]
mod backend_recipes;
mod bad_input;
mod bad_input_props;
mod bridging;
mod bridging_rules;
mod compose_file;
mod concurrency;
#[cfg(feature = "setup")]
mod console;
mod content_capture;
mod content_env;
mod content_schema;
mod content_secrets;
mod content_truncation;
#[cfg(feature = "otlp-http")]
mod content_wire;
mod conventions;
mod cost_alerts;
#[cfg(feature = "ecosystem-tests")]
mod ecosystem_genai;
#[cfg(feature = "ecosystem-tests")]
mod ecosystem_rig;
mod errors;
mod events;
mod extensions;
#[cfg(feature = "async-openai")]
mod http_async_openai;
#[cfg(feature = "reqwest")]
mod http_azure;
#[cfg(feature = "reqwest")]
mod http_middleware;
mod http_parse;
#[cfg(feature = "reqwest")]
mod http_streaming;
mod mapper;
#[cfg(feature = "rmcp")]
mod mcp;
#[cfg(feature = "rmcp-streamable-http")]
mod mcp_http;
#[cfg(feature = "rmcp")]
mod mcp_notifications;
#[cfg(feature = "rmcp")]
mod mcp_session;
#[cfg(feature = "otlp-http")]
mod memory_bounded;
mod metrics;
mod nesting;
mod operations;
mod passthrough;
mod recording;
mod registry;
mod sampling;
mod semconv_versions;
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
mod setup_e2e;
#[cfg(feature = "otlp-http")]
mod setup_failures;
#[cfg(feature = "otlp-http")]
mod setup_faults;
#[cfg(feature = "otlp-grpc")]
mod setup_grpc_failures;
#[cfg(feature = "otlp-http")]
mod setup_logs;
#[cfg(feature = "otlp-http")]
mod setup_metrics;
#[cfg(feature = "otlp-http")]
mod setup_pipeline;
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
mod setup_tls;
mod streaming;
#[cfg(feature = "setup")]
mod support_receivers;
mod types;
