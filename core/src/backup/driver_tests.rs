//! The backup driver pumped by a scripted world: no process, no file, no
//! socket. The world keeps the set of things the backup created, so that
//! cleanup is checked against what really exists.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rstest::rstest;

use super::*;
use crate::config::{ConnectSettings, Endpoint, Environment, Host, Password};
use crate::wire::DataRow;

const PID: u32 = 4242;

/// What the scripted surroundings answer.
struct World {
    /// Names already taken in the output folder.
    taken: BTreeSet<PathBuf>,
    /// Folder listings.
    listings: HashMap<PathBuf, Vec<String>>,
    /// Program candidates that exist, with their mode.
    programs: HashMap<PathBuf, u32>,
    /// What `--version` prints.
    version: String,
    /// The server's `server_version_num`.
    server: &'static str,
    /// pg_dump's standard error and exit.
    stderr: &'static [u8],
    exit: ProcessExit,
    /// Answers to publish steps, in order; then `Published`.
    publish: VecDeque<PublishEnd>,
    /// Password directories already taken.
    passfile_taken: usize,
    /// Things the backup created and has not removed.
    created: BTreeSet<PathBuf>,
    /// What was published.
    published: Option<PathBuf>,
    /// Cancel at the step with this index: instead of the answer for the
    /// steps that wait on something else (a session, a program), once
    /// pg_dump is gone for pg_dump, and right after the answer for the
    /// others (which the runtime always completes).
    cancel_at: Option<usize>,
    /// One line per step.
    log: Vec<String>,
}

impl World {
    fn new() -> World {
        World {
            taken: BTreeSet::new(),
            listings: HashMap::new(),
            programs: [(PathBuf::from("/usr/bin/pg_dump"), 0o755)].into(),
            version: "pg_dump (PostgreSQL) 17.2\n".to_string(),
            server: "170002",
            stderr: b"pg_dump: dumping contents of table \"public.users\"\n",
            exit: ProcessExit::Code(0),
            publish: VecDeque::new(),
            passfile_taken: 0,
            created: BTreeSet::new(),
            published: None,
            cancel_at: None,
            log: Vec::new(),
        }
    }

    /// Pumps `driver` to the end; the report and the progress seen.
    fn run(&mut self, mut driver: BackupDriver) -> (BackupReport, Vec<ProgressEvent>) {
        let mut events = Vec::new();
        for index in 0.. {
            assert!(index < 10_000, "the driver does not end: {:?}", self.log);
            let step = driver.next_step();
            self.log.push(describe(&step));
            let cancel = self.cancel_at == Some(index);
            let waits = matches!(
                step,
                Step::Connect { .. }
                    | Step::Query { .. }
                    | Step::AskVersion { .. }
                    | Step::CopyOut { .. }
            );
            if cancel && waits {
                driver.cancel();
                continue;
            }
            match step {
                Step::ProbeOutput { folder, target } => {
                    assert_eq!(folder, Path::new("/work"));
                    let kind = if self.taken.contains(&target) {
                        EntryKind::File
                    } else {
                        EntryKind::Missing
                    };
                    driver.handle_probe(OutputProbe {
                        folder: EntryKind::directory(Some(&[])),
                        target: kind,
                    });
                }
                Step::ListFolder { folder } => {
                    let names = self.listings.get(&folder).cloned().unwrap_or_default();
                    driver.handle_listing(&names, &|pid| pid == 8);
                }
                Step::Remove { path } => {
                    let existed = self.created.remove(&path) || self.remove_listed(&path);
                    driver.handle_removed(existed);
                }
                Step::CreatePrivate { path, .. } => {
                    assert!(self.created.insert(path), "created twice");
                    driver.handle_fs(Ok(()));
                }
                Step::Connect { .. } => driver.handle_connected(endpoint(), vec![]),
                // The native dump's queries find an empty database.
                Step::Query { sql } if sql != CATALOG_QUERY => driver.handle_rows(&[vec![]]),
                Step::Query { .. } => driver.handle_rows(&catalog_rows(self.server)),
                Step::OpenSink { path, .. } => {
                    if let Some(path) = path {
                        assert!(self.created.contains(&path), "writes {path:?}");
                    }
                    driver.handle_sink(Ok(()));
                }
                Step::Write(_) | Step::CloseSink => driver.handle_sink(Ok(())),
                Step::CopyOut { .. } => driver.handle_copied(Ok((3, 30))),
                Step::Disconnect => {}
                Step::Worker { .. }
                | Step::AwaitWorker
                | Step::AppendSpool { .. }
                | Step::StopWorkers => panic!("no workers without --jobs"),
                Step::InspectProgram { path } => {
                    driver.handle_program(self.programs.get(&path).copied());
                }
                Step::AskVersion { timeout, .. } => {
                    assert_eq!(timeout, VERSION_TIMEOUT);
                    driver.handle_version(CommandEnd::Exited {
                        exit: ProcessExit::Code(0),
                        stdout: self.version.clone(),
                        stderr: String::new(),
                    });
                }
                Step::WritePassfile { request } => {
                    if self.passfile_taken > 0 {
                        self.passfile_taken -= 1;
                        driver.handle_passfile(Err(FsFailure::Exists));
                    } else {
                        assert!(request.path.starts_with(&request.dir));
                        self.created.insert(request.dir);
                        self.created.insert(request.path);
                        driver.handle_passfile(Ok(()));
                    }
                }
                Step::RunPgDump { plan, .. } => {
                    if let Some(temp) = plan
                        .args
                        .iter()
                        .find_map(|a| a.to_str()?.strip_prefix("--file=").map(PathBuf::from))
                    {
                        assert!(self.created.contains(&temp), "pg_dump writes {temp:?}");
                    }
                    events.extend(driver.handle_stderr(self.stderr));
                    if cancel {
                        driver.cancel();
                    }
                    events.extend(driver.handle_pg_dump_exit(Ok(self.exit.clone())));
                }
                // Files are published by a hard link (see publish.rs for
                // the other ways).
                Step::HardLink { from, to } => {
                    let answer = match self.publish.pop_front() {
                        None | Some(PublishEnd::Published) => {
                            assert!(self.created.contains(&from), "publishes {from:?}");
                            self.published = Some(to);
                            Ok(())
                        }
                        Some(PublishEnd::Taken) => Err(FsFailure::Exists),
                        Some(PublishEnd::Failed(reason)) => Err(FsFailure::Missing(reason)),
                    };
                    driver.handle_fs(answer);
                }
                Step::Rename { .. } | Step::Exists { .. } => panic!("{step:?}"),
                Step::SyncFolder { path } => assert_eq!(path, Path::new("/work")),
                Step::Measure { .. } => driver.handle_size(Some(1234)),
                Step::Done => break,
            }
            if cancel {
                driver.cancel();
            }
        }
        (driver.finish(Duration::from_secs(1)), events)
    }

    fn remove_listed(&mut self, path: &Path) -> bool {
        let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
            return false;
        };
        let name = name.to_string_lossy();
        self.listings
            .get_mut(folder)
            .and_then(|names| {
                let at = names.iter().position(|n| *n == name)?;
                names.remove(at);
                Some(())
            })
            .is_some()
    }
}

fn describe(step: &Step) -> String {
    match step {
        Step::ProbeOutput { target, .. } => format!("probe {}", target.display()),
        Step::ListFolder { folder } => format!("list {}", folder.display()),
        Step::Remove { path } => format!("remove {}", path.display()),
        Step::CreatePrivate { path, .. } => format!("create {}", path.display()),
        Step::Connect { .. } => "connect".into(),
        Step::Query { .. } => "query".into(),
        Step::Disconnect => "disconnect".into(),
        Step::InspectProgram { path } => format!("inspect {}", path.display()),
        Step::AskVersion { program, .. } => format!("version {}", program.display()),
        Step::WritePassfile { request } => format!("passfile {}", request.path.display()),
        Step::RunPgDump { to_stdout, .. } => format!("pg_dump stdout={to_stdout}"),
        Step::HardLink { from, to } => format!("link {} {}", from.display(), to.display()),
        Step::Rename { from, to } => format!("rename {} {}", from.display(), to.display()),
        Step::Exists { path } => format!("exists {}", path.display()),
        Step::SyncFolder { path } => format!("sync {}", path.display()),
        Step::Measure { path } => format!("measure {}", path.display()),
        Step::OpenSink { path, gzip_level } => format!("open {path:?} gzip={gzip_level:?}"),
        Step::Write(_) => "write".into(),
        Step::CopyOut { .. } => "copy".into(),
        Step::CloseSink => "close".into(),
        Step::Worker { worker, .. } => format!("worker {worker}"),
        Step::AwaitWorker => "await".into(),
        Step::AppendSpool { path } => format!("append {}", path.display()),
        Step::StopWorkers => "stop workers".into(),
        Step::Done => "done".into(),
    }
}

fn endpoint() -> Endpoint {
    Endpoint {
        host: Host::Tcp("db.example".into()),
        port: 5432,
        hostaddr: None,
    }
}

fn row(values: &[&str]) -> DataRow {
    DataRow::from_values(values.iter().map(|v| Some(v.as_bytes())))
}

fn catalog_rows(server: &str) -> Vec<Vec<DataRow>> {
    vec![
        vec![row(&[server, "17.2"])],
        vec![row(&["public", "users", "r", "t", "f"])],
        vec![row(&["public"])],
    ]
}

fn job(edit: impl FnOnce(&mut BackupOptions)) -> BackupJob {
    let env = Environment::new()
        .with_os_user("alice")
        .with_var("PATH", "/usr/local/bin:/usr/bin")
        .with_var("TMPDIR", "/tmp");
    let mut settings =
        ConnectSettings::parse("host=db.example user=alice dbname=app", &env).expect("settings");
    settings.password = Some(Password::new("s3cret"));
    let mut options = BackupOptions {
        format: BackupFormat::Custom,
        ..BackupOptions::default()
    };
    edit(&mut options);
    BackupJob {
        options,
        settings,
        env,
        cwd: PathBuf::from("/work"),
        started_at: started_at(),
        pid: PID,
    }
}

fn started_at() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_738_324_800)
}

const NAME: &str = "/work/backup_20250131T120000Z.dump";
const TEMP: &str = "/work/.backup_20250131T120000Z.dump.sequelae-4242-1.tmp";

#[test]
fn pg_dump_success_goes_through_every_step() {
    let mut world = World::new();
    world.listings.insert(
        "/work".into(),
        vec![
            ".old.dump.sequelae-7-1.tmp".into(),
            ".old.dump.sequelae-8-1.tmp".into(),
        ],
    );
    world
        .listings
        .insert("/tmp".into(), vec!["sequelae-pgpass-7-1".into()]);
    let (report, events) = world.run(BackupDriver::new(job(|_| {})));
    assert_eq!(
        world.log,
        [
            format!("probe {NAME}"),
            "list /work".into(),
            // Process 8 lives; 7 is gone.
            "remove /work/.old.dump.sequelae-7-1.tmp".into(),
            "list /tmp".into(),
            "remove /tmp/sequelae-pgpass-7-1".into(),
            format!("create {TEMP}"),
            format!("remove {TEMP}"),
            "connect".into(),
            "query".into(),
            "disconnect".into(),
            "inspect /usr/local/bin/pg_dump".into(),
            "inspect /usr/bin/pg_dump".into(),
            "version /usr/bin/pg_dump".into(),
            format!("create {TEMP}"),
            "pg_dump stdout=false".into(),
            format!("link {TEMP} {NAME}"),
            format!("remove {TEMP}"),
            "sync /work".into(),
            format!("measure {NAME}"),
            "done".into(),
        ]
    );
    assert_eq!(report.error, None);
    assert_eq!(report.output_path.as_deref(), Some(Path::new(NAME)));
    assert_eq!(report.size, Some(1234));
    assert_eq!(report.tables, Some(1));
    assert_eq!(report.duration, Duration::from_secs(1));
    assert!(matches!(
        &report.method,
        Some(MethodUsed::PgDump { version, .. }) if version == "17.2"
    ));
    assert_eq!(report.warnings.len(), 2, "{:?}", report.warnings);
    assert!(report.warnings[0].contains("sequelae-7-1.tmp"));
    assert_eq!(
        events,
        [ProgressEvent::TableData {
            table: "public.users".into(),
            started: 1,
            total: 1
        }]
    );
    assert!(world.created.is_empty(), "{:?}", world.created);
    assert_eq!(world.published.as_deref(), Some(Path::new(NAME)));
}

#[test]
fn password_file_is_written_for_pg_dump_and_removed_after() {
    let mut world = World::new();
    world.passfile_taken = 1;
    let (report, _) = world.run(BackupDriver::new(job(|o| {
        o.password_channel = PasswordChannel::Passfile;
    })));
    assert_eq!(report.error, None);
    let from = world
        .log
        .iter()
        .position(|l| l.starts_with("pg_dump"))
        .expect("ran");
    assert_eq!(
        world.log[from - 2..from + 3],
        [
            "passfile /tmp/sequelae-pgpass-4242-1/pgpass".to_string(),
            // The first directory name was taken: the next one.
            "passfile /tmp/sequelae-pgpass-4242-2/pgpass".into(),
            "pg_dump stdout=false".into(),
            "remove /tmp/sequelae-pgpass-4242-2/pgpass".into(),
            "remove /tmp/sequelae-pgpass-4242-2".into(),
        ]
    );
    assert!(world.created.is_empty(), "{:?}", world.created);
}

/// Why pg_dump was not used, for each way it can be unusable.
#[rstest]
#[case::missing(|w: &mut World| w.programs.clear(), "pg_dump was not found (no pg_dump in PATH (/usr/local/bin:/usr/bin))")]
#[case::not_executable(|w: &mut World| { w.programs.insert("/usr/bin/pg_dump".into(), 0o644); }, "pg_dump was not found")]
#[case::too_old(|w: &mut World| w.version = "pg_dump (PostgreSQL) 15.4".into(), "pg_dump 15.4 (/usr/bin/pg_dump) cannot dump PostgreSQL 17.2, a newer major version")]
#[case::not_pg_dump(|w: &mut World| w.version = "hello".into(), "/usr/bin/pg_dump cannot be used as pg_dump")]
#[case::failed(|w: &mut World| { w.exit = ProcessExit::Code(1); w.stderr = b"pg_dump: error: boom\n"; }, "exit status 1")]
fn unusable_pg_dump_falls_back_to_native(#[case] edit: fn(&mut World), #[case] reason: &str) {
    let mut world = World::new();
    edit(&mut world);
    let (report, _) = world.run(BackupDriver::new(job(plain)));
    assert!(report.succeeded(), "{report:?}");
    assert_eq!(report.method, Some(MethodUsed::Native));
    assert_eq!(report.fallback_reasons.len(), 1);
    assert!(report.fallback_reasons[0].contains(reason));
    assert!(report.to_json()["method"] == "native");
    // One temporary output, written by the native dump, then published.
    let opened: Vec<_> = world
        .log
        .iter()
        .filter(|l| l.starts_with("open "))
        .collect();
    assert_eq!(opened.len(), 1, "{:?}", world.log);
    assert!(world.published.is_some());
    assert_eq!(world.log.last().map(String::as_str), Some("done"));
}

/// The native method writes plain SQL (the tests' default is custom).
fn plain(o: &mut BackupOptions) {
    o.format = BackupFormat::Plain;
}

/// The native method with an option it cannot honour yet fails before
/// any output is made, naming both ways out.
#[rstest]
#[case::jobs(|o: &mut BackupOptions| { o.format = BackupFormat::Directory; o.jobs = 2; }, "use --format plain")]
#[case::custom(|o: &mut BackupOptions| o.format = BackupFormat::Custom, "cannot write the custom format yet: install pg_dump 17")]
fn native_limits_fail_before_any_work(#[case] edit: fn(&mut BackupOptions), #[case] says: &str) {
    let mut world = World::new();
    world.programs.clear();
    let (report, _) = world.run(BackupDriver::new(job(|o| {
        plain(o);
        edit(o);
    })));
    let text = report.error.as_ref().expect("fails").to_string();
    assert!(text.contains(says), "{text}");
    assert!(!world.log.iter().any(|l| l.starts_with("open ")));
    assert!(world.created.is_empty(), "{:?}", world.created);
}

/// Cancelled while the native dump writes: the temporary output goes.
#[test]
fn native_cancel_removes_the_temporary_output() {
    let mut world = World::new();
    world.programs.clear();
    world.run(BackupDriver::new(job(plain)));
    let at = world.log.iter().position(|l| l == "write").expect("writes");
    let mut world = World::new();
    world.programs.clear();
    world.cancel_at = Some(at);
    let (report, _) = world.run(BackupDriver::new(job(plain)));
    assert_eq!(report.error, Some(BackupError::Interrupted));
    assert!(world.created.is_empty(), "{:?}", world.created);
    assert_eq!(world.published, None);
}

#[test]
fn forced_pg_dump_fails_with_its_own_reason() {
    let mut world = World::new();
    world.programs.clear();
    let (report, _) = world.run(BackupDriver::new(job(|o| o.method = BackupMethod::PgDump)));
    assert!(
        matches!(
            report.error,
            Some(BackupError::PgDump(PgDumpProblem::NotFound { .. }))
        ),
        "{:?}",
        report.error
    );
    assert!(report.fallback_reasons.is_empty());

    let mut world = World::new();
    world.exit = ProcessExit::Signal(9);
    let (report, _) = world.run(BackupDriver::new(job(|o| o.method = BackupMethod::PgDump)));
    let text = report.error.expect("failed").to_string();
    assert!(text.contains("killed by signal 9 (SIGKILL)"), "{text}");
    assert!(world.created.is_empty(), "{:?}", world.created);
}

/// `--jobs 2` with plain output: auto mode takes the native method
/// without looking for pg_dump (which writes plain with one job only),
/// and says why; to standard output it is refused before any work.
#[test]
fn jobs_with_plain_output_choose_native_in_auto_mode() {
    let mut world = World::new();
    let (report, _) = world.run(BackupDriver::new(job(|o| {
        plain(o);
        o.jobs = 2;
    })));
    assert!(report.succeeded(), "{report:?}");
    assert_eq!(report.method, Some(MethodUsed::Native));
    assert!(!world.log.iter().any(|l| l.starts_with("inspect")));
    assert_eq!(report.fallback_reasons.len(), 1);
    assert!(report.fallback_reasons[0].starts_with("--jobs 2 with plain output: pg_dump writes"));
    let mut world = World::new();
    let (report, _) = world.run(BackupDriver::new(job(|o| {
        plain(o);
        o.jobs = 2;
        o.output = Some("-".into());
    })));
    let text = report.error.expect("refused").to_string();
    assert!(
        text.contains("--jobs 2 cannot write to standard output") && text.contains("drop --jobs"),
        "{text}"
    );
    // Refused before any work: not even a connection.
    assert!(
        !world
            .log
            .iter()
            .any(|l| l.starts_with("open ") || l.starts_with("connect")),
        "{:?}",
        world.log
    );
}

#[test]
fn native_method_never_looks_for_pg_dump() {
    let mut world = World::new();
    let (report, _) = world.run(BackupDriver::new(job(|o| {
        plain(o);
        o.method = BackupMethod::Native;
    })));
    assert!(report.succeeded(), "{report:?}");
    assert_eq!(report.method, Some(MethodUsed::Native));
    assert!(!world.log.iter().any(|l| l.starts_with("inspect")));
}

#[test]
fn taken_default_names_move_on_when_choosing_and_publishing() {
    let mut world = World::new();
    world.taken.insert(NAME.into());
    world.publish.push_back(PublishEnd::Taken);
    let (report, _) = world.run(BackupDriver::new(job(|_| {})));
    assert_eq!(report.error, None);
    let second = "/work/backup_20250131T120000Z-2.dump";
    let third = "/work/backup_20250131T120000Z-3.dump";
    assert_eq!(
        world.log[..2],
        [format!("probe {NAME}"), format!("probe {second}")]
    );
    let temp = "/work/.backup_20250131T120000Z-2.dump.sequelae-4242-1.tmp";
    let publishes: Vec<_> = world.log.iter().filter(|l| l.starts_with("link")).collect();
    assert_eq!(
        publishes,
        [
            &format!("link {temp} {second}"),
            &format!("link {temp} {third}")
        ]
    );
    assert_eq!(report.output_path.as_deref(), Some(Path::new(third)));
}

#[test]
fn a_taken_explicit_name_fails_and_removes_the_temporary_output() {
    let mut world = World::new();
    world.publish.push_back(PublishEnd::Taken);
    let (report, _) = world.run(BackupDriver::new(job(|o| {
        o.output = Some("db.dump".into())
    })));
    assert_eq!(
        report.error,
        Some(BackupError::OutputTaken {
            path: "/work/db.dump".into()
        })
    );
    assert_eq!(
        world.log[world.log.len() - 2..],
        [
            "remove /work/.db.dump.sequelae-4242-1.tmp".to_string(),
            "done".into()
        ]
    );
    assert!(world.created.is_empty(), "{:?}", world.created);
}

#[test]
fn a_failed_publish_says_where_and_cleans_up() {
    let mut world = World::new();
    world
        .publish
        .push_back(PublishEnd::Failed("read-only file system".into()));
    let (report, _) = world.run(BackupDriver::new(job(|_| {})));
    let text = report.error.expect("failed").to_string();
    assert!(
        text.contains(&format!("cannot publish the backup as {NAME}")),
        "{text}"
    );
    assert!(text.contains("read-only file system"), "{text}");
    assert!(world.created.is_empty(), "{:?}", world.created);
}

/// Steps of a successful run with a password file (the longest sequence).
const STEPS: usize = 21;

#[test]
fn the_cancel_table_covers_every_step() {
    let mut world = World::new();
    world.run(BackupDriver::new(job(|o| {
        o.password_channel = PasswordChannel::Passfile;
    })));
    assert_eq!(world.log.len(), STEPS, "{:?}", world.log);
}

/// Cancelling before the answer to any step leaves nothing the backup
/// created, removes nothing it did not create, and says interrupted
/// (unless the backup was already published).
#[rstest]
fn cancel_at_any_step_removes_exactly_what_was_created(
    #[values(
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20
    )]
    at: usize,
) {
    let mut world = World::new();
    world.cancel_at = Some(at);
    let (report, _) = world.run(BackupDriver::new(job(|o| {
        o.password_channel = PasswordChannel::Passfile;
    })));
    assert!(
        world.created.is_empty(),
        "left {:?}: {:?}",
        world.created,
        world.log
    );
    let after: Vec<&String> = world.log[at + 1..].iter().collect();
    assert!(
        after.iter().all(|l| l.starts_with("remove")
            || l.as_str() == "done"
            || (world.published.is_some() && ["measure", "sync"].iter().any(|p| l.starts_with(p)))),
        "{after:?}"
    );
    if world.published.is_some() {
        assert_eq!(report.error, None);
    } else {
        assert_eq!(
            report.error,
            Some(BackupError::Interrupted),
            "{:?}",
            world.log
        );
    }
}

#[test]
fn streaming_to_stdout_has_no_temporary_output_and_no_publish() {
    let mut world = World::new();
    world
        .listings
        .insert("/tmp".into(), vec!["sequelae-pgpass-7-1".into()]);
    let (report, _) = world.run(BackupDriver::new(job(|o| o.output = Some("-".into()))));
    assert_eq!(report.error, None);
    assert_eq!(report.output_path.as_deref(), Some(Path::new("-")));
    assert_eq!(
        world.log,
        [
            "connect",
            "query",
            "disconnect",
            "inspect /usr/local/bin/pg_dump",
            "inspect /usr/bin/pg_dump",
            "version /usr/bin/pg_dump",
            "list /tmp",
            "remove /tmp/sequelae-pgpass-7-1",
            "pg_dump stdout=true",
            "done",
        ]
    );
}

#[rstest]
#[case::reader_gone(ProcessExit::Signal(SIGPIPE), false, BackupError::ReaderGone)]
#[case::interrupted(ProcessExit::Signal(15), true, BackupError::InterruptedMidStream)]
fn a_stream_that_stops_says_it_is_incomplete(
    #[case] exit: ProcessExit,
    #[case] cancel: bool,
    #[case] expected: BackupError,
) {
    let mut world = World::new();
    world.exit = exit;
    if cancel {
        world.cancel_at = Some(7);
    }
    let (report, _) = world.run(BackupDriver::new(job(|o| o.output = Some("-".into()))));
    assert_eq!(world.log[7], "pg_dump stdout=true");
    assert_eq!(report.error, Some(expected));
    assert!(report.fallback_reasons.is_empty());
}

#[test]
fn refused_options_end_before_any_step() {
    let mut world = World::new();
    let (report, _) = world.run(BackupDriver::new(job(|o| o.jobs = 0)));
    assert_eq!(report.error, Some(BackupError::ZeroJobs));
    assert_eq!(world.log, ["done"]);
}

#[test]
fn cancel_during_a_publication_finishes_it_then_stops() {
    // Taken: the backup stops instead of trying the next name.
    let mut world = World::new();
    world.publish.push_back(PublishEnd::Taken);
    world.cancel_at = Some(13);
    let (report, _) = world.run(BackupDriver::new(job(|_| {})));
    assert!(world.log[13].starts_with("link"), "{:?}", world.log);
    assert_eq!(report.error, Some(BackupError::Interrupted));
    assert_eq!(
        world.log.iter().filter(|l| l.starts_with("link")).count(),
        1
    );
    assert!(world.created.is_empty(), "{:?}", world.created);
}
