//! The GenAI layer: recognises LLM spans, owns their attributes and writes them, typed and once,
//! on the OpenTelemetry span that the wrapped tracing-opentelemetry layer creates.
//!
//! # Why it wraps the OpenTelemetry layer
//!
//! tracing-opentelemetry copies every span field to an attribute as it is recorded (`u64` as a
//! string, never de-duplicated), and offers no way to hide a field. So the GenAI layer sits
//! *around* it: for LLM spans it forwards no field values, only the span itself (for parentage
//! and context) and the span kind; it keeps the fields in its own typed state and, when the
//! span closes, writes the final attributes through
//! [`get_otel_context`](tracing_opentelemetry::get_otel_context) before the inner layer ends
//! the span. Every other span and event goes to the inner layer untouched.
//!
//! A GenAI span whose state was recorded outside its own scope (a streamed response, a response
//! body, a typed helper called after the call returned) is exported as ending when it closes,
//! like its duration metric: tracing-opentelemetry alone would end it at its last *exit*, which
//! is too early for such a span. Spans recorded only in scope keep the last-exit end time.

use std::any::TypeId;
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use opentelemetry::trace::TraceContextExt;
use tracing_core::dispatcher::WeakDispatch;
use tracing_core::span::{Attributes as SpanAttributes, Id, Record};
use tracing_core::subscriber::Interest;
use tracing_core::{Dispatch, Event, Level, LevelFilter, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::content::ContentConfig;
use crate::export::diagnostics::Diagnostics;
use crate::export::{Exporter, attributes};
use crate::record::error_event::ErrorEventVisitor;
use crate::record::{Kept, Recorder, SpanRecord};

mod builder;
mod forward;
mod tracer;

pub use builder::layer;
pub use tracer::GenAiTracer;

/// Everything configurable on the layer, independent of the wrapped layer's type: one part
/// per stage of the data path.
#[derive(Clone, Debug, Default)]
pub(crate) struct LayerConfig {
    pub(crate) record: Recorder,
    pub(crate) export: Exporter,
    pub(crate) content: ContentConfig,
}

/// A [`Layer`] that turns LLM spans into OpenTelemetry spans with the GenAI semantic
/// conventions. It wraps the tracing-opentelemetry layer `L`: for LLM spans it forwards the span
/// without field values and writes the typed attributes itself when the span closes.
///
/// Build it with [`layer()`](crate::layer) and configure it with the `with_*` methods.
///
/// Spans opened by the export pipeline itself are not forwarded to OpenTelemetry: those opened
/// while a span is being ended on the same thread (a simple span processor exports right
/// there, holding its exporter lock, so such a span would deadlock it when it ends) and those
/// opened in a telemetry-suppressed OpenTelemetry context (the batch processor's thread).
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
/// use opentelemetry::trace::TracerProvider as _;
///
/// let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
/// let subscriber = tracing_subscriber::registry()
///     .with(tracing_genai::layer().with_tracer(provider.tracer("app")));
/// tracing::subscriber::with_default(subscriber, || {
///     let span = tracing::info_span!("llm", gen_ai.operation.name = "chat", gen_ai.request.model = "gpt-4o");
///     let _guard = span.enter();
/// });
/// ```
pub struct GenAiLayer<L> {
    pub(crate) otel: L,
    pub(crate) config: LayerConfig,
    pub(crate) diagnostics: Arc<Diagnostics>,
    dispatch: OnceLock<WeakDispatch>,
    with_state: Option<WithState>,
    /// GenAI spans currently open (state inserted, not yet closed). While it is zero no span
    /// can be a GenAI span, so `record`, `event` and `close` of other spans skip the registry
    /// lookup entirely and cost the inner layer's work only.
    live: AtomicUsize,
    /// The wrapped layer's tracer is a [`GenAiTracer`] (given through `with_tracer`): start
    /// facts go to it typed.
    pub(crate) typed_start: bool,
}

impl<L> std::fmt::Debug for GenAiLayer<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenAiLayer")
            .field("config", &self.config)
            .field("diagnostics", &self.diagnostics.snapshot())
            .finish_non_exhaustive()
    }
}

impl<L> GenAiLayer<L> {
    pub(crate) fn from_parts(otel: L, config: LayerConfig, diagnostics: Arc<Diagnostics>) -> Self {
        GenAiLayer {
            otel,
            config,
            diagnostics,
            dispatch: OnceLock::new(),
            with_state: None,
            live: AtomicUsize::new(0),
            typed_start: false,
        }
    }

    /// Whether spans of this callsite are GenAI spans (see [`Recorder::is_genai`]).
    #[inline]
    fn is_genai(&self, meta: &Metadata<'_>) -> bool {
        self.config.record.is_genai(meta)
    }

    /// Whether a GenAI span may be open. `false` proves that span `id` (open, since the caller
    /// got it from `tracing`) is not a GenAI span: its own creation counted it, and its close
    /// has not yet run.
    #[inline]
    fn any_live(&self) -> bool {
        self.live.load(Ordering::Relaxed) != 0
    }

    fn dispatch(&self) -> Option<Dispatch> {
        self.dispatch
            .get()
            .and_then(WeakDispatch::upgrade)
            .or_else(|| Some(tracing_core::dispatcher::get_default(Dispatch::clone)))
    }
}

/// Lets the typed recording helpers of [`GenAiSpanExt`](crate::GenAiSpanExt) reach the record
/// of a span through the dispatcher, without the span having declared the fields.
#[derive(Clone, Copy)]
pub(crate) struct WithState {
    #[allow(clippy::type_complexity)]
    f: fn(&Dispatch, &Id, &mut dyn FnMut(&mut SpanRecord)),
}

impl WithState {
    fn new<S>() -> Self
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        WithState {
            f: |dispatch, id, f| {
                let Some(subscriber) = dispatch.downcast_ref::<S>() else {
                    return;
                };
                let Some(span) = subscriber.span(id) else {
                    return;
                };
                let mut ext = span.extensions_mut();
                if let Some(state) = ext.get_mut::<Kept>() {
                    f(state);
                }
            },
        }
    }

    /// Runs `f` on the record of span `id`, if it is a GenAI span.
    pub(crate) fn with(&self, dispatch: &Dispatch, id: &Id, f: &mut dyn FnMut(&mut SpanRecord)) {
        (self.f)(dispatch, id, f)
    }
}

thread_local! {
    /// Set while the inner layer closes a span on this thread. Ending an OpenTelemetry span
    /// may export it right there (simple span processor, which holds its exporter lock while
    /// exporting); a span that the export pipeline opened then and handed to OpenTelemetry
    /// would re-enter that lock when it ends and deadlock. Such spans are not forwarded, as
    /// the SDK suppresses its own telemetry on the batch processor's thread.
    static EXPORTING: Cell<bool> = const { Cell::new(false) };
}

/// Marks this thread as exporting until dropped (restores the previous state, also on panic).
struct ExportingGuard(bool);

impl ExportingGuard {
    fn enter() -> Self {
        ExportingGuard(EXPORTING.with(|e| e.replace(true)))
    }
}

impl Drop for ExportingGuard {
    fn drop(&mut self) {
        let previous = self.0;
        EXPORTING.with(|e| e.set(previous));
    }
}

impl<L> GenAiLayer<L> {
    /// Exports a closing GenAI span: its final name, attributes, events and status.
    fn finish(&self, id: &Id, state: &mut SpanRecord) {
        let cx = self
            .dispatch()
            .and_then(|d| tracing_opentelemetry::get_otel_context(id, &d));
        self.config.export.close(
            state,
            &self.config.content,
            &self.diagnostics,
            cx.as_ref().map(TraceContextExt::span),
        );
    }

    /// Makes the inner layer end the span now. tracing-opentelemetry takes a span's end time
    /// from its last *exit*, not from its close, so a GenAI span kept open outside `enter`
    /// (a response body, a stream, a recorder) would be exported as ending at its last poll.
    /// A GenAI call ends when its span closes (its duration metric is measured to the close
    /// too): a balanced enter/exit on the inner layer alone records that end time, and keeps
    /// its busy/idle timings and context stack consistent.
    fn mark_end_now<S>(&self, id: &Id, ctx: &Context<'_, S>)
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
        L: Layer<S>,
    {
        self.otel.on_enter(id, ctx.clone());
        self.otel.on_exit(id, ctx.clone());
    }

    fn capture_error_event<S>(&self, event: &Event<'_>, ctx: &Context<'_, S>)
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let Some(span) = ctx.event_span(event) else {
            return;
        };
        let mut ext = span.extensions_mut();
        let Some(state) = ext.get_mut::<Kept>() else {
            return;
        };
        let mut visitor = ErrorEventVisitor::default();
        event.record(&mut visitor);
        let message = visitor.message();
        state.record_error(visitor.error_type, message);
        state.note_error(|| ctx.current_span().id() != Some(&span.id()));
    }
}

impl<S, L> Layer<S> for GenAiLayer<L>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    L: Layer<S>,
{
    fn on_register_dispatch(&self, subscriber: &Dispatch) {
        let _ = self.dispatch.set(subscriber.downgrade());
        self.otel.on_register_dispatch(subscriber);
    }

    fn on_layer(&mut self, subscriber: &mut S) {
        self.with_state = Some(WithState::new::<S>());
        self.otel.on_layer(subscriber);
    }

    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        self.otel.register_callsite(metadata)
    }

    fn enabled(&self, metadata: &Metadata<'_>, ctx: Context<'_, S>) -> bool {
        self.otel.enabled(metadata, ctx)
    }

    fn event_enabled(&self, event: &Event<'_>, ctx: Context<'_, S>) -> bool {
        self.otel.event_enabled(event, ctx)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        self.otel.max_level_hint()
    }

    fn on_new_span(&self, attrs: &SpanAttributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if EXPORTING.with(Cell::get) || opentelemetry::Context::is_current_telemetry_suppressed() {
            // Opened by the export pipeline (a synchronous export, or the batch processor's
            // thread, which suppresses telemetry): not the app's telemetry, not forwarded.
            return;
        }
        let meta = attrs.metadata();
        let record = &self.config.record;
        if !self.is_genai(meta) {
            if record.inherits() {
                record.record_plain(id, &ctx, |v| attrs.record(v));
            }
            return self.otel.on_new_span(attrs, id, ctx);
        }
        let mut state = Kept::new(SpanRecord::new(meta.name(), meta.target()));
        record.start(
            &mut state,
            attrs,
            id,
            &ctx,
            &self.config.content,
            attributes::attribute_of,
        );
        self.config.export.start(&mut state, &self.config.content);
        // (Created failed: it starts now, so an `exception` event stamped now lies within it.)
        state.note_error(|| false);
        // The span goes to the inner layer with what a sampler decides on, and without its
        // own field values: the GenAI layer owns this span's attributes.
        self.forward_new_span(attrs, id, &state, ctx.clone());
        if let Some(span) = ctx.span(id) {
            // Counted before the span's id is handed back to the application, so any later
            // record/close of this span sees a non-zero count.
            self.live.fetch_add(1, Ordering::Relaxed);
            span.extensions_mut().insert(state);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        // `None`: not a GenAI span, forward. `Some(kind)`: captured; `kind` is set if it changed.
        let captured = if !self.any_live() {
            None
        } else {
            let Some(span) = ctx.span(id) else {
                return self.otel.on_record(id, values, ctx);
            };
            if self.is_genai(span.metadata()) {
                let mut ext = span.extensions_mut();
                ext.get_mut::<Kept>().map(|state| {
                    let before = state.kind();
                    self.config.record.record(state, values);
                    state.note_error(|| ctx.current_span().id() != Some(id));
                    let after = state.kind();
                    (after != before).then_some(after)
                })
            } else {
                None
            }
        };
        if captured.is_none() && self.config.record.inherits() {
            self.config
                .record
                .record_plain(id, &ctx, |v| values.record(v));
        }
        match captured {
            None => self.otel.on_record(id, values, ctx),
            Some(Some(kind)) => self.forward_kind(id, &kind, ctx),
            Some(None) => {}
        }
    }

    fn on_follows_from(&self, span: &Id, follows: &Id, ctx: Context<'_, S>) {
        self.otel.on_follows_from(span, follows, ctx)
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        // While a GenAI span is open: one span lookup and a metadata check (no extension lock)
        // per event; otherwise nothing.
        let in_genai_span = self.any_live()
            && ctx
                .event_span(event)
                .is_some_and(|span| self.is_genai(span.metadata()));
        if !in_genai_span {
            return self.otel.on_event(event, ctx);
        }
        if *event.metadata().level() == Level::ERROR {
            self.capture_error_event(event, &ctx);
        }
        // Events in LLM spans become span events: secrets are scrubbed from them too.
        self.config
            .content
            .forward_event(event, |e| self.otel.on_event(e, ctx))
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        self.otel.on_enter(id, ctx)
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        self.otel.on_exit(id, ctx)
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        // Only GenAI callsites carry state: other spans close without an extension lock, and
        // without a registry lookup while no GenAI span is open.
        if self.any_live()
            && let Some(span) = ctx.span(&id).filter(|span| self.is_genai(span.metadata()))
        {
            let state = span.extensions_mut().remove::<Kept>();
            if let Some(mut state) = state {
                self.live.fetch_sub(1, Ordering::Relaxed);
                self.config.export.account(&mut state, &span);
                drop(span);
                self.finish(&id, &mut state);
                if state.end_at_close {
                    self.mark_end_now(&id, &ctx);
                }
                state.recycle();
            }
        }
        let _exporting = ExportingGuard::enter();
        self.otel.on_close(id, ctx)
    }

    fn on_id_change(&self, old: &Id, new: &Id, ctx: Context<'_, S>) {
        self.otel.on_id_change(old, new, ctx)
    }

    #[doc(hidden)]
    #[allow(unsafe_code)]
    unsafe fn downcast_raw(&self, id: TypeId) -> Option<*const ()> {
        if id == TypeId::of::<Self>() {
            return Some(self as *const Self as *const ());
        }
        if id == TypeId::of::<WithState>() {
            return self
                .with_state
                .as_ref()
                .map(|w| w as *const WithState as *const ());
        }
        // SAFETY: forwarding to the inner layer, which upholds the contract for its own types.
        unsafe { self.otel.downcast_raw(id) }
    }
}
