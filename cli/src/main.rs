//! `sequelae`: run SQL, read the schema, check health and take backups of
//! PostgreSQL from a terminal.

mod backup;
mod connection_info;
mod docs;
mod exec;
mod exit;
mod health;
mod interrupt;
mod options;
mod output;
mod present;
mod schema;
mod script;
mod source;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub(crate) use options::GlobalOptions;
use options::{
    ConnectionArgs, Given, JsonArg, ReadOnlyArg, ReportFormatArgs, ResultFormatArgs, ScriptArgs,
    TimeoutArg,
};

/// Command line of sequelae. Connection settings come from
/// `--database-url`, else DATABASE_URL (also from a `.env` file in the
/// working directory), else the PG* variables, as psql reads them.
#[derive(Debug, Parser)]
#[command(name = "sequelae", version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    leading: options::Leading,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run SQL (one or several statements) and print every result.
    Exec {
        /// The SQL text.
        sql: String,
        #[command(flatten)]
        connection: ConnectionArgs,
        #[command(flatten)]
        format: ResultFormatArgs,
        #[command(flatten)]
        timeout: TimeoutArg,
        #[command(flatten)]
        script: ScriptArgs,
    },
    /// Run a SQL file (`-` reads stdin), streamed statement by statement.
    File {
        /// Path of the SQL file, or `-`.
        path: camino::Utf8PathBuf,
        #[command(flatten)]
        connection: ConnectionArgs,
        #[command(flatten)]
        format: ResultFormatArgs,
        #[command(flatten)]
        timeout: TimeoutArg,
        #[command(flatten)]
        script: ScriptArgs,
    },
    /// Back up the database with pg_dump, atomically, with progress.
    Backup {
        #[command(flatten)]
        args: backup::BackupArgs,
        #[command(flatten)]
        connection: ConnectionArgs,
        #[command(flatten)]
        json: JsonArg,
        #[command(flatten)]
        read_only: ReadOnlyArg,
    },
    /// Describe tables: columns, keys, indexes, JSON structure.
    Schema {
        #[command(flatten)]
        args: schema::SchemaArgs,
        #[command(flatten)]
        connection: ConnectionArgs,
        #[command(flatten)]
        format: ReportFormatArgs,
        #[command(flatten)]
        timeout: TimeoutArg,
        #[command(flatten)]
        read_only: ReadOnlyArg,
    },
    /// Check the server: version, latency, size, uptime, connections.
    /// Exits 1 when the server is unhealthy, 3 when it cannot be reached.
    Health {
        #[command(flatten)]
        connection: ConnectionArgs,
        #[command(flatten)]
        format: ReportFormatArgs,
    },
    /// Show the connection settings and where each came from, without
    /// connecting (the password is never shown).
    ConnectionInfo {
        #[command(flatten)]
        connection: ConnectionArgs,
        #[command(flatten)]
        json: JsonArg,
    },
    /// Print a shell completion script: `sequelae completions bash >
    /// /etc/bash_completion.d/sequelae` (or zsh, fish...).
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `sequelae man | man -l -`, or
    /// `sequelae man exec` for one command's page.
    Man {
        /// A command's own page instead of the overview.
        command: Option<String>,
    },
    /// Serve the MCP tools (sql_exec, sql_file, sql_schema, sql_health,
    /// sql_backup) on stdio for an AI assistant; also `sequelae --mcp`.
    Mcp {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// sql_exec and sql_file run in READ ONLY transactions: the
        /// database refuses writes, whatever a call asks.
        #[arg(long)]
        read_only: bool,
    },
}

impl Command {
    /// The command's name and the options it was given, for combining
    /// with those written before it.
    fn given(&self) -> (&'static str, Given<'_>) {
        match self {
            Command::Exec {
                connection,
                format,
                timeout,
                script,
                ..
            }
            | Command::File {
                connection,
                format,
                timeout,
                script,
                ..
            } => (
                if matches!(self, Command::Exec { .. }) {
                    "exec"
                } else {
                    "file"
                },
                Given {
                    connection: Some(connection),
                    result_format: Some(format),
                    timeout: Some(timeout),
                    script: Some(script),
                    ..Given::default()
                },
            ),
            Command::Backup {
                connection,
                json,
                read_only,
                ..
            } => (
                "backup",
                Given {
                    connection: Some(connection),
                    json: Some(json),
                    read_only: Some(read_only),
                    ..Given::default()
                },
            ),
            Command::Schema {
                connection,
                format,
                timeout,
                read_only,
                ..
            } => (
                "schema",
                Given {
                    connection: Some(connection),
                    report_format: Some(format),
                    timeout: Some(timeout),
                    read_only: Some(read_only),
                    ..Given::default()
                },
            ),
            Command::Health { connection, format } => (
                "health",
                Given {
                    connection: Some(connection),
                    report_format: Some(format),
                    ..Given::default()
                },
            ),
            Command::ConnectionInfo { connection, json } => (
                "connection-info",
                Given {
                    connection: Some(connection),
                    json: Some(json),
                    ..Given::default()
                },
            ),
            Command::Mcp { connection, .. } => (
                "mcp",
                Given {
                    connection: Some(connection),
                    ..Given::default()
                },
            ),
            Command::Completions { .. } => ("completions", Given::default()),
            Command::Man { .. } => ("man", Given::default()),
        }
    }
}

fn main() -> ExitCode {
    interrupt::install();
    let cli = match Cli::try_parse_from(mcp_alias(std::env::args_os())) {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let (name, given) = cli.command.given();
    let global = match cli.leading.combine(name, &given) {
        Ok(global) => global,
        Err(failure) => {
            let json = cli.leading.json() || std::env::args_os().any(|a| a == "--json");
            failure.report(json);
            return failure.exit_code();
        }
    };
    let outcome = match cli.command {
        Command::Exec { sql, .. } => exec::exec(&global, &sql),
        Command::File { path, .. } => exec::file(&global, &path),
        Command::Health { .. } => health::run(&global),
        Command::ConnectionInfo { .. } => connection_info::run(&global),
        Command::Schema { args, .. } => schema::run(&global, args),
        Command::Backup { args, .. } => backup::run(&global, args),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man { command } => docs::man(command.as_deref()),
        Command::Mcp { read_only, .. } => mcp(&global, read_only),
    };
    report_peak_memory();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            failure.report(global.json);
            failure.exit_code()
        }
    }
}

/// `sequelae --mcp` is the original sequelae-mcp's way to start the
/// server: the same as the `mcp` command, when no command comes before it.
fn mcp_alias(
    args: impl Iterator<Item = std::ffi::OsString>,
) -> impl Iterator<Item = std::ffi::OsString> {
    let mut seen_command = false;
    args.enumerate().map(move |(i, arg)| {
        if i > 0 && !seen_command {
            if arg == "--mcp" {
                seen_command = true;
                return "mcp".into();
            }
            seen_command = !arg.to_string_lossy().starts_with('-');
        }
        arg
    })
}

/// `sequelae mcp`: serves until stdin closes.
fn mcp(global: &GlobalOptions, read_only: bool) -> Result<(), exit::Failure> {
    let options = sequelae_mcp::ServerOptions {
        read_only,
        database_url: global.database_url.clone(),
    };
    sequelae_mcp::serve(options).map_err(|e| exit::Failure::Usage(e.to_string()))
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
    if wants_json(std::env::args_os()) {
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

/// Whether the command line asks for JSON output (`--json`, `--format
/// json` or `ndjson`), judged on the raw words because clap refused them.
fn wants_json(args: impl Iterator<Item = std::ffi::OsString>) -> bool {
    let args: Vec<_> = args.collect();
    args.iter().enumerate().any(|(i, a)| {
        a == "--json"
            || a == "--format=json"
            || a == "--format=ndjson"
            || (a == "--format"
                && args
                    .get(i + 1)
                    .is_some_and(|v| v == "json" || v == "ndjson"))
    })
}
