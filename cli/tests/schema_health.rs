//! `sequelae schema` and `sequelae health` end to end.

#![allow(clippy::unwrap_used)]

mod common;

use common::Db;

fn shop() -> Db {
    let db = Db::new("cli_schema");
    db.psql(
        "CREATE SCHEMA app;
         CREATE TABLE app.\"Users\"(id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                    email text UNIQUE NOT NULL, profile jsonb);
         CREATE TABLE \"order items\"(id serial PRIMARY KEY,
                                    user_id int REFERENCES app.\"Users\"(id), qty int CHECK (qty > 0));
         CREATE TABLE posts(id int PRIMARY KEY, total numeric GENERATED ALWAYS AS (id * 2) STORED);
         INSERT INTO app.\"Users\"(email, profile) VALUES
           ('a@x', '{\"name\": \"A\", \"tags\": [\"x\"], \"addr\": {\"city\": \"P\"}}'),
           ('b@x', '{\"name\": \"B\", \"age\": 3, \"addr\": {\"city\": \"Q\", \"zip\": null}}');",
    );
    db
}

#[test]
fn named_tables_comma_separated_and_quoted() {
    let db = shop();
    let run = db.run(&["schema", "app.\"Users\",\"order items\""]).ok();
    assert!(run.stdout.contains("Table \"app.Users\""), "{}", run.stdout);
    assert!(
        run.stdout.contains("generated always as identity"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Table \"public.order items\""),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("CHECK (qty > 0)"), "{}", run.stdout);
    assert!(
        run.stdout.contains("REFERENCES app.\"Users\"(id)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("addr: object"), "{}", run.stdout);
    assert!(run.stdout.contains("zip?: null"), "{}", run.stdout);
}

#[test]
fn json_report_lists_columns_keys_and_structure() {
    let db = shop();
    let v = db
        .run(&["--json", "schema", "app.\"Users\"", "posts"])
        .ok()
        .json();
    assert_eq!(v["success"], true);
    let tables = v["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 2);
    assert_eq!(tables[0]["name"], "Users");
    assert_eq!(tables[0]["columns"][0]["identity"], "always");
    assert_eq!(tables[1]["columns"][1]["type"], "numeric");
    assert!(
        tables[1]["columns"][1]["generated"]
            .as_str()
            .unwrap()
            .contains("id * 2")
    );
    assert_eq!(
        tables[0]["jsonStructure"]["profile"]["samples"], 2,
        "{}",
        tables[0]
    );
}

#[test]
fn unknown_and_hostile_names_are_just_unknown() {
    let db = shop();
    let run = db.run(&["schema", "postz", "x'||(SELECT current_user)||'"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("unknown table \"postz\"; did you mean \"posts\"?"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("unknown table \"x'||(SELECT current_user)||'\""),
        "{}",
        run.stderr
    );
}

#[test]
fn without_names_lists_the_search_path_or_all_schemas() {
    let db = shop();
    let run = db.run(&["schema"]).ok();
    assert!(run.stdout.contains("public.posts"), "{}", run.stdout);
    assert!(!run.stdout.contains("app.Users"), "{}", run.stdout);
    let run = db.run(&["schema", "--all-schemas"]).ok();
    assert!(run.stdout.contains("app.Users"), "{}", run.stdout);
}

#[test]
fn health_reports_and_judges() {
    let db = Db::new("cli_health");
    let run = db.run(&["health"]).ok();
    assert!(
        run.stdout.contains("status:        healthy"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("PostgreSQL 15"), "{}", run.stdout);
    let v = db.run(&["--json", "health"]).ok().json();
    assert_eq!(v["healthy"], true);
    assert_eq!(v["database"], db.name.as_str());
    assert!(v["versionNum"].as_u64().unwrap() >= 150000);
    assert!(v["connectLatencyMs"].as_f64().unwrap() > 0.0);
    assert!(v["uptimeSeconds"].is_u64());
}

#[test]
fn health_of_an_unreachable_server_exits_3() {
    let db = Db::new("cli_health2");
    let run = db.run(&["--database-url", "postgresql://x@127.0.0.1:1/x", "health"]);
    assert_eq!(run.code, 3);
}

#[rstest::rstest]
#[case::health_max_rows(&["--max-rows", "3", "health"][..], "--max-rows")]
#[case::health_timeout(&["--timeout", "100", "health"][..], "--timeout")]
#[case::schema_no_transaction(&["--no-transaction", "schema"][..], "--no-transaction")]
#[case::backup_max_rows(&["--max-rows", "1", "backup"][..], "--max-rows")]
fn query_flags_on_other_commands_are_refused(#[case] args: &[&str], #[case] flag: &str) {
    let db = Db::new("cli_flags");
    let run = db.run(args);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(flag), "{}", run.stderr);
}

#[test]
fn read_only_is_satisfied_by_schema() {
    let db = shop();
    db.run(&["--read-only", "schema", "posts"]).ok();
}
