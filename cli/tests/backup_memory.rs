//! The native backup's memory, measured on the real binary
//! (`SEQUELAE_REPORT_PEAK_RSS`): no table is held in memory, serially or
//! with `--jobs 2` (spooled parts), so the peak stays under 32 MB and
//! does not grow with the data, at two sizes 5× apart.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Db, peak_kib};

/// A database with one table of `rows` rows (about 140 bytes of COPY
/// text each) and a few small ones.
fn database(rows: u64) -> Db {
    let db = Db::new("backup_memory");
    db.psql(&format!(
        "CREATE TABLE big (id int PRIMARY KEY, h text, pad text);
         INSERT INTO big SELECT g, md5(g::text), repeat('x', 100) FROM generate_series(1, {rows}) g;
         CREATE TABLE small1 AS SELECT generate_series(1, 1000) AS id;
         CREATE TABLE small2 AS SELECT generate_series(1, 1000) AS id;"
    ));
    db
}

/// The peak of `sequelae backup --no-pg-dump` of `db` with `extra`
/// options, in KiB, after checking that it copied `rows` rows and more.
fn backup_peak(db: &Db, rows: u64, extra: &[&str]) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("db.sql");
    let mut args = vec![
        "--json",
        "backup",
        "--no-pg-dump",
        "--output",
        output.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let run = common::Run::from(
        db.command(&args)
            .env("SEQUELAE_REPORT_PEAK_RSS", "1")
            .output()
            .unwrap(),
    )
    .ok();
    let json = run.json();
    assert!(json["rows"].as_u64().unwrap() > rows, "{json}");
    peak_kib(&run.stderr)
}

#[rstest::rstest]
#[case::serial(&[])]
#[case::jobs_2(&["--jobs", "2"])]
#[case::jobs_2_gzip(&["--jobs", "2", "--compress"])]
fn native_backup_peak_is_under_32_mb_at_two_sizes(#[case] extra: &[&str]) {
    let (small_rows, large_rows) = (100_000, 500_000);
    let (small, large) = (database(small_rows), database(large_rows));
    let small_peak = backup_peak(&small, small_rows, extra);
    let large_peak = backup_peak(&large, large_rows, extra);
    println!(
        "native backup {extra:?}: 14 MB of data: peak {small_peak} KiB; 70 MB: peak {large_peak} KiB"
    );
    assert!(small_peak < 32 * 1024, "peak {small_peak} KiB");
    assert!(large_peak < 32 * 1024, "peak {large_peak} KiB");
    // Streaming: 56 MB more data, hardly more memory.
    assert!(
        large_peak < small_peak + 4 * 1024,
        "{small_peak} KiB, then {large_peak} KiB"
    );
}
