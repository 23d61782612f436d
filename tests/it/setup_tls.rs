//! HTTPS and TLS on both OTLP transports, against in-process TLS receivers whose certificates
//! are made in the test (`support::tls::Pki`): the extra CA, mutual TLS, and what the shutdown
//! report says when TLS fails (the cause and the fix, never "no collector"); the PEM files'
//! setup errors; per-signal TLS settings; code headers over environment headers.

use std::time::Duration;

use tracing_genai::Config;
use tracing_genai::setup::{SetupError, ShutdownReport};

use crate::support::otlp::{self, Behavior, Receiver};
use crate::support::tls::Pki;

/// The transports compiled in, as `OTEL_EXPORTER_OTLP_PROTOCOL` values.
fn protocols() -> Vec<&'static str> {
    let mut out = Vec::new();
    if cfg!(feature = "otlp-http") {
        out.push("http/protobuf");
    }
    if cfg!(feature = "otlp-grpc") {
        out.push("grpc");
    }
    out
}

fn tls_receiver(protocol: &str, tls: otlp::TlsServer) -> Receiver {
    match protocol {
        "grpc" => otlp::start_grpc_tls(Behavior::Accept, tls),
        _ => otlp::start_http_tls(Behavior::Accept, tls),
    }
}

/// Builds the pipeline from `vars` (plus the protocol and a quick shutdown), emits the sample
/// trace through it (no global state), and shuts it down.
fn export(
    protocol: &str,
    vars: Vec<(&str, String)>,
    configure: impl FnOnce(Config) -> Config,
) -> Result<ShutdownReport, Box<ShutdownReport>> {
    let mut all = vec![
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.to_owned()),
        ("OTEL_SERVICE_NAME", "tls".to_owned()),
        ("OTEL_BSP_SCHEDULE_DELAY", "600000".to_owned()),
        ("OTEL_METRIC_EXPORT_INTERVAL", "600000".to_owned()),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "3000".to_owned()),
    ];
    all.extend(vars);
    let config = configure(
        Config::from_env_vars(all)
            .unwrap()
            .with_shutdown_timeout(Duration::from_secs(8)),
    );
    let (layer, guard) = config.build().unwrap().layer();
    use tracing_subscriber::layer::SubscriberExt as _;
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, otlp::emit_sample_trace);
    guard.shutdown().map_err(|e| Box::new(e.report().clone()))
}

#[test]
fn https_with_the_ca_configured_delivers_spans_and_metrics_on_both_transports() {
    let pki = Pki::new();
    for protocol in protocols() {
        let receiver = tls_receiver(protocol, pki.server());
        assert!(receiver.base_url().starts_with("https://localhost:"));
        let report = export(
            protocol,
            vec![
                ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.base_url()),
                (
                    "OTEL_EXPORTER_OTLP_CERTIFICATE",
                    pki.ca_path().display().to_string(),
                ),
            ],
            |c| c,
        )
        .unwrap_or_else(|r| panic!("{protocol}: {r}"));
        assert_eq!(
            (report.ended, report.exported),
            (3, 3),
            "{protocol}: {report}"
        );
        assert_eq!(report.metrics_flushed, Some(true), "{protocol}: {report}");
        otlp::assert_sample_trace(&receiver.spans(), "tls");
        assert!(
            receiver
                .metrics()
                .iter()
                .any(|(_, m)| m.name == "gen_ai.client.operation.duration"),
            "{protocol}: no GenAI metric arrived"
        );
        assert_eq!(receiver.handshake_failures(), 0);
    }
}

/// Each TLS failure the report must name: (server, CA file, client identity, expected cause,
/// expected fix).
#[test]
fn tls_failures_are_named_with_their_fix_never_no_collector() {
    let pki = Pki::new();
    let ca = pki.ca_path().display().to_string();
    let wrong_ca = pki.wrong_ca_path().display().to_string();
    for protocol in protocols() {
        let cases: Vec<(&str, Receiver, String, &str, &str)> = vec![
            (
                "wrong CA",
                tls_receiver(protocol, pki.server()),
                wrong_ca.clone(),
                "certificate not trusted",
                "OTEL_EXPORTER_OTLP_CERTIFICATE",
            ),
            (
                "no CA at all (system roots only)",
                tls_receiver(protocol, pki.server()),
                String::new(),
                "certificate not trusted",
                "OTEL_EXPORTER_OTLP_CERTIFICATE",
            ),
            (
                "expired certificate",
                tls_receiver(protocol, pki.expired_server()),
                ca.clone(),
                "expired",
                "renew",
            ),
            (
                "mTLS without a client certificate",
                tls_receiver(protocol, pki.mtls_server()),
                ca.clone(),
                "client certificate",
                "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
            ),
        ];
        for (case, receiver, ca_file, why, fix) in cases {
            let mut vars = vec![("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.base_url())];
            if !ca_file.is_empty() {
                vars.push(("OTEL_EXPORTER_OTLP_CERTIFICATE", ca_file));
            }
            let report = export(protocol, vars, |c| c).expect_err(case);
            let text = report.to_string();
            assert_eq!(report.exported, 0, "{protocol} {case}: {text}");
            let reason = report.reason().unwrap();
            assert!(reason.starts_with("TLS: "), "{protocol} {case}: {text}");
            assert!(
                text.contains(why) && text.contains(fix),
                "{protocol} {case}: {text}"
            );
            assert!(
                !text.contains("no collector") && !text.contains("docker compose"),
                "{protocol} {case}: {text}"
            );
            assert!(receiver.spans().is_empty(), "{protocol} {case}");
        }
    }
}

#[test]
fn plain_http_receiver_behind_an_https_url_is_named() {
    let pki = Pki::new();
    for protocol in protocols() {
        let receiver = match protocol {
            "grpc" => otlp::start_grpc(Behavior::Accept),
            _ => otlp::start_http(Behavior::Accept),
        };
        let url = receiver.http_base().replace("http://", "https://");
        let report = export(
            protocol,
            vec![
                ("OTEL_EXPORTER_OTLP_ENDPOINT", url),
                (
                    "OTEL_EXPORTER_OTLP_CERTIFICATE",
                    pki.ca_path().display().to_string(),
                ),
            ],
            |c| c,
        )
        .expect_err(protocol);
        let text = report.to_string();
        assert!(
            text.contains("TLS: the server does not speak TLS") && text.contains("use http://"),
            "{protocol}: {text}"
        );
    }
}

#[test]
fn mutual_tls_is_accepted_with_the_client_certificate_from_env_or_code() {
    let pki = Pki::new();
    for protocol in protocols() {
        let receiver = tls_receiver(protocol, pki.mtls_server());
        let report = export(
            protocol,
            vec![
                ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.base_url()),
                (
                    "OTEL_EXPORTER_OTLP_CERTIFICATE",
                    pki.ca_path().display().to_string(),
                ),
                (
                    "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
                    pki.client_cert_path().display().to_string(),
                ),
                (
                    "OTEL_EXPORTER_OTLP_CLIENT_KEY",
                    pki.client_key_path().display().to_string(),
                ),
            ],
            |c| c,
        )
        .unwrap_or_else(|r| panic!("{protocol}: {r}"));
        assert_eq!(report.exported, 3, "{protocol}: {report}");
        assert_eq!(receiver.spans().len(), 3);

        // The same from code; a client certificate the server's client CA did not sign is
        // refused.
        let receiver = tls_receiver(protocol, pki.mtls_server());
        let report = export(
            protocol,
            vec![("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.base_url())],
            |c| {
                c.with_certificate(pki.ca_path())
                    .with_client_certificate(pki.client_cert_path())
                    .with_client_key(pki.client_key_path())
            },
        )
        .unwrap_or_else(|r| panic!("{protocol} (code): {r}"));
        assert_eq!(report.exported, 3, "{protocol} (code): {report}");
        let report = export(
            protocol,
            vec![("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.base_url())],
            |c| {
                c.with_certificate(pki.ca_path())
                    .with_client_certificate(pki.untrusted_client_cert_path())
                    .with_client_key(pki.untrusted_client_key_path())
            },
        )
        .expect_err("untrusted client certificate");
        assert!(
            report.reason().unwrap().starts_with("TLS: "),
            "{protocol}: {report}"
        );
    }
}

/// TLS settings per signal: the metrics signal has its own CA variable; the traces signal's
/// CA is the generic one.
#[test]
fn tls_settings_per_signal() {
    let pki = Pki::new();
    for protocol in protocols() {
        let traces = tls_receiver(protocol, pki.server());
        let metrics = tls_receiver(protocol, pki.wrong_ca_server());
        let metrics_url = match protocol {
            "grpc" => metrics.base_url(),
            _ => format!("{}/v1/metrics", metrics.base_url()),
        };
        let report = export(
            protocol,
            vec![
                ("OTEL_EXPORTER_OTLP_ENDPOINT", traces.base_url()),
                ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", metrics_url),
                (
                    "OTEL_EXPORTER_OTLP_CERTIFICATE",
                    pki.ca_path().display().to_string(),
                ),
                (
                    "OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE",
                    pki.wrong_ca_path().display().to_string(),
                ),
            ],
            |c| c,
        )
        .unwrap_or_else(|r| panic!("{protocol}: {r}"));
        assert_eq!(report.exported, 3, "{protocol}: {report}");
        assert_eq!(report.metrics_flushed, Some(true), "{protocol}: {report}");
        assert!(traces.metrics().is_empty());
        assert!(!metrics.metrics().is_empty(), "{protocol}");
        assert!(metrics.spans().is_empty());
    }
}

/// Unreadable and malformed PEM files are typed errors naming the setting and the path, at
/// build time, for every one of the three settings and in their per-signal forms.
#[test]
fn bad_pem_files_are_setup_errors_naming_the_setting_and_path() {
    let pki = Pki::new();
    let cert = pki.client_cert_path().display().to_string();
    /// (variables, the setting the error must name, the path, a word of the reason)
    type Case<'a> = (Vec<(&'a str, String)>, &'a str, std::path::PathBuf, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            vec![(
                "OTEL_EXPORTER_OTLP_CERTIFICATE",
                pki.missing_path().display().to_string(),
            )],
            "OTEL_EXPORTER_OTLP_CERTIFICATE",
            pki.missing_path(),
            "cannot read it",
        ),
        (
            vec![(
                "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
                pki.not_pem_path().display().to_string(),
            )],
            "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
            pki.not_pem_path(),
            "no certificate",
        ),
        (
            vec![(
                "OTEL_EXPORTER_OTLP_CERTIFICATE",
                pki.malformed_pem_path().display().to_string(),
            )],
            "OTEL_EXPORTER_OTLP_CERTIFICATE",
            pki.malformed_pem_path(),
            "",
        ),
        (
            vec![
                ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", cert.clone()),
                (
                    "OTEL_EXPORTER_OTLP_CLIENT_KEY",
                    pki.not_pem_path().display().to_string(),
                ),
            ],
            "OTEL_EXPORTER_OTLP_CLIENT_KEY",
            pki.not_pem_path(),
            "private key",
        ),
        (
            vec![("OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE", cert)],
            "OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE",
            pki.client_cert_path(),
            "OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY",
        ),
        (
            vec![(
                "OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY",
                pki.missing_path().display().to_string(),
            )],
            "OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY",
            pki.missing_path(),
            "",
        ),
    ];
    for protocol in protocols() {
        for (vars, setting, path, reason) in &cases {
            let mut all = vec![
                ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.to_owned()),
                (
                    "OTEL_EXPORTER_OTLP_ENDPOINT",
                    "https://localhost:1".to_owned(),
                ),
                ("OTEL_LOGS_EXPORTER", "otlp".to_owned()),
            ];
            all.extend(vars.iter().cloned());
            let err = Config::from_env_vars(all).unwrap().build().unwrap_err();
            let text = err.to_string();
            match &err {
                SetupError::TlsFile {
                    setting: s,
                    path: p,
                    ..
                } => {
                    assert_eq!(s, setting, "{protocol}: {text}");
                    assert_eq!(p, path, "{protocol}: {text}");
                }
                other => panic!("{protocol} {setting}: expected TlsFile, got {other:?}"),
            }
            assert!(text.contains(reason), "{protocol}: {text}");
            assert!(text.contains(&path.display().to_string()), "{text}");
        }
    }
}

/// Headers set in code win over environment headers of the same name, on both transports,
/// also when the exporter reads the process environment itself.
#[test]
fn code_headers_win_over_environment_headers() {
    use crate::support::process::rerun_in_child_process_with;
    if rerun_in_child_process_with(&[(
        "OTEL_EXPORTER_OTLP_HEADERS",
        Some("x-api-key=from-env,x-env-only=1"),
    )]) {
        return;
    }
    for protocol in protocols() {
        let receiver = match protocol {
            "grpc" => otlp::start_grpc(Behavior::Accept),
            _ => otlp::start_http(Behavior::Accept),
        };
        let config = Config::from_env()
            .unwrap()
            .with_protocol(tracing_genai::setup::Protocol::parse(protocol).unwrap())
            .with_endpoint(receiver.http_base())
            .with_header("x-api-key", "from-code")
            .with_metrics(false);
        let (layer, guard) = config.build().unwrap().layer();
        use tracing_subscriber::layer::SubscriberExt as _;
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, otlp::emit_sample_trace);
        guard.shutdown().unwrap();
        let headers = &receiver.headers()[0];
        assert_eq!(
            headers.get("x-api-key").map(String::as_str),
            Some("from-code"),
            "{protocol}: {headers:?}"
        );
        assert_eq!(
            headers.get("x-env-only").map(String::as_str),
            Some("1"),
            "{protocol}"
        );
    }
}
