//! Errors of the async runtime: the core's [`ClientError`], worded and
//! classified there once for every runtime, so a front end handles a
//! failure alike whichever runtime carried it.

pub use sequelae_core::client_error::ClientError as Error;
