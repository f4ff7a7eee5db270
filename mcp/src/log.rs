//! Logs on stderr, the only place besides protocol messages that the
//! server writes to: stdout carries nothing but JSON-RPC. `LOG_LEVEL`
//! (error, warn, info, debug; default warn) chooses how much.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

/// How much to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Error = 0,
    Warn = 1,
    Info = 2,
    Debug = 3,
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Warn as u8);

/// Sets the level from `LOG_LEVEL`; an unknown value is said once and
/// the default kept.
pub(crate) fn init(value: Option<&str>) {
    let level = match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") => return,
        Some("error") => Level::Error,
        Some("warn" | "warning") => Level::Warn,
        Some("info") => Level::Info,
        Some("debug" | "trace") => Level::Debug,
        Some(other) => {
            say(
                Level::Warn,
                &format!("LOG_LEVEL={other} is not a level (error, warn, info, debug); using warn"),
            );
            return;
        }
    };
    LEVEL.store(level as u8, Ordering::Relaxed);
}

/// Whether `level` is on.
pub(crate) fn enabled(level: Level) -> bool {
    level as u8 <= LEVEL.load(Ordering::Relaxed)
}

/// One line on stderr, if `level` is on. A stderr that is gone is
/// ignored: there is nowhere left to say it.
pub(crate) fn say(level: Level, text: &str) {
    if enabled(level) {
        let tag = match level {
            Level::Error => "error",
            Level::Warn => "warning",
            Level::Info => "info",
            Level::Debug => "debug",
        };
        let _ = writeln!(std::io::stderr().lock(), "sequelae-mcp: {tag}: {text}");
    }
}
