//! Errors of the blocking runtime: the core's [`ClientError`], worded and
//! classified there once for every runtime.

pub use sequelae_core::client_error::ClientError as Error;
