//! What can go wrong while reading table names or the catalog.

use crate::catalog::NameError;

/// Why a schema request could not be served.
///
/// Unknown tables are not errors: they are reported, with suggestions, in
/// [`SchemaReport::missing`](super::SchemaReport::missing), next to the
/// tables that were found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// A table name could not be read.
    #[error(transparent)]
    Name(#[from] NameError),
    /// An unqualified name matches tables in schemas the search path ranks
    /// equally; only a qualified name can say which.
    #[error("table name {input:?} is ambiguous: it matches {}; qualify it with its schema", .candidates.join(", "))]
    AmbiguousTable {
        /// The name as given.
        input: String,
        /// The matching relations, as SQL names.
        candidates: Vec<String>,
    },
    /// A catalog query failed on the server.
    #[error("reading the catalog ({step}) failed: {message}")]
    CatalogQuery {
        /// Which query: `name resolution`, `table list`, `table details`.
        step: &'static str,
        /// The server's message.
        message: String,
    },
    /// A catalog query returned something this version does not understand.
    #[error("unexpected catalog result ({step}): {detail}")]
    UnexpectedResult {
        /// Which query.
        step: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The inspection was used out of order (rows without a query, or
    /// `finish` before the last query).
    #[error("schema inspection used out of order: {0}")]
    OutOfOrder(&'static str),
}
