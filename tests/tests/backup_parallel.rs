//! `sequelae backup --jobs N` by the native method: tables copied by
//! worker sessions on the leader's snapshot, spooled beside the output
//! and appended. Each backup is restored with psql and compared with its
//! source; a database written during the backup restores to one moment;
//! no spool is left after a failure or a cancel.

#![allow(clippy::unwrap_used)]

#[path = "backup_support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sequelae_core::backup::{
    BackupError, BackupMethod, BackupReport, Compression, MethodUsed, ProgressEvent,
};
use sequelae_std::backup::BackupRequest;
use sequelae_tests::runtime::Backups;
use support::native::{FIXTURE, cluster, data_of, diff, restore, schema_of};
use support::{backup, entries, request, settings};

/// A database of the shared cluster with the native fixture in it.
fn fixture() -> &'static str {
    static DB: OnceLock<String> = OnceLock::new();
    DB.get_or_init(|| {
        let cluster = cluster(15);
        let db = cluster.create_database("parallel_backup");
        cluster.psql(&db, FIXTURE).unwrap();
        db
    })
}

fn parallel_request(
    db: &str,
    dir: &Path,
    edit: impl FnOnce(&mut sequelae_core::backup::BackupOptions),
) -> BackupRequest {
    let mut request = request(db, dir, |o| {
        o.jobs = 2;
        o.output = Some("app.sql".into());
        edit(o);
    });
    request.settings = settings(&cluster(15).superuser_conninfo(db));
    request
}

/// Restores the plain SQL at `path` into a new database and asserts that
/// it is the source again.
fn assert_restores(source: &str, path: &Path) {
    let cluster = cluster(15);
    let target = cluster.create_database("parallel_restored");
    restore(cluster, &target, path);
    let (a, b) = (schema_of(cluster, source), schema_of(cluster, &target));
    assert!(a == b, "schemas differ:\n{}", diff(&a, &b));
    assert_eq!(data_of(cluster, source), data_of(cluster, &target));
}

/// `gzip -dc path` into a plain file beside it.
fn gunzip(path: &Path) -> std::path::PathBuf {
    let out = Command::new("gzip")
        .arg("-dc")
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plain = path.with_extension("unzipped");
    std::fs::write(&plain, out.stdout).unwrap();
    plain
}

fn copied(events: &[ProgressEvent]) -> Vec<(usize, usize, u64)> {
    events
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::TableCopied {
                finished,
                total,
                rows,
                ..
            } => Some((*finished, *total, *rows)),
            _ => None,
        })
        .collect()
}

#[rstest::rstest]
#[case::plain(false)]
#[case::gzip(true)]
fn jobs_2_restores_identically(
    #[case] gzip: bool,
    #[values(Backups::Std, Backups::Smol)] runtime: Backups,
) {
    let dir = tempfile::tempdir().unwrap();
    let source = fixture();
    let request = parallel_request(source, dir.path(), |o| {
        o.method = BackupMethod::Native;
        if gzip {
            o.compression = Compression::on();
            o.output = Some("app.sql.gz".into());
        }
    });
    let (report, events) = runtime.run(&request);
    assert!(report.succeeded(), "{}: {report:#?}", runtime.name());
    assert_eq!(report.method, Some(MethodUsed::Native));
    let name = if gzip { "app.sql.gz" } else { "app.sql" };
    // The spools were appended and removed.
    assert_eq!(entries(dir.path()), vec![name.to_string()]);
    let copied = copied(&events);
    let (finished, total, rows) = *copied.last().unwrap();
    assert_eq!(finished, total, "{copied:?}");
    assert_eq!(Some(rows), report.rows);
    let path = dir.path().join(name);
    let plain = if gzip {
        assert_eq!(&std::fs::read(&path).unwrap()[..2], &[0x1f, 0x8b]);
        gunzip(&path)
    } else {
        path
    };
    assert_restores(source, &plain);
}

/// Auto mode takes the native method for `--jobs` with plain output
/// (pg_dump writes it with one job only) and says why.
#[test]
fn auto_mode_chooses_native_for_jobs_with_plain_output() {
    let dir = tempfile::tempdir().unwrap();
    let source = fixture();
    let request = parallel_request(source, dir.path(), |_| {});
    let (report, _) = backup(&request);
    assert!(report.succeeded(), "{report:#?}");
    assert_eq!(report.method, Some(MethodUsed::Native));
    assert_eq!(report.fallback_reasons.len(), 1, "{report:?}");
    assert!(
        report.fallback_reasons[0].contains("pg_dump writes the plain format with one job only"),
        "{report:?}"
    );
    let json = report.to_json();
    assert_eq!(json["method"], "native");
}

/// A new database of 41 tables, the first large enough to be read in
/// parts, for the failure tests: the backup is still copying when the
/// first table starts. Each test has its own, as they end sessions and
/// take locks.
fn many_tables() -> String {
    let cluster = cluster(15);
    let db = cluster.create_database("parallel_many");
    let mut sql = String::from(
        "CREATE TABLE big (id int, pad text);\n\
         INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 200000) g;\n",
    );
    for i in 0..40 {
        sql.push_str(&format!(
            "CREATE TABLE t{i} (id int); INSERT INTO t{i} SELECT generate_series(1, 100);\n"
        ));
    }
    cluster.psql(&db, &sql).unwrap();
    db
}

/// Runs `request`, calling `on_start` at the first table a worker starts.
fn backup_with(
    runtime: Backups,
    request: &BackupRequest,
    mut on_start: impl FnMut(&AtomicBool) + Send,
) -> BackupReport {
    let cancel = AtomicBool::new(false);
    let mut first = true;
    runtime.run_with(
        request,
        &mut |event| {
            if matches!(event, ProgressEvent::TableData { .. }) && first {
                first = false;
                on_start(&cancel);
            }
        },
        &cancel,
    )
}

/// Ctrl-C once a worker's spool is on disk (seen by another thread):
/// the backup stops, and the spools and the output are removed.
#[rstest::rstest]
fn ctrl_c_while_workers_copy_leaves_no_spool(
    #[values(Backups::Std, Backups::Smol)] runtime: Backups,
) {
    let dir = tempfile::tempdir().unwrap();
    let db = many_tables();
    let request = parallel_request(&db, dir.path(), |_| {});
    let cancel = AtomicBool::new(false);
    let done = AtomicBool::new(false);
    let report = std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !done.load(Ordering::SeqCst) && Instant::now() < deadline {
                // Spools are numbered after the temporary output's names.
                let spool = entries(dir.path()).iter().any(|name| {
                    name.strip_suffix(".tmp")
                        .and_then(|n| n.rsplit('-').next())
                        .and_then(|n| n.parse::<u32>().ok())
                        .is_some_and(|n| n > 100)
                });
                if spool {
                    cancel.store(true, Ordering::SeqCst);
                    return true;
                }
            }
            false
        });
        let report = runtime.run_with(&request, &mut |_| {}, &cancel);
        done.store(true, Ordering::SeqCst);
        assert!(watcher.join().unwrap(), "no spool was seen: {report:?}");
        report
    });
    assert_eq!(report.error, Some(BackupError::Interrupted), "{report:?}");
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

/// The server terminates the session of the worker that was given the
/// first table once it has locked it: while the driver is blocked in the
/// progress callback it cannot give that worker its COPY, which then
/// meets the closed session. The backup fails saying so, and nothing is
/// left, the spool included.
#[rstest::rstest]
fn worker_session_terminated_while_copying_leaves_no_spool(
    #[values(Backups::Std, Backups::Smol)] runtime: Backups,
) {
    let dir = tempfile::tempdir().unwrap();
    let db = many_tables();
    let request = parallel_request(&db, dir.path(), |_| {});
    let report = backup_with(runtime, &request, |_| {
        let locker = format!(
            "FROM pg_stat_activity WHERE datname = '{db}' AND query LIKE 'LOCK TABLE \"public\".\"big\" %'"
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        let pid = loop {
            let pid = cluster(15)
                .psql("postgres", &format!("SELECT pid {locker};"))
                .unwrap();
            if !pid.trim().is_empty() {
                break pid.trim().to_string();
            }
            assert!(
                Instant::now() < deadline,
                "no worker locked the first table"
            );
        };
        cluster(15)
            .psql(
                "postgres",
                &format!("SELECT pg_terminate_backend({pid}, 10000);"),
            )
            .unwrap();
    });
    let error = report.error.clone().expect("the backup must fail");
    let message = error.to_string();
    assert!(
        message.contains("a parallel worker (--jobs) failed copying table public.big"),
        "{message}"
    );
    assert!(message.contains("no backup was kept"), "{message}");
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

/// Another session asks for an exclusive lock on a table while the
/// backup runs (it queues behind the leader's lock): the worker that
/// reaches that table cannot lock it without waiting, and the backup
/// fails saying so instead of deadlocking, leaving nothing.
#[test]
fn a_conflicting_lock_during_the_backup_fails_it_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let db = many_tables();
    let request = parallel_request(&db, dir.path(), |_| {});
    let cluster = cluster(15);
    let psql = cluster.bin_dir().join("psql");
    let mut locker: Option<Child> = None;
    let report = backup_with(Backups::Std, &request, |_| {
        // The workers were given the big table only: t39 comes later.
        locker = Some(
            Command::new(psql.as_std_path())
                .args(["-X", "-q", "-d", &cluster.superuser_conninfo(&db)])
                .args([
                    "-c",
                    "BEGIN; LOCK TABLE t39 IN ACCESS EXCLUSIVE MODE; COMMIT;",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        let waiting = "SELECT count(*) FROM pg_locks WHERE relation = 't39'::regclass \
                       AND mode = 'AccessExclusiveLock' AND NOT granted;";
        while cluster.psql(&db, waiting).unwrap().trim() != "1" {
            assert!(
                Instant::now() < deadline,
                "the exclusive lock is not waiting"
            );
        }
    });
    // The leader's transaction is over: the other session gets its lock.
    assert!(locker.unwrap().wait().unwrap().success());
    let message = report.error.expect("the backup must fail").to_string();
    assert!(
        message.contains("could not lock table public.t39 without waiting"),
        "{message}"
    );
    assert!(message.contains("could not obtain lock"), "{message}");
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

/// pgbench writing while `--jobs 2` backs up: the restored balances agree
/// (the tables were read at one moment, though by different sessions).
#[test]
fn pgbench_writing_during_jobs_2_restores_consistent_balances() {
    let cluster = cluster(15);
    let db = cluster.create_database("parallel_pgbench");
    let pgbench = cluster.bin_dir().join("pgbench");
    let conninfo = cluster.superuser_conninfo(&db);
    let status = Command::new(pgbench.as_std_path())
        .args(["-i", "-q", "-s", "2", "-d", &conninfo])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let history = || -> u64 {
        cluster
            .psql(&db, "SELECT count(*) FROM pgbench_history;")
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    // A fixed number of transactions: pgbench stops by itself.
    let mut writer: Child = Command::new(pgbench.as_std_path())
        .args(["-n", "-c", "2", "-t", "4000", "-d", &conninfo])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while history() == 0 {
        assert!(Instant::now() < deadline, "pgbench committed nothing");
    }
    let dir = tempfile::tempdir().unwrap();
    let request = parallel_request(&db, dir.path(), |_| {});
    let before = history();
    let report = backup_with(Backups::Std, &request, |_| {
        // pgbench commits while the workers copy.
        let deadline = Instant::now() + Duration::from_secs(60);
        while history() <= before {
            assert!(Instant::now() < deadline, "pgbench stopped writing");
        }
    });
    assert!(writer.wait().unwrap().success());
    assert!(report.succeeded(), "{report:#?}");
    let restored = cluster.create_database("parallel_pgbench_restored");
    restore(cluster, &restored, &dir.path().join("app.sql"));
    let sums = cluster
        .psql(
            &restored,
            "SELECT (SELECT sum(abalance) FROM pgbench_accounts), \
             (SELECT sum(tbalance) FROM pgbench_tellers), \
             (SELECT sum(bbalance) FROM pgbench_branches), \
             (SELECT coalesce(sum(delta), 0) FROM pgbench_history), \
             (SELECT count(*) FROM pgbench_history);",
        )
        .unwrap();
    let sums: Vec<&str> = sums.trim().split('|').collect();
    assert_eq!(sums[0], sums[1], "{sums:?}");
    assert_eq!(sums[1], sums[2], "{sums:?}");
    assert_eq!(sums[2], sums[3], "{sums:?}");
    // The backup holds a moment while pgbench wrote, not before nor after.
    let restored_history: u64 = sums[4].parse().unwrap();
    assert!(restored_history >= before, "{sums:?}");
    assert!(restored_history < 8000, "{sums:?}");
}

/// Foreign-key chains whose names sort against the order the rows must
/// go in (`a_line` → `b_order` → `c_customer`), the referenced table the
/// largest (one part, under 8 MB) so that with `--jobs 2` it finishes last.
fn foreign_key_chain() -> &'static str {
    static DB: OnceLock<String> = OnceLock::new();
    DB.get_or_init(|| {
        let cluster = cluster(15);
        let db = cluster.create_database("fk_chain");
        cluster
            .psql(
                &db,
                "CREATE SCHEMA chain;
                 CREATE TABLE chain.c_customer (id int PRIMARY KEY, pad text);
                 CREATE TABLE chain.b_order (id int PRIMARY KEY,
                     customer int NOT NULL REFERENCES chain.c_customer);
                 CREATE TABLE chain.a_line (id int PRIMARY KEY,
                     ord int NOT NULL REFERENCES chain.b_order, note text);
                 CREATE TABLE chain.\"0_self\" (id int PRIMARY KEY,
                     up int REFERENCES chain.\"0_self\", customer int REFERENCES chain.c_customer);
                 INSERT INTO chain.c_customer
                     SELECT g, repeat('x', 200) FROM generate_series(1, 25000) g;
                 INSERT INTO chain.b_order SELECT g, g FROM generate_series(1, 2000) g;
                 INSERT INTO chain.a_line SELECT g, g, 'n' FROM generate_series(1, 100) g;
                 INSERT INTO chain.\"0_self\" VALUES (1, NULL, 5);",
            )
            .unwrap();
        db
    })
}

/// A `--data-only` backup, serial and with `--jobs 2`, restores with
/// `ON_ERROR_STOP` into a copy of the schema whose foreign keys check
/// every row: referenced tables' rows go in first, as pg_dump orders
/// them.
#[rstest::rstest]
#[case::serial(1)]
#[case::jobs_2(2)]
fn data_only_loads_referenced_tables_first(#[case] jobs: u32) {
    let dir = tempfile::tempdir().unwrap();
    let source = foreign_key_chain();
    let request = parallel_request(source, dir.path(), |o| {
        o.method = BackupMethod::Native;
        o.jobs = jobs;
        o.data_only = true;
    });
    let (report, _) = backup(&request);
    assert!(report.succeeded(), "{report:#?}");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let cluster = cluster(15);
    let target = cluster.create_database("fk_chain_restored");
    let schema = schema_of(cluster, source);
    let schema_file = dir.path().join("schema.sql");
    std::fs::write(&schema_file, schema).unwrap();
    restore(cluster, &target, &schema_file);
    restore(cluster, &target, &dir.path().join("app.sql"));
    assert_eq!(data_of(cluster, source), data_of(cluster, &target));
}
