//! The GenAI events of a closing span: `gen_ai.client.inference.operation.details`,
//! `gen_ai.client.operation.exception` and `gen_ai.evaluation.result`, emitted as
//! OpenTelemetry log records (with the span's trace and span ids and the event name) and/or as
//! span events, as [`EventTarget`] says.

use std::time::SystemTime;

use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::trace::SpanContext;
use opentelemetry::{Array, InstrumentationScope, KeyValue, Value};
use opentelemetry_sdk::logs::{SdkLogger, SdkLoggerProvider};

use crate::content::{ContentCapture, SecretScanner};
use crate::mapper::Attributes;
use crate::model::{Evaluation, SpanEvent};
use crate::record::SpanRecord;
use crate::record::start::StartWrites;
use crate::semconv as sc;
use crate::semconv::{Conventions, Item};

/// Where the GenAI events go (set with
/// [`GenAiLayer::with_events_as`](crate::GenAiLayer::with_events_as)).
///
/// In the GenAI conventions an event is an OpenTelemetry **log record** with an event name, in
/// the trace and span of its operation. Backends that read only spans see them as span events
/// instead. The default, [`Auto`](Self::Auto), sends log records when the layer has a logger
/// provider ([`with_logger_provider`](crate::GenAiLayer::with_logger_provider)) and span events
/// otherwise, so no event is lost when no logs pipeline is configured.
///
/// | target | details, evaluation | failure |
/// |---|---|---|
/// | log records | `gen_ai.client.inference.operation.details`, `gen_ai.evaluation.result` log records | `gen_ai.client.operation.exception` log record (WARN) |
/// | span events | span events of the same names | `exception` span event |
///
/// ```
/// use tracing_genai::EventTarget;
///
/// assert_eq!(EventTarget::default(), EventTarget::Auto);
/// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
///     .with_events_as(EventTarget::SpanEvents);
/// # drop(layer);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventTarget {
    /// Log records when a logger provider is set, else span events (the default).
    #[default]
    Auto,
    /// Log records only (nothing is emitted when no logger provider is set).
    LogRecords,
    /// Span events only (as before log records existed; the logger provider is not used).
    SpanEvents,
    /// Both: each event as a log record (when a logger provider is set) and as a span event.
    Both,
}

/// The events settings of the export stage.
#[derive(Clone, Debug, Default)]
pub(crate) struct EventsConfig {
    logger: Option<SdkLogger>,
    target: EventTarget,
    always_details: bool,
}

impl EventsConfig {
    pub(crate) fn set_logger_provider(&mut self, provider: &SdkLoggerProvider) {
        let scope = InstrumentationScope::builder(sc::INSTRUMENTATION_SCOPE)
            .with_version(env!("CARGO_PKG_VERSION"))
            .with_schema_url(sc::SCHEMA_URL)
            .build();
        self.logger = Some(provider.logger_with_scope(scope));
    }

    pub(crate) fn set_target(&mut self, target: EventTarget) {
        self.target = target;
    }

    pub(crate) fn set_always_details(&mut self, always: bool) {
        self.always_details = always;
    }

    /// The logger to emit log records with (`None`: no log records).
    fn logger(&self) -> Option<&SdkLogger> {
        match self.target {
            EventTarget::SpanEvents => None,
            _ => self.logger.as_ref(),
        }
    }

    /// Whether the events are also written as span events.
    fn to_spans(&self) -> bool {
        match self.target {
            EventTarget::Auto => self.logger.is_none(),
            EventTarget::LogRecords => false,
            EventTarget::SpanEvents | EventTarget::Both => true,
        }
    }

    /// Whether the `exception` span event is written on a failed span.
    pub(crate) fn exception_span_event(&self) -> bool {
        self.to_spans()
    }

    /// Whether anything may describe the call in an event (the details or exception event):
    /// what the close must keep the values given at start for.
    pub(crate) fn may_describe_call(&self, mode: ContentCapture) -> bool {
        self.always_details || mode.on_event() || self.logger().is_some()
    }

    /// Whether the details event is wanted for this span (besides content, which always
    /// brings it when the mode includes events): asked for, or recommended by the latest
    /// conventions (as a log record only: as a span event it would repeat the span).
    pub(crate) fn wants_details(
        &self,
        state: &SpanRecord,
        mode: ContentCapture,
        conventions: Conventions,
    ) -> bool {
        let inference = state.operation.as_ref().is_some_and(|o| o.is_inference());
        inference
            && (self.always_details
                || mode.on_event()
                || (self.logger().is_some() && conventions.has(Item::InferenceDetailsRecommended)))
    }
}

/// The attributes of the span that describe the call in an event: `gen_ai.*` but the content
/// keys (a span capturing content does not put it in events unless the mode says so),
/// `server.*` and `error.type` (after mappers and scrubbing).
///
/// `given`: what the span was given at start when the close-time attributes leave it out.
pub(crate) fn call_attributes(
    attrs: &Attributes<'_>,
    given: Option<&StartWrites>,
) -> Vec<KeyValue> {
    given
        .into_iter()
        .flat_map(StartWrites::key_values)
        .chain(
            attrs
                .iter()
                .filter(|kv| {
                    let k = kv.key.as_str();
                    (k.starts_with(sc::GEN_AI_PREFIX) && !sc::is_content_key(k))
                        || k.starts_with(sc::SERVER_PREFIX)
                        || k == sc::ERROR_TYPE
                })
                .cloned(),
        )
        .collect()
}

/// The close-time attributes of a span and what it was given at start (which they leave out).
#[derive(Clone, Copy)]
pub(crate) struct Call<'a> {
    pub(crate) attrs: &'a Attributes<'static>,
    pub(crate) given: Option<&'a StartWrites>,
}

/// The events of one closing span, built after scrubbing, emitted after the span is written.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    details: Option<Vec<KeyValue>>,
    /// The details record's severity: DEBUG where the latest conventions apply, else INFO.
    details_severity: Option<Severity>,
    exception: Option<Vec<KeyValue>>,
    evaluations: Vec<(SystemTime, Vec<KeyValue>)>,
}

impl Pending {
    /// Collects the events of `state`. `details` is the details event's attributes when content
    /// brought one; otherwise one is built from `attrs` when the settings want it.
    pub(crate) fn collect(
        config: &EventsConfig,
        state: &mut SpanRecord,
        call: Call<'_>,
        details: Option<Vec<KeyValue>>,
        mode: ContentCapture,
        scanner: &SecretScanner,
        conventions: Conventions,
    ) -> Self {
        let details = details.or_else(|| {
            config
                .wants_details(state, mode, conventions)
                .then(|| call_attributes(call.attrs, call.given))
        });
        let details_severity = Some(if conventions.has(Item::InferenceDetailsRecommended) {
            Severity::Debug
        } else {
            Severity::Info
        });
        let exception = if state.is_error() && config.logger().is_some() {
            super::attributes::exception_event(state).map(|mut e| {
                e.extend(
                    call_attributes(call.attrs, call.given)
                        .into_iter()
                        .filter(|kv| {
                            let k = kv.key.as_str();
                            k == sc::ERROR_TYPE
                                || k == sc::GEN_AI_OPERATION_NAME
                                || k == sc::GEN_AI_PROVIDER_NAME
                                || k == sc::GEN_AI_REQUEST_MODEL
                                || k.starts_with(sc::SERVER_PREFIX)
                        }),
                );
                e
            })
        } else {
            None
        };
        // The state's strings may have been moved into the attributes: read the id there.
        let response_id = if state.evaluations.is_empty() {
            None
        } else {
            call.attrs
                .get(sc::GEN_AI_RESPONSE_ID)
                .map(|v| v.as_str().into_owned())
        };
        let evaluations = std::mem::take(&mut state.evaluations)
            .into_iter()
            .map(|e| {
                (
                    e.time,
                    evaluation_attributes(e, response_id.as_deref(), scanner),
                )
            })
            .collect();
        let mut pending = Pending {
            details,
            details_severity,
            exception,
            evaluations,
        };
        if config.to_spans() {
            pending.push_span_events(state, config.logger().is_none());
        }
        pending
    }

    /// Adds the events as span events of `state` (written with the span). `take`: no log
    /// record will need them.
    fn push_span_events(&mut self, state: &mut SpanRecord, take: bool) {
        if self.details.is_none() && self.evaluations.is_empty() {
            return;
        }
        let now = SystemTime::now();
        let details = if take {
            self.details.take()
        } else {
            self.details.clone()
        };
        if let Some(attributes) = details {
            state.events.push(SpanEvent {
                name: sc::GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS_EVENT.into(),
                time: now,
                attributes,
            });
        }
        let evaluations = if take {
            std::mem::take(&mut self.evaluations)
        } else {
            self.evaluations.clone()
        };
        for (time, attributes) in evaluations {
            state.events.push(SpanEvent {
                name: sc::GEN_AI_EVALUATION_RESULT_EVENT.into(),
                time,
                attributes,
            });
        }
    }

    /// Emits the log records (when a logger is set), in the trace and span of `span`.
    pub(crate) fn emit(self, config: &EventsConfig, span: Option<&SpanContext>) {
        let Some(logger) = config.logger() else {
            return;
        };
        let now = SystemTime::now();
        if let Some(attributes) = self.details {
            let event = sc::GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS_EVENT;
            let severity = self.details_severity.unwrap_or(Severity::Info);
            emit(logger, event, severity, now, attributes, span);
        }
        if let Some(attributes) = self.exception {
            let event = sc::GEN_AI_CLIENT_OPERATION_EXCEPTION_EVENT;
            emit(logger, event, Severity::Warn, now, attributes, span);
        }
        for (time, attributes) in self.evaluations {
            let event = sc::GEN_AI_EVALUATION_RESULT_EVENT;
            emit(logger, event, Severity::Info, time, attributes, span);
        }
    }
}

fn evaluation_attributes(
    e: Evaluation,
    response_id: Option<&str>,
    scanner: &SecretScanner,
) -> Vec<KeyValue> {
    let scrubbed = |mut s: String| {
        scanner.scrub_string(&mut s);
        s
    };
    let mut attrs = vec![KeyValue::new(sc::GEN_AI_EVALUATION_NAME, scrubbed(e.name))];
    if let Some(v) = e.score_value.filter(|v| v.is_finite()) {
        attrs.push(KeyValue::new(sc::GEN_AI_EVALUATION_SCORE_VALUE, v));
    }
    if let Some(l) = e.score_label {
        attrs.push(KeyValue::new(
            sc::GEN_AI_EVALUATION_SCORE_LABEL,
            scrubbed(l),
        ));
    }
    if let Some(x) = e.explanation {
        attrs.push(KeyValue::new(
            sc::GEN_AI_EVALUATION_EXPLANATION,
            scrubbed(x),
        ));
    }
    if let Some(t) = e.error_type {
        attrs.push(KeyValue::new(sc::ERROR_TYPE, scrubbed(t)));
    }
    if let Some(id) = response_id {
        attrs.push(KeyValue::new(sc::GEN_AI_RESPONSE_ID, id.to_string()));
    }
    attrs
}

fn emit(
    logger: &SdkLogger,
    event: &'static str,
    severity: Severity,
    time: SystemTime,
    attributes: Vec<KeyValue>,
    span: Option<&SpanContext>,
) {
    let mut record = logger.create_log_record();
    record.set_event_name(event);
    record.set_timestamp(time);
    record.set_severity_number(severity);
    record.set_severity_text(severity.name());
    if let Some(cx) = span.filter(|cx| cx.is_valid()) {
        record.set_trace_context(cx.trace_id(), cx.span_id(), Some(cx.trace_flags()));
    }
    record.add_attributes(
        attributes
            .into_iter()
            .map(|kv| (kv.key, any_value(kv.value))),
    );
    logger.emit(record);
}

/// An attribute value as a log record value (same type: ints stay ints, arrays lists).
fn any_value(value: Value) -> AnyValue {
    fn list<T: Into<AnyValue>>(items: Vec<T>) -> AnyValue {
        AnyValue::ListAny(Box::new(items.into_iter().map(Into::into).collect()))
    }
    match value {
        Value::Bool(b) => AnyValue::Boolean(b),
        Value::I64(i) => AnyValue::Int(i),
        Value::F64(f) => AnyValue::Double(f),
        Value::String(s) => AnyValue::String(s),
        Value::Array(Array::Bool(v)) => list(v),
        Value::Array(Array::I64(v)) => list(v),
        Value::Array(Array::F64(v)) => list(v),
        Value::Array(Array::String(v)) => list(v),
        other => AnyValue::String(other.to_string().into()),
    }
}
