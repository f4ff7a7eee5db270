//! pg_dump as a child process: how long each wait lasts and what an exit
//! means. The runtime spawns, signals, reads pipes and waits; these are
//! the numbers and readings it applies, so every runtime supervises
//! pg_dump alike.

use std::time::{Duration, Instant};

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
    /// Reads a finished child's status, given as its parts (what
    /// `ExitStatus::code` and, on Unix, `ExitStatusExt::signal` return,
    /// and how the system shows it): an exit code wins, then the signal;
    /// an exit with neither is kept in the system's words.
    pub fn of(
        code: Option<i32>,
        signal: Option<i32>,
        shown: &dyn std::fmt::Display,
    ) -> ProcessExit {
        match (code, signal) {
            (Some(code), _) => ProcessExit::Code(code),
            (None, Some(signal)) => ProcessExit::Signal(signal),
            (None, None) => ProcessExit::Unknown(shown.to_string()),
        }
    }

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

/// What to do with a supervised pg_dump at one look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchAction {
    /// Keep reading its standard error.
    Wait,
    /// Ask it to stop (SIGTERM).
    Terminate,
    /// Stop it for good (SIGKILL).
    Kill,
    /// Stop reading: it is gone and its standard error had its time.
    Stop,
}

/// The [`Supervision`] of one pg_dump run as a state machine: the runtime
/// says when the process exited and whether the user cancelled, and is
/// told at each look whether to signal it or stop watching.
#[derive(Debug, Clone)]
pub struct ChildWatch {
    supervision: Supervision,
    terminated_at: Option<Instant>,
    exited_at: Option<Instant>,
}

impl ChildWatch {
    /// A watch over a process just started.
    pub fn new(supervision: Supervision) -> ChildWatch {
        ChildWatch {
            supervision,
            terminated_at: None,
            exited_at: None,
        }
    }

    /// The process was reaped at `now`.
    pub fn exited(&mut self, now: Instant) {
        self.exited_at.get_or_insert(now);
    }

    /// True once [`exited`](Self::exited) was called.
    pub fn has_exited(&self) -> bool {
        self.exited_at.is_some()
    }

    /// What to do at `now`, `cancelled` when the user asked to stop.
    pub fn next(&mut self, now: Instant, cancelled: bool) -> WatchAction {
        if let Some(at) = self.exited_at {
            let drained = now.saturating_duration_since(at) > self.supervision.stderr_drain;
            return if drained {
                WatchAction::Stop
            } else {
                WatchAction::Wait
            };
        }
        if !cancelled {
            return WatchAction::Wait;
        }
        match self.terminated_at {
            None => {
                self.terminated_at = Some(now);
                WatchAction::Terminate
            }
            Some(since) if now.saturating_duration_since(since) > self.supervision.term_grace => {
                WatchAction::Kill
            }
            Some(_) => WatchAction::Wait,
        }
    }
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
    fn statuses_read_as_codes_signals_or_the_systems_words() {
        assert_eq!(
            ProcessExit::of(Some(1), None, &"exit 1"),
            ProcessExit::Code(1)
        );
        assert_eq!(
            ProcessExit::of(Some(0), Some(9), &"?"),
            ProcessExit::Code(0)
        );
        assert_eq!(
            ProcessExit::of(None, Some(9), &"signal 9"),
            ProcessExit::Signal(9)
        );
        assert_eq!(
            ProcessExit::of(None, None, &"stopped"),
            ProcessExit::Unknown("stopped".into())
        );
    }

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
