//! What can be wrong with connection settings, said so that the user can fix
//! it. No message ever contains a password: values are quoted only for
//! options that cannot hold one, and a token that follows a secret value
//! (where a missing quote would have split the secret) is never echoed.

use std::fmt;

/// Where a bad value came from, so that a message points the user at the
/// right place to fix it (a flag, `DATABASE_URL`, or one `PG*` variable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// The connection string given explicitly (e.g. `--database-url`).
    ConnectionString,
    /// The `DATABASE_URL` environment variable.
    DatabaseUrl,
    /// A `PG*` environment variable, by name.
    EnvVar(&'static str),
    /// A `PG*` variable set by the `.env` file, by name.
    DotEnv(&'static str),
    /// The connection service file (`service=` / `PGSERVICE`).
    ServiceFile,
    /// The password file (`.pgpass` or `PGPASSFILE`).
    PasswordFile,
    /// libpq's built-in defaults (one host on the default socket).
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::ConnectionString => f.write_str("connection string"),
            Origin::DatabaseUrl => f.write_str("DATABASE_URL"),
            Origin::EnvVar(name) => f.write_str(name),
            Origin::DotEnv(name) => write!(f, "{name} (from .env)"),
            Origin::ServiceFile => f.write_str("service file"),
            Origin::PasswordFile => f.write_str("password file"),
            Origin::Default => f.write_str("the defaults"),
        }
    }
}

/// The component of a connection URI that failed to decode, named instead
/// of quoted because it may be the password.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UriPart {
    /// The user name before `@`.
    User,
    /// The password between `:` and `@`.
    Password,
    /// The host list.
    Host,
    /// The port list.
    Port,
    /// The database name after `/`.
    Database,
    /// The name of a `?key=value` parameter.
    ParameterName,
    /// The value of the `?key=value` parameter with this (decoded) name.
    ParameterValue(String),
}

impl fmt::Display for UriPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UriPart::User => f.write_str("user name"),
            UriPart::Password => f.write_str("password"),
            UriPart::Host => f.write_str("host"),
            UriPart::Port => f.write_str("port"),
            UriPart::Database => f.write_str("database name"),
            UriPart::ParameterName => f.write_str("a query parameter name"),
            UriPart::ParameterValue(key) => write!(f, "the value of query parameter \"{key}\""),
        }
    }
}

/// Why connection settings could not be resolved.
///
/// One enum for the whole settings boundary so that callers map it to a
/// single exit code (bad usage) and print it as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Neither a URI nor key=value pairs (e.g. a bare database name).
    #[error(
        "{origin} is neither a connection URI nor key=value settings: write \
         postgresql://user@host:5432/dbname or \"host=... port=5432 user=... dbname=...\""
    )]
    NotAConnectionString {
        /// Where the string came from.
        origin: Origin,
    },
    /// A URI with another scheme (mysql://, jdbc:postgresql://, ...).
    #[error(
        "connection URI must start with postgres:// or postgresql:// \
         (found \"{scheme}://\" in {origin})"
    )]
    UnsupportedScheme {
        /// The scheme found before `://`.
        scheme: String,
        /// Where the string came from.
        origin: Origin,
    },
    /// A quoted key=value value without its closing quote.
    #[error(
        "unterminated quoted value for key \"{key}\" (the quote at position {position}) in \
         {origin}: close it with ' (write \\' for a quote inside the value)"
    )]
    UnterminatedQuote {
        /// The key whose value is unterminated.
        key: String,
        /// Where the opening quote is (characters, from 1).
        position: usize,
        /// Where the string came from.
        origin: Origin,
    },
    /// A word without `=` in a key=value string.
    #[error(
        "missing \"=\" after \"{word}\" at position {position} in {origin}: write key=value \
         pairs separated by spaces, and quote values that contain spaces, e.g. \
         application_name='my app'"
    )]
    MissingEquals {
        /// The word that should have been a key.
        word: String,
        /// Where the `=` was expected (characters, from 1).
        position: usize,
        /// Where the string came from.
        origin: Origin,
    },
    /// A word without `=` right after a secret's unquoted value: most
    /// likely the rest of a secret that contains a space, so not echoed.
    #[error(
        "missing \"=\" after the value of \"{key}\" in {origin}: a value that contains \
         spaces must be quoted, e.g. {key}='my secret'"
    )]
    MissingEqualsAfterSecret {
        /// The secret key (password, sslpassword...) before the word.
        key: String,
        /// Where the string came from.
        origin: Origin,
    },
    /// `=value` with nothing before the `=`.
    #[error(
        "missing option name before \"=\" at position {position} in {origin}: write key=value \
         pairs"
    )]
    MissingKey {
        /// Where the `=` is (characters, from 1).
        position: usize,
        /// Where the string came from.
        origin: Origin,
    },
    /// A key libpq does not know.
    #[error("unknown connection option \"{key}\" in {origin}: {hint}")]
    UnknownOption {
        /// The unknown key.
        key: String,
        /// Where the string came from.
        origin: Origin,
        /// A likely correction, or where the valid keys are listed.
        hint: String,
    },
    /// An unknown key right after a secret's unquoted value; not echoed in
    /// case it is the tail of the secret.
    #[error(
        "unknown connection option after the value of \"{key}\" in {origin}: if that \
         value contains spaces, quote it (e.g. {key}='my secret'); otherwise check the \
         spelling of the option that follows it"
    )]
    UnknownOptionAfterSecret {
        /// The secret key before the unknown option.
        key: String,
        /// Where the string came from.
        origin: Origin,
    },
    /// A libpq option whose requested behaviour sequelae does not have;
    /// refused rather than silently ignored, since ignoring it could make
    /// the connection weaker or different from what was asked.
    #[error("{}", unsupported_message(.key, .value.as_deref(), .accepted, .origin))]
    UnsupportedOption {
        /// The option.
        key: String,
        /// Its value, or `None` when the option holds a secret.
        value: Option<String>,
        /// The values that are accepted (libpq's defaults); may be empty.
        accepted: &'static [&'static str],
        /// Where the option came from.
        origin: Origin,
    },
    /// A value that contains a NUL character, which the protocol cannot carry.
    #[error(
        "the value of \"{key}\" in {origin} contains a NUL character, which PostgreSQL cannot accept"
    )]
    NulInValue {
        /// The option.
        key: String,
        /// Where the option came from.
        origin: Origin,
    },
    /// A port that is not a number from 1 to 65535.
    #[error("invalid port \"{value}\" in {origin}: expected a number from 1 to 65535")]
    InvalidPort {
        /// The offending list element.
        value: String,
        /// Where the port came from.
        origin: Origin,
    },
    /// A port list that cannot be paired with the host list.
    #[error(
        "could not match {ports} port numbers to {hosts} hosts (ports from {port_origin}, \
         hosts from {host_origin}): give one port for all hosts or one port per host"
    )]
    PortCountMismatch {
        /// Number of ports given.
        ports: usize,
        /// Number of hosts given.
        hosts: usize,
        /// Where the ports came from.
        port_origin: Origin,
        /// Where the hosts came from.
        host_origin: Origin,
    },
    /// `host` and `hostaddr` lists of different lengths.
    #[error(
        "could not match {hosts} host names (from {host_origin}) to {hostaddrs} hostaddr \
         values (from {hostaddr_origin}): give as many host names as addresses"
    )]
    HostCountMismatch {
        /// Number of host names.
        hosts: usize,
        /// Number of hostaddr values.
        hostaddrs: usize,
        /// Where the host names came from.
        host_origin: Origin,
        /// Where the addresses came from.
        hostaddr_origin: Origin,
    },
    /// An sslmode that is not one of libpq's six.
    #[error(
        "invalid sslmode \"{value}\" in {origin}: expected one of disable, allow, prefer, \
         require, verify-ca, verify-full"
    )]
    InvalidSslMode {
        /// The offending value.
        value: String,
        /// Where it came from.
        origin: Origin,
    },
    /// `sslrootcert=system` with an sslmode that would not check the host name.
    #[error(
        "sslmode \"{ssl_mode}\" from {origin} may not be used with sslrootcert=system: \
         use sslmode=verify-full (or leave sslmode unset)"
    )]
    WeakSslModeForSystemRoots {
        /// The sslmode that was asked for.
        ssl_mode: String,
        /// Where the sslmode came from.
        origin: Origin,
    },
    /// A `connect_timeout` that is not an integer.
    #[error(
        "invalid connect_timeout \"{value}\" in {origin}: expected a whole number of \
         seconds (0 waits forever)"
    )]
    InvalidConnectTimeout {
        /// The offending value.
        value: String,
        /// Where it came from.
        origin: Origin,
    },
    /// No user in the settings, no `PGUSER`, and no OS user to default to.
    #[error("no user name: set PGUSER or put the user in the connection string")]
    NoUser,
    /// A `%` not followed by two hex digits.
    #[error(
        "invalid percent-encoding{} in connection URI ({part}, {origin}): \"%\" must be \
         followed by two hex digits; write a literal \"%\" as %25",
        at(*.position)
    )]
    InvalidPercentEncoding {
        /// Where the `%` is (characters, from 1), when known.
        position: Option<usize>,
        /// Which component.
        part: UriPart,
        /// Where the URI came from.
        origin: Origin,
    },
    /// `%00`, which no PostgreSQL string can hold.
    #[error("forbidden %00{} in connection URI ({part}, {origin})", at(*.position))]
    PercentEncodedNul {
        /// Where the `%` is (characters, from 1), when known.
        position: Option<usize>,
        /// Which component.
        part: UriPart,
        /// Where the URI came from.
        origin: Origin,
    },
    /// Percent-decoded bytes that are not UTF-8.
    #[error(
        "connection URI ({part}, {origin}) decodes to bytes that are not UTF-8: \
         percent-encode text as UTF-8"
    )]
    InvalidUtf8 {
        /// Which component.
        part: UriPart,
        /// Where the URI came from.
        origin: Origin,
    },
    /// A raw space inside a URI component.
    #[error(
        "unexpected space{} in connection URI ({part}, {origin}): write spaces as %20",
        at(*.position)
    )]
    UnencodedSpace {
        /// Where the space is (characters, from 1), when known.
        position: Option<usize>,
        /// Which component.
        part: UriPart,
        /// Where the URI came from.
        origin: Origin,
    },
    /// An `@` where it cannot belong: most often a password containing
    /// `/`, `@` or `?` that was not percent-encoded.
    #[error(
        "unexpected \"@\" at position {position} after the host in connection URI ({origin}): \
         percent-encode \
         \"@\", \"/\", \"?\" and \"%\" in the user name, password and database name \
         (%40, %2F, %3F, %25)"
    )]
    UnencodedAtSign {
        /// Where the `@` is (characters, from 1).
        position: usize,
        /// Where the URI came from.
        origin: Origin,
    },
    /// `[` without `]`.
    #[error("missing \"]\" after the IPv6 address in connection URI ({origin})")]
    UnterminatedIpv6 {
        /// Where the URI came from.
        origin: Origin,
    },
    /// `[]`.
    #[error("empty IPv6 address \"[]\" in connection URI ({origin})")]
    EmptyIpv6 {
        /// Where the URI came from.
        origin: Origin,
    },
    /// Something other than `:`, `,`, `/` or `?` after `]`.
    #[error(
        "unexpected character \"{found}\" at position {position} after \"]\" in connection URI \
         ({origin}): expected \":port\", \",\", \"/\" or \"?\""
    )]
    UnexpectedAfterIpv6 {
        /// Where it is (characters, from 1).
        position: usize,
        /// The character found.
        found: char,
        /// Where the URI came from.
        origin: Origin,
    },
    /// A URI query parameter libpq does not know; libpq's own words first.
    #[error("invalid URI query parameter: \"{key}\" in {origin}: {hint}")]
    InvalidUriParameter {
        /// The unknown parameter.
        key: String,
        /// Where the URI came from.
        origin: Origin,
        /// A likely correction, or where the valid keys are listed.
        hint: String,
    },
    /// A `PG*` variable for a session default libpq sends and sequelae
    /// does not; refused so that the session is not silently different.
    #[error("{var} is set, but sequelae does not honour it: unset it and use {instead}")]
    UnsupportedVariable {
        /// The variable.
        var: &'static str,
        /// How to get the same effect.
        instead: &'static str,
    },
    /// A service file line that is not `key=value` with a known key.
    #[error(
        "syntax error in service file \"{file}\", line {line}: write key=value with a libpq \
         option name"
    )]
    ServiceFileSyntax {
        /// The file.
        file: String,
        /// The line number, from 1.
        line: usize,
    },
    /// `service=` inside a service file.
    #[error("nested service specifications not supported in service file \"{file}\", line {line}")]
    NestedService {
        /// The file.
        file: String,
        /// The line number, from 1.
        line: usize,
    },
    /// No service file defines the requested service.
    #[error(
        "definition of service \"{name}\" (from {origin}) not found in {}",
        join_files(.searched)
    )]
    ServiceNotFound {
        /// The service name.
        name: String,
        /// Where the name came from.
        origin: Origin,
        /// The files searched, in order.
        searched: Vec<String>,
    },
    /// A target_session_attrs value libpq does not know.
    #[error(
        "invalid target_session_attrs \"{value}\" in {origin}: expected one of any, read-write, \
         read-only, primary, standby, prefer-standby"
    )]
    InvalidTargetSessionAttrs {
        /// The offending value.
        value: String,
        /// Where it came from.
        origin: Origin,
    },
    /// An sslmode that needs TLS, which this build cannot do: the settings
    /// cannot work against any server, so it is a configuration problem.
    #[error(
        "sslmode={mode} (from {origin}) requires TLS, which this build of sequelae does not \
         support yet; use sslmode=prefer or sslmode=disable"
    )]
    TlsUnavailable {
        /// The sslmode in force.
        mode: String,
        /// Where it came from.
        origin: Origin,
    },
    /// sslnegotiation or channel_binding spelled in a way libpq rejects.
    #[error("{source} (from {origin})")]
    InvalidTlsSetting {
        /// What is wrong with the value.
        source: crate::tls::TlsSettingError,
        /// Where it came from.
        origin: Origin,
    },
    /// TLS settings that cannot work together against any server
    /// (sslnegotiation=direct with a mode that may go in the clear).
    #[error("{0}")]
    Tls(crate::tls::TlsError),
    /// A `?` parameter without `=`.
    #[error(
        "missing \"=\" in {} in connection URI ({origin}): write ?key=value&key=value",
        describe_param(.param.as_deref())
    )]
    QueryParameterWithoutValue {
        /// The parameter, unless it may be the tail of a secret.
        param: Option<String>,
        /// Where the URI came from.
        origin: Origin,
    },
}

/// " at position N", or nothing when the position is not known (a part
/// of the URI that was assembled from several places).
fn at(position: Option<usize>) -> String {
    position.map_or_else(String::new, |p| format!(" at position {p}"))
}

fn join_files(files: &[String]) -> String {
    files.join(", ")
}

fn describe_param(param: Option<&str>) -> String {
    match param {
        Some(p) => format!("query parameter \"{p}\""),
        None => "the query parameter that follows a secret".to_string(),
    }
}

fn unsupported_message(
    key: &str,
    value: Option<&str>,
    accepted: &[&str],
    origin: &Origin,
) -> String {
    let what = match value {
        Some(v) => format!("connection option {key}=\"{v}\""),
        None => format!("connection option \"{key}\""),
    };
    if accepted.is_empty() {
        format!("{what} in {origin} is not supported by sequelae: remove it")
    } else {
        format!(
            "{what} in {origin} is not supported by sequelae: remove it or use {}",
            accepted.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const CS: Origin = Origin::ConnectionString;

    #[rstest]
    #[case(
        ConfigError::PercentEncodedNul { part: UriPart::Database, origin: CS, position: Some(7) },
        "forbidden %00 at position 7 in connection URI (database name, connection string)"
    )]
    #[case(
        ConfigError::UnencodedSpace {
            part: UriPart::Password,
            origin: Origin::DatabaseUrl,
            position: None,
        },
        "unexpected space in connection URI (password, DATABASE_URL): write spaces as %20"
    )]
    #[case(
        ConfigError::UnencodedAtSign { origin: CS, position: 21 },
        "unexpected \"@\" at position 21 after the host in connection URI (connection string): \
         percent-encode \
         \"@\", \"/\", \"?\" and \"%\" in the user name, password and database name \
         (%40, %2F, %3F, %25)"
    )]
    #[case(
        ConfigError::UnterminatedIpv6 { origin: CS },
        "missing \"]\" after the IPv6 address in connection URI (connection string)"
    )]
    #[case(
        ConfigError::EmptyIpv6 { origin: CS },
        "empty IPv6 address \"[]\" in connection URI (connection string)"
    )]
    #[case(
        ConfigError::UnexpectedAfterIpv6 { found: 'x', origin: CS, position: 19 },
        "unexpected character \"x\" at position 19 after \"]\" in connection URI \
         (connection string): expected \
         \":port\", \",\", \"/\" or \"?\""
    )]
    #[case(
        ConfigError::QueryParameterWithoutValue { param: Some("sslmode".into()), origin: CS },
        "missing \"=\" in query parameter \"sslmode\" in connection URI (connection string): \
         write ?key=value&key=value"
    )]
    #[case(
        ConfigError::QueryParameterWithoutValue { param: None, origin: CS },
        "missing \"=\" in the query parameter that follows a secret in connection URI \
         (connection string): write ?key=value&key=value"
    )]
    #[case(
        ConfigError::InvalidPercentEncoding {
            part: UriPart::ParameterValue("options".into()),
            origin: Origin::EnvVar("X"),
            position: None,
        },
        "invalid percent-encoding in connection URI (the value of query parameter \"options\", \
         X): \"%\" must be followed by two hex digits; write a literal \"%\" as %25"
    )]
    #[case(
        ConfigError::UnknownOptionAfterSecret { key: "password".into(), origin: CS },
        "unknown connection option after the value of \"password\" in connection string: if \
         that value contains spaces, quote it (e.g. password='my secret'); otherwise check the \
         spelling of the option that follows it"
    )]
    fn messages_read_as_intended(#[case] error: ConfigError, #[case] message: &str) {
        assert_eq!(error.to_string(), message);
    }
}
