//! [`TracedServer`]: an rmcp server handler whose handled requests are `mcp.server` spans.
//!
//! The type, its options and the session state live here; the
//! [`ServerHandler`](rmcp::ServerHandler) implementation (one span per request method) is in
//! `handler.rs`.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use opentelemetry::metrics::Meter;
use rmcp::ErrorData;
use rmcp::model::{Extensions, NotificationMetaObject};
use rmcp::service::{NotificationContext, Peer, RequestContext, RoleServer};
use serde_json::Value;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::http;
use super::metrics::DurationMetric;
use super::propagation;
use super::request::RequestFacts;
use super::span::{self, Context, Network, Outcome, Side};
use crate::semconv as sc;

/// An rmcp server [`ServerHandler`](rmcp::ServerHandler) whose every handled request is an
/// `mcp.server` span (kind `SERVER`), with the `mcp.server.operation.duration` histogram per
/// request and `mcp.server.session.duration` per session.
///
/// It is itself a `ServerHandler`, so it serves over any rmcp transport: `serve` on stdio or
/// any byte stream, and rmcp's streamable HTTP server
/// (`StreamableHttpService::new(|| Ok(TracedServer::new(MyServer)), ..)`, one per session).
///
/// - **Parent:** the W3C trace context in the request's `params._meta` (`traceparent`,
///   `tracestate`, as [`TracedClient`](super::TracedClient) sends it): the server span is a
///   child of the client span, in the same trace. Without one, the current span.
/// - **The span:** the attributes of the client span (`mcp.method.name`, `jsonrpc.request.id`,
///   `mcp.protocol.version`, `mcp.resource.uri`, `execute_tool` with `gen_ai.tool.name` and
///   content for `tools/call`), `error.type` and `rpc.response.status_code` for an error
///   returned by the handler, `error.type = tool_error` for a tool result with
///   `isError: true`.
/// - **Network:** a request that came over HTTP (rmcp's streamable HTTP server puts its
///   `http::request::Parts` in the request's extensions) has `network.transport = tcp`,
///   `network.protocol.name = http`, `network.protocol.version` and, in a stateful session,
///   `mcp.session.id` (the `Mcp-Session-Id` header); other requests have the
///   [`with_network_transport`](Self::with_network_transport) value (`pipe` by default).
/// - **Session:** `mcp.server.session.duration` from `initialize` to the end of the session
///   (the handler is dropped when its serving task ends). A handler that never handled
///   `initialize` (a stateless HTTP request, a throw-away instance) records no session.
///
/// ```no_run
/// use rmcp::ServiceExt;
/// use tracing_genai::mcp::TracedServer;
///
/// # #[derive(Clone)] struct MyServer;
/// # impl rmcp::ServerHandler for MyServer {}
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// // stdio: `rmcp::transport::stdio()` with rmcp's `transport-io` feature, or the pair below.
/// let running = TracedServer::new(MyServer)
///     .serve((tokio::io::stdin(), tokio::io::stdout()))
///     .await?;
/// running.waiting().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct TracedServer<S> {
    pub(super) inner: S,
    network: Network,
    operation: DurationMetric,
    session: DurationMetric,
    state: Mutex<SessionState>,
}

/// What the handler learnt about its session.
#[derive(Debug, Default)]
struct SessionState {
    /// When `initialize` was handled: the session's start.
    started: Option<Instant>,
    /// The negotiated `mcp.protocol.version`.
    protocol_version: Option<String>,
    /// The network of the last request.
    network: Option<Network>,
}

impl<S> TracedServer<S> {
    /// Wraps a server handler, with `network.transport = pipe` for requests that did not come
    /// over HTTP and the global meter.
    ///
    /// ```
    /// # #[derive(Clone)] struct MyServer;
    /// # impl rmcp::ServerHandler for MyServer {}
    /// let server = tracing_genai::mcp::TracedServer::new(MyServer);
    /// # drop(server);
    /// ```
    pub fn new(inner: S) -> Self {
        let meter = DurationMetric::global_meter();
        TracedServer {
            inner,
            network: Network::PIPE,
            operation: operation_metric(&meter),
            session: session_metric(&meter),
            state: Mutex::new(SessionState::default()),
        }
    }

    /// `network.transport` of requests that did not come over HTTP: `pipe` (stdio, the
    /// default); `None` leaves it out. Requests over rmcp's streamable HTTP server are always
    /// `tcp`.
    ///
    /// ```
    /// # #[derive(Clone)] struct MyServer;
    /// # impl rmcp::ServerHandler for MyServer {}
    /// use tracing_genai::semconv::NETWORK_TRANSPORT_PIPE;
    /// let server = tracing_genai::mcp::TracedServer::new(MyServer)
    ///     .with_network_transport(Some(NETWORK_TRANSPORT_PIPE));
    /// # drop(server);
    /// ```
    pub fn with_network_transport(mut self, transport: Option<&'static str>) -> Self {
        self.network.transport = transport;
        self
    }

    /// Records the server histograms on `meter` instead of the global meter.
    ///
    /// ```
    /// # #[derive(Clone)] struct MyServer;
    /// # impl rmcp::ServerHandler for MyServer {}
    /// let meter = opentelemetry::global::meter("my-server");
    /// let server = tracing_genai::mcp::TracedServer::new(MyServer).with_meter(&meter);
    /// # drop(server);
    /// ```
    pub fn with_meter(mut self, meter: &Meter) -> Self {
        self.operation = operation_metric(meter);
        self.session = session_metric(meter);
        self
    }

    /// The wrapped handler.
    ///
    /// ```
    /// # #[derive(Clone)] struct MyServer;
    /// # impl rmcp::ServerHandler for MyServer {}
    /// let server = tracing_genai::mcp::TracedServer::new(MyServer);
    /// let _inner: &MyServer = server.inner();
    /// ```
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn state(&self) -> MutexGuard<'_, SessionState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts the span of one request (`method`, `params` as JSON), a child of the trace
    /// context in its `_meta`.
    pub(super) fn begin(
        &self,
        method: &str,
        params: Option<Value>,
        context: &RequestContext<RoleServer>,
    ) -> Call {
        let incoming = Incoming {
            request_id: Some(context.id.to_string()),
            meta: &context.meta,
            extension_meta: None,
            extensions: &context.extensions,
            peer: &context.peer,
        };
        self.begin_incoming(method, params, incoming)
    }

    /// Starts the span of one notification (no `jsonrpc.request.id`). Its trace context is in
    /// the context's `meta`, or where rmcp 3.11 leaves it: in the context's extensions (its
    /// notification loop moves the extensions out before taking the meta from them).
    pub(super) fn begin_notification(
        &self,
        method: &str,
        params: Option<Value>,
        context: &NotificationContext<RoleServer>,
    ) -> Call {
        let extension_meta = context
            .extensions
            .get::<NotificationMetaObject>()
            .map(|m| &***m);
        let incoming = Incoming {
            request_id: None,
            meta: &context.meta,
            extension_meta,
            extensions: &context.extensions,
            peer: &context.peer,
        };
        self.begin_incoming(method, params, incoming)
    }

    fn begin_incoming(&self, method: &str, params: Option<Value>, context: Incoming<'_>) -> Call {
        let started = Instant::now();
        let facts = RequestFacts::from_json(&serde_json::json!({
            "method": method,
            "params": params,
        }));
        let http = http::request_facts(context.extensions);
        let network = http.as_ref().map_or(self.network, |h| h.network);
        let mut state = self.state();
        state.network = Some(network);
        // `initialize`: the version is the one negotiated, known from its result.
        let protocol_version = if method == "initialize" {
            state.started = Some(started);
            None
        } else {
            let known = context
                .peer
                .peer_info()
                .map(|info| info.protocol_version.to_string());
            if known.is_some() {
                state.protocol_version.clone_from(&known);
            }
            known.or_else(|| state.protocol_version.clone())
        };
        drop(state);
        let cx = Context {
            request_id: context.request_id,
            session_id: http.and_then(|h| h.session_id),
            protocol_version,
            network,
        };
        let span = span::start(Side::Server, &facts, &cx);
        let parent = propagation::extract(context.meta)
            .or_else(|| context.extension_meta.and_then(propagation::extract));
        if let Some(parent) = parent {
            // Fails only for a span without OpenTelemetry state (no layer): nothing to do.
            let _ = span.set_parent(parent);
        }
        Call {
            started,
            facts,
            cx,
            span,
        }
    }

    /// Runs the handler's future in the span of `call`, then records its outcome (`result`
    /// gives the JSON of a tool result) and the operation histogram.
    pub(super) async fn finish<T>(
        &self,
        call: Call,
        future: impl Future<Output = Result<T, ErrorData>>,
        result: impl Fn(&T) -> Option<Value>,
    ) -> Result<T, ErrorData> {
        let Call {
            started,
            facts,
            mut cx,
            span,
        } = call;
        let response = future.instrument(span.clone()).await;
        let json = response.as_ref().ok().and_then(&result);
        let outcome = match (&response, &json) {
            (Ok(_), Some(json)) => span::record_result(&span, &facts, json),
            (Ok(_), None) => Outcome::default(),
            (Err(error), _) => span::record_rpc_error(&span, error.code.0, &error.message),
        };
        if facts.method == "initialize"
            && let Some(version) = json
                .as_ref()
                .and_then(|v| v.get("protocolVersion"))
                .and_then(Value::as_str)
        {
            span::set(&span, sc::MCP_PROTOCOL_VERSION, Some(version));
            self.state().protocol_version = Some(version.to_string());
            cx.protocol_version = Some(version.to_string());
        }
        drop(span);
        self.operation
            .record_operation(started.elapsed(), &facts, &cx, &outcome);
        response
    }

    /// Runs a notification handler in the span of `call` (no outcome: notifications have no
    /// response), then records the operation histogram.
    pub(super) async fn finish_notification(&self, call: Call, future: impl Future<Output = ()>) {
        let Call {
            started,
            facts,
            cx,
            span,
        } = call;
        future.instrument(span.clone()).await;
        drop(span);
        self.operation
            .record_operation(started.elapsed(), &facts, &cx, &Outcome::default());
    }
}

/// What a request and a notification context have in common.
struct Incoming<'a> {
    request_id: Option<String>,
    meta: &'a serde_json::Map<String, Value>,
    extension_meta: Option<&'a serde_json::Map<String, Value>>,
    extensions: &'a Extensions,
    peer: &'a Peer<RoleServer>,
}

/// One request in flight: its span and what the histogram needs.
#[derive(Debug)]
pub(super) struct Call {
    started: Instant,
    facts: RequestFacts,
    cx: Context,
    span: tracing::Span,
}

impl<S> Drop for TracedServer<S> {
    fn drop(&mut self) {
        let state = std::mem::take(self.state.get_mut().unwrap_or_else(PoisonError::into_inner));
        if let Some(started) = state.started {
            self.session.record_session(
                started.elapsed(),
                state.protocol_version,
                state.network.unwrap_or(self.network),
                None,
            );
        }
    }
}

fn operation_metric(meter: &Meter) -> DurationMetric {
    DurationMetric::new(
        meter,
        sc::METRIC_MCP_SERVER_OPERATION_DURATION,
        "MCP request duration as observed on the receiver.",
    )
}

fn session_metric(meter: &Meter) -> DurationMetric {
    DurationMetric::new(
        meter,
        sc::METRIC_MCP_SERVER_SESSION_DURATION,
        "The duration of the MCP session as observed on the MCP server.",
    )
}
