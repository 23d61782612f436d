//! The README's backend recipes ("Backends (tested recipes)"), read from the README itself and
//! run against in-process receivers that enforce each backend's public contract: TLS (with a
//! certificate made here, trusted through `OTEL_EXPORTER_OTLP_CERTIFICATE`, the only variable
//! the test adds), the URL path, the authentication header; a wrong credential is refused and
//! the shutdown report says so.

use std::collections::BTreeMap;
use std::time::Duration;

use tracing_genai::setup::ShutdownReport;
use tracing_genai::{Config, GenAiSpanExt as _};

use crate::support::otlp::{self, Behavior, Receiver, ReceiverOptions};
use crate::support::tls::Pki;

/// Recipe name (the bold text) → its `export NAME=value` lines, in order.
fn recipes() -> BTreeMap<String, Vec<(String, String)>> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme
        .find("## Backends (tested recipes)")
        .expect("the recipes section");
    let section = &readme[start..];
    let end = section[3..].find("\n## ").map_or(section.len(), |i| i + 3);
    let section = &section[..end];
    let mut out = BTreeMap::new();
    let mut name: Option<String> = None;
    let mut in_block = false;
    for line in section.lines() {
        if line.starts_with("```sh") {
            in_block = true;
            continue;
        }
        if line.starts_with("```") {
            in_block = false;
            name = None;
            continue;
        }
        if in_block {
            if let (Some(n), Some(rest)) = (&name, line.strip_prefix("export ")) {
                let (k, v) = rest.split_once('=').expect("NAME=value");
                out.entry(n.clone())
                    .or_insert_with(Vec::new)
                    .push((k.to_owned(), v.to_owned()));
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("**")
            && let Some((bold, _)) = rest.split_once("**")
        {
            name = Some(bold.to_owned());
        }
    }
    out
}

/// Standard base64 (for the Basic credentials, as `base64 -w0` prints them).
fn base64(input: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = input.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The recipe's variables with the backend's host replaced by the receiver's, `${…}`
/// substituted, and the test CA added for TLS receivers.
fn environment(
    recipe: &[(String, String)],
    host: &str,
    receiver: &Receiver,
    secrets: &[(&str, &str)],
    pki: &Pki,
) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = recipe
        .iter()
        .map(|(k, v)| {
            let mut v = v.replace(host, &receiver.base_url());
            for (name, value) in secrets {
                v = v.replace(&format!("${{{name}}}"), value);
            }
            assert!(!v.contains("${"), "unsubstituted variable in {k}={v}");
            (k.clone(), v)
        })
        .collect();
    if receiver.is_tls() {
        vars.push((
            "OTEL_EXPORTER_OTLP_CERTIFICATE".into(),
            pki.ca_path().display().to_string(),
        ));
    }
    vars.push(("OTEL_SERVICE_NAME".into(), "recipe".into()));
    vars
}

/// Runs the sample trace and an error (for a log record) through the pipeline of `vars`.
fn run(vars: Vec<(String, String)>) -> Result<ShutdownReport, Box<ShutdownReport>> {
    let config = Config::from_env_vars(vars)
        .unwrap()
        .with_shutdown_timeout(Duration::from_secs(8));
    let (layer, guard) = config.build().unwrap().layer();
    use tracing_subscriber::layer::SubscriberExt as _;
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        otlp::emit_sample_trace();
        let failed = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
        failed.record_error_type("rate_limit_exceeded", Some("slow down"));
    });
    guard.shutdown().map_err(|e| Box::new(e.report().clone()))
}

fn count(receiver: &Receiver, path: &str) -> usize {
    receiver
        .requests()
        .iter()
        .filter(|r| r.path == path && r.status == 200)
        .count()
}

#[test]
fn the_readme_lists_the_tested_recipes() {
    let names: Vec<String> = recipes().into_keys().collect();
    assert_eq!(
        names,
        [
            "Arize Phoenix",
            "Datadog Agent",
            "Grafana Cloud",
            "Honeycomb",
            "Jaeger",
            "Langfuse",
            "OpenTelemetry Collector",
        ]
    );
}

#[test]
fn langfuse_https_basic_auth_under_api_public_otel_traces_only() {
    let pki = Pki::new();
    let recipe = &recipes()["Langfuse"];
    let auth = base64("pk-lf-1234:sk-lf-5678");
    let receiver = otlp::start_http_with(
        Behavior::Accept,
        ReceiverOptions::default()
            .tls(pki.server())
            .path_prefix("/api/public/otel")
            .header("authorization", format!("Basic {auth}")),
    );
    let vars = environment(
        recipe,
        "https://cloud.langfuse.com",
        &receiver,
        &[("AUTH", &auth)],
        &pki,
    );
    let report = run(vars).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!((report.ended, report.exported), (4, 4), "{report}");
    assert_eq!(report.metrics_destination, None, "traces only");
    assert!(report.logs.is_none(), "traces only");
    assert_eq!(count(&receiver, "/api/public/otel/v1/traces"), 1);
    assert_eq!(receiver.rejected(), 0);
    otlp::assert_sample_trace(&receiver.spans(), "recipe");

    // A wrong secret key: refused, and the report says what the collector answered.
    let wrong = environment(
        recipe,
        "https://cloud.langfuse.com",
        &receiver,
        &[("AUTH", &base64("pk-lf-1234:wrong"))],
        &pki,
    );
    let report = run(wrong).expect_err("a wrong key must be refused");
    assert_eq!((report.exported, report.failed), (0, 4), "{report}");
    assert!(report.to_string().contains("401"), "{report}");
    assert!(receiver.rejected() >= 1);
}

#[test]
fn grafana_cloud_https_basic_auth_under_otlp_all_signals() {
    let pki = Pki::new();
    let recipe = &recipes()["Grafana Cloud"];
    let auth = base64("123456:glc_token");
    let receiver = otlp::start_http_with(
        Behavior::Accept,
        ReceiverOptions::default()
            .tls(pki.server())
            .path_prefix("/otlp")
            .header("authorization", format!("Basic {auth}")),
    );
    let vars = environment(
        recipe,
        "https://otlp-gateway-prod-eu-west-2.grafana.net",
        &receiver,
        &[("AUTH", &auth)],
        &pki,
    );
    let report = run(vars).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(report.exported, 4, "{report}");
    assert_eq!(report.metrics_flushed, Some(true), "{report}");
    let logs = report.logs.clone().expect("logs on");
    assert_eq!((logs.exported, logs.failed), (1, 0), "{report}");
    for path in ["/otlp/v1/traces", "/otlp/v1/metrics", "/otlp/v1/logs"] {
        assert_eq!(count(&receiver, path), 1, "{path}: {:?}", receiver.paths());
    }
    assert_eq!(receiver.rejected(), 0);
}

#[test]
fn honeycomb_team_header_everywhere_dataset_on_metrics_only() {
    let pki = Pki::new();
    let recipe = &recipes()["Honeycomb"];
    let receiver = otlp::start_http_with(
        Behavior::Accept,
        ReceiverOptions::default()
            .tls(pki.server())
            .header("x-honeycomb-team", "hc-key"),
    );
    let vars = environment(
        recipe,
        "https://api.honeycomb.io",
        &receiver,
        &[("HONEYCOMB_API_KEY", "hc-key")],
        &pki,
    );
    let report = run(vars).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(report.exported, 4, "{report}");
    assert_eq!(report.metrics_flushed, Some(true), "{report}");
    let dataset = |path: &str| {
        let requests = receiver.requests();
        let request = requests
            .iter()
            .find(|r| r.path == path && r.status == 200)
            .unwrap_or_else(|| panic!("no accepted request to {path}"));
        request.headers.get("x-honeycomb-dataset").cloned()
    };
    assert_eq!(dataset("/v1/metrics").as_deref(), Some("genai-metrics"));
    assert_eq!(dataset("/v1/traces"), None);
    assert_eq!(dataset("/v1/logs"), None);
}

/// The recipes for local receivers (plain HTTP, default paths).
#[test]
fn local_receivers_jaeger_collector_phoenix_datadog() {
    let pki = Pki::new();
    let all = recipes();
    for (name, host, traces_only) in [
        ("Jaeger", "http://localhost:4318", false),
        ("OpenTelemetry Collector", "http://localhost:5318", false),
        ("Datadog Agent", "http://localhost:4318", false),
        ("Arize Phoenix", "http://localhost:6006", true),
    ] {
        let receiver = otlp::start_http(Behavior::Accept);
        let vars = environment(&all[name], host, &receiver, &[], &pki);
        let report = run(vars).unwrap_or_else(|r| panic!("{name}: {r}"));
        assert_eq!(report.exported, 4, "{name}: {report}");
        assert_eq!(count(&receiver, "/v1/traces"), 1, "{name}");
        assert_eq!(
            count(&receiver, "/v1/metrics"),
            usize::from(!traces_only),
            "{name}"
        );
        assert_eq!(receiver.rejected(), 0, "{name}");
    }
}

#[test]
fn base64_matches_the_coreutils_output() {
    assert_eq!(
        base64("pk-lf-1234:sk-lf-5678"),
        "cGstbGYtMTIzNDpzay1sZi01Njc4"
    );
    assert_eq!(base64("a"), "YQ==");
    assert_eq!(base64("ab"), "YWI=");
    assert_eq!(base64("abc"), "YWJj");
}
