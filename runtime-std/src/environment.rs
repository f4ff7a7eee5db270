//! Reading what the core may not read itself: the process environment, the
//! OS user name and the password file.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use sequelae_core::config::{ConnectSettings, Environment, PgPass};

/// The process environment as the core's [`Environment`], with the OS user
/// name (libpq's default user) filled in.
pub fn process_environment() -> Environment {
    let env: Environment = std::env::vars().collect();
    match os_user_name() {
        Some(user) => env.with_os_user(user),
        None => env,
    }
}

/// The name of the effective user, from /etc/passwd by uid as libpq does
/// (getpwuid), falling back to $USER / $LOGNAME.
fn os_user_name() -> Option<String> {
    let uid = fs::read_to_string("/proc/self/status").ok().and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|rest| rest.split_whitespace().nth(1).map(str::to_string))
    });
    if let Some(uid) = uid {
        if let Ok(passwd) = fs::read_to_string("/etc/passwd") {
            for line in passwd.lines() {
                let mut fields = line.split(':');
                let (Some(name), _, Some(id)) = (fields.next(), fields.next(), fields.next())
                else {
                    continue;
                };
                if id == uid {
                    return Some(name.to_string());
                }
            }
        }
    }
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
}

/// The password file for `settings` (passfile=, PGPASSFILE, else
/// ~/.pgpass), parsed, plus any warning about it.
///
/// Like libpq, a file that group or others can read is ignored with a
/// warning: a password file anyone can read is a leak waiting to happen.
pub fn load_pgpass(settings: &ConnectSettings, env: &Environment) -> (Option<PgPass>, Vec<String>) {
    let path = match (&settings.passfile, env.var("HOME")) {
        (Some(p), _) => PathBuf::from(p),
        (None, Some(home)) => PathBuf::from(home).join(".pgpass"),
        (None, None) => return (None, Vec::new()),
    };
    let Ok(meta) = fs::metadata(&path) else {
        return (None, Vec::new());
    };
    if !meta.is_file() {
        return (
            None,
            vec![format!(
                "password file \"{}\" is not a plain file; ignoring it",
                path.display()
            )],
        );
    }
    if meta.permissions().mode() & 0o077 != 0 {
        return (
            None,
            vec![format!(
                "password file \"{}\" has group or world access; permissions should be u=rw (0600) or less; ignoring it",
                path.display()
            )],
        );
    }
    match fs::read_to_string(&path) {
        Ok(text) => (Some(PgPass::parse(&text)), Vec::new()),
        Err(e) => (
            None,
            vec![format!(
                "could not read password file \"{}\": {e}",
                path.display()
            )],
        ),
    }
}
