//! The TLS settings that `core::config` does not parse yet: `sslnegotiation`,
//! `sslsni` and `channel_binding`, each with libpq's spellings and meaning.
//!
//! They are parsed from the value text alone so that whoever resolves the
//! settings (the connection plan) can hand them over with their origin.

use std::str::FromStr;

/// How TLS is started: libpq's `sslnegotiation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SslNegotiation {
    /// Ask with SSLRequest and wait for `S` or `N` (every server version).
    #[default]
    Postgres,
    /// Start the TLS handshake at once, with ALPN `postgresql`
    /// (PostgreSQL 17 and later): one round trip less, and a proxy can
    /// route on the ALPN.
    Direct,
}

impl SslNegotiation {
    /// libpq's spelling, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            SslNegotiation::Postgres => "postgres",
            SslNegotiation::Direct => "direct",
        }
    }
}

impl FromStr for SslNegotiation {
    type Err = TlsSettingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "postgres" => Ok(SslNegotiation::Postgres),
            "direct" => Ok(SslNegotiation::Direct),
            _ => Err(TlsSettingError::Negotiation(s.to_string())),
        }
    }
}

/// libpq's `channel_binding`: whether SCRAM must bind the authentication
/// to the TLS channel, which proves that no one in the middle terminated
/// TLS with another certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChannelBindingMode {
    /// Never bind, even when both sides could.
    Disable,
    /// Bind when the connection is TLS and the server offers
    /// SCRAM-SHA-256-PLUS.
    #[default]
    Prefer,
    /// Refuse to authenticate in any way that does not bind.
    Require,
}

impl ChannelBindingMode {
    /// libpq's spelling, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelBindingMode::Disable => "disable",
            ChannelBindingMode::Prefer => "prefer",
            ChannelBindingMode::Require => "require",
        }
    }
}

impl FromStr for ChannelBindingMode {
    type Err = TlsSettingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "disable" => Ok(ChannelBindingMode::Disable),
            "prefer" => Ok(ChannelBindingMode::Prefer),
            "require" => Ok(ChannelBindingMode::Require),
            _ => Err(TlsSettingError::ChannelBinding(s.to_string())),
        }
    }
}

/// A TLS setting spelled in a way libpq rejects; the message lists what it
/// accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsSettingError {
    /// Not `postgres` or `direct`.
    #[error("invalid sslnegotiation value \"{0}\": expected postgres or direct")]
    Negotiation(String),
    /// Not `disable`, `prefer` or `require`.
    #[error("invalid channel_binding value \"{0}\": expected disable, prefer or require")]
    ChannelBinding(String),
}

/// The TLS settings beyond sslmode and the certificate files, each at
/// libpq's default unless given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TlsSettings {
    /// `sslnegotiation`.
    pub negotiation: SslNegotiation,
    /// `sslsni`: send the host name in the handshake (SNI), which hosted
    /// services and proxies use to route the connection.
    pub sni: bool,
    /// `channel_binding`.
    pub channel_binding: ChannelBindingMode,
}

impl Default for TlsSettings {
    fn default() -> TlsSettings {
        TlsSettings {
            negotiation: SslNegotiation::Postgres,
            sni: true,
            channel_binding: ChannelBindingMode::Prefer,
        }
    }
}

impl TlsSettings {
    /// Parses the three values as given (`None` or empty: the default).
    ///
    /// # Errors
    ///
    /// [`TlsSettingError`] for an sslnegotiation or channel_binding libpq
    /// would reject.
    pub fn parse(
        sslnegotiation: Option<&str>,
        sslsni: Option<&str>,
        channel_binding: Option<&str>,
    ) -> Result<TlsSettings, TlsSettingError> {
        fn given(v: Option<&str>) -> Option<&str> {
            v.filter(|v| !v.is_empty())
        }
        let mut settings = TlsSettings::default();
        if let Some(text) = given(sslnegotiation) {
            settings.negotiation = text.parse()?;
        }
        if let Some(text) = given(sslsni) {
            settings.sni = sni_enabled(text);
        }
        if let Some(text) = given(channel_binding) {
            settings.channel_binding = text.parse()?;
        }
        Ok(settings)
    }
}

/// libpq sends SNI when `sslsni` starts with `1`; any other value turns it
/// off (libpq does not validate it further, and neither do we).
fn sni_enabled(text: &str) -> bool {
    text.starts_with('1')
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(None, None, None, TlsSettings::default())]
    #[case(Some(""), Some(""), Some(""), TlsSettings::default())]
    #[case(Some("direct"), None, None, TlsSettings { negotiation: SslNegotiation::Direct, ..TlsSettings::default() })]
    #[case(None, Some("0"), None, TlsSettings { sni: false, ..TlsSettings::default() })]
    #[case(None, Some("1"), None, TlsSettings::default())]
    #[case(None, Some("yes"), None, TlsSettings { sni: false, ..TlsSettings::default() })]
    #[case(None, None, Some("require"), TlsSettings { channel_binding: ChannelBindingMode::Require, ..TlsSettings::default() })]
    #[case(None, None, Some("disable"), TlsSettings { channel_binding: ChannelBindingMode::Disable, ..TlsSettings::default() })]
    fn parses_like_libpq(
        #[case] negotiation: Option<&str>,
        #[case] sni: Option<&str>,
        #[case] binding: Option<&str>,
        #[case] expected: TlsSettings,
    ) {
        assert_eq!(TlsSettings::parse(negotiation, sni, binding), Ok(expected));
    }

    #[rstest]
    #[case(
        Some("Direct"),
        None,
        "invalid sslnegotiation value \"Direct\": expected postgres or direct"
    )]
    #[case(
        None,
        Some("required"),
        "invalid channel_binding value \"required\": expected disable, prefer or require"
    )]
    fn rejects_unknown_values(
        #[case] negotiation: Option<&str>,
        #[case] binding: Option<&str>,
        #[case] message: &str,
    ) {
        let err = TlsSettings::parse(negotiation, None, binding).expect_err("must be refused");
        assert_eq!(err.to_string(), message);
    }
}
