//! The native backup's output ([`sequelae_sys::output::Output`]) as an
//! async writer whose writes (and compression) run on `blocking`'s thread
//! pool. What goes in it and when is the driver's.

use std::path::PathBuf;

use blocking::Unblock;
use futures_lite::AsyncWriteExt;
use sequelae_core::backup::OutputFailure;
use sequelae_sys::output::Output;

/// An open output.
pub(super) struct Sink(Unblock<Output>);

/// Opens `path` (made empty and private by the driver; written over) or
/// standard output, gzip at `level` when given.
pub(super) async fn open(path: Option<PathBuf>, level: Option<u32>) -> Result<Sink, OutputFailure> {
    let output = blocking::unblock(move || Output::open(path.as_deref(), level)).await?;
    Ok(Sink(Unblock::new(output)))
}

impl Sink {
    /// Where COPY data goes.
    pub(super) fn writer(&mut self) -> &mut Unblock<Output> {
        &mut self.0
    }

    /// Appends `bytes`.
    pub(super) async fn write(&mut self, bytes: &[u8]) -> Result<(), OutputFailure> {
        Ok(self.0.write_all(bytes).await?)
    }

    /// Appends the finished spool at `path` ([`Output::append`]).
    pub(super) async fn append(&mut self, path: PathBuf) -> Result<(), OutputFailure> {
        self.0.flush().await?;
        Ok(self.0.with_mut(move |output| output.append(&path)).await?)
    }

    /// Writes the gzip trailer, flushes, and syncs a file.
    pub(super) async fn close(mut self) -> Result<(), OutputFailure> {
        self.0.flush().await?;
        let output = self.0.into_inner().await;
        Ok(blocking::unblock(move || output.close()).await?)
    }
}
