//! `target_session_attrs`: which kind of server a connection must reach,
//! checked after connecting as libpq does, so that a host list of a
//! primary and its standbys lands where the user asked.

use std::fmt;
use std::str::FromStr;

/// libpq's six values. `Any` is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TargetSessionAttrs {
    /// Any server will do.
    #[default]
    Any,
    /// A session that accepts writes.
    ReadWrite,
    /// A session that does not accept writes.
    ReadOnly,
    /// A server not in recovery.
    Primary,
    /// A server in hot standby.
    Standby,
    /// A standby if any host is one, else any server.
    PreferStandby,
}

/// Whether a freshly opened session is the one asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionCheck {
    /// Keep it.
    Accept,
    /// Close it and try the next host, for this reason (libpq's words).
    Reject(&'static str),
    /// The server did not report enough: run this query and pass its
    /// single value to [`TargetSessionAttrs::check_answer`].
    Ask(&'static str),
}

impl TargetSessionAttrs {
    /// The requirement of each pass over the host list: prefer-standby
    /// first looks for a standby on every host, then takes any.
    pub fn passes(self) -> &'static [TargetSessionAttrs] {
        match self {
            TargetSessionAttrs::Any => &[TargetSessionAttrs::Any],
            TargetSessionAttrs::ReadWrite => &[TargetSessionAttrs::ReadWrite],
            TargetSessionAttrs::ReadOnly => &[TargetSessionAttrs::ReadOnly],
            TargetSessionAttrs::Primary => &[TargetSessionAttrs::Primary],
            TargetSessionAttrs::Standby => &[TargetSessionAttrs::Standby],
            TargetSessionAttrs::PreferStandby => {
                &[TargetSessionAttrs::Standby, TargetSessionAttrs::Any]
            }
        }
    }

    /// Decides from the parameters the server reported at startup
    /// (`in_hot_standby` and `default_transaction_read_only`, reported
    /// since PostgreSQL 14), or says which query answers it on older
    /// servers.
    pub fn check(self, parameter: &dyn Fn(&str) -> Option<String>) -> SessionCheck {
        let on = |name: &str| parameter(name).map(|v| v == "on");
        match self {
            TargetSessionAttrs::Any | TargetSessionAttrs::PreferStandby => SessionCheck::Accept,
            TargetSessionAttrs::ReadWrite | TargetSessionAttrs::ReadOnly => {
                match (on("in_hot_standby"), on("default_transaction_read_only")) {
                    (Some(standby), Some(read_only)) => self.verdict(standby || read_only),
                    _ => SessionCheck::Ask("SHOW transaction_read_only"),
                }
            }
            TargetSessionAttrs::Primary | TargetSessionAttrs::Standby => {
                match on("in_hot_standby") {
                    Some(standby) => self.verdict(standby),
                    None => SessionCheck::Ask("SELECT pg_catalog.pg_is_in_recovery()"),
                }
            }
        }
    }

    /// Decides from the answer to the query [`check`](Self::check) asked
    /// for (`on`/`off` or `t`/`f`).
    pub fn check_answer(self, answer: &str) -> SessionCheck {
        self.verdict(matches!(answer, "on" | "t" | "true"))
    }

    /// `yes` is "read-only" for the read-write pair, "in recovery" for the
    /// primary pair.
    fn verdict(self, yes: bool) -> SessionCheck {
        match (self, yes) {
            (TargetSessionAttrs::ReadWrite, true) => SessionCheck::Reject("session is read-only"),
            (TargetSessionAttrs::ReadOnly, false) => {
                SessionCheck::Reject("session is not read-only")
            }
            (TargetSessionAttrs::Primary, true) => {
                SessionCheck::Reject("server is in hot standby mode")
            }
            (TargetSessionAttrs::Standby, false) => {
                SessionCheck::Reject("server is not in hot standby mode")
            }
            _ => SessionCheck::Accept,
        }
    }
}

/// The error when the text is none of libpq's six values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseTargetError;

impl FromStr for TargetSessionAttrs {
    type Err = ParseTargetError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "any" => TargetSessionAttrs::Any,
            "read-write" => TargetSessionAttrs::ReadWrite,
            "read-only" => TargetSessionAttrs::ReadOnly,
            "primary" => TargetSessionAttrs::Primary,
            "standby" => TargetSessionAttrs::Standby,
            "prefer-standby" => TargetSessionAttrs::PreferStandby,
            _ => return Err(ParseTargetError),
        })
    }
}

impl fmt::Display for TargetSessionAttrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TargetSessionAttrs::Any => "any",
            TargetSessionAttrs::ReadWrite => "read-write",
            TargetSessionAttrs::ReadOnly => "read-only",
            TargetSessionAttrs::Primary => "primary",
            TargetSessionAttrs::Standby => "standby",
            TargetSessionAttrs::PreferStandby => "prefer-standby",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn params(standby: Option<&str>, read_only: Option<&str>) -> impl Fn(&str) -> Option<String> {
        let standby = standby.map(str::to_string);
        let read_only = read_only.map(str::to_string);
        move |name| match name {
            "in_hot_standby" => standby.clone(),
            "default_transaction_read_only" => read_only.clone(),
            _ => None,
        }
    }

    #[rstest]
    #[case("read-write", Some("off"), Some("off"), SessionCheck::Accept)]
    #[case(
        "read-write",
        Some("off"),
        Some("on"),
        SessionCheck::Reject("session is read-only")
    )]
    #[case(
        "read-only",
        Some("off"),
        Some("off"),
        SessionCheck::Reject("session is not read-only")
    )]
    #[case("read-only", Some("on"), Some("off"), SessionCheck::Accept)]
    #[case(
        "primary",
        Some("on"),
        None,
        SessionCheck::Reject("server is in hot standby mode")
    )]
    #[case(
        "standby",
        Some("off"),
        None,
        SessionCheck::Reject("server is not in hot standby mode")
    )]
    #[case(
        "standby",
        None,
        None,
        SessionCheck::Ask("SELECT pg_catalog.pg_is_in_recovery()")
    )]
    #[case(
        "read-write",
        None,
        Some("off"),
        SessionCheck::Ask("SHOW transaction_read_only")
    )]
    #[case("any", Some("on"), Some("on"), SessionCheck::Accept)]
    fn decides_like_libpq(
        #[case] attrs: &str,
        #[case] standby: Option<&str>,
        #[case] read_only: Option<&str>,
        #[case] verdict: SessionCheck,
    ) {
        let attrs: TargetSessionAttrs = attrs.parse().expect("valid");
        assert_eq!(attrs.check(&params(standby, read_only)), verdict);
    }

    #[test]
    fn answers_of_older_servers() {
        assert_eq!(
            TargetSessionAttrs::Standby.check_answer("f"),
            SessionCheck::Reject("server is not in hot standby mode")
        );
        assert_eq!(
            TargetSessionAttrs::ReadOnly.check_answer("on"),
            SessionCheck::Accept
        );
    }

    #[test]
    fn prefer_standby_makes_two_passes() {
        assert_eq!(
            TargetSessionAttrs::PreferStandby.passes(),
            &[TargetSessionAttrs::Standby, TargetSessionAttrs::Any]
        );
        assert!("Read-Write".parse::<TargetSessionAttrs>().is_err());
    }
}
