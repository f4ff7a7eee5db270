//! The two runtimes behind one blocking face, so that one test body runs
//! on both: [`Std`] calls runtime-std's client, [`Smol`] drives
//! runtime-smol's futures to completion with `smol::block_on`. Bodies are
//! generic over [`Runtime`]; each test file instantiates them for both.

use std::io::{Read, Write};

use std::sync::atomic::AtomicBool;

use futures_lite::io::AssertAsync;
use sequelae_core::backup::{BackupReport, ProgressEvent};
use sequelae_core::client_error::ClientError as Error;
use sequelae_core::config::{ConnectSettings, Endpoint, Environment, PgPass};
use sequelae_core::request::{CopyOutcome, QueryItem, QueryResult};
use sequelae_core::schema::{SchemaError, SchemaInspection, SchemaReport, SchemaRequest};
use sequelae_core::wire::TransactionStatus;
use sequelae_smol::schema::SchemaFailure;
use sequelae_std::backup::BackupRequest as StdBackupRequest;

/// A runtime under test.
pub trait Runtime: 'static {
    /// Its session.
    type Client: TestClient;
    /// Its name, for messages.
    const NAME: &'static str;
    /// `Client::connect`.
    fn connect(settings: &ConnectSettings) -> Result<Self::Client, Error>;
    /// The runtime's `load_pgpass`.
    fn load_pgpass(settings: &ConnectSettings, env: &Environment) -> (Option<PgPass>, Vec<String>);
    /// The runtime's `read_service_file`.
    fn read_service_file(path: &str) -> Option<String>;
    /// The runtime's `backup::run` for `request` (made as runtime-std's:
    /// the async runtime's request has the same fields).
    fn backup(
        request: &StdBackupRequest,
        progress: &mut Progress,
        cancel: &AtomicBool,
    ) -> BackupReport;
}

/// A backup's progress callback.
pub type Progress<'a> = dyn FnMut(&ProgressEvent) + Send + 'a;

/// Which runtime takes a backup: a value, for tables of cases
/// (`#[values(Backups::Std, Backups::Smol)]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backups {
    /// runtime-std.
    Std,
    /// runtime-smol.
    Smol,
}

impl Backups {
    /// Runs the backup on this runtime, collecting its progress events.
    pub fn run(self, request: &StdBackupRequest) -> (BackupReport, Vec<ProgressEvent>) {
        let mut events = Vec::new();
        let cancel = AtomicBool::new(false);
        let report = self.run_with(request, &mut |e| events.push(e.clone()), &cancel);
        (report, events)
    }

    /// Runs a backup on this runtime that must succeed; returns the
    /// report and where the backup went.
    pub fn ok(self, request: &StdBackupRequest) -> (BackupReport, std::path::PathBuf) {
        let (report, _) = self.run(request);
        assert!(report.succeeded(), "{}: {report:#?}", self.name());
        let path = report
            .output_path
            .clone()
            .expect("a successful backup has a path");
        (report, path)
    }

    /// The runtime's crate name.
    pub fn name(self) -> &'static str {
        match self {
            Backups::Std => Std::NAME,
            Backups::Smol => Smol::NAME,
        }
    }

    /// Runs the backup on this runtime with this progress callback and
    /// cancel flag.
    pub fn run_with(
        self,
        request: &StdBackupRequest,
        progress: &mut Progress,
        cancel: &AtomicBool,
    ) -> BackupReport {
        match self {
            Backups::Std => Std::backup(request, progress, cancel),
            Backups::Smol => Smol::backup(request, progress, cancel),
        }
    }
}

/// Cancels a session's running query (its `CancelHandle::cancel`).
pub type Canceller = Box<dyn Fn() -> Result<(), Error> + Send>;

/// A session of a runtime, its calls made blocking.
pub trait TestClient: std::fmt::Debug + Send + Sized + 'static {
    /// `simple_query`.
    fn simple_query(&mut self, sql: &str) -> Result<Vec<QueryResult>, Error>;
    /// `query` (or `query_single` with `single`), streamed: at most
    /// `limit` items are taken, then the stream is dropped.
    fn stream(
        &mut self,
        sql: &str,
        single: bool,
        limit: Option<usize>,
    ) -> Result<Vec<Result<QueryItem, Error>>, Error>;
    /// `copy_out` into a writer.
    fn copy_out(&mut self, sql: &str, out: &mut (dyn Write + Send)) -> Result<CopyOutcome, Error>;
    /// `copy_in` from a reader.
    fn copy_in(&mut self, sql: &str, input: &mut (dyn Read + Send)) -> Result<CopyOutcome, Error>;
    /// `cancel_handle`, as a function.
    fn canceller(&self) -> Option<Canceller>;
    /// `backend_pid`.
    fn backend_pid(&self) -> Option<i32>;
    /// `server_version_num`.
    fn server_version_num(&self) -> Option<u32>;
    /// `transaction_status`.
    fn transaction_status(&self) -> TransactionStatus;
    /// `warnings`.
    fn warnings(&self) -> Vec<String>;
    /// `endpoint`.
    fn endpoint(&self) -> Endpoint;
    /// `close`.
    fn close(self) -> Result<(), Error>;
    /// The runtime's schema inspection: the core's [`SchemaInspection`]
    /// pumped over this session (a failure of the session panics).
    fn inspect_schema(&mut self, request: SchemaRequest) -> Result<SchemaReport, SchemaError>;
}

/// The blocking runtime.
#[derive(Debug)]
pub struct Std;

impl Runtime for Std {
    type Client = sequelae_std::Client;
    const NAME: &'static str = "runtime-std";

    fn connect(settings: &ConnectSettings) -> Result<Self::Client, Error> {
        sequelae_std::Client::connect(settings)
    }

    fn load_pgpass(settings: &ConnectSettings, env: &Environment) -> (Option<PgPass>, Vec<String>) {
        sequelae_std::load_pgpass(settings, env)
    }

    fn read_service_file(path: &str) -> Option<String> {
        sequelae_std::read_service_file(path)
    }

    fn backup(
        request: &StdBackupRequest,
        progress: &mut Progress,
        cancel: &AtomicBool,
    ) -> BackupReport {
        sequelae_std::backup::run(request, progress, cancel)
    }
}

impl TestClient for sequelae_std::Client {
    fn simple_query(&mut self, sql: &str) -> Result<Vec<QueryResult>, Error> {
        sequelae_std::Client::simple_query(self, sql)
    }

    fn stream(
        &mut self,
        sql: &str,
        single: bool,
        limit: Option<usize>,
    ) -> Result<Vec<Result<QueryItem, Error>>, Error> {
        let stream = if single {
            self.query_single(sql)?
        } else {
            self.query(sql)?
        };
        Ok(stream.take(limit.unwrap_or(usize::MAX)).collect())
    }

    fn copy_out(&mut self, sql: &str, out: &mut (dyn Write + Send)) -> Result<CopyOutcome, Error> {
        sequelae_std::Client::copy_out(self, sql, out)
    }

    fn copy_in(&mut self, sql: &str, input: &mut (dyn Read + Send)) -> Result<CopyOutcome, Error> {
        sequelae_std::Client::copy_in(self, sql, input)
    }

    fn canceller(&self) -> Option<Canceller> {
        let handle = self.cancel_handle()?;
        Some(Box::new(move || handle.cancel()))
    }

    fn backend_pid(&self) -> Option<i32> {
        sequelae_std::Client::backend_pid(self)
    }

    fn server_version_num(&self) -> Option<u32> {
        sequelae_std::Client::server_version_num(self)
    }

    fn transaction_status(&self) -> TransactionStatus {
        sequelae_std::Client::transaction_status(self)
    }

    fn warnings(&self) -> Vec<String> {
        sequelae_std::Client::warnings(self).to_vec()
    }

    fn endpoint(&self) -> Endpoint {
        sequelae_std::Client::endpoint(self).clone()
    }

    fn close(self) -> Result<(), Error> {
        sequelae_std::Client::close(self)
    }

    /// runtime-std has no inspection of its own (the CLI pumps it): the
    /// same loop here.
    fn inspect_schema(&mut self, request: SchemaRequest) -> Result<SchemaReport, SchemaError> {
        let mut inspection = SchemaInspection::new(request);
        while let Some(sql) = inspection.next_query() {
            match sequelae_std::Client::simple_query(self, &sql) {
                Ok(results) => {
                    let rows = results.first().map(|r| r.rows.as_slice()).unwrap_or(&[]);
                    inspection.handle_rows(rows)?;
                }
                Err(Error::Db(e)) => inspection.handle_error(&e.message)?,
                Err(e) => panic!("the session failed: {e}"),
            }
        }
        inspection.finish()
    }
}

/// The async runtime, driven by smol's executor.
#[derive(Debug)]
pub struct Smol;

impl Runtime for Smol {
    type Client = sequelae_smol::Client;
    const NAME: &'static str = "runtime-smol";

    fn connect(settings: &ConnectSettings) -> Result<Self::Client, Error> {
        smol::block_on(sequelae_smol::Client::connect(settings))
    }

    fn load_pgpass(settings: &ConnectSettings, env: &Environment) -> (Option<PgPass>, Vec<String>) {
        sequelae_smol::load_pgpass(settings, env)
    }

    fn read_service_file(path: &str) -> Option<String> {
        sequelae_smol::read_service_file(path)
    }

    fn backup(
        request: &StdBackupRequest,
        progress: &mut Progress,
        cancel: &AtomicBool,
    ) -> BackupReport {
        let request = sequelae_smol::backup::BackupRequest {
            options: request.options.clone(),
            settings: request.settings.clone(),
            env: request.env.clone(),
            cwd: request.cwd.clone(),
            started_at: request.started_at,
        };
        smol::block_on(sequelae_smol::backup::run(&request, progress, cancel))
    }
}

impl TestClient for sequelae_smol::Client {
    fn simple_query(&mut self, sql: &str) -> Result<Vec<QueryResult>, Error> {
        smol::block_on(sequelae_smol::Client::simple_query(self, sql))
    }

    fn stream(
        &mut self,
        sql: &str,
        single: bool,
        limit: Option<usize>,
    ) -> Result<Vec<Result<QueryItem, Error>>, Error> {
        smol::block_on(async {
            let mut stream = if single {
                self.query_single(sql).await?
            } else {
                self.query(sql).await?
            };
            let mut items = Vec::new();
            while items.len() < limit.unwrap_or(usize::MAX) {
                match stream.next().await {
                    Some(item) => items.push(item),
                    None => break,
                }
            }
            Ok(items)
        })
    }

    fn copy_out(&mut self, sql: &str, out: &mut (dyn Write + Send)) -> Result<CopyOutcome, Error> {
        smol::block_on(sequelae_smol::Client::copy_out(
            self,
            sql,
            &mut AssertAsync::new(out),
        ))
    }

    fn copy_in(&mut self, sql: &str, input: &mut (dyn Read + Send)) -> Result<CopyOutcome, Error> {
        smol::block_on(sequelae_smol::Client::copy_in(
            self,
            sql,
            &mut AssertAsync::new(input),
        ))
    }

    fn canceller(&self) -> Option<Canceller> {
        let handle = self.cancel_handle()?;
        Some(Box::new(move || smol::block_on(handle.cancel())))
    }

    fn backend_pid(&self) -> Option<i32> {
        sequelae_smol::Client::backend_pid(self)
    }

    fn server_version_num(&self) -> Option<u32> {
        sequelae_smol::Client::server_version_num(self)
    }

    fn transaction_status(&self) -> TransactionStatus {
        sequelae_smol::Client::transaction_status(self)
    }

    fn warnings(&self) -> Vec<String> {
        sequelae_smol::Client::warnings(self).to_vec()
    }

    fn endpoint(&self) -> Endpoint {
        sequelae_smol::Client::endpoint(self).clone()
    }

    fn close(self) -> Result<(), Error> {
        smol::block_on(sequelae_smol::Client::close(self))
    }

    fn inspect_schema(&mut self, request: SchemaRequest) -> Result<SchemaReport, SchemaError> {
        match smol::block_on(sequelae_smol::schema::inspect(self, request)) {
            Ok(report) => Ok(report),
            Err(SchemaFailure::Schema(e)) => Err(e),
            Err(SchemaFailure::Client(e)) => panic!("the session failed: {e}"),
        }
    }
}

/// Instantiates shared test bodies for one runtime: each name becomes a
/// `#[test]` calling `$module::name::<$runtime>()`.
///
/// ```ignore
/// mod smol { sequelae_tests::runtime_tests!(sequelae_tests::runtime::Smol, sequelae_tests::shared::query, [empty_query_is_reported]); }
/// ```
#[macro_export]
macro_rules! runtime_tests {
    ($runtime:ty, $($module:ident)::+, [$($name:ident),* $(,)?]) => {
        $(
            #[test]
            fn $name() {
                $($module)::+::$name::<$runtime>();
            }
        )*
    };
}
