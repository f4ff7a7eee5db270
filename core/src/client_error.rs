//! What a runtime's `Client` reports when something fails, worded once
//! for every runtime: the blocking one re-exports it as
//! `sequelae_std::Error`, and an async one does the same, so a front end
//! classifies and prints failures alike whichever runtime carried them.

use std::io;

use crate::backup::OutputFailure;
use crate::config::{ConfigError, Endpoint};
use crate::connect::{ConnectFailed, Failure};
use crate::hint::socket_hint;
use crate::request::CopyError;
use crate::wire::{self, ServerMessage};

/// What went wrong, grouped by what the user must do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
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
        error: Box<ClientError>,
        /// What was noticed on the way.
        warnings: Vec<String>,
    },
    /// Every host in the list failed; each attempt is reported.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    AllHostsFailed(Vec<ClientError>),
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

impl ClientError {
    /// True when the failure happened before a session existed: the
    /// caller's exit code 3, "cannot connect".
    pub fn is_connect(&self) -> bool {
        match self {
            ClientError::Warned { error, .. } => error.is_connect(),
            other => matches!(
                other,
                ClientError::Connect { .. }
                    | ClientError::Startup { .. }
                    | ClientError::WrongSession { .. }
                    | ClientError::AllHostsFailed(_)
            ),
        }
    }

    /// The server's error when the database refused a statement.
    pub fn db_error(&self) -> Option<&ServerMessage> {
        match self {
            ClientError::Db(e) => Some(e),
            _ => None,
        }
    }
}

/// A COPY's ending: the caller's own stream failed, the database refused,
/// or the SQL was not a COPY.
impl From<CopyError<io::Error>> for ClientError {
    fn from(error: CopyError<io::Error>) -> ClientError {
        match error {
            CopyError::Local(e) => ClientError::Local(e),
            CopyError::Db(e) => ClientError::Db(e),
            CopyError::NotACopy(message) => ClientError::Usage(message.into()),
        }
    }
}

impl ClientError {
    /// A socket to `endpoint` that would not open (or broke before the
    /// session started).
    pub fn connect(endpoint: &Endpoint, source: io::Error) -> ClientError {
        ClientError::Connect {
            endpoint: endpoint.to_string(),
            source,
        }
    }

    /// This error, met while a session to `endpoint` starts, worded with
    /// the endpoint as libpq does: a protocol failure is the server's
    /// refusal to start, a broken socket a failed connection; anything
    /// else stays as it is.
    pub fn during_startup(self, endpoint: &str) -> ClientError {
        let endpoint = endpoint.to_string();
        match self {
            ClientError::Protocol(source) => ClientError::Startup { endpoint, source },
            ClientError::Io(source) => ClientError::Connect { endpoint, source },
            other => other,
        }
    }

    /// A step of the connect plan came out of order: a bug in the plan,
    /// not something a user can fix.
    pub fn off_plan() -> ClientError {
        ClientError::Usage("internal error: the connect plan skipped a step".into())
    }
}

/// A session that would not start, as the connect plan weighs it: a
/// refusal of the server's is [`Failure::Startup`] (the plan words it with
/// the endpoint), anything else the runtime's own failure.
impl From<ClientError> for Failure<ClientError> {
    fn from(error: ClientError) -> Failure<ClientError> {
        match error {
            ClientError::Startup { source, .. } => Failure::Startup(source),
            other => Failure::Runtime(other),
        }
    }
}

/// A backup's COPY that failed, as the backup driver reads it: the
/// output's own failure in the system's words (a closed pipe is a reader
/// that left), anything else as the session says it.
impl From<ClientError> for OutputFailure {
    fn from(error: ClientError) -> OutputFailure {
        match error {
            ClientError::Local(e) => OutputFailure::from(e),
            e => OutputFailure::Other(e.to_string()),
        }
    }
}

/// A host name that resolved to no address at all: said as libpq says it,
/// for the runtimes' socket opening.
pub fn no_address(host: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("host name \"{host}\" resolved to no address"),
    )
}

/// The plan's failed attempts as one error: the single failure, or every
/// host's, with the warnings that may explain them.
impl From<ConnectFailed<ClientError>> for ClientError {
    fn from(failed: ConnectFailed<ClientError>) -> ClientError {
        let mut errors: Vec<ClientError> = failed
            .attempts
            .into_iter()
            .map(|attempt| {
                let endpoint = attempt.endpoint.to_string();
                match attempt.failure {
                    Failure::Runtime(error) => error,
                    Failure::Startup(source) => ClientError::Startup { endpoint, source },
                    Failure::WrongSession(reason) => ClientError::WrongSession { endpoint, reason },
                }
            })
            .collect();
        let error = match errors.len() {
            0 => ClientError::Usage("no host to connect to".into()),
            1 => errors.remove(0),
            _ => ClientError::AllHostsFailed(errors),
        };
        match failed.warnings {
            warnings if warnings.is_empty() => error,
            warnings => ClientError::Warned {
                error: Box::new(error),
                warnings,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Endpoint, Host};
    use crate::connect::AttemptFailure;

    fn endpoint(host: &str) -> Endpoint {
        Endpoint {
            host: Host::Tcp(host.to_string()),
            port: 5432,
            hostaddr: None,
        }
    }

    fn refused(host: &str) -> AttemptFailure<ClientError> {
        let endpoint = endpoint(host);
        let source = io::Error::from(io::ErrorKind::ConnectionRefused);
        let failure = Failure::Runtime(ClientError::Connect {
            endpoint: endpoint.to_string(),
            source,
        });
        AttemptFailure { endpoint, failure }
    }

    fn failed(attempts: Vec<AttemptFailure<ClientError>>, warnings: &[&str]) -> ClientError {
        let warnings = warnings.iter().map(ToString::to_string).collect();
        ClientError::from(ConnectFailed { attempts, warnings })
    }

    #[test]
    fn one_refused_host_reads_as_libpq_with_its_hint() {
        let error = failed(vec![refused("db")], &[]);
        assert!(error.is_connect());
        assert!(matches!(error, ClientError::Connect { .. }));
        let text = error.to_string();
        assert!(
            text.starts_with("connection to server at \"db\", port 5432 failed: "),
            "{text}"
        );
        assert!(text.ends_with("accepting TCP/IP connections?"), "{text}");
    }

    #[test]
    fn every_host_is_reported_and_warnings_follow() {
        let error = failed(vec![refused("a"), refused("b")], &["password file ignored"]);
        assert!(error.is_connect());
        let ClientError::Warned { error: inner, .. } = &error else {
            panic!("{error:?}");
        };
        assert!(matches!(**inner, ClientError::AllHostsFailed(ref v) if v.len() == 2));
        let text = error.to_string();
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("connection to"))
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(text.ends_with("\nwarning: password file ignored"), "{text}");
    }

    #[test]
    fn a_startup_refusal_and_a_wrong_session_name_their_host() {
        let attempts = vec![
            AttemptFailure {
                endpoint: endpoint("a"),
                failure: Failure::Startup(wire::Error::Closed { last_error: None }),
            },
            AttemptFailure {
                endpoint: endpoint("b"),
                failure: Failure::WrongSession("session is read-only"),
            },
        ];
        let text = failed(attempts, &[]).to_string();
        assert!(
            text.contains("connection to server at \"a\", port 5432 failed: "),
            "{text}"
        );
        assert!(
            text.contains("connection to server at \"b\", port 5432 failed: session is read-only"),
            "{text}"
        );
    }

    #[test]
    fn no_host_at_all_is_a_usage_error() {
        let error = failed(Vec::new(), &[]);
        assert!(matches!(error, ClientError::Usage(_)));
        assert!(!error.is_connect());
    }

    #[test]
    fn a_failure_while_starting_names_the_endpoint() {
        let refused = ClientError::Protocol(wire::Error::Malformed("bad".into()));
        let refused = refused.during_startup("localhost:5432");
        assert!(
            matches!(&refused, ClientError::Startup { endpoint, .. } if endpoint == "localhost:5432")
        );
        let broken = ClientError::Io(io::Error::from(io::ErrorKind::ConnectionReset));
        assert!(matches!(
            broken.during_startup("h:1"),
            ClientError::Connect { .. }
        ));
        let usage = ClientError::Usage("no".into()).during_startup("h:1");
        assert!(matches!(usage, ClientError::Usage(_)));
        let host = endpoint("db.example");
        let failed = ClientError::connect(&host, no_address("db.example"));
        assert!(
            failed
                .to_string()
                .contains("\"db.example\" resolved to no address")
        );
    }

    #[test]
    fn a_failed_backup_copy_blames_the_output_or_the_session() {
        let gone = ClientError::Local(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(matches!(
            OutputFailure::from(gone),
            OutputFailure::ReaderGone
        ));
        let full = OutputFailure::from(ClientError::Local(io::Error::other("disk full")));
        assert!(matches!(full, OutputFailure::Other(m) if m == "disk full"));
        let usage = OutputFailure::from(ClientError::Usage("needs a COPY".into()));
        assert!(matches!(usage, OutputFailure::Other(m) if m == "needs a COPY"));
    }

    #[test]
    fn a_refused_start_is_the_plans_to_word_and_the_rest_the_runtimes() {
        let refused = ClientError::Startup {
            endpoint: "localhost:5432".into(),
            source: wire::Error::Malformed("not PostgreSQL".into()),
        };
        assert!(matches!(Failure::from(refused), Failure::Startup(_)));
        let usage = Failure::from(ClientError::off_plan());
        assert!(matches!(usage, Failure::Runtime(ClientError::Usage(_))));
    }

    #[test]
    fn a_copy_ending_maps_to_who_must_act() {
        let local = ClientError::from(CopyError::Local(io::Error::other("disk full")));
        assert!(matches!(local, ClientError::Local(_)));
        let db = ClientError::from(CopyError::<io::Error>::Db(Box::default()));
        assert!(db.db_error().is_some());
        let usage = ClientError::from(CopyError::<io::Error>::NotACopy("needs a COPY"));
        assert_eq!(usage.to_string(), "needs a COPY");
    }
}
