//! Every format, with and without compression, taken by each runtime
//! (runtime-std and runtime-smol run the same body), restored with the
//! server's own psql or pg_restore into a fresh database that must then equal the
//! source: `pg_dump --schema-only` of both, and every table's rows.

#![allow(clippy::unwrap_used)]

#[path = "backup_support/mod.rs"]
mod support;

use std::io::Read;
use std::sync::OnceLock;

use rstest::rstest;
use sequelae_core::backup::{BackupFormat, Compression, MethodUsed, ProgressEvent};
use sequelae_tests::runtime::Backups;
use support::*;

/// One source database for every case (backups only read it).
fn source() -> &'static str {
    static DB: OnceLock<String> = OnceLock::new();
    DB.get_or_init(|| fixture_database("backup_src"))
}

fn is_gzip(path: &std::path::Path) -> bool {
    let mut magic = [0u8; 2];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == [0x1f, 0x8b]
}

#[rstest]
#[case::plain(BackupFormat::Plain, Compression::FormatDefault, 1, ".sql")]
#[case::plain_gzip(BackupFormat::Plain, Compression::on(), 1, ".sql.gz")]
#[case::custom(BackupFormat::Custom, Compression::FormatDefault, 1, ".dump")]
#[case::custom_uncompressed(BackupFormat::Custom, Compression::Level(0), 1, ".dump")]
#[case::custom_level_9(BackupFormat::Custom, Compression::Level(9), 1, ".dump")]
#[case::directory(BackupFormat::Directory, Compression::FormatDefault, 1, "")]
#[case::directory_uncompressed_parallel(BackupFormat::Directory, Compression::Level(0), 3, "")]
#[case::tar(BackupFormat::Tar, Compression::FormatDefault, 1, ".tar")]
fn restores_with_nothing_lost(
    #[case] format: BackupFormat,
    #[case] compression: Compression,
    #[case] jobs: u32,
    #[case] extension: &str,
    #[values(Backups::Std, Backups::Smol)] runtime: Backups,
) {
    let dir = tempfile::tempdir().unwrap();
    let request = request(source(), dir.path(), |o| {
        o.format = format;
        o.compression = compression;
        o.jobs = jobs;
    });
    let (report, events) = runtime.run(&request);
    assert!(report.succeeded(), "{report:#?}");
    let path = report.output_path.clone().unwrap();

    // The default name, in the working directory, and nothing else there.
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("backup_") && name.ends_with(extension),
        "{name}"
    );
    if extension.is_empty() {
        assert!(!name.contains('.'), "{name}");
    }
    assert_eq!(path.parent(), Some(dir.path()));
    assert_eq!(entries(dir.path()), vec![name.clone()]);

    // The report.
    assert!(matches!(report.method, Some(MethodUsed::PgDump { .. })));
    assert_eq!(report.format, format);
    // The tables that hold rows (not the partitioned events itself): the
    // count progress counts to below.
    assert_eq!(report.tables, Some(10));
    assert!(report.fallback_reasons.is_empty());
    let size = report.size.unwrap();
    if format == BackupFormat::Directory {
        assert!(path.join("toc.dat").is_file());
        let files: u64 = std::fs::read_dir(&path)
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum();
        assert_eq!(size, files);
        let compressed = std::fs::read_dir(&path).unwrap().any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".dat.gz")
        });
        assert_eq!(compressed, compression.compresses(format), "{name}");
    } else {
        assert_eq!(size, std::fs::metadata(&path).unwrap().len());
    }
    if format == BackupFormat::Plain {
        assert_eq!(is_gzip(&path), compression.compresses(format));
    }
    let json = report.to_json();
    assert_eq!(json["success"], true);
    assert_eq!(json["method"], "pg_dump");
    assert_eq!(json["size"], size);

    // Progress: the catalog, then every table with rows, out of the total.
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ProgressEvent::Catalog { .. }))
    );
    let tables: Vec<&ProgressEvent> = events
        .iter()
        .filter(|e| matches!(e, ProgressEvent::TableData { .. }))
        .collect();
    assert_eq!(Some(tables.len()), report.tables, "{events:#?}");
    assert!(
        tables
            .iter()
            .all(|e| matches!(e, ProgressEvent::TableData { total: 10, .. }))
    );
    if jobs > 1 {
        let done = events
            .iter()
            .filter(|e| matches!(e, ProgressEvent::TableDone { .. }))
            .count();
        assert_eq!(done, 10);
    }

    let restored = restore(
        format,
        &path,
        is_gzip(&path) && format == BackupFormat::Plain,
    );
    assert_same_database(source(), &restored);
}
