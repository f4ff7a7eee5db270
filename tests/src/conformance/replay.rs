//! A transport that plays the server's side of a recorded session.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};

use super::transcript_support::{Chunk, Transcript};

/// Serves the recorded server bytes, each only once the client has sent
/// everything it had sent before that answer when the session was
/// recorded (a client that waits for an answer before sending its request
/// fails here as it would hang against a server), and keeps what the
/// client writes for comparison with the recording.
#[derive(Debug)]
pub struct ReplayTransport {
    /// Server chunks, each with the count of client bytes that preceded it.
    answers: VecDeque<(usize, Vec<u8>)>,
    written: Arc<Mutex<Vec<u8>>>,
    nonblocking: bool,
}

impl ReplayTransport {
    pub(crate) fn new(transcript: &Transcript) -> ReplayTransport {
        let mut client_bytes = 0;
        let mut answers = VecDeque::new();
        for chunk in &transcript.chunks {
            match chunk {
                Chunk::Client(bytes) => client_bytes += bytes.len(),
                Chunk::Server(bytes) => answers.push_back((client_bytes, bytes.clone())),
            }
        }
        ReplayTransport {
            answers,
            written: Arc::default(),
            nonblocking: false,
        }
    }

    /// Everything the client wrote, shared so that it can be read after
    /// the runtime dropped the transport.
    pub fn written(&self) -> Arc<Mutex<Vec<u8>>> {
        Arc::clone(&self.written)
    }

    /// Reads or refuses to block, for a runtime's non-blocking reads.
    pub fn set_nonblocking(&mut self, nonblocking: bool) {
        self.nonblocking = nonblocking;
    }

    fn sent(&self) -> usize {
        self.written.lock().map(|w| w.len()).unwrap_or(0)
    }
}

impl Read for ReplayTransport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let sent = self.sent();
        let Some((needed, bytes)) = self.answers.front_mut() else {
            // The recording ends: the server closed the socket.
            return Ok(0);
        };
        if sent < *needed {
            if self.nonblocking {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            return Err(io::Error::other(format!(
                "the client waits for an answer after sending {sent} bytes; when recorded it had sent {needed}"
            )));
        }
        let n = buf.len().min(bytes.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        bytes.drain(..n);
        if bytes.is_empty() {
            self.answers.pop_front();
        }
        Ok(n)
    }
}

impl Write for ReplayTransport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
