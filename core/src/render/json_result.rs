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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Object {
    /// Nothing of the current statement written yet.
    Closed,
    /// `{"columns":[...],"rows":[` written.
    InRows { first: bool },
    /// Statement summary written; object still open (single mode).
    Summarised,
}

/// Streams results as JSON into a `String` the caller drains.
#[derive(Debug)]
pub struct JsonResults {
    multi: bool,
    started: bool,
    object: Object,
    writer: RowObjectWriter,
    statements: u64,
}

fn escape(s: &str) -> String {
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

    fn open_statement(&mut self, out: &mut String, columns: &[Column]) {
        self.start(out);
        if self.multi && self.statements > 0 {
            out.push(',');
        }
        self.statements += 1;
        let described: Vec<serde_json::Value> = columns
            .iter()
            .map(|c| match type_name(c.type_oid) {
                Some(name) => json!({"name": c.name, "type": name}),
                // Types without a well-known OID (domains, enums,
                // extensions): the OID, which pg_type resolves.
                None => json!({"name": c.name, "type": c.type_oid.to_string()}),
            })
            .collect();
        out.push_str("{\"columns\":");
        out.push_str(&serde_json::Value::Array(described).to_string());
        out.push_str(",\"rows\":[");
        self.writer = RowObjectWriter::new(columns);
        self.object = Object::InRows { first: true };
    }

    /// A result set begins.
    pub fn columns(&mut self, out: &mut String, description: &RowDescription) {
        self.open_statement(out, &description.columns);
    }

    /// One row of the current result set.
    pub fn row(&mut self, out: &mut String, row: &DataRow) {
        if let Object::InRows { first } = self.object {
            if !first {
                out.push(',');
            }
            self.writer.write_row(out, row);
            self.object = Object::InRows { first: false };
        }
    }

    /// The current statement finished.
    pub fn statement_done(&mut self, out: &mut String, summary: &StatementSummary) {
        if self.object == Object::Closed {
            self.open_statement(out, &[]);
        }
        out.push_str("],\"command\":");
        out.push_str(&match &summary.command {
            Some(c) => escape(c),
            None => "null".into(),
        });
        out.push_str(&format!(
            ",\"rowCount\":{},\"duration\":{}",
            summary.row_count.unwrap_or(summary.rows_returned),
            round_ms(summary.duration_ms)
        ));
        if summary.truncated {
            out.push_str(&format!(
                ",\"truncated\":true,\"rowsReturned\":{}",
                summary.rows_returned
            ));
        }
        if self.multi {
            out.push_str(",\"success\":true}");
            self.object = Object::Closed;
        } else {
            self.object = Object::Summarised;
        }
    }

    /// Everything succeeded: closes the document.
    pub fn finish(&mut self, out: &mut String, duration_ms: f64) {
        if self.multi {
            self.start(out);
            out.push_str(&format!(
                "],\"success\":true,\"duration\":{}}}\n",
                round_ms(duration_ms)
            ));
            return;
        }
        if self.object == Object::Closed {
            self.open_statement(out, &[]);
            out.push_str("],\"command\":null,\"rowCount\":0,\"duration\":");
            out.push_str(&round_ms(duration_ms));
        } else if let Object::InRows { .. } = self.object {
            out.push(']');
        }
        out.push_str(",\"success\":true}\n");
    }

    /// A statement failed; closes the document with the error. `query` is
    /// the failing statement, for nothing but context; `message` overrides
    /// the server's text (e.g. to add a hint of ours).
    pub fn failed(&mut self, out: &mut String, error: &ErrorFields) {
        let fields = error.to_keys();
        match self.object {
            Object::InRows { .. } => {
                out.push_str("],");
                out.push_str(&fields);
                out.push('}');
            }
            Object::Summarised => {
                out.push(',');
                out.push_str(&fields);
                out.push('}');
            }
            Object::Closed => {
                self.start(out);
                if self.multi {
                    if self.statements > 0 {
                        out.push(',');
                    }
                    out.push('{');
                    out.push_str(&fields);
                    out.push('}');
                } else {
                    out.push('{');
                    out.push_str(&fields);
                    out.push('}');
                }
            }
        }
        if self.multi {
            out.push_str("],");
            out.push_str(&fields);
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

fn round_ms(ms: f64) -> String {
    let rounded = (ms * 1000.0).round() / 1000.0;
    if rounded.is_finite() {
        rounded.to_string()
    } else {
        "0".into()
    }
}
