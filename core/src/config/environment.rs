//! The process environment as a value, so that the core can apply libpq's
//! `PG*` rules without reading `std::env` itself (and tests can hand in any
//! environment they like).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Snapshot of the process environment that the runtime reads and hands to
/// the core.
///
/// An empty variable reads as unset: `PGHOST=` in a shell profile should not
/// turn into "connect to the host named nothing".
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Environment {
    vars: BTreeMap<String, String>,
    os_user: Option<String>,
    /// Variables that came from a `.env` file, to say so in
    /// `connection-info`.
    dotenv: BTreeSet<String>,
}

impl Environment {
    /// An empty environment with no OS user, for tests and embedding.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one variable; builder style so a test states its environment
    /// in one expression.
    #[must_use]
    pub fn with_var(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(key.into(), value.into());
        self
    }

    /// Sets the operating-system user name, libpq's last resort for the
    /// user (and so the database) name. The runtime looks it up; the core
    /// cannot.
    #[must_use]
    pub fn with_os_user(mut self, user: impl Into<String>) -> Self {
        self.os_user = Some(user.into());
        self
    }

    /// The value of `key`, or `None` when it is unset or empty.
    pub fn var(&self, key: &str) -> Option<&str> {
        self.vars
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Whether `key` was set by a `.env` file rather than the process.
    pub fn from_dotenv(&self, key: &str) -> bool {
        self.dotenv.contains(key)
    }

    pub(crate) fn mark_dotenv(&mut self, key: &str) {
        self.dotenv.insert(key.to_string());
    }

    /// libpq's default password file, `$HOME/.pgpass`, when `HOME` is set.
    pub fn default_passfile(&self) -> Option<String> {
        let home = self.var("HOME")?;
        Some(format!("{}/.pgpass", home.trim_end_matches('/')))
    }

    /// The operating-system user name, if the runtime found one.
    pub fn os_user(&self) -> Option<&str> {
        self.os_user.as_deref().filter(|u| !u.is_empty())
    }
}

/// Lets the runtime write `std::env::vars().collect()`.
impl FromIterator<(String, String)> for Environment {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        Environment {
            vars: iter.into_iter().collect(),
            os_user: None,
            dotenv: BTreeSet::new(),
        }
    }
}

/// Shows variable names only: values such as `PGPASSWORD` or a
/// `DATABASE_URL` with a password must never reach a log.
impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Environment")
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .field("os_user", &self.os_user)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_read_as_unset() {
        let env = Environment::new()
            .with_var("PGHOST", "")
            .with_var("PGPORT", "5433")
            .with_os_user("");
        assert_eq!(env.var("PGHOST"), None);
        assert_eq!(env.var("PGPORT"), Some("5433"));
        assert_eq!(env.var("PGUSER"), None);
        assert_eq!(env.os_user(), None);
    }

    #[test]
    fn collects_from_pairs() {
        let env: Environment = vec![("A".to_string(), "1".to_string())]
            .into_iter()
            .collect();
        assert_eq!(env.var("A"), Some("1"));
        assert_eq!(env.os_user(), None);
        assert_eq!(env.with_os_user("bob").os_user(), Some("bob"));
    }

    #[test]
    fn debug_hides_values() {
        let env = Environment::new()
            .with_var("PGPASSWORD", "s3cr3t-pw")
            .with_var("DATABASE_URL", "postgres://u:hunter2@h/db");
        let shown = format!("{env:?}");
        assert!(shown.contains("PGPASSWORD"), "{shown}");
        assert!(!shown.contains("s3cr3t-pw"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
