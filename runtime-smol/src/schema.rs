//! `schema` (MCP's `sql_schema`) on the async runtime: the core's
//! [`SchemaInspection`] says which catalog query to run next and reads
//! each answer; this only runs them.
//!
//! ```no_run
//! # async fn demo(mut client: sequelae_smol::Client) -> Result<(), sequelae_smol::schema::SchemaFailure> {
//! use sequelae_core::schema::SchemaRequest;
//! let report = sequelae_smol::schema::inspect(&mut client, SchemaRequest::new(Vec::new())).await?;
//! println!("{}", report.to_json());
//! # Ok(()) }
//! ```

use sequelae_core::schema::{SchemaError, SchemaInspection, SchemaReport, SchemaRequest};

use crate::client::Client;
use crate::error::Error;

/// Why an inspection gave no report.
#[derive(Debug, thiserror::Error)]
pub enum SchemaFailure {
    /// The session failed (not a refused catalog query: those the
    /// inspection reads itself).
    #[error(transparent)]
    Client(#[from] Error),
    /// The catalog's answers did not make a report (see the message).
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

/// Describes the tables `request` names (every table and view of the
/// search path, or of every schema, when it names none).
///
/// # Errors
///
/// [`SchemaFailure`]; tables that do not exist are not an error but
/// [`SchemaReport::missing`].
pub async fn inspect(
    client: &mut Client,
    request: SchemaRequest,
) -> Result<SchemaReport, SchemaFailure> {
    let mut inspection = SchemaInspection::new(request);
    while let Some(sql) = inspection.next_query() {
        match client.simple_query(&sql).await {
            Ok(results) => {
                let rows = results.first().map(|r| r.rows.as_slice()).unwrap_or(&[]);
                inspection.handle_rows(rows)?;
            }
            Err(Error::Db(e)) => inspection.handle_error(&e.message)?,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(inspection.finish()?)
}
