//! The MCP server with the official Python SDK (`mcp` 2.x) as the client:
//! both eras negotiated, every tool called with the SDK validating the
//! structured output, progress callbacks, cancellation of a query and of
//! a backup. The SDK is installed by scripts/mcp-sdk-venv into a private
//! virtual environment outside the repository.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::Db;

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// The venv's python, installing the SDK on first use.
fn sdk_python() -> String {
    let out = Command::new(workspace().join("scripts/mcp-sdk-venv"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scripts/mcp-sdk-venv could not install the MCP Python SDK: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn the_official_python_sdk_negotiates_both_eras_and_uses_every_tool() {
    let python = sdk_python();
    let db = Db::new("mcp_sdk");
    db.psql(
        "CREATE TABLE t1(id int PRIMARY KEY, name text);
         INSERT INTO t1 VALUES (1, 'one'), (2, 'two'), (3, 'three');
         CREATE TABLE t2 AS SELECT g AS id FROM generate_series(1, 1000) g;
         CREATE TABLE t3 AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 1000) g;
         CREATE TABLE big AS SELECT g AS id, repeat(md5(g::text), 8) AS pad FROM generate_series(1, 1500000) g;",
    );
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join("queries")).unwrap();
    std::fs::write(
        work.path().join("queries/count.sql"),
        "SELECT count(*) AS n FROM t1;\n",
    )
    .unwrap();
    let script = workspace().join("mcp/tests/sdk/client_tests.py");
    let out = Command::new(python)
        .arg(script)
        .env("SEQUELAE_BIN", env!("CARGO_BIN_EXE_sequelae"))
        .env("DATABASE_URL", &db.url)
        .env("SEQUELAE_WORK", work.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success() && stdout.contains("all SDK checks passed"),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
}
