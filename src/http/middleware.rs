//! [`GenAiMiddleware`]: the `reqwest-middleware` middleware that turns LLM API calls into
//! GenAI spans.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next};
use tracing::Instrument;

use super::api::Api;
use super::body::{self, BodyTracker};
use super::model::{ParsedRequest, ParsedResponse};
use super::propagation;
use super::provider::ProviderMap;
use crate::{GenAiSpan, GenAiSpanExt};

/// Default cap on a buffered (non-streamed) JSON response body: 4 MiB.
const DEFAULT_MAX_BUFFERED: usize = 4 * 1024 * 1024;

/// A [`reqwest_middleware::Middleware`] that creates one GenAI span per call to an
/// OpenAI-compatible API (chat completions, legacy completions, embeddings, Responses) or the
/// Anthropic Messages API, with no code beyond adding it to the client.
///
/// - **Which requests:** `POST` requests whose path ends in `/chat/completions`,
///   `/completions`, `/embeddings`, `/responses` or `/messages` (any prefix, such as `/v1` or
///   Azure's `/openai/deployments/{name}`). Every other request passes through untouched: no
///   span, no header.
/// - **The span** (`chat gpt-4o`, kind `CLIENT`, a child of the current span): operation,
///   `gen_ai.provider.name` (from the host, see [`with_provider_for_host`](Self::with_provider_for_host)),
///   `server.address`/`server.port`, the request parameters from the JSON body (an Azure
///   OpenAI request without `model` is named by its deployment, the `{name}` of
///   `/openai/deployments/{name}/...`, as `gen_ai.request.model`), the response
///   id, model, finish reasons and token usage (cached and reasoning tokens included),
///   `openai.*` attributes, `error.type` from the provider's error code or the HTTP status
///   (or `timeout`, `connect`, ... for transport errors), and message content when the
///   layer's content capture is on.
/// - **Bodies:** the application sees exactly the bytes the server sent. The response body
///   is observed while the application reads it: a streamed (SSE) response is parsed event by
///   event, never buffered, and the span stays open until the body was read to its end or
///   dropped (then with the diagnostic `response body dropped before end`). A JSON body is
///   copied up to 4 MiB ([`with_max_buffered_body`](Self::with_max_buffered_body)) for parsing.
/// - **Trace context:** `traceparent`/`tracestate` of the GenAI span are added to the request
///   ([`with_trace_context`](Self::with_trace_context)).
/// - **Retries:** place this middleware *outside* (before) a retry middleware such as
///   `reqwest-retry`'s, and [`retry_observer`](Self::retry_observer) inside it: one span per
///   logical call, one `tracing_genai.retry` event per retry.
///
/// Without an installed [`GenAiLayer`](crate::GenAiLayer) (or when a filter disables the
/// span) requests pass through untouched.
///
/// ```
/// use tracing_genai::http::GenAiMiddleware;
///
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(GenAiMiddleware::new().with_provider_for_host("my-vllm:8000", "vllm"))
///     .build();
/// # drop(client);
/// ```
#[derive(Clone, Debug)]
pub struct GenAiMiddleware {
    providers: ProviderMap,
    trace_context: bool,
    max_buffered: usize,
}

impl Default for GenAiMiddleware {
    fn default() -> Self {
        GenAiMiddleware {
            providers: ProviderMap::default(),
            trace_context: true,
            max_buffered: DEFAULT_MAX_BUFFERED,
        }
    }
}

impl GenAiMiddleware {
    /// The middleware with its defaults: built-in provider hosts, trace context on, 4 MiB
    /// JSON buffer.
    ///
    /// ```
    /// let middleware = tracing_genai::http::GenAiMiddleware::new();
    /// # drop(middleware);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Names the provider (`gen_ai.provider.name`) of an OpenAI-compatible server: `host` is
    /// `"host:port"`, `"host"` (any port) or a base URL (`"http://my-vllm:8000/v1"`). Overrides
    /// the built-in hosts (`api.openai.com` → `openai`, `*.openai.azure.com` →
    /// `azure.ai.openai`, `api.anthropic.com` → `anthropic`, `api.groq.com` → `groq`,
    /// `api.deepseek.com` → `deepseek`, `api.mistral.ai` → `mistral_ai`, `api.x.ai` → `x_ai`,
    /// `generativelanguage.googleapis.com` → `gcp.gemini`, `openrouter.ai` → `openrouter`,
    /// `localhost:11434` → `ollama`). Well-known names are normalised like the span field
    /// (`"Mistral"` → `mistral_ai`).
    ///
    /// ```
    /// let middleware = tracing_genai::http::GenAiMiddleware::new()
    ///     .with_provider_for_host("my-vllm:8000", "vllm")
    ///     .with_provider_for_host("http://litellm.internal:4000", "litellm");
    /// # drop(middleware);
    /// ```
    pub fn with_provider_for_host(mut self, host: &str, provider: &str) -> Self {
        self.providers.insert(host, provider);
        self
    }

    /// The provider of hosts that are neither built in nor configured. Without it such a
    /// host is reported as the API family it speaks: `openai` for the OpenAI-compatible
    /// paths, `anthropic` for `/v1/messages`.
    ///
    /// ```
    /// let middleware = tracing_genai::http::GenAiMiddleware::new().with_default_provider("litellm");
    /// # drop(middleware);
    /// ```
    pub fn with_default_provider(mut self, provider: &str) -> Self {
        self.providers.set_default(provider);
        self
    }

    /// Whether to add the W3C trace context (`traceparent`, `tracestate`) of the GenAI span to
    /// LLM requests (default `true`). The globally installed text map propagator is used when
    /// there is one; otherwise the W3C trace-context format. Other requests never get headers.
    ///
    /// ```
    /// let middleware = tracing_genai::http::GenAiMiddleware::new().with_trace_context(false);
    /// # drop(middleware);
    /// ```
    pub fn with_trace_context(mut self, enabled: bool) -> Self {
        self.trace_context = enabled;
        self
    }

    /// Cap on the copy of a non-streamed response body kept for parsing (default 4 MiB). A
    /// larger body is passed to the application unchanged but not parsed (diagnostic).
    /// Streamed (SSE) bodies are parsed incrementally and never buffered.
    ///
    /// ```
    /// let middleware = tracing_genai::http::GenAiMiddleware::new().with_max_buffered_body(1 << 20);
    /// # drop(middleware);
    /// ```
    pub fn with_max_buffered_body(mut self, bytes: usize) -> Self {
        self.max_buffered = bytes;
        self
    }

    /// The companion middleware that records retries: add it *after* (inside) the retry
    /// middleware, with this middleware before (outside) it. Each attempt after the first
    /// adds a `tracing_genai.retry` event (attempt, delay, reason such as
    /// `HTTP 429, Retry-After: 1`, the failed attempt's `error.type`) to the one span of the
    /// call. Without the outer middleware it does nothing.
    ///
    /// ```
    /// use tracing_genai::http::GenAiMiddleware;
    ///
    /// let genai = GenAiMiddleware::new();
    /// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
    ///     .with(genai.clone())
    ///     // .with(reqwest_retry::RetryTransientMiddleware::new_with_policy(policy))
    ///     .with(genai.retry_observer())
    ///     .build();
    /// # drop(client);
    /// ```
    pub fn retry_observer(&self) -> RetryObserver {
        RetryObserver { _private: () }
    }

    /// Starts the span of an LLM request, or `None` to pass the request through.
    ///
    /// What the URL and the body say about the call (provider, model, server) is known before
    /// the span is created, so it is declared on it: a head sampler sees it as the span starts.
    fn start(&self, req: &mut Request) -> Option<Call> {
        let api = Api::detect(req.method().as_str(), req.url().path())?;
        // No GenAI layer installed: nothing to parse the body for.
        let installed = tracing::dispatcher::get_default(|d| {
            d.downcast_ref::<crate::layer::WithState>().is_some()
        });
        if !installed {
            return None;
        }
        let operation = api.operation();
        let url = req.url();
        let host = url.host_str().unwrap_or_default().to_string();
        let port = url.port_or_known_default();
        let provider = self
            .providers
            .resolve(&host, port.unwrap_or(0))
            .unwrap_or_else(|| match api {
                Api::AnthropicMessages => "anthropic".to_string(),
                _ => "openai".to_string(),
            });
        let deployment = Api::azure_deployment(url.path()).map(std::sync::Arc::<str>::from);
        let body = req.body().and_then(|b| b.as_bytes());
        // Without the content first: whether content is captured is the span's to say.
        let mut parsed = body.map(|bytes| api.parse_request(bytes, false));
        // Azure OpenAI names the model by the deployment in the path; the body's `model`,
        // when there is one, is more precise.
        let model = parsed
            .as_mut()
            .and_then(|p| p.request.model.take())
            .or(deployment);
        let span = tracing::info_span!(
            target: "tracing_genai::http",
            "gen_ai",
            gen_ai.operation.name = operation.as_str(),
            gen_ai.provider.name = provider.as_str(),
            gen_ai.request.model = model.as_deref(),
            server.address = Some(host.as_str()).filter(|h| !h.is_empty()),
            server.port = port.map(u64::from),
        );
        // Not a GenAI span known to an installed layer (none, or filtered out): pass through.
        if !crate::span_ext::with_record(&span, |_| {}) {
            return None;
        }
        let capture = span.captures_content();
        if capture {
            parsed = body.map(|bytes| {
                let mut p = api.parse_request(bytes, true);
                p.request.model = None;
                p
            });
        }
        let mut content = None;
        // (Nothing given at start changes here: `with_record`, no save of the start values.)
        crate::span_ext::with_record(&span, |s| match parsed {
            Some(p) => content = Some(apply_request(s, p)),
            None => s.add_diagnostic("request body is not in memory (streamed): not parsed"),
        });
        if let Some(content) = content.filter(|_| capture) {
            record_request_content(&span, content);
        }
        if self.trace_context {
            propagation::inject(&span, req.headers_mut());
        }
        Some(Call { span, api, capture })
    }
}

/// A recognised call in flight.
struct Call {
    span: tracing::Span,
    api: Api,
    capture: bool,
}

/// The request's message content, recorded through [`GenAiSpanExt`](crate::GenAiSpanExt) outside the state lock.
struct RequestContent {
    input: Vec<crate::content::ChatMessage>,
    system: Vec<crate::content::MessagePart>,
    tools: Vec<crate::content::ToolDefinition>,
}

/// Copies a parsed request into the span state; returns the content for recording.
fn apply_request(s: &mut GenAiSpan, p: ParsedRequest) -> RequestContent {
    // The model was declared when the span was created (`p` holds none: it was taken out).
    let model = s.request.model.take();
    s.request = p.request;
    s.request.model = model;
    if p.embeddings_dimension_count.is_some() {
        s.embeddings_dimension_count = p.embeddings_dimension_count;
    }
    if p.output_type.is_some() {
        s.output_type = p.output_type.map(Into::into);
    }
    if p.conversation_id.is_some() {
        s.conversation_id = p.conversation_id.map(Into::into);
    }
    merge_attributes(s, p.provider_attributes);
    for d in p.diagnostics {
        s.add_diagnostic(d);
    }
    RequestContent {
        input: p.input_messages,
        system: p.system_instructions,
        tools: p.tool_definitions,
    }
}

fn record_request_content(span: &tracing::Span, c: RequestContent) {
    if !c.input.is_empty() {
        span.record_input_messages(&c.input);
    }
    if !c.system.is_empty() {
        span.record_system_instructions(&c.system);
    }
    if !c.tools.is_empty() {
        span.record_tool_definitions(&c.tools);
    }
}

/// Adds provider attributes, replacing earlier values of the same key. The `openai.*`
/// attributes are defined for OpenAI's own service (`openai`, `azure.ai.openai`): an
/// OpenAI-compatible server (vLLM, Groq, ...) speaks the same API but does not get them.
fn merge_attributes(s: &mut GenAiSpan, attributes: Vec<opentelemetry::KeyValue>) {
    let openai = matches!(s.provider.as_deref(), Some("openai" | "azure.ai.openai"));
    for kv in attributes {
        if !openai && kv.key.as_str().starts_with("openai.") {
            continue;
        }
        s.provider_attributes.retain(|old| old.key != kv.key);
        s.provider_attributes.push(kv);
    }
}

/// Writes a parsed response (or error body, or stream) to the span.
pub(crate) fn apply_response(span: &tracing::Span, p: ParsedResponse, capture: bool) {
    let output = p.output_messages;
    // (Nothing here was given at start: `with_record`, no save of the start values.)
    crate::span_ext::with_record(span, |s| {
        let r = p.response;
        if r.id.is_some() {
            s.response.id = r.id;
        }
        if r.model.is_some() {
            s.response.model = r.model;
        }
        if r.finish_reasons.as_ref().is_some_and(|f| !f.is_empty()) {
            s.response.finish_reasons = r.finish_reasons;
        }
        if r.status.is_some() {
            s.response.status = r.status;
        }
        s.usage.overlay(&p.usage);
        if p.embeddings_dimension_count.is_some() {
            s.embeddings_dimension_count = p.embeddings_dimension_count;
        }
        merge_attributes(s, p.provider_attributes);
        if let Some(e) = p.error {
            s.error = None;
            s.record_error(Some(e.error_type), e.message);
        }
        for d in p.diagnostics {
            s.add_diagnostic(d);
        }
    });
    if capture && !output.is_empty() {
        span.record_output_messages(&output);
    }
}

/// `error.type` of a failed request: the reqwest error kind, found anywhere in the chain
/// (also inside a `reqwest_middleware::Error`), else the kind of an I/O error in the chain.
pub(crate) fn transport_error_type(error: &(dyn std::error::Error + 'static)) -> &'static str {
    let mut io_kind = None;
    let mut current = Some(error);
    while let Some(e) = current {
        let reqwest_error = e.downcast_ref::<reqwest::Error>().or_else(|| {
            match e.downcast_ref::<reqwest_middleware::Error>() {
                Some(reqwest_middleware::Error::Reqwest(r)) => Some(r),
                _ => None,
            }
        });
        if let Some(r) = reqwest_error {
            return reqwest_kind(r);
        }
        if io_kind.is_none() {
            io_kind = e.downcast_ref::<std::io::Error>().map(std::io::Error::kind);
        }
        current = e.source();
    }
    use std::io::ErrorKind as K;
    match io_kind {
        Some(K::TimedOut) => "timeout",
        Some(
            K::ConnectionRefused | K::ConnectionAborted | K::AddrNotAvailable | K::NotConnected,
        ) => "connect",
        _ => crate::semconv::ERROR_TYPE_OTHER,
    }
}

fn reqwest_kind(r: &reqwest::Error) -> &'static str {
    if r.is_timeout() {
        "timeout"
    } else if r.is_connect() {
        "connect"
    } else if r.is_redirect() {
        "redirect"
    } else if r.is_body() {
        "body"
    } else if r.is_decode() {
        "decode"
    } else if r.is_request() {
        "request"
    } else {
        crate::semconv::ERROR_TYPE_OTHER
    }
}

fn middleware_error_type(error: &reqwest_middleware::Error) -> &'static str {
    match error {
        reqwest_middleware::Error::Reqwest(e) => transport_error_type(e),
        reqwest_middleware::Error::Middleware(e) => {
            // anyhow: look through the whole chain (retry errors wrap the last attempt's).
            e.chain()
                .map(transport_error_type)
                .find(|t| *t != crate::semconv::ERROR_TYPE_OTHER)
                .unwrap_or(crate::semconv::ERROR_TYPE_OTHER)
        }
    }
}

#[async_trait::async_trait]
impl Middleware for GenAiMiddleware {
    async fn handle(
        &self,
        mut req: Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let Some(call) = self.start(&mut req) else {
            return next.run(req, extensions).await;
        };
        let attempts = Attempts::new(call.span.clone());
        extensions.insert(attempts.clone());
        let result = next
            .run(req, extensions)
            .instrument(call.span.clone())
            .await;
        extensions.remove::<Attempts>();
        drop(attempts);
        match result {
            Ok(response) => Ok(body::observe(
                response,
                BodyTracker::new(call.span, call.api, call.capture, self.max_buffered),
            )),
            Err(error) => {
                let error_type = middleware_error_type(&error);
                let message = crate::ErrorInfo::message_of(&error);
                call.span
                    .record_error_type(error_type, Some(message.as_str()));
                Err(error)
            }
        }
    }
}

/// The attempts of one call, shared through the request extensions with [`RetryObserver`].
#[derive(Clone, Debug)]
struct Attempts(Arc<Mutex<AttemptLog>>);

#[derive(Debug)]
struct AttemptLog {
    span: tracing::Span,
    started: u32,
    last_end: Option<Instant>,
    /// `(error.type, reason)` of the last failed attempt.
    last_failure: Option<(String, String)>,
}

impl Attempts {
    fn new(span: tracing::Span) -> Self {
        Attempts(Arc::new(Mutex::new(AttemptLog {
            span,
            started: 0,
            last_end: None,
            last_failure: None,
        })))
    }

    fn before_attempt(&self) {
        let mut log = self.0.lock().unwrap_or_else(|e| e.into_inner());
        log.started += 1;
        if log.started < 2 {
            return;
        }
        let delay = log.last_end.map_or(Duration::ZERO, |t| t.elapsed());
        match log.last_failure.take() {
            Some((error_type, reason)) => {
                log.span
                    .record_retry_after_error(log.started, delay, &reason, &error_type)
            }
            None => log.span.record_retry(log.started, delay, "retried"),
        };
    }

    fn after_attempt(&self, result: &reqwest_middleware::Result<Response>) {
        let mut log = self.0.lock().unwrap_or_else(|e| e.into_inner());
        log.last_end = Some(Instant::now());
        log.last_failure = match result {
            Ok(r) if r.status().is_success() => None,
            Ok(r) => {
                let status = r.status().as_u16();
                let mut reason = format!("HTTP {status}");
                if let Some(after) = r
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                {
                    reason.push_str(", Retry-After: ");
                    reason.push_str(after);
                }
                Some((status.to_string(), reason))
            }
            Err(e) => {
                let t = middleware_error_type(e);
                Some((t.to_string(), t.to_string()))
            }
        };
    }
}

/// Records the retries of a call in its span; see [`GenAiMiddleware::retry_observer`].
///
/// ```
/// let observer = tracing_genai::http::GenAiMiddleware::new().retry_observer();
/// # drop(observer);
/// ```
#[derive(Clone, Debug)]
pub struct RetryObserver {
    _private: (),
}

#[async_trait::async_trait]
impl Middleware for RetryObserver {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let Some(attempts) = extensions.get::<Attempts>().cloned() else {
            return next.run(req, extensions).await;
        };
        attempts.before_attempt();
        let result = next.run(req, extensions).await;
        attempts.after_attempt(&result);
        result
    }
}
