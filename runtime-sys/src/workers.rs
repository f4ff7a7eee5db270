//! The threads of a parallel native backup's workers (`--jobs`): one OS
//! thread each with its task inbox, and what stopping one needs from
//! outside it. How a worker runs a task is its runtime's (a blocking or
//! an async session); which task, when, and what an answer means is the
//! driver's.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use sequelae_core::backup::{WorkerAnswer, WorkerTask};

/// The worker threads of one backup; `C` is the runtime's cancel handle
/// for a worker's session.
#[derive(Debug)]
pub struct Threads<C> {
    threads: Vec<Option<Worker<C>>>,
}

#[derive(Debug)]
struct Worker<C> {
    tasks: Sender<WorkerTask>,
    shared: Arc<Shared<C>>,
    thread: JoinHandle<()>,
}

/// What stopping a worker needs from outside its thread.
#[derive(Debug)]
pub struct Shared<C> {
    stop: AtomicBool,
    cancel: Mutex<Option<C>>,
}

impl<C> Shared<C> {
    /// Raised when the worker must stop: its spool then refuses writes
    /// ([`crate::output::Stoppable`]), so a COPY under way is cancelled.
    pub fn stop_flag(&self) -> &AtomicBool {
        &self.stop
    }

    /// Keeps the cancel handle of the worker's session, for a stop to
    /// cancel what the session runs.
    pub fn set_cancel(&self, handle: Option<C>) {
        if let Ok(mut cancel) = self.cancel.lock() {
            *cancel = handle;
        }
    }
}

impl<C> Default for Threads<C> {
    fn default() -> Self {
        Threads {
            threads: Vec::new(),
        }
    }
}

impl<C: Clone + Send + 'static> Threads<C> {
    /// Hands `task` to worker `id`; its thread is started on first use
    /// and runs `body` with its inbox. The error is the answer the
    /// worker can no longer give (no thread, or one that stopped).
    pub fn give(
        &mut self,
        id: usize,
        task: WorkerTask,
        body: impl FnOnce(Receiver<WorkerTask>, Arc<Shared<C>>) + Send + 'static,
    ) -> Result<(), WorkerAnswer> {
        if self.threads.len() <= id {
            self.threads.resize_with(id + 1, || None);
        }
        if self.threads[id].is_none() {
            let (tasks, inbox) = mpsc::channel();
            let shared = Arc::new(Shared {
                stop: AtomicBool::new(false),
                cancel: Mutex::new(None),
            });
            let theirs = Arc::clone(&shared);
            let thread = thread::Builder::new()
                .name(format!("sequelae-backup-worker-{id}"))
                .spawn(move || body(inbox, theirs))
                .map_err(|e| WorkerAnswer::Failed(format!("cannot start a thread: {e}")))?;
            self.threads[id] = Some(Worker {
                tasks,
                shared,
                thread,
            });
        }
        match &self.threads[id] {
            Some(worker) if worker.tasks.send(task).is_ok() => Ok(()),
            _ => Err(WorkerAnswer::Failed(
                "the worker's thread stopped".to_string(),
            )),
        }
    }

    /// A worker whose thread ended early, and its answer: a thread ends
    /// early only by panicking, so the answer it owes never comes.
    pub fn dead(&mut self) -> Option<(usize, WorkerAnswer)> {
        let id = self
            .threads
            .iter()
            .position(|w| w.as_ref().is_some_and(|w| w.thread.is_finished()))?;
        self.threads[id] = None;
        let failed = "the worker's thread stopped unexpectedly".to_string();
        Some((id, WorkerAnswer::Failed(failed)))
    }

    /// Raises every worker's stop flag; gives the cancel handles of their
    /// sessions, for the caller to cancel what they run.
    pub fn raise_stop(&self) -> Vec<C> {
        let workers = self.threads.iter().flatten();
        workers
            .filter_map(|worker| {
                worker.shared.stop.store(true, Ordering::SeqCst);
                worker.shared.cancel.lock().ok().and_then(|c| c.clone())
            })
            .collect()
    }

    /// Closes every inbox and waits until every thread ended: nothing of
    /// them writes a spool afterwards.
    pub fn join(&mut self) {
        for worker in self.threads.drain(..).flatten() {
            drop(worker.tasks);
            let _ = worker.thread.join();
        }
    }

    /// The threads, leaving none here (to join them elsewhere).
    pub fn take(&mut self) -> Threads<C> {
        std::mem::take(self)
    }
}
