//! [`TelemetryGuard`]: time-bounded, idempotent shutdown (and the bounded flush of its `Drop`)
//! that produces the [`ShutdownReport`].

use std::fmt;
use std::io::Write as _;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;

use super::config::ExporterKind;
use super::error::ShutdownError;
use super::exporter::Counters;
use super::logs::Logs;
use super::meter::MetricCounters;
use super::probe::{TlsProbe, probe};
use super::report::ShutdownReport;

/// The tracer provider side of the pipeline.
pub(crate) struct Traces {
    pub(crate) provider: SdkTracerProvider,
    pub(crate) counters: Arc<Counters>,
    pub(crate) kind: ExporterKind,
    /// Where spans go, for the report (e.g. `otlp grpc http://localhost:4317`).
    pub(crate) destination: String,
    /// The OTLP endpoint (`None`: console or no export), probed when nothing was delivered.
    pub(crate) endpoint: Option<String>,
    /// For an `https://` endpoint: the exporter's TLS configuration, for the probe.
    pub(crate) tls_probe: Option<TlsProbe>,
}

/// The meter provider side of the pipeline.
pub(crate) struct Meters {
    pub(crate) provider: Option<SdkMeterProvider>,
    pub(crate) counters: Arc<MetricCounters>,
    pub(crate) endpoint: Option<String>,
}

type Outcome = Result<ShutdownReport, ShutdownError>;

/// Owns the telemetry pipeline. Call [`TelemetryGuard::shutdown`] at the end of `main`; if
/// you do not, `Drop` flushes with a short timeout (best effort) and prints what was lost.
///
/// ```
/// let (_layer, guard) = tracing_genai::Config::default()
///     .with_exporter(tracing_genai::setup::ExporterKind::None)
///     .build()
///     .unwrap()
///     .layer::<tracing_subscriber::Registry>();
/// let first = guard.shutdown();
/// assert_eq!(first, guard.shutdown()); // idempotent
/// ```
#[must_use = "dropping the guard shuts telemetry down immediately; keep it until the end of main and call shutdown()"]
pub struct TelemetryGuard {
    traces: Traces,
    meters: Meters,
    shutdown_timeout: Duration,
    drop_timeout: Duration,
    outcome: Mutex<Option<Outcome>>,
    // Logs (issue 12): the logger provider, when a logs exporter is configured.
    logs: Option<Logs>,
}

impl fmt::Debug for TelemetryGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelemetryGuard")
            .field("destination", &self.traces.destination)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish_non_exhaustive()
    }
}

impl TelemetryGuard {
    pub(crate) fn new(
        traces: Traces,
        meters: Meters,
        shutdown_timeout: Duration,
        drop_timeout: Duration,
    ) -> Self {
        TelemetryGuard {
            traces,
            meters,
            shutdown_timeout,
            drop_timeout,
            outcome: Mutex::new(None),
            logs: None,
        }
    }

    /// Logs (issue 12): the guard also owns and shuts down the logger provider.
    pub(crate) fn with_logs(mut self, logs: Option<Logs>) -> Self {
        self.logs = logs;
        self
    }

    /// The logger provider the GenAI layer emits its events into (`None`: no logs exporter).
    /// Use it for other log appenders, e.g.
    /// `opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge::new(provider)`.
    ///
    /// ```
    /// # let (_layer, guard) = tracing_genai::Config::default().with_exporter(tracing_genai::setup::ExporterKind::None).build().unwrap().layer::<tracing_subscriber::Registry>();
    /// assert!(guard.logger_provider().is_none()); // OTEL_LOGS_EXPORTER unset
    /// ```
    pub fn logger_provider(&self) -> Option<&opentelemetry_sdk::logs::SdkLoggerProvider> {
        self.logs.as_ref().map(|l| &l.provider)
    }

    /// The tracer provider (e.g. for other instrumentation that wants OpenTelemetry tracers).
    ///
    /// ```
    /// use opentelemetry::trace::TracerProvider as _;
    /// # let (_layer, guard) = tracing_genai::Config::default().with_exporter(tracing_genai::setup::ExporterKind::None).build().unwrap().layer::<tracing_subscriber::Registry>();
    /// let tracer = guard.provider().tracer("other");
    /// # drop(tracer);
    /// ```
    pub fn provider(&self) -> &SdkTracerProvider {
        &self.traces.provider
    }

    /// The meter provider the GenAI layer records into (`None` when metrics are off).
    ///
    /// ```
    /// # let (_layer, guard) = tracing_genai::Config::default().with_exporter(tracing_genai::setup::ExporterKind::None).build().unwrap().layer::<tracing_subscriber::Registry>();
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
    /// let (_layer, guard) = tracing_genai::Config::default()
    ///     .with_exporter(tracing_genai::setup::ExporterKind::None)
    ///     .build()
    ///     .unwrap()
    ///     .layer::<tracing_subscriber::Registry>();
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
        // The meter provider shuts down (exporting the last values) in parallel, on its own
        // thread, within the same deadline.
        let metrics = self.start_metrics_shutdown();
        // Logs (issue 12): the logger provider too, on its own thread, same deadline.
        let logs = self.start_logs_shutdown(timeout);
        let (timed_out, shutdown_error) = self.shutdown_traces(timeout);
        let (metrics_flushed, metrics_error) =
            self.finish_metrics_shutdown(metrics, timeout, started);
        let logs = self.finish_logs_shutdown(logs, timeout, started);
        let counters = &self.traces.counters;
        let ended = counters.ended.load(Ordering::Acquire);
        let exported = counters.exported.load(Ordering::Acquire);
        let failed = counters.failed.load(Ordering::Acquire);
        // Nothing delivered: find out whether anything listens there, to say why.
        let probe = match &self.traces.endpoint {
            // Within what is left of the shutdown budget.
            Some(endpoint) if failed > 0 && exported == 0 => {
                let left = timeout.saturating_sub(started.elapsed());
                let budget = left
                    .saturating_sub(Duration::from_millis(150))
                    .min(Duration::from_millis(500));
                (!budget.is_zero())
                    .then(|| probe(endpoint, budget, self.traces.tls_probe.clone()))
                    .flatten()
            }
            _ => None,
        };
        let report = ShutdownReport {
            destination: self.traces.destination.clone(),
            ended,
            exported,
            failed,
            dropped: ended.saturating_sub(exported + failed),
            timed_out,
            error: counters.errors.last().or(shutdown_error),
            elapsed: started.elapsed(),
            metrics_destination: self.meters.endpoint.clone(),
            metrics_flushed,
            metrics_error,
            logs,
            endpoint: self.traces.endpoint.clone(),
            timeout,
            probe,
        };
        report.log();
        let outcome = if report.is_complete() {
            Ok(report)
        } else {
            Err(ShutdownError::new(report))
        };
        *slot = Some(outcome.clone());
        outcome
    }

    /// Shuts the tracer provider down within `timeout`: whether it timed out, and the
    /// shutdown error. Runs on its own thread: the SDK's shutdown blocks, and must never run
    /// on (and stall) a runtime thread of the caller.
    fn shutdown_traces(&self, timeout: Duration) -> (bool, Option<String>) {
        if self.traces.kind == ExporterKind::None {
            return (false, None);
        }
        let (tx, rx) = sync_channel(1);
        let provider = self.traces.provider.clone();
        // The SDK waits `timeout` for its worker; keep a margin for our own bookkeeping.
        let inner_timeout = timeout
            .saturating_sub(Duration::from_millis(50))
            .max(Duration::from_millis(1));
        let spawned = std::thread::Builder::new()
            .name("tracing-genai-shutdown".into())
            .spawn(move || {
                let _ = tx.send(provider.shutdown_with_timeout(inner_timeout));
            });
        if let Err(err) = spawned {
            return (
                false,
                Some(format!("could not start the shutdown thread: {err}")),
            );
        }
        match rx.recv_timeout(timeout) {
            Ok(Ok(())) => (false, None),
            Ok(Err(err)) => {
                let text = err.to_string();
                let lower = text.to_ascii_lowercase();
                (
                    lower.contains("timeout") || lower.contains("timed out"),
                    Some(text),
                )
            }
            Err(RecvTimeoutError::Timeout) => (true, None),
            Err(RecvTimeoutError::Disconnected) => {
                (false, Some("the shutdown thread stopped".into()))
            }
        }
    }

    /// Logs (issue 12): starts shutting the logger provider down on its own thread (`None`:
    /// logs off).
    fn start_logs_shutdown(
        &self,
        timeout: Duration,
    ) -> Option<Result<Receiver<OTelSdkResult>, String>> {
        self.logs.as_ref().map(|logs| {
            let provider = logs.provider.clone();
            let inner_timeout = timeout
                .saturating_sub(Duration::from_millis(50))
                .max(Duration::from_millis(1));
            let (tx, rx) = sync_channel(1);
            std::thread::Builder::new()
                .name("tracing-genai-logs-shutdown".into())
                .spawn(move || {
                    let _ = tx.send(provider.shutdown_with_timeout(inner_timeout));
                })
                .map(|_| rx)
                .map_err(|e| e.to_string())
        })
    }

    /// Logs (issue 12): waits for the logger provider's shutdown until `timeout` after
    /// `started`, then counts the records.
    fn finish_logs_shutdown(
        &self,
        pending: Option<Result<Receiver<OTelSdkResult>, String>>,
        timeout: Duration,
        started: Instant,
    ) -> Option<super::logs::LogsReport> {
        let logs = self.logs.as_ref()?;
        let error = match pending? {
            Err(err) => Some(format!("could not start the logs shutdown thread: {err}")),
            Ok(rx) => match rx.recv_timeout(timeout.saturating_sub(started.elapsed())) {
                Ok(Ok(())) => None,
                Ok(Err(err)) => Some(err.to_string()),
                Err(_) => Some(format!(
                    "the final log records flush did not finish within {timeout:?}"
                )),
            },
        };
        Some(logs.report(error))
    }

    /// Starts shutting the meter provider down on its own thread (`None`: metrics off).
    fn start_metrics_shutdown(&self) -> Option<Result<Receiver<OTelSdkResult>, String>> {
        self.meters.provider.clone().map(|meters| {
            let (tx, rx) = sync_channel(1);
            let spawned = std::thread::Builder::new()
                .name("tracing-genai-metrics-shutdown".into())
                .spawn(move || {
                    let _ = tx.send(meters.shutdown());
                });
            spawned.map(|_| rx).map_err(|e| e.to_string())
        })
    }

    /// Waits for the meter provider's shutdown until `timeout` after `started`: whether the
    /// final flush delivered, and why not (both `None` when metrics are off).
    fn finish_metrics_shutdown(
        &self,
        pending: Option<Result<Receiver<OTelSdkResult>, String>>,
        timeout: Duration,
        started: Instant,
    ) -> (Option<bool>, Option<String>) {
        let rx = match pending {
            None => return (None, None),
            Some(Err(err)) => {
                return (
                    Some(false),
                    Some(format!(
                        "could not start the metrics shutdown thread: {err}"
                    )),
                );
            }
            Some(Ok(rx)) => rx,
        };
        let counters = &self.meters.counters;
        match rx.recv_timeout(timeout.saturating_sub(started.elapsed())) {
            Ok(result) => {
                // The reader reports a failed final export as a shutdown error; the exporter
                // wrapper knows why.
                let exported = counters.last_ok() != Some(false);
                match result {
                    Ok(()) if exported => (Some(true), None),
                    Ok(()) => (Some(false), counters.errors.last()),
                    Err(err) => (
                        Some(false),
                        counters.errors.last().or_else(|| Some(err.to_string())),
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
}

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
