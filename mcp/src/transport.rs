//! The stdio framing: one JSON-RPC message per line in, one per line out.

use std::io::{self, BufRead, Write};
use std::sync::Mutex;

/// The longest line read as a message. A longer one is skipped to its
/// end without being held in memory, and answered with an error.
pub(crate) const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

/// One line of input.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// A line (without its `\n` or `\r\n`).
    Text(Vec<u8>),
    /// A line longer than the limit, already skipped.
    TooLong,
}

/// Lines from a reader, each at most `limit` bytes.
#[derive(Debug)]
pub(crate) struct LineReader<R> {
    inner: R,
    limit: usize,
}

impl<R: BufRead> LineReader<R> {
    pub(crate) fn new(inner: R, limit: usize) -> LineReader<R> {
        LineReader { inner, limit }
    }

    /// The next line, or `None` at the end of input. A last line without
    /// a newline is a line.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<Line>> {
        let mut line = Vec::new();
        let mut too_long = false;
        let mut any = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                if !any {
                    return Ok(None);
                }
                break;
            }
            any = true;
            let (piece, used, end) = match available.iter().position(|&b| b == b'\n') {
                Some(at) => (&available[..at], at + 1, true),
                None => (available, available.len(), false),
            };
            if !too_long {
                if line.len() + piece.len() > self.limit {
                    too_long = true;
                    line = Vec::new();
                } else {
                    line.extend_from_slice(piece);
                }
            }
            self.inner.consume(used);
            if end {
                break;
            }
        }
        if too_long {
            return Ok(Some(Line::TooLong));
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Ok(Some(Line::Text(line)))
    }
}

/// Stdout, shared by every request's thread: a message is written whole
/// and flushed under the lock, so lines never interleave.
pub(crate) struct Output {
    out: Mutex<Box<dyn Write + Send>>,
}

impl Output {
    pub(crate) fn new(out: Box<dyn Write + Send>) -> Output {
        Output {
            out: Mutex::new(out),
        }
    }

    /// Writes one message as one line. A stdout that is gone means the
    /// client left: the error is returned for the caller to stop.
    pub(crate) fn send(&self, message: &serde_json::Value) -> io::Result<()> {
        let mut text = message.to_string();
        text.push('\n');
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        out.write_all(text.as_bytes())?;
        out.flush()
    }
}

impl Output {
    /// Writes one message that `write` produces in pieces (a large result
    /// copied from disk), as one line, under the lock.
    pub(crate) fn send_with(
        &self,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut buffered = io::BufWriter::with_capacity(64 * 1024, &mut *out);
        write(&mut buffered)?;
        buffered.write_all(b"\n")?;
        buffered.flush()?;
        drop(buffered);
        out.flush()
    }
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Output")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], limit: usize) -> Vec<Line> {
        let mut reader = LineReader::new(io::BufReader::with_capacity(3, input), limit);
        let mut out = Vec::new();
        while let Some(line) = reader.next_line().expect("reads") {
            out.push(line);
        }
        out
    }

    #[test]
    fn lines_split_on_newlines_with_crlf_and_a_last_line_without_one() {
        assert_eq!(
            lines(b"ab\r\ncd\n\nef", 10),
            vec![
                Line::Text(b"ab".to_vec()),
                Line::Text(b"cd".to_vec()),
                Line::Text(Vec::new()),
                Line::Text(b"ef".to_vec())
            ]
        );
    }

    #[test]
    fn an_over_long_line_is_skipped_and_the_next_one_read() {
        assert_eq!(
            lines(b"0123456789ABC\nok\n", 10),
            vec![Line::TooLong, Line::Text(b"ok".to_vec())]
        );
        assert_eq!(
            lines(b"0123456789\n", 10),
            vec![Line::Text(b"0123456789".to_vec())]
        );
    }
}
