//! [`SessionIdClient`]: the HTTP client of rmcp's streamable HTTP client transport, observed
//! for the session's `Mcp-Session-Id` (feature `rmcp-streamable-http`).
//!
//! rmcp keeps the session id inside its transport worker; the one place it passes through
//! application code is the [`StreamableHttpClient`] the transport posts with: the
//! `initialize` response carries it, and every later request is sent with it. This wrapper
//! forwards every call to the wrapped client unchanged (limits included) and copies the id
//! into the session state of its [`TracedClientService`](super::TracedClientService).

use std::collections::HashMap;
use std::sync::Arc;

use http::{HeaderName, HeaderValue};
use rmcp::model::ClientJsonRpcMessage;
use rmcp::transport::common::client_side_sse::BoxedSseResponse;
use rmcp::transport::streamable_http_client::{
    StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse,
    StreamableHttpResponseLimits,
};

use super::client_session::SharedSession;

type PostResult<E> = Result<StreamableHttpPostResponse, StreamableHttpError<E>>;

/// A [`StreamableHttpClient`] (such as `reqwest::Client`) that reports the session's
/// `Mcp-Session-Id` to a [`TracedClientService`](super::TracedClientService), whose clients
/// then set `mcp.session.id` on their spans. Made by
/// [`TracedClientService::streamable_http_client`](super::TracedClientService::streamable_http_client).
///
/// ```no_run
/// use rmcp::ServiceExt;
/// use rmcp::transport::StreamableHttpClientTransport;
/// use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
/// use tracing_genai::mcp::TracedClientService;
///
/// # async fn run(http: impl rmcp::transport::streamable_http_client::StreamableHttpClient + Sync) -> Result<(), Box<dyn std::error::Error>> {
/// let service = TracedClientService::new(()).over_streamable_http();
/// let transport = StreamableHttpClientTransport::with_client(
///     service.streamable_http_client(http), // e.g. a `reqwest::Client`
///     StreamableHttpClientTransportConfig::with_uri("http://127.0.0.1:8000/mcp"),
/// );
/// let running = service.serve(transport).await?;
/// let client = running.service().client(running.peer().clone()); // spans with mcp.session.id
/// # drop(client);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SessionIdClient<C> {
    inner: C,
    session: SharedSession,
}

impl<C> SessionIdClient<C> {
    pub(super) fn new(inner: C, session: SharedSession) -> Self {
        SessionIdClient { inner, session }
    }

    /// The wrapped HTTP client.
    ///
    /// ```
    /// # fn f(client: tracing_genai::mcp::SessionIdClient<()>) {
    /// let _inner: &() = client.inner();
    /// # }
    /// ```
    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// Records the id a request is sent with (every request after `initialize`).
    fn sent_with(&self, session_id: Option<&Arc<str>>) {
        if let Some(id) = session_id.filter(|id| !id.is_empty()) {
            self.record(id);
        }
    }

    /// Records the id the server assigned in a response (`initialize`).
    fn received<E: std::error::Error + Send + Sync + 'static>(
        &self,
        response: PostResult<E>,
    ) -> PostResult<E> {
        if let Ok(
            StreamableHttpPostResponse::Json(_, Some(id))
            | StreamableHttpPostResponse::Sse(_, Some(id)),
        ) = &response
            && !id.is_empty()
        {
            self.record(id);
        }
        response
    }

    fn record(&self, id: &str) {
        let mut state = self.session.lock();
        if state.session_id.as_deref() != Some(id) {
            state.session_id = Some(id.to_string());
        }
    }
}

impl<C: StreamableHttpClient + Sync> StreamableHttpClient for SessionIdClient<C> {
    type Error = C::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> PostResult<Self::Error> {
        self.sent_with(session_id.as_ref());
        let response = self
            .inner
            .post_message(uri, message, session_id, auth_header, custom_headers)
            .await;
        self.received(response)
    }

    async fn post_message_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> PostResult<Self::Error> {
        self.sent_with(session_id.as_ref());
        let response = self
            .inner
            .post_message_with_max_sse_event_size(
                uri,
                message,
                session_id,
                auth_header,
                custom_headers,
                max_sse_event_size,
            )
            .await;
        self.received(response)
    }

    async fn post_message_with_response_limits(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        limits: StreamableHttpResponseLimits,
    ) -> PostResult<Self::Error> {
        self.sent_with(session_id.as_ref());
        let response = self
            .inner
            .post_message_with_response_limits(
                uri,
                message,
                session_id,
                auth_header,
                custom_headers,
                limits,
            )
            .await;
        self.received(response)
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), StreamableHttpError<Self::Error>> {
        self.inner
            .delete_session(uri, session_id, auth_header, custom_headers)
            .await
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<BoxedSseResponse, StreamableHttpError<Self::Error>> {
        self.sent_with(session_id.as_ref());
        self.inner
            .get_stream(uri, session_id, last_event_id, auth_header, custom_headers)
            .await
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<BoxedSseResponse, StreamableHttpError<Self::Error>> {
        self.sent_with(session_id.as_ref());
        self.inner
            .get_stream_with_max_sse_event_size(
                uri,
                session_id,
                last_event_id,
                auth_header,
                custom_headers,
                max_sse_event_size,
            )
            .await
    }
}
