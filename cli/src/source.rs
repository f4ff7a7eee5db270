//! Where statements come from: a string (`exec`) or a reader streamed in
//! chunks (`file`, `-` for stdin). Splitting is the core's
//! [`ScriptSplitter`]; this only feeds it.

use std::io::Read;

use sequelae_core::sql::{ScriptItem, ScriptSplitter};

use crate::exit::Failure;

const CHUNK: usize = 64 * 1024;

/// A stream of script items with one item of lookahead.
pub(crate) struct Source<'a> {
    splitter: ScriptSplitter,
    reader: Option<Box<dyn Read + 'a>>,
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
            finished: false,
            peeked: None,
            front: None,
            name,
        }
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
        let mut buf = vec![0u8; CHUNK];
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
            match reader.read(&mut buf) {
                Ok(0) => self.finished = true,
                Ok(n) => self.splitter.push(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(Failure::Usage(format!("cannot read {}: {e}", self.name)));
                }
            }
        }
    }
}
