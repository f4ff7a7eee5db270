//! The events of a simple or single-statement query, as items.

use bytes::Bytes;

use crate::wire::{CommandTag, Connection, DataRow, Error, Event, RowDescription, ServerMessage};

/// What a COPY FROM STDIN met in a query says: nobody is there to feed it.
const COPY_IN_REFUSED: &str =
    "COPY FROM STDIN needs its data: run it with inline data in a script, or with Client::copy_in";

/// One piece of a streamed query result.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryItem {
    /// A result set starts.
    Columns(RowDescription),
    /// A row of the current result set.
    Row(DataRow),
    /// A statement finished.
    Complete(CommandTag),
    /// A chunk of `COPY ... TO STDOUT` output.
    CopyData(Bytes),
    /// An empty statement (`;`).
    EmptyQuery,
    /// A NOTICE, WARNING or INFO the statement raised.
    Notice(Box<ServerMessage>),
}

/// What to do with one event of a query.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryStep {
    /// Hand this item to the caller.
    Item(QueryItem),
    /// Nothing for the caller; take the next event.
    Continue,
    /// The request is over (ReadyForQuery). `Some` when a statement
    /// failed: the server skipped the rest of the string.
    Finished(Option<Box<ServerMessage>>),
}

/// Folds a query's events into [`QueryItem`]s and its ending.
///
/// A statement error is kept until ReadyForQuery, so the caller hears of
/// it once the session can take the next request.
#[derive(Debug, Default)]
pub struct QueryFold {
    error: Option<Box<ServerMessage>>,
    finished: bool,
}

impl QueryFold {
    /// A fold for a query just sent.
    pub fn new() -> QueryFold {
        QueryFold::default()
    }

    /// True once ReadyForQuery ended the request.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Takes the next event of the request. A COPY FROM STDIN is refused
    /// on `conn` (the server then reports the error): a query has no data
    /// to feed it.
    ///
    /// # Errors
    ///
    /// The connection's error when the refusal cannot be queued.
    pub fn handle(&mut self, conn: &mut Connection, event: Event) -> Result<QueryStep, Error> {
        let item = match event {
            Event::RowDescription(d) => QueryItem::Columns(d),
            Event::DataRow(r) => QueryItem::Row(r),
            Event::CommandComplete(t) => QueryItem::Complete(t),
            Event::EmptyQuery => QueryItem::EmptyQuery,
            Event::CopyData(d) => QueryItem::CopyData(d),
            Event::Notice(n) => QueryItem::Notice(n),
            Event::CopyInReady(_) => {
                conn.fail_copy_in(COPY_IN_REFUSED)?;
                return Ok(QueryStep::Continue);
            }
            Event::Error(e) => {
                self.error = Some(e);
                return Ok(QueryStep::Continue);
            }
            Event::Ready(_) => {
                self.finished = true;
                return Ok(QueryStep::Finished(self.error.take()));
            }
            Event::CopyOutStart(_)
            | Event::CancelNeeded
            | Event::CopyDone
            | Event::StartTls
            | Event::ParameterChanged { .. }
            | Event::Notification { .. } => return Ok(QueryStep::Continue),
        };
        Ok(QueryStep::Item(item))
    }
}
