//! psql-style aligned tables, streamed.
//!
//! psql aligns a result by reading all of it first; on a 5-million-row
//! SELECT that is gigabytes. This writer takes its column widths from the
//! first batch of rows only, prints, and keeps going with those widths:
//! memory is bounded by one batch, and a later wider value simply pushes
//! its row's cells right instead of being cut.

use unicode_width::UnicodeWidthStr;

use super::display::{NULL_MARK, display_label, display_value};
use crate::wire::{DataRow, RowDescription};

/// How values are shown.
#[derive(Debug, Clone)]
pub struct TableOptions {
    /// Rows buffered to compute column widths before the first line.
    pub batch_rows: usize,
    /// Display width beyond which a value is cut (and marked `\…`).
    pub max_value_width: usize,
    /// One record per row, a line per column (psql's `\x`), for rows too
    /// wide for the screen.
    pub expanded: bool,
}

impl Default for TableOptions {
    fn default() -> TableOptions {
        TableOptions {
            batch_rows: 1000,
            max_value_width: 80,
            expanded: false,
        }
    }
}

#[derive(Debug)]
struct Layout {
    name: String,
    right: bool,
    width: usize,
}

/// Streams one result set as an aligned table into a `String` buffer the
/// caller drains to its output.
#[derive(Debug)]
pub struct TableWriter {
    options: TableOptions,
    columns: Vec<Layout>,
    pending: Vec<Vec<String>>,
    header_written: bool,
    rows: u64,
    cut: bool,
}

/// Type OIDs psql right-aligns: numbers.
fn is_numeric(oid: u32) -> bool {
    matches!(oid, 20 | 21 | 23 | 26 | 700 | 701 | 790 | 1700)
}

impl TableWriter {
    /// Starts a table for `description`.
    pub fn new(description: &RowDescription, options: TableOptions) -> TableWriter {
        let columns = description
            .columns
            .iter()
            .map(|c| Layout {
                name: display_label(&c.name),
                right: is_numeric(c.type_oid),
                width: display_label(&c.name).width(),
            })
            .collect();
        TableWriter {
            options,
            columns,
            pending: Vec::new(),
            header_written: false,
            rows: 0,
            cut: false,
        }
    }

    /// Adds a row; writes to `out` once the first batch is complete and
    /// for every row after it.
    pub fn row(&mut self, row: &DataRow, out: &mut String) {
        let cells: Vec<String> = (0..self.columns.len())
            .map(|i| match row.get(i) {
                None => NULL_MARK.to_string(),
                Some(bytes) => self.cell(bytes),
            })
            .collect();
        self.rows += 1;
        if self.options.expanded {
            self.write_record(&cells, out);
            return;
        }
        if self.header_written {
            self.write_row(&cells, out);
            return;
        }
        for (layout, cell) in self.columns.iter_mut().zip(&cells) {
            layout.width = layout.width.max(cell.width());
        }
        self.pending.push(cells);
        if self.pending.len() >= self.options.batch_rows {
            self.flush(out);
        }
    }

    /// Writes what is buffered and the `(N rows)` footer. `total` is the
    /// server's row count when rows were skipped (`--max-rows`).
    pub fn finish(&mut self, out: &mut String, total: Option<u64>) {
        if !self.options.expanded {
            self.flush(out);
        }
        let noun = if self.rows == 1 { "row" } else { "rows" };
        match total {
            Some(total) if total > self.rows => out.push_str(&format!(
                "({} of {total} rows shown; the rest were cut by --max-rows)\n",
                self.rows
            )),
            // psql's expanded mode counts rows only when there are none.
            _ if self.options.expanded && self.rows > 0 => {}
            _ => out.push_str(&format!("({} {noun})\n", self.rows)),
        }
        if self.cut {
            out.push_str(&format!(
                "(values longer than {} characters were cut; use --json for full values)\n",
                self.options.max_value_width
            ));
        }
    }

    /// Rows seen so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn flush(&mut self, out: &mut String) {
        if !self.header_written {
            self.write_header(out);
            self.header_written = true;
        }
        for cells in std::mem::take(&mut self.pending) {
            self.write_row(&cells, out);
        }
    }

    /// Escapes the value so that no two values look alike (see
    /// [`super::display`]) and cuts it past the width limit.
    fn cell(&mut self, bytes: &[u8]) -> String {
        let (shown, cut) = display_value(bytes, self.options.max_value_width);
        self.cut |= cut;
        shown
    }

    /// One row in expanded mode: `-[ RECORD n ]` and a line per column.
    fn write_record(&self, cells: &[String], out: &mut String) {
        let name_width = self
            .columns
            .iter()
            .map(|c| c.name.width())
            .max()
            .unwrap_or(0);
        // psql sizes this line to the widest value of all rows; a stream
        // cannot, so it spans the names and the separator only.
        let label = format!("-[ RECORD {} ]-", self.rows);
        let width = label.len().max(name_width + 3);
        out.push_str(&label);
        out.extend(std::iter::repeat_n('-', width - label.len()));
        out.push('\n');
        for (layout, cell) in self.columns.iter().zip(cells) {
            let line_start = out.len();
            out.push_str(&layout.name);
            out.extend(std::iter::repeat_n(' ', name_width - layout.name.width()));
            out.push_str(" | ");
            out.push_str(cell);
            let end = out[line_start..].trim_end().len();
            out.truncate(line_start + end);
            out.push('\n');
        }
    }

    fn write_header(&self, out: &mut String) {
        let cells: Vec<String> = self
            .columns
            .iter()
            .map(|c| {
                // psql centres headers, leaning left on odd padding.
                let pad = c.width.saturating_sub(c.name.width());
                format!(
                    "{}{}{}",
                    " ".repeat(pad / 2),
                    c.name,
                    " ".repeat(pad - pad / 2)
                )
            })
            .collect();
        out.push(' ');
        out.push_str(cells.join(" | ").trim_end());
        out.push('\n');
        let rule: Vec<String> = self
            .columns
            .iter()
            .map(|c| "-".repeat(c.width + 2))
            .collect();
        out.push_str(&rule.join("+"));
        out.push('\n');
    }

    fn write_row(&self, cells: &[String], out: &mut String) {
        let start = out.len();
        for (i, (layout, cell)) in self.columns.iter().zip(cells).enumerate() {
            out.push_str(if i > 0 { " | " } else { " " });
            let pad = layout.width.saturating_sub(cell.width());
            if layout.right {
                out.extend(std::iter::repeat_n(' ', pad));
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        let end = out[start..].trim_end().len();
        out.truncate(start + end);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::wire::Column;

    fn description(cols: &[(&str, u32)]) -> RowDescription {
        RowDescription {
            columns: cols
                .iter()
                .map(|(name, oid)| Column {
                    name: name.to_string(),
                    table_oid: 0,
                    column_id: 0,
                    type_oid: *oid,
                    type_size: -1,
                    type_modifier: -1,
                    format: 0,
                })
                .collect(),
        }
    }

    fn row(values: &[Option<&str>]) -> DataRow {
        let mut body = Vec::new();
        let mut ranges = Vec::new();
        for v in values {
            match v {
                Some(v) => {
                    ranges.push(Some(body.len()..body.len() + v.len()));
                    body.extend_from_slice(v.as_bytes());
                }
                None => ranges.push(None),
            }
        }
        DataRow::new(Bytes::from(body), ranges)
    }

    fn render(desc: &RowDescription, rows: &[DataRow], options: TableOptions) -> String {
        let mut w = TableWriter::new(desc, options);
        let mut out = String::new();
        for r in rows {
            w.row(r, &mut out);
        }
        w.finish(&mut out, None);
        out
    }

    #[test]
    fn looks_like_psql() {
        let desc = description(&[("id", 23), ("name", 25), ("email", 25)]);
        let rows = [
            row(&[Some("1"), Some("Ada"), Some("ada@example.com")]),
            row(&[Some("22"), Some("Grace"), None]),
        ];
        assert_eq!(
            render(&desc, &rows, TableOptions::default()),
            " id | name  |      email\n\
             ----+-------+-----------------\n  \
             1 | Ada   | ada@example.com\n \
             22 | Grace | \\N\n\
             (2 rows)\n"
        );
    }

    #[test]
    fn expanded_shows_a_record_per_row() {
        let desc = description(&[("id", 23), ("long_name", 25)]);
        let rows = [row(&[Some("1"), Some("Ada")]), row(&[Some("22"), None])];
        let options = TableOptions {
            expanded: true,
            ..TableOptions::default()
        };
        assert_eq!(
            render(&desc, &rows, options.clone()),
            "-[ RECORD 1 ]-\n\
             id        | 1\n\
             long_name | Ada\n\
             -[ RECORD 2 ]-\n\
             id        | 22\n\
             long_name | \\N\n"
        );
        assert_eq!(render(&desc, &[], options), "(0 rows)\n");
    }

    #[test]
    fn empty_result_has_header_and_zero_rows() {
        let desc = description(&[("a", 25)]);
        assert_eq!(
            render(&desc, &[], TableOptions::default()),
            " a\n---\n(0 rows)\n"
        );
    }

    #[test]
    fn control_characters_and_long_values_keep_the_grid() {
        let desc = description(&[("v", 25)]);
        let long = "x".repeat(100);
        let rows = [row(&[Some("a\nb\tc")]), row(&[Some(&long)])];
        let options = TableOptions {
            max_value_width: 10,
            ..TableOptions::default()
        };
        let out = render(&desc, &rows, options);
        assert!(out.contains(" a\\nb\\tc\n"), "{out}");
        assert!(out.contains(&format!(" {}\\…\n", "x".repeat(10))), "{out}");
        assert!(
            out.contains("values longer than 10 characters were cut"),
            "{out}"
        );
        assert_eq!(out.lines().count(), 6);
    }

    #[test]
    fn wide_characters_are_measured_by_display_width() {
        let desc = description(&[("k", 25), ("n", 23)]);
        let rows = [
            row(&[Some("世界"), Some("1")]),
            row(&[Some("ab"), Some("10")]),
        ];
        let out = render(&desc, &rows, TableOptions::default());
        assert!(out.contains(" 世界 |  1\n"), "{out}");
        assert!(out.contains(" ab   | 10\n"), "{out}");
    }

    #[test]
    fn rows_after_the_first_batch_stream_with_its_widths() {
        let desc = description(&[("n", 23), ("s", 25)]);
        let options = TableOptions {
            batch_rows: 2,
            ..TableOptions::default()
        };
        let mut w = TableWriter::new(&desc, options);
        let mut out = String::new();
        w.row(&row(&[Some("1"), Some("a")]), &mut out);
        assert!(out.is_empty(), "nothing before the batch is full");
        w.row(&row(&[Some("2"), Some("b")]), &mut out);
        assert_eq!(out.lines().count(), 4);
        out.clear();
        w.row(&row(&[Some("3"), Some("c")]), &mut out);
        assert_eq!(out, " 3 | c\n");
        out.clear();
        w.finish(&mut out, Some(10));
        assert_eq!(
            out,
            "(3 of 10 rows shown; the rest were cut by --max-rows)\n"
        );
    }
}
