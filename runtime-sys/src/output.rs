//! The native backup's output and its spools: a file or standard output,
//! plain or gzip. What goes in it and when is the driver's; failures are
//! answered in the system's words.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use flate2::Compression;
use flate2::write::GzEncoder;

type Out = Box<dyn Write + Send>;

/// An open output (or spool), and the file to make durable on close.
pub struct Output {
    writer: Writer,
    file: Option<File>,
}

enum Writer {
    /// Buffered in front too: deflate is called with big chunks, not
    /// once per row (which costs more than the compression itself).
    Gzip(Box<BufWriter<GzEncoder<Out>>>, u32),
    Plain(Out),
}

/// Output buffers, and the chunks spools are appended in.
const BUFFER: usize = 1 << 18;

impl Output {
    /// Opens `path` (made empty and private by the driver; written over)
    /// or standard output, gzip at `level` when given.
    pub fn open(path: Option<&Path>, level: Option<u32>) -> io::Result<Output> {
        let opened = path.map(|p| OpenOptions::new().write(true).truncate(true).open(p));
        let file = opened.transpose()?;
        let out: Out = match &file {
            Some(file) => Box::new(BufWriter::with_capacity(BUFFER, file.try_clone()?)),
            None => Box::new(BufWriter::with_capacity(BUFFER, io::stdout())),
        };
        Ok(Output {
            writer: Writer::new(out, level),
            file,
        })
    }

    /// Creates `path` (mode 0600, failing if it exists) as a spool: an
    /// output that is not synced on close (it is appended and removed).
    pub fn spool(path: &Path, level: Option<u32>) -> io::Result<Output> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)?;
        Ok(Output {
            writer: Writer::new(Box::new(BufWriter::with_capacity(BUFFER, file)), level),
            file: None,
        })
    }

    /// Appends the file at `path` as it is: a gzip output first ends its
    /// member, and starts a new one after (the output is multi-member).
    pub fn append(&mut self, path: &Path) -> io::Result<()> {
        let mut spool = File::open(path)?;
        if let (Writer::Plain(out), Some(file)) = (&mut self.writer, &self.file) {
            // File to file: the kernel copies (copy_file_range), the bytes
            // never pass through here. The descriptors share one offset.
            out.flush()?;
            io::copy(&mut spool, &mut &*file)?;
            return Ok(());
        }
        let placeholder = Writer::Plain(Box::new(io::sink()));
        let (mut out, level) = match std::mem::replace(&mut self.writer, placeholder) {
            Writer::Gzip(gzip, level) => (finish(*gzip)?, Some(level)),
            Writer::Plain(out) => (out, None),
        };
        let mut chunk = vec![0u8; BUFFER];
        let copied = loop {
            match spool.read(&mut chunk) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    if let Err(e) = out.write_all(&chunk[..n]) {
                        break Err(e);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        self.writer = Writer::new(out, level);
        copied
    }

    /// Writes the gzip trailer, flushes, and syncs a file (not a spool).
    pub fn close(self) -> io::Result<()> {
        let mut out = match self.writer {
            Writer::Gzip(gzip, _) => finish(*gzip)?,
            Writer::Plain(plain) => plain,
        };
        out.flush()?;
        self.file.as_ref().map_or(Ok(()), File::sync_all)
    }
}

impl Writer {
    fn new(out: Out, level: Option<u32>) -> Writer {
        match level {
            Some(level) => Writer::Gzip(
                Box::new(BufWriter::with_capacity(
                    BUFFER,
                    GzEncoder::new(out, Compression::new(level)),
                )),
                level,
            ),
            None => Writer::Plain(out),
        }
    }
}

/// Ends the gzip stream (or member): what is buffered, then the trailer.
fn finish(gzip: BufWriter<GzEncoder<Out>>) -> io::Result<Out> {
    gzip.into_inner()
        .map_err(io::IntoInnerError::into_error)?
        .finish()
}

impl Write for Output {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match &mut self.writer {
            Writer::Gzip(gzip, _) => gzip.write(bytes),
            Writer::Plain(plain) => plain.write(bytes),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.writer {
            Writer::Gzip(gzip, _) => gzip.flush(),
            Writer::Plain(plain) => plain.flush(),
        }
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Output")
            .field("gzip", &matches!(self.writer, Writer::Gzip(..)))
            .field("file", &self.file)
            .finish()
    }
}

/// A writer that fails once `stop` is raised, so that a COPY into it (a
/// worker's spool) is cancelled at its next chunk when the backup stops.
pub struct Stoppable<'a, W: ?Sized> {
    out: &'a mut W,
    stop: &'a AtomicBool,
}

impl<'a, W: Write + ?Sized> Stoppable<'a, W> {
    /// `out`, until `stop` is raised.
    pub fn new(out: &'a mut W, stop: &'a AtomicBool) -> Self {
        Stoppable { out, stop }
    }
}

impl<W: Write + ?Sized> Write for Stoppable<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(io::Error::other("the backup is stopping"));
        }
        self.out.write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl<W: ?Sized> fmt::Debug for Stoppable<'_, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stoppable")
            .field("stop", &self.stop)
            .finish_non_exhaustive()
    }
}
