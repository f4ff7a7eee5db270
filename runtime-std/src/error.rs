//! Errors of the blocking runtime.

use std::io;

use sequelae_core::config::ConfigError;
use sequelae_core::connect::{ConnectFailed, Failure};
use sequelae_core::hint::socket_hint;
use sequelae_core::request::CopyError;
use sequelae_core::wire::{self, ServerMessage};

/// What went wrong, grouped by what the user must do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection settings are malformed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No socket could be opened.
    #[error("connection to {endpoint} failed: {source}{}", socket_hint(.source.kind(), .endpoint))]
    Connect {
        /// The endpoint, as libpq describes it.
        endpoint: String,
        /// Why.
        source: io::Error,
    },
    /// The socket opened but the session could not start (authentication,
    /// unknown database, TLS refused, timeout...).
    #[error("connection to {endpoint} failed: {source}")]
    Startup {
        /// The endpoint, as libpq describes it.
        endpoint: String,
        /// Why.
        source: wire::Error,
    },
    /// The session opened but is not the kind `target_session_attrs`
    /// asks for (e.g. read-only when read-write was wanted).
    #[error("connection to {endpoint} failed: {reason}")]
    WrongSession {
        /// The endpoint, as libpq describes it.
        endpoint: String,
        /// libpq's words for the mismatch.
        reason: &'static str,
    },
    /// Connecting failed after warnings that may explain why (a password
    /// file ignored for its permissions): both are reported.
    #[error("{error}{}", .warnings.iter().map(|w| format!("\nwarning: {w}")).collect::<String>())]
    Warned {
        /// What failed.
        error: Box<Error>,
        /// What was noticed on the way.
        warnings: Vec<String>,
    },
    /// Every host in the list failed; each attempt is reported.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    AllHostsFailed(Vec<Error>),
    /// The database refused a statement.
    #[error("{0}")]
    Db(Box<ServerMessage>),
    /// The session broke (protocol violation, server closed the socket).
    #[error(transparent)]
    Protocol(#[from] wire::Error),
    /// Reading from or writing to the server failed.
    #[error("lost the connection to the server: {0}")]
    Io(#[source] io::Error),
    /// Reading the caller's input or writing the caller's output failed.
    #[error("{0}")]
    Local(#[source] io::Error),
    /// The call does not fit what the SQL did (e.g. copy_out on a SELECT).
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// True when the failure happened before a session existed: the
    /// caller's exit code 3, "cannot connect".
    pub fn is_connect(&self) -> bool {
        match self {
            Error::Warned { error, .. } => error.is_connect(),
            other => matches!(
                other,
                Error::Connect { .. }
                    | Error::Startup { .. }
                    | Error::WrongSession { .. }
                    | Error::AllHostsFailed(_)
            ),
        }
    }

    /// The server's error when the database refused a statement.
    pub fn db_error(&self) -> Option<&ServerMessage> {
        match self {
            Error::Db(e) => Some(e),
            _ => None,
        }
    }
}

/// A COPY's ending: the caller's own stream failed, the database refused,
/// or the SQL was not a COPY.
impl From<CopyError<io::Error>> for Error {
    fn from(error: CopyError<io::Error>) -> Error {
        match error {
            CopyError::Local(e) => Error::Local(e),
            CopyError::Db(e) => Error::Db(e),
            CopyError::NotACopy(message) => Error::Usage(message.into()),
        }
    }
}

/// The plan's failed attempts as one error: the single failure, or every
/// host's, with the warnings that may explain them.
impl From<ConnectFailed<Error>> for Error {
    fn from(failed: ConnectFailed<Error>) -> Error {
        let mut errors: Vec<Error> = failed
            .attempts
            .into_iter()
            .map(|attempt| {
                let endpoint = attempt.endpoint.to_string();
                match attempt.failure {
                    Failure::Runtime(error) => error,
                    Failure::Startup(source) => Error::Startup { endpoint, source },
                    Failure::WrongSession(reason) => Error::WrongSession { endpoint, reason },
                }
            })
            .collect();
        let error = match errors.len() {
            0 => Error::Usage("no host to connect to".into()),
            1 => errors.remove(0),
            _ => Error::AllHostsFailed(errors),
        };
        match failed.warnings {
            warnings if warnings.is_empty() => error,
            warnings => Error::Warned {
                error: Box::new(error),
                warnings,
            },
        }
    }
}
