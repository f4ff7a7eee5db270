//! The lines after `COPY ... FROM STDIN;`: raw data up to a `\.` line.
//!
//! Like psql's `handleCopyIn`, data is read line by line without lexing, and
//! a line that is exactly `\.` (before `\n` or `\r\n`, or at the end of
//! input) ends it. Bytes are handed out as soon as they are known not to be
//! part of that line, so only a few bytes are ever held back.

use super::error::{ScriptError, Unclosed};

/// Largest `CopyData` piece; bounds what one item carries even when the
/// caller pushes a lot before polling.
pub(super) const MAX_PIECE: usize = 1 << 20;

/// What to do with the front of the buffer.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum CopyStep {
    /// Drop this many bytes (the rest of the COPY statement's line).
    Discard(usize),
    /// Hand out this many bytes as a `CopyData` piece.
    Data(usize),
    /// Drop this many bytes (the `\.` line) and hand out `CopyEnd`.
    End(usize),
    /// Nothing more can be decided until more input arrives.
    NeedMore,
    /// The block cannot go on.
    Error(ScriptError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The rest of the statement's line: blanks, then maybe `--` comment.
    LineRest,
    LineRestDash,
    LineRestComment,
    /// Inside the data.
    Data {
        at_line_start: bool,
    },
}

/// Scanner for one COPY data block; `pos` is an offset into the caller's
/// buffer, which starts where the block's unhanded bytes start.
#[derive(Debug)]
pub(super) struct CopyScanner {
    phase: Phase,
    pos: usize,
    /// Line of the COPY statement, for errors.
    copy_line: u64,
}

/// Whether `rest` (the bytes at a line start) is the `\.` line.
enum Terminator {
    Yes(usize),
    No,
    Undecided,
}

fn terminator(rest: &[u8], eof: bool) -> Terminator {
    let undecided = if eof {
        Terminator::No
    } else {
        Terminator::Undecided
    };
    match rest {
        [] => undecided,
        [b'\\'] => undecided,
        [b'\\', b'.'] | [b'\\', b'.', b'\r'] if eof => Terminator::Yes(rest.len()),
        [b'\\', b'.'] | [b'\\', b'.', b'\r'] => Terminator::Undecided,
        [b'\\', b'.', b'\n', ..] => Terminator::Yes(3),
        [b'\\', b'.', b'\r', b'\n', ..] => Terminator::Yes(4),
        _ => Terminator::No,
    }
}

impl CopyScanner {
    /// Starts right after the `;` of the COPY statement on line `copy_line`.
    pub(super) fn new(copy_line: u64) -> Self {
        Self {
            phase: Phase::LineRest,
            pos: 0,
            copy_line,
        }
    }

    /// The caller dropped or handed out the first `n` bytes of its buffer.
    pub(super) fn consumed(&mut self, n: usize) {
        self.pos = self.pos.saturating_sub(n);
    }

    fn unterminated(&self) -> CopyStep {
        CopyStep::Error(ScriptError::Unterminated {
            what: Unclosed::CopyData,
            line: self.copy_line,
        })
    }

    /// Advances over `buf[pos..]`, counting newlines into `line`.
    pub(super) fn scan(&mut self, buf: &[u8], eof: bool, line: &mut u64) -> CopyStep {
        match self.phase {
            Phase::Data { at_line_start } => self.data(buf, eof, line, at_line_start),
            _ => self.line_rest(buf, eof, line),
        }
    }

    /// Skips the rest of the statement's line; once its newline is passed,
    /// the data begins.
    fn line_rest(&mut self, buf: &[u8], eof: bool, line: &mut u64) -> CopyStep {
        while let Some(&c) = buf.get(self.pos) {
            self.pos += 1;
            self.phase = match (self.phase, c) {
                (Phase::LineRest | Phase::LineRestComment, b'\n') => {
                    *line += 1;
                    self.phase = Phase::Data {
                        at_line_start: true,
                    };
                    return CopyStep::Discard(self.pos);
                }
                (Phase::LineRest, b' ' | b'\t' | b'\r' | 0x0c) => Phase::LineRest,
                (Phase::LineRest, b'-') => Phase::LineRestDash,
                (Phase::LineRestDash, b'-') | (Phase::LineRestComment, _) => Phase::LineRestComment,
                _ => return CopyStep::Error(ScriptError::TextAfterCopyFromStdin { line: *line }),
            };
        }
        if eof {
            self.unterminated()
        } else if self.pos > 0 {
            CopyStep::Discard(self.pos)
        } else {
            CopyStep::NeedMore
        }
    }

    fn data(&mut self, buf: &[u8], eof: bool, line: &mut u64, mut at_line_start: bool) -> CopyStep {
        loop {
            let rest = buf.get(self.pos..).unwrap_or_default();
            if at_line_start {
                match terminator(rest, eof) {
                    Terminator::Yes(n) => {
                        self.phase = Phase::Data { at_line_start };
                        if self.pos > 0 {
                            // Hand out the data first; the `\.` line is
                            // seen again on the next call.
                            return CopyStep::Data(self.pos);
                        }
                        if rest.get(n - 1) == Some(&b'\n') {
                            *line += 1;
                        }
                        return CopyStep::End(n);
                    }
                    Terminator::Undecided => {
                        self.phase = Phase::Data { at_line_start };
                        return self.flush(eof);
                    }
                    Terminator::No => at_line_start = false,
                }
            }
            let room = MAX_PIECE.saturating_sub(self.pos).min(rest.len());
            let window = rest.get(..room).unwrap_or_default();
            match window.iter().position(|&c| c == b'\n') {
                Some(i) => {
                    self.pos += i + 1;
                    *line += 1;
                    at_line_start = true;
                    if self.pos >= MAX_PIECE {
                        self.phase = Phase::Data { at_line_start };
                        return CopyStep::Data(self.pos);
                    }
                }
                None => {
                    self.pos += room;
                    self.phase = Phase::Data { at_line_start };
                    return self.flush(eof);
                }
            }
        }
    }

    /// Hands out what has been scanned, or reports the end of input.
    fn flush(&self, eof: bool) -> CopyStep {
        if self.pos > 0 {
            CopyStep::Data(self.pos)
        } else if eof {
            self.unterminated()
        } else {
            CopyStep::NeedMore
        }
    }
}
