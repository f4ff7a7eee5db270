//! One rule for table names, whichever command reads them: `schema` and
//! `backup` asked for the same names in the same database pick the same
//! relations. Quoted parts are exact; an unquoted part matches its exact
//! spelling when such a relation exists, else the spelling folded to lower
//! case.

#![allow(clippy::unwrap_used)]

#[path = "backup_support/mod.rs"]
mod support;

use sequelae_core::backup::{BackupFormat, CATALOG_QUERY, Catalog, QualifiedName};
use sequelae_core::schema::{SchemaReport, SchemaRequest, parse_table_names};
use sequelae_std::Client;
use sequelae_tests::Cluster;
use sequelae_tests::runtime::{Backups, Runtime, Smol, Std, TestClient};
use support::*;

/// `users` and `"Users"` side by side, a mixed-case table alone, and a
/// schema off the search path.
const SETUP: &str = r#"
CREATE SCHEMA app;
CREATE TABLE public.users (id int);
CREATE TABLE public."Users" (id int, nick text);
CREATE TABLE public."MixedCase" (id int);
CREATE TABLE app.orders (id int);
"#;

fn database() -> String {
    let cluster = Cluster::shared();
    let db = cluster.create_database("table_names");
    cluster.psql(&db, SETUP).unwrap();
    db
}

/// The names as `sequelae schema` resolves them: `schema.name` of each
/// table found, and the inputs that matched nothing. Both runtimes pump
/// the inspection and must agree.
fn schema_picks(db: &str, names: &[&str]) -> (Vec<String>, Vec<String>) {
    let blocking = picks_on::<Std>(db, names);
    assert_eq!(
        blocking,
        picks_on::<Smol>(db, names),
        "the runtimes disagree on {names:?}"
    );
    blocking
}

fn picks_on<R: Runtime>(db: &str, names: &[&str]) -> (Vec<String>, Vec<String>) {
    let mut client = R::connect(&superuser(db)).unwrap();
    let args: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let request = SchemaRequest::new(parse_table_names(&args).unwrap());
    let report: SchemaReport = client.inspect_schema(request).unwrap();
    let mut found: Vec<String> = report
        .tables
        .iter()
        .map(|t| format!("{}.{}", t.schema, t.name))
        .collect();
    found.sort();
    let missing = report.missing.iter().map(|m| m.input.clone()).collect();
    (found, missing)
}

/// The names as `sequelae backup --tables` resolves them, or the error.
fn backup_picks(db: &str, names: &[&str]) -> Result<Vec<String>, String> {
    let mut client = Client::connect(&superuser(db)).unwrap();
    let results = client.simple_query(CATALOG_QUERY).unwrap();
    let catalog = Catalog::from_rows(&results[0].rows, &results[1].rows, &results[2].rows).unwrap();
    let options = sequelae_core::backup::BackupOptions {
        tables: names.iter().map(|n| n.to_string()).collect(),
        ..Default::default()
    };
    let selection = catalog.select(&options).map_err(|e| e.to_string())?;
    let mut found: Vec<String> = selection
        .tables
        .iter()
        .map(|QualifiedName { schema, name }| format!("{schema}.{name}"))
        .collect();
    found.sort();
    Ok(found)
}

#[test]
fn schema_and_backup_pick_the_same_tables() {
    let db = database();
    let cases: &[(&[&str], &[&str])] = &[
        // The exact spelling wins when it exists...
        (&["Users"], &["public.Users"]),
        (&["users"], &["public.users"]),
        (&["MixedCase"], &["public.MixedCase"]),
        // ... else the folded one, as SQL folds.
        (&["USERS"], &["public.users"]),
        (&["PUBLIC.USERS"], &["public.users"]),
        (&["APP.ORDERS"], &["app.orders"]),
        // Quoted parts are exact.
        (&["\"Users\""], &["public.Users"]),
        (
            &["\"users\",public.\"MixedCase\""],
            &["public.MixedCase", "public.users"],
        ),
    ];
    for (names, expected) in cases {
        let (found, missing) = schema_picks(&db, names);
        assert_eq!(found, *expected, "schema {names:?}");
        assert!(missing.is_empty(), "schema {names:?}: {missing:?}");
        assert_eq!(
            backup_picks(&db, names).unwrap(),
            *expected,
            "backup {names:?}"
        );
    }
}

#[test]
fn both_refuse_what_neither_finds() {
    let db = database();
    // Folding never reaches a mixed-case name, and unqualified names stay on
    // the search path.
    for (name, backup_message) in [
        (
            "mixedcase",
            "table mixedcase does not exist; did you mean MixedCase?",
        ),
        (
            "\"USERS\"",
            "table \"USERS\" does not exist; did you mean one of Users, users?",
        ),
        (
            "orders",
            "table orders does not exist; did you mean app.orders?",
        ),
    ] {
        let (found, missing) = schema_picks(&db, &[name]);
        assert!(found.is_empty(), "{name}: {found:?}");
        assert_eq!(missing, [name]);
        assert_eq!(backup_picks(&db, &[name]).unwrap_err(), backup_message);
    }
}

#[rstest::rstest]
fn pg_dump_gets_the_exact_table_an_unquoted_name_found(
    #[values(Backups::Std, Backups::Smol)] runtime: Backups,
) {
    let db = database();
    let dir = tempfile::tempdir().unwrap();
    let request = request(&db, dir.path(), |o| {
        o.format = BackupFormat::Plain;
        o.tables = vec!["Users".into()];
        o.schemas = vec![];
        o.output = Some("users.sql".into());
    });
    let (report, path) = runtime.ok(&request);
    assert_eq!(report.tables, Some(1));
    let dump = std::fs::read_to_string(path).unwrap();
    assert!(dump.contains("CREATE TABLE public.\"Users\""), "{dump}");
    assert!(!dump.contains("CREATE TABLE public.users"), "{dump}");

    // `--schemas` follows the same rule: APP folds to app.
    let request = schemas_request(&db, dir.path());
    let (report, path) = runtime.ok(&request);
    assert_eq!(report.tables, Some(1));
    let dump = std::fs::read_to_string(path).unwrap();
    assert!(dump.contains("CREATE TABLE app.orders"), "{dump}");
    assert!(!dump.contains("CREATE TABLE public."), "{dump}");
}

fn schemas_request(db: &str, dir: &std::path::Path) -> sequelae_std::backup::BackupRequest {
    request(db, dir, |o| {
        o.format = BackupFormat::Plain;
        o.schemas = vec!["APP".into()];
        o.output = Some("app.sql".into());
    })
}
