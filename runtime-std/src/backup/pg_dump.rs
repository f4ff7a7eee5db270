//! Running pg_dump: finding it, asking its version, and running a
//! [`PgDumpPlan`] with its standard error turned into progress, stopping it
//! when asked.

use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use sequelae_core::backup::{
    PassfileRequest, PgDumpLocation, PgDumpPlan, PgDumpProblem, PgDumpStderr, PgDumpVersion,
    ProgressEvent, read_version,
};

/// The signal a writer to a pipe without readers gets.
const SIGPIPE: i32 = 13;

/// How long `pg_dump --version` may take.
const VERSION_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the supervisor looks at the cancel flag.
const POLL: Duration = Duration::from_millis(50);

/// How long to keep reading standard error after pg_dump exited, when
/// something it started keeps the pipe open.
const STDERR_DRAIN: Duration = Duration::from_secs(2);

/// How long pg_dump has to stop after SIGTERM before it gets SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(3);

/// The first executable candidate and its version.
/// Raising `cancel` stops waiting for `--version`.
pub(crate) fn find(
    location: &PgDumpLocation,
    cancel: &AtomicBool,
) -> Result<(PathBuf, PgDumpVersion), PgDumpProblem> {
    let program = location
        .candidates()
        .into_iter()
        .find(|p| is_executable(p))
        .ok_or_else(|| location.not_found())?;
    let version = read_version(&program, version_output(&program, cancel))?;
    Ok((program, version))
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `program --version`'s standard output, or why there is none.
fn version_output(program: &Path, cancel: &AtomicBool) -> Result<String, String> {
    let mut child = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + VERSION_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if cancel.load(Ordering::SeqCst) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("interrupted".to_string());
            }
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("no answer in {} s", VERSION_TIMEOUT.as_secs()));
            }
            Err(e) => return Err(e.to_string()),
        }
    };
    let mut out = String::new();
    let mut err = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    if status.success() {
        Ok(out)
    } else {
        Err(format!("{}: {}", describe(status), err.trim()))
    }
}

/// How a run of pg_dump ended.
#[derive(Debug)]
pub(crate) enum RunEnd {
    /// Exit status 0.
    Done,
    /// It failed, could not start, or was killed by someone else.
    Failed(PgDumpProblem),
    /// The cancel flag was raised and pg_dump was stopped.
    Interrupted,
    /// pg_dump wrote to our standard output and was killed by SIGPIPE:
    /// the reader went away.
    ReaderGone,
}

/// A password file in its private directory, both existing while the
/// guard lives.
#[derive(Debug)]
pub(crate) struct PrivateFile {
    dir: PathBuf,
    path: PathBuf,
}

impl PrivateFile {
    /// Creates `request.dir` exclusively with mode 0700 (an existing name,
    /// planted or not, fails with `AlreadyExists`), then `request.path`
    /// inside it with mode 0600, and writes the contents.
    pub(crate) fn create(request: &PassfileRequest) -> io::Result<PrivateFile> {
        DirBuilder::new().mode(0o700).create(&request.dir)?;
        let guard = PrivateFile {
            dir: request.dir.clone(),
            path: request.path.clone(),
        };
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&request.path)?;
        file.write_all(request.contents.expose().as_bytes())?;
        Ok(guard)
    }
}

impl Drop for PrivateFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        let _ = fs::remove_dir(&self.dir);
    }
}

/// Runs `plan` (its standard output is ours when `to_stdout`: the backup
/// streams there), passing each progress event to `progress`, until pg_dump
/// ends or `cancel` is raised (then SIGTERM, which pg_dump handles by
/// cancelling its queries and stopping its workers; SIGKILL if it lingers).
pub(crate) fn run(
    plan: &PgDumpPlan,
    stderr: &mut PgDumpStderr,
    progress: &mut dyn FnMut(&ProgressEvent),
    cancel: &AtomicBool,
    to_stdout: bool,
) -> RunEnd {
    let mut cmd = Command::new(&plan.program);
    cmd.args(&plan.args)
        .stdin(Stdio::null())
        .stdout(if to_stdout {
            // The backup itself: pg_dump writes it to our standard output.
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .stderr(Stdio::piped());
    for var in &plan.env_remove {
        cmd.env_remove(var);
    }
    for (var, value) in &plan.env_set {
        cmd.env(var, value);
    }
    if let Some(password) = &plan.password_env {
        cmd.env("PGPASSWORD", password.expose());
    }
    die_with_parent(&mut cmd);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            return RunEnd::Failed(PgDumpProblem::NotRunnable {
                program: plan.program.display().to_string(),
                reason: format!("cannot start it: {e}"),
            });
        }
    };
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let reader = child.stderr.take().map(|mut pipe| {
        thread::spawn(move || {
            let mut buf = vec![0u8; 8192];
            loop {
                match pipe.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        })
    });

    let mut stopping: Option<Instant> = None;
    let mut exited: Option<(io::Result<ExitStatus>, Instant)> = None;
    loop {
        match rx.recv_timeout(POLL) {
            Ok(bytes) => {
                for event in stderr.feed(&bytes) {
                    progress(&event);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if exited.is_none() {
            match child.try_wait() {
                Ok(Some(status)) => exited = Some((Ok(status), Instant::now())),
                Ok(None) => {}
                Err(e) => exited = Some((Err(e), Instant::now())),
            }
        }
        // pg_dump is gone but something it started still holds its
        // standard error open: stop waiting for the rest after a moment.
        if exited
            .as_ref()
            .is_some_and(|(_, at)| at.elapsed() > STDERR_DRAIN)
        {
            break;
        }
        if cancel.load(Ordering::SeqCst) && exited.is_none() {
            match stopping {
                None => {
                    terminate(&mut child);
                    stopping = Some(Instant::now());
                }
                Some(since) if since.elapsed() > TERM_GRACE => {
                    let _ = child.kill();
                }
                Some(_) => {}
            }
        }
    }
    for event in stderr.finish() {
        progress(&event);
    }
    let status = match exited {
        Some((status, _)) => status,
        None => {
            // Standard error closed first; the reader is done.
            if let Some(reader) = reader {
                let _ = reader.join();
            }
            child.wait()
        }
    };
    if cancel.load(Ordering::SeqCst) {
        return RunEnd::Interrupted;
    }
    match status {
        Ok(status) if status.success() => RunEnd::Done,
        Ok(status) if to_stdout && status.signal() == Some(SIGPIPE) => RunEnd::ReaderGone,
        Ok(status) => RunEnd::Failed(PgDumpProblem::Failed {
            status: describe(status),
            message: stderr.error_text(),
        }),
        Err(e) => RunEnd::Failed(PgDumpProblem::Failed {
            status: format!("unknown ({e})"),
            message: stderr.error_text(),
        }),
    }
}

/// Makes the child get SIGTERM when this thread's process dies, SIGKILL
/// included, so that a killed sequelae never leaves pg_dump writing on
/// (pg_dump answers SIGTERM by cancelling its queries and stopping its
/// workers). The signal comes when the *thread* that spawned the child
/// ends: [`run`] spawns and waits in the same thread, so it outlives the
/// child.
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    use rustix::process::{Signal, getpid, getppid, set_parent_process_death_signal};
    use std::os::unix::process::CommandExt;
    let parent = getpid();
    let hook = move || -> io::Result<()> {
        set_parent_process_death_signal(Some(Signal::TERM))?;
        // The parent may have died between fork and prctl: then no signal
        // will ever come, and the child was already re-parented. Stop here
        // instead of running pg_dump unattended.
        if getppid() != Some(parent) {
            return Err(io::ErrorKind::Other.into());
        }
        Ok(())
    };
    // SAFETY: the hook runs in the child between fork and exec. It only
    // makes system calls that are async-signal-safe (prctl, getppid),
    // allocates nothing (an `io::Error` from an errno or a kind is not
    // boxed) and takes no lock.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(hook);
    }
}

/// Elsewhere there is no parent-death signal; a killed sequelae leaves
/// pg_dump to finish (its output is a leftover the next backup removes).
#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}

/// True unless process `pid` is known to be gone (a process of another
/// user answers "not permitted": it is alive).
#[cfg(target_os = "linux")]
pub(crate) fn process_alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return true;
    };
    !matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

/// Without a liveness check every process counts as alive: nothing is
/// removed.
#[cfg(not(target_os = "linux"))]
pub(crate) fn process_alive(_pid: u32) -> bool {
    true
}

/// SIGTERM by way of kill(1) (sending a signal directly needs `unsafe`);
/// SIGKILL if that cannot run.
fn terminate(child: &mut Child) {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !sent {
        let _ = child.kill();
    }
}

/// "exit status 1", "killed by signal 9 (SIGKILL)".
fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    match status.signal() {
        Some(signal) => {
            let name = match signal {
                1 => " (SIGHUP)",
                2 => " (SIGINT)",
                3 => " (SIGQUIT)",
                6 => " (SIGABRT)",
                9 => " (SIGKILL)",
                11 => " (SIGSEGV)",
                13 => " (SIGPIPE)",
                15 => " (SIGTERM)",
                _ => "",
            };
            format!("killed by signal {signal}{name}")
        }
        None => status.to_string(),
    }
}
