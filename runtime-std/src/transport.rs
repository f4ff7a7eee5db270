//! The byte pipe under a session: TCP, a Unix socket, or anything a caller
//! brings (an SSH channel, a recording wrapper in tests).

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use sequelae_core::client_error::no_address;
use sequelae_core::config::{Endpoint, Host};

/// A bidirectional byte stream that can bound how long a read blocks.
///
/// The read timeout is how the runtime honours the core's deadlines
/// (`connect_timeout`) without a second thread.
pub trait Transport: Read + Write + Send {
    /// Bounds the next reads; `None` blocks indefinitely.
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()>;

    /// Switches reads to non-blocking, so that the runtime can take what
    /// the server already sent while it is busy sending (COPY IN). A
    /// transport that cannot says so with an error, and the runtime then
    /// only reads between requests.
    fn set_nonblocking(&mut self, nonblocking: bool) -> io::Result<()> {
        let _ = nonblocking;
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this transport cannot read without blocking",
        ))
    }

    /// Bounds the next writes, so that a runtime sending much (COPY IN)
    /// can stop to read when the server is not taking bytes; a transport
    /// that cannot says so with an error.
    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        let _ = timeout;
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this transport cannot bound a write",
        ))
    }
}

/// TCP and Unix sockets bound reads and writes alike: each method is the
/// socket's own.
macro_rules! socket_transport {
    ($($socket:ty),*) => {$(
        impl Transport for $socket {
            fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
                <$socket>::set_read_timeout(self, timeout)
            }

            fn set_nonblocking(&mut self, nonblocking: bool) -> io::Result<()> {
                <$socket>::set_nonblocking(self, nonblocking)
            }

            fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
                <$socket>::set_write_timeout(self, timeout)
            }
        }
    )*};
}

socket_transport!(TcpStream, UnixStream);

impl Transport for io::Empty {
    fn set_read_timeout(&mut self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
}

/// Opens a socket to `endpoint`. For a host name every resolved address is
/// tried in turn, as libpq does; `timeout` bounds each attempt.
pub fn open(endpoint: &Endpoint, timeout: Option<Duration>) -> io::Result<Box<dyn Transport>> {
    match &endpoint.host {
        Host::Unix(_) => {
            let path = endpoint
                .socket_path()
                .ok_or_else(|| io::Error::other("no socket path for a Unix endpoint"))?;
            Ok(Box::new(UnixStream::connect(path)?))
        }
        Host::Tcp(_) => {
            let host = endpoint.connect_host();
            let mut last = None;
            for addr in (host, endpoint.port).to_socket_addrs()? {
                let attempt = match timeout {
                    Some(t) => TcpStream::connect_timeout(&addr, t),
                    None => TcpStream::connect(addr),
                };
                match attempt {
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
