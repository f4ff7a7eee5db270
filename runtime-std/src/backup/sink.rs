//! The native backup's output: a file or standard output, plain or
//! gzip. What goes in it and when is the driver's; failures are answered
//! in the system's words.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use sequelae_core::backup::OutputFailure;

type Out = Box<dyn Write + Send>;

/// An open output, and the file to make durable on close.
pub(super) struct Sink(Writer, Option<File>);

enum Writer {
    /// Buffered in front too: deflate is called with big chunks, not
    /// once per row (which costs more than the compression itself).
    Gzip(Box<BufWriter<GzEncoder<Out>>>, u32),
    Plain(Out),
}

/// Output buffers, and the chunks spools are appended in.
const BUFFER: usize = 1 << 18;

/// Opens `path` (made empty and private by the driver; written over) or
/// standard output, gzip at `level` when given.
pub(super) fn open(path: Option<&Path>, level: Option<u32>) -> Result<Sink, OutputFailure> {
    let opened = path.map(|p| OpenOptions::new().write(true).truncate(true).open(p));
    let file = opened.transpose()?;
    let out: Out = match &file {
        Some(file) => Box::new(BufWriter::with_capacity(BUFFER, file.try_clone()?)),
        None => Box::new(BufWriter::with_capacity(BUFFER, io::stdout())),
    };
    Ok(wrap(out, level, file))
}

/// Creates `path` (mode 0600, failing if it exists) as a spool: an
/// output that is not synced on close (it is appended and removed).
pub(super) fn spool(path: &Path, level: Option<u32>) -> io::Result<Sink> {
    let mut options = OpenOptions::new();
    let file = options
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    Ok(wrap(
        Box::new(BufWriter::with_capacity(BUFFER, file)),
        level,
        None,
    ))
}

fn wrap(out: Out, level: Option<u32>, file: Option<File>) -> Sink {
    match level {
        Some(level) => Sink(
            Writer::Gzip(
                Box::new(BufWriter::with_capacity(
                    BUFFER,
                    GzEncoder::new(out, Compression::new(level)),
                )),
                level,
            ),
            file,
        ),
        None => Sink(Writer::Plain(out), file),
    }
}

/// Ends the gzip stream (or member): what is buffered, then the trailer.
fn finish(gzip: BufWriter<GzEncoder<Out>>) -> io::Result<Out> {
    gzip.into_inner()
        .map_err(io::IntoInnerError::into_error)?
        .finish()
}

/// Appends the file at `path` to the open output as it is: a gzip output
/// first ends its member, and starts a new one after.
pub(super) fn append(sink: Option<&mut Sink>, path: &Path) -> Result<(), OutputFailure> {
    let sink = sink.ok_or_else(|| OutputFailure::Other("the output is not open".into()))?;
    let mut spool = File::open(path)?;
    if let (Writer::Plain(out), Some(file)) = (&mut sink.0, &sink.1) {
        // File to file: the kernel copies (copy_file_range), the bytes
        // never pass through here. The descriptors share one offset.
        out.flush()?;
        io::copy(&mut spool, &mut &*file)?;
        return Ok(());
    }
    let placeholder = Writer::Plain(Box::new(io::sink()));
    let (mut out, level) = match std::mem::replace(&mut sink.0, placeholder) {
        Writer::Gzip(gzip, level) => (finish(*gzip)?, Some(level)),
        Writer::Plain(out) => (out, None),
    };
    let mut chunk = vec![0u8; BUFFER];
    loop {
        match spool.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => out.write_all(&chunk[..n])?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    sink.0 = wrap(out, level, None).0;
    Ok(())
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
            Writer::Gzip(gzip, _) => gzip,
            Writer::Plain(plain) => plain,
        }
    }

    /// Writes the gzip trailer, flushes, and syncs a file (not a spool).
    pub(super) fn close(self) -> Result<(), OutputFailure> {
        let closed = match self.0 {
            Writer::Gzip(gzip, _) => finish(*gzip),
            Writer::Plain(plain) => Ok(plain),
        };
        let flushed = closed.and_then(|mut out| out.flush());
        flushed
            .and_then(|()| self.1.as_ref().map_or(Ok(()), File::sync_all))
            .map_err(OutputFailure::from)
    }
}
