//! What the server is told at start: command-line options and the
//! environment variables the original sequelae-mcp read.

use std::path::PathBuf;
use std::time::Duration;

use crate::rate_limit::{Limit, RateLimits};

/// Options from the command line.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// `--read-only`: sql_exec and sql_file run in read-only transactions
    /// whatever the call asks.
    pub read_only: bool,
    /// `--database-url`: overrides DATABASE_URL and the PG* variables.
    pub database_url: Option<String>,
}

/// A variable that cannot be used; the server does not start with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A number was expected.
    #[error("{name}={value} is not valid: give {expected}")]
    BadNumber {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it takes.
        expected: &'static str,
    },
    /// MCP_RATE_LIMIT_TOOLS is not the JSON it takes.
    #[error(
        "MCP_RATE_LIMIT_TOOLS is not valid: {reason}; give a JSON object such as \
         {{\"sql_exec\":{{\"maxRequests\":10,\"windowMs\":60000}},\"sql_backup\":2}}"
    )]
    BadToolLimits {
        /// What is wrong.
        reason: String,
    },
    /// The working directory cannot be read.
    #[error(
        "cannot read the working directory: {0}; start the server from a directory that exists"
    )]
    NoWorkingDirectory(String),
}

/// Everything the server runs with.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) read_only: bool,
    pub(crate) database_url: Option<String>,
    /// POSTGRES_MAX_CONNECTIONS (default 10).
    pub(crate) max_connections: usize,
    /// Where sql_file may read: SEQUELAE_SQL_ROOT, else the working
    /// directory.
    pub(crate) sql_root: PathBuf,
    /// Where sql_backup writes: SEQUELAE_BACKUP_DIR, else ./backups.
    pub(crate) backup_dir: PathBuf,
    pub(crate) rate_limits: RateLimits,
}

/// The default cap on connections to the database.
const DEFAULT_MAX_CONNECTIONS: usize = 10;
/// The default rate-limit window when only the count is given.
const DEFAULT_WINDOW: Duration = Duration::from_secs(60);

impl Config {
    /// Reads the configuration from `get` (the environment) and `cwd`.
    pub(crate) fn from_env(
        options: ServerOptions,
        get: &dyn Fn(&str) -> Option<String>,
        cwd: PathBuf,
    ) -> Result<Config, ConfigError> {
        let max_connections = match get("POSTGRES_MAX_CONNECTIONS") {
            None => DEFAULT_MAX_CONNECTIONS,
            Some(v) => {
                positive(&v, "POSTGRES_MAX_CONNECTIONS", "a whole number, 1 or more")? as usize
            }
        };
        let window = match get("MCP_RATE_LIMIT_WINDOW_MS") {
            None => DEFAULT_WINDOW,
            Some(v) => Duration::from_millis(positive(
                &v,
                "MCP_RATE_LIMIT_WINDOW_MS",
                "a whole number of milliseconds, 1 or more",
            )?),
        };
        let global = match get("MCP_RATE_LIMIT_MAX_REQUESTS") {
            None => None,
            Some(v) => Some(Limit {
                max_requests: positive(
                    &v,
                    "MCP_RATE_LIMIT_MAX_REQUESTS",
                    "a whole number of calls, 1 or more",
                )? as usize,
                window,
            }),
        };
        let per_tool = match get("MCP_RATE_LIMIT_TOOLS") {
            None => Vec::new(),
            Some(v) => crate::rate_limit::parse_tool_limits(&v, window)
                .map_err(|reason| ConfigError::BadToolLimits { reason })?,
        };
        let sql_root = match get("SEQUELAE_SQL_ROOT") {
            Some(root) if !root.is_empty() => cwd.join(root),
            _ => cwd.clone(),
        };
        let backup_dir = match get("SEQUELAE_BACKUP_DIR") {
            Some(dir) if !dir.is_empty() => cwd.join(dir),
            _ => cwd.join("backups"),
        };
        Ok(Config {
            read_only: options.read_only,
            database_url: options.database_url,
            max_connections,
            sql_root,
            backup_dir,
            rate_limits: RateLimits::new(global, per_tool),
        })
    }
}

fn positive(value: &str, name: &'static str, expected: &'static str) -> Result<u64, ConfigError> {
    match value.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ConfigError::BadNumber {
            name,
            value: value.to_string(),
            expected,
        }),
    }
}
