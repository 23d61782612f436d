//! The endpoint probe: when shutdown delivered nothing, one bounded TCP connect to the
//! collector's host and port tells "nothing listens there" from "something listens but
//! refuses or stalls", so that the report can say why (see [`ShutdownReport`]).
//!
//! [`ShutdownReport`]: super::ShutdownReport

use std::sync::mpsc::sync_channel;
use std::time::Duration;

/// What a TCP connect to the endpoint found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Probe {
    /// Something accepted the connection.
    Reachable,
    /// Nothing listens on that port.
    Refused,
    /// The host could not be resolved or reached (the text says why).
    Unreachable(String),
    /// An `https://` endpoint accepted the connection but the TLS handshake failed, or the
    /// server sent a TLS alert right after it (the text is the TLS error).
    #[cfg_attr(
        not(any(feature = "otlp-http", feature = "otlp-grpc")),
        allow(dead_code)
    )]
    Tls(String),
}

/// Connects to the host and port of `endpoint` (an `http://` or `https://` URL; default port
/// 80 / 443), bounded by `timeout` (DNS included: the connect runs on its own thread, which
/// is abandoned if it outlives the budget). `None`: the URL has no authority, the thread could
/// not start or the budget ran out.
///
/// With `tls` (the exporter's own client configuration, for an `https://` endpoint), a
/// reachable endpoint is also handshaken with, so that the report can name a TLS failure the
/// exporter's error does not (`broken pipe` after a TLS 1.3 client-certificate refusal,
/// `network error` from the HTTP exporter).
pub(crate) fn probe(endpoint: &str, timeout: Duration, tls: Option<TlsProbe>) -> Option<Probe> {
    let target = target(endpoint)?;
    let (tx, rx) = sync_channel(1);
    std::thread::Builder::new()
        .name("tracing-genai-probe".into())
        .spawn(move || {
            let _ = tx.send(connect(&target, timeout, tls));
        })
        .ok()?;
    rx.recv_timeout(timeout + Duration::from_millis(100)).ok()
}

/// The TLS side of a probe: the exporter's client configuration (ALPN set for the transport).
#[derive(Clone, Debug)]
pub(crate) struct TlsProbe {
    #[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
    pub(crate) config: std::sync::Arc<rustls::ClientConfig>,
}

/// Handshakes over `stream` (connected to `target`), then waits briefly for an alert.
#[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
fn handshake(
    mut stream: std::net::TcpStream,
    target: &str,
    tls: TlsProbe,
    timeout: Duration,
) -> Probe {
    use std::io::Read as _;

    let host = target
        .rsplit_once(':')
        .map_or(target, |(host, _)| host)
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let name = match rustls::pki_types::ServerName::try_from(host) {
        Ok(name) => name,
        Err(e) => return Probe::Tls(format!("invalid TLS server name: {e}")),
    };
    let mut conn = match rustls::ClientConnection::new(tls.config, name) {
        Ok(conn) => conn,
        Err(e) => return Probe::Tls(e.to_string()),
    };
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut stream) {
            return match e.kind() {
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => Probe::Reachable,
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset => {
                    Probe::Tls(
                        "the server closed the connection during the TLS handshake (wrong version number: not TLS)"
                            .to_owned(),
                    )
                }
                _ => Probe::Tls(e.to_string()),
            };
        }
    }
    // TLS 1.3: a server that refuses the client's certificate says so after the handshake.
    let _ = stream.set_read_timeout(Some(timeout.min(Duration::from_millis(200))));
    let mut byte = [0u8; 1];
    match rustls::Stream::new(&mut conn, &mut stream).read(&mut byte) {
        Err(e)
            if !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock
                    | std::io::ErrorKind::TimedOut
                    | std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::ConnectionReset
            ) =>
        {
            Probe::Tls(e.to_string())
        }
        _ => Probe::Reachable,
    }
}

/// `host:port` of an `http(s)://` URL (user info and path removed, default port added).
fn target(endpoint: &str) -> Option<String> {
    let (scheme, rest) = endpoint.split_once("://")?;
    let authority = rest.split('/').next()?.rsplit('@').next()?.to_owned();
    let default_port = if scheme == "https" { 443 } else { 80 };
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok());
    Some(if has_port {
        authority
    } else {
        format!("{authority}:{default_port}")
    })
}

/// Tries every address `target` resolves to; the first accepted connection wins (and is
/// handshaken with, given `tls`).
#[cfg_attr(
    not(any(feature = "otlp-http", feature = "otlp-grpc")),
    allow(unused_mut)
)]
fn connect(target: &str, timeout: Duration, mut tls: Option<TlsProbe>) -> Probe {
    use std::net::ToSocketAddrs as _;

    let addrs = match target.to_socket_addrs() {
        Ok(addrs) => addrs,
        Err(e) => return Probe::Unreachable(format!("cannot resolve {target}: {e}")),
    };
    let mut outcome = Probe::Unreachable(format!("no address for {target}"));
    for addr in addrs {
        match std::net::TcpStream::connect_timeout(&addr, timeout) {
            #[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
            Ok(stream) => {
                return match tls.take() {
                    Some(tls) => handshake(stream, target, tls, timeout),
                    None => Probe::Reachable,
                };
            }
            #[cfg(not(any(feature = "otlp-http", feature = "otlp-grpc")))]
            Ok(_) => {
                let _ = tls;
                return Probe::Reachable;
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => outcome = Probe::Refused,
            Err(e) => outcome = Probe::Unreachable(e.to_string()),
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn target_adds_the_default_port_and_drops_user_info_and_path() {
        assert_eq!(
            target("http://collector:4318/v1/traces").as_deref(),
            Some("collector:4318")
        );
        assert_eq!(
            target("https://user:pw@otel.example.com/otlp").as_deref(),
            Some("otel.example.com:443")
        );
        assert_eq!(target("http://c").as_deref(), Some("c:80"));
        assert_eq!(target("no scheme"), None);
    }

    #[test]
    fn closed_port_is_refused_and_open_port_reachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap();
        assert_eq!(
            probe(
                &format!("http://{open}/v1/traces"),
                Duration::from_secs(2),
                None
            ),
            Some(Probe::Reachable)
        );
        drop(listener);
        assert_eq!(
            probe(&format!("http://{open}"), Duration::from_secs(2), None),
            Some(Probe::Refused)
        );
    }
}
