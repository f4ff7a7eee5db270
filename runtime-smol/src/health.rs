//! `health` (MCP's `sql_health`) on the async runtime: is the server up,
//! how fast, how full. The query and the judgement are the core's
//! ([`HEALTH_SQL`], [`HealthReport`]).
//!
//! ```no_run
//! # async fn demo(settings: sequelae_core::config::ConnectSettings) -> Result<(), sequelae_smol::health::HealthFailure> {
//! let report = sequelae_smol::health::check(&settings).await?;
//! println!("{}", report.to_json());
//! # Ok(()) }
//! ```

use std::time::{Duration, Instant};

use sequelae_core::config::ConnectSettings;
use sequelae_core::health::{HEALTH_SQL, HealthParseError, HealthReport};

use crate::client::Client;
use crate::error::Error;

/// Why there is no health report.
#[derive(Debug, thiserror::Error)]
pub enum HealthFailure {
    /// Connecting or querying failed.
    #[error(transparent)]
    Client(#[from] Error),
    /// The server's answer was not what the health query returns.
    #[error(transparent)]
    Answer(#[from] HealthParseError),
    /// The health query returned no row.
    #[error("the health query returned no row")]
    NoRow,
}

/// Connects with `settings` (the time that takes is the report's connect
/// latency), probes, and closes.
///
/// # Errors
///
/// [`HealthFailure`]: a server that cannot be reached is an error, not
/// an unhealthy report.
pub async fn check(settings: &ConnectSettings) -> Result<HealthReport, HealthFailure> {
    let started = Instant::now();
    let mut client = Client::connect(settings).await?;
    let report = probe(&mut client, started.elapsed()).await?;
    client.close().await?;
    Ok(report)
}

/// Probes an open session (a pooled one): `SELECT 1` timed as the query
/// latency, then the health query. `connect_latency` is what the caller
/// measured when it connected.
///
/// # Errors
///
/// See [`check`].
pub async fn probe(
    client: &mut Client,
    connect_latency: Duration,
) -> Result<HealthReport, HealthFailure> {
    let ping = Instant::now();
    client.simple_query("SELECT 1").await?;
    let query_latency = ping.elapsed();
    let results = client.simple_query(HEALTH_SQL).await?;
    let row = results
        .first()
        .and_then(|r| r.rows.first())
        .ok_or(HealthFailure::NoRow)?;
    Ok(HealthReport::from_row(row, connect_latency, query_latency)?)
}
