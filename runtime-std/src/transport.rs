//! The byte pipe under a session: TCP, a Unix socket, or anything a caller
//! brings (an SSH channel, a recording wrapper in tests).

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use sequelae_core::config::{Endpoint, Host};

/// A bidirectional byte stream that can bound how long a read blocks.
///
/// The read timeout is how the runtime honours the core's deadlines
/// (`connect_timeout`) without a second thread.
pub trait Transport: Read + Write + Send {
    /// Bounds the next reads; `None` blocks indefinitely.
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()>;
}

impl Transport for TcpStream {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }
}

impl Transport for UnixStream {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        UnixStream::set_read_timeout(self, timeout)
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
        Host::Tcp(host) => {
            let mut last = None;
            for addr in (host.as_str(), endpoint.port).to_socket_addrs()? {
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
            Err(last.unwrap_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("host name \"{host}\" resolved to no address"),
                )
            }))
        }
    }
}
