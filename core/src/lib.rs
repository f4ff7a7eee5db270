//! Sans-IO core of sequelae.
//!
//! Every decision lives here: how connection settings are read, how the
//! wire protocol proceeds, what a backup will run. The crate performs no I/O,
//! reads no clock and no environment: bytes, values and `Instant`s come in,
//! bytes, events and plans go out. Runtimes (`sequelae-std`, later
//! `sequelae-smol`) only move bytes, which keeps their behaviour identical
//! and lets every state transition be tested without a socket.

pub mod backup;
pub mod catalog;
pub mod client_error;
pub mod config;
pub mod connect;
pub mod health;
pub mod hint;
pub mod json;
pub mod render;
pub mod request;
pub mod schema;
pub mod session;
pub mod sql;
pub mod text;
pub mod tls;
pub mod wire;
