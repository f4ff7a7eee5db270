//! The tools' work: each call's arguments turned into the core's request
//! (script options, schema request, health query, backup options), run
//! through runtime-std, and the result as the CLI's JSON document.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value, json};

use sequelae_core::backup::{
    BackupError, BackupFormat, BackupMethod, BackupOptions, BackupReport, Compression,
    ProgressEvent,
};
use sequelae_core::health::{HEALTH_SQL, HealthReport};
use sequelae_core::render::{ErrorFields, JsonResults};
use sequelae_core::schema::{SchemaInspection, SchemaRequest, parse_table_names};
use sequelae_core::session::{Output, ScriptAction, ScriptDriver, ScriptOptions};
use sequelae_core::sql::{ScriptItem, ScriptSplitter};
use sequelae_std::backup::BackupRequest;
use sequelae_std::{Client, Error, process_environment, settings_from_env};

use crate::config::Config;
use crate::database::{CheckoutError, Pool, Work};
use crate::log::{self, Level};
use crate::sandbox;
use crate::spool::{Spool, Spooled};
use crate::tools::DEFAULT_MAX_ROWS;

/// Said when rows were cut.
const TRUNCATED_HINT: &str = "Rows were cut at maxRows (truncated: true; rowCount says how many \
    there were). Aggregate (COUNT, GROUP BY), page with LIMIT/OFFSET or a WHERE on a key, or \
    raise maxRows.";

/// The largest SQL file sql_file reads (it is split in memory).
const MAX_SQL_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// What a call produced: the JSON document, and whether it is a failure.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) body: Body,
    pub(crate) failed: bool,
}

/// The document of an outcome.
#[derive(Debug)]
pub(crate) enum Body {
    /// A document built here (schema, health, backup, failures).
    Document(Value),
    /// A result document as the core wrote it, row by row: sent as is, so
    /// numbers keep every digit, and from disk when large.
    Spooled(Spooled),
}

impl Outcome {
    /// A failure outside the database: `{"success":false,"error":...}`.
    pub(crate) fn failure(message: impl Into<String>) -> Outcome {
        Outcome {
            body: Body::Document(json!({"success": false, "error": message.into()})),
            failed: true,
        }
    }

    fn from_document(document: Value) -> Outcome {
        let failed = document.get("success") != Some(&Value::Bool(true));
        Outcome {
            body: Body::Document(document),
            failed,
        }
    }
}

/// A progress report for the client: increasing `progress`, `total`
/// when known, a message naming the table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Progress {
    pub(crate) progress: u64,
    pub(crate) total: Option<u64>,
    pub(crate) message: String,
}

fn flag(args: &Map<String, Value>, name: &str) -> Option<bool> {
    args.get(name).and_then(Value::as_bool)
}

fn names(args: &Map<String, Value>, name: &str) -> Vec<String> {
    match args.get(name) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn script_options(config: &Config, args: &Map<String, Value>) -> ScriptOptions {
    ScriptOptions {
        transaction: flag(args, "transaction").unwrap_or(true),
        read_only: config.read_only || flag(args, "readOnly").unwrap_or(false),
        statement_timeout: args
            .get("timeout")
            .and_then(Value::as_u64)
            .map(Duration::from_millis),
        max_rows: Some(
            args.get("maxRows")
                .and_then(Value::as_u64)
                .unwrap_or(DEFAULT_MAX_ROWS),
        ),
    }
}

/// sql_exec.
pub(crate) fn sql_exec(
    config: &Config,
    pool: &Pool,
    work: &Work,
    args: &Map<String, Value>,
) -> Outcome {
    let query = args
        .get("query")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let items = match split(query.as_bytes(), "query") {
        Ok(items) => items,
        Err(message) => return Outcome::failure(message),
    };
    run_script(pool, work, items, script_options(config, args), None)
}

/// sql_file: the file must lie inside the SQL root.
pub(crate) fn sql_file(
    config: &Config,
    pool: &Pool,
    work: &Work,
    args: &Map<String, Value>,
) -> Outcome {
    let given = args
        .get("filepath")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let path = match sandbox::sql_file(&config.sql_root, given) {
        Ok(path) => path,
        Err(refused) => return Outcome::failure(refused.to_string()),
    };
    let text = match read_sql_file(&path) {
        Ok(text) => text,
        Err(e) => return Outcome::failure(format!("cannot read {given}: {e}")),
    };
    let items = match split(&text, given) {
        Ok(items) => items,
        Err(message) => return Outcome::failure(message),
    };
    run_script(
        pool,
        work,
        items,
        script_options(config, args),
        Some(given.to_string()),
    )
}

fn read_sql_file(path: &Path) -> io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(io::Error::other("it is a directory; give a SQL file"));
    }
    if meta.len() > MAX_SQL_FILE_BYTES {
        return Err(io::Error::other(format!(
            "it is larger than {} MiB; run it with `sequelae file`, which streams it",
            MAX_SQL_FILE_BYTES / (1024 * 1024)
        )));
    }
    let mut text = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_SQL_FILE_BYTES).read_to_end(&mut text)?;
    Ok(text)
}

/// The script's items, split by the core's splitter (psql's rules).
fn split(text: &[u8], name: &str) -> Result<VecDeque<ScriptItem>, String> {
    let mut splitter = ScriptSplitter::new();
    splitter.push(text);
    let mut items = VecDeque::new();
    let error = |e: sequelae_core::sql::ScriptError| format!("{name}: {e}");
    while let Some(item) = splitter.next_item().map_err(error)? {
        items.push_back(item);
    }
    while let Some(item) = splitter.finish().map_err(error)? {
        items.push_back(item);
    }
    Ok(items)
}

fn checkout(pool: &Pool, work: &Work) -> Result<Client, Outcome> {
    pool.checkout(work).map_err(|e| match e {
        CheckoutError::Cancelled => Outcome::failure("cancelled"),
        CheckoutError::Connect(message) => Outcome::failure(message),
    })
}

fn run_script(
    pool: &Pool,
    work: &Work,
    items: VecDeque<ScriptItem>,
    options: ScriptOptions,
    name: Option<String>,
) -> Outcome {
    let statements = items
        .iter()
        .filter(|i| matches!(i, ScriptItem::Statement(_)))
        .count();
    let multi = statements > 1
        || items
            .iter()
            .any(|i| matches!(i, ScriptItem::Statement(s) if s.copy_from_stdin));
    let driver = match ScriptDriver::new(options, name) {
        Ok(driver) => driver,
        Err(e) => return Outcome::failure(e.to_string()),
    };
    let mut client = match checkout(pool, work) {
        Ok(session) => session,
        Err(outcome) => return outcome,
    };
    let outcome = pump_script(&mut client, work, items, driver, multi);
    pool.release(client, work);
    outcome
}

/// Runs the script as the driver says, writing the JSON document; the
/// same loop as the CLI's, with the document as the presenter.
fn pump_script(
    client: &mut Client,
    work: &Work,
    mut items: VecDeque<ScriptItem>,
    mut driver: ScriptDriver<String>,
    multi: bool,
) -> Outcome {
    let mut doc = Document {
        results: JsonResults::new(multi),
        out: String::new(),
        spool: Spool::default(),
        spool_failed: None,
        copy_warned: false,
        truncated: false,
    };
    let mut interrupted = false;
    loop {
        if work.is_cancelled() && !interrupted {
            interrupted = true;
            driver.interrupt("the client cancelled the request");
        }
        match driver.next_action(Instant::now(), client.transaction_status()) {
            ScriptAction::ReadInput => driver.handle_input(items.pop_front()),
            ScriptAction::Prepare(sql) => match client.simple_query(&sql) {
                Ok(_) => driver.handle_done(),
                Err(e) => {
                    let message = e.to_string();
                    driver.fail(message.clone(), message);
                }
            },
            ScriptAction::SetDeadline(deadline) => client.set_query_deadline(deadline),
            ScriptAction::Query { sql, alone } => {
                let stream = if alone {
                    client.query_single(&sql)
                } else {
                    client.query(&sql)
                };
                match stream {
                    Ok(stream) => {
                        let mut failed = None;
                        for item in stream {
                            match item {
                                Ok(item) => {
                                    if let Some(out) = driver.handle_item(item, Instant::now()) {
                                        doc.show(out);
                                        if let Err(e) = doc.drain() {
                                            // Dropping the stream discards the rest.
                                            failed = Some(Err(e));
                                            break;
                                        }
                                    }
                                }
                                Err(e) => {
                                    failed = Some(Ok(e));
                                    break;
                                }
                            }
                        }
                        match failed {
                            None => driver.handle_done(),
                            Some(Ok(e)) => statement_failed(&mut driver, e),
                            Some(Err(message)) => driver.handle_output_failed(message, false),
                        }
                    }
                    Err(e) => statement_failed(&mut driver, e),
                }
            }
            ScriptAction::CopyIn { sql } => {
                match client.copy_in(&sql, &mut CopyData { items: &mut items }) {
                    Ok(outcome) => driver.handle_copy_done(outcome.rows, Instant::now()),
                    Err(e) => statement_failed(&mut driver, e),
                }
            }
            ScriptAction::ReadParameter(name) => driver.handle_parameter(client.parameter(name)),
            ScriptAction::Show(out) => doc.show(out),
            ScriptAction::Flush => {
                if let Err(message) = doc.drain() {
                    driver.handle_output_failed(message, false);
                }
            }
            ScriptAction::Commit => end(client, &mut driver, "COMMIT"),
            ScriptAction::Rollback => end(client, &mut driver, "ROLLBACK"),
            ScriptAction::Done => break,
        }
    }
    let report = driver.finish();
    let failed = report.failure.is_some();
    if doc.out.is_empty() && doc.spool_failed.is_none() && doc.spool.is_empty() {
        // The run failed before the document could say so.
        let message = report.failure.map_or_else(
            || "the run produced no result".to_string(),
            |f| format!("{f:?}"),
        );
        return Outcome::failure(message);
    }
    let out = std::mem::take(&mut doc.out);
    let hint = doc
        .truncated
        .then(|| format!("\"hint\":{}", json!(TRUNCATED_HINT)));
    let spooled = doc
        .spool
        .push(&out)
        .and_then(|()| doc.spool.finish(hint.as_deref()));
    match (spooled, doc.spool_failed) {
        (Ok(spooled), None) => Outcome {
            body: Body::Spooled(spooled),
            failed,
        },
        (Err(e), _) => Outcome::failure(format!("cannot keep the result: {e}")),
        (_, Some(message)) => Outcome::failure(message),
    }
}

fn statement_failed(driver: &mut ScriptDriver<String>, e: Error) {
    match e {
        Error::Db(error) => driver.handle_error(error),
        e => {
            let message = e.to_string();
            driver.fail(message.clone(), message);
        }
    }
}

fn end(client: &mut Client, driver: &mut ScriptDriver<String>, sql: &str) {
    match client.simple_query(sql) {
        Ok(_) => driver.handle_done(),
        Err(e) => {
            let message = e.to_string();
            driver.fail(message.clone(), message);
        }
    }
}

/// The JSON document being written.
struct Document {
    results: JsonResults,
    /// What the core wrote and the spool has not taken yet.
    out: String,
    spool: Spool,
    /// Why the spool could not take the document.
    spool_failed: Option<String>,
    copy_warned: bool,
    truncated: bool,
}

/// The core's output is handed to the spool in pieces of about this size.
const DRAIN_AT: usize = 64 * 1024;

impl Document {
    /// Hands what was written to the spool once there is enough of it; an
    /// error (a full disk) is the run's output failure.
    fn drain(&mut self) -> Result<(), String> {
        if self.out.len() < DRAIN_AT || self.spool_failed.is_some() {
            return Ok(());
        }
        let out = std::mem::take(&mut self.out);
        self.spool.push(&out).map_err(|e| {
            let message = format!("cannot keep the result: {e}");
            self.spool_failed = Some(message.clone());
            message
        })
    }

    fn show(&mut self, out: Output) {
        match out {
            Output::Columns(d) => self.results.columns(&mut self.out, &d),
            Output::Row(r) => self.results.row(&mut self.out, &r),
            Output::CopyData(_) => {
                if !self.copy_warned {
                    self.copy_warned = true;
                    self.results.warning(
                        "COPY ... TO STDOUT data is not part of the result (its row count is)",
                    );
                }
            }
            Output::Complete { summary, .. } => {
                self.truncated |= summary.truncated;
                self.results.statement_done(&mut self.out, &summary);
            }
            Output::Notice(n) => log::say(Level::Info, &sequelae_core::render::notice_text(&n)),
            Output::Warning(w) => self.results.warning(&w),
            Output::StatementError { error, hint, .. } => self.results.failed(
                &mut self.out,
                &ErrorFields::from_server(&error, hint.as_deref()),
            ),
            Output::Failure(message) => {
                let fields = ErrorFields {
                    error: message,
                    ..ErrorFields::default()
                };
                self.results.failed(&mut self.out, &fields);
            }
            Output::Summary { duration_ms, .. } => self.results.finish(&mut self.out, duration_ms),
            Output::LateWarning(w) | Output::Note(w) => log::say(Level::Info, &w),
        }
    }
}

/// Inline COPY data of a script.
struct CopyData<'a> {
    items: &'a mut VecDeque<ScriptItem>,
}

impl Read for CopyData<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.items.front_mut() {
                Some(ScriptItem::CopyData(data)) => {
                    if data.is_empty() {
                        self.items.pop_front();
                        continue;
                    }
                    let n = buf.len().min(data.len());
                    buf[..n].copy_from_slice(&data[..n]);
                    let _ = data.split_to(n);
                    return Ok(n);
                }
                Some(ScriptItem::CopyEnd) => {
                    self.items.pop_front();
                    return Ok(0);
                }
                _ => return Ok(0),
            }
        }
    }
}

/// sql_schema: the CLI's schema model.
pub(crate) fn sql_schema(pool: &Pool, work: &Work, args: &Map<String, Value>) -> Outcome {
    let tables = match parse_table_names(&names(args, "tables")) {
        Ok(tables) => tables,
        Err(e) => return Outcome::failure(format!("tables: {e}")),
    };
    let request = SchemaRequest {
        tables,
        all_schemas: flag(args, "allSchemas").unwrap_or(false),
        json_sample_size: sequelae_core::schema::DEFAULT_JSON_SAMPLE_SIZE,
    };
    let mut client = match checkout(pool, work) {
        Ok(session) => session,
        Err(outcome) => return outcome,
    };
    let outcome = inspect(&mut client, request);
    pool.release(client, work);
    outcome
}

fn inspect(client: &mut Client, request: SchemaRequest) -> Outcome {
    let mut inspection = SchemaInspection::new(request);
    while let Some(sql) = inspection.next_query() {
        let step = match client.simple_query(&sql) {
            Ok(results) => {
                let rows = results.first().map(|r| r.rows.as_slice()).unwrap_or(&[]);
                inspection.handle_rows(rows)
            }
            Err(Error::Db(e)) => inspection.handle_error(&e.message),
            Err(e) => return Outcome::failure(e.to_string()),
        };
        if let Err(e) = step {
            return Outcome::failure(e.to_string());
        }
    }
    match inspection.finish() {
        Ok(report) => {
            let mut document = report.document();
            if !report.missing.is_empty() {
                let missing: Vec<String> = report.missing.iter().map(ToString::to_string).collect();
                document["error"] = json!(missing.join("; "));
            }
            Outcome::from_document(document)
        }
        Err(e) => Outcome::failure(e.to_string()),
    }
}

/// sql_health: the CLI's health report, less what the call leaves out.
pub(crate) fn sql_health(pool: &Pool, work: &Work, args: &Map<String, Value>) -> Outcome {
    let started = Instant::now();
    let mut client = match checkout(pool, work) {
        Ok(session) => session,
        Err(outcome) => return outcome,
    };
    let connect_latency = started.elapsed();
    let outcome = health(&mut client, connect_latency);
    pool.release(client, work);
    let Outcome {
        body: Body::Document(mut document),
        failed: false,
    } = outcome
    else {
        return outcome;
    };
    if let Value::Object(fields) = &mut document {
        if !flag(args, "includeVersion").unwrap_or(true) {
            fields.remove("version");
            fields.remove("versionNum");
        }
        if !flag(args, "includeConnectionInfo").unwrap_or(true) {
            for key in [
                "database",
                "user",
                "activeConnections",
                "totalConnections",
                "maxConnections",
            ] {
                fields.remove(key);
            }
        }
    }
    Outcome::from_document(document)
}

fn health(client: &mut Client, connect_latency: Duration) -> Outcome {
    let ping = Instant::now();
    if let Err(e) = client.simple_query("SELECT 1") {
        return Outcome::failure(e.to_string());
    }
    let query_latency = ping.elapsed();
    let results = match client.simple_query(HEALTH_SQL) {
        Ok(results) => results,
        Err(e) => return Outcome::failure(e.to_string()),
    };
    let Some(row) = results.first().and_then(|r| r.rows.first()) else {
        return Outcome::failure("the health query returned no row");
    };
    match HealthReport::from_row(row, connect_latency, query_latency) {
        // An unhealthy server is a finding, not a failed call.
        Ok(report) => Outcome::from_document(report.to_json()),
        Err(e) => Outcome::failure(e.to_string()),
    }
}

/// The backup options a call asks for, with `output` already resolved
/// inside the backup folder.
pub(crate) fn backup_options(
    args: &Map<String, Value>,
    output: Option<std::path::PathBuf>,
) -> BackupOptions {
    let format = match args.get("format").and_then(Value::as_str) {
        Some("custom") => BackupFormat::Custom,
        Some("directory") => BackupFormat::Directory,
        Some("tar") => BackupFormat::Tar,
        _ => BackupFormat::Plain,
    };
    let compression = match args.get("compress") {
        Some(Value::Bool(true)) => Compression::on(),
        Some(Value::Bool(false)) => Compression::Level(0),
        Some(v) => v
            .as_u64()
            .and_then(|n| u8::try_from(n).ok())
            .map_or(Compression::FormatDefault, Compression::Level),
        None => Compression::FormatDefault,
    };
    BackupOptions {
        format,
        tables: names(args, "tables"),
        schemas: names(args, "schemas"),
        data_only: flag(args, "dataOnly").unwrap_or(false),
        schema_only: flag(args, "schemaOnly").unwrap_or(false),
        compression,
        output,
        force: flag(args, "overwrite").unwrap_or(false),
        jobs: args
            .get("jobs")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(1),
        method: match flag(args, "usePgDump") {
            Some(true) => BackupMethod::PgDump,
            Some(false) => BackupMethod::Native,
            None => BackupMethod::Auto,
        },
        ..BackupOptions::default()
    }
}

/// sql_backup: the backup driver on runtime-std, in the backup folder.
pub(crate) fn sql_backup(
    config: &Config,
    folder: &Path,
    options: BackupOptions,
    work: &Work,
    progress: &mut dyn FnMut(Progress),
) -> Outcome {
    let format = options.format;
    let report = match settings_from_env(config.database_url.as_deref()) {
        Err(e) => BackupReport::refused(
            format,
            BackupError::BadSettings {
                message: e.to_string(),
            },
        ),
        Ok(settings) => {
            let request = BackupRequest {
                options,
                settings,
                env: process_environment(),
                cwd: folder.to_path_buf(),
                started_at: SystemTime::now(),
            };
            let mut tracker = ProgressTracker::default();
            sequelae_std::backup::run(
                &request,
                &mut |event| {
                    if let Some(p) = tracker.step(event) {
                        progress(p);
                    }
                },
                work.flag(),
            )
        }
    };
    Outcome::from_document(report.to_json())
}

/// Turns the driver's events into strictly increasing progress: two steps
/// per table (started, finished) when tables are counted.
#[derive(Debug, Default)]
pub(crate) struct ProgressTracker {
    last: u64,
}

impl ProgressTracker {
    pub(crate) fn step(&mut self, event: &ProgressEvent) -> Option<Progress> {
        let (progress, total, message) = match event {
            ProgressEvent::TableData {
                table,
                started,
                total,
            } => (
                2 * *started as u64 - 1,
                Some(2 * *total as u64),
                format!("dumping {table} (table {started} of {total})"),
            ),
            ProgressEvent::TableDone {
                table,
                finished,
                total,
            } => (
                2 * *finished as u64,
                Some(2 * *total as u64),
                format!("finished {table} ({finished} of {total} tables)"),
            ),
            ProgressEvent::TableCopied {
                table,
                finished,
                total,
                rows,
                ..
            } => (
                2 * *finished as u64,
                Some(2 * *total as u64),
                format!("copied {table} ({finished} of {total} tables, {rows} rows so far)"),
            ),
            // Catalog reads and definitions are not counted: tables are.
            ProgressEvent::Catalog { .. } | ProgressEvent::Definition { .. } => return None,
        };
        if progress <= self.last {
            return None;
        }
        self.last = progress;
        Some(Progress {
            progress,
            total,
            message,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_only_increases_even_when_parallel_events_interleave() {
        let mut tracker = ProgressTracker::default();
        let data = |started| ProgressEvent::TableData {
            table: format!("public.t{started}"),
            started,
            total: 3,
        };
        let done = |finished| ProgressEvent::TableDone {
            table: "t".into(),
            finished,
            total: 3,
        };
        let seen: Vec<u64> = [data(1), data(2), done(1), data(3), done(2), done(3)]
            .iter()
            .filter_map(|e| tracker.step(e))
            .map(|p| p.progress)
            .collect();
        assert_eq!(seen, vec![1, 3, 5, 6]);
        let mut tracker = ProgressTracker::default();
        let p = tracker.step(&data(1)).expect("first table");
        assert_eq!(p.total, Some(6));
        assert!(p.message.contains("public.t1"), "{}", p.message);
    }
}
