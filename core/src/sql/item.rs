//! What the splitter hands out: statements and inline COPY data.

use bytes::Bytes;

/// One step of a script, in input order.
///
/// A `Statement` with `copy_from_stdin` set is followed by zero or more
/// `CopyData` pieces and exactly one `CopyEnd` (unless the input ends first,
/// which is an error): the runner sends the pieces as CopyData messages and
/// `CopyEnd` as CopyDone. If the server rejects the COPY statement, the
/// runner skips the pieces up to `CopyEnd`; psql would instead try to run
/// the data lines as SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptItem {
    /// A complete SQL statement.
    Statement(Statement),
    /// Inline COPY data: raw bytes of the lines after `COPY ... FROM STDIN;`,
    /// up to (not including) the `\.` line, unchecked and unlexed. A block
    /// arrives in pieces of at most 1 MiB, as the input arrives, so a
    /// multi-gigabyte block is never held in memory; piece boundaries fall
    /// anywhere, even inside a line.
    CopyData(Bytes),
    /// The `\.` line that ends a COPY data block.
    CopyEnd,
}

/// A statement as written in the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The text from its first token to its last token: comments and blank
    /// lines before it, the terminating `;` and anything after the last
    /// token are left out; comments inside are kept. The one change psql
    /// makes is made too: `\;` and `\:` become `;` and `:`.
    pub text: String,
    /// 1-based line of the first token, for error messages.
    pub line: u64,
    /// The statement is `COPY ... FROM STDIN` (checked lexically: the first
    /// token is `COPY` and `FROM STDIN` appears outside parentheses), so the
    /// following lines are its data and `CopyData`/`CopyEnd` items follow.
    pub copy_from_stdin: bool,
}
