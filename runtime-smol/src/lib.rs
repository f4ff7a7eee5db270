//! Async runtime of sequelae on smol's building blocks: how an async Rust
//! program (the MCP server) talks to PostgreSQL through the sans-IO core.
//!
//! The async twin of `sequelae-std`, with the same public shape: it opens
//! sockets (async-net TCP and Unix), runs TLS (futures-rustls with the
//! configuration `sequelae-tls` builds), spawns pg_dump (async-process),
//! does file work on `blocking`'s thread pool and honours deadlines with
//! async-io timers. Every decision is the core's: [`Client::connect`]
//! executes [`sequelae_core::connect::ConnectPlan`], requests are the
//! core's folds, [`script::run`] pumps
//! [`sequelae_core::session::ScriptDriver`], [`schema::inspect`] pumps
//! [`sequelae_core::schema::SchemaInspection`], [`backup::run`] pumps
//! [`sequelae_core::backup::BackupDriver`].
//!
//! # Any executor
//!
//! The futures of this crate do not need smol's executor: async-io drives
//! its sockets and timers from its own reactor thread when no smol
//! executor does, and `blocking` has its own pool. They run under
//! `smol::block_on`, `futures_lite::future::block_on`, a
//! `smol::Executor`, or another runtime's executor alike (both block_on
//! variants are tested). They are `Send`, so a multi-threaded executor may
//! move them between threads.
//!
//! # Cancellation
//!
//! Dropping a future of a [`Client`] mid-request (a caller cancelled, a
//! timeout fired) never leaves the session in an unknown state: the
//! request is abandoned, cancelled on the server, and its answer
//! discarded before the next request or by [`Client::recover`]. A
//! [`CancelHandle`] cancels the running query from another task. A backup
//! stops when the cancel flag given to [`backup::run`] is raised (or its future is
//! dropped) and removes its temporary files.
//!
//! ```no_run
//! # fn main() -> Result<(), sequelae_smol::Error> {
//! use sequelae_smol::{Client, settings_from_env};
//! smol::block_on(async {
//!     // DATABASE_URL, PG* variables and ~/.pgpass, as psql would read them.
//!     let mut client = Client::connect(&settings_from_env(None).await?).await?;
//!     let rows = client.simple_query("SELECT now()").await?;
//!     client.close().await
//! })
//! # }
//! ```

pub mod backup;
mod cancel;
mod client;
mod connect;
mod error;
pub mod health;
pub mod schema;
pub mod script;
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
/// The files are read on `blocking`'s thread pool.
pub async fn settings_from_env(explicit: Option<&str>) -> Result<ConnectSettings, Error> {
    let explicit = explicit.map(str::to_string);
    blocking::unblock(move || {
        let env = environment_with_dotenv();
        let settings =
            ConnectSettings::resolve_with_files(explicit.as_deref(), &env, &read_service_file)?;
        // This runtime does TLS: every sslmode is honoured.
        settings.check_runtime(true)?;
        Ok(settings)
    })
    .await
}

/// The process environment plus the `.env` file of the working directory
/// (a blocking read: call it from `blocking::unblock` in async code).
pub fn environment_with_dotenv() -> sequelae_core::config::Environment {
    let env = process_environment();
    match std::fs::read_to_string(".env") {
        Ok(text) => env.with_dotenv(&text),
        Err(_) => env,
    }
}
