//! How a failure maps to an exit code: 1 the database said no, 2 bad
//! usage, 3 cannot connect.

use std::fmt;
use std::process::ExitCode;

/// A command's failure, already worded for the user.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The database refused a statement.
    Database(String),
    /// The input or the settings are wrong.
    Usage(String),
    /// No session could be opened.
    Connect(String),
}

impl Failure {
    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Failure::Database(_) => 1,
            Failure::Usage(_) => 2,
            Failure::Connect(_) => 3,
        })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Database(m) | Failure::Usage(m) | Failure::Connect(m) => {
                write!(f, "sequelae: {m}")
            }
        }
    }
}

impl From<sequelae_std::Error> for Failure {
    fn from(e: sequelae_std::Error) -> Failure {
        use sequelae_std::Error;
        match e {
            Error::Config(c) => Failure::Usage(c.to_string()),
            e if e.is_connect() => Failure::Connect(e.to_string()),
            Error::Usage(m) => Failure::Usage(m),
            e => Failure::Database(e.to_string()),
        }
    }
}
