//! The gRPC runtime bridge: the tonic exporters need a tokio reactor, and `setup()` must work
//! whatever the caller runs on (plain `main`, a current-thread or multi-thread runtime, during
//! unwinding). [`Bridge`] gives an exporter (span or metric, anything) its own reactor:
//!
//! - **a dedicated current-thread runtime thread** drives IO and timers and runs the tasks the
//!   exporter spawns (tonic's channel worker, hyper's connections); the exporter is built
//!   inside that runtime's context, so its tasks land there and nowhere else;
//! - **calls are bounded in number and in time**: at most [`MAX_IN_FLIGHT`] calls are admitted
//!   at once (one more fails at once instead of waiting), and each call is polled by its
//!   caller (the batch processor's or periodic reader's own thread, never a runtime thread)
//!   until it completes or its deadline (export timeout + [`GRACE`]) passes. At the deadline
//!   the call is dropped, which cancels it: nothing keeps running or piles up behind a hung
//!   collector, and an export counted as failed is never delivered later. The deadline is a
//!   plain thread park, so it holds even if the runtime thread is stuck;
//! - **shutdown**: dropping the bridge drops the exporter, then stops the runtime thread
//!   (which cancels whatever the exporter left spawned).
//!
//! The caller polls, rather than handing each call to the runtime thread, because the metric
//! exporter only lends its data (`export(&ResourceMetrics)`, which is neither `Clone` nor
//! constructible outside the SDK): a call can borrow, so there is nothing to copy or queue.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{RecvTimeoutError, sync_channel};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

use super::error::SetupError;

/// Calls admitted at once. The span and metric exporters each have one calling thread, so a
/// second call waits only if the SDK ever exports concurrently; beyond this many, a call fails
/// at once instead of piling up for as long as the collector stays hung.
pub(crate) const MAX_IN_FLIGHT: usize = 2;

/// Slack over the export timeout before a call is abandoned (the exporter's own timeout fires
/// first; this only bounds an exporter that ignores it).
pub(crate) const GRACE: Duration = Duration::from_millis(250);

/// How long [`Bridge::start`] waits for the runtime thread to come up.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// An exporter `E` with its own current-thread tokio runtime thread.
///
/// Implements [`SpanExporter`] when `E` does and [`PushMetricExporter`] when `E` does, by
/// running each export through [`Bridge::call`].
pub(crate) struct Bridge<E> {
    // Declared first: dropped before the runtime stops.
    inner: E,
    runtime: RuntimeThread,
    /// The export timeout; a call's deadline is this plus [`GRACE`].
    timeout: Duration,
    in_flight: AtomicUsize,
}

impl<E> std::fmt::Debug for Bridge<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge")
            .field("thread", &self.runtime.name)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The runtime thread: its handle, whether it still runs, and the signal that stops it.
struct RuntimeThread {
    name: &'static str,
    /// What the thread serves, for error messages ("exporter", "metrics").
    what: &'static str,
    handle: tokio::runtime::Handle,
    alive: Arc<AtomicBool>,
    // Dropping it ends the thread's `block_on`, which drops the runtime.
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Clears `alive` when the runtime thread ends, however it ends.
struct AliveFlag(Arc<AtomicBool>);

impl Drop for AliveFlag {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl<E> Bridge<E> {
    /// Starts the runtime thread `name` (serving `what`, e.g. `"exporter"`), then builds the
    /// exporter with `build` inside that runtime's context (on the calling thread), so that
    /// the tasks it spawns run on the new thread. Calls time out after `timeout` + [`GRACE`].
    pub(crate) fn start(
        name: &'static str,
        what: &'static str,
        timeout: Duration,
        build: impl FnOnce() -> Result<E, SetupError>,
    ) -> Result<Bridge<E>, SetupError> {
        let runtime = RuntimeThread::start(name, what)?;
        let inner = {
            let _context = runtime.handle.enter();
            build()?
        };
        Ok(Bridge {
            inner,
            runtime,
            timeout,
            in_flight: AtomicUsize::new(0),
        })
    }

    /// Runs `call` on the exporter: polls the future it returns on this thread, inside the
    /// runtime's context, until it completes or the deadline passes (then the future is
    /// dropped, cancelling it). Fails at once if [`MAX_IN_FLIGHT`] calls are already running
    /// or the runtime thread has stopped. Must not be called from an async context that
    /// cannot block (it parks the calling thread).
    pub(crate) fn call<'a, F>(
        &'a self,
        call: impl FnOnce(&'a E) -> F,
    ) -> Result<F::Output, OTelSdkError>
    where
        F: Future,
    {
        if !self.runtime.alive.load(Ordering::Acquire) {
            return Err(self.runtime.stopped());
        }
        let _slot = Slot::take(&self.in_flight).ok_or_else(|| {
            OTelSdkError::InternalFailure(format!(
                "{MAX_IN_FLIGHT} earlier exports are still in flight (the collector does not answer)"
            ))
        })?;
        let deadline = Instant::now() + self.timeout + GRACE;
        let _context = self.runtime.handle.enter();
        let mut future = pin!(call(&self.inner));
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return Ok(output);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(OTelSdkError::Timeout(self.timeout));
            }
            if !self.runtime.alive.load(Ordering::Acquire) {
                return Err(self.runtime.stopped());
            }
            // Woken by the runtime thread (IO, timers) or by the exporter's own tasks;
            // spurious wake-ups only cost a poll.
            std::thread::park_timeout(left);
        }
    }
}

impl RuntimeThread {
    fn start(name: &'static str, what: &'static str) -> Result<RuntimeThread, SetupError> {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = sync_channel(1);
        let alive = Arc::new(AtomicBool::new(true));
        let flag = AliveFlag(Arc::clone(&alive));
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let _flag = flag;
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => {
                        let _ = ready_tx.send(Ok(runtime.handle().clone()));
                        runtime.block_on(async move {
                            let _ = stopped.await;
                        });
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })
            .map_err(SetupError::Runtime)?;
        let handle = match ready_rx.recv_timeout(START_TIMEOUT) {
            Ok(Ok(handle)) => handle,
            Ok(Err(e)) => return Err(SetupError::Runtime(e)),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                return Err(SetupError::Runtime(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("the gRPC {what} thread did not start"),
                )));
            }
        };
        Ok(RuntimeThread {
            name,
            what,
            handle,
            alive,
            _stop: stop,
        })
    }

    fn stopped(&self) -> OTelSdkError {
        OTelSdkError::InternalFailure(format!("the gRPC {} thread has stopped", self.what))
    }
}

/// One admitted call; gives its place back when dropped.
struct Slot<'a>(&'a AtomicUsize);

impl<'a> Slot<'a> {
    fn take(in_flight: &'a AtomicUsize) -> Option<Slot<'a>> {
        in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_IN_FLIGHT).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(in_flight))
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Wakes the thread that polls a call.
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

impl<E: SpanExporter> SpanExporter for Bridge<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        // Called on the batch processor's own thread: blocking here is fine.
        self.call(|exporter| exporter.export(batch))?
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

impl<E: PushMetricExporter> PushMetricExporter for Bridge<E> {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        // Called on the periodic reader's own thread: blocking here is fine.
        self.call(|exporter| exporter.export(metrics))?
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.inner.temporality()
    }
}

// Logs (issue 12): the log exporter on the bridge, like the span and metric exporters.
impl<E: opentelemetry_sdk::logs::LogExporter> opentelemetry_sdk::logs::LogExporter for Bridge<E> {
    async fn export(&self, batch: opentelemetry_sdk::logs::LogBatch<'_>) -> OTelSdkResult {
        // Called on the batch processor's own thread: blocking here is fine.
        self.call(|exporter| exporter.export(batch))?
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn bridge(timeout: Duration) -> Bridge<()> {
        Bridge::start("tracing-genai-test-bridge", "test", timeout, || Ok(())).unwrap()
    }

    #[test]
    fn calls_run_on_the_bridge_runtime() {
        let bridge = bridge(Duration::from_secs(5));
        // Timers and spawned tasks need the bridge's runtime, whatever the calling thread.
        let out = bridge
            .call(|()| async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                tokio::spawn(async { std::thread::current().name().map(str::to_owned) })
                    .await
                    .unwrap()
            })
            .unwrap();
        assert_eq!(out.as_deref(), Some("tracing-genai-test-bridge"));
    }

    #[test]
    fn a_call_that_never_ends_is_cancelled_at_its_deadline() {
        let bridge = bridge(Duration::from_millis(100));
        let started = Instant::now();
        let cancelled = Arc::new(AtomicBool::new(false));
        struct OnDrop(Arc<AtomicBool>);
        impl Drop for OnDrop {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Release);
            }
        }
        let guard = OnDrop(Arc::clone(&cancelled));
        let result = bridge.call(|()| async move {
            let _guard = guard;
            std::future::pending::<()>().await
        });
        let elapsed = started.elapsed();
        assert!(
            matches!(result, Err(OTelSdkError::Timeout(_))),
            "{result:?}"
        );
        assert!(elapsed >= Duration::from_millis(100) + GRACE, "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
        assert!(cancelled.load(Ordering::Acquire), "the call was dropped");
        // The slot was given back.
        assert_eq!(bridge.call(|()| async { 7 }).unwrap(), 7);
    }

    #[test]
    fn calls_beyond_the_bound_fail_at_once() {
        let bridge = Arc::new(bridge(Duration::from_secs(2)));
        let (entered_tx, entered_rx) = std::sync::mpsc::channel();
        let hung: Vec<_> = (0..MAX_IN_FLIGHT)
            .map(|_| {
                let bridge = Arc::clone(&bridge);
                let entered = entered_tx.clone();
                std::thread::spawn(move || {
                    bridge.call(|()| async move {
                        entered.send(()).unwrap();
                        std::future::pending::<()>().await
                    })
                })
            })
            .collect();
        for _ in 0..MAX_IN_FLIGHT {
            entered_rx.recv().unwrap();
        }
        let started = Instant::now();
        let refused = bridge.call(|()| async {});
        assert!(started.elapsed() < Duration::from_millis(100));
        match refused {
            Err(OTelSdkError::InternalFailure(why)) => assert!(why.contains("in flight"), "{why}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        for call in hung {
            assert!(matches!(
                call.join().unwrap(),
                Err(OTelSdkError::Timeout(_))
            ));
        }
    }
}
