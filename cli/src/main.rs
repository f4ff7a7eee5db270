//! `sequelae`: run SQL, read the schema, check health and take backups of
//! PostgreSQL from a terminal.

mod exec;
mod exit;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Command line of sequelae. Connection settings come from
/// `--database-url`, else DATABASE_URL, else the PG* variables, as psql.
#[derive(Debug, Parser)]
#[command(name = "sequelae", version, about, propagate_version = true)]
struct Cli {
    /// Connection URL or key=value string (overrides DATABASE_URL and PG*).
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,

    #[command(subcommand)]
    command: Command,
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
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Exec { sql } => exec::run(cli.database_url.as_deref(), &sql),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{failure}");
            failure.exit_code()
        }
    }
}
