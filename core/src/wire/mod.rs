//! The PostgreSQL frontend/backend protocol as a sans-IO state machine.
//!
//! Modelled on quinn-proto: the runtime feeds bytes and the time in, and
//! polls bytes, events and deadlines out. Nothing here blocks, reads a clock
//! or touches a socket, which is why every transition can be tested by
//! replaying recorded server bytes.

mod auth;
mod auth_method;
mod cancel;
mod connection;
mod error;
mod event;
mod server_error;
mod startup;

pub use auth_method::AuthMethod;
pub use cancel::{CANCEL_CONNECT_TIMEOUT, CancelToken};
pub use connection::Connection;
pub use error::Error;
pub use event::{
    Column, CommandTag, CopyFormat, DataRow, Event, RowDescription, TransactionStatus,
};
pub use server_error::ServerMessage;
pub use startup::{Limits, Startup, TlsNegotiation, tls_requirements};

/// How long one write of COPY data may wait before a runtime stops to
/// read what the server sent: a server that talks while we send (a notice
/// per row) stops reading once its socket is full, so a write that waits
/// for it must give way to reading, or both sides wait.
pub const COPY_WRITE_SLICE: std::time::Duration = std::time::Duration::from_millis(20);
