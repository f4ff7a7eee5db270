//! Ctrl-C (and SIGTERM): what the running command does about it.
//!
//! One process-wide handler is installed at start. A command registers the
//! action that stops its work (send a cancel request to the server, kill
//! pg_dump) while that work runs; the handler runs it and records that the
//! user interrupted, so the command can clean up and exit 130.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

type Action = Box<dyn Fn() + Send + Sync>;

static ACTION: Mutex<Option<Action>> = Mutex::new(None);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// A second Ctrl-C leaves at once, unless the registered work must clean
/// up first (a backup's temporary files and password file).
static SECOND_EXITS: AtomicBool = AtomicBool::new(true);

/// Installs the handler. Failing to install it is not fatal: Ctrl-C then
/// kills the process, as it would any program.
pub(crate) fn install() {
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        let count = COUNT.fetch_add(1, Ordering::SeqCst) + 1;
        // The user insists: leave now (on the third press even for work
        // that cleans up, in case it hangs somewhere nothing was written).
        let limit = if SECOND_EXITS.load(Ordering::SeqCst) {
            2
        } else {
            3
        };
        if count >= limit {
            std::process::exit(130);
        }
        let guard = ACTION.lock().unwrap_or_else(PoisonError::into_inner);
        match guard.as_ref() {
            Some(action) => action(),
            None => std::process::exit(130),
        }
    });
}

/// Runs `action` on Ctrl-C until the returned guard is dropped; a second
/// Ctrl-C exits at once.
pub(crate) fn on_interrupt(action: impl Fn() + Send + Sync + 'static) -> Registration {
    SECOND_EXITS.store(true, Ordering::SeqCst);
    *ACTION.lock().unwrap_or_else(PoisonError::into_inner) = Some(Box::new(action));
    Registration(())
}

/// Like [`on_interrupt`], but a second Ctrl-C runs `action` again instead
/// of exiting (only a third exits at once): for work that must remove what
/// it wrote before leaving and stops within a bounded time once asked.
pub(crate) fn on_every_interrupt(action: impl Fn() + Send + Sync + 'static) -> Registration {
    let registration = on_interrupt(action);
    SECOND_EXITS.store(false, Ordering::SeqCst);
    registration
}

/// True once the user pressed Ctrl-C (or the process got SIGTERM).
pub(crate) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Keeps an interrupt action registered; dropping it restores the default
/// (exit 130 at once).
#[derive(Debug)]
pub(crate) struct Registration(());

impl Drop for Registration {
    fn drop(&mut self) {
        *ACTION.lock().unwrap_or_else(PoisonError::into_inner) = None;
        SECOND_EXITS.store(true, Ordering::SeqCst);
    }
}
