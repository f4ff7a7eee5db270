//! `backup` (MCP's `sql_backup`) on the async runtime: the executor of
//! [`sequelae_core::backup::BackupDriver`]. The driver decides every step
//! and reads every answer; this module does what a step says to the file
//! system (on `blocking`'s thread pool), the database ([`Client`]) and
//! pg_dump (async-process), and watches the cancel flag.
//!
//! Cancelling: raise the flag and keep awaiting: pg_dump gets SIGTERM
//! (SIGKILL if it lingers), a running query or COPY is cancelled on the
//! server, the temporary files are removed, and the report says the
//! backup was cancelled. Dropping the future instead also leaves nothing
//! behind: pg_dump is killed and waited for, and the driver's cleanup
//! (the temporary output, the private password file) runs right there,
//! with blocking calls, before the drop returns.
//!
//! ```no_run
//! use std::sync::atomic::AtomicBool;
//! use sequelae_core::backup::{BackupFormat, BackupOptions};
//! use sequelae_smol::backup::{request_from_process, run};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! smol::block_on(async {
//!     let settings = sequelae_smol::settings_from_env(None).await?;
//!     let options = BackupOptions { format: BackupFormat::Custom, ..BackupOptions::default() };
//!     let request = request_from_process(options, settings).await?;
//!     let cancel = AtomicBool::new(false); // raise it from another task to stop
//!     let report = run(&request, &mut |event| eprintln!("{event:?}"), &cancel).await;
//!     println!("{}", report.summary());
//!     Ok(())
//! })
//! # }
//! ```

mod child;
mod sink;
mod workers;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_io::Timer;
use futures_lite::future;
use sequelae_core::backup::{
    BackupDriver, BackupOptions, BackupReport, FsFailure, OutputFailure, ProgressEvent, Step,
};
use sequelae_core::config::ConnectSettings;

use crate::client::Client;
use sequelae_sys::files;

pub use sequelae_sys::request::BackupRequest;

/// [`BackupRequest::from_process`] without blocking the executor: the
/// environment and the working directory are read on `blocking`'s pool.
///
/// # Errors
///
/// When the working directory cannot be read.
pub async fn request_from_process(
    options: BackupOptions,
    settings: ConnectSettings,
) -> std::io::Result<BackupRequest> {
    blocking::unblock(move || BackupRequest::from_process(options, settings)).await
}

/// The progress callback: pg_dump's progress, or the native dump's, as it
/// happens.
pub type Progress<'a> = dyn FnMut(&ProgressEvent) + Send + 'a;

/// How often a wait on work looks at the cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// Most steps the cleanup of a dropped backup takes (it needs a handful;
/// the bound only guards against a loop).
const CLEANUP_STEPS: usize = 10_000;

/// Takes the backup. `progress` gets the progress as it happens; raising
/// `cancel` (from another task, a signal handler) stops the work and
/// removes every temporary file. The report says what happened, failure
/// included. See the module's note on dropping the future.
pub async fn run(
    request: &BackupRequest,
    progress: &mut Progress<'_>,
    cancel: &AtomicBool,
) -> BackupReport {
    let started = Instant::now();
    let mut run = Run {
        driver: Some(BackupDriver::new(request.job())),
        session: None,
        output: None,
        child: None,
        workers: workers::Workers::new(&request.settings),
    };
    run.pump(progress, cancel).await;
    match run.driver.take() {
        Some(driver) => driver.finish(started.elapsed()),
        // pump only returns with the driver in place.
        None => BackupReport::new(request.options.format),
    }
}

/// A backup under way: what must be cleaned up if its future is dropped.
struct Run {
    /// `Some` until the run is over.
    driver: Option<BackupDriver>,
    session: Option<Client>,
    output: Option<sink::Sink>,
    /// pg_dump while it runs.
    child: Option<child::Running>,
    /// The worker sessions of `--jobs`.
    workers: workers::Workers,
}

/// Resolves once `cancel` is raised.
pub(crate) async fn raised(cancel: &AtomicBool) {
    while !cancel.load(Ordering::SeqCst) {
        Timer::after(CANCEL_POLL).await;
    }
}

/// `work`, or `None` once `cancel` is raised (the work is dropped).
async fn watched<T>(cancel: &AtomicBool, work: impl Future<Output = T>) -> Option<T> {
    future::or(async { Some(work.await) }, async {
        raised(cancel).await;
        None
    })
    .await
}

impl Run {
    async fn pump(&mut self, progress: &mut Progress<'_>, cancel: &AtomicBool) {
        let Run {
            driver,
            session,
            output,
            child,
            workers,
        } = self;
        let Some(driver) = driver.as_mut() else {
            return;
        };
        loop {
            if cancel.load(Ordering::SeqCst) {
                driver.cancel();
            }
            for event in driver.take_progress() {
                progress(&event);
            }
            match driver.next_step() {
                Step::ProbeOutput { folder, target } => {
                    let probe = blocking::unblock(move || files::probe(&folder, &target)).await;
                    driver.handle_probe(probe);
                }
                Step::ListFolder { folder } => {
                    let names = blocking::unblock(move || files::list(&folder)).await;
                    driver.handle_listing(&names, &files::process_alive);
                }
                Step::Remove { path } => {
                    driver.handle_removed(blocking::unblock(move || files::remove(&path)).await);
                }
                Step::CreatePrivate { path, directory } => {
                    let made =
                        blocking::unblock(move || files::create_private(&path, directory)).await;
                    driver.handle_fs(made);
                }
                Step::HardLink { from, to } => {
                    let linked = blocking::unblock(move || std::fs::hard_link(from, to)).await;
                    driver.handle_fs(linked.map_err(FsFailure::from));
                }
                Step::Rename { from, to } => {
                    let renamed = blocking::unblock(move || std::fs::rename(from, to)).await;
                    driver.handle_fs(renamed.map_err(FsFailure::from));
                }
                Step::Exists { path } => {
                    let exists = blocking::unblock(move || path.symlink_metadata().is_ok()).await;
                    driver.handle_exists(exists);
                }
                Step::SyncFolder { path } => blocking::unblock(move || files::sync(&path)).await,
                Step::Connect { settings } => {
                    match watched(cancel, Client::connect(&settings)).await {
                        None => driver.cancel(),
                        Some(Ok(client)) => {
                            let warnings = client.warnings().to_vec();
                            driver.handle_connected(client.endpoint().clone(), warnings);
                            *session = Some(client);
                        }
                        Some(Err(e)) => driver.handle_connect_error(e.to_string(), e.is_connect()),
                    }
                }
                Step::Query { sql } => {
                    let Some(client) = session.as_mut() else {
                        driver.handle_query_error("no session to query".to_string());
                        continue;
                    };
                    let stop = client.cancel_handle();
                    match watched(cancel, client.simple_query(&sql)).await {
                        None => {
                            stop_server(stop).await;
                            *session = None;
                            driver.cancel();
                        }
                        Some(Ok(results)) => {
                            let rows: Vec<_> = results.into_iter().map(|r| r.rows).collect();
                            driver.handle_rows(&rows);
                        }
                        Some(Err(e)) => driver.handle_query_error(e.to_string()),
                    }
                }
                Step::Disconnect => {
                    if let Some(client) = session.take() {
                        let _ = client.close().await;
                    }
                }
                Step::InspectProgram { path } => {
                    driver.handle_program(blocking::unblock(move || files::file_mode(&path)).await);
                }
                Step::AskVersion { program, timeout } => {
                    match child::version(&program, timeout, cancel).await {
                        Some(end) => driver.handle_version(end),
                        None => driver.cancel(),
                    }
                }
                Step::WritePassfile { request } => {
                    let written = blocking::unblock(move || files::write_private(&request)).await;
                    driver.handle_passfile(written);
                }
                Step::RunPgDump {
                    plan,
                    to_stdout,
                    supervision,
                } => {
                    child::run_pg_dump(
                        &plan,
                        to_stdout,
                        supervision,
                        driver,
                        progress,
                        cancel,
                        child,
                    )
                    .await;
                }
                Step::OpenSink { path, gzip_level } => {
                    let opened = sink::open(path, gzip_level).await;
                    driver.handle_sink(opened.map(|o| *output = Some(o)));
                }
                Step::Write(bytes) => {
                    let written = match output.as_mut() {
                        Some(out) => out.write(&bytes).await,
                        None => Err(OutputFailure::Other("the output is not open".into())),
                    };
                    driver.handle_sink(written);
                }
                Step::CloseSink => {
                    let closed = match output.take() {
                        Some(out) => out.close().await,
                        None => Ok(()),
                    };
                    driver.handle_sink(closed);
                }
                Step::CopyOut { sql } => {
                    let (Some(client), Some(out)) = (session.as_mut(), output.as_mut()) else {
                        driver.handle_copied(Err(OutputFailure::Other(
                            "no session or output for COPY".into(),
                        )));
                        continue;
                    };
                    let stop = client.cancel_handle();
                    match watched(cancel, client.copy_out(&sql, out.writer())).await {
                        None => {
                            // Stop the server's COPY; the session is given up.
                            stop_server(stop).await;
                            *session = None;
                            driver.cancel();
                        }
                        Some(copied) => {
                            let copied = copied.map(|c| (c.rows, c.bytes));
                            driver.handle_copied(copied.map_err(OutputFailure::from));
                        }
                    }
                }
                Step::Worker { worker, task } => workers.give(worker, task),
                Step::AwaitWorker => match workers.wait(cancel).await {
                    Some((worker, answer)) => driver.handle_worker(worker, answer),
                    None => driver.cancel(),
                },
                Step::StopWorkers => workers.stop().await,
                Step::AppendSpool { path } => {
                    let appended = match output.as_mut() {
                        Some(out) => out.append(path.clone()).await,
                        None => Err(OutputFailure::Other("the output is not open".into())),
                    };
                    let _ = blocking::unblock(move || files::remove(&path)).await;
                    driver.handle_sink(appended);
                }
                Step::Measure { path } => {
                    let size = blocking::unblock(move || files::size_of(&path).ok()).await;
                    driver.handle_size(size);
                }
                Step::Done => break,
            }
        }
        workers.stop().await;
    }
}

/// Best effort: cancel the server's work of a session given up on.
async fn stop_server(handle: Option<crate::CancelHandle>) {
    if let Some(handle) = handle {
        let _ = handle.cancel().await;
    }
}

/// The backup's future was dropped mid-run: the driver is cancelled and
/// its cleanup done here, synchronously (a drop cannot await): pg_dump
/// killed and waited for, then the temporary output and the password
/// file removed.
impl Drop for Run {
    fn drop(&mut self) {
        let Some(mut driver) = self.driver.take() else {
            return;
        };
        driver.cancel();
        if let Some(mut running) = self.child.take() {
            let end = running
                .kill_and_wait()
                .map(sequelae_sys::process::exit_of)
                .ok_or_else(|| "pg_dump was killed and did not end in time".to_string());
            let _ = driver.handle_pg_dump_exit(end);
        }
        self.session = None;
        self.output = None;
        // Stopped and waited for before any spool is removed.
        self.workers.stop_blocking();
        for _ in 0..CLEANUP_STEPS {
            match driver.next_step() {
                Step::Remove { path } => driver.handle_removed(files::remove(&path)),
                Step::ListFolder { folder } => {
                    driver.handle_listing(&files::list(&folder), &files::process_alive)
                }
                Step::ProbeOutput { folder, target } => {
                    driver.handle_probe(files::probe(&folder, &target))
                }
                Step::Exists { path } => driver.handle_exists(path.symlink_metadata().is_ok()),
                Step::SyncFolder { path } => files::sync(&path),
                Step::Measure { .. } => driver.handle_size(None),
                Step::CreatePrivate { .. } | Step::HardLink { .. } | Step::Rename { .. } => {
                    driver.handle_fs(Err(FsFailure::Other("the backup was dropped".into())))
                }
                Step::Connect { .. } => {
                    driver.handle_connect_error("the backup was dropped".into(), false)
                }
                Step::Query { .. } => driver.handle_query_error("the backup was dropped".into()),
                Step::Disconnect | Step::AskVersion { .. } => {}
                Step::InspectProgram { .. } => driver.handle_program(None),
                Step::WritePassfile { .. } => {
                    driver.handle_passfile(Err(FsFailure::Other("the backup was dropped".into())))
                }
                Step::RunPgDump { .. } => {
                    let _ = driver.handle_pg_dump_exit(Err("the backup was dropped".into()));
                }
                Step::OpenSink { .. } | Step::Write(_) => {
                    driver.handle_sink(Err(OutputFailure::Other("the backup was dropped".into())))
                }
                Step::CloseSink => driver.handle_sink(Ok(())),
                Step::CopyOut { .. } => {
                    driver.handle_copied(Err(OutputFailure::Other("the backup was dropped".into())))
                }
                Step::AppendSpool { path } => {
                    let _ = files::remove(&path);
                    driver.handle_sink(Err(OutputFailure::Other("the backup was dropped".into())))
                }
                Step::Worker { .. } | Step::StopWorkers => {}
                Step::AwaitWorker => driver.cancel(),
                Step::Done => break,
            }
        }
    }
}
