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
}

/// Connects to the host and port of `endpoint` (an `http://` or `https://` URL; default port
/// 80 / 443), bounded by `timeout` (DNS included: the connect runs on its own thread, which
/// is abandoned if it outlives the budget). `None`: the URL has no authority, the thread could
/// not start or the budget ran out.
pub(crate) fn probe(endpoint: &str, timeout: Duration) -> Option<Probe> {
    let target = target(endpoint)?;
    let (tx, rx) = sync_channel(1);
    std::thread::Builder::new()
        .name("tracing-genai-probe".into())
        .spawn(move || {
            let _ = tx.send(connect(&target, timeout));
        })
        .ok()?;
    rx.recv_timeout(timeout + Duration::from_millis(100)).ok()
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

/// Tries every address `target` resolves to; the first accepted connection wins.
fn connect(target: &str, timeout: Duration) -> Probe {
    use std::net::ToSocketAddrs as _;

    let addrs = match target.to_socket_addrs() {
        Ok(addrs) => addrs,
        Err(e) => return Probe::Unreachable(format!("cannot resolve {target}: {e}")),
    };
    let mut outcome = Probe::Unreachable(format!("no address for {target}"));
    for addr in addrs {
        match std::net::TcpStream::connect_timeout(&addr, timeout) {
            Ok(_) => return Probe::Reachable,
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
            probe(&format!("http://{open}/v1/traces"), Duration::from_secs(2)),
            Some(Probe::Reachable)
        );
        drop(listener);
        assert_eq!(
            probe(&format!("http://{open}"), Duration::from_secs(2)),
            Some(Probe::Refused)
        );
    }
}
