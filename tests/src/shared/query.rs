//! Simple queries against a real server: several statements and result
//! sets, NULLs and Unicode, errors with every field, notices, streams
//! abandoned half way.

use sequelae_core::client_error::ClientError as Error;
use sequelae_core::request::QueryItem;
use sequelae_core::wire::TransactionStatus;

use super::{scalar, superuser};
use crate::runtime::{Runtime, TestClient};

/// The query tests for one runtime.
#[macro_export]
macro_rules! query_tests {
    ($runtime:ty) => {
        $crate::__shared_tests!(
            $runtime,
            query,
            [
                several_statements_give_several_results_in_order,
                nulls_and_unicode_survive,
                error_carries_sqlstate_position_and_fields,
                an_error_stops_the_remaining_statements,
                transaction_status_follows_the_session,
                notices_reach_the_stream,
                empty_query_is_reported,
                abandoning_a_stream_leaves_the_session_usable,
                nul_in_sql_is_refused_before_sending,
                copy_in_from_a_generic_query_is_refused_cleanly,
                a_single_statement_goes_through_the_extended_protocol,
            ]
        );
    };
}

fn client<R: Runtime>() -> R::Client {
    superuser::<R>("postgres")
}

pub fn several_statements_give_several_results_in_order<R: Runtime>() {
    let mut c = client::<R>();
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

pub fn nulls_and_unicode_survive<R: Runtime>() {
    let mut c = client::<R>();
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

pub fn error_carries_sqlstate_position_and_fields<R: Runtime>() {
    let mut c = client::<R>();
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
    assert_eq!(scalar(&mut c, "SELECT 7").as_deref(), Some("7"));
}

pub fn an_error_stops_the_remaining_statements<R: Runtime>() {
    let mut c = client::<R>();
    c.simple_query("CREATE TEMP TABLE s(a int)").unwrap();
    let items = c
        .stream(
            "INSERT INTO s VALUES (1); SELECT 1/0; INSERT INTO s VALUES (2)",
            false,
            None,
        )
        .unwrap();
    assert!(matches!(items[0], Ok(QueryItem::Complete(_))));
    assert!(matches!(items.last(), Some(Err(Error::Db(e))) if e.code == "22012"));
    // Outside a transaction block each statement of a simple query runs in
    // one implicit transaction: the first INSERT is rolled back too.
    assert_eq!(
        scalar(&mut c, "SELECT count(*) FROM s").as_deref(),
        Some("0")
    );
}

pub fn transaction_status_follows_the_session<R: Runtime>() {
    let mut c = client::<R>();
    c.simple_query("BEGIN").unwrap();
    assert_eq!(c.transaction_status(), TransactionStatus::InTransaction);
    let _ = c.simple_query("SELECT nope");
    assert_eq!(c.transaction_status(), TransactionStatus::Failed);
    c.simple_query("ROLLBACK").unwrap();
    assert_eq!(c.transaction_status(), TransactionStatus::Idle);
}

pub fn notices_reach_the_stream<R: Runtime>() {
    let mut c = client::<R>();
    let notices: Vec<_> = c
        .stream(
            "DO $$BEGIN RAISE NOTICE 'hello %', 42; RAISE WARNING 'careful'; END$$",
            false,
            None,
        )
        .unwrap()
        .into_iter()
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

pub fn empty_query_is_reported<R: Runtime>() {
    let mut c = client::<R>();
    let items: Vec<_> = c
        .stream(";", false, None)
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(items, [QueryItem::EmptyQuery]);
}

pub fn abandoning_a_stream_leaves_the_session_usable<R: Runtime>() {
    let mut c = client::<R>();
    let items = c
        .stream("SELECT g FROM generate_series(1, 100000) g", false, Some(2))
        .unwrap();
    assert!(matches!(items[0], Ok(QueryItem::Columns(_))));
    assert!(matches!(items[1], Ok(QueryItem::Row(_))));
    assert_eq!(scalar(&mut c, "SELECT 'after'").as_deref(), Some("after"));
}

pub fn nul_in_sql_is_refused_before_sending<R: Runtime>() {
    let mut c = client::<R>();
    let err = c.simple_query("SELECT '\0'").unwrap_err();
    assert!(err.to_string().contains("NUL"), "{err}");
    assert_eq!(c.simple_query("SELECT 1").unwrap().len(), 1);
}

pub fn copy_in_from_a_generic_query_is_refused_cleanly<R: Runtime>() {
    let mut c = client::<R>();
    c.simple_query("CREATE TEMP TABLE ci(a int)").unwrap();
    let err = c.simple_query("COPY ci FROM STDIN").unwrap_err();
    assert_eq!(err.db_error().unwrap().code, "57014");
    assert!(err.to_string().contains("Client::copy_in"), "{err}");
    assert_eq!(c.simple_query("SELECT 1").unwrap().len(), 1);
}

/// `query_single` (what exec's read-only mode runs every statement
/// through) gives the same items, and the server refuses two statements
/// in one string.
pub fn a_single_statement_goes_through_the_extended_protocol<R: Runtime>() {
    let mut c = client::<R>();
    let items: Vec<_> = c
        .stream("SELECT 41 + 1 AS answer", true, None)
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(matches!(&items[0], QueryItem::Columns(d) if d.columns[0].name == "answer"));
    assert!(matches!(&items[1], QueryItem::Row(r) if r.get_str(0) == Some("42")));
    assert!(matches!(&items[2], QueryItem::Complete(t) if t.as_str() == "SELECT 1"));
    let refused = c.stream("SELECT 1; SELECT 2", true, None).unwrap();
    assert!(
        matches!(refused.last(), Some(Err(Error::Db(e))) if e.code == "42601"),
        "{refused:?}"
    );
    assert_eq!(scalar(&mut c, "SELECT 'after'").as_deref(), Some("after"));
}
