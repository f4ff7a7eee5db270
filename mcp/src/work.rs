//! The tools' work: each call's arguments turned into the core's request
//! (script options, schema request, health query, backup options), run
//! through runtime-std, and the result as the CLI's JSON document.

use smol::io::Cursor;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value, json};

use sequelae_core::backup::{
    BackupError, BackupFormat, BackupMethod, BackupOptions, BackupReport, Compression,
    ProgressEvent,
};
use sequelae_core::render::{ErrorFields, JsonResults};
use sequelae_core::schema::{SchemaRequest, parse_table_names};
use sequelae_core::session::{Output, ScriptDriver, ScriptOptions};
use sequelae_core::sql::{ScriptItem, ScriptSplitter};
use sequelae_smol::backup::BackupRequest;
use sequelae_smol::script::{Script, ScriptOutput};
use sequelae_smol::{Client, process_environment, settings_from_env};

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
pub(crate) async fn sql_exec(
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
    let script = Script::from_text(query);
    run_script(
        pool,
        work,
        &items,
        script,
        script_options(config, args),
        None,
    )
    .await
}

/// sql_file: the file must lie inside the SQL root.
pub(crate) async fn sql_file(
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
    let root = config.sql_root.clone();
    let opened =
        smol::unblock(move || sandbox::open_sql_file(&root, &path).map(read_sql_file)).await;
    let text = match opened {
        Err(refused) => return Outcome::failure(refused.to_string()),
        Ok(Err(e)) => return Outcome::failure(format!("cannot read {given}: {e}")),
        Ok(Ok(text)) => text,
    };
    let items = match split(&text, given) {
        Ok(items) => items,
        Err(message) => return Outcome::failure(message),
    };
    let script = Script::from_reader(Cursor::new(text), given.to_string());
    run_script(
        pool,
        work,
        &items,
        script,
        script_options(config, args),
        Some(given.to_string()),
    )
    .await
}

fn read_sql_file(file: std::fs::File) -> io::Result<Vec<u8>> {
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

async fn checkout(pool: &Pool, work: &Work) -> Result<Client, Outcome> {
    pool.checkout(work).await.map_err(|e| match e {
        CheckoutError::Cancelled => Outcome::failure("cancelled"),
        CheckoutError::Connect(message) => Outcome::failure(message),
    })
}

async fn run_script(
    pool: &Pool,
    work: &Work,
    items: &VecDeque<ScriptItem>,
    mut script: Script,
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
    let mut client = match checkout(pool, work).await {
        Ok(session) => session,
        Err(outcome) => return outcome,
    };
    let mut doc = Document {
        results: JsonResults::new(multi),
        out: String::new(),
        spool: Spool::default(),
        spool_failed: None,
        copy_warned: false,
        truncated: false,
    };
    let report =
        sequelae_smol::script::run(&mut client, &mut script, driver, &mut doc, work.interrupt())
            .await;
    pool.release(client, work);
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

impl ScriptOutput for Document {
    fn show(&mut self, out: Output) -> io::Result<()> {
        Document::show(self, out);
        self.drain().map_err(io::Error::other)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.drain().map_err(io::Error::other)
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

/// sql_schema: the CLI's schema model.
pub(crate) async fn sql_schema(pool: &Pool, work: &Work, args: &Map<String, Value>) -> Outcome {
    let tables = match parse_table_names(&names(args, "tables")) {
        Ok(tables) => tables,
        Err(e) => return Outcome::failure(format!("tables: {e}")),
    };
    let request = SchemaRequest {
        tables,
        all_schemas: flag(args, "allSchemas").unwrap_or(false),
        json_sample_size: sequelae_core::schema::DEFAULT_JSON_SAMPLE_SIZE,
    };
    let mut client = match checkout(pool, work).await {
        Ok(session) => session,
        Err(outcome) => return outcome,
    };
    let inspected = sequelae_smol::schema::inspect(&mut client, request).await;
    pool.release(client, work);
    match inspected {
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
pub(crate) async fn sql_health(pool: &Pool, work: &Work, args: &Map<String, Value>) -> Outcome {
    let started = Instant::now();
    let mut client = match checkout(pool, work).await {
        Ok(session) => session,
        Err(outcome) => return outcome,
    };
    let connect_latency = started.elapsed();
    let outcome = match sequelae_smol::health::probe(&mut client, connect_latency).await {
        // An unhealthy server is a finding, not a failed call.
        Ok(report) => Outcome::from_document(report.to_json()),
        Err(e) => Outcome::failure(e.to_string()),
    };
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
pub(crate) async fn sql_backup(
    config: &Config,
    folder: &Path,
    options: BackupOptions,
    work: &Work,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Outcome {
    let format = options.format;
    let report = match settings_from_env(config.database_url.as_deref()).await {
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
                env: smol::unblock(process_environment).await,
                cwd: folder.to_path_buf(),
                started_at: SystemTime::now(),
            };
            let mut tracker = ProgressTracker::default();
            sequelae_smol::backup::run(
                &request,
                &mut |event| {
                    if let Some(p) = tracker.step(event) {
                        progress(p);
                    }
                },
                work.flag(),
            )
            .await
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
