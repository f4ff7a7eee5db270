//! What the user asked for: [`BackupOptions`] and the small types its
//! fields are made of, with the checks that need nothing but the options.

use std::path::PathBuf;
use std::str::FromStr;

use super::error::BackupError;
use super::format::BackupFormat;

impl FromStr for BackupFormat {
    type Err = BackupError;

    /// The names, and pg_dump's one-letter spellings.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "plain" | "p" | "sql" => Ok(BackupFormat::Plain),
            "custom" | "c" => Ok(BackupFormat::Custom),
            "directory" | "d" | "dir" => Ok(BackupFormat::Directory),
            "tar" | "t" => Ok(BackupFormat::Tar),
            other => Err(BackupError::UnknownFormat {
                value: other.to_string(),
            }),
        }
    }
}

/// How hard to compress: `--compress` alone, a level, or nothing said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    /// Nothing asked: pg_dump's default for the format, which is none for
    /// plain and tar and gzip at zlib's default level for custom and
    /// directory.
    #[default]
    FormatDefault,
    /// A gzip level from 0 (store uncompressed) to 9.
    Level(u8),
}

impl Compression {
    /// What `--compress` without a level means: gzip at zlib's default
    /// level, the same as pg_dump's own default for custom and directory.
    pub const DEFAULT_LEVEL: u8 = 6;

    /// The highest gzip level.
    pub const MAX_LEVEL: u8 = 9;

    /// `--compress` given without a level.
    pub fn on() -> Compression {
        Compression::Level(Compression::DEFAULT_LEVEL)
    }

    /// From the `compress` of a request: `false` says nothing (the
    /// format's default), `true` is [`Compression::on`].
    pub fn from_flag(compress: bool) -> Compression {
        if compress {
            Compression::on()
        } else {
            Compression::FormatDefault
        }
    }

    /// True when `format` written with this setting is compressed.
    pub fn compresses(self, format: BackupFormat) -> bool {
        match self {
            Compression::FormatDefault => {
                matches!(format, BackupFormat::Custom | BackupFormat::Directory)
            }
            Compression::Level(level) => level > 0,
        }
    }
}

/// Which way to take the backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BackupMethod {
    /// pg_dump when it is installed and can dump the server, else the
    /// native method; also the native method when pg_dump fails.
    #[default]
    Auto,
    /// pg_dump or nothing (`--pg-dump`): its failure is the backup's.
    PgDump,
    /// The native method only (`--no-pg-dump`).
    Native,
}

impl BackupMethod {
    /// True when pg_dump is to be looked for (auto and pg_dump).
    pub fn uses_pg_dump(self) -> bool {
        self != BackupMethod::Native
    }

    /// The name results show.
    pub fn as_str(self) -> &'static str {
        match self {
            BackupMethod::Auto => "auto",
            BackupMethod::PgDump => "pg_dump",
            BackupMethod::Native => "native",
        }
    }
}

/// How the password reaches pg_dump. Never through its arguments, which
/// every user of the machine can read in `ps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PasswordChannel {
    /// `PGPASSWORD` in pg_dump's environment, which on Linux only the same
    /// user and root can read (`/proc/<pid>/environ` is mode 0400), and
    /// which leaves nothing on disk even if sequelae is killed.
    #[default]
    Environment,
    /// A password file of mode 0600 in the temporary directory, named by
    /// `PGPASSFILE` and removed when pg_dump ends: the channel the
    /// PostgreSQL documentation recommends on systems where `ps` shows
    /// other users' environments.
    Passfile,
}

impl FromStr for PasswordChannel {
    type Err = BackupError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "env" | "environment" => Ok(PasswordChannel::Environment),
            "passfile" => Ok(PasswordChannel::Passfile),
            other => Err(BackupError::UnknownPasswordChannel {
                value: other.to_string(),
            }),
        }
    }
}

/// Everything a backup request says, as the CLI and the MCP tool take it.
///
/// Lists hold what the user typed: each item may itself be a
/// comma-separated list, and names follow the rule every command shares
/// ([`crate::catalog`]: quoted parts exact, unquoted ones exact when such a
/// relation exists, else folded to lower case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupOptions {
    /// The archive format.
    pub format: BackupFormat,
    /// Only these tables (or views, sequences...), `[schema.]name` each.
    pub tables: Vec<String>,
    /// Only these schemas.
    pub schemas: Vec<String>,
    /// Leave these tables out.
    pub exclude_tables: Vec<String>,
    /// Rows only, no definitions.
    pub data_only: bool,
    /// Definitions only, no rows.
    pub schema_only: bool,
    /// Compression, see [`Compression`].
    pub compression: Compression,
    /// Where to write; `None` means `backup_<UTC timestamp>.<ext>` in the
    /// working directory. A relative path is taken from the working
    /// directory.
    pub output: Option<PathBuf>,
    /// Replace an existing output.
    pub force: bool,
    /// Parallel jobs (directory format only); 1 means no parallelism.
    pub jobs: u32,
    /// Which method may run.
    pub method: BackupMethod,
    /// The pg_dump program (`--pg-dump-path`); else `SEQUELAE_PG_DUMP`,
    /// else `pg_dump` on `PATH`.
    pub pg_dump_path: Option<String>,
    /// How the password reaches pg_dump.
    pub password_channel: PasswordChannel,
    /// No `ALTER ... OWNER TO` (`--no-owner`): objects belong to whoever
    /// restores.
    pub no_owner: bool,
    /// No GRANT or REVOKE (`--no-privileges`).
    pub no_privileges: bool,
    /// Keep a native backup that lacks objects the native method cannot
    /// dump yet (`--allow-incomplete`); without it such a backup fails.
    pub allow_incomplete: bool,
    /// `--disable-triggers` (with `--data-only`): the restore runs each
    /// table's rows with its triggers off.
    pub disable_triggers: bool,
    /// `--lock-wait-timeout`: how long the backup waits for each table
    /// lock before it fails, in milliseconds; `None` waits as long as it
    /// takes.
    pub lock_wait_timeout_ms: Option<u64>,
}

impl Default for BackupOptions {
    fn default() -> Self {
        BackupOptions {
            format: BackupFormat::Plain,
            tables: Vec::new(),
            schemas: Vec::new(),
            exclude_tables: Vec::new(),
            data_only: false,
            schema_only: false,
            compression: Compression::FormatDefault,
            output: None,
            force: false,
            jobs: 1,
            method: BackupMethod::Auto,
            pg_dump_path: None,
            password_channel: PasswordChannel::Environment,
            no_owner: false,
            no_privileges: false,
            allow_incomplete: false,
            disable_triggers: false,
            lock_wait_timeout_ms: None,
        }
    }
}

impl BackupOptions {
    /// The checks that need nothing but the options, in the order a user
    /// would fix them. The output path and the names are checked later,
    /// against the file system and the catalog.
    ///
    /// # Errors
    ///
    /// The first conflict found, worded with the fix.
    pub fn check(&self) -> Result<(), BackupError> {
        if self.schema_only && self.data_only {
            return Err(BackupError::SchemaOnlyWithDataOnly);
        }
        if let Compression::Level(level) = self.compression {
            if level > Compression::MAX_LEVEL {
                return Err(BackupError::CompressionLevel { level });
            }
            if level > 0 && self.format == BackupFormat::Tar {
                return Err(BackupError::TarCompression);
            }
        }
        if self.jobs == 0 {
            return Err(BackupError::ZeroJobs);
        }
        if self.disable_triggers && !self.data_only {
            return Err(BackupError::DisableTriggersNeedsDataOnly);
        }
        // pg_dump writes only the directory format in parallel; the
        // native method writes plain (and gzip) in parallel.
        let native_parallel =
            self.format == BackupFormat::Plain && self.method != BackupMethod::PgDump;
        if self.jobs > 1 && self.format != BackupFormat::Directory && !native_parallel {
            return Err(BackupError::JobsNeedDirectory {
                jobs: self.jobs,
                format: self.format,
            });
        }
        if self.jobs > 1 && self.streams_to_stdout() {
            return Err(BackupError::JobsToStdout { jobs: self.jobs });
        }
        if self.has_items(&self.tables) && self.has_items(&self.schemas) {
            return Err(BackupError::TablesWithSchemas);
        }
        if self.streams_to_stdout() && !self.format.can_stream() {
            return Err(BackupError::CannotStream {
                format: self.format,
            });
        }
        Ok(())
    }

    /// True when `--output` names standard output (`-`, `/dev/stdout`,
    /// `/dev/fd/1`): pg_dump then writes the backup there as it goes, with
    /// no temporary name and nothing to publish, and the result goes to
    /// standard error.
    pub fn streams_to_stdout(&self) -> bool {
        self.output.as_deref().is_some_and(|p| {
            ["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"]
                .iter()
                .any(|name| p == std::path::Path::new(name))
        })
    }

    /// Reads a `--lock-wait-timeout`: milliseconds, or a number with `ms`,
    /// `s` or `min`, as PostgreSQL reads `lock_timeout`.
    ///
    /// # Errors
    ///
    /// [`BackupError::BadLockWaitTimeout`] for anything else.
    pub fn parse_lock_wait_timeout(text: &str) -> Result<u64, BackupError> {
        let bad = || BackupError::BadLockWaitTimeout {
            value: text.to_string(),
        };
        let trimmed = text.trim();
        let digits = trimmed
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(trimmed.len());
        let (number, unit) = trimmed.split_at(digits);
        let number: u64 = number.parse().map_err(|_| bad())?;
        let factor = match unit.trim() {
            "" | "ms" => 1,
            "s" => 1_000,
            "min" => 60_000,
            _ => return Err(bad()),
        };
        number.checked_mul(factor).ok_or_else(bad)
    }

    fn has_items(&self, list: &[String]) -> bool {
        list.iter().any(|item| !item.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn options(edit: impl FnOnce(&mut BackupOptions)) -> BackupOptions {
        let mut o = BackupOptions::default();
        edit(&mut o);
        o
    }

    #[rstest]
    #[case("plain", BackupFormat::Plain)]
    #[case("p", BackupFormat::Plain)]
    #[case("custom", BackupFormat::Custom)]
    #[case("c", BackupFormat::Custom)]
    #[case("directory", BackupFormat::Directory)]
    #[case("d", BackupFormat::Directory)]
    #[case("tar", BackupFormat::Tar)]
    #[case("t", BackupFormat::Tar)]
    fn formats_parse(#[case] text: &str, #[case] format: BackupFormat) {
        assert_eq!(text.parse::<BackupFormat>().ok(), Some(format));
    }

    #[test]
    fn unknown_format_lists_the_choices() {
        let err = "zip".parse::<BackupFormat>().expect_err("zip");
        assert_eq!(
            err.to_string(),
            "unknown backup format \"zip\": expected plain, custom, directory or tar"
        );
    }

    #[rstest]
    #[case("5000", Some(5_000))]
    #[case("250ms", Some(250))]
    #[case(" 5s", Some(5_000))]
    #[case("2min", Some(120_000))]
    #[case("5 s", Some(5_000))]
    #[case("soon", None)]
    #[case("-1", None)]
    #[case("5h", None)]
    #[case("", None)]
    fn lock_wait_timeouts_parse(#[case] text: &str, #[case] ms: Option<u64>) {
        assert_eq!(BackupOptions::parse_lock_wait_timeout(text).ok(), ms);
    }

    #[test]
    fn defaults_pass() {
        assert_eq!(BackupOptions::default().check(), Ok(()));
    }

    #[rstest]
    #[case::both_only(options(|o| { o.schema_only = true; o.data_only = true; }),
        "--schema-only and --data-only exclude each other: a backup with neither has both definitions and rows")]
    #[case::tar_gzip(options(|o| { o.format = BackupFormat::Tar; o.compression = Compression::on(); }),
        "the tar format cannot be compressed (pg_dump writes tar archives uncompressed): drop --compress, or use --format custom or directory")]
    #[case::level(options(|o| o.compression = Compression::Level(10)),
        "compression level 10 is out of range: use 0 (none) to 9 (smallest)")]
    #[case::jobs_plain_pg_dump(options(|o| { o.jobs = 4; o.method = BackupMethod::PgDump; }),
        "--jobs 4 needs --format directory: pg_dump writes only the directory format in parallel (the format is plain; without --pg-dump the native method writes plain in parallel)")]
    #[case::jobs_custom(options(|o| { o.jobs = 4; o.format = BackupFormat::Custom; }),
        "--jobs 4 needs --format directory: pg_dump writes only the directory format in parallel (the format is custom)")]
    #[case::zero_jobs(options(|o| o.jobs = 0), "--jobs must be at least 1")]
    #[case::tables_and_schemas(options(|o| { o.tables = vec!["users".into()]; o.schemas = vec!["app".into()]; }),
        "--tables and --schemas cannot be combined (pg_dump would ignore the schemas): qualify the tables instead, e.g. --tables app.users")]
    #[case::disable_triggers(options(|o| o.disable_triggers = true),
        "--disable-triggers applies to --data-only backups (a full backup creates triggers after the rows anyway): add --data-only or drop --disable-triggers")]
    fn conflicts_are_refused(#[case] o: BackupOptions, #[case] message: &str) {
        let err = o.check().expect_err("must be refused");
        assert_eq!(err.to_string(), message);
        assert_eq!(err.kind(), super::super::ErrorKind::Usage);
    }

    #[rstest]
    #[case::tar_level_zero(options(|o| { o.format = BackupFormat::Tar; o.compression = Compression::Level(0); }))]
    #[case::directory_jobs(options(|o| { o.format = BackupFormat::Directory; o.jobs = 8; }))]
    #[case::plain_jobs(options(|o| o.jobs = 2))]
    #[case::plain_jobs_native(options(|o| { o.jobs = 2; o.method = BackupMethod::Native; }))]
    #[case::custom_nine(options(|o| { o.format = BackupFormat::Custom; o.compression = Compression::Level(9); }))]
    #[case::exclude_with_tables(options(|o| { o.tables = vec!["a".into()]; o.exclude_tables = vec!["b".into()]; }))]
    fn compatible_options_pass(#[case] o: BackupOptions) {
        assert_eq!(o.check(), Ok(()));
    }

    #[rstest]
    #[case(Compression::FormatDefault, BackupFormat::Plain, false)]
    #[case(Compression::FormatDefault, BackupFormat::Custom, true)]
    #[case(Compression::FormatDefault, BackupFormat::Directory, true)]
    #[case(Compression::FormatDefault, BackupFormat::Tar, false)]
    #[case(Compression::on(), BackupFormat::Plain, true)]
    #[case(Compression::Level(0), BackupFormat::Custom, false)]
    fn what_is_compressed(#[case] c: Compression, #[case] f: BackupFormat, #[case] yes: bool) {
        assert_eq!(c.compresses(f), yes);
    }

    #[rstest]
    #[case("-", BackupFormat::Plain, Ok(true))]
    #[case("/dev/stdout", BackupFormat::Custom, Ok(true))]
    #[case("/dev/fd/1", BackupFormat::Tar, Ok(true))]
    #[case("-", BackupFormat::Directory, Err(()))]
    #[case("./-", BackupFormat::Plain, Ok(false))]
    #[case("out.sql", BackupFormat::Plain, Ok(false))]
    fn standard_output(
        #[case] output: &str,
        #[case] format: BackupFormat,
        #[case] streams: Result<bool, ()>,
    ) {
        let o = options(|o| {
            o.output = Some(output.into());
            o.format = format;
        });
        match streams {
            Ok(expected) => {
                assert_eq!(o.check(), Ok(()));
                assert_eq!(o.streams_to_stdout(), expected);
            }
            Err(()) => assert_eq!(
                o.check().map_err(|e| e.to_string()),
                Err("the directory format writes a folder of files, which cannot go to standard output: name a directory with --output, or use --format plain, custom or tar".to_string())
            ),
        }
    }
}
