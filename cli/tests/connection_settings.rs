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
        .env("PGSSLROOTCERT", "/etc/team-ca.pem")
        .env("PGCHANNELBINDING", "require")
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
    assert_eq!(json["tls"]["sslrootcert"], "/etc/team-ca.pem");
    assert_eq!(json["sources"]["sslrootcert"], "PGSSLROOTCERT");
    assert_eq!(json["tls"]["channel_binding"], "require");
    assert_eq!(json["sources"]["channel_binding"], "PGCHANNELBINDING");
    assert_eq!(json["tls"]["sslsni"], "1");
    assert_eq!(json["sources"]["sslsni"], "default");

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
fn tls_only_sslmode_against_a_server_without_tls_fails_as_psql(#[case] mode: &str) {
    let db = Db::new("cli_tls");
    let home = tempfile::tempdir().unwrap();
    let cluster = Cluster::shared();
    let url = format!(
        "postgresql://postgres@127.0.0.1:{}/{}?sslmode={mode}",
        cluster.port(),
        db.name
    );
    let out = run(bare(
        &db,
        home.path(),
        &["--database-url", &url, "exec", "SELECT 1"],
    ));
    assert_ne!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "server does not support SSL, but sslmode={mode}: enable ssl on the server, or use \
             sslmode=prefer"
        )),
        "{}",
        out.stderr
    );
    // A Unix socket never uses TLS, whatever sslmode says (libpq's rule).
    let mut cmd = bare(&db, home.path(), &["exec", "SELECT 1"]);
    cmd.env("DATABASE_URL", &db.url).env("PGSSLMODE", mode);
    run(cmd).ok();
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
fn tls_required_of_a_server_without_tls_fails_the_backup_too() {
    let db = Db::new("cli_tls_backup");
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "postgresql://postgres@127.0.0.1:{}/{}",
        Cluster::shared().port(),
        db.name
    );
    let mut cmd = db.command(&["backup"]);
    cmd.env("DATABASE_URL", &url)
        .env("PGSSLMODE", "require")
        .current_dir(dir.path());
    let out = run(cmd);
    assert_ne!(out.code, 0, "{out:?}");
    assert!(
        out.stderr
            .contains("server does not support SSL, but sslmode=require"),
        "{}",
        out.stderr
    );
}

const ENCRYPTED_SQL: &str = "SELECT CASE WHEN ssl THEN 'encrypted' ELSE 'clear' END AS tls \
                             FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

/// What a connection came to: encrypted, clear, or the kind of failure.
fn outcome(ok: bool, stdout: &str, stderr: &str) -> String {
    if ok {
        return if stdout.contains("encrypted") {
            "encrypted".into()
        } else if stdout.contains("clear") {
            "clear".into()
        } else {
            format!("connected, but printed {stdout:?}")
        };
    }
    for (needle, kind) in [
        (
            "server does not support SSL",
            "refused: no TLS on the server",
        ),
        ("certificate verify failed", "refused: unknown issuer"),
        ("does not match", "refused: host name mismatch"),
    ] {
        if stderr.contains(needle) {
            return kind.into();
        }
    }
    format!("failed: {stderr}")
}

/// sslmode × server through `sequelae exec` with a URL, against psql with the same URL.
#[test]
fn exec_with_a_url_agrees_with_psql_on_every_sslmode_and_server() {
    use sequelae_tests::tls::{ServerCert, TestPki};
    let pki = TestPki::create().unwrap();
    let tls = |which| Cluster::start(pki.cluster_options(which, &[]).unwrap()).unwrap();
    let clusters = [
        ("no TLS", Cluster::start(Default::default()).unwrap()),
        ("trusted CA", tls(ServerCert::Trusted)),
        ("unknown CA", tls(ServerCert::UnknownCa)),
        ("wrong host", tls(ServerCert::WrongHost)),
    ];
    let home = tempfile::tempdir().unwrap();
    let mut mismatches = Vec::new();
    for (server, cluster) in &clusters {
        for mode in [
            "disable",
            "allow",
            "prefer",
            "require",
            "verify-ca",
            "verify-full",
        ] {
            let url = format!(
                "postgresql://postgres@localhost:{}/postgres?sslmode={mode}&sslrootcert={}",
                cluster.port(),
                pki.ca.cert
            );
            let ours = Command::new(env!("CARGO_BIN_EXE_sequelae"))
                .args(["--database-url", &url, "exec", ENCRYPTED_SQL])
                .env_remove("DATABASE_URL")
                .env("HOME", home.path())
                .current_dir(home.path())
                .output()
                .unwrap();
            let theirs = Command::new(cluster.bin_dir().join("psql"))
                .args(["-X", "-A", "-t", "-c", ENCRYPTED_SQL, &url])
                .env("HOME", home.path())
                .output()
                .unwrap();
            let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            let ours = outcome(
                ours.status.success(),
                &text(&ours.stdout),
                &text(&ours.stderr),
            );
            let theirs = outcome(
                theirs.status.success(),
                &text(&theirs.stdout),
                &text(&theirs.stderr),
            );
            if ours != theirs || ours.starts_with("failed") || ours.starts_with("connected") {
                mismatches.push(format!(
                    "{server} sslmode={mode}: sequelae {ours}, psql {theirs}"
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// pg_dump gets the TLS settings: a hostssl-only server refuses it anything else.
#[test]
fn backup_over_verified_tls_reaches_a_hostssl_only_server() {
    use sequelae_tests::server_bin;
    use sequelae_tests::tls::{ServerCert, TestPki};
    let pki = TestPki::create().unwrap();
    let opts = pki
        .cluster_options(
            ServerCert::Trusted,
            &["hostnossl all all 127.0.0.1/32 reject"],
        )
        .unwrap();
    let cluster = Cluster::start(opts).unwrap();
    cluster
        .psql(
            "postgres",
            "CREATE TABLE over_tls (id int); INSERT INTO over_tls VALUES (42)",
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "postgresql://postgres@localhost:{}/postgres?sslmode=verify-full&sslrootcert={}",
        cluster.port(),
        pki.ca.cert
    );
    let pg_dump = server_bin("pg_dump").unwrap().to_string();
    let out = Run::from(
        Command::new(env!("CARGO_BIN_EXE_sequelae"))
            .args([
                "--database-url",
                &url,
                "backup",
                "-o",
                "tls.sql",
                "--pg-dump-path",
                &pg_dump,
            ])
            .env_remove("DATABASE_URL")
            .env("HOME", dir.path())
            .current_dir(dir.path())
            .output()
            .unwrap(),
    )
    .ok();
    let dump = std::fs::read_to_string(dir.path().join("tls.sql")).unwrap();
    assert!(dump.contains("over_tls"), "{out:?}");
    assert!(dump.contains("42"), "{out:?}");
}
