//! The native dump: a plain-SQL backup read over the wire protocol from
//! one snapshot, for when pg_dump is missing or refuses the server.
//!
//! [`NativeDump`] decides everything and does no I/O: it hands out
//! [`Step`]s (queries for the snapshot session, bytes to write, COPYs to
//! stream into the output) and takes the answers. Catalog queries are
//! chosen by `server_version_num` (PostgreSQL 13 to 18); definitions come
//! from the server's own deparsers (`pg_get_viewdef`,
//! `pg_get_functiondef`, `pg_get_indexdef`, `pg_get_constraintdef`,
//! `pg_get_triggerdef`, `pg_get_ruledef`, `pg_get_expr`,
//! `pg_get_partkeydef`, `format_type`) and tables are assembled as pg_dump
//! does, as are the kinds without a deparser (aggregates, collations,
//! range and base types, casts, operators and their classes and families, text search dictionaries and
//! configurations, foreign data, event triggers, publications, default
//! privileges). Objects of kinds it cannot write yet are listed in
//! [`NativeSummary::unsupported`] and in the file's header, never dropped
//! silently.

mod catalog_sql;
mod dump;
mod error;
mod header;
mod model;
mod objects_sql;
mod order;
mod plan;
mod row;
mod select;
#[cfg(test)]
mod tests;

pub use dump::{NativeDump, NativeSummary, Step, TableCopy, session_setup, worker_setup};
pub use error::NativeError;
pub use model::UnsupportedObject;
pub use select::NativeSelection;

/// What to dump.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NativeOptions {
    /// Definitions only, no table data or sequence values.
    pub schema_only: bool,
    /// Table data and sequence values only.
    pub data_only: bool,
    /// No `ALTER ... OWNER TO` (objects belong to whoever restores).
    pub no_owner: bool,
    /// No GRANT or REVOKE.
    pub no_privileges: bool,
    /// `--lock-wait-timeout`: how long each `LOCK TABLE` batch may wait,
    /// in milliseconds, before the dump fails instead of queueing behind
    /// a long-running writer; `None` waits as long as it takes.
    pub lock_wait_timeout_ms: Option<u64>,
    /// `--disable-triggers` (with `--data-only`): each table's COPY
    /// between `ALTER TABLE ... DISABLE TRIGGER ALL` and `ENABLE`, so that
    /// triggers of the restored schema neither fire nor refuse rows.
    pub disable_triggers: bool,
    /// `--tables`, `--schemas`, `--exclude-tables`, resolved.
    pub selection: NativeSelection,
}
