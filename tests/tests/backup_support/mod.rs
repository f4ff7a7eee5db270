//! What the backup tests share: a database worth backing up, backups run
//! through the library, restores with the server's own psql and
//! pg_restore, and the comparison that decides whether nothing was lost.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

pub mod native;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::SystemTime;

use sequelae_core::backup::{BackupFormat, BackupOptions, BackupReport, ProgressEvent};
use sequelae_core::config::{ConnectSettings, Environment};
use sequelae_std::backup::{BackupRequest, run};
use sequelae_tests::{Cluster, server_bin};

/// Tables of every shape that matters to a dump: awkward names, types whose
/// text form is easy to get wrong, NULLs, a sequence in use, a view, keys,
/// an index, a partitioned table, a comment, a function and a trigger.
pub const FIXTURE: &str = r#"
CREATE SCHEMA app;
CREATE TABLE public.users (id serial PRIMARY KEY, name text NOT NULL, email text UNIQUE,
    born date, score numeric(12,4), tags text[], profile jsonb, avatar bytea,
    seen timestamptz DEFAULT '2024-01-02 03:04:05+00');
INSERT INTO public.users (name, email, born, score, tags, profile, avatar, seen)
SELECT 'user ' || g || E' \t tab, "quote" \\ backslash ✓',
       CASE WHEN g % 5 = 0 THEN NULL ELSE 'u' || g || '@example.com' END,
       DATE '2000-01-01' + g, g / 7.0, ARRAY['a' || g, NULL, 'c,d'],
       jsonb_build_object('n', g, 'nested', jsonb_build_object('k', g % 3)),
       decode(md5(g::text), 'hex'), TIMESTAMPTZ '2024-01-01 00:00:00+00' + g * INTERVAL '1 minute'
FROM generate_series(1, 500) g;
CREATE TABLE public.posts (id bigserial PRIMARY KEY, user_id int REFERENCES public.users(id),
    body text, created timestamp);
INSERT INTO public.posts (user_id, body, created)
SELECT 1 + g % 500, repeat('lorem ipsum ', g % 13), TIMESTAMP '2024-02-01' + g * INTERVAL '1 second'
FROM generate_series(1, 2000) g;
CREATE INDEX posts_user_idx ON public.posts (user_id, created DESC);
COMMENT ON TABLE public.posts IS 'what users wrote';
CREATE TABLE public."MixedCase" ("Id" int, "Value" text);
INSERT INTO public."MixedCase" VALUES (1, 'one'), (2, NULL);
CREATE TABLE public."my.table" (x int);
INSERT INTO public."my.table" VALUES (42);
CREATE TABLE public."we""ird" (y text);
INSERT INTO public."we""ird" VALUES ('double "quote" table');
CREATE TABLE public."star*?" (z int);
INSERT INTO public."star*?" VALUES (7);
CREATE TABLE public.starxy (z int);
INSERT INTO public.starxy VALUES (8);
CREATE TABLE app."my table" (a int, b text);
INSERT INTO app."my table" SELECT g, 'row ' || g FROM generate_series(1, 50) g;
CREATE TABLE app.users (id int PRIMARY KEY, nick text);
INSERT INTO app.users VALUES (1, 'app user');
CREATE TABLE public.events (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO public.events SELECT g, DATE '2024-01-01' + g FROM generate_series(1, 100) g;
CREATE VIEW public.active_users AS SELECT id, name FROM public.users WHERE email IS NOT NULL;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.b := upper(NEW.b); RETURN NEW; END $$;
CREATE TRIGGER touch BEFORE INSERT ON app."my table" FOR EACH ROW EXECUTE FUNCTION app.touch();
SELECT setval('public.posts_id_seq', 5000);
"#;

/// A database of the shared cluster with [`FIXTURE`] in it.
pub fn fixture_database(prefix: &str) -> String {
    let cluster = Cluster::shared();
    let db = cluster.create_database(prefix);
    cluster.psql(&db, FIXTURE).unwrap();
    db
}

/// Settings from a connection string, with nothing from our environment.
pub fn settings(conn: &str) -> ConnectSettings {
    ConnectSettings::resolve(Some(conn), &Environment::new().with_os_user("nobody")).unwrap()
}

/// Settings for the superuser over the cluster's Unix socket.
pub fn superuser(db: &str) -> ConnectSettings {
    settings(&Cluster::shared().superuser_conninfo(db))
}

/// The server's own pg_dump, so that client and server versions agree.
pub fn real_pg_dump() -> String {
    server_bin("pg_dump").unwrap().to_string()
}

/// A request writing into `dir`, with the server's pg_dump, `PATH` of this
/// process, and the time now.
pub fn request(db: &str, dir: &Path, edit: impl FnOnce(&mut BackupOptions)) -> BackupRequest {
    let mut options = BackupOptions {
        pg_dump_path: Some(real_pg_dump()),
        ..BackupOptions::default()
    };
    edit(&mut options);
    BackupRequest {
        options,
        settings: superuser(db),
        env: Environment::new().with_var("PATH", std::env::var("PATH").unwrap_or_default()),
        cwd: dir.to_path_buf(),
        started_at: SystemTime::now(),
    }
}

/// Runs a backup, collecting its progress events.
pub fn backup(request: &BackupRequest) -> (BackupReport, Vec<ProgressEvent>) {
    let mut events = Vec::new();
    let report = run(
        request,
        &mut |e| events.push(e.clone()),
        &AtomicBool::new(false),
    );
    (report, events)
}

/// Runs a backup that must succeed, and returns where it went.
pub fn backup_ok(request: &BackupRequest) -> (BackupReport, PathBuf) {
    let (report, _) = backup(request);
    assert!(report.succeeded(), "{report:#?}");
    let path = report.output_path.clone().unwrap();
    (report, path)
}

/// The names in `dir`, sorted (hidden temporary files included).
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn run_checked(cmd: &mut Command) -> String {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn client(program: &str) -> Command {
    let mut cmd = Command::new(server_bin(program).unwrap().as_std_path());
    for (key, _) in std::env::vars() {
        if key.starts_with("PG") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Restores `path` (a backup in `format`, `gzip` when it is a compressed
/// plain file) into a new database and returns its name.
pub fn restore(format: BackupFormat, path: &Path, gzip: bool) -> String {
    let cluster = Cluster::shared();
    let target = cluster.create_database("restored");
    restore_into(&target, format, path, gzip);
    target
}

/// Restores into an existing database.
pub fn restore_into(db: &str, format: BackupFormat, path: &Path, gzip: bool) {
    let conninfo = Cluster::shared().superuser_conninfo(db);
    match format {
        BackupFormat::Plain => {
            let script = if gzip {
                let out = Command::new("gzip").arg("-dc").arg(path).output().unwrap();
                assert!(out.status.success(), "gzip -dc failed");
                let plain = path.with_extension("restored.sql");
                std::fs::write(&plain, out.stdout).unwrap();
                plain
            } else {
                path.to_path_buf()
            };
            run_checked(
                client("psql")
                    .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
                    .arg(&script)
                    .arg("-d")
                    .arg(&conninfo),
            );
        }
        _ => {
            run_checked(
                client("pg_restore")
                    .args(["--exit-on-error", "-d"])
                    .arg(&conninfo)
                    .arg(path),
            );
        }
    }
}

/// `pg_dump --schema-only` of `db`, without the lines that differ between
/// any two dumps (`\restrict` keys).
pub fn schema_of(db: &str) -> String {
    let text = run_checked(
        client("pg_dump")
            .args(["--schema-only", "-d"])
            .arg(Cluster::shared().superuser_conninfo(db)),
    );
    text.lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Per table and populated materialized view: row count and a hash of
/// every row's text; per sequence: its value and is_called; per large
/// object: owner, grants, contents and comment (see [`native::data_of`]).
pub fn data_of(db: &str) -> Vec<String> {
    native::data_of(Cluster::shared(), db)
}

/// Asserts that `restored` has the schema and data of `source`.
pub fn assert_same_database(source: &str, restored: &str) {
    let (a, b) = (schema_of(source), schema_of(restored));
    if a != b {
        let diff: Vec<String> = a
            .lines()
            .zip(b.lines())
            .filter(|(x, y)| x != y)
            .take(10)
            .map(|(x, y)| format!("- {x}\n+ {y}"))
            .collect();
        panic!("schemas differ:\n{}", diff.join("\n"));
    }
    assert_eq!(data_of(source), data_of(restored));
}

/// Writes an executable `sh` script at `dir/name` and returns its path.
pub fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A pg_dump wrapper that records each call's arguments (one per line,
/// after a `--- call` line), its environment, and the mode of the password
/// file it was given, then runs the real pg_dump after `extra` (shell code,
/// e.g. a sleep).
pub fn recording_pg_dump(dir: &Path, extra: &str) -> PathBuf {
    let log = dir.join("calls");
    let body = format!(
        r#"{{ echo '--- call'; for a in "$@"; do printf '%s\n' "$a"; done; }} >> '{log}'
env > '{log}.env'
if [ -n "$PGPASSFILE" ]; then stat -c '%a' "$PGPASSFILE" > '{log}.passfile-mode'; fi
{extra}
exec '{real}' "$@""#,
        log = log.display(),
        real = real_pg_dump(),
    );
    script(dir, "pg_dump", &body)
}
