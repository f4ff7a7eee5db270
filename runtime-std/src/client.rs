//! A blocking session: the core's state machine pumped over a socket.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use sequelae_core::config::Endpoint;
use sequelae_core::request::{
    CopyInFold, CopyInStep, CopyOutFold, CopyOutStep, QueryFold, QueryStep, ResultCollector,
    read_timeout,
};
pub use sequelae_core::request::{CopyOutcome, QueryItem, QueryResult};
use sequelae_core::wire::{
    COPY_WRITE_SLICE, CancelToken, Connection, Event, Startup, TransactionStatus, tls_requirements,
};

use crate::cancel::CancelHandle;
use crate::error::Error;
use crate::transport::Transport;
use sequelae_core::tls::{TlsError, TlsRequirements};

/// Size of one socket read. Large enough that COPY moves in few syscalls,
/// small enough that memory stays flat.
const READ_CHUNK: usize = 64 * 1024;

/// How long a server gets to honour a cancel request sent because a
/// deadline passed, before the session is given up.
pub const CANCEL_GRACE: Duration = Duration::from_secs(5);

/// A connected PostgreSQL session.
///
/// ```no_run
/// use sequelae_std::Client;
/// # fn main() -> Result<(), sequelae_std::Error> {
/// let settings = sequelae_std::settings_from_env(Some("postgres://app@localhost/app"))?;
/// let mut client = Client::connect(&settings)?;
/// for result in client.simple_query("SELECT 1 AS one; SELECT 'x'")? {
///     println!("{:?}", result.rows.first().and_then(|r| r.get_str(0)));
/// }
/// client.copy_out("COPY pg_class TO STDOUT", &mut std::io::sink())?;
/// # Ok(()) }
/// ```
pub struct Client {
    conn: Connection,
    transport: Box<dyn Transport>,
    endpoint: Endpoint,
    buf: Box<[u8]>,
    read_timeout: Option<Duration>,
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
    pub fn start(
        startup: Startup,
        transport: Box<dyn Transport>,
        endpoint: Endpoint,
    ) -> Result<Client, Error> {
        Client::start_with_tls(startup, transport, endpoint, None)
    }

    /// [`start`](Self::start), running the TLS handshake `tls` describes
    /// when the startup asks for TLS (the server said `S`, or direct TLS):
    /// the connect plan decided both.
    pub fn start_with_tls(
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
            read_timeout: None,
            warnings: Vec::new(),
        };
        let endpoint = client.endpoint.to_string();
        loop {
            match client.next_event() {
                Ok(Event::Ready(_)) => return Ok(client),
                Ok(Event::StartTls) => {
                    let req = tls_requirements(mode, tls).map_err(|source| Error::Startup {
                        endpoint: endpoint.clone(),
                        source,
                    })?;
                    // The handshake is bounded by connect_timeout too.
                    let timeout = read_timeout(&mut client.conn, Instant::now())?;
                    let host = client.endpoint.host.as_str().to_string();
                    let binding = crate::tls::upgrade(&mut client.transport, req, &host, timeout)
                        .map_err(|e| e.into_client_error(endpoint.clone()))?;
                    client.read_timeout = timeout;
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

    /// Bounds every request from now on: at `deadline` a cancel request is
    /// sent; if the server has not answered [`CANCEL_GRACE`] later, the
    /// request fails and the session is closed. `None` removes the bound.
    pub fn set_query_deadline(&mut self, deadline: Option<Instant>) {
        self.conn.set_query_deadline(deadline, CANCEL_GRACE);
    }

    /// A handle that cancels this session's running query from any thread.
    pub fn cancel_handle(&self) -> Option<CancelHandle> {
        let token: CancelToken = self.conn.cancel_token()?;
        Some(CancelHandle::new(self.endpoint.clone(), token))
    }

    /// Runs `sql` (one or more statements) and collects every result.
    /// Use [`query`](Self::query) to stream instead.
    pub fn simple_query(&mut self, sql: &str) -> Result<Vec<QueryResult>, Error> {
        let mut collector = ResultCollector::new();
        for item in self.query(sql)? {
            collector.push(item?);
        }
        Ok(collector.finish())
    }

    /// Starts `sql` and returns its results as a stream, row by row, as
    /// they arrive. On a statement error the stream yields the error and
    /// ends (the server skips the remaining statements).
    pub fn query(&mut self, sql: &str) -> Result<QueryStream<'_>, Error> {
        self.stream(sql, false)
    }

    /// Like [`query`](Self::query) for exactly one statement, sent through
    /// the extended protocol: the server refuses a string with several
    /// statements, so a caller that checks the session between statements
    /// (read-only mode) cannot be bypassed by `a; b` in one string.
    pub fn query_single(&mut self, sql: &str) -> Result<QueryStream<'_>, Error> {
        self.stream(sql, true)
    }

    fn stream(&mut self, sql: &str, single: bool) -> Result<QueryStream<'_>, Error> {
        self.send_request(sql, single)?;
        Ok(QueryStream {
            client: self,
            fold: QueryFold::new(),
            done: false,
        })
    }

    /// Runs a `COPY ... TO STDOUT` and streams its data into `out` chunk by
    /// chunk. Memory stays flat whatever the table size.
    pub fn copy_out(&mut self, sql: &str, out: &mut dyn Write) -> Result<CopyOutcome, Error> {
        self.send_request(sql, false)?;
        let mut fold = CopyOutFold::new();
        let mut local = None;
        loop {
            // The rows already read go out without an event each.
            let refused = fold.write_buffered(&mut self.conn, &mut |chunk| {
                out.write_all(chunk).map_err(|e| local = Some(e)).is_ok()
            });
            if refused {
                self.cancel_running();
            }
            let event = self.next_event()?;
            match fold.handle(&mut self.conn, event)? {
                CopyOutStep::Write(chunk) => {
                    if let Err(e) = out.write_all(&chunk) {
                        // Stop the server instead of reading the rest of
                        // the table into nowhere.
                        local = Some(e);
                        fold.sink_failed();
                        self.cancel_running();
                    }
                }
                CopyOutStep::Continue => {}
                CopyOutStep::Finished => break,
            }
        }
        let outcome = fold.finish(local)?;
        out.flush().map_err(Error::Local)?;
        Ok(outcome)
    }

    /// Runs a `COPY ... FROM STDIN` and streams `input` to the server in
    /// chunks. A read error aborts the COPY (nothing is committed). What
    /// the server says meanwhile (notices, an early error) is read between
    /// chunks, so neither side can block on a full socket, and the query
    /// deadline is honoured while sending.
    pub fn copy_in(&mut self, sql: &str, input: &mut dyn Read) -> Result<CopyOutcome, Error> {
        self.send_request(sql, false)?;
        let mut copy = CopyIn {
            fold: CopyInFold::new(),
            local: None,
        };
        let mut chunk = vec![0u8; READ_CHUNK];
        while !copy.fold.is_finished() {
            let event = self.next_event()?;
            if copy.fold.handle(event) == CopyInStep::SendData {
                self.stream_copy_data(input, &mut chunk, &mut copy)?;
            }
        }
        Ok(copy.fold.finish(copy.local)?)
    }

    /// Sends `input` until it ends, fails, or the server aborts the COPY.
    fn stream_copy_data(
        &mut self,
        input: &mut dyn Read,
        chunk: &mut [u8],
        copy: &mut CopyIn,
    ) -> Result<(), Error> {
        // See COPY_WRITE_SLICE: a write must give way to reading.
        let interleave = self
            .transport
            .set_write_timeout(Some(COPY_WRITE_SLICE))
            .is_ok();
        let sent = self.send_copy_rows(input, chunk, copy);
        if interleave {
            self.transport.set_write_timeout(None).map_err(Error::Io)?;
        }
        sent?;
        self.flush()
    }

    fn send_copy_rows(
        &mut self,
        input: &mut dyn Read,
        chunk: &mut [u8],
        copy: &mut CopyIn,
    ) -> Result<(), Error> {
        while self.conn.is_copy_in() {
            match input.read(chunk) {
                Ok(n) => {
                    if copy.fold.send(&mut self.conn, &chunk[..n])? {
                        self.flush_during(Some(copy))?;
                        self.take_pending_input(copy)?;
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

    /// Writes what the core queued. During a COPY IN (`copy`), whenever a
    /// write times out (only when the transport bounds writes), takes what
    /// the server sent meanwhile before trying again.
    fn flush_during(&mut self, mut copy: Option<&mut CopyIn>) -> Result<(), Error> {
        while let Some(bytes) = self.conn.poll_transmit() {
            let mut written = 0;
            while written < bytes.len() {
                match self.transport.write(&bytes[written..]) {
                    Ok(0) => {
                        return Err(Error::Io(io::Error::from(io::ErrorKind::WriteZero)));
                    }
                    Ok(n) => written += n,
                    Err(e)
                        if copy.is_some()
                            && matches!(
                                e.kind(),
                                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                            ) =>
                    {
                        if let Some(copy) = copy.as_deref_mut() {
                            self.take_pending_input(copy)?;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(Error::Io(e)),
                }
            }
        }
        self.transport.flush().map_err(Error::Io)
    }

    /// Handles whatever the server already sent, without waiting for more.
    /// Each chunk read is parsed before the next read, so a server that
    /// talks a lot (a notice per row) never piles up in the input buffer.
    fn take_pending_input(&mut self, copy: &mut CopyIn) -> Result<(), Error> {
        self.conn.handle_timeout(Instant::now())?;
        self.handle_pending_events(copy)?;
        if self.transport.set_nonblocking(true).is_err() {
            return Ok(());
        }
        let read = loop {
            match self.transport.read(&mut self.buf) {
                Ok(0) => break Err(Error::Protocol(self.conn.handle_eof())),
                Ok(n) => {
                    self.conn.handle_input(&self.buf[..n]);
                    if let Err(e) = self.handle_pending_events(copy) {
                        break Err(e);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(Error::Io(e)),
            }
        };
        self.transport.set_nonblocking(false).map_err(Error::Io)?;
        read
    }

    fn handle_pending_events(&mut self, copy: &mut CopyIn) -> Result<(), Error> {
        while let Some(event) = self.poll_event()? {
            copy.fold.handle(event);
        }
        Ok(())
    }

    /// The core's next event, once it has one; a cancel it asks for (past
    /// the query deadline) is sent here and not handed on.
    fn poll_event(&mut self) -> Result<Option<Event>, Error> {
        while let Some(event) = self.conn.poll_event()? {
            if event != Event::CancelNeeded {
                return Ok(Some(event));
            }
            self.cancel_running();
        }
        Ok(None)
    }

    /// Ends the session politely (Terminate) and closes the socket.
    pub fn close(mut self) -> Result<(), Error> {
        self.conn.terminate();
        self.flush()
    }

    /// Sends a request after finishing any abandoned one.
    fn send_request(&mut self, sql: &str, single: bool) -> Result<(), Error> {
        self.drain()?;
        if single {
            self.conn.query_single(sql)?;
        } else {
            self.conn.query(sql)?;
        }
        self.flush()
    }

    /// Best effort: ask the server to cancel what we are running.
    fn cancel_running(&self) {
        if let Some(handle) = self.cancel_handle() {
            let _ = handle.cancel();
        }
    }

    /// Reads until the end of a request its caller gave up on (the core
    /// discards its events and fails a COPY IN).
    fn drain(&mut self) -> Result<(), Error> {
        if self.conn.abandon()? {
            while !matches!(self.next_event()?, Event::Ready(_)) {}
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Error> {
        self.flush_during(None)
    }

    /// The runtime's whole job: write what the core wants written, hand
    /// over what it produced, read when it needs more, honour its deadline.
    fn next_event(&mut self) -> Result<Event, Error> {
        loop {
            self.flush()?;
            if let Some(event) = self.poll_event()? {
                self.flush()?;
                return Ok(event);
            }
            self.flush()?;
            if self.conn.is_closed() {
                return Err(Error::Protocol(self.conn.handle_eof()));
            }
            let timeout = read_timeout(&mut self.conn, Instant::now())?;
            if timeout != self.read_timeout {
                self.transport
                    .set_read_timeout(timeout)
                    .map_err(Error::Io)?;
                self.read_timeout = timeout;
            }
            match self.transport.read(&mut self.buf) {
                Ok(0) => return Err(Error::Protocol(self.conn.handle_eof())),
                Ok(n) => self.conn.handle_input(&self.buf[..n]),
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

/// A COPY IN under way: the core's fold, and the source's own failure.
#[derive(Debug)]
struct CopyIn {
    fold: CopyInFold,
    local: Option<io::Error>,
}

impl Drop for Client {
    fn drop(&mut self) {
        if !self.conn.is_closed() {
            self.conn.terminate();
            let _ = self.flush();
        }
    }
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
}

impl Iterator for QueryStream<'_> {
    type Item = Result<QueryItem, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let step = self
                .client
                .next_event()
                .and_then(|event| Ok(self.fold.handle(&mut self.client.conn, event)?));
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
