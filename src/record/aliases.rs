//! The alias table: input field name (semconv names and the names Rust LLM clients use) to the
//! GenAI fact it means.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::model::GenAiField;
use crate::model::field::{CONTENT_KEYS, DEFAULT_ALIASES, verbatim};

/// Field name to GenAI fact lookup: the semconv names plus the configured aliases.
#[derive(Clone, Debug)]
pub(crate) struct AliasTable {
    map: HashMap<Cow<'static, str>, GenAiField>,
}

impl Default for AliasTable {
    fn default() -> Self {
        let mut map = HashMap::with_capacity(verbatim().count() + DEFAULT_ALIASES.len() + 8);
        for f in verbatim() {
            map.insert(Cow::Borrowed(f.key()), f);
        }
        for k in CONTENT_KEYS {
            map.insert(Cow::Borrowed(*k), GenAiField::Content);
        }
        for (k, f) in DEFAULT_ALIASES {
            map.insert(Cow::Borrowed(*k), *f);
        }
        AliasTable { map }
    }
}

impl AliasTable {
    pub(crate) fn get(&self, name: &str) -> Option<GenAiField> {
        self.map.get(name).copied()
    }

    pub(crate) fn insert(&mut self, name: impl Into<Cow<'static, str>>, field: GenAiField) {
        self.map.insert(name.into(), field);
    }

    /// Removes an alias. Semconv names cannot be removed.
    pub(crate) fn remove(&mut self, name: &str) {
        if !verbatim().any(|f| f.key() == name) {
            self.map.remove(name);
        }
    }
}
