//! The worker sessions of a parallel native backup (`--jobs`): a thread
//! and a session each, doing the tasks the driver gives, one at a time.
//! Which task, when, and what an answer means is the driver's.

use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use sequelae_core::backup::{WorkerAnswer, WorkerTask};
use sequelae_core::config::ConnectSettings;

use sequelae_sys::output::{Output, Stoppable};

use super::CANCEL_POLL;
use crate::cancel::CancelHandle;
use crate::client::Client;

type Answer = (usize, WorkerAnswer);

/// The workers of one backup.
pub(super) struct Workers {
    settings: ConnectSettings,
    threads: Vec<Option<Worker>>,
    answer_to: Sender<Answer>,
    answers: Receiver<Answer>,
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
        let (answer_to, answers) = mpsc::channel();
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
                .spawn(move || work(id, &settings, &inbox, &answers, &theirs));
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
                    let _ = self.answer_to.send((id, failed));
                    return;
                }
            }
        }
        if let Some(worker) = &self.threads[id] {
            if worker.tasks.send(task).is_err() {
                let failed = WorkerAnswer::Failed("the worker's thread stopped".to_string());
                let _ = self.answer_to.send((id, failed));
            }
        }
    }

    /// The next answer of any worker; `None` when `cancel` was raised.
    pub(super) fn wait(&mut self, cancel: &AtomicBool) -> Option<Answer> {
        loop {
            if cancel.load(Ordering::SeqCst) {
                return None;
            }
            if let Ok(answer) = self.answers.recv_timeout(CANCEL_POLL) {
                return Some(answer);
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
    pub(super) fn stop(&mut self) {
        for worker in self.threads.iter().flatten() {
            worker.shared.stop.store(true, Ordering::SeqCst);
            let handle = worker.shared.cancel.lock().ok().and_then(|c| c.clone());
            if let Some(handle) = handle {
                let _ = handle.cancel();
            }
        }
        for worker in self.threads.drain(..).flatten() {
            drop(worker.tasks);
            let _ = worker.thread.join();
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A worker's life: tasks until the driver's side hangs up.
fn work(
    id: usize,
    settings: &ConnectSettings,
    inbox: &Receiver<WorkerTask>,
    answers: &Sender<Answer>,
    shared: &Shared,
) {
    let mut session: Option<Client> = None;
    while let Ok(task) = inbox.recv() {
        let answer = match (task, session.as_mut()) {
            (WorkerTask::Connect, _) => match Client::connect(settings) {
                Ok(client) => {
                    if let Ok(mut cancel) = shared.cancel.lock() {
                        *cancel = client.cancel_handle();
                    }
                    session = Some(client);
                    WorkerAnswer::Done
                }
                Err(e) => WorkerAnswer::Failed(e.to_string()),
            },
            (WorkerTask::Query { sql }, Some(client)) => match client.simple_query(&sql) {
                Ok(_) => WorkerAnswer::Done,
                Err(e) => WorkerAnswer::Failed(e.to_string()),
            },
            (task @ WorkerTask::Spool { .. }, Some(client)) => spool(client, task, &shared.stop),
            (_, None) => WorkerAnswer::Failed("the worker has no session".to_string()),
        };
        if answers.send((id, answer)).is_err() {
            break;
        }
    }
    if let Some(client) = session {
        let _ = client.close();
    }
}

/// Does a [`WorkerTask::Spool`].
fn spool(client: &mut Client, task: WorkerTask, stop: &AtomicBool) -> WorkerAnswer {
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
    let written = (|| {
        let mut out = Output::spool(Path::new(&path), gzip_level).map_err(local)?;
        out.write_all(&header).map_err(local)?;
        let copied = client
            .copy_out(&sql, &mut Stoppable::new(&mut out, stop))
            .map_err(|e| e.to_string())?;
        out.write_all(&trailer).map_err(local)?;
        out.close().map_err(local)?;
        Ok::<_, String>(copied)
    })();
    match written {
        Ok(copied) => WorkerAnswer::Copied {
            rows: copied.rows,
            bytes: copied.bytes,
        },
        Err(message) => WorkerAnswer::Failed(message),
    }
}
