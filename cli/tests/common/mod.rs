//! Running the real `sequelae` binary against a harness cluster.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::process::{Command, Output, Stdio};

use sequelae_tests::Cluster;

/// A database of the shared cluster, and how to point sequelae at it.
pub struct Db {
    pub name: String,
    pub url: String,
}

impl Db {
    pub fn new(prefix: &str) -> Db {
        let cluster = Cluster::shared();
        let name = cluster.create_database(prefix);
        Db {
            url: cluster.superuser_conninfo(&name),
            name,
        }
    }

    pub fn psql(&self, sql: &str) -> String {
        Cluster::shared().psql(&self.name, sql).unwrap()
    }

    /// `sequelae ARGS` with DATABASE_URL set to this database and nothing
    /// else from the caller's environment that could change the outcome.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sequelae"));
        for (key, _) in std::env::vars() {
            if key.starts_with("PG") || key == "DATABASE_URL" || key == "QUERY_TIMEOUT" {
                cmd.env_remove(key);
            }
        }
        cmd.env("DATABASE_URL", &self.url)
            .current_dir(std::env::temp_dir())
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    /// Waits, by asking the server (no sleeping), until a session of this
    /// database matches `condition` on pg_stat_activity.
    pub fn wait_for_session(&self, condition: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let sql = format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND {condition}",
            self.name
        );
        while self.psql(&sql).trim() != "1" {
            assert!(
                std::time::Instant::now() < deadline,
                "no session with {condition}"
            );
        }
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().unwrap())
    }
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }

    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

/// The peak RSS the binary reported with SEQUELAE_REPORT_PEAK_RSS.
pub fn peak_kib(stderr: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("sequelae: peak_rss_kib="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no peak report in stderr: {stderr}"))
}
