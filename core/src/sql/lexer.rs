//! psql's statement-boundary lexer (`psqlscan.l`) as a resumable byte
//! state machine.
//!
//! It only decides where statements end; it does not tokenise SQL fully.
//! State survives between calls, so bytes are examined once (a few bytes of
//! lookahead, a failed `$tag` or the blanks after an `E'...'` string at most
//! twice) however the input is chunked. Offsets are into the caller's
//! buffer, which starts at the current statement (or at `pos` while no
//! statement has started).

use super::error::Unclosed;
use super::shape::{Marks, RoutineBody};

/// Longest meta-command name reported in an error; past it, the name is cut.
const MAX_META_NAME: usize = 64;

/// What `scan` stopped at.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Lexed {
    /// All bytes were consumed (or a token needs more lookahead).
    NeedMore,
    /// A statement-ending `;` was consumed; `pos` is just after it.
    Terminated,
    /// A backslash started a psql meta-command.
    MetaCommand { line: u64, name: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    /// `'...'` (standard_conforming_strings on), `B'`, `X'`, `N'`, `U&'`.
    Standard,
    /// `E'...'`: backslash escapes the next byte.
    Escape,
    /// `"..."`, `U&"..."`.
    Identifier,
}

/// Where we are in the blanks after an `E'...'` string's closing quote:
/// psql continues the string (still with backslash escapes) if blanks
/// containing a newline and then another quote follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gap {
    /// Right after the quote: another quote here is a doubled `''`.
    First,
    Horizontal,
    Dash,
    Comment,
    Newline,
    NewlineDash,
    NewlineComment,
}

#[derive(Debug)]
enum State {
    Initial,
    LineComment,
    BlockComment {
        depth: u32,
        prev: u8,
        line: u64,
    },
    Quoted {
        quote: Quote,
        backslash: bool,
        line: u64,
    },
    EscapeStop {
        gap: Gap,
        resume: usize,
        resume_line: u64,
        line: u64,
    },
    Identifier {
        start: usize,
    },
    Number {
        junk: bool,
    },
    DollarTag {
        dollar: usize,
    },
    DollarBody {
        delimiter: Vec<u8>,
        matched: usize,
        line: u64,
    },
}

/// The resumable lexer.
#[derive(Debug)]
pub(super) struct Lexer {
    state: State,
    /// Next byte to examine.
    pub(super) pos: usize,
    /// 1-based line of `pos`; shared with the COPY data scanner.
    pub(super) line: u64,
    paren_depth: u32,
    routine: RoutineBody,
    marks: Marks,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident_cont(c: u8) -> bool {
    is_ident_start(c) || c.is_ascii_digit() || c == b'$'
}

fn is_dollar_tag_cont(c: u8) -> bool {
    is_ident_start(c) || c.is_ascii_digit()
}

/// Outcome of one step in the initial state.
enum Step {
    Continue,
    Return(Lexed),
}

impl Lexer {
    pub(super) fn new() -> Self {
        Self {
            state: State::Initial,
            pos: 0,
            line: 1,
            paren_depth: 0,
            routine: RoutineBody::default(),
            marks: Marks::default(),
        }
    }

    /// A statement has started (its bytes must stay in the buffer).
    pub(super) fn in_statement(&self) -> bool {
        self.marks.start.is_some()
    }

    /// The caller dropped the first `n` bytes of its buffer. Only valid
    /// outside a statement (no offsets other than `pos` are live).
    pub(super) fn discard(&mut self, n: usize) {
        debug_assert!(self.marks.start.is_none() && n <= self.pos);
        self.pos -= n;
    }

    /// Hands out the finished statement's marks and starts a new one.
    pub(super) fn take_marks(&mut self) -> Marks {
        std::mem::take(&mut self.marks)
    }

    /// What is open at the end of input, with the line it was opened on.
    pub(super) fn unclosed(&self) -> Option<(Unclosed, u64)> {
        match &self.state {
            State::Quoted { quote, line, .. } => Some((
                match quote {
                    Quote::Standard => Unclosed::QuotedString,
                    Quote::Escape => Unclosed::EscapeString,
                    Quote::Identifier => Unclosed::QuotedIdentifier,
                },
                *line,
            )),
            State::DollarBody {
                delimiter, line, ..
            } => {
                let tag = delimiter.get(1..delimiter.len() - 1).unwrap_or_default();
                Some((
                    Unclosed::DollarQuote {
                        tag: String::from_utf8_lossy(tag).into_owned(),
                    },
                    *line,
                ))
            }
            State::BlockComment { line, .. } => Some((Unclosed::BlockComment, *line)),
            _ => None,
        }
    }

    /// Lexes `buf[pos..]`. With `eof`, missing lookahead counts as absent
    /// and tokens cut by the end of input are completed.
    pub(super) fn scan(&mut self, buf: &[u8], eof: bool) -> Lexed {
        loop {
            if self.pos >= buf.len() {
                if eof && self.complete_at_eof(buf) {
                    continue;
                }
                return Lexed::NeedMore;
            }
            match self.state {
                State::Initial => {
                    if let Step::Return(lexed) = self.initial(buf, eof) {
                        return lexed;
                    }
                }
                State::LineComment => self.line_comment(buf),
                State::BlockComment { .. } => self.block_comment(buf),
                State::Quoted { .. } => self.quoted(buf),
                State::EscapeStop { .. } => self.escape_stop(buf),
                State::Identifier { start } => self.identifier(buf, start),
                State::Number { junk } => self.number(buf, junk),
                State::DollarTag { dollar } => self.dollar_tag(buf, dollar),
                State::DollarBody { .. } => self.dollar_body(buf),
            }
        }
    }

    /// Ends tokens that the end of input cuts; true if the state changed.
    fn complete_at_eof(&mut self, buf: &[u8]) -> bool {
        match self.state {
            State::Identifier { start } => {
                self.end_identifier(buf, start);
                true
            }
            State::Number { .. } => {
                self.end_token();
                true
            }
            State::DollarTag { dollar } => {
                self.dollar_tag_failed(dollar);
                true
            }
            State::EscapeStop {
                resume,
                resume_line,
                ..
            } => {
                self.escape_stop_failed(resume, resume_line);
                true
            }
            _ => false,
        }
    }

    fn token_start(&mut self) {
        self.marks.token_start(self.pos, self.line);
    }

    fn end_token(&mut self) {
        self.marks.end = self.pos;
        self.state = State::Initial;
    }

    /// A one-byte token with no further meaning.
    fn single(&mut self) -> Step {
        self.token_start();
        self.pos += 1;
        self.end_token();
        Step::Continue
    }

    fn open_quote(&mut self, quote: Quote, prefix: usize) -> Step {
        self.token_start();
        self.state = State::Quoted {
            quote,
            backslash: false,
            line: self.line,
        };
        self.pos += prefix;
        Step::Continue
    }

    fn start_identifier(&mut self) -> Step {
        self.token_start();
        self.state = State::Identifier { start: self.pos };
        self.pos += 1;
        Step::Continue
    }

    fn initial(&mut self, buf: &[u8], eof: bool) -> Step {
        let pos = self.pos;
        let at = |k: usize| buf.get(pos + k).copied();
        // Lookahead that is not there yet: wait, unless the input is over.
        let wait = !eof;
        let Some(c) = at(0) else {
            return Step::Return(Lexed::NeedMore);
        };
        match c {
            b'\n' => {
                self.line += 1;
                self.pos += 1;
                Step::Continue
            }
            c if is_space(c) => {
                self.pos += 1;
                Step::Continue
            }
            b'-' => match at(1) {
                Some(b'-') => {
                    self.state = State::LineComment;
                    self.pos += 2;
                    Step::Continue
                }
                None if wait => Step::Return(Lexed::NeedMore),
                _ => self.single(),
            },
            b'/' => match at(1) {
                Some(b'*') => {
                    self.state = State::BlockComment {
                        depth: 0,
                        prev: 0,
                        line: self.line,
                    };
                    self.pos += 2;
                    Step::Continue
                }
                None if wait => Step::Return(Lexed::NeedMore),
                _ => self.single(),
            },
            b'(' => {
                self.paren_depth += 1;
                self.single()
            }
            b')' => {
                self.paren_depth = self.paren_depth.saturating_sub(1);
                self.single()
            }
            b';' if self.paren_depth == 0 && !self.routine.in_body() => {
                self.pos += 1;
                self.routine.restart();
                Step::Return(Lexed::Terminated)
            }
            b'\'' => self.open_quote(Quote::Standard, 1),
            b'"' => self.open_quote(Quote::Identifier, 1),
            b'\\' => self.backslash(buf, eof),
            b'$' => match at(1) {
                Some(b'$') => {
                    self.token_start();
                    self.state = State::DollarBody {
                        delimiter: b"$$".to_vec(),
                        matched: 0,
                        line: self.line,
                    };
                    self.pos += 2;
                    Step::Continue
                }
                Some(d) if d.is_ascii_digit() => {
                    // A positional parameter such as $1.
                    self.token_start();
                    self.state = State::Number { junk: false };
                    self.pos += 1;
                    Step::Continue
                }
                Some(d) if is_ident_start(d) => {
                    self.token_start();
                    self.state = State::DollarTag { dollar: self.pos };
                    self.pos += 1;
                    Step::Continue
                }
                None if wait => Step::Return(Lexed::NeedMore),
                _ => self.single(),
            },
            b'0'..=b'9' => {
                self.token_start();
                self.state = State::Number { junk: false };
                Step::Continue
            }
            b'e' | b'E' | b'b' | b'B' | b'x' | b'X' | b'n' | b'N' => match at(1) {
                Some(b'\'') => {
                    let quote = if c.eq_ignore_ascii_case(&b'e') {
                        Quote::Escape
                    } else {
                        Quote::Standard
                    };
                    self.open_quote(quote, 2)
                }
                None if wait => Step::Return(Lexed::NeedMore),
                _ => self.start_identifier(),
            },
            b'u' | b'U' => match (at(1), at(2)) {
                (Some(b'&'), Some(b'\'')) => self.open_quote(Quote::Standard, 3),
                (Some(b'&'), Some(b'"')) => self.open_quote(Quote::Identifier, 3),
                (None, _) | (Some(b'&'), None) if wait => Step::Return(Lexed::NeedMore),
                // psql's {xufailed}: `u&` not followed by a quote is not an
                // identifier, just a `u` and then an operator.
                (Some(b'&'), _) => self.single(),
                _ => self.start_identifier(),
            },
            c if is_ident_start(c) => self.start_identifier(),
            _ => self.single(),
        }
    }

    fn backslash(&mut self, buf: &[u8], eof: bool) -> Step {
        match buf.get(self.pos + 1) {
            None if !eof => Step::Return(Lexed::NeedMore),
            Some(&c) if c == b';' || c == b':' => {
                // psql sends `\;` and `\:` as `;` and `:` without ending the
                // statement; `\;` also restarts the CREATE FUNCTION tracking.
                self.token_start();
                self.marks.removed.push(self.pos);
                self.pos += 2;
                self.end_token();
                if c == b';' {
                    self.routine.restart();
                }
                Step::Continue
            }
            _ => {
                let from = self.pos + 1;
                let mut end = from;
                while let Some(&c) = buf.get(end) {
                    if is_space(c) || c == b'\\' || end - from == MAX_META_NAME {
                        break;
                    }
                    end += 1;
                }
                if end == buf.len() && !eof && end - from < MAX_META_NAME {
                    return Step::Return(Lexed::NeedMore);
                }
                let name = if end == from && buf.get(from) == Some(&b'\\') {
                    "\\".to_owned()
                } else {
                    let bytes = buf.get(from..end).unwrap_or_default();
                    String::from_utf8_lossy(bytes).into_owned()
                };
                Step::Return(Lexed::MetaCommand {
                    line: self.line,
                    name,
                })
            }
        }
    }

    fn line_comment(&mut self, buf: &[u8]) {
        let rest = buf.get(self.pos..).unwrap_or_default();
        match rest.iter().position(|&c| c == b'\n' || c == b'\r') {
            // The newline itself is whitespace for the initial state.
            Some(i) => {
                self.pos += i;
                self.state = State::Initial;
            }
            None => self.pos = buf.len(),
        }
    }

    fn block_comment(&mut self, buf: &[u8]) {
        let State::BlockComment {
            mut depth,
            mut prev,
            line,
        } = self.state
        else {
            return;
        };
        while let Some(&c) = buf.get(self.pos) {
            self.pos += 1;
            if c == b'\n' {
                self.line += 1;
            }
            if prev == b'/' && c == b'*' {
                depth += 1;
                prev = 0;
            } else if prev == b'*' && c == b'/' {
                if depth == 0 {
                    self.state = State::Initial;
                    return;
                }
                depth -= 1;
                prev = 0;
            } else {
                prev = c;
            }
        }
        self.state = State::BlockComment { depth, prev, line };
    }

    fn quoted(&mut self, buf: &[u8]) {
        let State::Quoted {
            quote,
            mut backslash,
            line,
        } = self.state
        else {
            return;
        };
        let close = if quote == Quote::Identifier {
            b'"'
        } else {
            b'\''
        };
        while let Some(&c) = buf.get(self.pos) {
            self.pos += 1;
            if c == b'\n' {
                self.line += 1;
            }
            if backslash {
                backslash = false;
            } else if c == b'\\' && quote == Quote::Escape {
                backslash = true;
            } else if c == close {
                // A doubled quote closes and reopens: the same boundaries.
                // E'...' needs a look at what follows (see `Gap`).
                if quote == Quote::Escape {
                    self.state = State::EscapeStop {
                        gap: Gap::First,
                        resume: self.pos,
                        resume_line: self.line,
                        line,
                    };
                } else {
                    self.end_token();
                }
                return;
            }
        }
        self.state = State::Quoted {
            quote,
            backslash,
            line,
        };
    }

    fn escape_stop(&mut self, buf: &[u8]) {
        let State::EscapeStop {
            mut gap,
            resume,
            resume_line,
            line,
        } = self.state
        else {
            return;
        };
        while let Some(&c) = buf.get(self.pos) {
            let newline = c == b'\n' || c == b'\r';
            let next = match gap {
                Gap::First | Gap::Newline if c == b'\'' => {
                    self.pos += 1;
                    self.state = State::Quoted {
                        quote: Quote::Escape,
                        backslash: false,
                        line,
                    };
                    return;
                }
                Gap::First | Gap::Horizontal if newline => Some(Gap::Newline),
                Gap::First | Gap::Horizontal if matches!(c, b' ' | b'\t' | 0x0c) => {
                    Some(Gap::Horizontal)
                }
                Gap::First | Gap::Horizontal if c == b'-' => Some(Gap::Dash),
                Gap::Dash if c == b'-' => Some(Gap::Comment),
                Gap::Comment if newline => Some(Gap::Newline),
                Gap::Comment => Some(Gap::Comment),
                Gap::Newline if is_space(c) => Some(Gap::Newline),
                Gap::Newline if c == b'-' => Some(Gap::NewlineDash),
                Gap::NewlineDash if c == b'-' => Some(Gap::NewlineComment),
                Gap::NewlineComment if newline => Some(Gap::Newline),
                Gap::NewlineComment => Some(Gap::NewlineComment),
                _ => None,
            };
            match next {
                Some(g) => {
                    gap = g;
                    self.pos += 1;
                    if c == b'\n' {
                        self.line += 1;
                    }
                }
                None => {
                    self.escape_stop_failed(resume, resume_line);
                    return;
                }
            }
        }
        self.state = State::EscapeStop {
            gap,
            resume,
            resume_line,
            line,
        };
    }

    /// No continuation after `E'...'`: the string ended at its quote, and
    /// what followed is lexed again from there.
    fn escape_stop_failed(&mut self, resume: usize, resume_line: u64) {
        self.pos = resume;
        self.line = resume_line;
        self.end_token();
    }

    fn identifier(&mut self, buf: &[u8], start: usize) {
        let rest = buf.get(self.pos..).unwrap_or_default();
        match rest.iter().position(|&c| !is_ident_cont(c)) {
            Some(i) => {
                self.pos += i;
                self.end_identifier(buf, start);
            }
            None => self.pos = buf.len(),
        }
    }

    fn number(&mut self, buf: &[u8], mut junk: bool) {
        // Digits, then (PostgreSQL 15's {integer_junk}) an identifier glued
        // to them: `1abc` is one token, `1$a$` is `1` and a dollar quote.
        while let Some(&c) = buf.get(self.pos) {
            let more = if junk {
                is_ident_cont(c)
            } else if is_ident_start(c) {
                junk = true;
                true
            } else {
                c.is_ascii_digit()
            };
            if !more {
                self.end_token();
                return;
            }
            self.pos += 1;
        }
        self.state = State::Number { junk };
    }

    fn dollar_tag(&mut self, buf: &[u8], dollar: usize) {
        while let Some(&c) = buf.get(self.pos) {
            if c == b'$' {
                let delimiter = buf.get(dollar..=self.pos).unwrap_or_default().to_vec();
                self.pos += 1;
                self.state = State::DollarBody {
                    delimiter,
                    matched: 0,
                    line: self.line,
                };
                return;
            }
            if !is_dollar_tag_cont(c) {
                self.dollar_tag_failed(dollar);
                return;
            }
            self.pos += 1;
        }
    }

    /// `$name` without a second `$`: the `$` is a lone character and the
    /// name is lexed again as an identifier (psql's {dolqfailed}).
    fn dollar_tag_failed(&mut self, dollar: usize) {
        self.pos = dollar + 1;
        self.end_token();
    }

    fn dollar_body(&mut self, buf: &[u8]) {
        let State::DollarBody {
            delimiter,
            mut matched,
            line,
        } = std::mem::replace(&mut self.state, State::Initial)
        else {
            return;
        };
        while let Some(&c) = buf.get(self.pos) {
            self.pos += 1;
            if c == b'\n' {
                self.line += 1;
            }
            if delimiter.get(matched) == Some(&c) {
                matched += 1;
                if matched == delimiter.len() {
                    self.end_token();
                    return;
                }
            } else {
                // The delimiter's only `$` are its first and last bytes, so
                // a mismatch can only restart a match at a `$`.
                matched = usize::from(c == b'$');
            }
        }
        self.state = State::DollarBody {
            delimiter,
            matched,
            line,
        };
    }

    fn end_identifier(&mut self, buf: &[u8], start: usize) {
        let word = buf.get(start..self.pos).unwrap_or_default();
        let at_top = self.paren_depth == 0;
        self.routine.identifier(word, at_top);
        self.end_token();
        self.marks.identifier(word, start, at_top);
    }
}
