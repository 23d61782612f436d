//! [`GenAiHttpService`]: GenAI spans for [`async_openai`] clients.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use reqwest_middleware::ClientWithMiddleware;

use super::middleware::GenAiMiddleware;

/// A tower service for [`async_openai::Client::with_http_service`] that sends async-openai's
/// requests through [`GenAiMiddleware`]: chat (streamed or not), completions, embeddings and
/// Responses calls get the same GenAI spans as with a plain `reqwest` client, and streams keep
/// their span open until async-openai has read them to the end (or dropped them).
///
/// It replaces async-openai's default HTTP executor and with it async-openai's built-in retry
/// layer; add `async_openai::middleware::retry::OpenAIRetryLayer` around it to retry (one span
/// per attempt), or build it [`from_client`](Self::from_client) with a `reqwest-retry`
/// middleware between [`GenAiMiddleware`] and its
/// [`retry_observer`](GenAiMiddleware::retry_observer) (one span per call).
///
/// ```
/// use async_openai::{config::OpenAIConfig, Client};
/// use tracing_genai::http::GenAiHttpService;
///
/// let config = OpenAIConfig::new().with_api_base("http://localhost:8000/v1");
/// let client = Client::with_config(config)
///     .with_http_service(GenAiHttpService::new(reqwest::Client::new()));
/// # drop(client);
/// ```
#[derive(Clone, Debug)]
pub struct GenAiHttpService {
    client: ClientWithMiddleware,
}

impl GenAiHttpService {
    /// Sends requests with `client` through a default [`GenAiMiddleware`].
    ///
    /// ```
    /// let service = tracing_genai::http::GenAiHttpService::new(reqwest::Client::new());
    /// # drop(service);
    /// ```
    pub fn new(client: reqwest::Client) -> Self {
        Self::with_middleware(client, GenAiMiddleware::new())
    }

    /// Sends requests with `client` through `middleware` (provider names, trace context, ...).
    ///
    /// ```
    /// use tracing_genai::http::{GenAiHttpService, GenAiMiddleware};
    ///
    /// let service = GenAiHttpService::with_middleware(
    ///     reqwest::Client::new(),
    ///     GenAiMiddleware::new().with_provider_for_host("localhost:8000", "vllm"),
    /// );
    /// # drop(service);
    /// ```
    pub fn with_middleware(client: reqwest::Client, middleware: GenAiMiddleware) -> Self {
        Self::from_client(
            reqwest_middleware::ClientBuilder::new(client)
                .with(middleware)
                .build(),
        )
    }

    /// Sends requests with a middleware client you built (it should contain a
    /// [`GenAiMiddleware`]).
    ///
    /// ```
    /// use tracing_genai::http::{GenAiHttpService, GenAiMiddleware};
    ///
    /// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
    ///     .with(GenAiMiddleware::new())
    ///     .build();
    /// let service = GenAiHttpService::from_client(client);
    /// # drop(service);
    /// ```
    pub fn from_client(client: ClientWithMiddleware) -> Self {
        GenAiHttpService { client }
    }
}

fn to_openai_error(error: reqwest_middleware::Error) -> OpenAIError {
    match error {
        reqwest_middleware::Error::Reqwest(e) => OpenAIError::Reqwest(e),
        reqwest_middleware::Error::Middleware(e) => OpenAIError::Boxed(e.into()),
    }
}

impl tower_service::Service<HttpRequestFactory> for GenAiHttpService {
    type Response = reqwest::Response;
    type Error = OpenAIError;
    type Future = Pin<Box<dyn Future<Output = Result<reqwest::Response, OpenAIError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, factory: HttpRequestFactory) -> Self::Future {
        let client = self.client.clone();
        Box::pin(async move {
            let request = factory.build().await?;
            client.execute(request).await.map_err(to_openai_error)
        })
    }
}
