//! pg_dump as a process, the parts that are the same on every executor:
//! tying it to our life, signalling it, and saying how it ended in the
//! core's terms. Spawning and waiting are the runtimes' own.

use std::io;
use std::os::unix::process::ExitStatusExt;
#[cfg(not(target_os = "linux"))]
use std::process::Stdio;
use std::process::{Command, ExitStatus};

use sequelae_core::backup::{PgDumpPlan, ProcessExit};

/// pg_dump as `plan` says: program, arguments, environment (the password
/// in `PGPASSWORD`, never in argv) and [`die_with_parent`]. The standard
/// streams are the caller's to set (an async command built from this one
/// sets those it was not given to inherit).
pub fn pg_dump_command(plan: &PgDumpPlan) -> Command {
    let mut cmd = Command::new(&plan.program);
    cmd.args(&plan.args);
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
    cmd
}

/// What waiting for a child gave, in the core's terms.
pub fn exit_of(status: io::Result<ExitStatus>) -> ProcessExit {
    match status {
        Ok(status) => ProcessExit::of(status.code(), status.signal(), &status),
        Err(e) => ProcessExit::Unknown(e.to_string()),
    }
}

/// Sends process `pid` SIGTERM (pg_dump then cancels its queries and
/// stops its workers) or, with `kill`, SIGKILL. A process already gone is
/// no failure: there is nothing left to stop.
#[cfg(target_os = "linux")]
pub fn send_signal(pid: u32, kill: bool) {
    use rustix::process::{Pid, Signal, kill_process};
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return;
    };
    let signal = if kill { Signal::KILL } else { Signal::TERM };
    let _ = kill_process(pid, signal);
}

/// Elsewhere by way of kill(1).
#[cfg(not(target_os = "linux"))]
pub fn send_signal(pid: u32, kill: bool) {
    let _ = Command::new("kill")
        .args([if kill { "-KILL" } else { "-TERM" }, &pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Makes the child of `cmd` get SIGTERM when the spawning *thread's*
/// process dies, SIGKILL included, so that a killed sequelae never leaves
/// pg_dump writing on. The signal comes when the thread that spawned the
/// child ends: the caller spawns from a thread that outlives the child.
#[cfg(target_os = "linux")]
pub fn die_with_parent(cmd: &mut Command) {
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
pub fn die_with_parent(_cmd: &mut Command) {}
