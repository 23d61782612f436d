//! [`TracedClient`]: an rmcp client peer whose requests are `mcp.client` spans.

use std::time::Instant;

use opentelemetry::metrics::Meter;
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResult, ClientNotification, ClientRequest,
    GetMeta, GetPromptRequest, GetPromptRequestParams, GetPromptResult, ListToolsRequest,
    ListToolsResult, PaginatedRequestParams, ReadResourceRequest, ReadResourceRequestParams,
    ReadResourceResult, RequestMetaObject, ServerResult,
};
use rmcp::service::{Peer, PeerRequestOptions, RoleClient, ServiceError};
use tracing::Instrument;

use super::client_session::SharedSession;
use super::metrics::DurationMetric;
use super::propagation;
use super::request::RequestFacts;
use super::span::{self, Context, Network, Outcome, Side};
use crate::semconv as sc;

/// An rmcp client [`Peer`] whose every request is an `mcp.client` span (kind `CLIENT`), a
/// child of the current span, with the W3C trace context in the request's `params._meta`
/// and the `mcp.client.operation.duration` histogram.
///
/// Send requests through it instead of the peer: [`call_tool`](Self::call_tool),
/// [`list_tools`](Self::list_tools), [`read_resource`](Self::read_resource),
/// [`get_prompt`](Self::get_prompt), or any request with [`send_request`](Self::send_request).
/// rmcp sends requests from its own task, so the span must be made on the caller's side:
/// that is what makes a tool call nest under the caller's `invoke_agent` span.
///
/// - **The span** (`tools/call get_weather`, `resources/read`, `tools/list`):
///   `mcp.method.name`, `jsonrpc.request.id`, `mcp.protocol.version` (negotiated at
///   `initialize`), `mcp.session.id` ([`with_session_id`](Self::with_session_id)),
///   `network.transport` ([`with_network_transport`](Self::with_network_transport)),
///   `mcp.resource.uri`, `gen_ai.prompt.name`. A `tools/call` is an `execute_tool` GenAI span
///   with `gen_ai.tool.name` and, when content capture is on, `gen_ai.tool.call.arguments` and
///   `gen_ai.tool.call.result`.
/// - **Errors:** a JSON-RPC error sets `rpc.response.status_code` and `error.type` to its
///   code (`-32601`); a tool result with `isError: true` sets `error.type = tool_error`;
///   transport failures `transport_closed`, `timeout`, `cancelled`, ...
/// - **Metric:** `mcp.client.operation.duration` (s) on the global meter, or the one given to
///   [`with_meter`](Self::with_meter).
///
/// Without an installed [`GenAiLayer`](crate::GenAiLayer) the requests are sent unchanged.
///
/// ```no_run
/// use rmcp::ServiceExt;
/// use rmcp::model::CallToolRequestParams;
/// use tracing_genai::mcp::TracedClient;
///
/// # async fn run(transport: (tokio::io::DuplexStream, tokio::io::DuplexStream)) -> Result<(), Box<dyn std::error::Error>> {
/// let running = ().serve(transport).await?;
/// let client = TracedClient::new(running.peer().clone());
/// let mut args = serde_json::Map::new();
/// args.insert("city".into(), "Paris".into());
/// let result = client
///     .call_tool(CallToolRequestParams::new("get_weather").with_arguments(args))
///     .await?; // span `tools/call get_weather`
/// # drop(result);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct TracedClient {
    peer: Peer<RoleClient>,
    trace_context: bool,
    network: Network,
    session_id: Option<String>,
    session: Option<SharedSession>,
    metric: DurationMetric,
}

impl TracedClient {
    /// Wraps a client peer (`running_service.peer().clone()`), with trace context on,
    /// `network.transport = pipe` and the global meter.
    ///
    /// ```no_run
    /// # fn f(peer: rmcp::service::Peer<rmcp::service::RoleClient>) {
    /// let client = tracing_genai::mcp::TracedClient::new(peer);
    /// # drop(client);
    /// # }
    /// ```
    pub fn new(peer: Peer<RoleClient>) -> Self {
        TracedClient {
            peer,
            trace_context: true,
            network: Network::PIPE,
            session_id: None,
            session: None,
            metric: client_metric(&DurationMetric::global_meter()),
        }
    }

    /// Whether to add the W3C trace context of the span (`traceparent`, `tracestate`) to
    /// each request's `params._meta` (default `true`).
    ///
    /// ```no_run
    /// # fn f(client: tracing_genai::mcp::TracedClient) {
    /// let client = client.with_trace_context(false);
    /// # drop(client);
    /// # }
    /// ```
    pub fn with_trace_context(mut self, enabled: bool) -> Self {
        self.trace_context = enabled;
        self
    }

    /// `network.transport`: [`NETWORK_TRANSPORT_PIPE`](sc::NETWORK_TRANSPORT_PIPE) (stdio, the
    /// default) or [`NETWORK_TRANSPORT_TCP`](sc::NETWORK_TRANSPORT_TCP) (streamable HTTP);
    /// `None` leaves it out.
    ///
    /// ```no_run
    /// use tracing_genai::semconv::NETWORK_TRANSPORT_TCP;
    /// # fn f(client: tracing_genai::mcp::TracedClient) {
    /// let client = client.with_network_transport(Some(NETWORK_TRANSPORT_TCP));
    /// # drop(client);
    /// # }
    /// ```
    pub fn with_network_transport(mut self, transport: Option<&'static str>) -> Self {
        self.network.transport = transport;
        self
    }

    /// The session runs over streamable HTTP: `network.transport = tcp` and
    /// `network.protocol.name = http` (what [`TracedClientService::over_streamable_http`]
    /// sets on the clients it makes).
    ///
    /// [`TracedClientService::over_streamable_http`]: super::TracedClientService::over_streamable_http
    ///
    /// ```no_run
    /// # fn f(client: tracing_genai::mcp::TracedClient) {
    /// let client = client.over_streamable_http();
    /// # drop(client);
    /// # }
    /// ```
    pub fn over_streamable_http(self) -> Self {
        self.with_network(Network::HTTP)
    }

    pub(super) fn with_network(mut self, network: Network) -> Self {
        self.network = network;
        self
    }

    /// Shares the session state of a [`TracedClientService`](super::TracedClientService).
    pub(super) fn with_session(mut self, session: SharedSession) -> Self {
        self.session = Some(session);
        self
    }

    /// `mcp.session.id` of every span (the `Mcp-Session-Id` of a streamable HTTP session).
    ///
    /// ```no_run
    /// # fn f(client: tracing_genai::mcp::TracedClient) {
    /// let client = client.with_session_id("191c4850af6c49e08843a3f6c80e5046");
    /// # drop(client);
    /// # }
    /// ```
    pub fn with_session_id(mut self, session_id: impl Into<String>) -> Self {
        self.session_id = Some(session_id.into());
        self
    }

    /// Records `mcp.client.operation.duration` on `meter` instead of the global meter.
    ///
    /// ```no_run
    /// # fn f(client: tracing_genai::mcp::TracedClient) {
    /// let meter = opentelemetry::global::meter("my-app");
    /// let client = client.with_meter(&meter);
    /// # drop(client);
    /// # }
    /// ```
    pub fn with_meter(mut self, meter: &Meter) -> Self {
        self.metric = client_metric(meter);
        self
    }

    /// The wrapped peer (requests sent on it directly are not traced).
    ///
    /// ```no_run
    /// # fn f(client: tracing_genai::mcp::TracedClient) {
    /// let info = client.peer().peer_info();
    /// # drop(info);
    /// # }
    /// ```
    pub fn peer(&self) -> &Peer<RoleClient> {
        &self.peer
    }

    /// Sends any request in an `mcp.client` span and waits for its response.
    ///
    /// # Errors
    ///
    /// The peer's [`ServiceError`]: a JSON-RPC error response
    /// ([`ServiceError::McpError`]), a closed transport, a timeout.
    ///
    /// ```no_run
    /// use rmcp::model::{ClientRequest, PingRequest};
    /// # async fn f(client: tracing_genai::mcp::TracedClient) -> Result<(), rmcp::ServiceError> {
    /// client.send_request(ClientRequest::PingRequest(PingRequest::default())).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_request(&self, request: ClientRequest) -> Result<ServerResult, ServiceError> {
        let started = Instant::now();
        let facts = serde_json::to_value(&request)
            .map(|v| RequestFacts::from_json(&v))
            .unwrap_or_default();
        let cx = self.context();
        let span = span::start(Side::Client, &facts, &cx);
        let mut options = PeerRequestOptions::no_options();
        if self.trace_context {
            let fields = propagation::inject(&span);
            if !fields.is_empty() {
                options = options.with_meta(RequestMetaObject::from(fields));
            }
        }
        let result = async {
            let handle = self.peer.send_request_with_option(request, options).await?;
            span::set(&span, sc::JSONRPC_REQUEST_ID, Some(&handle.id.to_string()));
            handle.await_response().await
        }
        .instrument(span.clone())
        .await;
        let outcome = match &result {
            Ok(response) => match serde_json::to_value(response) {
                Ok(value) => span::record_result(&span, &facts, &value),
                Err(_) => Outcome::default(),
            },
            Err(ServiceError::McpError(error)) => {
                span::record_rpc_error(&span, error.code.0, &error.message)
            }
            Err(error) => span::record_failure(&span, service_error_type(error), error),
        };
        drop(span);
        self.metric
            .record_operation(started.elapsed(), &facts, &cx, &outcome);
        result
    }

    /// The per-request facts of the session: protocol version (learnt from the peer, shared
    /// with the session), session id, network.
    fn context(&self) -> Context {
        let mut protocol_version = self
            .peer
            .peer_info()
            .map(|info| info.protocol_version.to_string());
        let mut session_id = self.session_id.clone();
        if let Some(session) = &self.session {
            let mut state = session.lock();
            if protocol_version.is_some() {
                state.protocol_version.clone_from(&protocol_version);
            } else {
                protocol_version.clone_from(&state.protocol_version);
            }
            if session_id.is_none() {
                session_id.clone_from(&state.session_id);
            }
        }
        Context {
            request_id: None,
            session_id,
            protocol_version,
            network: self.network,
        }
    }

    /// Sends a notification (`notifications/cancelled`, `notifications/progress`, ...) in an
    /// `mcp.client` span, with the W3C trace context in its `params._meta` (unless turned off
    /// with [`with_trace_context`](Self::with_trace_context)), and the operation histogram.
    ///
    /// # Errors
    ///
    /// The peer's [`ServiceError`]: a closed transport.
    ///
    /// ```no_run
    /// use rmcp::model::{CancelledNotification, CancelledNotificationParam, ClientNotification, RequestId};
    /// # async fn f(client: tracing_genai::mcp::TracedClient) -> Result<(), rmcp::ServiceError> {
    /// let params = CancelledNotificationParam::new(Some(RequestId::Number(7)), None);
    /// let cancelled = ClientNotification::CancelledNotification(CancelledNotification::new(params));
    /// client.send_notification(cancelled).await?; // span `notifications/cancelled`
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_notification(
        &self,
        mut notification: ClientNotification,
    ) -> Result<(), ServiceError> {
        let started = Instant::now();
        let facts = serde_json::to_value(&notification)
            .map(|v| RequestFacts::from_json(&v))
            .unwrap_or_default();
        let cx = self.context();
        let span = span::start(Side::Client, &facts, &cx);
        if self.trace_context {
            let meta: &mut serde_json::Map<String, serde_json::Value> = notification.get_meta_mut();
            meta.extend(propagation::inject(&span));
        }
        let result = self
            .peer
            .send_notification(notification)
            .instrument(span.clone())
            .await;
        let outcome = match &result {
            Ok(()) => Outcome::default(),
            Err(error) => span::record_failure(&span, service_error_type(error), error),
        };
        drop(span);
        self.metric
            .record_operation(started.elapsed(), &facts, &cx, &outcome);
        result
    }

    /// `tools/call`: an `execute_tool` span named `tools/call {tool}`.
    ///
    /// # Errors
    ///
    /// As [`send_request`](Self::send_request); [`ServiceError::UnexpectedResponse`] for a
    /// response that is not a tool result. A tool error (`isError: true`) is an `Ok` result.
    ///
    /// ```no_run
    /// use rmcp::model::CallToolRequestParams;
    /// # async fn f(client: tracing_genai::mcp::TracedClient) -> Result<(), rmcp::ServiceError> {
    /// let result = client.call_tool(CallToolRequestParams::new("now")).await?;
    /// # drop(result);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn call_tool(
        &self,
        params: CallToolRequestParams,
    ) -> Result<CallToolResult, ServiceError> {
        let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
        match self.send_request(request).await? {
            ServerResult::CallToolResult(result) => Ok(result),
            _ => Err(ServiceError::UnexpectedResponse),
        }
    }

    /// `tools/list`: one page of the server's tools.
    ///
    /// # Errors
    ///
    /// As [`send_request`](Self::send_request).
    ///
    /// ```no_run
    /// # async fn f(client: tracing_genai::mcp::TracedClient) -> Result<(), rmcp::ServiceError> {
    /// let tools = client.list_tools(None).await?.tools;
    /// # drop(tools);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn list_tools(
        &self,
        params: Option<PaginatedRequestParams>,
    ) -> Result<ListToolsResult, ServiceError> {
        let request = ClientRequest::ListToolsRequest(ListToolsRequest {
            method: Default::default(),
            params,
            extensions: Default::default(),
        });
        match self.send_request(request).await? {
            ServerResult::ListToolsResult(result) => Ok(result),
            _ => Err(ServiceError::UnexpectedResponse),
        }
    }

    /// `resources/read`: a span named `resources/read {uri}` with `mcp.resource.uri`.
    ///
    /// # Errors
    ///
    /// As [`send_request`](Self::send_request).
    ///
    /// ```no_run
    /// use rmcp::model::ReadResourceRequestParams;
    /// # async fn f(client: tracing_genai::mcp::TracedClient) -> Result<(), rmcp::ServiceError> {
    /// let read = client.read_resource(ReadResourceRequestParams::new("file:///notes.txt")).await?;
    /// # drop(read);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn read_resource(
        &self,
        params: ReadResourceRequestParams,
    ) -> Result<ReadResourceResult, ServiceError> {
        let request = ClientRequest::ReadResourceRequest(ReadResourceRequest::new(params));
        match self.send_request(request).await? {
            ServerResult::ReadResourceResult(result) => Ok(result),
            _ => Err(ServiceError::UnexpectedResponse),
        }
    }

    /// `prompts/get`: a span named `prompts/get {name}` with `gen_ai.prompt.name`.
    ///
    /// # Errors
    ///
    /// As [`send_request`](Self::send_request).
    ///
    /// ```no_run
    /// use rmcp::model::GetPromptRequestParams;
    /// # async fn f(client: tracing_genai::mcp::TracedClient) -> Result<(), rmcp::ServiceError> {
    /// let prompt = client.get_prompt(GetPromptRequestParams::new("summarize")).await?;
    /// # drop(prompt);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_prompt(
        &self,
        params: GetPromptRequestParams,
    ) -> Result<GetPromptResult, ServiceError> {
        let request = ClientRequest::GetPromptRequest(GetPromptRequest::new(params));
        match self.send_request(request).await? {
            ServerResult::GetPromptResult(result) => Ok(result),
            _ => Err(ServiceError::UnexpectedResponse),
        }
    }
}

fn client_metric(meter: &Meter) -> DurationMetric {
    DurationMetric::new(
        meter,
        sc::METRIC_MCP_CLIENT_OPERATION_DURATION,
        "The duration of the MCP request as observed on the sender.",
    )
}

/// `error.type` of a failure without a JSON-RPC error.
fn service_error_type(error: &ServiceError) -> &'static str {
    match error {
        ServiceError::TransportClosed => "transport_closed",
        ServiceError::TransportSend(_) => "transport_send",
        ServiceError::Timeout { .. } => "timeout",
        ServiceError::Cancelled { .. } => "cancelled",
        ServiceError::UnexpectedResponse => "unexpected_response",
        _ => sc::ERROR_TYPE_OTHER,
    }
}
