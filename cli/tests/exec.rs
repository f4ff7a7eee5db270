//! `sequelae exec` end to end: output, JSON fidelity, transactions,
//! read-only, timeouts, truncation, errors and exit codes.

#![allow(clippy::unwrap_used)]

mod common;

use common::Db;
use rstest::rstest;
use serde_json::json;

#[test]
fn human_output_is_psql_like_with_every_result_in_order() {
    let db = Db::new("cli_human");
    let run = db
        .run(&[
            "exec",
            "CREATE TABLE t(id int, name text); INSERT INTO t VALUES (1, 'Ada'), (22, NULL); \
             SELECT * FROM t ORDER BY id; SELECT 'x' AS only",
        ])
        .ok();
    assert_eq!(
        run.stdout,
        "CREATE TABLE\nINSERT 0 2\n id | name\n----+------\n  1 | Ada\n 22 | \\N\n(2 rows)\n\n only\n------\n x\n(1 row)\n\n"
    );
    assert!(!run.stdout.contains("sequelae"), "no banner on stdout");
}

#[test]
fn json_single_statement_keeps_the_original_shape() {
    let db = Db::new("cli_json1");
    let v = db
        .run(&["--json", "exec", "SELECT 1 AS a, 'x' AS b"])
        .ok()
        .json();
    assert_eq!(v["success"], true);
    assert_eq!(v["command"], "SELECT");
    assert_eq!(v["rowCount"], 1);
    assert_eq!(v["rows"], json!([{"a": 1, "b": "x"}]));
    assert_eq!(
        v["columns"],
        json!([{"name": "a", "type": "integer"}, {"name": "b", "type": "text"}])
    );
    assert!(v["duration"].as_f64().unwrap() >= 0.0);
}

#[test]
fn json_several_statements_give_results() {
    let db = Db::new("cli_json2");
    let v = db
        .run(&[
            "--json",
            "exec",
            "CREATE TABLE t(a int); INSERT INTO t VALUES (1),(2); SELECT a FROM t ORDER BY a",
        ])
        .ok()
        .json();
    assert_eq!(v["success"], true);
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["command"], "CREATE TABLE");
    assert_eq!(results[1]["command"], "INSERT");
    assert_eq!(results[1]["rowCount"], 2);
    assert_eq!(results[2]["rows"], json!([{"a": 1}, {"a": 2}]));
}

#[rstest]
#[case::int2("1::int2", json!(1))]
#[case::int4("(-2147483648)::int4", json!(-2147483648i64))]
#[case::oid("4294967295::oid", json!(4294967295u64))]
#[case::int8_exact("9007199254740991::int8", json!(9007199254740991u64))]
#[case::int8_too_big("9007199254740992::int8", json!("9007199254740992"))]
#[case::float8("1.5::float8", json!(1.5))]
#[case::float4("0.25::float4", json!(0.25))]
#[case::float_nan("'NaN'::float8", json!("NaN"))]
#[case::float_inf("'-Infinity'::float8", json!("-Infinity"))]
#[case::numeric_exact("12.50::numeric", json!(12.5))]
#[case::numeric_long("1234567890.123456789::numeric", json!("1234567890.123456789"))]
#[case::numeric_nan("'NaN'::numeric", json!("NaN"))]
#[case::bool_true("true", json!(true))]
#[case::bool_false("false", json!(false))]
#[case::jsonb("'{\"a\": [1, null, \"x\"]}'::jsonb", json!({"a": [1, null, "x"]}))]
#[case::json("'[1, 2]'::json", json!([1, 2]))]
#[case::bytea("'\\xdeadbeef'::bytea", json!("\\xdeadbeef"))]
#[case::date("'2024-02-29'::date", json!("2024-02-29"))]
#[case::timestamp("'2024-02-29 13:14:15.5'::timestamp", json!("2024-02-29 13:14:15.5"))]
#[case::null("NULL::int", json!(null))]
#[case::text_unicode("'Grüße 🐘'", json!("Grüße 🐘"))]
#[case::array("ARRAY[1,2]", json!("{1,2}"))]
fn json_values_are_typed_by_oid(#[case] expr: &str, #[case] expected: serde_json::Value) {
    let db = Db::new("cli_types");
    let v = db
        .run(&["--json", "exec", &format!("SELECT {expr} AS v")])
        .ok()
        .json();
    assert_eq!(v["rows"][0]["v"], expected, "{expr}");
}

/// Timestamps are printed by the server in its TimeZone and passed through:
/// the client's own time zone never shifts them.
#[test]
fn timestamptz_is_what_the_server_prints_whatever_the_local_zone() {
    let db = Db::new("cli_tz");
    let sql = "SELECT '2024-06-01 12:00:00+00'::timestamptz AS v";
    let expected = db.psql(&format!("SET TimeZone = 'UTC'; {sql}"));
    let mut cmd = db.command(&["--json", "exec", &format!("SET TimeZone = 'UTC'; {sql}")]);
    cmd.env("TZ", "Asia/Kolkata");
    let run = common::Run::from(cmd.output().unwrap()).ok();
    let v = run.json();
    assert_eq!(v["results"][1]["rows"][0]["v"], expected.trim());
}

#[test]
fn json_error_shape_has_code_and_numeric_position() {
    let db = Db::new("cli_jerr");
    let run = db.run(&["--json", "exec", "SELECT * FROM nope"]);
    assert_eq!(run.code, 1);
    let v = run.json();
    assert_eq!(v["success"], false);
    assert_eq!(v["error"], "relation \"nope\" does not exist");
    assert_eq!(v["code"], "42P01");
    assert_eq!(v["position"], 15);
}

#[test]
fn errors_are_rendered_like_psql() {
    let db = Db::new("cli_perr");
    let run = db.run(&["exec", "SELECT 1,\n  2 FROM nope"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "ERROR:  relation \"nope\" does not exist\nLINE 2:   2 FROM nope\n                 ^\n"
    );
    let run = db.run(&[
        "exec",
        "CREATE TABLE u(id int PRIMARY KEY); INSERT INTO u VALUES (1), (1)",
    ]);
    assert!(
        run.stderr.contains("DETAIL:  Key (id)=(1) already exists."),
        "{}",
        run.stderr
    );
}

#[test]
fn a_failure_rolls_back_the_whole_input() {
    let db = Db::new("cli_tx");
    db.psql("CREATE TABLE t(a int)");
    let run = db.run(&[
        "exec",
        "INSERT INTO t VALUES (1); INSERT INTO t VALUES ('x')",
    ]);
    assert_eq!(run.code, 1);
    assert_eq!(db.psql("SELECT count(*) FROM t").trim(), "0");
    // --no-transaction keeps what succeeded.
    let run = db.run(&[
        "--no-transaction",
        "exec",
        "INSERT INTO t VALUES (1); INSERT INTO t VALUES ('x')",
    ]);
    assert_eq!(run.code, 1);
    assert_eq!(db.psql("SELECT count(*) FROM t").trim(), "1");
}

#[test]
fn statements_that_need_no_transaction_say_so() {
    let db = Db::new("cli_vac");
    let run = db.run(&["exec", "VACUUM"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("--no-transaction"), "{}", run.stderr);
    db.run(&["--no-transaction", "exec", "VACUUM"]).ok();
}

#[test]
fn an_open_begin_never_outlives_the_command() {
    let db = Db::new("cli_begin");
    db.psql("CREATE TABLE t(a int)");
    for flags in [&[][..], &["--no-transaction"][..]] {
        let mut args = flags.to_vec();
        args.extend(["exec", "BEGIN; INSERT INTO t VALUES (1)"]);
        let run = db.run(&args).ok();
        assert!(run.stderr.contains("rolled back"), "{}", run.stderr);
        assert_eq!(db.psql("SELECT count(*) FROM t").trim(), "0");
    }
    // Nothing left idle in transaction on the server.
    let open = db.psql(&format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND state LIKE 'idle in%'",
        db.name
    ));
    assert_eq!(open.trim(), "0");
}

#[rstest]
#[case::plain("INSERT INTO t VALUES (1)")]
#[case::commit_first("COMMIT; INSERT INTO t VALUES (1)")]
#[case::set_read_write("SET TRANSACTION READ WRITE; INSERT INTO t VALUES (1)")]
#[case::begin_read_write("COMMIT; BEGIN READ WRITE; INSERT INTO t VALUES (1)")]
#[case::session_default(
    "SET default_transaction_read_only = off; COMMIT; INSERT INTO t VALUES (1)"
)]
#[case::session_characteristics(
    "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE; COMMIT; INSERT INTO t VALUES (1)"
)]
#[case::backslash_semicolon(
    "SET default_transaction_read_only = off \\; COMMIT \\; INSERT INTO t VALUES (1)"
)]
#[case::copy_from_stdin("COPY t FROM STDIN;\n1\n\\.\n")]
#[case::in_a_function(
    "SELECT pg_catalog.set_config('default_transaction_read_only', 'off', false); COMMIT; INSERT INTO t VALUES (1)"
)]
fn read_only_is_enforced_by_the_database(#[case] sql: &str) {
    let db = Db::new("cli_ro");
    db.psql("CREATE TABLE t(a int)");
    let run = db.run(&["--read-only", "exec", sql]);
    assert_ne!(run.code, 0, "{sql}: {}", run.stdout);
    assert_eq!(db.psql("SELECT count(*) FROM t").trim(), "0", "{sql}");
}

#[test]
fn read_only_reads_fine_and_refuses_no_transaction() {
    let db = Db::new("cli_ro2");
    db.run(&["--read-only", "exec", "SELECT 1"]).ok();
    let run = db.run(&["--read-only", "--no-transaction", "exec", "SELECT 1"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--no-transaction"), "{}", run.stderr);
}

#[test]
fn timeout_cancels_on_the_server() {
    let db = Db::new("cli_timeout");
    let started = std::time::Instant::now();
    let run = db.run(&["--timeout", "300", "--json", "exec", "SELECT pg_sleep(20)"]);
    assert_eq!(run.code, 1);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let v = run.json();
    assert_eq!(v["code"], "57014");
    assert!(v["hint"].as_str().unwrap().contains("--timeout"), "{v}");
    // QUERY_TIMEOUT is the environment's way to say the same.
    let mut cmd = db.command(&["exec", "SELECT pg_sleep(20)"]);
    cmd.env("QUERY_TIMEOUT", "300");
    let run = common::Run::from(cmd.output().unwrap());
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("canceling statement"), "{}", run.stderr);
}

#[test]
fn max_rows_says_it_truncated() {
    let db = Db::new("cli_max");
    let run = db
        .run(&[
            "--max-rows",
            "3",
            "exec",
            "SELECT g FROM generate_series(1, 10) g",
        ])
        .ok();
    assert!(run.stdout.contains(" 3\n"), "{}", run.stdout);
    assert!(!run.stdout.contains(" 4\n"), "{}", run.stdout);
    assert!(run.stdout.contains("3 of 10 rows shown"), "{}", run.stdout);
    let v = db
        .run(&[
            "--max-rows",
            "3",
            "--json",
            "exec",
            "SELECT g FROM generate_series(1, 10) g",
        ])
        .ok()
        .json();
    assert_eq!(v["truncated"], true);
    assert_eq!(v["rowsReturned"], 3);
    assert_eq!(v["rowCount"], 10);
    assert_eq!(v["rows"].as_array().unwrap().len(), 3);
}

#[test]
fn cannot_connect_exits_3_naming_host_and_port_not_password() {
    let db = Db::new("cli_conn");
    let mut cmd = db.command(&["exec", "SELECT 1"]);
    cmd.env(
        "DATABASE_URL",
        "postgresql://someone:S3cret%20pw@127.0.0.1:1/x",
    );
    let run = common::Run::from(cmd.output().unwrap());
    assert_eq!(run.code, 3);
    assert!(
        run.stderr.contains("\"127.0.0.1\", port 1"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("S3cret"), "{}", run.stderr);
}

#[test]
fn usage_errors_exit_2() {
    let db = Db::new("cli_usage");
    let run = db.run(&[
        "--database-url",
        "postgres://h/d?sslmode=bogus",
        "exec",
        "SELECT 1",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("sslmode"), "{}", run.stderr);
    let run = db.run(&["exec"]);
    assert_eq!(run.code, 2);
}

#[test]
fn json_failures_outside_statements_are_json_too() {
    let db = Db::new("cli_jconn");
    let run = db.run(&[
        "--json",
        "--database-url",
        "postgresql://x@127.0.0.1:1/x",
        "exec",
        "SELECT 1",
    ]);
    assert_eq!(run.code, 3);
    let v = run.json();
    assert_eq!(v["success"], false);
    assert!(v["error"].as_str().unwrap().contains("port 1"));
}

#[test]
fn notices_go_to_stderr() {
    let db = Db::new("cli_notice");
    let run = db
        .run(&["exec", "DO $$BEGIN RAISE NOTICE 'hello %', 42; END$$"])
        .ok();
    assert_eq!(run.stdout, "DO\n");
    assert_eq!(run.stderr, "NOTICE:  hello 42\n");
}

#[test]
fn database_url_from_a_dot_env_file_and_pg_variables() {
    let db = Db::new("cli_dotenv");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        format!("# local settings\nexport DATABASE_URL=\"{}\"\n", db.url),
    )
    .unwrap();
    let mut cmd = db.command(&["--json", "exec", "SELECT current_database() AS d"]);
    cmd.env_remove("DATABASE_URL").current_dir(dir.path());
    let run = common::Run::from(cmd.output().unwrap()).ok();
    assert_eq!(run.json()["rows"][0]["d"], db.name.as_str());

    // Without DATABASE_URL anywhere, the PG* variables are used, as psql does.
    let cluster = sequelae_tests::Cluster::shared();
    let mut cmd = db.command(&["--json", "exec", "SELECT current_database() AS d"]);
    cmd.env_remove("DATABASE_URL")
        .env("PGHOST", cluster.socket_dir().as_str())
        .env("PGPORT", cluster.port().to_string())
        .env("PGUSER", "postgres")
        .env("PGDATABASE", &db.name);
    let run = common::Run::from(cmd.output().unwrap()).ok();
    assert_eq!(run.json()["rows"][0]["d"], db.name.as_str());
}

#[test]
fn a_statement_with_several_result_sets_keeps_them_all() {
    let db = Db::new("cli_multiset");
    let v = db
        .run(&["--json", "exec", "SELECT 1 AS a \\; SELECT 2 AS b"])
        .ok()
        .json();
    assert_eq!(v["rows"], json!([{"a": 1}]));
    assert_eq!(v["additionalResults"][0]["rows"], json!([{"b": 2}]));
    let v = db
        .run(&[
            "--json",
            "exec",
            "SELECT 1 AS a \\; SELECT 2 AS b; SELECT 3 AS c",
        ])
        .ok()
        .json();
    // In the results shape every completed result is an entry.
    assert_eq!(v["results"][1]["rows"], json!([{"b": 2}]));
    assert_eq!(v["results"][2]["rows"], json!([{"c": 3}]));
    let run = db.run(&["exec", "SELECT 1 AS a \\; SELECT 2 AS b"]).ok();
    assert!(
        run.stdout.contains(" a\n---\n 1\n(1 row)\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(" b\n---\n 2\n(1 row)\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_late_script_error_still_closes_one_json_document() {
    let db = Db::new("cli_late");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.sql");
    // More than the 64 KB output buffer before the bad line.
    let mut script = "SELECT g FROM generate_series(1, 20000) g;\n".to_string();
    script.push_str("SELECT 2;\n\\copy t from 'x'\n");
    std::fs::write(&path, script).unwrap();
    // A file is checked whole before it runs: refused, nothing ran.
    let run = db.run(&["--json", "file", path.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    let v = run.json();
    assert_eq!(v["success"], false);
    assert!(v["error"].as_str().unwrap().contains("line 3"), "{v}");
    // On stdin the error is found as the script is read: the document
    // keeps the results before it and stays one document.
    let stdin = std::fs::File::open(&path).unwrap();
    let run = common::Run::from(
        db.command(&["--json", "file", "-"])
            .stdin(stdin)
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 2);
    let v = run.json();
    assert_eq!(v["success"], false);
    assert!(v["error"].as_str().unwrap().contains("line 3"), "{v}");
    assert_eq!(v["results"][0]["rowCount"], 20000);
}

#[test]
fn output_closed_early_stops_quietly_and_leaves_nothing_open() {
    use std::io::Read;
    let db = Db::new("cli_pipe");
    let mut child = db
        .command(&[
            "exec",
            "SELECT g, repeat('x', 100) FROM generate_series(1, 3000000) g",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut head = [0u8; 100];
    stdout.read_exact(&mut head).unwrap();
    drop(stdout);
    let run = common::Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, 141, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn a_session_killed_mid_script_exits_3() {
    let db = Db::new("cli_killed");
    let run = db.run(&[
        "--json",
        "exec",
        "SELECT 'first'; SELECT pg_terminate_backend(pg_backend_pid())",
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["success"], false);
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("terminating connection"),
        "{v}"
    );
}

/// With statement_timeout switched off by the SQL itself, the client-side
/// deadline still cancels the statement on the server.
#[test]
fn timeout_holds_even_when_the_sql_disables_statement_timeout() {
    let db = Db::new("cli_timeout2");
    let started = std::time::Instant::now();
    let run = db.run(&[
        "--timeout",
        "300",
        "exec",
        "SET statement_timeout = 0; SELECT pg_sleep(20)",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("canceling statement due to user request"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--timeout"), "{}", run.stderr);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn bad_command_line_words_with_json_still_give_a_json_document() {
    let db = Db::new("cli_badargs");
    let run = db.run(&["--json", "backup", "--compress", "10"]);
    assert_eq!(run.code, 2);
    let v = run.json();
    assert_eq!(v["success"], false);
    assert!(v["error"].as_str().unwrap().contains("--compress"), "{v}");
    let run = db.run(&["--version"]).ok();
    assert!(run.stdout.starts_with("sequelae "), "{}", run.stdout);
}

/// A COMMIT or ROLLBACK inside the input ends the one transaction the
/// run is in: sequelae says so, naming the statement, in text (stderr)
/// and in the JSON document's `warnings`, also when a later statement
/// fails.
#[rstest]
#[case::commit_text(
    false,
    "INSERT INTO t VALUES (1);\ncommit; INSERT INTO t VALUES (2); SELECT 1/0",
    "line 2: `commit` ended the transaction",
    1
)]
#[case::commit_json(
    true,
    "INSERT INTO t VALUES (1);\ncommit; INSERT INTO t VALUES (2); SELECT 1/0",
    "line 2: `commit` ended the transaction",
    1
)]
#[case::rollback_json(
    true,
    "INSERT INTO t VALUES (1); ROLLBACK; INSERT INTO t VALUES (2)",
    "line 1: `ROLLBACK` ended the transaction",
    0
)]
#[case::end_text(
    false,
    "INSERT INTO t VALUES (1); END; SELECT 1",
    "line 1: `END` ended the transaction",
    0
)]
fn a_commit_inside_the_input_is_named_in_a_warning(
    #[case] json: bool,
    #[case] sql: &str,
    #[case] expected: &str,
    #[case] code: i32,
) {
    let db = Db::new("cli_commit_warn");
    db.psql("CREATE TABLE t(a int)");
    let mut args = vec!["exec", sql];
    if json {
        args.insert(0, "--json");
    }
    let run = db.run(&args);
    assert_eq!(run.code, code, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("sequelae: warning: {expected}")),
        "{}",
        run.stderr
    );
    if json {
        let v = run.json();
        let warnings = v["warnings"].as_array().unwrap_or_else(|| panic!("{v}"));
        assert_eq!(warnings.len(), 1, "{v}");
        assert!(warnings[0].as_str().unwrap().starts_with(expected), "{v}");
    }
}

/// Without a COMMIT of the user's, no warning.
#[test]
fn no_warning_without_a_commit_in_the_input() {
    let db = Db::new("cli_no_warn");
    let run = db
        .run(&[
            "--json",
            "exec",
            "CREATE TABLE t(a int); INSERT INTO t VALUES (1)",
        ])
        .ok();
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    assert_eq!(run.json().get("warnings"), None);
}
