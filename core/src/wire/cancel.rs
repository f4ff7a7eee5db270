//! Cancelling a running query from outside the session.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use postgres_protocol::message::frontend;

/// How long a cancel may take to connect (and to be answered): a
/// cancel that hangs is worse than one that fails.
pub const CANCEL_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The key the server gave us (BackendKeyData) to cancel our own queries.
///
/// A cancel is a separate connection to the same server that sends only
/// these bytes; the runtime opens it, this type says what to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelToken {
    /// Backend process ID.
    pub process_id: i32,
    /// Secret key from BackendKeyData.
    pub secret_key: i32,
}

impl CancelToken {
    /// The complete CancelRequest packet.
    pub fn request_bytes(&self) -> Bytes {
        let mut buf = BytesMut::with_capacity(16);
        frontend::cancel_request(self.process_id, self.secret_key, &mut buf);
        buf.freeze()
    }
}
