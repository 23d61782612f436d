//! Streamed responses: the span of a streamed call covers the *consumption* of the stream.
//!
//! Wrap the response stream with [`GenAiStreamExt::instrument_genai`] (or
//! [`instrument_genai_try`](GenAiStreamExt::instrument_genai_try) for a stream of `Result`s),
//! giving it the call's span **by value**: the wrapper keeps the span open until the stream
//! ends and then drops it, so the span ends when the last chunk was consumed. If your code
//! keeps other clones of the span, the span ends when the last clone is dropped.
//!
//! What is recorded on the span:
//! - `gen_ai.request.stream = true`;
//! - `gen_ai.response.time_to_first_chunk` (seconds since the span was created), a
//!   `tracing_genai.first_chunk` span event, and the
//!   `gen_ai.client.operation.time_to_first_chunk` metric;
//! - the time between consecutive chunks, for the `gen_ai.client.operation.time_per_output_chunk`
//!   metric, and `tracing_genai.stream.chunks` (chunk count);
//! - the usage, finish reasons, response id and model your closure reports from the chunks
//!   (through a [`StreamAccumulator`]), written when the stream ends;
//! - an `Err` item (try streams) marks the call failed, like
//!   [`record_genai_error`](crate::GenAiSpanExt::record_genai_error).
//!
//! A stream dropped before it ended ends its span at once, with `error` added to
//! `gen_ai.response.finish_reasons`, `tracing_genai.stream.cancelled = true`, the chunk count,
//! and a `tracing_genai.stream.cancelled` event. Cancellation by the consumer is not marked as a
//! failure (no error status): the consumer chose to stop. A consumer that stops right after
//! an error item has not cancelled: the call is failed, with `error` in the finish reasons.
//! Neither has a consumer that stops at the provider's terminal event (async-openai stops
//! at `[DONE]`, before the end of the body): when your closure saw that event, call
//! [`StreamAccumulator::mark_complete`] (or [`StreamRecorder::mark_complete`]) and a drop ends
//! the stream as finished.
//!
//! Code that is not a `Stream` uses [`StreamRecorder`] directly.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};

use futures_core::Stream;
use opentelemetry::KeyValue;

use crate::rollup::MAX_CHUNK_GAPS;
use crate::semconv as sc;
use crate::span_ext::GenAiSpanExt;
use crate::state::{GenAiSpan, SpanEvent, Usage};

mod accumulator;

pub use accumulator::StreamAccumulator;

/// Records a streamed call by hand, for code that is not a `Stream`: call
/// [`chunk`](Self::chunk) as each chunk arrives and [`finish`](Self::finish) at the end.
/// Dropping the recorder before `finish` records a cancelled stream, unless the stream was
/// [marked complete](Self::mark_complete). The recorder holds the span and drops it when
/// done (see the [module docs](self)).
///
/// ```
/// use tracing_genai::{StreamRecorder, Usage};
///
/// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
/// let mut rec = StreamRecorder::new(span);
/// for delta in ["Hel", "lo"] {
///     rec.chunk();
///     rec.accumulator().push_text(delta);
/// }
/// let mut usage = Usage::default();
/// usage.input_tokens = Some(5);
/// usage.output_tokens = Some(2);
/// rec.finish(usage, ["stop"]);
/// ```
#[derive(Debug)]
pub struct StreamRecorder {
    span: Option<tracing::Span>,
    acc: StreamAccumulator,
    chunks: u64,
    last: Option<Instant>,
    gaps: Vec<f64>,
}

impl StreamRecorder {
    /// Starts recording the stream of the call `span` (marks it `gen_ai.request.stream`).
    ///
    /// ```
    /// let rec = tracing_genai::StreamRecorder::new(tracing::Span::none());
    /// # drop(rec);
    /// ```
    pub fn new(span: tracing::Span) -> Self {
        span.with_genai_state(|s| s.request.stream = Some(true));
        StreamRecorder {
            span: Some(span),
            acc: StreamAccumulator::default(),
            chunks: 0,
            last: None,
            gaps: Vec::new(),
        }
    }

    /// The span being recorded (`None` once finished).
    ///
    /// ```
    /// let rec = tracing_genai::StreamRecorder::new(tracing::Span::none());
    /// assert!(rec.span().is_some());
    /// ```
    pub fn span(&self) -> Option<&tracing::Span> {
        self.span.as_ref()
    }

    /// What the chunks reported so far; fill it as chunks arrive.
    ///
    /// ```
    /// let mut rec = tracing_genai::StreamRecorder::new(tracing::Span::none());
    /// rec.accumulator().push_text("Hi");
    /// ```
    pub fn accumulator(&mut self) -> &mut StreamAccumulator {
        &mut self.acc
    }

    /// Chunks recorded so far.
    ///
    /// ```
    /// let mut rec = tracing_genai::StreamRecorder::new(tracing::Span::none());
    /// rec.chunk();
    /// assert_eq!(rec.chunks(), 1);
    /// ```
    pub fn chunks(&self) -> u64 {
        self.chunks
    }

    /// Records the first chunk now, if no chunk was recorded yet (else does nothing). Same
    /// as the first [`chunk`](Self::chunk) call; use whichever reads better.
    ///
    /// ```
    /// let mut rec = tracing_genai::StreamRecorder::new(tracing::Span::none());
    /// rec.first_chunk();
    /// rec.first_chunk();
    /// assert_eq!(rec.chunks(), 1);
    /// ```
    pub fn first_chunk(&mut self) {
        if self.chunks == 0 {
            self.chunk();
        }
    }

    /// Records that a chunk arrived now: the first one sets the time to first chunk, later
    /// ones the time since the previous chunk.
    ///
    /// ```
    /// let mut rec = tracing_genai::StreamRecorder::new(tracing::Span::none());
    /// rec.chunk();
    /// rec.chunk();
    /// assert_eq!(rec.chunks(), 2);
    /// ```
    pub fn chunk(&mut self) {
        let now = Instant::now();
        self.chunks += 1;
        match self.last {
            None => {
                if let Some(span) = &self.span {
                    span.with_genai_state(|s| first_chunk(s, now));
                }
            }
            Some(prev) => {
                if self.gaps.len() < MAX_CHUNK_GAPS {
                    self.gaps.push(now.duration_since(prev).as_secs_f64());
                }
            }
        }
        self.last = Some(now);
    }

    /// Marks the stream complete (the provider sent its terminal event): dropping the
    /// recorder from now on ends the stream like
    /// [`finish_accumulated`](Self::finish_accumulated) instead of recording a cancellation.
    /// Same as [`StreamAccumulator::mark_complete`].
    ///
    /// ```
    /// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
    /// let mut rec = tracing_genai::StreamRecorder::new(span);
    /// rec.chunk();
    /// rec.accumulator().finish_reason("stop");
    /// rec.mark_complete(); // e.g. on `data: [DONE]`
    /// drop(rec); // a finished stream, not a cancelled one
    /// ```
    pub fn mark_complete(&mut self) {
        self.acc.mark_complete();
    }

    /// Marks the call failed with `error` (its type name becomes `error.type`).
    ///
    /// ```
    /// let mut rec = tracing_genai::StreamRecorder::new(tracing::Span::none());
    /// rec.fail(&std::io::Error::other("connection reset"));
    /// ```
    pub fn fail<E: std::error::Error + 'static>(&mut self, error: &E) {
        self.acc.error_from(error);
    }

    /// Ends the stream with the final usage and finish reasons, and ends the span (if the
    /// recorder held its last handle). Counts in `usage` that are `None` keep what the
    /// accumulator had.
    ///
    /// ```
    /// let rec = tracing_genai::StreamRecorder::new(tracing::Span::none());
    /// rec.finish(tracing_genai::Usage::default(), ["stop"]);
    /// ```
    pub fn finish<I, T>(mut self, usage: Usage, finish_reasons: I)
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.acc.usage_from(&usage);
        self.acc
            .finish_reasons
            .extend(finish_reasons.into_iter().map(Into::into));
        self.complete(false);
    }

    /// Ends the stream with what the accumulator collected.
    ///
    /// ```
    /// let mut rec = tracing_genai::StreamRecorder::new(tracing::Span::none());
    /// rec.accumulator().finish_reason("stop");
    /// rec.finish_accumulated();
    /// ```
    pub fn finish_accumulated(mut self) {
        self.complete(false);
    }

    fn complete(&mut self, cancelled: bool) {
        let Some(span) = self.span.take() else {
            return;
        };
        let acc = std::mem::take(&mut self.acc);
        let gaps = std::mem::take(&mut self.gaps);
        let chunks = self.chunks;
        // A consumer that stops after the provider's terminal event did not cancel: the
        // stream is complete.
        let ended_early = cancelled && !acc.complete;
        // A consumer that stops after an error item did not cancel: the call failed.
        let cancelled = ended_early && acc.error.is_none();
        span.with_genai_state(move |s| {
            s.request.stream = Some(true);
            let usage = &mut s.usage;
            for (slot, v) in [
                (&mut usage.input_tokens, acc.usage.input_tokens),
                (&mut usage.output_tokens, acc.usage.output_tokens),
                (
                    &mut usage.cache_read_input_tokens,
                    acc.usage.cache_read_input_tokens,
                ),
                (
                    &mut usage.cache_creation_input_tokens,
                    acc.usage.cache_creation_input_tokens,
                ),
                (
                    &mut usage.reasoning_output_tokens,
                    acc.usage.reasoning_output_tokens,
                ),
            ] {
                if v.is_some() {
                    *slot = v;
                }
            }
            let mut reasons = acc.finish_reasons;
            if ended_early && !reasons.iter().any(|r| r == "error") {
                reasons.push("error".to_string());
            }
            if !reasons.is_empty() {
                s.response.finish_reasons = Some(reasons);
            }
            if acc.response_id.is_some() {
                s.response.id = acc.response_id;
            }
            if acc.response_model.is_some() {
                s.response.model = acc.response_model;
            }
            if let Some((t, m)) = acc.error {
                s.error = None;
                s.set_error(Some(t), m);
            }
            s.accounting.chunks = chunks;
            s.accounting.chunk_gaps = gaps;
            if cancelled {
                s.accounting.cancelled = true;
                s.events.push(SpanEvent {
                    name: sc::EVENT_STREAM_CANCELLED.into(),
                    time: SystemTime::now(),
                    attributes: vec![KeyValue::new(
                        sc::TG_STREAM_CHUNKS,
                        i64::try_from(chunks).unwrap_or(i64::MAX),
                    )],
                });
            }
        });
        drop(span);
    }
}

fn first_chunk(s: &mut GenAiSpan, now: Instant) {
    let ttfc = now.saturating_duration_since(s.started).as_secs_f64();
    s.request.stream = Some(true);
    s.response.time_to_first_chunk = Some(ttfc);
    s.events.push(SpanEvent {
        name: sc::EVENT_FIRST_CHUNK.into(),
        time: SystemTime::now(),
        attributes: vec![KeyValue::new(sc::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, ttfc)],
    });
}

impl Drop for StreamRecorder {
    fn drop(&mut self) {
        self.complete(true);
    }
}

pin_project_lite::pin_project! {
    /// A stream that records a streamed GenAI call on its span; see the [module docs](self).
    /// Built by [`GenAiStreamExt`].
    #[derive(Debug)]
    pub struct InstrumentedStream<St, F> {
        #[pin]
        inner: St,
        recorder: StreamRecorder,
        // A second handle, entered while the inner stream is polled.
        entered: Option<tracing::Span>,
        on_item: F,
        done: bool,
    }
}

impl<St, F> InstrumentedStream<St, F> {
    /// The recorder (chunk count, accumulated output so far).
    ///
    /// ```
    /// use tracing_genai::GenAiStreamExt;
    /// let s = futures_core_stream();
    /// # fn futures_core_stream() -> impl futures_core::Stream<Item = u8> { Empty }
    /// # struct Empty;
    /// # impl futures_core::Stream for Empty { type Item = u8;
    /// #   fn poll_next(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Option<u8>> { std::task::Poll::Ready(None) } }
    /// let wrapped = s.instrument_genai(tracing::Span::none(), |_, _| {});
    /// assert_eq!(wrapped.recorder().chunks(), 0);
    /// ```
    pub fn recorder(&self) -> &StreamRecorder {
        &self.recorder
    }
}

impl<St, F> Stream for InstrumentedStream<St, F>
where
    St: Stream,
    F: FnMut(&St::Item, &mut StreamAccumulator),
{
    type Item = St::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<St::Item>> {
        let this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        let _guard = this.entered.as_ref().map(tracing::Span::enter);
        match this.inner.poll_next(cx) {
            Poll::Ready(Some(item)) => {
                let had_error = this.recorder.acc.error.is_some();
                (this.on_item)(&item, &mut this.recorder.acc);
                // An item that reported a new error is not an output chunk.
                if had_error || this.recorder.acc.error.is_none() {
                    this.recorder.chunk();
                }
                Poll::Ready(Some(item))
            }
            Poll::Ready(None) => {
                *this.done = true;
                drop(_guard);
                this.entered.take();
                this.recorder.complete(false);
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            (0, Some(0))
        } else {
            self.inner.size_hint()
        }
    }
}

/// Instrumenting a response stream; see the [module docs](self).
///
/// ```
/// use tracing_genai::GenAiStreamExt;
/// # struct Chunks(Vec<&'static str>);
/// # impl futures_core::Stream for Chunks { type Item = &'static str;
/// #   fn poll_next(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Option<&'static str>> {
/// #     std::task::Poll::Ready(if self.0.is_empty() { None } else { Some(self.0.remove(0)) }) } }
/// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
/// let stream = Chunks(vec!["Hel", "lo"]).instrument_genai(span, |delta, acc| {
///     acc.push_text(delta).add_output_tokens(1);
/// });
/// # drop(stream);
/// ```
pub trait GenAiStreamExt: Stream + Sized {
    /// Wraps the stream; `on_item` sees each item and reports what it carries.
    fn instrument_genai<F>(self, span: tracing::Span, on_item: F) -> InstrumentedStream<Self, F>
    where
        F: FnMut(&Self::Item, &mut StreamAccumulator),
    {
        let entered = Some(span.clone());
        InstrumentedStream {
            inner: self,
            recorder: StreamRecorder::new(span),
            entered,
            on_item,
            done: false,
        }
    }

    /// Wraps a stream of `Result`s: `on_ok` sees each `Ok` item; an `Err` item marks the call
    /// failed (`error.type` = the error's type name).
    fn instrument_genai_try<T, E, F>(
        self,
        span: tracing::Span,
        mut on_ok: F,
    ) -> InstrumentedStream<Self, impl FnMut(&Result<T, E>, &mut StreamAccumulator)>
    where
        Self: Stream<Item = Result<T, E>>,
        E: std::error::Error + 'static,
        F: FnMut(&T, &mut StreamAccumulator),
    {
        self.instrument_genai(span, move |item: &Result<T, E>, acc| match item {
            Ok(v) => on_ok(v, acc),
            Err(e) => acc.error_from(e),
        })
    }
}

impl<St: Stream> GenAiStreamExt for St {}
