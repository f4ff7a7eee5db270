//! pg_dump as a child process: spawning it, reading its standard error
//! asynchronously, signalling and reaping it, as the driver's
//! [`Supervision`] says. What its output and exit mean is the driver's.
//!
//! pg_dump is spawned from a thread of its own that waits for it: on
//! Linux the child gets SIGTERM when the thread that spawned it dies
//! (PR_SET_PDEATHSIG), so that thread must outlive the child, whatever
//! the executor does with its threads. A killed sequelae then never leaves
//! pg_dump writing on.

use std::io;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use async_io::Timer;
use async_process::{ChildStderr, Command};
use futures_lite::{AsyncReadExt, future};
use sequelae_core::backup::{
    BackupDriver, ChildWatch, CommandEnd, PgDumpPlan, ProcessExit, Supervision, WatchAction,
};
use sequelae_sys::process::{self, exit_of, send_signal};

use super::Progress;

/// How long the cleanup of a dropped backup waits for a killed pg_dump.
const KILL_WAIT: Duration = Duration::from_secs(5);

/// `program --version` and what it wrote; `None` when `cancel` was raised
/// (the program is killed).
pub(super) async fn version(
    program: &Path,
    timeout: Duration,
    cancel: &AtomicBool,
) -> Option<CommandEnd> {
    let mut cmd = Command::new(program);
    cmd.arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A timeout or a cancel drops the future, and the child with it.
        .kill_on_drop(true);
    let ran = future::or(async { Some(Some(cmd.output().await)) }, async {
        future::or(
            async {
                Timer::after(timeout).await;
                Some(None)
            },
            async {
                super::raised(cancel).await;
                None
            },
        )
        .await
    })
    .await?;
    Some(match ran {
        None => CommandEnd::TimedOut,
        Some(Err(e)) => CommandEnd::NotStarted(e.to_string()),
        Some(Ok(output)) => CommandEnd::Exited {
            exit: exit_of(Ok(output.status)),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        },
    })
}

/// A running pg_dump: its pid for signals, and how its end arrives.
#[derive(Debug)]
pub(super) struct Running {
    pid: u32,
    exit: mpsc::Receiver<io::Result<ExitStatus>>,
    ended: bool,
}

impl Running {
    /// Its exit status, if it has ended (without waiting).
    fn try_exit(&mut self) -> Option<io::Result<ExitStatus>> {
        let status = self.exit.try_recv().ok()?;
        self.ended = true;
        Some(status)
    }

    /// Waits for the exit, looking every `poll`.
    async fn wait(&mut self, poll: Duration) -> io::Result<ExitStatus> {
        loop {
            match self.exit.try_recv() {
                Ok(status) => {
                    self.ended = true;
                    return status;
                }
                Err(mpsc::TryRecvError::Empty) => {
                    Timer::after(poll).await;
                }
                Err(mpsc::TryRecvError::Disconnected) => {
                    self.ended = true;
                    return Err(io::Error::other("lost track of pg_dump"));
                }
            }
        }
    }

    fn signal(&self, kill: bool) {
        if !self.ended {
            send_signal(self.pid, kill);
        }
    }

    /// For a backup dropped mid-run: SIGKILL, and wait (bounded) until it
    /// is gone, so that nothing writes the files the cleanup removes.
    pub(super) fn kill_and_wait(&mut self) -> Option<io::Result<ExitStatus>> {
        if self.ended {
            return None;
        }
        send_signal(self.pid, true);
        let status = self.exit.recv_timeout(KILL_WAIT).ok();
        self.ended = true;
        status
    }
}

/// Spawns `plan` from a thread that lives as long as the child; returns
/// the child's standard error and the handle. A failure to spawn is the
/// error's text.
fn spawn(plan: &PgDumpPlan, to_stdout: bool) -> Result<(ChildStderr, Running), String> {
    let cmd = process::pg_dump_command(plan);
    // The standard streams are set on async-process's command: it sets
    // those it was not given to inherit.
    let mut cmd = Command::from(cmd);
    cmd.stdin(Stdio::null())
        .stdout(if to_stdout {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .stderr(Stdio::piped());
    let (started_tx, started_rx) = mpsc::channel();
    let (exit_tx, exit) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("sequelae-pg-dump".into())
        .spawn(move || {
            let mut child = match cmd.spawn() {
                Ok(child) => child,
                Err(e) => {
                    let _ = started_tx.send(Err(e.to_string()));
                    return;
                }
            };
            let stderr = child.stderr.take();
            let _ = started_tx.send(Ok((child.id(), stderr)));
            let _ = exit_tx.send(future::block_on(child.status()));
        });
    if let Err(e) = spawned {
        return Err(format!("cannot start a thread for pg_dump: {e}"));
    }
    let (pid, stderr) = started_rx
        .recv()
        .map_err(|_| "the pg_dump thread stopped unexpectedly".to_string())??;
    let stderr = stderr.ok_or_else(|| "pg_dump's standard error was not piped".to_string())?;
    Ok((
        stderr,
        Running {
            pid,
            exit,
            ended: false,
        },
    ))
}

/// Runs `plan` (its standard output is ours when `to_stdout`: the backup
/// streams there), feeding its standard error to `driver` and the progress
/// that gives to `progress`, until pg_dump ends; when `cancel` is raised,
/// SIGTERM, then SIGKILL if it lingers. Answers the driver. `running`
/// holds the child meanwhile, for the cleanup of a dropped backup.
pub(super) async fn run_pg_dump(
    plan: &PgDumpPlan,
    to_stdout: bool,
    supervision: Supervision,
    driver: &mut BackupDriver,
    progress: &mut Progress<'_>,
    cancel: &AtomicBool,
    running: &mut Option<Running>,
) {
    // The spawn itself blocks (fork and exec, the thread's start): off
    // the executor's threads.
    let spawned = {
        let plan = plan.clone();
        blocking::unblock(move || spawn(&plan, to_stdout)).await
    };
    let (mut stderr, child) = match spawned {
        Ok(spawned) => spawned,
        Err(e) => return report_exit(Err(e), driver, progress, cancel),
    };
    let child = running.insert(child);
    let mut watch = ChildWatch::new(supervision);
    let mut buf = vec![0u8; 8192];
    let mut status = None;
    let mut stderr_open = true;
    loop {
        if stderr_open {
            let read = future::or(async { Some(stderr.read(&mut buf).await) }, async {
                Timer::after(supervision.poll).await;
                None
            })
            .await;
            match read {
                Some(Ok(0)) => stderr_open = false,
                Some(Ok(n)) => {
                    for event in driver.handle_stderr(&buf[..n]) {
                        progress(&event);
                    }
                }
                Some(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Some(Err(_)) => stderr_open = false,
                None => {}
            }
        }
        if !watch.has_exited() {
            if let Some(exit) = child.try_exit() {
                status = Some(exit);
                watch.exited(Instant::now());
            }
        }
        if !stderr_open && status.is_none() {
            // Standard error closed first: the end is near; wait for it.
            status = Some(child.wait(supervision.poll).await);
            break;
        }
        match watch.next(Instant::now(), cancel.load(Ordering::SeqCst)) {
            WatchAction::Wait => {}
            WatchAction::Terminate => child.signal(false),
            WatchAction::Kill => child.signal(true),
            WatchAction::Stop => break,
        }
        if !stderr_open {
            Timer::after(supervision.poll).await;
        }
    }
    let status = match status {
        Some(status) => status,
        None => child.wait(supervision.poll).await,
    };
    *running = None;
    report_exit(Ok(exit_of(status)), driver, progress, cancel);
}

/// Tells the driver how pg_dump ended (a cancel first, if one was
/// raised) and hands on the progress that gives.
fn report_exit(
    end: Result<ProcessExit, String>,
    driver: &mut BackupDriver,
    progress: &mut Progress<'_>,
    cancel: &AtomicBool,
) {
    if cancel.load(Ordering::SeqCst) {
        driver.cancel();
    }
    for event in driver.handle_pg_dump_exit(end) {
        progress(&event);
    }
}
