//! The TLS handshake on an async socket: `sequelae-tls` builds the rustls
//! configuration the core's requirements ask for (roots, verify-ca /
//! verify-full, client certificate, SNI, ALPN); futures-rustls drives it.

use std::time::Duration;

use futures_rustls::TlsConnector;
use sequelae_core::tls::TlsRequirements;
pub use sequelae_tls::{TlsHandshakeError, file_stat};

use crate::transport::{Transport, bounded};

/// A TLS session over a socket, usable wherever a plain socket is.
pub type TlsStream = futures_rustls::client::TlsStream<Box<dyn Transport>>;

/// Runs the TLS handshake on `socket`, bounded by `timeout` (what is left
/// of connect_timeout); returns the session and the channel-binding data.
///
/// # Errors
///
/// [`TlsHandshakeError`]; a verification failure carries the core's
/// message (unknown issuer, host mismatch).
pub async fn handshake(
    socket: Box<dyn Transport>,
    req: &TlsRequirements,
    host: &str,
    timeout: Option<Duration>,
) -> Result<(TlsStream, Option<Vec<u8>>), TlsHandshakeError> {
    let client = sequelae_tls::TlsClient::new(req, host)?;
    let connector = TlsConnector::from(client.config.clone());
    let stream = bounded(
        timeout,
        connector.connect(client.server_name.clone(), socket),
    )
    .await
    .map_err(|e| client.failed(e))?;
    let binding = client.established(stream.get_ref().1, req)?;
    Ok((stream, binding))
}
