//! Blocking runtime of sequelae: how a synchronous Rust program talks to
//! PostgreSQL through the sans-IO core.
//!
//! This crate only moves bytes: it opens sockets, reads and writes them,
//! and pumps [`sequelae_core::wire::Connection`]. Every protocol decision
//! is the core's, so this runtime and the async one behave the same:
//! [`Client::connect`] executes [`sequelae_core::connect::ConnectPlan`]
//! (which hosts, which password file, which session to keep).
//!
//! Only [`settings_from_env`] (and [`process_environment`]) read the
//! process environment; [`Client::connect`] takes settings already
//! resolved, so a program can connect with settings of its own making
//! (`ConnectSettings::parse`) without the environment leaking in.
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
mod connect;
mod error;
mod tls;
mod transport;

pub use cancel::CancelHandle;
pub use client::{CANCEL_GRACE, Client, CopyOutcome, QueryItem, QueryResult, QueryStream};
pub use error::Error;
pub use sequelae_sys::environment::{
    load_pgpass, pgpass_path, process_environment, read_service_file,
};
pub use tls::{
    TlsHandshakeError, TlsStream, file_stat as tls_file_stat, handshake as tls_handshake,
};
pub use transport::{Transport, open as open_transport};

use sequelae_core::config::ConnectSettings;

/// Resolves connection settings the way the CLI does: `explicit` (a URL or
/// key=value string) over `DATABASE_URL` over the PG* variables over
/// libpq's defaults, with `service=` / `PGSERVICE` read from the service
/// files, and `~/.pgpass` located from `HOME`. A `.env` file in the
/// working directory adds the variables the environment does not set.
pub fn settings_from_env(explicit: Option<&str>) -> Result<ConnectSettings, Error> {
    let env = environment_with_dotenv();
    let settings = ConnectSettings::resolve_with_files(explicit, &env, &read_service_file)?;
    // This runtime does TLS: every sslmode is honoured.
    settings.check_runtime(true)?;
    Ok(settings)
}

/// The process environment plus the `.env` file of the working directory.
pub fn environment_with_dotenv() -> sequelae_core::config::Environment {
    let env = process_environment();
    match std::fs::read_to_string(".env") {
        Ok(text) => env.with_dotenv(&text),
        Err(_) => env,
    }
}
