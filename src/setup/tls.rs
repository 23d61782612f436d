//! TLS for the OTLP exporters: the PEM files of `OTEL_EXPORTER_OTLP_CERTIFICATE`,
//! `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` and `OTEL_EXPORTER_OTLP_CLIENT_KEY` (or their
//! per-signal forms, or the `Config` methods) read and checked at build time, so that a bad
//! file is a [`SetupError::TlsFile`] naming the setting and the path rather than an export that
//! fails later; then the rustls client configuration of the HTTP transport (the operating
//! system's trust store plus the extra CA, aws-lc-rs as the crypto provider) and the tonic TLS
//! configuration of the gRPC transport (native roots plus the extra CA).

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::error::SetupError;
use super::signal::{FileSetting, TlsFiles, Transport};

/// The checked contents of the TLS files of one exporter.
#[derive(Debug, Default)]
pub(crate) struct TlsMaterial {
    /// Extra trusted CA certificates, as PEM (for tonic) and parsed (for rustls).
    #[cfg_attr(not(feature = "otlp-grpc"), allow(dead_code))]
    ca_pem: Option<Vec<u8>>,
    #[cfg_attr(not(feature = "otlp-http"), allow(dead_code))]
    ca: Vec<CertificateDer<'static>>,
    identity: Option<Identity>,
}

#[derive(Debug)]
#[allow(dead_code)] // PEM for tonic (gRPC), parsed for rustls (HTTP)
struct Identity {
    cert_pem: Vec<u8>,
    key_pem: Vec<u8>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl TlsMaterial {
    /// Reads and checks the files of `transport` (none: nothing to read).
    pub(crate) fn load(transport: &Transport) -> Result<TlsMaterial, SetupError> {
        let TlsFiles {
            certificate,
            client_certificate,
            client_key,
        } = &transport.tls;
        let mut out = TlsMaterial::default();
        if let Some(file) = certificate {
            let (pem, certs) = read_certificates(file)?;
            out.ca_pem = Some(pem);
            out.ca = certs;
        }
        out.identity = match (client_certificate, client_key) {
            (None, None) => None,
            (Some(cert), Some(key)) => {
                let (cert_pem, chain) = read_certificates(cert)?;
                let key_pem = read(key)?;
                let parsed = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
                    malformed(
                        key,
                        "no PKCS#8, PKCS#1 or SEC1 private key in PEM form",
                        Some(Box::new(e)),
                    )
                })?;
                Some(Identity {
                    cert_pem,
                    key_pem,
                    chain,
                    key: parsed,
                })
            }
            (Some(only), None) | (None, Some(only)) => {
                let missing = if client_key.is_none() {
                    transport.var("CLIENT_KEY")
                } else {
                    transport.var("CLIENT_CERTIFICATE")
                };
                return Err(malformed(
                    only,
                    &format!(
                        "mutual TLS needs both a client certificate and its key; set {missing} too (or its generic form)"
                    ),
                    None,
                ));
            }
        };
        Ok(out)
    }

    /// The rustls client configuration: the system trust store (through
    /// rustls-platform-verifier) plus the extra CA, and the client certificate if any.
    pub(crate) fn rustls_config(&self) -> Result<rustls::ClientConfig, SetupError> {
        use std::sync::Arc;
        let failed = |what: &str, e: rustls::Error| SetupError::InvalidConfig {
            setting: "TLS",
            reason: format!("{what}: {e}"),
            source: Some(Box::new(e)),
        };
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = if self.ca.is_empty() {
            rustls_platform_verifier::Verifier::new(Arc::clone(&provider))
        } else {
            rustls_platform_verifier::Verifier::new_with_extra_roots(
                self.ca.iter().cloned(),
                Arc::clone(&provider),
            )
        }
        .map_err(|e| failed("cannot load the system trust store", e))?;
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| failed("no TLS version available", e))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier));
        match &self.identity {
            None => Ok(builder.with_no_client_auth()),
            Some(id) => builder
                .with_client_auth_cert(id.chain.clone(), id.key.clone_key())
                .map_err(|e| failed("the client certificate does not match its key", e)),
        }
    }

    /// The tonic TLS configuration: native roots plus the extra CA, and the client identity.
    #[cfg(feature = "otlp-grpc")]
    pub(crate) fn tonic_config(
        &self,
    ) -> opentelemetry_otlp::tonic_types::transport::ClientTlsConfig {
        use opentelemetry_otlp::tonic_types::transport::{Certificate, ClientTlsConfig, Identity};
        let mut config = ClientTlsConfig::new().with_native_roots();
        if let Some(pem) = &self.ca_pem {
            config = config.ca_certificate(Certificate::from_pem(pem));
        }
        if let Some(id) = &self.identity {
            config = config.identity(Identity::from_pem(&id.cert_pem, &id.key_pem));
        }
        config
    }

    /// Whether any file was given (a TLS setting on a plain `http://` endpoint is unused).
    #[cfg_attr(not(feature = "otlp-grpc"), allow(dead_code))]
    pub(crate) fn is_empty(&self) -> bool {
        self.ca_pem.is_none() && self.identity.is_none()
    }
}

fn read(file: &FileSetting) -> Result<Vec<u8>, SetupError> {
    std::fs::read(&file.path).map_err(|e| SetupError::TlsFile {
        setting: file.setting.clone(),
        path: file.path.clone(),
        reason: format!("cannot read it: {e}"),
        source: Some(Box::new(e)),
    })
}

fn read_certificates(
    file: &FileSetting,
) -> Result<(Vec<u8>, Vec<CertificateDer<'static>>), SetupError> {
    let pem = read(file)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| malformed(file, "malformed PEM", Some(Box::new(e))))?;
    if certs.is_empty() {
        return Err(malformed(
            file,
            "no certificate in it (expected PEM blocks `-----BEGIN CERTIFICATE-----`)",
            None,
        ));
    }
    // rustls parses lazily; a certificate that is not DER is refused here, not at export.
    for cert in &certs {
        if cert.as_ref().first() != Some(&0x30) {
            return Err(malformed(file, "a certificate is not valid DER", None));
        }
    }
    Ok((pem, certs))
}

fn malformed(
    file: &FileSetting,
    reason: &str,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
) -> SetupError {
    SetupError::TlsFile {
        setting: file.setting.clone(),
        path: file.path.clone(),
        reason: reason.to_owned(),
        source,
    }
}

/// Whether a URL is `https://`.
pub(crate) fn is_https(endpoint: &str) -> bool {
    endpoint
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
}

/// The TLS configuration of the shutdown report's probe for `transport` (`None`: not
/// `https://`, or the configuration cannot be built, which the exporter reported already).
pub(crate) fn probe_config(transport: &Transport) -> Option<super::probe::TlsProbe> {
    if !is_https(&transport.endpoint) {
        return None;
    }
    let mut config = TlsMaterial::load(transport).ok()?.rustls_config().ok()?;
    config.alpn_protocols = match transport.protocol {
        super::kinds::Protocol::Grpc => vec![b"h2".to_vec()],
        _ => vec![b"http/1.1".to_vec()],
    };
    Some(super::probe::TlsProbe {
        config: std::sync::Arc::new(config),
    })
}
