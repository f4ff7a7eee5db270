//! Signals in the phases before any SQL runs: connecting to a server that
//! never answers. The usual message, code and JSON document every time.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Run;
use rstest::rstest;

#[rstest]
#[case::exec_ctrl_c(&["--json", "exec", "SELECT 1"], "INT", 130, "interrupted by Ctrl-C")]
#[case::exec_sigterm(&["--json", "exec", "SELECT 1"], "TERM", 143, "terminated (SIGTERM)")]
#[case::schema(&["--json", "schema"], "INT", 130, "interrupted by Ctrl-C")]
#[case::health(&["--json", "health"], "TERM", 143, "terminated (SIGTERM)")]
fn a_signal_while_connecting_is_reported(
    #[case] args: &[&str],
    #[case] signal: &str,
    #[case] code: i32,
    #[case] message: &str,
) {
    // A server that accepts and never says a word.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sequelae"));
    for (key, _) in std::env::vars() {
        if key.starts_with("PG") || key == "DATABASE_URL" || key == "QUERY_TIMEOUT" {
            cmd.env_remove(key);
        }
    }
    let mut child = cmd
        .env(
            "DATABASE_URL",
            format!("postgres://nobody@127.0.0.1:{port}/db"),
        )
        .current_dir(std::env::temp_dir())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let _connection = loop {
        match listener.accept() {
            Ok((socket, _)) => break socket,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(child.try_wait().unwrap().is_none(), "sequelae ended early");
                assert!(Instant::now() < deadline, "sequelae never connected");
                std::thread::yield_now();
            }
            Err(e) => panic!("{e}"),
        }
    };
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("sequelae still runs after the signal");
        }
        std::thread::yield_now();
    }
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, code, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("sequelae: {message}")),
        "{}",
        run.stderr
    );
    let v = run.json();
    assert_eq!(v["success"], false, "{v}");
    assert_eq!(v["error"], message, "{v}");
}
