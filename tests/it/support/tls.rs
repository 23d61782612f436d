//! Throw-away certificates made inside the tests ([`Pki`], with rcgen on ring), written as PEM
//! files in a temporary directory, and a TLS client for probing the receivers' handshakes
//! ([`client_config`], [`probe`]).
//!
//! ```ignore
//! let pki = Pki::new();
//! let receiver = otlp::start_http_tls(Behavior::Accept, pki.server());
//! // the exporter trusts pki.ca_path(); its endpoint is receiver.base_url()
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::AsyncReadExt;

use super::otlp::TlsServer;

/// A certificate and its private key, as PEM.
#[derive(Clone, Debug)]
pub struct CertPem {
    pub cert: String,
    pub key: String,
}

/// A test PKI, made fresh by each [`Pki::new`] (a few milliseconds):
///
/// - a CA, and a server certificate it signed for `localhost` and `127.0.0.1` (SAN DNS + IP);
/// - an expired server certificate (same names, same CA, not after 2001-01-01);
/// - an unrelated "wrong" CA, and a server certificate it signed (same names);
/// - a client CA, and a client certificate it signed (mTLS); a client certificate signed by the
///   wrong CA (untrusted by the receivers);
/// - files: all of the above as PEM in a temporary directory (removed on drop), plus a
///   malformed PEM file, a file that is not PEM at all and a path that does not exist.
#[derive(Debug)]
pub struct Pki {
    pub ca: CertPem,
    pub server: CertPem,
    pub expired_server: CertPem,
    pub wrong_ca: CertPem,
    pub wrong_ca_server: CertPem,
    pub client_ca: CertPem,
    pub client: CertPem,
    pub untrusted_client: CertPem,
    dir: tempfile::TempDir,
}

/// A CA that can sign.
struct Ca {
    pem: CertPem,
    issuer: Issuer<'static, KeyPair>,
}

fn ca(name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let pem = CertPem {
        cert: cert.pem(),
        key: key.serialize_pem(),
    };
    Ca {
        pem,
        issuer: Issuer::new(params, key),
    }
}

/// A leaf for `localhost` / `127.0.0.1` (server) or a client, signed by `ca`; `expired`: valid
/// only during the year 2000.
fn leaf(ca: &Ca, name: &str, purpose: ExtendedKeyUsagePurpose, expired: bool) -> CertPem {
    let sans = match purpose {
        ExtendedKeyUsagePurpose::ServerAuth => vec!["localhost".to_owned(), "127.0.0.1".to_owned()],
        _ => Vec::new(),
    };
    let mut params = CertificateParams::new(sans).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![purpose];
    params.use_authority_key_identifier_extension = true;
    if expired {
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    }
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca.issuer).unwrap();
    CertPem {
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

impl Pki {
    pub fn new() -> Self {
        use ExtendedKeyUsagePurpose::{ClientAuth, ServerAuth};

        let main = ca("tracing-genai test CA");
        let wrong = ca("tracing-genai wrong CA");
        let client_ca = ca("tracing-genai client CA");
        let pki = Pki {
            server: leaf(&main, "localhost", ServerAuth, false),
            expired_server: leaf(&main, "localhost (expired)", ServerAuth, true),
            wrong_ca_server: leaf(&wrong, "localhost (wrong CA)", ServerAuth, false),
            client: leaf(&client_ca, "test client", ClientAuth, false),
            untrusted_client: leaf(&wrong, "untrusted client", ClientAuth, false),
            ca: main.pem,
            wrong_ca: wrong.pem,
            client_ca: client_ca.pem,
            dir: tempfile::Builder::new()
                .prefix("tracing-genai-pki-")
                .tempdir()
                .unwrap(),
        };
        let files: [(&str, &str); 16] = [
            ("ca.pem", &pki.ca.cert),
            ("ca.key", &pki.ca.key),
            ("server.pem", &pki.server.cert),
            ("server.key", &pki.server.key),
            ("expired-server.pem", &pki.expired_server.cert),
            ("expired-server.key", &pki.expired_server.key),
            ("wrong-ca.pem", &pki.wrong_ca.cert),
            ("wrong-ca-server.pem", &pki.wrong_ca_server.cert),
            ("wrong-ca-server.key", &pki.wrong_ca_server.key),
            ("client-ca.pem", &pki.client_ca.cert),
            ("client.pem", &pki.client.cert),
            ("client.key", &pki.client.key),
            ("untrusted-client.pem", &pki.untrusted_client.cert),
            ("untrusted-client.key", &pki.untrusted_client.key),
            (
                "malformed.pem",
                "-----BEGIN CERTIFICATE-----\nthis is *not* base64 !!\n-----END CERTIFICATE-----\n",
            ),
            ("not-pem.txt", "just some text, no PEM section in here\n"),
        ];
        for (name, contents) in files {
            std::fs::write(pki.dir.path().join(name), contents).unwrap();
        }
        pki
    }

    /// The temporary directory holding the files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The CA that signed the server certificates (valid and expired).
    pub fn ca_path(&self) -> PathBuf {
        self.file("ca.pem")
    }

    /// An unrelated CA: trusting only it, a client refuses the receivers.
    pub fn wrong_ca_path(&self) -> PathBuf {
        self.file("wrong-ca.pem")
    }

    pub fn server_cert_path(&self) -> PathBuf {
        self.file("server.pem")
    }

    pub fn server_key_path(&self) -> PathBuf {
        self.file("server.key")
    }

    pub fn expired_server_cert_path(&self) -> PathBuf {
        self.file("expired-server.pem")
    }

    pub fn expired_server_key_path(&self) -> PathBuf {
        self.file("expired-server.key")
    }

    /// The CA that signed the client certificate (what an mTLS receiver trusts).
    pub fn client_ca_path(&self) -> PathBuf {
        self.file("client-ca.pem")
    }

    /// The client certificate for mTLS (signed by the client CA).
    pub fn client_cert_path(&self) -> PathBuf {
        self.file("client.pem")
    }

    pub fn client_key_path(&self) -> PathBuf {
        self.file("client.key")
    }

    /// A client certificate signed by the wrong CA (an mTLS receiver refuses it).
    pub fn untrusted_client_cert_path(&self) -> PathBuf {
        self.file("untrusted-client.pem")
    }

    pub fn untrusted_client_key_path(&self) -> PathBuf {
        self.file("untrusted-client.key")
    }

    /// A PEM file whose CERTIFICATE section is not base64.
    pub fn malformed_pem_path(&self) -> PathBuf {
        self.file("malformed.pem")
    }

    /// A text file with no PEM section at all.
    pub fn not_pem_path(&self) -> PathBuf {
        self.file("not-pem.txt")
    }

    /// A path in the directory that does not exist.
    pub fn missing_path(&self) -> PathBuf {
        self.file("does-not-exist.pem")
    }

    /// The receiver side with the valid server certificate.
    pub fn server(&self) -> TlsServer {
        TlsServer::new(&self.server.cert, &self.server.key)
    }

    /// The receiver side with the expired server certificate (same CA).
    pub fn expired_server(&self) -> TlsServer {
        TlsServer::new(&self.expired_server.cert, &self.expired_server.key)
    }

    /// The receiver side with a certificate signed by the wrong CA.
    pub fn wrong_ca_server(&self) -> TlsServer {
        TlsServer::new(&self.wrong_ca_server.cert, &self.wrong_ca_server.key)
    }

    /// The valid server certificate, and client certificates signed by the client CA required.
    pub fn mtls_server(&self) -> TlsServer {
        self.server().require_client_cert(&self.client_ca.cert)
    }

    /// A client trusting `ca_pem` (e.g. `&pki.ca.cert`), with no client certificate.
    pub fn client_config(&self, ca_pem: &str) -> Arc<rustls::ClientConfig> {
        client_config(ca_pem, None)
    }

    /// A client trusting the CA, presenting the client certificate (mTLS).
    pub fn mtls_client_config(&self) -> Arc<rustls::ClientConfig> {
        client_config(&self.ca.cert, Some(&self.client))
    }
}

impl Default for Pki {
    fn default() -> Self {
        Pki::new()
    }
}

/// A rustls client (ring provider, no process-wide default) trusting the certificates in
/// `ca_pem`, presenting `identity` if given; it offers ALPN `h2` and `http/1.1`.
pub fn client_config(ca_pem: &str, identity: Option<&CertPem>) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    let mut config = match identity {
        None => builder.with_no_client_auth(),
        Some(identity) => {
            let chain = CertificateDer::pem_slice_iter(identity.cert.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            let key = PrivateKeyDer::from_pem_slice(identity.key.as_bytes()).unwrap();
            builder.with_client_auth_cert(chain, key).unwrap()
        }
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

/// Connects to `addr`, shakes hands as a client for `server_name` (`"localhost"`,
/// `"127.0.0.1"`), then waits briefly for the server's verdict: with TLS 1.3 a server
/// refusing the client's certificate (or its absence) says so only after the client's side of
/// the handshake is done. `Ok` once connected and not refused; `Err` says why not.
pub async fn probe(
    addr: SocketAddr,
    server_name: &str,
    config: Arc<rustls::ClientConfig>,
) -> Result<(), String> {
    let name = ServerName::try_from(server_name.to_owned()).map_err(|e| e.to_string())?;
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let mut tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let mut byte = [0u8; 1];
    match tokio::time::timeout(Duration::from_millis(200), tls.read(&mut byte)).await {
        // Nothing to say (HTTP/1.1) or the first bytes of an h2 preface: accepted.
        Err(_) | Ok(Ok(1..)) => Ok(()),
        Ok(Ok(0)) => Err("closed by the server after the handshake".to_owned()),
        Ok(Err(e)) => Err(format!("refused after the handshake: {e}")),
    }
}
