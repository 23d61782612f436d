//! Per-callsite field resolution, done once: what each field of a GenAI span's callsite means
//! (a GenAI fact through the alias table, an unknown `gen_ai.*` name, a secret-named field or
//! an ordinary field). Recording a value then costs an index into a slice instead of a hash
//! lookup and string checks per field.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, PoisonError, RwLock};

use tracing_core::Metadata;
use tracing_core::callsite::Identifier;
use tracing_core::field::Field;

use super::aliases::AliasTable;
use super::rule::SpanRule;
use crate::model::GenAiField;
use crate::model::text::is_secret_name;
use crate::semconv as sc;

/// What a field name means to the layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    /// A GenAI fact (semconv name or alias).
    GenAi(GenAiField),
    /// A `gen_ai.*` name the registry does not know: exported as recorded (or dropped, see
    /// [`UnknownFields`](super::UnknownFields)), named in the span's diagnostics.
    UnknownGenAi,
    /// A registry key without a typed fact ([`sc::PASSTHROUGH_KEYS`]): kept as an ordinary
    /// field, coerced to its registry type.
    Registered(RegistryType),
    /// Named like a secret: never kept.
    Secret,
    /// An ordinary field, kept for mappers and exported as is.
    Plain,
}

impl Slot {
    /// Classifies a field name (the per-field work the cache saves).
    pub(crate) fn classify(aliases: &AliasTable, name: &str) -> Slot {
        match aliases.get(name) {
            Some(f) => Slot::GenAi(f),
            None if is_legacy_indexed(name) || is_prompt_variable(name) => {
                Slot::GenAi(GenAiField::Content)
            }
            None => match sc::PASSTHROUGH_KEYS.iter().find(|(k, _)| *k == name) {
                Some((_, ty)) => Slot::Registered(RegistryType::of(ty)),
                None => Slot::classify_other(name),
            },
        }
    }

    fn classify_other(name: &str) -> Slot {
        // Secret-named first: a kept unknown `gen_ai.*` field must not carry a secret.
        if is_secret_name(name) {
            Slot::Secret
        } else if name.starts_with(sc::GEN_AI_PREFIX) {
            Slot::UnknownGenAi
        } else {
            Slot::Plain
        }
    }
}

/// The registry type of a [`Slot::Registered`] key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RegistryType {
    Str,
    Int,
    Bool,
    Double,
}

impl RegistryType {
    fn of(ty: &str) -> Self {
        match ty {
            "int" => RegistryType::Int,
            "boolean" => RegistryType::Bool,
            "double" => RegistryType::Double,
            _ => RegistryType::Str,
        }
    }
}

/// `gen_ai.prompt.variable.<key>`: a prompt template variable, sensitive (message content); also
/// the template's bare name, which is no attribute of its own (its value is still a variable's).
fn is_prompt_variable(name: &str) -> bool {
    name.strip_prefix(sc::GEN_AI_PROMPT_VARIABLE)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// Whether `name` is an indexed legacy content field (`gen_ai.prompt.0.content`,
/// `gen_ai.completion.1.role`, ...): message content, never exported raw.
pub(crate) fn is_legacy_indexed(name: &str) -> bool {
    [
        sc::LEGACY_GEN_AI_PROMPT_INDEXED,
        sc::LEGACY_GEN_AI_COMPLETION_INDEXED,
    ]
    .iter()
    .any(|p| {
        name.strip_prefix(p)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    })
}

/// The resolved fields of one callsite, indexed by [`Field::index`].
#[derive(Debug)]
pub(crate) struct CallsiteFields {
    callsite: Identifier,
    slots: Box<[Slot]>,
    /// The callsite the span is forwarded to the inner layer under (see [`super::forward`]).
    pub(crate) forward: &'static Metadata<'static>,
}

impl CallsiteFields {
    /// Resolves the fields of `meta`: through the aliases of the rule that matched it first,
    /// then the layer's table. `room`: attributes the forwarded span's list has room for beyond
    /// the callsite's fields (what the mappers add).
    fn new(
        meta: &'static Metadata<'static>,
        aliases: &AliasTable,
        rule: Option<&SpanRule>,
        room: usize,
    ) -> Self {
        CallsiteFields {
            forward: super::forward::forward_metadata(meta, room),
            callsite: meta.callsite(),
            slots: meta
                .fields()
                .iter()
                .map(|f| {
                    rule.and_then(|r| r.alias(f.name()))
                        .map_or_else(|| Slot::classify(aliases, f.name()), Slot::GenAi)
                })
                .collect(),
        }
    }

    /// The slot of `field`, if it belongs to this callsite.
    #[inline]
    pub(crate) fn slot(&self, field: &Field) -> Option<Slot> {
        if field.callsite() != self.callsite {
            return None;
        }
        self.slots.get(field.index()).copied()
    }
}

/// Hashes a callsite [`Identifier`] (its address) with one multiply instead of SipHash.
#[derive(Default)]
pub(crate) struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0 ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type Map = HashMap<Identifier, Arc<CallsiteFields>, BuildHasherDefault<AddressHasher>>;

/// The layer's cache of resolved callsites (only GenAI callsites are stored).
#[derive(Debug, Default)]
pub(crate) struct CallsiteCache {
    map: RwLock<Map>,
}

impl CallsiteCache {
    /// The resolved fields of `meta`'s callsite, resolved on first use.
    pub(crate) fn get(
        &self,
        meta: &'static Metadata<'static>,
        aliases: &AliasTable,
        rule: Option<&SpanRule>,
        room: usize,
    ) -> Arc<CallsiteFields> {
        let id = meta.callsite();
        // A poisoned lock (a panic while inserting) leaves a usable map: recovered, so a
        // callsite is still resolved (and its forwarded callsite made) once.
        if let Some(found) = self
            .map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
        {
            return Arc::clone(found);
        }
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        let entry = map
            .entry(id)
            .or_insert_with(|| Arc::new(CallsiteFields::new(meta, aliases, rule, room)));
        Arc::clone(entry)
    }

    /// Forgets every resolved callsite (the alias table changed).
    pub(crate) fn clear(&mut self) {
        match self.map.get_mut() {
            Ok(map) => map.clear(),
            Err(poisoned) => poisoned.into_inner().clear(),
        }
    }
}
