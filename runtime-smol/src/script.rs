//! `exec` / `file` (MCP's `sql_exec` / `sql_file`) on the async runtime:
//! the core's [`ScriptDriver`] decides every step (the SQL around the
//! statements, read-only mode, the row cap, the deadline, the hints,
//! COMMIT or ROLLBACK); [`run`] pumps its actions through a [`Client`],
//! reads the [`Script`] and hands what the driver yields to a
//! [`ScriptOutput`].
//!
//! ```no_run
//! # async fn demo(mut client: sequelae_smol::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use sequelae_core::session::{Output, ScriptDriver, ScriptOptions};
//! use sequelae_smol::script::{Interrupt, Script, run};
//!
//! let options = ScriptOptions { transaction: true, max_rows: Some(100), ..ScriptOptions::default() };
//! let driver = ScriptDriver::new(options, None)?;
//! let mut shown: Vec<Output> = Vec::new();
//! let report = run(&mut client, &mut Script::from_text("SELECT 1; SELECT 2"), driver, &mut shown, &Interrupt::new()).await;
//! assert!(report.failure.is_none());
//! # Ok(()) }
//! ```

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Instant;

use futures_lite::future;
use futures_lite::io::AsyncRead;
use sequelae_core::session::{Output, RunReport, ScriptAction, ScriptDriver};
use sequelae_core::sql::{ScriptItem, ScriptSplitter};

use crate::client::Client;
use crate::error::Error;

/// Bytes read from a script file at a time.
const CHUNK: usize = 64 * 1024;

/// Where statements come from: a string, or a reader streamed in chunks
/// (a file through [`Script::open`]). Splitting is the core's
/// [`ScriptSplitter`]; this only feeds it.
pub struct Script {
    splitter: ScriptSplitter,
    reader: Option<Box<dyn AsyncRead + Send + Unpin>>,
    buf: Box<[u8]>,
    finished: bool,
    peeked: Option<ScriptItem>,
    name: String,
}

impl std::fmt::Debug for Script {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Script")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Script {
    /// Statements given as text (`exec`): named `<command>` in messages.
    pub fn from_text(text: &str) -> Script {
        let mut splitter = ScriptSplitter::new();
        splitter.push(text.as_bytes());
        Script {
            splitter,
            reader: None,
            buf: Box::default(),
            finished: false,
            peeked: None,
            name: "<command>".into(),
        }
    }

    /// Statements read from `reader` as they are needed; `name` names the
    /// script in messages.
    pub fn from_reader(reader: impl AsyncRead + Send + Unpin + 'static, name: String) -> Script {
        Script {
            splitter: ScriptSplitter::new(),
            reader: Some(Box::new(reader)),
            buf: vec![0u8; CHUNK].into_boxed_slice(),
            finished: false,
            peeked: None,
            name,
        }
    }

    /// The file at `path`, read in chunks on `blocking`'s thread pool as
    /// the run needs them (memory stays flat whatever its size). Whether
    /// the caller may read that path (a sandbox) is the caller's check.
    ///
    /// # Errors
    ///
    /// When the file cannot be opened.
    pub async fn open(path: &Path) -> io::Result<Script> {
        let owned = path.to_path_buf();
        let file = blocking::unblock(move || std::fs::File::open(owned)).await?;
        Ok(Script::from_reader(
            blocking::Unblock::new(file),
            path.display().to_string(),
        ))
    }

    /// The name used in messages: the file's path, or `<command>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The next item, reading more input as needed.
    ///
    /// # Errors
    ///
    /// The input cannot be read, or the splitter refuses it; the message
    /// names the script.
    pub async fn next_item(&mut self) -> Result<Option<ScriptItem>, String> {
        if let Some(item) = self.peeked.take() {
            return Ok(Some(item));
        }
        future::poll_fn(|cx| self.poll_pull(cx)).await
    }

    fn poll_peek(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<&ScriptItem>, String>> {
        if self.peeked.is_none() {
            self.peeked = ready!(self.poll_pull(cx))?;
        }
        Poll::Ready(Ok(self.peeked.as_ref()))
    }

    fn poll_pull(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<ScriptItem>, String>> {
        loop {
            let step = if self.finished {
                self.splitter.finish()
            } else {
                self.splitter.next_item()
            };
            match step.map_err(|e| format!("{}: {e}", self.name))? {
                Some(item) => return Poll::Ready(Ok(Some(item))),
                None if self.finished => return Poll::Ready(Ok(None)),
                None => {}
            }
            let Some(reader) = self.reader.as_mut() else {
                self.finished = true;
                continue;
            };
            match ready!(Pin::new(reader).poll_read(cx, &mut self.buf)) {
                Ok(0) => self.finished = true,
                Ok(n) => self.splitter.push(&self.buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Poll::Ready(Err(format!("cannot read {}: {e}", self.name))),
            }
        }
    }
}

/// Where the driver's [`Output`] goes: the MCP server builds its answer,
/// a test keeps it (`Vec<Output>` collects everything).
pub trait ScriptOutput {
    /// Shows one output; an error stops the run (the driver decides what
    /// becomes of the transaction).
    fn show(&mut self, out: Output) -> io::Result<()>;

    /// Makes everything shown so far durable before a COMMIT: results
    /// nobody received must not be committed.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl ScriptOutput for Vec<Output> {
    fn show(&mut self, out: Output) -> io::Result<()> {
        self.push(out);
        Ok(())
    }
}

/// A request to stop a run, from another task: the driver then rolls
/// back (unless COMMIT was already sent) and reports the interrupt.
/// Raise it, then cancel the running statement with the client's
/// [`CancelHandle`](crate::CancelHandle) so that the server stops at once.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<Mutex<Option<String>>>);

impl Interrupt {
    /// Not raised.
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Asks the run to stop; `reason` is shown (e.g. "cancelled by the
    /// client"). The first reason stays.
    pub fn raise(&self, reason: &str) {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert_with(|| reason.to_string());
    }

    /// The reason, once raised.
    pub fn reason(&self) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Runs every statement of `script` as `driver` says, through `client`,
/// showing what it yields on `output`. The report says how the run ended;
/// a failure the runtime met is an [`Error`] inside it (the output's own
/// failure is [`Error::Local`]).
///
/// Dropping the future mid-run abandons the running statement (see
/// [`Client::recover`]); a transaction the script opened is then still
/// open on the session: roll it back (or discard the session) before
/// reusing it. [`Interrupt`] is the orderly way to stop.
pub async fn run(
    client: &mut Client,
    script: &mut Script,
    mut driver: ScriptDriver<Error>,
    output: &mut (dyn ScriptOutput + Send),
    interrupt: &Interrupt,
) -> RunReport<Error> {
    loop {
        if let Some(reason) = interrupt.reason() {
            driver.interrupt(&reason);
        }
        match driver.next_action(Instant::now(), client.transaction_status()) {
            ScriptAction::ReadInput => match script.next_item().await {
                Ok(item) => driver.handle_input(item),
                Err(message) => driver.fail(Error::Usage(message.clone()), message),
            },
            ScriptAction::Prepare(sql) => match client.simple_query(&sql).await {
                Ok(_) => driver.handle_done(),
                Err(e) => fail(&mut driver, e),
            },
            ScriptAction::SetDeadline(deadline) => client.set_query_deadline(deadline),
            ScriptAction::Query { sql, alone } => {
                run_query(client, &mut driver, output, &sql, alone).await;
            }
            ScriptAction::CopyIn { sql } => {
                let copied = client.copy_in(&sql, &mut CopyData { script }).await;
                match copied {
                    Ok(outcome) => driver.handle_copy_done(outcome.rows, Instant::now()),
                    Err(e) => statement_failed(&mut driver, e),
                }
            }
            ScriptAction::ReadParameter(name) => driver.handle_parameter(client.parameter(name)),
            ScriptAction::Show(Output::Failure(message)) => {
                // A failure that cannot be shown is in the report anyway.
                let _ = output.show(Output::Failure(message));
            }
            ScriptAction::Show(out) => {
                if let Err(e) = output.show(out) {
                    output_failed(&mut driver, e);
                }
            }
            ScriptAction::Flush => {
                if let Err(e) = output.flush() {
                    output_failed(&mut driver, e);
                }
            }
            ScriptAction::Commit => match interrupt.reason() {
                // The last moment an interrupt can still undo the work.
                Some(reason) => driver.interrupt(&reason),
                None => end(client, &mut driver, "COMMIT").await,
            },
            ScriptAction::Rollback => end(client, &mut driver, "ROLLBACK").await,
            ScriptAction::Done => break,
        }
    }
    driver.finish()
}

/// Streams one user statement's results to the output.
async fn run_query(
    client: &mut Client,
    driver: &mut ScriptDriver<Error>,
    output: &mut (dyn ScriptOutput + Send),
    sql: &str,
    alone: bool,
) {
    let stream = if alone {
        client.query_single(sql).await
    } else {
        client.query(sql).await
    };
    let mut stream = match stream {
        Ok(stream) => stream,
        Err(e) => return statement_failed(driver, e),
    };
    while let Some(item) = stream.next().await {
        match item {
            Ok(item) => {
                let Some(out) = driver.handle_item(item, Instant::now()) else {
                    continue;
                };
                if let Err(e) = output.show(out) {
                    // Dropping the stream discards the rest of the result.
                    return output_failed(driver, e);
                }
            }
            Err(e) => return statement_failed(driver, e),
        }
    }
    driver.handle_done();
}

/// COMMIT or ROLLBACK.
async fn end(client: &mut Client, driver: &mut ScriptDriver<Error>, sql: &str) {
    match client.simple_query(sql).await {
        Ok(_) => driver.handle_done(),
        Err(e) => fail(driver, e),
    }
}

fn fail(driver: &mut ScriptDriver<Error>, e: Error) {
    let message = e.to_string();
    driver.fail(e, message);
}

fn statement_failed(driver: &mut ScriptDriver<Error>, e: Error) {
    match e {
        Error::Db(error) => driver.handle_error(error),
        e => fail(driver, e),
    }
}

fn output_failed(driver: &mut ScriptDriver<Error>, e: io::Error) {
    let gone = e.kind() == io::ErrorKind::BrokenPipe;
    driver.handle_output_failed(Error::Local(e), gone);
}

/// Inline COPY data of a script, read item by item up to its `\.`.
struct CopyData<'s> {
    script: &'s mut Script,
}

impl AsyncRead for CopyData<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let script = &mut *self.get_mut().script;
        loop {
            match ready!(script.poll_peek(cx)) {
                Ok(Some(ScriptItem::CopyData(_))) => {}
                Ok(Some(ScriptItem::CopyEnd)) => {
                    script.peeked = None;
                    return Poll::Ready(Ok(0));
                }
                Ok(_) => return Poll::Ready(Ok(0)),
                Err(e) => return Poll::Ready(Err(io::Error::other(e))),
            }
            let Some(ScriptItem::CopyData(mut data)) = script.peeked.take() else {
                return Poll::Ready(Ok(0));
            };
            if data.is_empty() {
                continue;
            }
            let n = buf.len().min(data.len());
            buf[..n].copy_from_slice(&data[..n]);
            if n < data.len() {
                // Keep the rest for the next read.
                script.peeked = Some(ScriptItem::CopyData(data.split_off(n)));
            }
            return Poll::Ready(Ok(n));
        }
    }
}
