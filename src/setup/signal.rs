//! The OTLP transport settings of each signal: the `OTEL_EXPORTER_OTLP_*` variables in their
//! generic and `_TRACES_` / `_METRICS_` / `_LOGS_` forms, merged with the code's settings into
//! one [`Transport`] per signal, as the OTLP exporter specification says: code, then the
//! signal's variable, then the generic variable, then the default.

use std::path::PathBuf;
use std::time::Duration;

use super::config::Config;
use super::env::{check_url, invalid, parse_headers, parse_millis};
use super::error::SetupError;
use super::kinds::{Compression, Protocol};

/// A telemetry signal with its own OTLP settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Signal {
    Traces,
    Metrics,
    Logs,
}

impl Signal {
    /// The infix of its variables (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`).
    fn infix(self) -> &'static str {
        match self {
            Signal::Traces => "TRACES_",
            Signal::Metrics => "METRICS_",
            Signal::Logs => "LOGS_",
        }
    }

    /// The path appended to a base HTTP endpoint.
    pub(crate) fn http_path(self) -> &'static str {
        match self {
            Signal::Traces => "/v1/traces",
            Signal::Metrics => "/v1/metrics",
            Signal::Logs => "/v1/logs",
        }
    }

    /// `OTEL_EXPORTER_OTLP_{SIGNAL_}{setting}` (`None`: the generic form).
    pub(crate) fn var(signal: Option<Signal>, setting: &str) -> String {
        let infix = signal.map(Signal::infix).unwrap_or_default();
        format!("OTEL_EXPORTER_OTLP_{infix}{setting}")
    }
}

/// A file named by a setting, with the setting that named it (for error messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileSetting {
    /// The variable (`OTEL_EXPORTER_OTLP_CERTIFICATE`) or the `Config` method.
    pub(crate) setting: String,
    pub(crate) path: PathBuf,
}

/// One form (generic or one signal's) of the OTLP variables; `None` = not set.
#[derive(Clone, Debug, Default)]
pub(crate) struct SignalEnv {
    pub(crate) endpoint: Option<String>,
    pub(crate) protocol: Option<Protocol>,
    /// `None`: the variable is not set (a signal's list replaces the generic one).
    pub(crate) headers: Option<Vec<(String, String)>>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) compression: Option<Option<Compression>>,
    pub(crate) certificate: Option<FileSetting>,
    pub(crate) client_certificate: Option<FileSetting>,
    pub(crate) client_key: Option<FileSetting>,
}

/// The OTLP variables: the generic forms and each signal's.
#[derive(Clone, Debug, Default)]
pub(crate) struct OtlpEnv {
    pub(crate) generic: SignalEnv,
    pub(crate) traces: SignalEnv,
    pub(crate) metrics: SignalEnv,
    pub(crate) logs: SignalEnv,
}

impl OtlpEnv {
    /// Reads the eight settings in their four forms through `var` (trimmed, empty = unset).
    pub(crate) fn parse(var: &dyn Fn(&str) -> Option<String>) -> Result<OtlpEnv, SetupError> {
        Ok(OtlpEnv {
            generic: SignalEnv::parse(var, None)?,
            traces: SignalEnv::parse(var, Some(Signal::Traces))?,
            metrics: SignalEnv::parse(var, Some(Signal::Metrics))?,
            logs: SignalEnv::parse(var, Some(Signal::Logs))?,
        })
    }

    fn of(&self, signal: Signal) -> &SignalEnv {
        match signal {
            Signal::Traces => &self.traces,
            Signal::Metrics => &self.metrics,
            Signal::Logs => &self.logs,
        }
    }
}

impl SignalEnv {
    fn parse(
        var: &dyn Fn(&str) -> Option<String>,
        signal: Option<Signal>,
    ) -> Result<SignalEnv, SetupError> {
        let name = |setting: &str| Signal::var(signal, setting);
        let mut out = SignalEnv::default();
        let n = name("ENDPOINT");
        if let Some(v) = var(&n) {
            out.endpoint = Some(check_url(&n, &v)?);
        }
        let n = name("PROTOCOL");
        if let Some(v) = var(&n) {
            out.protocol = Some(
                Protocol::parse(&v)
                    .ok_or_else(|| invalid(&n, &v, "expected grpc, http/protobuf or http/json"))?,
            );
        }
        let n = name("HEADERS");
        if let Some(v) = var(&n) {
            let mut headers: Vec<(String, String)> = Vec::new();
            for (k, val) in parse_headers(&n, &v)? {
                headers.retain(|(existing, _)| !existing.eq_ignore_ascii_case(&k));
                headers.push((k, val));
            }
            out.headers = Some(headers);
        }
        let n = name("TIMEOUT");
        if let Some(v) = var(&n) {
            out.timeout = Some(parse_millis(&n, &v)?);
        }
        let n = name("COMPRESSION");
        if let Some(v) = var(&n) {
            out.compression = Some(match v.to_ascii_lowercase().as_str() {
                "gzip" => Some(Compression::Gzip),
                "none" => None,
                _ => return Err(invalid(&n, &v, "expected gzip or none")),
            });
        }
        let file = |setting: &str| {
            let n = name(setting);
            var(&n).map(|v| FileSetting {
                setting: n,
                path: PathBuf::from(v),
            })
        };
        out.certificate = file("CERTIFICATE");
        out.client_certificate = file("CLIENT_CERTIFICATE");
        out.client_key = file("CLIENT_KEY");
        Ok(out)
    }
}

/// The TLS files of one signal's exporter (all optional: without them, the system roots).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TlsFiles {
    /// Extra trusted CA certificates (PEM).
    pub(crate) certificate: Option<FileSetting>,
    /// The client certificate chain for mTLS (PEM).
    pub(crate) client_certificate: Option<FileSetting>,
    /// The client certificate's private key (PEM).
    pub(crate) client_key: Option<FileSetting>,
}

/// The effective OTLP settings of one signal's exporter.
#[derive(Clone, Debug)]
#[cfg_attr(
    not(any(feature = "otlp-http", feature = "otlp-grpc")),
    allow(dead_code)
)]
pub(crate) struct Transport {
    pub(crate) signal: Signal,
    pub(crate) protocol: Protocol,
    /// The exact URL (for HTTP, with the signal's path).
    pub(crate) endpoint: String,
    /// Environment headers, then code headers (code wins per name).
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) timeout: Duration,
    pub(crate) compression: Option<Compression>,
    pub(crate) tls: TlsFiles,
}

#[cfg_attr(
    not(any(feature = "otlp-http", feature = "otlp-grpc")),
    allow(dead_code)
)]
impl Transport {
    /// The headers as an HTTP header map (valid names and values checked), for either transport.
    #[cfg(any(feature = "otlp-http", feature = "otlp-grpc"))]
    pub(crate) fn header_map(&self) -> Result<http::HeaderMap, SetupError> {
        let mut headers = http::HeaderMap::new();
        for (k, v) in &self.headers {
            let invalid = |e: Box<dyn std::error::Error + Send + Sync>| SetupError::InvalidConfig {
                setting: "headers",
                reason: format!("{k}: {e}"),
                source: Some(e),
            };
            let name = http::HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes())
                .map_err(|e| invalid(Box::new(e)))?;
            let value = http::HeaderValue::from_str(v).map_err(|e| invalid(Box::new(e)))?;
            headers.insert(name, value);
        }
        Ok(headers)
    }

    /// The variable that names `setting` for this signal (for messages: the signal form).
    pub(crate) fn var(&self, setting: &str) -> String {
        Signal::var(Some(self.signal), setting)
    }
}

impl Config {
    /// The effective settings of `signal`'s exporter.
    pub(crate) fn transport(&self, signal: Signal) -> Transport {
        let own = self.env.otlp.of(signal);
        let generic = &self.env.otlp.generic;
        let protocol = self
            .protocol
            .or(own.protocol)
            .or(generic.protocol)
            .unwrap_or(Protocol::HttpProtobuf);
        Transport {
            signal,
            protocol,
            endpoint: self.endpoint_of(signal, protocol),
            headers: self.headers_of(signal),
            timeout: self.timeout_of(signal),
            compression: self
                .compression
                .or(own.compression)
                .or(generic.compression)
                .flatten(),
            tls: TlsFiles {
                certificate: pick(&self.certificate, "Config::with_certificate", || {
                    own.certificate
                        .clone()
                        .or_else(|| generic.certificate.clone())
                }),
                client_certificate: pick(
                    &self.client_certificate,
                    "Config::with_client_certificate",
                    || {
                        own.client_certificate
                            .clone()
                            .or_else(|| generic.client_certificate.clone())
                    },
                ),
                client_key: pick(&self.client_key, "Config::with_client_key", || {
                    own.client_key
                        .clone()
                        .or_else(|| generic.client_key.clone())
                }),
            },
        }
    }

    /// The exact URL: a signal endpoint from code, else a base endpoint from code (which
    /// overrides every variable), else the signal's variable as is, else the generic variable
    /// or the default with the signal's path appended for HTTP.
    fn endpoint_of(&self, signal: Signal, protocol: Protocol) -> String {
        let exact_in_code = match signal {
            Signal::Traces => &self.traces_endpoint,
            Signal::Metrics => &self.metrics_endpoint,
            Signal::Logs => &self.logs_endpoint,
        };
        if let Some(exact) = exact_in_code {
            return exact.clone();
        }
        if self.endpoint.is_none()
            && let Some(exact) = &self.env.otlp.of(signal).endpoint
        {
            return exact.clone();
        }
        let base = self
            .endpoint
            .clone()
            .or_else(|| self.env.otlp.generic.endpoint.clone())
            .unwrap_or_else(|| protocol.default_endpoint().to_owned());
        match protocol {
            Protocol::Grpc => base,
            Protocol::HttpProtobuf | Protocol::HttpJson => {
                format!("{}{}", base.trim_end_matches('/'), signal.http_path())
            }
        }
    }

    /// The signal's header list if set, else the generic one; then code's (code wins per name).
    fn headers_of(&self, signal: Signal) -> Vec<(String, String)> {
        let env = self.env.otlp.of(signal).headers.as_ref().or(self
            .env
            .otlp
            .generic
            .headers
            .as_ref());
        let mut out: Vec<(String, String)> = env
            .into_iter()
            .flatten()
            .filter(|(k, _)| !self.headers.iter().any(|(c, _)| c.eq_ignore_ascii_case(k)))
            .cloned()
            .collect();
        out.extend(self.headers.iter().cloned());
        out
    }

    /// The request timeout (default 10 s), never longer than `OTEL_BSP_EXPORT_TIMEOUT` for
    /// traces (which bounds a whole export).
    fn timeout_of(&self, signal: Signal) -> Duration {
        let request = self
            .timeout
            .or(self.env.otlp.of(signal).timeout)
            .or(self.env.otlp.generic.timeout)
            .unwrap_or(Duration::from_secs(10));
        match (signal, self.export_timeout.or(self.env.export_timeout)) {
            (Signal::Traces, Some(export)) => request.min(export),
            _ => request,
        }
    }
}

fn pick(
    code: &Option<PathBuf>,
    method: &str,
    env: impl FnOnce() -> Option<FileSetting>,
) -> Option<FileSetting> {
    match code {
        Some(path) => Some(FileSetting {
            setting: method.to_owned(),
            path: path.clone(),
        }),
        None => env(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Config {
        Config::from_env_vars(vars.iter().copied()).unwrap()
    }

    #[test]
    fn every_setting_has_a_signal_form_that_wins_over_the_generic_one() {
        let c = config(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318"),
            ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://logs:9/exact"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "a=1,b=2"),
            ("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "c=3"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "100"),
            ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "200"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
            ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none"),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/ca.pem"),
            ("OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE", "/m-ca.pem"),
            ("OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE", "/l-cert.pem"),
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", "/key.pem"),
        ]);
        let traces = c.transport(Signal::Traces);
        let metrics = c.transport(Signal::Metrics);
        let logs = c.transport(Signal::Logs);
        assert_eq!(traces.endpoint, "http://base:4318/v1/traces");
        assert_eq!(metrics.endpoint, "http://base:4318");
        assert_eq!(logs.endpoint, "http://logs:9/exact");
        assert_eq!(
            (traces.protocol, metrics.protocol, logs.protocol),
            (
                Protocol::HttpProtobuf,
                Protocol::Grpc,
                Protocol::HttpProtobuf
            )
        );
        assert_eq!(traces.headers.len(), 2);
        assert_eq!(logs.headers, vec![("c".to_owned(), "3".to_owned())]);
        assert_eq!(traces.timeout, Duration::from_millis(100));
        assert_eq!(metrics.timeout, Duration::from_millis(200));
        assert_eq!(traces.compression, None);
        assert_eq!(metrics.compression, Some(Compression::Gzip));
        let path = |f: &Option<FileSetting>| f.as_ref().map(|f| f.path.display().to_string());
        assert_eq!(path(&traces.tls.certificate).as_deref(), Some("/ca.pem"));
        assert_eq!(path(&metrics.tls.certificate).as_deref(), Some("/m-ca.pem"));
        assert_eq!(
            metrics.tls.certificate.unwrap().setting,
            "OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE"
        );
        assert_eq!(
            path(&logs.tls.client_certificate).as_deref(),
            Some("/l-cert.pem")
        );
        assert_eq!(path(&traces.tls.client_certificate), None);
        assert_eq!(path(&logs.tls.client_key).as_deref(), Some("/key.pem"));
    }

    #[test]
    fn code_wins_over_every_variable() {
        let c = config(&[
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:1/x"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "api-key=env,x=1"),
            ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "/env.pem"),
        ])
        .with_endpoint("https://code:4318")
        .with_protocol(Protocol::HttpProtobuf)
        .with_header("API-KEY", "code")
        .with_certificate("/code.pem");
        let t = c.transport(Signal::Traces);
        assert_eq!(t.endpoint, "https://code:4318/v1/traces");
        assert_eq!(t.protocol, Protocol::HttpProtobuf);
        assert_eq!(
            t.headers,
            vec![
                ("x".to_owned(), "1".to_owned()),
                ("API-KEY".to_owned(), "code".to_owned())
            ]
        );
        let ca = t.tls.certificate.unwrap();
        assert_eq!(
            (ca.setting.as_str(), ca.path.to_str()),
            ("Config::with_certificate", Some("/code.pem"))
        );
    }

    #[test]
    fn signal_variables_are_validated_and_named() {
        for var in [
            "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
            "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
            "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION",
            "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
        ] {
            match Config::from_env_vars([(var, "not valid")]) {
                Err(SetupError::InvalidEnv { var: named, .. }) => assert_eq!(named, var),
                other => panic!("{var}: {other:?}"),
            }
        }
    }
}
