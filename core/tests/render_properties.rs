//! Rows from the network, whatever their bytes, render without panicking:
//! as JSON they are always one valid document with one key per column,
//! and as a table every row stays on one line with no raw control
//! character that could move a terminal's cursor.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use sequelae_core::json::{RowObjectWriter, oid};
use sequelae_core::render::{JsonResults, StatementSummary, TableOptions, TableWriter};
use sequelae_core::wire::{Column, DataRow, RowDescription};

/// Types whose text the renderers treat specially, and any other OID.
fn type_oid() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(oid::BOOL),
        Just(oid::BYTEA),
        Just(oid::INT2),
        Just(oid::INT4),
        Just(oid::INT8),
        Just(oid::OID),
        Just(oid::FLOAT4),
        Just(oid::FLOAT8),
        Just(oid::NUMERIC),
        Just(oid::MONEY),
        Just(oid::JSON),
        Just(oid::JSONB),
        Just(oid::TEXT),
        Just(oid::XID8),
        Just(oid::TIMESTAMPTZ),
        Just(oid::INT4_ARRAY),
        any::<u32>(),
    ]
}

/// Values: arbitrary bytes, and text shaped like the numbers and JSON a
/// server sends (where the interesting edge cases are).
fn value() -> impl Strategy<Value = Option<Vec<u8>>> {
    let numberish = "-?[0-9]{0,25}(\\.[0-9]{0,25})?([eE][-+]?[0-9]{1,22})?";
    let jsonish = "[\\[\\]{}\":,0-9a-z\\\\ -]{0,40}";
    prop_oneof![
        1 => Just(None),
        3 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(Some),
        3 => numberish.prop_map(|s| Some(s.into_bytes())),
        2 => jsonish.prop_map(|s| Some(s.into_bytes())),
        1 => "\\PC{0,20}".prop_map(|s| Some(s.into_bytes())),
    ]
}

fn column(name: String, type_oid: u32) -> Column {
    Column {
        name,
        table_oid: 0,
        column_id: 0,
        type_oid,
        type_size: -1,
        type_modifier: -1,
        format: 0,
    }
}

/// A result set: columns and rows whose width may disagree with them
/// (a server may lie; the core checks widths on the wire, renderers must
/// still cope when handed such rows).
fn result_set() -> impl Strategy<Value = (RowDescription, Vec<DataRow>)> {
    let columns = proptest::collection::vec(("\\PC{0,6}", type_oid()), 0..6);
    columns
        .prop_flat_map(|columns| {
            let width = columns.len();
            let rows = proptest::collection::vec(
                proptest::collection::vec(value(), width.saturating_sub(1)..=width + 1),
                0..8,
            );
            let description = RowDescription {
                columns: columns
                    .into_iter()
                    .map(|(name, oid)| column(name, oid))
                    .collect(),
            };
            (Just(description), rows)
        })
        .prop_map(|(description, rows)| {
            let rows = rows
                .iter()
                .map(|values| DataRow::from_values(values.iter().map(|v| v.as_deref())))
                .collect();
            (description, rows)
        })
}

/// Parses a rendered document. JSON text a server stored may hold numbers
/// beyond the double range (`'1e400'::json` is valid JSON, RFC 8259
/// leaves the range to the reader), which serde_json refuses to build a
/// value from: such a document must still be valid JSON, checked without
/// building values, and `None` says its shape cannot be looked into.
fn parse(out: &str) -> Result<Option<serde_json::Value>, TestCaseError> {
    match serde_json::from_str(out) {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.to_string().starts_with("number out of range") => {
            serde_json::from_str::<serde::de::IgnoredAny>(out)
                .map_err(|e| TestCaseError::fail(format!("{out:?}: {e}")))?;
            Ok(None)
        }
        Err(e) => Err(TestCaseError::fail(format!("{out:?}: {e}"))),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn every_row_is_one_json_object_with_a_key_per_column((description, rows) in result_set()) {
        let writer = RowObjectWriter::new(&description.columns);
        for row in &rows {
            let mut out = String::new();
            writer.write_row(&mut out, row);
            if let Some(parsed) = parse(&out)? {
                let object = parsed.as_object().ok_or_else(|| TestCaseError::fail("not an object"))?;
                prop_assert_eq!(object.len(), description.columns.len());
            }
        }
    }

    #[test]
    fn a_whole_result_is_one_json_document((description, rows) in result_set(), multi: bool) {
        let mut results = JsonResults::new(multi);
        let mut out = String::new();
        results.columns(&mut out, &description);
        for row in &rows {
            results.row(&mut out, row);
        }
        let summary = StatementSummary {
            command: Some("SELECT".into()),
            row_count: Some(rows.len() as u64),
            rows_returned: rows.len() as u64,
            truncated: false,
            duration_ms: 0.5,
        };
        results.statement_done(&mut out, &summary);
        results.finish(&mut out, 1.0);
        if let Some(parsed) = parse(&out)? {
            prop_assert!(parsed.is_object());
        }
    }

    #[test]
    fn table_rows_stay_on_their_line((description, rows) in result_set()) {
        let mut table = TableWriter::new(&description, TableOptions { batch_rows: 3, ..TableOptions::default() });
        let mut out = String::new();
        for row in &rows {
            table.row(row, &mut out);
        }
        table.finish(&mut out, None);
        prop_assert!(
            !out.chars().any(|c| c.is_control() && c != '\n'),
            "raw control character in {:?}", out
        );
        // Header, rule, one line a row, the row count.
        let lines = out.lines().count();
        let footer = out.lines().filter(|l| l.starts_with('(')).count();
        prop_assert_eq!(lines - footer, 2 + rows.len(), "{:?}", out);
    }
}
