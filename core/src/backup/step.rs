//! The steps a [`BackupDriver`](super::BackupDriver) asks a runtime to
//! do, and the answers that are more than a value.

use std::path::PathBuf;
use std::time::Duration;

use super::pg_dump_plan::{PassfileRequest, PgDumpPlan};
use super::process::Supervision;
use crate::config::ConnectSettings;

/// What the runtime does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Look at `folder` and at `target` (without following a symbolic
    /// link); answer [`BackupDriver::handle_probe`](super::BackupDriver::handle_probe). A directory's
    /// [`EntryKind`](super::EntryKind) is made with
    /// [`EntryKind::directory`](super::EntryKind::directory) from its names.
    ProbeOutput {
        /// The folder the backup goes in.
        folder: PathBuf,
        /// The backup's path.
        target: PathBuf,
    },
    /// List the names in `folder` (none if it cannot be read); answer
    /// [`BackupDriver::handle_listing`](super::BackupDriver::handle_listing).
    ListFolder {
        /// The folder.
        folder: PathBuf,
    },
    /// Remove `path`: a file, or a directory with everything in it; answer
    /// [`BackupDriver::handle_removed`](super::BackupDriver::handle_removed).
    Remove {
        /// What to remove.
        path: PathBuf,
    },
    /// Create `path` exclusively, readable by its owner only (a directory
    /// 0700, a file 0600); answer [`BackupDriver::handle_fs`](super::BackupDriver::handle_fs).
    CreatePrivate {
        /// Where.
        path: PathBuf,
        /// A directory rather than a file.
        directory: bool,
    },
    /// Open a session; answer [`BackupDriver::handle_connected`](super::BackupDriver::handle_connected) or
    /// [`BackupDriver::handle_connect_error`](super::BackupDriver::handle_connect_error). Keep it until
    /// [`Step::Disconnect`].
    Connect {
        /// Where to.
        settings: Box<ConnectSettings>,
    },
    /// Run `sql` by the simple query protocol on the session; answer
    /// [`BackupDriver::handle_rows`](super::BackupDriver::handle_rows) or [`BackupDriver::handle_query_error`](super::BackupDriver::handle_query_error).
    Query {
        /// The statements.
        sql: String,
    },
    /// Close the session. Needs no answer.
    Disconnect,
    /// Say what `path` is; answer [`BackupDriver::handle_program`](super::BackupDriver::handle_program).
    InspectProgram {
        /// A pg_dump candidate.
        path: PathBuf,
    },
    /// Run `program --version` with no input, killing it after `timeout`;
    /// answer [`BackupDriver::handle_version`](super::BackupDriver::handle_version) (or, interrupted,
    /// [`BackupDriver::cancel`](super::BackupDriver::cancel)).
    AskVersion {
        /// The program.
        program: PathBuf,
        /// How long it may take.
        timeout: Duration,
    },
    /// Create `request.dir` exclusively (0700), then `request.path` in it
    /// (0600) with `request.contents`; answer
    /// [`BackupDriver::handle_passfile`](super::BackupDriver::handle_passfile).
    WritePassfile {
        /// The file.
        request: PassfileRequest,
    },
    /// Run `plan` (its standard output is the runtime's own when
    /// `to_stdout`, else nowhere), with standard error piped to
    /// [`BackupDriver::handle_stderr`](super::BackupDriver::handle_stderr), watched as `supervision` says;
    /// answer [`BackupDriver::handle_pg_dump_exit`](super::BackupDriver::handle_pg_dump_exit). When interrupted, call
    /// [`BackupDriver::cancel`](super::BackupDriver::cancel) once pg_dump is gone, then answer.
    RunPgDump {
        /// What to run.
        plan: Box<PgDumpPlan>,
        /// The backup streams to standard output.
        to_stdout: bool,
        /// Waits and signals.
        supervision: Supervision,
    },
    /// Make `to` a hard link to `from` (failing if `to` exists); answer
    /// [`BackupDriver::handle_fs`](super::BackupDriver::handle_fs).
    HardLink {
        /// The existing name.
        from: PathBuf,
        /// The new name.
        to: PathBuf,
    },
    /// Rename `from` to `to` (rename(2): an existing file, or an empty
    /// directory, at `to` is replaced); answer [`BackupDriver::handle_fs`](super::BackupDriver::handle_fs).
    Rename {
        /// The old name.
        from: PathBuf,
        /// The new name.
        to: PathBuf,
    },
    /// Say whether anything is at `path` (a symbolic link counts; an
    /// unreadable path does not); answer [`BackupDriver::handle_exists`](super::BackupDriver::handle_exists).
    Exists {
        /// The path.
        path: PathBuf,
    },
    /// Flush `path`, a folder, so that a name made in it is durable.
    /// Needs no answer; a failure is ignored.
    SyncFolder {
        /// The folder.
        path: PathBuf,
    },
    /// Count the bytes of `path` (all files under it, for a directory);
    /// answer [`BackupDriver::handle_size`](super::BackupDriver::handle_size).
    Measure {
        /// The backup.
        path: PathBuf,
    },
    /// Open the native backup's output: `path` (created already, empty),
    /// or standard output when `None`; gzip at `gzip_level` when given.
    /// Answer [`BackupDriver::handle_sink`](super::BackupDriver::handle_sink).
    OpenSink {
        /// The temporary output, or standard output.
        path: Option<PathBuf>,
        /// A gzip level (0 to 9), or plain bytes.
        gzip_level: Option<u32>,
    },
    /// Append to the open output; answer
    /// [`BackupDriver::handle_sink`](super::BackupDriver::handle_sink).
    Write(Vec<u8>),
    /// Run `sql` (a `COPY ... TO STDOUT`) on the session and stream its
    /// data straight into the open output; answer
    /// [`BackupDriver::handle_copied`](super::BackupDriver::handle_copied).
    CopyOut {
        /// The statement.
        sql: String,
    },
    /// Give worker session `worker` (0-based) `task` and return at once:
    /// the worker does it on its own (its session, its thread), and its
    /// answer comes through [`Step::AwaitWorker`]. A worker's first task
    /// is [`WorkerTask::Connect`](super::WorkerTask::Connect).
    Worker {
        /// Which worker.
        worker: usize,
        /// What it does.
        task: super::WorkerTask,
    },
    /// Wait until a worker finishes its task; answer
    /// [`BackupDriver::handle_worker`](super::BackupDriver::handle_worker)
    /// (interrupted: [`BackupDriver::cancel`](super::BackupDriver::cancel)).
    AwaitWorker,
    /// Append the finished spool file `path` (a complete data block,
    /// gzip-compressed already when the output is) to the open output
    /// as it is, after ending the output's gzip member (the output becomes
    /// multi-member gzip), then remove `path` whether or not that worked;
    /// answer [`BackupDriver::handle_sink`](super::BackupDriver::handle_sink).
    AppendSpool {
        /// The spool.
        path: PathBuf,
    },
    /// Stop every worker: cancel what its session runs, close the
    /// session, and wait until the worker is gone (nothing of it touches a
    /// file afterwards). Needs no answer.
    StopWorkers,
    /// Flush and close the output (the gzip trailer, and fsync for a
    /// file); answer [`BackupDriver::handle_sink`](super::BackupDriver::handle_sink).
    CloseSink,
    /// Nothing more: call [`BackupDriver::finish`](super::BackupDriver::finish).
    Done,
}

/// Why a file system step failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FsFailure {
    /// The name exists.
    Exists,
    /// A name it needs is missing: the system's words.
    Missing(String),
    /// Anything else: the system's words.
    Other(String),
}

/// The system's error as the driver reads it: a taken name, a missing
/// one, or anything else in the system's words.
impl From<std::io::Error> for FsFailure {
    fn from(e: std::io::Error) -> FsFailure {
        match e.kind() {
            std::io::ErrorKind::AlreadyExists => FsFailure::Exists,
            std::io::ErrorKind::NotFound => FsFailure::Missing(e.to_string()),
            _ => FsFailure::Other(e.to_string()),
        }
    }
}

/// Why writing the native backup's output failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputFailure {
    /// Standard output's reader went away (EPIPE).
    ReaderGone,
    /// Anything else: the system's (or the server's) words.
    Other(String),
}

/// The system's error as the driver reads it: a closed pipe is a reader
/// that left, anything else is said as it is.
impl From<std::io::Error> for OutputFailure {
    fn from(e: std::io::Error) -> OutputFailure {
        match e.kind() {
            std::io::ErrorKind::BrokenPipe => OutputFailure::ReaderGone,
            _ => OutputFailure::Other(e.to_string()),
        }
    }
}

/// How publishing ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishEnd {
    /// The backup has its name.
    Published,
    /// Something appeared at the name while the backup ran; nothing there
    /// changed and the temporary output is still ours.
    Taken,
    /// The file system refused: its words.
    Failed(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Error, ErrorKind};

    #[test]
    fn system_errors_read_as_taken_missing_or_other() {
        let taken = Error::from(ErrorKind::AlreadyExists);
        assert_eq!(FsFailure::from(taken), FsFailure::Exists);
        let missing = Error::new(ErrorKind::NotFound, "no such folder");
        assert_eq!(
            FsFailure::from(missing),
            FsFailure::Missing("no such folder".into())
        );
        let denied = Error::new(ErrorKind::PermissionDenied, "denied");
        assert_eq!(FsFailure::from(denied), FsFailure::Other("denied".into()));
    }
}
