//! [`TelemetryGuard`]: time-bounded, idempotent shutdown with a report of what was delivered.

use std::fmt;
use std::io::Write as _;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{sync_channel, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;

use super::config::ExporterKind;
use super::error::ShutdownError;
use super::exporter::Counters;
use super::meter::MetricCounters;

/// The meter provider side of the pipeline.
pub(crate) struct Meters {
    pub(crate) provider: Option<SdkMeterProvider>,
    pub(crate) counters: Arc<MetricCounters>,
    pub(crate) endpoint: Option<String>,
}

/// What shutdown delivered. Printed with `{}` it is a one-line summary that, when spans were
/// lost, says why and what to do.
///
/// ```
/// let guard = tracing_genai::Config::default()
///     .with_exporter(tracing_genai::ExporterKind::None)
///     .build()
///     .unwrap()
///     .guard;
/// let report = guard.shutdown().unwrap();
/// assert_eq!((report.ended, report.exported, report.dropped, report.failed), (0, 0, 0, 0));
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
    pub(crate) endpoint: Option<String>,
    pub(crate) timeout: Duration,
    /// Result of a TCP probe of the endpoint when nothing could be delivered.
    pub(crate) probe: Option<Probe>,
}

/// What a TCP connect to the endpoint found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Probe {
    Reachable,
    Refused,
    Unreachable(String),
}

/// Connects to the endpoint's host and port (bounded by `timeout`, DNS included).
fn probe(endpoint: &str, timeout: Duration) -> Option<Probe> {
    let (scheme, rest) = endpoint.split_once("://")?;
    let authority = rest.split('/').next()?.rsplit('@').next()?.to_owned();
    let default_port = if scheme == "https" { 443 } else { 80 };
    let target = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority
    } else {
        format!("{authority}:{default_port}")
    };
    let (tx, rx) = sync_channel(1);
    std::thread::Builder::new()
        .name("tracing-genai-probe".into())
        .spawn(move || {
            use std::net::ToSocketAddrs as _;
            let result = match target.to_socket_addrs() {
                Err(e) => Probe::Unreachable(format!("cannot resolve {target}: {e}")),
                Ok(addrs) => {
                    let mut outcome = Probe::Unreachable(format!("no address for {target}"));
                    for addr in addrs {
                        match std::net::TcpStream::connect_timeout(&addr, timeout) {
                            Ok(_) => {
                                outcome = Probe::Reachable;
                                break;
                            }
                            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                                outcome = Probe::Refused
                            }
                            Err(e) => outcome = Probe::Unreachable(e.to_string()),
                        }
                    }
                    outcome
                }
            };
            let _ = tx.send(result);
        })
        .ok()?;
    rx.recv_timeout(timeout + Duration::from_millis(100)).ok()
}

impl ShutdownReport {
    /// Every ended span was exported and shutdown finished in time.
    ///
    /// ```
    /// # let guard = tracing_genai::Config::default().with_exporter(tracing_genai::ExporterKind::None).build().unwrap().guard;
    /// assert!(guard.shutdown().unwrap().is_complete());
    /// ```
    pub fn is_complete(&self) -> bool {
        !self.timed_out && self.exported >= self.ended && self.failed == 0
    }

    /// Spans not delivered (`failed + dropped`).
    ///
    /// ```
    /// # let guard = tracing_genai::Config::default().with_exporter(tracing_genai::ExporterKind::None).build().unwrap().guard;
    /// assert_eq!(guard.shutdown().unwrap().lost(), 0);
    /// ```
    pub fn lost(&self) -> u64 {
        self.failed + self.dropped
    }

    /// Why spans were lost, in words (`None` when complete).
    ///
    /// ```
    /// # let guard = tracing_genai::Config::default().with_exporter(tracing_genai::ExporterKind::None).build().unwrap().guard;
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
    /// # let guard = tracing_genai::Config::default().with_exporter(tracing_genai::ExporterKind::None).build().unwrap().guard;
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
}

/// Why spans were lost (see [`ShutdownReport::reason`]).
#[derive(Debug)]
enum Cause {
    Refused,
    Unreachable(String),
    Slow,
    TooLarge,
    Throttled,
    Failed,
    QueueFull,
}

fn short(s: &str) -> String {
    const MAX: usize = 300;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
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

impl ShutdownReport {
    fn fmt_metrics(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.metrics_destination, self.metrics_flushed) {
            (Some(to), Some(false)) => write!(
                f,
                "\n  metrics: final flush to {to} failed: {}",
                short(self.metrics_error.as_deref().unwrap_or("unknown error"))
            ),
            _ => Ok(()),
        }
    }
}

type Outcome = Result<ShutdownReport, ShutdownError>;

/// Owns the telemetry pipeline. Call [`TelemetryGuard::shutdown`] at the end of `main`; if
/// you do not, `Drop` flushes with a short timeout (best effort) and prints what was lost.
///
/// ```
/// let guard = tracing_genai::Config::default()
///     .with_exporter(tracing_genai::ExporterKind::None)
///     .build()
///     .unwrap()
///     .guard;
/// let first = guard.shutdown();
/// assert_eq!(first, guard.shutdown()); // idempotent
/// ```
#[must_use = "dropping the guard shuts telemetry down immediately; keep it until the end of main and call shutdown()"]
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
    meters: Meters,
    counters: Arc<Counters>,
    kind: ExporterKind,
    destination: String,
    endpoint: Option<String>,
    shutdown_timeout: Duration,
    drop_timeout: Duration,
    outcome: Mutex<Option<Outcome>>,
}

impl fmt::Debug for TelemetryGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelemetryGuard")
            .field("destination", &self.destination)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish_non_exhaustive()
    }
}

impl TelemetryGuard {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        provider: SdkTracerProvider,
        meters: Meters,
        counters: Arc<Counters>,
        kind: ExporterKind,
        destination: String,
        endpoint: Option<String>,
        shutdown_timeout: Duration,
        drop_timeout: Duration,
    ) -> Self {
        TelemetryGuard {
            provider,
            meters,
            counters,
            kind,
            destination,
            endpoint,
            shutdown_timeout,
            drop_timeout,
            outcome: Mutex::new(None),
        }
    }

    /// The tracer provider (e.g. for other instrumentation that wants OpenTelemetry tracers).
    ///
    /// ```
    /// use opentelemetry::trace::TracerProvider as _;
    /// # let guard = tracing_genai::Config::default().with_exporter(tracing_genai::ExporterKind::None).build().unwrap().guard;
    /// let tracer = guard.provider().tracer("other");
    /// # drop(tracer);
    /// ```
    pub fn provider(&self) -> &SdkTracerProvider {
        &self.provider
    }

    /// The meter provider the GenAI layer records into (`None` when metrics are off).
    ///
    /// ```
    /// # let guard = tracing_genai::Config::default().with_exporter(tracing_genai::ExporterKind::None).build().unwrap().guard;
    /// assert!(guard.meter_provider().is_none()); // no export, no metrics
    /// ```
    pub fn meter_provider(&self) -> Option<&SdkMeterProvider> {
        self.meters.provider.as_ref()
    }

    /// Flushes every ended span and stops the pipeline, within the configured shutdown timeout
    /// (default 5 s) whatever the collector does and whatever the calling context (inside a
    /// multi-thread or current-thread tokio runtime, plain `main`, during unwinding).
    /// Idempotent: later calls return the first result.
    ///
    /// ```
    /// let guard = tracing_genai::Config::default()
    ///     .with_exporter(tracing_genai::ExporterKind::None)
    ///     .build()
    ///     .unwrap()
    ///     .guard;
    /// match guard.shutdown() {
    ///     Ok(report) => println!("{report}"),
    ///     Err(err) => eprintln!("{err}"),
    /// }
    /// ```
    pub fn shutdown(&self) -> Result<ShutdownReport, ShutdownError> {
        self.shutdown_within(self.shutdown_timeout)
    }

    fn shutdown_within(&self, timeout: Duration) -> Outcome {
        let mut slot = match self.outcome.lock() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(outcome) = slot.as_ref() {
            return outcome.clone();
        }
        let started = Instant::now();
        let mut timed_out = false;
        let mut shutdown_error = None;
        // The meter provider shuts down (exporting the last values) in parallel, on its own
        // thread, within the same deadline.
        let metrics_rx = self.meters.provider.clone().map(|meters| {
            let (tx, rx) = sync_channel(1);
            let spawned = std::thread::Builder::new()
                .name("tracing-genai-metrics-shutdown".into())
                .spawn(move || {
                    let _ = tx.send(meters.shutdown());
                });
            spawned.map(|_| rx).map_err(|e| e.to_string())
        });
        if self.kind != ExporterKind::None {
            // On its own thread: the SDK's shutdown blocks, and must never run on (and stall) a
            // runtime thread of the caller.
            let (tx, rx) = sync_channel(1);
            let provider = self.provider.clone();
            // The SDK waits `timeout` for its worker; keep a margin for our own bookkeeping.
            let inner_timeout = timeout
                .saturating_sub(Duration::from_millis(50))
                .max(Duration::from_millis(1));
            let spawned = std::thread::Builder::new()
                .name("tracing-genai-shutdown".into())
                .spawn(move || {
                    let _ = tx.send(provider.shutdown_with_timeout(inner_timeout));
                });
            match spawned {
                Ok(_) => match rx.recv_timeout(timeout) {
                    Ok(Ok(())) => {}
                    Ok(Err(err)) => {
                        let text = err.to_string();
                        let lower = text.to_ascii_lowercase();
                        timed_out = lower.contains("timeout") || lower.contains("timed out");
                        shutdown_error = Some(text);
                    }
                    Err(RecvTimeoutError::Timeout) => timed_out = true,
                    Err(RecvTimeoutError::Disconnected) => {
                        shutdown_error = Some("the shutdown thread stopped".into())
                    }
                },
                Err(err) => {
                    shutdown_error = Some(format!("could not start the shutdown thread: {err}"))
                }
            }
        }
        let (metrics_flushed, metrics_error) = match metrics_rx {
            None => (None, None),
            Some(Err(err)) => (
                Some(false),
                Some(format!(
                    "could not start the metrics shutdown thread: {err}"
                )),
            ),
            Some(Ok(rx)) => {
                let left = timeout.saturating_sub(started.elapsed());
                match rx.recv_timeout(left) {
                    Ok(result) => {
                        // The reader reports a failed final export as a shutdown error; the
                        // exporter wrapper knows why.
                        let exported = self.meters.counters.last_ok() != Some(false);
                        match result {
                            Ok(()) if exported => (Some(true), None),
                            Ok(()) => (Some(false), self.meters.counters.last_error()),
                            Err(err) => (
                                Some(false),
                                self.meters
                                    .counters
                                    .last_error()
                                    .or_else(|| Some(err.to_string())),
                            ),
                        }
                    }
                    Err(_) => (
                        Some(false),
                        Some(format!(
                            "the final metrics flush did not finish within {timeout:?}"
                        )),
                    ),
                }
            }
        };
        let ended = self.counters.ended.load(Ordering::Acquire);
        let exported = self.counters.exported.load(Ordering::Acquire);
        let failed = self.counters.failed.load(Ordering::Acquire);
        // Nothing delivered: find out whether anything listens there, to say why.
        let probe = match &self.endpoint {
            // Within what is left of the shutdown budget.
            Some(endpoint) if failed > 0 && exported == 0 => {
                let left = timeout.saturating_sub(started.elapsed());
                let budget = left
                    .saturating_sub(Duration::from_millis(150))
                    .min(Duration::from_millis(500));
                (!budget.is_zero())
                    .then(|| probe(endpoint, budget))
                    .flatten()
            }
            _ => None,
        };
        let report = ShutdownReport {
            destination: self.destination.clone(),
            ended,
            exported,
            failed,
            dropped: ended.saturating_sub(exported + failed),
            timed_out,
            error: self.counters.last_error().or(shutdown_error),
            elapsed: started.elapsed(),
            metrics_destination: self.meters.endpoint.clone(),
            metrics_flushed,
            metrics_error,
            endpoint: self.endpoint.clone(),
            timeout,
            probe,
        };
        log_report(&report);
        let outcome = if report.is_complete() {
            Ok(report)
        } else {
            Err(ShutdownError::new(report))
        };
        *slot = Some(outcome.clone());
        outcome
    }
}

/// The shutdown summary as one structured `tracing` event (target `tracing_genai::export`):
/// `WARN` when spans were lost, `INFO` otherwise, with the counts as fields, so a log pipeline
/// or alert sees them without the caller printing the report.
fn log_report(report: &ShutdownReport) {
    if report.is_complete() {
        tracing::info!(
            target: LOG_TARGET,
            ended = report.ended,
            exported = report.exported,
            failed = report.failed,
            dropped = report.dropped,
            timed_out = report.timed_out,
            "{report}"
        );
    } else {
        tracing::warn!(
            target: LOG_TARGET,
            ended = report.ended,
            exported = report.exported,
            failed = report.failed,
            dropped = report.dropped,
            timed_out = report.timed_out,
            "{report}"
        );
    }
}

/// Target of the shutdown summary event.
const LOG_TARGET: &str = "tracing_genai::export";

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        let already = self.outcome.lock().map(|o| o.is_some()).unwrap_or(true);
        if already {
            return;
        }
        if let Err(err) = self.shutdown_within(self.drop_timeout) {
            let _ = writeln!(std::io::stderr(), "{err}");
        }
    }
}
