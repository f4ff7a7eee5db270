//! What a runtime's read loop asks the connection before it blocks.

use std::time::{Duration, Instant};

use crate::wire::{Connection, Error};

/// Tells `conn` the time and says how long the next read may block:
/// until the connection's next deadline, `None` for no bound. A zero
/// timeout means "block forever" to most socket APIs, so it is rounded up
/// to one millisecond: the deadline then passes on the next call.
///
/// # Errors
///
/// The connection's error when a deadline has passed for good.
pub fn read_timeout(conn: &mut Connection, now: Instant) -> Result<Option<Duration>, Error> {
    let Some(deadline) = conn.poll_timeout() else {
        return Ok(None);
    };
    conn.handle_timeout(now)?;
    Ok(Some(
        deadline
            .saturating_duration_since(now)
            .max(Duration::from_millis(1)),
    ))
}
