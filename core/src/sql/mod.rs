//! Splitting SQL scripts into statements the way psql does.
//!
//! `sequelae exec` and `sequelae file` run scripts written for psql, pg_dump
//! output included, so statements must end exactly where psql's lexer
//! (`src/fe_utils/psqlscan.l`) ends them: at a `;` outside quotes, comments
//! and parentheses, and outside a `BEGIN ... END` body of
//! `CREATE FUNCTION|PROCEDURE`. Inline `COPY ... FROM STDIN` data is passed
//! through as bytes. The splitter is fed chunks and polled for items, so a
//! multi-gigabyte file needs only as much memory as its largest statement.

mod copy_data;
mod error;
mod item;
mod lexer;
mod shape;
mod splitter;

pub use error::{ScriptError, Unclosed};
pub use item::{ScriptItem, Statement};
pub use splitter::ScriptSplitter;

#[cfg(test)]
mod tests;
