//! The options each command takes, and how they combine with the ones
//! written before the command's name.
//!
//! Each subcommand declares only the options it uses, so its `--help`,
//! completions and man page list nothing it would refuse. Earlier
//! versions took every option on the top level (`sequelae --json exec
//! ...`); those command lines keep working through [`Leading`], and an
//! option written there for a command that has no use for it gets the
//! same error as before.

use clap::{Args, ValueEnum};

use crate::exit::Failure;

/// How `exec` and `file` print results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// psql-style aligned tables.
    Table,
    /// One JSON document.
    Json,
    /// One JSON object per line, a row per line as it arrives.
    Ndjson,
    /// RFC 4180 CSV with a header row.
    Csv,
}

/// How `schema` and `health` print their report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// Text for people.
    Table,
    /// One JSON document.
    Json,
}

/// Options written before the subcommand. Only `--database-url` and
/// `--json` are listed in `sequelae --help` (they apply to every command
/// that connects); the query options are accepted here for the command
/// lines of earlier versions and listed by the commands that take them.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct Leading {
    /// Connection URL or key=value string (overrides DATABASE_URL and PG*).
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,

    /// Print results as JSON on stdout.
    #[arg(long)]
    json: bool,

    #[arg(long, hide = true, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    timeout: Option<u64>,

    #[arg(long, hide = true)]
    no_transaction: bool,

    #[arg(long, hide = true, value_name = "N")]
    max_rows: Option<u64>,

    #[arg(long, hide = true)]
    read_only: bool,
}

/// Where to connect.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct ConnectionArgs {
    /// Connection URL or key=value string (overrides DATABASE_URL and PG*).
    #[arg(long, value_name = "URL")]
    pub(crate) database_url: Option<String>,
}

/// How `exec` and `file` print results.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct ResultFormatArgs {
    /// Output format: table (psql-style), json (one document), ndjson (a
    /// line per row, as rows arrive) or csv (RFC 4180, with a header).
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<OutputFormat>,

    /// Print results as JSON on stdout (short for --format json).
    #[arg(long)]
    json: bool,

    /// Show each row as a record, a line per column (psql's \x), for
    /// rows too wide for the screen. Tables only.
    #[arg(long, short = 'x')]
    expanded: bool,
}

/// How `schema` and `health` print their report.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct ReportFormatArgs {
    /// Output format: table (text) or json.
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<ReportFormat>,

    /// Print the report as JSON on stdout (short for --format json).
    #[arg(long)]
    json: bool,
}

/// `--json` alone, for commands whose `--format` means something else.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct JsonArg {
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// The statement timeout.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct TimeoutArg {
    /// Cancel a statement that runs longer than this many milliseconds
    /// (statement_timeout on the server, and a cancel request if the
    /// server does not stop). Default: $QUERY_TIMEOUT, if set.
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    timeout: Option<u64>,
}

/// How a script runs.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct ScriptArgs {
    /// Run each statement on its own instead of all in one transaction
    /// (for VACUUM, CREATE DATABASE, CREATE INDEX CONCURRENTLY...).
    #[arg(long)]
    no_transaction: bool,

    /// Show at most N rows of each result (the rest is counted and the
    /// output says it was cut).
    #[arg(long, value_name = "N")]
    max_rows: Option<u64>,

    /// Run in a READ ONLY transaction: the database refuses any write.
    #[arg(long)]
    read_only: bool,
}

/// `--read-only` on commands that only read: satisfied, not ignored.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct ReadOnlyArg {
    /// Accepted for symmetry with exec: this command only reads.
    #[arg(long)]
    read_only: bool,
}

/// The options a command runs with, after combining what was written
/// before and after its name.
#[derive(Debug, Clone, Default)]
pub(crate) struct GlobalOptions {
    pub(crate) database_url: Option<String>,
    /// The output is a JSON document or JSON lines: failures are also
    /// written on stdout as JSON, so that scripts always get one.
    pub(crate) json: bool,
    pub(crate) format: Option<OutputFormat>,
    pub(crate) expanded: bool,
    pub(crate) timeout: Option<u64>,
    pub(crate) no_transaction: bool,
    pub(crate) max_rows: Option<u64>,
    pub(crate) read_only: bool,
}

impl GlobalOptions {
    pub(crate) fn timeout(&self) -> Option<std::time::Duration> {
        self.timeout.map(std::time::Duration::from_millis)
    }

    /// The result format of exec and file.
    pub(crate) fn output_format(&self) -> OutputFormat {
        self.format.unwrap_or(OutputFormat::Table)
    }
}

/// What one command was given, in its own words.
#[derive(Debug, Default)]
pub(crate) struct Given<'a> {
    pub(crate) connection: Option<&'a ConnectionArgs>,
    pub(crate) result_format: Option<&'a ResultFormatArgs>,
    pub(crate) report_format: Option<&'a ReportFormatArgs>,
    pub(crate) json: Option<&'a JsonArg>,
    pub(crate) timeout: Option<&'a TimeoutArg>,
    pub(crate) script: Option<&'a ScriptArgs>,
    pub(crate) read_only: Option<&'a ReadOnlyArg>,
}

impl Leading {
    /// Whether `--json` came before the subcommand (for reporting a
    /// failure that happens before the options are combined).
    pub(crate) fn json(&self) -> bool {
        self.json
    }

    /// Combines these options with what `command` was given after its
    /// name; refuses an option `command` has no use for.
    pub(crate) fn combine(
        &self,
        command: &str,
        given: &Given<'_>,
    ) -> Result<GlobalOptions, Failure> {
        let mut unused = Vec::new();
        if given.script.is_none() {
            if self.no_transaction {
                unused.push("--no-transaction");
            }
            if self.max_rows.is_some() {
                unused.push("--max-rows");
            }
            if self.read_only && given.read_only.is_none() {
                unused.push("--read-only");
            }
        }
        if given.timeout.is_none() && self.timeout.is_some() {
            unused.push("--timeout");
        }
        let query_flags = !unused.is_empty();
        if given.connection.is_none() && self.database_url.is_some() {
            unused.push("--database-url");
        }
        let takes_json =
            given.result_format.is_some() || given.report_format.is_some() || given.json.is_some();
        if !takes_json && self.json {
            unused.push("--json");
        }
        if !unused.is_empty() {
            let why = if query_flags && !unused.contains(&"--json") {
                " (they shape exec and file)"
            } else {
                ""
            };
            return Err(Failure::Usage(format!(
                "{} {} not apply to `sequelae {command}`{why}; remove {}",
                unused.join(", "),
                if unused.len() == 1 { "does" } else { "do" },
                if unused.len() == 1 { "it" } else { "them" },
            )));
        }

        let mut options = GlobalOptions {
            database_url: given
                .connection
                .and_then(|c| c.database_url.clone())
                .or_else(|| self.database_url.clone()),
            ..GlobalOptions::default()
        };
        let mut json = self.json;
        if let Some(format) = given.result_format {
            json |= format.json;
            options.format = format.format;
            options.expanded = format.expanded;
        }
        if let Some(format) = given.report_format {
            json |= format.json;
            options.format = format.format.map(|f| match f {
                ReportFormat::Table => OutputFormat::Table,
                ReportFormat::Json => OutputFormat::Json,
            });
        }
        if let Some(arg) = given.json {
            json |= arg.json;
        }
        options.format = match (json, options.format) {
            (true, None | Some(OutputFormat::Json)) => Some(OutputFormat::Json),
            (true, Some(other)) => {
                return Err(Failure::Usage(format!(
                    "--json is --format json and cannot be combined with --format {}; keep one",
                    format_name(other)
                )));
            }
            (false, format) => format,
        };
        if options.expanded && options.output_format() != OutputFormat::Table {
            return Err(Failure::Usage(format!(
                "--expanded shapes tables and does not apply to --format {}; remove it",
                format_name(options.output_format())
            )));
        }
        options.json = matches!(
            options.format,
            Some(OutputFormat::Json | OutputFormat::Ndjson)
        );
        if let Some(script) = given.script {
            options.no_transaction = script.no_transaction || self.no_transaction;
            options.max_rows = script.max_rows.or(self.max_rows);
            options.read_only = script.read_only || self.read_only;
        }
        if given.timeout.is_some() {
            options.timeout = match given.timeout.and_then(|t| t.timeout).or(self.timeout) {
                Some(ms) => Some(ms),
                None => timeout_from_env()?,
            };
        }
        Ok(options)
    }
}

fn format_name(format: OutputFormat) -> &'static str {
    match format {
        OutputFormat::Table => "table",
        OutputFormat::Json => "json",
        OutputFormat::Ndjson => "ndjson",
        OutputFormat::Csv => "csv",
    }
}

/// QUERY_TIMEOUT, the environment's `--timeout`, read only by commands
/// that run queries (so that a bad value does not stop `health`).
fn timeout_from_env() -> Result<Option<u64>, Failure> {
    let Some(value) = std::env::var_os("QUERY_TIMEOUT") else {
        return Ok(None);
    };
    match value.to_str().and_then(|v| v.trim().parse::<u64>().ok()) {
        Some(ms) if ms >= 1 => Ok(Some(ms)),
        _ => Err(Failure::Usage(format!(
            "QUERY_TIMEOUT={} is not a timeout; give a whole number of milliseconds, 1 or more, \
             or unset it",
            value.to_string_lossy()
        ))),
    }
}
