//! An incremental `text/event-stream` decoder following the WHATWG event-stream rules.
//!
//! Bytes are buffered until a line is complete (so a chunk boundary may split a line, a CRLF
//! pair or a UTF-8 character), lines end with `\n`, `\r\n` or `\r`, `data:` lines are joined with
//! `\n`, a blank line dispatches the event, `:` lines are comments, one space after the colon
//! is dropped, and a leading BOM is ignored. A line longer than [`MAX_LINE`] is discarded (with
//! a diagnostic) instead of growing the buffer forever; so is an event whose data grows beyond it.

use super::model::diagnose;

/// Longest line (and longest event data) kept, in bytes.
pub(crate) const MAX_LINE: usize = 8 << 20;

/// One dispatched event, borrowed from the decoder (no allocation per event).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SseEvent<'a> {
    /// The `event:` field; `None` when absent or empty (the spec's default type `message`).
    pub(crate) event: Option<&'a str>,
    /// The `data:` lines joined with `\n`.
    pub(crate) data: &'a str,
}

/// The position of the first `\n` or `\r` in `bytes`, eight bytes at a time.
fn find_line_end(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in words.by_ref() {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let w = u64::from_le_bytes(w);
        let (lf, cr) = (w ^ (ONES * u64::from(b'\n')), w ^ (ONES * u64::from(b'\r')));
        // The lowest set high bit marks the first zero byte of `lf` or `cr` (higher ones may
        // be false positives, never lower ones).
        let hit = ((lf.wrapping_sub(ONES) & !lf) | (cr.wrapping_sub(ONES) & !cr)) & HIGH;
        if hit != 0 {
            return Some(at + hit.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|b| *b == b'\n' || *b == b'\r')
        .map(|i| at + i)
}

/// Incremental decoder state.
#[derive(Debug)]
pub(crate) struct SseDecoder {
    /// Bytes of the current, unterminated line.
    line: Vec<u8>,
    /// The current line is over the cap: drop bytes until its end.
    discarding: bool,
    /// The previous chunk ended with `\r`: a `\n` starting the next chunk belongs to it.
    after_cr: bool,
    /// No line has been completed yet (the BOM check applies).
    first_line: bool,
    event: String,
    data: String,
    has_data: bool,
    /// The current event's data went over the cap: drop the event.
    data_overflow: bool,
    diagnostics: Vec<String>,
    max_line: usize,
}

impl Default for SseDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl SseDecoder {
    /// A decoder at the start of a stream.
    pub(crate) fn new() -> Self {
        Self::with_max_line(MAX_LINE)
    }

    pub(crate) fn with_max_line(max_line: usize) -> Self {
        SseDecoder {
            line: Vec::new(),
            discarding: false,
            after_cr: false,
            first_line: true,
            event: String::new(),
            data: String::new(),
            has_data: false,
            data_overflow: false,
            diagnostics: Vec::new(),
            max_line,
        }
    }

    /// Decodes `bytes`, calling `on_event` for each event completed by them.
    pub(crate) fn feed(&mut self, mut bytes: &[u8], on_event: &mut dyn FnMut(SseEvent<'_>)) {
        if bytes.is_empty() {
            return;
        }
        if self.after_cr {
            self.after_cr = false;
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
        }
        while !bytes.is_empty() {
            match find_line_end(bytes) {
                None => {
                    self.append(bytes);
                    return;
                }
                Some(i) => {
                    let line = &bytes[..i];
                    let was_cr = bytes[i] == b'\r';
                    bytes = &bytes[i + 1..];
                    if was_cr {
                        match bytes.first() {
                            Some(b'\n') => bytes = &bytes[1..],
                            Some(_) => {}
                            None => self.after_cr = true,
                        }
                    }
                    if self.line.is_empty() && !self.discarding && line.len() <= self.max_line {
                        // The whole line is in this chunk: read it in place.
                        let first = std::mem::replace(&mut self.first_line, false);
                        self.process_line(line, first, on_event);
                    } else {
                        self.append(line);
                        self.end_line(on_event);
                    }
                }
            }
        }
    }

    /// Ends the stream. A last line without a terminator is processed; an event whose blank
    /// line never came is still dispatched if it has data (OpenAI-compatible servers sometimes
    /// omit the final blank line), with a diagnostic.
    pub(crate) fn finish(&mut self, on_event: &mut dyn FnMut(SseEvent<'_>)) {
        if !self.line.is_empty() || self.discarding {
            self.end_line(on_event);
        }
        self.after_cr = false;
        if self.has_data && !self.data_overflow {
            diagnose(
                &mut self.diagnostics,
                "event stream ended without a blank line after its last event",
            );
            self.dispatch(on_event);
        }
        self.reset_event();
    }

    /// Problems found so far.
    pub(crate) fn diagnostics(&self) -> &[String] {
        &self.diagnostics
    }

    fn append(&mut self, bytes: &[u8]) {
        if self.discarding || bytes.is_empty() {
            return;
        }
        if self.line.len() + bytes.len() > self.max_line {
            self.line = Vec::new();
            self.discarding = true;
            let max = self.max_line;
            diagnose(
                &mut self.diagnostics,
                format!("event stream line longer than {max} bytes discarded"),
            );
            return;
        }
        self.line.extend_from_slice(bytes);
    }

    /// Ends the buffered line.
    fn end_line(&mut self, on_event: &mut dyn FnMut(SseEvent<'_>)) {
        let first = std::mem::replace(&mut self.first_line, false);
        if std::mem::replace(&mut self.discarding, false) {
            self.line.clear();
            return;
        }
        let line = std::mem::take(&mut self.line);
        self.process_line(&line, first, on_event);
        // The buffer (and its capacity) is kept for the next line.
        self.line = line;
        self.line.clear();
    }

    /// One complete line (without its terminator); `first`: the first line of the stream.
    fn process_line(&mut self, raw: &[u8], first: bool, on_event: &mut dyn FnMut(SseEvent<'_>)) {
        let mut raw = raw;
        if first {
            raw = raw.strip_prefix("\u{feff}".as_bytes()).unwrap_or(raw);
        }
        if raw.is_empty() {
            if self.has_data && !self.data_overflow {
                self.dispatch(on_event);
            }
            self.reset_event();
            return;
        }
        let line = match std::str::from_utf8(raw) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => {
                diagnose(&mut self.diagnostics, "invalid UTF-8 in event stream");
                String::from_utf8_lossy(raw)
            }
        };
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_ref(), ""),
        };
        match field {
            "event" => {
                self.event.clear();
                self.event.push_str(value);
            }
            "data" => {
                if self.data.len() + value.len() + 1 > self.max_line {
                    if !self.data_overflow {
                        let max = self.max_line;
                        diagnose(
                            &mut self.diagnostics,
                            format!("event stream event data longer than {max} bytes discarded"),
                        );
                    }
                    self.data_overflow = true;
                    self.data = String::new();
                } else if !self.data_overflow {
                    if self.has_data {
                        self.data.push('\n');
                    }
                    self.data.push_str(value);
                }
                self.has_data = true;
            }
            // `id` and `retry` are connection state for reconnecting clients: not needed.
            _ => {}
        }
    }

    fn dispatch(&mut self, on_event: &mut dyn FnMut(SseEvent<'_>)) {
        on_event(SseEvent {
            event: (!self.event.is_empty()).then_some(self.event.as_str()),
            data: &self.data,
        });
    }

    fn reset_event(&mut self) {
        self.event.clear();
        self.data.clear();
        self.has_data = false;
        self.data_overflow = false;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use proptest::prelude::*;

    /// An event as dispatched, owned.
    #[derive(Clone, Debug, PartialEq)]
    struct Ev {
        event: Option<String>,
        data: String,
    }

    fn decode_chunks(chunks: &[&[u8]], max_line: usize) -> (Vec<Ev>, Vec<String>) {
        let mut d = SseDecoder::with_max_line(max_line);
        let mut out = Vec::new();
        let mut push = |e: SseEvent<'_>| out.push(ev(e.event, e.data));
        for c in chunks {
            d.feed(c, &mut push);
        }
        d.finish(&mut push);
        (out, d.diagnostics().to_vec())
    }

    fn decode(bytes: &[u8]) -> Vec<Ev> {
        decode_chunks(&[bytes], MAX_LINE).0
    }

    fn ev(event: Option<&str>, data: &str) -> Ev {
        Ev {
            event: event.map(str::to_string),
            data: data.to_string(),
        }
    }

    #[test]
    fn line_ends_found_at_every_position() {
        for len in 0..40 {
            for at in 0..len {
                for end in [b'\n', b'\r'] {
                    let mut bytes = vec![b'x'; len];
                    bytes[at] = end;
                    // Bytes that differ from the terminators by one bit (the SWAR borrow cases).
                    if at + 1 < len {
                        bytes[at + 1] = end ^ 1;
                    }
                    assert_eq!(find_line_end(&bytes), Some(at), "{len} {at}");
                }
            }
            let bytes: Vec<u8> = (0..len)
                .map(|i| [0x0b, 0x0c, 0x8a, 0x8d, 0x00, 0xff][i % 6])
                .collect();
            assert_eq!(find_line_end(&bytes), None, "{len}");
        }
    }

    #[test]
    fn spec_examples() {
        // The WHATWG examples: multi-line data, comments, fields without a space.
        assert_eq!(
            decode(b"data: YHOO\ndata: +2\ndata: 10\n\n"),
            vec![ev(None, "YHOO\n+2\n10")]
        );
        assert_eq!(
            decode(b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n"),
            vec![ev(None, "first event"), ev(None, "second event"), ev(None, " third event")]
        );
        // `data` with no colon is an empty data line; two of them join to "\n".
        assert_eq!(
            decode(b"data\n\ndata\ndata\n\ndata:"),
            vec![ev(None, ""), ev(None, "\n"), ev(None, "")]
        );
        assert_eq!(
            decode(b"event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\n"),
            vec![ev(Some("add"), "73857293"), ev(Some("remove"), "2153")]
        );
        // An event type without data is not dispatched, and does not leak into the next event.
        assert_eq!(decode(b"event: ping\n\ndata: x\n\n"), vec![ev(None, "x")]);
    }

    #[test]
    fn line_endings_and_bom() {
        let want = vec![ev(Some("e"), "a\nb"), ev(None, "c")];
        assert_eq!(
            decode(b"event: e\r\ndata: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n"),
            want
        );
        assert_eq!(decode(b"event: e\rdata: a\rdata: b\r\rdata: c\r\r"), want);
        assert_eq!(
            decode(b"\xEF\xBB\xBFevent: e\ndata: a\ndata: b\n\ndata: c\n\n"),
            want
        );
        // Only one BOM is stripped, and only at the start.
        assert_eq!(
            decode(b"data: \xEF\xBB\xBFx\n\n"),
            vec![ev(None, "\u{feff}x")]
        );
        // A CR ending one chunk and the LF starting the next are one line ending.
        let (events, _) = decode_chunks(&[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"], MAX_LINE);
        assert_eq!(events, vec![ev(None, "a\nb")]);
    }

    #[test]
    fn unterminated_last_event_is_dispatched_with_a_diagnostic() {
        let (events, diags) = decode_chunks(&[b"data: a\n\ndata: [DONE]"], MAX_LINE);
        assert_eq!(events, vec![ev(None, "a"), ev(None, "[DONE]")]);
        assert_eq!(diags.len(), 1);
        let (events, diags) = decode_chunks(&[b"data: a\n\n"], MAX_LINE);
        assert_eq!(events.len(), 1);
        assert!(diags.is_empty());
    }

    #[test]
    fn invalid_utf8_is_lossy() {
        let (events, diags) = decode_chunks(&[b"data: a\xff\xfeb\n\n"], MAX_LINE);
        assert_eq!(events, vec![ev(None, "a\u{fffd}\u{fffd}b")]);
        assert_eq!(diags, vec!["invalid UTF-8 in event stream".to_string()]);
    }

    #[test]
    fn long_lines_are_discarded_not_buffered() {
        let mut long = b"data: ".to_vec();
        long.extend(std::iter::repeat_n(b'x', 100));
        long.extend_from_slice(b"\n\ndata: ok\n\n");
        let chunks: Vec<&[u8]> = long.chunks(7).collect();
        let (events, diags) = decode_chunks(&chunks, 32);
        assert_eq!(events, vec![ev(None, "ok")]);
        assert_eq!(diags.len(), 1);
        // Many short data lines that add up beyond the cap drop the event too.
        let many = "data: 0123456789\n".repeat(10) + "\ndata: ok\n\n";
        let (events, diags) = decode_chunks(&[many.as_bytes()], 32);
        assert_eq!(events, vec![ev(None, "ok")]);
        assert_eq!(diags.len(), 1);
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512), split in 0usize..512) {
            let split = split.min(bytes.len());
            let (a, _) = decode_chunks(&[&bytes[..split], &bytes[split..]], 64);
            let (b, _) = decode_chunks(&[&bytes], 64);
            prop_assert_eq!(a, b);
        }

        #[test]
        fn chunking_never_matters(
            text in "(data: [a-zé😀]{0,5}|event: [a-z]{1,3}|: c|data|id: 1)?(\r\n|\n|\r)",
            reps in 1usize..20,
            cuts in proptest::collection::vec(0usize..400, 0..8),
        ) {
            let stream = text.repeat(reps).into_bytes();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(stream.len())).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut at = 0;
            for c in cuts {
                chunks.push(&stream[at..c]);
                at = c;
            }
            chunks.push(&stream[at..]);
            prop_assert_eq!(decode_chunks(&chunks, MAX_LINE), decode_chunks(&[&stream], MAX_LINE));
        }
    }
}
