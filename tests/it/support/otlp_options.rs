//! What a receiver of `otlp.rs` demands besides its behavior ([`ReceiverOptions`]) and its
//! TLS side ([`TlsServer`]).

use std::collections::HashMap;

/// The server side of a TLS receiver, as PEM: its certificate chain and key, and, for mTLS,
/// the CA that client certificates must be signed by (a handshake without one is refused).
/// `support::tls::Pki` makes them (`pki.server()`, `pki.expired_server()`,
/// `pki.mtls_server()`).
#[derive(Clone, Debug)]
pub struct TlsServer {
    pub cert_pem: String,
    pub key_pem: String,
    pub client_ca_pem: Option<String>,
}

impl TlsServer {
    pub fn new(cert_pem: impl Into<String>, key_pem: impl Into<String>) -> Self {
        TlsServer {
            cert_pem: cert_pem.into(),
            key_pem: key_pem.into(),
            client_ca_pem: None,
        }
    }

    /// Requires a client certificate signed by this CA (mTLS).
    pub fn require_client_cert(mut self, client_ca_pem: impl Into<String>) -> Self {
        self.client_ca_pem = Some(client_ca_pem.into());
        self
    }
}

/// What a receiver demands besides its [`Behavior`] (a backend's contract), and its TLS.
///
/// ```ignore
/// let receiver = otlp::start_http_with(
///     Behavior::Accept,
///     ReceiverOptions::default()
///         .path_prefix("/api/public/otel")
///         .header("authorization", "Basic cGs6c2s="),
/// );
/// ```
#[derive(Clone, Debug, Default)]
pub struct ReceiverOptions {
    /// Serve over TLS with this certificate (the base URL is then `https://localhost:PORT`).
    pub tls: Option<TlsServer>,
    /// HTTP only: the signals are served under this prefix (`{prefix}/v1/traces`,
    /// `{prefix}/v1/metrics`, `{prefix}/v1/logs`); every other path is a 404.
    pub required_path_prefix: Option<String>,
    /// Headers (HTTP) or metadata (gRPC) every request must carry with exactly this value
    /// (names compared case-insensitively): otherwise HTTP 401 with a body, gRPC
    /// UNAUTHENTICATED.
    pub required_headers: Vec<(String, String)>,
}

impl ReceiverOptions {
    pub fn tls(mut self, tls: TlsServer) -> Self {
        self.tls = Some(tls);
        self
    }

    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.required_path_prefix = Some(prefix.into());
        self
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.required_headers.push((name.into(), value.into()));
        self
    }

    /// The first required header that `headers` (lower-case names) lacks or has with
    /// another value, as a message for the refusal.
    pub(super) fn missing_header(&self, headers: &HashMap<String, String>) -> Option<String> {
        self.required_headers.iter().find_map(|(name, value)| {
            match headers.get(&name.to_ascii_lowercase()) {
                Some(v) if v == value => None,
                Some(_) => Some(format!("wrong value for header {name}")),
                None => Some(format!("missing header {name}")),
            }
        })
    }
}
