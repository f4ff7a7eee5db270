//! The worker sessions of a parallel native backup (`--jobs`): a thread
//! and a session each, doing the tasks the driver gives, one at a time.
//! Which task, when, and what an answer means is the driver's.
//!
//! Each worker is an OS thread that drives its own session with
//! `futures_lite::future::block_on`: the backup's future stays usable on
//! any executor, and a worker's blocking spool writes (and gzip) never
//! stall the caller's tasks.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use async_io::Timer;
use futures_lite::future;
use futures_lite::io::AssertAsync;
use sequelae_core::backup::{WorkerAnswer, WorkerTask};
use sequelae_core::config::ConnectSettings;
use sequelae_sys::output::{Output, Stoppable};

use super::CANCEL_POLL;
use crate::CancelHandle;
use crate::client::Client;

type Answer = (usize, WorkerAnswer);

/// The workers of one backup.
pub(super) struct Workers {
    settings: ConnectSettings,
    threads: Vec<Option<Worker>>,
    answer_to: async_channel::Sender<Answer>,
    answers: async_channel::Receiver<Answer>,
}

struct Worker {
    tasks: Sender<WorkerTask>,
    shared: Arc<Shared>,
    thread: JoinHandle<()>,
}

/// What stopping a worker needs from outside its thread.
#[derive(Default)]
struct Shared {
    /// Its spool refuses writes: a COPY under way is cancelled.
    stop: AtomicBool,
    cancel: Mutex<Option<CancelHandle>>,
}

impl Workers {
    pub(super) fn new(settings: &ConnectSettings) -> Workers {
        let (answer_to, answers) = async_channel::unbounded();
        Workers {
            settings: settings.clone(),
            threads: Vec::new(),
            answer_to,
            answers,
        }
    }

    /// Hands `task` to worker `id`, started on first use.
    pub(super) fn give(&mut self, id: usize, task: WorkerTask) {
        if self.threads.len() <= id {
            self.threads.resize_with(id + 1, || None);
        }
        if self.threads[id].is_none() {
            let (tasks, inbox) = mpsc::channel();
            let shared = Arc::new(Shared::default());
            let (settings, answers) = (self.settings.clone(), self.answer_to.clone());
            let theirs = Arc::clone(&shared);
            let spawned = thread::Builder::new()
                .name(format!("sequelae-backup-worker-{id}"))
                .spawn(move || future::block_on(work(id, &settings, &inbox, &answers, &theirs)));
            match spawned {
                Ok(thread) => {
                    self.threads[id] = Some(Worker {
                        tasks,
                        shared,
                        thread,
                    })
                }
                Err(e) => {
                    let failed = WorkerAnswer::Failed(format!("cannot start a thread: {e}"));
                    let _ = self.answer_to.try_send((id, failed));
                    return;
                }
            }
        }
        if let Some(worker) = &self.threads[id] {
            if worker.tasks.send(task).is_err() {
                let failed = WorkerAnswer::Failed("the worker's thread stopped".to_string());
                let _ = self.answer_to.try_send((id, failed));
            }
        }
    }

    /// The next answer of any worker; `None` when `cancel` was raised.
    pub(super) async fn wait(&mut self, cancel: &AtomicBool) -> Option<Answer> {
        loop {
            if cancel.load(Ordering::SeqCst) {
                return None;
            }
            let answers = &self.answers;
            let next = future::or(async { answers.recv().await.ok() }, async {
                Timer::after(CANCEL_POLL).await;
                None
            })
            .await;
            if next.is_some() {
                return next;
            }
            // A thread ends early only by panicking: its answer never comes.
            let dead = self
                .threads
                .iter()
                .position(|w| w.as_ref().is_some_and(|w| w.thread.is_finished()));
            if let Some(id) = dead {
                self.threads[id] = None;
                let failed = "the worker's thread stopped unexpectedly".to_string();
                return Some((id, WorkerAnswer::Failed(failed)));
            }
        }
    }

    /// Stops every worker (what its session runs is cancelled) and waits
    /// until its thread ended: nothing of it writes a spool afterwards.
    pub(super) async fn stop(&mut self) {
        for worker in self.threads.iter().flatten() {
            worker.shared.stop.store(true, Ordering::SeqCst);
            let handle = worker.shared.cancel.lock().ok().and_then(|c| c.clone());
            if let Some(handle) = handle {
                let _ = handle.cancel().await;
            }
        }
        let threads: Vec<Worker> = self.threads.drain(..).flatten().collect();
        blocking::unblock(move || join(threads)).await;
    }
}

/// Waits for each worker's thread, its task channel closed first.
fn join(threads: Vec<Worker>) {
    for worker in threads {
        drop(worker.tasks);
        let _ = worker.thread.join();
    }
}

impl Workers {
    /// [`Workers::stop`] for a dropped backup, whose cleanup cannot await.
    pub(super) fn stop_blocking(&mut self) {
        for worker in self.threads.iter().flatten() {
            worker.shared.stop.store(true, Ordering::SeqCst);
            let handle = worker.shared.cancel.lock().ok().and_then(|c| c.clone());
            if let Some(handle) = handle {
                let _ = future::block_on(handle.cancel());
            }
        }
        join(self.threads.drain(..).flatten().collect());
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.stop_blocking();
    }
}

/// A worker's life: tasks until the driver's side hangs up.
async fn work(
    id: usize,
    settings: &ConnectSettings,
    inbox: &Receiver<WorkerTask>,
    answers: &async_channel::Sender<Answer>,
    shared: &Shared,
) {
    let mut session: Option<Client> = None;
    // The thread is the worker's own: waiting here blocks nobody else.
    while let Ok(task) = inbox.recv() {
        let answer = match (task, session.as_mut()) {
            (WorkerTask::Connect, _) => match Client::connect(settings).await {
                Ok(client) => {
                    if let Ok(mut cancel) = shared.cancel.lock() {
                        *cancel = client.cancel_handle();
                    }
                    session = Some(client);
                    WorkerAnswer::Done
                }
                Err(e) => WorkerAnswer::Failed(e.to_string()),
            },
            (WorkerTask::Query { sql }, Some(client)) => match client.simple_query(&sql).await {
                Ok(_) => WorkerAnswer::Done,
                Err(e) => WorkerAnswer::Failed(e.to_string()),
            },
            (task @ WorkerTask::Spool { .. }, Some(client)) => {
                spool(client, task, &shared.stop).await
            }
            (_, None) => WorkerAnswer::Failed("the worker has no session".to_string()),
        };
        if answers.send((id, answer)).await.is_err() {
            break;
        }
    }
    if let Some(client) = session {
        let _ = client.close().await;
    }
}

/// Does a [`WorkerTask::Spool`].
async fn spool(client: &mut Client, task: WorkerTask, stop: &AtomicBool) -> WorkerAnswer {
    let WorkerTask::Spool {
        path,
        header,
        sql,
        trailer,
        gzip_level,
    } = task
    else {
        return WorkerAnswer::Failed("not a spool task".to_string());
    };
    let local = |e: io::Error| format!("cannot write the spool file {}: {e}", path.display());
    let mut out = match Output::spool(&path, gzip_level) {
        Ok(out) => out,
        Err(e) => return WorkerAnswer::Failed(local(e)),
    };
    if let Err(e) = out.write_all(&header) {
        return WorkerAnswer::Failed(local(e));
    }
    // Written in place: the worker's thread is its own.
    let mut guarded = AssertAsync::new(Stoppable::new(&mut out, stop));
    let copied = client.copy_out(&sql, &mut guarded).await;
    let copied = match copied {
        Ok(copied) => copied,
        Err(e) => return WorkerAnswer::Failed(e.to_string()),
    };
    let closed = out.write_all(&trailer).and_then(|()| out.close());
    match closed {
        Ok(()) => WorkerAnswer::Copied {
            rows: copied.rows,
            bytes: copied.bytes,
        },
        Err(e) => WorkerAnswer::Failed(local(e)),
    }
}
