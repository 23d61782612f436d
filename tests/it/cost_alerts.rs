//! Cost alerts: a call or a rolled-up agent/workflow run above a threshold raises one
//! `tracing_genai.cost.threshold_exceeded` event and one callback, with the span's ids, cost
//! and threshold; below it nothing; a panicking callback changes nothing else.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::support::*;
use opentelemetry_sdk::trace::SpanData;
use tracing::Dispatch;
use tracing_genai::cost::{CostExceeded, CostThreshold, ModelPrice, PriceTable};
use tracing_genai::{GenAiSpan, GenAiSpanExt, Operation};
use tracing_subscriber::layer::SubscriberExt;

const EVENT: &str = "tracing_genai.cost.threshold_exceeded";

fn prices() -> PriceTable {
    PriceTable::new("EUR").with_model("gpt-4o*", ModelPrice::new(2.5, 10.0))
}

/// A chat call costing `(input * 2.5 + output * 10) / 1e6` EUR.
fn chat(model: &str, input: u64, output: u64) {
    let span = tracing_genai::genai_span!("chat", "openai", model);
    let _e = span.enter();
    span.record_token_usage(input, output);
}

/// 1,000 input + 2,000 output tokens of gpt-4o: 0.0225 EUR.
const CHAT_COST: f64 = (1_000.0 * 2.5 + 2_000.0 * 10.0) / 1e6;

/// One captured `tracing` event: name, target, level, whether it is a root event, fields.
#[derive(Clone, Debug)]
struct Captured {
    name: String,
    target: String,
    level: tracing::Level,
    root: bool,
    fields: HashMap<String, String>,
}

/// Captures every event of the `tracing_genai` targets.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<Captured>>>);

impl Events {
    fn alerts(&self) -> Vec<Captured> {
        let all = self.0.lock().unwrap();
        all.iter().filter(|e| e.name == EVENT).cloned().collect()
    }
    /// WARN events of target `tracing_genai` (the layer's own problem reports).
    fn reports(&self) -> Vec<Captured> {
        let all = self.0.lock().unwrap();
        all.iter()
            .filter(|e| e.target == "tracing_genai" && e.level == tracing::Level::WARN)
            .cloned()
            .collect()
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Events {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let m = event.metadata();
        if !m.target().starts_with("tracing_genai") {
            return;
        }
        struct V(HashMap<String, String>);
        impl tracing::field::Visit for V {
            fn record_str(&mut self, f: &tracing::field::Field, v: &str) {
                self.0.insert(f.name().to_string(), v.to_string());
            }
            fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                self.0.insert(f.name().to_string(), format!("{v:?}"));
            }
        }
        let mut v = V(HashMap::new());
        event.record(&mut v);
        self.0.lock().unwrap().push(Captured {
            name: m.name().to_string(),
            target: m.target().to_string(),
            level: *m.level(),
            root: event.is_root(),
            fields: v.0,
        });
    }
}

/// The callback's alerts.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<CostExceeded>>>);

impl Seen {
    fn callback(&self) -> impl Fn(&CostExceeded, &GenAiSpan) + Send + Sync + 'static {
        let seen = Arc::clone(&self.0);
        move |alert: &CostExceeded, _: &GenAiSpan| seen.lock().unwrap().push(alert.clone())
    }
    fn get(&self) -> Vec<CostExceeded> {
        self.0.lock().unwrap().clone()
    }
}

/// A harness with the price table, `configure`d alerts and an event capture layer.
fn harness(
    configure: impl FnOnce(TestLayer) -> TestLayer,
    events: &Events,
) -> crate::support::Harness {
    let events = events.clone();
    Harness::builder()
        .prices(prices())
        .configure(configure)
        .build_with(move |layer| {
            Dispatch::new(tracing_subscriber::registry().with(layer).with(events))
        })
}

#[test]
fn call_above_threshold_raises_exactly_one_alert_with_ids_cost_and_threshold() {
    let (events, seen) = (Events::default(), Seen::default());
    let cb = seen.callback();
    let h = harness(
        |l| l.with_cost_alert(CostThreshold::per_call(0.01), cb),
        &events,
    );
    let diagnostics = h.diagnostics();
    h.run(|| chat("gpt-4o", 1_000, 2_000));
    let span = h.span("chat gpt-4o");
    assert!(close(cost_of(&span), CHAT_COST));

    let alerts = seen.get();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert_eq!(a.trace_id, span.span_context.trace_id());
    assert_eq!(a.span_id, span.span_context.span_id());
    assert_eq!(a.span_name, "chat gpt-4o");
    assert_eq!(a.operation, Some(Operation::Chat));
    assert_eq!(a.provider.as_deref(), Some("openai"));
    assert_eq!(a.model.as_deref(), Some("gpt-4o"));
    assert!(close(a.cost, CHAT_COST), "{}", a.cost);
    assert_eq!(a.threshold, 0.01);
    assert_eq!(a.currency, "EUR");
    assert!(!a.rolled_up);

    let logged = events.alerts();
    assert_eq!(logged.len(), 1, "{logged:?}");
    let e = &logged[0];
    assert_eq!(e.target, "tracing_genai::cost");
    assert_eq!(e.level, tracing::Level::WARN);
    assert!(e.root, "a root event: it changes no span");
    assert_eq!(
        e.fields["trace_id"],
        span.span_context.trace_id().to_string()
    );
    assert_eq!(e.fields["span_id"], span.span_context.span_id().to_string());
    assert_eq!(e.fields["span_name"], "chat gpt-4o");
    assert_eq!(e.fields["gen_ai.operation.name"], "chat");
    assert_eq!(e.fields["gen_ai.provider.name"], "openai");
    assert_eq!(e.fields["model"], "gpt-4o");
    assert_eq!(
        e.fields["gen_ai.usage.cost"].parse::<f64>().unwrap(),
        a.cost
    );
    assert_eq!(e.fields["threshold"], "0.01");
    assert_eq!(e.fields["currency"], "EUR");
    assert_eq!(e.fields["rolled_up"], "false");
    assert!(!e.fields.contains_key("gen_ai.agent.name"));

    assert!(span.events.iter().all(|ev| ev.name != EVENT));
    let snap = diagnostics.snapshot();
    assert_eq!((snap.cost_alerts, snap.cost_alert_panics), (1, 0));
}

#[test]
fn below_or_at_threshold_or_unpriced_raises_none() {
    let (events, seen) = (Events::default(), Seen::default());
    let cb = seen.callback();
    let h = harness(|l| l.with_cost_alert(CHAT_COST, cb), &events);
    let diagnostics = h.diagnostics();
    h.run(|| {
        chat("gpt-4o", 10, 20); // far below
        chat("gpt-4o", 1_000, 2_000); // exactly at the threshold: not above
        chat("mystery-model", 1_000_000, 1_000_000); // no price, no cost, no alert
        let agent = tracing_genai::agent_span!("cheap");
        let _a = agent.enter();
        chat("gpt-4o", 10, 20);
    });
    assert_eq!(h.spans().len(), 5);
    assert!(seen.get().is_empty(), "{:?}", seen.get());
    assert!(events.alerts().is_empty(), "{:?}", events.alerts());
    assert_eq!(diagnostics.snapshot().cost_alerts, 0);
}

#[test]
fn agent_run_above_run_threshold_raises_one_rolled_up_alert() {
    let (events, seen) = (Events::default(), Seen::default());
    let cb = seen.callback();
    // Each call is below the call threshold; the run's three calls together are above the run
    // threshold.
    let threshold = CostThreshold::per_call(CHAT_COST).with_per_run(2.5 * CHAT_COST);
    let h = harness(|l| l.with_cost_alert(threshold, cb), &events);
    h.run(|| {
        let agent = tracing_genai::agent_span!("planner");
        let _a = agent.enter();
        for _ in 0..3 {
            chat("gpt-4o-mini", 1_000, 2_000);
        }
    });
    let agent = h.span("invoke_agent planner");
    assert!(close(cost_of(&agent), 3.0 * CHAT_COST));

    let alerts = seen.get();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert!(a.rolled_up);
    assert_eq!(a.operation, Some(Operation::InvokeAgent));
    assert_eq!(a.agent_name.as_deref(), Some("planner"));
    assert_eq!(a.span_name, "invoke_agent planner");
    assert_eq!(a.trace_id, agent.span_context.trace_id());
    assert_eq!(a.span_id, agent.span_context.span_id());
    assert!(close(a.cost, 3.0 * CHAT_COST));
    assert_eq!(a.threshold, 2.5 * CHAT_COST);

    let logged = events.alerts();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0].fields["rolled_up"], "true");
    assert_eq!(logged[0].fields["gen_ai.agent.name"], "planner");
    assert_eq!(
        logged[0].fields["span_id"],
        agent.span_context.span_id().to_string()
    );
    assert!(agent.events.iter().all(|ev| ev.name != EVENT));
}

#[test]
fn call_and_run_thresholds_apply_separately_and_nested_runs_each_count() {
    let (events, seen) = (Events::default(), Seen::default());
    let cb = seen.callback();
    let calls_only = Seen::default();
    let cb_calls = calls_only.callback();
    let h = harness(
        |l| {
            l.with_cost_alert(CostThreshold::per_run(1.5 * CHAT_COST), cb)
                .with_cost_alert(CostThreshold::per_call(0.0), cb_calls)
        },
        &events,
    );
    h.run(|| {
        let wf = tracing::info_span!(
            "wf",
            gen_ai.operation.name = "invoke_workflow",
            gen_ai.workflow.name = "trip"
        );
        let _w = wf.enter();
        let agent = tracing_genai::agent_span!("planner");
        let _a = agent.enter();
        chat("gpt-4o", 1_000, 2_000);
        chat("gpt-4o", 1_000, 2_000);
    });
    // Run alert: the agent and the workflow (both 2 calls); call alert: each call.
    let mut runs: Vec<_> = seen.get().into_iter().map(|a| a.span_name).collect();
    runs.sort();
    assert_eq!(runs, ["invoke_agent planner", "invoke_workflow trip"]);
    assert!(seen.get().iter().all(|a| a.rolled_up));
    let calls = calls_only.get();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|a| !a.rolled_up && a.threshold == 0.0));
    assert_eq!(events.alerts().len(), 4);
}

#[test]
fn alerts_do_not_change_exported_spans() {
    fn run(h: &crate::support::Harness) -> Vec<SpanData> {
        h.run(|| {
            let agent = tracing_genai::agent_span!("planner");
            let _a = agent.enter();
            chat("gpt-4o", 1_000, 2_000);
        });
        let mut spans = h.spans();
        spans.sort_by(|a, b| a.name.cmp(&b.name));
        spans
    }
    let events = Events::default();
    let plain = run(&harness(|l| l, &events));
    let alerted = run(&harness(|l| l.with_cost_alert(0.0, ()), &events));
    assert_eq!(events.alerts().len(), 2);
    assert_eq!(plain.len(), alerted.len());
    for (a, b) in plain.iter().zip(&alerted) {
        assert_eq!(a.name, b.name);
        assert_eq!(comparable(a), comparable(b));
        assert_eq!(a.events.len(), b.events.len());
        assert_eq!(a.status, b.status);
    }
}

#[test]
fn panicking_callback_changes_nothing_else_and_is_reported_once() {
    let events = Events::default();
    let other = Seen::default();
    let cb = other.callback();
    let h = harness(
        |l| {
            l.with_cost_alert(0.01, |_: &CostExceeded, _: &GenAiSpan| {
                panic!("alert bug");
            })
            .with_cost_alert(0.01, cb)
        },
        &events,
    );
    let diagnostics = h.diagnostics();
    let result = h.run(|| {
        for _ in 0..3 {
            chat("gpt-4o", 1_000, 2_000);
        }
        "app continued"
    });
    assert_eq!(result, "app continued");
    let spans = h.spans();
    assert_eq!(spans.len(), 3);
    for s in &spans {
        assert_eq!(s.name, "chat gpt-4o");
        assert!(close(cost_of(s), CHAT_COST));
        assert_eq!(str_attr(s, "gen_ai.request.model"), "gpt-4o");
        assert!(diagnostics_of(s).is_empty(), "{:?}", diagnostics_of(s));
    }
    // Both alerts emitted their events; the other callback ran every time.
    assert_eq!(events.alerts().len(), 6);
    assert_eq!(other.get().len(), 3);
    let snap = diagnostics.snapshot();
    assert_eq!((snap.cost_alerts, snap.cost_alert_panics), (6, 3));
    assert_eq!(snap.mapper_panics, 0);
    let reports = events.reports();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0].fields["panic"].contains("alert bug"),
        "{reports:?}"
    );
}

/// The attributes as `(key, value)` strings, without the timings.
fn comparable(span: &SpanData) -> Vec<(String, String)> {
    span.attributes
        .iter()
        .filter(|kv| !kv.key.as_str().ends_with("_ns"))
        .map(|kv| (kv.key.to_string(), kv.value.to_string()))
        .collect()
}

fn diagnostics_of(span: &SpanData) -> Vec<String> {
    crate::support::diagnostics(span)
}

#[test]
fn threshold_builders() {
    let t = CostThreshold::new(1.0);
    assert_eq!((t.call, t.run), (Some(1.0), Some(1.0)));
    let t = CostThreshold::per_call(f64::NAN).with_per_run(-1.0);
    assert_eq!((t.call, t.run), (None, None));
    assert_eq!(CostThreshold::per_run(2.0).for_span(false), None);
    assert_eq!(CostThreshold::from(0.5), CostThreshold::new(0.5));
}

/// Through opentelemetry-appender-tracing the alert is a log record with the event name,
/// WARN, and the trace and span ids of the span that cost too much (not of its parent).
#[cfg(feature = "setup")]
#[test]
fn bridged_alert_is_a_log_record_in_the_spans_trace_context() {
    use opentelemetry::logs::Severity;
    use opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge;
    use opentelemetry_sdk::logs::{InMemoryLogExporter, SdkLoggerProvider};

    let logs = InMemoryLogExporter::default();
    let provider = SdkLoggerProvider::builder()
        .with_simple_exporter(logs.clone())
        .build();
    let bridge = OpenTelemetryTracingBridge::new(&provider);
    let h = Harness::builder()
        .prices(prices())
        .configure(|l| l.with_cost_alert(0.01, ()))
        .build_with(move |layer| {
            Dispatch::new(tracing_subscriber::registry().with(layer).with(bridge))
        });
    h.run(|| {
        let agent = tracing_genai::agent_span!("planner");
        let _a = agent.enter();
        chat("gpt-4o", 1_000, 2_000);
    });
    let chat = h.span("chat gpt-4o");
    let records = logs.get_emitted_logs().unwrap();
    let alerts: Vec<_> = records
        .iter()
        .filter(|r| r.record.event_name() == Some(EVENT))
        .collect();
    // The call (0.0225) and the agent run (the same total) are both above 0.01.
    assert_eq!(alerts.len(), 2, "{records:?}");
    let call = alerts
        .iter()
        .find(|r| {
            r.record
                .attributes_iter()
                .any(|(k, v)| k.as_str() == "span_name" && format!("{v:?}").contains("chat gpt-4o"))
        })
        .expect("the call's alert");
    assert_eq!(call.record.severity_number(), Some(Severity::Warn));
    assert_eq!(
        call.record.target().map(|t| t.to_string()).as_deref(),
        Some("tracing_genai::cost")
    );
    let cx = call.record.trace_context().expect("trace context");
    assert_eq!(
        (cx.trace_id, cx.span_id),
        (chat.span_context.trace_id(), chat.span_context.span_id())
    );
}
