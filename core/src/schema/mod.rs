//! `sequelae schema [TABLE ...]`: which tables a user means, what the
//! catalog says about them, and how that reads for people (psql `\d`
//! style) and for programs (JSON), without doing any I/O.
//!
//! The runtime pumps a [`SchemaInspection`]:
//!
//! ```text
//! let names = parse_table_names(&args)?;                  // bad quoting: usage error
//! let mut inspection = SchemaInspection::new(SchemaRequest { tables: names, all_schemas, json_sample_size });
//! while let Some(sql) = inspection.next_query() {
//!     match client.simple_query(&sql) {
//!         Ok(results) => inspection.handle_rows(&results[0].rows)?,
//!         Err(db_error) => inspection.handle_error(&db_error.to_string())?,
//!     }
//! }
//! let report = inspection.finish()?;                      // tables, missing (+ suggestions), warnings
//! print!("{}", render_report(&report));                   // or report.to_json()
//! ```
//!
//! Decisions:
//! - **Names** follow the one rule `backup` follows too (see
//!   [`crate::catalog`]): quoted parts are exact; an unquoted part matches
//!   its exact spelling when such a relation exists, else the spelling
//!   folded to lower case (`Users` finds `"Users"`, or `users` when there
//!   is no `"Users"`). Unqualified names are resolved along the session's
//!   search path as SQL does; qualified names in their schema, whatever
//!   the search path.
//! - **No injection.** Names typed by the user reach the server only as
//!   literals quoted by `escape_literal`; names read from the catalog only
//!   as identifiers quoted by `escape_identifier`. See [`sql`].
//! - **Unknown names** are not errors: they come back in
//!   [`SchemaReport::missing`] with up to three suggestions by edit
//!   distance, `unknown table "usres"; did you mean "users"?`.
//! - **Listing** (no names): the relations (tables, partitioned tables,
//!   views, materialized views, foreign tables) of the search path's
//!   schemas, or with `all_schemas` of every schema but `pg_catalog`,
//!   `information_schema`, `pg_toast*` and `pg_temp*`; each described in
//!   full, as sequelae-mcp did.
//! - **JSON columns** are sampled (`json_sample_size` non-NULL rows, default
//!   100) and their structure inferred, see [`infer`].

mod error;
pub mod infer;
mod inspect;
mod model;
pub mod render;
pub mod resolve;
pub mod sql;

#[cfg(test)]
mod tests;

pub use crate::catalog::{
    Identifier, NameError, TableName, needs_quotes, parse_table_names, qualified_name,
    quote_if_needed,
};
pub use error::SchemaError;
pub use infer::{FieldShape, JsonShape, JsonStructure, ObjectShape, infer_json_structure};
pub use inspect::{DEFAULT_JSON_SAMPLE_SIZE, SchemaInspection, SchemaReport, SchemaRequest};
pub use model::{
    CheckConstraint, ColumnInfo, ForeignKey, Identity, IndexInfo, KeyConstraint, PartitionOf,
    Reference, ReferentialAction, RelationKind, TableSchema, TriggerInfo,
};
pub use render::{render_report, render_table, render_tables};
pub use resolve::{Relation, UnknownTable};
