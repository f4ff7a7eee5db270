//! A result document on its way to the client, with flat memory: the
//! JSON the core writes as rows arrive, and its escaped copy for the text
//! content, kept in memory while small and moved to unnamed temporary
//! files past a threshold. The response line is then copied out of them,
//! so a 300,000-row result costs disk, not memory.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};

/// Past this many bytes of JSON, the document moves to temporary files.
const IN_MEMORY_LIMIT: usize = 1024 * 1024;
/// Bytes kept back from the sinks, so the document's end can still be
/// changed (a key added before its closing brace).
const HELD_BACK: usize = 64;

/// One copy of the document.
#[derive(Debug)]
enum Sink {
    Memory(String),
    File(BufWriter<File>),
}

impl Sink {
    fn write(&mut self, piece: &str) -> io::Result<()> {
        match self {
            Sink::Memory(s) => {
                s.push_str(piece);
                Ok(())
            }
            Sink::File(f) => f.write_all(piece.as_bytes()),
        }
    }

    fn move_to_file(&mut self) -> io::Result<()> {
        if let Sink::Memory(s) = self {
            let mut file = BufWriter::with_capacity(64 * 1024, tempfile::tempfile()?);
            file.write_all(s.as_bytes())?;
            *self = Sink::File(file);
        }
        Ok(())
    }

    fn finish(self) -> io::Result<Stored> {
        match self {
            Sink::Memory(s) => Ok(Stored::Memory(s)),
            Sink::File(f) => {
                let mut file = f.into_inner().map_err(io::IntoInnerError::into_error)?;
                file.seek(SeekFrom::Start(0))?;
                Ok(Stored::File(file))
            }
        }
    }
}

/// A document being written.
#[derive(Debug)]
pub(crate) struct Spool {
    json: Sink,
    text: Sink,
    written: usize,
    held: String,
}

impl Default for Spool {
    fn default() -> Self {
        Spool {
            json: Sink::Memory(String::new()),
            text: Sink::Memory(String::new()),
            written: 0,
            held: String::new(),
        }
    }
}

impl Spool {
    /// Nothing was written yet.
    pub(crate) fn is_empty(&self) -> bool {
        self.written == 0 && self.held.is_empty()
    }

    /// More of the document.
    pub(crate) fn push(&mut self, chunk: &str) -> io::Result<()> {
        self.held.push_str(chunk);
        if self.held.len() > 2 * HELD_BACK {
            let mut cut = self.held.len() - HELD_BACK;
            while !self.held.is_char_boundary(cut) {
                cut -= 1;
            }
            let rest = self.held.split_off(cut);
            let piece = std::mem::replace(&mut self.held, rest);
            self.write(&piece)?;
        }
        Ok(())
    }

    fn write(&mut self, piece: &str) -> io::Result<()> {
        self.written += piece.len();
        if self.written > IN_MEMORY_LIMIT {
            self.json.move_to_file()?;
            self.text.move_to_file()?;
        }
        self.json.write(piece)?;
        self.text.write(&escape(piece))
    }

    /// The document is complete; `extra` (a `"key":value` pair) is added
    /// as its last key.
    pub(crate) fn finish(mut self, extra: Option<&str>) -> io::Result<Spooled> {
        let mut tail = std::mem::take(&mut self.held);
        let trimmed = tail.trim_end().len();
        tail.truncate(trimmed);
        if let Some(extra) = extra {
            if tail.ends_with('}') {
                tail.pop();
                tail.push(',');
                tail.push_str(extra);
                tail.push('}');
            }
        }
        self.write(&tail)?;
        Ok(Spooled {
            json: self.json.finish()?,
            text: self.text.finish()?,
        })
    }
}

/// Escapes `piece` as the inside of a JSON string.
fn escape(piece: &str) -> String {
    let quoted = serde_json::Value::String(piece.to_string()).to_string();
    quoted[1..quoted.len() - 1].to_string()
}

/// Where a finished copy is.
#[derive(Debug)]
enum Stored {
    Memory(String),
    File(File),
}

impl Stored {
    fn copy_to(&mut self, out: &mut dyn Write) -> io::Result<()> {
        match self {
            Stored::Memory(s) => out.write_all(s.as_bytes()),
            Stored::File(f) => {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = f.read(&mut buf)?;
                    if n == 0 {
                        return Ok(());
                    }
                    out.write_all(&buf[..n])?;
                }
            }
        }
    }
}

/// A finished document: the JSON and its escaped copy.
#[derive(Debug)]
pub(crate) struct Spooled {
    json: Stored,
    text: Stored,
}

impl Spooled {
    /// Writes the JSON.
    pub(crate) fn write_json(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.json.copy_to(out)
    }

    /// Writes the JSON escaped as the inside of a JSON string.
    pub(crate) fn write_text(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.text.copy_to(out)
    }

    /// The JSON, read back.
    #[cfg(test)]
    fn json_string(&mut self) -> io::Result<String> {
        let mut out = Vec::new();
        self.write_json(&mut out)?;
        String::from_utf8(out).map_err(io::Error::other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spool(pieces: &[&str], extra: Option<&str>) -> (String, String) {
        let mut s = Spool::default();
        for p in pieces {
            s.push(p).expect("push");
        }
        let mut done = s.finish(extra).expect("finish");
        let mut text = Vec::new();
        done.write_text(&mut text).expect("text");
        (
            done.json_string().expect("json"),
            String::from_utf8(text).expect("utf8"),
        )
    }

    #[test]
    fn small_and_large_documents_come_back_whole_with_the_extra_key() {
        let (json, text) = spool(
            &["{\"a\":\"x\\\"y\"", ",\"b\":[1]}\n"],
            Some("\"hint\":\"h\""),
        );
        assert_eq!(json, "{\"a\":\"x\\\"y\",\"b\":[1],\"hint\":\"h\"}");
        assert_eq!(
            text,
            "{\\\"a\\\":\\\"x\\\\\\\"y\\\",\\\"b\\\":[1],\\\"hint\\\":\\\"h\\\"}"
        );
        let row = "{\"n\":\"é\u{1F418}\"},";
        let mut pieces = vec!["{\"rows\":["];
        pieces.extend(std::iter::repeat_n(row, 200_000));
        pieces.push("{}]}");
        let (json, text) = spool(&pieces, None);
        let parsed: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(parsed["rows"].as_array().map(Vec::len), Some(200_001));
        let unescaped: String = serde_json::from_str(&format!("\"{text}\"")).expect("valid string");
        assert_eq!(unescaped, json);
    }
}
