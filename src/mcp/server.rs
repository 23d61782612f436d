//! [`TracedServer`]: an rmcp server service whose handled requests are `mcp.server` spans.

use std::borrow::Cow;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use opentelemetry::metrics::Meter;
use rmcp::ErrorData;
use rmcp::model::{ClientNotification, ClientRequest, ProtocolVersion, ServerConfig, ServerResult};
use rmcp::service::{NotificationContext, RequestContext, RoleServer, Service};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::metrics::DurationMetric;
use super::propagation;
use super::request::RequestFacts;
use super::span::{self, Context, Outcome, Side};
use crate::semconv as sc;

/// An rmcp server [`Service`] (any [`ServerHandler`](rmcp::ServerHandler)) whose every handled
/// request is an `mcp.server` span (kind `SERVER`), the `mcp.server.operation.duration`
/// histogram per request and `mcp.server.session.duration` for the session.
///
/// - **Parent:** the W3C trace context in the request's `params._meta` (`traceparent`,
///   `tracestate`, as [`TracedClient`](super::TracedClient) sends it): the server span is a
///   child of the client span, in the same trace. Without one, the current span.
/// - **The span:** the attributes of the client span (`mcp.method.name`, `jsonrpc.request.id`,
///   `mcp.protocol.version`, `network.transport`, `mcp.resource.uri`, `execute_tool` with
///   `gen_ai.tool.name` and content for `tools/call`), `error.type` and
///   `rpc.response.status_code` for an error returned by the handler, `error.type =
///   tool_error` for a tool result with `isError: true`.
/// - **Session:** `mcp.server.session.duration` is recorded when the service is dropped (the
///   serving task ends), from when it was wrapped.
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
    inner: S,
    transport: Option<&'static str>,
    operation: DurationMetric,
    session: DurationMetric,
    started: Instant,
    protocol_version: Mutex<Option<String>>,
}

impl<S> TracedServer<S> {
    /// Wraps a server service, with `network.transport = pipe` and the global meter.
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
            transport: Some(sc::NETWORK_TRANSPORT_PIPE),
            operation: operation_metric(&meter),
            session: session_metric(&meter),
            started: Instant::now(),
            protocol_version: Mutex::new(None),
        }
    }

    /// `network.transport`: `pipe` (stdio, the default) or `tcp` (streamable HTTP).
    ///
    /// ```
    /// # #[derive(Clone)] struct MyServer;
    /// # impl rmcp::ServerHandler for MyServer {}
    /// use tracing_genai::semconv::NETWORK_TRANSPORT_TCP;
    /// let server = tracing_genai::mcp::TracedServer::new(MyServer)
    ///     .with_network_transport(Some(NETWORK_TRANSPORT_TCP));
    /// # drop(server);
    /// ```
    pub fn with_network_transport(mut self, transport: Option<&'static str>) -> Self {
        self.transport = transport;
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

    /// The wrapped service.
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
}

impl<S: Service<RoleServer>> Service<RoleServer> for TracedServer<S> {
    async fn handle_request(
        &self,
        request: ClientRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<ServerResult, ErrorData> {
        let started = Instant::now();
        let facts = serde_json::to_value(&request)
            .map(|v| RequestFacts::from_json(&v))
            .unwrap_or_default();
        // The `initialize` span takes the negotiated version from its result below (what the
        // peer info holds while it runs is the version the client asked for).
        let protocol_version = context
            .peer
            .peer_info()
            .filter(|_| facts.method != "initialize")
            .map(|info| info.protocol_version.to_string());
        if let Some(version) = &protocol_version {
            *self
                .protocol_version
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(version.clone());
        }
        let cx = Context {
            request_id: Some(context.id.to_string()),
            session_id: None,
            protocol_version,
            transport: self.transport,
        };
        let span = span::start(Side::Server, &facts, &cx);
        if let Some(parent) = propagation::extract(&context.meta) {
            // Fails only for a span without OpenTelemetry state (no layer): nothing to do.
            let _ = span.set_parent(parent);
        }
        let result = self
            .inner
            .handle_request(request, context)
            .instrument(span.clone())
            .await;
        let outcome = match &result {
            Ok(response) => match serde_json::to_value(response) {
                Ok(value) => {
                    // `initialize`: the negotiated version, not the one the client asked for.
                    let negotiated = value.get("protocolVersion").and_then(|v| v.as_str());
                    if let Some(version) = negotiated {
                        span::set(&span, sc::MCP_PROTOCOL_VERSION, Some(version));
                        *self
                            .protocol_version
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner) = Some(version.to_string());
                    }
                    span::record_result(&span, &facts, &value)
                }
                Err(_) => Outcome::default(),
            },
            Err(error) => span::record_rpc_error(&span, error.code.0, &error.message),
        };
        drop(span);
        self.operation
            .record_operation(started.elapsed(), &facts, &cx, &outcome);
        result
    }

    fn handle_notification(
        &self,
        notification: ClientNotification,
        context: NotificationContext<RoleServer>,
    ) -> impl Future<Output = Result<(), ErrorData>> + Send + '_ {
        self.inner.handle_notification(notification, context)
    }

    fn get_info(&self) -> ServerConfig {
        self.inner.get_info()
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        self.inner.supported_protocol_versions()
    }
}

impl<S> Drop for TracedServer<S> {
    fn drop(&mut self) {
        let version = self
            .protocol_version
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        self.session
            .record_session(self.started.elapsed(), version, self.transport, None);
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
