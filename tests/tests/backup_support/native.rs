//! What the native backup tests share: clusters of other versions, and
//! restoring and comparing with a given cluster's own psql and pg_dump
//! (the helpers of the parent module use the shared PostgreSQL 15 one).

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use sequelae_tests::{Cluster, ClusterOptions};

/// The fixture with every object kind the native dump writes.
pub const FIXTURE: &str = include_str!("../../fixtures/native_dump.sql");
/// Schemas and tables to filter, each part restorable on its own.
pub const FIXTURE_FILTERS: &str = include_str!("../../fixtures/native_dump_filters.sql");
/// PostgreSQL 18 features on top of [`FIXTURE`].
pub const FIXTURE_18: &str = include_str!("../../fixtures/native_dump_18.sql");

/// The shared PostgreSQL 15 cluster, or one PostgreSQL 18 cluster for
/// the whole test binary.
pub fn cluster(version: u32) -> &'static Cluster {
    static V18: OnceLock<Cluster> = OnceLock::new();
    match version {
        15 => Cluster::shared(),
        18 => V18.get_or_init(|| {
            Cluster::start(ClusterOptions {
                version: Some(18),
                ..ClusterOptions::default()
            })
            .unwrap()
        }),
        other => panic!("no cluster for {other}"),
    }
}

pub fn run(program: &Path, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .env_remove("PGPASSWORD")
        .env_remove("PGSERVICE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{program:?} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `psql -v ON_ERROR_STOP=1 -f file` into `database`.
pub fn restore(cluster: &Cluster, database: &str, file: &Path) {
    let psql = cluster.bin_dir().join("psql");
    let conninfo = cluster.superuser_conninfo(database);
    run(
        psql.as_std_path(),
        &[
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-f",
            file.to_str().unwrap(),
            "-d",
            &conninfo,
        ],
    );
}

/// `pg_dump --schema-only` without comments and `\restrict` lines.
pub fn schema_of(cluster: &Cluster, database: &str) -> String {
    let pg_dump = cluster.bin_dir().join("pg_dump");
    let conninfo = cluster.superuser_conninfo(database);
    run(pg_dump.as_std_path(), &["--schema-only", "-d", &conninfo])
        .lines()
        .filter(|l| {
            !l.starts_with("--") && !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Per table and materialized view: row count and a hash of every row's
/// text; per sequence: its value and is_called.
pub fn data_of(cluster: &Cluster, database: &str) -> Vec<String> {
    let relations = cluster
        .psql(
            database,
            "SELECT c.relkind, format('%I.%I', n.nspname, c.relname) FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'S', 'm') AND n.nspname <> 'information_schema' \
             AND n.nspname !~ '^pg_' AND (c.relkind <> 'm' OR c.relispopulated) ORDER BY 2;",
        )
        .unwrap();
    let mut sql = String::new();
    for line in relations.lines().filter(|l| !l.is_empty()) {
        let (kind, name) = line.split_once('|').unwrap();
        let literal = name.replace('\'', "''");
        if kind == "S" {
            sql.push_str(&format!(
                "SELECT '{literal}', last_value || ',' || is_called FROM {name};\n"
            ));
        } else {
            sql.push_str(&format!(
                "SELECT '{literal}', count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM {name} t;\n"
            ));
        }
    }
    sql.push_str(
        "SELECT 'large object ' || oid, pg_get_userbyid(lomowner) || ',' || coalesce(lomacl::text, '') \
         || ',' || md5(lo_get(oid)) || ',' || coalesce(obj_description(oid, 'pg_largeobject'), '') \
         FROM pg_largeobject_metadata ORDER BY oid;\n",
    );
    cluster
        .psql(database, &sql)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn diff(a: &str, b: &str) -> String {
    let left: Vec<&str> = a.lines().collect();
    let right: Vec<&str> = b.lines().collect();
    let only_left: Vec<String> = left
        .iter()
        .filter(|l| !right.contains(l))
        .map(|l| format!("- {l}"))
        .collect();
    let only_right: Vec<String> = right
        .iter()
        .filter(|l| !left.contains(l))
        .map(|l| format!("+ {l}"))
        .collect();
    format!("{}\n{}", only_left.join("\n"), only_right.join("\n"))
}
