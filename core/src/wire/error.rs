//! Everything that ends a connection or refuses a request.

use super::auth_method::AuthMethod;
use super::server_error::ServerMessage;

/// Why the connection cannot go on, or why a request was refused.
///
/// Messages never contain a password: the types that could carry one do not
/// reach this enum.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server (or something posing as one) declared a message larger
    /// than we are willing to hold in memory.
    #[error(
        "server sent a {kind} message of {len} bytes, over the {limit}-byte limit; \
         refusing it to protect memory (raise the limit if the server is trusted)"
    )]
    MessageTooLong {
        /// Message kind, named after its tag.
        kind: &'static str,
        /// Declared length.
        len: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The first answer to the startup message is not one PostgreSQL
    /// sends: something else listens on that port.
    #[error(
        "expected an authentication request from the server, but received {}: is a \
         PostgreSQL server listening there?",
        shown_byte(*.byte)
    )]
    NotPostgres {
        /// The first byte received.
        byte: u8,
    },
    /// Bytes that are not a valid protocol message.
    #[error("malformed message from server: {0}")]
    Malformed(String),
    /// A valid message that makes no sense in the current state.
    #[error("protocol violation: server sent {message} while {state}")]
    UnexpectedMessage {
        /// What arrived.
        message: &'static str,
        /// What we were doing.
        state: &'static str,
    },
    /// The server rejected the connection during startup or authentication.
    #[error("{}", rejected_message(.error, .user, *.method))]
    Rejected {
        /// The server's error.
        error: Box<ServerMessage>,
        /// The user we tried to log in as.
        user: String,
        /// The authentication method the server asked for, if it got that far.
        method: Option<AuthMethod>,
    },
    /// The server wants a password and none was configured.
    #[error(
        "server requested {method} authentication for user \"{user}\" but no password was supplied: \
         put it in the connection URL, PGPASSWORD or the password file (PGPASSFILE, else ~/.pgpass)"
    )]
    PasswordRequired {
        /// The user we tried to log in as.
        user: String,
        /// The method the server asked for.
        method: AuthMethod,
    },
    /// The server asked for an authentication method we do not implement.
    #[error(
        "server requested {method} authentication for user \"{user}\", which sequelae does not support; \
         configure pg_hba.conf to use scram-sha-256, md5 or password for this client"
    )]
    UnsupportedAuth {
        /// The user we tried to log in as.
        user: String,
        /// Name of the method.
        method: &'static str,
    },
    /// SCRAM exchange failed on our side (bad server proof, malformed data).
    #[error("SCRAM-SHA-256 authentication for user \"{user}\" failed: {reason}")]
    Scram {
        /// The user we tried to log in as.
        user: String,
        /// What went wrong.
        reason: String,
    },
    /// sslmode requires TLS and the server does not offer it.
    #[error("{}", crate::tls::TlsError::ServerRefused { mode: mode.clone() })]
    TlsRefused {
        /// The sslmode in force.
        mode: String,
    },
    /// A TLS or channel-binding rule refused the session (see
    /// [`TlsError`](crate::tls::TlsError)).
    #[error("{0}")]
    Tls(#[from] crate::tls::TlsError),
    /// sslmode requires TLS and this runtime cannot do it.
    #[error(
        "sslmode={mode} requires TLS, which this build of sequelae does not support yet; \
         use sslmode=prefer or sslmode=disable"
    )]
    TlsUnavailable {
        /// The sslmode in force.
        mode: String,
    },
    /// Bytes arrived after the server's answer to SSLRequest and before the
    /// TLS handshake: someone may be injecting data (CVE-2021-23222).
    #[error("server sent unencrypted data after its answer to SSLRequest; refusing the connection")]
    UnencryptedDataAfterSslResponse,
    /// connect_timeout passed before the server was ready.
    #[error(
        "timed out after {seconds} s waiting for the server to accept the connection (connect_timeout)"
    )]
    StartupTimeout {
        /// The configured timeout.
        seconds: u64,
    },
    /// The query deadline passed, a cancel was sent, and the server still
    /// did not answer: the session is abandoned.
    #[error(
        "the server did not answer within {seconds:.1} s of a cancel request; \
         closing the connection (the statement may still be running on the server)"
    )]
    CancelIgnored {
        /// How long we waited after the cancel.
        seconds: f64,
    },
    /// The server closed the socket.
    #[error("{}", closed_message(.last_error))]
    Closed {
        /// The FATAL message the server sent before closing, if any.
        last_error: Option<Box<ServerMessage>>,
    },
    /// A request was made in a state that cannot take it (API misuse).
    #[error("cannot {action} while the connection is {state}")]
    InvalidState {
        /// What was asked.
        action: &'static str,
        /// What the connection was doing.
        state: &'static str,
    },
    /// A connection parameter (user, database, options...) with a NUL
    /// byte, which the startup message cannot carry.
    #[error(
        "a connection parameter (user, database, application_name or options) contains a NUL byte"
    )]
    NulInParameters,
    /// SQL text with a NUL byte, which the protocol cannot carry.
    #[error("the SQL text contains a NUL byte, which PostgreSQL cannot accept")]
    NulInQuery,
    /// A password with a NUL byte: the password message cannot carry it.
    /// The value is never shown.
    #[error(
        "the password for user \"{user}\" contains a NUL byte, which the protocol cannot carry: check the password in the connection URL, PGPASSWORD or the password file"
    )]
    NulInPassword {
        /// The user logging in.
        user: String,
    },
}

fn rejected_message(error: &ServerMessage, user: &str, method: Option<AuthMethod>) -> String {
    let mut text = format!("{}:  {}", error.severity, error.message);
    if let Some(method) = method {
        text.push_str(&format!(
            " (user \"{user}\", authentication method {method})"
        ));
    } else if !error.message.contains(user) {
        text.push_str(&format!(" (user \"{user}\")"));
    }
    if let Some(detail) = &error.detail {
        text.push_str(&format!("\nDETAIL:  {detail}"));
    }
    if let Some(hint) = &error.hint {
        text.push_str(&format!("\nHINT:  {hint}"));
    }
    text
}

fn closed_message(last_error: &Option<Box<ServerMessage>>) -> String {
    match last_error {
        Some(e) => format!(
            "server closed the connection: {}:  {}",
            e.severity, e.message
        ),
        None => "server closed the connection unexpectedly; it may have terminated abnormally \
                 before or while processing the request"
            .to_string(),
    }
}

/// A byte as libpq shows it, `'H'`, or in hex when it is not printable.
fn shown_byte(byte: u8) -> String {
    if byte.is_ascii_graphic() {
        format!("'{}'", char::from(byte))
    } else {
        format!("byte 0x{byte:02x}")
    }
}
