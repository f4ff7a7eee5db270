//! COPY in both directions against a real server on both runtimes (the
//! bodies are in `sequelae_tests::shared::copy`), and the memory bound of
//! a large COPY OUT measured on a separate process.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use sequelae_tests::Cluster;

mod std_runtime {
    sequelae_tests::copy_tests!(sequelae_tests::runtime::Std);
}

mod smol_runtime {
    sequelae_tests::copy_tests!(sequelae_tests::runtime::Smol);
}

/// Streams 2 million rows (about 150 MB of COPY text) through a separate
/// process, on each runtime, and reads that process's peak resident
/// memory from the kernel.
#[rstest::rstest]
fn copy_out_of_two_million_rows_stays_under_20_mb(#[values("std", "smol")] runtime: &str) {
    let cluster = Cluster::shared();
    let output = Command::new(env!("CARGO_BIN_EXE_copy-out-probe"))
        .args((runtime == "smol").then_some("--smol"))
        .arg(cluster.superuser_conninfo("postgres"))
        .arg("COPY (SELECT g, md5(g::text), now() FROM generate_series(1, 2000000) g) TO STDOUT")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = String::from_utf8(output.stdout).unwrap();
    let field = |name: &str| -> u64 {
        report
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {report:?}"))
    };
    assert_eq!(field("rows"), 2_000_000);
    assert!(field("bytes") > 100_000_000, "{report}");
    let peak_kib = field("peak_kib");
    println!("copy_out 2M rows on {runtime}: {report}");
    assert!(
        peak_kib < 20 * 1024,
        "peak RSS {peak_kib} KiB is over 20 MiB: {report}"
    );
}
