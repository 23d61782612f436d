//! Observing a response body while the application reads it.
//!
//! The response is rebuilt around a body wrapper that forwards every frame unchanged (same
//! bytes, same size hint, so `content_length()` is kept) and feeds the data to the SSE
//! parser (streamed responses) or to a bounded copy (JSON). Status, version, headers,
//! extensions and the URL are preserved. The span ends when the body ends, fails or is
//! dropped.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use reqwest::{Response, ResponseBuilderExt};

use super::api::Api;
use super::middleware::{apply_response, transport_error_type};
use super::stream::StreamParser;
use crate::GenAiSpanExt;
use crate::stream::StreamRecorder;

/// Diagnostic of a body the application dropped before its end.
pub(crate) const DROPPED_EARLY: &str = "response body dropped before end";

/// Where the body's bytes go.
enum Sink {
    /// A server-sent-events stream, parsed incrementally.
    Sse {
        parser: Box<StreamParser>,
        recorder: Box<StreamRecorder>,
    },
    /// A JSON body, copied up to the cap.
    Json { buf: Vec<u8>, overflowed: bool },
}

/// The span side of an observed response body.
pub(crate) struct BodyTracker {
    span: tracing::Span,
    api: Api,
    capture: bool,
    max_buffered: usize,
    status: u16,
    sink: Option<Sink>,
}

impl std::fmt::Debug for BodyTracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyTracker")
            .field("api", &self.api)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl BodyTracker {
    pub(crate) fn new(span: tracing::Span, api: Api, capture: bool, max_buffered: usize) -> Self {
        BodyTracker {
            span,
            api,
            capture,
            max_buffered,
            status: 0,
            sink: None,
        }
    }

    /// The response head arrived.
    fn begin(&mut self, status: u16, sse: bool) {
        self.status = status;
        if !(200..300).contains(&status) {
            // Refined from the error body when it has been read.
            self.span.record_error_type(&status.to_string(), None);
        }
        self.sink = Some(if sse {
            Sink::Sse {
                parser: Box::new(self.api.stream_parser(self.capture)),
                recorder: Box::new(StreamRecorder::new(self.span.clone())),
            }
        } else {
            Sink::Json {
                buf: Vec::new(),
                overflowed: false,
            }
        });
    }

    fn data(&mut self, chunk: &[u8]) {
        match &mut self.sink {
            Some(Sink::Sse { parser, recorder }) => {
                for _ in 0..parser.feed(chunk) {
                    recorder.chunk();
                }
            }
            Some(Sink::Json { buf, overflowed }) => {
                if *overflowed {
                    return;
                }
                if buf.len() + chunk.len() > self.max_buffered {
                    *overflowed = true;
                    *buf = Vec::new();
                    let cap = self.max_buffered;
                    crate::span_ext::with_record(&self.span, |s| {
                        s.add_diagnostic(format!(
                            "response body larger than {cap} bytes: not parsed"
                        ))
                    });
                } else {
                    buf.extend_from_slice(chunk);
                }
            }
            None => {}
        }
    }

    /// The body ended normally.
    fn finish(&mut self) {
        match self.sink.take() {
            Some(Sink::Sse { parser, recorder }) => {
                apply_response(&self.span, parser.finish(), self.capture);
                recorder.finish();
            }
            Some(Sink::Json {
                overflowed: true, ..
            }) => {}
            Some(Sink::Json { buf, .. }) => {
                if (200..300).contains(&self.status) {
                    apply_response(
                        &self.span,
                        self.api.parse_response(&buf, self.capture),
                        self.capture,
                    );
                } else {
                    let e = self.api.parse_error(self.status, &buf);
                    self.span
                        .record_error_type(&e.error_type, e.message.as_deref());
                }
            }
            None => {}
        }
        self.release();
    }

    /// Drops the tracker's handle on the span: the call is over when the body ended, even if
    /// the application keeps the (finished) body around, so the span ends now.
    fn release(&mut self) {
        self.span = tracing::Span::none();
    }

    /// Reading the body failed.
    fn fail(&mut self, error: &(dyn std::error::Error + 'static)) {
        let error_type = transport_error_type(error);
        let message = crate::ErrorInfo::message_of(error);
        match self.sink.take() {
            Some(Sink::Sse {
                parser,
                mut recorder,
            }) => {
                apply_response(&self.span, parser.finish(), self.capture);
                recorder
                    .accumulator()
                    .error(error_type, Some(message.as_str()));
                recorder.finish();
            }
            _ => {
                self.span
                    .record_error_type(error_type, Some(message.as_str()));
            }
        }
        self.release();
    }
}

impl Drop for BodyTracker {
    fn drop(&mut self) {
        let Some(sink) = self.sink.take() else {
            return;
        };
        if let Sink::Sse {
            parser,
            mut recorder,
        } = sink
        {
            if parser.is_complete() {
                // Clients such as async-openai stop reading at `[DONE]` / `message_stop`,
                // before the empty end of the body: the call is complete, not cancelled.
                recorder.accumulator().mark_complete();
            } else {
                crate::span_ext::with_record(&self.span, |s| {
                    s.add_diagnostic(DROPPED_EARLY.to_string())
                });
            }
            // What arrived before the drop (usage of a finished message, partial output).
            apply_response(&self.span, parser.finish(), self.capture);
            // Ends the stream: finished if complete, else cancelled by the consumer (not an
            // error).
            drop(recorder);
        } else {
            crate::span_ext::with_record(&self.span, |s| {
                s.add_diagnostic(DROPPED_EARLY.to_string())
            });
        }
    }
}

/// The response body wrapper: forwards frames unchanged, observes their data.
struct TracedBody {
    inner: reqwest::Body,
    tracker: BodyTracker,
}

impl HttpBody for TracedBody {
    type Data = Bytes;
    type Error = reqwest::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, reqwest::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.tracker.data(data);
                }
                if this.inner.is_end_stream() {
                    this.tracker.finish();
                }
            }
            Poll::Ready(Some(Err(e))) => this.tracker.fail(e),
            Poll::Ready(None) => this.tracker.finish(),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Rebuilds `response` around an observed body; the tracker owns the span from now on.
pub(crate) fn observe(response: Response, mut tracker: BodyTracker) -> Response {
    let url = response.url().clone();
    let status = response.status().as_u16();
    let sse = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            const SSE: &str = "text/event-stream";
            v.trim_start()
                .get(..SSE.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(SSE))
        });
    tracker.begin(status, sse);
    let (mut parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    // `reqwest::Response` keeps its URL in a private extension that the conversion to
    // `http::Response` drops: put it back so that `response.url()` is unchanged.
    if let Ok(with_url) = http::Response::builder().url(url).body(()) {
        parts.extensions.extend(with_url.into_parts().0.extensions);
    }
    let body = reqwest::Body::wrap(TracedBody {
        inner: body,
        tracker,
    });
    Response::from(http::Response::from_parts(parts, body))
}
