//! Why a backup was refused or failed, worded for the person who must fix
//! it, and grouped by what they must do ([`ErrorKind`], the exit code).

use std::fmt;
use std::path::PathBuf;

use super::format::BackupFormat;
use super::version::{PgDumpVersion, ServerVersion};

/// What kind of failure, which is what the exit code says: fix the
/// command (usage), fix the connection, or look at the database or dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The options, names or output path are wrong (exit code 2).
    Usage,
    /// No session could be opened (exit code 3).
    Connect,
    /// The database or the dump program said no (exit code 1).
    Dump,
    /// The user interrupted the backup (exit code 130).
    Interrupted,
    /// The reader of the streamed backup went away (`| head`): end
    /// quietly, as a program killed by SIGPIPE would (exit code 141).
    ReaderGone,
}

/// A backup that was refused before it started or failed while it ran.
/// Every message names the thing at fault and, where there is one, the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// `--format` names no format.
    #[error("unknown backup format \"{value}\": expected plain, custom, directory or tar")]
    UnknownFormat {
        /// What was given.
        value: String,
    },
    /// The password channel names no channel.
    #[error("unknown password channel \"{value}\": expected env or passfile")]
    UnknownPasswordChannel {
        /// What was given.
        value: String,
    },
    /// Both halves excluded.
    #[error(
        "--schema-only and --data-only exclude each other: a backup with neither has both definitions and rows"
    )]
    SchemaOnlyWithDataOnly,
    /// pg_dump cannot compress tar archives.
    #[error(
        "the tar format cannot be compressed (pg_dump writes tar archives uncompressed): drop --compress, or use --format custom or directory"
    )]
    TarCompression,
    /// A gzip level above 9.
    #[error("compression level {level} is out of range: use 0 (none) to 9 (smallest)")]
    CompressionLevel {
        /// What was given.
        level: u8,
    },
    /// `--jobs 0`.
    #[error("--jobs must be at least 1")]
    ZeroJobs,
    /// `--disable-triggers` without `--data-only`, where it changes
    /// nothing (the restore creates the triggers after the data).
    #[error(
        "--disable-triggers applies to --data-only backups (a full backup creates triggers after the rows anyway): add --data-only or drop --disable-triggers"
    )]
    DisableTriggersNeedsDataOnly,
    /// A `--lock-wait-timeout` that is not a duration.
    #[error(
        "--lock-wait-timeout {value:?} is not a duration: give milliseconds (5000) or a number with ms, s or min (5s)"
    )]
    BadLockWaitTimeout {
        /// What was given.
        value: String,
    },
    /// Parallelism in a format that is written by one process.
    #[error(
        "--jobs {jobs} needs --format directory: pg_dump writes only the directory format in parallel (the format is {format}{})",
        if *.format == BackupFormat::Plain { "; without --pg-dump the native method writes plain in parallel" } else { "" }
    )]
    JobsNeedDirectory {
        /// What was given.
        jobs: u32,
        /// The format asked for.
        format: BackupFormat,
    },
    /// Parallel parts are spooled beside the output and appended: a
    /// stream has no folder beside it.
    #[error(
        "--jobs {jobs} cannot write to standard output: the parallel parts are spooled in files beside the output; give --output a file, or drop --jobs to stream"
    )]
    JobsToStdout {
        /// What was given.
        jobs: u32,
    },
    /// pg_dump ignores `-n` when `-t` is given, which would surprise.
    #[error(
        "--tables and --schemas cannot be combined (pg_dump would ignore the schemas): qualify the tables instead, e.g. --tables app.users"
    )]
    TablesWithSchemas,
    /// A name list that cannot be read.
    #[error("cannot read {what} \"{input}\": {reason}")]
    BadName {
        /// "table name" or "schema name".
        what: &'static str,
        /// The item as typed.
        input: String,
        /// What is wrong with it and how to write it.
        reason: String,
    },
    /// `--output -` with the directory format.
    #[error(
        "the {format} format writes a folder of files, which cannot go to standard output: name a directory with --output, or use --format plain, custom or tar"
    )]
    CannotStream {
        /// The format asked for.
        format: BackupFormat,
    },
    /// Every default name of this second is taken (`--force` never
    /// replaces a default name, so it is no help here).
    #[error("{} and the default names after it are all taken: choose a name with --output", .path.display())]
    DefaultNamesTaken {
        /// The last name tried.
        path: PathBuf,
    },
    /// The output exists and `--force` was not given.
    #[error("{} already exists: choose another --output, or pass --force to replace it", .path.display())]
    OutputExists {
        /// The output path.
        path: PathBuf,
    },
    /// A one-file format aimed at a directory.
    #[error(
        "{} is a directory, but the {format} format writes one file: name a file with --output, or use --format directory", .path.display()
    )]
    OutputIsDirectory {
        /// The output path.
        path: PathBuf,
        /// The format asked for.
        format: BackupFormat,
    },
    /// The directory format aimed at a file.
    #[error(
        "{} is not a directory, but the directory format writes a directory: choose another --output", .path.display()
    )]
    OutputIsNotDirectory {
        /// The output path.
        path: PathBuf,
    },
    /// `--force` would replace something that is not a regular file (a
    /// device, a socket, a symbolic link).
    #[error(
        "{} is not a regular file: refusing to replace it, even with --force", .path.display()
    )]
    OutputNotAFile {
        /// The output path.
        path: PathBuf,
    },
    /// `--force` would delete a directory that is not a directory backup.
    #[error(
        "{} is a directory that holds something other than a pg_dump directory backup (no toc.dat): refusing to replace it, even with --force", .path.display()
    )]
    WontReplaceDirectory {
        /// The output path.
        path: PathBuf,
    },
    /// `--output` ends in `/`, `.` or `..`: it names a folder, not the
    /// backup to write.
    #[error(
        "--output {} names a folder, not a backup: add a name for the backup, e.g. {}",
        .path.display(), .example.display()
    )]
    OutputNotAName {
        /// The output path as given.
        path: std::path::PathBuf,
        /// The same folder with a default name in it.
        example: std::path::PathBuf,
    },
    /// The output's folder does not exist.
    #[error("the output folder {} does not exist: create it first, or choose another --output", .folder.display())]
    FolderMissing {
        /// The folder.
        folder: PathBuf,
    },
    /// The output's "folder" is a file.
    #[error("{} is not a folder, so the backup cannot be written in it", .folder.display())]
    FolderNotDirectory {
        /// The folder.
        folder: PathBuf,
    },
    /// Nothing can be created in the output's folder.
    #[error("cannot write in the output folder {}: {reason}", .folder.display())]
    FolderNotWritable {
        /// The folder.
        folder: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// A table name that matches no table.
    #[error("{what} {name} does not exist{}", suggest(.suggestions))]
    UnknownTable {
        /// "table" or "excluded table".
        what: &'static str,
        /// The name as the user would write it.
        name: String,
        /// Close names that do exist, as the user would write them.
        suggestions: Vec<String>,
    },
    /// A schema name that matches no schema.
    #[error("schema {name} does not exist{}", suggest(.suggestions))]
    UnknownSchema {
        /// The name as the user would write it.
        name: String,
        /// Close names that do exist.
        suggestions: Vec<String>,
    },
    /// The connection settings cannot be read (a malformed URL...).
    #[error("{message}")]
    BadSettings {
        /// The settings parser's message (never with the password).
        message: String,
    },
    /// The server cannot be reached or refused the session.
    #[error("{message}")]
    Connect {
        /// The runtime's message (never with the password).
        message: String,
    },
    /// The catalog could not be read before the dump.
    #[error("cannot read the database catalog: {message}")]
    Catalog {
        /// The server's or the runtime's message.
        message: String,
    },
    /// `--pg-dump` was given and pg_dump cannot be used or failed.
    #[error("{0}")]
    PgDump(PgDumpProblem),
    /// pg_dump failed after it had started writing to standard output:
    /// the native method cannot take over a stream already begun.
    #[error("{}", native_unavailable(.reasons))]
    NativeUnavailable {
        /// Why pg_dump was not used (empty when `--no-pg-dump` asked for
        /// the native method).
        reasons: Vec<PgDumpProblem>,
    },
    /// The native method would run with an option it cannot honour yet;
    /// nothing was done.
    #[error(
        "the native backup cannot {what} yet: install pg_dump {server_major} (apt-get install postgresql-client-{server_major}) or {fix}"
    )]
    NativeCannot {
        /// What it cannot do ("filter tables").
        what: String,
        /// The other way out ("drop --tables").
        fix: String,
        /// The server's major version ("18"), the pg_dump that can.
        server_major: String,
    },
    /// The native dump failed (the server's or the output's words).
    #[error(
        "{message}; {}",
        if *.streamed { "what reached standard output is an incomplete backup" } else { "no backup was kept" }
    )]
    NativeDump {
        /// What failed and why.
        message: String,
        /// The dump was going to standard output: the reader has part of
        /// it (there is no file to withhold).
        streamed: bool,
    },
    /// The database holds objects the native method cannot dump yet.
    #[error(
        "the native backup cannot dump {} object(s) of this database yet ({}); no backup was kept: install pg_dump {server_major} (apt-get install postgresql-client-{server_major}), or pass --allow-incomplete to take the backup without them", .objects.len(), .objects.join(", ")
    )]
    Incomplete {
        /// Kind and name of each.
        objects: Vec<String>,
        /// The server's major version ("18").
        server_major: String,
    },
    /// The explicit output appeared while the backup ran.
    #[error(
        "{} was created by someone else while this backup ran; it was left as it is and this backup was discarded: run it again with another --output", .path.display()
    )]
    OutputTaken {
        /// The output path.
        path: PathBuf,
    },
    /// A file system operation on the output failed.
    #[error("{context}: {reason}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The operating system's reason.
        reason: String,
    },
    /// Ctrl-C or SIGTERM.
    #[error("backup interrupted; no output was written and temporary files were removed")]
    Interrupted,
    /// Ctrl-C or SIGTERM while the backup streamed to standard output.
    #[error("backup interrupted; what reached standard output is an incomplete backup")]
    InterruptedMidStream,
    /// `--output -` and whoever read standard output stopped reading: the
    /// stream they got is incomplete.
    #[error("the reader of standard output went away; the backup it got is incomplete")]
    ReaderGone,
}

impl BackupError {
    /// What kind of failure this is (the exit code).
    pub fn kind(&self) -> ErrorKind {
        use BackupError as E;
        match self {
            E::Connect { .. } => ErrorKind::Connect,
            E::Catalog { .. }
            | E::PgDump(_)
            | E::NativeUnavailable { .. }
            | E::NativeDump { .. }
            | E::Incomplete { .. }
            | E::OutputTaken { .. }
            | E::Io { .. } => ErrorKind::Dump,
            E::Interrupted | E::InterruptedMidStream => ErrorKind::Interrupted,
            E::ReaderGone => ErrorKind::ReaderGone,
            E::UnknownFormat { .. }
            | E::UnknownPasswordChannel { .. }
            | E::BadSettings { .. }
            | E::SchemaOnlyWithDataOnly
            | E::TarCompression
            | E::CompressionLevel { .. }
            | E::ZeroJobs
            | E::DisableTriggersNeedsDataOnly
            | E::BadLockWaitTimeout { .. }
            | E::JobsNeedDirectory { .. }
            | E::JobsToStdout { .. }
            | E::CannotStream { .. }
            | E::DefaultNamesTaken { .. }
            | E::TablesWithSchemas
            | E::BadName { .. }
            | E::OutputExists { .. }
            | E::OutputIsDirectory { .. }
            | E::OutputIsNotDirectory { .. }
            | E::OutputNotAFile { .. }
            | E::OutputNotAName { .. }
            | E::WontReplaceDirectory { .. }
            | E::FolderMissing { .. }
            | E::FolderNotDirectory { .. }
            | E::FolderNotWritable { .. }
            | E::UnknownTable { .. }
            | E::UnknownSchema { .. }
            | E::NativeCannot { .. } => ErrorKind::Usage,
        }
    }
}

/// Why pg_dump was not used or did not produce a backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgDumpProblem {
    /// No such program.
    NotFound {
        /// Where it was looked for, e.g. "no pg_dump in PATH (/usr/bin:/bin)".
        detail: String,
    },
    /// The program exists but `--version` did not run or said nothing
    /// recognisable.
    NotRunnable {
        /// The program's path.
        program: String,
        /// What happened.
        reason: String,
    },
    /// pg_dump is older than the server, which pg_dump refuses.
    TooOld {
        /// The program's path.
        program: String,
        /// Its version.
        version: PgDumpVersion,
        /// The server's.
        server: ServerVersion,
    },
    /// The server is older than this pg_dump supports.
    ServerTooOld {
        /// The program's path.
        program: String,
        /// Its version.
        version: PgDumpVersion,
        /// The server's.
        server: ServerVersion,
    },
    /// `--jobs` with plain output: pg_dump writes that format with one
    /// job only, so it was not looked for.
    SerialOnly {
        /// The jobs asked for.
        jobs: u32,
    },
    /// pg_dump ran and failed.
    Failed {
        /// How it ended, e.g. "exit status 1" or "killed by signal 9
        /// (SIGKILL)".
        status: String,
        /// Its error lines, password redacted.
        message: String,
    },
}

impl fmt::Display for PgDumpProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PgDumpProblem::NotFound { detail } => write!(
                f,
                "pg_dump was not found ({detail}): install the PostgreSQL client programs, or name the program with --pg-dump-path or SEQUELAE_PG_DUMP"
            ),
            PgDumpProblem::NotRunnable { program, reason } => {
                write!(f, "{program} cannot be used as pg_dump: {reason}")
            }
            PgDumpProblem::TooOld {
                program,
                version,
                server,
            } => write!(
                f,
                "pg_dump {version} ({program}) cannot dump PostgreSQL {server}, a newer major version: install pg_dump {} or newer and name it with --pg-dump-path or SEQUELAE_PG_DUMP",
                server.major_text()
            ),
            PgDumpProblem::ServerTooOld {
                program,
                version,
                server,
            } => write!(
                f,
                "pg_dump {version} ({program}) cannot dump PostgreSQL {server}: pg_dump 15 and newer dump servers from 9.2 on; use an older pg_dump with --pg-dump-path"
            ),
            PgDumpProblem::SerialOnly { jobs } => write!(
                f,
                "--jobs {jobs} with plain output: pg_dump writes the plain format with one job only, the native method copies the tables in parallel (for pg_dump in parallel use --format directory)"
            ),
            PgDumpProblem::Failed { status, message } => {
                if message.is_empty() {
                    write!(f, "pg_dump failed ({status}) without saying why")
                } else {
                    write!(f, "pg_dump failed ({status}): {message}")
                }
            }
        }
    }
}

fn suggest(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        [one] => format!("; did you mean {one}?"),
        many => format!("; did you mean one of {}?", many.join(", ")),
    }
}

fn native_unavailable(reasons: &[PgDumpProblem]) -> String {
    if reasons.is_empty() {
        return "the native backup method (--no-pg-dump) is not available yet in this version of sequelae: drop --no-pg-dump to back up with pg_dump".to_string();
    }
    let why: Vec<String> = reasons.iter().map(ToString::to_string).collect();
    format!(
        "no complete backup was made: pg_dump was not used because {}; and the native backup method cannot take over once pg_dump has written to standard output: run again with --no-pg-dump",
        why.join("; then ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_table_suggests() {
        let e = BackupError::UnknownTable {
            what: "table",
            name: "usres".into(),
            suggestions: vec!["users".into()],
        };
        assert_eq!(
            e.to_string(),
            "table usres does not exist; did you mean users?"
        );
        let e = BackupError::UnknownSchema {
            name: "ap".into(),
            suggestions: vec!["app".into(), "\"App\"".into()],
        };
        assert_eq!(
            e.to_string(),
            "schema ap does not exist; did you mean one of app, \"App\"?"
        );
        assert_eq!(e.kind(), ErrorKind::Usage);
    }

    #[test]
    fn native_unavailable_says_why_pg_dump_was_not_used() {
        let e = BackupError::NativeUnavailable {
            reasons: vec![PgDumpProblem::NotFound {
                detail: "no pg_dump in PATH (/usr/bin)".into(),
            }],
        };
        let text = e.to_string();
        assert!(text.starts_with("no complete backup was made: pg_dump was not used because pg_dump was not found (no pg_dump in PATH (/usr/bin))"), "{text}");
        assert!(text.ends_with("run again with --no-pg-dump"), "{text}");
        assert_eq!(e.kind(), ErrorKind::Dump);
        let asked = BackupError::NativeUnavailable { reasons: vec![] };
        assert!(asked.to_string().contains("--no-pg-dump"));
    }

    #[test]
    fn a_failed_native_dump_says_what_the_user_is_left_with() {
        let failed = |streamed| BackupError::NativeDump {
            message: "the server closed the connection".into(),
            streamed,
        };
        assert_eq!(
            failed(false).to_string(),
            "the server closed the connection; no backup was kept"
        );
        assert_eq!(
            failed(true).to_string(),
            "the server closed the connection; what reached standard output is an incomplete backup"
        );
    }
}
