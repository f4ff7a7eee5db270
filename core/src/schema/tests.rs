#![allow(clippy::unwrap_used)]

use rstest::rstest;
use serde_json::json;

use super::*;
use crate::json::tests::data_row;

fn names(args: &[&str]) -> Result<Vec<TableName>, NameError> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    parse_table_names(&args)
}

/// Splits SQL into what is inside string literals (decoded) and what is
/// outside, the way the server's lexer does for `'...'` and `E'...'`.
fn split_literals(sql: &str) -> (Vec<String>, String) {
    let mut literals = Vec::new();
    let mut outside = String::new();
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\'' {
            let escapes = i > 0 && (chars[i - 1] == 'E' || chars[i - 1] == 'e');
            let mut literal = String::new();
            i += 1;
            loop {
                let c = chars[i];
                if escapes && c == '\\' {
                    literal.push(chars[i + 1]);
                    i += 2;
                } else if c == '\'' && chars.get(i + 1) == Some(&'\'') {
                    literal.push('\'');
                    i += 2;
                } else if c == '\'' {
                    i += 1;
                    break;
                } else {
                    literal.push(c);
                    i += 1;
                }
            }
            literals.push(literal);
            outside.push_str("<literal>");
        } else {
            outside.push(chars[i]);
            i += 1;
        }
    }
    (literals, outside)
}

#[rstest]
#[case("\"x'||(SELECT current_user)||'\"", &["x'||(SELECT current_user)||'"])]
#[case("x'||(SELECT current_user)||'", &["x'||(SELECT current_user)||'", "x'||(select current_user)||'"])]
#[case("\"a\\'; SELECT current_user; --\"", &["a\\'; SELECT current_user; --"])]
#[case("\"back\\\\slash\\\"", &["back\\\\slash\\"])]
fn user_names_are_inert_literals(#[case] arg: &str, #[case] spellings: &[&str]) {
    let tables = names(&[arg]).unwrap();
    let sql = sql::resolve_names_sql(&tables);
    let (literals, outside) = split_literals(&sql);
    for spelling in spellings {
        assert!(
            literals.iter().any(|l| l == spelling),
            "{spelling:?} not a literal in {sql}"
        );
    }
    assert!(
        !outside.to_lowercase().contains("current_user"),
        "{outside}"
    );
    assert!(!outside.contains("--"), "{outside}");
}

#[test]
fn schema_and_several_names_are_literals_too() {
    let tables = names(&["App.\"My Table\",users"]).unwrap();
    let sql = sql::resolve_names_sql(&tables);
    assert!(sql.contains(
        "(0, ARRAY['App', 'app']::text[], ARRAY['My Table']::text[]),\n       (1, NULL::text[], ARRAY['users']::text[])"
    ), "{sql}");
}

#[test]
fn sampled_names_are_quoted_identifiers() {
    let sql = sql::sample_json_sql("we\"ird", "my table", "Da\"ta", 25);
    assert_eq!(
        sql,
        "SELECT \"Da\"\"ta\" FROM \"we\"\"ird\".\"my table\" WHERE \"Da\"\"ta\" IS NOT NULL LIMIT 25"
    );
}

#[test]
fn listing_scopes() {
    let path = sql::list_relations_sql(sql::Scope::SearchPath);
    let all = sql::list_relations_sql(sql::Scope::AllSchemas);
    assert!(path.contains("current_schemas(false)"));
    assert!(!all.contains("current_schemas(false)"));
    for sql in [&path, &all] {
        assert!(
            sql.contains("'pg_catalog'")
                && sql.contains("'^pg_toast'")
                && sql.contains("'^pg_temp_'")
        );
        assert!(sql.contains("('r', 'p', 'v', 'm', 'f')"));
    }
}

fn sample_table() -> TableSchema {
    TableSchema {
        oid: 16400,
        schema: "public".into(),
        name: "users".into(),
        kind: RelationKind::Table,
        comment: Some("People who sign in".into()),
        columns: vec![
            ColumnInfo {
                name: "id".into(),
                type_name: "bigint".into(),
                type_oid: 20,
                base_type_oid: 20,
                not_null: true,
                default: None,
                identity: Some(Identity::Always),
                generated: None,
                comment: None,
            },
            ColumnInfo {
                name: "email".into(),
                type_name: "text".into(),
                type_oid: 25,
                base_type_oid: 25,
                not_null: true,
                default: None,
                identity: None,
                generated: None,
                comment: Some("lower case".into()),
            },
            ColumnInfo {
                name: "email_domain".into(),
                type_name: "text".into(),
                type_oid: 25,
                base_type_oid: 25,
                not_null: false,
                default: None,
                identity: None,
                generated: Some("split_part(email, '@'::text, 2)".into()),
                comment: None,
            },
            ColumnInfo {
                name: "profile".into(),
                type_name: "jsonb".into(),
                type_oid: 3802,
                base_type_oid: 3802,
                not_null: false,
                default: Some("'{}'::jsonb".into()),
                identity: None,
                generated: None,
                comment: None,
            },
        ],
        primary_key: Some(KeyConstraint {
            name: "users_pkey".into(),
            columns: vec!["id".into()],
            definition: "PRIMARY KEY (id)".into(),
        }),
        uniques: vec![KeyConstraint {
            name: "users_email_key".into(),
            columns: vec!["email".into()],
            definition: "UNIQUE (email)".into(),
        }],
        checks: vec![CheckConstraint {
            name: "users_email_check".into(),
            definition: "CHECK (email ~~ '%@%'::text)".into(),
        }],
        foreign_keys: vec![],
        indexes: vec![
            IndexInfo {
                name: "users_pkey".into(),
                definition: "CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)"
                    .into(),
                primary: true,
                unique: true,
                constraint: Some("p".into()),
                predicate: None,
                valid: true,
            },
            IndexInfo {
                name: "users_email_key".into(),
                definition:
                    "CREATE UNIQUE INDEX users_email_key ON public.users USING btree (email)"
                        .into(),
                primary: false,
                unique: true,
                constraint: Some("u".into()),
                predicate: None,
                valid: true,
            },
            IndexInfo {
                name: "users_profile_idx".into(),
                definition: "CREATE INDEX users_profile_idx ON public.users USING gin (profile) WHERE profile IS NOT NULL".into(),
                primary: false,
                unique: false,
                constraint: None,
                predicate: Some("profile IS NOT NULL".into()),
                valid: false,
            },
        ],
        referenced_by: vec![Reference {
            schema: "app".into(),
            table: "posts".into(),
            name: "posts_author_fkey".into(),
            definition: "FOREIGN KEY (author) REFERENCES users(id) ON DELETE CASCADE".into(),
        }],
        triggers: vec![],
        partition_key: None,
        partition_of: None,
        view_definition: None,
        json_structure: vec![(
            "profile".into(),
            infer_json_structure([
                r#"{"name": "Ann", "address": {"city": "Oslo", "zip": "0150"}, "tags": ["a"], "orders": [{"id": 1}]}"#,
                r#"{"name": "Bob", "address": {"city": "Rome"}, "tags": [], "orders": []}"#,
                r#"{"name": null, "tags": [1]}"#,
            ]),
        )],
    }
}

#[test]
fn renders_like_psql() {
    let expected = r#"Table "public.users"
Comment: People who sign in
    Column    |  Type  | Nullable |                           Default                            |  Comment
--------------+--------+----------+--------------------------------------------------------------+------------
 id           | bigint | not null | generated always as identity                                 |
 email        | text   | not null |                                                              | lower case
 email_domain | text   |          | generated always as (split_part(email, '@'::text, 2)) stored |
 profile      | jsonb  |          | '{}'::jsonb                                                  |
Indexes:
    "users_pkey" PRIMARY KEY, btree (id)
    "users_email_key" UNIQUE CONSTRAINT, btree (email)
    "users_profile_idx" gin (profile) WHERE profile IS NOT NULL INVALID
Check constraints:
    "users_email_check" CHECK (email ~~ '%@%'::text)
Referenced by:
    TABLE "app.posts" CONSTRAINT "posts_author_fkey" FOREIGN KEY (author) REFERENCES users(id) ON DELETE CASCADE
JSON structure (sampled):
    profile (3 samples): object
        address?: object
            city: string
            zip?: string
        name: string|null
        orders?: array<object>
            id: number
        tags: array<number|string>
"#;
    let got = render_table(&sample_table());
    assert_eq!(got, expected, "\n{got}");
}

#[test]
fn table_json() {
    let value = sample_table().to_json();
    assert_eq!(value["kind"], "table");
    assert_eq!(
        value["columns"][0],
        json!({"name": "id", "type": "bigint", "nullable": false, "default": null,
               "identity": "always", "generated": null, "comment": null})
    );
    assert_eq!(
        value["columns"][2]["generated"],
        "split_part(email, '@'::text, 2)"
    );
    assert_eq!(
        value["primaryKey"],
        json!({"name": "users_pkey", "columns": ["id"], "definition": "PRIMARY KEY (id)"})
    );
    assert_eq!(value["unique"][0]["columns"], json!(["email"]));
    assert_eq!(value["indexes"][2]["partial"], true);
    assert_eq!(
        value["jsonStructure"]["profile"]["structure"],
        "object{address?: object{city: string, zip?: string}, name: string|null, orders?: array<object{id: number}>, tags: array<number|string>}"
    );
}

fn resolution_row(
    request: usize,
    oid: u32,
    schema: &str,
    name: &str,
    path: Option<u32>,
) -> crate::wire::DataRow {
    let request = request.to_string();
    let oid = oid.to_string();
    let path = path.map(|p| p.to_string());
    data_row(&[
        Some(&request),
        Some(&oid),
        Some(schema),
        Some(name),
        Some("r"),
        path.as_deref(),
    ])
}

fn details_row(oid: u32, name: &str, columns: serde_json::Value) -> crate::wire::DataRow {
    let oid = oid.to_string();
    let columns = columns.to_string();
    data_row(&[
        Some(&oid),
        Some("public"),
        Some(name),
        Some("r"),
        None,
        None,
        None,
        None,
        Some(&columns),
        Some("[]"),
        Some("[]"),
        Some("[]"),
        Some("[]"),
    ])
}

fn json_column(name: &str) -> serde_json::Value {
    json!({"name": name, "type": "jsonb", "type_oid": 3802, "base_type_oid": 3802,
           "not_null": false, "default": null, "identity": "", "generated": null, "comment": null})
}

#[test]
fn inspection_pumps_resolve_suggest_describe_sample() {
    let tables = names(&["Users,usres,public.users"]).unwrap();
    let mut inspection = SchemaInspection::new(SchemaRequest {
        tables,
        all_schemas: false,
        json_sample_size: 5,
    });

    let sql = inspection.next_query().unwrap();
    assert!(sql.contains("ARRAY['Users', 'users']"), "{sql}");
    assert_eq!(
        inspection.next_query().unwrap(),
        sql,
        "asking again repeats"
    );
    inspection
        .handle_rows(&[
            resolution_row(0, 10, "public", "users", Some(2)),
            resolution_row(2, 10, "public", "users", Some(2)),
        ])
        .unwrap();

    // "usres" matched nothing: a listing for suggestions.
    let sql = inspection.next_query().unwrap();
    assert!(sql.contains("FROM pg_catalog.pg_class c") && !sql.contains("current_schemas(false)"));
    inspection
        .handle_rows(&[
            data_row(&[
                Some("10"),
                Some("public"),
                Some("users"),
                Some("r"),
                Some("2"),
            ]),
            data_row(&[
                Some("11"),
                Some("public"),
                Some("posts"),
                Some("r"),
                Some("2"),
            ]),
        ])
        .unwrap();

    // One table (found twice), described once.
    let sql = inspection.next_query().unwrap();
    assert!(sql.ends_with("ARRAY[10]::pg_catalog.oid[])"), "{sql}");
    inspection
        .handle_rows(&[details_row(
            10,
            "users",
            json!([json_column("profile"), json_column("extra")]),
        )])
        .unwrap();

    let sql = inspection.next_query().unwrap();
    assert_eq!(
        sql,
        "SELECT \"profile\" FROM \"public\".\"users\" WHERE \"profile\" IS NOT NULL LIMIT 5"
    );
    inspection
        .handle_rows(&[
            data_row(&[Some(r#"{"a": 1}"#)]),
            data_row(&[Some(r#"{"a": "x", "b": []}"#)]),
        ])
        .unwrap();
    let sql = inspection.next_query().unwrap();
    assert!(sql.starts_with("SELECT \"extra\""));
    inspection
        .handle_error("permission denied for table users")
        .unwrap();
    assert_eq!(inspection.next_query(), None);
    assert!(inspection.is_done());

    let report = inspection.finish().unwrap();
    assert_eq!(report.tables.len(), 1);
    assert_eq!(
        report.tables[0]
            .json_structure_of("profile")
            .unwrap()
            .shape
            .type_expression(),
        "object{a: number|string, b?: array<unknown>}"
    );
    assert_eq!(report.missing.len(), 1);
    assert_eq!(
        report.missing[0].to_string(),
        "unknown table \"usres\"; did you mean \"users\"?"
    );
    assert_eq!(
        report.warnings,
        [
            "could not sample JSON column \"extra\" of \"public.users\": permission denied for table users"
        ]
    );
    assert_eq!(
        report.to_json()["missing"],
        json!([{"table": "usres", "suggestions": ["users"]}])
    );
}

#[test]
fn listing_without_names() {
    let mut inspection = SchemaInspection::new(SchemaRequest {
        tables: vec![],
        all_schemas: true,
        json_sample_size: 0,
    });
    let sql = inspection.next_query().unwrap();
    assert!(!sql.contains("current_schemas(false)"));
    inspection
        .handle_rows(&[data_row(&[
            Some("11"),
            Some("public"),
            Some("posts"),
            Some("r"),
            Some("2"),
        ])])
        .unwrap();
    assert!(inspection.next_query().unwrap().contains("ARRAY[11]"));
    inspection
        .handle_rows(&[details_row(11, "posts", json!([json_column("doc")]))])
        .unwrap();
    // Sampling is off.
    assert_eq!(inspection.next_query(), None);
    let report = inspection.finish().unwrap();
    assert_eq!(report.tables[0].name, "posts");
    assert!(report.tables[0].json_structure.is_empty());
}

#[test]
fn nothing_found_needs_no_details_query() {
    let mut inspection = SchemaInspection::new(SchemaRequest::new(names(&["nope"]).unwrap()));
    inspection.next_query().unwrap();
    inspection.handle_rows(&[]).unwrap();
    inspection.next_query().unwrap();
    inspection.handle_rows(&[]).unwrap();
    assert_eq!(inspection.next_query(), None);
    let report = inspection.finish().unwrap();
    assert!(report.tables.is_empty());
    assert_eq!(render_report(&report), "unknown table \"nope\"\n");
    assert_eq!(
        render_report(&SchemaReport::default()),
        "Did not find any relations.\n"
    );
}

#[test]
fn catalog_errors_end_the_inspection() {
    let mut inspection = SchemaInspection::new(SchemaRequest::new(vec![]));
    assert!(matches!(
        inspection.handle_rows(&[]),
        Err(SchemaError::OutOfOrder(_))
    ));
    inspection.next_query().unwrap();
    let err = inspection
        .handle_error("canceling statement due to statement timeout")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "reading the catalog (table list) failed: canceling statement due to statement timeout"
    );
    assert_eq!(inspection.next_query(), None);
    assert!(inspection.finish().is_err());
}

#[test]
fn malformed_catalog_rows_are_errors_not_panics() {
    let mut inspection = SchemaInspection::new(SchemaRequest::new(vec![]));
    inspection.next_query().unwrap();
    let err = inspection
        .handle_rows(&[data_row(&[Some("x")])])
        .unwrap_err();
    assert!(matches!(err, SchemaError::UnexpectedResult { .. }), "{err}");

    let bad = data_row(&[
        Some("1"),
        Some("s"),
        Some("t"),
        Some("r"),
        None,
        None,
        None,
        None,
        Some("{"),
        Some("[]"),
        Some("[]"),
        Some("[]"),
        Some("[]"),
    ]);
    assert!(TableSchema::from_details_row(&bad).is_err());
    assert!(TableSchema::from_details_row(&data_row(&[Some("1")])).is_err());
}

#[test]
fn wide_characters_align_by_display_width() {
    let mut table = sample_table();
    table.comment = None;
    table.columns.truncate(1);
    table.columns[0].name = "名前".into();
    table.columns[0].type_name = "text".into();
    table.columns[0].not_null = false;
    table.columns[0].identity = None;
    table.indexes.clear();
    table.primary_key = None;
    table.uniques.clear();
    table.checks.clear();
    table.referenced_by.clear();
    table.json_structure.clear();
    table.kind = RelationKind::View;
    table.view_definition = Some(" SELECT 1 AS \"名前\";".into());
    assert_eq!(
        render_table(&table),
        "View \"public.users\"\n \
         Column | Type | Nullable | Default\n\
         --------+------+----------+---------\n \
         名前   | text |          |\n\
         View definition:\n \
         SELECT 1 AS \"名前\";\n"
    );
}

#[test]
fn a_name_matching_equally_ranked_schemas_is_refused_not_guessed() {
    // A real session ranks every schema of its path apart; candidates that
    // share a rank must still never be picked from arbitrarily.
    let mut inspection = SchemaInspection::new(SchemaRequest {
        tables: names(&["users"]).unwrap(),
        all_schemas: false,
        json_sample_size: 5,
    });
    inspection.next_query().unwrap();
    let err = inspection
        .handle_rows(&[
            resolution_row(0, 10, "a", "users", Some(1)),
            resolution_row(0, 11, "b", "users", Some(1)),
        ])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "table name \"users\" is ambiguous: it matches a.users, b.users; qualify it with its schema"
    );
}
