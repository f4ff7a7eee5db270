//! How a failure maps to an exit code (1 the database said no, 2 bad
//! usage, 3 cannot connect or the connection broke, 130 interrupted by
//! Ctrl-C, 143 terminated by SIGTERM) and
//! how it is shown.

use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;

use sequelae_core::render::ErrorFields;

/// A command's failure, already worded for the user.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The database refused a statement.
    Database(String),
    /// The input or the settings are wrong.
    Usage(String),
    /// No session could be opened.
    Connect(String),
    /// The user pressed Ctrl-C (or SIGTERM came) and the work stopped;
    /// the code and message follow the signal.
    Interrupted,
    /// Already shown to the user (e.g. inside a JSON document); only the
    /// exit code is left to give.
    Reported(u8),
}

impl Failure {
    pub(crate) fn code(&self) -> u8 {
        match self {
            Failure::Database(_) => 1,
            Failure::Usage(_) => 2,
            Failure::Connect(_) => 3,
            Failure::Interrupted => crate::interrupt::current().map_or(130, |s| s.code()),
            Failure::Reported(code) => *code,
        }
    }

    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code())
    }

    /// Shows the failure: on stderr for people, and as a JSON document on
    /// stdout with `--json` so that scripts always get a parsable answer.
    /// A stdout that cannot take the document (the reason for the failure,
    /// often) is not an error of its own: stderr still says what failed.
    pub(crate) fn report(&self, json: bool) {
        if let Failure::Reported(_) = self {
            return;
        }
        if json {
            let fields = ErrorFields {
                error: self.message(),
                ..ErrorFields::default()
            };
            let mut out = io::stdout().lock();
            let _ = out
                .write_all(fields.document().as_bytes())
                .and_then(|()| out.flush());
        }
        let _ = writeln!(io::stderr(), "{self}");
    }

    pub(crate) fn message(&self) -> String {
        match self {
            Failure::Database(m) | Failure::Usage(m) | Failure::Connect(m) => m.clone(),
            Failure::Interrupted => crate::interrupt::current()
                .map_or("interrupted", |s| s.message())
                .into(),
            Failure::Reported(_) => String::new(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sequelae: {}", self.message())
    }
}

impl From<sequelae_std::Error> for Failure {
    fn from(e: sequelae_std::Error) -> Failure {
        use sequelae_std::Error;
        match e {
            Error::Config(c) => Failure::Usage(c.to_string()),
            e if e.is_connect() => Failure::Connect(e.to_string()),
            // The session broke after it started (server gone, protocol
            // violation, a cancel ignored): a connection problem, not the
            // database refusing a statement.
            e @ (Error::Io(_) | Error::Protocol(_)) => Failure::Connect(e.to_string()),
            Error::Usage(m) => Failure::Usage(m),
            e => Failure::Database(e.to_string()),
        }
    }
}
