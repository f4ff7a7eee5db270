//! `sequelae backup` on the blocking runtime: the I/O that the core's
//! backup plan asks for, in the order it asks (see
//! [`sequelae_core::backup`]). Every decision is the core's; this module
//! probes paths, connects, spawns pg_dump, pipes its standard error,
//! renames and removes.
//!
//! ```no_run
//! use std::sync::atomic::AtomicBool;
//! use sequelae_core::backup::{BackupFormat, BackupOptions};
//! use sequelae_std::backup::{BackupRequest, run};
//! # fn main() -> std::io::Result<()> {
//! let settings = sequelae_std::settings_from_env(None).expect("settings");
//! let options = BackupOptions { format: BackupFormat::Custom, ..BackupOptions::default() };
//! let report = run(&BackupRequest::from_process(options, settings)?, &mut |_| {}, &AtomicBool::new(false));
//! println!("{}", report.summary());
//! # Ok(()) }
//! ```

mod output;
mod pg_dump;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use sequelae_core::backup::{
    BackupError, BackupOptions, BackupReport, CATALOG_QUERY, Catalog, MethodChoice, MethodUsed,
    OutputDecision, OutputTarget, PgDumpInputs, PgDumpLocation, PgDumpPlan, PgDumpProblem,
    PgDumpStderr, ProgressEvent, Selection, native_unavailable,
};
use sequelae_core::config::{ConnectSettings, Endpoint, Environment};

use crate::client::Client;
use crate::environment::process_environment;
use output::{PublishError, TempOutput};
use pg_dump::{PrivateFile, RunEnd};

/// Most default names tried when each is taken (backups started in the
/// same second).
const NAME_ATTEMPTS: usize = 1000;

/// Everything one backup needs from its surroundings, passed in so that
/// tests can give any environment, directory and time.
#[derive(Debug, Clone)]
pub struct BackupRequest {
    /// What to back up, how, where.
    pub options: BackupOptions,
    /// Where the database is.
    pub settings: ConnectSettings,
    /// The environment: `PATH` (to find pg_dump), `SEQUELAE_PG_DUMP`,
    /// `TMPDIR`, `LC_ALL`. pg_dump itself inherits the process
    /// environment, changed as the plan says.
    pub env: Environment,
    /// Relative output paths and default names are taken from here.
    pub cwd: PathBuf,
    /// The time default names are made from.
    pub started_at: SystemTime,
}

impl BackupRequest {
    /// A request in this process's environment, working directory and time.
    ///
    /// # Errors
    ///
    /// When the working directory cannot be read.
    pub fn from_process(
        options: BackupOptions,
        settings: ConnectSettings,
    ) -> std::io::Result<BackupRequest> {
        Ok(BackupRequest {
            options,
            settings,
            env: process_environment(),
            cwd: std::env::current_dir()?,
            started_at: SystemTime::now(),
        })
    }
}

/// Takes the backup. `progress` gets pg_dump's progress as it happens;
/// raising `cancel` (from a Ctrl-C handler) stops pg_dump and removes
/// every temporary file. The report says what happened, failure included.
pub fn run(
    request: &BackupRequest,
    progress: &mut dyn FnMut(&ProgressEvent),
    cancel: &AtomicBool,
) -> BackupReport {
    let started = Instant::now();
    let mut report = BackupReport::new(request.options.format);
    if let Err(error) = Backup::new(request, &mut report, cancel).run(progress) {
        report.error = Some(error);
    }
    report.duration = started.elapsed();
    report
}

/// How often a wait on blocking work looks at the cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// What [`read_catalog_blocking`] hands back: the catalog, where it
/// connected, and the connection's warnings.
type CatalogRead = Result<(Catalog, Endpoint, Vec<String>), BackupError>;

/// Connects and runs [`CATALOG_QUERY`], blocking.
fn read_catalog_blocking(settings: &ConnectSettings) -> CatalogRead {
    let mut client = Client::connect(settings).map_err(|e| {
        if e.is_connect() {
            BackupError::Connect {
                message: e.to_string(),
            }
        } else {
            BackupError::Catalog {
                message: e.to_string(),
            }
        }
    })?;
    let warnings = client.warnings().to_vec();
    let endpoint = client.endpoint().clone();
    let results = client
        .simple_query(CATALOG_QUERY)
        .map_err(|e| BackupError::Catalog {
            message: e.to_string(),
        })?;
    let _ = client.close();
    let rows = |i: usize| results.get(i).map_or(&[][..], |r| &r.rows[..]);
    let catalog = Catalog::from_rows(rows(0), rows(1), rows(2))?;
    Ok((catalog, endpoint, warnings))
}

/// One backup in progress.
struct Backup<'a> {
    request: &'a BackupRequest,
    report: &'a mut BackupReport,
    cancel: &'a AtomicBool,
    pid: u32,
}

impl<'a> Backup<'a> {
    fn new(
        request: &'a BackupRequest,
        report: &'a mut BackupReport,
        cancel: &'a AtomicBool,
    ) -> Backup<'a> {
        Backup {
            request,
            report,
            cancel,
            pid: std::process::id(),
        }
    }

    fn check_cancel(&self) -> Result<(), BackupError> {
        if self.cancel.load(Ordering::SeqCst) {
            Err(BackupError::Interrupted)
        } else {
            Ok(())
        }
    }

    fn run(mut self, progress: &mut dyn FnMut(&ProgressEvent)) -> Result<(), BackupError> {
        let options = &self.request.options;
        options.check()?;
        if options.streams_to_stdout() {
            return self.run_to_stdout(progress);
        }
        let (mut target, replace) = self.choose_target()?;
        self.report.output_path = Some(target.path().to_path_buf());
        self.report.warnings.extend(target.name_warnings());
        let removed = output::remove_leftovers(&target.folder(), self.pid);
        self.report.warnings.extend(removed);
        let parent = sequelae_core::backup::passfile_parent(&self.request.env);
        let removed = output::remove_passfile_leftovers(&parent, self.pid);
        self.report.warnings.extend(removed);
        // Prove the folder writable before any work; the real temporary
        // output is made just before pg_dump starts, so that nothing is
        // left behind if the user gives up while we connect.
        TempOutput::create(&target, self.pid)?.discard();
        self.check_cancel()?;

        let (catalog, endpoint) = self.read_catalog()?;
        let selection = catalog.select(options)?;
        self.report.tables = Some(selection.table_count);
        self.check_cancel()?;

        let program = self.choose_pg_dump(&catalog)?;

        let temp = TempOutput::create(&target, self.pid)?;
        match self.run_pg_dump(&program, &selection, &endpoint, Some(temp.path()), progress)? {
            RunEnd::Done => {}
            // Only when streaming to stdout, which this is not.
            RunEnd::Interrupted | RunEnd::ReaderGone => return Err(BackupError::Interrupted),
            RunEnd::Failed(problem) => {
                temp.discard();
                return Err(self.pg_dump_failed(problem));
            }
        }
        self.check_cancel()?;

        let mut temp = temp;
        let mut attempts = 0;
        loop {
            attempts += 1;
            match temp.publish(&target, replace, self.pid) {
                Ok(()) => break,
                // Another backup took the name while this one ran: a
                // default name moves on, an explicit one fails.
                Err(PublishError::Taken) => match target.next_candidate() {
                    Some(next) if attempts < NAME_ATTEMPTS => target = next,
                    _ => {
                        return Err(BackupError::OutputTaken {
                            path: target.path().to_path_buf(),
                        });
                    }
                },
                Err(PublishError::Io(e)) => {
                    return Err(BackupError::Io {
                        context: format!(
                            "cannot publish the backup as {}",
                            target.path().display()
                        ),
                        reason: e.to_string(),
                    });
                }
            }
        }
        self.report.output_path = Some(target.path().to_path_buf());
        self.report.size = output::size_of(target.path()).ok();
        Ok(())
    }

    /// `--output -`: pg_dump writes to our standard output as it goes.
    /// Nothing to name, hold or publish; what was written before a failure
    /// stays written (the exit code says it is not a backup).
    fn run_to_stdout(
        mut self,
        progress: &mut dyn FnMut(&ProgressEvent),
    ) -> Result<(), BackupError> {
        let options = &self.request.options;
        self.report.output_path = Some(PathBuf::from("-"));
        let (catalog, endpoint) = self.read_catalog()?;
        let selection = catalog.select(options)?;
        self.report.tables = Some(selection.table_count);
        self.check_cancel()?;
        let program = self.choose_pg_dump(&catalog)?;
        let parent = sequelae_core::backup::passfile_parent(&self.request.env);
        let removed = output::remove_passfile_leftovers(&parent, self.pid);
        self.report.warnings.extend(removed);
        match self.run_pg_dump(&program, &selection, &endpoint, None, progress)? {
            RunEnd::Done => Ok(()),
            RunEnd::Interrupted => Err(BackupError::InterruptedMidStream),
            RunEnd::ReaderGone => Err(BackupError::ReaderGone),
            RunEnd::Failed(problem) => Err(self.pg_dump_failed(problem)),
        }
    }

    /// pg_dump and its version, or the reasons it is not used.
    fn choose_pg_dump(&mut self, catalog: &Catalog) -> Result<PathBuf, BackupError> {
        let options = &self.request.options;
        let found = options.method.uses_pg_dump().then(|| {
            pg_dump::find(
                &PgDumpLocation::from_options(options, &self.request.env),
                self.cancel,
            )
        });
        // An interrupted `pg_dump --version` is no reason to fall back.
        self.check_cancel()?;
        match MethodChoice::decide(options.method, found, catalog.server_version)? {
            MethodChoice::PgDump { program, version } => {
                self.report.method = Some(MethodUsed::PgDump {
                    version: version.text.clone(),
                    program: program.clone(),
                });
                Ok(program)
            }
            MethodChoice::Native { reasons } => Err(self.native(reasons)),
        }
    }

    /// pg_dump ran and failed: the report says so, with why.
    fn pg_dump_failed(&mut self, problem: PgDumpProblem) -> BackupError {
        match MethodChoice::after_failure(self.request.options.method, problem) {
            Ok(reasons) => {
                self.report.fallback_reasons = reasons.iter().map(ToString::to_string).collect();
                native_unavailable(reasons)
            }
            Err(e) => e,
        }
    }

    fn native(&mut self, reasons: Vec<PgDumpProblem>) -> BackupError {
        self.report.method = Some(MethodUsed::Native);
        self.report.fallback_reasons = reasons.iter().map(ToString::to_string).collect();
        native_unavailable(reasons)
    }

    /// The target and whether to replace what is there, moving on from
    /// taken default names.
    fn choose_target(&mut self) -> Result<(OutputTarget, bool), BackupError> {
        let r = self.request;
        let mut target = OutputTarget::choose(&r.options, &r.cwd, r.started_at);
        self.report.output_path = Some(target.path().to_path_buf());
        for _ in 0..NAME_ATTEMPTS {
            match target.decide(&output::probe(&target), r.options.force)? {
                OutputDecision::Write { replace } => return Ok((target, replace)),
                OutputDecision::TryNextName => match target.next_candidate() {
                    Some(next) => target = next,
                    None => break,
                },
            }
        }
        Err(BackupError::DefaultNamesTaken {
            path: target.path().to_path_buf(),
        })
    }

    /// Connects, reads the catalog, and says where it connected, while
    /// watching the cancel flag: a server that accepts and never answers
    /// must not make Ctrl-C wait for the connect timeout. The blocking
    /// work runs on its own thread; when the user interrupts, it is left
    /// to end on its own (its connection attempt times out or completes,
    /// reads the catalog and closes; nothing of it is used).
    fn read_catalog(&mut self) -> Result<(Catalog, Endpoint), BackupError> {
        let settings = self.request.settings.clone();
        let (tx, rx) = mpsc::channel();
        thread::Builder::new()
            .name("sequelae-backup-catalog".into())
            .spawn(move || {
                let _ = tx.send(read_catalog_blocking(&settings));
            })
            .map_err(|e| BackupError::Io {
                context: "cannot start the thread that reads the catalog".to_string(),
                reason: e.to_string(),
            })?;
        loop {
            self.check_cancel()?;
            match rx.recv_timeout(CANCEL_POLL) {
                Ok(read) => {
                    let (catalog, endpoint, warnings) = read?;
                    self.report.warnings.extend(warnings);
                    return Ok((catalog, endpoint));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(BackupError::Catalog {
                        message: "the thread that reads the catalog stopped unexpectedly"
                            .to_string(),
                    });
                }
            }
        }
    }

    fn run_pg_dump(
        &mut self,
        program: &std::path::Path,
        selection: &Selection,
        endpoint: &Endpoint,
        output: Option<&std::path::Path>,
        progress: &mut dyn FnMut(&ProgressEvent),
    ) -> Result<RunEnd, BackupError> {
        let r = self.request;
        let mut passfile = None;
        let mut plan = None;
        for attempt in 1..=100 {
            let (candidate, warnings) = PgDumpPlan::build(PgDumpInputs {
                program,
                options: &r.options,
                selection,
                settings: &r.settings,
                endpoint,
                output,
                env: &r.env,
                pid: self.pid,
                passfile_attempt: attempt,
            });
            if let Some(request) = &candidate.passfile {
                match PrivateFile::create(request) {
                    Ok(file) => passfile = Some(file),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                    Err(e) => {
                        return Err(BackupError::Io {
                            context: format!(
                                "cannot write the private password file {}",
                                request.path.display()
                            ),
                            reason: e.to_string(),
                        });
                    }
                }
            }
            self.report.warnings.extend(warnings);
            plan = Some(candidate);
            break;
        }
        let plan = plan.ok_or_else(|| BackupError::Io {
            context: "cannot make the private password directory".to_string(),
            reason: "100 names were all taken".to_string(),
        })?;
        let program_name = program
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut stderr = PgDumpStderr::new(selection.data_tables, &program_name, plan.secrets());
        let end = pg_dump::run(&plan, &mut stderr, progress, self.cancel, output.is_none());
        drop(passfile);
        self.report
            .warnings
            .extend(stderr.warnings().iter().cloned());
        Ok(end)
    }
}
