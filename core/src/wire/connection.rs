//! The session state machine: bytes in, bytes and events out.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use fallible_iterator::FallibleIterator;
use postgres_protocol::message::backend::{self, Message};
use postgres_protocol::message::frontend;

use super::auth::Authenticator;
use super::cancel::CancelToken;
use super::error::Error;
use super::event::{
    Column, CommandTag, CopyFormat, DataRow, Event, RowDescription, TransactionStatus,
};
use super::server_error::ServerMessage;
use super::startup::{Limits, Startup, TlsNegotiation};

/// Server parameters kept at most (PostgreSQL reports about twenty).
const MAX_PARAMETERS: usize = 256;

/// Where the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// SSLRequest sent; the next input byte is the server's `S` or `N`.
    AwaitingSslResponse,
    /// Server said `S`; the runtime is doing the TLS handshake.
    AwaitingTls,
    /// StartupMessage sent; authentication in progress.
    Authenticating,
    /// AuthenticationOk received; waiting for the first ReadyForQuery.
    Starting,
    /// Ready for a request.
    Idle,
    /// A simple query is running.
    Busy,
    /// COPY OUT data is flowing.
    CopyOut,
    /// The server waits for our COPY IN data.
    CopyIn,
    /// The server refused COPY IN data mid-stream; what we still send is
    /// dropped by the server, and ReadyForQuery follows.
    CopyInAborted,
    /// Terminate sent, fatal error seen, or the socket closed.
    Closed,
}

impl State {
    fn describe(self) -> &'static str {
        match self {
            State::AwaitingSslResponse => "waiting for the answer to SSLRequest",
            State::AwaitingTls => "waiting for the TLS handshake",
            State::Authenticating => "authenticating",
            State::Starting => "starting up",
            State::Idle => "idle",
            State::Busy => "running a query",
            State::CopyOut => "receiving COPY data",
            State::CopyIn => "sending COPY data",
            State::CopyInAborted => "finishing an aborted COPY",
            State::Closed => "closed",
        }
    }
}

/// One PostgreSQL session, without any I/O.
///
/// The runtime writes whatever [`poll_transmit`](Self::poll_transmit)
/// returns, feeds what it reads to [`handle_input`](Self::handle_input) and
/// acts on [`poll_event`](Self::poll_event). Messages are parsed lazily in
/// `poll_event`, one at a time, so a runtime that reads only when no event
/// is left holds at most one message plus one read buffer in memory: that is
/// what keeps a COPY of any size flat.
///
/// ```
/// use std::time::{Duration, Instant};
/// use sequelae_core::config::{ConnectSettings, Environment};
/// use sequelae_core::wire::{Connection, Startup};
///
/// let env = Environment::new().with_os_user("alice");
/// let settings = ConnectSettings::resolve(Some("host=/tmp dbname=app sslmode=disable"), &env).unwrap();
/// let mut conn = Connection::new(Startup::from_settings(&settings, false, Instant::now()).unwrap());
/// let startup_packet = conn.poll_transmit().unwrap();
/// assert_eq!(&startup_packet[4..8], &[0, 3, 0, 0]); // protocol 3.0
/// ```
#[derive(Debug)]
pub struct Connection {
    state: State,
    input: BytesMut,
    output: BytesMut,
    events: VecDeque<Event>,
    startup: Startup,
    auth: AuthDebug,
    parameters: HashMap<String, String>,
    cancel: Option<CancelToken>,
    transaction: TransactionStatus,
    limits: Limits,
    /// The last FATAL the server sent, to explain a closed socket.
    last_fatal: Option<Box<ServerMessage>>,
    /// The server aborted the last COPY IN: COPY data the runtime still
    /// sends is dropped until the next query, as the server would drop it.
    copy_in_aborted: bool,
    /// The client-side bound on the running request, if any.
    query_deadline: Option<QueryDeadline>,
    /// The running request came through the extended protocol.
    extended: bool,
    /// An error found outside `poll_event`, reported by its next call.
    pending_error: Option<Error>,
    /// Values per row of the current result set, to refuse DataRows
    /// that do not match it.
    row_width: Option<usize>,
    /// The caller gave up on the running request: its events are
    /// discarded up to ReadyForQuery (see [`Connection::abandon`]).
    abandoned: bool,
    /// Whether the first byte of the server's first answer to the
    /// startup message was seen (and was one PostgreSQL can send).
    answered: bool,
}

/// A client-side deadline for requests.
#[derive(Debug, Clone, Copy)]
struct QueryDeadline {
    at: Instant,
    grace: Duration,
    cancel_sent: bool,
}

impl QueryDeadline {
    fn next(&self) -> Instant {
        if self.cancel_sent {
            self.at + self.grace
        } else {
            self.at
        }
    }
}

/// Authenticator wrapper so that `Connection` can derive Debug without
/// exposing credentials.
struct AuthDebug(Authenticator);

impl std::fmt::Debug for AuthDebug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("user", &self.0.user)
            .field("method", &self.0.method)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Starts a session: queues SSLRequest or StartupMessage.
    pub fn new(startup: Startup) -> Connection {
        let auth = Authenticator::new(
            startup.user.clone(),
            startup.password.as_ref().map(|p| p.expose().to_string()),
            startup.channel_binding,
        );
        let mut conn = Connection {
            state: State::Authenticating,
            input: BytesMut::new(),
            output: BytesMut::new(),
            events: VecDeque::new(),
            limits: startup.limits,
            startup,
            auth: AuthDebug(auth),
            parameters: HashMap::new(),
            cancel: None,
            transaction: TransactionStatus::Idle,
            last_fatal: None,
            copy_in_aborted: false,
            query_deadline: None,
            extended: false,
            pending_error: None,
            row_width: None,
            abandoned: false,
            answered: false,
        };
        match conn.startup.tls {
            TlsNegotiation::Disabled => conn.send_startup(),
            TlsNegotiation::Optional | TlsNegotiation::Required => {
                frontend::ssl_request(&mut conn.output);
                conn.state = State::AwaitingSslResponse;
            }
            // Direct TLS: the handshake is the first thing on the socket.
            TlsNegotiation::Direct => {
                conn.state = State::AwaitingTls;
                conn.events.push_back(Event::StartTls);
            }
        }
        conn
    }

    fn send_startup(&mut self) {
        let params = self.startup.parameters();
        let start = self.output.len();
        // Keys and values come from settings strings; a NUL in one is the
        // only failure. Nothing half-written may reach the server.
        if frontend::startup_message(params.iter().copied(), &mut self.output).is_err() {
            self.output.truncate(start);
            self.state = State::Closed;
            self.pending_error = Some(Error::NulInParameters);
            return;
        }
        self.state = State::Authenticating;
    }

    /// Feeds bytes read from the socket (after TLS decryption).
    pub fn handle_input(&mut self, data: &[u8]) {
        self.input.extend_from_slice(data);
    }

    /// Bytes to write to the socket, if any.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.output.is_empty() {
            None
        } else {
            Some(self.output.split().freeze())
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::AwaitingSslResponse
            | State::AwaitingTls
            | State::Authenticating
            | State::Starting => self.startup.deadline,
            State::Busy | State::CopyOut | State::CopyIn | State::CopyInAborted => {
                self.query_deadline.as_ref().map(QueryDeadline::next)
            }
            _ => None,
        }
    }

    /// Tells the machine what time it is. Fails the startup once the
    /// connect timeout has passed; for a query past its deadline, first
    /// asks the runtime to send a cancel request ([`Event::CancelNeeded`]),
    /// then, if the server still has not answered after the grace period,
    /// gives up on the session.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        let Some(deadline) = self.poll_timeout() else {
            return Ok(());
        };
        if now < deadline {
            return Ok(());
        }
        if let Some(query) = self.query_deadline.as_mut() {
            if !query.cancel_sent {
                query.cancel_sent = true;
                self.events.push_back(Event::CancelNeeded);
                return Ok(());
            }
            let waited = query.grace;
            self.state = State::Closed;
            return Err(Error::CancelIgnored {
                seconds: waited.as_secs_f64(),
            });
        }
        self.state = State::Closed;
        Err(Error::StartupTimeout {
            seconds: self
                .startup
                .connect_timeout
                .map(|t| t.as_secs())
                .unwrap_or_default(),
        })
    }

    /// Bounds the requests started from now on: past `deadline` the core
    /// asks for a cancel, and past `deadline + grace` it abandons the
    /// session. `None` removes the bound. The server-side
    /// `statement_timeout` is the first line of defence; this is the one
    /// that works when the server or the network does not answer.
    pub fn set_query_deadline(&mut self, deadline: Option<Instant>, grace: Duration) {
        self.query_deadline = deadline.map(|at| QueryDeadline {
            at,
            grace,
            cancel_sent: false,
        });
    }

    /// Call after the runtime finished the TLS handshake that
    /// [`Event::StartTls`] asked for. `channel_binding` is the
    /// tls-server-end-point hash of the server certificate, for
    /// SCRAM-SHA-256-PLUS (`None` when binding is disabled or impossible
    /// with this certificate).
    pub fn tls_established(&mut self, channel_binding: Option<Vec<u8>>) -> Result<(), Error> {
        if self.state != State::AwaitingTls {
            return Err(self.invalid("start TLS"));
        }
        self.auth.0.set_tls(channel_binding);
        self.send_startup();
        Ok(())
    }

    /// The socket reached end of file: explains why, with the server's last
    /// FATAL message if it sent one.
    pub fn handle_eof(&mut self) -> Error {
        self.state = State::Closed;
        Error::Closed {
            last_error: self.last_fatal.take(),
        }
    }

    /// Starts a simple query; `sql` may hold several statements.
    pub fn query(&mut self, sql: &str) -> Result<(), Error> {
        if self.state != State::Idle {
            return Err(self.invalid("start a query"));
        }
        if sql.contains('\0') {
            return Err(Error::NulInQuery);
        }
        frontend::query(sql, &mut self.output).map_err(|_| Error::NulInQuery)?;
        self.state = State::Busy;
        self.extended = false;
        self.rearm_deadline();
        self.copy_in_aborted = false;
        Ok(())
    }

    /// Starts exactly one statement through the extended query protocol
    /// (Parse, Bind, Describe, Execute, Sync, results in text). Unlike
    /// [`query`](Self::query), the server itself refuses a string holding
    /// several statements, which is what makes it the safe way to run SQL
    /// whose effects a caller must police statement by statement (read-only
    /// mode). The events are the same as for a simple query.
    pub fn query_single(&mut self, sql: &str) -> Result<(), Error> {
        if self.state != State::Idle {
            return Err(self.invalid("start a query"));
        }
        if sql.contains('\0') {
            return Err(Error::NulInQuery);
        }
        let encode = |out: &mut BytesMut| -> Result<(), std::io::Error> {
            frontend::parse("", sql, std::iter::empty(), out)?;
            frontend::bind(
                "",
                "",
                std::iter::empty(),
                std::iter::empty::<&[u8]>(),
                |_, _| Ok(postgres_protocol::IsNull::No),
                std::iter::empty(),
                out,
            )
            .map_err(|e| match e {
                frontend::BindError::Conversion(e) => std::io::Error::other(e.to_string()),
                frontend::BindError::Serialization(e) => e,
            })?;
            frontend::describe(b'P', "", out)?;
            frontend::execute("", 0, out)?;
            frontend::sync(out);
            Ok(())
        };
        let mut buf = BytesMut::new();
        encode(&mut buf).map_err(|_| Error::NulInQuery)?;
        self.output.extend_from_slice(&buf);
        self.state = State::Busy;
        self.extended = true;
        self.rearm_deadline();
        self.copy_in_aborted = false;
        Ok(())
    }

    /// A new request gets its own cancel if it too runs past the deadline.
    fn rearm_deadline(&mut self) {
        if let Some(deadline) = self.query_deadline.as_mut() {
            deadline.cancel_sent = false;
        }
    }

    /// Sends one chunk of COPY IN data. After the server aborted the COPY
    /// the chunk is dropped (the server would drop it too), so a runtime
    /// may keep streaming and learn of the error from the events.
    pub fn send_copy_data(&mut self, data: &[u8]) -> Result<(), Error> {
        match self.state {
            State::CopyIn => {
                frontend::CopyData::new(data)
                    .map_err(|e| Error::Malformed(e.to_string()))?
                    .write(&mut self.output);
                Ok(())
            }
            State::CopyInAborted => Ok(()),
            State::Idle if self.copy_in_aborted => Ok(()),
            _ => Err(self.invalid("send COPY data")),
        }
    }

    /// Ends COPY IN successfully.
    pub fn finish_copy_in(&mut self) -> Result<(), Error> {
        match self.state {
            State::CopyIn => {
                frontend::copy_done(&mut self.output);
                self.state = State::Busy;
                Ok(())
            }
            State::CopyInAborted => Ok(()),
            State::Idle if self.copy_in_aborted => Ok(()),
            _ => Err(self.invalid("finish COPY IN")),
        }
    }

    /// Aborts COPY IN; the server answers with an error quoting `reason`.
    pub fn fail_copy_in(&mut self, reason: &str) -> Result<(), Error> {
        match self.state {
            State::CopyIn => {
                let reason = reason.replace('\0', " ");
                frontend::copy_fail(&reason, &mut self.output)
                    .map_err(|e| Error::Malformed(e.to_string()))?;
                self.state = State::Busy;
                Ok(())
            }
            State::CopyInAborted => Ok(()),
            State::Idle if self.copy_in_aborted => Ok(()),
            _ => Err(self.invalid("abort COPY IN")),
        }
    }

    /// Gives up on the running request without waiting for it: from now
    /// on its events are discarded, a COPY FROM STDIN is failed, and only
    /// the ReadyForQuery that ends it (and a [`Event::CancelNeeded`] for a
    /// deadline) is still reported. Returns true when a request was
    /// running, so the runtime knows to read until that ReadyForQuery
    /// before sending the next one; false when the session was idle.
    ///
    /// # Errors
    ///
    /// When the COPY IN abort cannot be encoded.
    pub fn abandon(&mut self) -> Result<bool, Error> {
        match self.state {
            // Nothing to abandon: no request runs before startup ends.
            State::Closed
            | State::AwaitingSslResponse
            | State::AwaitingTls
            | State::Authenticating
            | State::Starting => return Ok(false),
            // Already over: what is still queued (its ReadyForQuery
            // among it) belongs to the abandoned request.
            State::Idle => {
                self.events.clear();
                return Ok(false);
            }
            State::CopyIn => self.fail_copy_in("request abandoned by the client")?,
            State::Busy | State::CopyOut | State::CopyInAborted => {}
        }
        self.abandoned = true;
        self.events
            .retain(|e| matches!(e, Event::Ready(_) | Event::CancelNeeded));
        Ok(true)
    }

    /// True while an abandoned request still has to reach its
    /// ReadyForQuery.
    pub fn is_abandoned(&self) -> bool {
        self.abandoned
    }

    /// True while the server expects COPY IN data.
    pub fn is_copy_in(&self) -> bool {
        self.state == State::CopyIn
    }

    /// True when the session can take a new query.
    pub fn is_idle(&self) -> bool {
        self.state == State::Idle
    }

    /// True once Terminate was sent or the session ended.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Queues Terminate: the polite end of a session.
    pub fn terminate(&mut self) {
        if !matches!(self.state, State::Closed | State::AwaitingSslResponse) {
            frontend::terminate(&mut self.output);
        }
        self.state = State::Closed;
    }

    /// The key for cancelling this session's queries (after startup).
    pub fn cancel_token(&self) -> Option<CancelToken> {
        self.cancel
    }

    /// A server parameter (`server_version`, `TimeZone`, ...).
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters.get(name).map(String::as_str)
    }

    /// `server_version_num`-style number derived from `server_version`
    /// (e.g. `15.18 (Debian ...)` gives 150018, `9.6.3` gives 90603).
    pub fn server_version_num(&self) -> Option<u32> {
        parse_server_version(self.parameter("server_version")?)
    }

    /// Transaction status from the last ReadyForQuery.
    pub fn transaction_status(&self) -> TransactionStatus {
        self.transaction
    }

    /// The user this session logs in as.
    pub fn user(&self) -> &str {
        &self.startup.user
    }

    /// The COPY OUT fast path: hands the data of every complete CopyData
    /// message already buffered to `sink`, in order, without making an
    /// event of each (a COPY sends one message per row, and an event per
    /// row costs more than the row). Stops at anything else, which
    /// [`poll_event`](Self::poll_event) then reads as usual, and after the
    /// first chunk `sink` refuses (returns false). Returns the bytes
    /// handed over, and whether `sink` refused one.
    pub fn take_copy_data(&mut self, sink: &mut dyn FnMut(&[u8]) -> bool) -> (u64, bool) {
        if self.state != State::CopyOut
            || self.abandoned
            || !self.events.is_empty()
            || self.pending_error.is_some()
        {
            return (0, false);
        }
        let (mut at, mut bytes, mut refused) = (0, 0u64, false);
        let input = &self.input[..];
        while let Some(header) = input.get(at..at + 5) {
            let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
            // Anything unusual is left to the careful path.
            if header[0] != b'd' || len < 4 || len > self.limits.message {
                break;
            }
            let Some(data) = input.get(at + 5..at + 1 + len) else {
                break;
            };
            at += 1 + len;
            bytes += data.len() as u64;
            if !sink(data) {
                refused = true;
                break;
            }
        }
        let _ = self.input.split_to(at);
        (bytes, refused)
    }

    /// The next event, parsing buffered input as needed. `Ok(None)` means
    /// more input is needed (or nothing is running).
    pub fn poll_event(&mut self) -> Result<Option<Event>, Error> {
        if let Some(error) = self.pending_error.take() {
            return Err(error);
        }
        loop {
            if let Some(event) = self.events.pop_front() {
                if !self.abandoned {
                    return Ok(Some(event));
                }
                match event {
                    Event::Ready(_) => {
                        self.abandoned = false;
                        return Ok(Some(event));
                    }
                    Event::CancelNeeded => return Ok(Some(event)),
                    Event::CopyInReady(_) => {
                        self.fail_copy_in("request abandoned by the client")?
                    }
                    _ => {}
                }
                continue;
            }
            match self.state {
                State::Closed => return Ok(None),
                State::AwaitingTls => return Ok(None),
                State::AwaitingSslResponse => {
                    if !self.ssl_response()? {
                        return Ok(None);
                    }
                }
                _ => match self.next_message()? {
                    Some(message) => {
                        // Whatever went wrong, the session cannot go on
                        // from the middle of a message it did not follow.
                        if let Err(e) = self.process(message) {
                            self.state = State::Closed;
                            return Err(e);
                        }
                    }
                    None => return Ok(None),
                },
            }
        }
    }

    /// Consumes the one-byte SSLRequest answer; false if none buffered yet.
    fn ssl_response(&mut self) -> Result<bool, Error> {
        let Some(&answer) = self.input.first() else {
            return Ok(false);
        };
        let _ = self.input.split_to(1);
        match answer {
            b'S' => {
                if !self.input.is_empty() {
                    self.state = State::Closed;
                    return Err(Error::UnencryptedDataAfterSslResponse);
                }
                self.state = State::AwaitingTls;
                self.events.push_back(Event::StartTls);
            }
            b'N' => {
                if self.startup.tls == TlsNegotiation::Required {
                    self.state = State::Closed;
                    return Err(Error::TlsRefused {
                        mode: self.startup.ssl_mode.to_string(),
                    });
                }
                // No injection check here: after a refusal the whole
                // session is clear text anyway.
                self.send_startup();
            }
            // An 'E' is an old server's refusal; anything else (an HTTP
            // server's 'H') is not PostgreSQL, said as for the startup.
            b'E' => {
                self.state = State::Closed;
                return Err(Error::Malformed(
                    "server answered SSLRequest with an error; PostgreSQL 7.0 and older are \
                     not supported"
                        .to_string(),
                ));
            }
            other => {
                self.state = State::Closed;
                return Err(Error::NotPostgres { byte: other });
            }
        }
        Ok(true)
    }

    /// Splits one complete message off the input, refusing oversized ones
    /// from the header alone, before any memory is reserved for them.
    fn next_message(&mut self) -> Result<Option<Message>, Error> {
        if !self.answered && self.state == State::Authenticating {
            // A server answers a startup message with an authentication
            // request, an error or a protocol negotiation. Anything else is
            // not PostgreSQL (an HTTP server says 'H'), and reading its
            // bytes as a length would only confuse the message.
            let Some(&first) = self.input.first() else {
                return Ok(None);
            };
            if !matches!(first, b'R' | b'E' | b'v') {
                return self.fail(Error::NotPostgres { byte: first });
            }
            self.answered = true;
        }
        if self.input.len() < 5 {
            return Ok(None);
        }
        let tag = self.input[0];
        let len = u32::from_be_bytes([self.input[1], self.input[2], self.input[3], self.input[4]])
            as usize;
        let limit = if matches!(self.state, State::Authenticating | State::Starting) {
            self.limits.startup_message
        } else {
            self.limits.message
        };
        if len < 4 {
            return self.fail(Error::Malformed(format!(
                "{} message declares length {len}, below the minimum of 4",
                tag_name(tag)
            )));
        }
        if len > limit {
            return self.fail(Error::MessageTooLong {
                kind: tag_name(tag),
                len,
                limit,
            });
        }
        if self.input.len() < len + 1 {
            return Ok(None);
        }
        match Message::parse(&mut self.input) {
            Ok(Some(message)) => Ok(Some(message)),
            Ok(None) => Ok(None),
            Err(e) => self.fail(Error::Malformed(format!("{} message: {e}", tag_name(tag)))),
        }
    }

    fn fail<T>(&mut self, error: Error) -> Result<T, Error> {
        self.state = State::Closed;
        Err(error)
    }

    fn invalid(&self, action: &'static str) -> Error {
        Error::InvalidState {
            action,
            state: self.state.describe(),
        }
    }

    fn unexpected(&mut self, message: &Message) -> Error {
        let state = self.state.describe();
        self.state = State::Closed;
        Error::UnexpectedMessage {
            message: message_name(message),
            state,
        }
    }

    fn process(&mut self, message: Message) -> Result<(), Error> {
        // Messages the server may send at any time after startup began.
        match message {
            Message::NoticeResponse(body) => {
                let notice = ServerMessage::from_fields(body.fields()).map_err(malformed)?;
                self.events.push_back(Event::Notice(Box::new(notice)));
                return Ok(());
            }
            Message::ParameterStatus(body) => {
                let name = body.name().map_err(malformed)?.to_string();
                let value = body.value().map_err(malformed)?.to_string();
                if !matches!(self.state, State::Authenticating | State::Starting) {
                    self.events.push_back(Event::ParameterChanged {
                        name: name.clone(),
                        value: value.clone(),
                    });
                }
                // A hostile server could invent names without end; real
                // servers report a few dozen.
                if self.parameters.len() < MAX_PARAMETERS || self.parameters.contains_key(&name) {
                    self.parameters.insert(name, value);
                }
                return Ok(());
            }
            Message::NotificationResponse(body) => {
                self.events.push_back(Event::Notification {
                    process_id: body.process_id(),
                    channel: body.channel().map_err(malformed)?.to_string(),
                    payload: body.message().map_err(malformed)?.to_string(),
                });
                return Ok(());
            }
            _ => {}
        }
        match self.state {
            State::Authenticating => self.process_auth(message),
            State::Starting => self.process_starting(message),
            State::Busy | State::CopyOut | State::CopyIn | State::CopyInAborted => {
                self.process_query(message)
            }
            State::Idle => match message {
                // A FATAL while idle (idle_session_timeout, admin shutdown)
                // explains the EOF that follows.
                Message::ErrorResponse(body) => {
                    let error = ServerMessage::from_fields(body.fields()).map_err(malformed)?;
                    if error.is_fatal() {
                        self.last_fatal = Some(Box::new(error.clone()));
                    }
                    self.events.push_back(Event::Error(Box::new(error)));
                    Ok(())
                }
                other => Err(self.unexpected(&other)),
            },
            State::AwaitingSslResponse | State::AwaitingTls | State::Closed => {
                Err(self.unexpected(&message))
            }
        }
    }

    fn process_auth(&mut self, message: Message) -> Result<(), Error> {
        let result = match message {
            Message::AuthenticationOk => {
                self.auth.0.check_complete()?;
                self.state = State::Starting;
                Ok(())
            }
            Message::AuthenticationCleartextPassword => self.auth.0.cleartext(&mut self.output),
            Message::AuthenticationMd5Password(body) => {
                self.auth.0.md5(body.salt(), &mut self.output)
            }
            Message::AuthenticationSasl(body) => {
                let mut names = Vec::new();
                let mut mechanisms = body.mechanisms();
                while let Some(m) = mechanisms.next().map_err(malformed)? {
                    names.push(m);
                }
                self.auth.0.sasl_start(names.into_iter(), &mut self.output)
            }
            Message::AuthenticationSaslContinue(body) => {
                self.auth.0.sasl_continue(body.data(), &mut self.output)
            }
            Message::AuthenticationSaslFinal(body) => self.auth.0.sasl_final(body.data()),
            Message::AuthenticationGss | Message::AuthenticationGssContinue(_) => self
                .auth
                .0
                .other("GSSAPI")
                .and_then(|()| Err(self.unsupported("GSSAPI"))),
            Message::AuthenticationSspi => self
                .auth
                .0
                .other("SSPI")
                .and_then(|()| Err(self.unsupported("SSPI"))),
            Message::AuthenticationKerberosV5 => Err(self.unsupported("Kerberos V5")),
            Message::AuthenticationScmCredential => Err(self.unsupported("SCM credential")),
            Message::ErrorResponse(body) => Err(self.rejected(body)?),
            other => Err(self.unexpected(&other)),
        };
        if result.is_err() {
            self.state = State::Closed;
        }
        result
    }

    fn process_starting(&mut self, message: Message) -> Result<(), Error> {
        match message {
            Message::BackendKeyData(body) => {
                self.cancel = Some(CancelToken {
                    process_id: body.process_id(),
                    secret_key: body.secret_key(),
                });
                Ok(())
            }
            Message::ReadyForQuery(body) => {
                self.ready(body.status())?;
                Ok(())
            }
            Message::ErrorResponse(body) => {
                let error = self.rejected(body)?;
                self.state = State::Closed;
                Err(error)
            }
            other => Err(self.unexpected(&other)),
        }
    }

    fn process_query(&mut self, message: Message) -> Result<(), Error> {
        let in_copy_out = self.state == State::CopyOut;
        let in_copy_in = matches!(self.state, State::CopyIn | State::CopyInAborted);
        match message {
            Message::CopyData(body) if in_copy_out => {
                self.events.push_back(Event::CopyData(body.into_bytes()));
            }
            Message::CopyDone if in_copy_out => {
                self.state = State::Busy;
                self.events.push_back(Event::CopyDone);
            }
            Message::ErrorResponse(body) => {
                let error = ServerMessage::from_fields(body.fields()).map_err(malformed)?;
                if error.is_fatal() {
                    self.last_fatal = Some(Box::new(error.clone()));
                }
                self.copy_in_aborted |= in_copy_in;
                self.state = if in_copy_in {
                    State::CopyInAborted
                } else {
                    State::Busy
                };
                self.events.push_back(Event::Error(Box::new(error)));
            }
            Message::ReadyForQuery(body) if !in_copy_out && self.state != State::CopyIn => {
                self.ready(body.status())?;
            }
            _ if in_copy_out || in_copy_in => return Err(self.unexpected(&message)),
            Message::RowDescription(body) => {
                let mut columns = Vec::new();
                let mut fields = body.fields();
                while let Some(f) = fields.next().map_err(malformed)? {
                    columns.push(Column {
                        name: f.name().to_string(),
                        table_oid: f.table_oid(),
                        column_id: f.column_id(),
                        type_oid: f.type_oid(),
                        type_size: f.type_size(),
                        type_modifier: f.type_modifier(),
                        format: f.format(),
                    });
                }
                self.row_width = Some(columns.len());
                self.events
                    .push_back(Event::RowDescription(RowDescription { columns }));
            }
            Message::DataRow(body) => {
                let mut ranges = Vec::new();
                let mut iter = body.ranges();
                while let Some(range) = iter.next().map_err(malformed)? {
                    ranges.push(range);
                }
                if self.row_width != Some(ranges.len()) {
                    return Err(Error::Malformed(format!(
                        "DataRow with {} values for a result of {} columns",
                        ranges.len(),
                        self.row_width.map_or("no".to_string(), |w| w.to_string())
                    )));
                }
                // Ranges index the DataRow buffer; the body Bytes is that buffer.
                let buffer = body.buffer_bytes().clone();
                self.events
                    .push_back(Event::DataRow(DataRow::new(buffer, ranges)));
            }
            Message::CommandComplete(body) => {
                self.row_width = None;
                let tag = body.tag().map_err(malformed)?.to_string();
                self.events
                    .push_back(Event::CommandComplete(CommandTag::new(tag)));
            }
            Message::EmptyQueryResponse => self.events.push_back(Event::EmptyQuery),
            Message::CopyOutResponse(body) => {
                self.state = State::CopyOut;
                self.events
                    .push_back(Event::CopyOutStart(copy_format(body.format())));
            }
            // Extended-protocol acknowledgements carry nothing to report.
            Message::ParseComplete | Message::BindComplete | Message::NoData if self.extended => {}
            Message::CopyInResponse(_) if self.extended => {
                // query_single cannot feed COPY data. The server ignored
                // the pipelined Sync while entering copy-in mode, so after
                // CopyFail it needs another to answer ReadyForQuery.
                frontend::copy_fail(
                    "COPY FROM STDIN cannot be fed to a statement sent on its own (extended protocol)",
                    &mut self.output,
                )
                .map_err(|e| Error::Malformed(e.to_string()))?;
                frontend::sync(&mut self.output);
                self.copy_in_aborted = true;
                self.state = State::CopyInAborted;
            }
            Message::CopyInResponse(body) => {
                self.state = State::CopyIn;
                self.events
                    .push_back(Event::CopyInReady(copy_format(body.format())));
            }
            other => return Err(self.unexpected(&other)),
        }
        Ok(())
    }

    fn ready(&mut self, status: u8) -> Result<(), Error> {
        self.transaction = match status {
            b'I' => TransactionStatus::Idle,
            b'T' => TransactionStatus::InTransaction,
            b'E' => TransactionStatus::Failed,
            other => {
                return self.fail(Error::Malformed(format!(
                    "ReadyForQuery with unknown transaction status 0x{other:02x}"
                )));
            }
        };
        // Once ready, the session may carry data messages of any legal size.
        self.state = State::Idle;
        self.events.push_back(Event::Ready(self.transaction));
        Ok(())
    }

    fn unsupported(&self, method: &'static str) -> Error {
        Error::UnsupportedAuth {
            user: self.auth.0.user.clone(),
            method,
        }
    }

    fn rejected(&mut self, body: backend::ErrorResponseBody) -> Result<Error, Error> {
        let error = ServerMessage::from_fields(body.fields()).map_err(malformed)?;
        Ok(Error::Rejected {
            error: Box::new(error),
            user: self.auth.0.user.clone(),
            method: self.auth.0.method,
        })
    }
}

fn copy_format(format: u8) -> CopyFormat {
    if format == 1 {
        CopyFormat::Binary
    } else {
        CopyFormat::Text
    }
}

fn malformed(e: std::io::Error) -> Error {
    Error::Malformed(e.to_string())
}

/// Parses `server_version` the way libpq derives `server_version_num`.
pub(crate) fn parse_server_version(version: &str) -> Option<u32> {
    let numeric: String = version
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let mut parts = numeric.split('.').filter(|p| !p.is_empty());
    let major: u32 = parts.next()?.parse().ok()?;
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    if major >= 10 {
        Some(major * 10000 + minor)
    } else {
        let patch: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        Some(major * 10000 + minor * 100 + patch)
    }
}

fn tag_name(tag: u8) -> &'static str {
    match tag {
        b'R' => "Authentication",
        b'K' => "BackendKeyData",
        b'C' => "CommandComplete",
        b'd' => "CopyData",
        b'c' => "CopyDone",
        b'G' => "CopyInResponse",
        b'H' => "CopyOutResponse",
        b'W' => "CopyBothResponse",
        b'D' => "DataRow",
        b'I' => "EmptyQueryResponse",
        b'E' => "ErrorResponse",
        b'N' => "NoticeResponse",
        b'A' => "NotificationResponse",
        b'S' => "ParameterStatus",
        b'Z' => "ReadyForQuery",
        b'T' => "RowDescription",
        _ => "unknown",
    }
}

fn message_name(message: &Message) -> &'static str {
    match message {
        Message::AuthenticationCleartextPassword
        | Message::AuthenticationGss
        | Message::AuthenticationKerberosV5
        | Message::AuthenticationMd5Password(_)
        | Message::AuthenticationOk
        | Message::AuthenticationScmCredential
        | Message::AuthenticationSspi
        | Message::AuthenticationGssContinue(_)
        | Message::AuthenticationSasl(_)
        | Message::AuthenticationSaslContinue(_)
        | Message::AuthenticationSaslFinal(_) => "an Authentication message",
        Message::BackendKeyData(_) => "BackendKeyData",
        Message::BindComplete => "BindComplete",
        Message::CloseComplete => "CloseComplete",
        Message::CommandComplete(_) => "CommandComplete",
        Message::CopyData(_) => "CopyData",
        Message::CopyDone => "CopyDone",
        Message::CopyInResponse(_) => "CopyInResponse",
        Message::CopyOutResponse(_) => "CopyOutResponse",
        Message::DataRow(_) => "DataRow",
        Message::EmptyQueryResponse => "EmptyQueryResponse",
        Message::ErrorResponse(_) => "ErrorResponse",
        Message::NoData => "NoData",
        Message::NoticeResponse(_) => "NoticeResponse",
        Message::NotificationResponse(_) => "NotificationResponse",
        Message::ParameterDescription(_) => "ParameterDescription",
        Message::ParameterStatus(_) => "ParameterStatus",
        Message::ParseComplete => "ParseComplete",
        Message::PortalSuspended => "PortalSuspended",
        Message::ReadyForQuery(_) => "ReadyForQuery",
        Message::RowDescription(_) => "RowDescription",
        _ => "an unknown message",
    }
}
