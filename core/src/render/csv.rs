//! Results as CSV (RFC 4180): a header row, then a record per row, CRLF
//! line ends, a field quoted when it holds a comma, a quote, CR or LF.
//!
//! NULL is an empty unquoted field and the empty string is `""`, as
//! PostgreSQL's own `COPY ... CSV` writes them, so the two stay apart.

use crate::wire::{Column, DataRow};

/// Appends `field` to `out`, quoted when it has to be (or when empty, to
/// tell it from NULL).
fn write_field(out: &mut String, field: &str) {
    let quote = field.is_empty()
        || field
            .bytes()
            .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
    if quote {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// The header record: the column names.
pub fn csv_header(out: &mut String, columns: &[Column]) {
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_field(out, &column.name);
    }
    out.push_str("\r\n");
}

/// One record with `columns` fields. A value that is not UTF-8 (which a
/// UTF8 session does not send) has its bad bytes replaced.
pub fn csv_row(out: &mut String, columns: usize, row: &DataRow) {
    for i in 0..columns {
        if i > 0 {
            out.push(',');
        }
        if let Some(bytes) = row.get(i) {
            write_field(out, &String::from_utf8_lossy(bytes));
        }
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn column(name: &str) -> Column {
        Column {
            name: name.into(),
            table_oid: 0,
            column_id: 0,
            type_oid: 25,
            type_size: -1,
            type_modifier: -1,
            format: 0,
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

    #[test]
    fn quotes_only_what_must_be_quoted() {
        let mut out = String::new();
        csv_header(&mut out, &[column("id"), column("a,b"), column("c")]);
        csv_row(
            &mut out,
            3,
            &row(&[Some("1"), Some("say \"hi\""), Some("x\r\ny")]),
        );
        csv_row(&mut out, 3, &row(&[Some("2"), None, Some("")]));
        assert_eq!(
            out,
            "id,\"a,b\",c\r\n1,\"say \"\"hi\"\"\",\"x\r\ny\"\r\n2,,\"\"\r\n"
        );
    }
}
