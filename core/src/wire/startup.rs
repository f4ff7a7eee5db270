//! What a connection is opened with: startup parameters, credentials, the
//! TLS decision and memory limits.

use std::time::{Duration, Instant};

use crate::config::{ConnectSettings, SslMode};
use crate::tls::{ChannelBindingMode, TlsError, TlsRequirements};

use super::error::Error;

/// Whether and how to ask the server for TLS before the startup message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsNegotiation {
    /// Send the startup message in the clear.
    Disabled,
    /// Send SSLRequest; go on in the clear if the server says no.
    Optional,
    /// Send SSLRequest; fail if the server says no.
    Required,
    /// Start the TLS handshake at once, without SSLRequest
    /// (`sslnegotiation=direct`).
    Direct,
}

impl TlsNegotiation {
    /// Maps sslmode to a negotiation, given whether the runtime can run a
    /// TLS handshake at all (libpq built without TLS behaves the same way:
    /// `prefer` and `allow` quietly go in the clear, stricter modes fail).
    pub fn for_mode(mode: SslMode, runtime_has_tls: bool) -> Result<TlsNegotiation, Error> {
        match (mode, runtime_has_tls) {
            (SslMode::Disable, _) => Ok(TlsNegotiation::Disabled),
            (SslMode::Allow | SslMode::Prefer, false) => Ok(TlsNegotiation::Disabled),
            (SslMode::Allow | SslMode::Prefer, true) => Ok(TlsNegotiation::Optional),
            (SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull, true) => {
                Ok(TlsNegotiation::Required)
            }
            (mode, false) => Err(Error::TlsUnavailable {
                mode: mode.to_string(),
            }),
        }
    }
}

/// Upper bounds on what a server may make us buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest message accepted before the connection is ready. Startup
    /// messages are tiny; a huge one means we are not talking to PostgreSQL.
    pub startup_message: usize,
    /// Largest message accepted afterwards. PostgreSQL itself cannot send a
    /// message over 1 GiB (its allocation limit), so that is the default.
    pub message: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            startup_message: 1 << 20,
            message: 1 << 30,
        }
    }
}

/// Everything the state machine needs to open one session.
#[derive(Debug, Clone)]
pub struct Startup {
    /// Role to log in as.
    pub user: String,
    /// Database to connect to.
    pub database: String,
    /// Password, if one is configured (URL, PGPASSWORD or .pgpass).
    pub password: Option<crate::config::Password>,
    /// Shown in pg_stat_activity.
    pub application_name: Option<String>,
    /// Command-line options for the backend (`-c name=value ...`).
    pub options: Option<String>,
    /// Whether to send SSLRequest first.
    pub tls: TlsNegotiation,
    /// The sslmode the TLS decision came from, for error messages.
    pub ssl_mode: SslMode,
    /// Whether SCRAM must, may or must not bind to the TLS channel.
    pub channel_binding: ChannelBindingMode,
    /// When to give up waiting for the server to become ready.
    pub deadline: Option<Instant>,
    /// The configured connect_timeout, for the timeout message.
    pub connect_timeout: Option<Duration>,
    /// Message size limits.
    pub limits: Limits,
}

impl Startup {
    /// Builds the startup for `settings`, with the connection timeout
    /// counted from `now` (the runtime's clock: core never reads one).
    pub fn from_settings(
        settings: &ConnectSettings,
        runtime_has_tls: bool,
        now: Instant,
    ) -> Result<Startup, Error> {
        Ok(Startup {
            user: settings.user.clone(),
            database: settings.database.clone(),
            password: settings.password.clone(),
            application_name: settings.application_name.clone(),
            options: settings.options.clone(),
            tls: TlsNegotiation::for_mode(settings.ssl_mode, runtime_has_tls)?,
            ssl_mode: settings.ssl_mode,
            channel_binding: settings.tls.channel_binding,
            deadline: settings.connect_timeout.map(|t| now + t),
            connect_timeout: settings.connect_timeout,
            limits: Limits::default(),
        })
    }

    /// The key/value pairs of the StartupMessage. client_encoding is fixed
    /// to UTF8 because every front end renders UTF-8.
    pub(crate) fn parameters(&self) -> Vec<(&str, &str)> {
        let mut params = vec![
            ("user", self.user.as_str()),
            ("database", self.database.as_str()),
            ("client_encoding", "UTF8"),
        ];
        if let Some(name) = &self.application_name {
            params.push(("application_name", name));
        }
        if let Some(options) = &self.options {
            params.push(("options", options));
        }
        params
    }
}

/// What to run the TLS handshake with once the server agreed to it (or
/// direct TLS began): the connect plan's requirements, or why there are
/// none — a policy that failed, or a runtime built without TLS while
/// `mode` asked for it.
///
/// # Errors
///
/// [`Error::Tls`] for a refused policy, [`Error::TlsUnavailable`] when
/// `tls` is `None`.
pub fn tls_requirements(
    mode: SslMode,
    tls: Option<&Result<TlsRequirements, TlsError>>,
) -> Result<&TlsRequirements, Error> {
    match tls {
        Some(Ok(req)) => Ok(req),
        Some(Err(e)) => Err(Error::Tls(e.clone())),
        None => Err(Error::TlsUnavailable {
            mode: mode.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_requirements_names_the_sslmode_when_the_runtime_has_no_tls() {
        let err = tls_requirements(SslMode::Require, None).expect_err("no TLS available");
        assert!(matches!(&err, Error::TlsUnavailable { mode } if mode == "require"));
    }

    #[test]
    fn tls_requirements_passes_a_refused_policy_on() {
        let refused = Err(TlsError::ServerRefused {
            mode: "verify-full".to_string(),
        });
        let err = tls_requirements(SslMode::VerifyFull, Some(&refused)).expect_err("refused");
        assert!(matches!(err, Error::Tls(TlsError::ServerRefused { .. })));
    }
}
