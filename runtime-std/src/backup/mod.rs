//! `sequelae backup` on the blocking runtime: the executor of
//! [`sequelae_core::backup::BackupDriver`]. The driver decides every step
//! and reads every answer; this module does what a step says to the file
//! system ([`sequelae_sys::files`]), the database ([`Client`]) and pg_dump
//! (its `child` module, with [`sequelae_sys::process`]), and watches the
//! cancel flag.
//!
//! ```no_run
//! use std::sync::atomic::AtomicBool;
//! use sequelae_core::backup::{BackupFormat, BackupOptions};
//! use sequelae_std::backup::{BackupRequest, run};
//! # fn main() -> std::io::Result<()> {
//! let settings = sequelae_std::settings_from_env(None).expect("settings");
//! let options = BackupOptions { format: BackupFormat::Custom, ..BackupOptions::default() };
//! let report = run(&BackupRequest::from_process(options, settings)?, &mut |_| {}, &AtomicBool::new(false));
//! println!("{}", report.summary());
//! # Ok(()) }
//! ```

mod child;
mod workers;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use sequelae_core::backup::{
    BackupDriver, BackupReport, FsFailure, OutputFailure, ProgressEvent, Step,
};

use crate::client::Client;
use sequelae_sys::files;
use sequelae_sys::output::Output;

pub use sequelae_sys::request::BackupRequest;

/// How often a wait on blocking work looks at the cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// Takes the backup. `progress` gets pg_dump's progress as it happens;
/// raising `cancel` (from a Ctrl-C handler) stops pg_dump and removes
/// every temporary file. The report says what happened, failure included.
pub fn run(
    request: &BackupRequest,
    progress: &mut dyn FnMut(&ProgressEvent),
    cancel: &AtomicBool,
) -> BackupReport {
    let started = Instant::now();
    let mut driver = BackupDriver::new(request.job());
    let mut session: Option<Client> = None;
    let mut output: Option<Output> = None;
    let mut workers = workers::Workers::new(&request.settings);
    loop {
        if cancel.load(Ordering::SeqCst) {
            driver.cancel();
        }
        for event in driver.take_progress() {
            progress(&event);
        }
        match driver.next_step() {
            Step::ProbeOutput { folder, target } => {
                driver.handle_probe(files::probe(&folder, &target));
            }
            Step::ListFolder { folder } => {
                driver.handle_listing(&files::list(&folder), &files::process_alive);
            }
            Step::Remove { path } => driver.handle_removed(files::remove(&path)),
            Step::CreatePrivate { path, directory } => {
                driver.handle_fs(files::create_private(&path, directory));
            }
            Step::HardLink { from, to } => {
                driver.handle_fs(std::fs::hard_link(from, to).map_err(FsFailure::from));
            }
            Step::Rename { from, to } => {
                driver.handle_fs(std::fs::rename(from, to).map_err(FsFailure::from));
            }
            Step::Exists { path } => driver.handle_exists(path.symlink_metadata().is_ok()),
            Step::SyncFolder { path } => files::sync(&path),
            Step::Connect { settings } => {
                match watched(cancel, move || Client::connect(&settings)) {
                    None => driver.cancel(),
                    Some(Err(lost)) => driver.handle_connect_error(lost, false),
                    Some(Ok(Ok(client))) => {
                        let warnings = client.warnings().to_vec();
                        driver.handle_connected(client.endpoint().clone(), warnings);
                        session = Some(client);
                    }
                    Some(Ok(Err(e))) => driver.handle_connect_error(e.to_string(), e.is_connect()),
                }
            }
            Step::Query { sql } => {
                let Some(mut client) = session.take() else {
                    driver.handle_query_error("no session to query".to_string());
                    continue;
                };
                // The session goes to the thread and comes back with the
                // answer; an interrupted one is left to end on its own.
                match watched(cancel, move || {
                    let results = client.simple_query(&sql);
                    (client, results)
                }) {
                    None => driver.cancel(),
                    Some(Err(lost)) => driver.handle_query_error(lost),
                    Some(Ok((client, Ok(results)))) => {
                        session = Some(client);
                        let rows: Vec<_> = results.into_iter().map(|r| r.rows).collect();
                        driver.handle_rows(&rows);
                    }
                    Some(Ok((_, Err(e)))) => driver.handle_query_error(e.to_string()),
                }
            }
            Step::Disconnect => {
                if let Some(client) = session.take() {
                    let _ = client.close();
                }
            }
            Step::InspectProgram { path } => driver.handle_program(files::file_mode(&path)),
            Step::AskVersion { program, timeout } => {
                match child::version(&program, timeout, cancel) {
                    Some(end) => driver.handle_version(end),
                    None => driver.cancel(),
                }
            }
            Step::WritePassfile { request } => {
                driver.handle_passfile(files::write_private(&request));
            }
            Step::RunPgDump {
                plan,
                to_stdout,
                supervision,
            } => child::run_pg_dump(&plan, to_stdout, supervision, &mut driver, progress, cancel),
            Step::OpenSink { path, gzip_level } => {
                let opened = Output::open(path.as_deref(), gzip_level);
                driver.handle_sink(
                    opened
                        .map(|o| output = Some(o))
                        .map_err(OutputFailure::from),
                );
            }
            Step::Write(bytes) => {
                driver.handle_sink(on_output(&mut output, |o| o.write_all(&bytes)))
            }
            Step::CloseSink => driver.handle_sink(
                output
                    .take()
                    .map_or(Ok(()), Output::close)
                    .map_err(OutputFailure::from),
            ),
            Step::CopyOut { sql } => {
                let (Some(mut client), Some(mut out)) = (session.take(), output.take()) else {
                    driver.handle_copied(Err(OutputFailure::Other(
                        "no session or output for COPY".into(),
                    )));
                    continue;
                };
                let stop = client.cancel_handle();
                match watched(cancel, move || {
                    let copied = client.copy_out(&sql, &mut out);
                    (client, out, copied)
                }) {
                    None => {
                        // The server stops the COPY; the thread then ends.
                        let _ = stop.map(|s| s.cancel());
                        driver.cancel();
                    }
                    Some(Err(lost)) => driver.handle_copied(Err(OutputFailure::Other(lost))),
                    Some(Ok((client, out, copied))) => {
                        session = Some(client);
                        output = Some(out);
                        let copied = copied.map(|c| (c.rows, c.bytes));
                        driver.handle_copied(copied.map_err(OutputFailure::from));
                    }
                }
            }
            Step::Worker { worker, task } => workers.give(worker, task),
            Step::AwaitWorker => match workers.wait(cancel) {
                Some((worker, answer)) => driver.handle_worker(worker, answer),
                None => driver.cancel(),
            },
            Step::StopWorkers => workers.stop(),
            Step::AppendSpool { path } => {
                let appended = on_output(&mut output, |o| o.append(&path));
                files::remove(&path);
                driver.handle_sink(appended);
            }
            Step::Measure { path } => driver.handle_size(files::size_of(&path).ok()),
            Step::Done => break,
        }
    }
    workers.stop();
    driver.finish(started.elapsed())
}

/// Does `step` to the open output (the driver opens it before any).
fn on_output(
    output: &mut Option<Output>,
    step: impl FnOnce(&mut Output) -> std::io::Result<()>,
) -> Result<(), OutputFailure> {
    let output = output
        .as_mut()
        .ok_or_else(|| OutputFailure::Other("the output is not open".into()))?;
    Ok(step(output)?)
}

/// Runs `work` on its own thread and waits for it while watching
/// `cancel`: a server that accepts and never answers must not make Ctrl-C
/// wait for the connect timeout. `None` when interrupted (the thread is
/// left to end on its own; nothing of it is used); `Err` when the thread
/// could not start or died.
fn watched<T: Send + 'static>(
    cancel: &AtomicBool,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<Result<T, String>> {
    let (tx, rx) = mpsc::channel();
    let spawned = thread::Builder::new()
        .name("sequelae-backup-session".into())
        .spawn(move || {
            let _ = tx.send(work());
        });
    if let Err(e) = spawned {
        return Some(Err(format!("cannot start a thread for the session: {e}")));
    }
    loop {
        if cancel.load(Ordering::SeqCst) {
            return None;
        }
        match rx.recv_timeout(CANCEL_POLL) {
            Ok(value) => return Some(Ok(value)),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Some(Err("the session's thread stopped unexpectedly".to_string()));
            }
        }
    }
}
