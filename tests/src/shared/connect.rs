//! Connecting the way psql does: every authentication method, TCP and Unix
//! sockets, host lists, password files, and errors that name the user and
//! the method but never the password.

use std::os::unix::fs::PermissionsExt;

use sequelae_core::client_error::ClientError as Error;
use sequelae_core::config::{ConnectSettings, Environment};

use super::settings;
use crate::runtime::{Runtime, TestClient};
use crate::{AuthMethod, Cluster, role};

fn current_user(client: &mut impl TestClient) -> String {
    let results = client.simple_query("SELECT current_user").unwrap();
    results[0].rows[0].get_str(0).unwrap().to_string()
}

/// The connect tests for one runtime.
#[macro_export]
macro_rules! connect_tests {
    ($runtime:ty) => {
        $crate::__shared_tests!(
            $runtime,
            connect,
            [
                unix_socket_trust_and_scram,
                query_parameter_host_names_a_socket_directory,
                host_list_falls_through_to_the_next_host,
                every_failed_host_is_reported,
                password_file_supplies_the_password,
                unknown_database_is_a_connect_error_naming_it,
                connect_timeout_bounds_a_server_that_never_answers,
                target_session_attrs_read_only_accepts_a_read_only_session,
                hostaddr_is_where_the_connection_goes,
                service_file_names_the_server_and_database,
                an_http_server_is_named_as_not_postgres,
                an_ignored_password_file_is_reported_when_connecting_fails,
                the_password_file_is_the_one_the_settings_were_resolved_with,
            ]
        );

        #[rstest::rstest]
        #[case::trust($crate::AuthMethod::Trust)]
        #[case::cleartext($crate::AuthMethod::Password)]
        #[case::md5($crate::AuthMethod::Md5)]
        #[case::scram($crate::AuthMethod::ScramSha256)]
        fn right_password_over_tcp(#[case] method: $crate::AuthMethod) {
            $crate::shared::connect::right_password_over_tcp::<$runtime>(method);
        }

        #[rstest::rstest]
        #[case::cleartext($crate::AuthMethod::Password, "password")]
        #[case::md5($crate::AuthMethod::Md5, "md5")]
        #[case::scram($crate::AuthMethod::ScramSha256, "scram-sha-256")]
        fn wrong_password_names_user_and_method_not_password(
            #[case] method: $crate::AuthMethod,
            #[case] method_name: &str,
        ) {
            $crate::shared::connect::wrong_password_names_user_and_method_not_password::<$runtime>(
                method,
                method_name,
            );
        }

        #[rstest::rstest]
        #[case::cleartext($crate::AuthMethod::Password)]
        #[case::md5($crate::AuthMethod::Md5)]
        #[case::scram($crate::AuthMethod::ScramSha256)]
        fn missing_password_says_where_to_put_one(#[case] method: $crate::AuthMethod) {
            $crate::shared::connect::missing_password_says_where_to_put_one::<$runtime>(method);
        }

        #[rstest::rstest]
        #[case::any("any")]
        #[case::read_write("read-write")]
        #[case::primary("primary")]
        #[case::prefer_standby("prefer-standby")]
        fn target_session_attrs_a_primary_satisfies(#[case] attrs: &str) {
            $crate::shared::connect::target_session_attrs_a_primary_satisfies::<$runtime>(attrs);
        }

        #[rstest::rstest]
        #[case::read_only("read-only", "session is not read-only")]
        #[case::standby("standby", "server is not in hot standby mode")]
        fn target_session_attrs_rejects_every_host_that_does_not_match(
            #[case] attrs: &str,
            #[case] reason: &str,
        ) {
            $crate::shared::connect::target_session_attrs_rejects_every_host_that_does_not_match::<
                $runtime,
            >(attrs, reason);
        }

        #[rstest::rstest]
        #[case::require("require")]
        #[case::verify_ca("verify-ca")]
        #[case::verify_full("verify-full")]
        fn tls_only_modes_fail_as_libpq_against_a_server_without_tls(#[case] mode: &str) {
            $crate::shared::connect::tls_only_modes_fail_as_libpq_against_a_server_without_tls::<
                $runtime,
            >(mode);
        }
    };
}

pub fn right_password_over_tcp<R: Runtime>(method: AuthMethod) {
    let cluster = Cluster::shared();
    let role = role(method);
    let mut client = R::connect(&settings(&cluster.url(&role, "postgres"))).unwrap();
    assert_eq!(current_user(&mut client), role.name);
    assert!(client.server_version_num().unwrap() >= 150000);
    assert!(client.backend_pid().is_some());
    client.close().unwrap();
}

pub fn wrong_password_names_user_and_method_not_password<R: Runtime>(
    method: AuthMethod,
    method_name: &str,
) {
    let cluster = Cluster::shared();
    let role = role(method);
    let wrong = "Wr0ng p@ss: not-it";
    let mut s = settings(&cluster.url(&role, "postgres"));
    s.password = Some(sequelae_core::config::Password::new(wrong));
    let err = R::connect(&s).unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&format!("user \"{}\"", role.name)), "{text}");
    assert!(text.contains(method_name), "{text}");
    assert!(
        text.contains("28P01") || text.contains("password authentication failed"),
        "{text}"
    );
    assert!(
        text.contains(&format!("127.0.0.1\", port {}", cluster.port())),
        "{text}"
    );
    assert!(!text.contains(wrong), "{text}");
    assert!(!format!("{err:?}").contains(wrong));
}

pub fn missing_password_says_where_to_put_one<R: Runtime>(method: AuthMethod) {
    let cluster = Cluster::shared();
    let role = role(method);
    let dir = tempfile::tempdir().unwrap();
    // An empty password file, so that the user's real ~/.pgpass is never read.
    let passfile = dir.path().join("pgpass");
    std::fs::write(&passfile, "").unwrap();
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600)).unwrap();
    let s = settings(&format!(
        "host=127.0.0.1 port={} user={} dbname=postgres passfile={}",
        cluster.port(),
        role.name,
        passfile.display()
    ));
    let text = R::connect(&s).unwrap_err().to_string();
    assert!(text.contains("no password was supplied"), "{text}");
    assert!(text.contains(role.name), "{text}");
    assert!(text.contains("PGPASSWORD"), "{text}");
}

pub fn unix_socket_trust_and_scram<R: Runtime>() {
    let cluster = Cluster::shared();
    let mut su = R::connect(&settings(&cluster.superuser_conninfo("postgres"))).unwrap();
    assert_eq!(current_user(&mut su), "postgres");
    assert!(su.endpoint().socket_path().is_some());

    let scram = role(AuthMethod::ScramSha256);
    let url = format!(
        "postgresql://{}:{}@{}:{}/postgres",
        scram.name,
        percent_encoding::utf8_percent_encode(scram.password, percent_encoding::NON_ALPHANUMERIC),
        percent_encoding::utf8_percent_encode(
            cluster.socket_dir().as_str(),
            percent_encoding::NON_ALPHANUMERIC
        ),
        cluster.port()
    );
    let mut client = R::connect(&settings(&url)).unwrap();
    assert_eq!(current_user(&mut client), scram.name);
}

pub fn query_parameter_host_names_a_socket_directory<R: Runtime>() {
    let cluster = Cluster::shared();
    let url = format!(
        "postgresql:///postgres?host={}&port={}&user=postgres",
        cluster.socket_dir(),
        cluster.port()
    );
    let mut client = R::connect(&settings(&url)).unwrap();
    assert_eq!(current_user(&mut client), "postgres");
}

pub fn host_list_falls_through_to_the_next_host<R: Runtime>() {
    let cluster = Cluster::shared();
    // Port 1 on loopback refuses at once; libpq would go on to the next host.
    let s = settings(&format!(
        "host=127.0.0.1,{} port=1,{} user=postgres dbname=postgres",
        cluster.socket_dir(),
        cluster.port()
    ));
    let mut client = R::connect(&s).unwrap();
    assert_eq!(current_user(&mut client), "postgres");
}

pub fn every_failed_host_is_reported<R: Runtime>() {
    let s = settings("host=127.0.0.1,/nonexistent-dir port=1,2 user=postgres dbname=postgres");
    let err = R::connect(&s).unwrap_err();
    assert!(
        matches!(err, Error::AllHostsFailed(ref v) if v.len() == 2),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("server at \"127.0.0.1\", port 1"), "{text}");
    assert!(
        text.contains("server on socket \"/nonexistent-dir/.s.PGSQL.2\""),
        "{text}"
    );
    assert!(text.contains("Is the server running"), "{text}");
}

pub fn password_file_supplies_the_password<R: Runtime>() {
    let cluster = Cluster::shared();
    let role = role(AuthMethod::ScramSha256);
    let dir = tempfile::tempdir().unwrap();
    let passfile = dir.path().join("pgpass");
    let escaped = role.password.replace('\\', "\\\\").replace(':', "\\:");
    std::fs::write(
        &passfile,
        format!(
            "# comment\nelsewhere:*:*:*:wrong\n127.0.0.1:{}:*:{}:{escaped}\n",
            cluster.port(),
            role.name
        ),
    )
    .unwrap();
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600)).unwrap();
    let conn = format!(
        "host=127.0.0.1 port={} user={} dbname=postgres passfile={}",
        cluster.port(),
        role.name,
        passfile.display()
    );
    let mut client = R::connect(&settings(&conn)).unwrap();
    assert_eq!(current_user(&mut client), role.name);
    assert!(client.warnings().is_empty());

    // Readable by others: ignored with a warning, as libpq does.
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o644)).unwrap();
    let text = R::connect(&settings(&conn)).unwrap_err().to_string();
    assert!(text.contains("no password was supplied"), "{text}");
    let (found, warnings) = R::load_pgpass(&settings(&conn), &Environment::new());
    assert!(found.is_none());
    assert!(
        warnings[0].contains("group or world access"),
        "{warnings:?}"
    );
}

pub fn unknown_database_is_a_connect_error_naming_it<R: Runtime>() {
    let cluster = Cluster::shared();
    let s = settings(&format!(
        "host={} port={} user=postgres dbname=no_such_db",
        cluster.socket_dir(),
        cluster.port()
    ));
    let err = R::connect(&s).unwrap_err();
    assert!(err.is_connect());
    assert!(
        err.to_string()
            .contains("database \"no_such_db\" does not exist"),
        "{err}"
    );
}

pub fn connect_timeout_bounds_a_server_that_never_answers<R: Runtime>() {
    // A listener that accepts and then says nothing: the startup must give
    // up after connect_timeout instead of hanging.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let s = settings(&format!(
        "host=127.0.0.1 port={port} user=x dbname=x connect_timeout=2 sslmode=disable"
    ));
    let started = std::time::Instant::now();
    let err = R::connect(&s).unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    drop(listener);
}

fn superuser_tcp(extra: &str) -> String {
    let cluster = Cluster::shared();
    format!(
        "host=127.0.0.1 port={} user=postgres dbname=postgres {extra}",
        cluster.port()
    )
}

pub fn target_session_attrs_a_primary_satisfies<R: Runtime>(attrs: &str) {
    let conn = superuser_tcp(&format!("target_session_attrs={attrs}"));
    let mut client = R::connect(&settings(&conn)).unwrap();
    assert_eq!(current_user(&mut client), "postgres");
}

pub fn target_session_attrs_rejects_every_host_that_does_not_match<R: Runtime>(
    attrs: &str,
    reason: &str,
) {
    let cluster = Cluster::shared();
    // Two hosts, the same primary: both are tried and both refused.
    let s = settings(&format!(
        "host=127.0.0.1,{} port={} user=postgres dbname=postgres target_session_attrs={attrs}",
        cluster.socket_dir(),
        cluster.port()
    ));
    let err = R::connect(&s).unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert!(
        matches!(err, Error::AllHostsFailed(ref v) if v.len() == 2),
        "{err:?}"
    );
    let text = err.to_string();
    assert_eq!(text.matches(reason).count(), 2, "{text}");
}

pub fn target_session_attrs_read_only_accepts_a_read_only_session<R: Runtime>() {
    // default_transaction_read_only is reported at startup (PG 14+).
    let conn = superuser_tcp(
        "target_session_attrs=read-only options='-c default_transaction_read_only=on'",
    );
    let mut client = R::connect(&settings(&conn)).unwrap();
    assert_eq!(current_user(&mut client), "postgres");
    let err = R::connect(&settings(&superuser_tcp(
        "target_session_attrs=read-write options='-c default_transaction_read_only=on'",
    )))
    .unwrap_err();
    assert!(err.to_string().contains("session is read-only"), "{err}");
}

pub fn hostaddr_is_where_the_connection_goes<R: Runtime>() {
    let cluster = Cluster::shared();
    // The name does not resolve; only hostaddr can make this work.
    let s = settings(&format!(
        "host=db.invalid hostaddr=127.0.0.1 port={} user=postgres dbname=postgres",
        cluster.port()
    ));
    let mut client = R::connect(&s).unwrap();
    assert_eq!(current_user(&mut client), "postgres");

    let env = Environment::new()
        .with_os_user("nobody")
        .with_var("PGHOST", "db.invalid")
        .with_var("PGHOSTADDR", "127.0.0.1")
        .with_var("PGPORT", cluster.port().to_string())
        .with_var("PGUSER", "postgres");
    let mut client = R::connect(&ConnectSettings::resolve(None, &env).unwrap()).unwrap();
    assert_eq!(current_user(&mut client), "postgres");
}

pub fn service_file_names_the_server_and_database<R: Runtime>() {
    let cluster = Cluster::shared();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("services.conf");
    std::fs::write(
        &file,
        format!(
            "[other]\nhost=db.invalid\n[app]\nhost={}\nport={}\nuser=postgres\ndbname=template1\n",
            cluster.socket_dir(),
            cluster.port()
        ),
    )
    .unwrap();
    let env = Environment::new()
        .with_os_user("nobody")
        .with_var("PGSERVICEFILE", file.to_str().unwrap())
        .with_var("PGSERVICE", "app")
        .with_var("PGDATABASE", "postgres");
    let s = ConnectSettings::resolve_with_files(None, &env, &R::read_service_file).unwrap();
    let mut client = R::connect(&s).unwrap();
    let db = client.simple_query("SELECT current_database()").unwrap();
    // The service file beats PGDATABASE, as in libpq.
    assert_eq!(db[0].rows[0].get_str(0), Some("template1"));
}

pub fn an_http_server_is_named_as_not_postgres<R: Runtime>() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut socket, _) = listener.accept().unwrap();
        let mut request = [0u8; 256];
        let _ = socket.read(&mut request);
        let _ = socket.write_all(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    });
    let s = settings(&format!(
        "host=127.0.0.1 port={port} user=x dbname=x connect_timeout=10"
    ));
    let err = R::connect(&s).unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert!(
        err.to_string()
            .contains("expected an authentication request from the server, but received 'H'"),
        "{err}"
    );
    server.join().unwrap();
}

pub fn an_ignored_password_file_is_reported_when_connecting_fails<R: Runtime>() {
    let cluster = Cluster::shared();
    let role = role(AuthMethod::ScramSha256);
    let dir = tempfile::tempdir().unwrap();
    let passfile = dir.path().join("team-pgpass");
    std::fs::write(
        &passfile,
        format!("*:*:*:{}:{}\n", role.name, role.password),
    )
    .unwrap();
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o644)).unwrap();
    let env = Environment::new()
        .with_os_user("nobody")
        .with_var("PGPASSFILE", passfile.to_str().unwrap())
        .with_var("HOME", dir.path().to_str().unwrap());
    let conn = format!(
        "host=127.0.0.1 port={} user={} dbname=postgres",
        cluster.port(),
        role.name
    );
    let err = R::connect(&ConnectSettings::resolve(Some(&conn), &env).unwrap()).unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("no password was supplied"), "{text}");
    assert!(
        text.contains(&format!(
            "password file \"{}\" has group or world access",
            passfile.display()
        )),
        "{text}"
    );
    assert!(!text.contains(".pgpass\""), "{text}");
    assert!(!text.contains(role.password), "{text}");
}

pub fn tls_only_modes_fail_as_libpq_against_a_server_without_tls<R: Runtime>(mode: &str) {
    let cluster = Cluster::shared();
    let err = R::connect(&settings(&format!(
        "host=127.0.0.1 port={} user=postgres dbname=postgres sslmode={mode}",
        cluster.port()
    )))
    .unwrap_err();
    assert!(!matches!(err, Error::Config(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains(&format!("server does not support SSL, but sslmode={mode}")),
        "{err}"
    );
    // Over a Unix socket, libpq never uses TLS: the same mode connects.
    let socket = format!(
        "host={} port={} user=postgres dbname=postgres sslmode={mode}",
        cluster.socket_dir(),
        cluster.port()
    );
    let mut client = R::connect(&settings(&socket)).unwrap();
    assert_eq!(current_user(&mut client), "postgres");
}

pub fn the_password_file_is_the_one_the_settings_were_resolved_with<R: Runtime>() {
    // HOME exists only in the Environment the settings were resolved from:
    // connecting finds ~/.pgpass there, not in the process environment.
    let cluster = Cluster::shared();
    let role = role(AuthMethod::ScramSha256);
    let home = tempfile::tempdir().unwrap();
    let passfile = home.path().join(".pgpass");
    let escaped = role.password.replace('\\', "\\\\").replace(':', "\\:");
    std::fs::write(&passfile, format!("*:*:*:{}:{escaped}\n", role.name)).unwrap();
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600)).unwrap();
    let env = Environment::new()
        .with_os_user("nobody")
        .with_var("HOME", home.path().to_str().unwrap());
    let conn = format!(
        "host=127.0.0.1 port={} user={} dbname=postgres",
        cluster.port(),
        role.name
    );
    let s = ConnectSettings::resolve(Some(&conn), &env).unwrap();
    assert_eq!(s.passfile, None);
    let mut client = R::connect(&s).unwrap();
    assert_eq!(current_user(&mut client), role.name);
}
