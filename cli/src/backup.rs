//! `sequelae backup`: a backup through pg_dump or the native method, written atomically, with progress on stderr and the result on
//! stdout (one line, or JSON with `--json`).

mod progress;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sequelae_core::backup::{
    BackupError, BackupFormat, BackupMethod, BackupOptions, BackupReport, Compression, ErrorKind,
    PasswordChannel,
};
use sequelae_std::backup::BackupRequest;
use sequelae_std::settings_from_env;

use crate::GlobalOptions;
use crate::exit::Failure;
use crate::interrupt;
use progress::ProgressDisplay;

/// Options of `sequelae backup`. Short options are pg_dump's.
#[derive(clap::Args, Debug)]
pub(crate) struct BackupArgs {
    /// Archive format: plain (SQL for psql), custom, directory or tar (for
    /// pg_restore).
    #[arg(long, short = 'F', value_name = "FORMAT", default_value = "plain", value_parser = parse_format)]
    pub(crate) format: BackupFormat,

    /// Only these tables (or views, sequences): [schema.]name, comma
    /// separated, repeatable. Names are exact and case-sensitive;
    /// double-quote a name with a dot or a comma: app."my.table".
    #[arg(long, short = 't', value_name = "TABLES")]
    pub(crate) tables: Vec<String>,

    /// Only these schemas, comma separated, repeatable.
    #[arg(long, short = 'n', value_name = "SCHEMAS")]
    pub(crate) schemas: Vec<String>,

    /// Leave these tables out: [schema.]name, comma separated, repeatable.
    #[arg(long, short = 'T', value_name = "TABLES")]
    pub(crate) exclude_tables: Vec<String>,

    /// Rows only, no definitions.
    #[arg(long, short = 'a')]
    pub(crate) data_only: bool,

    /// Definitions only, no rows.
    #[arg(long, short = 's')]
    pub(crate) schema_only: bool,

    /// Compress with gzip, at LEVEL 0 (none) to 9 (smallest), default 6.
    /// Plain becomes .sql.gz; custom and directory are compressed unless
    /// --compress 0; tar cannot be.
    #[arg(long, short = 'Z', value_name = "LEVEL", num_args = 0..=1,
          default_missing_value = "6", value_parser = clap::value_parser!(u8).range(0..=9))]
    pub(crate) compress: Option<u8>,

    /// Where to write (default: backup_<UTC time>.<ext> in the working
    /// directory). Written under a temporary name and renamed when done.
    #[arg(long, short = 'o', short_alias = 'f', value_name = "PATH")]
    pub(crate) output: Option<PathBuf>,

    /// Replace the output if it exists.
    #[arg(long)]
    pub(crate) force: bool,

    /// Dump this many tables at once: pg_dump with --format directory, or
    /// the native method with plain or gzip output (worker sessions on one
    /// snapshot).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 1)]
    pub(crate) jobs: u32,

    /// Insist on pg_dump: its failure is the backup's (no fallback).
    #[arg(long, conflicts_with = "no_pg_dump")]
    pub(crate) pg_dump: bool,

    /// Do not use pg_dump: use the native method only.
    #[arg(long)]
    pub(crate) no_pg_dump: bool,

    /// The pg_dump program to run (default: SEQUELAE_PG_DUMP, else pg_dump
    /// on PATH).
    #[arg(long, value_name = "PATH")]
    pub(crate) pg_dump_path: Option<String>,

    /// No ALTER ... OWNER TO: restored objects belong to whoever restores.
    #[arg(long, short = 'O')]
    pub(crate) no_owner: bool,

    /// No GRANT or REVOKE.
    #[arg(long, short = 'x')]
    pub(crate) no_privileges: bool,

    /// Keep a native backup that lacks objects the native method cannot
    /// dump yet (each is named in the warnings); without it such a backup
    /// fails before writing.
    #[arg(long)]
    pub(crate) allow_incomplete: bool,

    /// With --data-only: the restore turns each table's triggers off
    /// while its rows go in (ALTER TABLE ... DISABLE TRIGGER ALL), as
    /// pg_dump. Restoring it needs a superuser.
    #[arg(long)]
    pub(crate) disable_triggers: bool,

    /// Fail instead of waiting longer than TIMEOUT for a table lock held
    /// by another session: milliseconds, or with ms, s or min (5s).
    #[arg(long, value_name = "TIMEOUT", value_parser = parse_lock_wait_timeout)]
    pub(crate) lock_wait_timeout: Option<u64>,

    /// How the password reaches pg_dump: env (PGPASSWORD) or passfile (a
    /// private file removed afterwards). Never its arguments.
    #[arg(long, value_name = "CHANNEL", default_value = "env", value_parser = parse_channel, hide = true)]
    pub(crate) pg_dump_password_via: PasswordChannel,
}

fn parse_format(text: &str) -> Result<BackupFormat, String> {
    text.parse().map_err(|e: BackupError| e.to_string())
}

fn parse_lock_wait_timeout(text: &str) -> Result<u64, String> {
    BackupOptions::parse_lock_wait_timeout(text).map_err(|e| e.to_string())
}

fn parse_channel(text: &str) -> Result<PasswordChannel, String> {
    text.parse().map_err(|e: BackupError| e.to_string())
}

impl BackupArgs {
    fn into_options(self) -> BackupOptions {
        BackupOptions {
            format: self.format,
            tables: self.tables,
            schemas: self.schemas,
            exclude_tables: self.exclude_tables,
            data_only: self.data_only,
            schema_only: self.schema_only,
            compression: self
                .compress
                .map_or(Compression::FormatDefault, Compression::Level),
            output: self.output,
            force: self.force,
            jobs: self.jobs,
            method: if self.pg_dump {
                BackupMethod::PgDump
            } else if self.no_pg_dump {
                BackupMethod::Native
            } else {
                BackupMethod::Auto
            },
            pg_dump_path: self.pg_dump_path,
            password_channel: self.pg_dump_password_via,
            no_owner: self.no_owner,
            no_privileges: self.no_privileges,
            allow_incomplete: self.allow_incomplete,
            disable_triggers: self.disable_triggers,
            lock_wait_timeout_ms: self.lock_wait_timeout,
        }
    }
}

/// Runs `sequelae backup`.
pub(crate) fn run(global: &GlobalOptions, args: BackupArgs) -> Result<(), Failure> {
    let options = args.into_options();
    let format = options.format;
    // The backup itself goes to stdout: the result goes to stderr.
    let result_to_stderr = options.streams_to_stdout();
    let settings = match settings_from_env(global.database_url.as_deref()) {
        Ok(settings) => settings,
        Err(e) => {
            let error = BackupError::BadSettings {
                message: e.to_string(),
            };
            return finish(
                global,
                &BackupReport::refused(format, error),
                result_to_stderr,
            );
        }
    };
    let request = match BackupRequest::from_process(options, settings) {
        Ok(request) => request,
        Err(e) => {
            let error = BackupError::Io {
                context: "cannot read the working directory".to_string(),
                reason: e.to_string(),
            };
            return finish(
                global,
                &BackupReport::refused(format, error),
                result_to_stderr,
            );
        }
    };

    let cancel = Arc::new(AtomicBool::new(false));
    let registration = {
        let cancel = Arc::clone(&cancel);
        interrupt::on_every_interrupt(move || cancel.store(true, Ordering::SeqCst))
    };
    let mut display = ProgressDisplay::for_stderr();
    let report = sequelae_std::backup::run(&request, &mut |event| display.show(event), &cancel);
    display.finish();
    drop(registration);
    finish(global, &report, result_to_stderr)
}

/// Prints the report (stdout: the result, or the JSON document with
/// `--json`, unless the backup itself went to stdout: then stderr;
/// stderr: warnings and the error) and maps a failure to its exit
/// code: 2 usage, 3 cannot connect, 1 the database or pg_dump said no, 130
/// (or 143, 129) interrupted by a signal.
fn finish(
    global: &GlobalOptions,
    report: &BackupReport,
    result_to_stderr: bool,
) -> Result<(), Failure> {
    for warning in &report.warnings {
        crate::output::note(&format!("sequelae: warning: {warning}"));
    }
    // Said on failure too: the native method's error alone would not
    // tell why pg_dump was not used.
    for reason in &report.fallback_reasons {
        crate::output::note(&format!("sequelae: pg_dump was not used: {reason}"));
    }
    let result = if global.json {
        Some(report.to_json().to_string())
    } else if report.succeeded() {
        Some(report.summary())
    } else {
        None
    };
    if let Some(text) = result {
        if result_to_stderr {
            crate::output::note(&text);
        } else if let Err(e) = write_result(&text) {
            return Err(result_unwritten(report, &e));
        }
    }
    let Some(error) = &report.error else {
        return Ok(());
    };
    let message = error.to_string();
    let kind = error.kind();
    if kind == ErrorKind::ReaderGone {
        return Err(Failure::Reported(141));
    }
    if global.json || kind == ErrorKind::Interrupted {
        // The document (or our own wording of the interruption) is the
        // report; only the exit code is left to give.
        crate::output::note(&format!("sequelae: {message}"));
        return Err(Failure::Reported(match kind {
            ErrorKind::Usage => 2,
            ErrorKind::Connect => 3,
            ErrorKind::Dump => 1,
            ErrorKind::Interrupted => interrupt::current().map_or(130, |stop| stop.code()),
            ErrorKind::ReaderGone => 141,
        }));
    }
    Err(match kind {
        ErrorKind::Usage => Failure::Usage(message),
        ErrorKind::Connect => Failure::Connect(message),
        ErrorKind::Dump | ErrorKind::Interrupted | ErrorKind::ReaderGone => {
            Failure::Database(message)
        }
    })
}

/// The result line or document on stdout, flushed, so that a failure to
/// write it is seen here (not as a panic, nor lost at exit).
fn write_result(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    if crate::output::stdout_was_closed() {
        return Err(std::io::Error::other("stdout is closed"));
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()
}

/// The result could not be written. A reader that left (`| head`, EPIPE)
/// ends quietly as a program killed by SIGPIPE would (141); any other
/// error (a full disk, a closed stdout) is said on stderr with exit 2.
/// Never 0: whoever reads stdout did not get the answer. The backup itself
/// is kept when it was written, and the message says where it is.
fn result_unwritten(report: &BackupReport, e: &std::io::Error) -> Failure {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return Failure::Reported(141);
    }
    let kept = match (&report.error, &report.output_path) {
        (None, Some(path)) => format!(" (the backup was written to {})", path.display()),
        _ => String::new(),
    };
    crate::output::note(&format!(
        "sequelae: cannot write the backup result to stdout: {e}{kept}"
    ));
    Failure::Reported(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: BackupArgs,
    }

    fn parse(args: &[&str]) -> Result<BackupOptions, clap::Error> {
        let mut argv = vec!["backup"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).map(|c| c.args.into_options())
    }

    #[test]
    fn defaults() {
        let o = parse(&[]).expect("parses");
        assert_eq!(o, BackupOptions::default());
    }

    #[test]
    fn every_option() {
        let o = parse(&[
            "--format",
            "directory",
            "--tables",
            "users,posts",
            "-t",
            "app.\"my table\"",
            "--exclude-tables",
            "logs",
            "--schema-only",
            "--compress",
            "9",
            "--output",
            "dumpdir",
            "--force",
            "--jobs",
            "4",
            "--pg-dump",
            "--pg-dump-path",
            "/opt/pg_dump",
            "--pg-dump-password-via",
            "passfile",
            "--no-owner",
            "-x",
            "--allow-incomplete",
            "--disable-triggers",
            "--lock-wait-timeout",
            "5s",
        ])
        .expect("parses");
        assert_eq!(
            o,
            BackupOptions {
                format: BackupFormat::Directory,
                tables: vec!["users,posts".into(), "app.\"my table\"".into()],
                schemas: vec![],
                exclude_tables: vec!["logs".into()],
                data_only: false,
                schema_only: true,
                compression: Compression::Level(9),
                output: Some("dumpdir".into()),
                force: true,
                jobs: 4,
                method: BackupMethod::PgDump,
                pg_dump_path: Some("/opt/pg_dump".into()),
                password_channel: PasswordChannel::Passfile,
                no_owner: true,
                no_privileges: true,
                allow_incomplete: true,
                disable_triggers: true,
                lock_wait_timeout_ms: Some(5_000),
            }
        );
    }

    #[test]
    fn compress_alone_means_the_default_level() {
        let o = parse(&["--compress", "--output", "x.sql.gz"]).expect("parses");
        assert_eq!(o.compression, Compression::on());
        assert_eq!(o.output, Some("x.sql.gz".into()));
        let o = parse(&["-Fc", "-Z0"]).expect("parses");
        assert_eq!(
            (o.format, o.compression),
            (BackupFormat::Custom, Compression::Level(0))
        );
    }

    #[test]
    fn refusals() {
        assert!(parse(&["--compress", "10"]).is_err());
        assert!(parse(&["--format", "zip"]).is_err());
        assert!(parse(&["--pg-dump", "--no-pg-dump"]).is_err());
        assert!(parse(&["--lock-wait-timeout", "soon"]).is_err());
        let o = parse(&["--no-pg-dump"]).expect("parses");
        assert_eq!(o.method, BackupMethod::Native);
    }
}
