//! The push/poll front of the splitter: buffering, statements, COPY blocks.

use bytes::{Buf, BytesMut};

use super::copy_data::{CopyScanner, CopyStep};
use super::error::{ScriptError, Unclosed};
use super::item::{ScriptItem, Statement};
use super::lexer::{Lexed, Lexer};
use super::shape::Marks;

const BOM: &[u8] = b"\xEF\xBB\xBF";

#[derive(Debug)]
enum Mode {
    Sql,
    Copy(CopyScanner),
}

/// Splits a SQL script into statements and inline COPY data, fed in chunks.
///
/// Sans-IO: the caller reads the input (a string, or a file in chunks of any
/// size, split anywhere, even inside a UTF-8 sequence or a CRLF) and calls
/// [`push`](Self::push), then [`next_item`](Self::next_item) until it
/// returns `Ok(None)`; at the end of input it calls
/// [`finish`](Self::finish) until that returns `Ok(None)`. Memory is bounded
/// by the largest statement (plus what was pushed and not yet polled);
/// COPY data is handed out as it arrives.
///
/// Boundaries follow psql's lexer: see the module documentation. A UTF-8
/// byte order mark at the very start of the input is skipped. After an
/// error, every call returns the same error: the script cannot be trusted
/// past it.
#[derive(Debug)]
pub struct ScriptSplitter {
    buf: BytesMut,
    lexer: Lexer,
    mode: Mode,
    eof: bool,
    bom_checked: bool,
    failed: Option<ScriptError>,
}

impl Default for ScriptSplitter {
    fn default() -> Self {
        Self::new()
    }
}

impl ScriptSplitter {
    /// A splitter at the start of a script (line 1).
    pub fn new() -> Self {
        Self {
            buf: BytesMut::new(),
            lexer: Lexer::new(),
            mode: Mode::Sql,
            eof: false,
            bom_checked: false,
            failed: None,
        }
    }

    /// More input. Chunks may end anywhere. Bytes pushed after
    /// [`finish`](Self::finish) are ignored (a caller bug).
    pub fn push(&mut self, chunk: &[u8]) {
        debug_assert!(!self.eof, "ScriptSplitter::push after finish");
        if !self.eof {
            self.buf.extend_from_slice(chunk);
        }
    }

    /// The next complete item, or `Ok(None)` if more input is needed.
    ///
    /// A statement is complete at its terminating `;`; the last one of a
    /// script may lack it and is only returned by [`finish`](Self::finish).
    pub fn next_item(&mut self) -> Result<Option<ScriptItem>, ScriptError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let result = self.advance();
        if let Err(error) = &result {
            self.failed = Some(error.clone());
        }
        result
    }

    /// Declares the end of input and returns the next item; call it again
    /// until `Ok(None)`. A final statement without `;` is returned here.
    /// Errors if the input ends inside a quote, a block comment, a dollar
    /// quote or a COPY data block (no `\.` line), naming the line where it
    /// started. After `finish`, `next_item` behaves the same.
    pub fn finish(&mut self) -> Result<Option<ScriptItem>, ScriptError> {
        self.eof = true;
        self.next_item()
    }

    /// Bytes held: the unfinished statement or the undecided COPY bytes.
    #[cfg(test)]
    pub(super) fn buffered(&self) -> usize {
        self.buf.len()
    }

    fn advance(&mut self) -> Result<Option<ScriptItem>, ScriptError> {
        if !self.skip_bom() {
            return Ok(None);
        }
        loop {
            match &mut self.mode {
                Mode::Sql => match self.lexer.scan(&self.buf, self.eof) {
                    Lexed::NeedMore => return self.end_of_buffer(),
                    Lexed::Terminated => {
                        if let Some(item) = self.terminated()? {
                            return Ok(Some(item));
                        }
                    }
                    Lexed::MetaCommand { line, name } => {
                        return Err(ScriptError::MetaCommand {
                            line,
                            command: name,
                        });
                    }
                },
                Mode::Copy(scanner) => {
                    match scanner.scan(&self.buf, self.eof, &mut self.lexer.line) {
                        CopyStep::Discard(n) => {
                            self.buf.advance(n);
                            scanner.consumed(n);
                        }
                        CopyStep::Data(n) => {
                            let data = self.buf.split_to(n).freeze();
                            scanner.consumed(n);
                            return Ok(Some(ScriptItem::CopyData(data)));
                        }
                        CopyStep::End(n) => {
                            self.buf.advance(n);
                            self.mode = Mode::Sql;
                            return Ok(Some(ScriptItem::CopyEnd));
                        }
                        CopyStep::NeedMore => return Ok(None),
                        CopyStep::Error(error) => return Err(error),
                    }
                }
            }
        }
    }

    /// Drops a UTF-8 byte order mark at the start of the input; false while
    /// the first bytes could still be one.
    fn skip_bom(&mut self) -> bool {
        if self.bom_checked {
            return true;
        }
        let n = self.buf.len().min(BOM.len());
        if self.buf.get(..n) != BOM.get(..n) {
            self.bom_checked = true;
            return true;
        }
        if n == BOM.len() {
            self.buf.advance(n);
            self.bom_checked = true;
            return true;
        }
        if self.eof {
            self.bom_checked = true;
        }
        self.bom_checked
    }

    /// A `;` ended a statement; returns it unless it was empty.
    fn terminated(&mut self) -> Result<Option<ScriptItem>, ScriptError> {
        let marks = self.lexer.take_marks();
        let statement = statement(&self.buf, &marks)?;
        let consumed = self.lexer.pos;
        self.buf.advance(consumed);
        self.lexer.pos = 0;
        Ok(statement.map(|s| {
            if s.copy_from_stdin {
                self.mode = Mode::Copy(CopyScanner::new(s.line));
            }
            ScriptItem::Statement(s)
        }))
    }

    /// The lexer consumed the buffer: wait for more, or end the script.
    fn end_of_buffer(&mut self) -> Result<Option<ScriptItem>, ScriptError> {
        if !self.eof {
            if !self.lexer.in_statement() {
                // Blanks and comments between statements are not kept.
                let n = self.lexer.pos;
                self.buf.advance(n);
                self.lexer.discard(n);
            }
            return Ok(None);
        }
        if let Some((what, line)) = self.lexer.unclosed() {
            return Err(ScriptError::Unterminated { what, line });
        }
        let marks = self.lexer.take_marks();
        if marks.copy_from_stdin() {
            return Err(ScriptError::Unterminated {
                what: Unclosed::CopyData,
                line: marks.line,
            });
        }
        let statement = statement(&self.buf, &marks)?;
        self.buf.clear();
        self.lexer.pos = 0;
        Ok(statement.map(ScriptItem::Statement))
    }
}

/// The statement text `marks` delimit in `buf`, if any token was seen.
fn statement(buf: &[u8], marks: &Marks) -> Result<Option<Statement>, ScriptError> {
    let Some(start) = marks.start else {
        return Ok(None);
    };
    let end = marks.end.max(start);
    let mut bytes = Vec::with_capacity(end - start);
    let mut from = start;
    for &backslash in &marks.removed {
        bytes.extend_from_slice(buf.get(from..backslash).unwrap_or_default());
        from = backslash + 1;
    }
    bytes.extend_from_slice(buf.get(from..end).unwrap_or_default());
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        let newlines = bytes.get(..nul).unwrap_or_default();
        let newlines = newlines.iter().filter(|&&c| c == b'\n').count();
        return Err(ScriptError::NulByte {
            line: marks.line + newlines as u64,
        });
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let newlines = e.as_bytes().get(..valid).unwrap_or_default();
        let newlines = newlines.iter().filter(|&&c| c == b'\n').count();
        ScriptError::InvalidUtf8 {
            line: marks.line + newlines as u64,
        }
    })?;
    Ok(Some(Statement {
        text,
        line: marks.line,
        copy_from_stdin: marks.copy_from_stdin(),
    }))
}
