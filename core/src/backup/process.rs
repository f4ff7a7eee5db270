//! pg_dump as a child process: how long each wait lasts and what an exit
//! means. The runtime spawns, signals, reads pipes and waits; these are
//! the numbers and readings it applies, so every runtime supervises
//! pg_dump alike.

use std::time::Duration;

/// The signal a writer to a pipe without readers gets.
pub const SIGPIPE: i32 = 13;

/// How a child process ended, as the runtime saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessExit {
    /// It exited with this status.
    Code(i32),
    /// It was killed by this signal.
    Signal(i32),
    /// The runtime could not tell (waiting failed, or an exit that is
    /// neither): the runtime's own words.
    Unknown(String),
}

impl ProcessExit {
    /// Exit status 0.
    pub fn success(&self) -> bool {
        *self == ProcessExit::Code(0)
    }

    /// "exit status 1", "killed by signal 9 (SIGKILL)", for messages.
    pub fn describe(&self) -> String {
        match self {
            ProcessExit::Code(code) => format!("exit status {code}"),
            ProcessExit::Signal(signal) => {
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
            ProcessExit::Unknown(what) => format!("unknown ({what})"),
        }
    }
}

/// How a short command (`pg_dump --version`) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandEnd {
    /// It ran and ended; what it wrote.
    Exited {
        /// How it ended.
        exit: ProcessExit,
        /// Its standard output.
        stdout: String,
        /// Its standard error.
        stderr: String,
    },
    /// It could not be started: the system's reason.
    NotStarted(String),
    /// It did not end within the step's timeout and was killed.
    TimedOut,
}

/// How a pg_dump run is watched. The runtime polls its pipes and the
/// cancel flag every `poll`; on cancel it sends SIGTERM (pg_dump then
/// cancels its queries and stops its workers) and SIGKILL when the process
/// outlives `term_grace`; once the process is gone it reads standard error
/// for at most `stderr_drain` more (something pg_dump started may hold the
/// pipe open).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Supervision {
    /// How often to look at the pipes, the process and the cancel flag.
    pub poll: Duration,
    /// From SIGTERM to SIGKILL.
    pub term_grace: Duration,
    /// How long to keep reading standard error after the exit.
    pub stderr_drain: Duration,
}

impl Supervision {
    /// The supervision of every pg_dump run.
    pub const PG_DUMP: Supervision = Supervision {
        poll: Duration::from_millis(50),
        term_grace: Duration::from_secs(3),
        stderr_drain: Duration::from_secs(2),
    };
}

/// How long `pg_dump --version` may take.
pub const VERSION_TIMEOUT: Duration = Duration::from_secs(10);

/// A program candidate is usable when it is a regular file with an
/// execute bit; `mode` is `None` when it is missing or not a regular file.
pub fn is_executable(mode: Option<u32>) -> bool {
    mode.is_some_and(|m| m & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exits_read_as_people_say_them() {
        assert!(ProcessExit::Code(0).success());
        assert!(!ProcessExit::Signal(9).success());
        assert_eq!(ProcessExit::Code(1).describe(), "exit status 1");
        assert_eq!(
            ProcessExit::Signal(9).describe(),
            "killed by signal 9 (SIGKILL)"
        );
        assert_eq!(ProcessExit::Signal(64).describe(), "killed by signal 64");
        assert_eq!(
            ProcessExit::Unknown("ECHILD".into()).describe(),
            "unknown (ECHILD)"
        );
        assert!(is_executable(Some(0o755)));
        assert!(!is_executable(Some(0o644)));
        assert!(!is_executable(None));
    }
}
