//! `sequelae backup` by the native method, through the backup driver:
//! forced with `--no-pg-dump`, and chosen by auto mode when pg_dump is
//! missing, too old for the server or fails before writing. Each backup
//! is restored with the server's own psql and compared with its source.

#![allow(clippy::unwrap_used)]

#[path = "backup_support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use sequelae_core::backup::{
    BackupError, BackupMethod, BackupReport, ErrorKind, MethodUsed, ProgressEvent,
};
use sequelae_std::backup::{BackupRequest, run};
use sequelae_tests::Cluster;
use support::native::{FIXTURE, cluster, data_of, diff, restore, schema_of};
use support::{backup, backup_ok, entries, request, script, settings};

/// A database of the `version` cluster with the native fixture in it.
fn fixture(version: u32) -> &'static str {
    static V15: OnceLock<String> = OnceLock::new();
    static V18: OnceLock<String> = OnceLock::new();
    let cell = if version == 15 { &V15 } else { &V18 };
    cell.get_or_init(|| {
        let cluster = cluster(version);
        let db = cluster.create_database("native_backup");
        cluster.psql(&db, FIXTURE).unwrap();
        db
    })
}

/// A request for `db` of the `version` cluster, writing into `dir`.
fn native_request(
    version: u32,
    db: &str,
    dir: &Path,
    edit: impl FnOnce(&mut sequelae_core::backup::BackupOptions),
) -> BackupRequest {
    let mut request = request(db, dir, edit);
    request.settings = settings(&cluster(version).superuser_conninfo(db));
    request
}

/// Restores the plain SQL at `path` into a new database of the `version`
/// cluster and asserts that it is the source again.
fn assert_restores(version: u32, source: &str, path: &Path) {
    let cluster = cluster(version);
    let target = cluster.create_database("native_restored");
    restore(cluster, &target, path);
    let (a, b) = (schema_of(cluster, source), schema_of(cluster, &target));
    assert!(a == b, "schemas differ:\n{}", diff(&a, &b));
    assert_eq!(data_of(cluster, source), data_of(cluster, &target));
}

fn assert_native(report: &BackupReport) {
    assert_eq!(report.method, Some(MethodUsed::Native), "{report:?}");
    let json = report.to_json();
    assert_eq!(json["method"], "native");
    assert!(json["rows"].as_u64().unwrap() > 0, "{json}");
    assert!(json["size"].as_u64().unwrap() > 0, "{json}");
}

#[test]
fn no_pg_dump_restores_identically() {
    let dir = tempfile::tempdir().unwrap();
    let source = fixture(15);
    let request = native_request(15, source, dir.path(), |o| {
        o.method = BackupMethod::Native;
        o.output = Some("app.sql".into());
    });
    let (report, events) = backup(&request);
    assert!(report.succeeded(), "{report:#?}");
    assert_native(&report);
    assert!(report.fallback_reasons.is_empty());
    assert_eq!(entries(dir.path()), vec!["app.sql".to_string()]);
    // Progress: every table started and copied, the counts growing.
    let copied: Vec<_> = events
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
        .collect();
    assert!(!copied.is_empty(), "{events:?}");
    let (finished, total, rows) = *copied.last().unwrap();
    assert_eq!(finished, total, "{copied:?}");
    assert_eq!(Some(rows), report.rows);
    assert_restores(15, source, &dir.path().join("app.sql"));
}

#[test]
fn compress_writes_gzip_that_restores() {
    let dir = tempfile::tempdir().unwrap();
    let source = fixture(15);
    let request = native_request(15, source, dir.path(), |o| {
        o.method = BackupMethod::Native;
        o.compression = sequelae_core::backup::Compression::on();
    });
    let (report, path) = backup_ok(&request);
    assert_native(&report);
    assert!(path.to_string_lossy().ends_with(".sql.gz"), "{path:?}");
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "a gzip file");
    let out = Command::new("gzip")
        .arg("-dc")
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success());
    let plain = dir.path().join("unzipped.sql");
    std::fs::write(&plain, out.stdout).unwrap();
    assert_restores(15, source, &plain);
}

/// pg_dump cannot be used, for each way: auto mode takes the native
/// backup and says why; `--pg-dump` fails and leaves nothing.
#[rstest::rstest]
#[case::missing("", "pg_dump was not found")]
#[case::mismatch(
    "if [ \"$1\" = --version ]; then echo 'pg_dump (PostgreSQL) 15.18'; exit 0; fi\n\
     echo 'pg_dump: error: aborting because of server version mismatch' >&2\n\
     echo 'pg_dump: detail: server version: 18.0; pg_dump version: 15.18' >&2\n\
     exit 1",
    "aborting because of server version mismatch"
)]
fn auto_falls_back_when_pg_dump_cannot_be_used(#[case] body: &str, #[case] reason: &str) {
    let dir = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let program = if body.is_empty() {
        bin.path().join("missing-pg_dump")
    } else {
        script(bin.path(), "pg_dump", body)
    };
    let source = fixture(15);
    for method in [BackupMethod::Auto, BackupMethod::PgDump] {
        let request = native_request(15, source, dir.path(), |o| {
            o.method = method;
            o.pg_dump_path = Some(program.display().to_string());
        });
        let (report, _) = backup(&request);
        if method == BackupMethod::PgDump {
            let text = report.error.clone().unwrap().to_string();
            assert!(text.contains(reason), "{text}");
            assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
            continue;
        }
        assert!(report.succeeded(), "{report:#?}");
        assert_native(&report);
        let reasons = report.to_json()["fallbackReasons"].clone();
        assert_eq!(reasons.as_array().unwrap().len(), 1, "{reasons}");
        assert!(reasons[0].as_str().unwrap().contains(reason), "{reasons}");
        let path = report.output_path.clone().unwrap();
        assert_eq!(entries(dir.path()).len(), 1, "{:?}", entries(dir.path()));
        assert_restores(15, source, &path);
        std::fs::remove_file(path).unwrap();
    }
}

/// The headline case: a PostgreSQL 18 server and the system's pg_dump 15.
#[test]
fn postgres_18_with_pg_dump_15_falls_back_and_restores_identically() {
    let pg_dump_15 = Path::new("/usr/lib/postgresql/15/bin/pg_dump");
    assert!(pg_dump_15.exists(), "install postgresql-client-15");
    let dir = tempfile::tempdir().unwrap();
    let source = fixture(18);
    let request = native_request(18, source, dir.path(), |o| {
        o.pg_dump_path = Some(pg_dump_15.display().to_string());
    });
    let (report, path) = backup_ok(&request);
    assert_native(&report);
    let reasons = &report.fallback_reasons;
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].contains("pg_dump 15.") && reasons[0].contains("cannot dump PostgreSQL 18"),
        "{reasons:?}"
    );
    assert_restores(18, source, &path);
}

/// A database whose one big table takes a while to copy, and a small one
/// copied first (tables are copied in name order).
fn big_source() -> &'static str {
    static DB: OnceLock<String> = OnceLock::new();
    DB.get_or_init(|| {
        let cluster = Cluster::shared();
        let db = cluster.create_database("native_big");
        cluster
            .psql(
                &db,
                "CREATE TABLE a_small (id int);\n\
                 INSERT INTO a_small VALUES (1);\n\
                 CREATE TABLE b_big (id int, pad text);\n\
                 INSERT INTO b_big SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 250000) g;\n\
                 CREATE TABLE c_last (id int);\n\
                 INSERT INTO c_last VALUES (1);\n",
            )
            .unwrap();
        db
    })
}

/// Interrupted, or the session terminated by the server, once copying
/// started: a clear error, and neither output nor temporary file.
#[rstest::rstest]
#[case::interrupted(true)]
#[case::terminated(false)]
fn stopped_mid_backup_leaves_nothing(#[case] interrupt: bool) {
    // Both cases use one database and the terminating one ends every
    // session of it: one at a time.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let db = big_source();
    let request = native_request(15, db, dir.path(), |o| o.method = BackupMethod::Native);
    let cancel = AtomicBool::new(false);
    let mut stopped = false;
    let report = run(
        &request,
        &mut |event| {
            if stopped || !matches!(event, ProgressEvent::TableData { .. }) {
                return;
            }
            stopped = true;
            if interrupt {
                cancel.store(true, Ordering::SeqCst);
            } else {
                Cluster::shared()
                    .psql(
                        "postgres",
                        &format!(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                             WHERE datname = '{db}' AND pid <> pg_backend_pid();"
                        ),
                    )
                    .unwrap();
            }
        },
        &cancel,
    );
    assert!(stopped, "copying started");
    let error = report.error.clone().expect("stopped");
    if interrupt {
        assert_eq!(error, BackupError::Interrupted);
    } else {
        assert!(matches!(error, BackupError::NativeDump { .. }), "{error:?}");
        assert_eq!(error.kind(), ErrorKind::Dump);
        assert!(error.to_string().contains("no backup was kept"), "{error}");
    }
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

/// `--schema-only` then `--data-only`, restored one after the other, give
/// the whole database; `--no-owner` and `--no-privileges` leave owners
/// and grants out of the file.
#[test]
fn schema_only_then_data_only_and_no_owner() {
    let dir = tempfile::tempdir().unwrap();
    let source = fixture(15);
    let take = |name: &str, edit: fn(&mut sequelae_core::backup::BackupOptions)| {
        let request = native_request(15, source, dir.path(), |o| {
            o.method = BackupMethod::Native;
            o.output = Some(name.into());
            edit(o);
        });
        backup_ok(&request).1
    };
    let schema = take("schema.sql", |o| o.schema_only = true);
    let data = take("data.sql", |o| o.data_only = true);
    let bare = take("bare.sql", |o| {
        o.no_owner = true;
        o.no_privileges = true;
    });
    let schema_text = std::fs::read_to_string(&schema).unwrap();
    assert!(!schema_text.contains("FROM stdin;"), "no data");
    assert!(schema_text.contains("OWNER TO") && schema_text.contains("GRANT "));
    let data_text = std::fs::read_to_string(&data).unwrap();
    assert!(data_text.contains("FROM stdin;") && !data_text.contains("CREATE TABLE"));
    let bare_text = std::fs::read_to_string(&bare).unwrap();
    assert!(!bare_text.contains("OWNER TO") && !bare_text.contains("GRANT "));

    let cluster = cluster(15);
    let target = cluster.create_database("native_split");
    restore(cluster, &target, &schema);
    restore(cluster, &target, &data);
    let (a, b) = (schema_of(cluster, source), schema_of(cluster, &target));
    assert!(a == b, "schemas differ:\n{}", diff(&a, &b));
    assert_eq!(data_of(cluster, source), data_of(cluster, &target));
}
