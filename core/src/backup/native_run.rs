//! The native method inside the backup driver: what it cannot do yet
//! (checked before any work), and [`NativeDump`]'s steps turned into the
//! driver's, with the progress and the counts they give.

use super::catalog::Selection;
use super::error::BackupError;
use super::format::BackupFormat;
use super::native::{
    NativeDump, NativeOptions, NativeSelection, NativeSummary, Step as NativeStep, TableCopy,
};
use super::options::{BackupOptions, Compression};
use super::progress::ProgressEvent;
use super::step::Step;
use super::version::ServerVersion;
use crate::wire::DataRow;

/// Fails when the native method would run with an option it cannot
/// honour yet, naming both ways out: the pg_dump that can, or dropping
/// the option.
pub(super) fn check_native(
    options: &BackupOptions,
    server: ServerVersion,
) -> Result<(), BackupError> {
    let cannot = |what: &str, fix: &str| {
        Err(BackupError::NativeCannot {
            what: what.to_string(),
            fix: fix.to_string(),
            server_major: server.major_text(),
        })
    };
    if options.format != BackupFormat::Plain {
        let what = format!("write the {} format", options.format);
        return cannot(&what, "use --format plain");
    }
    Ok(())
}

/// The gzip level of a native (plain) backup, `None` for plain bytes.
pub(super) fn gzip_level(compression: Compression) -> Option<u32> {
    match compression {
        Compression::Level(level) if level > 0 => Some(u32::from(level)),
        _ => None,
    }
}

/// A native dump under way, with what it copied so far.
#[derive(Debug)]
pub(super) struct NativeRun {
    dump: NativeDump,
    allow_incomplete: bool,
    checked_unsupported: bool,
    /// Tables with data, as the catalog counted them.
    total: usize,
    started: usize,
    finished: usize,
    rows: u64,
    bytes: u64,
    /// The table being copied (`None`: large objects).
    copying: Option<String>,
    /// The dump goes to standard output: a failure leaves the reader an
    /// incomplete backup rather than no file.
    streaming: bool,
    /// The table data, to be copied by workers (`--jobs`).
    together: Option<Vec<TableCopy>>,
}

impl NativeRun {
    pub(super) fn new(
        options: &BackupOptions,
        server: ServerVersion,
        selection: &Selection,
    ) -> Result<NativeRun, BackupError> {
        let total = selection.data_tables;
        let native = NativeOptions {
            schema_only: options.schema_only,
            data_only: options.data_only,
            no_owner: options.no_owner,
            no_privileges: options.no_privileges,
            lock_wait_timeout_ms: options.lock_wait_timeout_ms,
            disable_triggers: options.disable_triggers,
            selection: NativeSelection {
                tables: selection.tables.clone(),
                schemas: selection.schemas.clone(),
                exclude_tables: selection.exclude_tables.clone(),
            },
        };
        // Nothing is written before the dump exists.
        let mut dump = NativeDump::new(native, server.0).map_err(|e| native_error(e, false))?;
        if options.jobs > 1 {
            dump.copy_tables_together();
        }
        Ok(NativeRun {
            dump,
            allow_incomplete: options.allow_incomplete,
            checked_unsupported: false,
            total,
            started: 0,
            finished: 0,
            rows: 0,
            bytes: 0,
            streaming: options.streams_to_stdout(),
            copying: None,
            together: None,
        })
    }

    /// The next step, with the progress it starts; `Ok(None)` when the
    /// dump is over.
    pub(super) fn next(
        &mut self,
        server: ServerVersion,
    ) -> Result<(Option<Step>, Option<ProgressEvent>), BackupError> {
        Ok(match self.dump.next_step() {
            NativeStep::Query { sql } => (Some(Step::Query { sql }), None),
            NativeStep::Write(bytes) => {
                self.check_unsupported(server)?;
                (Some(Step::Write(bytes)), None)
            }
            NativeStep::Copy { table, sql } => {
                let event = if table.schema == "pg_catalog" {
                    self.copying = None;
                    None
                } else {
                    let name = table.to_string();
                    self.started += 1;
                    self.total = self.total.max(self.started);
                    self.copying = Some(name.clone());
                    Some(ProgressEvent::TableData {
                        table: name,
                        started: self.started,
                        total: self.total,
                    })
                };
                (Some(Step::CopyOut { sql }), event)
            }
            NativeStep::CopyTables { tables } => {
                self.together = Some(tables);
                (None, None)
            }
            NativeStep::Done => (None, None),
        })
    }

    /// The tables for workers to copy, with the snapshot they join, when
    /// the last [`next`](Self::next) ended on them.
    pub(super) fn take_tables(&mut self) -> Option<(Vec<TableCopy>, String)> {
        let tables = self.together.take()?;
        Some((tables, self.dump.snapshot().unwrap_or_default().to_string()))
    }

    /// The last [`next`](Self::next) ended on tables for workers.
    pub(super) fn has_tables(&self) -> bool {
        self.together.is_some()
    }

    /// The workers copied `tables` tables: `rows` rows, `bytes` bytes.
    pub(super) fn tables_copied(
        &mut self,
        tables: usize,
        rows: u64,
        bytes: u64,
    ) -> Result<(), BackupError> {
        self.dump
            .handle_copy_done(rows)
            .map_err(|e| native_error(e, self.streaming))?;
        self.started += tables;
        self.finished += tables;
        self.rows += rows;
        self.bytes += bytes;
        Ok(())
    }

    /// Before the first byte: objects the dump leaves out fail the backup
    /// unless they were allowed.
    fn check_unsupported(&mut self, server: ServerVersion) -> Result<(), BackupError> {
        if self.checked_unsupported {
            return Ok(());
        }
        self.checked_unsupported = true;
        let objects = self.unsupported();
        if objects.is_empty() || self.allow_incomplete {
            return Ok(());
        }
        Err(BackupError::Incomplete {
            objects,
            server_major: server.major_text(),
        })
    }

    fn unsupported(&self) -> Vec<String> {
        self.dump
            .unsupported()
            .iter()
            .map(|o| format!("{} {}", o.kind, o.name))
            .collect()
    }

    /// The rows of the last query: the last statement's.
    pub(super) fn rows(&mut self, results: &[Vec<DataRow>]) -> Result<(), BackupError> {
        let rows = results.last().cloned().unwrap_or_default();
        self.dump
            .handle_rows(rows)
            .map_err(|e| native_error(e, self.streaming))
    }

    /// The last query or COPY failed.
    pub(super) fn failed(&mut self, message: &str) -> BackupError {
        native_error(self.dump.handle_error(message), self.streaming)
    }

    /// The last COPY streamed `rows` rows, `bytes` bytes.
    pub(super) fn copied(&mut self, rows: u64, bytes: u64) -> Result<ProgressEvent, BackupError> {
        self.dump
            .handle_copy_done(rows)
            .map_err(|e| native_error(e, self.streaming))?;
        self.rows += rows;
        self.bytes += bytes;
        if let Some(table) = self.copying.take() {
            self.finished += 1;
            return Ok(ProgressEvent::TableCopied {
                table,
                finished: self.finished,
                total: self.total,
                rows: self.rows,
                bytes: self.bytes,
            });
        }
        Ok(ProgressEvent::TableCopied {
            table: "large objects".to_string(),
            finished: self.finished,
            total: self.total,
            rows: self.rows,
            bytes: self.bytes,
        })
    }

    /// The warnings of a finished dump (left-out objects, when allowed,
    /// included), and the rows it copied.
    pub(super) fn finish(self) -> Result<(Vec<String>, u64), BackupError> {
        let left_out = self.unsupported();
        let (rows, streaming) = (self.rows, self.streaming);
        let NativeSummary { warnings, .. } =
            self.dump.finish().map_err(|e| native_error(e, streaming))?;
        let mut all: Vec<String> = left_out
            .into_iter()
            .map(|o| format!("not in the backup (the native method cannot dump it yet): {o}"))
            .collect();
        all.extend(warnings);
        Ok((all, rows))
    }
}

fn native_error(e: super::native::NativeError, streamed: bool) -> BackupError {
    BackupError::NativeDump {
        message: e.to_string(),
        streamed,
    }
}
