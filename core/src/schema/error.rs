//! What can go wrong while reading table names or the catalog.

/// Why a schema request could not be served.
///
/// Unknown tables are not errors: they are reported, with suggestions, in
/// [`SchemaReport::missing`](super::SchemaReport::missing), next to the
/// tables that were found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// A `"` opened a name and nothing closed it.
    #[error("unterminated quote in {input:?}: close the name with \"")]
    UnterminatedQuote {
        /// The table name as given.
        input: String,
    },
    /// A part of the name is empty: `""`, `.users`, `app.`.
    #[error("empty name in {input:?}: write a table as table or schema.table")]
    EmptyName {
        /// The table name as given.
        input: String,
    },
    /// More than `schema.table`.
    #[error(
        "too many dots in {input:?}: write a table as table or schema.table \
         (quote a name that contains a dot: \"my.table\")"
    )]
    TooManyParts {
        /// The table name as given.
        input: String,
    },
    /// A quote in the middle of an unquoted name, or text right after a
    /// closing quote.
    #[error(
        "misplaced quote in {input:?}: quote a whole name part, as in app.\"My Table\" \
         (write a quote inside a quoted name as \"\")"
    )]
    MisplacedQuote {
        /// The table name as given.
        input: String,
    },
    /// A NUL character, which no PostgreSQL name can contain.
    #[error("invalid character NUL in table name {input:?}")]
    NulCharacter {
        /// The table name as given, NUL included.
        input: String,
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
