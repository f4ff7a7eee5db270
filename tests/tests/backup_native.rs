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
use support::native::{
    FIXTURE, FIXTURE_FILTERS, cluster, data_of, diff, restore, run as run_program, schema_of,
};
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

/// `--compress` (serial and with `--jobs 2`: multi-member gzip) on the
/// PostgreSQL 15 fixture and on the PostgreSQL 18 one with its 18-only
/// objects: gzip that restores identically.
#[rstest::rstest]
#[case::pg15(15, 1)]
#[case::pg15_jobs_2(15, 2)]
#[case::pg18(18, 1)]
#[case::pg18_jobs_2(18, 2)]
fn compress_writes_gzip_that_restores(#[case] version: u32, #[case] jobs: u32) {
    let dir = tempfile::tempdir().unwrap();
    let source = fixture(version);
    let request = native_request(version, source, dir.path(), |o| {
        o.method = BackupMethod::Native;
        o.compression = sequelae_core::backup::Compression::on();
        o.jobs = jobs;
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
    assert_restores(version, source, &plain);
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
/// copied first (tables are copied in name order). One per test case:
/// the terminating case ends every other session of its database, which
/// must not be the other case's backup.
fn big_source(interrupt: bool) -> &'static str {
    static INTERRUPTED: OnceLock<String> = OnceLock::new();
    static TERMINATED: OnceLock<String> = OnceLock::new();
    let cell = if interrupt { &INTERRUPTED } else { &TERMINATED };
    cell.get_or_init(|| {
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
    let db = big_source(interrupt);
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
    assert!(stopped, "copying started: {report:?}");
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

/// A database of the shared cluster with the filters fixture in it.
fn filters_source() -> &'static str {
    static DB: OnceLock<String> = OnceLock::new();
    DB.get_or_init(|| {
        let cluster = cluster(15);
        let db = cluster.create_database("native_filters");
        cluster.psql(&db, FIXTURE_FILTERS).unwrap();
        db
    })
}

/// Each filter: the native dump restores to exactly what pg_dump's dump
/// with the same filter restores to (schema and data).
#[rstest::rstest]
#[case::tables(&["users,posts"], &[], &[], &["--table=public.users", "--table=public.posts"])]
#[case::tables_minus_excluded(&["users", "posts"], &[], &["posts"], &["--table=public.users", "--table=public.posts", "--exclude-table=public.posts"])]
#[case::schema(&[], &["app"], &[], &["--schema=app"])]
#[case::quoted_schema(&[], &["\"Other\""], &[], &["--schema=\"Other\""])]
#[case::exclude(&[], &[], &["logs", "\"Other\".\"Items\""], &["--exclude-table=public.logs", "--exclude-table=\"Other\".\"Items\""])]
fn filters_restore_what_pg_dump_restores(
    #[case] tables: &[&str],
    #[case] schemas: &[&str],
    #[case] exclude: &[&str],
    #[case] pg_dump_args: &[&str],
) {
    let dir = tempfile::tempdir().unwrap();
    let source = filters_source();
    let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let request = native_request(15, source, dir.path(), |o| {
        o.method = BackupMethod::Native;
        o.output = Some("native.sql".into());
        o.tables = list(tables);
        o.schemas = list(schemas);
        o.exclude_tables = list(exclude);
    });
    let (report, native) = backup_ok(&request);
    assert_eq!(report.method, Some(MethodUsed::Native), "{report:?}");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);

    let cluster = cluster(15);
    let expected = dir.path().join("pg_dump.sql");
    let conninfo = cluster.superuser_conninfo(source);
    let mut args = vec!["-d", conninfo.as_str(), "-f", expected.to_str().unwrap()];
    args.extend_from_slice(pg_dump_args);
    support::native::run(cluster.bin_dir().join("pg_dump").as_std_path(), &args);

    let ours = cluster.create_database("native_filtered");
    restore(cluster, &ours, &native);
    let theirs = cluster.create_database("pg_dump_filtered");
    restore(cluster, &theirs, &expected);
    let (a, b) = (schema_of(cluster, &theirs), schema_of(cluster, &ours));
    assert!(a == b, "schemas differ:\n{}", diff(&a, &b));
    assert_eq!(data_of(cluster, &theirs), data_of(cluster, &ours));
}

/// `--data-only --disable-triggers` restores rows into a schema whose
/// trigger refuses every insert; without the option the restore fails.
#[test]
fn disable_triggers_lets_rows_past_a_refusing_trigger() {
    let cluster = cluster(15);
    let source = cluster.create_database("native_triggers");
    cluster
        .psql(
            &source,
            "CREATE TABLE public.guarded (id int PRIMARY KEY, note text);\n\
             INSERT INTO public.guarded SELECT g, 'row ' || g FROM generate_series(1, 30) g;\n\
             CREATE FUNCTION public.refuse() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'no rows here'; END $$;\n\
             CREATE TRIGGER refuse BEFORE INSERT ON public.guarded \
             FOR EACH ROW EXECUTE FUNCTION public.refuse();\n",
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let take = |name: &str, edit: &dyn Fn(&mut sequelae_core::backup::BackupOptions)| {
        let request = native_request(15, &source, dir.path(), |o| {
            o.method = BackupMethod::Native;
            o.output = Some(name.into());
            edit(o);
        });
        backup_ok(&request).1
    };
    let schema = take("schema.sql", &|o| o.schema_only = true);
    let plain = take("data.sql", &|o| o.data_only = true);
    let off = take("data_off.sql", &|o| {
        o.data_only = true;
        o.disable_triggers = true;
    });
    let text = std::fs::read_to_string(&off).unwrap();
    let disable = text
        .find("ALTER TABLE \"public\".\"guarded\" DISABLE TRIGGER ALL;")
        .unwrap();
    let copy = text.find("COPY \"public\".\"guarded\"").unwrap();
    let enable = text
        .find("ALTER TABLE \"public\".\"guarded\" ENABLE TRIGGER ALL;")
        .unwrap();
    assert!(disable < copy && copy < enable, "{text}");

    // Without the option the trigger refuses the rows.
    let refused = cluster.create_database("native_triggers_on");
    restore(cluster, &refused, &schema);
    let psql = cluster.bin_dir().join("psql");
    let conninfo = cluster.superuser_conninfo(&refused);
    let out = Command::new(psql.as_std_path())
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &conninfo, "-f"])
        .arg(&plain)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no rows here"));

    let target = cluster.create_database("native_triggers_off");
    restore(cluster, &target, &schema);
    restore(cluster, &target, &off);
    let (a, b) = (schema_of(cluster, &source), schema_of(cluster, &target));
    assert!(a == b, "schemas differ:\n{}", diff(&a, &b));
    assert_eq!(data_of(cluster, &source), data_of(cluster, &target));
}

/// Another session's psql holding `lock` on `table` of `db` until it is
/// dropped; returns once the server granted the lock.
struct HeldLock(std::process::Child);

impl HeldLock {
    fn take(cluster: &Cluster, db: &str, table: &str) -> HeldLock {
        use std::io::Write;
        let psql = cluster.bin_dir().join("psql");
        let mut child = Command::new(psql.as_std_path())
            .args(["-X", "-q", "-d", &cluster.superuser_conninfo(db)])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.as_mut().unwrap();
        writeln!(stdin, "BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE;").unwrap();
        stdin.flush().unwrap();
        let held = HeldLock(child);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let query = format!(
            "SELECT count(*) FROM pg_locks WHERE granted AND mode = 'AccessExclusiveLock' \
             AND relation = '{table}'::regclass;"
        );
        while cluster.psql(db, &query).unwrap().trim() != "1" {
            assert!(
                std::time::Instant::now() < deadline,
                "the lock was never granted"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        held
    }
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A table locked ACCESS EXCLUSIVE by another session: with
/// `--lock-wait-timeout` both methods fail quickly instead of waiting,
/// and the native method says it was the lock timeout.
#[rstest::rstest]
#[case::native(BackupMethod::Native, "lock wait timeout of 300 ms")]
#[case::pg_dump(BackupMethod::PgDump, "timeout")]
fn lock_wait_timeout_fails_fast_on_a_locked_table(
    #[case] method: BackupMethod,
    #[case] says: &str,
) {
    let cluster = cluster(15);
    let db = cluster.create_database("native_locked");
    cluster
        .psql(
            &db,
            "CREATE TABLE public.busy (id int); INSERT INTO public.busy VALUES (1);",
        )
        .unwrap();
    let _lock = HeldLock::take(cluster, &db, "public.busy");
    let dir = tempfile::tempdir().unwrap();
    let request = native_request(15, &db, dir.path(), |o| {
        o.method = method;
        o.format = sequelae_core::backup::BackupFormat::Plain;
        o.lock_wait_timeout_ms = Some(300);
    });
    let started = std::time::Instant::now();
    let (report, _) = backup(&request);
    let text = report.error.clone().expect("the backup fails").to_string();
    assert!(text.contains(says), "{text}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

/// Tables, a partitioned table, an index, a primary key and a
/// materialized view in a tablespace of their own come back in it.
#[test]
fn tablespace_placement_survives() {
    use std::os::unix::fs::MetadataExt;
    let cluster = cluster(15);
    // The server must own the tablespace's directory, which goes with
    // the cluster (the tablespace outlives this test).
    let data = cluster.data_dir().as_std_path();
    let owner = std::fs::metadata(data).unwrap();
    let dir = data
        .parent()
        .unwrap()
        .join(format!("tablespace-{}", std::process::id()));
    std::fs::create_dir(&dir).unwrap();
    std::os::unix::fs::chown(&dir, Some(owner.uid()), Some(owner.gid())).unwrap();
    let name = format!("native ts {}", std::process::id());
    cluster
        .psql(
            "postgres",
            &format!("CREATE TABLESPACE \"{name}\" LOCATION '{}';", dir.display()),
        )
        .unwrap();
    let source = cluster.create_database("native_tablespace");
    cluster
        .psql(
            &source,
            &format!(
                "CREATE TABLE public.placed (id int, note text, \
                 CONSTRAINT placed_pk PRIMARY KEY (id) USING INDEX TABLESPACE \"{name}\") \
                 TABLESPACE \"{name}\";\n\
                 CREATE INDEX placed_note ON public.placed (note) TABLESPACE \"{name}\";\n\
                 CREATE TABLE public.parts (at date) PARTITION BY RANGE (at) TABLESPACE \"{name}\";\n\
                 INSERT INTO public.placed SELECT g, 'n' || g FROM generate_series(1, 10) g;\n\
                 CREATE MATERIALIZED VIEW public.placed_mv TABLESPACE \"{name}\" AS SELECT count(*) FROM public.placed;\n"
            ),
        )
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let request = native_request(15, &source, out.path(), |o| {
        o.method = BackupMethod::Native;
        o.output = Some("placed.sql".into());
    });
    let (_, path) = backup_ok(&request);
    assert_restores(15, &source, &path);
    let target = cluster.create_database("native_tablespace_check");
    restore(cluster, &target, &path);
    let placed = cluster
        .psql(
            &target,
            "SELECT count(*) FROM pg_class WHERE reltablespace <> 0 AND relnamespace = 'public'::regnamespace;",
        )
        .unwrap();
    assert_eq!(
        placed.trim(),
        "5",
        "table, key, index, partitioned table, view"
    );
}

/// An extension with a configuration table (user rows are those `WHERE
/// NOT standard`) and a configuration sequence, installed into the
/// extension directory of the PostgreSQL 18 the project's script put in
/// its cache (no contrib extension has one).
fn install_config_extension(cluster: &Cluster) {
    let pg_config = cluster.bin_dir().join("pg_config");
    let share = run_program(pg_config.as_std_path(), &["--sharedir"]);
    let dir = Path::new(share.trim()).join("extension");
    let files = [
        (
            "sequelae_config.control",
            "default_version = '1.0'\nrelocatable = true\n",
        ),
        (
            "sequelae_config--1.0.sql",
            "CREATE TABLE settings (name text PRIMARY KEY, value text, \
             standard boolean NOT NULL DEFAULT false);\n\
             INSERT INTO settings VALUES ('colour', 'blue', true);\n\
             SELECT pg_catalog.pg_extension_config_dump('settings', 'WHERE NOT standard');\n\
             CREATE TABLE a_choice (name text PRIMARY KEY REFERENCES settings);\n\
             SELECT pg_catalog.pg_extension_config_dump('a_choice', '');\n\
             CREATE SEQUENCE ticket;\n\
             SELECT pg_catalog.pg_extension_config_dump('ticket', '');\n",
        ),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(text) {
            continue;
        }
        // Whole or absent for a concurrent reader.
        let temp = dir.join(format!(".{name}.{}", std::process::id()));
        std::fs::write(&temp, text).unwrap();
        std::fs::rename(&temp, &path).unwrap();
    }
}

/// The rows a user put into an extension's configuration table, and its
/// configuration sequence's value, are in the dump (only those: the
/// standard row comes from CREATE EXTENSION), serially and with
/// `--jobs 2`, in full and data-only dumps, as pg_dump does; the
/// referenced configuration table's rows go in first (CREATE EXTENSION
/// made its foreign key).
#[rstest::rstest]
#[case::serial(1, false)]
#[case::jobs_2(2, false)]
#[case::data_only(1, true)]
#[case::data_only_jobs_2(2, true)]
fn extension_configuration_rows_are_kept(#[case] jobs: u32, #[case] data_only: bool) {
    let cluster = cluster(18);
    install_config_extension(cluster);
    let source = cluster.create_database("ext_config");
    cluster
        .psql(
            &source,
            "CREATE SCHEMA cfg; CREATE EXTENSION sequelae_config WITH SCHEMA cfg; \
             INSERT INTO cfg.settings VALUES ('size', 'large', false), ('shape', 'round', false); \
             INSERT INTO cfg.a_choice VALUES ('size'); \
             SELECT nextval('cfg.ticket') FROM generate_series(1, 3);",
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let request = native_request(18, &source, dir.path(), |o| {
        o.method = BackupMethod::Native;
        o.output = Some("ext.sql".into());
        o.jobs = jobs;
        o.data_only = data_only;
    });
    let (_, path) = backup_ok(&request);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("size\tlarge\tf"), "{text}");
    assert!(!text.contains("colour\tblue"), "{text}");
    assert!(
        text.contains(r#"setval('"cfg"."ticket"', 3, true)"#),
        "{text}"
    );
    if !data_only {
        return assert_restores(18, &source, &path);
    }
    let target = cluster.create_database("ext_config_restored");
    cluster
        .psql(
            &target,
            "CREATE SCHEMA cfg; CREATE EXTENSION sequelae_config WITH SCHEMA cfg;",
        )
        .unwrap();
    restore(cluster, &target, &path);
    assert_eq!(data_of(cluster, &source), data_of(cluster, &target));
}
