//! COPY OUT and COPY IN requests: chunks out, data in, and one outcome.

use bytes::Bytes;

use crate::wire::{Connection, Error, Event, ServerMessage};

/// What a COPY moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CopyOutcome {
    /// Bytes of COPY data.
    pub bytes: u64,
    /// Rows, from the command tag.
    pub rows: u64,
}

/// How a COPY failed, in the order a caller must hear it: its own reader
/// or writer (`E`, the runtime's error) first, then the server refusing,
/// then SQL that was not the expected kind of COPY.
#[derive(Debug)]
pub enum CopyError<E> {
    /// The caller's sink or source failed.
    Local(E),
    /// The server refused the statement or the data.
    Db(Box<ServerMessage>),
    /// The SQL ran but was not the COPY the caller asked for; the text
    /// says what was expected.
    NotACopy(&'static str),
}

fn ending<E>(
    local: Option<E>,
    error: Option<Box<ServerMessage>>,
    saw_copy: bool,
    not_a_copy: &'static str,
    outcome: CopyOutcome,
) -> Result<CopyOutcome, CopyError<E>> {
    if let Some(e) = local {
        return Err(CopyError::Local(e));
    }
    if let Some(e) = error {
        return Err(CopyError::Db(e));
    }
    if !saw_copy {
        return Err(CopyError::NotACopy(not_a_copy));
    }
    Ok(outcome)
}

/// What to do with one event of a COPY OUT.
#[derive(Debug, Clone, PartialEq)]
pub enum CopyOutStep {
    /// Write this chunk to the sink.
    Write(Bytes),
    /// Nothing to do; take the next event.
    Continue,
    /// The request is over: call [`CopyOutFold::finish`].
    Finished,
}

/// Folds a `COPY ... TO STDOUT` into chunks for a sink and an outcome.
#[derive(Debug, Default)]
pub struct CopyOutFold {
    outcome: CopyOutcome,
    error: Option<Box<ServerMessage>>,
    saw_copy: bool,
    sink_failed: bool,
    finished: bool,
}

impl CopyOutFold {
    /// A fold for a COPY OUT just sent.
    pub fn new() -> CopyOutFold {
        CopyOutFold::default()
    }

    /// Takes the next event. A COPY FROM STDIN is refused on `conn`.
    ///
    /// # Errors
    ///
    /// The connection's error when the refusal cannot be queued.
    pub fn handle(&mut self, conn: &mut Connection, event: Event) -> Result<CopyOutStep, Error> {
        match event {
            Event::CopyOutStart(_) => self.saw_copy = true,
            Event::CopyData(chunk) if !self.sink_failed => {
                self.outcome.bytes += chunk.len() as u64;
                return Ok(CopyOutStep::Write(chunk));
            }
            Event::CommandComplete(tag) => self.outcome.rows = tag.rows().unwrap_or(0),
            Event::CopyInReady(_) => conn.fail_copy_in("copy_out was given a COPY FROM STDIN")?,
            Event::Error(e) => self.error = Some(e),
            Event::Ready(_) => {
                self.finished = true;
                return Ok(CopyOutStep::Finished);
            }
            _ => {}
        }
        Ok(CopyOutStep::Continue)
    }

    /// Hands the COPY data `conn` has buffered straight to `sink` (see
    /// [`Connection::take_copy_data`]), counted as
    /// [`CopyOutStep::Write`]s would be; true when `sink` refused a
    /// chunk (then as [`sink_failed`](Self::sink_failed)).
    pub fn write_buffered(
        &mut self,
        conn: &mut Connection,
        sink: &mut dyn FnMut(&[u8]) -> bool,
    ) -> bool {
        if self.sink_failed {
            return false;
        }
        let (bytes, refused) = conn.take_copy_data(sink);
        self.outcome.bytes += bytes;
        self.sink_failed = refused;
        refused
    }

    /// The sink refused a chunk: no more chunks are handed out. The
    /// runtime should send a cancel request, so the server stops instead
    /// of sending the rest of the table into nowhere.
    pub fn sink_failed(&mut self) {
        self.sink_failed = true;
    }

    /// True once ReadyForQuery ended the request.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The outcome, given the sink's own failure if it had one.
    ///
    /// # Errors
    ///
    /// See [`CopyError`].
    pub fn finish<E>(self, local: Option<E>) -> Result<CopyOutcome, CopyError<E>> {
        ending(
            local,
            self.error,
            self.saw_copy,
            "copy_out needs a COPY ... TO STDOUT statement; the SQL given returned no COPY data",
            self.outcome,
        )
    }
}

/// What to do with one event of a COPY IN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyInStep {
    /// The server waits for data: send the source with
    /// [`Connection::send_copy_data`], end it with
    /// [`Connection::finish_copy_in`] (or [`Connection::fail_copy_in`]
    /// when the source fails), reading what the server says meanwhile.
    SendData,
    /// Nothing to do; take the next event.
    Continue,
    /// The request is over: call [`CopyInFold::finish`].
    Finished,
}

/// Folds a `COPY ... FROM STDIN`: when to send, and the outcome.
#[derive(Debug, Default)]
pub struct CopyInFold {
    outcome: CopyOutcome,
    error: Option<Box<ServerMessage>>,
    saw_copy: bool,
    finished: bool,
}

impl CopyInFold {
    /// A fold for a COPY IN just sent.
    pub fn new() -> CopyInFold {
        CopyInFold::default()
    }

    /// Takes the next event (also those read while sending).
    pub fn handle(&mut self, event: Event) -> CopyInStep {
        match event {
            Event::CopyInReady(_) => {
                self.saw_copy = true;
                return CopyInStep::SendData;
            }
            Event::CommandComplete(tag) => self.outcome.rows = tag.rows().unwrap_or(0),
            Event::Error(e) => self.error = Some(e),
            Event::Ready(_) => {
                self.finished = true;
                return CopyInStep::Finished;
            }
            // Notices raised per row (triggers) are not kept: a million
            // of them would be a million allocations nobody reads.
            _ => {}
        }
        CopyInStep::Continue
    }

    /// Counts data handed to the connection.
    pub fn sent(&mut self, bytes: usize) {
        self.outcome.bytes += bytes as u64;
    }

    /// Hands one read of the caller's source to `conn`: a chunk is sent
    /// and counted, an empty read (the end of the source) ends the data.
    /// True when a chunk was sent, so that the runtime flushes it.
    ///
    /// # Errors
    ///
    /// The connection's error when the data cannot be queued.
    pub fn send(&mut self, conn: &mut Connection, chunk: &[u8]) -> Result<bool, Error> {
        if chunk.is_empty() {
            conn.finish_copy_in()?;
            return Ok(false);
        }
        conn.send_copy_data(chunk)?;
        self.sent(chunk.len());
        Ok(true)
    }

    /// Aborts the COPY because the caller's source failed: the server is
    /// told why and commits nothing. The runtime keeps its own error for
    /// [`finish`](Self::finish).
    ///
    /// # Errors
    ///
    /// The connection's error when the abort cannot be queued.
    pub fn source_failed(
        &mut self,
        conn: &mut Connection,
        error: &dyn std::fmt::Display,
    ) -> Result<(), Error> {
        conn.fail_copy_in(&format!("client input failed: {error}"))
    }

    /// True once ReadyForQuery ended the request.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The outcome, given the source's own failure if it had one.
    ///
    /// # Errors
    ///
    /// See [`CopyError`].
    pub fn finish<E>(self, local: Option<E>) -> Result<CopyOutcome, CopyError<E>> {
        ending(
            local,
            self.error,
            self.saw_copy,
            "copy_in needs a COPY ... FROM STDIN statement",
            self.outcome,
        )
    }
}
