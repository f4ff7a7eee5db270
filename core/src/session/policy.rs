//! Which SQL of ours surrounds the user's statements: one transaction or
//! none, read-only as the database enforces it, a statement timeout, and
//! never leaving a transaction open. Owned by the
//! [`ScriptDriver`](super::ScriptDriver), which asks it at each step.

use std::time::Duration;

use crate::wire::{ServerMessage, TransactionStatus};

/// What the user asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptOptions {
    /// Run everything in one transaction that commits only if every
    /// statement succeeds (the default; off with `--no-transaction`).
    pub transaction: bool,
    /// Have the database refuse writes (`--read-only`).
    pub read_only: bool,
    /// Server-side `statement_timeout` for this session; the client also
    /// gives up on a statement that outlasts it by a margin
    /// (`--timeout`).
    pub statement_timeout: Option<Duration>,
    /// Rows shown per result set; the rest are counted, not shown
    /// (`--max-rows`).
    pub max_rows: Option<u64>,
}

/// Options that cannot go together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptOptionsError {
    /// Read-only needs a transaction to be enforced by the database.
    #[error(
        "--read-only runs the SQL in a READ ONLY transaction so that the database refuses writes; \
         it cannot be combined with --no-transaction"
    )]
    ReadOnlyWithoutTransaction,
}

/// How the user's statements ended, which decides between COMMIT and
/// ROLLBACK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    /// Every statement ran and its results were delivered.
    Completed,
    /// A statement, or a rule of ours, failed.
    Failed,
    /// The user stopped the run (Ctrl-C, SIGTERM), at whatever moment:
    /// reading input, between statements, at the end of the input.
    Interrupted,
    /// The results could not be written (disk full, closed output): work
    /// whose results nobody saw is not committed.
    OutputFailed,
}

/// How the run ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finish {
    /// SQL to send last (COMMIT or ROLLBACK), if any.
    pub(crate) sql: Option<&'static str>,
    /// Something the user should know (e.g. their open transaction was
    /// rolled back).
    pub(crate) warning: Option<String>,
}

/// The rules of one script run.
#[derive(Debug, Clone)]
pub(crate) struct ScriptRunner {
    options: ScriptOptions,
    session_set: bool,
    /// A transaction of ours is open.
    ours_open: bool,
    /// The user's SQL ended our transaction at least once.
    user_ended_ours: bool,
    /// The user's BEGIN landed inside our transaction: they meant to
    /// decide themselves whether it commits.
    user_began: bool,
}

impl ScriptRunner {
    /// Checks the options and starts a run.
    pub(crate) fn new(options: &ScriptOptions) -> Result<ScriptRunner, ScriptOptionsError> {
        if options.read_only && !options.transaction {
            return Err(ScriptOptionsError::ReadOnlyWithoutTransaction);
        }
        Ok(ScriptRunner {
            options: options.clone(),
            session_set: false,
            ours_open: false,
            user_ended_ours: false,
            user_began: false,
        })
    }

    /// SQL of ours to run before the next user statement, given the
    /// transaction status the server last reported. Its results are not
    /// the user's; an error in it fails the run.
    pub(crate) fn before_statement(&mut self, status: TransactionStatus) -> Option<String> {
        let mut sql = String::new();
        if !self.session_set {
            self.session_set = true;
            if let Some(timeout) = self.options.statement_timeout {
                sql.push_str(&format!(
                    "SET statement_timeout = {};",
                    timeout.as_millis().max(1)
                ));
            }
            if self.options.read_only {
                // Also covers transactions the user's own COMMIT would
                // otherwise let start read-write.
                sql.push_str("SET default_transaction_read_only = on;");
            }
        }
        if status == TransactionStatus::Idle {
            self.user_began = false;
        }
        if self.options.transaction && status == TransactionStatus::Idle {
            if self.ours_open {
                // The user's COMMIT or ROLLBACK ended our transaction.
                self.user_ended_ours = true;
            }
            if self.options.read_only {
                // The SELECT takes the snapshot: after it the database
                // refuses SET TRANSACTION READ WRITE.
                sql.push_str("BEGIN READ ONLY;SELECT;");
            } else if !self.user_ended_ours {
                sql.push_str("BEGIN;");
            }
            self.ours_open = self.options.read_only || !self.user_ended_ours;
        }
        (!sql.is_empty()).then_some(sql)
    }

    /// After a user statement that succeeded, given the transaction status
    /// the server reported after it: a warning when the statement ended the
    /// one transaction the run is in (an explicit COMMIT or ROLLBACK, or
    /// anything else that ends it), naming the statement. Decided from the
    /// status, not from the SQL text, so `END`, `ABORT` and a procedure
    /// that commits are caught as well as `COMMIT`.
    pub(crate) fn statement_ended_ours(
        &mut self,
        status: TransactionStatus,
        statement: &str,
        line: u64,
    ) -> Option<String> {
        if !self.options.transaction
            || self.options.read_only
            || !self.ours_open
            || self.user_ended_ours
            || status != TransactionStatus::Idle
        {
            return None;
        }
        Some(format!(
            "line {line}: `{}` ended the transaction sequelae runs the SQL in: what ran before \
             it was committed (or rolled back) by it, and each statement after it commits on its \
             own, so a later failure no longer undoes them; remove it to keep the whole input \
             in one transaction",
            shorten(statement)
        ))
    }

    /// A notice the user's statement raised. The warning "there is already
    /// a transaction in progress" (25001) means their BEGIN met ours.
    pub(crate) fn notice(&mut self, notice: &ServerMessage) {
        if notice.code == "25001" {
            self.user_began = true;
        }
    }

    /// A server parameter changed: in read-only mode, turning read-only
    /// off is a violation the run must stop on (returns the reason).
    pub(crate) fn parameter_changed(&self, name: &str, value: &str) -> Option<String> {
        (self.options.read_only && name == "default_transaction_read_only" && value == "off").then(
            || {
                "the SQL turned off read-only mode (default_transaction_read_only); \
                 sequelae stops and rolls back under --read-only"
                    .to_string()
            },
        )
    }

    /// How to end: COMMIT our transaction only when every statement ran
    /// and its results were delivered; ROLLBACK on a failure, an interrupt
    /// or lost output; never leave a transaction the user opened behind.
    pub(crate) fn finish(&mut self, end: RunEnd, status: TransactionStatus) -> Finish {
        let succeeded = end == RunEnd::Completed;
        match status {
            TransactionStatus::Idle => Finish {
                sql: None,
                warning: None,
            },
            TransactionStatus::InTransaction if succeeded && self.ours_open && !self.user_began => {
                Finish {
                    sql: Some("COMMIT"),
                    warning: None,
                }
            }
            TransactionStatus::InTransaction if succeeded => Finish {
                sql: Some("ROLLBACK"),
                warning: Some(
                    "the SQL left a transaction open (BEGIN without COMMIT); it was rolled back"
                        .into(),
                ),
            },
            _ if end == RunEnd::OutputFailed => Finish {
                sql: Some("ROLLBACK"),
                warning: Some(
                    "the results could not be written, so the transaction was rolled back".into(),
                ),
            },
            _ => Finish {
                sql: Some("ROLLBACK"),
                warning: None,
            },
        }
    }

    /// A hint of ours for errors our rules cause.
    pub(crate) fn hint(&self, error: &ServerMessage) -> Option<&'static str> {
        match error.code.as_str() {
            "25001" if self.options.transaction => Some(
                "sequelae runs all statements in one transaction; run this statement with --no-transaction",
            ),
            "25006" if self.options.read_only => {
                Some("sequelae ran this with --read-only, so the database refused the write")
            }
            "57014"
                if self.options.statement_timeout.is_some()
                    && error.message.contains("statement timeout") =>
            {
                Some("the statement ran past --timeout")
            }
            _ => None,
        }
    }
}

/// A statement as named in a warning: on one line, and not too long.
fn shorten(statement: &str) -> String {
    const MAX: usize = 60;
    let flat = statement.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= MAX {
        return flat;
    }
    let mut cut: String = flat.chars().take(MAX).collect();
    cut.push_str("...");
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use TransactionStatus::{Failed, Idle, InTransaction};

    fn runner(transaction: bool, read_only: bool, timeout: Option<u64>) -> ScriptRunner {
        ScriptRunner::new(&ScriptOptions {
            transaction,
            read_only,
            statement_timeout: timeout.map(Duration::from_millis),
            max_rows: None,
        })
        .expect("valid options")
    }

    #[test]
    fn default_wraps_everything_in_one_transaction() {
        let mut r = runner(true, false, None);
        assert_eq!(r.before_statement(Idle).as_deref(), Some("BEGIN;"));
        assert_eq!(r.before_statement(InTransaction), None);
        assert_eq!(
            r.finish(RunEnd::Completed, InTransaction).sql,
            Some("COMMIT")
        );
    }

    #[test]
    fn a_failure_rolls_back() {
        let mut r = runner(true, false, None);
        r.before_statement(Idle);
        assert_eq!(r.finish(RunEnd::Failed, Failed).sql, Some("ROLLBACK"));
    }

    #[test]
    fn read_only_takes_a_snapshot_and_survives_the_users_commit() {
        let mut r = runner(true, true, Some(1500));
        assert_eq!(
            r.before_statement(Idle).as_deref(),
            Some(
                "SET statement_timeout = 1500;SET default_transaction_read_only = on;BEGIN READ ONLY;SELECT;"
            )
        );
        // The user's COMMIT left the session idle: reopen, read-only again.
        assert_eq!(
            r.before_statement(Idle).as_deref(),
            Some("BEGIN READ ONLY;SELECT;")
        );
        assert!(
            r.parameter_changed("default_transaction_read_only", "off")
                .is_some()
        );
        assert_eq!(r.parameter_changed("TimeZone", "UTC"), None);
    }

    #[test]
    fn only_a_completed_run_commits() {
        for end in [RunEnd::Failed, RunEnd::Interrupted, RunEnd::OutputFailed] {
            let mut r = runner(true, false, None);
            r.before_statement(Idle);
            assert_eq!(
                r.finish(end, InTransaction).sql,
                Some("ROLLBACK"),
                "{end:?}"
            );
        }
        let mut r = runner(true, false, None);
        r.before_statement(Idle);
        assert!(
            r.finish(RunEnd::OutputFailed, InTransaction)
                .warning
                .is_some_and(|w| w.contains("could not be written"))
        );
    }

    #[test]
    fn a_statement_that_ends_our_transaction_is_named_once() {
        let mut r = runner(true, false, None);
        r.before_statement(Idle);
        assert_eq!(r.statement_ended_ours(InTransaction, "INSERT ...", 1), None);
        let warning = r.statement_ended_ours(Idle, "commit", 2);
        assert!(
            warning
                .as_deref()
                .is_some_and(|w| w.starts_with("line 2: `commit` ended the transaction")),
            "{warning:?}"
        );
        r.before_statement(Idle);
        assert_eq!(r.statement_ended_ours(Idle, "commit", 3), None);
        // Not ours to warn about: --no-transaction, or read-only (reopened).
        let mut r = runner(false, false, None);
        r.before_statement(Idle);
        assert_eq!(r.statement_ended_ours(Idle, "commit", 1), None);
        let mut r = runner(true, true, None);
        r.before_statement(Idle);
        assert_eq!(r.statement_ended_ours(Idle, "commit", 1), None);
    }

    #[test]
    fn read_only_needs_a_transaction() {
        let Err(err) = ScriptRunner::new(&ScriptOptions {
            transaction: false,
            read_only: true,
            ..ScriptOptions::default()
        }) else {
            panic!("read-only without a transaction was accepted");
        };
        assert!(err.to_string().contains("--no-transaction"));
    }

    #[test]
    fn without_transaction_nothing_is_wrapped_but_open_blocks_are_closed() {
        let mut r = runner(false, false, None);
        assert_eq!(r.before_statement(Idle), None);
        let f = r.finish(RunEnd::Completed, InTransaction);
        assert_eq!(f.sql, Some("ROLLBACK"));
        assert!(
            f.warning
                .is_some_and(|w| w.contains("BEGIN without COMMIT"))
        );
    }

    #[test]
    fn users_commit_ends_our_transaction_and_we_do_not_reopen_it() {
        let mut r = runner(true, false, None);
        assert_eq!(r.before_statement(Idle).as_deref(), Some("BEGIN;"));
        // "COMMIT" by the user: status idle before the next statement.
        assert_eq!(r.before_statement(Idle), None);
        // "BEGIN" by the user, never committed.
        let f = r.finish(RunEnd::Completed, InTransaction);
        assert_eq!(f.sql, Some("ROLLBACK"));
        assert!(f.warning.is_some());
    }

    #[test]
    fn a_begin_inside_ours_without_commit_rolls_back() {
        let mut r = runner(true, false, None);
        r.before_statement(Idle);
        r.notice(&ServerMessage {
            code: "25001".into(),
            message: "there is already a transaction in progress".into(),
            ..ServerMessage::default()
        });
        r.before_statement(InTransaction);
        let f = r.finish(RunEnd::Completed, InTransaction);
        assert_eq!(f.sql, Some("ROLLBACK"));
        assert!(f.warning.is_some());
    }

    #[test]
    fn hints_name_the_flag() {
        let r = runner(true, false, None);
        let e = ServerMessage {
            code: "25001".into(),
            message: "VACUUM cannot run inside a transaction block".into(),
            ..ServerMessage::default()
        };
        assert!(r.hint(&e).is_some_and(|h| h.contains("--no-transaction")));
        assert_eq!(runner(false, false, None).hint(&e), None);
    }
}
