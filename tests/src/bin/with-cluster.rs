//! Starts a throwaway PostgreSQL cluster, runs one command with
//! `DATABASE_URL` pointing at it, and removes the cluster afterwards.
//!
//! Usage: `with-cluster COMMAND [ARGS...]`. The command sees
//! `DATABASE_URL` (superuser over the cluster's private Unix socket,
//! database `demo`) and `PGHOST`/`PGPORT`/`PGUSER`/`PGDATABASE` for psql.
//! Its exit code becomes ours.

use std::process::{Command, ExitCode};

use sequelae_tests::{Cluster, ClusterOptions};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((program, rest)) = args.split_first() else {
        eprintln!("usage: with-cluster COMMAND [ARGS...]");
        return ExitCode::from(2);
    };
    let cluster = match Cluster::start(ClusterOptions::default()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("with-cluster: {e}");
            return ExitCode::from(3);
        }
    };
    if let Err(e) = cluster.psql("postgres", "CREATE DATABASE demo") {
        eprintln!("with-cluster: {e}");
        return ExitCode::from(3);
    }
    let url = format!(
        "postgresql://postgres@/demo?host={}&port={}",
        cluster.socket_dir(),
        cluster.port()
    );
    eprintln!(
        "with-cluster: PostgreSQL {} on port {} (socket dir {})",
        readable_version(cluster.version_num()),
        cluster.port(),
        cluster.socket_dir()
    );
    let status = Command::new(program)
        .args(rest)
        .env("DATABASE_URL", &url)
        .env("PGHOST", cluster.socket_dir().as_str())
        .env("PGPORT", cluster.port().to_string())
        .env("PGUSER", "postgres")
        .env("PGDATABASE", "demo")
        .status();
    drop(cluster);
    match status {
        Ok(s) => ExitCode::from(s.code().unwrap_or(1).clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("with-cluster: cannot run {program}: {e}");
            ExitCode::from(2)
        }
    }
}

/// `150018` as people read it: `15.18` (10 and later: major.minor; before
/// 10: major.minor.patch).
fn readable_version(num: u32) -> String {
    if num >= 100_000 {
        format!("{}.{}", num / 10_000, num % 10_000)
    } else {
        format!("{}.{}.{}", num / 10_000, num / 100 % 100, num % 100)
    }
}
