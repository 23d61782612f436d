//! [`ShutdownReport`]: what shutdown delivered, and, when spans were lost, the classification
//! of why (the last export error, the endpoint probe, the counts) into a reason and a fix.

use std::fmt;
use std::time::Duration;

use super::logs::LogsReport;
use super::probe::Probe;

/// What shutdown delivered. Printed with `{}` it is a one-line summary that, when spans were
/// lost, says why and what to do.
///
/// ```
/// let (_layer, guard) = tracing_genai::Config::default()
///     .with_exporter(tracing_genai::setup::ExporterKind::None)
///     .build()
///     .unwrap()
///     .layer::<tracing_subscriber::Registry>();
/// let report = guard.shutdown().unwrap();
/// assert_eq!((report.ended, report.exported, report.dropped, report.failed), (0, 0, 0, 0));
/// assert!(report.to_string().starts_with("tracing-genai: 0 of 0 spans exported"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Where spans were sent, e.g. `otlp http/protobuf http://localhost:4318/v1/traces`.
    pub destination: String,
    /// Spans ended (and sampled) while the pipeline ran.
    pub ended: u64,
    /// Spans the exporter delivered.
    pub exported: u64,
    /// Spans whose export request failed (after retries).
    pub failed: u64,
    /// Spans never handed to the exporter: queue full, or still queued/in flight when the
    /// shutdown timeout expired.
    pub dropped: u64,
    /// Shutdown hit its timeout.
    pub timed_out: bool,
    /// The last export or shutdown error, if any.
    pub error: Option<String>,
    /// How long shutdown took.
    pub elapsed: Duration,
    /// Where metrics were sent (`None`: metrics off).
    pub metrics_destination: Option<String>,
    /// Whether the final metrics flush delivered (`None`: metrics off). Not part of
    /// [`is_complete`](Self::is_complete), which is about spans.
    pub metrics_flushed: Option<bool>,
    /// Why the last metric export or the final flush failed, if it did.
    pub metrics_error: Option<String>,
    /// The log records (GenAI events, bridged `tracing` events): emitted, exported, failed,
    /// dropped (`None`: no logs exporter, `OTEL_LOGS_EXPORTER` unset or `none`). Lost records
    /// add a `log records:` line to the summary; they are not part of
    /// [`is_complete`](Self::is_complete), which is about spans.
    pub logs: Option<LogsReport>,
    pub(crate) endpoint: Option<String>,
    pub(crate) timeout: Duration,
    /// Result of a TCP probe of the endpoint when nothing could be delivered.
    pub(crate) probe: Option<Probe>,
}

impl ShutdownReport {
    /// Every ended span was exported and shutdown finished in time.
    ///
    /// ```
    /// # let (_layer, guard) = tracing_genai::Config::default().with_exporter(tracing_genai::setup::ExporterKind::None).build().unwrap().layer::<tracing_subscriber::Registry>();
    /// assert!(guard.shutdown().unwrap().is_complete());
    /// ```
    pub fn is_complete(&self) -> bool {
        !self.timed_out && self.exported >= self.ended && self.failed == 0
    }

    /// Spans not delivered (`failed + dropped`).
    ///
    /// ```
    /// # let (_layer, guard) = tracing_genai::Config::default().with_exporter(tracing_genai::setup::ExporterKind::None).build().unwrap().layer::<tracing_subscriber::Registry>();
    /// assert_eq!(guard.shutdown().unwrap().lost(), 0);
    /// ```
    pub fn lost(&self) -> u64 {
        self.failed + self.dropped
    }

    /// Why spans were lost, in words (`None` when complete).
    ///
    /// ```
    /// # let (_layer, guard) = tracing_genai::Config::default().with_exporter(tracing_genai::setup::ExporterKind::None).build().unwrap().layer::<tracing_subscriber::Registry>();
    /// assert_eq!(guard.shutdown().unwrap().reason(), None);
    /// ```
    pub fn reason(&self) -> Option<String> {
        if self.is_complete() {
            return None;
        }
        let endpoint = self.endpoint.as_deref().unwrap_or("the exporter");
        let error = self.error.clone().unwrap_or_default();
        // Some spans arrived: the collector was there, for part of the run at least.
        let partly = if self.exported > 0 {
            " for part of the run"
        } else {
            ""
        };
        Some(match self.cause() {
            Cause::Refused if self.exported > 0 => {
                format!("the collector at {endpoint} was down for part of the run (connection refused)")
            }
            Cause::Refused => format!("no collector at {endpoint} (connection refused)"),
            Cause::Tls(tls, None) => format!("TLS: {} ({endpoint}{partly})", tls.what()),
            Cause::Tls(tls, Some(detail)) => {
                format!("TLS: {} ({endpoint}{partly}: {detail})", tls.what())
            }
            Cause::Unreachable(why) => format!("cannot reach {endpoint}{partly} ({why})"),
            Cause::Slow => format!(
                "the collector at {endpoint} did not answer within {:?}",
                self.timeout
            ),
            Cause::TooLarge => format!(
                "the collector at {endpoint} refused batches as too large: {}",
                short(&error)
            ),
            Cause::Throttled => format!(
                "the collector at {endpoint} throttled exports beyond the export timeout: {}",
                short(&error)
            ),
            Cause::Failed => format!("export to {endpoint} failed{partly}: {}", short(&error)),
            Cause::QueueFull => {
                "the span queue was full (raise OTEL_BSP_MAX_QUEUE_SIZE) or spans were still in flight"
                    .to_owned()
            }
        })
    }

    /// What to do about lost spans (`None` when complete).
    ///
    /// ```
    /// # let (_layer, guard) = tracing_genai::Config::default().with_exporter(tracing_genai::setup::ExporterKind::None).build().unwrap().layer::<tracing_subscriber::Registry>();
    /// assert_eq!(guard.shutdown().unwrap().hint(), None);
    /// ```
    pub fn hint(&self) -> Option<&'static str> {
        if self.is_complete() {
            return None;
        }
        const START_ONE: &str = "start a collector with `docker compose up -d` (Jaeger, UI at http://localhost:16686), point OTEL_EXPORTER_OTLP_ENDPOINT at yours, or set OTEL_TRACES_EXPORTER=console";
        Some(match self.cause() {
            Cause::Refused | Cause::Unreachable(_) if self.exported > 0 => {
                "spans ended while the collector was unreachable are not kept; run the collector next to the app (or behind a load balancer) so that restarts do not lose data"
            }
            Cause::Refused | Cause::Unreachable(_) => START_ONE,
            Cause::Tls(tls, _) => tls.fix(),
            Cause::Slow if self.exported > 0 => {
                "the collector is slow or overloaded: raise OTEL_EXPORTER_OTLP_TIMEOUT and the shutdown timeout, or lower the span volume (OTEL_TRACES_SAMPLER)"
            }
            Cause::Slow => START_ONE,
            Cause::TooLarge => {
                "lower OTEL_BSP_MAX_EXPORT_BATCH_SIZE, cap captured message content (ContentConfig::max_span_bytes), or raise the collector's request size limit"
            }
            Cause::Throttled => {
                "the collector is overloaded: scale it, or lower the span volume (OTEL_TRACES_SAMPLER=parentbased_traceidratio, OTEL_TRACES_SAMPLER_ARG=0.1)"
            }
            Cause::Failed => {
                "check the collector's logs, and that OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_PROTOCOL name an OTLP receiver (4318: http/protobuf, 4317: grpc) and OTEL_EXPORTER_OTLP_HEADERS its credentials"
            }
            Cause::QueueFull => "raise OTEL_BSP_MAX_QUEUE_SIZE or lower OTEL_BSP_SCHEDULE_DELAY",
        })
    }

    /// Classifies the loss from the last error, the probe and the counts.
    fn cause(&self) -> Cause {
        let lower = self
            .error
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let status = |code: &str| {
            lower.contains(&format!("status code: {code}")) || lower.contains(&format!(" {code} "))
        };
        if self.probe == Some(Probe::Refused) || lower.contains("connection refused") {
            Cause::Refused
        } else if let Some(Probe::Tls(why)) = &self.probe {
            let tls = TlsCause::of(&why.to_ascii_lowercase()).unwrap_or(TlsCause::Other);
            Cause::Tls(tls, Some(why.clone()))
        } else if let Some(tls) = TlsCause::of(&lower) {
            Cause::Tls(tls, None)
        } else if let Some(Probe::Unreachable(why)) = &self.probe {
            Cause::Unreachable(why.clone())
        } else if lower.contains("network error") || lower.contains("connection reset") {
            Cause::Unreachable("network error".to_owned())
        } else if self.timed_out
            || lower.contains("timeout")
            || lower.contains("timed out")
            || lower.contains("deadline")
        {
            Cause::Slow
        } else if self.failed == 0 {
            Cause::QueueFull
        } else if status("413") || lower.contains("outofrange") || lower.contains("too large") {
            Cause::TooLarge
        } else if status("429") || lower.contains("resourceexhausted") {
            Cause::Throttled
        } else {
            Cause::Failed
        }
    }

    /// The metrics line of the summary, when the final metrics flush failed (and the logs
    /// line, when log records were lost).
    fn fmt_metrics(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Logs (issue 12).
        if let Some(logs) = self.logs.as_ref().filter(|l| l.lost() > 0) {
            write!(f, "\n  {logs}")?;
        }
        match (&self.metrics_destination, self.metrics_flushed) {
            (Some(to), Some(false)) => write!(
                f,
                "\n  metrics: final flush to {to} failed: {}",
                short(self.metrics_error.as_deref().unwrap_or("unknown error"))
            ),
            _ => Ok(()),
        }
    }

    /// The summary as one structured `tracing` event (target `tracing_genai::export`): `WARN`
    /// when spans were lost, `INFO` otherwise, with the counts as fields, so a log pipeline
    /// or alert sees them without the caller printing the report.
    pub(crate) fn log(&self) {
        if self.is_complete() {
            tracing::info!(
                target: LOG_TARGET,
                ended = self.ended,
                exported = self.exported,
                failed = self.failed,
                dropped = self.dropped,
                timed_out = self.timed_out,
                "{self}"
            );
        } else {
            tracing::warn!(
                target: LOG_TARGET,
                ended = self.ended,
                exported = self.exported,
                failed = self.failed,
                dropped = self.dropped,
                timed_out = self.timed_out,
                "{self}"
            );
        }
    }
}

/// Target of the shutdown summary event.
const LOG_TARGET: &str = "tracing_genai::export";

/// Why spans were lost (see [`ShutdownReport::reason`]).
#[derive(Debug)]
enum Cause {
    Refused,
    /// What failed, and the probe's own TLS error when it found one.
    Tls(TlsCause, Option<String>),
    Unreachable(String),
    Slow,
    TooLarge,
    Throttled,
    Failed,
    QueueFull,
}

/// What went wrong in a TLS handshake, from the error chain rustls put in the export error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TlsCause {
    /// The collector's certificate chains to no trusted root.
    NotTrusted,
    Expired,
    /// The certificate is for another host name.
    WrongName,
    /// Something that is not TLS answered (a plain-HTTP receiver behind an `https://` URL).
    NotTls,
    /// The collector requires a client certificate, or refused the one sent.
    ClientCertificate,
    /// Any other TLS failure.
    Other,
}

impl TlsCause {
    /// Classifies a lower-cased error text (`None`: not a TLS failure).
    fn of(lower: &str) -> Option<TlsCause> {
        let has = |s: &str| lower.contains(s);
        Some(
            if has("unknownissuer") || has("unknown issuer") || has("unknownca") {
                TlsCause::NotTrusted
            } else if has("certificate expired") || has("certificate: expired") {
                TlsCause::Expired
            } else if has("not valid for name") || has("notvalidforname") {
                TlsCause::WrongName
            } else if has("invalidcontenttype")
                || has("corrupt message")
                || has("wrong version number")
            {
                TlsCause::NotTls
            } else if has("certificaterequired")
                || has("badcertificate")
                || has("certificateunknown")
                || has("unknown_ca")
            {
                TlsCause::ClientCertificate
            } else if has("invalid peer certificate")
                || has("received fatal alert")
                || has("handshake")
                || has("tls")
            {
                TlsCause::Other
            } else {
                return None;
            },
        )
    }

    fn what(self) -> &'static str {
        match self {
            TlsCause::NotTrusted => {
                "certificate not trusted: the collector's certificate is signed by a CA that is not in the trust store"
            }
            TlsCause::Expired => "the collector's certificate has expired",
            TlsCause::WrongName => "the collector's certificate is for another host name",
            TlsCause::NotTls => {
                "the server does not speak TLS (a plain-HTTP receiver behind an https:// URL?)"
            }
            TlsCause::ClientCertificate => {
                "the collector refused the connection: it requires a client certificate it trusts (mutual TLS)"
            }
            TlsCause::Other => "the TLS handshake with the collector failed",
        }
    }

    fn fix(self) -> &'static str {
        match self {
            TlsCause::NotTrusted => {
                "set OTEL_EXPORTER_OTLP_CERTIFICATE (or Config::with_certificate) to the PEM file of the CA that signed the collector's certificate, or install that CA in the system trust store"
            }
            TlsCause::Expired => {
                "renew the collector's certificate (check the clocks of both machines too)"
            }
            TlsCause::WrongName => {
                "use the host name the certificate was issued for in OTEL_EXPORTER_OTLP_ENDPOINT, or reissue the certificate with this name"
            }
            TlsCause::NotTls => {
                "use http:// in OTEL_EXPORTER_OTLP_ENDPOINT, or enable TLS on the collector's OTLP receiver"
            }
            TlsCause::ClientCertificate => {
                "set OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY (or Config::with_client_certificate / with_client_key) to a certificate the collector's client CA signed"
            }
            TlsCause::Other => {
                "check the collector's TLS settings and OTEL_EXPORTER_OTLP_CERTIFICATE / _CLIENT_CERTIFICATE / _CLIENT_KEY"
            }
        }
    }
}

/// `s` cut to 300 bytes (at a character boundary) with `...` appended.
fn short(s: &str) -> String {
    const MAX: usize = 300;
    if s.len() <= MAX {
        return s.to_owned();
    }
    format!("{}...", crate::model::text::cut(s, MAX))
}

impl fmt::Display for ShutdownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_complete() {
            write!(
                f,
                "tracing-genai: {} of {} spans exported to {}",
                self.exported, self.ended, self.destination
            )?;
            return self.fmt_metrics(f);
        }
        write!(
            f,
            "tracing-genai: {} of {} spans exported, {} failed, {} dropped",
            self.exported, self.ended, self.failed, self.dropped
        )?;
        if let Some(reason) = self.reason() {
            write!(f, "\n  why: {reason}")?;
        }
        if let Some(hint) = self.hint() {
            write!(f, "\n  fix: {hint}")?;
        }
        self.fmt_metrics(f)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn lost(error: &str, probe: Option<Probe>, exported: u64, failed: u64) -> ShutdownReport {
        ShutdownReport {
            destination: "otlp grpc http://c:4317".into(),
            ended: 10,
            exported,
            failed,
            dropped: 10 - exported - failed,
            timed_out: false,
            error: (!error.is_empty()).then(|| error.to_owned()),
            elapsed: Duration::ZERO,
            metrics_destination: None,
            metrics_flushed: None,
            metrics_error: None,
            logs: None,
            endpoint: Some("http://c:4317".into()),
            timeout: Duration::from_secs(1),
            probe,
        }
    }

    #[test]
    fn causes_from_errors_probe_and_counts() {
        let reason = |r: ShutdownReport| r.reason().unwrap();
        assert_eq!(
            reason(lost("", Some(Probe::Refused), 0, 10)),
            "no collector at http://c:4317 (connection refused)"
        );
        assert!(reason(lost("connection refused", None, 5, 5)).contains("for part of the run"));
        assert!(
            reason(lost("", Some(Probe::Unreachable("no route".into())), 0, 10))
                .starts_with("cannot reach http://c:4317 (no route)")
        );
        assert!(reason(lost("Status code: 413 ", None, 0, 10)).contains("too large"));
        assert!(reason(lost("ResourceExhausted", None, 0, 10)).contains("throttled"));
        assert!(reason(lost("request timed out", None, 0, 10)).contains("did not answer"));
        assert!(reason(lost("", None, 0, 0)).contains("span queue was full"));
        assert!(reason(lost("boom", None, 0, 10)).starts_with("export to http://c:4317 failed"));
    }

    #[test]
    fn tls_failures_name_the_cause_and_the_fix_never_no_collector() {
        let cases = [
            (
                "HTTP export failed: network error: error sending request: invalid peer certificate: UnknownIssuer",
                "certificate not trusted",
                "OTEL_EXPORTER_OTLP_CERTIFICATE",
            ),
            (
                "transport error: invalid peer certificate: certificate expired: verification time 1 (UNIX), but certificate is not valid after 0 (1 seconds ago)",
                "expired",
                "renew",
            ),
            (
                "invalid peer certificate: certificate not valid for name \"c\"; certificate is only valid for x",
                "another host name",
                "host name",
            ),
            (
                "network error: received corrupt message of type InvalidContentType",
                "does not speak TLS",
                "use http://",
            ),
            (
                "network error: received fatal alert: CertificateRequired",
                "client certificate",
                "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
            ),
        ];
        for (error, why, fix) in cases {
            let report = lost(error, Some(Probe::Reachable), 0, 10);
            let text = report.to_string();
            assert!(report.reason().unwrap().starts_with("TLS: "), "{text}");
            assert!(text.contains(why) && text.contains(fix), "{text}");
            assert!(
                !text.contains("no collector") && !text.contains("docker"),
                "{text}"
            );
        }
    }

    #[test]
    fn summary_says_why_and_what_to_do() {
        let text = lost("", Some(Probe::Refused), 0, 10).to_string();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(
            lines[0],
            "tracing-genai: 0 of 10 spans exported, 10 failed, 0 dropped"
        );
        assert!(lines[1].starts_with("  why: no collector"), "{text}");
        assert!(lines[2].contains("docker compose up -d"), "{text}");
    }

    #[test]
    fn short_cuts_at_a_character_boundary() {
        let long = "é".repeat(200);
        let cut = short(&long);
        assert!(cut.ends_with("...") && cut.len() <= 303, "{cut}");
        assert_eq!(short("brief"), "brief");
    }
}
