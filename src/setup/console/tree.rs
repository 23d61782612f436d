//! One trace as an indented tree: each span with its name, kind, duration, status, typed
//! attributes, events and links; children under their parent in start order; spans whose
//! parent is not in the set (a remote parent, or one printed or still running elsewhere) are
//! roots of their own.

use std::collections::HashMap;
use std::time::SystemTime;

use opentelemetry::trace::{SpanId, SpanKind, Status, TraceId};
use opentelemetry_sdk::trace::SpanData;

use super::style::{self, Paint, Style};

/// Nesting levels drawn; deeper spans are drawn at this depth, with their depth shown.
const MAX_INDENT: usize = 24;

/// Why a set of spans is printed (shown on the trace's header line when not complete).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    /// Its local root ended.
    Complete,
    /// The buffer bound was reached: the oldest trace is printed early, as far as it got.
    BufferFull,
    /// Flush or shutdown: whatever was left, roots not ended yet.
    Flush,
    /// A span that ended after its trace was printed.
    Late,
}

/// Appends `spans` (all of one trace) to `out` as a tree. Never fails: spans in any order,
/// duplicated ids or self-parented spans all end up printed once.
pub(crate) fn render(
    out: &mut String,
    style: Style,
    service: Option<&str>,
    trace_id: TraceId,
    spans: &mut [SpanData],
    reason: Reason,
) {
    spans.sort_by_key(|s| s.start_time);
    style.paint(out, Paint::Line, "── ");
    style.paint(out, Paint::Dim, &format!("trace {trace_id}"));
    if let Some(service) = service {
        style.paint(out, Paint::Dim, &format!("  service {service}"));
    }
    let note = match reason {
        Reason::Complete => None,
        Reason::BufferFull => Some("partial: the console buffer was full"),
        Reason::Flush => Some("at flush: its root had not ended"),
        Reason::Late => Some("ended after its trace was printed"),
    };
    if let Some(note) = note {
        style.paint(out, Paint::Error, &format!("  ({note})"));
    }
    out.push('\n');

    let index: HashMap<SpanId, usize> = spans
        .iter()
        .enumerate()
        .map(|(i, s)| (s.span_context.span_id(), i))
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); spans.len()];
    let mut roots = Vec::new();
    for (i, span) in spans.iter().enumerate() {
        match index.get(&span.parent_span_id) {
            Some(&parent) if parent != i && span.parent_span_id != SpanId::INVALID => {
                children[parent].push(i);
            }
            _ => roots.push(i),
        }
    }
    let mut printed = vec![false; spans.len()];
    // Depth-first without recursion (a deep trace must not overflow the stack): entries are
    // (span, its header's prefix, its own child prefix, its depth; 0 = a root).
    let mut pending: Vec<(usize, String, String, usize)> = Vec::new();
    let mut next_root = roots.into_iter();
    let mut unprinted = 0..spans.len();
    // Next root; then anything a cycle of duplicated ids left unreachable.
    while let Some((i, head, prefix, depth)) = pending.pop().or_else(|| {
        next_root
            .next()
            .or_else(|| unprinted.by_ref().find(|&i| !printed[i]))
            .map(|i| (i, String::new(), String::new(), 0))
    }) {
        if printed[i] {
            continue;
        }
        printed[i] = true;
        let kids = &children[i];
        style.paint(out, Paint::Line, &head);
        span_header(out, style, &spans[i], depth);
        let body = format!("{prefix}{}", if kids.is_empty() { "   " } else { "│  " });
        span_body(out, style, &spans[i], &body);
        // Pushed in reverse so that the first child is printed first.
        for (n, &child) in kids.iter().enumerate().rev() {
            let last = n + 1 == kids.len();
            let (branch, below) = if last {
                ("└─ ", "   ")
            } else {
                ("├─ ", "│  ")
            };
            // Past MAX_INDENT levels the tree stops moving right (the header says the depth).
            let below = if depth < MAX_INDENT { below } else { "" };
            pending.push((
                child,
                format!("{prefix}{branch}"),
                format!("{prefix}{below}"),
                depth + 1,
            ));
        }
    }
}

/// `name  kind  duration  status`, and for a root with a parent, where the parent is.
fn span_header(out: &mut String, style: Style, span: &SpanData, depth: usize) {
    style.paint(out, Paint::Name, &style::clean(&span.name));
    out.push_str("  ");
    style.paint(out, Paint::Dim, kind(&span.span_kind));
    out.push_str("  ");
    let elapsed = span
        .end_time
        .duration_since(span.start_time)
        .unwrap_or_default();
    style.paint(out, Paint::Time, &style::duration(elapsed));
    match &span.status {
        Status::Unset => {}
        Status::Ok => {
            out.push_str("  ");
            style.paint(out, Paint::Ok, "ok");
        }
        Status::Error { description } if description.is_empty() => {
            out.push_str("  ");
            style.paint(out, Paint::Error, "error");
        }
        Status::Error { description } => {
            out.push_str("  ");
            style.paint(
                out,
                Paint::Error,
                &format!("error: {}", style::clean(description)),
            );
        }
    }
    if depth > MAX_INDENT {
        style.paint(out, Paint::Dim, &format!("  (depth {depth})"));
    }
    if depth == 0 && span.parent_span_id != SpanId::INVALID {
        let whose = if span.parent_span_is_remote {
            "remote parent"
        } else {
            "parent not shown"
        };
        style.paint(
            out,
            Paint::Dim,
            &format!("  ({whose} {})", span.parent_span_id),
        );
    }
    out.push('\n');
}

/// The attributes, events and links of a span, each line starting with `body`.
fn span_body(out: &mut String, style: Style, span: &SpanData, body: &str) {
    let (bookkeeping, own): (Vec<_>, Vec<_>) = span
        .attributes
        .iter()
        .partition(|kv| is_bookkeeping(kv.key.as_str()));
    for kv in own {
        attribute(out, style, body, kv);
    }
    // tracing-opentelemetry's source location, thread and timings: one line, at the end.
    if !bookkeeping.is_empty() {
        style.paint(out, Paint::Line, body);
        for (i, kv) in bookkeeping.into_iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            style.paint(
                out,
                Paint::Dim,
                &format!("{}=", style::clean(kv.key.as_str())),
            );
            style.value(out, &kv.value);
        }
        out.push('\n');
    }
    if span.dropped_attributes_count > 0 {
        style.paint(
            out,
            Paint::Line,
            &format!(
                "{body}({} attributes dropped)\n",
                span.dropped_attributes_count
            ),
        );
    }
    for event in span.events.iter() {
        style.paint(out, Paint::Line, body);
        style.paint(out, Paint::Dim, "event ");
        style.paint(out, Paint::Name, &style::clean(&event.name));
        out.push_str(" at +");
        style.paint(out, Paint::Time, &offset(span.start_time, event.timestamp));
        out.push('\n');
        let nested = format!("{body}  ");
        for kv in &event.attributes {
            attribute(out, style, &nested, kv);
        }
    }
    for link in span.links.iter() {
        style.paint(out, Paint::Line, body);
        style.paint(
            out,
            Paint::Dim,
            &format!(
                "link trace {} span {}\n",
                link.span_context.trace_id(),
                link.span_context.span_id()
            ),
        );
    }
}

/// The attributes tracing-opentelemetry adds to every span (location, thread, timings).
fn is_bookkeeping(key: &str) -> bool {
    key.starts_with("code.")
        || key.starts_with("thread.")
        || matches!(key, "target" | "busy_ns" | "idle_ns")
}

fn attribute(out: &mut String, style: Style, prefix: &str, kv: &opentelemetry::KeyValue) {
    style.paint(out, Paint::Line, prefix);
    style.paint(out, Paint::Key, &style::clean(kv.key.as_str()));
    out.push_str(" = ");
    style.value(out, &kv.value);
    out.push('\n');
}

fn offset(start: SystemTime, at: SystemTime) -> String {
    style::duration(at.duration_since(start).unwrap_or_default())
}

fn kind(kind: &SpanKind) -> &'static str {
    match kind {
        SpanKind::Client => "client",
        SpanKind::Server => "server",
        SpanKind::Producer => "producer",
        SpanKind::Consumer => "consumer",
        SpanKind::Internal => "internal",
    }
}

/// Shared by the tests of the console module: a span with the given ids and times.
#[cfg(test)]
pub(crate) mod testing {
    use std::borrow::Cow;
    use std::time::{Duration, SystemTime};

    use opentelemetry::trace::{
        SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
    };
    use opentelemetry::{InstrumentationScope, KeyValue};
    use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};

    pub(crate) const TRACE: TraceId = TraceId::from_bytes([1; 16]);

    /// Span `id` (parent `parent`, 0 = none) of trace `trace`, from `start` to `end` ms.
    pub(crate) fn span(
        trace: u8,
        id: u8,
        parent: u8,
        name: &str,
        start: u64,
        end: u64,
    ) -> SpanData {
        let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let ctx = SpanContext::new(
            TraceId::from_bytes([trace; 16]),
            SpanId::from_bytes([0, 0, 0, 0, 0, 0, 0, id]),
            TraceFlags::SAMPLED,
            false,
            TraceState::NONE,
        );
        SpanData {
            span_context: ctx,
            parent_span_id: if parent == 0 {
                SpanId::INVALID
            } else {
                SpanId::from_bytes([0, 0, 0, 0, 0, 0, 0, parent])
            },
            parent_span_is_remote: false,
            span_kind: SpanKind::Internal,
            name: Cow::Owned(name.to_owned()),
            start_time: base + Duration::from_millis(start),
            end_time: base + Duration::from_millis(end),
            attributes: vec![KeyValue::new("n", i64::from(id))],
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: Status::Unset,
            instrumentation_scope: InstrumentationScope::builder("test").build(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use std::time::Duration;

    use opentelemetry::trace::{Event, SpanKind, Status};
    use opentelemetry::{Array, KeyValue, Value};

    use super::testing::{TRACE, span};
    use super::*;

    fn plain(spans: &mut [SpanData], reason: Reason) -> String {
        let mut out = String::new();
        render(&mut out, Style::PLAIN, Some("svc"), TRACE, spans, reason);
        out
    }

    #[test]
    fn nesting_and_start_order() {
        // Given out of order: the tree follows parents, siblings follow start times.
        let mut spans = vec![
            span(1, 3, 1, "second child", 20, 30),
            span(1, 4, 2, "grandchild", 6, 8),
            span(1, 2, 1, "first child", 5, 10),
            span(1, 1, 0, "root", 0, 40),
        ];
        let text = plain(&mut spans, Reason::Complete);
        let expected = "\
── trace 01010101010101010101010101010101  service svc
root  internal  40.0ms
│  n = 1
├─ first child  internal  5.0ms
│  │  n = 2
│  └─ grandchild  internal  2.0ms
│        n = 4
└─ second child  internal  10.0ms
      n = 3
";
        assert_eq!(text, expected);
    }

    #[test]
    fn kinds_status_types_and_events() {
        let mut chat = span(1, 2, 1, "chat gpt-4o", 1, 4);
        chat.span_kind = SpanKind::Client;
        chat.status = Status::error("rate_limited");
        chat.attributes = vec![
            KeyValue::new("gen_ai.request.model", "gpt-4o"),
            KeyValue::new("gen_ai.usage.input_tokens", 12_i64),
            KeyValue::new("gen_ai.request.temperature", 0.0),
            KeyValue::new("gen_ai.request.stream", true),
            KeyValue::new(
                "gen_ai.response.finish_reasons",
                Value::Array(Array::String(vec!["stop".into()])),
            ),
        ];
        chat.events.events.push(Event::new(
            "exception",
            chat.start_time + Duration::from_micros(1500),
            vec![KeyValue::new("exception.type", "ApiError")],
            0,
        ));
        let mut root = span(1, 1, 0, "agent", 0, 5);
        root.status = Status::Ok;
        let text = plain(&mut [root, chat], Reason::Complete);
        for line in [
            "agent  internal  5.0ms  ok",
            "└─ chat gpt-4o  client  3.0ms  error: rate_limited",
            r#"      gen_ai.request.model = "gpt-4o""#,
            "      gen_ai.usage.input_tokens = 12",
            "      gen_ai.request.temperature = 0.0",
            "      gen_ai.request.stream = true",
            r#"      gen_ai.response.finish_reasons = ["stop"]"#,
            "      event exception at +1.5ms",
            r#"        exception.type = "ApiError""#,
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "no line {line:?} in\n{text}"
            );
        }
    }

    #[test]
    fn bookkeeping_attributes_share_one_line_at_the_end() {
        let mut chat = span(1, 1, 0, "chat", 0, 1);
        chat.attributes = vec![
            KeyValue::new("code.line.number", 16_i64),
            KeyValue::new("thread.name", "main"),
            KeyValue::new("gen_ai.request.model", "gpt-4o"),
            KeyValue::new("busy_ns", 3_i64),
        ];
        let text = plain(&mut [chat], Reason::Complete);
        let lines: Vec<_> = text.lines().skip(2).collect();
        assert_eq!(
            lines,
            [
                r#"   gen_ai.request.model = "gpt-4o""#,
                r#"   code.line.number=16 thread.name="main" busy_ns=3"#,
            ]
        );
    }

    #[test]
    fn orphans_and_remote_parents_are_roots() {
        let mut remote = span(1, 5, 9, "handler", 0, 3);
        remote.parent_span_is_remote = true;
        let orphan = span(1, 6, 7, "orphan", 1, 2);
        let text = plain(&mut [remote, orphan], Reason::Flush);
        assert!(
            text.contains("(at flush: its root had not ended)"),
            "{text}"
        );
        assert!(
            text.contains("handler  internal  3.0ms  (remote parent 0000000000000009)"),
            "{text}"
        );
        assert!(
            text.contains("orphan  internal  1.0ms  (parent not shown 0000000000000007)"),
            "{text}"
        );
    }

    #[test]
    fn self_parented_and_duplicate_ids_are_printed_once() {
        let mut spans = vec![span(1, 1, 1, "self", 0, 1), span(1, 2, 2, "other", 1, 2)];
        let text = plain(&mut spans, Reason::Complete);
        assert_eq!(text.matches("self  internal").count(), 1, "{text}");
        assert_eq!(text.matches("other  internal").count(), 1, "{text}");
    }

    #[test]
    fn deep_traces_do_not_overflow_the_stack_nor_indent_forever() {
        let spans: Vec<SpanData> = (0..3000u64)
            .map(|i| {
                let mut s = span(1, 1, 0, "deep", i, 5000);
                s.span_context = opentelemetry::trace::SpanContext::new(
                    TRACE,
                    SpanId::from_bytes((i + 1).to_be_bytes()),
                    opentelemetry::trace::TraceFlags::SAMPLED,
                    false,
                    opentelemetry::trace::TraceState::NONE,
                );
                s.parent_span_id = SpanId::from_bytes(i.to_be_bytes());
                s
            })
            .collect();
        let mut spans = spans;
        let text = plain(&mut spans, Reason::Complete);
        assert_eq!(text.matches("deep  internal").count(), 3000);
        let widest = text.lines().map(|l| l.chars().count()).max().unwrap();
        assert!(widest < 3 * MAX_INDENT + 80, "{widest}");
        assert!(
            text.contains("(depth 2999)"),
            "{}",
            &text[text.len() - 300..]
        );
    }
}
