//! The connect plan itself.

use std::time::{Duration, Instant};

use crate::config::{
    ConfigError, ConnectSettings, Endpoint, PgPass, SessionCheck, TargetSessionAttrs,
};
use crate::tls::{self, Attempt, TlsPolicy, TlsRequirements};
use crate::wire::{self, DataRow, Startup, TlsNegotiation};

use super::password_file::{FileStat, PasswordFileLoad, PasswordFileStep};

/// What the runtime must do next.
#[derive(Debug, Clone)]
pub enum ConnectStep<'a> {
    /// Stat the password file; answer with
    /// [`ConnectPlan::handle_password_file_stat`].
    StatPasswordFile(&'a str),
    /// Read the password file as text; answer with
    /// [`ConnectPlan::handle_password_file_text`].
    ReadPasswordFile(&'a str),
    /// Open a socket to `endpoint` (its `hostaddr` when given), each
    /// address bounded by `timeout`. Note the time before opening and
    /// answer with [`ConnectPlan::handle_opened`], or
    /// [`ConnectPlan::handle_failure`].
    Open {
        /// Where to.
        endpoint: &'a Endpoint,
        /// `connect_timeout`, per address.
        timeout: Option<Duration>,
    },
    /// Examine a certificate or key file the TLS policy names
    /// ([`crate::tls::FileStat`]); answer with
    /// [`ConnectPlan::handle_tls_file_stat`].
    StatTlsFile(&'a str),
    /// Run a [`Connection`](crate::wire::Connection) with this startup over the socket until it is
    /// ready; answer with [`ConnectPlan::handle_started`] or
    /// [`ConnectPlan::handle_failure`]. When the connection asks for TLS
    /// ([`Event::StartTls`](crate::wire::Event::StartTls): the server said
    /// `S`, or at once for direct TLS), run the handshake `tls` describes
    /// and call `Connection::tls_established`; a failed handshake is this
    /// attempt's failure.
    Start {
        /// What the session starts with (the password for this host, and
        /// whether to ask for TLS).
        startup: &'a Startup,
        /// The host the socket leads to.
        endpoint: &'a Endpoint,
        /// The handshake to run if TLS starts; `None` when this attempt
        /// never asks for TLS. An error (a missing root file...) is this
        /// attempt's failure once the server agrees to TLS: as in libpq,
        /// a server without TLS is reported as such first.
        tls: Option<&'a Result<TlsRequirements, tls::TlsError>>,
    },
    /// Run this query on the new session and answer with its first row
    /// ([`ConnectPlan::handle_check_answer`]), or
    /// [`ConnectPlan::handle_failure`].
    Check(&'static str),
    /// The session is not the kind asked for: terminate it, then
    /// [`ConnectPlan::handle_closed`].
    Close,
    /// Nothing left: [`ConnectPlan::finish`] says how it ended.
    Finished,
}

/// Why one attempt failed. `E` is the runtime's own error (a socket that
/// would not open, I/O that broke, a check query that failed), kept as the
/// runtime describes it.
#[derive(Debug)]
pub enum Failure<E> {
    /// The runtime failed: no socket, lost socket, failed check query.
    Runtime(E),
    /// The session could not start: refused by the server, not
    /// PostgreSQL, connect_timeout, a protocol error.
    Startup(wire::Error),
    /// The session started but is not the kind `target_session_attrs`
    /// asks for (libpq's words).
    WrongSession(&'static str),
}

impl<E> Failure<E> {
    /// Whether the next host is worth trying after this failure. Every
    /// failure of one server moves on, as sequelae always did (a host list
    /// is for servers that may be down or of the wrong kind); only a
    /// failure that every host would repeat, because it comes from the
    /// settings, stops the search.
    pub fn moves_on(&self) -> bool {
        match self {
            Failure::Startup(wire::Error::NulInParameters | wire::Error::TlsUnavailable { .. }) => {
                false
            }
            Failure::Startup(wire::Error::Tls(e)) => !e.is_setting(),
            _ => true,
        }
    }
}

/// One failed attempt.
#[derive(Debug)]
pub struct AttemptFailure<E> {
    /// The host tried.
    pub endpoint: Endpoint,
    /// What went wrong.
    pub failure: Failure<E>,
}

/// Every attempt failed (or none was possible).
#[derive(Debug)]
pub struct ConnectFailed<E> {
    /// Each attempt, in order; empty when there was no host to try.
    pub attempts: Vec<AttemptFailure<E>>,
    /// What was noticed on the way (an ignored password file) that may
    /// explain the failure.
    pub warnings: Vec<String>,
}

/// The session the plan settled on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connected {
    /// The host it is connected to.
    pub endpoint: Endpoint,
    /// What was noticed on the way (an ignored password file).
    pub warnings: Vec<String>,
}

#[derive(Debug)]
enum Stage {
    PasswordFile,
    TlsFiles,
    Open,
    Start(
        Box<Startup>,
        Option<Box<Result<TlsRequirements, tls::TlsError>>>,
    ),
    Check(&'static str),
    Close,
    Connected,
    Finished,
}

/// Connecting as psql does, as a plan the runtime pumps.
///
/// ```
/// use std::time::Instant;
/// use sequelae_core::config::{ConnectSettings, Environment};
/// use sequelae_core::connect::{ConnectPlan, ConnectStep};
///
/// let env = Environment::new().with_os_user("alice");
/// let settings = ConnectSettings::resolve(Some("host=a,b dbname=app sslmode=disable"), &env).unwrap();
/// let mut plan: ConnectPlan<String> = ConnectPlan::new(&settings, false).unwrap();
/// let ConnectStep::Open { endpoint, .. } = plan.next_step() else { panic!() };
/// assert_eq!(endpoint.host.as_str(), "a");
/// // The runtime fails to open "a" and reports it: the plan moves on to "b".
/// plan.handle_failure(sequelae_core::connect::Failure::Runtime("refused".into()));
/// let ConnectStep::Open { endpoint, .. } = plan.next_step() else { panic!() };
/// assert_eq!(endpoint.host.as_str(), "b");
/// plan.handle_opened(Instant::now());
/// assert!(matches!(plan.next_step(), ConnectStep::Start { .. }));
/// ```
///
/// The order: the password file (when no password is configured), the
/// certificate and key files the TLS policy names (when TLS may be used),
/// then for each pass of `target_session_attrs` (two for prefer-standby: a
/// standby anywhere, then any server) each host of the list in order, and
/// for each host the attempts its sslmode allows ([`TlsPolicy::attempts`]:
/// prefer tries TLS then the clear, allow the reverse, a Unix socket only
/// the clear): open, start (with the password for that host: the
/// configured one, else its `.pgpass` line), check the kind of session
/// (from the parameters the server reported, or by a query on older
/// servers), keep it or close it.
#[derive(Debug)]
pub struct ConnectPlan<E> {
    settings: ConnectSettings,
    runtime_has_tls: bool,
    policy: TlsPolicy,
    /// The files the policy names, and what the runtime found there.
    tls_files: Vec<(String, Option<tls::FileStat>)>,
    /// Index into the policy's attempts for the current host.
    attempt: usize,
    password_file: PasswordFileLoad,
    pgpass: Option<PgPass>,
    warnings: Vec<String>,
    /// Index into `target_session_attrs.passes()`.
    pass: usize,
    /// Index into `settings.endpoints`.
    host: usize,
    stage: Stage,
    failures: Vec<AttemptFailure<E>>,
}

impl<E> ConnectPlan<E> {
    /// Plans a connection with `settings`. `runtime_has_tls` says whether
    /// the runtime can run a TLS handshake.
    ///
    /// # Errors
    ///
    /// Settings this runtime cannot honour (an sslmode that demands TLS
    /// from a runtime without it), before any socket is opened.
    pub fn new(
        settings: &ConnectSettings,
        runtime_has_tls: bool,
    ) -> Result<ConnectPlan<E>, ConfigError> {
        settings.check_runtime(runtime_has_tls)?;
        let policy = TlsPolicy::new(settings, settings.tls, settings.home.as_deref())
            .map_err(ConfigError::Tls)?;
        let uses_tls = runtime_has_tls
            && settings
                .endpoints
                .iter()
                .any(|e| policy.attempts(e).iter().any(|a| *a != Attempt::Clear));
        let tls_files = if uses_tls {
            policy
                .files_to_examine()
                .into_iter()
                .map(|f| (f, None))
                .collect()
        } else {
            Vec::new()
        };
        let path = settings
            .password
            .is_none()
            .then(|| settings.password_file().map(str::to_string))
            .flatten();
        let mut plan = ConnectPlan {
            settings: settings.clone(),
            runtime_has_tls,
            policy,
            tls_files,
            attempt: 0,
            password_file: PasswordFileLoad::new(path),
            pgpass: None,
            warnings: Vec::new(),
            pass: 0,
            host: 0,
            stage: Stage::PasswordFile,
            failures: Vec::new(),
        };
        plan.after_password_file();
        Ok(plan)
    }

    /// What the runtime must do now.
    pub fn next_step(&self) -> ConnectStep<'_> {
        match &self.stage {
            Stage::PasswordFile => match self.password_file.next_step() {
                PasswordFileStep::Stat(path) => ConnectStep::StatPasswordFile(path),
                PasswordFileStep::Read(path) => ConnectStep::ReadPasswordFile(path),
                PasswordFileStep::Done => ConnectStep::Finished,
            },
            Stage::Open => match self.endpoint() {
                Some(endpoint) => ConnectStep::Open {
                    endpoint,
                    timeout: self.settings.connect_timeout,
                },
                None => ConnectStep::Finished,
            },
            Stage::TlsFiles => match self.tls_files.iter().find(|(_, stat)| stat.is_none()) {
                Some((path, _)) => ConnectStep::StatTlsFile(path),
                None => ConnectStep::Finished,
            },
            Stage::Start(startup, tls) => match self.endpoint() {
                Some(endpoint) => ConnectStep::Start {
                    startup,
                    endpoint,
                    tls: tls.as_deref(),
                },
                None => ConnectStep::Finished,
            },
            Stage::Check(sql) => ConnectStep::Check(sql),
            Stage::Close => ConnectStep::Close,
            Stage::Connected | Stage::Finished => ConnectStep::Finished,
        }
    }

    /// The password file's stat ([`ConnectStep::StatPasswordFile`]):
    /// `None` when nothing is there.
    pub fn handle_password_file_stat(&mut self, stat: Option<FileStat>) {
        self.password_file.handle_stat(stat);
        self.after_password_file();
    }

    /// The password file's text, or why it could not be read
    /// ([`ConnectStep::ReadPasswordFile`]).
    pub fn handle_password_file_text(&mut self, text: Result<String, String>) {
        self.password_file.handle_text(text);
        self.after_password_file();
    }

    /// What the runtime found at the file of [`ConnectStep::StatTlsFile`].
    pub fn handle_tls_file_stat(&mut self, stat: tls::FileStat) {
        if let Some(slot) = self.tls_files.iter_mut().find(|(_, s)| s.is_none()) {
            slot.1 = Some(stat);
        }
        if self.tls_files.iter().all(|(_, s)| s.is_some()) {
            self.stage = Stage::Open;
        }
    }

    /// The socket of [`ConnectStep::Open`] is open; `started` is when the
    /// runtime began opening it (connect_timeout counts from there).
    pub fn handle_opened(&mut self, started: Instant) {
        let Some(endpoint) = self.endpoint() else {
            return;
        };
        let attempt = self.current_attempt(endpoint);
        let tls = match attempt {
            Attempt::Clear => None,
            Attempt::SslRequest | Attempt::DirectTls => {
                let stat = |path: &str| {
                    self.tls_files
                        .iter()
                        .find(|(p, _)| p == path)
                        .and_then(|(_, s)| s.clone())
                        .unwrap_or(tls::FileStat::Missing)
                };
                Some(Box::new(self.policy.requirements(endpoint, &stat)))
            }
        };
        match Startup::from_settings(&self.settings, self.runtime_has_tls, started) {
            Ok(mut startup) => {
                startup.password = self.settings.password_for(endpoint, self.pgpass.as_ref());
                startup.tls = match attempt {
                    Attempt::Clear => TlsNegotiation::Disabled,
                    Attempt::DirectTls => TlsNegotiation::Direct,
                    Attempt::SslRequest if self.policy.on_refused().is_ok() => {
                        TlsNegotiation::Optional
                    }
                    Attempt::SslRequest => TlsNegotiation::Required,
                };
                self.stage = Stage::Start(Box::new(startup), tls);
            }
            Err(e) => self.handle_failure(Failure::Startup(e)),
        }
    }

    /// The session of [`ConnectStep::Start`] is ready; `parameter` looks
    /// up what it reported ([`Connection::parameter`](crate::wire::Connection::parameter)). Decides whether it
    /// is the kind asked for, or asks it.
    pub fn handle_started(&mut self, parameter: &dyn Fn(&str) -> Option<String>) {
        let verdict = self.wanted().check(parameter);
        self.apply(verdict);
    }

    /// The first row the query of [`ConnectStep::Check`] returned (none
    /// reads as "no").
    pub fn handle_check_answer(&mut self, row: Option<&DataRow>) {
        let answer = row.and_then(|row| row.get_str(0)).unwrap_or_default();
        let verdict = self.wanted().check_answer(answer);
        self.apply(verdict);
    }

    /// The session refused by [`ConnectStep::Close`] is closed.
    pub fn handle_closed(&mut self) {
        if matches!(self.stage, Stage::Close) {
            self.next_host();
        }
    }

    /// The current attempt failed: records it and moves on to the next
    /// host, unless the failure would repeat on every host.
    pub fn handle_failure(&mut self, failure: Failure<E>) {
        let Some(endpoint) = self.endpoint().cloned() else {
            return;
        };
        let moves_on = failure.moves_on();
        // A socket that would not open fails the host; anything later
        // (a handshake, the server's refusal) leaves the host's other
        // attempts: prefer then goes in the clear, allow tries TLS.
        let next_attempt = self.runtime_has_tls
            && !matches!(self.stage, Stage::Open)
            && self.attempt + 1 < self.policy.attempts(&endpoint).len();
        self.failures.push(AttemptFailure { endpoint, failure });
        if moves_on && next_attempt {
            self.attempt += 1;
            self.stage = Stage::Open;
        } else if moves_on {
            self.next_host();
        } else {
            self.stage = Stage::Finished;
        }
    }

    /// How it ended: the session kept, or every attempt's failure.
    ///
    /// # Errors
    ///
    /// [`ConnectFailed`] when no session was kept.
    pub fn finish(self) -> Result<Connected, ConnectFailed<E>> {
        let mut warnings = self.warnings;
        warnings.extend(self.password_file.finish().1);
        match (&self.stage, self.settings.endpoints.get(self.host)) {
            (Stage::Connected, Some(endpoint)) => Ok(Connected {
                endpoint: endpoint.clone(),
                warnings,
            }),
            _ => Err(ConnectFailed {
                attempts: self.failures,
                warnings,
            }),
        }
    }

    /// The attempt to make now on `endpoint`. A runtime without TLS only
    /// ever goes in the clear (its plan refused the modes that need TLS).
    fn current_attempt(&self, endpoint: &Endpoint) -> Attempt {
        if !self.runtime_has_tls {
            return Attempt::Clear;
        }
        let attempts = self.policy.attempts(endpoint);
        attempts
            .get(self.attempt)
            .or(attempts.last())
            .copied()
            .unwrap_or(Attempt::Clear)
    }

    fn after_password_file(&mut self) {
        if self.password_file.next_step() == PasswordFileStep::Done {
            let load = std::mem::replace(&mut self.password_file, PasswordFileLoad::new(None));
            let (file, warnings) = load.finish();
            self.pgpass = file;
            self.warnings.extend(warnings);
            self.stage = if self.tls_files.is_empty() {
                Stage::Open
            } else {
                Stage::TlsFiles
            };
        }
    }

    fn passes(&self) -> &'static [TargetSessionAttrs] {
        self.settings.target_session_attrs.passes()
    }

    fn wanted(&self) -> TargetSessionAttrs {
        self.passes()
            .get(self.pass)
            .copied()
            .unwrap_or(TargetSessionAttrs::Any)
    }

    fn endpoint(&self) -> Option<&Endpoint> {
        match self.stage {
            Stage::Finished => None,
            _ => self.settings.endpoints.get(self.host),
        }
    }

    fn apply(&mut self, verdict: SessionCheck) {
        self.stage = match verdict {
            SessionCheck::Accept => Stage::Connected,
            SessionCheck::Ask(sql) if !matches!(self.stage, Stage::Check(_)) => Stage::Check(sql),
            // An answer that still does not tell is taken as yes, as before.
            SessionCheck::Ask(_) => Stage::Connected,
            SessionCheck::Reject(reason) => {
                let Some(endpoint) = self.endpoint().cloned() else {
                    return;
                };
                self.failures.push(AttemptFailure {
                    endpoint,
                    failure: Failure::WrongSession(reason),
                });
                Stage::Close
            }
        };
    }

    /// The next host of this pass, else the first of the next pass, else
    /// the end.
    fn next_host(&mut self) {
        self.attempt = 0;
        self.host += 1;
        if self.host >= self.settings.endpoints.len() {
            self.host = 0;
            self.pass += 1;
        }
        self.stage = if self.pass < self.passes().len() {
            Stage::Open
        } else {
            Stage::Finished
        };
    }
}
