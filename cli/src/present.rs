//! Showing results: psql-style tables, the JSON document, JSON lines or
//! CSV, written as rows arrive.

use std::io::{self, IsTerminal, Write};

use sequelae_core::render::{
    ErrorFields, JsonResults, NdjsonResults, StatementSummary, TableOptions, TableWriter,
    csv_header, csv_row, error_text, notice_text,
};
use sequelae_core::wire::{CommandTag, DataRow, RowDescription, ServerMessage};

/// Buffered output is handed to stdout once it reaches this size.
const FLUSH_AT: usize = 64 * 1024;

/// What happened, for the presenter to show.
pub(crate) trait Presenter {
    fn columns(&mut self, description: &RowDescription) -> io::Result<()>;
    /// A row; `shown` is false once `--max-rows` is reached (counted, not shown).
    fn row(&mut self, row: &DataRow) -> io::Result<()>;
    fn copy_data(&mut self, chunk: &[u8]) -> io::Result<()>;
    fn complete(&mut self, tag: Option<&CommandTag>, summary: &StatementSummary) -> io::Result<()>;
    fn notice(&mut self, notice: &ServerMessage) -> io::Result<()>;
    /// A statement failed: `statement` is its text, `line` where it starts.
    fn error(
        &mut self,
        error: &ServerMessage,
        statement: &str,
        line: u64,
        hint: Option<&str>,
    ) -> io::Result<()>;
    /// A failure outside the server's statements (a broken rule of ours).
    fn failure(&mut self, message: &str) -> io::Result<()>;
    /// Something the user should know about the run (e.g. their COMMIT
    /// ended the script's transaction): on stderr, and in a document's
    /// `warnings` where the format has one.
    fn warning(&mut self, text: &str) -> io::Result<()> {
        let _ = writeln!(io::stderr(), "sequelae: warning: {text}");
        Ok(())
    }
    /// Writes out whatever is buffered: called before COMMIT, so that
    /// work whose results could not be written is rolled back.
    fn flush(&mut self) -> io::Result<()>;
    fn finish(&mut self, duration_ms: f64, statements: u64) -> io::Result<()>;
}

/// The presenter for the chosen format. `multi` (more than one
/// statement) picks the JSON document's shape; `source` names the script
/// in error messages.
pub(crate) fn for_options(
    options: &crate::GlobalOptions,
    multi: bool,
    source: String,
) -> Box<dyn Presenter> {
    use crate::options::OutputFormat;
    match options.output_format() {
        OutputFormat::Table => Box::new(Human::new(source, options.expanded)),
        OutputFormat::Json => Box::new(Json::new(multi)),
        OutputFormat::Ndjson => Box::new(Ndjson::new()),
        OutputFormat::Csv => Box::new(Csv::new(source)),
    }
}

/// A failed statement as psql words it; for files prefixed with the
/// script's name and the statement's line.
fn error_message(
    source: &str,
    error: &ServerMessage,
    statement: &str,
    line: u64,
    hint: Option<&str>,
) -> String {
    let mut text = error_text(error, Some(statement));
    if let Some(hint) = hint {
        text.push_str(&format!("\nHINT:  {hint}"));
    }
    if source != "<command>" {
        format!("{source}:{line}: {text}")
    } else {
        text
    }
}

/// Stdout with a buffer: results leave in large writes, and a line for
/// stderr first flushes what is pending, so the two streams stay in order.
struct Output {
    out: io::StdoutLock<'static>,
    buf: String,
}

impl Output {
    fn new() -> Output {
        Output {
            out: io::stdout().lock(),
            buf: String::new(),
        }
    }

    /// Writes the buffer out when it is large (or always, with `force`).
    fn drain(&mut self, force: bool) -> io::Result<()> {
        if force || self.buf.len() >= FLUSH_AT {
            self.out.write_all(self.buf.as_bytes())?;
            self.buf.clear();
            if force {
                self.out.flush()?;
            }
        }
        Ok(())
    }

    /// Flushes stdout, then says `text` on stderr (a stderr that is gone
    /// is ignored: there is nowhere left to say it).
    fn say(&mut self, text: &str) -> io::Result<()> {
        self.drain(true)?;
        crate::output::note(text);
        Ok(())
    }
}

/// psql-like text for people.
pub(crate) struct Human {
    out: Output,
    table: Option<TableWriter>,
    source: String,
    timing: bool,
    expanded: bool,
}

impl Human {
    pub(crate) fn new(source: String, expanded: bool) -> Human {
        Human {
            out: Output::new(),
            table: None,
            source,
            timing: io::stderr().is_terminal(),
            expanded,
        }
    }
}

impl Presenter for Human {
    fn columns(&mut self, description: &RowDescription) -> io::Result<()> {
        // A statement with several result sets: finish the previous table.
        if let Some(mut table) = self.table.take() {
            table.finish(&mut self.out.buf, None);
            self.out.buf.push('\n');
        }
        let options = TableOptions {
            expanded: self.expanded,
            ..TableOptions::default()
        };
        self.table = Some(TableWriter::new(description, options));
        Ok(())
    }

    fn row(&mut self, row: &DataRow) -> io::Result<()> {
        if let Some(table) = self.table.as_mut() {
            table.row(row, &mut self.out.buf);
        }
        self.out.drain(false)
    }

    fn copy_data(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.out.drain(true)?;
        self.out.out.write_all(chunk)
    }

    fn complete(&mut self, tag: Option<&CommandTag>, summary: &StatementSummary) -> io::Result<()> {
        match self.table.take() {
            Some(mut table) => {
                let total = summary.truncated.then_some(summary.row_count).flatten();
                table.finish(&mut self.out.buf, total);
                self.out.buf.push('\n');
            }
            None => {
                if let Some(tag) = tag {
                    self.out.buf.push_str(tag.as_str());
                    self.out.buf.push('\n');
                }
            }
        }
        self.out.drain(false)?;
        if self.timing {
            self.out
                .say(&format!("Time: {:.3} ms", summary.duration_ms))?;
        }
        Ok(())
    }

    fn notice(&mut self, notice: &ServerMessage) -> io::Result<()> {
        self.out.say(&notice_text(notice))?;
        Ok(())
    }

    fn error(
        &mut self,
        error: &ServerMessage,
        statement: &str,
        line: u64,
        hint: Option<&str>,
    ) -> io::Result<()> {
        // Rows already printed stay; a table that printed nothing yet is
        // dropped, as psql shows no result for a failed statement.
        self.table = None;
        self.out
            .say(&error_message(&self.source, error, statement, line, hint))?;
        Ok(())
    }

    fn failure(&mut self, message: &str) -> io::Result<()> {
        self.out.say(&format!("sequelae: {message}"))?;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.drain(true)
    }

    fn finish(&mut self, duration_ms: f64, statements: u64) -> io::Result<()> {
        self.out.drain(true)?;
        if self.timing && statements > 1 {
            crate::output::note(&format!(
                "Total: {statements} statements, {duration_ms:.3} ms"
            ));
        }
        Ok(())
    }
}

/// The JSON document for scripts and assistants.
pub(crate) struct Json {
    out: Output,
    results: JsonResults,
    copy_warned: bool,
}

impl Json {
    pub(crate) fn new(multi: bool) -> Json {
        Json {
            out: Output::new(),
            results: JsonResults::new(multi),
            copy_warned: false,
        }
    }
}

impl Presenter for Json {
    fn columns(&mut self, description: &RowDescription) -> io::Result<()> {
        self.results.columns(&mut self.out.buf, description);
        Ok(())
    }

    fn row(&mut self, row: &DataRow) -> io::Result<()> {
        self.results.row(&mut self.out.buf, row);
        self.out.drain(false)
    }

    fn copy_data(&mut self, _chunk: &[u8]) -> io::Result<()> {
        // COPY TO STDOUT text has no place in the JSON document; its row
        // count is reported with the statement. Say so once.
        if !self.copy_warned {
            self.copy_warned = true;
            crate::output::note(
                "sequelae: warning: COPY ... TO STDOUT data is not part of --json output \
                 (its row count is); run without --json to get the data",
            );
        }
        Ok(())
    }

    fn complete(
        &mut self,
        _tag: Option<&CommandTag>,
        summary: &StatementSummary,
    ) -> io::Result<()> {
        self.results.statement_done(&mut self.out.buf, summary);
        self.out.drain(false)
    }

    fn notice(&mut self, notice: &ServerMessage) -> io::Result<()> {
        crate::output::note(&notice_text(notice));
        Ok(())
    }

    fn error(
        &mut self,
        error: &ServerMessage,
        _statement: &str,
        _line: u64,
        hint: Option<&str>,
    ) -> io::Result<()> {
        self.results
            .failed(&mut self.out.buf, &ErrorFields::from_server(error, hint));
        self.out.drain(true)
    }

    fn warning(&mut self, text: &str) -> io::Result<()> {
        self.results.warning(text);
        let _ = writeln!(io::stderr(), "sequelae: warning: {text}");
        Ok(())
    }

    fn failure(&mut self, message: &str) -> io::Result<()> {
        let fields = ErrorFields {
            error: message.to_string(),
            ..ErrorFields::default()
        };
        self.results.failed(&mut self.out.buf, &fields);
        self.out.drain(true)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.drain(true)
    }

    fn finish(&mut self, duration_ms: f64, _statements: u64) -> io::Result<()> {
        self.results.finish(&mut self.out.buf, duration_ms);
        self.out.drain(true)
    }
}

/// JSON lines: a line per row, flushed as it is written so that a reader
/// that wants only the first rows (`| head -1`) gets them at once and the
/// run stops when it goes away.
pub(crate) struct Ndjson {
    out: Output,
    results: NdjsonResults,
    copy_warned: bool,
}

impl Ndjson {
    pub(crate) fn new() -> Ndjson {
        Ndjson {
            out: Output::new(),
            results: NdjsonResults::new(),
            copy_warned: false,
        }
    }
}

impl Presenter for Ndjson {
    fn columns(&mut self, description: &RowDescription) -> io::Result<()> {
        self.results.columns(description);
        Ok(())
    }

    fn row(&mut self, row: &DataRow) -> io::Result<()> {
        self.results.row(&mut self.out.buf, row);
        self.out.drain(true)
    }

    fn copy_data(&mut self, _chunk: &[u8]) -> io::Result<()> {
        if !self.copy_warned {
            self.copy_warned = true;
            crate::output::note(
                "sequelae: warning: COPY ... TO STDOUT data is not part of --format ndjson \
                 output (its row count is); use --format table or csv to get the data",
            );
        }
        Ok(())
    }

    fn complete(
        &mut self,
        _tag: Option<&CommandTag>,
        summary: &StatementSummary,
    ) -> io::Result<()> {
        self.results.statement_done(&mut self.out.buf, summary);
        self.out.drain(true)
    }

    fn notice(&mut self, notice: &ServerMessage) -> io::Result<()> {
        crate::output::note(&notice_text(notice));
        Ok(())
    }

    fn error(
        &mut self,
        error: &ServerMessage,
        _statement: &str,
        _line: u64,
        hint: Option<&str>,
    ) -> io::Result<()> {
        self.results
            .failed(&mut self.out.buf, &ErrorFields::from_server(error, hint));
        self.out.drain(true)
    }

    fn failure(&mut self, message: &str) -> io::Result<()> {
        let fields = ErrorFields {
            error: message.to_string(),
            ..ErrorFields::default()
        };
        self.results.failed(&mut self.out.buf, &fields);
        self.out.drain(true)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.drain(true)
    }

    fn finish(&mut self, duration_ms: f64, statements: u64) -> io::Result<()> {
        self.results
            .finish(&mut self.out.buf, statements, duration_ms);
        self.out.drain(true)
    }
}

/// CSV on stdout and nothing else there: each result set is a header
/// and its records; command tags, notices and errors go to stderr.
pub(crate) struct Csv {
    out: Output,
    columns: Option<usize>,
    source: String,
}

impl Csv {
    pub(crate) fn new(source: String) -> Csv {
        Csv {
            out: Output::new(),
            columns: None,
            source,
        }
    }
}

impl Presenter for Csv {
    fn columns(&mut self, description: &RowDescription) -> io::Result<()> {
        csv_header(&mut self.out.buf, &description.columns);
        self.columns = Some(description.columns.len());
        self.out.drain(false)
    }

    fn row(&mut self, row: &DataRow) -> io::Result<()> {
        if let Some(columns) = self.columns {
            csv_row(&mut self.out.buf, columns, row);
        }
        self.out.drain(false)
    }

    fn copy_data(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.out.drain(true)?;
        self.out.out.write_all(chunk)
    }

    fn complete(&mut self, tag: Option<&CommandTag>, summary: &StatementSummary) -> io::Result<()> {
        let had_rows = self.columns.take().is_some();
        self.out.drain(false)?;
        if summary.truncated {
            self.out.say(&format!(
                "sequelae: {} of {} rows written; the rest were cut by --max-rows",
                summary.rows_returned,
                summary.row_count.unwrap_or(summary.rows_returned)
            ))?;
        }
        if let (false, Some(tag)) = (had_rows, tag) {
            crate::output::note(tag.as_str());
        }
        Ok(())
    }

    fn notice(&mut self, notice: &ServerMessage) -> io::Result<()> {
        self.out.say(&notice_text(notice))?;
        Ok(())
    }

    fn error(
        &mut self,
        error: &ServerMessage,
        statement: &str,
        line: u64,
        hint: Option<&str>,
    ) -> io::Result<()> {
        self.columns = None;
        self.out
            .say(&error_message(&self.source, error, statement, line, hint))?;
        Ok(())
    }

    fn failure(&mut self, message: &str) -> io::Result<()> {
        self.out.say(&format!("sequelae: {message}"))?;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.drain(true)
    }

    fn finish(&mut self, _duration_ms: f64, _statements: u64) -> io::Result<()> {
        self.out.drain(true)
    }
}
