//! What the lexer learns about the current statement besides its bounds:
//! whether it is `COPY ... FROM STDIN`, and whether a `;` is inside a
//! `BEGIN ... END` routine body.

/// Where the current statement is in the buffer, and what it looks like.
#[derive(Debug, Default)]
pub(super) struct Marks {
    /// Offset of the first token; `None` while only blanks and comments
    /// have been seen.
    pub(super) start: Option<usize>,
    /// Offset just past the last token.
    pub(super) end: usize,
    /// Line of the first token.
    pub(super) line: u64,
    /// Offsets of backslashes to drop (`\;` and `\:`).
    pub(super) removed: Vec<usize>,
    first_is_copy: bool,
    /// The last completed token was `FROM` outside parentheses.
    after_from: bool,
    /// `after_from` as it was when the current token started.
    follows_from: bool,
    from_stdin: bool,
}

impl Marks {
    /// The statement is lexically `COPY ... FROM STDIN`: its first token is
    /// `COPY` and the words `FROM STDIN` follow each other outside
    /// parentheses (so not `FROM 'file'`, `FROM PROGRAM` or a subquery).
    pub(super) fn copy_from_stdin(&self) -> bool {
        self.first_is_copy && self.from_stdin
    }

    /// A token (anything but blanks and comments) starts at `pos`.
    pub(super) fn token_start(&mut self, pos: usize, line: u64) {
        if self.start.is_none() {
            self.start = Some(pos);
            self.line = line;
        }
        self.follows_from = self.after_from;
        self.after_from = false;
    }

    /// An unquoted identifier or keyword `word` that started at `start`
    /// has just ended.
    pub(super) fn identifier(&mut self, word: &[u8], start: usize, at_top: bool) {
        if self.start == Some(start) {
            self.first_is_copy = word.eq_ignore_ascii_case(b"copy");
        }
        if at_top && self.follows_from && word.eq_ignore_ascii_case(b"stdin") {
            self.from_stdin = true;
        }
        self.after_from = at_top && word.eq_ignore_ascii_case(b"from");
    }
}

/// psql's heuristic for SQL-standard routine bodies (PostgreSQL 14+): once
/// a statement starts with CREATE [OR REPLACE] FUNCTION|PROCEDURE, BEGIN
/// (and CASE inside it) opens and END closes a block in which `;` does not
/// end the statement. Only identifiers outside parentheses count, and the
/// first four identifiers decide whether the statement qualifies, so a
/// transaction's `BEGIN;` is never counted.
#[derive(Debug, Default)]
pub(super) struct RoutineBody {
    identifier_count: usize,
    /// First letters of the tracked keywords among the first four
    /// identifiers (0 for any other identifier).
    identifiers: [u8; 4],
    begin_depth: u32,
}

impl RoutineBody {
    /// Inside a BEGIN ... END body: `;` does not end the statement.
    pub(super) fn in_body(&self) -> bool {
        self.begin_depth > 0
    }

    /// A statement ended (or psql's `\;` was seen): count identifiers anew.
    pub(super) fn restart(&mut self) {
        self.identifier_count = 0;
    }

    /// An unquoted identifier or keyword; `at_top` if outside parentheses.
    pub(super) fn identifier(&mut self, word: &[u8], at_top: bool) {
        const TRACKED: [&[u8]; 5] = [b"create", b"function", b"procedure", b"or", b"replace"];
        if self.identifier_count == 0 {
            self.identifiers = [0; 4];
        }
        let tracked = TRACKED.iter().any(|k| word.eq_ignore_ascii_case(k));
        if let (true, Some(slot), Some(first)) = (
            tracked,
            self.identifiers.get_mut(self.identifier_count),
            word.first(),
        ) {
            *slot = first.to_ascii_lowercase();
        }
        self.identifier_count = self.identifier_count.saturating_add(1);
        let ids = self.identifiers;
        let routine = ids[0] == b'c'
            && (ids[1] == b'f'
                || ids[1] == b'p'
                || (ids[1] == b'o' && ids[2] == b'r' && (ids[3] == b'f' || ids[3] == b'p')));
        if !routine || !at_top {
            return;
        }
        if word.eq_ignore_ascii_case(b"begin") {
            self.begin_depth += 1;
        } else if word.eq_ignore_ascii_case(b"case") {
            if self.begin_depth >= 1 {
                self.begin_depth += 1;
            }
        } else if word.eq_ignore_ascii_case(b"end") {
            self.begin_depth = self.begin_depth.saturating_sub(1);
        }
    }
}
