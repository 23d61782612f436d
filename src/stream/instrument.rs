//! [`InstrumentedStream`] and [`GenAiStreamExt`]: a `Stream` whose span covers its
//! consumption.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::{StreamAccumulator, StreamRecorder};

pin_project_lite::pin_project! {
    /// A stream that records a streamed GenAI call on its span; see the [module docs](super).
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
    /// use tracing_genai::stream::GenAiStreamExt;
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

/// Instrumenting a response stream; see the [module docs](super).
///
/// ```
/// use tracing_genai::stream::GenAiStreamExt;
/// # struct Chunks(Vec<&'static str>);
/// # impl futures_core::Stream for Chunks { type Item = &'static str;
/// #   fn poll_next(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Option<&'static str>> {
/// #     std::task::Poll::Ready(if self.0.is_empty() { None } else { Some(self.0.remove(0)) }) } }
/// let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
/// let stream = Chunks(vec!["Hel", "lo"]).instrument_genai(span, |delta, acc| {
///     acc.add_output_tokens(1).output().push_text(0, delta);
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
