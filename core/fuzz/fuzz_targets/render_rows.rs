//! Arbitrary rows, as a hostile server could send them, through every
//! renderer: JSON (one object a row, and the whole results document) and
//! the aligned table. Nothing may panic, and the JSON must stay one valid
//! document (numbers past the double range inside stored `json` text are
//! valid JSON that serde_json declines to build; grammar is what counts).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sequelae_core::json::RowObjectWriter;
use sequelae_core::render::{JsonResults, StatementSummary, TableOptions, TableWriter};
use sequelae_core::wire::{Column, DataRow, RowDescription};

/// Types the renderers treat specially; a byte picks one, or the next four
/// bytes give any OID.
const TYPES: [u32; 16] = [16, 17, 20, 21, 23, 25, 26, 114, 700, 701, 790, 1184, 1700, 3802, 5069, 1007];

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let Some(width) = input.byte() else { return };
    let width = usize::from(width % 8);
    let mut columns = Vec::with_capacity(width);
    for i in 0..width {
        let pick = input.byte().unwrap_or(0);
        let type_oid = match TYPES.get(usize::from(pick) % 20) {
            Some(&oid) => oid,
            None => u32::from_le_bytes(input.take(4).try_into().unwrap_or([0; 4])),
        };
        columns.push(Column {
            name: format!("c{i}"),
            table_oid: 0,
            column_id: 0,
            type_oid,
            type_size: -1,
            type_modifier: -1,
            format: 0,
        });
    }
    let description = RowDescription { columns };
    let mut rows = Vec::new();
    while let Some(count) = input.byte() {
        let count = usize::from(count % 9);
        let mut values = Vec::with_capacity(count);
        for _ in 0..count {
            let len = input.byte().unwrap_or(0);
            values.push((len != 255).then(|| input.take(usize::from(len))));
        }
        rows.push(DataRow::from_values(values));
    }

    let writer = RowObjectWriter::new(&description.columns);
    let mut results = JsonResults::new(true);
    let mut document = String::new();
    let mut table = TableWriter::new(&description, TableOptions { batch_rows: 2, ..TableOptions::default() });
    let mut text = String::new();
    results.columns(&mut document, &description);
    for row in &rows {
        let mut line = String::new();
        writer.write_row(&mut line, row);
        assert!(valid_json(&line), "{line:?}");
        results.row(&mut document, row);
        table.row(row, &mut text);
    }
    let summary = StatementSummary {
        command: Some("SELECT".into()),
        row_count: Some(rows.len() as u64),
        rows_returned: rows.len() as u64,
        truncated: false,
        duration_ms: 0.0,
    };
    results.statement_done(&mut document, &summary);
    results.finish(&mut document, 0.0);
    table.finish(&mut text, None);
    assert!(valid_json(&document), "{document:?}");
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
});

fn valid_json(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}
