//! libpq's `sslmode`.

use std::fmt;
use std::str::FromStr;

/// How hard to insist on TLS, with libpq's six levels and meanings, so that
/// a user's `sslmode=` means here exactly what it means to psql.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SslMode {
    /// Never use TLS.
    Disable,
    /// Try without TLS first; use TLS if the server insists.
    Allow,
    /// Try TLS first; fall back to plain text if the server has none.
    #[default]
    Prefer,
    /// TLS or fail, without checking the certificate.
    Require,
    /// TLS, and the server certificate must chain to a trusted root.
    VerifyCa,
    /// As `VerifyCa`, and the certificate must name the host.
    VerifyFull,
}

impl SslMode {
    /// The spelling libpq uses, for messages and for re-creating a
    /// connection string.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An sslmode spelled in a way libpq would reject; the message lists the
/// accepted spellings so the fix is obvious.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid sslmode \"{value}\": expected one of disable, allow, prefer, require, verify-ca, verify-full"
)]
pub struct ParseSslModeError {
    /// The rejected text.
    pub value: String,
}

impl FromStr for SslMode {
    type Err = ParseSslModeError;

    /// Exact, case-sensitive match, as libpq does.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "disable" => Ok(SslMode::Disable),
            "allow" => Ok(SslMode::Allow),
            "prefer" => Ok(SslMode::Prefer),
            "require" => Ok(SslMode::Require),
            "verify-ca" => Ok(SslMode::VerifyCa),
            "verify-full" => Ok(SslMode::VerifyFull),
            _ => Err(ParseSslModeError {
                value: s.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("disable", SslMode::Disable)]
    #[case("allow", SslMode::Allow)]
    #[case("prefer", SslMode::Prefer)]
    #[case("require", SslMode::Require)]
    #[case("verify-ca", SslMode::VerifyCa)]
    #[case("verify-full", SslMode::VerifyFull)]
    fn round_trips(#[case] text: &str, #[case] mode: SslMode) {
        assert_eq!(text.parse::<SslMode>(), Ok(mode));
        assert_eq!(mode.to_string(), text);
    }

    #[rstest]
    #[case("requir")]
    #[case("REQUIRE")]
    #[case("verify_full")]
    #[case("")]
    fn rejects_other_spellings(#[case] text: &str) {
        let err = text.parse::<SslMode>().expect_err("must not parse");
        assert_eq!(
            err.to_string(),
            format!(
                "invalid sslmode \"{text}\": expected one of disable, allow, prefer, require, verify-ca, verify-full"
            )
        );
    }

    #[test]
    fn default_is_prefer_like_libpq() {
        assert_eq!(SslMode::default(), SslMode::Prefer);
    }
}
