//! The native dump against real servers: a fixture with awkward names and
//! every supported object kind is dumped through `NativeDump`, restored
//! with the server's own psql into an empty database, and must then give
//! the same `pg_dump --schema-only` and the same rows, on PostgreSQL 15
//! and 18.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;

use sequelae_core::backup::native::{NativeDump, NativeError, NativeOptions, NativeSummary, Step};
use sequelae_core::config::{ConnectSettings, Environment};
use sequelae_std::Client;
use sequelae_tests::{AuthMethod, Cluster, role};

#[path = "backup_support/mod.rs"]
mod support;

use support::native::{FIXTURE, FIXTURE_18, cluster, data_of, diff, restore, schema_of};

fn connect(cluster: &Cluster, database: &str) -> Client {
    connect_to(&cluster.superuser_conninfo(database))
}

fn connect_to(conninfo: &str) -> Client {
    let settings =
        ConnectSettings::resolve(Some(conninfo), &Environment::new().with_os_user("nobody"))
            .unwrap();
    Client::connect(&settings).unwrap()
}

/// The test's runtime: pumps the dump through one session, streaming
/// every COPY straight into `out`.
fn dump(
    cluster: &Cluster,
    database: &str,
    options: NativeOptions,
    out: &mut dyn Write,
) -> NativeSummary {
    try_dump(cluster, database, options, out).unwrap()
}

/// [`dump`], returning the dump's error instead of panicking.
fn try_dump(
    cluster: &Cluster,
    database: &str,
    options: NativeOptions,
    out: &mut dyn Write,
) -> Result<NativeSummary, NativeError> {
    try_dump_as(&cluster.superuser_conninfo(database), options, out)
}

/// [`try_dump`] through a session of `conninfo`.
fn try_dump_as(
    conninfo: &str,
    options: NativeOptions,
    out: &mut dyn Write,
) -> Result<NativeSummary, NativeError> {
    let mut client = connect_to(conninfo);
    let mut dump = NativeDump::new(options, client.server_version_num().unwrap()).unwrap();
    loop {
        match dump.next_step() {
            Step::Query { sql } => match client.simple_query(&sql) {
                Ok(results) => {
                    let rows = results
                        .into_iter()
                        .last()
                        .map(|r| r.rows)
                        .unwrap_or_default();
                    dump.handle_rows(rows).unwrap();
                }
                Err(e) => {
                    dump.handle_error(&e.to_string());
                }
            },
            Step::Write(bytes) => out.write_all(&bytes).unwrap(),
            Step::Copy { sql, .. } => match client.copy_out(&sql, out) {
                Ok(outcome) => dump.handle_copy_done(outcome.rows).unwrap(),
                Err(e) => {
                    dump.handle_error(&e.to_string());
                }
            },
            Step::CopyTables { .. } => unreachable!("not asked for"),
            Step::Done => break,
        }
    }
    dump.finish()
}

#[rstest::rstest]
#[case::postgres_15(15)]
#[case::postgres_18(18)]
fn native_dump_restores_with_nothing_lost(#[case] version: u32) {
    let cluster = cluster(version);
    let source = cluster.create_database("native_src");
    cluster.psql(&source, FIXTURE).unwrap();
    if version >= 18 {
        cluster.psql(&source, FIXTURE_18).unwrap();
    }

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dump.sql");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let summary = dump(cluster, &source, NativeOptions::default(), &mut file);
    file.flush().unwrap();
    drop(file);
    assert_eq!(summary.unsupported, Vec::new(), "{summary:#?}");
    assert_eq!(summary.warnings, Vec::<String>::new());
    assert!(summary.snapshot.is_some());
    let text = std::fs::read_to_string(&path).unwrap();
    if let Ok(keep) = std::env::var("NATIVE_DUMP_KEEP") {
        std::fs::write(format!("{keep}.{version}.sql"), &text).unwrap();
    }
    assert!(
        text.contains("sequelae"),
        "{}",
        &text[..400.min(text.len())]
    );
    assert!(text.contains("COPY \"Mixed Case\".\"Mixed Case\" (\"id\", \"a\"\"b\""));
    assert!(
        !text.contains("\"twice\") FROM stdin"),
        "generated columns are not copied"
    );

    let target = cluster.create_database("native_dst");
    restore(cluster, &target, &path);
    let (a, b) = (schema_of(cluster, &source), schema_of(cluster, &target));
    assert!(a == b, "schemas differ:\n{}", diff(&a, &b));
    assert_eq!(data_of(cluster, &source), data_of(cluster, &target));
}

/// Writes a native dump of `database` with `options` to `path`.
fn dump_to(
    cluster: &Cluster,
    database: &str,
    options: NativeOptions,
    path: &Path,
) -> NativeSummary {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let summary = dump(cluster, database, options, &mut file);
    file.flush().unwrap();
    summary
}

#[test]
fn schema_only_then_data_only_restore_the_whole_database() {
    let cluster = cluster(15);
    let source = cluster.create_database("native_modes");
    cluster.psql(&source, FIXTURE).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("schema.sql");
    let data = dir.path().join("data.sql");
    let schema_only = NativeOptions {
        schema_only: true,
        ..NativeOptions::default()
    };
    let data_only = NativeOptions {
        data_only: true,
        ..NativeOptions::default()
    };
    dump_to(cluster, &source, schema_only, &schema);
    dump_to(cluster, &source, data_only, &data);
    let schema_text = std::fs::read_to_string(&schema).unwrap();
    assert!(
        !schema_text.contains("FROM stdin"),
        "schema only has no data"
    );
    assert!(
        !schema_text.contains("setval"),
        "schema only has no sequence values"
    );
    let data_text = std::fs::read_to_string(&data).unwrap();
    assert!(
        !data_text.contains("CREATE "),
        "data only has no definitions"
    );

    let target = cluster.create_database("native_modes_dst");
    restore(cluster, &target, &schema);
    let (a, b) = (schema_of(cluster, &source), schema_of(cluster, &target));
    assert!(a == b, "schemas differ:\n{}", diff(&a, &b));
    restore(cluster, &target, &data);
    assert_eq!(data_of(cluster, &source), data_of(cluster, &target));
}

#[test]
fn no_owner_and_no_privileges_leave_them_out() {
    let cluster = cluster(15);
    let source = cluster.create_database("native_noown");
    cluster.psql(&source, FIXTURE).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dump.sql");
    let options = NativeOptions {
        no_owner: true,
        no_privileges: true,
        ..NativeOptions::default()
    };
    dump_to(cluster, &source, options, &path);
    let text = std::fs::read_to_string(&path).unwrap();
    for word in ["OWNER TO", "GRANT ", "REVOKE "] {
        assert!(
            !text.contains(word),
            "{word} in a dump without owners and privileges"
        );
    }
    let target = cluster.create_database("native_noown_dst");
    restore(cluster, &target, &path);
    // Large objects' lines hold owners and grants, which this dump leaves out.
    let rows = |db: &str| -> Vec<String> {
        data_of(cluster, db)
            .into_iter()
            .filter(|l| !l.starts_with("large object"))
            .collect()
    };
    assert_eq!(rows(&source), rows(&target));
    let owner = cluster
        .psql(
            &target,
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'select';",
        )
        .unwrap();
    assert_eq!(
        owner.trim(),
        "postgres",
        "restored objects belong to whoever restores"
    );
}

#[test]
fn objects_it_cannot_write_are_reported_by_kind_and_name() {
    let cluster = cluster(15);
    let source = cluster.create_database("native_unsupported");
    cluster
        .psql(
            &source,
            "CREATE SCHEMA \"select\";\n\
             CREATE TABLE \"select\".t (a int, b int);\n\
             GRANT USAGE ON SCHEMA \"select\" TO sq_trust;\n\
             GRANT SELECT ON \"select\".t TO sq_trust;\n\
             CREATE SUBSCRIPTION \"my sub\" CONNECTION 'dbname=nowhere' PUBLICATION p \
             WITH (connect = false, slot_name = NONE, enabled = false);\n",
        )
        .unwrap();
    // A superuser's dump holds the subscription.
    let summary = dump(cluster, &source, NativeOptions::default(), &mut Vec::new());
    assert!(summary.unsupported.is_empty(), "{:?}", summary.unsupported);
    // Nobody else may read its connection string: it is named instead.
    let user = cluster.url(&role(AuthMethod::Trust), &source);
    let mut out = Vec::new();
    let summary = try_dump_as(&user, NativeOptions::default(), &mut out).unwrap();
    let found: Vec<(String, String)> = summary
        .unsupported
        .iter()
        .map(|o| (o.kind.clone(), o.name.clone()))
        .collect();
    let subscription = ("subscription".to_string(), "my sub".to_string());
    assert_eq!(found, vec![subscription]);
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("--   subscription my sub"),
        "the file says what it lacks"
    );
}

#[test]
fn a_table_locked_by_another_session_fails_after_the_lock_wait_timeout() {
    let cluster = cluster(15);
    let source = cluster.create_database("native_locked");
    cluster
        .psql(&source, "CREATE TABLE \"select\" (x int);")
        .unwrap();
    let mut holder = connect(cluster, &source);
    holder
        .simple_query("BEGIN; LOCK TABLE public.\"select\" IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let options = NativeOptions {
        lock_wait_timeout_ms: Some(200),
        ..NativeOptions::default()
    };
    let mut out = Vec::new();
    let err = try_dump(cluster, &source, options, &mut out).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("lock wait timeout of 200 ms") && text.contains("--lock-wait-timeout"),
        "{text}"
    );
    assert!(
        out.is_empty(),
        "nothing is written before the locks are held"
    );
    holder.simple_query("ROLLBACK").unwrap();
}
