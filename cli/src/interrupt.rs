//! Ctrl-C, SIGTERM and SIGHUP: what the running command does about them.
//!
//! The signals are blocked in every thread and taken by one thread with
//! sigwait, so the handler knows which signal came (Ctrl-C exits 130,
//! SIGTERM 143) and runs ordinary code. A command registers the action that
//! stops its work (send a cancel request to the server, kill pg_dump) while
//! that work runs; a thread blocked waiting for input registers a waker.
//! The handler records the signal, runs both, and the command cleans up
//! and exits with the signal's code.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use nix::sys::signal::{SigSet, Signal};

type Action = Box<dyn Fn() + Send + Sync>;

static ACTION: Mutex<Option<Action>> = Mutex::new(None);
static WAKERS: Mutex<Vec<(u64, Action)>> = Mutex::new(Vec::new());
static NEXT_WAKER: AtomicU64 = AtomicU64::new(0);
/// The first signal that arrived, as its exit code (0: none).
static STOP: AtomicU8 = AtomicU8::new(0);
static COUNT: AtomicUsize = AtomicUsize::new(0);
/// A second Ctrl-C leaves at once, unless the registered work must clean
/// up first (a backup's temporary files and password file).
static SECOND_EXITS: AtomicBool = AtomicBool::new(true);
/// Set once COMMIT is about to be sent: a signal after that point can no
/// longer roll the work back.
static COMMITTING: AtomicBool = AtomicBool::new(false);
/// With `--json`, a signal that ends the process at once still leaves the
/// failure document on stdout.
static JSON: AtomicBool = AtomicBool::new(false);
/// Serialises the commit decision with the recording of a signal.
static GATE: Mutex<()> = Mutex::new(());

/// Which signal stopped the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// SIGINT: Ctrl-C in a terminal.
    CtrlC,
    /// SIGTERM: a service manager or `kill` asked the process to end.
    Terminate,
    /// SIGHUP: the terminal went away.
    HangUp,
}

impl Stop {
    fn from_signal(signal: Signal) -> Option<Stop> {
        match signal {
            Signal::SIGINT => Some(Stop::CtrlC),
            Signal::SIGTERM => Some(Stop::Terminate),
            Signal::SIGHUP => Some(Stop::HangUp),
            _ => None,
        }
    }

    fn from_code(code: u8) -> Option<Stop> {
        match code {
            130 => Some(Stop::CtrlC),
            143 => Some(Stop::Terminate),
            129 => Some(Stop::HangUp),
            _ => None,
        }
    }

    /// The exit code a shell expects of a process this signal ended:
    /// 128 + the signal number.
    pub(crate) fn code(self) -> u8 {
        match self {
            Stop::CtrlC => 130,
            Stop::Terminate => 143,
            Stop::HangUp => 129,
        }
    }

    pub(crate) fn message(self) -> &'static str {
        match self {
            Stop::CtrlC => "interrupted by Ctrl-C",
            Stop::Terminate => "terminated (SIGTERM)",
            Stop::HangUp => "the terminal hung up (SIGHUP)",
        }
    }
}

fn handled() -> SigSet {
    let mut set = SigSet::empty();
    set.add(Signal::SIGINT);
    set.add(Signal::SIGTERM);
    set.add(Signal::SIGHUP);
    set
}

/// Installs the handler; call it before any other thread starts, so that
/// every thread inherits the blocked signals. Failing to install it is not
/// fatal: the signals then end the process, as they would any program
/// (the server rolls back the open transaction of a session that dies).
pub(crate) fn install() {
    let set = handled();
    if set.thread_block().is_err() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            while let Ok(signal) = set.wait() {
                if let Some(stop) = Stop::from_signal(signal) {
                    handle(stop);
                }
            }
        });
    if spawned.is_err() {
        let _ = set.thread_unblock();
    }
}

fn handle(stop: Stop) {
    // The registered action is held from before the signal is recorded
    // until it has run: work that sees the signal and finishes cannot
    // unregister in between and leave this thread to exit over the
    // answer the work already gave.
    let action = ACTION.lock().unwrap_or_else(PoisonError::into_inner);
    {
        let _gate = GATE.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = STOP.compare_exchange(0, stop.code(), Ordering::SeqCst, Ordering::SeqCst);
    }
    let code = current().map_or(stop.code(), Stop::code);
    let count = COUNT.fetch_add(1, Ordering::SeqCst) + 1;
    // The user insists: leave now (on the third press even for work
    // that cleans up, in case it hangs somewhere nothing was written).
    let limit = if SECOND_EXITS.load(Ordering::SeqCst) {
        2
    } else {
        3
    };
    if count >= limit {
        leave(code);
    }
    for (_, wake) in WAKERS.lock().unwrap_or_else(PoisonError::into_inner).iter() {
        wake();
    }
    match action.as_ref() {
        Some(action) => action(),
        None if COMMITTING.load(Ordering::SeqCst) => {}
        None => leave(code),
    }
}

/// Ends the process now (nothing registered to stop, or the user
/// insists), saying why: on stderr, and as the JSON failure document with
/// `--json`.
fn leave(code: u8) -> ! {
    use std::io::Write;
    if let Some(stop) = Stop::from_code(code) {
        if JSON.load(Ordering::SeqCst) {
            let fields = sequelae_core::render::ErrorFields {
                error: stop.message().into(),
                ..sequelae_core::render::ErrorFields::default()
            };
            let mut out = std::io::stdout().lock();
            let _ = out
                .write_all(fields.document().as_bytes())
                .and_then(|()| out.flush());
        }
        let _ = writeln!(std::io::stderr(), "sequelae: {}", stop.message());
    }
    std::process::exit(code.into())
}

/// Tells the handler that the command prints JSON, so that an exit at
/// once (e.g. while connecting) still gives a parsable answer.
pub(crate) fn report_json(json: bool) {
    JSON.store(json, Ordering::SeqCst);
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

/// Calls `wake` on every signal until the guard is dropped: for a thread
/// blocked waiting on input that must notice the interrupt at once.
pub(crate) fn wake_on_interrupt(wake: impl Fn() + Send + Sync + 'static) -> Waker {
    let id = NEXT_WAKER.fetch_add(1, Ordering::SeqCst);
    WAKERS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((id, Box::new(wake)));
    Waker(id)
}

/// True once the user pressed Ctrl-C (or the process got SIGTERM or SIGHUP).
pub(crate) fn interrupted() -> bool {
    current().is_some()
}

/// The signal that stopped the work, if one came.
pub(crate) fn current() -> Option<Stop> {
    Stop::from_code(STOP.load(Ordering::SeqCst))
}

/// The point of no return before COMMIT: true if no signal came (not even
/// one the kernel holds for the signal thread that it has not taken yet),
/// and from now on a signal no longer ends the process at once. False
/// means: roll back instead.
pub(crate) fn commit_point() -> bool {
    let _gate = GATE.lock().unwrap_or_else(PoisonError::into_inner);
    if interrupted() {
        return false;
    }
    if let Some(stop) = pending() {
        let _ = STOP.compare_exchange(0, stop.code(), Ordering::SeqCst, Ordering::SeqCst);
        return false;
    }
    COMMITTING.store(true, Ordering::SeqCst);
    true
}

/// A signal sent to the process that the signal thread has not taken yet
/// (Linux reports them in /proc; elsewhere none is seen, and only the
/// signals already taken count).
fn pending() -> Option<Stop> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let mut mask = 0u64;
    for line in status.lines() {
        if let Some(hex) = line
            .strip_prefix("ShdPnd:")
            .or_else(|| line.strip_prefix("SigPnd:"))
        {
            mask |= u64::from_str_radix(hex.trim(), 16).unwrap_or(0);
        }
    }
    [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP]
        .into_iter()
        .find(|s| mask & (1u64 << ((*s as i32) - 1)) != 0)
        .and_then(Stop::from_signal)
}

/// Keeps an interrupt action registered; dropping it restores the default
/// (exit at once).
#[derive(Debug)]
pub(crate) struct Registration(());

impl Drop for Registration {
    fn drop(&mut self) {
        *ACTION.lock().unwrap_or_else(PoisonError::into_inner) = None;
        SECOND_EXITS.store(true, Ordering::SeqCst);
    }
}

/// Keeps a waker registered.
#[derive(Debug)]
pub(crate) struct Waker(u64);

impl Drop for Waker {
    fn drop(&mut self) {
        WAKERS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(id, _)| *id != self.0);
    }
}
