//! Blocking runtime of sequelae: how a synchronous Rust program talks to
//! PostgreSQL through the sans-IO core.
//!
//! This crate only moves bytes: it opens sockets, reads and writes them,
//! and pumps [`sequelae_core::wire::Connection`]. Every protocol decision
//! is the core's, so this runtime and the async one behave the same.
//!
//! ```no_run
//! use sequelae_std::{Client, settings_from_env};
//! # fn main() -> Result<(), sequelae_std::Error> {
//! // DATABASE_URL, PG* variables and ~/.pgpass, as psql would read them.
//! let mut client = Client::connect(&settings_from_env(None)?)?;
//! let rows = client.simple_query("SELECT now()")?;
//! # Ok(()) }
//! ```

pub mod backup;
mod cancel;
mod client;
mod environment;
mod error;
mod transport;

pub use cancel::CancelHandle;
pub use client::{CANCEL_GRACE, Client, CopyOutcome, QueryItem, QueryResult, QueryStream};
pub use environment::{load_pgpass, process_environment};
pub use error::Error;
pub use transport::{Transport, open as open_transport};

use sequelae_core::config::ConnectSettings;

/// Resolves connection settings the way the CLI does: `explicit` (a URL or
/// key=value string) over `DATABASE_URL` over the PG* variables over
/// libpq's defaults. A `.env` file in the working directory adds the
/// variables the environment does not set.
pub fn settings_from_env(explicit: Option<&str>) -> Result<ConnectSettings, Error> {
    let mut env = process_environment();
    if let Ok(text) = std::fs::read_to_string(".env") {
        env = env.with_dotenv(&text);
    }
    Ok(ConnectSettings::resolve(explicit, &env)?)
}
