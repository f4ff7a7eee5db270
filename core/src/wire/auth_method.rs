//! The password methods a server can ask for, named as pg_hba.conf names
//! them (a type of its own so that errors and the exchange both use it).

use std::fmt;

/// An authentication method the server can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// The password in clear text (pg_hba `password`).
    Cleartext,
    /// MD5 of password, user and a salt (pg_hba `md5`).
    Md5,
    /// SCRAM-SHA-256, optionally with TLS channel binding.
    ScramSha256,
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthMethod::Cleartext => "password",
            AuthMethod::Md5 => "md5",
            AuthMethod::ScramSha256 => "scram-sha-256",
        })
    }
}
