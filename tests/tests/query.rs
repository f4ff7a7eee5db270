//! Simple queries against a real server: several statements and result
//! sets, NULLs and Unicode, errors with every field, notices, streams
//! abandoned half way.

#![allow(clippy::unwrap_used)]

use sequelae_core::config::{ConnectSettings, Environment};
use sequelae_core::wire::TransactionStatus;
use sequelae_std::{Client, Error, QueryItem};
use sequelae_tests::Cluster;

fn client() -> Client {
    let cluster = Cluster::shared();
    let settings = ConnectSettings::resolve(
        Some(&cluster.superuser_conninfo("postgres")),
        &Environment::new().with_os_user("nobody"),
    )
    .unwrap();
    Client::connect(&settings).unwrap()
}

#[test]
fn several_statements_give_several_results_in_order() {
    let mut c = client();
    let results = c
        .simple_query(
            "SELECT 1 AS a, 'x' AS b UNION ALL SELECT 2, 'y'; \
             CREATE TEMP TABLE t(id int); INSERT INTO t VALUES (1),(2),(3); SELECT count(*) FROM t",
        )
        .unwrap();
    assert_eq!(results.len(), 4);
    let first = &results[0];
    let names: Vec<_> = first
        .columns
        .as_ref()
        .unwrap()
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(first.columns.as_ref().unwrap().columns[0].type_oid, 23); // int4
    assert_eq!(first.rows.len(), 2);
    assert_eq!(first.rows[1].get_str(1), Some("y"));
    assert_eq!(first.tag.as_ref().unwrap().as_str(), "SELECT 2");
    assert_eq!(results[1].tag.as_ref().unwrap().as_str(), "CREATE TABLE");
    assert!(results[1].columns.is_none());
    assert_eq!(results[2].tag.as_ref().unwrap().rows(), Some(3));
    assert_eq!(results[2].tag.as_ref().unwrap().command(), "INSERT");
    assert_eq!(results[3].rows[0].get_str(0), Some("3"));
}

#[test]
fn nulls_and_unicode_survive() {
    let mut c = client();
    let results = c
        .simple_query("SELECT NULL::text, '', 'Grüße, 世界 🐘', E'tab\\tnew\\nline'")
        .unwrap();
    let row = &results[0].rows[0];
    assert_eq!(row.len(), 4);
    assert_eq!(row.get(0), None);
    assert_eq!(row.get(1), Some(&b""[..]));
    assert_eq!(row.get_str(2), Some("Grüße, 世界 🐘"));
    assert_eq!(row.get_str(3), Some("tab\tnew\nline"));
}

#[test]
fn error_carries_sqlstate_position_and_fields() {
    let mut c = client();
    let err = c.simple_query("SELECT 1;\nSELECT * FROM nope").unwrap_err();
    let db = err.db_error().expect("a database error");
    assert_eq!(db.code, "42P01");
    assert_eq!(db.severity, "ERROR");
    assert_eq!(db.message, "relation \"nope\" does not exist");
    assert_eq!(db.position, Some(25));
    assert!(db.file.is_some() && db.line.is_some() && db.routine.is_some());

    // Constraint violations name schema, table and constraint.
    c.simple_query("CREATE TEMP TABLE u(id int CONSTRAINT u_pk PRIMARY KEY)")
        .unwrap();
    let err = c.simple_query("INSERT INTO u VALUES (1),(1)").unwrap_err();
    let db = err.db_error().unwrap();
    assert_eq!(db.code, "23505");
    assert_eq!(db.table.as_deref(), Some("u"));
    assert_eq!(db.constraint.as_deref(), Some("u_pk"));
    assert_eq!(db.detail.as_deref(), Some("Key (id)=(1) already exists."));

    // The session is still usable.
    assert_eq!(
        c.simple_query("SELECT 7").unwrap()[0].rows[0].get_str(0),
        Some("7")
    );
}

#[test]
fn an_error_stops_the_remaining_statements() {
    let mut c = client();
    c.simple_query("CREATE TEMP TABLE s(a int)").unwrap();
    let mut items = Vec::new();
    for item in c
        .query("INSERT INTO s VALUES (1); SELECT 1/0; INSERT INTO s VALUES (2)")
        .unwrap()
    {
        items.push(item);
    }
    assert!(matches!(items[0], Ok(QueryItem::Complete(_))));
    assert!(matches!(items.last(), Some(Err(Error::Db(e))) if e.code == "22012"));
    // Outside a transaction block each statement of a simple query runs in
    // one implicit transaction: the first INSERT is rolled back too.
    let count = c.simple_query("SELECT count(*) FROM s").unwrap();
    assert_eq!(count[0].rows[0].get_str(0), Some("0"));
}

#[test]
fn transaction_status_follows_the_session() {
    let mut c = client();
    c.simple_query("BEGIN").unwrap();
    assert_eq!(c.transaction_status(), TransactionStatus::InTransaction);
    let _ = c.simple_query("SELECT nope");
    assert_eq!(c.transaction_status(), TransactionStatus::Failed);
    c.simple_query("ROLLBACK").unwrap();
    assert_eq!(c.transaction_status(), TransactionStatus::Idle);
}

#[test]
fn notices_reach_the_stream() {
    let mut c = client();
    let notices: Vec<_> = c
        .query("DO $$BEGIN RAISE NOTICE 'hello %', 42; RAISE WARNING 'careful'; END$$")
        .unwrap()
        .filter_map(|i| match i.unwrap() {
            QueryItem::Notice(n) => Some((n.severity, n.message)),
            _ => None,
        })
        .collect();
    assert_eq!(
        notices,
        [
            ("NOTICE".to_string(), "hello 42".to_string()),
            ("WARNING".to_string(), "careful".to_string())
        ]
    );
}

#[test]
fn empty_query_is_reported() {
    let mut c = client();
    let items: Vec<_> = c.query(";").unwrap().map(Result::unwrap).collect();
    assert_eq!(items, [QueryItem::EmptyQuery]);
}

#[test]
fn abandoning_a_stream_leaves_the_session_usable() {
    let mut c = client();
    {
        let mut stream = c
            .query("SELECT g FROM generate_series(1, 100000) g")
            .unwrap();
        assert!(matches!(stream.next(), Some(Ok(QueryItem::Columns(_)))));
        assert!(matches!(stream.next(), Some(Ok(QueryItem::Row(_)))));
    }
    let results = c.simple_query("SELECT 'after'").unwrap();
    assert_eq!(results[0].rows[0].get_str(0), Some("after"));
}

#[test]
fn nul_in_sql_is_refused_before_sending() {
    let mut c = client();
    let err = c.simple_query("SELECT '\0'").unwrap_err();
    assert!(err.to_string().contains("NUL"), "{err}");
    assert_eq!(c.simple_query("SELECT 1").unwrap().len(), 1);
}

#[test]
fn copy_in_from_a_generic_query_is_refused_cleanly() {
    let mut c = client();
    c.simple_query("CREATE TEMP TABLE ci(a int)").unwrap();
    let err = c.simple_query("COPY ci FROM STDIN").unwrap_err();
    assert_eq!(err.db_error().unwrap().code, "57014");
    assert!(err.to_string().contains("Client::copy_in"), "{err}");
    assert_eq!(c.simple_query("SELECT 1").unwrap().len(), 1);
}
