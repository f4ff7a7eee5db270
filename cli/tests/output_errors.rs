//! Output that cannot be written: a full disk, a reader that left, a
//! closed stdout. No command panics; work whose results could not be
//! written is not committed.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Stdio;

use common::{Db, Run};
use rstest::rstest;

fn dev_full() -> Stdio {
    Stdio::from(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap(),
    )
}

/// An INSERT whose result could not be written (stdout on /dev/full) is
/// rolled back, and the command says why and fails.
#[rstest]
#[case::text(&[])]
#[case::json(&["--json"])]
fn results_that_cannot_be_written_are_not_committed(#[case] flags: &[&str]) {
    let db = Db::new("cli_full");
    db.psql("CREATE TABLE t(a int)");
    let mut args = flags.to_vec();
    args.extend(["exec", "INSERT INTO t VALUES (1)"]);
    let run = Run::from(db.command(&args).stdout(dev_full()).output().unwrap());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cannot write output"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(db.psql("SELECT count(*) FROM t").trim(), "0");
}

/// Every command with stdout on a full disk reports it (exit 2) instead
/// of panicking.
#[rstest]
#[case::schema(&["schema"])]
#[case::schema_json(&["--json", "schema"])]
#[case::health(&["health"])]
#[case::health_json(&["--json", "health"])]
#[case::exec_json_select(&["--json", "exec", "SELECT 1"])]
#[case::exec_select(&["exec", "SELECT 1"])]
#[case::connection_info(&["connection-info"])]
#[case::connection_info_json(&["connection-info", "--json"])]
#[case::man(&["man"])]
#[case::completions(&["completions", "bash"])]
fn a_full_disk_is_reported_not_a_panic(#[case] args: &[&str]) {
    let db = Db::new("cli_full2");
    db.psql("CREATE TABLE t(a int)");
    let run = Run::from(db.command(args).stdout(dev_full()).output().unwrap());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(run.stderr.contains("cannot write output"), "{}", run.stderr);
}

/// A reader that is gone before anything is written (`| head` that
/// already left): the command ends quietly, as one killed by SIGPIPE.
#[rstest]
#[case::schema(&["schema"])]
#[case::schema_json(&["--json", "schema"])]
#[case::health(&["health"])]
#[case::exec_json(&["--json", "exec", "SELECT 1"])]
fn a_reader_that_left_ends_quietly(#[case] args: &[&str]) {
    let db = Db::new("cli_epipe");
    db.psql("CREATE TABLE t(a int)");
    let mut child = db
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, 141, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

/// With stdout closed (`>&-`) the results would vanish while the command
/// reported success: refused before anything runs.
#[rstest]
#[case::exec(&["exec", "INSERT INTO t VALUES (1)"])]
#[case::schema(&["schema"])]
#[case::health(&["health"])]
fn a_closed_stdout_is_refused(#[case] args: &[&str]) {
    let db = Db::new("cli_closed");
    db.psql("CREATE TABLE t(a int)");
    // The same environment as db.command, through a shell that closes
    // stdout for the binary.
    let mut cmd = std::process::Command::new("sh");
    for (key, _) in std::env::vars() {
        if key.starts_with("PG") || key == "DATABASE_URL" || key == "QUERY_TIMEOUT" {
            cmd.env_remove(key);
        }
    }
    cmd.env("DATABASE_URL", &db.url)
        .current_dir(std::env::temp_dir())
        .args([
            "-c",
            "exec \"$0\" \"$@\" >&-",
            env!("CARGO_BIN_EXE_sequelae"),
        ])
        .args(args)
        .stdin(Stdio::null());
    let run = Run::from(cmd.output().unwrap());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("stdout is closed"), "{}", run.stderr);
    assert_eq!(db.psql("SELECT count(*) FROM t").trim(), "0");
}
