//! An async session: the core's state machine pumped over a socket.
//!
//! Cancellation safety: everything that must survive a dropped future
//! lives in the [`Client`], not in the future. Bytes the core handed out
//! wait in the client until they are on the socket, so a future dropped
//! between two writes never leaves half a message behind; the request a
//! dropped future was running is abandoned through the core
//! ([`Connection::abandon`]) and, when the drop interrupted it, cancelled
//! on the server, before the next request (or by [`Client::recover`]).

use std::io;
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use async_io::Timer;
use bytes::{Buf, Bytes};
use futures_lite::io::{AsyncRead, AsyncWrite};
use futures_lite::{AsyncReadExt, AsyncWriteExt, future};
use sequelae_core::config::Endpoint;
use sequelae_core::request::{
    CopyInFold, CopyInStep, CopyOutFold, CopyOutStep, QueryFold, QueryStep, ResultCollector,
    read_timeout,
};
pub use sequelae_core::request::{CopyOutcome, QueryItem, QueryResult};
use sequelae_core::tls::{TlsError, TlsRequirements};
use sequelae_core::wire::{
    CancelToken, Connection, Event, Startup, TransactionStatus, tls_requirements,
};

use crate::cancel::CancelHandle;
use crate::error::Error;
use crate::transport::Transport;

/// Size of one socket read. Large enough that COPY moves in few reads,
/// small enough that memory stays flat.
const READ_CHUNK: usize = 64 * 1024;

/// How long a server gets to honour a cancel request sent because a
/// deadline passed, before the session is given up.
pub const CANCEL_GRACE: Duration = Duration::from_secs(5);

/// A connected PostgreSQL session.
///
/// Every method is an ordinary future: it runs on any executor (smol's,
/// `futures_lite::future::block_on`, another runtime's), because the
/// sockets and timers come from async-io, whose reactor runs on its own
/// thread when the executor is not smol's.
///
/// ```no_run
/// use sequelae_smol::Client;
/// # fn main() -> Result<(), sequelae_smol::Error> {
/// futures_lite::future::block_on(async {
///     let settings = sequelae_smol::settings_from_env(Some("postgres://app@localhost/app")).await?;
///     let mut client = Client::connect(&settings).await?;
///     for result in client.simple_query("SELECT 1 AS one; SELECT 'x'").await? {
///         println!("{:?}", result.rows.first().and_then(|r| r.get_str(0)));
///     }
///     client.copy_out("COPY pg_class TO STDOUT", &mut futures_lite::io::sink()).await?;
///     client.close().await
/// })
/// # }
/// ```
pub struct Client {
    conn: Connection,
    transport: Box<dyn Transport>,
    endpoint: Endpoint,
    buf: Box<[u8]>,
    /// Bytes taken from the core and not yet written.
    unsent: Bytes,
    /// Set while a request's future runs, cleared when it ends: still set
    /// at the next request means that future was dropped mid-request.
    interrupted: bool,
    warnings: Vec<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint)
            .field("conn", &self.conn)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Runs the startup on a transport the caller opened (a tunnel, a
    /// socket with special options, a recorder in tests).
    pub async fn start(
        startup: Startup,
        transport: Box<dyn Transport>,
        endpoint: Endpoint,
    ) -> Result<Client, Error> {
        Client::start_with_tls(startup, transport, endpoint, None).await
    }

    /// [`start`](Self::start), running the TLS handshake `tls` describes
    /// when the startup asks for TLS (the server said `S`, or direct TLS):
    /// the connect plan decided both.
    pub async fn start_with_tls(
        startup: Startup,
        transport: Box<dyn Transport>,
        endpoint: Endpoint,
        tls: Option<&Result<TlsRequirements, TlsError>>,
    ) -> Result<Client, Error> {
        let mode = startup.ssl_mode;
        let mut client = Client {
            conn: Connection::new(startup),
            transport,
            endpoint,
            buf: vec![0; READ_CHUNK].into_boxed_slice(),
            unsent: Bytes::new(),
            interrupted: false,
            warnings: Vec::new(),
        };
        let endpoint = client.endpoint.to_string();
        loop {
            match client.next_event().await {
                Ok(Event::Ready(_)) => return Ok(client),
                Ok(Event::StartTls) => {
                    let req = tls_requirements(mode, tls).map_err(|source| Error::Startup {
                        endpoint: endpoint.clone(),
                        source,
                    })?;
                    // The handshake is bounded by connect_timeout too.
                    let timeout = read_timeout(&mut client.conn, Instant::now())?;
                    let host = client.endpoint.host.as_str().to_string();
                    // The handshake owns the socket; an empty stand-in
                    // holds its place (a failed handshake ends the attempt).
                    let socket = std::mem::replace(
                        &mut client.transport,
                        Box::new(futures_lite::io::Cursor::new(Vec::new())),
                    );
                    let (stream, binding) = crate::tls::handshake(socket, req, &host, timeout)
                        .await
                        .map_err(|e| e.into_client_error(endpoint.clone()))?;
                    client.transport = Box::new(stream);
                    client.conn.tls_established(binding)?;
                }
                Ok(_) => {}
                Err(e) => return Err(e.during_startup(&endpoint)),
            }
        }
    }

    /// Warnings gathered while connecting (e.g. an ignored password file).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    pub(crate) fn set_warnings(&mut self, warnings: Vec<String>) {
        self.warnings = warnings;
    }

    /// The endpoint this session is connected to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// A server parameter reported at startup or since (`server_version`,
    /// `TimeZone`, `integer_datetimes`...).
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.conn.parameter(name)
    }

    /// The server version as a number, e.g. 150018.
    pub fn server_version_num(&self) -> Option<u32> {
        self.conn.server_version_num()
    }

    /// Transaction status after the last request.
    pub fn transaction_status(&self) -> TransactionStatus {
        self.conn.transaction_status()
    }

    /// The backend process ID, when the server sent one.
    pub fn backend_pid(&self) -> Option<i32> {
        self.conn.cancel_token().map(|t| t.process_id)
    }

    /// True when the session can take a request at once: no request of a
    /// dropped future or stream is still to be finished (see
    /// [`recover`](Self::recover)) and the session is open. A pool checks
    /// this (and [`transaction_status`](Self::transaction_status)) before
    /// handing the client out again.
    pub fn is_ready(&self) -> bool {
        self.conn.is_idle() && !self.conn.is_abandoned() && !self.interrupted
    }

    /// True once the session has ended (closed by the server, a deadline
    /// given up on, or a broken socket): connect again.
    pub fn is_closed(&self) -> bool {
        self.conn.is_closed()
    }

    /// Bounds every request from now on: at `deadline` a cancel request is
    /// sent; if the server has not answered [`CANCEL_GRACE`] later, the
    /// request fails and the session is closed. `None` removes the bound.
    pub fn set_query_deadline(&mut self, deadline: Option<Instant>) {
        self.conn.set_query_deadline(deadline, CANCEL_GRACE);
    }

    /// A handle that cancels this session's running query from any task
    /// or thread.
    pub fn cancel_handle(&self) -> Option<CancelHandle> {
        let token: CancelToken = self.conn.cancel_token()?;
        Some(CancelHandle::new(self.endpoint.clone(), token))
    }

    /// Brings the session back to a known, idle state after a future of
    /// it was dropped mid-request (its caller was cancelled, a timeout
    /// fired): the request is cancelled on the server when the drop
    /// interrupted it, and its remaining answer read and discarded. Every
    /// request does this first; call it to settle a session before
    /// returning it to a pool. Nothing happens when the session is idle.
    ///
    /// ```no_run
    /// # async fn demo(mut client: sequelae_smol::Client) -> Result<(), sequelae_smol::Error> {
    /// use std::time::Duration;
    /// let slow = client.simple_query("SELECT pg_sleep(30)");
    /// let timed_out = futures_lite::future::or(async { Some(slow.await) }, async {
    ///     async_io::Timer::after(Duration::from_millis(100)).await;
    ///     None
    /// })
    /// .await
    /// .is_none();
    /// // The query future is gone; the server query is cancelled here.
    /// client.recover().await?;
    /// assert!(client.is_ready());
    /// # Ok(()) }
    /// ```
    pub async fn recover(&mut self) -> Result<(), Error> {
        let interrupted = self.interrupted;
        self.interrupted = true;
        if self.conn.abandon()? {
            if interrupted {
                // The caller gave up on it: stop it on the server instead
                // of waiting for it to finish.
                cancel_best_effort(self.cancel_handle()).await;
            }
            while !matches!(self.next_event().await?, Event::Ready(_)) {}
        }
        self.interrupted = false;
        Ok(())
    }

    /// Runs `sql` (one or more statements) and collects every result.
    /// Use [`query`](Self::query) to stream instead.
    ///
    /// ```no_run
    /// # async fn demo(mut client: sequelae_smol::Client) -> Result<(), sequelae_smol::Error> {
    /// let results = client.simple_query("SELECT 1 AS one").await?;
    /// assert_eq!(results[0].rows[0].get_str(0), Some("1"));
    /// # Ok(()) }
    /// ```
    pub async fn simple_query(&mut self, sql: &str) -> Result<Vec<QueryResult>, Error> {
        let mut collector = ResultCollector::new();
        let mut stream = self.query(sql).await?;
        while let Some(item) = stream.next().await {
            collector.push(item?);
        }
        Ok(collector.finish())
    }

    /// Starts `sql` and returns its results as a stream, row by row, as
    /// they arrive. On a statement error the stream yields the error and
    /// ends (the server skips the remaining statements). Dropping the
    /// stream early is fine: the rest of the answer is discarded before
    /// the next request.
    ///
    /// ```no_run
    /// # async fn demo(mut client: sequelae_smol::Client) -> Result<(), sequelae_smol::Error> {
    /// use sequelae_smol::QueryItem;
    /// let mut stream = client.query("SELECT g FROM generate_series(1, 3) g").await?;
    /// while let Some(item) = stream.next().await {
    ///     if let QueryItem::Row(row) = item? {
    ///         println!("{:?}", row.get_str(0));
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn query(&mut self, sql: &str) -> Result<QueryStream<'_>, Error> {
        self.stream(sql, false).await
    }

    /// Like [`query`](Self::query) for exactly one statement, sent through
    /// the extended protocol: the server refuses a string with several
    /// statements, so a caller that checks the session between statements
    /// (read-only mode, `exec`'s script runner) cannot be bypassed by
    /// `a; b` in one string.
    pub async fn query_single(&mut self, sql: &str) -> Result<QueryStream<'_>, Error> {
        self.stream(sql, true).await
    }

    async fn stream(&mut self, sql: &str, single: bool) -> Result<QueryStream<'_>, Error> {
        self.send_request(sql, single).await?;
        // Handed over: a stream dropped between items has its answer read
        // and discarded, not cancelled (the remaining statements of a
        // simple query still run), as in runtime-std.
        self.interrupted = false;
        Ok(QueryStream {
            client: self,
            fold: QueryFold::new(),
            done: false,
        })
    }

    /// Runs a `COPY ... TO STDOUT` and streams its data into `out` chunk by
    /// chunk. Memory stays flat whatever the table size.
    ///
    /// ```no_run
    /// # async fn demo(mut client: sequelae_smol::Client) -> Result<(), sequelae_smol::Error> {
    /// let mut out = Vec::new();
    /// let outcome = client.copy_out("COPY (SELECT 1) TO STDOUT", &mut out).await?;
    /// assert_eq!((outcome.rows, out.as_slice()), (1, &b"1\n"[..]));
    /// # Ok(()) }
    /// ```
    pub async fn copy_out(
        &mut self,
        sql: &str,
        out: &mut (dyn AsyncWrite + Send + Unpin),
    ) -> Result<CopyOutcome, Error> {
        self.send_request(sql, false).await?;
        let mut fold = CopyOutFold::new();
        let mut local = None;
        loop {
            let event = self.next_event().await?;
            match fold.handle(&mut self.conn, event)? {
                CopyOutStep::Write(chunk) => {
                    if let Err(e) = out.write_all(&chunk).await {
                        // Stop the server instead of reading the rest of
                        // the table into nowhere.
                        local = Some(e);
                        fold.sink_failed();
                        cancel_best_effort(self.cancel_handle()).await;
                    }
                }
                CopyOutStep::Continue => {}
                CopyOutStep::Finished => break,
            }
        }
        self.interrupted = false;
        let outcome = fold.finish(local)?;
        out.flush().await.map_err(Error::Local)?;
        Ok(outcome)
    }

    /// Runs a `COPY ... FROM STDIN` and streams `input` to the server in
    /// chunks. A read error aborts the COPY (nothing is committed). What
    /// the server says meanwhile (notices, an early error) is read while
    /// sending, so neither side can block on a full socket, and the query
    /// deadline is honoured while sending.
    ///
    /// ```no_run
    /// # async fn demo(mut client: sequelae_smol::Client) -> Result<(), sequelae_smol::Error> {
    /// let mut data: &[u8] = b"1\n2\n";
    /// let outcome = client.copy_in("COPY t (n) FROM STDIN", &mut data).await?;
    /// assert_eq!(outcome.rows, 2);
    /// # Ok(()) }
    /// ```
    pub async fn copy_in(
        &mut self,
        sql: &str,
        input: &mut (dyn AsyncRead + Send + Unpin),
    ) -> Result<CopyOutcome, Error> {
        self.send_request(sql, false).await?;
        let mut copy = CopyIn {
            fold: CopyInFold::new(),
            local: None,
        };
        let mut chunk = vec![0u8; READ_CHUNK];
        while !copy.fold.is_finished() {
            let event = self.next_event().await?;
            if copy.fold.handle(event) == CopyInStep::SendData {
                self.send_copy_rows(input, &mut chunk, &mut copy).await?;
                self.flush().await?;
            }
        }
        self.interrupted = false;
        Ok(copy.fold.finish(copy.local)?)
    }

    /// Sends `input` until it ends, fails, or the server aborts the COPY.
    async fn send_copy_rows(
        &mut self,
        input: &mut (dyn AsyncRead + Send + Unpin),
        chunk: &mut [u8],
        copy: &mut CopyIn,
    ) -> Result<(), Error> {
        while self.conn.is_copy_in() {
            match input.read(chunk).await {
                Ok(n) => {
                    if copy.fold.send(&mut self.conn, &chunk[..n])? {
                        self.flush_during_copy(copy).await?;
                        self.take_ready_input(copy).await?;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    copy.fold.source_failed(&mut self.conn, &e)?;
                    copy.local = Some(e);
                }
            }
        }
        Ok(())
    }

    /// Writes what the core queued; whenever the server is not taking
    /// bytes, takes what it sent meanwhile (a server talking while we
    /// talk must not deadlock us both).
    async fn flush_during_copy(&mut self, copy: &mut CopyIn) -> Result<(), Error> {
        enum Progress {
            Wrote(usize),
            Read(usize),
        }
        loop {
            if self.unsent.is_empty() {
                match self.conn.poll_transmit() {
                    Some(bytes) => self.unsent = bytes,
                    None => break,
                }
            }
            let (transport, unsent, buf) = (&mut self.transport, &self.unsent, &mut self.buf);
            let progress = future::poll_fn(|cx| {
                if let Poll::Ready(r) = Pin::new(&mut **transport).poll_write(cx, unsent) {
                    return Poll::Ready(r.map(Progress::Wrote));
                }
                Pin::new(&mut **transport)
                    .poll_read(cx, buf)
                    .map(|r| r.map(Progress::Read))
            })
            .await;
            match progress {
                Ok(Progress::Wrote(0)) => {
                    return Err(Error::Io(io::Error::from(io::ErrorKind::WriteZero)));
                }
                Ok(Progress::Wrote(n)) => self.unsent.advance(n),
                Ok(Progress::Read(0)) => return Err(Error::Protocol(self.conn.handle_eof())),
                Ok(Progress::Read(n)) => {
                    self.conn.handle_input(&self.buf[..n]);
                    self.handle_pending_events(copy).await?;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::Io(e)),
            }
        }
        self.transport.flush().await.map_err(Error::Io)
    }

    /// Handles whatever the server already sent, without waiting for more:
    /// an early error stops the COPY before the whole input is sent.
    async fn take_ready_input(&mut self, copy: &mut CopyIn) -> Result<(), Error> {
        self.conn.handle_timeout(Instant::now())?;
        self.handle_pending_events(copy).await?;
        loop {
            match future::poll_once(self.transport.read(&mut self.buf)).await {
                None => return Ok(()),
                Some(Ok(0)) => return Err(Error::Protocol(self.conn.handle_eof())),
                Some(Ok(n)) => {
                    self.conn.handle_input(&self.buf[..n]);
                    self.handle_pending_events(copy).await?;
                }
                Some(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Some(Err(e)) => return Err(Error::Io(e)),
            }
        }
    }

    async fn handle_pending_events(&mut self, copy: &mut CopyIn) -> Result<(), Error> {
        while let Some(event) = self.poll_event().await? {
            copy.fold.handle(event);
        }
        Ok(())
    }

    /// The core's next event, once it has one; a cancel it asks for (past
    /// the query deadline) is sent here and not handed on.
    async fn poll_event(&mut self) -> Result<Option<Event>, Error> {
        while let Some(event) = self.conn.poll_event()? {
            if event != Event::CancelNeeded {
                return Ok(Some(event));
            }
            cancel_best_effort(self.cancel_handle()).await;
        }
        Ok(None)
    }

    /// Ends the session politely (Terminate) and closes the socket.
    pub async fn close(mut self) -> Result<(), Error> {
        self.conn.terminate();
        self.flush().await?;
        self.transport.close().await.map_err(Error::Io)
    }

    /// Sends a request after finishing any abandoned one.
    async fn send_request(&mut self, sql: &str, single: bool) -> Result<(), Error> {
        self.recover().await?;
        self.interrupted = true;
        if single {
            self.conn.query_single(sql)?;
        } else {
            self.conn.query(sql)?;
        }
        self.flush().await
    }

    /// Writes what the core queued, keeping what is not written yet in
    /// the client (see the module's note on cancellation).
    async fn flush(&mut self) -> Result<(), Error> {
        loop {
            if self.unsent.is_empty() {
                match self.conn.poll_transmit() {
                    Some(bytes) => self.unsent = bytes,
                    None => break,
                }
            }
            match self.transport.write(&self.unsent).await {
                Ok(0) => return Err(Error::Io(io::Error::from(io::ErrorKind::WriteZero))),
                Ok(n) => self.unsent.advance(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::Io(e)),
            }
        }
        self.transport.flush().await.map_err(Error::Io)
    }

    /// The runtime's whole job: write what the core wants written, hand
    /// over what it produced, read when it needs more, honour its deadline
    /// (a timer raced against the read).
    async fn next_event(&mut self) -> Result<Event, Error> {
        loop {
            self.flush().await?;
            if let Some(event) = self.poll_event().await? {
                self.flush().await?;
                return Ok(event);
            }
            self.flush().await?;
            if self.conn.is_closed() {
                return Err(Error::Protocol(self.conn.handle_eof()));
            }
            let timeout = read_timeout(&mut self.conn, Instant::now())?;
            let read = self.transport.read(&mut self.buf);
            let read = match timeout {
                None => read.await.map(Some),
                Some(timeout) => {
                    future::or(async { read.await.map(Some) }, async {
                        Timer::after(timeout).await;
                        Ok(None)
                    })
                    .await
                }
            };
            match read {
                Ok(Some(0)) => return Err(Error::Protocol(self.conn.handle_eof())),
                Ok(Some(n)) => self.conn.handle_input(&self.buf[..n]),
                // The deadline: read_timeout tells the core on the next turn.
                Ok(None) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(Error::Io(e)),
            }
        }
    }
}

/// Sends a cancel request when there is a handle; a failure to reach the
/// server shows in the session itself.
async fn cancel_best_effort(handle: Option<CancelHandle>) {
    if let Some(handle) = handle {
        let _ = handle.cancel().await;
    }
}

/// The polite end, as far as it goes without waiting: Terminate is
/// written if the socket takes it at once (one poll, never parked, so this
/// is safe inside any executor); otherwise the server sees the socket
/// close, which ends the session all the same.
impl Drop for Client {
    fn drop(&mut self) {
        if !self.conn.is_closed() {
            self.conn.terminate();
            let _ = future::block_on(future::poll_once(self.flush()));
        }
    }
}

/// A COPY IN under way: the core's fold, and the source's own failure.
#[derive(Debug)]
struct CopyIn {
    fold: CopyInFold,
    local: Option<io::Error>,
}

/// The results of a running query, in arrival order.
///
/// Dropping it early is fine: the client discards the rest before its next
/// request.
#[derive(Debug)]
pub struct QueryStream<'a> {
    client: &'a mut Client,
    fold: QueryFold,
    done: bool,
}

impl QueryStream<'_> {
    /// The cancel handle of the client running this query.
    pub fn cancel_handle(&self) -> Option<CancelHandle> {
        self.client.cancel_handle()
    }

    /// The next item; `None` once the request is over. After an error
    /// the stream ends.
    pub async fn next(&mut self) -> Option<Result<QueryItem, Error>> {
        while !self.done {
            // Set for the time of the await: a drop in the middle of it
            // counts as an interrupted request.
            self.client.interrupted = true;
            let step = match self.client.next_event().await {
                Ok(event) => self
                    .fold
                    .handle(&mut self.client.conn, event)
                    .map_err(Error::from),
                Err(e) => Err(e),
            };
            self.client.interrupted = false;
            match step {
                Ok(QueryStep::Item(item)) => return Some(Ok(item)),
                Ok(QueryStep::Continue) => {}
                Ok(QueryStep::Finished(error)) => {
                    self.done = true;
                    return error.map(|e| Err(Error::Db(e)));
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}
