//! The TLS session as a [`Transport`]: `sequelae-tls` builds the
//! configuration the core's requirements ask for and drives the blocking
//! handshake; this puts the session where the plain socket was.

use std::io;
use std::time::Duration;

use sequelae_core::tls::TlsRequirements;
pub use sequelae_tls::{TlsHandshakeError, file_stat};

use crate::transport::Transport;

/// A TLS session over a socket, usable wherever a plain socket is.
pub type TlsStream = sequelae_tls::TlsStream<Box<dyn Transport>>;

impl Transport for TlsStream {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.socket_mut().set_read_timeout(timeout)
    }

    fn set_nonblocking(&mut self, nonblocking: bool) -> io::Result<()> {
        self.socket_mut().set_nonblocking(nonblocking)
    }

    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.socket_mut().set_write_timeout(timeout)
    }
}

/// Runs the TLS handshake on `socket` ([`sequelae_tls::handshake`]).
///
/// # Errors
///
/// [`TlsHandshakeError`]; a verification failure carries the core's
/// message (unknown issuer, host mismatch).
pub fn handshake(
    socket: Box<dyn Transport>,
    req: &TlsRequirements,
    host: &str,
) -> Result<TlsStream, TlsHandshakeError> {
    sequelae_tls::handshake(socket, req, host)
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
