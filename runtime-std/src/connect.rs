//! `Client::connect`: the core's [`ConnectPlan`] executed with sockets and
//! files. Every decision (which file, which host next, what a failure
//! means, whether the session is the kind asked for) is the plan's.

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
    /// resolved); the process environment is not read.
    ///
    /// A host whose session is not what `target_session_attrs` asks for is
    /// closed and the next one tried (for `prefer-standby`, a second pass
    /// takes any host). Warnings about the password file are returned with
    /// the session ([`Client::warnings`]), or with the error when every
    /// host failed.
    pub fn connect(settings: &ConnectSettings) -> Result<Client, Error> {
        let mut plan = ConnectPlan::new(settings, true)?;
        let (mut socket, mut session) = (None, None::<Client>);
        loop {
            let now = Instant::now();
            match plan.next_step() {
                ConnectStep::StatPasswordFile(path) => plan.handle_password_file_stat(stat(path)),
                ConnectStep::ReadPasswordFile(path) => {
                    plan.handle_password_file_text(read_text(path))
                }
                ConnectStep::Open { endpoint, timeout } => match transport::open(endpoint, timeout)
                {
                    Ok(opened) => {
                        socket = Some(opened);
                        plan.handle_opened(now);
                    }
                    Err(source) => {
                        plan.handle_failure(Failure::Runtime(Error::connect(endpoint, source)))
                    }
                },
                ConnectStep::StatTlsFile(path) => plan.handle_tls_file_stat(tls_file_stat(path)),
                ConnectStep::Start {
                    startup,
                    endpoint,
                    tls,
                } => {
                    let transport = socket.take().ok_or_else(Error::off_plan)?;
                    match Client::start_with_tls(startup.clone(), transport, endpoint.clone(), tls)
                    {
                        Ok(client) => {
                            plan.handle_started(&|name| client.parameter(name).map(str::to_string));
                            session = Some(client);
                        }
                        Err(e) => plan.handle_failure(e.into()),
                    }
                }
                ConnectStep::Check(sql) => {
                    match session
                        .as_mut()
                        .ok_or_else(Error::off_plan)?
                        .simple_query(sql)
                    {
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
                    session.take().map(Client::close);
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
