//! How a script of user statements runs (`exec`, `file`, and MCP's
//! `sql_exec` / `sql_file`): the [`ScriptDriver`] takes the statements of
//! the script and the answers of the session, and says what to send, what
//! to show and how the run ends.
//!
//! Every rule of a run lives here, so that each front end and each runtime
//! follows the same ones by construction: the transaction around the
//! statements, `--read-only` (every user statement goes alone through the
//! extended protocol), `--max-rows`, the client deadline, the hints, the
//! warning when the input ends the script's transaction, and when the work
//! is committed (only when every statement ran and its results were
//! delivered).

mod driver;
mod policy;
mod reuse;

pub use driver::{Output, RunFailure, RunReport, ScriptAction, ScriptDriver};
pub use policy::{RunEnd, ScriptOptions, ScriptOptionsError};
pub use reuse::{Reuse, SESSION_RESET_SQL, after_call};
