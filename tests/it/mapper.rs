//! Attribute mappers: add/rename/drop, ordering, access to span state, panic isolation.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::support::*;
use opentelemetry::Value;
use tracing::Dispatch;
use tracing_genai::{
    GenAiSpan,
    mapper::{AttributeMapper, Attributes, DropAttributes, RenameAttributes},
};
use tracing_subscriber::layer::SubscriberExt;

fn llm_span() {
    let _s = tracing::info_span!(
        "llm",
        gen_ai.operation.name = "chat",
        gen_ai.request.model = "gpt-4o",
        gen_ai.usage.input_tokens = 12_u64,
        tenant_id = 7_u64,
        feature = "search",
        user_email = "a@example.com"
    )
    .entered();
}

#[test]
fn add_rename_drop() {
    let r = Harness::builder()
        .mapper(|span: &GenAiSpan, attrs: &mut Attributes<'_>| {
            if let Some(t) = span.field("tenant_id") {
                attrs.insert("app.tenant.id", t.to_string());
            }
            attrs.rename("feature", "app.feature");
            attrs.remove("user_email");
        })
        .build()
        .collect(llm_span);
    let s = r.only();
    assert_eq!(str_attr(s, "app.tenant.id"), "7");
    assert_eq!(str_attr(s, "app.feature"), "search");
    assert!(!has(s, "feature"));
    assert!(!has(s, "user_email"));
    assert_eq!(i64_attr(s, "tenant_id"), 7);
    assert_unique_keys(s);
}

#[test]
fn mappers_run_in_order() {
    let r = Harness::builder()
        .mapper(|_: &GenAiSpan, a: &mut Attributes<'_>| {
            a.insert("step", "first");
            a.insert("trail", "1");
        })
        .mapper(|_: &GenAiSpan, a: &mut Attributes<'_>| {
            let prev = a.get("trail").unwrap().as_str().into_owned();
            a.insert("step", "second");
            a.insert("trail", format!("{prev},2"));
        })
        .build()
        .collect(llm_span);
    let s = r.only();
    assert_eq!(str_attr(s, "step"), "second");
    assert_eq!(str_attr(s, "trail"), "1,2");
    assert_eq!(count(s, "step"), 1);
}

#[test]
fn mapper_sees_typed_state() {
    let seen = Arc::new(Mutex::new(None));
    let seen2 = Arc::clone(&seen);
    let r = Harness::builder()
        .mapper(move |span: &GenAiSpan, a: &mut Attributes<'_>| {
            *seen2.lock().unwrap() = Some((
                span.operation.as_ref().map(|o| o.as_str().to_string()),
                span.request.model.clone(),
                span.usage.input_tokens,
                span.field("tenant_id").and_then(|v| v.as_i64()),
                span.span_name(),
            ));
            // Derived attribute from typed state.
            if let Some(n) = span.usage.input_tokens {
                a.insert("app.cost_units", (n * 2) as i64);
            }
        })
        .build()
        .collect(llm_span);
    let got = seen.lock().unwrap().clone().unwrap();
    assert_eq!(
        got,
        (
            Some("chat".to_string()),
            Some("gpt-4o".into()),
            Some(12),
            Some(7),
            "llm"
        )
    );
    assert_eq!(i64_attr(r.only(), "app.cost_units"), 24);
}

#[test]
fn mapper_does_not_run_for_plain_spans() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let r = Harness::builder()
        .mapper(move |_: &GenAiSpan, _: &mut Attributes<'_>| {
            c.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .collect(|| {
            let _h = tracing::info_span!("http", route = "/").entered();
            llm_span();
        });
    assert_eq!(r.spans.len(), 2);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn rename_and_drop_attributes_mappers() {
    let r = Harness::builder()
        .mapper(RenameAttributes::new([
            ("feature", "app.feature"),
            ("gen_ai.request.model", "llm.model"),
        ]))
        .mapper(DropAttributes::new(["user_*", "tenant_id"]))
        // Mappers that own a sampling-relevant key: the key is written at close only.
        .configure(|l| l.with_sampling_attributes(false))
        .build()
        .collect(llm_span);
    let s = r.only();
    assert_eq!(str_attr(s, "app.feature"), "search");
    assert_eq!(str_attr(s, "llm.model"), "gpt-4o");
    assert!(!has(s, "gen_ai.request.model"));
    assert!(!has(s, "user_email"));
    assert!(!has(s, "tenant_id"));
    assert_eq!(i64_attr(s, "gen_ai.usage.input_tokens"), 12);
}

#[test]
fn mapper_can_retype_and_insert_keys_once() {
    let r = Harness::builder()
        .mapper(|_: &GenAiSpan, a: &mut Attributes<'_>| {
            a.insert("gen_ai.request.model", "overridden");
            a.insert("gen_ai.request.model", "overridden-again");
            a.insert("gen_ai.usage.input_tokens", "retyped");
        })
        .configure(|l| l.with_sampling_attributes(false))
        .build()
        .collect(llm_span);
    let s = r.only();
    assert_eq!(count(s, "gen_ai.request.model"), 1);
    assert_eq!(str_attr(s, "gen_ai.request.model"), "overridden-again");
    assert_eq!(count(s, "gen_ai.usage.input_tokens"), 1);
}

/// `llm_span` through `mapper`: the keys given at start (model, operation) are each still there
/// once, the model with its value given; `check` sees the span and its diagnostics.
fn the_given_keys_stay(
    mapper: impl AttributeMapper,
    check: impl FnOnce(&opentelemetry_sdk::trace::SpanData, &str),
) {
    let r = Harness::builder().mapper(mapper).build().collect(llm_span);
    let s = r.only();
    for key in ["gen_ai.request.model", "gen_ai.operation.name"] {
        assert_eq!(count(s, key), 1, "{key}");
    }
    assert_eq!(str_attr(s, "gen_ai.request.model"), "gpt-4o");
    check(s, &format!("{:?}", s.attributes));
}

#[test]
fn mappers_cannot_change_what_the_sampler_saw() {
    // By default the model declared at creation is given to OpenTelemetry at span start: a
    // mapper's rename or override of it cannot take it back, and says so; other keys are
    // the mapper's, each once.
    let mapper = |_: &GenAiSpan, a: &mut Attributes<'_>| {
        a.insert("gen_ai.request.model", "overridden");
        a.remove("gen_ai.operation.name");
        a.insert("gen_ai.usage.input_tokens", "retyped");
    };
    the_given_keys_stay(mapper, |s, diagnostics| {
        assert_eq!(count(s, "gen_ai.usage.input_tokens"), 1);
        assert_eq!(str_attr(s, "gen_ai.usage.input_tokens"), "retyped");
        for key in ["gen_ai.request.model", "gen_ai.operation.name"] {
            let note = format!("{key} was given at span start");
            assert!(diagnostics.contains(&note), "{diagnostics}");
        }
    });
}

#[test]
fn a_mapper_that_replaces_the_whole_set_cannot_drop_what_the_sampler_saw() {
    // A mapper may swap in a set of its own: the keys given at start stay (the span has them)
    // and each one missing from the new set is named; what the new set holds is exported.
    let mapper = |_: &GenAiSpan, a: &mut Attributes<'_>| {
        let mut own = Attributes::new();
        own.insert("app.only", true);
        own.insert("gen_ai.request.model", "gpt-4o");
        *a = own;
    };
    the_given_keys_stay(mapper, |s, diagnostics| {
        assert_eq!(count(s, "app.only"), 1);
        let replaced = count(s, "gen_ai.usage.input_tokens");
        assert_eq!(replaced, 0, "the mapper's set replaced it");
        let removed = "gen_ai.operation.name was given at span start (what the sampler saw); \
                       a mapper cannot remove it";
        assert!(diagnostics.contains(removed), "{diagnostics}");
        let unchanged = !diagnostics.contains("gen_ai.request.model was given");
        assert!(
            unchanged,
            "the same value put back is no change: {diagnostics}"
        );
    });
}

#[test]
fn mappers_see_the_keys_given_at_start_with_the_values_given() {
    // The keys given at start are on the span already; a mapper still sees them (with the
    // value the sampler saw, also after a later recording of another value), and leaving them
    // alone notes nothing.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = Arc::clone(&seen);
    let r = Harness::builder()
        .mapper(move |_: &GenAiSpan, a: &mut Attributes<'_>| {
            for key in [
                "gen_ai.operation.name",
                "gen_ai.request.model",
                "server.port",
            ] {
                let v = a.get(key).map(|v| v.as_str().into_owned());
                seen2
                    .lock()
                    .unwrap()
                    .push(format!("{key}={}", v.unwrap_or_default()));
            }
            a.insert(
                "app.copied_model",
                a.get("gen_ai.request.model").cloned().unwrap(),
            );
        })
        .build()
        .collect(|| {
            let span = tracing::info_span!(
                "llm",
                gen_ai.operation.name = "chat",
                gen_ai.request.model = "gpt-4o",
                server.port = 443_u64,
                gen_ai.usage.input_tokens = 12_u64
            );
            span.record("gen_ai.request.model", "later");
            let _g = span.enter();
        });
    let s = r.only();
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "gen_ai.operation.name=chat",
            "gen_ai.request.model=gpt-4o",
            "server.port=443",
        ]
    );
    assert_eq!(str_attr(s, "app.copied_model"), "gpt-4o");
    for key in [
        "gen_ai.operation.name",
        "gen_ai.request.model",
        "server.port",
    ] {
        assert_eq!(count(s, key), 1, "{key}");
    }
    assert_eq!(str_attr(s, "gen_ai.request.model"), "gpt-4o");
    let diagnostics = format!("{:?}", s.attributes);
    // The later value is named once (by the recording, not again by the mapper).
    assert_eq!(
        diagnostics.matches("was given at span start").count(),
        1,
        "{diagnostics}"
    );
    assert!(
        diagnostics.contains("its later value later is not"),
        "{diagnostics}"
    );
}

struct Panicky;
impl AttributeMapper for Panicky {
    fn map(&self, _: &GenAiSpan, attrs: &mut Attributes<'_>) {
        // Every kind of change before the panic: all of them must be undone.
        attrs.insert("panicky.partial", true);
        attrs.remove("gen_ai.request.model");
        attrs.insert("feature", "overwritten");
        attrs.rename("tenant_id", "app.tenant");
        attrs.retain(|k, _| !k.starts_with("user_"));
        attrs.insert("panicky.partial", false);
        panic!("mapper bug");
    }
    fn name(&self) -> &str {
        "panicky"
    }
}

/// Counts WARN events of target `tracing_genai`.
#[derive(Clone, Default)]
struct WarnCounter(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for WarnCounter {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let m = event.metadata();
        if *m.level() == tracing::Level::WARN && m.target() == "tracing_genai" {
            struct V(String);
            impl tracing::field::Visit for V {
                fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                    use std::fmt::Write;
                    let _ = write!(self.0, "{}={:?} ", f.name(), v);
                }
            }
            let mut v = V(String::new());
            event.record(&mut v);
            self.0.lock().unwrap().push(v.0);
        }
    }
}

#[test]
fn panicking_mapper_is_isolated_counted_and_reported_once() {
    let warns = WarnCounter::default();
    let h = Harness::builder()
        .mapper(|_: &GenAiSpan, a: &mut Attributes<'_>| {
            a.insert("before", "ok");
        })
        .mapper(Panicky)
        .mapper(|_: &GenAiSpan, a: &mut Attributes<'_>| {
            a.insert("after", "ok");
        })
        .build_with(|layer| {
            Dispatch::new(
                tracing_subscriber::registry()
                    .with(layer)
                    .with(warns.clone()),
            )
        });
    let diagnostics = h.diagnostics();
    let result = h.run(|| {
        for _ in 0..3 {
            llm_span();
        }
        "app continued"
    });
    assert_eq!(result, "app continued");
    let spans = h.spans();
    assert_eq!(spans.len(), 3);
    for s in &spans {
        assert_eq!(s.name, "chat gpt-4o");
        // Other mappers' changes are kept, the panicking mapper's changes are not.
        assert_eq!(str_attr(s, "before"), "ok");
        assert_eq!(str_attr(s, "after"), "ok");
        assert!(!has(s, "panicky.partial"));
        assert_eq!(str_attr(s, "gen_ai.request.model"), "gpt-4o");
    }
    assert_eq!(diagnostics.snapshot().mapper_panics, 3);
    assert_eq!(diagnostics.snapshot().genai_spans, 3);
    let warns = warns.0.lock().unwrap();
    assert_eq!(warns.len(), 1, "{warns:?}");
    assert!(warns[0].contains("panicky"), "{warns:?}");
    assert!(warns[0].contains("mapper bug"), "{warns:?}");
}

#[test]
fn two_panicking_mappers_each_reported_once() {
    let warns = WarnCounter::default();
    let h = Harness::builder()
        .mapper(Panicky)
        .mapper(|_: &GenAiSpan, _: &mut Attributes<'_>| {
            std::panic::panic_any(42_u32);
        })
        .build_with(|layer| {
            Dispatch::new(
                tracing_subscriber::registry()
                    .with(layer)
                    .with(warns.clone()),
            )
        });
    let diagnostics = h.diagnostics();
    h.run(|| {
        llm_span();
        llm_span();
    });
    assert_eq!(h.spans().len(), 2);
    assert_eq!(diagnostics.snapshot().mapper_panics, 4);
    let warns = warns.0.lock().unwrap();
    assert_eq!(warns.len(), 2, "{warns:?}");
    assert!(warns.iter().any(|w| w.contains("non-string panic payload")));
}

#[test]
fn attributes_api() {
    let mut a = Attributes::new();
    a.insert("x", 1_i64);
    a.insert("y", "s");
    assert_eq!(a.insert("x", 2_i64), Some(Value::I64(1)));
    assert_eq!(a.len(), 2);
    assert!(a.rename("x", "y"));
    assert_eq!(a.len(), 1);
    assert_eq!(a.get("y"), Some(&Value::I64(2)));
    assert!(!a.rename("missing", "z"));
    a.retain(|_, _| false);
    assert!(a.is_empty());
}

#[test]
fn a_panicking_mapper_leaves_the_attributes_exactly_as_they_were() {
    let attributes = |panicky: bool| {
        let mut b = Harness::builder().mapper(|_: &GenAiSpan, a: &mut Attributes<'_>| {
            a.insert("before", "ok");
        });
        if panicky {
            b = b.mapper(Panicky);
        }
        let r = b.build().collect(llm_span);
        let timing = |k: &str| matches!(k, "busy_ns" | "idle_ns") || k.starts_with("thread.");
        r.only()
            .attributes
            .iter()
            .filter(|kv| !timing(kv.key.as_str()))
            .map(|kv| format!("{}={:?}", kv.key, kv.value))
            .collect::<Vec<_>>()
    };
    // Same keys, same values, same order: every change was undone.
    assert_eq!(attributes(true), attributes(false));
}
