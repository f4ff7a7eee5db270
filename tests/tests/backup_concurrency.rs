//! Backups that run at the same time: default names never collide, and of
//! two backups to one explicit path one wins, the other fails clearly, and
//! the file is whole.

#![allow(clippy::unwrap_used)]

#[path = "backup_support/mod.rs"]
mod support;

use std::path::Path;
use std::sync::OnceLock;
use std::thread;
use std::time::SystemTime;

use sequelae_core::backup::{BackupError, BackupFormat, BackupReport};
use sequelae_std::backup::BackupRequest;
use sequelae_tests::runtime::Backups;
use support::*;

fn source() -> &'static str {
    static DB: OnceLock<String> = OnceLock::new();
    DB.get_or_init(|| fixture_database("backup_race"))
}

/// A pg_dump that waits half a second before dumping, so that two backups
/// started together are both running when the first one finishes.
fn slow_pg_dump(dir: &Path) -> String {
    let real = real_pg_dump();
    script(
        dir,
        "pg_dump",
        &format!("[ \"$1\" = --version ] || sleep 0.5\nexec '{real}' \"$@\""),
    )
    .display()
    .to_string()
}

fn race(runtime: Backups, request: &BackupRequest) -> [BackupReport; 2] {
    let (a, b) = thread::scope(|s| {
        let a = s.spawn(|| runtime.run(request).0);
        let b = s.spawn(|| runtime.run(request).0);
        (a.join().unwrap(), b.join().unwrap())
    });
    [a, b]
}

#[rstest::rstest]
fn two_backups_to_one_path_one_wins(#[values(Backups::Std, Backups::Smol)] runtime: Backups) {
    let bin = tempfile::tempdir().unwrap();
    let slow = slow_pg_dump(bin.path());
    for (format, name) in [
        (BackupFormat::Custom, "same.dump"),
        (BackupFormat::Directory, "samedir"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let request = request(source(), dir.path(), |o| {
            o.format = format;
            o.output = Some(name.into());
            o.pg_dump_path = Some(slow.clone());
        });
        let reports = race(runtime, &request);
        let won: Vec<&BackupReport> = reports.iter().filter(|r| r.succeeded()).collect();
        assert_eq!(won.len(), 1, "{reports:#?}");
        let lost = reports.iter().find(|r| !r.succeeded()).unwrap();
        let path = dir.path().join(name);
        assert_eq!(
            lost.error,
            Some(BackupError::OutputTaken { path: path.clone() }),
            "{lost:#?}"
        );
        assert!(
            lost.error
                .as_ref()
                .unwrap()
                .to_string()
                .contains("was created by someone else while this backup ran")
        );
        // The loser removed its temporary output; the winner's is whole.
        assert_eq!(entries(dir.path()), vec![name.to_string()]);
        let restored = restore(format, &path, false);
        assert_same_database(source(), &restored);
    }
}

#[rstest::rstest]
fn backups_started_in_the_same_second_get_different_default_names(
    #[values(Backups::Std, Backups::Smol)] runtime: Backups,
) {
    let bin = tempfile::tempdir().unwrap();
    let slow = slow_pg_dump(bin.path());
    let dir = tempfile::tempdir().unwrap();
    let mut request = request(source(), dir.path(), |o| o.pg_dump_path = Some(slow));
    request.started_at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_738_324_800);
    let reports = race(runtime, &request);
    assert!(reports.iter().all(BackupReport::succeeded), "{reports:#?}");
    // And a third, later in that second: the probe finds both names taken.
    let (third, _) = runtime.ok(&request);
    let mut names: Vec<String> = reports
        .iter()
        .chain([&third])
        .map(|r| {
            r.output_path
                .as_ref()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "backup_20250131T120000Z-2.sql",
            "backup_20250131T120000Z-3.sql",
            "backup_20250131T120000Z.sql",
        ]
    );
    assert_eq!(entries(dir.path()), names);
    for name in &names {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert!(
            text.contains("-- PostgreSQL database dump complete"),
            "{name} is not whole"
        );
    }
}
