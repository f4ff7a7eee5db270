//! The runtime conformance suite (see `sequelae_tests::conformance`) run
//! through runtime-std's `Client`.

use std::io;
use std::time::Duration;

use sequelae_core::config::{Endpoint, Host};
use sequelae_core::request::QueryItem;
use sequelae_core::wire::Startup;
use sequelae_std::{Client, Error, Transport};
use sequelae_tests::conformance::{
    ReplayTransport, RuntimeUnderTest, SessionUnderTest, StepError, run_all,
};

struct Std;

/// The replayed server, as runtime-std sees a socket.
struct Replayed(ReplayTransport);

impl io::Read for Replayed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl io::Write for Replayed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl Transport for Replayed {
    fn set_read_timeout(&mut self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
    fn set_nonblocking(&mut self, nonblocking: bool) -> io::Result<()> {
        self.0.set_nonblocking(nonblocking);
        Ok(())
    }
    fn set_write_timeout(&mut self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
}

fn step_error(e: Error) -> StepError {
    StepError {
        sqlstate: e.db_error().map(|d| d.code.clone()),
        message: e.to_string(),
    }
}

struct Session(Client);

impl SessionUnderTest for Session {
    fn query(&mut self, sql: &str) -> Vec<Result<QueryItem, StepError>> {
        match self.0.query(sql) {
            Ok(stream) => stream.map(|i| i.map_err(step_error)).collect(),
            Err(e) => vec![Err(step_error(e))],
        }
    }

    fn query_single(&mut self, sql: &str) -> Vec<Result<QueryItem, StepError>> {
        match self.0.query_single(sql) {
            Ok(stream) => stream.map(|i| i.map_err(step_error)).collect(),
            Err(e) => vec![Err(step_error(e))],
        }
    }

    fn copy_in(&mut self, sql: &str, mut data: &[u8]) -> Result<u64, StepError> {
        self.0
            .copy_in(sql, &mut data)
            .map(|o| o.rows)
            .map_err(step_error)
    }

    fn copy_out(&mut self, sql: &str) -> Result<(u64, Vec<u8>), StepError> {
        let mut data = Vec::new();
        let outcome = self.0.copy_out(sql, &mut data).map_err(step_error)?;
        Ok((outcome.rows, data))
    }

    fn close(self: Box<Self>) -> Result<(), StepError> {
        self.0.close().map_err(step_error)
    }
}

impl RuntimeUnderTest for Std {
    fn start(
        &self,
        startup: Startup,
        transport: ReplayTransport,
    ) -> Result<Box<dyn SessionUnderTest>, StepError> {
        let endpoint = Endpoint {
            host: Host::Tcp("replay".into()),
            hostaddr: None,
            port: 5432,
        };
        Client::start(startup, Box::new(Replayed(transport)), endpoint)
            .map(|c| Box::new(Session(c)) as Box<dyn SessionUnderTest>)
            .map_err(step_error)
    }
}

#[test]
fn runtime_std_replays_every_recorded_session() {
    run_all(&Std);
}
