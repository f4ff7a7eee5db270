//! The order of a backup's work, as a sans-IO state machine that every
//! runtime pumps: [`BackupDriver::next_step`] says what to do,
//! a `handle_*` call gives the answer, [`BackupDriver::finish`] gives the
//! report. The runtime only touches files, sockets, processes and the
//! clock; every decision (which name, what to remove, which method, what
//! an exit status means, when to give up) is made here, so that the
//! blocking runtime and an async one behave alike.
//!
//! ```text
//! let mut driver = BackupDriver::new(job);
//! loop {
//!     if interrupted { driver.cancel(); }        // any time: cleanup follows
//!     match driver.next_step() {
//!         Step::ProbeOutput { folder, target } => driver.handle_probe(look(&folder, &target)),
//!         Step::RunPgDump { plan, .. } => { /* spawn; feed handle_stderr; */ driver.handle_pg_dump_exit(exit); }
//!         // ... one arm per step ...
//!         Step::Done => break,
//!     }
//! }
//! let report = driver.finish(elapsed);
//! ```
//!
//! The steps, writing a file (`--output -` skips everything about the
//! target: no probe, no temporary output, no publish):
//!
//! 1. probe the output, moving on from taken default names;
//! 2. list its folder and remove what killed runs left there, then the
//!    same for private password directories;
//! 3. create the temporary output and remove it again (the folder is
//!    writable before any work, and nothing is left if the user gives up
//!    while sequelae connects);
//! 4. connect, run [`CATALOG_QUERY`], disconnect;
//! 5. look for pg_dump, ask its version, choose the method;
//! 6. create the temporary output, write the private password file if the
//!    plan has one, run pg_dump (its standard error becomes progress);
//! 7. remove the password file; publish (moving on from a default name
//!    another backup took meanwhile); measure the result.
//!
//! A failure or [`BackupDriver::cancel`] at any point turns the rest into
//! cleanup: the temporary output and the password file, if they exist.
//!
//! The native method, after step 5 (checked first for what it cannot do
//! yet): create the temporary output (not when streaming), connect a
//! session for the dump, open the output (plain or gzip), pump
//! [`NativeDump`](super::native::NativeDump) (its queries on that
//! session, its bytes to the output, its COPYs streamed into the output),
//! close the output, disconnect, publish and measure as above.

use std::collections::VecDeque;
use std::mem;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::catalog::{CATALOG_QUERY, Catalog, Selection};
use super::error::{BackupError, PgDumpProblem};
use super::method::{MethodChoice, PgDumpLocation, native_unavailable, read_version};
use super::native_jobs::{ParallelCopy, Spools, WorkerAnswer};
use super::native_run::{NativeRun, check_native, gzip_level};
use super::options::BackupOptions;
use super::output::{
    OutputDecision, OutputProbe, OutputTarget, leftover_removed_warning, stale_leftovers,
    stale_passfile_dirs,
};
use super::pg_dump_plan::{PassfileRequest, PgDumpInputs, PgDumpPlan, passfile_parent};
use super::process::{
    CommandEnd, ProcessExit, SIGPIPE, Supervision, VERSION_TIMEOUT, is_executable,
};
use super::progress::{PgDumpStderr, ProgressEvent};
use super::publish::Publication;
use super::report::{BackupReport, MethodUsed};
use super::step::{FsFailure, OutputFailure, PublishEnd, Step};
use crate::config::{ConnectSettings, Endpoint, Environment};
use crate::wire::DataRow;

/// Most default names tried when each is taken (backups started in the
/// same second), when choosing and again when publishing.
const NAME_ATTEMPTS: usize = 1000;

/// Most temporary names, and private password directory names, tried
/// (another process of the same id left some behind).
const NAME_RETRIES: u32 = 100;

/// Everything one backup needs from its surroundings, passed in so that
/// any environment, directory, time and process id can be given.
#[derive(Debug, Clone)]
pub struct BackupJob {
    /// What to back up, how, where.
    pub options: BackupOptions,
    /// Where the database is.
    pub settings: ConnectSettings,
    /// The environment: `PATH` (to find pg_dump), `SEQUELAE_PG_DUMP`,
    /// `TMPDIR`, `LC_ALL`.
    pub env: Environment,
    /// Relative output paths and default names are taken from here.
    pub cwd: PathBuf,
    /// The time default names are made from.
    pub started_at: SystemTime,
    /// This process's id: it names the temporary files, and tells ours
    /// from those of killed runs.
    pub pid: u32,
}

/// Where the driver is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Start,
    Probe,
    ListLeftovers,
    ListPassfiles,
    ProveWritable,
    Connect,
    Query,
    Disconnect,
    FindProgram,
    AskVersion,
    CreateTemp,
    Passfile,
    RunPgDump,
    NativeConnect,
    OpenSink,
    NativeRun,
    CloseSink,
    NativeDisconnect,
    Publish,
    Measure,
    Done,
}

/// A backup in progress: see the module documentation.
#[derive(Debug)]
pub struct BackupDriver {
    job: BackupJob,
    report: BackupReport,
    stage: Stage,
    /// The backup goes to standard output.
    streaming: bool,
    target: Option<OutputTarget>,
    replace: bool,
    name_attempts: usize,
    /// The temporary output, while it exists and is ours.
    temp: Option<PathBuf>,
    temp_attempt: u32,
    /// Removals to do before anything else, with the process id of the
    /// killed run that left each (`None`: ours, removed silently).
    removals: VecDeque<(PathBuf, Option<u32>)>,
    /// The removal waiting for its answer.
    removing: Option<(PathBuf, Option<u32>)>,
    passfiles_listed: bool,
    publication: Option<Publication>,
    endpoint: Option<Endpoint>,
    catalog: Option<Catalog>,
    selection: Option<Selection>,
    candidates: VecDeque<PathBuf>,
    location: Option<PgDumpLocation>,
    program: Option<PathBuf>,
    plan: Option<PgDumpPlan>,
    passfile_attempt: u32,
    /// The warnings of the plan whose password file is being written.
    plan_warnings: Vec<String>,
    /// The password file and its directory, while they exist.
    passfile: Option<PassfileRequest>,
    stderr: Option<PgDumpStderr>,
    /// pg_dump has been started on standard output: what reached it is
    /// out of our hands.
    stream_started: bool,
    /// pg_dump was started and its exit has not come.
    running: bool,
    cancelled: bool,
    /// The native dump, once the method is native.
    native: Option<NativeRun>,
    /// The table data being copied by workers (`--jobs`).
    jobs: Option<ParallelCopy>,
    /// Workers to stop before anything is removed.
    stop_workers: bool,
    /// Progress not yet taken by the runtime.
    events: Vec<ProgressEvent>,
}

impl BackupDriver {
    /// A backup of `job`, not started.
    pub fn new(job: BackupJob) -> BackupDriver {
        let report = BackupReport::new(job.options.format);
        BackupDriver {
            streaming: job.options.streams_to_stdout(),
            job,
            report,
            stage: Stage::Start,
            target: None,
            replace: false,
            name_attempts: 0,
            temp: None,
            temp_attempt: 0,
            removals: VecDeque::new(),
            removing: None,
            passfiles_listed: false,
            publication: None,
            endpoint: None,
            catalog: None,
            selection: None,
            candidates: VecDeque::new(),
            location: None,
            program: None,
            plan: None,
            passfile_attempt: 0,
            plan_warnings: Vec::new(),
            passfile: None,
            stderr: None,
            stream_started: false,
            running: false,
            cancelled: false,
            native: None,
            jobs: None,
            stop_workers: false,
            events: Vec::new(),
        }
    }

    /// What to do next. Call it again after answering; [`Step::Done`]
    /// ends the backup.
    pub fn next_step(&mut self) -> Step {
        loop {
            if mem::take(&mut self.stop_workers) {
                return Step::StopWorkers;
            }
            if let Some(removal) = self.removals.pop_front() {
                let path = removal.0.clone();
                self.removing = Some(removal);
                return Step::Remove { path };
            }
            match self.stage {
                Stage::Start => self.start(),
                Stage::Probe => {
                    let target = self.target();
                    return Step::ProbeOutput {
                        folder: target.folder(),
                        target: target.path().to_path_buf(),
                    };
                }
                Stage::ListLeftovers => {
                    return Step::ListFolder {
                        folder: self.target().folder(),
                    };
                }
                Stage::ListPassfiles => {
                    return Step::ListFolder {
                        folder: passfile_parent(&self.job.env),
                    };
                }
                Stage::ProveWritable | Stage::CreateTemp => {
                    if self.temp_attempt >= NAME_RETRIES {
                        let folder = self.target().folder();
                        self.fail(BackupError::FolderNotWritable {
                            folder,
                            reason: format!("{NAME_RETRIES} temporary names were all taken"),
                        });
                        continue;
                    }
                    self.temp_attempt += 1;
                    let target = self.target();
                    return Step::CreatePrivate {
                        path: target.temp_path(self.job.pid, self.temp_attempt),
                        directory: target.is_directory(),
                    };
                }
                Stage::Connect => {
                    return Step::Connect {
                        settings: Box::new(self.job.settings.clone()),
                    };
                }
                Stage::Query => {
                    return Step::Query {
                        sql: CATALOG_QUERY.to_string(),
                    };
                }
                Stage::Disconnect => {
                    self.stage = Stage::FindProgram;
                    self.start_method();
                    return Step::Disconnect;
                }
                Stage::FindProgram => match self.candidates.front() {
                    Some(path) => {
                        return Step::InspectProgram { path: path.clone() };
                    }
                    None => {
                        let problem = match &self.location {
                            Some(location) => location.not_found(),
                            None => PgDumpProblem::NotFound {
                                detail: "nowhere to look".to_string(),
                            },
                        };
                        self.decide(Some(Err(problem)));
                    }
                },
                Stage::AskVersion => {
                    return Step::AskVersion {
                        program: self.program.clone().unwrap_or_default(),
                        timeout: VERSION_TIMEOUT,
                    };
                }
                Stage::Passfile => {
                    if let Some(step) = self.plan_pg_dump() {
                        return step;
                    }
                }
                Stage::RunPgDump => match self.plan.take() {
                    Some(plan) => {
                        self.running = true;
                        self.stream_started = self.streaming;
                        return Step::RunPgDump {
                            plan: Box::new(plan),
                            to_stdout: self.streaming,
                            supervision: Supervision::PG_DUMP,
                        };
                    }
                    None => self.fail(out_of_order("pg_dump without a plan")),
                },
                Stage::Publish => {
                    let target = self.target();
                    let temp = self.temp.clone().unwrap_or_default();
                    let replace = self.replace;
                    let pid = self.job.pid;
                    let publication = self.publication.get_or_insert_with(|| {
                        let directory = target.is_directory();
                        let asides = if directory && replace {
                            (1..=NAME_RETRIES)
                                .map(|n| target.aside_path(pid, n))
                                .collect()
                        } else {
                            Vec::new()
                        };
                        Publication::new(
                            temp,
                            target.path().to_path_buf(),
                            target.folder(),
                            directory,
                            replace,
                            asides,
                        )
                    });
                    match publication.next() {
                        Ok(step) => return step,
                        Err(end) => {
                            self.publication = None;
                            self.published(end);
                        }
                    }
                }
                Stage::NativeConnect => {
                    return Step::Connect {
                        settings: Box::new(self.job.settings.clone()),
                    };
                }
                Stage::OpenSink => {
                    self.stream_started = self.streaming;
                    return Step::OpenSink {
                        path: self.temp.clone(),
                        gzip_level: gzip_level(self.job.options.compression),
                    };
                }
                Stage::NativeRun => {
                    if let Some(step) = self.native_step() {
                        return step;
                    }
                }
                Stage::CloseSink => return Step::CloseSink,
                Stage::NativeDisconnect => {
                    self.stage = if self.streaming {
                        Stage::Done
                    } else {
                        Stage::Publish
                    };
                    return Step::Disconnect;
                }
                Stage::Measure => {
                    return Step::Measure {
                        path: self.target().path().to_path_buf(),
                    };
                }
                Stage::Done => return Step::Done,
            }
        }
    }

    /// Stops the backup: the next steps remove the temporary output and
    /// the password file, if they exist, and the report says the backup
    /// was interrupted. While pg_dump runs, call it once pg_dump is gone,
    /// before [`BackupDriver::handle_pg_dump_exit`]. A backup already
    /// published, or already ended, is left as it is.
    pub fn cancel(&mut self) {
        if self.cancelled || matches!(self.stage, Stage::Measure | Stage::Done) {
            return;
        }
        self.cancelled = true;
        if self.running || self.publication.is_some() {
            // The exit still comes and ends the backup; a publication
            // under way is finished (stopping it halfway could leave an
            // old backup moved aside), then the backup ends.
            return;
        }
        self.fail(self.interrupted());
    }

    /// Progress since the last call (the native method's tables), for the
    /// runtime to pass on.
    pub fn take_progress(&mut self) -> Vec<ProgressEvent> {
        mem::take(&mut self.events)
    }

    /// Answers [`Step::OpenSink`], [`Step::Write`] and [`Step::CloseSink`]:
    /// `Err` with what failed.
    pub fn handle_sink(&mut self, result: Result<(), OutputFailure>) {
        let doing = match self.stage {
            Stage::OpenSink => "cannot open the output",
            Stage::NativeRun => "cannot write the output",
            Stage::CloseSink => "cannot finish the output",
            _ => return,
        };
        if let Some(jobs) = &mut self.jobs {
            jobs.handle_appended(result.is_ok());
        }
        match result {
            Ok(()) => {}
            Err(OutputFailure::ReaderGone) => return self.fail(BackupError::ReaderGone),
            Err(OutputFailure::Other(reason)) => {
                return self.fail(BackupError::Io {
                    context: format!("{doing} {}", self.output_shown()),
                    reason,
                });
            }
        }
        match self.stage {
            Stage::OpenSink => self.stage = Stage::NativeRun,
            Stage::CloseSink => match self.native.take().map(NativeRun::finish) {
                Some(Ok((warnings, rows))) => {
                    self.report.warnings.extend(warnings);
                    self.report.rows = Some(rows);
                    self.stage = Stage::NativeDisconnect;
                }
                Some(Err(e)) => self.fail(e),
                None => self.fail(out_of_order("the output closed without a dump")),
            },
            _ => {}
        }
    }

    /// Answers [`Step::CopyOut`]: the rows and bytes copied, or what
    /// failed (the output's reader gone, or the server's or the output's
    /// words).
    pub fn handle_copied(&mut self, result: Result<(u64, u64), OutputFailure>) {
        if self.stage != Stage::NativeRun {
            return;
        }
        let Some(native) = &mut self.native else {
            return self.fail(out_of_order("a COPY without a dump"));
        };
        let outcome = match result {
            Ok((rows, bytes)) => native.copied(rows, bytes),
            Err(OutputFailure::ReaderGone) => Err(BackupError::ReaderGone),
            Err(OutputFailure::Other(message)) => Err(native.failed(&message)),
        };
        match outcome {
            Ok(event) => self.events.push(event),
            Err(e) => self.fail(e),
        }
    }

    /// Answers [`Step::AwaitWorker`]: worker `worker` finished its task.
    pub fn handle_worker(&mut self, worker: usize, answer: WorkerAnswer) {
        if let Some(jobs) = &mut self.jobs {
            jobs.handle_worker(worker, answer);
        }
    }

    /// The workers' next step (`--jobs`), or `None` when there is none
    /// (they are done, or failed).
    fn jobs_step(&mut self) -> Option<Step> {
        let jobs = self.jobs.as_mut()?;
        let step = jobs.next();
        self.events.extend(jobs.take_progress());
        if step.is_some() {
            return step;
        }
        if let Some(e) = jobs.take_error() {
            self.fail(e);
            return None;
        }
        let (tables, rows, bytes) = jobs.totals();
        self.jobs = None;
        if let Some(native) = &mut self.native {
            if let Err(e) = native.tables_copied(tables, rows, bytes) {
                self.fail(e);
            }
        }
        None
    }

    /// The native dump's next step, or `None` after a stage change.
    fn native_step(&mut self) -> Option<Step> {
        if self.jobs.is_some() {
            return self.jobs_step();
        }
        let server = self.catalog.as_ref().map(|c| c.server_version)?;
        let Some(native) = &mut self.native else {
            self.fail(out_of_order("the native dump without a plan"));
            return None;
        };
        if let Some((tables, snapshot)) = native.take_tables() {
            let spools = Spools {
                target: self.target(),
                pid: self.job.pid,
                first: NAME_RETRIES + 1,
            };
            self.jobs = Some(ParallelCopy::new(
                tables,
                self.job.options.jobs,
                &snapshot,
                server.0,
                gzip_level(self.job.options.compression),
                spools,
            ));
            return None;
        }
        match native.next(server) {
            Ok((Some(step), event)) => {
                self.events.extend(event);
                Some(step)
            }
            Ok((None, _)) => {
                if !native.has_tables() {
                    self.stage = Stage::CloseSink;
                }
                None
            }
            Err(e) => {
                self.fail(e);
                None
            }
        }
    }

    fn output_shown(&self) -> String {
        match &self.temp {
            Some(path) => path.display().to_string(),
            None => "(standard output)".to_string(),
        }
    }

    /// The report, once [`Step::Done`] came; `duration` is the time from
    /// start to end, which the runtime measures.
    pub fn finish(mut self, duration: Duration) -> BackupReport {
        self.report.duration = duration;
        self.report
    }

    /// Answers [`Step::ProbeOutput`].
    pub fn handle_probe(&mut self, probe: OutputProbe) {
        if self.stage != Stage::Probe {
            return;
        }
        let target = self.target();
        match target.decide(&probe, self.job.options.force) {
            Ok(OutputDecision::Write { replace }) => {
                self.replace = replace;
                let warnings = target.name_warnings();
                self.report.warnings.extend(warnings);
                self.stage = Stage::ListLeftovers;
            }
            Ok(OutputDecision::TryNextName) => self.next_name(false),
            Err(e) => self.fail(e),
        }
    }

    /// Answers [`Step::ListFolder`] with the folder's names; `alive` says
    /// whether a process id is (or may be) alive.
    pub fn handle_listing(&mut self, names: &[String], alive: &dyn Fn(u32) -> bool) {
        let names = names.iter().map(String::as_str);
        let (folder, stale) = match self.stage {
            Stage::ListLeftovers => {
                self.stage = Stage::ListPassfiles;
                let stale = stale_leftovers(names, self.job.pid, alive);
                (self.target().folder(), stale)
            }
            Stage::ListPassfiles => {
                self.passfiles_listed = true;
                self.stage = if self.streaming {
                    Stage::Passfile
                } else {
                    Stage::ProveWritable
                };
                let stale = stale_passfile_dirs(names, self.job.pid, alive);
                (passfile_parent(&self.job.env), stale)
            }
            _ => return,
        };
        self.removals.extend(
            stale
                .into_iter()
                .map(|(name, pid)| (folder.join(name), Some(pid))),
        );
    }

    /// Answers [`Step::Remove`]: whether the path is gone.
    pub fn handle_removed(&mut self, removed: bool) {
        if self.removing.is_none() {
            if let Some(publication) = &mut self.publication {
                publication.answer(if removed {
                    Ok(())
                } else {
                    Err(FsFailure::Other(String::new()))
                });
            }
            return;
        }
        if let Some((path, Some(pid))) = self.removing.take() {
            if removed {
                self.report
                    .warnings
                    .push(leftover_removed_warning(&path, pid));
            }
        }
    }

    /// Answers [`Step::CreatePrivate`], [`Step::HardLink`] and
    /// [`Step::Rename`].
    pub fn handle_fs(&mut self, created: Result<(), FsFailure>) {
        if let Some(publication) = &mut self.publication {
            publication.answer(created);
            return;
        }
        if !matches!(self.stage, Stage::ProveWritable | Stage::CreateTemp) {
            return;
        }
        let target = self.target();
        match created {
            Ok(()) => {
                let path = target.temp_path(self.job.pid, self.temp_attempt);
                self.temp_attempt = 0;
                if self.stage == Stage::ProveWritable {
                    // Proven; the real one is made just before pg_dump.
                    self.removals.push_back((path, None));
                    self.stage = Stage::Connect;
                } else {
                    self.temp = Some(path);
                    self.stage = if self.native.is_some() {
                        Stage::NativeConnect
                    } else {
                        Stage::Passfile
                    };
                }
            }
            Err(FsFailure::Exists) => {}
            Err(FsFailure::Missing(reason) | FsFailure::Other(reason)) => {
                self.fail(BackupError::FolderNotWritable {
                    folder: target.folder(),
                    reason,
                })
            }
        }
    }

    /// Answers [`Step::Exists`].
    pub fn handle_exists(&mut self, exists: bool) {
        if let Some(publication) = &mut self.publication {
            publication.answer(if exists {
                Ok(())
            } else {
                Err(FsFailure::Missing(String::new()))
            });
        }
    }

    /// Answers [`Step::Connect`]: where the session is, and its warnings
    /// (e.g. about the password file).
    pub fn handle_connected(&mut self, endpoint: Endpoint, warnings: Vec<String>) {
        if self.stage == Stage::NativeConnect {
            self.stage = Stage::OpenSink;
            return;
        }
        if self.stage != Stage::Connect {
            return;
        }
        self.report.warnings.extend(warnings);
        self.endpoint = Some(endpoint);
        self.stage = Stage::Query;
    }

    /// Answers [`Step::Connect`]: no session. `connecting` is false when a
    /// session was opened and failed afterwards.
    pub fn handle_connect_error(&mut self, message: String, connecting: bool) {
        if !matches!(self.stage, Stage::Connect | Stage::NativeConnect) {
            return;
        }
        self.fail(if connecting {
            BackupError::Connect { message }
        } else {
            BackupError::Catalog { message }
        });
    }

    /// Answers [`Step::Query`]: the rows of each statement, in order.
    pub fn handle_rows(&mut self, results: &[Vec<DataRow>]) {
        if let Some(jobs) = self
            .jobs
            .as_mut()
            .filter(|_| self.stage == Stage::NativeRun)
        {
            return jobs.handle_rows(results.last().map_or(&[][..], |r| &r[..]));
        }
        if self.stage == Stage::NativeRun {
            if let Some(Err(e)) = self.native.as_mut().map(|n| n.rows(results)) {
                self.fail(e);
            }
            return;
        }
        if self.stage != Stage::Query {
            return;
        }
        let rows = |i: usize| results.get(i).map_or(&[][..], |r| &r[..]);
        let read = Catalog::from_rows(rows(0), rows(1), rows(2)).and_then(|catalog| {
            let selection = catalog.select(&self.job.options)?;
            Ok((catalog, selection))
        });
        match read {
            Ok((catalog, selection)) => {
                self.report.tables = Some(selection.table_count);
                self.catalog = Some(catalog);
                self.selection = Some(selection);
                self.stage = Stage::Disconnect;
            }
            Err(e) => self.fail(e),
        }
    }

    /// Answers [`Step::Query`]: the query failed.
    pub fn handle_query_error(&mut self, message: String) {
        if let Some(jobs) = self
            .jobs
            .as_mut()
            .filter(|_| self.stage == Stage::NativeRun)
        {
            return jobs.handle_query_error(&message);
        }
        if self.stage == Stage::NativeRun {
            let error = match &mut self.native {
                Some(native) => native.failed(&message),
                None => BackupError::NativeDump {
                    message,
                    streamed: self.stream_started,
                },
            };
            return self.fail(error);
        }
        if self.stage == Stage::Query {
            self.fail(BackupError::Catalog { message });
        }
    }

    /// Answers [`Step::InspectProgram`]: the permission bits of a regular
    /// file, `None` when it is missing or something else.
    pub fn handle_program(&mut self, mode: Option<u32>) {
        if self.stage != Stage::FindProgram {
            return;
        }
        let candidate = self.candidates.pop_front();
        if is_executable(mode) {
            self.program = candidate;
            self.stage = Stage::AskVersion;
        }
    }

    /// Answers [`Step::AskVersion`].
    pub fn handle_version(&mut self, end: CommandEnd) {
        if self.stage != Stage::AskVersion {
            return;
        }
        let outcome = match end {
            CommandEnd::Exited { exit, stdout, .. } if exit.success() => Ok(stdout),
            CommandEnd::Exited { exit, stderr, .. } => {
                Err(format!("{}: {}", exit.describe(), stderr.trim()))
            }
            CommandEnd::NotStarted(reason) => Err(reason),
            CommandEnd::TimedOut => Err(format!("no answer in {} s", VERSION_TIMEOUT.as_secs())),
        };
        let program = self.program.clone().unwrap_or_default();
        let found = read_version(&program, outcome).map(|version| (program, version));
        self.decide(Some(found));
    }

    /// Answers [`Step::WritePassfile`].
    pub fn handle_passfile(&mut self, written: Result<(), FsFailure>) {
        if self.stage != Stage::Passfile {
            return;
        }
        let Some(plan) = &self.plan else { return };
        let Some(request) = plan.passfile.clone() else {
            return;
        };
        match written {
            Ok(()) => {
                self.passfile = Some(request);
                let warnings = mem::take(&mut self.plan_warnings);
                self.report.warnings.extend(warnings);
                self.stage = Stage::RunPgDump;
            }
            Err(FsFailure::Exists) => {
                // The directory name is taken (planted or left over);
                // anything we made is not there. Plan again, another name.
                self.plan = None;
            }
            Err(FsFailure::Missing(reason) | FsFailure::Other(reason)) => {
                // A half-made directory is ours: remove it.
                self.removals.push_back((request.path.clone(), None));
                self.removals.push_back((request.dir.clone(), None));
                self.fail(BackupError::Io {
                    context: format!(
                        "cannot write the private password file {}",
                        request.path.display()
                    ),
                    reason,
                });
            }
        }
    }

    /// Feeds what pg_dump wrote on standard error; returns the progress it
    /// shows.
    pub fn handle_stderr(&mut self, bytes: &[u8]) -> Vec<ProgressEvent> {
        match &mut self.stderr {
            Some(stderr) if self.running => stderr.feed(bytes),
            _ => Vec::new(),
        }
    }

    /// Answers [`Step::RunPgDump`]: how pg_dump ended (`Err`: it could not
    /// be started, the system's reason). Returns the last progress.
    pub fn handle_pg_dump_exit(&mut self, exit: Result<ProcessExit, String>) -> Vec<ProgressEvent> {
        if !self.running {
            return Vec::new();
        }
        self.running = false;
        let mut stderr = self.stderr.take();
        let events = stderr
            .as_mut()
            .map(PgDumpStderr::finish)
            .unwrap_or_default();
        if let Some(stderr) = &stderr {
            self.report
                .warnings
                .extend(stderr.warnings().iter().cloned());
        }
        self.remove_passfile();
        if self.cancelled {
            self.fail(self.interrupted());
            return events;
        }
        let error_text = || {
            stderr
                .as_ref()
                .map(PgDumpStderr::error_text)
                .unwrap_or_default()
        };
        let problem = match exit {
            Ok(exit) if exit.success() => {
                self.stage = if self.streaming {
                    Stage::Done
                } else {
                    Stage::Publish
                };
                return events;
            }
            Ok(ProcessExit::Signal(SIGPIPE)) if self.streaming => {
                self.fail(BackupError::ReaderGone);
                return events;
            }
            Ok(exit) => PgDumpProblem::Failed {
                status: exit.describe(),
                message: error_text(),
            },
            Err(reason) => PgDumpProblem::NotRunnable {
                program: self.plan_program(),
                reason: format!("cannot start it: {reason}"),
            },
        };
        let error = match MethodChoice::after_failure(self.job.options.method, problem) {
            Ok(reasons) => {
                self.report.fallback_reasons = reasons.iter().map(ToString::to_string).collect();
                if self.stream_started {
                    // pg_dump may have written to standard output already.
                    native_unavailable(reasons)
                } else {
                    self.start_native();
                    return events;
                }
            }
            Err(e) => e,
        };
        self.fail(error);
        events
    }

    /// How the publication ended.
    fn published(&mut self, end: PublishEnd) {
        if self.cancelled && end != PublishEnd::Published {
            self.fail(BackupError::Interrupted);
            return;
        }
        match end {
            PublishEnd::Published => {
                self.temp = None;
                self.report.output_path = Some(self.target().path().to_path_buf());
                self.stage = Stage::Measure;
            }
            // Another backup took the name while this one ran: a default
            // name moves on, an explicit one fails.
            PublishEnd::Taken => self.next_name(true),
            PublishEnd::Failed(reason) => {
                let context = format!(
                    "cannot publish the backup as {}",
                    self.target().path().display()
                );
                self.fail(BackupError::Io { context, reason });
            }
        }
    }

    /// Answers [`Step::Measure`]: the size, if it could be read.
    pub fn handle_size(&mut self, size: Option<u64>) {
        if self.stage == Stage::Measure {
            self.report.size = size;
            self.stage = Stage::Done;
        }
    }

    fn start(&mut self) {
        if let Err(e) = self.job.options.check() {
            self.fail(e);
            return;
        }
        if self.streaming {
            self.report.output_path = Some(PathBuf::from("-"));
            self.stage = Stage::Connect;
            return;
        }
        let target = OutputTarget::choose(&self.job.options, &self.job.cwd, self.job.started_at);
        self.report.output_path = Some(target.path().to_path_buf());
        self.target = Some(target);
        self.stage = Stage::Probe;
    }

    /// The current target; only asked for in stages that have one.
    fn target(&self) -> OutputTarget {
        self.target.clone().unwrap_or_else(|| {
            OutputTarget::choose(&self.job.options, &self.job.cwd, self.job.started_at)
        })
    }

    /// The next default name, after the current one was taken (while
    /// choosing, or when `publishing`).
    fn next_name(&mut self, publishing: bool) {
        self.name_attempts += 1;
        let target = self.target();
        match target.next_candidate() {
            Some(next) if self.name_attempts < NAME_ATTEMPTS => {
                self.report.output_path = Some(next.path().to_path_buf());
                self.target = Some(next);
            }
            _ => {
                let path = target.path().to_path_buf();
                self.fail(if publishing {
                    BackupError::OutputTaken { path }
                } else {
                    BackupError::DefaultNamesTaken { path }
                });
            }
        }
    }

    /// Where to look for pg_dump, or the choice without it.
    fn start_method(&mut self) {
        let options = &self.job.options;
        if let Some(reason) = MethodChoice::parallel_plain(options) {
            self.report.fallback_reasons = vec![reason.to_string()];
            return self.start_native();
        }
        if options.method.uses_pg_dump() {
            let location = PgDumpLocation::from_options(options, &self.job.env);
            self.candidates = location.candidates().into();
            self.location = Some(location);
        } else {
            self.decide(None);
        }
    }

    fn decide(
        &mut self,
        found: Option<Result<(PathBuf, super::version::PgDumpVersion), PgDumpProblem>>,
    ) {
        let server = match &self.catalog {
            Some(catalog) => catalog.server_version,
            None => return self.fail(out_of_order("the method chosen without a catalog")),
        };
        match MethodChoice::decide(self.job.options.method, found, server) {
            Ok(MethodChoice::PgDump { program, version }) => {
                self.report.method = Some(MethodUsed::PgDump {
                    version: version.text.clone(),
                    program: program.clone(),
                });
                self.program = Some(program);
                self.stage = if self.streaming {
                    if self.passfiles_listed {
                        Stage::Passfile
                    } else {
                        Stage::ListPassfiles
                    }
                } else {
                    Stage::CreateTemp
                };
            }
            Ok(MethodChoice::Native { reasons }) => {
                self.report.fallback_reasons = reasons.iter().map(ToString::to_string).collect();
                self.start_native();
            }
            Err(e) => self.fail(e),
        }
    }

    /// The native method takes over (chosen, or after pg_dump failed
    /// before writing): checked for what it cannot do, then its own steps.
    fn start_native(&mut self) {
        self.report.method = Some(MethodUsed::Native);
        let (Some(catalog), Some(selection)) = (&self.catalog, &self.selection) else {
            return self.fail(out_of_order("the native method without a catalog"));
        };
        let server = catalog.server_version;
        let run = check_native(&self.job.options, server)
            .and_then(|()| NativeRun::new(&self.job.options, server, selection));
        match run {
            Ok(run) => {
                self.native = Some(run);
                // After a failed pg_dump its temporary output is ours
                // still, and is written over.
                self.stage = if self.streaming || self.temp.is_some() {
                    Stage::NativeConnect
                } else {
                    Stage::CreateTemp
                };
            }
            Err(e) => self.fail(e),
        }
    }

    /// Plans the pg_dump run (again after a password file name was
    /// taken); the step that writes its password file, or `None` to go
    /// on.
    fn plan_pg_dump(&mut self) -> Option<Step> {
        if self.plan.is_none() {
            if self.passfile_attempt >= NAME_RETRIES {
                self.fail(BackupError::Io {
                    context: "cannot make the private password directory".to_string(),
                    reason: format!("{NAME_RETRIES} names were all taken"),
                });
                return None;
            }
            self.passfile_attempt += 1;
            let (Some(program), Some(selection), Some(endpoint)) =
                (&self.program, &self.selection, &self.endpoint)
            else {
                self.fail(out_of_order("pg_dump planned without a catalog"));
                return None;
            };
            let (plan, warnings) = PgDumpPlan::build(PgDumpInputs {
                program,
                options: &self.job.options,
                selection,
                settings: &self.job.settings,
                endpoint,
                output: self.temp.as_deref(),
                env: &self.job.env,
                pid: self.job.pid,
                passfile_attempt: self.passfile_attempt,
            });
            let program_name = program
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            self.stderr = Some(PgDumpStderr::new(
                selection.data_tables,
                &program_name,
                plan.secrets(),
            ));
            let request = plan.passfile.clone();
            self.plan = Some(plan);
            if let Some(request) = request {
                // Warnings of a plan whose file name turns out taken are
                // the same again on the next attempt: keep the last.
                self.plan_warnings = warnings;
                return Some(Step::WritePassfile { request });
            }
            self.report.warnings.extend(warnings);
            self.stage = Stage::RunPgDump;
            return None;
        }
        let request = self.plan.as_ref()?.passfile.clone()?;
        Some(Step::WritePassfile { request })
    }

    fn remove_passfile(&mut self) {
        if let Some(request) = self.passfile.take() {
            self.removals.push_back((request.path, None));
            self.removals.push_back((request.dir, None));
        }
    }

    fn plan_program(&self) -> String {
        self.program
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    }

    fn interrupted(&self) -> BackupError {
        if self.stream_started {
            BackupError::InterruptedMidStream
        } else {
            BackupError::Interrupted
        }
    }

    /// Ends the backup with `error`: what is left are removals.
    fn fail(&mut self, error: BackupError) {
        if let Some(jobs) = self.jobs.take() {
            let (stop, spools) = jobs.leftovers();
            self.stop_workers = stop;
            self.removals.extend(spools.into_iter().map(|p| (p, None)));
        }
        if let Some(temp) = self.temp.take() {
            self.removals.push_back((temp, None));
        }
        self.remove_passfile();
        self.report.error = Some(error);
        self.stage = Stage::Done;
    }
}

/// A step the driver's own order rules out was reached: a bug, reported
/// rather than panicked on.
fn out_of_order(what: &str) -> BackupError {
    BackupError::Io {
        context: format!("internal error: {what}"),
        reason: "the backup's steps came out of order".to_string(),
    }
}
