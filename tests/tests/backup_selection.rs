//! Choosing what goes in: tables and schemas with awkward names matched
//! exactly, exclusions, unknown names refused before pg_dump runs, and
//! definitions or rows alone.

#![allow(clippy::unwrap_used)]

#[path = "backup_support/mod.rs"]
mod support;

use std::sync::OnceLock;

use sequelae_core::backup::{BackupError, BackupFormat, ErrorKind};
use sequelae_tests::Cluster;
use sequelae_tests::runtime::Backups;
use support::*;

fn source() -> &'static str {
    static DB: OnceLock<String> = OnceLock::new();
    DB.get_or_init(|| fixture_database("backup_sel"))
}

/// `schema.table` of every table in `db`.
fn tables_of(db: &str) -> Vec<String> {
    let out = Cluster::shared()
        .psql(
            db,
            "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n \
             ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') \
             AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1;",
        )
        .unwrap();
    out.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The checksum lines of `tables` in `db`'s data.
fn data_for(db: &str, tables: &[&str]) -> Vec<String> {
    data_of(db)
        .into_iter()
        .filter(|l| tables.iter().any(|t| l.starts_with(&format!("{t}|"))))
        .collect()
}

#[rstest::rstest]
fn awkward_names_match_exactly_those_tables(
    #[values(Backups::Std, Backups::Smol)] runtime: Backups,
) {
    let dir = tempfile::tempdir().unwrap();
    let request = request(source(), dir.path(), |o| {
        o.tables = vec![
            "MixedCase,app.\"my table\"".into(),
            "\"my.table\"".into(),
            "we\"ird".into(),
            "star*?".into(),
            "users".into(),
        ];
        o.output = Some("picked.sql".into());
    });
    let (report, path) = runtime.ok(&request);
    assert_eq!(report.tables, Some(6));
    // pg_dump --table dumps the tables (with their triggers), not the
    // schemas and functions they use.
    let cluster = Cluster::shared();
    let restored = cluster.create_database("restored_picked");
    cluster
        .psql(
            &restored,
            "CREATE SCHEMA app; CREATE FUNCTION app.touch() RETURNS trigger \
             LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;",
        )
        .unwrap();
    restore_into(&restored, BackupFormat::Plain, &path, false);
    let mut expected = vec![
        "app.my table",
        "public.MixedCase",
        "public.my.table",
        "public.star*?",
        "public.users",
        "public.we\"ird",
    ];
    expected.sort();
    // Not app.users (unqualified means the search path's), not starxy
    // (no pattern), nothing else.
    assert_eq!(tables_of(&restored), expected);
    let quoted = [
        "public.\"MixedCase\"",
        "app.\"my table\"",
        "public.\"my.table\"",
        "public.\"we\"\"ird\"",
        "public.\"star*?\"",
        "public.users",
    ];
    let source_data = data_for(source(), &quoted);
    assert_eq!(source_data.len(), 6, "{source_data:?}");
    assert_eq!(data_for(&restored, &quoted), source_data);
}

#[rstest::rstest]
fn a_schema_alone_and_exclusions(#[values(Backups::Std, Backups::Smol)] runtime: Backups) {
    let dir = tempfile::tempdir().unwrap();
    let app_only = request(source(), dir.path(), |o| {
        o.schemas = vec!["app".into()];
        o.format = BackupFormat::Custom;
    });
    let (report, path) = runtime.ok(&app_only);
    assert_eq!(report.tables, Some(2));
    let restored = restore(BackupFormat::Custom, &path, false);
    assert_eq!(tables_of(&restored), vec!["app.my table", "app.users"]);

    let excluding = request(source(), dir.path(), |o| {
        o.exclude_tables = vec!["MixedCase, app.\"my table\"".into(), "star*?".into()];
        o.format = BackupFormat::Custom;
        o.output = Some("excluded.dump".into());
    });
    let (report, path) = runtime.ok(&excluding);
    // Eight tables restored, one of them the partitioned events, which
    // holds no rows and is not counted.
    assert_eq!(report.tables, Some(7));
    let restored = restore(BackupFormat::Custom, &path, false);
    let tables = tables_of(&restored);
    assert!(tables.contains(&"public.starxy".to_string()), "{tables:?}");
    assert!(tables.contains(&"app.users".to_string()), "{tables:?}");
    for gone in ["public.MixedCase", "app.my table", "public.star*?"] {
        assert!(!tables.contains(&gone.to_string()), "{tables:?}");
    }
    assert_eq!(tables.len(), 8, "{tables:?}");
}

#[rstest::rstest]
fn unknown_names_stop_before_pg_dump_with_suggestions(
    #[values(Backups::Std, Backups::Smol)] runtime: Backups,
) {
    let dir = tempfile::tempdir().unwrap();
    let calls = tempfile::tempdir().unwrap();
    let wrapper = recording_pg_dump(calls.path(), "");
    let cases = [
        (
            "tables",
            "usres",
            "table usres does not exist; did you mean one of users, app.users?",
        ),
        (
            "tables",
            "mixedcase",
            "table mixedcase does not exist; did you mean MixedCase?",
        ),
        (
            "tables",
            "my.table",
            "table my.table does not exist; did you mean \"my.table\"?",
        ),
        (
            "tables",
            "ap.users",
            "table ap.users does not exist; did you mean app.users?",
        ),
        // Quoted names are exact (an unquoted App would find app).
        (
            "schemas",
            "\"App\"",
            "schema \"App\" does not exist; did you mean app?",
        ),
        (
            "exclude",
            "post",
            "excluded table post does not exist; did you mean posts?",
        ),
    ];
    for (list, value, message) in cases {
        let request = request(source(), dir.path(), |o| {
            match list {
                "tables" => o.tables = vec![value.into()],
                "schemas" => o.schemas = vec![value.into()],
                _ => o.exclude_tables = vec![value.into()],
            }
            o.pg_dump_path = Some(wrapper.display().to_string());
        });
        let (report, events) = runtime.run(&request);
        let error = report.error.clone().unwrap();
        assert_eq!(error.to_string(), message);
        assert_eq!(error.kind(), ErrorKind::Usage);
        assert!(events.is_empty());
        assert_eq!(report.to_json()["errorKind"], "usage");
        assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    }
    // pg_dump was never started, not even for its version.
    assert!(!calls.path().join("calls").exists());
}

#[rstest::rstest]
fn tables_and_schemas_together_are_refused(
    #[values(Backups::Std, Backups::Smol)] runtime: Backups,
) {
    let dir = tempfile::tempdir().unwrap();
    let request = request(source(), dir.path(), |o| {
        o.tables = vec!["users".into()];
        o.schemas = vec!["app".into()];
    });
    let (report, _) = runtime.run(&request);
    assert_eq!(report.error, Some(BackupError::TablesWithSchemas));
    assert!(entries(dir.path()).is_empty());
}

#[rstest::rstest]
fn definitions_alone_then_rows_alone_make_the_whole(
    #[values(Backups::Std, Backups::Smol)] runtime: Backups,
) {
    let dir = tempfile::tempdir().unwrap();
    let schema_only = request(source(), dir.path(), |o| {
        o.schema_only = true;
        o.output = Some("schema.sql".into());
    });
    let (report, events) = runtime.run(&schema_only);
    assert!(report.succeeded(), "{report:#?}");
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, sequelae_core::backup::ProgressEvent::TableData { .. }))
    );
    let target = restore(BackupFormat::Plain, &dir.path().join("schema.sql"), false);
    assert_eq!(schema_of(&target), schema_of(source()));
    let users = data_for(&target, &["public.users"]);
    assert!(users[0].starts_with("public.users|0:"), "{users:?}");

    let data_only = request(source(), dir.path(), |o| {
        o.data_only = true;
        o.format = BackupFormat::Custom;
        o.output = Some("data.dump".into());
    });
    let (_, path) = runtime.ok(&data_only);
    // Rows into the tables made from the definitions make the database
    // whole again. The triggers exist already, so they are held off as
    // pg_dump's documentation says for data-only restores.
    let cluster = Cluster::shared();
    let out = std::process::Command::new(cluster.bin_dir().join("pg_restore").as_std_path())
        .args(["--exit-on-error", "--disable-triggers", "-d"])
        .arg(cluster.superuser_conninfo(&target))
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same_database(source(), &target);
}
