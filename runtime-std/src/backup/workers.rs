//! The worker sessions of a parallel native backup (`--jobs`): a thread
//! and a session each, doing the tasks the driver gives, one at a time.
//! Which task, when, and what an answer means is the driver's.

use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};

use sequelae_core::backup::{WorkerAnswer, WorkerTask};
use sequelae_core::config::ConnectSettings;
use sequelae_sys::output::{Output, Stoppable};
use sequelae_sys::workers::{Shared, Threads};

use super::CANCEL_POLL;
use crate::cancel::CancelHandle;
use crate::client::Client;

type Answer = (usize, WorkerAnswer);

/// The workers of one backup.
pub(super) struct Workers {
    settings: ConnectSettings,
    threads: Threads<CancelHandle>,
    answer_to: Sender<Answer>,
    answers: Receiver<Answer>,
}

impl Workers {
    pub(super) fn new(settings: &ConnectSettings) -> Workers {
        let (answer_to, answers) = mpsc::channel();
        Workers {
            settings: settings.clone(),
            threads: Threads::default(),
            answer_to,
            answers,
        }
    }

    /// Hands `task` to worker `id`, started on first use.
    pub(super) fn give(&mut self, id: usize, task: WorkerTask) {
        let (settings, answers) = (self.settings.clone(), self.answer_to.clone());
        let body = move |inbox: Receiver<_>, shared: Arc<_>| {
            work(id, &settings, &inbox, &answers, &shared)
        };
        if let Err(failed) = self.threads.give(id, task, body) {
            let _ = self.answer_to.send((id, failed));
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
            if let Some(dead) = self.threads.dead() {
                return Some(dead);
            }
        }
    }

    /// Stops every worker (what its session runs is cancelled) and waits
    /// until its thread ended: nothing of it writes a spool afterwards.
    pub(super) fn stop(&mut self) {
        for handle in self.threads.raise_stop() {
            let _ = handle.cancel();
        }
        self.threads.join();
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
    shared: &Shared<CancelHandle>,
) {
    let mut session: Option<Client> = None;
    while let Ok(task) = inbox.recv() {
        let answer = match (task, session.as_mut()) {
            (WorkerTask::Connect, _) => match Client::connect(settings) {
                Ok(client) => {
                    shared.set_cancel(client.cancel_handle());
                    session = Some(client);
                    WorkerAnswer::Done
                }
                Err(e) => WorkerAnswer::Failed(e.to_string()),
            },
            (WorkerTask::Query { sql }, Some(client)) => match client.simple_query(&sql) {
                Ok(_) => WorkerAnswer::Done,
                Err(e) => WorkerAnswer::Failed(e.to_string()),
            },
            (task @ WorkerTask::Spool { .. }, Some(client)) => {
                spool(client, task, shared.stop_flag())
            }
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
