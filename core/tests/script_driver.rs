//! The script driver pumped by a scripted session: no sockets, the
//! answers are made up per statement and the transaction status follows
//! what PostgreSQL would report.

#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use sequelae_core::request::QueryItem;
use sequelae_core::session::{
    Output, RunFailure, RunReport, ScriptAction, ScriptDriver, ScriptOptions,
};
use sequelae_core::sql::{ScriptItem, ScriptSplitter};
use sequelae_core::wire::{CommandTag, DataRow, RowDescription, ServerMessage, TransactionStatus};

/// How the scripted server answers a user statement.
#[derive(Debug, Clone)]
enum Reply {
    /// A result set of this many rows.
    Rows(u64),
    /// A command tag, no rows.
    Tag(&'static str),
    /// The server refuses it with this SQLSTATE and message.
    Error(&'static str, &'static str),
    /// A notice, then the tag.
    Notice(&'static str, &'static str),
    /// The session breaks.
    Broken,
}

/// Things that go wrong on the runtime's side.
#[derive(Debug, Default, Clone)]
struct Trouble {
    /// Report an interrupt before this action (0-based count of
    /// `next_action` calls).
    interrupt_before: Option<usize>,
    /// The commit gate finds a signal.
    gate_refuses: bool,
    /// Showing the n-th output fails; `true`: the reader left.
    output_fails: Option<(usize, bool)>,
    /// The flush before COMMIT fails.
    flush_fails: bool,
    /// SQL of ours before the statements fails (the session broke).
    prepare_fails: bool,
    /// `default_transaction_read_only` after each statement.
    read_only_parameter: Option<&'static str>,
}

#[derive(Debug)]
struct Run {
    /// Requests and outputs in order, as short strings.
    log: Vec<String>,
    /// Only what went to the session.
    sent: Vec<String>,
    shown: Vec<Output>,
    report: RunReport<&'static str>,
    status: TransactionStatus,
    /// Calls of `next_action`, and the one that said COMMIT.
    steps: usize,
    commit_step: Option<usize>,
}

impl Run {
    fn warnings(&self) -> Vec<&str> {
        self.shown
            .iter()
            .filter_map(|o| match o {
                Output::Warning(w) | Output::LateWarning(w) => Some(w.as_str()),
                _ => None,
            })
            .collect()
    }

    fn error_hint(&self) -> Option<&str> {
        self.shown.iter().find_map(|o| match o {
            Output::StatementError { hint, .. } => hint.as_deref(),
            _ => None,
        })
    }

    fn committed(&self) -> bool {
        self.sent.iter().any(|s| s == "COMMIT")
    }

    fn rolled_back(&self) -> bool {
        self.sent.iter().any(|s| s == "ROLLBACK")
    }
}

fn options(transaction: bool, read_only: bool) -> ScriptOptions {
    ScriptOptions {
        transaction,
        read_only,
        ..ScriptOptions::default()
    }
}

fn items(script: &str) -> VecDeque<ScriptItem> {
    let mut splitter = ScriptSplitter::new();
    splitter.push(script.as_bytes());
    let mut out = VecDeque::new();
    while let Some(item) = splitter.next_item().expect("valid script") {
        out.push_back(item);
    }
    while let Some(item) = splitter.finish().expect("valid script") {
        out.push_back(item);
    }
    out
}

fn description() -> RowDescription {
    RowDescription::default()
}

fn row() -> DataRow {
    DataRow::from_values([Some(&b"1"[..])])
}

/// What the scripted server does with SQL of ours or the user's, as
/// PostgreSQL would move the transaction status.
fn move_status(status: TransactionStatus, sql: &str) -> TransactionStatus {
    let upper = sql.to_ascii_uppercase();
    if upper.contains("BEGIN") {
        TransactionStatus::InTransaction
    } else if upper.starts_with("COMMIT") || upper.starts_with("ROLLBACK") {
        TransactionStatus::Idle
    } else {
        status
    }
}

fn run(script: &str, options: ScriptOptions, replies: &[(&str, Reply)], trouble: &Trouble) -> Run {
    let replies: HashMap<&str, Reply> = replies.iter().cloned().collect();
    let mut driver =
        ScriptDriver::<&'static str>::new(options, Some("t.sql".into())).expect("valid options");
    let mut input = items(script);
    let mut status = TransactionStatus::Idle;
    let mut now = Instant::now();
    let (mut log, mut sent, mut shown) = (Vec::new(), Vec::new(), Vec::new());
    let mut outputs = 0usize;
    let mut show = |out: Output, log: &mut Vec<String>, shown: &mut Vec<Output>| -> bool {
        log.push(format!("show {out:?}"));
        shown.push(out);
        outputs += 1;
        trouble.output_fails.is_some_and(|(n, _)| n + 1 == outputs)
    };
    let gone = trouble.output_fails.is_some_and(|(_, gone)| gone);
    let mut commit_step = None;
    for step in 0..10_000 {
        if trouble.interrupt_before.is_some_and(|at| step >= at) {
            driver.interrupt("interrupted by Ctrl-C");
        }
        now += Duration::from_millis(10);
        match driver.next_action(now, status) {
            ScriptAction::ReadInput => {
                log.push("read".into());
                driver.handle_input(input.pop_front());
            }
            ScriptAction::Prepare(sql) => {
                log.push(format!("prepare {sql}"));
                sent.push(sql.clone());
                if trouble.prepare_fails {
                    driver.fail("prepare", "server closed the connection".into());
                    continue;
                }
                status = move_status(status, &sql);
                driver.handle_done();
            }
            ScriptAction::SetDeadline(deadline) => {
                log.push(format!(
                    "deadline {:?}",
                    deadline.map(|d| d.saturating_duration_since(now))
                ));
            }
            ScriptAction::Query { sql, alone } => {
                log.push(format!("{} {sql}", if alone { "alone" } else { "query" }));
                sent.push(sql.clone());
                let reply = replies
                    .get(sql.as_str())
                    .cloned()
                    .unwrap_or(Reply::Tag("DO"));
                let mut items = Vec::new();
                match reply {
                    Reply::Rows(n) => {
                        items.push(QueryItem::Columns(description()));
                        items.extend((0..n).map(|_| QueryItem::Row(row())));
                        items.push(QueryItem::Complete(CommandTag::from(format!("SELECT {n}"))));
                    }
                    Reply::Tag(tag) => {
                        items.push(QueryItem::Complete(CommandTag::from(tag.to_string())))
                    }
                    Reply::Notice(code, tag) => {
                        items.push(QueryItem::Notice(Box::new(ServerMessage {
                            code: code.into(),
                            ..ServerMessage::default()
                        })));
                        items.push(QueryItem::Complete(CommandTag::from(tag.to_string())));
                    }
                    Reply::Error(..) | Reply::Broken => {}
                }
                let mut output_failed = false;
                for item in items {
                    if let Some(out) = driver.handle_item(item, now) {
                        if show(out, &mut log, &mut shown) {
                            driver.handle_output_failed("output", gone);
                            output_failed = true;
                            break;
                        }
                    }
                }
                if output_failed {
                    continue;
                }
                match reply {
                    Reply::Error(code, message) => {
                        if status == TransactionStatus::InTransaction {
                            status = TransactionStatus::Failed;
                        }
                        driver.handle_error(Box::new(ServerMessage {
                            code: code.into(),
                            message: message.into(),
                            ..ServerMessage::default()
                        }));
                    }
                    Reply::Broken => driver.fail("broken", "the session broke".into()),
                    _ => {
                        status = move_status(status, &sql);
                        driver.handle_done();
                    }
                }
            }
            ScriptAction::CopyIn { sql } => {
                log.push(format!("copy-in {sql}"));
                sent.push(sql);
                let mut rows = 0;
                while let Some(ScriptItem::CopyData(data)) = input.front() {
                    rows += data.iter().filter(|b| **b == b'\n').count() as u64;
                    input.pop_front();
                }
                if let Some(ScriptItem::CopyEnd) = input.front() {
                    input.pop_front();
                }
                driver.handle_copy_done(rows, now);
            }
            ScriptAction::ReadParameter(name) => {
                log.push(format!("parameter {name}"));
                driver.handle_parameter(Some(trouble.read_only_parameter.unwrap_or("on")));
            }
            ScriptAction::Show(out) => {
                if show(out, &mut log, &mut shown) {
                    driver.handle_output_failed("output", gone);
                }
            }
            ScriptAction::Flush => {
                log.push("flush".into());
                if trouble.flush_fails {
                    driver.handle_output_failed("flush", false);
                }
            }
            ScriptAction::Commit => {
                if trouble.gate_refuses {
                    log.push("gate refuses".into());
                    driver.interrupt("interrupted by Ctrl-C");
                    continue;
                }
                log.push("COMMIT".into());
                commit_step = Some(step);
                sent.push("COMMIT".into());
                status = TransactionStatus::Idle;
                driver.handle_done();
            }
            ScriptAction::Rollback => {
                log.push("ROLLBACK".into());
                sent.push("ROLLBACK".into());
                status = TransactionStatus::Idle;
                driver.handle_done();
            }
            ScriptAction::Done => {
                return Run {
                    log,
                    sent,
                    shown,
                    report: driver.finish(),
                    status,
                    steps: step + 1,
                    commit_step,
                };
            }
        }
    }
    panic!("the driver never finished: {log:#?}");
}

#[test]
fn by_default_everything_runs_in_one_transaction_that_commits() {
    let r = run(
        "SELECT 1; SELECT 2;",
        options(true, false),
        &[],
        &Trouble::default(),
    );
    assert_eq!(r.sent, ["BEGIN;", "SELECT 1", "SELECT 2", "COMMIT"]);
    assert!(r.log.contains(&"flush".to_string()));
    let flush = r.log.iter().position(|l| l == "flush");
    let commit = r.log.iter().position(|l| l == "COMMIT");
    assert!(
        flush < commit,
        "results are flushed before COMMIT: {:#?}",
        r.log
    );
    assert!(r.report.failure.is_none());
    assert_eq!(r.report.statements, 2);
    assert!(matches!(
        r.shown.last(),
        Some(Output::Summary { statements: 2, .. })
    ));
}

#[test]
fn without_a_transaction_nothing_is_wrapped() {
    let r = run(
        "SELECT 1; SELECT 2;",
        options(false, false),
        &[],
        &Trouble::default(),
    );
    assert_eq!(r.sent, ["SELECT 1", "SELECT 2"]);
    assert!(r.report.failure.is_none());
}

#[test]
fn without_a_transaction_a_begin_left_open_is_rolled_back_with_a_warning() {
    let r = run(
        "BEGIN; SELECT 1;",
        options(false, false),
        &[],
        &Trouble::default(),
    );
    assert_eq!(r.sent, ["BEGIN", "SELECT 1", "ROLLBACK"]);
    assert!(
        r.warnings()
            .iter()
            .any(|w| w.contains("BEGIN without COMMIT")),
        "{:?}",
        r.warnings()
    );
}

#[test]
fn read_only_sends_every_statement_alone_after_the_snapshot_and_checks_the_session() {
    let options = ScriptOptions {
        statement_timeout: Some(Duration::from_millis(1500)),
        ..options(true, true)
    };
    let r = run(
        "SELECT 1; COPY t FROM STDIN;\n1\n\\.\nSELECT 2;",
        options,
        &[("COPY t FROM STDIN", Reply::Error("25006", "read-only"))],
        &Trouble::default(),
    );
    assert_eq!(
        r.sent,
        [
            "SET statement_timeout = 1500;SET default_transaction_read_only = on;BEGIN READ ONLY;SELECT;",
            "SELECT 1",
            "COPY t FROM STDIN",
            "ROLLBACK"
        ]
    );
    assert!(
        r.log.contains(&"alone SELECT 1".to_string()),
        "{:#?}",
        r.log
    );
    // Even a COPY with inline data goes alone, as a query: never as COPY IN.
    assert!(r.log.contains(&"alone COPY t FROM STDIN".to_string()));
    assert!(
        !r.log
            .iter()
            .any(|l| l.starts_with("query ") || l.starts_with("copy-in"))
    );
    assert!(
        r.log
            .contains(&"parameter default_transaction_read_only".to_string())
    );
    assert_eq!(
        r.error_hint(),
        Some("sequelae ran this with --read-only, so the database refused the write")
    );
}

#[test]
fn read_only_turned_off_stops_and_rolls_back() {
    let trouble = Trouble {
        read_only_parameter: Some("off"),
        ..Trouble::default()
    };
    let r = run("SELECT 1; SELECT 2;", options(true, true), &[], &trouble);
    assert_eq!(r.sent.get(1).map(String::as_str), Some("SELECT 1"));
    assert!(!r.sent.contains(&"SELECT 2".to_string()));
    assert!(r.rolled_back() && !r.committed());
    assert!(matches!(
        r.report.failure,
        Some(RunFailure::ReadOnlyTurnedOff(ref m)) if m.contains("default_transaction_read_only")
    ));
}

#[test]
fn max_rows_shows_that_many_and_counts_the_rest() {
    let options = ScriptOptions {
        max_rows: Some(2),
        ..options(true, false)
    };
    let r = run(
        "SELECT a; SELECT b;",
        options,
        &[("SELECT a", Reply::Rows(5)), ("SELECT b", Reply::Rows(2))],
        &Trouble::default(),
    );
    let rows = r
        .shown
        .iter()
        .filter(|o| matches!(o, Output::Row(_)))
        .count();
    assert_eq!(rows, 4, "two of each result set");
    let summaries: Vec<_> = r
        .shown
        .iter()
        .filter_map(|o| match o {
            Output::Complete { summary, .. } => Some(summary.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(summaries.len(), 2);
    assert_eq!(
        (
            summaries[0].row_count,
            summaries[0].rows_returned,
            summaries[0].truncated
        ),
        (Some(5), 2, true)
    );
    assert_eq!(
        (
            summaries[1].row_count,
            summaries[1].rows_returned,
            summaries[1].truncated
        ),
        (Some(2), 2, false)
    );
}

#[test]
fn a_failed_statement_stops_the_run_and_rolls_back() {
    let r = run(
        "SELECT 1; SELEC 2; SELECT 3;",
        options(true, false),
        &[("SELEC 2", Reply::Error("42601", "syntax error"))],
        &Trouble::default(),
    );
    assert_eq!(r.sent, ["BEGIN;", "SELECT 1", "SELEC 2", "ROLLBACK"]);
    assert!(matches!(
        r.report.failure,
        Some(RunFailure::Statement { interrupted: false })
    ));
    assert!(r.shown.iter().any(|o| matches!(
        o,
        Output::StatementError { statement, line: 1, hint: None, .. } if statement == "SELEC 2"
    )));
    assert!(!r.shown.iter().any(|o| matches!(o, Output::Summary { .. })));
}

#[test]
fn a_broken_session_is_a_failure_of_its_own() {
    let r = run(
        "SELECT 1; SELECT 2;",
        options(true, false),
        &[("SELECT 1", Reply::Broken)],
        &Trouble::default(),
    );
    assert!(matches!(
        r.report.failure,
        Some(RunFailure::Local("broken"))
    ));
    assert!(
        r.shown
            .contains(&Output::Failure("the session broke".into()))
    );
    assert!(!r.committed());
}

#[test]
fn an_interrupt_at_any_point_before_commit_rolls_back() {
    let script = "SELECT 1; INSERT INTO t VALUES (1); SELECT 2;";
    let whole = run(script, options(true, false), &[], &Trouble::default());
    let commit_step = whole.commit_step.expect("the run commits");
    // Every call of next_action is a point the interrupt can land on.
    for at in 0..whole.steps {
        let trouble = Trouble {
            interrupt_before: Some(at),
            ..Trouble::default()
        };
        let r = run(script, options(true, false), &[], &trouble);
        if at > commit_step {
            assert!(r.committed(), "at {at}: {:#?}", r.log);
            assert!(
                matches!(r.report.failure, Some(RunFailure::InterruptedAfterCommit)),
                "at {at}: {:?}",
                r.report.failure
            );
            assert!(
                r.shown
                    .iter()
                    .any(|o| matches!(o, Output::Note(n) if n.contains("after COMMIT was sent")))
            );
            continue;
        }
        assert!(!r.committed(), "at {at}: {:#?}", r.log);
        assert!(
            matches!(r.report.failure, Some(RunFailure::Interrupted)),
            "at {at}: {:?}",
            r.report.failure
        );
        assert_eq!(r.status, TransactionStatus::Idle, "at {at}: {:#?}", r.log);
        assert_eq!(
            r.rolled_back(),
            r.sent.first().map(String::as_str) == Some("BEGIN;"),
            "at {at}: {:#?}",
            r.log
        );
        assert!(
            r.shown
                .contains(&Output::Failure("interrupted by Ctrl-C".into()))
        );
        assert!(!r.shown.iter().any(|o| matches!(o, Output::Summary { .. })));
    }
}

#[test]
fn a_statement_the_interrupt_cancelled_says_so() {
    // The runtime cancels the statement on the interrupt; the server's
    // error comes back and the hint names the interrupt.
    let script = "SELECT pg_sleep(10);";
    let at = run(script, options(true, false), &[], &Trouble::default())
        .log
        .iter()
        .position(|l| l.starts_with("query"))
        .expect("a query ran")
        + 1;
    let trouble = Trouble {
        interrupt_before: Some(at),
        ..Trouble::default()
    };
    let r = run(
        script,
        options(true, false),
        &[(
            "SELECT pg_sleep(10)",
            Reply::Error("57014", "canceling statement due to user request"),
        )],
        &trouble,
    );
    assert_eq!(r.error_hint(), Some("cancelled: interrupted by Ctrl-C"));
    assert!(matches!(
        r.report.failure,
        Some(RunFailure::Statement { interrupted: true })
    ));
    assert!(r.rolled_back());
}

#[test]
fn a_signal_at_the_commit_gate_rolls_back() {
    let trouble = Trouble {
        gate_refuses: true,
        ..Trouble::default()
    };
    let r = run("SELECT 1;", options(true, false), &[], &trouble);
    assert!(r.log.contains(&"gate refuses".to_string()));
    assert_eq!(r.sent, ["BEGIN;", "SELECT 1", "ROLLBACK"]);
    assert!(matches!(r.report.failure, Some(RunFailure::Interrupted)));
}

#[test]
fn results_that_cannot_be_written_are_rolled_back() {
    // The second output (the first row) fails to be written.
    let trouble = Trouble {
        output_fails: Some((1, false)),
        ..Trouble::default()
    };
    let r = run(
        "SELECT a; SELECT b;",
        options(true, false),
        &[("SELECT a", Reply::Rows(3))],
        &trouble,
    );
    assert_eq!(r.sent, ["BEGIN;", "SELECT a", "ROLLBACK"]);
    assert!(matches!(
        r.report.failure,
        Some(RunFailure::Output("output"))
    ));
    assert!(
        r.warnings()
            .iter()
            .any(|w| w.contains("could not be written")),
        "{:?}",
        r.warnings()
    );
}

#[test]
fn a_failed_flush_before_commit_rolls_back() {
    let trouble = Trouble {
        flush_fails: true,
        ..Trouble::default()
    };
    let r = run("SELECT 1;", options(true, false), &[], &trouble);
    assert_eq!(r.sent, ["BEGIN;", "SELECT 1", "ROLLBACK"]);
    assert!(matches!(
        r.report.failure,
        Some(RunFailure::Output("flush"))
    ));
}

#[test]
fn a_reader_that_left_gets_neither_commit_nor_rollback() {
    let trouble = Trouble {
        output_fails: Some((1, true)),
        ..Trouble::default()
    };
    let r = run(
        "SELECT a;",
        options(true, false),
        &[("SELECT a", Reply::Rows(3))],
        &trouble,
    );
    assert_eq!(r.sent, ["BEGIN;", "SELECT a"]);
    assert!(matches!(
        r.report.failure,
        Some(RunFailure::Output("output"))
    ));
}

#[test]
fn a_commit_in_the_input_is_named_once_with_the_script() {
    let r = run(
        "INSERT INTO t VALUES (1);\nCOMMIT;\nINSERT INTO t VALUES (2);\ncommit;",
        options(true, false),
        &[],
        &Trouble::default(),
    );
    let warnings = r.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("t.sql: line 2: `COMMIT` ended the transaction"),
        "{warnings:?}"
    );
    // Not reopened: each statement after it commits on its own.
    assert_eq!(
        r.sent,
        [
            "BEGIN;",
            "INSERT INTO t VALUES (1)",
            "COMMIT",
            "INSERT INTO t VALUES (2)",
            "commit"
        ]
    );
    assert!(r.report.failure.is_none());
}

#[test]
fn the_deadline_bounds_each_statement_and_is_cleared_after_it() {
    let options = ScriptOptions {
        statement_timeout: Some(Duration::from_secs(2)),
        ..options(true, false)
    };
    let r = run(
        "SELECT 1; SELECT 2;",
        options,
        &[(
            "SELECT 2",
            Reply::Error("57014", "canceling statement due to statement timeout"),
        )],
        &Trouble::default(),
    );
    let deadlines: Vec<_> = r
        .log
        .iter()
        .filter(|l| l.starts_with("deadline") || l.starts_with("query") || *l == "ROLLBACK")
        .map(String::as_str)
        .collect();
    assert_eq!(
        deadlines,
        [
            "deadline Some(3s)",
            "query SELECT 1",
            "deadline None",
            "deadline Some(3s)",
            "query SELECT 2",
            "deadline None",
            "ROLLBACK"
        ]
    );
    assert_eq!(r.error_hint(), Some("the statement ran past --timeout"));
}

#[test]
fn a_cancel_that_is_not_the_servers_timeout_says_the_client_gave_up() {
    let options = ScriptOptions {
        statement_timeout: Some(Duration::from_secs(2)),
        ..options(true, false)
    };
    let r = run(
        "SELECT 1;",
        options,
        &[(
            "SELECT 1",
            Reply::Error("57014", "canceling statement due to user request"),
        )],
        &Trouble::default(),
    );
    assert_eq!(
        r.error_hint(),
        Some("the statement ran past --timeout and was cancelled")
    );
}

#[test]
fn a_statement_that_cannot_run_in_a_transaction_names_the_flag() {
    let r = run(
        "VACUUM;",
        options(true, false),
        &[(
            "VACUUM",
            Reply::Error("25001", "VACUUM cannot run inside a transaction block"),
        )],
        &Trouble::default(),
    );
    assert!(
        r.error_hint()
            .is_some_and(|h| h.contains("--no-transaction"))
    );
}

#[test]
fn a_begin_inside_ours_left_open_is_rolled_back() {
    let r = run(
        "BEGIN; SELECT 1;",
        options(true, false),
        &[("BEGIN", Reply::Notice("25001", "BEGIN"))],
        &Trouble::default(),
    );
    assert_eq!(r.sent, ["BEGIN;", "BEGIN", "SELECT 1", "ROLLBACK"]);
    assert!(r.report.failure.is_none());
    assert!(
        r.warnings()
            .iter()
            .any(|w| w.contains("BEGIN without COMMIT"))
    );
}

#[test]
fn inline_copy_data_goes_with_its_statement() {
    let r = run(
        "COPY t FROM STDIN;\n1\n2\n3\n\\.\nSELECT 1;",
        options(true, false),
        &[],
        &Trouble::default(),
    );
    assert_eq!(
        r.sent,
        ["BEGIN;", "COPY t FROM STDIN", "SELECT 1", "COMMIT"]
    );
    assert!(r.shown.iter().any(|o| matches!(
        o,
        Output::Complete { tag, summary } if tag.rows() == Some(3) && summary.rows_returned == 0
    )));
}

#[test]
fn copy_data_without_its_statement_is_refused() {
    let mut driver =
        ScriptDriver::<&'static str>::new(options(true, false), None).expect("valid options");
    let now = Instant::now();
    assert_eq!(
        driver.next_action(now, TransactionStatus::Idle),
        ScriptAction::ReadInput
    );
    driver.handle_input(Some(ScriptItem::CopyEnd));
    assert!(matches!(
        driver.next_action(now, TransactionStatus::Idle),
        ScriptAction::Show(Output::Failure(m)) if m.starts_with("<command>: unexpected COPY data")
    ));
    while driver.next_action(now, TransactionStatus::Idle) != ScriptAction::Done {}
    assert!(matches!(
        driver.finish().failure,
        Some(RunFailure::StrayCopyData(_))
    ));
}

#[test]
fn an_unanswered_request_is_asked_again() {
    let mut driver =
        ScriptDriver::<&'static str>::new(options(true, false), None).expect("valid options");
    let now = Instant::now();
    assert_eq!(
        driver.next_action(now, TransactionStatus::Idle),
        ScriptAction::ReadInput
    );
    assert_eq!(
        driver.next_action(now, TransactionStatus::Idle),
        ScriptAction::ReadInput
    );
}

#[test]
fn read_only_without_a_transaction_is_refused() {
    let refused = ScriptDriver::<&'static str>::new(options(false, true), None);
    assert!(refused.is_err_and(|e| e.to_string().contains("--no-transaction")));
}

#[test]
fn a_failure_of_our_own_sql_stops_before_the_first_statement() {
    let trouble = Trouble {
        prepare_fails: true,
        ..Trouble::default()
    };
    let r = run("SELECT 1;", options(true, false), &[], &trouble);
    assert_eq!(r.sent, ["BEGIN;"]);
    assert!(matches!(
        r.report.failure,
        Some(RunFailure::Local("prepare"))
    ));
    assert!(
        r.shown
            .contains(&Output::Failure("server closed the connection".into()))
    );
    assert_eq!(r.report.statements, 0);
}
