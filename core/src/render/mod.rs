//! Presentation shared by the CLI and the MCP server: psql-style tables
//! and errors, and the JSON, ndjson and CSV result shapes. It lives in core so that both
//! front ends print the same thing for the same result.

mod csv;
mod display;
mod error;
mod json_result;
mod ndjson;
mod table;

pub use csv::{csv_header, csv_row};
pub use display::{CUT_MARK, NULL_MARK, display_label, display_value};
pub use error::{error_text, notice_text};
pub use json_result::{ErrorFields, JsonResults, StatementSummary};
pub use ndjson::NdjsonResults;
pub use table::{TableOptions, TableWriter};
