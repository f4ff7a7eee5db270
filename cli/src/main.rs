//! `sequelae`: run SQL, read the schema, check health and take backups of
//! PostgreSQL from a terminal.

mod exec;
mod exit;
mod interrupt;

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
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run SQL (one or several statements) and print every result.
    Exec {
        /// The SQL text.
        sql: String,
    },
}

fn main() -> ExitCode {
    interrupt::install();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Exec { sql } => exec::run(&cli.global, &sql),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{failure}");
            failure.exit_code()
        }
    }
}
