//! The blocking system steps that both of sequelae's runtimes need, in one
//! place: plain `std` I/O with no executor in it. `sequelae-std` calls
//! these directly; `sequelae-smol` runs them through `blocking::unblock`
//! (or directly on a thread of its own). What to do and what an answer
//! means stays the core's.

pub mod environment;
pub mod files;
pub mod output;
pub mod process;
pub mod request;
pub mod workers;
