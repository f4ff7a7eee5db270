//! The worker sessions of a parallel native backup (`--jobs`): a thread
//! and a session each, doing the tasks the driver gives, one at a time.
//! Which task, when, and what an answer means is the driver's.
//!
//! Each worker is an OS thread that drives its own session with
//! `futures_lite::future::block_on`: the backup's future stays usable on
//! any executor, and a worker's blocking spool writes (and gzip) never
//! stall the caller's tasks.

use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread::{self, JoinHandle};

use async_io::Timer;
use flate2::Compression;
use flate2::write::GzEncoder;
use futures_lite::{AsyncWrite, future};
use sequelae_core::backup::{WorkerAnswer, WorkerTask};
use sequelae_core::config::ConnectSettings;

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

/// Output buffers of a spool.
const BUFFER: usize = 1 << 18;

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
    let mut out = match open_spool(&path, gzip_level) {
        Ok(out) => out,
        Err(e) => return WorkerAnswer::Failed(local(e)),
    };
    if let Err(e) = out.write_all(&header) {
        return WorkerAnswer::Failed(local(e));
    }
    let copied = client.copy_out(&sql, &mut Guarded(&mut out, stop)).await;
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

/// A spool file: created exclusively (0600), plain or one gzip member.
enum Spool {
    Plain(BufWriter<std::fs::File>),
    Gzip(Box<BufWriter<GzEncoder<BufWriter<std::fs::File>>>>),
}

fn open_spool(path: &Path, level: Option<u32>) -> io::Result<Spool> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    let file = BufWriter::with_capacity(BUFFER, file);
    Ok(match level {
        Some(level) => Spool::Gzip(Box::new(BufWriter::with_capacity(
            BUFFER,
            GzEncoder::new(file, Compression::new(level)),
        ))),
        None => Spool::Plain(file),
    })
}

impl Spool {
    /// Ends the gzip member and flushes (a spool is not synced: it is
    /// appended to the output and removed).
    fn close(self) -> io::Result<()> {
        let mut file = match self {
            Spool::Plain(file) => file,
            Spool::Gzip(gzip) => gzip
                .into_inner()
                .map_err(io::IntoInnerError::into_error)?
                .finish()?,
        };
        file.flush()
    }
}

impl Write for Spool {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match self {
            Spool::Plain(file) => file.write(bytes),
            Spool::Gzip(gzip) => gzip.write(bytes),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Spool::Plain(file) => file.flush(),
            Spool::Gzip(gzip) => gzip.flush(),
        }
    }
}

/// The spool as the COPY's async writer: written in place (the worker's
/// thread is its own), failing once the worker is told to stop so that
/// the COPY is cancelled at its next chunk.
struct Guarded<'a>(&'a mut Spool, &'a AtomicBool);

impl AsyncWrite for Guarded<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.1.load(Ordering::Relaxed) {
            return Poll::Ready(Err(io::Error::other("the backup is stopping")));
        }
        Poll::Ready(this.0.write(bytes))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.get_mut().0.flush())
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}
