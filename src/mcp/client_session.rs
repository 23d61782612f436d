//! [`TracedClientService`]: the client side of an MCP session, for
//! `mcp.client.session.duration`.
//!
//! A [`TracedClient`] wraps a [`Peer`], which is a cloneable handle and does not end with the
//! session. What does end with it is the client's service (the `()` or
//! [`ClientHandler`](rmcp::ClientHandler) given to `serve`), shared by the `RunningService`
//! and its serving task and dropped when both are gone. This wrapper records the session
//! histogram at that point, and hands out [`TracedClient`]s that share its session state.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use opentelemetry::metrics::Meter;
use rmcp::ErrorData;
use rmcp::model::{ClientConfig, ClientResult, ProtocolVersion, ServerNotification, ServerRequest};
use rmcp::service::{NotificationContext, Peer, RequestContext, RoleClient, Service};

use super::TracedClient;
use super::metrics::DurationMetric;
use super::span::Network;
use crate::semconv as sc;

/// What the session's clients learnt about it, shared by the service and its clients.
#[derive(Debug, Default)]
pub(crate) struct SessionState {
    /// The negotiated `mcp.protocol.version`.
    pub(crate) protocol_version: Option<String>,
    /// `mcp.session.id`, when the transport has one.
    pub(crate) session_id: Option<String>,
}

/// The session state shared by a [`TracedClientService`] and its [`TracedClient`]s.
#[derive(Debug, Clone, Default)]
pub(crate) struct SharedSession(Arc<Mutex<SessionState>>);

impl SharedSession {
    pub(crate) fn lock(&self) -> MutexGuard<'_, SessionState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A client [`Service`] (the `()` or [`ClientHandler`](rmcp::ClientHandler) given to
/// `serve`) that records `mcp.client.session.duration` (s) when the session ends, that is
/// when rmcp drops the service: the `RunningService` and its serving task share it, so on
/// `cancel()` or when `waiting()` returns (both consume the `RunningService`), or when the
/// `RunningService` is dropped (after `close()`, or anytime: the task is then cancelled). The
/// duration runs from the wrapping (just before `serve`, which sends `initialize`) to that
/// point; the attributes are `mcp.protocol.version` (as learnt by its clients) and
/// `network.*`. Not `error.type`: rmcp does not tell the service why the session ended.
///
/// Its [`client`](Self::client) method makes a [`TracedClient`] for the running session's
/// peer, with the same network attributes and meter and the session's protocol version and
/// `mcp.session.id`.
///
/// ```no_run
/// use rmcp::ServiceExt;
/// use tracing_genai::mcp::TracedClientService;
///
/// # async fn run(transport: tokio::io::DuplexStream) -> Result<(), Box<dyn std::error::Error>> {
/// let running = TracedClientService::new(()).serve(transport).await?;
/// let client = running.service().client(running.peer().clone());
/// let tools = client.list_tools(None).await?;
/// # drop(tools);
/// running.cancel().await?; // records mcp.client.session.duration
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct TracedClientService<S> {
    inner: S,
    network: Network,
    meter: Meter,
    session: DurationMetric,
    shared: SharedSession,
    started: Instant,
}

impl<S> TracedClientService<S> {
    /// Wraps a client service, with `network.transport = pipe` and the global meter.
    ///
    /// ```
    /// let service = tracing_genai::mcp::TracedClientService::new(());
    /// # drop(service);
    /// ```
    pub fn new(inner: S) -> Self {
        let meter = DurationMetric::global_meter();
        TracedClientService {
            inner,
            network: Network::PIPE,
            session: session_metric(&meter),
            meter,
            shared: SharedSession::default(),
            started: Instant::now(),
        }
    }

    /// The session runs over streamable HTTP: `network.transport = tcp` and
    /// `network.protocol.name = http` on the session and on its clients' spans.
    ///
    /// ```
    /// let service = tracing_genai::mcp::TracedClientService::new(()).over_streamable_http();
    /// # drop(service);
    /// ```
    pub fn over_streamable_http(mut self) -> Self {
        self.network = Network::HTTP;
        self
    }

    /// Records `mcp.client.session.duration`, and the operation histogram of its clients, on
    /// `meter` instead of the global meter.
    ///
    /// ```
    /// let meter = opentelemetry::global::meter("my-agent");
    /// let service = tracing_genai::mcp::TracedClientService::new(()).with_meter(&meter);
    /// # drop(service);
    /// ```
    pub fn with_meter(mut self, meter: &Meter) -> Self {
        self.session = session_metric(meter);
        self.meter = meter.clone();
        self
    }

    /// `mcp.session.id` of the session (and of its clients' spans), when the application
    /// knows it.
    ///
    /// ```
    /// let service = tracing_genai::mcp::TracedClientService::new(())
    ///     .with_session_id("191c4850af6c49e08843a3f6c80e5046");
    /// # drop(service);
    /// ```
    pub fn with_session_id(self, session_id: impl Into<String>) -> Self {
        self.shared.lock().session_id = Some(session_id.into());
        self
    }

    /// Wraps the HTTP client of rmcp's streamable HTTP client transport (a `reqwest::Client`,
    /// ...) so that this session learns its `Mcp-Session-Id`: `mcp.session.id` of its
    /// clients' spans (feature `rmcp-streamable-http`).
    ///
    /// ```no_run
    /// # fn f(http: impl rmcp::transport::streamable_http_client::StreamableHttpClient + Sync) {
    /// use rmcp::transport::StreamableHttpClientTransport;
    /// use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
    ///
    /// let service = tracing_genai::mcp::TracedClientService::new(()).over_streamable_http();
    /// let transport = StreamableHttpClientTransport::with_client(
    ///     service.streamable_http_client(http),
    ///     StreamableHttpClientTransportConfig::with_uri("http://127.0.0.1:8000/mcp"),
    /// );
    /// # drop((service, transport));
    /// # }
    /// ```
    #[cfg(feature = "rmcp-streamable-http")]
    pub fn streamable_http_client<C>(&self, client: C) -> super::SessionIdClient<C> {
        super::SessionIdClient::new(client, self.shared.clone())
    }

    /// A [`TracedClient`] for the running session's peer (`running.peer().clone()`), sharing
    /// this session's network attributes, meter, protocol version and session id.
    ///
    /// ```no_run
    /// # async fn f(running: rmcp::service::RunningService<rmcp::RoleClient, tracing_genai::mcp::TracedClientService<()>>) {
    /// let client = running.service().client(running.peer().clone());
    /// # drop(client);
    /// # }
    /// ```
    pub fn client(&self, peer: Peer<RoleClient>) -> TracedClient {
        if let Some(info) = peer.peer_info() {
            self.shared.lock().protocol_version = Some(info.protocol_version.to_string());
        }
        TracedClient::new(peer)
            .with_meter(&self.meter)
            .with_network(self.network)
            .with_session(self.shared.clone())
    }

    /// The wrapped service.
    ///
    /// ```
    /// let service = tracing_genai::mcp::TracedClientService::new(());
    /// let _inner: &() = service.inner();
    /// ```
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: Service<RoleClient>> Service<RoleClient> for TracedClientService<S> {
    fn handle_request(
        &self,
        request: ServerRequest,
        context: RequestContext<RoleClient>,
    ) -> impl Future<Output = Result<ClientResult, ErrorData>> + Send + '_ {
        self.inner.handle_request(request, context)
    }

    fn handle_notification(
        &self,
        notification: ServerNotification,
        context: NotificationContext<RoleClient>,
    ) -> impl Future<Output = Result<(), ErrorData>> + Send + '_ {
        self.inner.handle_notification(notification, context)
    }

    fn get_info(&self) -> ClientConfig {
        self.inner.get_info()
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        self.inner.supported_protocol_versions()
    }
}

impl<S> Drop for TracedClientService<S> {
    fn drop(&mut self) {
        let version = self.shared.lock().protocol_version.clone();
        self.session
            .record_session(self.started.elapsed(), version, self.network, None);
    }
}

fn session_metric(meter: &Meter) -> DurationMetric {
    DurationMetric::new(
        meter,
        sc::METRIC_MCP_CLIENT_SESSION_DURATION,
        "The duration of the MCP session as observed on the MCP client.",
    )
}
