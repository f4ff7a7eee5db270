//! Reading pg_dump's `--verbose` standard error: progress events for the
//! display, and the warnings and errors for the result (password
//! redacted), from bytes as they arrive.
//!
//! What pg_dump 15 prints, one message a line, each prefixed `pg_dump: `:
//!
//! ```text
//! pg_dump: reading extensions                      <- catalog, ~45 steps
//! pg_dump: creating TABLE "public.users"           <- plain format only
//! pg_dump: dumping contents of table "public.users"
//! pg_dump: finished item 3355 TABLE DATA users     <- parallel (--jobs) only
//! pg_dump: warning: ...
//! pg_dump: error: query failed: ERROR:  ...
//! pg_dump: detail: Query was: ...
//! ```
//!
//! The plan sets `LC_MESSAGES=C`, so these are never translated.

use super::redact::Redactor;

/// Longest line kept; the rest of a longer one is dropped.
const MAX_LINE: usize = 16 * 1024;

/// Most diagnostic (error) lines kept for the failure message.
const MAX_DIAGNOSTICS: usize = 40;

/// Most warnings kept.
const MAX_WARNINGS: usize = 100;

/// Most lines of one warning (its first, then details and continuations):
/// a chatty program cannot grow one warning without limit.
const MAX_WARNING_LINES: usize = 20;

/// Something pg_dump is doing, for a progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgressEvent {
    /// Reading the catalog ("reading user-defined tables").
    Catalog {
        /// What it reads, as pg_dump words it.
        step: String,
        /// Catalog steps so far.
        done: usize,
    },
    /// Writing a definition (plain format): "TABLE public.users".
    Definition {
        /// Object kind and name.
        what: String,
        /// Definitions so far.
        done: usize,
    },
    /// Started copying a table's rows.
    TableData {
        /// `schema.name` as pg_dump prints it.
        table: String,
        /// Tables started so far, this one included.
        started: usize,
        /// Tables expected in all (at least `started`).
        total: usize,
    },
    /// A parallel worker finished a table.
    TableDone {
        /// The table's name as pg_dump prints it (without schema).
        table: String,
        /// Tables finished so far.
        finished: usize,
        /// Tables expected in all.
        total: usize,
    },
    /// The native method copied a table's rows.
    TableCopied {
        /// `schema.name`, quoted as SQL needs.
        table: String,
        /// Tables copied so far, this one included.
        finished: usize,
        /// Tables expected in all.
        total: usize,
        /// Rows copied so far, all tables.
        rows: u64,
        /// Bytes of COPY text so far (before compression), all tables.
        bytes: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LastMessage {
    None,
    Error,
    Warning,
    Info,
}

/// The reader of one pg_dump run's standard error.
#[derive(Debug)]
pub struct PgDumpStderr {
    partial: Vec<u8>,
    /// Program names pg_dump may prefix its messages with.
    prefixes: Vec<String>,
    expected_tables: usize,
    catalog_steps: usize,
    definitions: usize,
    started: usize,
    finished: usize,
    diagnostics: Vec<String>,
    dropped_diagnostics: usize,
    warnings: Vec<String>,
    /// Lines of the last warning so far; `None` when it was not kept (its
    /// continuations are dropped with it).
    warning_lines: Option<usize>,
    last: LastMessage,
    /// Prefixes whose message has not come yet (see `line`).
    waiting: usize,
    redactor: Redactor,
}

impl PgDumpStderr {
    /// A reader expecting `expected_tables` tables of rows, whose program
    /// file is named `program_name` (pg_dump prefixes messages with the
    /// name it was run as), redacting `secrets`.
    pub fn new(expected_tables: usize, program_name: &str, secrets: Vec<String>) -> PgDumpStderr {
        let mut prefixes = vec!["pg_dump".to_string()];
        if !program_name.is_empty() && program_name != "pg_dump" {
            prefixes.push(program_name.to_string());
        }
        PgDumpStderr {
            partial: Vec::new(),
            prefixes,
            expected_tables,
            catalog_steps: 0,
            definitions: 0,
            started: 0,
            finished: 0,
            diagnostics: Vec::new(),
            dropped_diagnostics: 0,
            warnings: Vec::new(),
            warning_lines: None,
            last: LastMessage::None,
            waiting: 0,
            redactor: Redactor::new(secrets),
        }
    }

    /// Takes the next bytes of standard error; returns the events of the
    /// complete lines among them.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<ProgressEvent> {
        let mut events = Vec::new();
        for &b in bytes {
            if b == b'\n' {
                let line = std::mem::take(&mut self.partial);
                events.extend(self.line(&line));
            } else if self.partial.len() < MAX_LINE {
                self.partial.push(b);
            }
        }
        events
    }

    /// Standard error ended: the last line, if it had no newline.
    pub fn finish(&mut self) -> Vec<ProgressEvent> {
        if self.partial.is_empty() {
            return Vec::new();
        }
        let line = std::mem::take(&mut self.partial);
        self.line(&line).into_iter().collect()
    }

    /// Tables whose rows pg_dump started to dump.
    pub fn tables_started(&self) -> usize {
        self.started
    }

    /// pg_dump's warnings, redacted.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// pg_dump's error lines (with their details and any unprefixed lines),
    /// redacted, one per line.
    pub fn error_text(&self) -> String {
        let mut text = self.diagnostics.join("\n");
        if self.dropped_diagnostics > 0 {
            text.push_str(&format!("\n({} more lines)", self.dropped_diagnostics));
        }
        text
    }

    /// One line of standard error.
    ///
    /// pg_dump writes each message in pieces: `pg_dump:`, ` `, a level
    /// (`error: `), then the text and its newline. The pieces of parallel
    /// workers interleave (`pg_dump:pg_dump: dumping A\n dumping B\n`), so
    /// a line is read as pieces: each prefix counts one message to come,
    /// spaces and levels are skipped, and the text that ends the line is the
    /// message of the oldest prefix still waiting. Text with no prefix
    /// waiting continues the previous message (a server error's second
    /// line) or is something a wrapper printed; either is kept.
    fn line(&mut self, raw: &[u8]) -> Option<ProgressEvent> {
        let text = String::from_utf8_lossy(raw);
        let mut rest = text.trim_end_matches('\r');
        let mut level = None;
        loop {
            if let Some(after) = self.prefix(rest) {
                self.waiting += 1;
                rest = after;
            } else if let Some(after) = rest.strip_prefix(' ') {
                rest = after;
            } else if let Some((found, after)) =
                (self.waiting > 0).then(|| level_of(rest)).flatten()
            {
                level = Some(found);
                rest = after;
            } else {
                break;
            }
        }
        if rest.is_empty() {
            return None;
        }
        if self.waiting == 0 {
            match self.last {
                LastMessage::Warning => self.continue_warning(rest),
                _ => self.diagnostic(rest.to_string()),
            }
            return None;
        }
        self.waiting -= 1;
        match level {
            Some(Level::Error) => {
                self.last = LastMessage::Error;
                self.diagnostic(format!("pg_dump: error: {rest}"));
                None
            }
            Some(Level::Warning) => {
                self.last = LastMessage::Warning;
                if self.warnings.len() < MAX_WARNINGS {
                    self.warnings.push(self.redactor.redact(rest));
                    self.warning_lines = Some(1);
                } else {
                    self.warning_lines = None;
                }
                None
            }
            Some(Level::Detail(name)) => {
                match self.last {
                    LastMessage::Warning => self.continue_warning(&format!("{name}: {rest}")),
                    _ => self.diagnostic(format!("pg_dump: {name}: {rest}")),
                }
                None
            }
            None => {
                self.last = LastMessage::Info;
                let event = self.progress(rest);
                if event.is_none() && !is_verbose_chatter(rest) {
                    // A message without a level that --verbose does not
                    // explain, e.g. getopt's "unrecognized option": keep it.
                    self.diagnostic(format!("pg_dump: {rest}"));
                }
                event
            }
        }
    }

    /// `text` after a leading `pg_dump:` (or the program's own name).
    fn prefix<'a>(&self, text: &'a str) -> Option<&'a str> {
        self.prefixes
            .iter()
            .find_map(|p| text.strip_prefix(p.as_str())?.strip_prefix(':'))
    }

    fn progress(&mut self, message: &str) -> Option<ProgressEvent> {
        if let Some(rest) = message.strip_prefix("dumping contents of table ") {
            self.started += 1;
            return Some(ProgressEvent::TableData {
                table: unquote(rest).to_string(),
                started: self.started,
                total: self.expected_tables.max(self.started),
            });
        }
        if let Some(rest) = message.strip_prefix("finished item ") {
            let table = rest.split_once(" TABLE DATA ")?.1;
            self.finished += 1;
            return Some(ProgressEvent::TableDone {
                table: table.to_string(),
                finished: self.finished,
                total: self.expected_tables.max(self.started),
            });
        }
        if let Some(rest) = message.strip_prefix("creating ") {
            self.definitions += 1;
            let what = match rest.split_once(' ') {
                Some((kind, name)) => format!("{kind} {}", unquote(name)),
                None => rest.to_string(),
            };
            return Some(ProgressEvent::Definition {
                what,
                done: self.definitions,
            });
        }
        let catalog = ["reading ", "identifying ", "finding ", "flagging "];
        if catalog.iter().any(|p| message.starts_with(p)) {
            self.catalog_steps += 1;
            return Some(ProgressEvent::Catalog {
                step: message.to_string(),
                done: self.catalog_steps,
            });
        }
        None
    }

    fn diagnostic(&mut self, line: String) {
        if self.diagnostics.len() < MAX_DIAGNOSTICS {
            self.diagnostics.push(self.redactor.redact(&line));
        } else {
            self.dropped_diagnostics += 1;
        }
    }

    fn continue_warning(&mut self, line: &str) {
        let Some(lines) = self.warning_lines else {
            return;
        };
        let Some(last) = self.warnings.last_mut() else {
            return;
        };
        if lines < MAX_WARNING_LINES {
            last.push('\n');
            last.push_str(&self.redactor.redact(line));
        } else if lines == MAX_WARNING_LINES {
            last.push_str("\n(more lines dropped)");
        }
        self.warning_lines = Some(lines.saturating_add(1));
    }
}

/// The level word pg_dump writes between the prefix and the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Error,
    Warning,
    /// `detail` or `hint`: more about the previous message.
    Detail(&'static str),
}

fn level_of(text: &str) -> Option<(Level, &str)> {
    let levels = [
        ("error: ", Level::Error),
        ("warning: ", Level::Warning),
        ("detail: ", Level::Detail("detail")),
        ("hint: ", Level::Detail("hint")),
    ];
    levels
        .into_iter()
        .find_map(|(word, level)| text.strip_prefix(word).map(|rest| (level, rest)))
}

/// The first words of pg_dump's `--verbose` information messages, which
/// say what it is doing and never why it failed.
fn is_verbose_chatter(message: &str) -> bool {
    const WORDS: &[&str] = &[
        "last",
        "reading",
        "identifying",
        "finding",
        "flagging",
        "saving",
        "dumping",
        "processing",
        "executing",
        "creating",
        "finished",
        "launching",
        "entering",
        "setting",
        "connecting",
        "disconnecting",
        "restoring",
        "implied",
        "dropping",
        "skipping",
        "transferring",
        "waiting",
    ];
    let first = message.split(' ').next().unwrap_or("");
    WORDS.contains(&first)
}

fn unquote(text: &str) -> &str {
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
pg_dump: last built-in OID is 16383
pg_dump: reading extensions
pg_dump: identifying extension members
pg_dump: reading schemas
pg_dump: saving encoding = UTF8
pg_dump: creating TABLE \"public.users\"
pg_dump: creating CONSTRAINT \"public.users users_pkey\"
pg_dump: processing data for table \"app.my table\"
pg_dump: dumping contents of table \"app.my table\"
pg_dump: dumping contents of table \"public.users\"
pg_dump: finished item 3355 TABLE DATA users
pg_dump: dumping contents of table \"public.MixedCase\"
";

    #[test]
    fn events_in_order() {
        let mut r = PgDumpStderr::new(2, "pg_dump", vec![]);
        let events = r.feed(SAMPLE.as_bytes());
        assert_eq!(
            events,
            vec![
                ProgressEvent::Catalog {
                    step: "reading extensions".into(),
                    done: 1
                },
                ProgressEvent::Catalog {
                    step: "identifying extension members".into(),
                    done: 2
                },
                ProgressEvent::Catalog {
                    step: "reading schemas".into(),
                    done: 3
                },
                ProgressEvent::Definition {
                    what: "TABLE public.users".into(),
                    done: 1
                },
                ProgressEvent::Definition {
                    what: "CONSTRAINT public.users users_pkey".into(),
                    done: 2
                },
                ProgressEvent::TableData {
                    table: "app.my table".into(),
                    started: 1,
                    total: 2
                },
                ProgressEvent::TableData {
                    table: "public.users".into(),
                    started: 2,
                    total: 2
                },
                ProgressEvent::TableDone {
                    table: "users".into(),
                    finished: 1,
                    total: 2
                },
                ProgressEvent::TableData {
                    table: "public.MixedCase".into(),
                    started: 3,
                    total: 3
                },
            ]
        );
        assert_eq!(r.tables_started(), 3);
        assert!(r.error_text().is_empty());
    }

    #[test]
    fn any_split_gives_the_same_events() {
        let whole = PgDumpStderr::new(3, "pg_dump", vec![]).feed(SAMPLE.as_bytes());
        let bytes = SAMPLE.as_bytes();
        for cut in 0..bytes.len() {
            let mut r = PgDumpStderr::new(3, "pg_dump", vec![]);
            let mut events = r.feed(&bytes[..cut]);
            events.extend(r.feed(&bytes[cut..]));
            events.extend(r.finish());
            assert_eq!(events, whole, "cut at {cut}");
        }
    }

    /// A warning followed by endless unprefixed lines, or warnings past
    /// the most kept followed by their continuations, cannot grow memory.
    #[test]
    fn warnings_and_their_continuations_are_bounded() {
        let mut r = PgDumpStderr::new(0, "pg_dump", vec![]);
        r.feed(b"pg_dump: warning: first\n");
        for _ in 0..10_000 {
            r.feed(b"pg_dump: detail: again\nand an unprefixed line\n");
        }
        let first = &r.warnings()[0];
        assert_eq!(first.lines().count(), MAX_WARNING_LINES + 1, "{first}");
        assert!(first.ends_with("(more lines dropped)"), "{first}");

        let mut r = PgDumpStderr::new(0, "pg_dump", vec![]);
        for i in 0..MAX_WARNINGS + 5 {
            r.feed(format!("pg_dump: warning: w{i}\n").as_bytes());
            r.feed(b"pg_dump: detail: more\n");
        }
        for _ in 0..10_000 {
            r.feed(b"continued\n");
        }
        assert_eq!(r.warnings().len(), MAX_WARNINGS);
        let total: usize = r.warnings().iter().map(String::len).sum();
        assert!(total < MAX_WARNINGS * 64, "{total} bytes of warnings");
    }

    #[test]
    fn errors_are_kept_and_redacted() {
        let mut r = PgDumpStderr::new(0, "pg_dump", vec!["hunter2 pw".to_string()]);
        r.feed(b"pg_dump: reading schemas\n");
        r.feed(b"pg_dump: warning: could not use hunter2 pw\npg_dump: detail: more about it\n");
        r.feed(
            b"pg_dump: error: connection to server failed: FATAL:  password hunter2 pw rejected\n",
        );
        r.feed(b"pg_dump: detail: Query was: SELECT 1\nsome wrapper line\n");
        r.feed(b"pg_dump: error: no newline at the end");
        r.finish();
        assert_eq!(
            r.error_text(),
            "pg_dump: error: connection to server failed: FATAL:  password ******** rejected\n\
             pg_dump: detail: Query was: SELECT 1\n\
             some wrapper line\n\
             pg_dump: error: no newline at the end"
        );
        assert_eq!(
            r.warnings(),
            ["could not use ********\ndetail: more about it"]
        );
    }

    #[test]
    fn interleaved_workers_are_untangled() {
        // Recorded from pg_dump 15 with --jobs 3.
        let sample = "pg_dump: dumping contents of table \"public.MixedCase\"\n\
                      pg_dump:pg_dump: dumping contents of table \"public.my.table\"\n \
                      dumping contents of table \"public.we\"ird\"\n\
                      pg_dump: finished item 3407 TABLE DATA my.table\n\
                      pg_dump:pg_dump: finished item 3408 TABLE DATA we\"ird\n \
                      dumping contents of table \"public.star*?\"\n\
                      pg_dump:pg_dump: finished item 3403 TABLE DATA users\n \
                      pg_dump:dumping contents of table \"public.a\"\n \
                      dumping contents of table \"public.b\"\n\
                      pg_dump: pg_dump: finished item 3412 TABLE DATA users\n\
                      dumping contents of table \"public.c\"\n";
        let mut r = PgDumpStderr::new(7, "pg_dump", vec![]);
        let events = r.feed(sample.as_bytes());
        let tables: Vec<&str> = events
            .iter()
            .filter_map(|e| match e {
                ProgressEvent::TableData { table, .. } => Some(table.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            tables,
            vec![
                "public.MixedCase",
                "public.my.table",
                "public.we\"ird",
                "public.star*?",
                "public.a",
                "public.b",
                "public.c"
            ]
        );
        assert_eq!(events.len(), 11);
        assert!(r.error_text().is_empty(), "{}", r.error_text());
    }

    #[test]
    fn messages_without_a_level_are_kept_unless_verbose_chatter() {
        let mut r = PgDumpStderr::new(0, "pg_dump", vec![]);
        r.feed(b"pg_dump: saving encoding = UTF8\npg_dump: processing data for table \"a.b\"\n");
        r.feed(b"pg_dump: unrecognized option '--nope'\n");
        r.feed(b"pg_dump: hint: Try \"pg_dump --help\" for more information.\n");
        assert_eq!(
            r.error_text(),
            "pg_dump: unrecognized option '--nope'\n\
             pg_dump: hint: Try \"pg_dump --help\" for more information."
        );
    }

    #[test]
    fn a_renamed_program_is_recognised() {
        let mut r = PgDumpStderr::new(1, "pg_dump17", vec![]);
        let events = r.feed(b"pg_dump17: dumping contents of table \"public.t\"\n");
        assert_eq!(events.len(), 1);
    }

    #[test]
    fn memory_is_bounded() {
        let mut r = PgDumpStderr::new(0, "pg_dump", vec![]);
        let long = vec![b'x'; MAX_LINE * 4];
        r.feed(&long);
        r.feed(b"\n");
        for _ in 0..1000 {
            r.feed(b"pg_dump: error: again\n");
        }
        let text = r.error_text();
        assert!(
            text.len() < MAX_LINE + MAX_DIAGNOSTICS * 40,
            "{}",
            text.len()
        );
        assert!(
            text.ends_with("(961 more lines)"),
            "{}",
            &text[text.len() - 40..]
        );
    }
}
