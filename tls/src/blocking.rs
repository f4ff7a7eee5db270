//! The TLS handshake and session over a blocking socket: rustls driven
//! with `complete_io`, the session wrapped so that it reads and writes as
//! the socket did. Any blocking runtime (threads, a test harness) shares
//! it; an async one uses [`TlsClient`] through its own connector instead.

use std::io::{self, Read, Write};

use rustls::{ClientConnection, StreamOwned};
use sequelae_core::tls::TlsRequirements;

use crate::{TlsClient, TlsHandshakeError};

/// A TLS session over a socket, usable wherever a plain socket is.
pub struct TlsStream<S: Read + Write> {
    inner: StreamOwned<ClientConnection, S>,
    channel_binding: Option<Vec<u8>>,
}

impl<S: Read + Write> std::fmt::Debug for TlsStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsStream")
            .field("protocol", &self.inner.conn.protocol_version())
            .finish_non_exhaustive()
    }
}

impl<S: Read + Write> TlsStream<S> {
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

    /// The socket under the session, for its timeouts and blocking mode
    /// (bytes written to it directly would break the session).
    pub fn socket_mut(&mut self) -> &mut S {
        &mut self.inner.sock
    }
}

impl<S: Read + Write> Read for TlsStream<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl<S: Read + Write> Write for TlsStream<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
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
pub fn handshake<S: Read + Write>(
    mut socket: S,
    req: &TlsRequirements,
    host: &str,
) -> Result<TlsStream<S>, TlsHandshakeError> {
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

#[cfg(test)]
mod tests {
    use sequelae_core::config::{ConnectSettings, Environment};
    use sequelae_core::tls::{TlsPolicy, TlsSettings};

    use super::*;

    /// A server that closes at once: the handshake fails instead of
    /// waiting, and says it was the handshake.
    #[test]
    fn a_socket_closed_before_the_handshake_fails_it() {
        let env = Environment::new().with_os_user("postgres");
        let settings =
            ConnectSettings::parse("host=db.example sslmode=require", &env).expect("settings");
        let policy = TlsPolicy::new(&settings, TlsSettings::default(), None).expect("policy");
        let req = policy
            .requirements(&settings.endpoints[0], &|p| crate::file_stat(p))
            .expect("requirements");
        let err = handshake(io::empty(), &req, "db.example").expect_err("no server");
        assert!(matches!(err, TlsHandshakeError::Handshake(_)), "{err:?}");
    }
}
