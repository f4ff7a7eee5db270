//! Every libpq setting honoured or refused, and `connection-info`: the
//! real binary with the environment a psql user would have.

#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::{Db, Run};
use rstest::rstest;
use sequelae_tests::{AuthMethod, Cluster, role};

/// `sequelae ARGS` with no DATABASE_URL, a private HOME (no real
/// ~/.pgpass or ~/.pg_service.conf) and a private working directory (no
/// .env), so that only what the test sets applies.
fn bare(db: &Db, home: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = db.command(args);
    cmd.env_remove("DATABASE_URL")
        .env("HOME", home)
        .env("PGSYSCONFDIR", home)
        .current_dir(home);
    cmd
}

fn run(mut cmd: Command) -> Run {
    Run::from(cmd.output().unwrap())
}

fn service_file(dir: &std::path::Path, db: &str) -> std::path::PathBuf {
    let cluster = Cluster::shared();
    let path = dir.join("services.conf");
    std::fs::write(
        &path,
        format!(
            "# team services\n[wrong]\nhost=db.invalid\n\n[app]\nhost={}\nport={}\nuser=postgres\ndbname={db}\n",
            cluster.socket_dir(),
            cluster.port()
        ),
    )
    .unwrap();
    path
}

#[test]
fn pgservice_connects_where_psql_would() {
    let db = Db::new("cli_service");
    let home = tempfile::tempdir().unwrap();
    let file = service_file(home.path(), &db.name);
    let mut cmd = bare(&db, home.path(), &["exec", "SELECT current_database()"]);
    cmd.env("PGSERVICEFILE", &file).env("PGSERVICE", "app");
    let out = run(cmd).ok();
    assert!(out.stdout.contains(&db.name), "{}", out.stdout);

    // ~/.pg_service.conf is searched when PGSERVICEFILE is not set.
    std::fs::rename(&file, home.path().join(".pg_service.conf")).unwrap();
    let mut cmd = bare(&db, home.path(), &["exec", "SELECT current_database()"]);
    cmd.env("PGSERVICE", "app");
    let out = run(cmd).ok();
    assert!(out.stdout.contains(&db.name), "{}", out.stdout);
}

#[test]
fn connection_info_says_where_each_value_came_from() {
    let db = Db::new("cli_conninfo");
    let home = tempfile::tempdir().unwrap();
    let file = service_file(home.path(), &db.name);
    std::fs::write(home.path().join(".env"), "PGSSLMODE=disable\n").unwrap();
    let passfile = home.path().join("team-pgpass");
    std::fs::write(&passfile, "*:*:*:postgres:pa55-w0rd-in-file\n").unwrap();
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut cmd = bare(&db, home.path(), &["connection-info", "--json"]);
    cmd.env("PGSERVICEFILE", &file)
        .env("PGSERVICE", "app")
        .env("PGPORT", "1")
        .env("PGHOSTADDR", "127.0.0.1")
        .env("PGPASSFILE", &passfile);
    let out = run(cmd).ok();
    assert!(!out.stdout.contains("pa55-w0rd"), "{}", out.stdout);
    let json = out.json();
    let cluster = Cluster::shared();
    assert_eq!(json["hosts"][0]["host"], cluster.socket_dir().as_str());
    assert_eq!(json["hosts"][0]["socket"], true);
    assert_eq!(json["hosts"][0]["hostaddr"], "127.0.0.1");
    // The service file beats PGPORT, as in libpq.
    assert_eq!(json["hosts"][0]["port"], cluster.port());
    assert_eq!(json["user"], "postgres");
    assert_eq!(json["dbname"], db.name.as_str());
    assert_eq!(json["sslmode"], "disable");
    assert_eq!(json["passwordSet"], true);
    let service = format!("service file {}", file.display());
    assert_eq!(json["sources"]["host"], service.as_str());
    assert_eq!(json["sources"]["port"], service.as_str());
    assert_eq!(json["sources"]["hostaddr"], "PGHOSTADDR");
    assert_eq!(json["sources"]["sslmode"], ".env PGSSLMODE");
    assert_eq!(
        json["sources"]["password"],
        format!(".pgpass {}", passfile.display()).as_str()
    );
    assert_eq!(json["sources"]["target_session_attrs"], "default");

    // Text for people, and the password given in the flag is never shown.
    let mut cmd = bare(&db, home.path(), &["connection-info"]);
    cmd.args([
        "--database-url",
        "postgresql://bob:s3cr3t-flag@h1,h2:6000/app",
    ]);
    let out = run(cmd).ok();
    assert!(!out.stdout.contains("s3cr3t-flag"), "{}", out.stdout);
    assert!(
        out.stdout.contains("1. h1  port 5432  TCP"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("2. h2  port 6000  TCP"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("password              set  (flag --database-url)"),
        "{}",
        out.stdout
    );
}

#[rstest]
#[case::uri_at_sign(
    "postgresql://u:p?s/s@h",
    "unexpected \"@\" at position 21 after the host"
)]
#[case::keyword_without_value("host=a dbname", "missing \"=\" after \"dbname\" at position 14")]
#[case::open_quote("host='a", "(the quote at position 6)")]
#[case::ipv6("postgresql://[::1]x/db", "unexpected character \"x\" at position 19")]
#[case::unknown_query(
    "postgresql://h/db?sslmdoe=require",
    "invalid URI query parameter: \"sslmdoe\""
)]
fn malformed_settings_exit_2_naming_the_place(#[case] url: &str, #[case] message: &str) {
    let db = Db::new("cli_badurl");
    let home = tempfile::tempdir().unwrap();
    let mut cmd = bare(&db, home.path(), &["connection-info", "--json"]);
    cmd.args(["--database-url", url]);
    let out = run(cmd);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains(message), "{}", out.stderr);
    assert_eq!(out.json()["success"], false);
}

#[rstest]
#[case::gssencmode("PGGSSENCMODE", "require", "gssencmode=\"require\" in PGGSSENCMODE")]
#[case::load_balance(
    "PGLOADBALANCEHOSTS",
    "random",
    "in PGLOADBALANCEHOSTS is not supported"
)]
#[case::datestyle(
    "PGDATESTYLE",
    "ISO",
    "PGDATESTYLE is set, but sequelae does not honour it"
)]
#[case::bad_target(
    "PGTARGETSESSIONATTRS",
    "writer",
    "invalid target_session_attrs \"writer\""
)]
fn unhonoured_variables_are_refused(#[case] var: &str, #[case] value: &str, #[case] message: &str) {
    let db = Db::new("cli_refuse");
    let home = tempfile::tempdir().unwrap();
    let mut cmd = db.command(&["exec", "SELECT 1"]);
    cmd.env(var, value).env("HOME", home.path());
    let out = run(cmd);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains(message), "{}", out.stderr);
}

#[test]
fn pgtargetsessionattrs_is_checked_after_connecting() {
    let db = Db::new("cli_target");
    let mut cmd = db.command(&["exec", "SELECT 1"]);
    cmd.env("PGTARGETSESSIONATTRS", "read-only");
    let out = run(cmd);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains("failed: session is not read-only"),
        "{}",
        out.stderr
    );
    let mut cmd = db.command(&["exec", "SELECT 1"]);
    cmd.env("PGTARGETSESSIONATTRS", "read-write");
    run(cmd).ok();
}

#[rstest]
#[case::require("require")]
#[case::verify_full("verify-full")]
fn tls_only_sslmode_is_a_usage_error(#[case] mode: &str) {
    let db = Db::new("cli_tls");
    let mut cmd = db.command(&["exec", "SELECT 1"]);
    cmd.env("PGSSLMODE", mode);
    let out = run(cmd);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains(&format!("sslmode={mode} (from PGSSLMODE) requires TLS")),
        "{}",
        out.stderr
    );
}

#[test]
fn an_ignored_pgpassfile_is_named_when_the_connection_fails() {
    let db = Db::new("cli_passfile");
    let cluster = Cluster::shared();
    let scram = role(AuthMethod::ScramSha256);
    let home = tempfile::tempdir().unwrap();
    let passfile = home.path().join("shared-pgpass");
    std::fs::write(
        &passfile,
        format!("*:*:*:{}:{}\n", scram.name, scram.password),
    )
    .unwrap();
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut cmd = bare(&db, home.path(), &["exec", "SELECT 1"]);
    cmd.env("PGHOST", "127.0.0.1")
        .env("PGPORT", cluster.port().to_string())
        .env("PGUSER", scram.name)
        .env("PGDATABASE", &db.name)
        .env("PGPASSFILE", &passfile);
    let out = run(cmd);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "password file \"{}\" has group or world access",
            passfile.display()
        )),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(scram.password), "{}", out.stderr);
}

#[test]
fn an_http_server_on_the_port_is_not_postgres() {
    let db = Db::new("cli_http");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut socket, _) = listener.accept().unwrap();
        let mut request = [0u8; 256];
        let _ = socket.read(&mut request);
        let _ = socket.write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    });
    let url = format!("host=127.0.0.1 port={port} user=x dbname=x connect_timeout=10");
    let out = db.run(&["exec", "SELECT 1", "--database-url", &url]);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr
            .contains("expected an authentication request from the server, but received 'H'"),
        "{}",
        out.stderr
    );
    server.join().unwrap();
}

#[test]
fn tls_only_sslmode_is_a_usage_error_for_backup_too() {
    let db = Db::new("cli_tls_backup");
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = db.command(&["backup"]);
    cmd.env("PGSSLMODE", "require").current_dir(dir.path());
    let out = run(cmd);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("requires TLS"), "{}", out.stderr);
}
