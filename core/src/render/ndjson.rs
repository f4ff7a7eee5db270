//! Results as newline-delimited JSON: one object per line, written as
//! each row arrives, so that a reader can stop after the first.
//!
//! Each line is one of (told apart by their keys, so that no row can be
//! taken for anything else):
//! - `{"row":{"id":1,"name":"Ada"}}`: a row, values typed as in `--json`;
//! - `{"command":"INSERT","rowCount":1,"duration":0.4}`: a statement (or
//!   result set) finished, with `"truncated":true,"rowsReturned":N` when
//!   `--max-rows` cut it; a statement without rows gives only this line;
//! - `{"success":true,"statements":2,"duration":1.3}`: the last line of a
//!   run that succeeded;
//! - `{"success":false,"error":...,"code":...}`: the last line of a run
//!   that failed, with the keys of the `--json` error.

use super::json_result::{ErrorFields, StatementSummary, round_ms};
use crate::json::RowObjectWriter;
use crate::wire::{DataRow, RowDescription};

/// Writes the ndjson lines of a run into a `String` the caller drains.
#[derive(Debug)]
pub struct NdjsonResults {
    writer: RowObjectWriter,
    statements: u64,
}

impl Default for NdjsonResults {
    fn default() -> NdjsonResults {
        NdjsonResults::new()
    }
}

impl NdjsonResults {
    /// A run with nothing written yet.
    pub fn new() -> NdjsonResults {
        NdjsonResults {
            writer: RowObjectWriter::new(&[]),
            statements: 0,
        }
    }

    /// A result set begins: its columns name the keys of its rows.
    pub fn columns(&mut self, description: &RowDescription) {
        self.writer = RowObjectWriter::new(&description.columns);
    }

    /// One row, as a line of its own.
    pub fn row(&mut self, out: &mut String, row: &DataRow) {
        out.push_str("{\"row\":");
        self.writer.write_row(out, row);
        out.push_str("}\n");
    }

    /// A statement (or one of its result sets) finished.
    pub fn statement_done(&mut self, out: &mut String, summary: &StatementSummary) {
        self.statements += 1;
        self.writer = RowObjectWriter::new(&[]);
        out.push('{');
        summary.write_keys(out);
        out.push_str("}\n");
    }

    /// Everything succeeded: the closing line.
    pub fn finish(&mut self, out: &mut String, statements: u64, duration_ms: f64) {
        out.push_str(&format!(
            "{{\"success\":true,\"statements\":{statements},\"duration\":{}}}\n",
            round_ms(duration_ms)
        ));
    }

    /// The run failed: the closing line with the error.
    pub fn failed(&mut self, out: &mut String, error: &ErrorFields) {
        out.push_str(&error.document());
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::wire::Column;

    #[test]
    fn a_line_per_row_then_the_summary_then_the_end() {
        let description = RowDescription {
            columns: vec![Column {
                name: "row".into(),
                table_oid: 0,
                column_id: 0,
                type_oid: 23,
                type_size: 4,
                type_modifier: -1,
                format: 0,
            }],
        };
        let mut n = NdjsonResults::new();
        let mut out = String::new();
        n.columns(&description);
        n.row(
            &mut out,
            &DataRow::new(Bytes::from_static(b"7"), vec![Some(0..1)]),
        );
        n.statement_done(
            &mut out,
            &StatementSummary {
                command: Some("SELECT".into()),
                row_count: Some(1),
                rows_returned: 1,
                truncated: false,
                duration_ms: 0.5,
            },
        );
        n.finish(&mut out, 1, 1.0);
        assert_eq!(
            out,
            "{\"row\":{\"row\":7}}\n\
             {\"command\":\"SELECT\",\"rowCount\":1,\"duration\":0.5}\n\
             {\"success\":true,\"statements\":1,\"duration\":1}\n"
        );
    }
}
