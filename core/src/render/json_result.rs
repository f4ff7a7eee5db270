//! The JSON result shapes of `exec` and `file`, written as rows arrive.
//!
//! One statement: `{"columns":[...],"rows":[...],"command":"SELECT",
//! "rowCount":2,"duration":1.2,"success":true}`: the keys of the original
//! sequelae-mcp shape plus `columns`. Several: `{"results":[...],
//! "success":true,"duration":...}`. Because rows are streamed, whether the
//! call succeeded is only known at the end, so `success` is the last key;
//! JSON objects are unordered, so parsers see the same shape. A failure
//! before any output is `{"success":false,"error":...,"code":...}`; a
//! failure after rows keeps them and adds the error keys.

use serde_json::json;

use crate::json::{RowObjectWriter, type_name};
use crate::wire::{Column, DataRow, RowDescription, ServerMessage};

/// How one statement ended.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementSummary {
    /// The command word(s) of the tag, e.g. `SELECT`, `CREATE TABLE`.
    pub command: Option<String>,
    /// Rows the server reported (affected or returned).
    pub row_count: Option<u64>,
    /// Rows actually written (less than `row_count` when cut).
    pub rows_returned: u64,
    /// True when `--max-rows` cut the rows.
    pub truncated: bool,
    /// Wall time of the statement in milliseconds.
    pub duration_ms: f64,
}

impl StatementSummary {
    /// `"command":...,"rowCount":...,"duration":...` (and the truncation
    /// keys when rows were cut): the keys every JSON shape gives a
    /// finished statement, without braces.
    pub(super) fn write_keys(&self, out: &mut String) {
        out.push_str("\"command\":");
        out.push_str(&match &self.command {
            Some(c) => escape(c),
            None => "null".into(),
        });
        out.push_str(&format!(
            ",\"rowCount\":{},\"duration\":{}",
            self.row_count.unwrap_or(self.rows_returned),
            round_ms(self.duration_ms)
        ));
        if self.truncated {
            out.push_str(&format!(
                ",\"truncated\":true,\"rowsReturned\":{}",
                self.rows_returned
            ));
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Object {
    /// No statement object open.
    Closed,
    /// `{"columns":[...],"rows":[` written. `extra` when this is the
    /// second or later result set of one statement, inside
    /// `"additionalResults":[{...`.
    InRows { first: bool, extra: bool },
    /// A summary (`command`, `rowCount`...) written, the statement object
    /// still open (one-statement shape); with `extra`, the last
    /// additional result is closed but its array is open.
    Summarised { extra: bool },
}

/// Streams results as JSON into a `String` the caller drains.
///
/// A statement may return several result sets (psql's `\;`, a rule with
/// several actions). In the one-statement shape the second and later ones
/// go into `"additionalResults":[{"columns","rows","command",...}]`; in the
/// `results` shape each completed result is an entry of its own.
#[derive(Debug)]
pub struct JsonResults {
    multi: bool,
    started: bool,
    object: Object,
    writer: RowObjectWriter,
    statements: u64,
    warnings: Vec<String>,
}

pub(super) fn escape(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

impl JsonResults {
    /// `multi` picks the `results` array shape (the caller knows whether
    /// the input holds more than one statement).
    pub fn new(multi: bool) -> JsonResults {
        JsonResults {
            multi,
            started: false,
            object: Object::Closed,
            writer: RowObjectWriter::new(&[]),
            statements: 0,
            warnings: Vec::new(),
        }
    }

    fn start(&mut self, out: &mut String) {
        if !self.started {
            self.started = true;
            if self.multi {
                out.push_str("{\"results\":[");
            }
        }
    }

    /// Opens a statement object, or an additional result inside the open
    /// one, for a result set with `columns`.
    fn open(&mut self, out: &mut String, columns: &[Column]) {
        let extra = match self.object {
            Object::Closed => {
                self.start(out);
                if self.multi && self.statements > 0 {
                    out.push(',');
                }
                self.statements += 1;
                out.push('{');
                false
            }
            Object::InRows { extra: false, .. } => {
                out.push_str("],\"additionalResults\":[{");
                true
            }
            Object::InRows { extra: true, .. } => {
                out.push_str("]},{");
                true
            }
            Object::Summarised { extra: false } => {
                out.push_str(",\"additionalResults\":[{");
                true
            }
            Object::Summarised { extra: true } => {
                out.push_str(",{");
                true
            }
        };
        out.push_str("\"columns\":");
        out.push_str(&columns_json(columns));
        out.push_str(",\"rows\":[");
        self.writer = RowObjectWriter::new(columns);
        self.object = Object::InRows { first: true, extra };
    }

    /// A result set begins.
    pub fn columns(&mut self, out: &mut String, description: &RowDescription) {
        self.open(out, &description.columns);
    }

    /// One row of the current result set.
    pub fn row(&mut self, out: &mut String, row: &DataRow) {
        if let Object::InRows { first, extra } = self.object {
            if !first {
                out.push(',');
            }
            self.writer.write_row(out, row);
            self.object = Object::InRows {
                first: false,
                extra,
            };
        }
    }

    /// The current statement (or result set) finished.
    pub fn statement_done(&mut self, out: &mut String, summary: &StatementSummary) {
        if !matches!(self.object, Object::InRows { .. }) {
            // A command without rows: its own (additional) result.
            self.open(out, &[]);
        }
        let Object::InRows { extra, .. } = self.object else {
            return;
        };
        out.push_str("],");
        summary.write_keys(out);
        match (self.multi, extra) {
            (true, false) => {
                out.push_str(",\"success\":true}");
                self.object = Object::Closed;
            }
            (true, true) => {
                out.push_str("}],\"success\":true}");
                self.object = Object::Closed;
            }
            (false, false) => self.object = Object::Summarised { extra: false },
            (false, true) => {
                out.push('}');
                self.object = Object::Summarised { extra: true };
            }
        }
    }

    /// Closes whatever of the current statement object is open inside
    /// it, leaving the object itself open for its last keys.
    fn close_inner(&mut self, out: &mut String) {
        match self.object {
            Object::InRows { extra: false, .. } => out.push(']'),
            Object::InRows { extra: true, .. } => out.push_str("]}]"),
            Object::Summarised { extra: true } => out.push(']'),
            Object::Summarised { extra: false } | Object::Closed => {}
        }
    }

    /// Something the user should know about the run: listed in the
    /// document's `warnings` array when it closes.
    pub fn warning(&mut self, text: &str) {
        self.warnings.push(text.to_string());
    }

    /// `,"warnings":[...]`, or nothing when there are none.
    fn warnings_key(&self) -> String {
        if self.warnings.is_empty() {
            return String::new();
        }
        let list: Vec<String> = self.warnings.iter().map(|w| escape(w)).collect();
        format!(",\"warnings\":[{}]", list.join(","))
    }

    /// Everything succeeded: closes the document.
    pub fn finish(&mut self, out: &mut String, duration_ms: f64) {
        if self.multi {
            self.start(out);
            if self.object != Object::Closed {
                self.close_inner(out);
                out.push_str(",\"success\":true}");
            }
            out.push_str(&format!(
                "],\"success\":true,\"duration\":{}{}}}\n",
                round_ms(duration_ms),
                self.warnings_key()
            ));
            return;
        }
        if self.object == Object::Closed {
            self.open(out, &[]);
            out.push_str("],\"command\":null,\"rowCount\":0,\"duration\":");
            out.push_str(&round_ms(duration_ms));
            self.object = Object::Summarised { extra: false };
        }
        self.close_inner(out);
        out.push_str(",\"success\":true");
        out.push_str(&self.warnings_key());
        out.push_str("}\n");
    }

    /// A statement failed; closes the document with the error.
    pub fn failed(&mut self, out: &mut String, error: &ErrorFields) {
        let fields = error.to_keys();
        if self.object == Object::Closed {
            self.start(out);
            if self.multi && self.statements > 0 {
                out.push(',');
            }
            out.push('{');
        } else {
            self.close_inner(out);
            out.push(',');
        }
        out.push_str(&fields);
        if !self.multi {
            out.push_str(&self.warnings_key());
        }
        out.push('}');
        if self.multi {
            out.push_str("],");
            out.push_str(&fields);
            out.push_str(&self.warnings_key());
            out.push('}');
        }
        out.push('\n');
        self.object = Object::Closed;
    }
}

/// The error keys of a failed result: `success`, `error`, and what the
/// server said beyond the message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorFields {
    /// The message shown to the user.
    pub error: String,
    /// SQLSTATE.
    pub code: Option<String>,
    /// DETAIL.
    pub detail: Option<String>,
    /// HINT.
    pub hint: Option<String>,
    /// 1-based character position in the statement.
    pub position: Option<u32>,
}

impl ErrorFields {
    /// The fields of a server error, with `hint` extended by ours if given.
    pub fn from_server(error: &ServerMessage, extra_hint: Option<&str>) -> ErrorFields {
        let hint = match (&error.hint, extra_hint) {
            (Some(h), Some(x)) => Some(format!("{h} {x}")),
            (Some(h), None) => Some(h.clone()),
            (None, Some(x)) => Some(x.to_string()),
            (None, None) => None,
        };
        ErrorFields {
            error: error.message.clone(),
            code: Some(error.code.clone()),
            detail: error.detail.clone(),
            hint,
            position: error.position,
        }
    }

    /// A whole failure document, for errors outside any statement
    /// (connection, usage).
    pub fn document(&self) -> String {
        format!("{{{}}}\n", self.to_keys())
    }

    fn to_keys(&self) -> String {
        let mut s = format!("\"success\":false,\"error\":{}", escape(&self.error));
        if let Some(code) = &self.code {
            s.push_str(&format!(",\"code\":{}", escape(code)));
        }
        if let Some(detail) = &self.detail {
            s.push_str(&format!(",\"detail\":{}", escape(detail)));
        }
        if let Some(hint) = &self.hint {
            s.push_str(&format!(",\"hint\":{}", escape(hint)));
        }
        if let Some(position) = self.position {
            s.push_str(&format!(",\"position\":{position}"));
        }
        s
    }
}

/// `[{"name":...,"type":...},...]` for a result's columns.
fn columns_json(columns: &[Column]) -> String {
    let described: Vec<serde_json::Value> = columns
        .iter()
        .map(|c| match type_name(c.type_oid) {
            Some(name) => json!({"name": c.name, "type": name}),
            // Types without a well-known OID (domains, enums, extensions):
            // the OID, which pg_type resolves.
            None => json!({"name": c.name, "type": c.type_oid.to_string()}),
        })
        .collect();
    serde_json::Value::Array(described).to_string()
}

pub(super) fn round_ms(ms: f64) -> String {
    let rounded = (ms * 1000.0).round() / 1000.0;
    if rounded.is_finite() {
        rounded.to_string()
    } else {
        "0".into()
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn description() -> RowDescription {
        RowDescription {
            columns: vec![Column {
                name: "a".into(),
                table_oid: 0,
                column_id: 0,
                type_oid: 23,
                type_size: 4,
                type_modifier: -1,
                format: 0,
            }],
        }
    }

    fn row() -> DataRow {
        DataRow::new(Bytes::from_static(b"7"), vec![Some(0..1)])
    }

    fn summary() -> StatementSummary {
        StatementSummary {
            command: Some("SELECT".into()),
            row_count: Some(1),
            rows_returned: 1,
            truncated: false,
            duration_ms: 1.0,
        }
    }

    #[derive(Debug, Clone, Copy)]
    enum Step {
        Columns,
        Row,
        Done,
    }

    /// Every sequence of up to five steps, ended by success or failure,
    /// in both shapes, makes exactly one valid JSON document.
    #[test]
    fn every_event_sequence_makes_one_valid_document() {
        let steps = [Step::Columns, Step::Row, Step::Done];
        let mut sequences: Vec<Vec<Step>> = vec![vec![]];
        for _ in 0..5 {
            let longer: Vec<Vec<Step>> = sequences
                .iter()
                .filter(|s| s.len() == sequences.last().map_or(0, Vec::len))
                .flat_map(|s| {
                    steps.iter().map(move |step| {
                        let mut next = s.clone();
                        next.push(*step);
                        next
                    })
                })
                .collect();
            sequences.extend(longer);
        }
        let error = ErrorFields {
            error: "boom".into(),
            code: Some("XX000".into()),
            ..ErrorFields::default()
        };
        for sequence in &sequences {
            for multi in [false, true] {
                for fails in [false, true] {
                    let mut w = JsonResults::new(multi);
                    let mut out = String::new();
                    for step in sequence {
                        match step {
                            Step::Columns => w.columns(&mut out, &description()),
                            Step::Row => w.row(&mut out, &row()),
                            Step::Done => w.statement_done(&mut out, &summary()),
                        }
                    }
                    if fails {
                        w.failed(&mut out, &error);
                    } else {
                        w.finish(&mut out, 2.0);
                    }
                    let parsed: serde_json::Value =
                        serde_json::from_str(&out).unwrap_or_else(|e| {
                            panic!("{sequence:?} multi={multi} fails={fails}: {e}\n{out}")
                        });
                    assert_eq!(parsed["success"], !fails, "{out}");
                }
            }
        }
    }

    #[test]
    fn a_second_result_set_is_an_additional_result() {
        let mut w = JsonResults::new(false);
        let mut out = String::new();
        w.columns(&mut out, &description());
        w.row(&mut out, &row());
        w.statement_done(&mut out, &summary());
        w.columns(&mut out, &description());
        w.row(&mut out, &row());
        w.statement_done(&mut out, &summary());
        w.finish(&mut out, 1.0);
        let v: serde_json::Value = serde_json::from_str(&out).expect("valid");
        assert_eq!(v["rows"], serde_json::json!([{"a": 7}]));
        assert_eq!(
            v["additionalResults"][0]["rows"],
            serde_json::json!([{"a": 7}])
        );
        assert_eq!(v["additionalResults"][0]["command"], "SELECT");
    }
}
