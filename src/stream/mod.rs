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
//! [`StreamAccumulator::mark_complete`] (through [`StreamRecorder::accumulator`] when you drive
//! a recorder yourself) and a drop ends
//! the stream as finished.
//!
//! Code that is not a `Stream` uses [`StreamRecorder`] directly.

mod accumulator;
mod instrument;
mod recorder;

pub use accumulator::StreamAccumulator;
pub use instrument::{GenAiStreamExt, InstrumentedStream};
pub use recorder::StreamRecorder;
