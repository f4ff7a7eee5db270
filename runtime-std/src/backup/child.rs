//! pg_dump as a child process: spawning it, reading its pipes, signalling
//! and reaping it, as the driver's [`Supervision`] says. What its output
//! and exit mean is the driver's.

use std::io::{self, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use sequelae_core::backup::{
    BackupDriver, ChildWatch, CommandEnd, PgDumpPlan, ProcessExit, ProgressEvent, Supervision,
    WatchAction,
};
use sequelae_sys::process::{self, exit_of};

/// `program --version` and what it wrote; `None` when `cancel` was raised
/// (the program is killed).
pub(super) fn version(
    program: &Path,
    timeout: Duration,
    cancel: &AtomicBool,
) -> Option<CommandEnd> {
    let spawned = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => return Some(CommandEnd::NotStarted(e.to_string())),
    };
    let deadline = Instant::now() + timeout;
    let exit = loop {
        match child.try_wait() {
            Ok(Some(status)) => break exit_of(Ok(status)),
            Ok(None) if cancel.load(Ordering::SeqCst) || Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return (!cancel.load(Ordering::SeqCst)).then_some(CommandEnd::TimedOut);
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(e) => break exit_of(Err(e)),
        }
    };
    Some(CommandEnd::Exited {
        exit,
        stdout: read_all(child.stdout.take()),
        stderr: read_all(child.stderr.take()),
    })
}

/// What is left in a child's pipe, as text (empty when unreadable).
fn read_all(pipe: Option<impl Read>) -> String {
    let mut text = String::new();
    if let Some(mut pipe) = pipe {
        let _ = pipe.read_to_string(&mut text);
    }
    text
}

/// Runs `plan` (its standard output is ours when `to_stdout`: the backup
/// streams there), feeding its standard error to `driver` and the progress
/// that gives to `progress`, until pg_dump ends; when `cancel` is raised,
/// SIGTERM, then SIGKILL if it lingers. Answers the driver.
pub(super) fn run_pg_dump(
    plan: &PgDumpPlan,
    to_stdout: bool,
    supervision: Supervision,
    driver: &mut BackupDriver,
    progress: &mut dyn FnMut(&ProgressEvent),
    cancel: &AtomicBool,
) {
    // The parent-death signal comes when this thread ends: it spawns and
    // waits for pg_dump, so it outlives the child.
    let mut cmd = process::pg_dump_command(plan);
    cmd.stdin(Stdio::null())
        .stdout(if to_stdout {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => return report_exit(Err(e.to_string()), driver, progress, cancel),
    };
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let reader = child.stderr.take().map(|mut pipe| {
        thread::spawn(move || {
            let mut buf = vec![0u8; 8192];
            loop {
                match pipe.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) if tx.send(buf[..n].to_vec()).is_err() => break,
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        })
    });
    let mut watch = ChildWatch::new(supervision);
    let mut status = None;
    loop {
        match rx.recv_timeout(supervision.poll) {
            Ok(bytes) => {
                for event in driver.handle_stderr(&bytes) {
                    progress(&event);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if !watch.has_exited() {
            status = child.try_wait().transpose();
            if status.is_some() {
                watch.exited(Instant::now());
            }
        }
        match watch.next(Instant::now(), cancel.load(Ordering::SeqCst)) {
            WatchAction::Wait => {}
            WatchAction::Terminate => process::send_signal(child.id(), false),
            WatchAction::Kill => {
                let _ = child.kill();
            }
            WatchAction::Stop => break,
        }
    }
    let status = status.unwrap_or_else(|| {
        // Standard error closed first; the reader is done.
        if let Some(reader) = reader {
            let _ = reader.join();
        }
        child.wait()
    });
    report_exit(Ok(exit_of(status)), driver, progress, cancel);
}

/// Tells the driver how pg_dump ended (a cancel first, if one was
/// raised) and hands on the progress that gives.
fn report_exit(
    end: Result<ProcessExit, String>,
    driver: &mut BackupDriver,
    progress: &mut dyn FnMut(&ProgressEvent),
    cancel: &AtomicBool,
) {
    if cancel.load(Ordering::SeqCst) {
        driver.cancel();
    }
    for event in driver.handle_pg_dump_exit(end) {
        progress(&event);
    }
}
