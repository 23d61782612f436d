//! Streamed calls: the span covers the consumption of the stream.

use std::time::Duration;

use crate::support::{Harness, attr, f64_attr};
use futures_util::{StreamExt, stream};
use opentelemetry::Value;
use opentelemetry::trace::Status;
use tracing_genai::{
    Usage,
    stream::{GenAiStreamExt, StreamRecorder},
};

#[derive(Clone, Debug)]
struct Chunk {
    text: &'static str,
    usage: Option<(u64, u64)>,
    finish: Option<&'static str>,
}

fn chunks() -> Vec<Chunk> {
    vec![
        Chunk {
            text: "Hel",
            usage: None,
            finish: None,
        },
        Chunk {
            text: "lo",
            usage: None,
            finish: None,
        },
        Chunk {
            text: "!",
            usage: Some((7, 3)),
            finish: Some("stop"),
        },
    ]
}

fn on_chunk(c: &Chunk, acc: &mut tracing_genai::stream::StreamAccumulator) {
    acc.output().push_text(0, c.text);
    if let Some((i, o)) = c.usage {
        acc.input_tokens(i).output_tokens(o);
    }
    if let Some(f) = c.finish {
        acc.finish_reason(f).response_model("gpt-4o-2024-08-06");
    }
}

/// A stream that yields each item after a short delay.
fn slow<T: Send + 'static>(items: Vec<T>) -> futures_util::stream::BoxStream<'static, T> {
    stream::iter(items)
        .then(|x| async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            x
        })
        .boxed()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

fn llm_span() -> tracing::Span {
    tracing_genai::genai_span!("chat", "openai", "gpt-4o")
}

#[test]
fn complete_stream_records_ttfc_usage_and_chunk_timings() {
    let h = Harness::builder().metrics(true).build();
    let text = h.run(|| {
        runtime().block_on(async {
            let mut s = slow(chunks()).instrument_genai(llm_span(), on_chunk);
            let mut text = String::new();
            while let Some(c) = s.next().await {
                text.push_str(c.text);
            }
            assert_eq!(s.recorder().chunks(), 3);
            text
        })
    });
    assert_eq!(text, "Hello!");
    let span = h.span("chat gpt-4o");
    assert_eq!(
        attr(&span, "gen_ai.request.stream"),
        Some(&Value::Bool(true))
    );
    let ttfc = f64_attr(&span, "gen_ai.response.time_to_first_chunk");
    let duration = span
        .end_time
        .duration_since(span.start_time)
        .unwrap()
        .as_secs_f64();
    assert!(
        ttfc > 0.0 && ttfc <= duration,
        "ttfc {ttfc} duration {duration}"
    );
    assert_eq!(
        attr(&span, "gen_ai.usage.input_tokens"),
        Some(&Value::I64(7))
    );
    assert_eq!(
        attr(&span, "gen_ai.usage.output_tokens"),
        Some(&Value::I64(3))
    );
    assert_eq!(
        attr(&span, "gen_ai.response.finish_reasons"),
        Some(&Value::Array(
            vec![opentelemetry::StringValue::from("stop")].into()
        ))
    );
    assert_eq!(
        attr(&span, "gen_ai.response.model"),
        Some(&Value::from("gpt-4o-2024-08-06"))
    );
    assert_eq!(
        attr(&span, "tracing_genai.stream.chunks"),
        Some(&Value::I64(3))
    );
    assert_eq!(attr(&span, "tracing_genai.stream.cancelled"), None);
    assert_eq!(span.status, Status::Unset);
    let first = span
        .events
        .iter()
        .find(|e| e.name == "tracing_genai.first_chunk")
        .expect("first chunk event");
    assert_eq!(
        first.attributes[0].value,
        Value::F64(ttfc),
        "event carries the same time to first chunk"
    );

    let m = h.metric("gen_ai.client.operation.time_to_first_chunk");
    assert_eq!(m.unit, "s");
    let p = m.point(&[("gen_ai.operation.name", "chat")]);
    assert_eq!((p.count, p.sum), (1, ttfc));
    let m = h.metric("gen_ai.client.operation.time_per_output_chunk");
    assert_eq!(m.unit, "s");
    let p = m.point(&[("gen_ai.request.model", "gpt-4o")]);
    assert_eq!(p.count, 2, "one per chunk after the first");
    assert!(p.min.unwrap() > 0.0);
    assert!(p.sum <= duration);
    let tokens = h.metric("gen_ai.client.token.usage");
    assert_eq!(tokens.point(&[("gen_ai.token.type", "output")]).sum, 3.0);
}

#[test]
fn dropped_stream_ends_span_at_once_as_cancelled() {
    let h = Harness::builder().metrics(true).build();
    h.run(|| {
        runtime().block_on(async {
            let mut s = slow(chunks()).instrument_genai(llm_span(), on_chunk);
            assert!(s.next().await.is_some());
            assert!(h.spans().is_empty(), "span open while the stream is alive");
            drop(s);
            // Ended at once, not when the runtime or the test ends.
            assert_eq!(h.spans().len(), 1);
        })
    });
    let span = h.span("chat gpt-4o");
    let reasons = attr(&span, "gen_ai.response.finish_reasons")
        .unwrap()
        .to_string();
    assert!(reasons.contains("error"), "{reasons}");
    assert_eq!(
        attr(&span, "tracing_genai.stream.cancelled"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        attr(&span, "tracing_genai.stream.chunks"),
        Some(&Value::I64(1))
    );
    let ev = span
        .events
        .iter()
        .find(|e| e.name == "tracing_genai.stream.cancelled")
        .expect("cancel event");
    assert_eq!(ev.attributes[0].value, Value::I64(1));
    assert!(attr(&span, "gen_ai.response.time_to_first_chunk").is_some());
    assert_eq!(span.status, Status::Unset, "cancellation is not a failure");
}

#[derive(Debug)]
struct ProviderError;
impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stream interrupted by provider")
    }
}
impl std::error::Error for ProviderError {}

#[test]
fn error_mid_stream_is_a_failed_call() {
    let h = Harness::builder().metrics(true).build();
    h.run(|| {
        runtime().block_on(async {
            let items: Vec<Result<Chunk, ProviderError>> =
                vec![Ok(chunks()[0].clone()), Err(ProviderError)];
            let s = stream::iter(items).instrument_genai_try(llm_span(), on_chunk);
            let got: Vec<_> = s.collect().await;
            assert_eq!(got.len(), 2);
        })
    });
    let span = h.span("chat gpt-4o");
    assert_eq!(
        attr(&span, "error.type"),
        Some(&Value::from("ProviderError"))
    );
    assert!(matches!(span.status, Status::Error { .. }));
    // The error item is not counted as an output chunk.
    assert_eq!(
        attr(&span, "tracing_genai.stream.chunks"),
        Some(&Value::I64(1))
    );
    assert_eq!(attr(&span, "tracing_genai.stream.cancelled"), None);
    let d = h.metric("gen_ai.client.operation.duration");
    assert_eq!(d.point(&[("error.type", "ProviderError")]).count, 1);
}

#[test]
fn consumer_stopping_at_an_error_is_a_failure_not_a_cancellation() {
    let h = Harness::builder().metrics(true).build();
    h.run(|| {
        runtime().block_on(async {
            let items: Vec<Result<Chunk, ProviderError>> = vec![
                Ok(chunks()[0].clone()),
                Err(ProviderError),
                Ok(chunks()[1].clone()),
            ];
            let mut s = stream::iter(items).instrument_genai_try(llm_span(), on_chunk);
            while let Some(item) = s.next().await {
                if item.is_err() {
                    break;
                }
            }
        })
    });
    let span = h.span("chat gpt-4o");
    assert_eq!(
        attr(&span, "error.type"),
        Some(&Value::from("ProviderError"))
    );
    assert!(
        attr(&span, "gen_ai.response.finish_reasons")
            .unwrap()
            .to_string()
            .contains("error")
    );
    assert_eq!(attr(&span, "tracing_genai.stream.cancelled"), None);
}

#[test]
fn manual_recorder() {
    let h = Harness::builder().metrics(true).build();
    h.run(|| {
        let mut rec = StreamRecorder::new(llm_span());
        std::thread::sleep(Duration::from_millis(2));
        rec.chunk(); // the first chunk
        rec.accumulator().output().push_text(0, "a");
        rec.chunk();
        rec.chunk();
        assert_eq!(rec.accumulator().output().text(0), "a");
        rec.accumulator()
            .usage_from(&Usage::new(5, 3))
            .finish_reason("length");
        rec.finish();
    });
    let span = h.span("chat gpt-4o");
    assert_eq!(
        attr(&span, "gen_ai.request.stream"),
        Some(&Value::Bool(true))
    );
    assert!(f64_attr(&span, "gen_ai.response.time_to_first_chunk") >= 0.002);
    assert_eq!(
        attr(&span, "gen_ai.usage.output_tokens"),
        Some(&Value::I64(3))
    );
    assert!(
        attr(&span, "gen_ai.response.finish_reasons")
            .unwrap()
            .to_string()
            .contains("length")
    );
    assert_eq!(
        attr(&span, "tracing_genai.stream.chunks"),
        Some(&Value::I64(3))
    );
    assert_eq!(
        h.metric("gen_ai.client.operation.time_per_output_chunk")
            .points[0]
            .count,
        2
    );
}

#[test]
fn unfinished_manual_recorder_is_cancelled() {
    let h = Harness::builder().metrics(true).build();
    h.run(|| {
        let mut rec = StreamRecorder::new(llm_span());
        rec.chunk();
        rec.chunk();
    });
    let span = h.span("chat gpt-4o");
    assert_eq!(
        attr(&span, "tracing_genai.stream.cancelled"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        attr(&span, "tracing_genai.stream.chunks"),
        Some(&Value::I64(2))
    );
}

#[test]
fn wrapper_and_recorder_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let s = slow(chunks()).instrument_genai(llm_span(), on_chunk);
    assert_send(&s);
    assert_send(&StreamRecorder::new(llm_span()));
}

fn duration(span: &opentelemetry_sdk::trace::SpanData) -> Duration {
    span.end_time.duration_since(span.start_time).unwrap()
}

/// The call ends when its stream finishes, not when its span was last entered: the exported
/// end time is the finish time even though the span was not entered since the last chunk.
#[test]
fn manual_recorder_ends_span_when_finished_not_at_last_enter() {
    let h = Harness::builder().metrics(true).build();
    h.run(|| {
        let span = llm_span();
        let mut rec = StreamRecorder::new(span.clone());
        // The request future ran in the span (as `.instrument(span)` does), then the chunks
        // arrive outside of it.
        span.in_scope(|| rec.chunk());
        drop(span);
        std::thread::sleep(Duration::from_millis(50));
        rec.chunk();
        rec.accumulator().finish_reason("stop");
        rec.finish();
    });
    let span = h.span("chat gpt-4o");
    assert!(
        duration(&span) >= Duration::from_millis(50),
        "span ended at its last exit: {:?}",
        duration(&span)
    );
}

/// A wrapped stream dropped some time after its last poll ends its span at the drop.
#[test]
fn dropped_stream_ends_span_at_the_drop_not_at_the_last_poll() {
    let h = Harness::builder().metrics(true).build();
    h.run(|| {
        runtime().block_on(async {
            let mut s = slow(chunks()).instrument_genai(llm_span(), on_chunk);
            assert!(s.next().await.is_some());
            std::thread::sleep(Duration::from_millis(50));
            drop(s);
        })
    });
    let span = h.span("chat gpt-4o");
    assert!(
        duration(&span) >= Duration::from_millis(50),
        "span ended at its last poll: {:?}",
        duration(&span)
    );
    let cancelled = span
        .events
        .iter()
        .find(|e| e.name == "tracing_genai.stream.cancelled")
        .expect("cancel event");
    assert!(
        cancelled.timestamp <= span.end_time,
        "the cancel event lies within the span"
    );
}

/// A recorder marked complete (the provider's terminal event arrived) and then dropped ends
/// as a finished stream, not a cancelled one.
#[test]
fn recorder_marked_complete_then_dropped_is_finished_not_cancelled() {
    let h = Harness::builder().metrics(true).build();
    h.run(|| {
        let mut rec = StreamRecorder::new(llm_span());
        rec.chunk();
        rec.accumulator().finish_reason("stop").output_tokens(1);
        rec.accumulator().mark_complete();
        drop(rec);
    });
    let span = h.span("chat gpt-4o");
    assert_eq!(
        attr(&span, "gen_ai.response.finish_reasons"),
        Some(&Value::Array(
            vec![opentelemetry::StringValue::from("stop")].into()
        ))
    );
    assert_eq!(attr(&span, "tracing_genai.stream.cancelled"), None);
    assert!(
        span.events
            .iter()
            .all(|e| e.name != "tracing_genai.stream.cancelled")
    );
    assert_eq!(
        attr(&span, "gen_ai.usage.output_tokens"),
        Some(&Value::I64(1))
    );
    assert_eq!(span.status, Status::Unset);
}

/// A consumer that stops reading at the terminal event (as async-openai does at `[DONE]`)
/// has not cancelled when the closure marked the stream complete; one that stops earlier has.
#[test]
fn consumer_stopping_at_the_terminal_event_is_not_a_cancellation() {
    #[derive(Clone, Debug)]
    enum Event {
        Delta(&'static str),
        Done,
    }
    let on_event = |e: &Event, acc: &mut tracing_genai::stream::StreamAccumulator| match e {
        Event::Delta(t) => {
            acc.output().push_text(0, t);
        }
        Event::Done => {
            acc.finish_reason("stop").mark_complete();
        }
    };
    let events = vec![Event::Delta("Hi"), Event::Done, Event::Delta("ignored")];
    let h = Harness::builder().metrics(true).build();
    h.run(|| {
        runtime().block_on(async {
            for (model, stop_at_done) in [("stops-at-done", true), ("stops-early", false)] {
                let span = tracing_genai::genai_span!("chat", "openai", model);
                let mut s = stream::iter(events.clone()).instrument_genai(span, on_event);
                while let Some(e) = s.next().await {
                    if !stop_at_done || matches!(e, Event::Done) {
                        break;
                    }
                }
            }
        })
    });
    let done = h.span("chat stops-at-done");
    assert_eq!(attr(&done, "tracing_genai.stream.cancelled"), None);
    assert_eq!(
        attr(&done, "gen_ai.response.finish_reasons"),
        Some(&Value::Array(
            vec![opentelemetry::StringValue::from("stop")].into()
        ))
    );
    let early = h.span("chat stops-early");
    assert_eq!(
        attr(&early, "tracing_genai.stream.cancelled"),
        Some(&Value::Bool(true))
    );
    assert!(
        attr(&early, "gen_ai.response.finish_reasons")
            .unwrap()
            .to_string()
            .contains("error")
    );
}
