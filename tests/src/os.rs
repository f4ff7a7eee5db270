//! The operating-system details the harness needs without `unsafe`: who we are, who the server
//! runs as, and how to run its programs.

use std::ffi::OsStr;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use camino::Utf8Path;

use crate::HarnessError;

/// The numeric identity the server's programs run as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ids {
    pub(crate) uid: u32,
    pub(crate) gid: u32,
}

/// Who runs `initdb`, `pg_ctl` and the server: `None` for ourselves, or the `postgres` OS user
/// when we are root (PostgreSQL refuses to run as root).
pub(crate) fn server_user() -> Result<Option<Ids>, HarnessError> {
    static USER: OnceLock<Result<Option<Ids>, String>> = OnceLock::new();
    USER.get_or_init(|| {
        if effective_uid() != Some(0) {
            return Ok(None);
        }
        let passwd = std::fs::read_to_string("/etc/passwd")
            .map_err(|e| format!("cannot read /etc/passwd: {e}"))?;
        passwd_entry(&passwd, "postgres").map(Some).ok_or_else(|| {
            "no valid `postgres` line (create the user: `useradd --system postgres`)".to_owned()
        })
    })
    .clone()
    .map_err(|detail| HarnessError::NoServerUser { detail })
}

/// The effective uid, from the second field of the `Uid:` line of `/proc/self/status` (real,
/// effective, saved, file system). `None` where there is no `/proc`; the server then reports
/// for itself if we are root.
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_effective_uid(&status)
}

fn parse_effective_uid(status: &str) -> Option<u32> {
    let line = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The uid and gid of `user` in the text of `/etc/passwd` (`name:password:uid:gid:...`).
fn passwd_entry(passwd: &str, user: &str) -> Option<Ids> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != user {
            return None;
        }
        let _password = fields.next()?;
        let uid = fields.next()?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        Some(Ids { uid, gid })
    })
}

/// Gives `path` to the server's user, so that it can write there (and the watchdog, running as
/// that user, can remove it).
pub(crate) fn give_to(path: &Utf8Path, user: Option<Ids>) -> Result<(), HarnessError> {
    match user {
        None => Ok(()),
        Some(ids) => std::os::unix::fs::chown(path, Some(ids.uid), Some(ids.gid))
            .map_err(|e| HarnessError::io(format!("cannot chown {path} to the server's user"), e)),
    }
}

/// A command for `program` that runs as `user` in `cwd`, with no `PG*` variables from our
/// environment: a developer's `PGHOST` or `PGPASSWORD` must not change what the harness does.
pub(crate) fn command(program: impl AsRef<OsStr>, user: Option<Ids>, cwd: &Path) -> Command {
    let mut cmd = Command::new(program);
    for (key, _) in std::env::vars_os() {
        if key.as_encoded_bytes().starts_with(b"PG") {
            cmd.env_remove(key);
        }
    }
    if let Some(ids) = user {
        // std drops the supplementary groups (setgroups(0)) when root sets a uid.
        cmd.uid(ids.uid).gid(ids.gid);
    }
    cmd.current_dir(cwd);
    cmd
}

/// Runs `cmd` to completion with its output captured (stdin from /dev/null), and fails with the
/// output when it exits unsuccessfully.
pub(crate) fn run(cmd: &mut Command) -> Result<Output, HarnessError> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| HarnessError::io(format!("cannot run {cmd:?}"), e))?;
    check(cmd, out)
}

/// Turns an unsuccessful `out` of `cmd` into an error that shows stderr, then stdout.
pub(crate) fn check(cmd: &Command, out: Output) -> Result<Output, HarnessError> {
    if out.status.success() {
        return Ok(out);
    }
    let mut output = String::from_utf8_lossy(&out.stderr).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stdout));
    Err(HarnessError::CommandFailed {
        command: format!("{cmd:?}"),
        status: out.status,
        output,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euid_is_the_second_uid_field() {
        let status = "Name:\tx\nUmask:\t0022\nUid:\t1000\t0\t0\t0\nGid:\t5\t5\t5\t5\n";
        assert_eq!(parse_effective_uid(status), Some(0));
        assert_eq!(parse_effective_uid("Name:\tx\n"), None);
    }

    #[test]
    fn passwd_lookup_matches_the_whole_name() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n\
                      postgres-old:x:7:7::/:/bin/false\n\
                      postgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash\n";
        assert_eq!(
            passwd_entry(passwd, "postgres"),
            Some(Ids { uid: 101, gid: 104 })
        );
        assert_eq!(passwd_entry(passwd, "nobody"), None);
        assert_eq!(
            passwd_entry("postgres:x:notanumber:1::/:\n", "postgres"),
            None
        );
    }
}
