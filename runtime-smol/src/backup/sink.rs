//! The native backup's output: a file or standard output, plain or gzip,
//! as an async writer whose writes (and compression) run on `blocking`'s
//! thread pool. What goes in it and when is the driver's.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use blocking::Unblock;
use flate2::Compression;
use flate2::write::GzEncoder;
use futures_lite::AsyncWriteExt;
use sequelae_core::backup::OutputFailure;

type Out = Box<dyn Write + Send>;

/// An open output.
pub(super) struct Sink(Unblock<Writer>);

/// The blocking writer under the sink, and the file to make durable.
pub(super) struct Writer {
    out: Encoding,
    file: Option<File>,
}

enum Encoding {
    Gzip(Box<GzEncoder<Out>>, u32),
    Plain(Out),
}

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.out {
            Encoding::Gzip(gzip, _) => gzip.write(buf),
            Encoding::Plain(plain) => plain.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.out {
            Encoding::Gzip(gzip, _) => gzip.flush(),
            Encoding::Plain(plain) => plain.flush(),
        }
    }
}

impl Writer {
    /// Appends the file at `path` as it is: a gzip output first ends its
    /// member and starts a new one after (the output is multi-member).
    fn append(&mut self, path: &Path) -> io::Result<()> {
        let mut spool = File::open(path)?;
        let placeholder = Encoding::Plain(Box::new(io::sink()));
        match std::mem::replace(&mut self.out, placeholder) {
            Encoding::Plain(mut out) => {
                let copied = io::copy(&mut spool, &mut out);
                self.out = Encoding::Plain(out);
                copied?;
            }
            Encoding::Gzip(gzip, level) => {
                let mut out = gzip.finish()?;
                io::copy(&mut spool, &mut out)?;
                self.out = Encoding::Gzip(
                    Box::new(GzEncoder::new(out, Compression::new(level))),
                    level,
                );
            }
        }
        Ok(())
    }

    /// Writes the gzip trailer, flushes, and syncs a file.
    fn finish(self) -> io::Result<()> {
        let mut out = match self.out {
            Encoding::Gzip(gzip, _) => gzip.finish()?,
            Encoding::Plain(plain) => plain,
        };
        out.flush()?;
        self.file.as_ref().map_or(Ok(()), File::sync_all)
    }
}

/// Opens `path` (made empty and private by the driver; written over) or
/// standard output, gzip at `level` when given.
pub(super) async fn open(path: Option<PathBuf>, level: Option<u32>) -> Result<Sink, OutputFailure> {
    let writer = blocking::unblock(move || -> io::Result<Writer> {
        let file = path
            .map(|p| OpenOptions::new().write(true).truncate(true).open(p))
            .transpose()?;
        let out: Out = match &file {
            Some(file) => Box::new(BufWriter::with_capacity(1 << 18, file.try_clone()?)),
            None => Box::new(BufWriter::with_capacity(1 << 18, io::stdout())),
        };
        let out = match level {
            Some(level) => Encoding::Gzip(
                Box::new(GzEncoder::new(out, Compression::new(level))),
                level,
            ),
            None => Encoding::Plain(out),
        };
        Ok(Writer { out, file })
    })
    .await?;
    Ok(Sink(Unblock::new(writer)))
}

impl Sink {
    /// Where COPY data goes.
    pub(super) fn writer(&mut self) -> &mut Unblock<Writer> {
        &mut self.0
    }

    /// Appends `bytes`.
    pub(super) async fn write(&mut self, bytes: &[u8]) -> Result<(), OutputFailure> {
        Ok(self.0.write_all(bytes).await?)
    }

    /// Appends the finished spool at `path` (see [`Writer::append`]).
    pub(super) async fn append(&mut self, path: PathBuf) -> Result<(), OutputFailure> {
        self.0.flush().await?;
        Ok(self.0.with_mut(move |writer| writer.append(&path)).await?)
    }

    /// Writes the gzip trailer, flushes, and syncs a file.
    pub(super) async fn close(mut self) -> Result<(), OutputFailure> {
        self.0.flush().await?;
        let writer = self.0.into_inner().await;
        Ok(blocking::unblock(move || writer.finish()).await?)
    }
}
