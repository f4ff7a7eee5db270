//! The byte pipe under a session: TCP or a Unix socket from async-net,
//! a TLS session over one, or anything a caller brings (a tunnel, a
//! recording in tests).

use std::io;
use std::time::Duration;

use async_io::Timer;
use async_net::unix::UnixStream;
use async_net::{TcpStream, resolve};
use futures_lite::future;
use futures_lite::io::{AsyncRead, AsyncWrite};
use sequelae_core::client_error::no_address;
use sequelae_core::config::{Endpoint, Host};

/// A bidirectional async byte stream. Deadlines are the runtime's own
/// (timers raced against reads), so a transport needs nothing more than
/// reading and writing.
pub trait Transport: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Transport for T {}

/// Opens a socket to `endpoint`. For a host name every resolved address is
/// tried in turn, as libpq does; `timeout` bounds each attempt.
pub async fn open(
    endpoint: &Endpoint,
    timeout: Option<Duration>,
) -> io::Result<Box<dyn Transport>> {
    match &endpoint.host {
        Host::Unix(_) => {
            let path = endpoint
                .socket_path()
                .ok_or_else(|| io::Error::other("no socket path for a Unix endpoint"))?;
            let stream = bounded(timeout, UnixStream::connect(path)).await?;
            Ok(Box::new(stream))
        }
        Host::Tcp(_) => {
            let host = endpoint.connect_host();
            let mut last = None;
            for addr in bounded(timeout, resolve((host, endpoint.port))).await? {
                match bounded(timeout, TcpStream::connect(addr)).await {
                    Ok(stream) => {
                        // Queries are small request/response exchanges:
                        // Nagle would add latency to every one.
                        stream.set_nodelay(true)?;
                        return Ok(Box::new(stream));
                    }
                    Err(e) => last = Some(e),
                }
            }
            Err(last.unwrap_or_else(|| no_address(host)))
        }
    }
}

/// `work`, failing with `TimedOut` once `timeout` has passed.
pub(crate) async fn bounded<T>(
    timeout: Option<Duration>,
    work: impl Future<Output = io::Result<T>>,
) -> io::Result<T> {
    let Some(timeout) = timeout else {
        return work.await;
    };
    future::or(work, async {
        Timer::after(timeout).await;
        Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"))
    })
    .await
}
