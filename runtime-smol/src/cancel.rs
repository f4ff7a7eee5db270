//! Cancelling a running query from another task (or thread).

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use sequelae_core::config::Endpoint;
use sequelae_core::wire::{CANCEL_CONNECT_TIMEOUT, CancelToken};

use crate::error::Error;
use crate::transport::{self, bounded};

/// Cancels the query of one session. Cheap to clone, `Send + Sync`: keep
/// one in the task that watches for a client's cancellation while another
/// task awaits the query.
///
/// ```no_run
/// # async fn demo(mut client: sequelae_smol::Client) -> Result<(), sequelae_smol::Error> {
/// let cancel = client.cancel_handle().expect("the server sent a cancel key");
/// let (answer, _) = futures_lite::future::zip(client.simple_query("SELECT pg_sleep(30)"), async {
///     async_io::Timer::after(std::time::Duration::from_millis(100)).await;
///     cancel.cancel().await
/// })
/// .await;
/// assert!(answer.is_err()); // 57014: canceling statement due to user request
/// # Ok(()) }
/// ```
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
    pub async fn cancel(&self) -> Result<(), Error> {
        let connect = |source| Error::connect(&self.endpoint, source);
        let mut socket = transport::open(&self.endpoint, Some(CANCEL_CONNECT_TIMEOUT))
            .await
            .map_err(connect)?;
        socket
            .write_all(&self.token.request_bytes())
            .await
            .map_err(Error::Io)?;
        socket.flush().await.map_err(Error::Io)?;
        let mut sink = [0u8; 16];
        // The server answers nothing and closes; EOF or a reset both mean done.
        let _ = bounded(Some(CANCEL_CONNECT_TIMEOUT), socket.read(&mut sink)).await;
        Ok(())
    }
}
