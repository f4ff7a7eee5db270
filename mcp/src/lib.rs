//! The sequelae MCP server: `sequelae --mcp` (or `sequelae mcp`) speaks
//! the Model Context Protocol as newline-delimited JSON-RPC 2.0 on stdio
//! and offers the tools `sql_exec`, `sql_file`, `sql_schema`, `sql_health`
//! and `sql_backup`.
//!
//! Both eras of the protocol are served by one process: the handshake era
//! (`initialize` for 2025-11-25, 2025-06-18, 2025-03-26 and 2024-11-05)
//! and the per-request era of 2026-07-28 (`server/discover`, `_meta` on
//! every request). The server adds no SQL, protocol or backup logic of its
//! own: every statement runs through the core's script driver, schema
//! inspection, health query and backup driver, as the CLI's do, and the
//! results are the CLI's JSON documents.
//!
//! Requests run concurrently: reading stdin never waits for a tool, so a
//! backup in progress does not hold up `tools/list` or a short query, and
//! `notifications/cancelled` reaches the work it names at once.

mod config;
mod database;
mod jsonrpc;
mod log;
mod protocol;
mod rate_limit;
mod sandbox;
mod server;
mod spool;
mod tools;
mod transport;
mod work;

pub use config::{ConfigError, ServerOptions};
pub use server::{ServeError, serve};
