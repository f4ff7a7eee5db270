//! The worker sessions of a parallel native backup (`--jobs`): a thread
//! and a session each, doing the tasks the driver gives, one at a time.
//! Which task, when, and what an answer means is the driver's.
//!
//! Each worker is an OS thread that drives its own session with
//! `futures_lite::future::block_on`: the backup's future stays usable on
//! any executor, and a worker's blocking spool writes (and gzip) never
//! stall the caller's tasks.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;

use async_io::Timer;
use futures_lite::future;
use futures_lite::io::AssertAsync;
use sequelae_core::backup::{WorkerAnswer, WorkerTask};
use sequelae_core::config::ConnectSettings;
use sequelae_sys::output::{Output, Stoppable};
use sequelae_sys::workers::{Shared, Threads};

use super::CANCEL_POLL;
use crate::CancelHandle;
use crate::client::Client;

type Answer = (usize, WorkerAnswer);

/// The workers of one backup.
pub(super) struct Workers {
    settings: ConnectSettings,
    threads: Threads<CancelHandle>,
    answer_to: async_channel::Sender<Answer>,
    answers: async_channel::Receiver<Answer>,
}

impl Workers {
    pub(super) fn new(settings: &ConnectSettings) -> Workers {
        let (answer_to, answers) = async_channel::unbounded();
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
            future::block_on(work(id, &settings, &inbox, &answers, &shared))
        };
        if let Err(failed) = self.threads.give(id, task, body) {
            let _ = self.answer_to.try_send((id, failed));
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
            if let Some(dead) = self.threads.dead() {
                return Some(dead);
            }
        }
    }

    /// Stops every worker (what its session runs is cancelled) and waits
    /// until its thread ended: nothing of it writes a spool afterwards.
    pub(super) async fn stop(&mut self) {
        for handle in self.threads.raise_stop() {
            let _ = handle.cancel().await;
        }
        let mut threads = self.threads.take();
        blocking::unblock(move || threads.join()).await;
    }

    /// [`Workers::stop`] for a dropped backup, whose cleanup cannot await.
    pub(super) fn stop_blocking(&mut self) {
        for handle in self.threads.raise_stop() {
            let _ = future::block_on(handle.cancel());
        }
        self.threads.join();
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
    shared: &Shared<CancelHandle>,
) {
    let mut session: Option<Client> = None;
    // The thread is the worker's own: waiting here blocks nobody else.
    while let Ok(task) = inbox.recv() {
        let answer = match (task, session.as_mut()) {
            (WorkerTask::Connect, _) => match Client::connect(settings).await {
                Ok(client) => {
                    shared.set_cancel(client.cancel_handle());
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
                spool(client, task, shared.stop_flag()).await
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
