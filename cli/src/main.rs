//! `sequelae`: run SQL, read the schema, check health and take backups of
//! PostgreSQL from a terminal.

mod backup;
mod connection_info;
mod exec;
mod exit;
mod health;
mod interrupt;
mod present;
mod schema;
mod script;
mod source;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Command line of sequelae. Connection settings come from
/// `--database-url`, else DATABASE_URL (also from a `.env` file in the
/// working directory), else the PG* variables, as psql reads them.
#[derive(Debug, Parser)]
#[command(name = "sequelae", version, about, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: GlobalOptions,

    #[command(subcommand)]
    command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub(crate) struct GlobalOptions {
    /// Connection URL or key=value string (overrides DATABASE_URL and PG*).
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) database_url: Option<String>,

    /// Print results as JSON on stdout.
    #[arg(long, global = true)]
    pub(crate) json: bool,

    /// Cancel a statement that runs longer than this many milliseconds
    /// (statement_timeout on the server, and a cancel request if the
    /// server does not stop).
    #[arg(long, global = true, value_name = "MS", env = "QUERY_TIMEOUT",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) timeout: Option<u64>,

    /// Run each statement on its own instead of all in one transaction
    /// (for VACUUM, CREATE DATABASE, CREATE INDEX CONCURRENTLY...).
    #[arg(long, global = true)]
    pub(crate) no_transaction: bool,

    /// Show at most N rows of each result (the rest is counted and the
    /// output says it was cut).
    #[arg(long, global = true, value_name = "N")]
    pub(crate) max_rows: Option<u64>,

    /// Run in a READ ONLY transaction: the database refuses any write.
    #[arg(long, global = true)]
    pub(crate) read_only: bool,
}

impl GlobalOptions {
    pub(crate) fn timeout(&self) -> Option<std::time::Duration> {
        self.timeout.map(std::time::Duration::from_millis)
    }

    /// Refuses the query flags a command has no use for: a flag that is
    /// accepted and then ignored lets a user believe in a limit that is
    /// not there.
    fn check_for(&self, command: &str, takes_timeout: bool) -> Result<(), exit::Failure> {
        let mut unused = Vec::new();
        if self.no_transaction {
            unused.push("--no-transaction");
        }
        if self.max_rows.is_some() {
            unused.push("--max-rows");
        }
        if self.read_only {
            unused.push("--read-only");
        }
        // QUERY_TIMEOUT from the environment is meant for queries: only
        // an explicit --timeout on a command without queries is an error.
        if self.timeout.is_some() && !takes_timeout && std::env::var_os("QUERY_TIMEOUT").is_none() {
            unused.push("--timeout");
        }
        match unused.as_slice() {
            [] => Ok(()),
            flags => Err(exit::Failure::Usage(format!(
                "{} {} not apply to `sequelae {command}` (they shape exec and file); remove {}",
                flags.join(", "),
                if flags.len() == 1 { "does" } else { "do" },
                if flags.len() == 1 { "it" } else { "them" },
            ))),
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run SQL (one or several statements) and print every result.
    Exec {
        /// The SQL text.
        sql: String,
    },
    /// Run a SQL file (`-` reads stdin), streamed statement by statement.
    File {
        /// Path of the SQL file, or `-`.
        path: camino::Utf8PathBuf,
    },
    /// Back up the database with pg_dump, atomically, with progress.
    Backup(backup::BackupArgs),
    /// Describe tables: columns, keys, indexes, JSON structure.
    Schema(schema::SchemaArgs),
    /// Check the server: version, latency, size, uptime, connections.
    /// Exits 1 when the server is unhealthy, 3 when it cannot be reached.
    Health,
    /// Show the connection settings and where each came from, without
    /// connecting (the password is never shown).
    ConnectionInfo,
}

fn main() -> ExitCode {
    interrupt::install();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let outcome = match cli.command {
        Command::Exec { sql } => exec::exec(&cli.global, &sql),
        Command::File { path } => exec::file(&cli.global, &path),
        Command::ConnectionInfo => cli
            .global
            .check_for("connection-info", false)
            .and_then(|()| connection_info::run(&cli.global)),
        Command::Health => cli
            .global
            .check_for("health", false)
            .and_then(|()| health::run(&cli.global)),
        Command::Schema(args) => {
            // Reading the catalog is read-only anyway; --read-only is
            // satisfied, not ignored.
            let global = GlobalOptions {
                read_only: false,
                ..cli.global.clone()
            };
            global
                .check_for("schema", true)
                .and_then(|()| schema::run(&global, args))
        }
        Command::Backup(args) => {
            let global = GlobalOptions {
                read_only: false,
                ..cli.global.clone()
            };
            global
                .check_for("backup", false)
                .and_then(|()| backup::run(&global, args))
        }
    };
    report_peak_memory();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            failure.report(cli.global.json);
            failure.exit_code()
        }
    }
}

/// With `SEQUELAE_REPORT_PEAK_RSS=1`, prints this process's peak resident
/// memory to stderr at exit, so that tests and benchmarks measure the
/// streaming bound on the real binary instead of guessing it.
fn report_peak_memory() {
    if std::env::var_os("SEQUELAE_REPORT_PEAK_RSS").is_none() {
        return;
    }
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .map(|v| v.trim().trim_end_matches("kB").trim().to_string())
        });
    if let Some(kib) = peak {
        eprintln!("sequelae: peak_rss_kib={kib}");
    }
}

/// Bad command-line words: clap's message on stderr, and with `--json`
/// also the JSON failure document on stdout, so that scripts parsing
/// stdout always get one. `--help` and `--version` print as usual.
fn usage_error(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        error.exit();
    }
    if std::env::args_os().any(|a| a == "--json") {
        let message = error.render().to_string();
        let first = message
            .lines()
            .next()
            .unwrap_or("bad usage")
            .trim_start_matches("error: ")
            .to_string();
        let fields = sequelae_core::render::ErrorFields {
            error: first,
            ..sequelae_core::render::ErrorFields::default()
        };
        print!("{}", fields.document());
    }
    let _ = error.print();
    ExitCode::from(2)
}
