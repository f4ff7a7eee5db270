//! Which objects a filtered dump holds: pg_dump's rules for `--table`,
//! `--schema` and `--exclude-table` (its `selectDumpable*` functions),
//! applied to names the backup driver already resolved against the
//! catalog, so that an unknown name failed before any work.

use crate::backup::QualifiedName;

/// The resolved filters of a native dump; empty lists select everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NativeSelection {
    /// Only these relations (and what belongs to them: indexes,
    /// constraints, triggers, rules, policies, owned sequences, comments,
    /// grants). No schema-level object is dumped then.
    pub tables: Vec<QualifiedName>,
    /// Only these schemas and everything in them.
    pub schemas: Vec<String>,
    /// Never these relations, nor what belongs to them.
    pub exclude_tables: Vec<QualifiedName>,
}

impl NativeSelection {
    /// No `--table` nor `--schema`: objects outside schemas (extensions,
    /// large objects, casts, languages...) are dumped only then, as
    /// pg_dump's `include_everything`.
    pub(crate) fn everything(&self) -> bool {
        self.tables.is_empty() && self.schemas.is_empty()
    }

    /// The schema itself and its objects that are not relations (types,
    /// functions, statistics objects): pg_dump's `dump_contains`.
    pub(crate) fn contents_of(&self, schema: &str) -> bool {
        if !self.tables.is_empty() {
            return false;
        }
        self.schemas.is_empty() || self.schemas.iter().any(|s| s == schema)
    }

    /// A table, view, materialized view, sequence or foreign table.
    pub(crate) fn relation(&self, schema: &str, name: &str) -> bool {
        let is = |q: &QualifiedName| q.schema == schema && q.name == name;
        let chosen = if self.tables.is_empty() {
            self.contents_of(schema)
        } else {
            self.tables.iter().any(is)
        };
        chosen && !self.exclude_tables.iter().any(is)
    }
}
