//! The MCP tools against a real cluster: results as the CLI's JSON, the
//! row cap, per-call timeout, nothing leaking between pooled calls,
//! read-only mode, cancellation, concurrency and the path sandbox.

#![allow(clippy::unwrap_used)]

mod common;
mod mcp_common;

use std::path::Path;
use std::time::Duration;

use common::Db;
use mcp_common::{Server, document, modern_meta};
use serde_json::{Value, json};

fn start(db: &Db, args: &[&str], env: &[(&str, &str)], cwd: &Path) -> Server {
    let mut all = vec![("DATABASE_URL", db.url.as_str())];
    all.extend_from_slice(env);
    Server::start(args, &all, cwd)
}

fn shop() -> Db {
    let db = Db::new("mcp_tools");
    db.psql(
        "CREATE TABLE items(id int PRIMARY KEY, name text, price numeric(8,2), tags jsonb, seen timestamptz);
         INSERT INTO items SELECT g, 'item ' || g, g * 1.5, jsonb_build_object('n', g), '2026-01-01 00:00:00+00'
           FROM generate_series(1, 2500) g;",
    );
    db
}

#[test]
fn sql_exec_returns_the_clis_json_with_typed_rows() {
    let db = shop();
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(&db, &[], &[], dir.path());
    let result = s.call(
        "sql_exec",
        json!({"query": "SELECT id, name, price, tags FROM items WHERE id = 2"}),
    );
    let (doc, is_error) = document(&result);
    assert!(!is_error, "{doc}");
    let cli = db
        .run(&[
            "exec",
            "--json",
            "SELECT id, name, price, tags FROM items WHERE id = 2",
        ])
        .ok()
        .json();
    assert_eq!(doc["rows"], cli["rows"]);
    assert_eq!(doc["columns"], cli["columns"]);
    assert_eq!(
        doc["rows"][0],
        json!({"id": 2, "name": "item 2", "price": 3.0, "tags": {"n": 2}})
    );
    // The text keeps numeric digits exactly as the server sent them.
    assert!(
        result["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("\"price\":3.00")
    );
    assert_eq!(doc["success"], true);
    // Several statements: the results shape.
    let (doc, _) = document(&s.call("sql_exec", json!({"query": "SELECT 1 AS a; SELECT 2 AS b"})));
    assert_eq!(doc["results"][1]["rows"], json!([{"b": 2}]));
}

#[test]
fn rows_are_capped_with_truncated_and_a_hint() {
    let db = shop();
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(&db, &[], &[], dir.path());
    let (doc, _) = document(&s.call(
        "sql_exec",
        json!({"query": "SELECT id FROM items ORDER BY id"}),
    ));
    assert_eq!(doc["rows"].as_array().unwrap().len(), 1000, "default cap");
    assert_eq!(doc["truncated"], true);
    assert_eq!(doc["rowCount"], 2500);
    assert!(
        doc["hint"].as_str().unwrap().contains("maxRows"),
        "{}",
        doc["hint"]
    );
    let (doc, _) = document(&s.call(
        "sql_exec",
        json!({"query": "SELECT id FROM items", "maxRows": 3000}),
    ));
    assert_eq!(doc["rows"].as_array().unwrap().len(), 2500);
    assert!(doc.get("truncated").is_none() && doc.get("hint").is_none());
}

#[test]
fn a_database_error_has_sqlstate_message_detail_and_hint() {
    let db = shop();
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(&db, &[], &[], dir.path());
    let (doc, is_error) = document(&s.call(
        "sql_exec",
        json!({"query": "INSERT INTO items(id) VALUES (1)"}),
    ));
    assert!(is_error);
    assert_eq!(doc["code"], "23505", "{doc}");
    assert!(doc["error"].as_str().unwrap().contains("duplicate key"));
    assert!(
        doc["detail"].as_str().unwrap().contains("(id)=(1)"),
        "{doc}"
    );
    let (doc, _) = document(&s.call("sql_exec", json!({"query": "SELECT nme FROM items"})));
    assert_eq!(doc["code"], "42703");
    assert!(doc["hint"].as_str().unwrap().contains("name"), "{doc}");
}

#[test]
fn the_timeout_applies_to_its_call_only_and_nothing_leaks_between_pooled_calls() {
    let db = shop();
    let dir = tempfile::tempdir().unwrap();
    // One session for every call: what one call changes, the next would see.
    let mut s = start(&db, &[], &[("POSTGRES_MAX_CONNECTIONS", "1")], dir.path());
    let (doc, is_error) = document(&s.call(
        "sql_exec",
        json!({"query": "SELECT pg_sleep(5)", "timeout": 100}),
    ));
    assert!(is_error);
    assert_eq!(doc["code"], "57014", "{doc}");
    let (doc, _) = document(&s.call(
        "sql_exec",
        json!({"query": "SET search_path = nowhere; SET work_mem = '7MB'; PREPARE p AS SELECT 1; \
                          CREATE TEMP TABLE scratch(x int); SELECT pg_advisory_lock(42)",
               "readOnly": false}),
    ));
    assert_eq!(doc["success"], true, "{doc}");
    let (doc, _) = document(&s.call(
        "sql_exec",
        json!({"query": "SELECT current_setting('statement_timeout') AS timeout, \
                          current_setting('search_path') AS path, current_setting('work_mem') AS mem, \
                          current_setting('default_transaction_read_only') AS ro, \
                          (SELECT count(*) FROM pg_prepared_statements) AS prepared, \
                          (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory') AS locks, \
                          to_regclass('scratch') IS NULL AS no_temp"}),
    ));
    assert_eq!(
        doc["rows"][0],
        json!({"timeout": "0", "path": "\"$user\", public", "mem": "4MB", "ro": "off",
               "prepared": 0, "locks": 0, "no_temp": true}),
        "{doc}"
    );
    // A read-only call leaves no read-only session behind.
    let (doc, _) = document(&s.call("sql_exec", json!({"query": "SELECT 1", "readOnly": true})));
    assert_eq!(doc["success"], true);
    let (doc, _) = document(&s.call("sql_exec", json!({"query": "CREATE TABLE after_ro(x int)"})));
    assert_eq!(doc["success"], true, "{doc}");
}

#[test]
fn read_only_mode_has_the_database_refuse_writes() {
    let db = shop();
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(&db, &["--read-only"], &[], dir.path());
    for sql in [
        "CREATE TABLE nope(x int)",
        "DELETE FROM items",
        "COMMIT; DELETE FROM items",
        "SET TRANSACTION READ WRITE; DELETE FROM items",
    ] {
        let (doc, is_error) =
            document(&s.call("sql_exec", json!({"query": sql, "readOnly": false})));
        assert!(is_error, "{sql}: {doc}");
    }
    assert_eq!(db.psql("SELECT count(*) FROM items").trim(), "2500");
    let (doc, _) = document(&s.call(
        "sql_exec",
        json!({"query": "SELECT count(*) AS n FROM items"}),
    ));
    assert_eq!(doc["rows"][0]["n"], 2500);
    // Backups stay available.
    let (doc, is_error) = document(&s.call(
        "sql_backup",
        json!({"outputPath": "ro.sql", "usePgDump": false}),
    ));
    assert!(!is_error, "{doc}");
}

#[test]
fn a_cancelled_query_stops_on_the_server_and_gets_no_answer() {
    let db = shop();
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(&db, &[], &[], dir.path());
    s.send(&json!({"jsonrpc": "2.0", "id": "slow", "method": "tools/call",
                   "params": {"name": "sql_exec", "arguments": {"query": "SELECT pg_sleep(30)"}, "_meta": modern_meta()}}));
    db.wait_for_session("query = 'SELECT pg_sleep(30)' AND state = 'active'");
    // While it runs, other requests are answered.
    let (list, _) = s.request("tools/list", json!({"_meta": modern_meta()}));
    assert!(list["result"]["tools"].is_array());
    let (doc, _) = document(&s.call("sql_exec", json!({"query": "SELECT 1 AS one"})));
    assert_eq!(doc["rows"][0]["one"], 1);
    s.send(
        &json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                   "params": {"requestId": "slow", "reason": "test"}}),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while db
        .psql("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'")
        .trim()
        != "0"
    {
        assert!(std::time::Instant::now() < deadline, "pg_sleep(30) still running");
    }
    // No answer for the cancelled request: the next message is this one's.
    let (pong, _) = s.request("ping", json!({}));
    assert!(pong.get("result").is_some() || pong.get("error").is_some());
    s.expect_silence(Duration::from_millis(300));
}

#[test]
fn stdin_closing_cancels_work_in_flight() {
    let db = shop();
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(&db, &[], &[], dir.path());
    s.send(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                   "params": {"name": "sql_exec", "arguments": {"query": "SELECT pg_sleep(31)"}, "_meta": modern_meta()}}));
    db.wait_for_session("query = 'SELECT pg_sleep(31)' AND state = 'active'");
    let started = std::time::Instant::now();
    assert!(s.close().success());
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "exit waited for the query"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while db
        .psql("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(31)'")
        .trim()
        != "0"
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the query outlived the server"
        );
    }
}

#[test]
fn sql_file_reads_inside_its_root_only() {
    let db = shop();
    let root = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("q")).unwrap();
    std::fs::write(
        root.path().join("q/count.sql"),
        "-- count\nSELECT count(*) AS n FROM items;\n",
    )
    .unwrap();
    std::fs::write(outside.path().join("secret.sql"), "SELECT 'secret' AS s;").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.sql"),
        root.path().join("link.sql"),
    )
    .unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let root_str = root.path().to_str().unwrap();
    let mut s = start(&db, &[], &[("SEQUELAE_SQL_ROOT", root_str)], cwd.path());
    let (doc, is_error) = document(&s.call("sql_file", json!({"filepath": "q/count.sql"})));
    assert!(!is_error, "{doc}");
    assert_eq!(doc["rows"][0]["n"], 2500);
    let secret = outside.path().join("secret.sql");
    for bad in [
        "../x.sql",
        "q/../../x.sql",
        "/etc/passwd",
        secret.to_str().unwrap(),
        "link.sql",
    ] {
        let (doc, is_error) = document(&s.call("sql_file", json!({"filepath": bad})));
        assert!(is_error, "{bad}: {doc}");
        let message = doc["error"].as_str().unwrap();
        assert!(message.contains("filepath"), "{bad}: {message}");
        assert!(!message.contains("secret'"), "{bad}: {message}");
    }
}

#[test]
fn sql_backup_writes_inside_its_folder_only() {
    let db = shop();
    let cwd = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let mut s = start(&db, &[], &[], cwd.path());
    let (doc, is_error) = document(&s.call(
        "sql_backup",
        json!({"outputPath": "a.sql", "usePgDump": false}),
    ));
    assert!(!is_error, "{doc}");
    let folder = cwd.path().join("backups");
    assert!(
        folder.join("a.sql").is_file(),
        "created in ./backups on demand"
    );
    // An existing file is refused unless overwrite.
    let (doc, is_error) = document(&s.call(
        "sql_backup",
        json!({"outputPath": "a.sql", "usePgDump": false}),
    ));
    assert!(is_error, "{doc}");
    let (doc, is_error) = document(&s.call(
        "sql_backup",
        json!({"outputPath": "a.sql", "usePgDump": false, "overwrite": true}),
    ));
    assert!(!is_error, "{doc}");
    std::os::unix::fs::symlink(outside.path(), folder.join("out")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("x.sql"), folder.join("x.sql")).unwrap();
    for bad in [
        "../x.sql",
        "/tmp/x.sql",
        "/etc/x",
        "out/x.sql",
        "x.sql",
        "sub/../../x.sql",
    ] {
        let (doc, is_error) =
            document(&s.call("sql_backup", json!({"outputPath": bad, "usePgDump": false})));
        assert!(is_error, "{bad}: {doc}");
        assert!(
            doc["error"].as_str().unwrap().contains("outputPath"),
            "{bad}: {doc}"
        );
    }
    assert_eq!(
        std::fs::read_dir(outside.path()).unwrap().count(),
        0,
        "nothing written outside"
    );
    assert!(!cwd.path().join("x.sql").exists());
    // SEQUELAE_BACKUP_DIR moves the folder; default names land in it.
    let elsewhere = cwd.path().join("elsewhere");
    let mut s = start(
        &db,
        &[],
        &[("SEQUELAE_BACKUP_DIR", elsewhere.to_str().unwrap())],
        cwd.path(),
    );
    let (doc, is_error) = document(&s.call("sql_backup", json!({"usePgDump": false})));
    assert!(!is_error, "{doc}");
    let path = doc["outputPath"].as_str().unwrap();
    assert!(
        Path::new(path).starts_with(elsewhere.canonicalize().unwrap()),
        "{path}"
    );
}

#[test]
fn two_backups_to_one_path_are_never_interleaved() {
    let db = shop();
    db.psql("CREATE TABLE bulk AS SELECT g AS id, repeat('x', 200) AS pad FROM generate_series(1, 400000) g;");
    let cwd = tempfile::tempdir().unwrap();
    let mut s = start(&db, &[], &[], cwd.path());
    let call = |id: &str| {
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
               "params": {"name": "sql_backup", "_meta": modern_meta(),
                          "arguments": {"outputPath": "same.sql", "usePgDump": false}}})
    };
    s.send(&call("one"));
    s.send(&call("two"));
    let answers = [s.recv(), s.recv()];
    let mut ids: Vec<String> = answers.iter().map(|a| a["id"].to_string()).collect();
    ids.sort();
    assert_eq!(ids, ["\"one\"", "\"two\""]);
    let outcomes: Vec<bool> = answers
        .iter()
        .map(|a| a["result"]["isError"].as_bool().unwrap())
        .collect();
    assert_eq!(
        outcomes.iter().filter(|e| !**e).count(),
        1,
        "exactly one wins: {outcomes:?}"
    );
    let text = std::fs::read_to_string(cwd.path().join("backups/same.sql")).unwrap();
    let copies = text
        .lines()
        .filter(|l| l.starts_with("COPY ") && l.contains("bulk"))
        .count();
    assert_eq!(copies, 1, "one whole backup");
    let rows = text
        .lines()
        .filter(|l| l.ends_with(&"x".repeat(200)))
        .count();
    assert_eq!(rows, 400_000, "every row once");
}

#[test]
fn sql_schema_and_sql_health_give_the_clis_documents() {
    let db = shop();
    let cwd = tempfile::tempdir().unwrap();
    let mut s = start(&db, &[], &[], cwd.path());
    let (doc, is_error) = document(&s.call("sql_schema", json!({"tables": "items"})));
    assert!(!is_error, "{doc}");
    let cli = db.run(&["schema", "--json", "items"]).ok().json();
    assert_eq!(doc["tables"], cli["tables"]);
    let (doc, is_error) = document(&s.call("sql_schema", json!({"tables": ["no_such"]})));
    assert!(
        is_error && doc["error"].as_str().unwrap().contains("no_such"),
        "{doc}"
    );
    let (doc, _) = document(&s.call("sql_health", json!({})));
    assert_eq!(doc["healthy"], true);
    assert!(doc["version"].is_string() && doc["database"] == db.name.as_str());
    let (doc, _) = document(&s.call(
        "sql_health",
        json!({"includeVersion": false, "includeConnectionInfo": false}),
    ));
    assert!(
        doc.get("version").is_none() && doc.get("database").is_none(),
        "{doc}"
    );
    assert_eq!(doc["healthy"], true);
}

/// The server's peak memory for one call, from SEQUELAE_REPORT_PEAK_RSS
/// at exit, and the call's answer line.
fn peak_for_call(db: &Db, arguments: Value) -> (u64, Value) {
    use std::io::{BufRead, BufReader, Write};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sequelae"))
        .arg("--mcp")
        .env("DATABASE_URL", &db.url)
        .env("SEQUELAE_REPORT_PEAK_RSS", "1")
        .current_dir(std::env::temp_dir())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                         "params": {"name": "sql_exec", "arguments": arguments, "_meta": modern_meta()}});
    writeln!(stdin, "{request}").unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    (
        common::peak_kib(&stderr),
        serde_json::from_str(&line).unwrap(),
    )
}

#[test]
fn a_large_result_is_streamed_through_the_server_with_flat_memory() {
    let db = Db::new("mcp_memory");
    let sql = |n: u32| {
        format!("SELECT g AS id, md5(g::text) AS h, g * 1.5 AS x FROM generate_series(1, {n}) g")
    };
    let (small, _) = peak_for_call(&db, json!({"query": sql(1000), "maxRows": 1000}));
    let (large, answer) = peak_for_call(&db, json!({"query": sql(300_000), "maxRows": 300_000}));
    let (doc, is_error) = document(&answer["result"]);
    assert!(!is_error);
    assert_eq!(doc["rows"].as_array().unwrap().len(), 300_000);
    assert_eq!(doc["rows"][299_999]["id"], 300_000);
    // The document is some 30 MB twice over; the server holds none of it.
    assert!(
        large < small + 8 * 1024,
        "peak {large} KiB for 300,000 rows against {small} KiB for 1,000"
    );
}

/// After `notifications/cancelled` nothing more comes for the request:
/// no response, no progress; its temporary files are removed.
#[test]
fn a_cancelled_backup_sends_nothing_more_and_leaves_no_files() {
    let db = shop();
    let mut tables = String::new();
    for t in 1..=8 {
        tables.push_str(&format!(
            "CREATE TABLE t{t} AS SELECT g AS id, repeat('y', 200) AS pad FROM generate_series(1, 150000) g;"
        ));
    }
    db.psql(&tables);
    let cwd = tempfile::tempdir().unwrap();
    let mut s = start(&db, &[], &[], cwd.path());
    let mut meta = modern_meta();
    meta["progressToken"] = json!("tok");
    s.send(
        &json!({"jsonrpc": "2.0", "id": "bk", "method": "tools/call",
                   "params": {"name": "sql_backup", "_meta": meta,
                              "arguments": {"outputPath": "gone.sql", "usePgDump": false}}}),
    );
    let first = s.recv();
    assert_eq!(first["method"], "notifications/progress", "{first}");
    assert_eq!(first["params"]["progressToken"], "tok");
    s.send(
        &json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                   "params": {"requestId": "bk", "reason": "test"}}),
    );
    let (list, before) = s.request("tools/list", json!({"_meta": modern_meta()}));
    assert!(list["result"]["tools"].is_array());
    assert!(
        before.iter().all(|m| m.get("id").is_none()),
        "no response for the cancelled call: {before:?}"
    );
    // Sent before the cancellation was read, if at all: progress only.
    assert!(
        before
            .iter()
            .all(|m| m["method"] == "notifications/progress"),
        "{before:?}"
    );
    s.expect_silence(Duration::from_millis(1500));
    let folder = cwd.path().join("backups");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::fs::read_dir(&folder).unwrap().next().is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "files left: {:?}",
            std::fs::read_dir(&folder).unwrap().collect::<Vec<_>>()
        );
    }
}

/// A legacy session whose version predates structured content
/// (2025-03-26) gets the JSON as text only; 2025-06-18 gets both.
#[rstest::rstest]
#[case("2025-03-26", false)]
#[case("2025-06-18", true)]
fn structured_content_only_for_versions_that_define_it(
    #[case] version: &str,
    #[case] structured: bool,
) {
    let db = shop();
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(&db, &[], &[], dir.path());
    s.initialize(version);
    let (answer, _) = s.request(
        "tools/call",
        json!({"name": "sql_exec", "arguments": {"query": "SELECT 1 AS one"}}),
    );
    let result = &answer["result"];
    assert_eq!(result["isError"], false, "{answer}");
    assert_eq!(
        result.get("structuredContent").is_some(),
        structured,
        "{answer}"
    );
    let text: Value = serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text["rows"][0]["one"], 1);
}
