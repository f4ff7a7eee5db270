//! The runtime conformance suite (see `sequelae_tests::conformance`) run
//! through runtime-smol's `Client`: the same scenarios, byte for byte, as
//! `conformance_std`, once under smol's executor and once under
//! futures-lite's `block_on` (the futures run on any executor).

use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::io::{AsyncRead, AsyncWrite};
use sequelae_core::config::{Endpoint, Host};
use sequelae_core::request::QueryItem;
use sequelae_core::wire::Startup;
use sequelae_smol::{Client, Error};
use sequelae_tests::conformance::{
    ReplayTransport, RuntimeUnderTest, SessionUnderTest, StepError, run_all,
};

/// How many reads in a row may find nothing before the client is judged
/// to wait for an answer it will never get (it did not send its request).
const PATIENCE: u32 = 10_000;

/// The replayed server, as an async socket: a read with nothing to give
/// yet is `Pending` (the client may be racing a read against a write).
struct Replayed {
    inner: ReplayTransport,
    idle_reads: u32,
}

impl AsyncRead for Replayed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.inner.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.idle_reads += 1;
                if self.idle_reads > PATIENCE {
                    self.inner.set_nonblocking(false);
                    let stuck = self.inner.read(buf);
                    return Poll::Ready(stuck);
                }
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            other => {
                self.idle_reads = 0;
                Poll::Ready(other)
            }
        }
    }
}

impl AsyncWrite for Replayed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.idle_reads = 0;
        Poll::Ready(self.inner.write(buf))
    }

    fn poll_flush(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.inner.flush())
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fn step_error(e: Error) -> StepError {
    StepError {
        sqlstate: e.db_error().map(|d| d.code.clone()),
        message: e.to_string(),
    }
}

/// Which executor drives the futures.
#[derive(Clone, Copy)]
enum Executor {
    Smol,
    FuturesLite,
}

impl Executor {
    fn block_on<T>(self, future: impl Future<Output = T>) -> T {
        match self {
            Executor::Smol => smol::block_on(future),
            Executor::FuturesLite => futures_lite::future::block_on(future),
        }
    }
}

struct Session(Client, Executor);

async fn collect(
    stream: Result<sequelae_smol::QueryStream<'_>, Error>,
) -> Vec<Result<QueryItem, StepError>> {
    let mut stream = match stream {
        Ok(stream) => stream,
        Err(e) => return vec![Err(step_error(e))],
    };
    let mut items = Vec::new();
    while let Some(item) = stream.next().await {
        items.push(item.map_err(step_error));
    }
    items
}

impl SessionUnderTest for Session {
    fn query(&mut self, sql: &str) -> Vec<Result<QueryItem, StepError>> {
        let client = &mut self.0;
        self.1
            .block_on(async { collect(client.query(sql).await).await })
    }

    fn query_single(&mut self, sql: &str) -> Vec<Result<QueryItem, StepError>> {
        let client = &mut self.0;
        self.1
            .block_on(async { collect(client.query_single(sql).await).await })
    }

    fn copy_in(&mut self, sql: &str, mut data: &[u8]) -> Result<u64, StepError> {
        self.1
            .block_on(self.0.copy_in(sql, &mut data))
            .map(|o| o.rows)
            .map_err(step_error)
    }

    fn copy_out(&mut self, sql: &str) -> Result<(u64, Vec<u8>), StepError> {
        let mut data = Vec::new();
        let outcome = self
            .1
            .block_on(self.0.copy_out(sql, &mut data))
            .map_err(step_error)?;
        Ok((outcome.rows, data))
    }

    fn close(self: Box<Self>) -> Result<(), StepError> {
        let Session(client, executor) = *self;
        executor.block_on(client.close()).map_err(step_error)
    }
}

impl RuntimeUnderTest for Executor {
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
        let mut inner = transport;
        inner.set_nonblocking(true);
        let transport = Box::new(Replayed {
            inner,
            idle_reads: 0,
        });
        self.block_on(Client::start(startup, transport, endpoint))
            .map(|c| Box::new(Session(c, *self)) as Box<dyn SessionUnderTest>)
            .map_err(step_error)
    }
}

#[test]
fn runtime_smol_replays_every_recorded_session_on_smol() {
    run_all(&Executor::Smol);
}

#[test]
fn runtime_smol_replays_every_recorded_session_on_futures_lite() {
    run_all(&Executor::FuturesLite);
}
