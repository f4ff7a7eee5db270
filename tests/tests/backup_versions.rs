//! The native backup against every server version it claims, 13 to 18:
//! the fidelity check of `backup_native` (rich fixture, native backup,
//! `psql -v ON_ERROR_STOP=1` into an empty database of the same server,
//! `pg_dump --schema-only` of both identical, every table's data
//! identical) on a cluster of each version, with the fixture pieces of the
//! features that version introduced. PostgreSQL 18 runs on the ICU-enabled
//! build, with ICU and nondeterministic collations.
//!
//! The servers come from `scripts/postgres-versions` (run by
//! `scripts/test`); a version that is not installed fails its test with the
//! command that installs it, unless `SEQUELAE_SKIP_PG_VERSIONS` names it.
//! pg_dump of the server's own version makes the comparison where the
//! version has one; the server-only PostgreSQL 13 package has none, and
//! pg_dump 15 (which dumps older servers) stands in.

#![allow(clippy::unwrap_used)]

#[path = "backup_support/mod.rs"]
mod support;

use std::path::Path;
use std::sync::{Mutex, OnceLock};

use sequelae_core::backup::{BackupError, BackupMethod, MethodUsed};
use sequelae_tests::{Cluster, ClusterOptions, version_name, version_skipped};
use support::native::{FIXTURE, FIXTURE_18, data_of, diff, run};
use support::{backup, request, settings};

/// Fixture pieces for the features of one version on, as (first version,
/// SQL): each runs on that version and every later one.
const SINCE: [(u32, &str); 6] = [
    (14, include_str!("../fixtures/versions/since_14.sql")),
    (15, include_str!("../fixtures/versions/since_15.sql")),
    (16, include_str!("../fixtures/versions/since_16.sql")),
    (17, include_str!("../fixtures/versions/since_17.sql")),
    (18, FIXTURE_18),
    (18, include_str!("../fixtures/versions/since_18.sql")),
];

/// Collations only a server built with ICU has.
const ICU: &str = include_str!("../fixtures/versions/icu.sql");

/// Column compression methods (PostgreSQL 14 on).
const COMPRESSION: &str = include_str!("../fixtures/versions/compression_14.sql");

/// The fixture for PostgreSQL `major`: the common one (its SQL-standard
/// function bodies as string bodies before 14, which has none; its
/// sections marked for later versions left out) and the pieces of every
/// version up to `major`.
fn fixture(major: u32) -> String {
    let common = without_later_sections(FIXTURE, major);
    let mut sql = if major < 14 {
        string_bodies(&common)
    } else {
        common
    };
    for (since, piece) in SINCE {
        if major >= since {
            sql.push('\n');
            sql.push_str(piece);
        }
    }
    sql
}

/// `sql` without its sections for servers newer than `major`: a section is
/// a run of `--` comment lines and the statements after them, up to the
/// next comment line; one whose comment says `(PostgreSQL NN on)` with NN
/// above `major` is left out. This is how the common fixture keeps
/// features of later versions that older servers cannot even parse.
fn without_later_sections(sql: &str, major: u32) -> String {
    // Sections, each as (its text, whether its comment lines are over).
    let mut sections: Vec<(String, bool)> = vec![(String::new(), true)];
    for line in sql.split_inclusive('\n') {
        let comment = line.starts_with("--");
        let (text, body_started) = sections.last_mut().expect("one section at least");
        if comment && *body_started {
            sections.push((line.to_owned(), false));
        } else {
            text.push_str(line);
            *body_started |= !comment;
        }
    }
    sections
        .into_iter()
        .filter(|(text, _)| {
            let marks = text.lines().take_while(|l| l.starts_with("--"));
            marks.filter_map(since_version).all(|since| major >= since)
        })
        .map(|(text, _)| text)
        .collect()
}

/// NN of a `(PostgreSQL NN on)` mark in `line`.
fn since_version(line: &str) -> Option<u32> {
    let start = line.find("(PostgreSQL ")? + "(PostgreSQL ".len();
    let rest = &line[start..];
    let end = rest.find(" on)")?;
    rest[..end].parse().ok()
}

/// `BEGIN ATOMIC <statement> END;` bodies (PostgreSQL 14 on) as
/// `AS $$ <statement> $$;`, the same function for PostgreSQL 13.
fn string_bodies(sql: &str) -> String {
    let mut out = String::new();
    let mut rest = sql;
    while let Some(start) = rest.find("BEGIN ATOMIC ") {
        let body = &rest[start + "BEGIN ATOMIC ".len()..];
        let end = body.find(" END;").expect("BEGIN ATOMIC ... END;");
        out.push_str(&rest[..start]);
        out.push_str("AS $$ ");
        out.push_str(&body[..end]);
        out.push_str(" $$;");
        rest = &body[end + " END;".len()..];
    }
    out.push_str(rest);
    out
}

/// `psql -v ON_ERROR_STOP=1 -f file` into `database` with the cluster's
/// client psql.
fn restore(cluster: &Cluster, database: &str, file: &Path) {
    run(
        cluster.client_bin_dir().join("psql").as_std_path(),
        &[
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-f",
            file.to_str().unwrap(),
            "-d",
            &cluster.superuser_conninfo(database),
        ],
    );
}

/// `pg_dump --schema-only` with the cluster's client pg_dump, without
/// comments and `\restrict` lines.
fn schema_of(cluster: &Cluster, database: &str) -> String {
    let pg_dump = cluster.client_bin_dir().join("pg_dump");
    run(
        pg_dump.as_std_path(),
        &["--schema-only", "-d", &cluster.superuser_conninfo(database)],
    )
    .lines()
    .filter(|l| {
        !l.starts_with("--") && !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict")
    })
    .collect::<Vec<_>>()
    .join("\n")
}

/// The one cluster of PostgreSQL `major` (its ICU-enabled build when
/// `icu`) for this test binary, shared by that version's tests (each in
/// its own databases); `None` when `SEQUELAE_SKIP_PG_VERSIONS` names it.
///
/// # Panics
/// When the version is not installed: the message names the script that
/// installs it.
fn cluster(major: u32, icu: bool) -> Option<&'static Cluster> {
    static CLUSTERS: Mutex<Vec<(String, &'static OnceLock<Cluster>)>> = Mutex::new(Vec::new());
    let name = version_name(major, icu);
    if version_skipped(&name) {
        eprintln!("PostgreSQL {name} skipped: SEQUELAE_SKIP_PG_VERSIONS names it");
        return None;
    }
    let cell: &'static OnceLock<Cluster> = {
        let mut clusters = CLUSTERS.lock().unwrap_or_else(|e| e.into_inner());
        match clusters.iter().find(|(n, _)| *n == name) {
            Some((_, cell)) => cell,
            None => {
                let cell: &'static OnceLock<Cluster> = Box::leak(Box::default());
                clusters.push((name.clone(), cell));
                cell
            }
        }
    };
    let cluster = cell.get_or_init(|| {
        Cluster::start(ClusterOptions {
            version: Some(major),
            icu,
            ..ClusterOptions::default()
        })
        .unwrap_or_else(|e| panic!("{e}"))
    });
    assert_eq!(cluster.version_num() / 10_000, major);
    Some(cluster)
}

/// What became of a native backup of `sql` loaded into a new database.
enum Outcome {
    /// The backup restored into an empty database with the same schema and data.
    Identical,
    /// The backup refused, naming these objects it cannot dump.
    Incomplete(Vec<String>),
}

/// Loads `sql` into a new database of `cluster`, takes a native backup,
/// restores it into another new database with the client psql, and
/// asserts that `pg_dump --schema-only` of both and their data are the
/// same. `jobs` above 1 copies the tables with worker sessions.
fn check(cluster: &Cluster, label: &str, sql: &str, jobs: u32) -> Outcome {
    let source = cluster.create_database("versions");
    cluster
        .psql(&source, sql)
        .unwrap_or_else(|e| panic!("{label}: the fixture: {e}"));
    let dir = tempfile::tempdir().unwrap();
    let mut request = request(&source, dir.path(), |o| {
        o.method = BackupMethod::Native;
        o.output = Some("native.sql".into());
        o.jobs = jobs;
    });
    request.settings = settings(&cluster.superuser_conninfo(&source));
    let (report, _) = backup(&request);
    if let Some(BackupError::Incomplete { objects, .. }) = &report.error {
        return Outcome::Incomplete(objects.clone());
    }
    assert!(
        report.succeeded(),
        "{label}: native backup failed: {report:#?}"
    );
    assert_eq!(report.method, Some(MethodUsed::Native));
    let path = report.output_path.clone().unwrap();

    let target = cluster.create_database("versions_restored");
    restore(cluster, &target, &path);
    let (a, b) = (schema_of(cluster, &source), schema_of(cluster, &target));
    assert!(
        a == b,
        "{label}: schemas differ (- source, + restored):\n{}",
        diff(&a, &b)
    );
    assert_eq!(
        data_of(cluster, &source),
        data_of(cluster, &target),
        "{label}: data differ"
    );
    Outcome::Identical
}

/// Native backup of the fixture on PostgreSQL `major`, restored into an
/// empty database of the same server: the same schema and data.
#[rstest::rstest]
#[case::pg13(13, false)]
#[case::pg14(14, false)]
#[case::pg15(15, false)]
#[case::pg16(16, false)]
#[case::pg17(17, false)]
#[case::pg18(18, false)]
#[case::pg18_icu(18, true)]
fn native_backup_restores_identically(
    #[case] major: u32,
    #[case] icu: bool,
    #[values(1, 2)] jobs: u32,
) {
    let Some(cluster) = cluster(major, icu) else {
        return;
    };
    let label = format!("PostgreSQL {}, --jobs {jobs}", version_name(major, icu));
    match check(cluster, &label, &fixture(major), jobs) {
        Outcome::Identical => {}
        Outcome::Incomplete(objects) => panic!("{label}: left out {objects:?}"),
    }
}

/// Auto mode with the system's pg_dump 15: it dumps PostgreSQL 13 and 14
/// itself; for 16 and 17 (too new for it) the native method takes over and
/// the report says why.
#[rstest::rstest]
#[case::pg13(13)]
#[case::pg14(14)]
#[case::pg16(16)]
#[case::pg17(17)]
fn auto_mode_with_pg_dump_15_chooses_by_server_version(#[case] major: u32) {
    let Some(cluster) = cluster(major, false) else {
        return;
    };
    let pg_dump_15 = Path::new("/usr/lib/postgresql/15/bin/pg_dump");
    assert!(pg_dump_15.exists(), "install postgresql-client-15");
    let source = cluster.create_database("versions_auto");
    cluster
        .psql(
            &source,
            "CREATE TABLE t (id int PRIMARY KEY, v text);\nINSERT INTO t VALUES (1, 'one');\n",
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut request = request(&source, dir.path(), |o| {
        o.method = BackupMethod::Auto;
        o.pg_dump_path = Some(pg_dump_15.display().to_string());
    });
    request.settings = settings(&cluster.superuser_conninfo(&source));
    let (report, _) = backup(&request);
    assert!(report.succeeded(), "PostgreSQL {major}: {report:#?}");
    if major < 15 {
        assert!(
            matches!(report.method, Some(MethodUsed::PgDump { .. })),
            "PostgreSQL {major}: {report:#?}"
        );
        assert!(report.fallback_reasons.is_empty(), "{report:#?}");
    } else {
        assert_eq!(
            report.method,
            Some(MethodUsed::Native),
            "PostgreSQL {major}"
        );
        let reasons = &report.fallback_reasons;
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(
            reasons[0].contains("pg_dump 15.")
                && reasons[0].contains(&format!("cannot dump PostgreSQL {major}")),
            "{reasons:?}"
        );
    }
    let target = cluster.create_database("versions_auto_restored");
    restore(cluster, &target, &report.output_path.clone().unwrap());
    assert_eq!(data_of(cluster, &source), data_of(cluster, &target));
}

/// A column's compression method (PostgreSQL 14 on) survives.
#[rstest::rstest]
#[case::pg14(14)]
#[case::pg18(18)]
fn column_compression_survives(#[case] major: u32) {
    let Some(cluster) = cluster(major, false) else {
        return;
    };
    match check(cluster, &format!("PostgreSQL {major}"), COMPRESSION, 1) {
        Outcome::Identical => {}
        Outcome::Incomplete(objects) => panic!("left out {objects:?}"),
    }
}

/// An ICU collation and a nondeterministic one, on the ICU-enabled
/// PostgreSQL 18: restored identically, or, while collations cannot be
/// dumped, named with everything else left out.
#[test]
fn icu_collations_restore_identically_or_are_named() {
    let Some(cluster) = cluster(18, true) else {
        return;
    };
    match check(cluster, "PostgreSQL 18-icu", ICU, 1) {
        Outcome::Identical => {}
        Outcome::Incomplete(objects) => {
            for collation in ["collation icu.\"de phonebook\"", "collation icu.ci"] {
                assert!(objects.iter().any(|o| o == collation), "{objects:?}");
            }
            // Whatever else is left out (the collation's comment) is named too.
            assert!(
                objects
                    .iter()
                    .all(|o| !o.trim_end().ends_with("catalog object")),
                "every left-out object is named: {objects:?}"
            );
        }
    }
}

#[test]
fn string_bodies_keep_the_statement() {
    assert_eq!(
        string_bodies(
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql\n    BEGIN ATOMIC SELECT 1; END;\nSELECT 2;"
        ),
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql\n    AS $$ SELECT 1; $$;\nSELECT 2;"
    );
}

#[test]
fn sections_for_later_versions_are_left_out() {
    let sql = "CREATE TABLE a ();\n\
               -- Publications with row filters\n\
               -- (PostgreSQL 15 on).\n\
               CREATE PUBLICATION p;\n\
               ALTER PUBLICATION p OWNER TO x;\n\
               -- Plain again.\n\
               CREATE TABLE b ();\n";
    assert_eq!(
        without_later_sections(sql, 14),
        "CREATE TABLE a ();\n-- Plain again.\nCREATE TABLE b ();\n"
    );
    assert_eq!(without_later_sections(sql, 15), sql);
    assert_eq!(since_version("-- MAINTAIN (PostgreSQL 17 on)."), Some(17));
    assert_eq!(since_version("-- PostgreSQL 17 features"), None);
}
