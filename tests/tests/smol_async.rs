//! What only the async runtime has to prove: its futures run on any
//! executor, a dropped future leaves a session that is known and usable
//! (the server query stopped), a cancel comes from another task, the
//! deadline is a timer; and the drivers the MCP server calls (script
//! runner, schema inspection, health) run on it.

#![allow(clippy::unwrap_used)]

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_lite::future;
use futures_lite::io::AsyncRead;
use sequelae_core::schema::{SchemaRequest, parse_table_names};
use sequelae_core::session::{Output, RunFailure, ScriptDriver, ScriptOptions};
use sequelae_core::wire::TransactionStatus;
use sequelae_smol::script::{Interrupt, Script, run};
use sequelae_smol::{Client, Error};
use sequelae_tests::Cluster;
use sequelae_tests::shared::settings;

async fn connect(database: &str) -> Client {
    let cluster = Cluster::shared();
    Client::connect(&settings(&cluster.superuser_conninfo(database)))
        .await
        .unwrap()
}

async fn scalar(client: &mut Client, sql: &str) -> Option<String> {
    let results = client.simple_query(sql).await.unwrap();
    Some(results.first()?.rows.first()?.get_str(0)?.to_string())
}

/// Polls the server until `pid` runs (`active`) or no longer runs a
/// `pg_sleep`, within 30 seconds.
async fn wait_for_sleep(observer: &mut Client, pid: i32, active: bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let sql = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE pid = {pid} AND state = 'active' AND query LIKE '%pg_sleep%'"
    );
    let want = if active { "1" } else { "0" };
    while scalar(observer, &sql).await.as_deref() != Some(want) {
        assert!(
            Instant::now() < deadline,
            "pg_sleep active={active} never seen"
        );
        async_io::Timer::after(Duration::from_millis(20)).await;
    }
}

fn assert_send<T: Send>(_: &T) {}

/// The futures are `Send` (a multi-threaded executor may move them).
#[test]
fn the_futures_are_send() {
    let settings = settings(&Cluster::shared().superuser_conninfo("postgres"));
    assert_send(&Client::connect(&settings));
    smol::block_on(async {
        let mut client = connect("postgres").await;
        assert_send(&client.simple_query("SELECT 1"));
        assert_send(&client.copy_out("COPY (SELECT 1) TO STDOUT", &mut futures_lite::io::sink()));
        let mut script = Script::from_text("SELECT 1");
        let driver = ScriptDriver::new(ScriptOptions::default(), None).unwrap();
        let mut shown: Vec<Output> = Vec::new();
        let interrupt = Interrupt::new();
        assert_send(&run(
            &mut client,
            &mut script,
            driver,
            &mut shown,
            &interrupt,
        ));
    });
}

/// Not smol's executor: futures-lite's `block_on`, with async-io's reactor
/// on its own thread.
#[test]
fn runs_under_futures_lite_block_on() {
    future::block_on(async {
        let mut client = connect("postgres").await;
        assert_eq!(
            scalar(&mut client, "SELECT 6 * 7").await.as_deref(),
            Some("42")
        );
        let mut out = Vec::new();
        let copied = client
            .copy_out(
                "COPY (SELECT g FROM generate_series(1, 3) g) TO STDOUT",
                &mut out,
            )
            .await
            .unwrap();
        assert_eq!((copied.rows, out.as_slice()), (3, &b"1\n2\n3\n"[..]));
        client.close().await.unwrap();
    });
}

#[test]
fn runs_under_smol_block_on() {
    smol::block_on(async {
        let mut client = connect("postgres").await;
        assert_eq!(
            scalar(&mut client, "SELECT 6 * 7").await.as_deref(),
            Some("42")
        );
        client.close().await.unwrap();
    });
}

/// A caller that gives up on a query (its future dropped, as a timeout or
/// an MCP cancellation does) stops it on the server, and the session is
/// usable again.
#[test]
fn a_dropped_query_future_is_cancelled_on_the_server() {
    smol::block_on(async {
        let mut client = connect("postgres").await;
        let mut observer = connect("postgres").await;
        let pid = client.backend_pid().unwrap();
        let finished = future::or(
            async {
                let _ = client.simple_query("SELECT pg_sleep(30)").await;
                true
            },
            async {
                wait_for_sleep(&mut observer, pid, true).await;
                false
            },
        )
        .await;
        assert!(!finished, "pg_sleep(30) cannot have finished");
        assert!(!client.is_ready());
        let started = Instant::now();
        client.recover().await.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert!(client.is_ready());
        assert_eq!(client.transaction_status(), TransactionStatus::Idle);
        wait_for_sleep(&mut observer, pid, false).await;
        assert_eq!(
            scalar(&mut client, "SELECT 'after'").await.as_deref(),
            Some("after")
        );
    });
}

/// Without an explicit `recover`, the next request does it.
#[test]
fn the_next_request_settles_a_dropped_one() {
    smol::block_on(async {
        let mut client = connect("postgres").await;
        let mut observer = connect("postgres").await;
        let pid = client.backend_pid().unwrap();
        future::or(
            async {
                let _ = client.simple_query("SELECT pg_sleep(30)").await;
            },
            wait_for_sleep(&mut observer, pid, true),
        )
        .await;
        let started = Instant::now();
        assert_eq!(
            scalar(&mut client, "SELECT 'next'").await.as_deref(),
            Some("next")
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    });
}

/// Gives `rows` rows of COPY data, then never anything more.
struct Stalling {
    rows: usize,
}

impl AsyncRead for Stalling {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if self.rows == 0 {
            return Poll::Pending;
        }
        self.rows -= 1;
        buf[..2].copy_from_slice(b"7\n");
        Poll::Ready(Ok(2))
    }
}

/// A COPY FROM STDIN whose future is dropped half way is failed, and
/// commits nothing.
#[test]
fn a_dropped_copy_in_commits_nothing() {
    smol::block_on(async {
        let db = Cluster::shared().create_database("smol_dropped_copy");
        let mut client = connect(&db).await;
        client.simple_query("CREATE TABLE t(a int)").await.unwrap();
        let mut input = Stalling { rows: 1000 };
        future::or(
            async {
                let _ = client.copy_in("COPY t FROM STDIN", &mut input).await;
            },
            async {
                async_io::Timer::after(Duration::from_millis(300)).await;
            },
        )
        .await;
        assert_eq!(input.rows, 0, "the whole input was offered");
        client.recover().await.unwrap();
        assert_eq!(
            scalar(&mut client, "SELECT count(*) FROM t")
                .await
                .as_deref(),
            Some("0")
        );
    });
}

/// The cancel handle from another task of the same executor.
#[test]
fn cancel_from_another_task() {
    smol::block_on(async {
        let mut client = connect("postgres").await;
        let mut observer = connect("postgres").await;
        let pid = client.backend_pid().unwrap();
        let cancel = client.cancel_handle().unwrap();
        let (answer, cancelled_at) =
            future::zip(client.simple_query("SELECT pg_sleep(30)"), async {
                wait_for_sleep(&mut observer, pid, true).await;
                cancel.cancel().await.unwrap();
                Instant::now()
            })
            .await;
        assert!(cancelled_at.elapsed() < Duration::from_secs(5));
        let err = answer.unwrap_err();
        assert_eq!(err.db_error().unwrap().code, "57014", "{err}");
        assert_eq!(scalar(&mut client, "SELECT 1").await.as_deref(), Some("1"));
    });
}

/// The query deadline is an async-io timer raced against the read: past
/// it, a cancel is sent and the statement fails.
#[test]
fn the_query_deadline_cancels_a_statement_that_outlasts_it() {
    smol::block_on(async {
        let mut client = connect("postgres").await;
        let started = Instant::now();
        client.set_query_deadline(Some(started + Duration::from_millis(300)));
        let err = client
            .simple_query("SELECT pg_sleep(30)")
            .await
            .unwrap_err();
        assert_eq!(
            err.db_error().map(|e| e.code.as_str()),
            Some("57014"),
            "{err}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        client.set_query_deadline(None);
        assert_eq!(scalar(&mut client, "SELECT 1").await.as_deref(), Some("1"));
    });
}

/// A server that accepts and never answers: connect_timeout is a timer.
#[test]
fn connect_timeout_bounds_a_silent_server() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let s = settings(&format!(
        "host=127.0.0.1 port={port} user=x dbname=x connect_timeout=2 sslmode=disable"
    ));
    let started = Instant::now();
    let err = smol::block_on(Client::connect(&s)).unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

fn driver(options: ScriptOptions) -> ScriptDriver<Error> {
    ScriptDriver::new(options, None).unwrap()
}

fn rows(shown: &[Output]) -> Vec<String> {
    shown
        .iter()
        .filter_map(|o| match o {
            Output::Row(r) => r.get_str(0).map(str::to_string),
            _ => None,
        })
        .collect()
}

/// exec's script runner: one transaction, inline COPY data, a row cap,
/// committed at the end.
#[test]
fn the_script_runner_runs_a_script_in_one_transaction() {
    smol::block_on(async {
        let db = Cluster::shared().create_database("smol_script");
        let mut client = connect(&db).await;
        let mut script = Script::from_text(
            "CREATE TABLE t(a int);\nCOPY t FROM STDIN;\n1\n2\n3\n\\.\nSELECT a FROM t ORDER BY a;",
        );
        let options = ScriptOptions {
            transaction: true,
            max_rows: Some(2),
            ..ScriptOptions::default()
        };
        let mut shown = Vec::new();
        let report = run(
            &mut client,
            &mut script,
            driver(options),
            &mut shown,
            &Interrupt::new(),
        )
        .await;
        assert!(report.failure.is_none(), "{:?} {shown:?}", report.failure);
        assert_eq!(report.statements, 3);
        assert_eq!(rows(&shown), ["1", "2"], "{shown:?}");
        let truncated = shown.iter().any(|o| {
            matches!(o, Output::Complete { summary, .. } if summary.truncated && summary.row_count == Some(3))
        });
        assert!(truncated, "{shown:?}");
        assert_eq!(client.transaction_status(), TransactionStatus::Idle);
        assert_eq!(
            scalar(&mut client, "SELECT count(*) FROM t")
                .await
                .as_deref(),
            Some("3")
        );
    });
}

/// A failing statement rolls the whole script back.
#[test]
fn the_script_runner_rolls_back_on_an_error() {
    smol::block_on(async {
        let db = Cluster::shared().create_database("smol_script_error");
        let mut client = connect(&db).await;
        client.simple_query("CREATE TABLE t(a int)").await.unwrap();
        let mut script = Script::from_text("INSERT INTO t VALUES (1); SELECT 1/0;");
        let options = ScriptOptions {
            transaction: true,
            ..ScriptOptions::default()
        };
        let mut shown = Vec::new();
        let report = run(
            &mut client,
            &mut script,
            driver(options),
            &mut shown,
            &Interrupt::new(),
        )
        .await;
        assert!(matches!(
            report.failure,
            Some(RunFailure::Statement { interrupted: false })
        ));
        let error = shown.iter().find_map(|o| match o {
            Output::StatementError { error, .. } => Some(error.code.clone()),
            _ => None,
        });
        assert_eq!(error.as_deref(), Some("22012"));
        assert_eq!(client.transaction_status(), TransactionStatus::Idle);
        assert_eq!(
            scalar(&mut client, "SELECT count(*) FROM t")
                .await
                .as_deref(),
            Some("0")
        );
    });
}

/// Read-only mode: the database refuses the write, statement by statement
/// through the extended protocol.
#[test]
fn the_script_runner_enforces_read_only() {
    smol::block_on(async {
        let db = Cluster::shared().create_database("smol_script_ro");
        let mut client = connect(&db).await;
        client.simple_query("CREATE TABLE t(a int)").await.unwrap();
        let mut script = Script::from_text("SELECT 1; INSERT INTO t VALUES (1)");
        let options = ScriptOptions {
            transaction: true,
            read_only: true,
            ..ScriptOptions::default()
        };
        let mut shown = Vec::new();
        let report = run(
            &mut client,
            &mut script,
            driver(options),
            &mut shown,
            &Interrupt::new(),
        )
        .await;
        assert!(report.failure.is_some());
        let error = shown.iter().find_map(|o| match o {
            Output::StatementError { error, .. } => Some(error.code.clone()),
            _ => None,
        });
        assert_eq!(error.as_deref(), Some("25006"), "{shown:?}");
        assert_eq!(
            scalar(&mut client, "SELECT count(*) FROM t")
                .await
                .as_deref(),
            Some("0")
        );
    });
}

/// An interrupt raised from another task (with a cancel of the running
/// statement) stops the run and rolls it back.
#[test]
fn an_interrupt_stops_the_script_and_rolls_back() {
    smol::block_on(async {
        let db = Cluster::shared().create_database("smol_script_stop");
        let mut client = connect(&db).await;
        let mut observer = connect(&db).await;
        client.simple_query("CREATE TABLE t(a int)").await.unwrap();
        let pid = client.backend_pid().unwrap();
        let cancel = client.cancel_handle().unwrap();
        let interrupt = Interrupt::new();
        let mut script = Script::from_text("INSERT INTO t VALUES (1); SELECT pg_sleep(30);");
        let options = ScriptOptions {
            transaction: true,
            ..ScriptOptions::default()
        };
        let mut shown = Vec::new();
        let (report, ()) = future::zip(
            run(
                &mut client,
                &mut script,
                driver(options),
                &mut shown,
                &interrupt,
            ),
            async {
                wait_for_sleep(&mut observer, pid, true).await;
                interrupt.raise("cancelled by the client");
                cancel.cancel().await.unwrap();
            },
        )
        .await;
        assert!(
            matches!(
                report.failure,
                Some(RunFailure::Statement { interrupted: true })
            ),
            "{:?}",
            report.failure
        );
        assert_eq!(client.transaction_status(), TransactionStatus::Idle);
        assert_eq!(
            scalar(&mut client, "SELECT count(*) FROM t")
                .await
                .as_deref(),
            Some("0")
        );
    });
}

/// A script file, read in chunks off the executor.
#[test]
fn the_script_runner_reads_a_file() {
    smol::block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sql");
        std::fs::write(&path, "SELECT 'from a file';\n").unwrap();
        let mut client = connect("postgres").await;
        let mut script = Script::open(&path).await.unwrap();
        let mut shown = Vec::new();
        let report = run(
            &mut client,
            &mut script,
            driver(ScriptOptions::default()),
            &mut shown,
            &Interrupt::new(),
        )
        .await;
        assert!(report.failure.is_none());
        assert_eq!(rows(&shown), ["from a file"]);
        let missing = Script::open(&dir.path().join("none.sql"))
            .await
            .unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
    });
}

/// schema inspection: a table's columns and the structure of its jsonb.
#[test]
fn schema_inspection_describes_a_table() {
    smol::block_on(async {
        let db = Cluster::shared().create_database("smol_schema");
        let mut client = connect(&db).await;
        client
            .simple_query(
                "CREATE TABLE doc(id int PRIMARY KEY, body jsonb);
                 INSERT INTO doc VALUES (1, '{\"a\": 1, \"b\": \"x\"}')",
            )
            .await
            .unwrap();
        let tables = parse_table_names(&["doc".to_string(), "nope".to_string()]).unwrap();
        let report = sequelae_smol::schema::inspect(&mut client, SchemaRequest::new(tables))
            .await
            .unwrap();
        assert_eq!(report.tables.len(), 1);
        let doc = &report.tables[0];
        assert_eq!(doc.name, "doc");
        let columns: Vec<_> = doc.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(columns, ["id", "body"]);
        assert_eq!(report.missing.len(), 1);
        let json = report.to_json().to_string();
        assert!(json.contains("\"b\""), "{json}");
    });
}

/// health: a fresh connection, then an open (pooled) one.
#[test]
fn health_reports_a_healthy_server() {
    smol::block_on(async {
        let cluster = Cluster::shared();
        let settings = settings(&cluster.superuser_conninfo("postgres"));
        let report = sequelae_smol::health::check(&settings).await.unwrap();
        assert!(report.healthy(), "{:?}", report.problems);
        assert!(report.version_num >= 150000);
        let mut client = connect("postgres").await;
        let pooled = sequelae_smol::health::probe(&mut client, Duration::ZERO)
            .await
            .unwrap();
        assert_eq!(pooled.database, "postgres");
    });
}
