//! `sequelae backup` end to end: the real binary, the real pg_dump, a real
//! cluster. Output on stdout (a line or JSON), progress and errors on
//! stderr, exit codes 0/1/2/3/130, and nothing left behind on failure.

#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Db, Run};
use sequelae_tests::{AuthMethod, Cluster, role, server_bin};

fn db() -> Db {
    let db = Db::new("cli_backup");
    db.psql(
        "CREATE TABLE users (id int PRIMARY KEY, name text);\n\
         INSERT INTO users SELECT g, 'user ' || g FROM generate_series(1, 200) g;\n\
         CREATE TABLE posts (id int, user_id int REFERENCES users);\n\
         INSERT INTO posts SELECT g, 1 + g % 200 FROM generate_series(1, 400) g;\n",
    );
    db
}

fn run_in(db: &Db, dir: &Path, args: &[&str]) -> Run {
    let mut cmd = db.command(args);
    cmd.current_dir(dir);
    Run::from(cmd.output().unwrap())
}

fn pg_dump() -> String {
    server_bin("pg_dump").unwrap().to_string()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn sorted_keys(v: &serde_json::Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

fn write_script(dir: &Path, body: &str) -> String {
    let path = dir.join("pg_dump");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

#[test]
fn json_result_of_a_compressed_custom_backup() {
    let db = db();
    let dir = tempfile::tempdir().unwrap();
    let pg = pg_dump();
    let run = run_in(
        &db,
        dir.path(),
        &[
            "backup",
            "--json",
            "--format",
            "custom",
            "--compress",
            "--output",
            "db_backup.dump",
            "--pg-dump-path",
            &pg,
        ],
    )
    .ok();
    let json = run.json();
    assert_eq!(json["success"], true);
    assert_eq!(json["method"], "pg_dump");
    assert_eq!(json["format"], "custom");
    assert_eq!(json["tables"], 2);
    let path = dir.path().join("db_backup.dump");
    assert_eq!(json["outputPath"], path.display().to_string());
    assert_eq!(json["size"], std::fs::metadata(&path).unwrap().len());
    assert!(json["duration"].as_u64().is_some());
    assert_eq!(json["warnings"], serde_json::json!([]));
    assert_eq!(json["error"], serde_json::Value::Null);
    // Progress went to stderr, as plain lines (not a terminal).
    assert!(
        run.stderr
            .contains("sequelae: dumping table public.users (2/2)")
            || run
                .stderr
                .contains("sequelae: dumping table public.users (1/2)"),
        "{}",
        run.stderr
    );
    let list = Command::new(server_bin("pg_restore").unwrap().as_std_path())
        .arg("--list")
        .arg(&path)
        .output()
        .unwrap();
    assert!(list.status.success());
    assert!(String::from_utf8_lossy(&list.stdout).contains("TABLE DATA public users"));
}

#[test]
fn plain_backup_with_a_default_name_in_the_working_directory() {
    let db = db();
    let dir = tempfile::tempdir().unwrap();
    let pg = pg_dump();
    let run = run_in(&db, dir.path(), &["backup", "--pg-dump-path", &pg]).ok();
    let files = names(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(
        files[0].starts_with("backup_") && files[0].ends_with("Z.sql"),
        "{files:?}"
    );
    assert!(
        run.stdout.starts_with(&format!(
            "Backup written to {} (plain format, ",
            dir.path().join(&files[0]).display()
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2 tables) by pg_dump "),
        "{}",
        run.stdout
    );
    let text = std::fs::read_to_string(dir.path().join(&files[0])).unwrap();
    assert!(text.contains("COPY public.users (id, name) FROM stdin;"));
}

#[test]
fn validation_failures_have_the_json_shape_of_a_result() {
    let db = db();
    let dir = tempfile::tempdir().unwrap();
    let pg = pg_dump();
    let ok = run_in(
        &db,
        dir.path(),
        &["backup", "--json", "-o", "a.sql", "--pg-dump-path", &pg],
    )
    .ok();
    let refused = run_in(
        &db,
        dir.path(),
        &["backup", "--json", "--schema-only", "--data-only"],
    );
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    let json = refused.json();
    assert_eq!(sorted_keys(&json), sorted_keys(&ok.json()));
    assert_eq!(json["success"], false);
    assert_eq!(json["errorKind"], "usage");
    assert!(
        json["error"]
            .as_str()
            .unwrap()
            .contains("exclude each other")
    );
    assert!(
        refused
            .stderr
            .contains("sequelae: --schema-only and --data-only exclude each other")
    );

    for (args, message) in [
        (
            &["backup", "--format", "tar", "--compress"][..],
            "tar format cannot be compressed",
        ),
        (
            &["backup", "--format", "custom", "--jobs", "4"][..],
            "--jobs 4 needs --format directory",
        ),
        (&["backup", "--tables", "usres"][..], "did you mean users?"),
    ] {
        let run = run_in(&db, dir.path(), args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{}", run.stderr);
        assert!(run.stdout.is_empty());
    }
    assert_eq!(names(dir.path()), vec!["a.sql"]);
}

#[test]
fn an_existing_file_is_refused_unless_forced() {
    let db = db();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.sql"), "precious").unwrap();
    let pg = pg_dump();
    let run = run_in(
        &db,
        dir.path(),
        &["backup", "-o", "keep.sql", "--pg-dump-path", &pg],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("keep.sql already exists"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("keep.sql")).unwrap(),
        "precious"
    );
    run_in(
        &db,
        dir.path(),
        &["backup", "-o", "keep.sql", "--force", "--pg-dump-path", &pg],
    )
    .ok();
    assert_ne!(
        std::fs::read_to_string(dir.path().join("keep.sql")).unwrap(),
        "precious"
    );
    assert_eq!(names(dir.path()), vec!["keep.sql"]);
}

#[test]
fn exit_codes_for_no_server_and_no_pg_dump() {
    let db = db();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = db.command(&["backup", "--json"]);
    cmd.current_dir(dir.path()).env(
        "DATABASE_URL",
        "postgresql://nobody@127.0.0.1:1/x?connect_timeout=2",
    );
    let run = Run::from(cmd.output().unwrap());
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(run.json()["errorKind"], "connect");

    // pg_dump missing from PATH: auto mode takes the native backup and
    // says why; --pg-dump fails (exit 1) and leaves nothing.
    let empty = tempfile::tempdir().unwrap();
    let mut cmd = db.command(&["backup", "--pg-dump"]);
    cmd.current_dir(dir.path()).env("PATH", empty.path());
    let run = Run::from(cmd.output().unwrap());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("no pg_dump in PATH"), "{}", run.stderr);
    assert!(names(dir.path()).is_empty());

    let mut cmd = db.command(&["backup", "-o", "app.sql"]);
    cmd.current_dir(dir.path()).env("PATH", empty.path());
    let run = Run::from(cmd.output().unwrap());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("sequelae: pg_dump was not used: pg_dump was not found (no pg_dump in PATH"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("by the native method"),
        "{}",
        run.stdout
    );
    assert_eq!(names(dir.path()), vec!["app.sql"]);
}

/// `--no-pg-dump --output -` streams plain SQL to standard output, the
/// result line going to stderr, and makes no file.
#[test]
fn native_backup_streams_to_stdout() {
    let db = db();
    let dir = tempfile::tempdir().unwrap();
    let run = run_in(
        &db,
        dir.path(),
        &["backup", "--no-pg-dump", "--output", "-"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("COPY \"public\".\"users\" (\"id\", \"name\") FROM stdin;"),
        "{}",
        &run.stdout[..run.stdout.len().min(2000)]
    );
    assert!(run.stdout.contains("\n200\tuser 200\n"), "all rows");
    assert!(
        run.stdout.trim_end().ends_with("-- end of dump\n--"),
        "complete"
    );
    assert!(
        run.stderr.contains("by the native method"),
        "{}",
        run.stderr
    );
    assert!(names(dir.path()).is_empty());
}

#[test]
fn the_password_reaches_pg_dump_only_through_its_environment() {
    let cluster = Cluster::shared();
    let db = Db::new("cli_backup_scram");
    db.psql("SET ROLE sq_scram; CREATE TABLE t (x int); INSERT INTO t VALUES (1);");
    let scram = role(AuthMethod::ScramSha256);
    let dir = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("argv");
    let wrapper = write_script(
        bin.path(),
        &format!(
            "printf '%s\\n' \"$@\" >> '{}'\ncat /proc/$$/cmdline | tr '\\0' '\\n' >> '{}'\nexec '{}' \"$@\"",
            log.display(),
            log.display(),
            pg_dump()
        ),
    );
    let mut cmd = db.command(&["backup", "-Fc", "-o", "t.dump", "--pg-dump-path", &wrapper]);
    cmd.current_dir(dir.path())
        .env("DATABASE_URL", cluster.url(&scram, &db.name));
    Run::from(cmd.output().unwrap()).ok();
    let argv = std::fs::read_to_string(&log).unwrap();
    assert!(argv.contains("--file="), "{argv}");
    assert!(!argv.contains(scram.password), "{argv}");
    assert!(!argv.contains("sc@ram"), "{argv}");
    assert!(!argv.contains("sc%40ram"), "{argv}");
}

/// Ctrl-C mid-backup stops pg_dump and leaves nothing behind; a second
/// Ctrl-C does not skip that cleanup, even when pg_dump ignores SIGTERM.
#[rstest::rstest]
#[case::once("", 1)]
#[case::twice_with_a_stubborn_pg_dump("trap '' TERM\n", 2)]
fn ctrl_c_stops_the_backup_and_leaves_nothing(#[case] preamble: &str, #[case] presses: usize) {
    let db = db();
    let dir = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    // A pg_dump that hangs, so that the interruption comes mid-backup.
    let hanging = write_script(
        bin.path(),
        &format!(
            "{preamble}[ \"$1\" = --version ] && exec '{}' --version\nexec sleep 60",
            pg_dump()
        ),
    );
    let mut cmd = db.command(&["backup", "-o", "x.sql", "--pg-dump-path", &hanging]);
    cmd.current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    // Wait for the temporary output: pg_dump has started.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !names(dir.path()).iter().any(|n| n.ends_with(".tmp")) {
        assert!(Instant::now() < deadline, "pg_dump never started");
        std::thread::yield_now();
    }
    let started = Instant::now();
    for _ in 0..presses {
        let status = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(run.stderr.contains("backup interrupted"), "{}", run.stderr);
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
}

/// An output that names a folder is refused before any work, not after a
/// whole dump.
#[rstest::rstest]
#[case::plain_trailing_slash(&["backup", "--output", "newdir/"][..])]
#[case::dot(&["backup", "--format", "directory", "--output", ".", "--force"][..])]
#[case::dot_dot(&["backup", "--output", "sub/.."][..])]
fn an_output_naming_a_folder_is_a_usage_error(#[case] args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let mut cmd = db().command(args);
    cmd.current_dir(dir.path());
    let run = Run::from(cmd.output().unwrap());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("names a folder"), "{}", run.stderr);
    // Nothing was written anywhere.
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 1);
}

/// A backup holds the whole database: only its owner may read it, in every
/// one-file format (a directory backup is 0700, as pg_dump makes it).
#[rstest::rstest]
#[case::plain("plain")]
#[case::custom("custom")]
#[case::tar("tar")]
fn backup_files_are_private(#[case] format: &str) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = db().command(&["backup", "--format", format, "--output", "b"]);
    cmd.current_dir(dir.path());
    let run = Run::from(cmd.output().unwrap());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mode = std::fs::metadata(dir.path().join("b"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
}

/// --force replaces a directory backup, never a folder with the user's own
/// files in it, even one that also holds a toc.dat.
#[test]
fn force_never_deletes_a_folder_with_other_files() {
    let db = db();
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["backup", "-F", "d", "-o", "dd"];
        args.extend_from_slice(extra);
        let mut cmd = db.command(&args);
        cmd.current_dir(dir.path());
        Run::from(cmd.output().unwrap())
    };
    assert_eq!(run(&[]).code, 0);
    assert_eq!(run(&["--force"]).code, 0, "a directory backup is replaced");
    std::fs::write(dir.path().join("dd/notes.txt"), "precious").unwrap();
    let refused = run(&["--force"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("dd/notes.txt")).unwrap(),
        "precious"
    );
}

/// How stdout fails in [`a_failing_stdout_never_panics_nor_exits_0`].
#[derive(Debug, Clone, Copy)]
enum BadStdout {
    /// /dev/full: every write fails with ENOSPC.
    Full,
    /// The reader left (`| head`): EPIPE.
    ReaderGone,
    /// `>&-`: no stdout at all (EBADF).
    Closed,
}

/// The result could not be written: no panic, never exit 0; a reader
/// that left ends quietly (141, as SIGPIPE would), a write error is said
/// on stderr, and the backup that was written is named.
#[rstest::rstest]
#[case::full(BadStdout::Full, &[][..])]
#[case::full_json(BadStdout::Full, &["--json"][..])]
#[case::reader_gone(BadStdout::ReaderGone, &[][..])]
#[case::closed(BadStdout::Closed, &["--json"][..])]
fn a_failing_stdout_never_panics_nor_exits_0(#[case] how: BadStdout, #[case] extra: &[&str]) {
    let db = db();
    let dir = tempfile::tempdir().unwrap();
    let pg = pg_dump();
    let mut args = vec!["backup", "-o", "x.sql", "--pg-dump-path", &pg];
    args.extend_from_slice(extra);
    let mut cmd = db.command(&args);
    cmd.current_dir(dir.path())
        .stderr(std::process::Stdio::piped());
    let run = match how {
        BadStdout::Full => {
            cmd.stdout(std::fs::File::create("/dev/full").unwrap());
            Run::from(cmd.output().unwrap())
        }
        BadStdout::ReaderGone => {
            cmd.stdout(std::process::Stdio::piped());
            let mut child = cmd.spawn().unwrap();
            // Close the only read end before the backup can have ended.
            drop(child.stdout.take());
            Run::from(child.wait_with_output().unwrap())
        }
        BadStdout::Closed => {
            let mut shell = Command::new("sh");
            shell
                .arg("-c")
                .arg("exec \"$0\" \"$@\" >&-")
                .arg(cmd.get_program())
                .args(cmd.get_args())
                .current_dir(dir.path())
                .stdin(std::process::Stdio::null());
            for (key, value) in cmd.get_envs() {
                match value {
                    Some(v) => shell.env(key, v),
                    None => shell.env_remove(key),
                };
            }
            Run::from(shell.output().unwrap())
        }
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_ne!(run.code, 0, "{}", run.stderr);
    match how {
        BadStdout::ReaderGone => {
            assert_eq!(run.code, 141, "{}", run.stderr);
            assert!(!run.stderr.contains("cannot write"), "{}", run.stderr);
        }
        BadStdout::Full | BadStdout::Closed => {
            assert_eq!(run.code, 2, "{}", run.stderr);
            assert!(
                run.stderr
                    .contains("cannot write the backup result to stdout"),
                "{}",
                run.stderr
            );
            assert!(
                run.stderr.contains("the backup was written to"),
                "{}",
                run.stderr
            );
        }
    }
    // The backup itself is whole and published.
    assert_eq!(names(dir.path()), vec!["x.sql".to_string()]);
}

/// True once process `pid` is gone (a zombie counts: it runs no more).
fn process_gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// SIGKILL of sequelae mid-backup: pg_dump dies with it (parent-death
/// signal); the password file was in a private 0700 directory; the next
/// backup into the same folder removes the temporary output and the
/// password directory the killed run left, and says so.
#[test]
fn sigkill_takes_pg_dump_along_and_the_next_backup_cleans_up() {
    let db = db();
    let dir = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let state = bin.path().join("state");
    // A pg_dump that notes its pid and its password directory's mode,
    // then hangs (exec keeps the pid).
    let hanging = write_script(
        bin.path(),
        &format!(
            "[ \"$1\" = --version ] && exec '{}' --version\n\
             stat -c %a \"$(dirname \"$PGPASSFILE\")\" > '{s}.mode'\n\
             echo $$ > '{s}.tmp' && mv '{s}.tmp' '{s}'\n\
             exec sleep 60",
            pg_dump(),
            s = state.display()
        ),
    );
    let mut cmd = db.command(&[
        "backup",
        "-o",
        "x.sql",
        "--pg-dump-path",
        &hanging,
        "--pg-dump-password-via",
        "passfile",
    ]);
    cmd.current_dir(dir.path())
        .env("PGPASSWORD", "not-needed-with-trust")
        .env("TMPDIR", tmp.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !state.exists() {
        assert!(Instant::now() < deadline, "pg_dump never started");
        std::thread::yield_now();
    }
    let pg_dump_pid = std::fs::read_to_string(&state).unwrap().trim().to_string();
    let mode = std::fs::read_to_string(bin.path().join("state.mode")).unwrap();
    assert_eq!(mode.trim(), "700");
    child.kill().unwrap();
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !process_gone(&pg_dump_pid) {
        assert!(
            Instant::now() < deadline,
            "pg_dump {pg_dump_pid} outlived sequelae"
        );
        std::thread::yield_now();
    }
    // The killed run's leftovers: its temporary output and password dir.
    assert!(names(dir.path()).iter().any(|n| n.ends_with(".tmp")));
    assert_eq!(names(tmp.path()).len(), 1, "{:?}", names(tmp.path()));

    let pg = pg_dump();
    let mut next = db.command(&["backup", "-o", "y.sql", "--pg-dump-path", &pg]);
    next.current_dir(dir.path()).env("TMPDIR", tmp.path());
    let run = Run::from(next.output().unwrap()).ok();
    assert_eq!(names(dir.path()), vec!["y.sql".to_string()]);
    assert!(names(tmp.path()).is_empty(), "{:?}", names(tmp.path()));
    assert_eq!(
        run.stderr
            .matches("left behind by an earlier backup")
            .count(),
        2,
        "{}",
        run.stderr
    );
}

/// Ctrl-C while connecting to a server that accepts and never answers:
/// the first press stops the backup, with the usual message (and JSON
/// document), exit 130, nothing left behind.
#[rstest::rstest]
#[case::text(false)]
#[case::json(true)]
fn ctrl_c_while_connecting_to_a_silent_server(#[case] json: bool) {
    let db = db();
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let pg = pg_dump();
    let mut args = vec!["backup", "-o", "x.sql", "--pg-dump-path", &pg];
    if json {
        args.push("--json");
    }
    let mut cmd = db.command(&args);
    cmd.current_dir(dir.path())
        .env(
            "DATABASE_URL",
            format!("postgresql://nobody@127.0.0.1:{port}/db?connect_timeout=60"),
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    // Accept the connection and never answer: sequelae waits for the
    // server's first message.
    let deadline = Instant::now() + Duration::from_secs(20);
    let _silent = loop {
        match listener.accept() {
            Ok((stream, _)) => break stream,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "sequelae never connected");
                std::thread::yield_now();
            }
            Err(e) => panic!("accept: {e}"),
        }
    };
    let pressed = Instant::now();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert!(pressed.elapsed() < Duration::from_secs(10));
    assert!(run.stderr.contains("backup interrupted"), "{}", run.stderr);
    if json {
        let doc = run.json();
        assert_eq!(doc["success"], false, "{doc}");
        assert!(
            doc["error"].as_str().unwrap().contains("interrupted"),
            "{doc}"
        );
    }
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
}

/// `--output -` and `--output /dev/stdout` stream the backup to stdout
/// (the result goes to stderr, JSON included); no file named `-` appears.
#[rstest::rstest]
#[case::plain("-", "plain", "CREATE TABLE public.users")]
#[case::custom_dev_stdout("/dev/stdout", "custom", "PGDMP")]
#[case::tar("-", "tar", "toc.dat")]
fn output_dash_streams_to_stdout(#[case] output: &str, #[case] format: &str, #[case] marker: &str) {
    let db = db();
    let dir = tempfile::tempdir().unwrap();
    let pg = pg_dump();
    let mut cmd = db.command(&[
        "backup",
        "--json",
        "-o",
        output,
        "-F",
        format,
        "--pg-dump-path",
        &pg,
    ]);
    cmd.current_dir(dir.path());
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(marker),
        "{}",
        &stdout[..stdout.len().min(300)]
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let doc_line = stderr
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON result on stderr: {stderr}"));
    let doc: serde_json::Value = serde_json::from_str(doc_line).unwrap();
    assert_eq!(doc["success"], true, "{doc}");
    assert_eq!(doc["outputPath"], "-", "{doc}");
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
}

/// The directory format cannot stream; the refusal says what to do, and
/// comes before any work. A refusal that --force would not change does not
/// suggest --force.
#[rstest::rstest]
#[case::directory_to_stdout(&["backup", "-o", "-", "-F", "directory"][..], "cannot go to standard output")]
#[case::device(&["backup", "-o", "/dev/null"][..], "is not a regular file")]
fn refusals_without_a_useless_force_hint(#[case] args: &[&str], #[case] text: &str) {
    let db = db();
    let dir = tempfile::tempdir().unwrap();
    let run = run_in(&db, dir.path(), args);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(text), "{}", run.stderr);
    assert!(!run.stderr.contains("pass --force"), "{}", run.stderr);
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
}

/// `backup -o - | head`: the reader leaves mid-stream; sequelae ends
/// quietly with 141 (as SIGPIPE would), no panic, no pg_dump complaint;
/// by pg_dump and by the native method.
#[rstest::rstest]
#[case::pg_dump(false)]
#[case::native(true)]
fn a_streamed_backup_whose_reader_leaves_ends_quietly(#[case] native: bool) {
    use std::io::Read;
    let db = Db::new("cli_backup_stream");
    // Well past a pipe's buffer, so that pg_dump is still writing.
    db.psql(
        "CREATE TABLE big (id int, pad text);\n\
         INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g;\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let pg = pg_dump();
    let method = if native { "--no-pg-dump" } else { "--pg-dump" };
    let mut cmd = db.command(&["backup", "-o", "-", method, "--pg-dump-path", &pg]);
    cmd.current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, 141, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(!run.stderr.contains("failed"), "{}", run.stderr);
    assert!(!run.stderr.contains("was not used"), "{}", run.stderr);
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
}

/// Ctrl-C while streaming to stdout: exit 130, and the message does not
/// claim that nothing was written.
#[test]
fn ctrl_c_while_streaming_says_the_stream_is_incomplete() {
    let db = db();
    let dir = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let started = bin.path().join("started");
    let hanging = write_script(
        bin.path(),
        &format!(
            "[ \"$1\" = --version ] && exec '{}' --version\ntouch '{}'\nexec sleep 60",
            pg_dump(),
            started.display()
        ),
    );
    let mut cmd = db.command(&["backup", "-o", "-", "--pg-dump-path", &hanging]);
    cmd.current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !started.exists() {
        assert!(Instant::now() < deadline, "pg_dump never started");
        std::thread::yield_now();
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert!(run.stderr.contains("incomplete backup"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("no output was written"),
        "{}",
        run.stderr
    );
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
}

/// An object the native method cannot dump (a subscription, whose
/// connection string only a superuser may read, backed up by another
/// user) fails the backup before it writes (exit 1, no file), naming it;
/// `--allow-incomplete` keeps the backup and names it in a warning.
#[test]
fn native_backup_names_what_it_cannot_dump() {
    let mut db = db();
    db.psql(
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO sq_trust;\n\
         CREATE SUBSCRIPTION my_sub CONNECTION 'dbname=nowhere' PUBLICATION p \
         WITH (connect = false, slot_name = NONE, enabled = false);",
    );
    db.url = Cluster::shared().url(&role(AuthMethod::Trust), &db.name);
    let dir = tempfile::tempdir().unwrap();
    let run = run_in(
        &db,
        dir.path(),
        &["backup", "--no-pg-dump", "-o", "app.sql", "--json"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let error = run.json()["error"].as_str().unwrap().to_string();
    assert!(error.contains("subscription my_sub"), "{error}");
    assert!(error.contains("--allow-incomplete"), "{error}");
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));

    let run = run_in(
        &db,
        dir.path(),
        &[
            "backup",
            "--no-pg-dump",
            "-o",
            "app.sql",
            "--allow-incomplete",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "sequelae: warning: not in the backup (the native method cannot dump it yet): subscription my_sub"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(names(dir.path()), vec!["app.sql"]);
}
