//! [`ConsoleProcessor`]: buffers ended spans per trace and prints a trace as a tree (see
//! `tree.rs`) when its local root ends, within a bound on buffered spans.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use opentelemetry::Context;
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};

use super::style::Style;
use super::tree::{self, Reason};
use super::{ShutdownOrder, Sink};
use crate::setup::exporter::Counters;

/// How many printed trace ids are remembered, to print a span that ends after its trace
/// at once instead of holding it until shutdown.
const RECENT_TRACES: usize = 1024;

/// `OTEL_TRACES_EXPORTER=console`. A span is buffered under its trace id; when a local root
/// ends (no parent, or a remote one) the root and its buffered descendants are printed. Beyond
/// `max_spans` buffered spans the oldest trace is printed as far as it got; flush and shutdown
/// print whatever is left. Printed spans count as exported, spans whose write failed (closed
/// stdout) as failed, in the shared [`Counters`].
#[derive(Debug)]
pub(crate) struct ConsoleProcessor {
    buffer: Mutex<Buffer>,
    sink: Sink,
    style: Style,
    service: Option<String>,
    counters: Arc<Counters>,
    order: Option<Arc<ShutdownOrder>>,
}

#[derive(Debug)]
struct Buffer {
    traces: HashMap<TraceId, Vec<SpanData>>,
    /// Trace ids in arrival order of their first buffered span (the eviction order).
    order: VecDeque<TraceId>,
    buffered: usize,
    max_spans: usize,
    recent: VecDeque<TraceId>,
    recent_set: HashSet<TraceId>,
}

type Batch = (TraceId, Vec<SpanData>, Reason);

impl ConsoleProcessor {
    /// Prints to `sink`, buffering at most `max_spans` spans (at least 1).
    pub(crate) fn new(sink: Sink, style: Style, max_spans: usize, counters: Arc<Counters>) -> Self {
        ConsoleProcessor {
            buffer: Mutex::new(Buffer {
                traces: HashMap::new(),
                order: VecDeque::new(),
                buffered: 0,
                max_spans: max_spans.max(1),
                recent: VecDeque::new(),
                recent_set: HashSet::new(),
            }),
            sink,
            style,
            service: None,
            counters,
            order: None,
        }
    }

    /// Tells `order` when shutdown has printed the last spans (the metrics table waits).
    pub(crate) fn with_order(mut self, order: Option<Arc<ShutdownOrder>>) -> Self {
        self.order = order;
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Buffer> {
        self.buffer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Renders and writes the batches (outside the buffer's lock), counting the outcome.
    fn print(&self, batches: Vec<Batch>) -> OTelSdkResult {
        let mut result = Ok(());
        for (trace_id, mut spans, reason) in batches {
            let n = spans.len() as u64;
            let mut text = String::new();
            tree::render(
                &mut text,
                self.style,
                self.service.as_deref(),
                trace_id,
                &mut spans,
                reason,
            );
            text.push('\n');
            match self.sink.write(&text) {
                Ok(()) => {
                    self.counters.exported.fetch_add(n, Ordering::AcqRel);
                }
                Err(err) => {
                    self.counters.failed.fetch_add(n, Ordering::AcqRel);
                    let message = format!("writing to the console failed: {err}");
                    self.counters.errors.set(message.clone());
                    result = Err(OTelSdkError::InternalFailure(message));
                }
            }
        }
        result
    }

    fn flush_all(&self) -> OTelSdkResult {
        let batches = self.lock().take_all();
        self.print(batches)
    }
}

impl Buffer {
    /// Adds an ended span; returns what is to be printed now.
    fn push(&mut self, span: SpanData) -> Vec<Batch> {
        let trace_id = span.span_context.trace_id();
        let local_root = span.parent_span_id == SpanId::INVALID || span.parent_span_is_remote;
        if !local_root
            && !self.traces.contains_key(&trace_id)
            && self.recent_set.contains(&trace_id)
        {
            return vec![(trace_id, vec![span], Reason::Late)];
        }
        let root_id = local_root.then(|| span.span_context.span_id());
        if !self.traces.contains_key(&trace_id) {
            self.order.push_back(trace_id);
        }
        self.traces.entry(trace_id).or_default().push(span);
        self.buffered += 1;
        let mut out = Vec::new();
        if let Some(root_id) = root_id {
            let spans = self.take_subtree(trace_id, root_id);
            self.remember(trace_id);
            out.push((trace_id, spans, Reason::Complete));
        }
        while self.buffered > self.max_spans {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(spans) = self.traces.remove(&oldest) {
                self.buffered = self.buffered.saturating_sub(spans.len());
                self.remember(oldest);
                out.push((oldest, spans, Reason::BufferFull));
            }
        }
        out
    }

    /// Removes `root` and its buffered descendants from the trace's spans; other spans of the
    /// trace (another local root's) stay buffered.
    fn take_subtree(&mut self, trace_id: TraceId, root: SpanId) -> Vec<SpanData> {
        let Some(all) = self.traces.remove(&trace_id) else {
            return Vec::new();
        };
        let mut children: HashMap<SpanId, Vec<usize>> = HashMap::new();
        for (i, span) in all.iter().enumerate() {
            children.entry(span.parent_span_id).or_default().push(i);
        }
        let mut keep = vec![false; all.len()];
        let mut todo = vec![root];
        while let Some(id) = todo.pop() {
            for &i in children.get(&id).map(Vec::as_slice).unwrap_or_default() {
                if !keep[i] {
                    keep[i] = true;
                    todo.push(all[i].span_context.span_id());
                }
            }
        }
        let (mut taken, rest): (Vec<_>, Vec<_>) = all
            .into_iter()
            .enumerate()
            .partition(|(i, s)| keep[*i] || s.span_context.span_id() == root);
        let taken: Vec<SpanData> = taken.drain(..).map(|(_, s)| s).collect();
        self.buffered = self.buffered.saturating_sub(taken.len());
        if rest.is_empty() {
            self.order.retain(|t| *t != trace_id);
        } else {
            self.traces
                .insert(trace_id, rest.into_iter().map(|(_, s)| s).collect());
        }
        taken
    }

    fn remember(&mut self, trace_id: TraceId) {
        if self.recent_set.insert(trace_id) {
            self.recent.push_back(trace_id);
            if self.recent.len() > RECENT_TRACES
                && let Some(old) = self.recent.pop_front()
            {
                self.recent_set.remove(&old);
            }
        }
    }

    fn take_all(&mut self) -> Vec<Batch> {
        let mut out = Vec::new();
        while let Some(trace_id) = self.order.pop_front() {
            if let Some(spans) = self.traces.remove(&trace_id) {
                out.push((trace_id, spans, Reason::Flush));
            }
        }
        self.traces.clear();
        self.buffered = 0;
        out
    }
}

impl SpanProcessor for ConsoleProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        if !span.span_context.is_sampled() {
            return;
        }
        let batches = self.lock().push(span);
        // The caller cannot act on a failed write; it is counted and reported at shutdown.
        let _ = self.print(batches);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.flush_all()
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        let result = self.flush_all();
        if let Some(order) = &self.order {
            order.spans_flushed();
        }
        result
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.service = resource
            .get(&opentelemetry::Key::from_static_str("service.name"))
            .map(|v| v.as_str().into_owned());
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::super::tree::testing::span;
    use super::*;

    fn processor(max: usize) -> (ConsoleProcessor, Arc<Mutex<Vec<u8>>>, Arc<Counters>) {
        let out = Arc::new(Mutex::new(Vec::new()));
        let counters = Arc::new(Counters::default());
        let p = ConsoleProcessor::new(
            Sink::Buffer(Arc::clone(&out)),
            Style::PLAIN,
            max,
            Arc::clone(&counters),
        );
        (p, out, counters)
    }

    fn text(out: &Arc<Mutex<Vec<u8>>>) -> String {
        String::from_utf8(out.lock().unwrap().clone()).unwrap()
    }

    fn exported(c: &Counters) -> u64 {
        c.exported.load(Ordering::Acquire)
    }

    #[test]
    fn a_trace_is_printed_when_its_root_ends() {
        let (p, out, counters) = processor(100);
        p.on_end(span(1, 2, 1, "child", 1, 2));
        p.on_end(span(2, 9, 0, "other trace", 0, 1)); // its own root: printed at once
        assert!(!text(&out).contains("child"), "{}", text(&out));
        p.on_end(span(1, 1, 0, "root", 0, 3));
        let printed = text(&out);
        let root_at = printed.find("root  internal").unwrap();
        assert!(printed.find("other trace").unwrap() < root_at, "{printed}");
        assert!(
            printed[root_at..].contains("└─ child  internal  1.0ms"),
            "{printed}"
        );
        assert_eq!(exported(&counters), 3);
    }

    #[test]
    fn orphans_are_printed_at_flush_and_shutdown() {
        let (p, out, counters) = processor(100);
        p.on_end(span(1, 2, 1, "orphan", 1, 2));
        p.force_flush().unwrap();
        let printed = text(&out);
        assert!(
            printed.contains("(at flush: its root had not ended)"),
            "{printed}"
        );
        assert!(
            printed.contains("orphan  internal  1.0ms  (parent not shown"),
            "{printed}"
        );
        p.on_end(span(3, 2, 1, "left at shutdown", 1, 2));
        p.shutdown().unwrap();
        assert!(text(&out).contains("left at shutdown"));
        assert_eq!(exported(&counters), 2);
    }

    #[test]
    fn the_buffer_is_bounded_and_prints_the_oldest_trace_first() {
        let (p, out, counters) = processor(3);
        p.on_end(span(1, 2, 1, "old-a", 0, 1));
        p.on_end(span(1, 3, 1, "old-b", 0, 1));
        p.on_end(span(2, 2, 1, "new-a", 0, 1));
        assert_eq!(text(&out), "");
        p.on_end(span(2, 3, 1, "new-b", 0, 1)); // 4 > 3: trace 1 goes
        let printed = text(&out);
        assert!(
            printed.contains("(partial: the console buffer was full)"),
            "{printed}"
        );
        assert!(
            printed.contains("old-a") && printed.contains("old-b"),
            "{printed}"
        );
        assert!(!printed.contains("new-"), "{printed}");
        assert_eq!(p.lock().buffered, 2);
        // A late span of the printed trace is printed at once, not buffered.
        p.on_end(span(1, 4, 1, "old-late", 0, 1));
        assert!(text(&out).contains("(ended after its trace was printed)"));
        p.shutdown().unwrap();
        assert_eq!(exported(&counters), 5);
        assert_eq!(p.lock().buffered, 0);
    }

    #[test]
    fn a_second_local_root_keeps_its_own_spans() {
        let (p, out, _) = processor(100);
        let mut a = span(1, 1, 9, "handler a", 0, 3);
        a.parent_span_is_remote = true;
        let mut b = span(1, 2, 9, "handler b", 0, 10);
        b.parent_span_is_remote = true;
        p.on_end(span(1, 3, 1, "a's child", 1, 2));
        p.on_end(span(1, 4, 2, "b's child", 1, 2));
        p.on_end(a);
        let printed = text(&out);
        assert!(
            printed.contains("a's child") && !printed.contains("b's child"),
            "{printed}"
        );
        p.on_end(b);
        assert!(text(&out).contains("└─ b's child"), "{}", text(&out));
    }

    #[test]
    fn a_failed_write_counts_as_failed() {
        #[derive(Debug)]
        struct Closed;
        impl std::io::Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let counters = Arc::new(Counters::default());
        let p = ConsoleProcessor::new(
            Sink::Writer(Arc::new(Mutex::new(Box::new(Closed)))),
            Style::PLAIN,
            10,
            Arc::clone(&counters),
        );
        p.on_end(span(1, 1, 0, "root", 0, 1));
        assert_eq!(counters.failed.load(Ordering::Acquire), 1);
        assert!(counters.errors.last().unwrap().contains("console"));
    }
}
