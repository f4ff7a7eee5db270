//! Cancelling a running query from another thread.

use std::io::{Read, Write};

use sequelae_core::config::Endpoint;
use sequelae_core::wire::{CANCEL_CONNECT_TIMEOUT, CancelToken};

use crate::error::Error;
use crate::transport;

/// Cancels the query of one session. Cheap to clone, `Send`, usable from a
/// signal-handling thread while the session's thread blocks in a read.
#[derive(Debug, Clone)]
pub struct CancelHandle {
    endpoint: Endpoint,
    token: CancelToken,
}

impl CancelHandle {
    pub(crate) fn new(endpoint: Endpoint, token: CancelToken) -> CancelHandle {
        CancelHandle { endpoint, token }
    }

    /// Sends CancelRequest on a new connection and waits until the server
    /// closes it, as libpq's PQcancel does. Success means the request was
    /// delivered, not that a query was running: the session itself sees
    /// the `57014 canceling statement` error if one was.
    pub fn cancel(&self) -> Result<(), Error> {
        let connect = |source| Error::connect(&self.endpoint, source);
        let mut socket =
            transport::open(&self.endpoint, Some(CANCEL_CONNECT_TIMEOUT)).map_err(connect)?;
        socket
            .write_all(&self.token.request_bytes())
            .map_err(Error::Io)?;
        socket.flush().map_err(Error::Io)?;
        socket
            .set_read_timeout(Some(CANCEL_CONNECT_TIMEOUT))
            .map_err(Error::Io)?;
        let mut sink = [0u8; 16];
        // The server answers nothing and closes; EOF or a reset both mean done.
        let _ = socket.read(&mut sink);
        Ok(())
    }
}
