//! Sans-IO core of sequelae.
pub mod config;
