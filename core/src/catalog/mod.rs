//! What `schema`, `backup` (and the MCP tools built on them) share about
//! the catalog: the relation kinds, the grammar of a table name a user
//! types, and how such a name is matched against the catalog's relations.
//!
//! **One rule for names**, whichever command reads them:
//!
//! - A list is split at commas outside double quotes; empty items are
//!   skipped. An item is `name` or `schema.name`.
//! - A part in double quotes is exact (`""` stands for one `"`; `.`, `,`
//!   and spaces are part of the name). A `"` after the first character of
//!   an unquoted part is an ordinary character (`we"ird`).
//! - A part without quotes matches a relation of exactly that spelling when
//!   one exists, and otherwise the spelling with ASCII letters folded to
//!   lower case, as SQL folds it: `MixedCase` finds the table created as
//!   `"MixedCase"`, `USERS` finds `users`, and `Users` finds `"Users"` even
//!   when `users` exists too. The exact spelling wins because the user
//!   typed it and such a table exists: taking another one would be a guess.
//! - An unqualified name is looked up along the search path; the first
//!   schema that holds a match wins, as in SQL. Relations that the search
//!   path does not reach are found only by their qualified name.
//! - Names are cut to 63 bytes, as the server cuts them; a NUL, an empty
//!   part, an unclosed quote, text after a closing quote or a third part is refused with a message
//!   saying how to write the name.
//!
//! The commands keep their own catalog rows (schema inspection needs the
//! OID, a backup whether an extension owns the relation); both implement
//! [`CatalogEntry`], over which [`resolve`] and [`suggest`] work.

mod kind;
mod name;
mod resolve;

pub use kind::RelationKind;
pub use name::{
    Identifier, MAX_NAME_BYTES, NameError, TableName, needs_quotes, parse_schema_names,
    parse_table_names, qualified_name, quote_if_needed,
};
pub use resolve::{
    CatalogEntry, MAX_SUGGESTIONS, Resolution, resolve, resolve_schema, suggest, suggest_schemas,
};
