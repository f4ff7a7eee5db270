//! Where statements come from: a string (`exec`) or a reader streamed in
//! chunks (`file`, `-` for stdin). Splitting is the core's
//! [`ScriptSplitter`]; this only feeds it.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use sequelae_core::sql::{ScriptItem, ScriptSplitter};

use crate::exit::Failure;
use crate::interrupt;

const CHUNK: usize = 64 * 1024;

/// A stream of script items with one item of lookahead.
pub(crate) struct Source<'a> {
    splitter: ScriptSplitter,
    reader: Option<Box<dyn Read + 'a>>,
    /// The read buffer, allocated once: a fresh zeroed 64 KiB per read
    /// would cost more than the read itself on a slow trickle of input.
    buf: Box<[u8]>,
    finished: bool,
    peeked: Option<ScriptItem>,
    /// An item put back ahead of `peeked`.
    front: Option<ScriptItem>,
    /// Name used in error messages: `file.sql`, `<stdin>` or `<command>`.
    pub(crate) name: String,
}

impl<'a> Source<'a> {
    pub(crate) fn from_text(text: &str) -> Source<'a> {
        let mut splitter = ScriptSplitter::new();
        splitter.push(text.as_bytes());
        Source {
            splitter,
            reader: None,
            buf: Box::default(),
            finished: false,
            peeked: None,
            front: None,
            name: "<command>".into(),
        }
    }

    pub(crate) fn from_reader(reader: impl Read + 'a, name: String) -> Source<'a> {
        Source {
            splitter: ScriptSplitter::new(),
            reader: Some(Box::new(reader)),
            buf: vec![0u8; CHUNK].into_boxed_slice(),
            finished: false,
            peeked: None,
            front: None,
            name,
        }
    }

    /// Statements from stdin. A read from stdin blocks until the writer
    /// sends or closes, which may be never: it runs on a thread of its
    /// own, so that a Ctrl-C meanwhile is noticed at once.
    pub(crate) fn from_stdin() -> Source<'a> {
        Source::from_reader(StdinPump::start(), "<stdin>".into())
    }

    /// The next item, reading more input as needed.
    pub(crate) fn next(&mut self) -> Result<Option<ScriptItem>, Failure> {
        if let Some(item) = self.front.take() {
            return Ok(Some(item));
        }
        if let Some(item) = self.peeked.take() {
            return Ok(Some(item));
        }
        self.pull()
    }

    /// Puts back an item taken with `next` (only one at a time).
    pub(crate) fn unread(&mut self, item: ScriptItem) {
        debug_assert!(self.peeked.is_none());
        self.peeked = Some(item);
    }

    /// Puts back the first item after a peek at the second: both are
    /// returned again, in order.
    pub(crate) fn unread_front(&mut self, item: ScriptItem) {
        self.front = Some(item);
    }

    /// The next item without consuming it.
    pub(crate) fn peek(&mut self) -> Result<Option<&ScriptItem>, Failure> {
        if self.front.is_some() {
            return Ok(self.front.as_ref());
        }
        if self.peeked.is_none() {
            self.peeked = self.pull()?;
        }
        Ok(self.peeked.as_ref())
    }

    fn pull(&mut self) -> Result<Option<ScriptItem>, Failure> {
        loop {
            let step = if self.finished {
                self.splitter.finish()
            } else {
                self.splitter.next_item()
            };
            match step.map_err(|e| Failure::Usage(format!("{}: {e}", self.name)))? {
                Some(item) => return Ok(Some(item)),
                None if self.finished => return Ok(None),
                None => {}
            }
            let Some(reader) = self.reader.as_mut() else {
                self.finished = true;
                continue;
            };
            if interrupt::interrupted() {
                return Err(Failure::Interrupted);
            }
            match reader.read(&mut self.buf) {
                Ok(0) => self.finished = true,
                Ok(n) => self.splitter.push(&self.buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) if interrupt::interrupted() => return Err(Failure::Interrupted),
                Err(e) => {
                    return Err(Failure::Usage(format!("cannot read {}: {e}", self.name)));
                }
            }
        }
    }
}

/// What the stdin thread hands over.
enum Piece {
    Data(Vec<u8>),
    End,
    Failed(io::Error),
    /// A signal came: stop waiting.
    Woken,
}

/// Stdin read on its own thread, one chunk ahead at most (memory stays
/// flat), woken by a signal while it waits.
struct StdinPump {
    pieces: Receiver<Piece>,
    current: Vec<u8>,
    at: usize,
    ended: bool,
    _waker: interrupt::Waker,
}

impl StdinPump {
    fn start() -> StdinPump {
        let (tx, pieces) = sync_channel(1);
        let wake = tx.clone();
        let waker = interrupt::wake_on_interrupt(move || {
            // A full channel holds a chunk the reader takes without
            // waiting; it checks for the signal before its next wait.
            let _ = wake.try_send(Piece::Woken);
        });
        let spawned = std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || pump(&tx));
        if let Err(e) = spawned {
            let (tx, rx) = sync_channel(1);
            let _ = tx.send(Piece::Failed(e));
            return StdinPump::with(rx, waker);
        }
        StdinPump::with(pieces, waker)
    }

    fn with(pieces: Receiver<Piece>, waker: interrupt::Waker) -> StdinPump {
        StdinPump {
            pieces,
            current: Vec::new(),
            at: 0,
            ended: false,
            _waker: waker,
        }
    }
}

/// The stdin thread: reads until the end, an error, or nobody listens.
fn pump(tx: &SyncSender<Piece>) {
    let mut stdin = io::stdin().lock();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let piece = match stdin.read(&mut buf) {
            Ok(0) => Piece::End,
            Ok(n) => Piece::Data(buf[..n].to_vec()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => Piece::Failed(e),
        };
        let last = !matches!(piece, Piece::Data(_));
        if tx.send(piece).is_err() || last {
            return;
        }
    }
}

impl Read for StdinPump {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.at < self.current.len() {
                let n = buf.len().min(self.current.len() - self.at);
                buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
                self.at += n;
                return Ok(n);
            }
            if interrupt::interrupted() {
                return Err(io::Error::other("interrupted"));
            }
            if self.ended {
                return Ok(0);
            }
            match self.pieces.recv() {
                Ok(Piece::Data(data)) => {
                    self.current = data;
                    self.at = 0;
                }
                Ok(Piece::End) | Err(_) => self.ended = true,
                Ok(Piece::Failed(e)) => {
                    self.ended = true;
                    return Err(e);
                }
                Ok(Piece::Woken) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::io::{self, Read};

    use sequelae_core::sql::ScriptItem;

    use super::Source;

    /// Hands out one chunk per read and leaves a mark at the end of the
    /// buffer; records whether each read found the mark of the one before
    /// (the buffer was reused, not allocated and zeroed again).
    struct Marking {
        chunks: VecDeque<&'static [u8]>,
        reused: Vec<bool>,
    }

    const MARK: u8 = 0xA5;

    impl Read for Marking {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let last = buf.len() - 1;
            self.reused.push(buf[last] == MARK);
            let Some(chunk) = self.chunks.pop_front() else {
                return Ok(0);
            };
            buf[..chunk.len()].copy_from_slice(chunk);
            buf[last] = MARK;
            Ok(chunk.len())
        }
    }

    #[test]
    fn the_read_buffer_is_allocated_once() {
        let mut reader = Marking {
            chunks: VecDeque::from([&b"SELECT 1;\n"[..], b"SELECT 2;\n", b"SELECT 3;\n"]),
            reused: Vec::new(),
        };
        let mut source = Source::from_reader(&mut reader, "t.sql".into());
        let mut statements = Vec::new();
        while let Ok(Some(item)) = source.next() {
            if let ScriptItem::Statement(s) = item {
                statements.push(s.text);
            }
        }
        drop(source);
        assert_eq!(statements, ["SELECT 1", "SELECT 2", "SELECT 3"]);
        assert!(reader.reused.len() > 3, "{:?}", reader.reused);
        assert!(
            reader.reused[1..].iter().all(|r| *r),
            "a read got a fresh buffer: {:?}",
            reader.reused
        );
    }
}
