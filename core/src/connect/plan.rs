//! The connect plan itself.

use std::time::{Duration, Instant};

use crate::config::{
    ConfigError, ConnectSettings, Endpoint, PgPass, SessionCheck, SslMode, TargetSessionAttrs,
};
use crate::wire::{self, DataRow, Startup};

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
    /// Run a [`Connection`](crate::wire::Connection) with this startup over the socket until it is
    /// ready; answer with [`ConnectPlan::handle_started`] or
    /// [`ConnectPlan::handle_failure`]. If the connection asks for TLS
    /// ([`Event::StartTls`](crate::wire::Event::StartTls)), call
    /// [`ConnectPlan::handle_tls_offered`] and do the step that follows.
    Start {
        /// What the session starts with (the password for this host).
        startup: &'a Startup,
        /// The host the socket leads to.
        endpoint: &'a Endpoint,
    },
    /// The server agreed to TLS: run the handshake on this socket with
    /// these requirements, then `Connection::tls_established`, and go on
    /// with the startup of [`ConnectStep::Start`], reporting its end with
    /// [`ConnectPlan::handle_started`] or [`ConnectPlan::handle_failure`].
    /// (No runtime does TLS yet: the plan only asks for it when built with
    /// `runtime_has_tls`.)
    StartTls(TlsRequirements),
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

/// What a TLS handshake must establish; the runtime performs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsRequirements {
    /// The sslmode in force: how much to verify.
    pub ssl_mode: SslMode,
    /// The host name to present (SNI) and to verify the certificate
    /// against.
    pub server_name: String,
    /// CA certificates to trust (`sslrootcert`).
    pub root_cert: Option<String>,
    /// Client certificate and key files.
    pub client_cert: Option<(String, String)>,
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
        !matches!(
            self,
            Failure::Startup(wire::Error::NulInParameters | wire::Error::TlsUnavailable { .. })
        )
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
    Open,
    Start(Box<Startup>),
    Tls,
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
/// The order: the password file (when no password is configured), then
/// for each pass of `target_session_attrs` (two for prefer-standby: a
/// standby anywhere, then any server) each host of the list in order:
/// open, start (with the password for that host: the configured one, else
/// its `.pgpass` line), check the kind of session (from the parameters the
/// server reported, or by a query on older servers), keep it or close it.
#[derive(Debug)]
pub struct ConnectPlan<E> {
    settings: ConnectSettings,
    runtime_has_tls: bool,
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
        let path = settings
            .password
            .is_none()
            .then(|| settings.password_file().map(str::to_string))
            .flatten();
        let mut plan = ConnectPlan {
            settings: settings.clone(),
            runtime_has_tls,
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
            Stage::Start(startup) => match self.endpoint() {
                Some(endpoint) => ConnectStep::Start { startup, endpoint },
                None => ConnectStep::Finished,
            },
            Stage::Tls => ConnectStep::StartTls(self.tls_requirements()),
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

    /// The socket of [`ConnectStep::Open`] is open; `started` is when the
    /// runtime began opening it (connect_timeout counts from there).
    pub fn handle_opened(&mut self, started: Instant) {
        let Some(endpoint) = self.endpoint() else {
            return;
        };
        match Startup::from_settings(&self.settings, self.runtime_has_tls, started) {
            Ok(mut startup) => {
                startup.password = self.settings.password_for(endpoint, self.pgpass.as_ref());
                self.stage = Stage::Start(Box::new(startup));
            }
            Err(e) => self.handle_failure(Failure::Startup(e)),
        }
    }

    /// The server agreed to TLS during [`ConnectStep::Start`]: the next
    /// step is the handshake, or, for a runtime without TLS, this attempt
    /// fails.
    pub fn handle_tls_offered(&mut self) {
        if self.runtime_has_tls {
            self.stage = Stage::Tls;
        } else {
            self.handle_failure(Failure::Startup(wire::Error::TlsUnavailable {
                mode: self.settings.ssl_mode.to_string(),
            }));
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
        self.failures.push(AttemptFailure { endpoint, failure });
        if moves_on {
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

    /// Where the TLS handshake of the current attempt must lead.
    fn tls_requirements(&self) -> TlsRequirements {
        let s = &self.settings;
        TlsRequirements {
            ssl_mode: s.ssl_mode,
            server_name: self
                .endpoint()
                .map(|e| e.host.as_str().to_string())
                .unwrap_or_default(),
            root_cert: s.ssl_root_cert.clone(),
            client_cert: s.ssl_cert.clone().zip(s.ssl_key.clone()),
        }
    }

    fn after_password_file(&mut self) {
        if self.password_file.next_step() == PasswordFileStep::Done {
            let load = std::mem::replace(&mut self.password_file, PasswordFileLoad::new(None));
            let (file, warnings) = load.finish();
            self.pgpass = file;
            self.warnings.extend(warnings);
            self.stage = Stage::Open;
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
