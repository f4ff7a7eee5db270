//! `sequelae health`: is the server up, how fast, how full.

use std::time::Instant;

use sequelae_core::health::{HEALTH_SQL, HealthReport};
use sequelae_std::{Client, settings_from_env};

use crate::GlobalOptions;
use crate::exit::Failure;
use crate::output;

pub(crate) fn run(global: &GlobalOptions) -> Result<(), Failure> {
    output::check_stdout_open()?;
    crate::interrupt::report_json(global.json);
    let settings = settings_from_env(global.database_url.as_deref())?;
    let started = Instant::now();
    let mut client = Client::connect(&settings)?;
    let connect_latency = started.elapsed();
    let ping = Instant::now();
    client.simple_query("SELECT 1")?;
    let query_latency = ping.elapsed();
    let results = client.simple_query(HEALTH_SQL)?;
    let row = results
        .first()
        .and_then(|r| r.rows.first())
        .ok_or_else(|| Failure::Database("the health query returned no row".into()))?;
    let report = HealthReport::from_row(row, connect_latency, query_latency)
        .map_err(|e| Failure::Database(e.to_string()))?;
    client.close()?;
    if global.json {
        output::print(&format!("{}\n", report.to_json()))?;
    } else {
        output::print(&report.to_text())?;
    }
    if report.healthy() {
        Ok(())
    } else {
        Err(Failure::Reported(1))
    }
}
