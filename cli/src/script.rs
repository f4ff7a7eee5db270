//! Runs a script: the core's [`ScriptRunner`] decides what goes around the
//! user's statements, this pumps statements from the source through the
//! client to the presenter.

use std::cell::Cell;
use std::io::{self, Read};
use std::time::{Duration, Instant};

use sequelae_core::render::StatementSummary;
use sequelae_core::session::{Finish, RunEnd, ScriptOptions, ScriptRunner, Verdict};
use sequelae_core::sql::{ScriptItem, Statement};
use sequelae_core::wire::ServerMessage;
use sequelae_std::{CANCEL_GRACE, Client, Error, QueryItem};

use crate::exit::Failure;
use crate::interrupt;
use crate::output;
use crate::present::Presenter;
use crate::source::Source;

/// What the flags asked for.
#[derive(Debug, Clone)]
pub(crate) struct RunSettings {
    pub(crate) script: ScriptOptions,
    pub(crate) max_rows: Option<u64>,
    pub(crate) timeout: Option<Duration>,
}

/// How a statement ended, as far as the pump is concerned.
enum Outcome {
    Done,
    Failed(Box<ServerMessage>),
}

/// Runs every statement of `source`; returns the failure to exit with.
pub(crate) fn run(
    client: &mut Client,
    source: &mut Source<'_>,
    settings: &RunSettings,
    presenter: &mut dyn Presenter,
) -> Result<(), Failure> {
    let mut runner =
        ScriptRunner::new(settings.script.clone()).map_err(|e| Failure::Usage(e.to_string()))?;
    let started = Instant::now();
    let cancel = client.cancel_handle();
    let _registration = cancel.map(|handle| {
        interrupt::on_interrupt(move || {
            let _ = handle.cancel();
        })
    });
    let mut statements = 0u64;
    let mut failure: Option<Failure> = None;
    let output_failed = Cell::new(false);
    let output = |e: io::Error| {
        output_failed.set(true);
        output::failure(&e)
    };

    // Every way out of the loop leaves `failure` set (or not) and goes
    // through the same ending: the presenter closes its output (a JSON
    // document stays one valid document), then COMMIT or ROLLBACK.
    loop {
        if interrupt::interrupted() {
            failure = Some(fail(presenter, Failure::Interrupted));
            break;
        }
        let statement = match source.next() {
            Ok(Some(ScriptItem::Statement(s))) => s,
            Ok(None) => break,
            // Inline COPY data is consumed with its statement; stray data
            // means the splitter and we disagree.
            Ok(Some(other)) => {
                let f = Failure::Usage(format!(
                    "{}: unexpected COPY data without a COPY statement ({other:?})",
                    source.name
                ));
                failure = Some(fail(presenter, f));
                break;
            }
            Err(f) => {
                failure = Some(fail(presenter, f));
                break;
            }
        };
        if let Some(sql) = runner.before_statement(client.transaction_status()) {
            if let Err(e) = client.simple_query(&sql) {
                failure = Some(fail(presenter, e.into()));
                break;
            }
        }
        if let Some(timeout) = settings.timeout {
            // The server's statement_timeout fires first; this catches a
            // server or network that does not answer.
            client.set_query_deadline(Some(Instant::now() + timeout + CANCEL_GRACE / 5));
        }
        statements += 1;
        let began = Instant::now();
        let outcome = run_statement(
            client,
            source,
            &statement,
            settings,
            presenter,
            &mut runner,
            began,
        );
        client.set_query_deadline(None);
        match outcome {
            Ok(Outcome::Done) => {
                if let Some(warning) = runner.statement_ended_ours(
                    client.transaction_status(),
                    &statement.text,
                    statement.line,
                ) {
                    let warning = match source.name.as_str() {
                        "<command>" => warning,
                        name => format!("{name}: {warning}"),
                    };
                    if let Err(e) = presenter.warning(&warning) {
                        failure = Some(output(e));
                        break;
                    }
                }
            }
            Ok(Outcome::Failed(error)) => {
                let interrupted = interrupt::current();
                let hint = runner.hint(&error).map(str::to_string);
                let hint = match (&hint, interrupted) {
                    (_, Some(stop)) => Some(format!("cancelled: {}", stop.message())),
                    (None, None) if settings.timeout.is_some() && error.code == "57014" => {
                        Some("the statement ran past --timeout and was cancelled".to_string())
                    }
                    _ => hint,
                };
                runner.after_statement(Some(&error));
                failure = Some(
                    match presenter.error(&error, &statement.text, statement.line, hint.as_deref())
                    {
                        Err(e) => output(e),
                        Ok(()) => Failure::Reported(interrupted.map_or(1, |s| s.code())),
                    },
                );
                break;
            }
            Err(_) if interrupt::interrupted() => {
                failure = Some(fail(presenter, Failure::Interrupted));
                break;
            }
            Err(StatementError::Output(e)) => {
                failure = Some(output(e));
                break;
            }
            Err(StatementError::Client(e)) => {
                failure = Some(fail(presenter, e.into()));
                break;
            }
        }
        if runner.after_statement(None) == Verdict::Stop {
            break;
        }
        if let Some(reason) = client
            .parameter("default_transaction_read_only")
            .and_then(|v| runner.parameter_changed("default_transaction_read_only", v))
        {
            failure = Some(fail(presenter, Failure::Database(reason)));
            break;
        }
    }

    // A signal that came while the input was read or at its end still
    // stops the run; and results still buffered must reach the reader
    // before COMMIT, or the work is rolled back.
    if failure.is_none() && interrupt::interrupted() {
        failure = Some(fail(presenter, Failure::Interrupted));
    }
    if failure.is_none() {
        if let Err(e) = presenter.flush() {
            failure = Some(output(e));
        }
    }
    let end = if interrupt::interrupted() {
        RunEnd::Interrupted
    } else if output_failed.get() {
        RunEnd::OutputFailed
    } else if failure.is_some() {
        RunEnd::Failed
    } else {
        RunEnd::Completed
    };
    // When our output is gone there is nobody to tell: skip COMMIT or
    // ROLLBACK (which would first read the abandoned result to its end);
    // closing the session rolls back on the server.
    let output_gone = matches!(failure, Some(Failure::Reported(output::READER_GONE)));
    let status = client.transaction_status();
    let mut finish = if output_gone {
        Finish {
            sql: None,
            warning: None,
        }
    } else {
        runner.finish(end, status)
    };
    // The last moment a signal can still undo the work.
    if finish.sql == Some("COMMIT") && !interrupt::commit_point() {
        failure = Some(fail(presenter, Failure::Interrupted));
        finish = runner.finish(RunEnd::Interrupted, status);
    }
    if let Some(sql) = finish.sql {
        if let Err(e) = client.simple_query(sql) {
            if failure.is_none() {
                failure = Some(fail(
                    presenter,
                    Failure::Database(format!("{sql} failed: {e}")),
                ));
            }
        }
    }
    let result = match failure {
        Some(f) => Err(f),
        None => {
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            presenter.finish(ms, statements).map_err(output)
        }
    };
    if let Some(warning) = finish.warning {
        output::note(&format!("sequelae: warning: {warning}"));
    }
    match (result, interrupt::current()) {
        // The signal came after COMMIT was sent: too late to undo, and
        // the user must know the work stands.
        (Ok(()), Some(stop)) => {
            output::note(&format!(
                "sequelae: {} after COMMIT was sent; the changes are committed",
                stop.message()
            ));
            Err(Failure::Reported(stop.code()))
        }
        (result, _) => result,
    }
}

/// Shows `failure` through the presenter (closing a JSON document with
/// it) and returns what is left to do: only the exit code.
fn fail(presenter: &mut dyn Presenter, failure: Failure) -> Failure {
    if let Failure::Reported(_) = failure {
        return failure;
    }
    match presenter.failure(&failure.message()) {
        Ok(()) => Failure::Reported(failure.code()),
        Err(_) => failure,
    }
}

enum StatementError {
    Output(io::Error),
    Client(Error),
}

fn run_statement(
    client: &mut Client,
    source: &mut Source<'_>,
    statement: &Statement,
    settings: &RunSettings,
    presenter: &mut dyn Presenter,
    runner: &mut ScriptRunner,
    began: Instant,
) -> Result<Outcome, StatementError> {
    let summary = |tag: Option<&sequelae_core::wire::CommandTag>, shown: u64| StatementSummary {
        command: tag.map(|t| t.command().to_string()),
        row_count: tag.and_then(|t| t.rows()),
        rows_returned: shown,
        truncated: settings
            .max_rows
            .is_some_and(|max| tag.and_then(|t| t.rows()).is_some_and(|n| n > max) && shown >= max),
        duration_ms: began.elapsed().as_secs_f64() * 1000.0,
    };
    if statement.copy_from_stdin && !settings.script.read_only {
        let mut data = CopyData { source };
        return match client.copy_in(&statement.text, &mut data) {
            Ok(outcome) => {
                let tag = sequelae_core::wire::CommandTag::from(format!("COPY {}", outcome.rows));
                presenter
                    .complete(Some(&tag), &summary(Some(&tag), 0))
                    .map_err(StatementError::Output)?;
                Ok(Outcome::Done)
            }
            Err(Error::Db(e)) => Ok(Outcome::Failed(e)),
            Err(e) => Err(StatementError::Client(e)),
        };
    }
    let mut shown = 0u64;
    // Under --read-only each statement goes alone through the extended
    // protocol, so the server refuses `COMMIT; INSERT ...` smuggled into
    // one string (e.g. with psql's `\;`) and the checks between
    // statements cannot be skipped.
    let stream = if settings.script.read_only {
        client.query_single(&statement.text)
    } else {
        client.query(&statement.text)
    }
    .map_err(StatementError::Client)?;
    for item in stream {
        match item {
            Ok(QueryItem::Columns(d)) => {
                shown = 0;
                presenter.columns(&d).map_err(StatementError::Output)?;
            }
            Ok(QueryItem::Row(r)) => {
                if settings.max_rows.is_none_or(|max| shown < max) {
                    shown += 1;
                    presenter.row(&r).map_err(StatementError::Output)?;
                }
            }
            Ok(QueryItem::Complete(tag)) => presenter
                .complete(Some(&tag), &summary(Some(&tag), shown))
                .map_err(StatementError::Output)?,
            Ok(QueryItem::EmptyQuery) => {}
            Ok(QueryItem::CopyData(chunk)) => presenter
                .copy_data(&chunk)
                .map_err(StatementError::Output)?,
            Ok(QueryItem::Notice(n)) => {
                runner.notice(&n);
                presenter.notice(&n).map_err(StatementError::Output)?
            }
            Err(Error::Db(e)) => return Ok(Outcome::Failed(e)),
            Err(e) => return Err(StatementError::Client(e)),
        }
    }
    Ok(Outcome::Done)
}

/// Inline COPY data of a script, read item by item from the source.
struct CopyData<'s, 'a> {
    source: &'s mut Source<'a>,
}

impl Read for CopyData<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.source.peek() {
                Ok(Some(ScriptItem::CopyData(_))) => {}
                Ok(Some(ScriptItem::CopyEnd)) => {
                    let _ = self.source.next();
                    return Ok(0);
                }
                Ok(_) => return Ok(0),
                Err(e) => return Err(io::Error::other(e.to_string())),
            }
            let Ok(Some(ScriptItem::CopyData(mut data))) = self.source.next() else {
                return Ok(0);
            };
            if data.is_empty() {
                continue;
            }
            let n = buf.len().min(data.len());
            buf[..n].copy_from_slice(&data[..n]);
            if n < data.len() {
                // Put the rest back for the next read.
                let rest = data.split_off(n);
                self.source.unread(ScriptItem::CopyData(rest));
            }
            return Ok(n);
        }
    }
}
