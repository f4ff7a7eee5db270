//! One request's events folded into what its caller wants: the items of a
//! query, the chunks of a COPY OUT, the data a COPY IN asks for, and how
//! the request ended.
//!
//! A runtime pumps bytes and hands each [`Event`](crate::wire::Event) of
//! the running request to its fold; the fold says what to do with it
//! (give an item to the caller, write a chunk, send COPY data, stop). The
//! decisions that were once made in each runtime — refusing a COPY FROM
//! STDIN nobody feeds, which failure a caller hears first, when a request
//! is over — are made here once, so a blocking and an async runtime behave
//! the same by construction.

mod collect;
mod copy;
mod pump;
mod query;

pub use collect::{QueryResult, ResultCollector};
pub use copy::{CopyError, CopyInFold, CopyInStep, CopyOutFold, CopyOutStep, CopyOutcome};
pub use pump::read_timeout;
pub use query::{QueryFold, QueryItem, QueryStep};
