//! MCP (Model Context Protocol) client and server spans, metrics and trace context for the
//! official Rust SDK [`rmcp`] (feature `rmcp`).
//!
//! - [`TracedClient`] wraps a client [`Peer`](rmcp::service::Peer): each request or
//!   notification it sends is an `mcp.client` span named `{mcp.method.name} {target}`
//!   (`tools/call get_weather`), kind `CLIENT`, a child of the current span (a tool call inside
//!   an `invoke_agent` span nests under it), with the W3C trace context in `params._meta` and
//!   `mcp.client.operation.duration`.
//! - [`TracedClientService`] wraps the client's service (the `()` or
//!   [`ClientHandler`](rmcp::ClientHandler) given to `serve`): `mcp.client.session.duration`
//!   when the session ends, and [`TracedClient`]s sharing the session
//!   ([`client`](TracedClientService::client)).
//! - [`TracedServer`] wraps a [`ServerHandler`](rmcp::ServerHandler) and is one: each handled
//!   request or notification is an `mcp.server` span, kind `SERVER`, a child of the client's
//!   span when the message carries its trace context, with `mcp.server.operation.duration` and
//!   `mcp.server.session.duration`. It serves over stdio and over rmcp's streamable HTTP
//!   server, where requests also get `network.protocol.*` and `mcp.session.id`.
//! - `SessionIdClient` (feature `rmcp-streamable-http`) wraps the HTTP client of rmcp's
//!   streamable HTTP client transport so the client learns the `Mcp-Session-Id`.
//!
//! A `tools/call` span is also an `execute_tool` GenAI span (`gen_ai.tool.name`, and the
//! arguments and result as content when content capture is on), so the GenAI layer must be
//! installed, as for every span of this crate. The names are in [`semconv`](crate::semconv)
//! (`MCP_*`).
//!
//! ```no_run
//! use rmcp::ServiceExt;
//! use rmcp::model::CallToolRequestParams;
//! use tracing_genai::mcp::{TracedClient, TracedServer};
//!
//! # #[derive(Clone)] struct Tools;
//! # impl rmcp::ServerHandler for Tools {}
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let (client_io, server_io) = tokio::io::duplex(64 * 1024);
//! tokio::spawn(async move {
//!     if let Ok(server) = TracedServer::new(Tools).serve(server_io).await {
//!         let _ = server.waiting().await;
//!     }
//! });
//! let running = ().serve(client_io).await?;
//! let client = TracedClient::new(running.peer().clone());
//! let agent = tracing::info_span!("agent", gen_ai.operation.name = "invoke_agent");
//! let result = tracing::Instrument::instrument(
//!     client.call_tool(CallToolRequestParams::new("now")),
//!     agent,
//! )
//! .await?;
//! # drop(result);
//! # Ok(())
//! # }
//! ```
//!
//! Not traced: the client's `initialize` and `notifications/initialized` (rmcp sends them
//! inside `serve`, with no hook for the caller), `subscriptions/listen`, requests the server
//! sends to the client, and requests sent on the peer directly.

mod client;
mod client_session;
mod handler;
mod http;
#[cfg(feature = "rmcp-streamable-http")]
mod http_client;
mod metrics;
mod propagation;
mod request;
mod server;
mod span;

pub use client::TracedClient;
pub use client_session::TracedClientService;
#[cfg(feature = "rmcp-streamable-http")]
pub use http_client::SessionIdClient;
pub use server::TracedServer;
