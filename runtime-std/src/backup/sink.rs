//! The native backup's output: a file or standard output, plain or
//! gzip. What goes in it and when is the driver's; failures are answered
//! in the system's words.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use sequelae_core::backup::OutputFailure;

type Out = Box<dyn Write + Send>;

/// An open output, and the file to make durable on close.
pub(super) struct Sink(Writer, Option<File>);

enum Writer {
    Gzip(Box<GzEncoder<Out>>),
    Plain(Out),
}

/// Opens `path` (made empty and private by the driver; written over) or
/// standard output, gzip at `level` when given.
pub(super) fn open(path: Option<&Path>, level: Option<u32>) -> Result<Sink, OutputFailure> {
    let opened = path.map(|p| OpenOptions::new().write(true).truncate(true).open(p));
    let file = opened.transpose()?;
    let out: Out = match &file {
        Some(file) => Box::new(BufWriter::with_capacity(1 << 18, file.try_clone()?)),
        None => Box::new(BufWriter::with_capacity(1 << 18, io::stdout())),
    };
    Ok(match level {
        Some(level) => Sink(
            Writer::Gzip(Box::new(GzEncoder::new(out, Compression::new(level)))),
            file,
        ),
        None => Sink(Writer::Plain(out), file),
    })
}

/// Appends `bytes` to the open output.
pub(super) fn write(sink: Option<&mut Sink>, bytes: &[u8]) -> Result<(), OutputFailure> {
    let sink = sink.ok_or_else(|| OutputFailure::Other("the output is not open".into()))?;
    Ok(sink.writer().write_all(bytes)?)
}

impl Sink {
    /// Where COPY data goes.
    pub(super) fn writer(&mut self) -> &mut dyn Write {
        match &mut self.0 {
            Writer::Gzip(gzip) => gzip,
            Writer::Plain(plain) => plain,
        }
    }

    /// Writes the gzip trailer, flushes, and syncs a file.
    pub(super) fn close(self) -> Result<(), OutputFailure> {
        let closed = match self.0 {
            Writer::Gzip(gzip) => gzip.finish(),
            Writer::Plain(plain) => Ok(plain),
        };
        let flushed = closed.and_then(|mut out| out.flush());
        flushed
            .and_then(|()| self.1.as_ref().map_or(Ok(()), File::sync_all))
            .map_err(OutputFailure::from)
    }
}
