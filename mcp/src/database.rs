//! Where tool work meets the database: the pool of sessions and the
//! cancellation of one call. Everything that executes here runs on
//! runtime-std (blocking) on the call's own thread; this module is the one
//! place to change to move the work to another executor.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, mpsc};
use std::time::Duration;

use sequelae_core::session::{Reuse, SESSION_RESET_SQL, after_call};
use sequelae_std::{CancelHandle, Client, settings_from_env};

use crate::log::{self, Level};

/// How often a wait for a free session looks at the cancel flag.
const WAIT_STEP: Duration = Duration::from_millis(50);

/// The cancellation state of one request.
#[derive(Debug, Default)]
pub(crate) struct Work {
    cancelled: AtomicBool,
    /// The session's cancel handle while the call holds a session.
    query: Mutex<Option<CancelHandle>>,
}

impl Work {
    /// Stops the work: its flag is raised (the script driver rolls back,
    /// the backup driver removes its files) and a query that is running
    /// is cancelled on the server.
    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        let handle = self
            .query
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(handle) = handle {
            // Opening the cancel connection must not hold up stdin.
            let spawned = std::thread::Builder::new()
                .name("cancel".into())
                .spawn(move || {
                    if let Err(e) = handle.cancel() {
                        log::say(Level::Warn, &format!("could not cancel a query: {e}"));
                    }
                });
            if let Err(e) = spawned {
                log::say(Level::Warn, &format!("could not cancel a query: {e}"));
            }
        }
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// The flag the backup driver watches.
    pub(crate) fn flag(&self) -> &AtomicBool {
        &self.cancelled
    }

    fn hold(&self, handle: Option<CancelHandle>) {
        *self.query.lock().unwrap_or_else(PoisonError::into_inner) = handle;
    }
}

/// Sessions kept open between calls, at most `max` at once (in use or
/// idle). A session handed back is reset on a thread of its own, after the
/// call has answered, so the reset costs the caller nothing.
#[derive(Debug, Clone)]
pub(crate) struct Pool {
    shared: Arc<Shared>,
    resets: mpsc::Sender<Client>,
}

#[derive(Debug)]
struct Shared {
    database_url: Option<String>,
    max: usize,
    state: Mutex<PoolState>,
    freed: Condvar,
}

#[derive(Debug, Default)]
struct PoolState {
    idle: Vec<Client>,
    /// Sessions open: idle, in use or being reset.
    open: usize,
    /// Sessions being reset after a call: soon idle.
    resetting: usize,
}

/// Why no session could be had.
#[derive(Debug)]
pub(crate) enum CheckoutError {
    /// The request was cancelled while waiting.
    Cancelled,
    /// Connecting failed: libpq's wording, with host and port, never the
    /// password.
    Connect(String),
}

impl Pool {
    pub(crate) fn new(database_url: Option<String>, max: usize) -> Pool {
        let shared = Arc::new(Shared {
            database_url,
            max: max.max(1),
            state: Mutex::new(PoolState::default()),
            freed: Condvar::new(),
        });
        let (resets, queue) = mpsc::channel::<Client>();
        let resetter = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name("session-reset".into())
            .spawn(move || {
                for client in queue {
                    resetter.reset(client);
                }
            });
        if let Err(e) = spawned {
            // Without the thread, sessions handed back are closed instead.
            log::say(
                Level::Warn,
                &format!("cannot start the session reset thread: {e}"),
            );
        }
        Pool { shared, resets }
    }

    /// A session for `work`: an idle one, one being reset (waited for
    /// rather than opening another), or a new one while under the cap.
    pub(crate) fn checkout(&self, work: &Work) -> Result<Client, CheckoutError> {
        let shared = &self.shared;
        let mut state = shared.lock();
        loop {
            if work.is_cancelled() {
                return Err(CheckoutError::Cancelled);
            }
            if let Some(client) = state.idle.pop() {
                drop(state);
                work.hold(client.cancel_handle());
                return Ok(client);
            }
            if state.resetting == 0 && state.open < shared.max {
                state.open += 1;
                break;
            }
            state = shared
                .freed
                .wait_timeout(state, WAIT_STEP)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        drop(state);
        let connected = settings_from_env(shared.database_url.as_deref())
            .and_then(|settings| Client::connect(&settings));
        match connected {
            Ok(client) => {
                for warning in client.warnings() {
                    log::say(Level::Warn, warning);
                }
                work.hold(client.cancel_handle());
                Ok(client)
            }
            Err(e) => {
                shared.closed();
                Err(CheckoutError::Connect(e.to_string()))
            }
        }
    }

    /// Takes a session back after a call: reset to a fresh session's
    /// state and kept, or closed, as the core decides.
    pub(crate) fn release(&self, client: Client, work: &Work) {
        work.hold(None);
        match after_call(client.transaction_status(), work.is_cancelled()) {
            Reuse::Close => {
                let _ = client.close();
                self.shared.closed();
            }
            Reuse::Reset => {
                self.shared.lock().resetting += 1;
                if let Err(mpsc::SendError(client)) = self.resets.send(client) {
                    let _ = client.close();
                    let mut state = self.shared.lock();
                    state.resetting -= 1;
                    state.open -= 1;
                    drop(state);
                    self.shared.freed.notify_all();
                }
            }
        }
    }

    /// Closes the idle sessions (at exit).
    pub(crate) fn close_idle(&self) {
        let idle = std::mem::take(&mut self.shared.lock().idle);
        for client in idle {
            let _ = client.close();
            self.shared.closed();
        }
    }
}

impl Shared {
    fn reset(&self, mut client: Client) {
        let reset = client.simple_query(SESSION_RESET_SQL);
        let mut state = self.lock();
        state.resetting -= 1;
        match reset {
            Ok(_) => state.idle.push(client),
            Err(e) => {
                log::say(
                    Level::Info,
                    &format!("closing a session that failed to reset: {e}"),
                );
                state.open -= 1;
            }
        }
        drop(state);
        self.freed.notify_all();
    }

    fn closed(&self) {
        self.lock().open -= 1;
        self.freed.notify_all();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
