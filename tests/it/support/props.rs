//! proptest strategies shared by the bad-input property tests: field values of every type
//! `tracing` can record, and recording them on a span by field name.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;

/// A value to record, of any type a `tracing` field can hold.
#[derive(Clone, Debug)]
pub enum V {
    S(String),
    I(i64),
    U(u64),
    F(f64),
    B(bool),
    Big(i128),
    UBig(u128),
    /// A `Debug` value (`field = ?list`).
    List(Vec<String>),
    /// A string of this many bytes.
    Huge(usize),
}

/// Floats that break naive code: NaN, infinities, signed zero, extremes.
pub fn special_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(f64::MAX),
        Just(f64::MIN),
        Just(f64::MIN_POSITIVE),
        Just(1e300),
        Just(0.5),
    ]
}

/// Any value, weighted towards the interesting ones.
pub fn value() -> impl Strategy<Value = V> {
    prop_oneof![
        4 => ".{0,12}".prop_map(V::S),
        2 => prop_oneof![
            Just("chat".to_string()),
            Just("12".into()),
            Just("stop,length".into()),
            Just("[{\"role\":\"user\"".into()),
        ]
        .prop_map(V::S),
        2 => any::<i64>().prop_map(V::I),
        2 => any::<u64>().prop_map(V::U),
        2 => any::<f64>().prop_map(V::F),
        2 => special_f64().prop_map(V::F),
        1 => any::<bool>().prop_map(V::B),
        1 => any::<i128>().prop_map(V::Big),
        1 => any::<u128>().prop_map(V::UBig),
        1 => proptest::collection::vec("[a-z,\" ]{0,6}", 0..4).prop_map(V::List),
        1 => (1usize << 16..1usize << 20).prop_map(V::Huge),
    ]
}

/// Records `v` on `span` under field `key` (a no-op if the span did not declare it).
pub fn record(span: &tracing::Span, key: &str, v: &V) {
    match v {
        V::S(s) => span.record(key, s.as_str()),
        V::I(x) => span.record(key, *x),
        V::U(x) => span.record(key, *x),
        V::F(x) => span.record(key, *x),
        V::B(x) => span.record(key, *x),
        V::Big(x) => span.record(key, *x),
        V::UBig(x) => span.record(key, *x),
        V::List(l) => span.record(key, tracing::field::debug(l)),
        V::Huge(n) => span.record(key, "y".repeat(*n).as_str()),
    };
}

/// A span callsite made at run time, so that property tests can declare arbitrary field names
/// (`tracing` macros only take literal names). Leaks a few bytes per callsite.
struct DynCallsite(std::sync::OnceLock<&'static tracing::Metadata<'static>>);

impl tracing_core::Callsite for DynCallsite {
    fn set_interest(&self, _: tracing_core::subscriber::Interest) {}
    fn metadata(&self) -> &tracing::Metadata<'_> {
        self.0.get().expect("metadata is set before registration")
    }
}

/// Creates an `INFO` span named `name` whose callsite declares `fields` (all `Empty`; record
/// them by name). Field names may repeat; `tracing` then records the first.
pub fn dyn_span(name: &str, fields: &[String]) -> tracing::Span {
    let name: &'static str = Box::leak(name.to_string().into_boxed_str());
    let names: Vec<&'static str> = fields
        .iter()
        .map(|f| &*Box::leak(f.clone().into_boxed_str()))
        .collect();
    let names: &'static [&'static str] = Box::leak(names.into_boxed_slice());
    let callsite: &'static DynCallsite =
        Box::leak(Box::new(DynCallsite(std::sync::OnceLock::new())));
    let meta: &'static tracing::Metadata<'static> = Box::leak(Box::new(tracing::Metadata::new(
        name,
        "props",
        tracing::Level::INFO,
        None,
        None,
        None,
        tracing_core::field::FieldSet::new(names, tracing_core::identify_callsite!(callsite)),
        tracing_core::metadata::Kind::SPAN,
    )));
    callsite.0.set(meta).unwrap();
    tracing_core::callsite::register(callsite);
    let nones: Vec<Option<&dyn tracing::Value>> = vec![None; names.len()];
    tracing::Span::new(meta, &meta.fields().value_set_all(&nones))
}
