//! Errors and notices as the server reports them, every field kept.
//!
//! psql shows more than the message (DETAIL, HINT, the caret under the
//! position) and scripts want the SQLSTATE, so nothing the server said is
//! thrown away here; presentation happens in the front ends.

use std::fmt;

use fallible_iterator::FallibleIterator;
use postgres_protocol::message::backend::ErrorFields;

/// An ErrorResponse or NoticeResponse, decoded field by field.
///
/// Field values the server sent as invalid UTF-8 are kept lossily: a
/// message the user cannot read in full is better than none at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerMessage {
    /// Localized severity (`S`), e.g. `ERROR`, `FATAL`, `NOTICE`, `FEHLER`.
    pub severity: String,
    /// Severity never localized (`V`, servers 9.6+); what code should test.
    pub severity_nonlocalized: Option<String>,
    /// SQLSTATE (`C`), e.g. `42P01`.
    pub code: String,
    /// Primary message (`M`).
    pub message: String,
    /// Optional secondary message (`D`).
    pub detail: Option<String>,
    /// Suggestion what to do (`H`).
    pub hint: Option<String>,
    /// 1-based character position in the query string (`P`).
    pub position: Option<u32>,
    /// Position inside an internally generated query (`p`).
    pub internal_position: Option<u32>,
    /// The internally generated query (`q`).
    pub internal_query: Option<String>,
    /// Call stack context (`W`).
    pub where_: Option<String>,
    /// Schema of the object involved (`s`).
    pub schema: Option<String>,
    /// Table of the object involved (`t`).
    pub table: Option<String>,
    /// Column involved (`c`).
    pub column: Option<String>,
    /// Data type involved (`d`).
    pub datatype: Option<String>,
    /// Constraint involved (`n`).
    pub constraint: Option<String>,
    /// Server source file (`F`).
    pub file: Option<String>,
    /// Server source line (`L`).
    pub line: Option<u32>,
    /// Server source routine (`R`).
    pub routine: Option<String>,
}

impl ServerMessage {
    /// Decodes the fields of an ErrorResponse or NoticeResponse body.
    pub(crate) fn from_fields(mut fields: ErrorFields<'_>) -> std::io::Result<ServerMessage> {
        let mut out = ServerMessage::default();
        while let Some(field) = fields.next()? {
            let value = String::from_utf8_lossy(field.value_bytes()).into_owned();
            match field.type_() {
                b'S' => out.severity = value,
                b'V' => out.severity_nonlocalized = Some(value),
                b'C' => out.code = value,
                b'M' => out.message = value,
                b'D' => out.detail = Some(value),
                b'H' => out.hint = Some(value),
                b'P' => out.position = value.parse().ok(),
                b'p' => out.internal_position = value.parse().ok(),
                b'q' => out.internal_query = Some(value),
                b'W' => out.where_ = Some(value),
                b's' => out.schema = Some(value),
                b't' => out.table = Some(value),
                b'c' => out.column = Some(value),
                b'd' => out.datatype = Some(value),
                b'n' => out.constraint = Some(value),
                b'F' => out.file = Some(value),
                b'L' => out.line = value.parse().ok(),
                b'R' => out.routine = Some(value),
                // The protocol says unknown field types must be ignored.
                _ => {}
            }
        }
        Ok(out)
    }

    /// The severity to reason about: the non-localized one when the server
    /// sent it, else the localized one.
    pub fn severity_code(&self) -> &str {
        self.severity_nonlocalized
            .as_deref()
            .unwrap_or(&self.severity)
    }

    /// True when the server ends the session after this message.
    pub fn is_fatal(&self) -> bool {
        matches!(self.severity_code(), "FATAL" | "PANIC")
    }
}

impl fmt::Display for ServerMessage {
    /// One line in libpq's style, `ERROR:  message (SQLSTATE 42P01)`, for
    /// logs; front ends render DETAIL, HINT and the caret themselves.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:  {}", self.severity, self.message)?;
        if !self.code.is_empty() {
            write!(f, " (SQLSTATE {})", self.code)?;
        }
        Ok(())
    }
}

impl std::error::Error for ServerMessage {}
