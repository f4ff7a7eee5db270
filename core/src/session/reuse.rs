//! Whether a session can serve another caller, and what makes it clean.
//!
//! A server that keeps sessions open between calls (the MCP server's pool)
//! must not let one call's state reach the next: the script driver sets
//! `statement_timeout` and `default_transaction_read_only` for the session,
//! and a user's `SET`, `PREPARE`, `LISTEN`, temporary table or advisory
//! lock outlives the transaction. The rule lives here so that every
//! runtime resets sessions the same way.

use crate::wire::TransactionStatus;

/// The SQL that returns a session to the state of a fresh connection:
/// settings, prepared statements, temporary tables, cursors, LISTEN
/// registrations, advisory locks and plan caches are all discarded.
pub const SESSION_RESET_SQL: &str = "DISCARD ALL";

/// What to do with a session whose caller is done with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// Run [`SESSION_RESET_SQL`]; keep the session if it succeeds.
    Reset,
    /// Close it: a transaction is still open (DISCARD ALL cannot run
    /// inside one, and whatever left it open may have left more), or the
    /// call was cancelled (a cancel request still on its way to the server
    /// could stop the next caller's query instead).
    Close,
}

/// The decision for a session with `status` after a call that was
/// `cancelled` or not.
pub fn after_call(status: TransactionStatus, cancelled: bool) -> Reuse {
    if cancelled || status != TransactionStatus::Idle {
        Reuse::Close
    } else {
        Reuse::Reset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_idle_session_of_a_call_that_ran_to_its_end_is_kept() {
        assert_eq!(after_call(TransactionStatus::Idle, false), Reuse::Reset);
        assert_eq!(after_call(TransactionStatus::Idle, true), Reuse::Close);
        assert_eq!(
            after_call(TransactionStatus::InTransaction, false),
            Reuse::Close
        );
        assert_eq!(after_call(TransactionStatus::Failed, false), Reuse::Close);
    }
}
