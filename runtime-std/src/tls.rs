//! The TLS handshake over an open socket, blocking: `sequelae-tls` builds
//! the configuration the core's requirements ask for, this drives rustls
//! on the socket and wraps the session as a [`Transport`].

use std::io::{self, Read, Write};
use std::time::Duration;

use rustls::{ClientConnection, StreamOwned};
use sequelae_core::tls::TlsRequirements;
use sequelae_tls::TlsClient;
pub use sequelae_tls::{TlsHandshakeError, file_stat};

use crate::transport::Transport;

/// A TLS session over a socket, usable wherever a plain socket is.
pub struct TlsStream {
    inner: StreamOwned<ClientConnection, Box<dyn Transport>>,
    channel_binding: Option<Vec<u8>>,
}

impl std::fmt::Debug for TlsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsStream")
            .field("protocol", &self.inner.conn.protocol_version())
            .finish_non_exhaustive()
    }
}

impl TlsStream {
    /// The tls-server-end-point data for SCRAM-SHA-256-PLUS; `None` with
    /// `channel_binding=disable`, or when the server's certificate names no
    /// usable hash and binding is only preferred.
    pub fn channel_binding(&self) -> Option<&[u8]> {
        self.channel_binding.as_deref()
    }

    /// The ALPN protocol the server agreed to, if any.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.inner.conn.alpn_protocol()
    }
}

impl Read for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl Write for TlsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl Transport for TlsStream {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.inner.sock.set_read_timeout(timeout)
    }

    fn set_nonblocking(&mut self, nonblocking: bool) -> io::Result<()> {
        self.inner.sock.set_nonblocking(nonblocking)
    }

    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.inner.sock.set_write_timeout(timeout)
    }
}

/// Runs the TLS handshake on `socket`: after the server's `S` to
/// SSLRequest, or at once for direct TLS. `host` is the endpoint's host,
/// for messages and as the name rustls needs even when neither SNI nor
/// verify-full uses it. The socket's read timeout bounds each read.
///
/// # Errors
///
/// [`TlsHandshakeError`]; a verification failure carries the core's
/// message (unknown issuer, host mismatch).
pub fn handshake(
    mut socket: Box<dyn Transport>,
    req: &TlsRequirements,
    host: &str,
) -> Result<TlsStream, TlsHandshakeError> {
    let client = TlsClient::new(req, host)?;
    let mut conn = ClientConnection::new(client.config.clone(), client.server_name.clone())
        .map_err(|e| TlsHandshakeError::Setup(e.to_string()))?;
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut socket) {
            return Err(client.failed(e));
        }
    }
    let channel_binding = client.established(&conn, req)?;
    Ok(TlsStream {
        inner: StreamOwned::new(conn, socket),
        channel_binding,
    })
}

/// Replaces `transport` by a TLS session over it, each handshake read
/// bounded by `timeout` (what is left of connect_timeout); returns the
/// channel-binding data.
pub(crate) fn upgrade(
    transport: &mut Box<dyn Transport>,
    req: &TlsRequirements,
    host: &str,
    timeout: Option<Duration>,
) -> Result<Option<Vec<u8>>, TlsHandshakeError> {
    transport
        .set_read_timeout(timeout)
        .map_err(TlsHandshakeError::Handshake)?;
    // The handshake owns the socket; an empty stand-in holds its place
    // (a failed handshake ends the attempt, and the client with it).
    let socket = std::mem::replace(transport, Box::new(io::empty()));
    let stream = handshake(socket, req, host)?;
    let binding = stream.channel_binding().map(<[u8]>::to_vec);
    *transport = Box::new(stream);
    Ok(binding)
}
