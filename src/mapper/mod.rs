//! The attribute mapper: user code that adds, renames or drops attributes of an LLM span before
//! it is exported.
//!
//! A mapper runs once per LLM span, when the span closes, after the GenAI layer has turned the
//! span's fields into typed `gen_ai.*` attributes. It sees the span's typed state
//! ([`GenAiSpan`]), including every non-GenAI field the span recorded, and the [`Attributes`]
//! about to be written. Closures are mappers (`Fn(&GenAiSpan, &mut Attributes<'_>)`), `()` is the
//! no-op mapper, and reusable mappers implement [`AttributeMapper`].
//!
//! ```
//! use tracing_genai::{mapper::Attributes, GenAiSpan};
//!
//! let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
//!     // add: a tenant id from an ordinary span field
//!     .with_mapper(|span: &GenAiSpan, attrs: &mut Attributes<'_>| {
//!         if let Some(tenant) = span.field("tenant_id") {
//!             attrs.insert("app.tenant.id", tenant.to_string());
//!         }
//!     })
//!     // rename and drop
//!     .with_mapper(|_: &GenAiSpan, attrs: &mut Attributes<'_>| {
//!         attrs.rename("feature", "app.feature");
//!         attrs.remove("user_email");
//!     });
//! # drop(layer);
//! ```

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::model::GenAiSpan;

mod attributes;

pub use attributes::Attributes;
pub(crate) use attributes::Lead;

/// Adds, renames or drops attributes of an LLM span before export.
///
/// Implemented for closures `Fn(&GenAiSpan, &mut Attributes<'_>)` and for `()` (no-op). A mapper that
/// panics is isolated: the span is exported without that mapper's changes and the panic is
/// reported once per mapper (see [`Diagnostics`](crate::Diagnostics)).
///
/// Mappers run while the span closes, with no lock of the layer held: they may record on other
/// spans, log events and create spans. A span created *and closed* inside a mapper should be a
/// root (`info_span!(parent: None, ..)`): tracing-subscriber's `Registry` never frees a span
/// closed while another span is closing on the same thread, so a child of the current span made
/// there would keep that span from ever closing.
///
/// ```
/// use tracing_genai::{mapper::{AttributeMapper, Attributes}, GenAiSpan};
///
/// /// Copies the `tenant_id` field of every LLM span to `app.tenant.id`.
/// struct Tenant;
///
/// impl AttributeMapper for Tenant {
///     fn map(&self, span: &GenAiSpan, attrs: &mut Attributes<'_>) {
///         if let Some(tenant) = span.field("tenant_id") {
///             attrs.insert("app.tenant.id", tenant.to_string());
///         }
///     }
/// }
///
/// let layer = tracing_genai::layer::<tracing_subscriber::Registry>().with_mapper(Tenant);
/// # drop(layer);
/// ```
pub trait AttributeMapper: Send + Sync + 'static {
    /// Edits `attributes`, the attributes about to be written on the span described by `span`.
    fn map(&self, span: &GenAiSpan, attributes: &mut Attributes<'_>);

    /// A short name used when reporting this mapper's failures. Defaults to its type name.
    fn name(&self) -> &str {
        std::any::type_name::<Self>()
    }
}

impl<F> AttributeMapper for F
where
    F: Fn(&GenAiSpan, &mut Attributes<'_>) + Send + Sync + 'static,
{
    fn map(&self, span: &GenAiSpan, attributes: &mut Attributes<'_>) {
        self(span, attributes)
    }
}

impl AttributeMapper for () {
    fn map(&self, _: &GenAiSpan, _: &mut Attributes<'_>) {}
}

/// A mapper that renames attribute keys.
///
/// ```
/// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
///     .with_mapper(tracing_genai::mapper::RenameAttributes::new([("feature", "app.feature")]));
/// # drop(layer);
/// ```
#[derive(Clone, Debug, Default)]
pub struct RenameAttributes {
    pairs: Vec<(String, String)>,
}

impl RenameAttributes {
    /// Renames each `(from, to)`.
    pub fn new<I, A, B>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (A, B)>,
        A: Into<String>,
        B: Into<String>,
    {
        Self {
            pairs: pairs
                .into_iter()
                .map(|(a, b)| (a.into(), b.into()))
                .collect(),
        }
    }
}

impl AttributeMapper for RenameAttributes {
    fn map(&self, _: &GenAiSpan, attributes: &mut Attributes<'_>) {
        for (from, to) in &self.pairs {
            attributes.rename(from, to.clone());
        }
    }
}

/// A mapper that drops attributes by exact key or by `prefix.*` pattern.
///
/// ```
/// let layer = tracing_genai::layer::<tracing_subscriber::Registry>()
///     .with_mapper(tracing_genai::mapper::DropAttributes::new(["user_email", "debug.*"]));
/// # drop(layer);
/// ```
#[derive(Clone, Debug, Default)]
pub struct DropAttributes {
    patterns: Vec<String>,
}

impl DropAttributes {
    /// Drops every key equal to a pattern, or starting with the part before a trailing `*`.
    pub fn new<I, A>(patterns: I) -> Self
    where
        I: IntoIterator<Item = A>,
        A: Into<String>,
    {
        Self {
            patterns: patterns.into_iter().map(Into::into).collect(),
        }
    }

    fn matches(&self, key: &str) -> bool {
        self.patterns.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => key.starts_with(prefix),
            None => key == p,
        })
    }
}

impl AttributeMapper for DropAttributes {
    fn map(&self, _: &GenAiSpan, attributes: &mut Attributes<'_>) {
        attributes.retain(|key, _| !self.matches(key));
    }
}

/// One configured mapper with its failure bookkeeping.
#[derive(Clone)]
pub(crate) struct MapperSlot {
    mapper: Arc<dyn AttributeMapper>,
    reported: Arc<AtomicBool>,
    panics: Arc<AtomicU64>,
}

impl fmt::Debug for MapperSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapperSlot")
            .field("mapper", &self.mapper.name())
            .field("panics", &self.panics.load(Ordering::Relaxed))
            .finish()
    }
}

/// What went wrong when a mapper ran; reported by the layer after all locks are released.
#[derive(Debug)]
pub(crate) struct MapperFailure {
    pub(crate) mapper: String,
    pub(crate) message: String,
    /// Whether this is the first failure of that mapper (report it then, count it always).
    pub(crate) first: bool,
}

impl MapperSlot {
    pub(crate) fn new(mapper: impl AttributeMapper) -> Self {
        Self {
            mapper: Arc::new(mapper),
            reported: Arc::new(AtomicBool::new(false)),
            panics: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Runs the mapper on `attributes`; undoes its changes if it panicked.
    pub(crate) fn apply(
        &self,
        span: &GenAiSpan,
        attributes: &mut Attributes<'_>,
    ) -> Result<(), MapperFailure> {
        // Each change is journaled while the mapper runs (no copy of the set): a panic rolls
        // them back, so a panicking mapper changes nothing.
        attributes.begin();
        match catch_unwind(AssertUnwindSafe(|| self.mapper.map(span, attributes))) {
            Ok(()) => {
                attributes.commit();
                Ok(())
            }
            Err(payload) => {
                attributes.rollback();
                self.panics.fetch_add(1, Ordering::Relaxed);
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-string panic payload".to_string());
                Err(MapperFailure {
                    mapper: self.mapper.name().to_string(),
                    message,
                    first: !self.reported.swap(true, Ordering::Relaxed),
                })
            }
        }
    }
}
