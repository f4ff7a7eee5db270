//! `sequelae schema [TABLE ...]`: tables, columns, keys, indexes and the
//! inferred structure of JSON columns.

use sequelae_core::schema::{
    SchemaInspection, SchemaRequest, parse_table_names, render::render_tables,
};
use sequelae_std::{Client, settings_from_env};

use crate::GlobalOptions;
use crate::exit::Failure;
use crate::output;

/// Arguments of `sequelae schema`.
#[derive(Debug, clap::Args)]
pub(crate) struct SchemaArgs {
    /// Tables to describe: `users`, `app.users`, `"MixedCase"`, or a
    /// comma-separated list. None: every table and view in the search path.
    tables: Vec<String>,

    /// Without table names: every non-system schema, not only the search path.
    #[arg(long)]
    all_schemas: bool,

    /// Rows sampled per json/jsonb column to infer its structure (0: off).
    #[arg(long, value_name = "N", default_value_t = sequelae_core::schema::DEFAULT_JSON_SAMPLE_SIZE)]
    sample_size: u32,
}

pub(crate) fn run(global: &GlobalOptions, args: SchemaArgs) -> Result<(), Failure> {
    let tables = parse_table_names(&args.tables).map_err(|e| Failure::Usage(e.to_string()))?;
    let request = SchemaRequest {
        tables,
        all_schemas: args.all_schemas,
        json_sample_size: args.sample_size,
    };
    output::check_stdout_open()?;
    crate::interrupt::report_json(global.json);
    let settings = settings_from_env(global.database_url.as_deref())?;
    let mut client = Client::connect(&settings)?;
    if let Some(timeout) = global.timeout() {
        client.simple_query(&format!(
            "SET statement_timeout = {}",
            timeout.as_millis().max(1)
        ))?;
    }
    let mut inspection = SchemaInspection::new(request);
    let schema_error = |e: sequelae_core::schema::SchemaError| Failure::Database(e.to_string());
    while let Some(sql) = inspection.next_query() {
        match client.simple_query(&sql) {
            Ok(results) => {
                let rows = results.first().map(|r| r.rows.as_slice()).unwrap_or(&[]);
                inspection.handle_rows(rows).map_err(schema_error)?;
            }
            Err(sequelae_std::Error::Db(e)) => {
                inspection.handle_error(&e.message).map_err(schema_error)?
            }
            Err(e) => return Err(e.into()),
        }
    }
    let report = inspection.finish().map_err(schema_error)?;
    let _ = client.close();
    if global.json {
        let doc = report.document();
        output::print(&format!("{doc}\n"))?;
    } else {
        let mut text = render_tables(&report.tables);
        if report.tables.is_empty() && report.missing.is_empty() {
            text.push_str("Did not find any relations.\n");
        }
        output::print(&text)?;
        for missing in &report.missing {
            output::note(&format!("sequelae: {missing}"));
        }
        for warning in &report.warnings {
            output::note(&format!("sequelae: warning: {warning}"));
        }
    }
    if report.missing.is_empty() {
        Ok(())
    } else {
        Err(Failure::Reported(1))
    }
}
