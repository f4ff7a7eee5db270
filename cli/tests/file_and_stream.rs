//! `sequelae file`, streaming memory bounds measured on the real binary,
//! and Ctrl-C.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Db, Run, peak_kib};
use rstest::rstest;

#[test]
fn file_runs_statements_with_inline_copy_data() {
    let db = Db::new("cli_file");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("load.sql");
    std::fs::write(
        &path,
        "-- a pg_dump-style script\nSET client_min_messages = warning;\n\
         CREATE TABLE t (id int, note text);\n\
         COPY t (id, note) FROM stdin;\n1\tsemi; colon\n2\t\\N\n3\tback\\\\slash\n\\.\n\
         CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $_$ SELECT 1; $_$;\n\
         SELECT count(*) AS n, f() FROM t;\n",
    )
    .unwrap();
    let run = db.run(&["file", path.to_str().unwrap()]).ok();
    assert!(run.stdout.contains("COPY 3\n"), "{}", run.stdout);
    assert!(run.stdout.contains(" 3 | 1\n"), "{}", run.stdout);
    assert_eq!(
        db.psql("SELECT string_agg(coalesce(note, '<null>'), '|' ORDER BY id) FROM t")
            .trim(),
        "semi; colon|<null>|back\\slash"
    );
}

#[test]
fn file_errors_name_the_file_and_line() {
    let db = Db::new("cli_file_err");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.sql");
    std::fs::write(&path, "SELECT 1;\n\nSELECT *\n  FROM nope;\n").unwrap();
    let run = db.run(&["file", path.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.starts_with(&format!(
            "{}:3: ERROR:  relation \"nope\" does not exist\nLINE 2:   FROM nope",
            path.display()
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn meta_commands_are_refused_with_their_line_before_anything_runs() {
    let db = Db::new("cli_meta");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("meta.sql");
    std::fs::write(&path, "CREATE TABLE t(a int);\n\\copy t from 'x.csv'\n").unwrap();
    let run = db.run(&["file", path.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("line 2"), "{}", run.stderr);
    assert!(run.stderr.contains("\\copy"), "{}", run.stderr);
    assert!(db.psql("SELECT to_regclass('t') IS NULL").trim() == "t");
}

#[test]
fn missing_file_is_a_usage_error() {
    let db = Db::new("cli_nofile");
    let run = db.run(&["file", "/nonexistent/x.sql"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("/nonexistent/x.sql"), "{}", run.stderr);
}

/// A 120 MB script on stdin (one COPY block) loads with flat memory: the
/// file is never held whole.
#[test]
fn a_large_file_on_stdin_streams() {
    let db = Db::new("cli_bigfile");
    db.psql("CREATE TABLE big(id int, pad text)");
    let mut child = db
        .command(&["file", "-"])
        .env("SEQUELAE_REPORT_PEAK_RSS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        stdin.write_all(b"COPY big FROM stdin;\n").unwrap();
        let pad = "x".repeat(110);
        let mut block = String::new();
        for i in 0..1_000_000u32 {
            block.push_str(&format!("{i}\t{pad}\n"));
            if block.len() > 1 << 20 {
                stdin.write_all(block.as_bytes()).unwrap();
                block.clear();
            }
        }
        block.push_str("\\.\nSELECT count(*) FROM big;\n");
        stdin.write_all(block.as_bytes()).unwrap();
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let run = Run::from(out).ok();
    assert!(run.stdout.contains("COPY 1000000"), "{}", run.stdout);
    let peak = peak_kib(&run.stderr);
    println!("file - with 120 MB of COPY data: peak {peak} KiB");
    assert!(peak < 30 * 1024, "peak {peak} KiB");
}

fn select_peak(db: &Db, json: bool, rows: u64) -> (u64, u64) {
    let sql =
        format!("SELECT g, md5(g::text) AS h, g * 1.5 AS x FROM generate_series(1, {rows}) g");
    let mut args = vec!["exec", sql.as_str()];
    if json {
        args.insert(0, "--json");
    }
    let mut child = db
        .command(&args)
        .env("SEQUELAE_REPORT_PEAK_RSS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read stdout as a pipe, the way a user's `| wc -l` would.
    let mut stdout = child.stdout.take().unwrap();
    let mut lines = 0u64;
    let mut last = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = stdout.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        last = buf[..n].to_vec();
    }
    let out = child.wait_with_output().unwrap();
    let run = Run::from(out).ok();
    let tail = String::from_utf8_lossy(&last).into_owned();
    if json {
        assert!(tail.ends_with("\"success\":true}\n"), "cut short: {tail}");
    } else {
        assert!(
            tail.ends_with(&format!("({rows} rows)\n\n")),
            "cut short: {tail}"
        );
    }
    (peak_kib(&run.stderr), lines)
}

/// The streaming bound, measured on the process: a 2-million-row SELECT
/// (the benchmark runs 5 million in release mode) stays far under 30 MB in
/// both output modes, and the output arrives whole through a pipe.
#[test]
fn a_large_select_streams_in_both_modes() {
    let db = Db::new("cli_stream");
    let (human, lines) = select_peak(&db, false, 2_000_000);
    assert_eq!(lines, 2_000_000 + 4);
    let (json, _) = select_peak(&db, true, 2_000_000);
    println!("2M-row SELECT peak: human {human} KiB, json {json} KiB");
    assert!(human < 30 * 1024, "human peak {human} KiB");
    assert!(json < 30 * 1024, "json peak {json} KiB");
}

#[rstest]
#[case::ctrl_c("-INT", 130, "interrupted by Ctrl-C")]
#[case::sigterm("-TERM", 143, "terminated (SIGTERM)")]
fn a_signal_cancels_on_the_server_and_exits_with_its_code(
    #[case] signal: &str,
    #[case] code: i32,
    #[case] message: &str,
) {
    let db = Db::new("cli_ctrlc");
    let child = db
        .command(&["exec", "SELECT pg_sleep(30)"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    db.wait_for_session("state = 'active' AND query = 'SELECT pg_sleep(30)'");
    let sent = Instant::now();
    let status = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let run = Run::from(child.wait_with_output().unwrap());
    let took = sent.elapsed();
    assert_eq!(run.code, code, "{}", run.stderr);
    assert!(run.stderr.contains(message), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("canceling statement due to user request"),
        "{}",
        run.stderr
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let left = db.psql(&format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND query = 'SELECT pg_sleep(30)' AND state = 'active'",
        db.name
    ));
    assert_eq!(left.trim(), "0", "the server is still sleeping");
}

/// Waits, with a deadline, for the child to exit on its own: a run that
/// waits for more input instead fails the test (and is killed).
fn exits_by_itself(child: &mut std::process::Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what}: sequelae still runs 30 s after the signal");
        }
        std::thread::yield_now();
    }
}

/// A signal while `file -` waits on stdin (the writer keeps it open, as
/// a producer that has not finished would) stops the script at once,
/// rolls back what ran, and exits with the signal's code and message;
/// with --json the output stays one document. Sent to the process or to
/// its whole process group (a terminal's Ctrl-C), and also right at the
/// end of the input.
#[rstest]
#[case::ctrl_c("INT", false, false, 130, "interrupted by Ctrl-C")]
#[case::sigterm("TERM", false, false, 143, "terminated (SIGTERM)")]
#[case::ctrl_c_to_the_group("INT", true, false, 130, "interrupted by Ctrl-C")]
#[case::sigterm_to_the_group("TERM", true, false, 143, "terminated (SIGTERM)")]
#[case::ctrl_c_at_end_of_input("INT", false, true, 130, "interrupted by Ctrl-C")]
#[case::sigterm_at_end_of_input("TERM", true, true, 143, "terminated (SIGTERM)")]
fn a_signal_while_reading_stdin_rolls_back(
    #[case] signal: &str,
    #[case] group: bool,
    #[case] close_input: bool,
    #[case] code: i32,
    #[case] message: &str,
) {
    use std::os::unix::process::CommandExt;
    let db = Db::new("cli_ctrlc2");
    db.psql("CREATE TABLE t(a int)");
    let mut command = db.command(&["--json", "file", "-"]);
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if group {
        command.process_group(0);
    }
    let mut child = command.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\nSELECT 'marker';\n")
        .unwrap();
    stdin.flush().unwrap();
    // Two inserts ran; the script sits idle in its transaction after the
    // marker, waiting for more input.
    db.wait_for_session("state = 'idle in transaction' AND query = 'SELECT ''marker'''");
    let target = if group {
        format!("-{}", child.id())
    } else {
        child.id().to_string()
    };
    let sent = std::process::Command::new("kill")
        .args([&format!("-{signal}"), "--", &target])
        .status()
        .unwrap();
    assert!(sent.success());
    let stdin = if close_input {
        drop(stdin);
        None
    } else {
        Some(stdin)
    };
    exits_by_itself(&mut child, signal);
    let run = Run::from(child.wait_with_output().unwrap());
    drop(stdin);
    assert_eq!(run.code, code, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["success"], false, "{v}");
    assert_eq!(v["error"], message, "{v}");
    assert_eq!(db.psql("SELECT count(*) FROM t").trim(), "0");
}

/// Even with --no-transaction, a bad line far down a file stops the run
/// before its first statement.
#[test]
fn a_late_meta_command_in_a_file_stops_everything_before_it_runs() {
    let db = Db::new("cli_late_meta");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.sql");
    let mut script = String::from("CREATE TABLE t(a int);\n");
    for i in 0..1000 {
        script.push_str(&format!("INSERT INTO t VALUES ({i});\n"));
    }
    script.push_str("\\i other.sql\n");
    std::fs::write(&path, script).unwrap();
    let run = db.run(&["--no-transaction", "file", path.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("line 1002"), "{}", run.stderr);
    assert_eq!(db.psql("SELECT to_regclass('t') IS NULL").trim(), "t");
}

/// A NUL byte far down a file is refused with the file and its line
/// before the first statement runs, even with --no-transaction.
#[test]
fn a_nul_byte_in_a_file_is_refused_before_anything_runs() {
    let db = Db::new("cli_nul");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nul.sql");
    std::fs::write(
        &path,
        b"CREATE TABLE t(a int);\nINSERT INTO t VALUES (1);\nSELECT 'a\0b';\n",
    )
    .unwrap();
    let run = db.run(&["--no-transaction", "file", path.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("{}: line 3: ", path.display())),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("NUL byte"), "{}", run.stderr);
    assert_eq!(db.psql("SELECT to_regclass('t') IS NULL").trim(), "t");
}

/// A signal while inline COPY data streams from stdin (the writer has not
/// finished the block) aborts the COPY and rolls back.
#[test]
fn a_signal_during_copy_data_from_stdin_rolls_back() {
    let db = Db::new("cli_ctrlc_copy");
    db.psql("CREATE TABLE t(a int)");
    let mut child = db
        .command(&["--json", "file", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"INSERT INTO t VALUES (0);\nCOPY t FROM stdin;\n1\n2\n")
        .unwrap();
    stdin.flush().unwrap();
    db.wait_for_session("state = 'active' AND query = 'COPY t FROM stdin'");
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    exits_by_itself(&mut child, "INT during COPY");
    let run = Run::from(child.wait_with_output().unwrap());
    drop(stdin);
    assert_eq!(run.code, 130, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["success"], false, "{v}");
    assert_eq!(db.psql("SELECT count(*) FROM t").trim(), "0");
}
