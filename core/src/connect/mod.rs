//! Connecting as a sans-IO plan: which password file to read, which hosts
//! to try in which order, what each attempt starts with, when to ask the
//! server what kind of session it is, and which failure ends the search.
//!
//! The runtime only opens the sockets, reads the files and pumps
//! [`Connection`](crate::wire::Connection) over what the plan names, so
//! every runtime connects the same way (libpq's way).

mod password_file;
mod plan;

pub use crate::tls::TlsRequirements;
pub use password_file::{FileStat, PasswordFileLoad, PasswordFileStep};
pub use plan::{AttemptFailure, ConnectFailed, ConnectPlan, ConnectStep, Connected, Failure};
