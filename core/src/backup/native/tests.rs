//! Rendering and pumping from hand-built catalog rows.

#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};

use rstest::rstest;

use super::model::{Column, Constraint, Privilege, Relation, Sequence, TypeDef};
use super::order::sort;
use super::plan::{
    Entry, TableData, column_sql, inherited_not_null_sql, order_by_foreign_keys, privileges_sql,
    sequence_sql, table_sql, type_sql, with_index_options,
};
use super::{NativeDump, NativeError, NativeOptions, NativeSelection, Step, worker_setup};
use crate::wire::DataRow;

fn column(name: &str, type_name: &str) -> Column {
    Column {
        relation: 1,
        name: name.into(),
        type_name: type_name.into(),
        local: true,
        ..Column::default()
    }
}

fn sequence() -> Sequence {
    Sequence {
        oid: 7,
        schema: "select".into(),
        name: "a\"b_seq".into(),
        type_name: "integer".into(),
        start: "10".into(),
        increment: "5".into(),
        max: "2147483647".into(),
        min: "1".into(),
        cache: "1".into(),
        ..Sequence::default()
    }
}

#[rstest]
#[case::plain(column("a\"b", "text"), "\"a\"\"b\" text")]
#[case::not_null(Column { not_null: true, ..column("x", "integer") }, "\"x\" integer NOT NULL")]
#[case::inherited_not_null(Column { not_null: true, local: false, ..column("x", "integer") }, "\"x\" integer")]
#[case::collation(
    Column { collation: Some(("pg_catalog".into(), "C".into())), ..column("x", "text") },
    "\"x\" text COLLATE \"pg_catalog\".\"C\""
)]
#[case::stored(
    Column { generated: 's', default: Some("(id * 2)".into()), ..column("x", "integer") },
    "\"x\" integer GENERATED ALWAYS AS ((id * 2)) STORED"
)]
#[case::virtual_column(
    Column { generated: 'v', default: Some("(id * 2)".into()), ..column("x", "integer") },
    "\"x\" integer GENERATED ALWAYS AS ((id * 2)) VIRTUAL"
)]
#[case::named_not_null(
    Column { not_null: true, not_null_constraint: Some(("x set".into(), true, true, true)), ..column("x", "integer") },
    "\"x\" integer CONSTRAINT \"x set\" NOT NULL NO INHERIT"
)]
#[case::not_valid_not_null_comes_later(
    Column { not_null: true, not_null_constraint: Some(("x set".into(), false, false, true)), ..column("x", "integer") },
    "\"x\" integer"
)]
fn columns(#[case] column: Column, #[case] expected: &str) {
    assert_eq!(column_sql(&column, None, false), expected);
}

/// A child's own NOT NULL on a column it inherits is said after its
/// `CREATE TABLE`; one its parent has, or one on a column of its own, is not.
#[test]
fn inherited_columns_keep_their_own_not_null() {
    let inherited = |name: &str| Column {
        local: false,
        not_null: true,
        ..column(name, "integer")
    };
    let own = inherited("own");
    let from_parent = inherited("from_parent");
    let named = Column {
        not_null_constraint: Some(("n n".into(), true, false, true)),
        ..inherited("named")
    };
    let local = Column {
        not_null: true,
        ..column("local", "integer")
    };
    // PostgreSQL 18: inherited, and declared by the child as well.
    let also_own = Column {
        not_null_constraint: Some(("p_nn".into(), true, false, true)),
        ..inherited("also_own")
    };
    let only_inherited = Column {
        not_null_constraint: Some(("p_nn".into(), true, false, false)),
        ..inherited("only_inherited")
    };
    let parent: HashSet<&str> = ["from_parent", "also_own", "only_inherited"]
        .into_iter()
        .collect();
    assert_eq!(
        inherited_not_null_sql(
            "t",
            &[
                &own,
                &from_parent,
                &named,
                &local,
                &also_own,
                &only_inherited
            ],
            &parent
        ),
        "\nALTER TABLE ONLY t ALTER COLUMN \"own\" SET NOT NULL;\n\
         \nALTER TABLE ONLY t\n    ADD CONSTRAINT \"n n\" NOT NULL \"named\";\n\
         \nALTER TABLE ONLY t\n    ADD CONSTRAINT \"p_nn\" NOT NULL \"also_own\";\n"
    );
}

/// A key's index options go before DEFERRABLE, where the grammar wants them.
#[rstest]
#[case("PRIMARY KEY (id)", "PRIMARY KEY (id) WITH (fillfactor=45)")]
#[case(
    "UNIQUE (a) INCLUDE (b) DEFERRABLE INITIALLY DEFERRED",
    "UNIQUE (a) INCLUDE (b) WITH (fillfactor=45) DEFERRABLE INITIALLY DEFERRED"
)]
fn key_index_options(#[case] definition: &str, #[case] expected: &str) {
    assert_eq!(with_index_options(definition, "fillfactor=45"), expected);
}

#[test]
fn identity_columns_name_their_sequence_without_its_type() {
    let column = Column {
        identity: 'a',
        not_null: true,
        ..column("id", "integer")
    };
    let sql = column_sql(&column, Some(&sequence()), false);
    assert!(sql.starts_with("\"id\" integer GENERATED ALWAYS AS IDENTITY (\n        SEQUENCE NAME \"select\".\"a\"\"b_seq\"\n"), "{sql}");
    assert!(
        sql.contains("START WITH 10\n") && sql.contains("INCREMENT BY 5\n"),
        "{sql}"
    );
    assert!(!sql.contains(" AS integer"), "{sql}");
    assert!(sql.ends_with(") NOT NULL"), "{sql}");
}

#[test]
fn sequences_keep_type_options_and_owner() {
    let seq = Sequence {
        cycle: true,
        persistence: 'u',
        ..sequence()
    };
    let sql = sequence_sql(&seq, Some("\"public\".\"t\".\"id\"".into()));
    assert_eq!(
        sql,
        "CREATE UNLOGGED SEQUENCE \"select\".\"a\"\"b_seq\"\n    AS integer\n    START WITH 10\n    INCREMENT BY 5\n    MINVALUE 1\n    MAXVALUE 2147483647\n    CACHE 1\n    CYCLE;\n\nALTER SEQUENCE \"select\".\"a\"\"b_seq\" OWNED BY \"public\".\"t\".\"id\";\n"
    );
}

fn table(name: &str) -> Relation {
    Relation {
        oid: 1,
        schema: "Mixed Case".into(),
        name: name.into(),
        kind: 'r',
        persistence: 'p',
        ..Relation::default()
    }
}

#[test]
fn tables_partitions_and_children() {
    let none = HashMap::new();
    let id = column("id", "integer");
    let inherited = Column {
        local: false,
        ..column("x", "text")
    };
    let unlogged = Relation {
        persistence: 'u',
        ..table("ünïcödé")
    };
    assert_eq!(
        table_sql(
            &unlogged,
            &[&id, &inherited],
            &["\"public\".\"p\"".into()],
            &none
        ),
        "CREATE UNLOGGED TABLE \"Mixed Case\".\"ünïcödé\" (\n    \"id\" integer\n)\nINHERITS (\"public\".\"p\");\n"
    );
    assert_eq!(
        table_sql(&table("empty"), &[], &[], &none),
        "CREATE TABLE \"Mixed Case\".\"empty\" (\n);\n"
    );
    let partition = Relation {
        partition_bound: Some("FOR VALUES IN (1)".into()),
        partition_key: Some("LIST (id)".into()),
        ..table("part")
    };
    assert_eq!(
        table_sql(
            &partition,
            &[&inherited],
            &["\"public\".\"p\"".into()],
            &none
        ),
        "CREATE TABLE \"Mixed Case\".\"part\" PARTITION OF \"public\".\"p\"\nFOR VALUES IN (1)\nPARTITION BY LIST (id);\n"
    );
}

#[test]
fn enums_and_domains() {
    let mood = TypeDef {
        schema: "select".into(),
        name: "mood".into(),
        kind: 'e',
        ..TypeDef::default()
    };
    assert_eq!(
        type_sql(
            &mood,
            &["sad".into(), "it's".into(), "back\\slash".into()],
            &[]
        ),
        "CREATE TYPE \"select\".\"mood\" AS ENUM (\n    'sad',\n    'it''s',\n    E'back\\\\slash'\n);\n"
    );
    let domain = TypeDef {
        schema: "public".into(),
        name: "posint".into(),
        kind: 'd',
        base: Some("integer".into()),
        not_null: true,
        default: Some("1".into()),
        ..TypeDef::default()
    };
    let check = Constraint {
        name: "pos".into(),
        definition: "CHECK ((VALUE > 0))".into(),
        ..Constraint::default()
    };
    assert_eq!(
        type_sql(&domain, &[], &[&check]),
        "CREATE DOMAIN \"public\".\"posint\" AS integer DEFAULT 1 NOT NULL\n\tCONSTRAINT \"pos\" CHECK ((VALUE > 0));\n"
    );
}

/// PostgreSQL 17 on: a domain's NOT NULL is a constraint with a name.
#[test]
fn a_domain_keeps_its_not_null_constraint_name() {
    let domain = TypeDef {
        schema: "public".into(),
        name: "d".into(),
        kind: 'd',
        base: Some("integer".into()),
        not_null: true,
        not_null_name: Some("d nn".into()),
        ..TypeDef::default()
    };
    assert_eq!(
        type_sql(&domain, &[], &[]),
        "CREATE DOMAIN \"public\".\"d\" AS integer CONSTRAINT \"d nn\" NOT NULL;\n"
    );
}

fn privilege(grantee: Option<&str>, privilege: &str, grantor: &str) -> Privilege {
    Privilege {
        key: "c:1".into(),
        column: None,
        grantor: grantor.into(),
        grantee: grantee.map(str::to_string),
        privilege: privilege.into(),
        grantable: false,
        member_of: None,
    }
}

#[test]
fn privileges_replace_the_defaults_in_acl_order() {
    let rows = [
        privilege(Some("owner"), "SELECT", "owner"),
        privilege(Some("owner"), "INSERT", "owner"),
        privilege(None, "SELECT", "owner"),
        Privilege {
            column: Some("a\"b".into()),
            ..privilege(Some("r"), "UPDATE", "owner")
        },
        privilege(Some("r"), "DELETE", "other"),
    ];
    let refs: Vec<&Privilege> = rows.iter().collect();
    assert_eq!(
        privileges_sql("TABLE \"s\".\"t\"", "owner", &refs, false),
        "REVOKE ALL ON TABLE \"s\".\"t\" FROM PUBLIC;\n\
         REVOKE ALL ON TABLE \"s\".\"t\" FROM \"owner\";\n\
         GRANT SELECT,INSERT ON TABLE \"s\".\"t\" TO \"owner\";\n\
         GRANT SELECT ON TABLE \"s\".\"t\" TO PUBLIC;\n\
         GRANT UPDATE(\"a\"\"b\") ON TABLE \"s\".\"t\" TO \"r\";\n\
         SET SESSION AUTHORIZATION \"other\";\n\
         GRANT DELETE ON TABLE \"s\".\"t\" TO \"r\";\n\
         RESET SESSION AUTHORIZATION;\n"
    );
}

fn entry(key: &str, priority: u8) -> Entry {
    Entry {
        key: key.into(),
        priority,
        sql: String::new(),
    }
}

#[test]
fn dependencies_come_first_and_loops_are_broken_aloud() {
    let entries = vec![
        entry("view", 7),
        entry("table", 6),
        entry("schema", 1),
        entry("function", 4),
    ];
    let edges = vec![
        ("view".to_string(), "function".to_string()),
        ("function".to_string(), "table".to_string()),
        ("table".to_string(), "schema".to_string()),
        ("view".to_string(), "unknown".to_string()),
    ];
    let (sorted, warnings) = sort(entries, &edges, &std::collections::HashMap::new());
    let keys: Vec<&str> = sorted.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["schema", "table", "function", "view"]);
    assert!(warnings.is_empty());

    let looped = vec![entry("a", 2), entry("b", 1)];
    let edges = vec![
        ("a".to_string(), "b".to_string()),
        ("b".to_string(), "a".to_string()),
    ];
    let (sorted, warnings) = sort(looped, &edges, &std::collections::HashMap::new());
    assert_eq!(sorted.len(), 2);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
}

#[rstest]
#[case(120_017)]
#[case(190_000)]
fn servers_outside_13_to_18_are_refused(#[case] version: u32) {
    let err = NativeDump::new(NativeOptions::default(), version).unwrap_err();
    assert_eq!(err, NativeError::UnsupportedServer { version });
    assert!(err.to_string().contains("13 to 18"), "{err}");
}

fn row(values: &[Option<&str>]) -> DataRow {
    DataRow::from_values(values.iter().map(|v| v.map(str::as_bytes)))
}

/// Answers a catalog query with a one-table database: `"select"."a""b"`
/// with an identity `id`, a generated column and a text column.
fn answer(sql: &str) -> Vec<DataRow> {
    if sql.contains("x.extcondition") {
        return Vec::new();
    }
    if sql.contains("pg_export_snapshot") {
        return vec![row(&[
            Some("00000003-1"),
            Some("2024-01-01 00:00:00+00"),
            Some("on"),
        ])];
    }
    if sql.contains("c.relispopulated") {
        return vec![row(&[
            Some("100"),
            Some("select"),
            Some("a\"b"),
            Some("r"),
            Some("o w\"ner"),
            Some("p"),
            None,
            None,
            None,
            None,
            Some("f"),
            Some("f"),
            Some("t"),
            None,
            None,
            None,
            None,
            Some("d"),
            None,
        ])];
    }
    if sql.contains("a.attgenerated") {
        let col = |num: &str,
                   name: &'static str,
                   ty: &'static str,
                   identity: &'static str,
                   generated: &'static str,
                   default: Option<&'static str>| {
            row(&[
                Some("100"),
                Some(num),
                Some(name),
                Some(ty),
                Some("t"),
                Some(identity),
                Some(generated),
                Some("t"),
                None,
                None,
                default.map(|_| "200"),
                default,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            ])
        };
        return vec![
            col("1", "id", "integer", "a", "", None),
            col("2", "twice", "integer", "", "s", Some("(id * 2)")),
            col("3", "note", "text", "", "", None),
        ];
    }
    if sql.contains("pg_catalog.pg_sequence s") {
        return vec![row(&[
            Some("101"),
            Some("select"),
            Some("a\"b_id_seq"),
            Some("integer"),
            Some("1"),
            Some("1"),
            Some("2147483647"),
            Some("1"),
            Some("1"),
            Some("f"),
            Some("100"),
            Some("id"),
            Some("i"),
            Some("p"),
        ])];
    }
    if sql.contains("last_value, is_called") {
        return vec![row(&[Some("101"), Some("42"), Some("t")])];
    }
    if sql.contains("n.nspname, pg_catalog.pg_get_userbyid(n.nspowner)") {
        return vec![row(&[Some("99"), Some("select"), Some("postgres")])];
    }
    if sql.contains("SELECT DISTINCT") {
        return vec![row(&[Some("c:100"), Some("n:99")])];
    }
    Vec::new()
}

/// Pumps a dump with [`answer`], returning the steps it asked for.
fn pump(options: NativeOptions) -> (Vec<Step>, super::NativeSummary) {
    let mut dump = NativeDump::new(options, 150_004).unwrap();
    let mut steps = Vec::new();
    loop {
        let step = dump.next_step();
        match &step {
            Step::Query { sql } => dump.handle_rows(answer(sql)).unwrap(),
            Step::Copy { .. } => dump.handle_copy_done(3).unwrap(),
            Step::Write(_) => {}
            Step::CopyTables { tables } => dump.handle_copy_done(3 * tables.len() as u64).unwrap(),
            Step::Done => break,
        }
        steps.push(step);
    }
    (steps, dump.finish().unwrap())
}

fn output(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| match s {
            Step::Write(bytes) => String::from_utf8(bytes.clone()).unwrap(),
            Step::Copy { sql, .. } => format!("<{sql}>\n"),
            _ => String::new(),
        })
        .collect()
}

#[test]
fn a_dump_sets_up_one_snapshot_then_writes_sections_in_order() {
    let (steps, summary) = pump(NativeOptions::default());
    let queries: Vec<&str> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Query { sql } => Some(sql.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        queries[0],
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
    );
    assert!(queries.contains(&"SET row_security = off"));
    assert!(queries.contains(&"LOCK TABLE \"select\".\"a\"\"b\" IN ACCESS SHARE MODE"));
    assert_eq!(queries.last(), Some(&"COMMIT"));
    assert_eq!(summary.snapshot.as_deref(), Some("00000003-1"));
    assert_eq!((summary.tables, summary.rows), (1, 3));

    let text = output(&steps);
    let schema = text.find("CREATE SCHEMA \"select\";").unwrap();
    let table = text
        .find(
            "CREATE TABLE \"select\".\"a\"\"b\" (\n    \"id\" integer GENERATED ALWAYS AS IDENTITY",
        )
        .unwrap();
    let copy = text
        .find("COPY \"select\".\"a\"\"b\" (\"id\", \"note\") FROM stdin;\n<COPY \"select\".\"a\"\"b\" (\"id\", \"note\") TO STDOUT>\n\\.\n")
        .unwrap();
    let setval = text
        .find("SELECT pg_catalog.setval('\"select\".\"a\"\"b_id_seq\"', 42, true);")
        .unwrap();
    assert!(schema < table && table < copy && copy < setval, "{text}");
    assert!(
        text.contains("ALTER TABLE \"select\".\"a\"\"b\" OWNER TO \"o w\"\"ner\";"),
        "{text}"
    );
    assert!(
        text.starts_with("--\n-- PostgreSQL database dump\n"),
        "{text}"
    );
    assert!(
        text.contains("-- Dumped from database version 15.4\n"),
        "{text}"
    );
    assert!(
        text.contains("SET standard_conforming_strings = on;\n"),
        "{text}"
    );
    assert!(!text.contains("transaction_timeout"), "not on 15: {text}");
}

#[test]
fn modes_leave_out_their_parts() {
    let (steps, _) = pump(NativeOptions {
        schema_only: true,
        no_owner: true,
        ..NativeOptions::default()
    });
    assert!(!steps.iter().any(|s| matches!(s, Step::Copy { .. })));
    let text = output(&steps);
    assert!(
        text.contains("CREATE TABLE") && !text.contains("setval") && !text.contains("OWNER TO"),
        "{text}"
    );

    let (steps, _) = pump(NativeOptions {
        data_only: true,
        ..NativeOptions::default()
    });
    let text = output(&steps);
    assert!(
        !text.contains("CREATE ") && text.contains("FROM stdin;") && text.contains("setval"),
        "{text}"
    );
}

/// `--tables` keeps the table and what is its own (its identity
/// sequence) but no schema; `--exclude-tables` leaves the table out of
/// the locks, the definitions and the data; `--schemas` keeps both.
#[rstest::rstest]
#[case::tables(NativeSelection { tables: vec![a_b()], ..NativeSelection::default() }, false, true)]
#[case::schemas(NativeSelection { schemas: vec!["select".into()], ..NativeSelection::default() }, true, true)]
#[case::other_schema(NativeSelection { schemas: vec!["other".into()], ..NativeSelection::default() }, false, false)]
#[case::exclude(NativeSelection { exclude_tables: vec![a_b()], ..NativeSelection::default() }, true, false)]
fn a_selection_keeps_what_pg_dump_keeps(
    #[case] selection: NativeSelection,
    #[case] schema: bool,
    #[case] table: bool,
) {
    let (steps, summary) = pump(NativeOptions {
        selection,
        ..NativeOptions::default()
    });
    let text = output(&steps);
    assert_eq!(text.contains("CREATE SCHEMA \"select\";"), schema, "{text}");
    assert_eq!(
        text.contains("CREATE TABLE \"select\".\"a\"\"b\""),
        table,
        "{text}"
    );
    assert_eq!(text.contains("setval("), table, "{text}");
    let locks = steps
        .iter()
        .any(|s| matches!(s, Step::Query { sql } if sql.starts_with("LOCK TABLE")));
    assert_eq!(locks, table);
    assert_eq!(summary.tables, u64::from(table));
}

fn a_b() -> crate::backup::QualifiedName {
    crate::backup::QualifiedName {
        schema: "select".into(),
        name: "a\"b".into(),
    }
}

#[test]
fn a_server_error_ends_the_dump_with_what_it_was_doing() {
    let mut dump = NativeDump::new(NativeOptions::default(), 180_000).unwrap();
    assert!(matches!(dump.next_step(), Step::Query { .. }));
    dump.handle_error("permission denied");
    assert_eq!(dump.next_step(), Step::Done);
    let err = dump.finish().unwrap_err();
    assert_eq!(
        err.to_string(),
        "the native backup failed while setting up the session: permission denied"
    );
}

#[test]
fn answers_out_of_order_are_refused() {
    let mut dump = NativeDump::new(NativeOptions::default(), 160_000).unwrap();
    assert!(matches!(
        dump.handle_copy_done(1),
        Err(NativeError::OutOfOrder(_))
    ));
    let mut dump = NativeDump::new(NativeOptions::default(), 160_000).unwrap();
    let first = dump.next_step();
    assert_eq!(
        dump.next_step(),
        first,
        "asking again repeats the pending step"
    );
    assert!(matches!(dump.handle_rows(vec![row(&[Some("x")])]), Ok(())));
    let bad = NativeDump::new(NativeOptions::default(), 160_000)
        .unwrap()
        .finish();
    assert!(matches!(bad, Err(NativeError::OutOfOrder(_))));
}

#[test]
fn a_malformed_row_is_a_bug_report_not_a_panic() {
    let mut dump = NativeDump::new(NativeOptions::default(), 170_000).unwrap();
    loop {
        match dump.next_step() {
            Step::Query { sql } if sql.contains("c.relispopulated") => {
                let err = dump
                    .handle_rows(vec![row(&[Some("not an oid")])])
                    .unwrap_err();
                assert!(
                    err.to_string().contains("listing relations")
                        || err.to_string().contains("reading relations"),
                    "{err}"
                );
                break;
            }
            Step::Query { .. } => dump.handle_rows(Vec::new()).unwrap(),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn workers_join_the_snapshot_right_after_begin() {
    let statements = worker_setup("00000003-0000001B-1");
    assert_eq!(
        statements[0],
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
    );
    assert_eq!(
        statements[1],
        "SET TRANSACTION SNAPSHOT '00000003-0000001B-1'"
    );
    assert!(statements.iter().any(|s| s == "SET extra_float_digits = 3"));
}

#[test]
fn a_lock_wait_timeout_bounds_only_the_locks() {
    let options = NativeOptions {
        lock_wait_timeout_ms: Some(1500),
        ..NativeOptions::default()
    };
    let (steps, _) = pump(options);
    let queries: Vec<&str> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Query { sql } => Some(sql.as_str()),
            _ => None,
        })
        .collect();
    let lock = queries
        .iter()
        .position(|q| q.starts_with("LOCK TABLE"))
        .unwrap();
    assert_eq!(queries[lock - 1], "SET lock_timeout = '1500ms'");
    assert_eq!(queries[lock + 1], "SET lock_timeout = 0");
}

/// A view and a function that use each other: the view's dummy first,
/// then the function, then the real view; no loop is left to warn about.
#[test]
fn a_view_in_a_loop_is_split_into_a_dummy_and_its_definition() {
    use super::order::{Split, sort};
    use super::plan::Entry;
    let entry = |key: &str, priority, sql: &str| Entry {
        key: key.into(),
        priority,
        sql: sql.into(),
    };
    let entries = vec![
        entry("c:1", 7, "CREATE VIEW v"),
        entry("f:2", 4, "CREATE FUNCTION f"),
    ];
    let edges = vec![
        ("c:1".to_string(), "f:2".to_string()),
        ("f:2".to_string(), "c:1".to_string()),
    ];
    let splits = std::collections::HashMap::from([(
        "c:1".to_string(),
        Split {
            dummy: "DUMMY v".into(),
            replace: "REPLACE v".into(),
            early: None,
        },
    )]);
    let (sorted, warnings) = sort(entries.clone(), &edges, &splits);
    let sqls: Vec<&str> = sorted.iter().map(|e| e.sql.as_str()).collect();
    assert_eq!(sqls, ["DUMMY v", "CREATE FUNCTION f", "REPLACE v"]);
    assert!(warnings.is_empty(), "{warnings:?}");
    // Without a split the loop is broken where it must be, with a warning.
    let (sorted, warnings) = sort(entries, &edges, &std::collections::HashMap::new());
    assert_eq!(sorted.len(), 2);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
}

/// A base type and its input function use each other: the shell type
/// serves the function only; a table of the type waits for the whole type.
#[test]
fn a_shell_type_serves_only_functions() {
    use super::order::{Split, sort};
    use super::plan::Entry;
    let entry = |key: &str, priority, sql: &str| Entry {
        key: key.into(),
        priority,
        sql: sql.into(),
    };
    let entries = vec![
        entry("t:1", 2, "CREATE TYPE t (...)"),
        entry("f:2", 4, "CREATE FUNCTION t_in"),
        entry("c:3", 1, "CREATE TABLE uses_t"),
    ];
    let edges: Vec<(String, String)> = [("t:1", "f:2"), ("f:2", "t:1"), ("c:3", "t:1")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let splits = std::collections::HashMap::from([(
        "t:1".to_string(),
        Split {
            dummy: "CREATE TYPE t;".into(),
            replace: "CREATE TYPE t (...)".into(),
            early: Some("f:"),
        },
    )]);
    let (sorted, warnings) = sort(entries, &edges, &splits);
    let sqls: Vec<&str> = sorted.iter().map(|e| e.sql.as_str()).collect();
    assert_eq!(
        sqls,
        [
            "CREATE TYPE t;",
            "CREATE FUNCTION t_in",
            "CREATE TYPE t (...)",
            "CREATE TABLE uses_t"
        ]
    );
    assert!(warnings.is_empty(), "{warnings:?}");
}

/// `--data-only`: referenced tables' rows first, the given order kept
/// otherwise; a loop is broken at its first table and named in a warning
/// that points to --disable-triggers.
#[test]
fn data_only_orders_tables_by_foreign_keys_and_names_loops() {
    let data = |name: &str| TableData {
        table: crate::backup::QualifiedName {
            schema: "s".into(),
            name: name.into(),
        },
        header: String::new(),
        copy_out: String::new(),
        columns: None,
        after: Vec::new(),
    };
    let fk = |table: u32, references: u32| Constraint {
        kind: 'f',
        table,
        references,
        ..Constraint::default()
    };
    // a -> b -> c, d <-> e, f alone, c references itself.
    let mut tables: Vec<TableData> = ["a", "b", "c", "d", "e", "f"].map(data).into();
    let oid = |q: &crate::backup::QualifiedName| Some(u32::from(q.name.as_bytes()[0]));
    let (a, b, c, d, e) = (97, 98, 99, 100, 101);
    let constraints = [fk(a, b), fk(b, c), fk(c, c), fk(d, e), fk(e, d)];
    let warnings = order_by_foreign_keys(&mut tables, &constraints, oid);
    let names: Vec<&str> = tables.iter().map(|t| t.table.name.as_str()).collect();
    // The loop is broken only when nothing else can go.
    assert_eq!(names, ["c", "b", "a", "f", "d", "e"]);
    let after: Vec<Vec<usize>> = tables.iter().map(|t| t.after.clone()).collect();
    assert_eq!(after, [vec![], vec![0], vec![1], vec![], vec![], vec![4]]);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("s.d, s.e") && warnings[0].contains("--disable-triggers"),
        "{warnings:?}"
    );
}
