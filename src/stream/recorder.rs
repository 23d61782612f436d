//! [`StreamRecorder`]: a streamed call recorded chunk by chunk.

use std::time::{Instant, SystemTime};

use opentelemetry::KeyValue;

use super::StreamAccumulator;
use crate::model::{GenAiSpan, SpanEvent};
use crate::record::MAX_CHUNK_GAPS;
use crate::semconv as sc;
use crate::span_ext::with_record;

/// Records a streamed call by hand, for code that is not a `Stream`: call
/// [`chunk`](Self::chunk) as each chunk arrives and [`finish`](Self::finish) at the end.
/// Dropping the recorder before `finish` records a cancelled stream, unless the stream was
/// [marked complete](StreamAccumulator::mark_complete). The recorder holds the span and drops it when
/// done (see the [module docs](super)).
///
/// ```
/// use tracing_genai::stream::StreamRecorder;
/// use tracing_genai::Usage;
///
/// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
/// let mut rec = StreamRecorder::new(span);
/// for delta in ["Hel", "lo"] {
///     rec.chunk();
///     rec.accumulator().output().push_text(0, delta);
/// }
/// rec.accumulator().usage_from(&Usage::new(5, 2)).finish_reason("stop");
/// rec.finish();
/// ```
#[derive(Debug)]
pub struct StreamRecorder {
    span: Option<tracing::Span>,
    pub(super) acc: StreamAccumulator,
    chunks: u64,
    last: Option<Instant>,
    gaps: Vec<f64>,
}

impl StreamRecorder {
    /// Starts recording the stream of the call `span` (marks it `gen_ai.request.stream`).
    ///
    /// ```
    /// let rec = tracing_genai::stream::StreamRecorder::new(tracing::Span::none());
    /// # drop(rec);
    /// ```
    pub fn new(span: tracing::Span) -> Self {
        with_record(&span, |s| s.request.stream = Some(true));
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
    /// let rec = tracing_genai::stream::StreamRecorder::new(tracing::Span::none());
    /// assert!(rec.span().is_some());
    /// ```
    pub fn span(&self) -> Option<&tracing::Span> {
        self.span.as_ref()
    }

    /// What the chunks reported so far; fill it as chunks arrive.
    ///
    /// ```
    /// let mut rec = tracing_genai::stream::StreamRecorder::new(tracing::Span::none());
    /// rec.accumulator().output().push_text(0, "Hi");
    /// ```
    pub fn accumulator(&mut self) -> &mut StreamAccumulator {
        &mut self.acc
    }

    /// Chunks recorded so far.
    ///
    /// ```
    /// let mut rec = tracing_genai::stream::StreamRecorder::new(tracing::Span::none());
    /// rec.chunk();
    /// assert_eq!(rec.chunks(), 1);
    /// ```
    pub fn chunks(&self) -> u64 {
        self.chunks
    }

    /// Records that a chunk arrived now: the first one sets the time to first chunk, later
    /// ones the time since the previous chunk.
    ///
    /// ```
    /// let mut rec = tracing_genai::stream::StreamRecorder::new(tracing::Span::none());
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
                    with_record(span, |s| first_chunk(s, now));
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

    /// Marks the call failed with `error` (its type name becomes `error.type`).
    ///
    /// ```
    /// let mut rec = tracing_genai::stream::StreamRecorder::new(tracing::Span::none());
    /// rec.fail(&std::io::Error::other("connection reset"));
    /// ```
    pub fn fail<E: std::error::Error + 'static>(&mut self, error: &E) {
        self.acc.error_from(error);
    }

    /// Ends the stream with what the accumulator collected (usage, finish reasons, response
    /// id and model, an error), and ends the span (if the recorder held its last handle).
    ///
    /// ```
    /// let mut rec = tracing_genai::stream::StreamRecorder::new(tracing::Span::none());
    /// rec.accumulator().finish_reason("stop");
    /// rec.finish();
    /// ```
    pub fn finish(mut self) {
        self.complete(false);
    }

    pub(super) fn complete(&mut self, cancelled: bool) {
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
        let interrupted = ended_early || acc.error.is_some();
        with_record(&span, move |s| {
            s.request.stream = Some(true);
            s.usage.overlay(&acc.usage);
            let mut reasons = acc.finish_reasons;
            if ended_early && !reasons.iter().any(|r| r == "error") {
                reasons.push("error".to_string());
            }
            if !reasons.is_empty() {
                s.response.finish_reasons = Some(reasons);
            }
            if acc.response_id.is_some() {
                s.response.id = acc.response_id.map(Into::into);
            }
            if acc.response_model.is_some() {
                s.response.model = acc.response_model.map(Into::into);
            }
            if let Some((t, m)) = acc.error {
                s.error = None;
                s.record_error(Some(t), m);
            }
            if let Some(content) = s.content.as_mut().filter(|_| !acc.output.is_empty()) {
                content.output_messages = Some(if interrupted {
                    acc.output.finish_interrupted()
                } else {
                    acc.output.finish()
                });
                content.legacy_output = false;
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
