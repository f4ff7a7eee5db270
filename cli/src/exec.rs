//! `sequelae exec`: run SQL and print each statement's result as it
//! arrives.

use std::io::{self, BufWriter, Write};

use sequelae_std::{Client, QueryItem, settings_from_env};

use crate::GlobalOptions;
use crate::exit::Failure;

pub(crate) fn run(global: &GlobalOptions, sql: &str) -> Result<(), Failure> {
    let settings = settings_from_env(global.database_url.as_deref())?;
    let mut client = Client::connect(&settings)?;
    for warning in client.warnings() {
        eprintln!("sequelae: warning: {warning}");
    }
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let write_failed = |e: io::Error| Failure::Usage(format!("cannot write output: {e}"));
    let mut rows = 0u64;
    for item in client.query(sql)? {
        match item? {
            QueryItem::Columns(description) => {
                let names: Vec<&str> = description
                    .columns
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect();
                writeln!(out, "{}", names.join("|")).map_err(write_failed)?;
                rows = 0;
            }
            QueryItem::Row(row) => {
                let values: Vec<String> = row
                    .values()
                    .map(|v| match v {
                        Some(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                        None => String::new(),
                    })
                    .collect();
                writeln!(out, "{}", values.join("|")).map_err(write_failed)?;
                rows += 1;
            }
            QueryItem::Complete(tag) => {
                if tag.command() == "SELECT" {
                    let plural = if rows == 1 { "row" } else { "rows" };
                    writeln!(out, "({rows} {plural})").map_err(write_failed)?;
                } else {
                    writeln!(out, "{}", tag.as_str()).map_err(write_failed)?;
                }
            }
            QueryItem::CopyData(chunk) => out.write_all(&chunk).map_err(write_failed)?,
            QueryItem::EmptyQuery => {}
            QueryItem::Notice(notice) => {
                out.flush().map_err(write_failed)?;
                eprintln!("{}:  {}", notice.severity, notice.message);
            }
        }
    }
    out.flush().map_err(write_failed)?;
    client.close()?;
    Ok(())
}
