//! Presentation shared by the CLI and the MCP server: psql-style tables
//! and errors, and the JSON result shapes. It lives in core so that both
//! front ends print the same thing for the same result.

mod display;
mod error;
mod json_result;
mod table;

pub use display::{CUT_MARK, NULL_MARK, display_label, display_value};
pub use error::{error_text, notice_text};
pub use json_result::{ErrorFields, JsonResults, StatementSummary};
pub use table::{TableOptions, TableWriter};
