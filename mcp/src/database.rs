//! Where tool work meets the database: the pool of sessions and the
//! cancellation of one call, on runtime-smol. Tool work runs as tasks of
//! the server's executor; this module is the one place that knows which
//! runtime executes it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use event_listener::Event;
use sequelae_core::session::{Reuse, SESSION_RESET_SQL, after_call};
use sequelae_smol::script::Interrupt;
use sequelae_smol::{CancelHandle, Client, settings_from_env};
use smol::future;

use crate::log::{self, Level};

/// How often a wait for a free session looks at the cancel flag.
const WAIT_STEP: Duration = Duration::from_millis(50);

/// The cancellation state of one request.
#[derive(Debug, Default)]
pub(crate) struct Work {
    cancelled: AtomicBool,
    interrupt: Interrupt,
    /// The session's cancel handle while the call holds a session.
    query: Mutex<Option<CancelHandle>>,
}

impl Work {
    /// Stops the work: its flag is raised (the script driver rolls back,
    /// the backup driver removes its files) and a query that is running
    /// is cancelled on the server.
    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.interrupt.raise("the client cancelled the request");
        let handle = self
            .query
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(handle) = handle {
            smol::spawn(async move {
                if let Err(e) = handle.cancel().await {
                    log::say(Level::Warn, &format!("could not cancel a query: {e}"));
                }
            })
            .detach();
        }
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// The flag the backup driver watches.
    pub(crate) fn flag(&self) -> &AtomicBool {
        &self.cancelled
    }

    /// What the script runner watches.
    pub(crate) fn interrupt(&self) -> &Interrupt {
        &self.interrupt
    }

    fn hold(&self, handle: Option<CancelHandle>) {
        *self.query.lock().unwrap_or_else(PoisonError::into_inner) = handle;
    }
}

/// Sessions kept open between calls, at most `max` at once (in use or
/// idle). A session handed back is reset by a task of its own, after the
/// call has answered, so the reset costs the caller nothing.
#[derive(Debug, Clone)]
pub(crate) struct Pool {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    database_url: Option<String>,
    max: usize,
    state: Mutex<PoolState>,
    freed: Event,
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
        Pool {
            shared: Arc::new(Shared {
                database_url,
                max: max.max(1),
                state: Mutex::new(PoolState::default()),
                freed: Event::new(),
            }),
        }
    }

    /// A session for `work`: an idle one, one being reset (waited for
    /// rather than opening another), or a new one while under the cap.
    pub(crate) async fn checkout(&self, work: &Work) -> Result<Client, CheckoutError> {
        let shared = &self.shared;
        loop {
            if work.is_cancelled() {
                return Err(CheckoutError::Cancelled);
            }
            let listener = {
                let mut state = shared.lock();
                if let Some(client) = state.idle.pop() {
                    drop(state);
                    work.hold(client.cancel_handle());
                    return Ok(client);
                }
                if state.resetting == 0 && state.open < shared.max {
                    state.open += 1;
                    break;
                }
                shared.freed.listen()
            };
            future::or(
                async {
                    listener.await;
                },
                async {
                    smol::Timer::after(WAIT_STEP).await;
                },
            )
            .await;
        }
        let connected = match settings_from_env(shared.database_url.as_deref()).await {
            Ok(settings) => Client::connect(&settings).await,
            Err(e) => Err(e),
        };
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
        let shared = Arc::clone(&self.shared);
        match after_call(client.transaction_status(), work.is_cancelled()) {
            Reuse::Close => {
                smol::spawn(async move {
                    let _ = client.close().await;
                    shared.closed();
                })
                .detach();
            }
            Reuse::Reset => {
                shared.lock().resetting += 1;
                smol::spawn(async move { shared.reset(client).await }).detach();
            }
        }
    }

    /// Closes the idle sessions (at exit).
    pub(crate) async fn close_idle(&self) {
        let idle = std::mem::take(&mut self.shared.lock().idle);
        for client in idle {
            let _ = client.close().await;
            self.shared.closed();
        }
    }
}

impl Shared {
    async fn reset(&self, mut client: Client) {
        let reset = client.simple_query(SESSION_RESET_SQL).await;
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
        self.freed.notify(usize::MAX);
    }

    fn closed(&self) {
        self.lock().open -= 1;
        self.freed.notify(usize::MAX);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
