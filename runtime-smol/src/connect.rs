//! `Client::connect`: the core's [`ConnectPlan`] executed with async
//! sockets, files read off the executor's threads. Every decision (which
//! file, which host next, what a failure means, whether the session is the
//! kind asked for) is the plan's.

use std::time::Instant;

use sequelae_core::config::ConnectSettings;
use sequelae_core::connect::{ConnectPlan, ConnectStep, Failure};

use crate::client::Client;
use crate::error::Error;
use crate::tls::file_stat as tls_file_stat;
use crate::transport;
use sequelae_sys::environment::{read_text, stat};

impl Client {
    /// Connects as `psql` would: each host of the list in order, the
    /// password from the settings or else from the password file the
    /// settings name (`passfile`, else the `~/.pgpass` found when they were
    /// resolved), TLS as `sslmode` and the other settings ask; the process
    /// environment is not read.
    ///
    /// A host whose session is not what `target_session_attrs` asks for is
    /// closed and the next one tried. Warnings about the password file are
    /// returned with the session ([`Client::warnings`]), or with the error
    /// when every host failed.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), sequelae_smol::Error> {
    /// use sequelae_core::config::{ConnectSettings, Environment};
    /// let env = Environment::new().with_os_user("app");
    /// let settings = ConnectSettings::parse("host=localhost dbname=app sslmode=prefer", &env)?;
    /// let client = sequelae_smol::Client::connect(&settings).await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect(settings: &ConnectSettings) -> Result<Client, Error> {
        let mut plan = ConnectPlan::new(settings, true)?;
        let (mut socket, mut session) = (None, None::<Client>);
        loop {
            let now = Instant::now();
            match plan.next_step() {
                ConnectStep::StatPasswordFile(path) => {
                    let found = unblock_with(path, |p| stat(&p)).await;
                    plan.handle_password_file_stat(found);
                }
                ConnectStep::ReadPasswordFile(path) => {
                    let text = unblock_with(path, |p| read_text(&p)).await;
                    plan.handle_password_file_text(text);
                }
                ConnectStep::Open { endpoint, timeout } => {
                    match transport::open(endpoint, timeout).await {
                        Ok(opened) => {
                            socket = Some(opened);
                            plan.handle_opened(now);
                        }
                        Err(source) => {
                            plan.handle_failure(Failure::Runtime(Error::connect(endpoint, source)))
                        }
                    }
                }
                ConnectStep::StatTlsFile(path) => {
                    let found = unblock_with(path, |p| tls_file_stat(&p)).await;
                    plan.handle_tls_file_stat(found);
                }
                ConnectStep::Start {
                    startup,
                    endpoint,
                    tls,
                } => {
                    let transport = socket.take().ok_or_else(Error::off_plan)?;
                    let started =
                        Client::start_with_tls(startup.clone(), transport, endpoint.clone(), tls)
                            .await;
                    match started {
                        Ok(client) => {
                            plan.handle_started(&|name| client.parameter(name).map(str::to_string));
                            session = Some(client);
                        }
                        Err(e) => plan.handle_failure(e.into()),
                    }
                }
                ConnectStep::Check(sql) => {
                    let sql = sql.to_string();
                    let client = session.as_mut().ok_or_else(Error::off_plan)?;
                    match client.simple_query(&sql).await {
                        Ok(results) => {
                            plan.handle_check_answer(results.first().and_then(|r| r.rows.first()))
                        }
                        Err(e) => {
                            session = None;
                            plan.handle_failure(Failure::Runtime(e));
                        }
                    }
                }
                ConnectStep::Close => {
                    // Best effort: the session is given up either way.
                    if let Some(client) = session.take() {
                        let _ = client.close().await;
                    }
                    plan.handle_closed();
                }
                ConnectStep::Finished => break,
            }
        }
        let warnings = plan.finish()?.warnings;
        let mut client = session.ok_or_else(Error::off_plan)?;
        client.set_warnings(warnings);
        Ok(client)
    }
}

/// Runs a small file operation on `path` on blocking's thread pool.
async fn unblock_with<T: Send + 'static>(path: &str, work: fn(String) -> T) -> T {
    let path = path.to_string();
    blocking::unblock(move || work(path)).await
}
