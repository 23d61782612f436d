//! What rmcp's streamable HTTP server tells a handler about a request: it puts the request's
//! [`http::request::Parts`] in the request's extensions, which give the network attributes
//! and the session (`Mcp-Session-Id`).

use rmcp::model::Extensions;

use super::span::Network;

/// The `Mcp-Session-Id` header (case-insensitive, as every HTTP header name).
const SESSION_ID_HEADER: &str = "mcp-session-id";

/// The facts of a request that came over HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpRequest {
    /// `network.transport = tcp`, `network.protocol.name = http`, the HTTP version.
    pub(crate) network: Network,
    /// `mcp.session.id`: the `Mcp-Session-Id` of a stateful session (none on `initialize`,
    /// which opens the session, nor in stateless mode).
    pub(crate) session_id: Option<String>,
}

/// The HTTP facts of a request, `None` when it did not come over HTTP.
pub(crate) fn request_facts(extensions: &Extensions) -> Option<HttpRequest> {
    let parts = extensions.get::<http::request::Parts>()?;
    let session_id = parts
        .headers
        .get(SESSION_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    Some(HttpRequest {
        network: Network {
            version: protocol_version(parts.version),
            ..Network::HTTP
        },
        session_id,
    })
}

/// `network.protocol.version` of an HTTP version.
fn protocol_version(version: http::Version) -> Option<&'static str> {
    Some(match version {
        http::Version::HTTP_09 => "0.9",
        http::Version::HTTP_10 => "1.0",
        http::Version::HTTP_11 => "1.1",
        http::Version::HTTP_2 => "2",
        http::Version::HTTP_3 => "3",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::semconv as sc;

    #[test]
    fn session_id_and_network_from_the_request_parts() {
        let mut extensions = Extensions::new();
        assert_eq!(request_facts(&extensions), None);
        let (parts, ()) = http::Request::builder()
            .version(http::Version::HTTP_11)
            .header("Mcp-Session-Id", "abc")
            .body(())
            .map(http::Request::into_parts)
            .unwrap();
        extensions.insert(parts);
        let facts = request_facts(&extensions);
        assert_eq!(
            facts,
            Some(HttpRequest {
                network: Network {
                    transport: Some(sc::NETWORK_TRANSPORT_TCP),
                    protocol: Some(sc::NETWORK_PROTOCOL_NAME_HTTP),
                    version: Some("1.1"),
                },
                session_id: Some("abc".to_string()),
            })
        );
    }
}
