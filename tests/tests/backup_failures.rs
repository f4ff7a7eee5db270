//! When pg_dump is missing, too old, refuses, is killed or interrupted, and
//! when the output cannot or must not be written: a clear error, the right
//! kind, and no file left behind or changed.

#![allow(clippy::unwrap_used)]

#[path = "backup_support/mod.rs"]
mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sequelae_core::backup::{
    BackupError, BackupFormat, BackupMethod, BackupOptions, ErrorKind, MethodUsed, PG_DUMP_VAR,
    PgDumpProblem, ProgressEvent,
};
use sequelae_core::config::Environment;
use sequelae_tests::Cluster;
use sequelae_tests::runtime::Backups;
use support::*;

fn source() -> &'static str {
    static DB: OnceLock<String> = OnceLock::new();
    DB.get_or_init(|| fixture_database("backup_fail"))
}

/// A database with enough rows (about 25 MB of COPY text) that pg_dump is
/// still writing when it is stopped.
fn big_source() -> &'static str {
    static DB: OnceLock<String> = OnceLock::new();
    DB.get_or_init(|| {
        let cluster = Cluster::shared();
        let db = cluster.create_database("backup_big");
        cluster
            .psql(
                &db,
                "CREATE TABLE small (id int);\n\
                 INSERT INTO small VALUES (1);\n\
                 CREATE TABLE big (id int, pad text);\n\
                 INSERT INTO big SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 250000) g;\n",
            )
            .unwrap();
        db
    })
}

const PRECIOUS: &str = "an older backup that must survive";

fn assert_untouched(dir: &Path, name: &str) {
    assert_eq!(entries(dir), vec![name.to_string()], "only the old file");
    assert_eq!(std::fs::read_to_string(dir.join(name)).unwrap(), PRECIOUS);
}

#[rstest::rstest]
fn pg_dump_missing_from_path(#[values(Backups::Std, Backups::Smol)] runtime: Backups) {
    let dir = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let path_var = empty.path().display().to_string();
    for method in [BackupMethod::Auto, BackupMethod::PgDump] {
        let mut request = request(source(), dir.path(), |o| {
            o.pg_dump_path = None;
            o.method = method;
        });
        request.env = Environment::new().with_var("PATH", path_var.clone());
        let (report, _) = runtime.run(&request);
        if method == BackupMethod::Auto {
            // Auto mode takes the native backup and says why pg_dump was
            // not used.
            assert!(report.succeeded(), "{report:?}");
            let json = report.to_json();
            assert_eq!(json["method"], "native");
            let reasons = json["fallbackReasons"].as_array().unwrap().clone();
            assert_eq!(reasons.len(), 1);
            let why = reasons[0].as_str().unwrap();
            assert!(
                why.contains(&format!("no pg_dump in PATH ({path_var})")),
                "{why}"
            );
            std::fs::remove_file(report.output_path.unwrap()).unwrap();
            continue;
        }
        let error = report.error.clone().unwrap();
        assert_eq!(error.kind(), ErrorKind::Dump);
        let text = error.to_string();
        assert!(
            text.contains(&format!("no pg_dump in PATH ({path_var})")),
            "{text}"
        );
        assert!(matches!(
            error,
            BackupError::PgDump(PgDumpProblem::NotFound { .. })
        ));
        assert!(!text.contains("native"), "{text}");
        assert!(entries(dir.path()).is_empty());
    }

    // SEQUELAE_PG_DUMP names it when PATH has none.
    let mut request = request(source(), dir.path(), |o| o.pg_dump_path = None);
    request.env = Environment::new()
        .with_var("PATH", path_var)
        .with_var(PG_DUMP_VAR, real_pg_dump());
    let (report, _) = runtime.ok(&request);
    assert!(matches!(report.method, Some(MethodUsed::PgDump { .. })));
}

#[rstest::rstest]
fn found_on_path(#[values(Backups::Std, Backups::Smol)] runtime: Backups) {
    let dir = tempfile::tempdir().unwrap();
    let bin = Cluster::shared().bin_dir().to_string();
    let mut request = request(source(), dir.path(), |o| o.pg_dump_path = None);
    request.env = Environment::new().with_var("PATH", format!("/nonexistent:{bin}"));
    let (report, _) = runtime.ok(&request);
    let Some(MethodUsed::PgDump { program, .. }) = report.method else {
        panic!("{report:?}")
    };
    assert_eq!(program, Path::new(&bin).join("pg_dump"));
}

#[rstest::rstest]
fn pg_dump_older_than_the_server(#[values(Backups::Std, Backups::Smol)] runtime: Backups) {
    let dir = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let old = script(
        bin.path(),
        "pg_dump",
        "echo 'pg_dump (PostgreSQL) 9.6.24'; [ \"$1\" = --version ] || touch ran",
    );
    let server = Cluster::shared().version_num();
    for method in [BackupMethod::Auto, BackupMethod::PgDump] {
        let request = request(source(), dir.path(), |o| {
            o.pg_dump_path = Some(old.display().to_string());
            o.method = method;
        });
        let (report, _) = runtime.run(&request);
        // Auto mode falls back to the native method with pg_dump's
        // problem as its reason; --pg-dump fails with it.
        let text = match method {
            BackupMethod::Auto => {
                assert!(report.succeeded(), "{report:?}");
                assert_eq!(report.method, Some(MethodUsed::Native));
                std::fs::remove_file(report.output_path.clone().unwrap()).unwrap();
                report.fallback_reasons.join("\n")
            }
            _ => report.error.clone().unwrap().to_string(),
        };
        assert!(
            text.contains(&format!(
                "pg_dump 9.6.24 ({}) cannot dump PostgreSQL {}.",
                old.display(),
                server / 10_000
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!("install pg_dump {} or newer", server / 10_000)),
            "{text}"
        );
        assert!(entries(dir.path()).is_empty());
    }
    assert!(
        !bin.path().join("ran").exists(),
        "pg_dump was only asked its version"
    );
}

#[rstest::rstest]
fn pg_dump_refusing_an_option_leaves_nothing(
    #[values(Backups::Std, Backups::Smol)] runtime: Backups,
) {
    let dir = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let real = real_pg_dump();
    let refusing = script(
        bin.path(),
        "pg_dump",
        &format!(
            "[ \"$1\" = --version ] && exec '{real}' --version\nexec '{real}' --no-such-option \"$@\""
        ),
    );
    for format in [BackupFormat::Plain, BackupFormat::Directory] {
        let request = request(source(), dir.path(), |o| {
            o.pg_dump_path = Some(refusing.display().to_string());
            o.method = BackupMethod::PgDump;
            o.format = format;
        });
        let (report, _) = runtime.run(&request);
        let error = report.error.clone().unwrap();
        assert_eq!(error.kind(), ErrorKind::Dump);
        let text = error.to_string();
        assert!(
            text.starts_with("pg_dump failed (exit status 1): "),
            "{text}"
        );
        assert!(text.contains("--no-such-option"), "{text}");
        assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    }
}

#[rstest::rstest]
fn pg_dump_killed_midway_leaves_the_old_backup_untouched(
    #[values(Backups::Std, Backups::Smol)] runtime: Backups,
) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.sql"), PRECIOUS).unwrap();
    let bin = tempfile::tempdir().unwrap();
    let real = real_pg_dump();
    // Once pg_dump has written something, a watcher SIGKILLs it ($$ is the
    // shell's pid, which exec gives to pg_dump).
    let killer = script(
        bin.path(),
        "pg_dump",
        &format!(
            "[ \"$1\" = --version ] && exec '{real}' --version\n\
             for a in \"$@\"; do case \"$a\" in --file=*) out=\"${{a#--file=}}\";; esac; done\n\
             ( while [ ! -s \"$out\" ]; do sleep 0.01; done; kill -KILL $$ ) >/dev/null 2>&1 &\n\
             exec '{real}' \"$@\""
        ),
    );
    let request = request(big_source(), dir.path(), |o| {
        o.pg_dump_path = Some(killer.display().to_string());
        o.method = BackupMethod::PgDump;
        o.output = Some("big.sql".into());
        o.force = true;
    });
    let (report, _) = runtime.run(&request);
    let text = report.error.clone().unwrap().to_string();
    assert!(
        text.starts_with("pg_dump failed (killed by signal 9 (SIGKILL))"),
        "{text}"
    );
    assert_untouched(dir.path(), "big.sql");
}

#[rstest::rstest]
fn interrupting_stops_pg_dump_and_removes_its_output(
    #[values(Backups::Std, Backups::Smol)] runtime: Backups,
) {
    for format in [BackupFormat::Custom, BackupFormat::Directory] {
        let dir = tempfile::tempdir().unwrap();
        // A file to replace (custom) or a new directory.
        let replacing = format == BackupFormat::Custom;
        if replacing {
            std::fs::write(dir.path().join("old"), PRECIOUS).unwrap();
        }
        let request = request(big_source(), dir.path(), |o| {
            o.format = format;
            o.compression = sequelae_core::backup::Compression::Level(0);
            o.output = Some("old".into());
            o.force = replacing;
        });
        let cancel = AtomicBool::new(false);
        let started = Instant::now();
        let mut interrupted_at = None;
        // Ctrl-C as soon as pg_dump starts on the big table.
        let report = runtime.run_with(
            &request,
            &mut |e| {
                if let ProgressEvent::TableData { table, .. } = e {
                    if table == "public.big" {
                        cancel.store(true, Ordering::SeqCst);
                        interrupted_at = Some(Instant::now());
                    }
                }
            },
            &cancel,
        );
        assert_eq!(report.error, Some(BackupError::Interrupted), "{report:#?}");
        assert_eq!(report.error_kind(), Some(ErrorKind::Interrupted));
        let stopped_in = interrupted_at.unwrap().elapsed();
        assert!(stopped_in < Duration::from_secs(3), "{stopped_in:?}");
        assert!(started.elapsed() < Duration::from_secs(30));
        if replacing {
            assert_untouched(dir.path(), "old");
        } else {
            assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
        }
    }
}

#[rstest::rstest]
fn an_existing_output_is_refused_and_untouched(
    #[values(Backups::Std, Backups::Smol)] runtime: Backups,
) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("db.dump"), PRECIOUS).unwrap();
    let request = request(source(), dir.path(), |o| {
        o.format = BackupFormat::Custom;
        o.output = Some("db.dump".into());
    });
    let (report, events) = runtime.run(&request);
    let error = report.error.clone().unwrap();
    assert_eq!(error.kind(), ErrorKind::Usage);
    assert_eq!(
        error.to_string(),
        format!(
            "{} already exists: choose another --output, or pass --force to replace it",
            dir.path().join("db.dump").display()
        )
    );
    assert!(events.is_empty(), "checked before any work");
    assert_untouched(dir.path(), "db.dump");

    // --force replaces it, atomically.
    let mut forced = request.clone();
    forced.options.force = true;
    let (_, path) = runtime.ok(&forced);
    assert_eq!(entries(dir.path()), vec!["db.dump"]);
    let restored = restore(BackupFormat::Custom, &path, false);
    assert_same_database(source(), &restored);
}

#[rstest::rstest]
fn directories_are_replaced_only_when_they_hold_a_backup(
    #[values(Backups::Std, Backups::Smol)] runtime: Backups,
) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dumpdir");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), PRECIOUS).unwrap();
    let mut request = request(source(), dir.path(), |o| {
        o.format = BackupFormat::Directory;
        o.output = Some("dumpdir".into());
    });
    let (report, _) = runtime.run(&request);
    // --force would not help either: the refusal says so, no hint to it.
    assert!(matches!(
        report.error,
        Some(BackupError::WontReplaceDirectory { .. })
    ));
    request.options.force = true;
    let (report, _) = runtime.run(&request);
    assert!(
        matches!(report.error, Some(BackupError::WontReplaceDirectory { .. })),
        "{report:?}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        PRECIOUS
    );
    assert_eq!(entries(dir.path()), vec!["dumpdir"]);

    // A directory backup is replaced by a new one.
    std::fs::remove_dir_all(&out).unwrap();
    request.options.force = false;
    runtime.ok(&request);
    // A data file the old backup had and the new one will not.
    std::fs::write(out.join("99999.dat.gz"), "from the old backup").unwrap();
    request.options.force = true;
    runtime.ok(&request);
    assert!(!out.join("99999.dat.gz").exists());
    assert!(out.join("toc.dat").is_file());
    assert_eq!(entries(dir.path()), vec!["dumpdir"]);
    let restored = restore(BackupFormat::Directory, &out, false);
    assert_same_database(source(), &restored);
}

#[rstest::rstest]
fn output_folder_problems_are_found_before_connecting(
    #[values(Backups::Std, Backups::Smol)] runtime: Backups,
) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file"), "").unwrap();
    // A folder no one can write, even root: /sys refuses new files.
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500)).unwrap();
    let unwritable = if std::fs::write(locked.join("probe"), "").is_ok() {
        Path::new("/sys").to_path_buf()
    } else {
        locked.clone()
    };
    let cases = [
        (
            dir.path().join("missing/x.sql"),
            "does not exist: create it first",
        ),
        (dir.path().join("file/x.sql"), "is not a folder"),
        (
            unwritable.join("x.sql"),
            "cannot write in the output folder",
        ),
    ];
    for (output, message) in cases {
        let mut request = request(source(), dir.path(), |o| o.output = Some(output.clone()));
        // Nothing listens there: a connection attempt would fail otherwise.
        request.settings = settings("host=127.0.0.1 port=1 user=nobody connect_timeout=2");
        let (report, _) = runtime.run(&request);
        let error = report.error.clone().unwrap();
        assert_eq!(error.kind(), ErrorKind::Usage, "{error}");
        assert!(error.to_string().contains(message), "{error}");
    }
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
}

#[rstest::rstest]
fn cannot_connect_is_its_own_kind(#[values(Backups::Std, Backups::Smol)] runtime: Backups) {
    let dir = tempfile::tempdir().unwrap();
    let mut request = request(source(), dir.path(), |_| {});
    request.settings = settings("host=127.0.0.1 port=1 user=nobody connect_timeout=2");
    let (report, _) = runtime.run(&request);
    assert_eq!(report.error_kind(), Some(ErrorKind::Connect), "{report:?}");
    assert_eq!(report.to_json()["errorKind"], "connect");
    assert!(entries(dir.path()).is_empty());
}

/// What the native method cannot do yet fails before any work, naming
/// the pg_dump to install and the option to drop.
#[rstest::rstest]
#[case::custom(|o: &mut BackupOptions| o.format = BackupFormat::Custom, "cannot write the custom format yet: install pg_dump 15 (apt-get install postgresql-client-15) or use --format plain")]
fn native_only_fails_before_any_work_with_what_it_cannot_do(
    #[case] edit: fn(&mut BackupOptions),
    #[case] says: &str,
) {
    let dir = tempfile::tempdir().unwrap();
    let request = request(source(), dir.path(), |o| {
        o.method = BackupMethod::Native;
        edit(o);
    });
    let (report, _) = backup(&request);
    let error = report.error.clone().unwrap();
    assert_eq!(error.kind(), ErrorKind::Usage);
    assert!(error.to_string().contains(says), "{error}");
    assert_eq!(report.method, Some(MethodUsed::Native));
    assert!(entries(dir.path()).is_empty());
}
