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

/// The password file for `settings`: `passfile=` or `PGPASSFILE` (already
/// in `settings.passfile`), else `~/.pgpass`.
pub fn pgpass_path(settings: &ConnectSettings, env: &Environment) -> Option<PathBuf> {
    match (&settings.passfile, env.var("HOME")) {
        (Some(p), _) => Some(PathBuf::from(p)),
        (None, Some(home)) => Some(PathBuf::from(home).join(".pgpass")),
        (None, None) => None,
    }
}

/// The password file for `settings` ([`pgpass_path`]), parsed, plus any
/// warning about it; whether a file must be ignored is the core's rule
/// ([`PgPass::refusal`]).
pub fn load_pgpass(settings: &ConnectSettings, env: &Environment) -> (Option<PgPass>, Vec<String>) {
    let Some(path) = pgpass_path(settings, env) else {
        return (None, Vec::new());
    };
    let Ok(meta) = fs::metadata(&path) else {
        return (None, Vec::new());
    };
    let shown = path.display().to_string();
    if let Some(warning) = PgPass::refusal(&shown, meta.is_file(), meta.permissions().mode()) {
        return (None, vec![warning]);
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

/// A service file's text for the core's search, or `None` when it cannot
/// be read (libpq skips a file it cannot stat).
pub fn read_service_file(path: &str) -> Option<String> {
    fs::read_to_string(path).ok()
}
