//! What the state machine reports to the runtime.

use std::ops::Range;

use bytes::Bytes;

use super::server_error::ServerMessage;

/// The transaction state the server reports with every ReadyForQuery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionStatus {
    /// Not in a transaction block.
    Idle,
    /// In a transaction block that can still commit.
    InTransaction,
    /// In a failed transaction block: only ROLLBACK will be accepted.
    Failed,
}

/// One column of a result set, as RowDescription describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Column label as the query named it.
    pub name: String,
    /// OID of the source table, 0 when the column is computed.
    pub table_oid: u32,
    /// Attribute number in the source table, 0 when computed.
    pub column_id: i16,
    /// Type OID: what JSON rendering keys on.
    pub type_oid: u32,
    /// Type size from pg_type.typlen (negative for variable length).
    pub type_size: i16,
    /// Type modifier, e.g. varchar length + 4; -1 when none.
    pub type_modifier: i32,
    /// 0 text, 1 binary. The simple query protocol always yields text.
    pub format: i16,
}

/// The column list of one result set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RowDescription {
    /// Columns in result order.
    pub columns: Vec<Column>,
}

/// One row of a result set: the DataRow body kept as it arrived, with the
/// byte range of each value, so that no value is copied until a front end
/// renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataRow {
    body: Bytes,
    ranges: Vec<Option<Range<usize>>>,
}

impl DataRow {
    pub(crate) fn new(body: Bytes, ranges: Vec<Option<Range<usize>>>) -> DataRow {
        DataRow { body, ranges }
    }

    /// Builds a row from its values (`None` for NULL), as a server would
    /// have sent them: for programs and tests that render rows they did
    /// not read from a socket.
    pub fn from_values<'v>(values: impl IntoIterator<Item = Option<&'v [u8]>>) -> DataRow {
        let mut body = Vec::new();
        let ranges = values
            .into_iter()
            .map(|value| {
                value.map(|v| {
                    let start = body.len();
                    body.extend_from_slice(v);
                    start..body.len()
                })
            })
            .collect();
        DataRow::new(Bytes::from(body), ranges)
    }

    /// Number of values in the row.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// True for a row without columns (`SELECT;` returns such rows).
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The raw text of value `index`; `None` for SQL NULL or an index out
    /// of range.
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        let range = self.ranges.get(index)?.as_ref()?;
        self.body.get(range.clone())
    }

    /// The value as UTF-8 text (the connection asks for client_encoding
    /// UTF8, so the server sends UTF-8).
    pub fn get_str(&self, index: usize) -> Option<&str> {
        self.get(index).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Iterates the values in column order, `None` for NULL.
    pub fn values(&self) -> impl Iterator<Item = Option<&[u8]>> + '_ {
        self.ranges
            .iter()
            .map(|r| r.as_ref().and_then(|r| self.body.get(r.clone())))
    }
}

/// The tag of a CommandComplete message, e.g. `INSERT 0 3` or `SELECT 12`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandTag(String);

impl CommandTag {
    pub(crate) fn new(tag: String) -> CommandTag {
        CommandTag(tag)
    }

    /// The whole tag as the server sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The command word(s) without counts: `INSERT`, `SELECT`, `CREATE TABLE`.
    pub fn command(&self) -> &str {
        let trimmed = self
            .0
            .trim_end_matches(|c: char| c.is_ascii_digit() || c == ' ');
        if trimmed.is_empty() { &self.0 } else { trimmed }
    }

    /// The row count of commands that report one (SELECT, INSERT, UPDATE,
    /// DELETE, MERGE, COPY, FETCH, MOVE); `None` for the others.
    pub fn rows(&self) -> Option<u64> {
        let mut words = self.0.split(' ');
        let first = words.next()?;
        if !matches!(
            first,
            "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "MERGE" | "COPY" | "FETCH" | "MOVE"
        ) {
            return None;
        }
        self.0.rsplit(' ').next()?.parse().ok()
    }
}

impl From<String> for CommandTag {
    /// For front ends that report a command the way the server would.
    fn from(tag: String) -> CommandTag {
        CommandTag(tag)
    }
}

/// Text or binary, as CopyOutResponse / CopyInResponse announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyFormat {
    /// `COPY ... (FORMAT text|csv)`.
    Text,
    /// `COPY ... (FORMAT binary)`.
    Binary,
}

/// What happened on the connection, in the order the server said it.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The server accepted the SSLRequest: run the TLS handshake on the
    /// socket now, then call [`Connection::tls_established`](super::Connection::tls_established).
    StartTls,
    /// ReadyForQuery: the previous request is finished (the first one
    /// means the connection is ready).
    Ready(TransactionStatus),
    /// A result set starts; rows follow.
    RowDescription(RowDescription),
    /// A row of the current result set.
    DataRow(DataRow),
    /// A statement finished.
    CommandComplete(CommandTag),
    /// The query string held no statement.
    EmptyQuery,
    /// `COPY ... TO STDOUT` started; CopyData chunks follow.
    CopyOutStart(CopyFormat),
    /// One chunk of COPY OUT data, handed out as it arrived.
    CopyData(Bytes),
    /// COPY OUT finished; CommandComplete follows.
    CopyDone,
    /// `COPY ... FROM STDIN` started: send data with
    /// [`Connection::send_copy_data`](super::Connection::send_copy_data).
    CopyInReady(CopyFormat),
    /// The statement failed; the connection stays usable and a Ready follows.
    /// (Boxed, as [`Event::Notice`]: a message is large, and every event
    /// is moved several times on its way, once per row in a COPY.)
    Error(Box<ServerMessage>),
    /// A NOTICE, WARNING, INFO... from the server.
    Notice(Box<ServerMessage>),
    /// A server parameter changed after startup (e.g. `SET TimeZone`).
    ParameterChanged {
        /// Parameter name.
        name: String,
        /// New value.
        value: String,
    },
    /// The request ran past the deadline set with
    /// [`Connection::set_query_deadline`](super::Connection::set_query_deadline):
    /// the runtime should send a cancel request now (the core cannot open
    /// the second connection that takes).
    CancelNeeded,
    /// A NOTIFY delivered to this session.
    Notification {
        /// PID of the notifying backend.
        process_id: i32,
        /// Channel name.
        channel: String,
        /// Payload string.
        payload: String,
    },
}
