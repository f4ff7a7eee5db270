//! What can stop a native dump.

/// Why the native dump cannot go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NativeError {
    /// The server is older or newer than the catalogs this dump knows.
    #[error(
        "the native backup supports PostgreSQL 13 to 18, and the server is {version}; \
         use pg_dump of the server's version instead"
    )]
    UnsupportedServer {
        /// `server_version_num` as the server reported it.
        version: u32,
    },
    /// A query or COPY failed on the server.
    #[error("the native backup failed while {step}: {message}")]
    Server {
        /// What the dump was doing.
        step: &'static str,
        /// The server's message.
        message: String,
    },
    /// A table stayed locked by another session past `--lock-wait-timeout`.
    #[error(
        "the native backup could not lock the tables it dumps within the lock wait timeout of {timeout_ms} ms: {message}; another session holds a conflicting lock (ALTER TABLE, VACUUM FULL, LOCK TABLE...): retry when it is done, or raise --lock-wait-timeout"
    )]
    LockTimeout {
        /// `--lock-wait-timeout` in milliseconds.
        timeout_ms: u64,
        /// The server's message.
        message: String,
    },
    /// A catalog row did not have the shape the query asks for.
    #[error(
        "unexpected catalog row while {step}: {detail}; this is a bug in sequelae, please report it"
    )]
    BadRow {
        /// What the dump was reading.
        step: &'static str,
        /// Which value was wrong.
        detail: String,
    },
    /// The caller answered a step it was not asked (a bug in the runtime).
    #[error("native dump driven out of order: {0}")]
    OutOfOrder(&'static str),
}
