//! Backups on runtime-smol, end to end: a pg_dump backup and native
//! backups restored with the server's own tools and compared with their
//! source (the helpers of `backup_support`), progress, and cancellation
//! by the flag and by dropping the future, neither leaving a file behind.

#![allow(clippy::unwrap_used)]

#[path = "backup_support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_lite::future;
use sequelae_core::backup::{
    BackupError, BackupFormat, BackupMethod, BackupReport, Compression, MethodUsed, ProgressEvent,
};
use sequelae_smol::backup::{BackupRequest, run};
use sequelae_tests::Cluster;
use support::{assert_same_database, entries, fixture_database, restore, script};

/// The blocking runtime's request (what `backup_support` makes) for this
/// runtime: the same fields.
fn on_smol(request: sequelae_std::backup::BackupRequest) -> BackupRequest {
    BackupRequest {
        options: request.options,
        settings: request.settings,
        env: request.env,
        cwd: request.cwd,
        started_at: request.started_at,
    }
}

fn request(
    db: &str,
    dir: &Path,
    edit: impl FnOnce(&mut sequelae_core::backup::BackupOptions),
) -> BackupRequest {
    on_smol(support::request(db, dir, edit))
}

/// Runs a backup under smol's executor, collecting its progress.
fn backup(request: &BackupRequest) -> (BackupReport, Vec<ProgressEvent>) {
    let mut events = Vec::new();
    let report = smol::block_on(run(
        request,
        &mut |e| events.push(e.clone()),
        &AtomicBool::new(false),
    ));
    (report, events)
}

fn source() -> &'static str {
    static DB: OnceLock<String> = OnceLock::new();
    DB.get_or_init(|| fixture_database("smol_backup_src"))
}

/// pg_dump, custom format, supervised by runtime-smol: restored with
/// pg_restore it is the source again; progress names the tables.
#[test]
fn pg_dump_backup_restores_identically() {
    let dir = tempfile::tempdir().unwrap();
    let request = request(source(), dir.path(), |o| {
        o.format = BackupFormat::Custom;
        o.method = BackupMethod::PgDump;
        o.output = Some("db.dump".into());
    });
    let (report, events) = backup(&request);
    assert!(report.succeeded(), "{report:#?}");
    assert!(matches!(report.method, Some(MethodUsed::PgDump { .. })));
    assert_eq!(entries(dir.path()), vec!["db.dump".to_string()]);
    let tables: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::TableData { table, .. } => Some(table.clone()),
            _ => None,
        })
        .collect();
    assert!(tables.iter().any(|t| t == "public.users"), "{events:?}");
    let restored = restore(BackupFormat::Custom, &dir.path().join("db.dump"), false);
    assert_same_database(source(), &restored);
}

/// The native method, plain and gzip, on futures-lite's executor this
/// time: each restores with psql to the source again.
#[test]
fn native_backup_restores_identically() {
    for gzip in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let request = request(source(), dir.path(), |o| {
            o.method = BackupMethod::Native;
            o.output = Some(if gzip { "db.sql.gz" } else { "db.sql" }.into());
            if gzip {
                o.compression = Compression::on();
            }
        });
        let mut events = Vec::new();
        let report = future::block_on(run(
            &request,
            &mut |e| events.push(e.clone()),
            &AtomicBool::new(false),
        ));
        assert!(report.succeeded(), "{report:#?}");
        assert_eq!(report.method, Some(MethodUsed::Native));
        let copied = events
            .iter()
            .filter(|e| matches!(e, ProgressEvent::TableCopied { .. }))
            .count();
        assert!(copied > 0, "{events:?}");
        let path = report.output_path.clone().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes[..2] == [0x1f, 0x8b], gzip, "gzip magic");
        let restored = restore(BackupFormat::Plain, &path, gzip);
        assert_same_database(source(), &restored);
    }
}

/// A pg_dump that announces itself in `marker`, then takes its time
/// before running the real one.
fn slow_pg_dump(bin: &Path, marker: &Path) -> std::path::PathBuf {
    let body = format!(
        "if [ \"$1\" = --version ]; then exec '{real}' \"$@\"; fi\necho $$ > '{marker}'\nsleep 30\nexec '{real}' \"$@\"",
        real = support::real_pg_dump(),
        marker = marker.display(),
    );
    script(bin, "pg_dump", &body)
}

/// Waits until `marker` names a pid (pg_dump started), within 30 s.
async fn started(marker: &Path) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(pid) = std::fs::read_to_string(marker)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            return pid;
        }
        assert!(Instant::now() < deadline, "pg_dump never started");
        async_io::Timer::after(Duration::from_millis(20)).await;
    }
}

fn alive(pid: u32) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Polls until process `pid` is gone, within 10 s.
fn assert_gone(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) {
        assert!(Instant::now() < deadline, "pg_dump {pid} still runs");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Raising the flag while pg_dump runs stops it, removes the temporary
/// output and reports the interrupt.
#[test]
fn cancelling_a_pg_dump_backup_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let marker = bin.path().join("started");
    let program = slow_pg_dump(bin.path(), &marker);
    let request = request(source(), dir.path(), |o| {
        o.format = BackupFormat::Directory;
        o.method = BackupMethod::PgDump;
        o.pg_dump_path = Some(program.display().to_string());
    });
    let cancel = AtomicBool::new(false);
    let (report, pid) = smol::block_on(future::zip(run(&request, &mut |_| {}, &cancel), async {
        let pid = started(&marker).await;
        cancel.store(true, Ordering::SeqCst);
        pid
    }));
    assert_eq!(report.error, Some(BackupError::Interrupted), "{report:#?}");
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    assert_gone(pid);
}

/// Dropping the backup's future while pg_dump runs kills it and removes
/// the temporary output before the drop returns.
#[test]
fn dropping_a_pg_dump_backup_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let marker = bin.path().join("started");
    let program = slow_pg_dump(bin.path(), &marker);
    let request = request(source(), dir.path(), |o| {
        o.format = BackupFormat::Custom;
        o.method = BackupMethod::PgDump;
        o.pg_dump_path = Some(program.display().to_string());
    });
    let cancel = AtomicBool::new(false);
    let pid = smol::block_on(future::or(
        async {
            run(&request, &mut |_| {}, &cancel).await;
            None
        },
        async { Some(started(&marker).await) },
    ))
    .expect("the backup cannot have finished");
    assert!(!alive(pid), "pg_dump {pid} survived the drop");
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

/// Dropping a native backup in the middle of its COPY: the session is
/// given up and the temporary output removed.
#[test]
fn dropping_a_native_backup_leaves_nothing() {
    let cluster = Cluster::shared();
    let db = cluster.create_database("smol_native_drop");
    cluster
        .psql(
            &db,
            "CREATE TABLE big (id int, pad text);\n\
             INSERT INTO big SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 200000) g;",
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let request = request(&db, dir.path(), |o| {
        o.method = BackupMethod::Native;
    });
    let cancel = AtomicBool::new(false);
    smol::block_on(future::or(
        async {
            run(&request, &mut |_| {}, &cancel).await;
        },
        async {
            // Until the temporary output has data in it.
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let written = std::fs::read_dir(dir.path())
                    .unwrap()
                    .filter_map(Result::ok)
                    .any(|e| e.metadata().is_ok_and(|m| m.len() > 0));
                if written {
                    break;
                }
                assert!(Instant::now() < deadline, "nothing was written");
                async_io::Timer::after(Duration::from_millis(5)).await;
            }
        },
    ));
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}
