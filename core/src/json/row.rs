//! Whole rows as JSON objects or arrays.

use std::collections::HashSet;

use super::value::{write_string, write_value};
use crate::wire::{Column, DataRow};

/// The object key of each column: its name, except that a name seen before
/// in the same result gets the first free suffix `_2`, `_3`, ... .
///
/// `SELECT 1 AS a, 2 AS a` gives keys `a` and `a_2`. A suffix never takes a
/// name another column of the result has (`a, a, a_2` gives `a`, `a_3`,
/// `a_2`), so every key is unique and every value survives a consumer that
/// keeps only one value per key (serde_json, `JSON.parse`). Callers that
/// list the columns should list these keys so that the two agree.
pub fn object_keys(columns: &[Column]) -> Vec<String> {
    let taken: HashSet<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let mut seen: HashSet<String> = HashSet::with_capacity(columns.len());
    let mut keys = Vec::with_capacity(columns.len());
    for column in columns {
        let key = if seen.contains(&column.name) {
            let mut n = 2u32;
            loop {
                let candidate = format!("{}_{n}", column.name);
                if !taken.contains(candidate.as_str()) && !seen.contains(&candidate) {
                    break candidate;
                }
                n += 1;
            }
        } else {
            column.name.clone()
        };
        seen.insert(key.clone());
        keys.push(key);
    }
    keys
}

/// Renders the rows of one result set as JSON objects, with the keys
/// escaped once per result rather than once per row.
///
/// ```
/// use sequelae_core::json::RowObjectWriter;
/// # fn rows() -> (Vec<sequelae_core::wire::Column>, Vec<sequelae_core::wire::DataRow>) { (vec![], vec![]) }
/// let (columns, rows) = rows();
/// let writer = RowObjectWriter::new(&columns);
/// let mut line = String::new();
/// for row in &rows {
///     line.clear();
///     writer.write_row(&mut line, row);
///     // write `line` and a newline to the output
/// }
/// ```
#[derive(Debug, Clone)]
pub struct RowObjectWriter {
    keys: Vec<String>,
    /// `"key":` for each column, escaped and ready to append.
    prefixes: Vec<String>,
    type_oids: Vec<u32>,
}

impl RowObjectWriter {
    /// Prepares the keys of a result set's columns (see [`object_keys`]).
    pub fn new(columns: &[Column]) -> RowObjectWriter {
        let keys = object_keys(columns);
        let prefixes = keys
            .iter()
            .map(|key| {
                let mut prefix = String::with_capacity(key.len() + 3);
                write_string(&mut prefix, key);
                prefix.push(':');
                prefix
            })
            .collect();
        RowObjectWriter {
            keys,
            prefixes,
            type_oids: columns.iter().map(|c| c.type_oid).collect(),
        }
    }

    /// The object keys, in column order.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// Appends `{"key":value,...}` for one row. A row with fewer values than
    /// columns (which a server does not send) gets `null` for the missing
    /// ones; extra values are ignored.
    pub fn write_row(&self, out: &mut String, row: &DataRow) {
        out.push('{');
        for (i, (prefix, &type_oid)) in self.prefixes.iter().zip(&self.type_oids).enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(prefix);
            write_value(out, type_oid, row.get(i));
        }
        out.push('}');
    }
}

/// Appends one row as a JSON object, `{"col":value,...}`, keys as
/// [`object_keys`] names them. For many rows of one result,
/// [`RowObjectWriter`] escapes the keys only once.
pub fn write_row_object(out: &mut String, columns: &[Column], row: &DataRow) {
    RowObjectWriter::new(columns).write_row(out, row);
}

/// Appends one row as a JSON array of its values, `[value,...]`, in column
/// order: the compact form, where names are given once by the caller.
pub fn write_row_array(out: &mut String, columns: &[Column], row: &DataRow) {
    out.push('[');
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_value(out, column.type_oid, row.get(i));
    }
    out.push(']');
}
