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

/// Installs the handler. Failing to install it is not fatal: Ctrl-C then
/// kills the process, as it would any program.
pub(crate) fn install() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            // A second Ctrl-C: the user insists; leave now.
            std::process::exit(130);
        }
        let guard = ACTION.lock().unwrap_or_else(PoisonError::into_inner);
        match guard.as_ref() {
            Some(action) => action(),
            None => std::process::exit(130),
        }
    });
}

/// Runs `action` on Ctrl-C until the returned guard is dropped.
pub(crate) fn on_interrupt(action: impl Fn() + Send + Sync + 'static) -> Registration {
    *ACTION.lock().unwrap_or_else(PoisonError::into_inner) = Some(Box::new(action));
    Registration(())
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
    }
}
