//! The native backup's output: a file or standard output, plain or
//! gzip. What goes in it and when is the driver's.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

type Out = Box<dyn Write + Send>;

/// An open output, and the file to make durable on close.
pub(super) struct Sink(Writer, Option<File>);

enum Writer {
    Gzip(Box<GzEncoder<Out>>),
    Plain(Out),
}

/// Opens `path` (made empty and private by the driver; written over) or
/// standard output, gzip at `level` when given.
pub(super) fn open(path: Option<&Path>, level: Option<u32>) -> io::Result<Sink> {
    let (out, file): (Out, _) = match path {
        Some(path) => {
            let file = OpenOptions::new().write(true).truncate(true).open(path)?;
            let out = BufWriter::with_capacity(1 << 18, file.try_clone()?);
            (Box::new(out), Some(file))
        }
        None => (
            Box::new(BufWriter::with_capacity(1 << 18, io::stdout())),
            None,
        ),
    };
    Ok(match level {
        Some(level) => Sink(
            Writer::Gzip(Box::new(GzEncoder::new(out, Compression::new(level)))),
            file,
        ),
        None => Sink(Writer::Plain(out), file),
    })
}

impl Sink {
    /// Writes the gzip trailer, flushes, and syncs a file.
    pub(super) fn close(self) -> io::Result<()> {
        let mut out = match self.0 {
            Writer::Gzip(gzip) => gzip.finish()?,
            Writer::Plain(plain) => plain,
        };
        out.flush()?;
        self.1.as_ref().map_or(Ok(()), File::sync_all)
    }

    fn inner(&mut self) -> &mut dyn Write {
        match &mut self.0 {
            Writer::Gzip(gzip) => gzip,
            Writer::Plain(plain) => plain,
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner().flush()
    }
}
