//! Why a script cannot be split, with the line to look at and the fix.

use std::fmt;

/// Why a script cannot be run as SQL statements.
///
/// Every message starts with `line N:` (1-based, counting `\n`; CRLF counts
/// once) and ends with what to change, because the user is looking at a file,
/// not at the splitter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptError {
    /// A psql backslash command outside quotes and comments: sequelae sends
    /// SQL to the server and has no psql client-side commands.
    #[error(
        "line {line}: psql meta-command \\{command} is not supported; sequelae runs SQL only ({})",
        meta_command_hint(command)
    )]
    MetaCommand {
        /// Line of the backslash.
        line: u64,
        /// The command name as psql reads it: the text after the backslash
        /// up to whitespace or the next backslash (`connect` for `\connect`),
        /// at most 64 bytes.
        command: String,
    },
    /// The input ended inside a quote, a comment or a COPY data block.
    #[error("line {line}: {}", unterminated_message(what))]
    Unterminated {
        /// What was left open.
        what: Unclosed,
        /// Line where it was opened (for COPY data: the line of the
        /// `COPY ... FROM STDIN` statement).
        line: u64,
    },
    /// Statement text that is not UTF-8 (sequelae sends SQL as UTF-8).
    #[error(
        "line {line}: the statement is not valid UTF-8; sequelae reads SQL scripts as UTF-8 \
         (convert the file, e.g. with `iconv -f LATIN1 -t UTF-8`)"
    )]
    InvalidUtf8 {
        /// Line of the first invalid byte.
        line: u64,
    },
    /// A NUL byte in a statement: the protocol cannot carry it, and it
    /// usually means the file is not UTF-8 text (UTF-16, a binary file).
    #[error(
        "line {line}: the statement contains a NUL byte, which PostgreSQL cannot accept in SQL; \
         remove it (if the file is UTF-16, convert it, e.g. with `iconv -f UTF-16 -t UTF-8`)"
    )]
    NulByte {
        /// Line of the first NUL byte.
        line: u64,
    },
    /// Something other than blanks or a `--` comment follows
    /// `COPY ... FROM STDIN;` on its line. psql would run it after the COPY
    /// data, which is almost never what the author meant.
    #[error(
        "line {line}: text after `COPY ... FROM STDIN;` on the same line; the COPY data starts \
         on the next line, so move that text below the closing `\\.` line"
    )]
    TextAfterCopyFromStdin {
        /// Line of the COPY statement's terminating `;`.
        line: u64,
    },
}

/// The construct an input ended inside of, named the way the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unclosed {
    /// `'...'`, `B'...'`, `X'...'`, `N'...'` or `U&'...'`.
    QuotedString,
    /// `E'...'`, where a backslash escapes the next character (so `\'` does
    /// not end it).
    EscapeString,
    /// `"..."` or `U&"..."`.
    QuotedIdentifier,
    /// `$tag$ ...` or `$$ ...` without its closing delimiter.
    DollarQuote {
        /// The tag between the dollars (empty for `$$`).
        tag: String,
    },
    /// `/* ...`; block comments nest.
    BlockComment,
    /// COPY data after `COPY ... FROM STDIN;` without its `\.` line.
    CopyData,
}

impl fmt::Display for Unclosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::QuotedString | Self::EscapeString => f.write_str("quoted string"),
            Self::QuotedIdentifier => f.write_str("quoted identifier"),
            Self::DollarQuote { tag } => write!(f, "dollar-quoted string ${tag}$"),
            Self::BlockComment => f.write_str("block comment"),
            Self::CopyData => f.write_str("COPY data"),
        }
    }
}

fn unterminated_message(what: &Unclosed) -> String {
    let fix = match what {
        Unclosed::QuotedString => "add the closing '".to_owned(),
        Unclosed::EscapeString => {
            "add the closing ' (in E'...' a backslash escapes the next character, \
             so \\' does not end the string)"
                .to_owned()
        }
        Unclosed::QuotedIdentifier => "add the closing \"".to_owned(),
        Unclosed::DollarQuote { tag } => format!("add the closing ${tag}$"),
        Unclosed::BlockComment => {
            "add the closing */ (block comments nest: every /* needs its own */)".to_owned()
        }
        Unclosed::CopyData => {
            return "unterminated COPY data after the COPY ... FROM STDIN statement starting \
                    here; end the data with a line containing only \\."
                .to_owned();
        }
    };
    format!("unterminated {what} starting here; {fix}")
}

fn meta_command_hint(command: &str) -> &'static str {
    match command {
        "c" | "connect" => "connect with --database-url instead",
        "copy" => {
            "to load data, put the rows after a COPY ... FROM STDIN; statement and end them \
             with a line containing only \\.; to export, run COPY ... TO STDOUT"
        }
        "i" | "include" | "ir" | "include_relative" => "run each file with `sequelae file`",
        "g" | "gx" => "end the statement with ; instead",
        "q" | "quit" => "remove it; the script ends at the end of the input",
        _ => "remove it from the script",
    }
}
