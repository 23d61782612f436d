//! The callsite a GenAI span is forwarded to the wrapped tracing-opentelemetry layer under.
//!
//! The layer owns a GenAI span's attributes, so the inner layer must not see the span's own
//! field values; what it must see, before its OpenTelemetry span starts (a head sampler runs
//! then), is the span kind, the conventions' name and the sampling-relevant attributes. The
//! span is therefore forwarded under a synthetic callsite per GenAI callsite: the same name,
//! target, level, file, line and module, and exactly the fields [`FORWARD_FIELDS`], whose
//! values the layer fills from its typed record. One is made (and kept for the life of the
//! process, like `tracing`'s own callsites) per GenAI callsite, when the callsite is resolved.

use std::sync::OnceLock;

use tracing_core::callsite::{Callsite, Identifier};
use tracing_core::field::FieldSet;
use tracing_core::subscriber::Interest;
use tracing_core::{Level, Metadata};

use crate::semconv as sc;

/// The fields of a forwarded GenAI span: the span kind, the name, then
/// [`SAMPLING_RELEVANT`](sc::SAMPLING_RELEVANT) in order.
pub(crate) static FORWARD_FIELDS: [&str; 2 + sc::SAMPLING_RELEVANT.len()] = [
    sc::OTEL_KIND,
    sc::OTEL_NAME,
    sc::SAMPLING_RELEVANT[0],
    sc::SAMPLING_RELEVANT[1],
    sc::SAMPLING_RELEVANT[2],
    sc::SAMPLING_RELEVANT[3],
    sc::SAMPLING_RELEVANT[4],
    sc::SAMPLING_RELEVANT[5],
    sc::SAMPLING_RELEVANT[6],
    sc::SAMPLING_RELEVANT[7],
];

/// Most fields a forwarded callsite has: [`FORWARD_FIELDS`] and up to 32 unnamed ones.
pub(crate) const MAX_FORWARD_FIELDS: usize = FORWARD_FIELDS.len() + 32;

/// [`FORWARD_FIELDS`] then unnamed fields that never get a value. tracing-opentelemetry sizes
/// the span's attribute list by the field count, and the close-time attributes land in that
/// list too: a forwarded callsite has as many fields as the GenAI callsite (at least
/// [`FORWARD_FIELDS`]), as tracing-opentelemetry sizes a plain span's list, so the list is
/// allocated once at about its final size: each field becomes at most one attribute, and the
/// values given at start are among them (a span with derived attributes, `error.type`, the
/// diagnostics, grows it once). Larger would cost more than a growth: past about 1 KiB a list
/// leaves the allocator's fast path (17 attributes of a 16-field span are 952 bytes, 27 are
/// 1,512).
static FORWARD_NAMES: [&str; MAX_FORWARD_FIELDS] = {
    let mut names = [""; MAX_FORWARD_FIELDS];
    let mut i = 0;
    while i < FORWARD_FIELDS.len() {
        names[i] = FORWARD_FIELDS[i];
        i += 1;
    }
    names
};

/// Index of `otel.kind` in [`FORWARD_FIELDS`].
pub(crate) const KIND: usize = 0;
/// Index of `otel.name` in [`FORWARD_FIELDS`].
pub(crate) const NAME: usize = 1;
/// Index of `SAMPLING_RELEVANT[0]` in [`FORWARD_FIELDS`].
pub(crate) const FIRST_ATTRIBUTE: usize = 2;

/// A synthetic callsite (never registered with `tracing`: only the inner layer sees it).
struct ForwardCallsite {
    meta: OnceLock<Metadata<'static>>,
}

impl Callsite for ForwardCallsite {
    fn set_interest(&self, _: Interest) {}
    fn metadata(&self) -> &Metadata<'_> {
        self.meta.get().unwrap_or(&FALLBACK_META)
    }
}

/// The metadata used when a forwarded callsite is not initialised (never, in practice) and
/// for the kind updates recorded after creation.
static FALLBACK: ForwardCallsite = ForwardCallsite {
    meta: OnceLock::new(),
};
pub(crate) static FALLBACK_META: Metadata<'static> = Metadata::new(
    "tracing_genai::forward",
    "tracing_genai",
    Level::TRACE,
    None,
    None,
    None,
    FieldSet::new(&FORWARD_FIELDS, Identifier(&FALLBACK)),
    tracing_core::metadata::Kind::SPAN,
);

/// The forwarded callsite of `meta` (made once per GenAI callsite, then kept), with `room`
/// fields more than it would have (for the attributes the mappers add).
pub(crate) fn forward_metadata(
    meta: &'static Metadata<'static>,
    room: usize,
) -> &'static Metadata<'static> {
    let len = (meta.fields().len().max(FORWARD_FIELDS.len()) + room).min(MAX_FORWARD_FIELDS);
    let names = FORWARD_NAMES.get(..len).unwrap_or(&FORWARD_FIELDS);
    let callsite: &'static ForwardCallsite = Box::leak(Box::new(ForwardCallsite {
        meta: OnceLock::new(),
    }));
    let forwarded = Metadata::new(
        meta.name(),
        meta.target(),
        *meta.level(),
        meta.file(),
        meta.line(),
        meta.module_path(),
        FieldSet::new(names, Identifier(callsite)),
        tracing_core::metadata::Kind::SPAN,
    );
    callsite.meta.get_or_init(|| forwarded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_metadata_keeps_the_callsite_facts() {
        static CS: tracing_core::callsite::DefaultCallsite =
            tracing_core::callsite::DefaultCallsite::new(&META);
        static META: Metadata<'static> = tracing_core::metadata! {
            name: "llm",
            target: "app",
            level: Level::INFO,
            fields: &["gen_ai.operation.name", "model"],
            callsite: &CS,
            kind: tracing_core::metadata::Kind::SPAN,
        };
        let f = forward_metadata(&META, 0);
        assert_eq!(f.name(), "llm");
        assert_eq!(f.target(), "app");
        assert_eq!(*f.level(), Level::INFO);
        assert_eq!(f.file(), META.file());
        assert_eq!(f.line(), META.line());
        let names: Vec<&str> = f.fields().iter().map(|x| x.name()).collect();
        assert_eq!(names[..FORWARD_FIELDS.len()], FORWARD_FIELDS);
        // A two-field callsite: the forwarded fields are room enough.
        assert_eq!(names.len(), FORWARD_FIELDS.len());
        assert_eq!(names[KIND], sc::OTEL_KIND);
        assert_eq!(names[NAME], sc::OTEL_NAME);
        assert_eq!(names[FIRST_ATTRIBUTE], sc::SAMPLING_RELEVANT[0]);
        // Its fields belong to its own callsite, so a value set built from them records.
        assert!(f.fields().iter().all(|x| x.callsite() == f.callsite()));
        assert_ne!(f.callsite(), META.callsite());
    }

    #[test]
    fn a_large_callsite_gets_room_for_its_fields() {
        static CS: tracing_core::callsite::DefaultCallsite =
            tracing_core::callsite::DefaultCallsite::new(&META);
        static NAMES: [&str; 16] = [
            "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p",
        ];
        static META: Metadata<'static> = tracing_core::metadata! {
            name: "llm",
            target: "app",
            level: Level::INFO,
            fields: &NAMES,
            callsite: &CS,
            kind: tracing_core::metadata::Kind::SPAN,
        };
        let names: Vec<&str> = forward_metadata(&META, 0)
            .fields()
            .iter()
            .map(|x| x.name())
            .collect();
        assert_eq!(names.len(), NAMES.len());
        assert_eq!(names[..FORWARD_FIELDS.len()], FORWARD_FIELDS);
        assert!(names[FORWARD_FIELDS.len()..].iter().all(|n| n.is_empty()));
        // With mappers: room for what they add.
        assert_eq!(forward_metadata(&META, 2).fields().len(), NAMES.len() + 2);
    }
}
