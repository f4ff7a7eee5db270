//! The script run as a sans-IO plan: statements and answers in, actions
//! out.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::policy::{RunEnd, ScriptOptions, ScriptOptionsError, ScriptRunner};
use crate::render::StatementSummary;
use crate::request::QueryItem;
use crate::sql::{ScriptItem, Statement};
use crate::wire::{CommandTag, DataRow, RowDescription, ServerMessage, TransactionStatus};

/// How long past the statement's own `statement_timeout` the client waits
/// before it cancels: the server's timeout fires first and says why; this
/// only catches a server or network that does not answer at all.
const CLIENT_DEADLINE_MARGIN: Duration = Duration::from_secs(1);

/// The server parameter that `--read-only` holds on.
const READ_ONLY_PARAMETER: &str = "default_transaction_read_only";

/// What the runtime does next. Each request (`ReadInput`, `Prepare`,
/// `Query`, `CopyIn`, `ReadParameter`, `Commit`, `Rollback`) is answered
/// before the next call of [`ScriptDriver::next_action`]; an unanswered
/// request is handed out again.
#[derive(Debug, Clone, PartialEq)]
pub enum ScriptAction {
    /// Take the next item of the script: answer with
    /// [`handle_input`](ScriptDriver::handle_input), or
    /// [`fail`](ScriptDriver::fail) when the input cannot be read.
    ReadInput,
    /// Run SQL of ours (session settings, BEGIN) through the simple
    /// protocol; its results are not the user's. Answer with
    /// [`handle_done`](ScriptDriver::handle_done) or `fail` (any error,
    /// the server's included).
    Prepare(String),
    /// Bound every request from now on by this deadline (`None`: no bound).
    SetDeadline(Option<Instant>),
    /// Run the user's statement. With `alone` it goes alone through the
    /// extended protocol (the server then refuses several statements in
    /// one string, so `COMMIT; INSERT ...` cannot slip past the checks
    /// made between statements): that is how `--read-only` runs every
    /// statement. Feed each item to
    /// [`handle_item`](ScriptDriver::handle_item) and show what it
    /// returns; end with `handle_done`,
    /// [`handle_error`](ScriptDriver::handle_error) when the server
    /// refused it, or `fail`.
    Query {
        /// The statement's text.
        sql: String,
        /// Send it through the extended protocol, as one statement.
        alone: bool,
    },
    /// Run a `COPY ... FROM STDIN` whose data follows in the script: send
    /// the script's `CopyData` items up to its `CopyEnd` as the data.
    /// Answer with [`handle_copy_done`](ScriptDriver::handle_copy_done),
    /// `handle_error` or `fail`.
    CopyIn {
        /// The statement's text.
        sql: String,
    },
    /// Report the session's current value of this server parameter with
    /// [`handle_parameter`](ScriptDriver::handle_parameter).
    ReadParameter(&'static str),
    /// Show this to the user. When the output cannot take it, tell
    /// [`handle_output_failed`](ScriptDriver::handle_output_failed)
    /// (except for [`Output::Failure`]: a failure that cannot be shown is
    /// the front end's to report elsewhere).
    Show(Output),
    /// Write out everything the output buffers: results nobody received
    /// must not be committed. A failure goes to `handle_output_failed`.
    Flush,
    /// Send COMMIT; answer with `handle_done` or `fail`. This is the last
    /// moment an interrupt can still undo the work: a runtime that checks
    /// for one right before sending, and finds one, calls
    /// [`interrupt`](ScriptDriver::interrupt) instead of sending and asks
    /// for the next action (which then rolls back).
    Commit,
    /// Send ROLLBACK; answer with `handle_done` or `fail`.
    Rollback,
    /// The run is over: [`finish`](ScriptDriver::finish) gives the report.
    Done,
}

/// What the user sees, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// A result set starts.
    Columns(RowDescription),
    /// A row of it (rows past `--max-rows` are counted, never shown).
    Row(DataRow),
    /// A chunk of `COPY ... TO STDOUT` output.
    CopyData(Bytes),
    /// A statement finished.
    Complete {
        /// The server's command tag.
        tag: CommandTag,
        /// What the JSON shapes report about it.
        summary: StatementSummary,
    },
    /// A NOTICE, WARNING or INFO a statement raised.
    Notice(Box<ServerMessage>),
    /// Something the user should know about the run (e.g. their COMMIT
    /// ended the script's transaction): worded, with the script's name.
    Warning(String),
    /// A statement failed.
    StatementError {
        /// The server's error.
        error: Box<ServerMessage>,
        /// The statement's text.
        statement: String,
        /// Its first line in the script.
        line: u64,
        /// A hint of ours (the flag that caused it, the interrupt).
        hint: Option<String>,
    },
    /// The run failed outside the server's statements (input, session,
    /// interrupt, a rule of ours): a message for the user.
    Failure(String),
    /// Every statement ran and nothing failed: close the results.
    Summary {
        /// User statements sent.
        statements: u64,
        /// Wall time of the whole run.
        duration_ms: f64,
    },
    /// A warning given after the results were closed (e.g. an open
    /// transaction of the user's was rolled back): for a log, not for the
    /// results.
    LateWarning(String),
    /// A note after the results were closed: the interrupt came after
    /// COMMIT was sent, so the changes stand.
    Note(String),
}

/// Why a run did not succeed. `F` is the front end's own failure (the
/// input could not be read, the session broke, the output failed), passed
/// in and handed back untouched.
#[derive(Debug)]
pub enum RunFailure<F> {
    /// A statement failed (shown with [`Output::StatementError`]);
    /// `interrupted` when the user's interrupt had cancelled it.
    Statement {
        /// The user interrupted the run.
        interrupted: bool,
    },
    /// The front end's failure, shown with [`Output::Failure`].
    Local(F),
    /// The output failed: nothing more was shown.
    Output(F),
    /// The user interrupted the run (shown with [`Output::Failure`]).
    Interrupted,
    /// The SQL turned off read-only mode under `--read-only` (shown).
    ReadOnlyTurnedOff(String),
    /// The script had COPY data without its COPY statement (shown).
    StrayCopyData(String),
    /// COMMIT or ROLLBACK failed (shown; the message names which).
    Ending(String),
    /// The interrupt came when the run was over: too late to undo it
    /// (shown with [`Output::Note`]).
    InterruptedAfterCommit,
}

/// How the run ended.
#[derive(Debug)]
pub struct RunReport<F> {
    /// `None` when every statement ran, its results were delivered and the
    /// work was committed.
    pub failure: Option<RunFailure<F>>,
    /// User statements sent.
    pub statements: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Between statements.
    Next,
    /// A statement was read: our SQL before it, then it.
    Before,
    Send,
    /// The statement was sent; its answer is awaited.
    Running,
    /// It succeeded: the checks after it.
    Ran,
    Checking,
    /// The statements are over: the stop check, then the flush, then the
    /// decision between COMMIT and ROLLBACK.
    Stopping,
    Flushing,
    Deciding,
    /// COMMIT or ROLLBACK was sent.
    Closing,
    /// The results are closed.
    Closed,
    Final,
    Done,
}

/// How the running statement ended, decided on at the next action (when
/// the runtime has said whether an interrupt came meanwhile).
#[derive(Debug)]
enum Ending<F> {
    Refused(Box<ServerMessage>),
    Broke(F, String),
    OutputFailed(F, bool),
}

/// `exec` / `file` (and MCP's `sql_exec` / `sql_file`) as a plan a
/// runtime pumps: mutate with `handle_*`, drain with
/// [`next_action`](Self::next_action).
///
/// ```
/// use std::time::Instant;
/// use sequelae_core::session::{ScriptAction, ScriptDriver, ScriptOptions};
/// use sequelae_core::sql::ScriptSplitter;
/// use sequelae_core::wire::TransactionStatus;
///
/// let options = ScriptOptions { transaction: true, ..ScriptOptions::default() };
/// let mut driver = ScriptDriver::<String>::new(options, None).unwrap();
/// let mut splitter = ScriptSplitter::new();
/// splitter.push(b"SELECT 1");
/// assert_eq!(driver.next_action(Instant::now(), TransactionStatus::Idle), ScriptAction::ReadInput);
/// driver.handle_input(splitter.finish().unwrap());
/// assert_eq!(
///     driver.next_action(Instant::now(), TransactionStatus::Idle),
///     ScriptAction::Prepare("BEGIN;".into())
/// );
/// ```
///
/// The runtime keeps the connection, the input, the output and the signal
/// handling; before each call of `next_action` it reports an interrupt
/// that came with [`interrupt`](Self::interrupt). Everything else is
/// decided here.
#[derive(Debug)]
pub struct ScriptDriver<F> {
    policy: ScriptRunner,
    options: ScriptOptions,
    /// The script's name for warnings; `None` for SQL given as text.
    source: Option<String>,
    phase: Phase,
    queue: VecDeque<ScriptAction>,
    /// The request handed out and not answered yet.
    pending: Option<ScriptAction>,
    statement: Option<Statement>,
    ending: Option<Ending<F>>,
    run_started: Option<Instant>,
    began: Option<Instant>,
    /// Rows shown of the current result set.
    shown: u64,
    statements: u64,
    deadline_set: bool,
    interrupted: Option<String>,
    failure: Option<RunFailure<F>>,
    output_failed: bool,
    output_gone: bool,
    end_warning: Option<String>,
}

impl<F> ScriptDriver<F> {
    /// Checks the options and plans a run. `source` names the script in
    /// warnings (`None` for SQL given as text).
    ///
    /// # Errors
    ///
    /// Options that cannot go together (`--read-only` without a
    /// transaction).
    pub fn new(
        options: ScriptOptions,
        source: Option<String>,
    ) -> Result<ScriptDriver<F>, ScriptOptionsError> {
        Ok(ScriptDriver {
            policy: ScriptRunner::new(&options)?,
            options,
            source,
            phase: Phase::Next,
            queue: VecDeque::new(),
            pending: None,
            statement: None,
            ending: None,
            run_started: None,
            began: None,
            shown: 0,
            statements: 0,
            deadline_set: false,
            interrupted: None,
            failure: None,
            output_failed: false,
            output_gone: false,
            end_warning: None,
        })
    }

    /// What to do next, given the time and the session's transaction
    /// status now.
    pub fn next_action(&mut self, now: Instant, status: TransactionStatus) -> ScriptAction {
        self.run_started.get_or_insert(now);
        loop {
            if let Some(action) = self.queue.pop_front() {
                return action;
            }
            if let Some(pending) = &self.pending {
                if *pending == ScriptAction::Commit && self.interrupted.is_some() {
                    self.commit_refused(status);
                    continue;
                }
                return pending.clone();
            }
            match self.phase {
                Phase::Next => {
                    if self.interrupted.is_some() {
                        self.stop_interrupted();
                    } else {
                        return self.request(ScriptAction::ReadInput);
                    }
                }
                Phase::Before => {
                    self.phase = Phase::Send;
                    if let Some(sql) = self.policy.before_statement(status) {
                        return self.request(ScriptAction::Prepare(sql));
                    }
                }
                Phase::Send => return self.send(now),
                Phase::Running => self.statement_ended(),
                Phase::Ran => self.after_statement(status),
                Phase::Checking => self.phase = Phase::Next,
                Phase::Stopping => {
                    self.phase = Phase::Flushing;
                    if self.failure.is_none() && self.interrupted.is_some() {
                        self.stop_interrupted();
                    }
                }
                Phase::Flushing => {
                    self.phase = Phase::Deciding;
                    if self.failure.is_none() {
                        return ScriptAction::Flush;
                    }
                }
                // A signal during the flush still stops the run, and says so.
                Phase::Deciding if self.failure.is_none() && self.interrupted.is_some() => {
                    self.stop_interrupted();
                }
                Phase::Deciding => {
                    let end = self.run_end();
                    self.decide(end, status);
                }
                Phase::Closing => self.phase = Phase::Closed,
                Phase::Closed => {
                    self.phase = Phase::Final;
                    if self.failure.is_none() {
                        let started = self.run_started.unwrap_or(now);
                        self.queue.push_back(ScriptAction::Show(Output::Summary {
                            statements: self.statements,
                            duration_ms: millis(now.saturating_duration_since(started)),
                        }));
                    }
                    if let Some(warning) = self.end_warning.take() {
                        self.queue
                            .push_back(ScriptAction::Show(Output::LateWarning(warning)));
                    }
                }
                Phase::Final => {
                    self.phase = Phase::Done;
                    if let (None, Some(reason)) = (&self.failure, &self.interrupted) {
                        let note =
                            format!("{reason} after COMMIT was sent; the changes are committed");
                        self.failure = Some(RunFailure::InterruptedAfterCommit);
                        return ScriptAction::Show(Output::Note(note));
                    }
                }
                Phase::Done => return ScriptAction::Done,
            }
        }
    }

    /// The next item of the script (`None`: the input ended).
    pub fn handle_input(&mut self, item: Option<ScriptItem>) {
        if self.pending != Some(ScriptAction::ReadInput) {
            return;
        }
        self.pending = None;
        match item {
            Some(ScriptItem::Statement(statement)) => {
                self.statement = Some(statement);
                self.phase = Phase::Before;
            }
            None => self.phase = Phase::Stopping,
            // Inline COPY data is consumed with its statement; stray data
            // means the splitter and the runtime disagree.
            Some(other) => {
                let name = self.source.as_deref().unwrap_or("<command>");
                let message =
                    format!("{name}: unexpected COPY data without a COPY statement ({other:?})");
                self.fail_shown(RunFailure::StrayCopyData(message.clone()), message);
                self.phase = Phase::Stopping;
            }
        }
    }

    /// One item of the running user statement; returns what to show of it.
    pub fn handle_item(&mut self, item: QueryItem, now: Instant) -> Option<Output> {
        match item {
            QueryItem::Columns(description) => {
                self.shown = 0;
                Some(Output::Columns(description))
            }
            QueryItem::Row(row) => {
                let room = self.options.max_rows.is_none_or(|max| self.shown < max);
                room.then(|| {
                    self.shown += 1;
                    Output::Row(row)
                })
            }
            QueryItem::Complete(tag) => {
                let summary = self.summary(&tag, self.shown, now);
                Some(Output::Complete { tag, summary })
            }
            QueryItem::EmptyQuery => None,
            QueryItem::CopyData(chunk) => Some(Output::CopyData(chunk)),
            QueryItem::Notice(notice) => {
                self.policy.notice(&notice);
                Some(Output::Notice(notice))
            }
        }
    }

    /// The request handed out last succeeded.
    pub fn handle_done(&mut self) {
        match self.pending.take() {
            Some(ScriptAction::Query { .. } | ScriptAction::CopyIn { .. }) => {
                self.phase = Phase::Ran;
            }
            Some(ScriptAction::Prepare(_) | ScriptAction::Commit | ScriptAction::Rollback)
            | None => {}
            // Input and parameters have answers of their own.
            Some(other) => self.pending = Some(other),
        }
    }

    /// The inline COPY ran and loaded `rows` rows.
    pub fn handle_copy_done(&mut self, rows: u64, now: Instant) {
        if !matches!(self.pending, Some(ScriptAction::CopyIn { .. })) {
            return;
        }
        let tag = CommandTag::from(format!("COPY {rows}"));
        let summary = self.summary(&tag, 0, now);
        self.queue
            .push_back(ScriptAction::Show(Output::Complete { tag, summary }));
        self.handle_done();
    }

    /// The server refused the user's statement.
    pub fn handle_error(&mut self, error: Box<ServerMessage>) {
        if matches!(
            self.pending,
            Some(ScriptAction::Query { .. } | ScriptAction::CopyIn { .. })
        ) {
            self.pending = None;
            self.ending = Some(Ending::Refused(error));
        }
    }

    /// The runtime's answer to [`ScriptAction::ReadParameter`].
    pub fn handle_parameter(&mut self, value: Option<&str>) {
        let Some(ScriptAction::ReadParameter(name)) = self.pending else {
            return;
        };
        self.pending = None;
        if let Some(reason) = value.and_then(|v| self.policy.parameter_changed(name, v)) {
            self.fail_shown(RunFailure::ReadOnlyTurnedOff(reason.clone()), reason);
            self.phase = Phase::Stopping;
        }
    }

    /// The request handed out last failed on the runtime's side (input
    /// unreadable, session broken; for `Prepare`, `Commit` and `Rollback`
    /// the server's refusal too). `message` is for the user.
    pub fn fail(&mut self, failure: F, message: String) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        match pending {
            ScriptAction::Query { .. } | ScriptAction::CopyIn { .. } => {
                self.ending = Some(Ending::Broke(failure, message));
            }
            ScriptAction::Commit | ScriptAction::Rollback => {
                let sql = if pending == ScriptAction::Commit {
                    "COMMIT"
                } else {
                    "ROLLBACK"
                };
                if self.failure.is_none() {
                    let message = format!("{sql} failed: {message}");
                    self.fail_shown(RunFailure::Ending(message.clone()), message);
                }
            }
            _ => {
                self.fail_shown(RunFailure::Local(failure), message);
                self.phase = Phase::Stopping;
            }
        }
    }

    /// The output could not take what was shown. `reader_gone`: whoever
    /// read it left (a closed pipe), so there is nobody left to tell.
    pub fn handle_output_failed(&mut self, failure: F, reader_gone: bool) {
        if self.phase == Phase::Running && self.ending.is_none() {
            self.pending = None;
            self.ending = Some(Ending::OutputFailed(failure, reader_gone));
            return;
        }
        self.output_lost(failure, reader_gone);
        if matches!(self.phase, Phase::Next | Phase::Ran | Phase::Checking) {
            self.pending = None;
            self.phase = Phase::Stopping;
        }
    }

    /// The user interrupted the run (Ctrl-C, SIGTERM): `reason` says how.
    /// Call it before the next action, as soon as the runtime knows.
    pub fn interrupt(&mut self, reason: &str) {
        if self.interrupted.is_none() {
            self.interrupted = Some(reason.to_string());
        }
    }

    /// The run's report; call it once `next_action` said
    /// [`ScriptAction::Done`].
    pub fn finish(self) -> RunReport<F> {
        RunReport {
            failure: self.failure,
            statements: self.statements,
        }
    }

    fn request(&mut self, action: ScriptAction) -> ScriptAction {
        self.pending = Some(action.clone());
        action
    }

    fn send(&mut self, now: Instant) -> ScriptAction {
        let Some(statement) = &self.statement else {
            self.phase = Phase::Next;
            return ScriptAction::ReadInput;
        };
        self.statements += 1;
        self.began = Some(now);
        self.shown = 0;
        self.phase = Phase::Running;
        let request = if statement.copy_from_stdin && !self.options.read_only {
            ScriptAction::CopyIn {
                sql: statement.text.clone(),
            }
        } else {
            ScriptAction::Query {
                sql: statement.text.clone(),
                alone: self.options.read_only,
            }
        };
        self.pending = Some(request.clone());
        match self.options.statement_timeout {
            // The request follows, as the pending one.
            Some(timeout) => {
                self.deadline_set = true;
                ScriptAction::SetDeadline(Some(now + timeout + CLIENT_DEADLINE_MARGIN))
            }
            None => request,
        }
    }

    /// The running statement failed: say how, now that an interrupt that
    /// caused it is known.
    fn statement_ended(&mut self) {
        self.clear_deadline();
        self.phase = Phase::Stopping;
        let Some(ending) = self.ending.take() else {
            // Not reachable: a statement without an ending is pending or ran.
            self.phase = Phase::Ran;
            return;
        };
        match ending {
            Ending::Refused(error) => {
                let hint = match &self.interrupted {
                    Some(reason) => Some(format!("cancelled: {reason}")),
                    None => self.policy.hint(&error).map(str::to_string).or_else(|| {
                        (self.options.statement_timeout.is_some() && error.code == "57014")
                            .then(|| "the statement ran past --timeout and was cancelled".into())
                    }),
                };
                self.failure = Some(RunFailure::Statement {
                    interrupted: self.interrupted.is_some(),
                });
                let (statement, line) = self
                    .statement
                    .as_ref()
                    .map_or((String::new(), 0), |s| (s.text.clone(), s.line));
                self.queue
                    .push_back(ScriptAction::Show(Output::StatementError {
                        error,
                        statement,
                        line,
                        hint,
                    }));
            }
            // A session that broke because the user interrupted it was
            // interrupted, whatever the runtime saw.
            Ending::Broke(..) | Ending::OutputFailed(..) if self.interrupted.is_some() => {
                self.stop_interrupted();
            }
            Ending::Broke(failure, message) => {
                self.fail_shown(RunFailure::Local(failure), message);
            }
            Ending::OutputFailed(failure, reader_gone) => {
                self.output_lost(failure, reader_gone);
            }
        }
    }

    fn after_statement(&mut self, status: TransactionStatus) {
        self.clear_deadline();
        self.phase = Phase::Next;
        if let Some(statement) = &self.statement {
            if let Some(warning) =
                self.policy
                    .statement_ended_ours(status, &statement.text, statement.line)
            {
                let warning = match &self.source {
                    Some(name) => format!("{name}: {warning}"),
                    None => warning,
                };
                self.queue
                    .push_back(ScriptAction::Show(Output::Warning(warning)));
            }
        }
        if self.options.read_only {
            self.phase = Phase::Checking;
            self.pending = Some(ScriptAction::ReadParameter(READ_ONLY_PARAMETER));
        }
    }

    fn clear_deadline(&mut self) {
        if std::mem::take(&mut self.deadline_set) {
            self.queue.push_back(ScriptAction::SetDeadline(None));
        }
    }

    fn run_end(&self) -> RunEnd {
        if self.interrupted.is_some() {
            RunEnd::Interrupted
        } else if self.output_failed {
            RunEnd::OutputFailed
        } else if self.failure.is_some() {
            RunEnd::Failed
        } else {
            RunEnd::Completed
        }
    }

    /// COMMIT or ROLLBACK. When the output is gone there is nobody to
    /// tell: nothing is sent (ROLLBACK would first read the abandoned
    /// result to its end); closing the session rolls back on the server.
    fn decide(&mut self, end: RunEnd, status: TransactionStatus) {
        self.phase = Phase::Closed;
        if self.output_gone {
            return;
        }
        let finish = self.policy.finish(end, status);
        self.end_warning = finish.warning;
        match finish.sql {
            Some("COMMIT") => {
                self.phase = Phase::Closing;
                self.pending = Some(ScriptAction::Commit);
            }
            Some(_) => {
                self.phase = Phase::Closing;
                self.pending = Some(ScriptAction::Rollback);
            }
            None => {}
        }
    }

    /// The runtime found an interrupt at the last moment before COMMIT:
    /// roll back instead.
    fn commit_refused(&mut self, status: TransactionStatus) {
        self.pending = None;
        self.failure = None;
        self.stop_interrupted();
        self.decide(RunEnd::Interrupted, status);
    }

    fn stop_interrupted(&mut self) {
        let reason = self
            .interrupted
            .clone()
            .unwrap_or_else(|| "interrupted".into());
        self.fail_shown(RunFailure::Interrupted, reason);
        self.phase = Phase::Stopping;
    }

    fn fail_shown(&mut self, failure: RunFailure<F>, message: String) {
        self.failure = Some(failure);
        self.queue
            .push_back(ScriptAction::Show(Output::Failure(message)));
    }

    fn output_lost(&mut self, failure: F, reader_gone: bool) {
        self.output_failed = true;
        self.output_gone |= reader_gone;
        self.failure = Some(RunFailure::Output(failure));
    }

    fn summary(&self, tag: &CommandTag, shown: u64, now: Instant) -> StatementSummary {
        let rows = tag.rows();
        StatementSummary {
            command: Some(tag.command().to_string()),
            row_count: rows,
            rows_returned: shown,
            truncated: self
                .options
                .max_rows
                .is_some_and(|max| rows.is_some_and(|n| n > max) && shown >= max),
            duration_ms: self
                .began
                .map_or(0.0, |began| millis(now.saturating_duration_since(began))),
        }
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
