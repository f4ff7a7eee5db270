//! Runs a script: the core's [`ScriptDriver`] decides every step (the SQL
//! around the statements, `--read-only`, `--max-rows`, the deadline, the
//! hints, COMMIT or ROLLBACK); this pumps its actions through the client
//! and shows what it yields through the presenter.

use std::io::{self, Read};
use std::time::Instant;

use sequelae_core::session::{Output, RunFailure, ScriptAction, ScriptDriver};
use sequelae_core::sql::ScriptItem;
use sequelae_std::{Client, Error};

use crate::exit::Failure;
use crate::interrupt;
use crate::output;
use crate::present::Presenter;
use crate::source::Source;

/// Runs every statement of `source` as `driver` says; returns the failure
/// to exit with.
pub(crate) fn run(
    client: &mut Client,
    source: &mut Source<'_>,
    mut driver: ScriptDriver<Failure>,
    presenter: &mut dyn Presenter,
) -> Result<(), Failure> {
    let cancel = client.cancel_handle();
    let _registration = cancel.map(|handle| {
        interrupt::on_interrupt(move || {
            let _ = handle.cancel();
        })
    });
    // Whether the last failure shown through the presenter reached it: if
    // not, it is still to be reported (on stderr, at least).
    let mut failure_unshown = false;
    loop {
        if let Some(stop) = interrupt::current() {
            driver.interrupt(stop.message());
        }
        match driver.next_action(Instant::now(), client.transaction_status()) {
            ScriptAction::ReadInput => match source.next() {
                Ok(item) => driver.handle_input(item),
                Err(f) => {
                    let message = f.message();
                    driver.fail(f, message);
                }
            },
            ScriptAction::Prepare(sql) => {
                if let Err(e) = client.simple_query(&sql) {
                    let f = Failure::from(e);
                    let message = f.message();
                    driver.fail(f, message);
                } else {
                    driver.handle_done();
                }
            }
            ScriptAction::SetDeadline(deadline) => client.set_query_deadline(deadline),
            ScriptAction::Query { sql, alone } => {
                run_query(client, &mut driver, presenter, &sql, alone);
            }
            ScriptAction::CopyIn { sql } => match client.copy_in(&sql, &mut CopyData { source }) {
                Ok(outcome) => driver.handle_copy_done(outcome.rows, Instant::now()),
                Err(e) => statement_failed(&mut driver, e),
            },
            ScriptAction::ReadParameter(name) => driver.handle_parameter(client.parameter(name)),
            ScriptAction::Show(Output::Failure(message)) => {
                failure_unshown = presenter.failure(&message).is_err();
            }
            ScriptAction::Show(out) => {
                if let Err(e) = show(presenter, out) {
                    output_failed(&mut driver, &e);
                }
            }
            ScriptAction::Flush => {
                if let Err(e) = presenter.flush() {
                    output_failed(&mut driver, &e);
                }
            }
            ScriptAction::Commit => {
                // The last moment a signal can still undo the work: if one
                // came, the driver hears of it at the top of the loop and
                // rolls back instead.
                if interrupt::commit_point() {
                    end(client, &mut driver, "COMMIT");
                }
            }
            ScriptAction::Rollback => end(client, &mut driver, "ROLLBACK"),
            ScriptAction::Done => break,
        }
    }
    let Some(failure) = driver.finish().failure else {
        return Ok(());
    };
    let shown = |f: Failure| {
        if failure_unshown {
            f
        } else {
            Failure::Reported(f.code())
        }
    };
    Err(match failure {
        RunFailure::Statement { interrupted } => Failure::Reported(if interrupted {
            Failure::Interrupted.code()
        } else {
            1
        }),
        RunFailure::Output(f) => f,
        RunFailure::InterruptedAfterCommit => Failure::Reported(Failure::Interrupted.code()),
        RunFailure::Local(f) => shown(f),
        RunFailure::Interrupted => shown(Failure::Interrupted),
        RunFailure::ReadOnlyTurnedOff(m) | RunFailure::Ending(m) => shown(Failure::Database(m)),
        RunFailure::StrayCopyData(m) => shown(Failure::Usage(m)),
    })
}

/// Streams one user statement's results to the presenter.
fn run_query(
    client: &mut Client,
    driver: &mut ScriptDriver<Failure>,
    presenter: &mut dyn Presenter,
    sql: &str,
    alone: bool,
) {
    let stream = if alone {
        client.query_single(sql)
    } else {
        client.query(sql)
    };
    let stream = match stream {
        Ok(stream) => stream,
        Err(e) => return statement_failed(driver, e),
    };
    for item in stream {
        match item {
            Ok(item) => {
                let Some(out) = driver.handle_item(item, Instant::now()) else {
                    continue;
                };
                if let Err(e) = show(presenter, out) {
                    // Dropping the stream discards the rest of the result.
                    return output_failed(driver, &e);
                }
            }
            Err(e) => return statement_failed(driver, e),
        }
    }
    driver.handle_done();
}

/// COMMIT or ROLLBACK.
fn end(client: &mut Client, driver: &mut ScriptDriver<Failure>, sql: &str) {
    match client.simple_query(sql) {
        Ok(_) => driver.handle_done(),
        Err(e) => {
            let message = e.to_string();
            driver.fail(Failure::from(e), message);
        }
    }
}

fn statement_failed(driver: &mut ScriptDriver<Failure>, e: Error) {
    match e {
        Error::Db(error) => driver.handle_error(error),
        e => {
            let f = Failure::from(e);
            let message = f.message();
            driver.fail(f, message);
        }
    }
}

fn output_failed(driver: &mut ScriptDriver<Failure>, e: &io::Error) {
    driver.handle_output_failed(output::failure(e), e.kind() == io::ErrorKind::BrokenPipe);
}

/// Hands one output of the driver to the presenter.
fn show(presenter: &mut dyn Presenter, out: Output) -> io::Result<()> {
    match out {
        Output::Columns(d) => presenter.columns(&d),
        Output::Row(r) => presenter.row(&r),
        Output::CopyData(chunk) => presenter.copy_data(&chunk),
        Output::Complete { tag, summary } => presenter.complete(Some(&tag), &summary),
        Output::Notice(n) => presenter.notice(&n),
        Output::Warning(w) => presenter.warning(&w),
        Output::StatementError {
            error,
            statement,
            line,
            hint,
        } => presenter.error(&error, &statement, line, hint.as_deref()),
        Output::Failure(message) => presenter.failure(&message),
        Output::Summary {
            statements,
            duration_ms,
        } => presenter.finish(duration_ms, statements),
        Output::LateWarning(w) => {
            output::note(&format!("sequelae: warning: {w}"));
            Ok(())
        }
        Output::Note(n) => {
            output::note(&format!("sequelae: {n}"));
            Ok(())
        }
    }
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
