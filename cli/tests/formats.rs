//! Output formats of `exec` and `file` (table, json, ndjson, csv,
//! expanded), how table cells show values, and the command-line
//! structure: each command lists only its options; completions and the
//! man page come from the same definitions.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::Db;
use rstest::rstest;
use serde_json::{Value, json};

fn sequelae(args: &[&str]) -> common::Run {
    common::Run::from(
        Command::new(env!("CARGO_BIN_EXE_sequelae"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap(),
    )
}

#[test]
fn no_two_values_look_alike_in_a_table() {
    let db = Db::new("fmt_unambiguous");
    let run = db
        .run(&[
            "exec",
            r"SELECT E'a\tb' AS tab, 'a\tb' AS slash_t, NULL AS n, '<null>' AS word, '\N' AS slash_n, E'\x1b[0m' AS esc",
        ])
        .ok();
    assert_eq!(
        run.stdout,
        " tab  | slash_t | n  |  word  | slash_n |   esc\n\
         ------+---------+----+--------+---------+---------\n \
         a\\tb | a\\\\tb   | \\N | <null> | \\\\N     | \\x1B[0m\n\
         (1 row)\n\n"
    );
}

#[test]
fn expanded_shows_a_record_per_row() {
    let db = Db::new("fmt_expanded");
    let run = db
        .run(&[
            "exec",
            "-x",
            "SELECT g AS id, 'row ' || g AS label FROM generate_series(1, 2) g",
        ])
        .ok();
    assert_eq!(
        run.stdout,
        "-[ RECORD 1 ]-\nid    | 1\nlabel | row 1\n-[ RECORD 2 ]-\nid    | 2\nlabel | row 2\n\n"
    );
}

#[test]
fn csv_is_rfc_4180_with_a_header_and_nothing_else_on_stdout() {
    let db = Db::new("fmt_csv");
    let run = db
        .run(&[
            "exec",
            "--format",
            "csv",
            "CREATE TABLE t(id int, note text); \
             INSERT INTO t VALUES (1, 'a,b'), (2, 'say \"hi\"'), (3, E'two\\nlines'), (4, ''), (5, NULL); \
             SELECT * FROM t ORDER BY id",
        ])
        .ok();
    assert_eq!(
        run.stdout,
        "id,note\r\n1,\"a,b\"\r\n2,\"say \"\"hi\"\"\"\r\n3,\"two\nlines\"\r\n4,\"\"\r\n5,\r\n"
    );
    assert!(
        run.stderr.contains("CREATE TABLE\nINSERT 0 5\n"),
        "{}",
        run.stderr
    );
}

fn lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn ndjson_has_a_line_per_row_a_line_per_statement_and_an_end() {
    let db = Db::new("fmt_ndjson");
    let run = db
        .run(&[
            "exec",
            "--format",
            "ndjson",
            "CREATE TABLE t(id int, name text); INSERT INTO t VALUES (1, 'Ada'), (2, NULL); \
             SELECT * FROM t ORDER BY id",
        ])
        .ok();
    let records = lines(&run.stdout);
    assert_eq!(records.len(), 6, "{}", run.stdout);
    assert_eq!(records[0]["command"], "CREATE TABLE");
    assert_eq!(records[1]["command"], "INSERT");
    assert_eq!(records[1]["rowCount"], 2);
    assert_eq!(records[2], json!({"row": {"id": 1, "name": "Ada"}}));
    assert_eq!(records[3], json!({"row": {"id": 2, "name": null}}));
    assert_eq!(records[4]["command"], "SELECT");
    assert_eq!(records[5]["success"], true);
    assert_eq!(records[5]["statements"], 3);
}

#[test]
fn ndjson_ends_with_the_error_of_a_failed_run() {
    let db = Db::new("fmt_ndjson_err");
    let run = db.run(&["exec", "--format", "ndjson", "SELECT 1 AS a; SELECT 1/0"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let records = lines(&run.stdout);
    assert_eq!(records[0], json!({"row": {"a": 1}}));
    let last = records.last().unwrap();
    assert_eq!(last["success"], false);
    assert_eq!(last["code"], "22012");
}

/// The first row reaches a reader while the query is still running: the
/// rows before a long sleep are not held back in a buffer.
#[test]
fn ndjson_rows_are_written_as_they_arrive() {
    let db = Db::new("fmt_ndjson_live");
    let mut child = db
        .command(&[
            "exec",
            "--format",
            "ndjson",
            // Enough rows to pass the server's own 8 kB send buffer (but
            // not 64 kB), then a wait far longer than the deadline below.
            "SELECT g AS n, repeat('x', 100) AS pad FROM generate_series(1, 500) g \
             UNION ALL SELECT 0, pg_sleep(120)::text",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut first = String::new();
        let _ = BufReader::new(stdout).read_line(&mut first);
        let _ = sender.send(first);
    });
    let first = receiver.recv_timeout(Duration::from_secs(60));
    let _ = child.kill();
    let _ = child.wait();
    let first = first.expect("no row within 60 s while the query still runs");
    assert!(first.starts_with(r#"{"row":{"n":1,"pad":"xxx"#), "{first}");
}

#[test]
fn ndjson_stops_when_the_reader_goes_away() {
    let db = Db::new("fmt_ndjson_head");
    let mut child = db
        .command(&[
            "exec",
            "--format",
            "ndjson",
            "SELECT g FROM generate_series(1, 50000000) g",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first, "{\"row\":{\"g\":1}}\n");
    let run = common::Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, 141, "{}", run.stderr);
}

#[test]
fn format_json_is_json() {
    let db = Db::new("fmt_json");
    let long = db
        .run(&["exec", "--format", "json", "SELECT 1 AS a"])
        .ok()
        .json();
    let short = db.run(&["exec", "--json", "SELECT 1 AS a"]).ok().json();
    assert_eq!(long["rows"], json!([{"a": 1}]));
    assert_eq!(short["rows"], long["rows"]);
}

#[rstest]
#[case::json_and_csv(&["exec", "--json", "--format", "csv", "SELECT 1"][..], "--format csv")]
#[case::expanded_csv(&["exec", "-x", "--format", "csv", "SELECT 1"][..], "--expanded")]
#[case::schema_ndjson(&["schema", "--format", "ndjson"][..], "possible values: table, json")]
#[case::health_csv(&["health", "--format", "csv"][..], "possible values: table, json")]
#[case::leading_flag(&["--max-rows", "3", "health"][..], "--max-rows does not apply to `sequelae health`")]
#[case::after_the_command(&["health", "--max-rows", "3"][..], "--max-rows")]
#[case::json_on_completions(&["--json", "completions", "bash"][..], "--json does not apply")]
fn formats_and_flags_that_do_not_apply_are_usage_errors(
    #[case] args: &[&str],
    #[case] message: &str,
) {
    let run = sequelae(args);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(message), "{}", run.stderr);
}

#[rstest]
#[case::health("health", &["--database-url", "--format", "--json"][..], &["--max-rows", "--no-transaction", "--read-only", "--timeout", "--expanded"][..])]
#[case::schema("schema", &["--format", "--timeout", "--read-only"][..], &["--max-rows", "--no-transaction", "--expanded"][..])]
#[case::backup("backup", &["--json", "--read-only", "--database-url"][..], &["--max-rows", "--no-transaction", "--timeout", "--expanded"][..])]
#[case::exec("exec", &["--format", "--expanded", "--timeout", "--max-rows", "--no-transaction", "--read-only"][..], &[][..])]
fn each_command_lists_only_its_options(
    #[case] command: &str,
    #[case] listed: &[&str],
    #[case] absent: &[&str],
) {
    let help = sequelae(&[command, "--help"]);
    assert_eq!(help.code, 0, "{}", help.stderr);
    for flag in listed {
        assert!(
            help.stdout.contains(flag),
            "{flag} missing:\n{}",
            help.stdout
        );
    }
    for flag in absent {
        assert!(
            !help.stdout.contains(flag),
            "{flag} listed:\n{}",
            help.stdout
        );
    }
}

#[test]
fn the_old_spelling_with_options_before_the_command_still_works() {
    let db = Db::new("fmt_leading");
    let v = db
        .run(&[
            "--json",
            "--timeout",
            "5000",
            "--max-rows",
            "1",
            "--read-only",
            "exec",
            "SELECT g FROM generate_series(1, 3) g",
        ])
        .ok()
        .json();
    assert_eq!(v["rows"], json!([{"g": 1}]));
    assert_eq!(v["truncated"], true);
    db.run(&["--read-only", "--timeout", "5000", "schema"]).ok();
}

#[rstest]
#[case::bash("bash", "--max-rows")]
#[case::zsh("zsh", "--max-rows")]
#[case::fish("fish", "max-rows")]
fn completions_cover_every_command(#[case] shell: &str, #[case] flag: &str) {
    let run = sequelae(&["completions", shell]).ok();
    for word in ["exec", "file", "schema", "health", "backup", flag] {
        assert!(run.stdout.contains(word), "{word} missing for {shell}");
    }
}

#[test]
fn fish_completes_health_without_query_options() {
    let run = sequelae(&["completions", "fish"]).ok();
    let health: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains("using_subcommand health"))
        .collect();
    assert!(health.iter().any(|l| l.contains("-l format")), "{health:?}");
    assert!(!health.iter().any(|l| l.contains("max-rows")), "{health:?}");
}

#[test]
fn man_pages_for_the_tool_and_each_command() {
    let run = sequelae(&["man"]).ok();
    assert!(run.stdout.starts_with(".ie"), "{}", run.stdout);
    assert!(run.stdout.contains(".TH sequelae 1"), "{}", run.stdout);
    for command in ["exec", "file", "schema", "health", "backup"] {
        assert!(run.stdout.contains(command), "{command}");
        let page = sequelae(&["man", command]).ok();
        assert!(
            page.stdout.contains(&format!(".TH sequelae-{command} 1")),
            "{}",
            page.stdout
        );
    }
    let exec = sequelae(&["man", "exec"]).ok();
    assert!(exec.stdout.contains("ndjson"), "{}", exec.stdout);
    let unknown = sequelae(&["man", "nope"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("exec"), "{}", unknown.stderr);
}
