//! Reading what the core may not read itself: the process environment, the
//! OS user name and the files the core names (password file, service
//! files). Blocking calls: the async runtime runs them through
//! `blocking::unblock`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use sequelae_core::config::{ConnectSettings, Environment, PgPass, os_user_from};
use sequelae_core::connect::{FileStat, PasswordFileLoad, PasswordFileStep};

/// The process environment as the core's [`Environment`], with the OS user
/// name (libpq's default user) filled in.
pub fn process_environment() -> Environment {
    let env: Environment = std::env::vars().collect();
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    let fallback = std::env::var("USER").or_else(|_| std::env::var("LOGNAME"));
    match os_user_from(&status, &passwd, fallback.ok().as_deref()) {
        Some(user) => env.with_os_user(user),
        None => env,
    }
}

/// The password file for `settings`, as a path
/// ([`ConnectSettings::password_file_in`] decides which).
pub fn pgpass_path(settings: &ConnectSettings, env: &Environment) -> Option<PathBuf> {
    settings.password_file_in(env).map(PathBuf::from)
}

/// The password file for `settings` ([`pgpass_path`]), parsed, plus any
/// warning about it; whether a file must be ignored is the core's rule
/// ([`PgPass::refusal`]), as `Client::connect` applies it.
pub fn load_pgpass(settings: &ConnectSettings, env: &Environment) -> (Option<PgPass>, Vec<String>) {
    let mut load = PasswordFileLoad::new(settings.password_file_in(env));
    loop {
        match load.next_step() {
            PasswordFileStep::Stat(path) => {
                let found = stat(path);
                load.handle_stat(found);
            }
            PasswordFileStep::Read(path) => {
                let text = read_text(path);
                load.handle_text(text);
            }
            PasswordFileStep::Done => return load.finish(),
        }
    }
}

/// What is at `path`, for the core's permission rule; `None` when nothing
/// (or nothing we may stat) is there.
pub fn stat(path: &str) -> Option<FileStat> {
    let meta = fs::metadata(path).ok()?;
    Some(FileStat {
        is_file: meta.is_file(),
        mode: meta.permissions().mode(),
    })
}

/// A file's text, or why it could not be read.
pub fn read_text(path: &str) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| e.to_string())
}

/// A service file's text for the core's search, or `None` when it cannot
/// be read (libpq skips a file it cannot stat).
pub fn read_service_file(path: &str) -> Option<String> {
    fs::read_to_string(path).ok()
}
