use std::time::Duration;

use rstest::rstest;

use super::*;

fn env() -> Environment {
    Environment::new().with_os_user("osuser")
}

fn resolve(explicit: Option<&str>, env: &Environment) -> ConnectSettings {
    ConnectSettings::resolve(explicit, env).expect("settings resolve")
}

fn resolve_err(explicit: Option<&str>, env: &Environment) -> String {
    ConnectSettings::resolve(explicit, env)
        .expect_err("settings must not resolve")
        .to_string()
}

fn tcp(host: &str, port: u16) -> Endpoint {
    Endpoint {
        host: Host::Tcp(host.to_string()),
        port,
        hostaddr: None,
    }
}

fn unix(dir: &str, port: u16) -> Endpoint {
    Endpoint {
        host: Host::Unix(dir.to_string()),
        port,
        hostaddr: None,
    }
}

fn via(mut endpoint: Endpoint, hostaddr: &str) -> Endpoint {
    endpoint.hostaddr = Some(hostaddr.to_string());
    endpoint
}

fn exposed(p: &Option<Password>) -> Option<&str> {
    p.as_ref().map(Password::expose)
}

#[test]
fn libpq_defaults_apply_when_nothing_is_given() {
    let s = resolve(None, &env());
    assert_eq!(s.endpoints, vec![unix("/var/run/postgresql", 5432)]);
    assert_eq!(s.user, "osuser");
    assert_eq!(s.database, "osuser");
    assert_eq!(s.password, None);
    assert_eq!(s.ssl_mode, SslMode::Prefer);
    assert_eq!(s.connect_timeout, None);
    assert_eq!(s.application_name, None);
    assert_eq!(s.options, None);
    assert_eq!(s.passfile, None);
    assert_eq!(
        s.to_string(),
        "host=/var/run/postgresql port=5432 user=osuser dbname=osuser"
    );
}

#[test]
fn a_uri_sets_everything_it_names() {
    let s = resolve(
        Some(
            "postgresql://alice:p%40ss@db.example:6543/app?sslmode=verify-full\
             &application_name=my%20app&connect_timeout=7&options=-c%20statement_timeout%3D5s\
             &sslrootcert=/ca.pem&sslcert=/c.pem&sslkey=/k.pem&passfile=/pgpass",
        ),
        &env(),
    );
    assert_eq!(s.endpoints, vec![tcp("db.example", 6543)]);
    assert_eq!(s.user, "alice");
    assert_eq!(exposed(&s.password), Some("p@ss"));
    assert_eq!(s.database, "app");
    assert_eq!(s.ssl_mode, SslMode::VerifyFull);
    assert_eq!(s.application_name.as_deref(), Some("my app"));
    assert_eq!(s.connect_timeout, Some(Duration::from_secs(7)));
    assert_eq!(s.options.as_deref(), Some("-c statement_timeout=5s"));
    assert_eq!(s.ssl_root_cert.as_deref(), Some("/ca.pem"));
    assert_eq!(s.ssl_cert.as_deref(), Some("/c.pem"));
    assert_eq!(s.ssl_key.as_deref(), Some("/k.pem"));
    assert_eq!(s.passfile.as_deref(), Some("/pgpass"));
}

#[test]
fn a_key_value_string_sets_everything_it_names() {
    let s = resolve(
        Some(
            "host=db.example port=6543 user=alice password='p@ss w:rd' dbname=app \
             sslmode=require application_name='my app' connect_timeout=7 options='-c x=1'",
        ),
        &env(),
    );
    assert_eq!(s.endpoints, vec![tcp("db.example", 6543)]);
    assert_eq!(s.user, "alice");
    assert_eq!(exposed(&s.password), Some("p@ss w:rd"));
    assert_eq!(s.database, "app");
    assert_eq!(s.ssl_mode, SslMode::Require);
    assert_eq!(s.application_name.as_deref(), Some("my app"));
    assert_eq!(s.connect_timeout, Some(Duration::from_secs(7)));
    assert_eq!(s.options.as_deref(), Some("-c x=1"));
}

#[test]
fn doubled_quote_is_not_an_escape() {
    // libpq ends the value at the second quote and reads "'s'" as a key.
    assert!(
        resolve_err(Some("host=h password='it''s' dbname=app"), &env())
            .starts_with("missing \"=\" after \"'s'\"")
    );
}

#[test]
fn quoted_password_with_escapes() {
    let s = resolve(
        Some(r"host=h password='it\'s a \\ test' dbname=app"),
        &env(),
    );
    assert_eq!(exposed(&s.password), Some(r"it's a \ test"));
    assert_eq!(s.database, "app");
}

#[rstest]
// Explicit beats DATABASE_URL, which beats PG*, which beats defaults.
#[case(Some("host=explicit"), "explicit")]
#[case(None, "from-url")]
fn explicit_wins_over_database_url(#[case] explicit: Option<&str>, #[case] host: &str) {
    let env = env()
        .with_var("DATABASE_URL", "postgres://from-url/db")
        .with_var("PGHOST", "from-pghost");
    let s = resolve(explicit, &env);
    assert_eq!(s.endpoints, vec![tcp(host, 5432)]);
}

#[test]
fn database_url_is_not_read_when_explicit_is_given() {
    // Even a broken DATABASE_URL does not matter then.
    let env = env().with_var("DATABASE_URL", "postgres://[broken");
    let s = resolve(Some("host=h"), &env);
    assert_eq!(s.endpoints, vec![tcp("h", 5432)]);
    assert!(resolve_err(None, &env).contains("DATABASE_URL"));
}

#[test]
fn pg_variables_fill_what_the_string_leaves_out() {
    let env = env()
        .with_var("DATABASE_URL", "postgres://url-host/url-db")
        .with_var("PGHOST", "pg-host")
        .with_var("PGPORT", "6000")
        .with_var("PGUSER", "pg-user")
        .with_var("PGPASSWORD", "pg-password")
        .with_var("PGDATABASE", "pg-db")
        .with_var("PGSSLMODE", "require")
        .with_var("PGSSLROOTCERT", "/root.pem")
        .with_var("PGSSLCERT", "/cert.pem")
        .with_var("PGSSLKEY", "/key.pem")
        .with_var("PGAPPNAME", "pg-app")
        .with_var("PGCONNECT_TIMEOUT", "12")
        .with_var("PGPASSFILE", "/pg-passfile")
        .with_var("PGOPTIONS", "-c work_mem=64MB");
    let s = resolve(None, &env);
    assert_eq!(s.endpoints, vec![tcp("url-host", 6000)]);
    assert_eq!(s.database, "url-db");
    assert_eq!(s.user, "pg-user");
    assert_eq!(exposed(&s.password), Some("pg-password"));
    assert_eq!(s.ssl_mode, SslMode::Require);
    assert_eq!(s.ssl_root_cert.as_deref(), Some("/root.pem"));
    assert_eq!(s.ssl_cert.as_deref(), Some("/cert.pem"));
    assert_eq!(s.ssl_key.as_deref(), Some("/key.pem"));
    assert_eq!(s.application_name.as_deref(), Some("pg-app"));
    assert_eq!(s.connect_timeout, Some(Duration::from_secs(12)));
    assert_eq!(s.passfile.as_deref(), Some("/pg-passfile"));
    assert_eq!(s.options.as_deref(), Some("-c work_mem=64MB"));

    // The string's own values win over every variable.
    let s = resolve(
        Some("postgres://u:pw@h:1/db?sslmode=disable&application_name=a&connect_timeout=3"),
        &env,
    );
    assert_eq!(s.endpoints, vec![tcp("h", 1)]);
    assert_eq!((s.user.as_str(), s.database.as_str()), ("u", "db"));
    assert_eq!(exposed(&s.password), Some("pw"));
    assert_eq!(s.ssl_mode, SslMode::Disable);
    assert_eq!(s.application_name.as_deref(), Some("a"));
    assert_eq!(s.connect_timeout, Some(Duration::from_secs(3)));
}

#[test]
fn pg_variables_apply_without_any_string() {
    let env = env()
        .with_var("PGHOST", "/tmp")
        .with_var("PGPORT", "5499")
        .with_var("PGUSER", "bob");
    let s = resolve(None, &env);
    assert_eq!(s.endpoints, vec![unix("/tmp", 5499)]);
    assert_eq!((s.user.as_str(), s.database.as_str()), ("bob", "bob"));
}

#[test]
fn empty_variables_count_as_unset() {
    let env = env()
        .with_var("DATABASE_URL", "")
        .with_var("PGHOST", "")
        .with_var("PGUSER", "")
        .with_var("PGPASSWORD", "");
    let s = resolve(None, &env);
    assert_eq!(s.endpoints, vec![unix("/var/run/postgresql", 5432)]);
    assert_eq!(s.user, "osuser");
    assert_eq!(s.password, None);
}

#[test]
fn explicitly_empty_values_mean_the_default_not_the_variable() {
    let env = env()
        .with_var("PGHOST", "pg-host")
        .with_var("PGPASSWORD", "pg-password")
        .with_var("PGUSER", "pg-user");
    let s = resolve(Some("host='' password='' user=''"), &env);
    assert_eq!(s.endpoints, vec![unix("/var/run/postgresql", 5432)]);
    assert_eq!(s.password, None);
    assert_eq!(s.user, "osuser");
    // URIs leave empty user/password/dbname unset, so variables apply.
    let s = resolve(Some("postgres://:@h/"), &env);
    assert_eq!(s.user, "pg-user");
    assert_eq!(exposed(&s.password), Some("pg-password"));
}

#[test]
fn pguser_beats_os_user_and_names_the_database() {
    let s = resolve(Some("host=h"), &env().with_var("PGUSER", "pg-user"));
    assert_eq!(
        (s.user.as_str(), s.database.as_str()),
        ("pg-user", "pg-user")
    );
    let s = resolve(Some("host=h user=str-user"), &env());
    assert_eq!(
        (s.user.as_str(), s.database.as_str()),
        ("str-user", "str-user")
    );
}

#[test]
fn no_user_anywhere_is_an_error() {
    assert_eq!(
        resolve_err(Some("host=h"), &Environment::new()),
        "no user name: set PGUSER or put the user in the connection string"
    );
    let s = resolve(Some("host=h user=u"), &Environment::new());
    assert_eq!(s.user, "u");
}

#[rstest]
#[case("postgresql://%2Fvar%2Frun%2Fpostgresql/db", vec![unix("/var/run/postgresql", 5432)])]
#[case("postgresql:///db?host=/tmp/sock", vec![unix("/tmp/sock", 5432)])]
#[case("postgresql:///db?host=%2Ftmp%2Fsock&port=5433", vec![unix("/tmp/sock", 5433)])]
#[case("postgresql:///db", vec![unix("/var/run/postgresql", 5432)])]
#[case("postgresql://[::1]:5433/db", vec![tcp("::1", 5433)])]
#[case("postgresql://[::1]/db", vec![tcp("::1", 5432)])]
#[case("postgresql://a:5433,b/db", vec![tcp("a", 5433), tcp("b", 5432)])]
#[case("postgresql://a:1,b:2,[::1]:3/db", vec![tcp("a", 1), tcp("b", 2), tcp("::1", 3)])]
#[case("host=a,b port=5432,5433", vec![tcp("a", 5432), tcp("b", 5433)])]
#[case("host=a,b,c port=6000", vec![tcp("a", 6000), tcp("b", 6000), tcp("c", 6000)])]
#[case("host=a,,/tmp port=1,2,3", vec![tcp("a", 1), unix("/var/run/postgresql", 2), unix("/tmp", 3)])]
#[case("host=a,b port=,7", vec![tcp("a", 5432), tcp("b", 7)])]
#[case("host=::1", vec![tcp("::1", 5432)])]
#[case("host=[::1]", vec![tcp("::1", 5432)])]
#[case("port=' 5433 '", vec![unix("/var/run/postgresql", 5433)])]
#[case("hostaddr=10.0.0.1", vec![via(tcp("10.0.0.1", 5432), "10.0.0.1")])]
#[case("host=db.example hostaddr=10.0.0.1", vec![via(tcp("db.example", 5432), "10.0.0.1")])]
#[case(
    "host=a, hostaddr=10.0.0.1,10.0.0.2",
    vec![via(tcp("a", 5432), "10.0.0.1"), via(tcp("10.0.0.2", 5432), "10.0.0.2")]
)]
fn builds_the_host_list_like_libpq(#[case] text: &str, #[case] endpoints: Vec<Endpoint>) {
    assert_eq!(resolve(Some(text), &env()).endpoints, endpoints, "{text}");
}

#[test]
fn pgport_applies_to_every_host_unless_the_string_gives_ports() {
    let env = env().with_var("PGPORT", "6000");
    let s = resolve(Some("host=a,b"), &env);
    assert_eq!(s.endpoints, vec![tcp("a", 6000), tcp("b", 6000)]);
    // libpq quirk: a multi-host URI stores its (empty) port list "," so
    // PGPORT no longer applies and each host gets 5432.
    let s = resolve(Some("postgresql://a,b/db"), &env);
    assert_eq!(s.endpoints, vec![tcp("a", 5432), tcp("b", 5432)]);
    let s = resolve(Some("postgresql://a/db"), &env);
    assert_eq!(s.endpoints, vec![tcp("a", 6000)]);
    // PGHOST lists pair with PGPORT lists too.
    let env = env.with_var("PGHOST", "x,y").with_var("PGPORT", "1,2");
    assert_eq!(
        resolve(None, &env).endpoints,
        vec![tcp("x", 1), tcp("y", 2)]
    );
}

#[rstest]
#[case(
    Some("host=h port=54x2"),
    Environment::new().with_os_user("u"),
    "invalid port \"54x2\" in connection string: expected a number from 1 to 65535"
)]
#[case(
    Some("postgres://h:0/db"),
    Environment::new().with_os_user("u"),
    "invalid port \"0\" in connection string: expected a number from 1 to 65535"
)]
#[case(
    Some("postgres://h:65536/db"),
    Environment::new().with_os_user("u"),
    "invalid port \"65536\" in connection string: expected a number from 1 to 65535"
)]
#[case(
    Some("host=h port=-5432"),
    Environment::new().with_os_user("u"),
    "invalid port \"-5432\" in connection string: expected a number from 1 to 65535"
)]
#[case(
    None,
    Environment::new().with_os_user("u").with_var("PGPORT", "abc"),
    "invalid port \"abc\" in PGPORT: expected a number from 1 to 65535"
)]
#[case(
    None,
    Environment::new().with_os_user("u").with_var("DATABASE_URL", "postgres://h:99999/db"),
    "invalid port \"99999\" in DATABASE_URL: expected a number from 1 to 65535"
)]
#[case(
    Some("host=a,b,c port=1,2"),
    Environment::new().with_os_user("u"),
    "could not match 2 port numbers to 3 hosts (ports from connection string, hosts from \
     connection string): give one port for all hosts or one port per host"
)]
#[case(
    Some("host=a,b"),
    Environment::new().with_os_user("u").with_var("PGPORT", "1,2,3"),
    "could not match 3 port numbers to 2 hosts (ports from PGPORT, hosts from connection \
     string): give one port for all hosts or one port per host"
)]
#[case(
    None,
    Environment::new().with_os_user("u").with_var("PGPORT", "1,2"),
    "could not match 2 port numbers to 1 hosts (ports from PGPORT, hosts from the defaults): \
     give one port for all hosts or one port per host"
)]
#[case(
    Some("host=a,b hostaddr=10.0.0.1"),
    Environment::new().with_os_user("u"),
    "could not match 2 host names (from connection string) to 1 hostaddr values (from \
     connection string): give as many host names as addresses"
)]
#[case(
    Some("sslmode=requir"),
    Environment::new().with_os_user("u"),
    "invalid sslmode \"requir\" in connection string: expected one of disable, allow, prefer, \
     require, verify-ca, verify-full"
)]
#[case(
    None,
    Environment::new().with_os_user("u").with_var("PGSSLMODE", "on"),
    "invalid sslmode \"on\" in PGSSLMODE: expected one of disable, allow, prefer, require, \
     verify-ca, verify-full"
)]
#[case(
    Some("connect_timeout=10s"),
    Environment::new().with_os_user("u"),
    "invalid connect_timeout \"10s\" in connection string: expected a whole number of \
     seconds (0 waits forever)"
)]
#[case(
    None,
    Environment::new().with_os_user("u").with_var("PGCONNECT_TIMEOUT", "99999999999"),
    "invalid connect_timeout \"99999999999\" in PGCONNECT_TIMEOUT: expected a whole number of \
     seconds (0 waits forever)"
)]
#[case(
    Some("sslrootcert=system sslmode=require"),
    Environment::new().with_os_user("u"),
    "sslmode \"require\" from connection string may not be used with sslrootcert=system: use \
     sslmode=verify-full (or leave sslmode unset)"
)]
#[case(
    Some("mydb"),
    Environment::new().with_os_user("u"),
    "connection string is neither a connection URI nor key=value settings: write \
     postgresql://user@host:5432/dbname or \"host=... port=5432 user=... dbname=...\""
)]
#[case(
    None,
    Environment::new().with_os_user("u").with_var("DATABASE_URL", "mysql://u:pw@h/db"),
    "connection URI must start with postgres:// or postgresql:// (found \"mysql://\" in \
     DATABASE_URL)"
)]
#[case(
    Some("hots=localhost"),
    Environment::new().with_os_user("u"),
    "unknown connection option \"hots\" in connection string: did you mean \"host\"?"
)]
#[case(
    Some("postgresql://h/db?ssl=1"),
    Environment::new().with_os_user("u"),
    "invalid URI query parameter: \"ssl\" in connection string: did you mean \"sslmode\"? (e.g. \
     sslmode=require; in a URI only ssl=true is understood, as sslmode=require)"
)]
#[case(
    Some("postgresql://h/db?target_session_attrs=writable"),
    Environment::new().with_os_user("u"),
    "invalid target_session_attrs \"writable\" in connection string: expected one of any, \
     read-write, read-only, primary, standby, prefer-standby"
)]
#[case(
    None,
    env().with_var("PGLOADBALANCEHOSTS", "random"),
    "connection option load_balance_hosts=\"random\" in PGLOADBALANCEHOSTS is not supported \
     by sequelae: remove it or use disable"
)]
#[case(
    None,
    env().with_var("PGGSSENCMODE", "require"),
    "connection option gssencmode=\"require\" in PGGSSENCMODE is not supported by sequelae: \
     remove it or use disable, prefer"
)]
#[case(
    None,
    env().with_var("PGTZ", "UTC"),
    "PGTZ is set, but sequelae does not honour it: unset it and use PGOPTIONS='-c timezone=...'"
)]
#[case(
    None,
    env().with_var("PGSERVICE", "nowhere").with_var("HOME", "/home/a"),
    "definition of service \"nowhere\" (from PGSERVICE) not found in \
     /home/a/.pg_service.conf, /etc/postgresql-common/pg_service.conf"
)]
fn reports_errors_with_their_origin(
    #[case] explicit: Option<&str>,
    #[case] env: Environment,
    #[case] message: &str,
) {
    assert_eq!(resolve_err(explicit, &env), message);
}

#[rstest]
#[case("0", None)]
#[case("-5", None)]
#[case("1", Some(2))]
#[case("2", Some(2))]
#[case(" 10 ", Some(10))]
#[case("+30", Some(30))]
#[case("", None)]
fn connect_timeout_follows_libpq(#[case] value: &str, #[case] seconds: Option<u64>) {
    let s = resolve(Some(&format!("host=h connect_timeout='{value}'")), &env());
    assert_eq!(s.connect_timeout, seconds.map(Duration::from_secs));
}

#[test]
fn sslrootcert_system_raises_the_default_sslmode() {
    let s = resolve(Some("host=h sslrootcert=system"), &env());
    assert_eq!(s.ssl_mode, SslMode::VerifyFull);
    let s = resolve(
        Some("host=h sslrootcert=system sslmode=verify-full"),
        &env(),
    );
    assert_eq!(s.ssl_mode, SslMode::VerifyFull);
    let s = resolve(Some("host=h sslrootcert=/ca.pem"), &env());
    assert_eq!(s.ssl_mode, SslMode::Prefer);
}

#[test]
fn application_name_falls_back() {
    let s = resolve(Some("host=h fallback_application_name=fb"), &env());
    assert_eq!(s.application_name.as_deref(), Some("fb"));
    let s = resolve(
        Some("host=h fallback_application_name=fb"),
        &env().with_var("PGAPPNAME", "pg-app"),
    );
    assert_eq!(s.application_name.as_deref(), Some("pg-app"));
    let s = resolve(
        Some("host=h application_name=mine fallback_application_name=fb"),
        &env().with_var("PGAPPNAME", "pg-app"),
    );
    assert_eq!(s.application_name.as_deref(), Some("mine"));
}

#[test]
fn parse_ignores_the_environment_except_the_os_user() {
    let env = env()
        .with_var("PGHOST", "pg-host")
        .with_var("PGPASSWORD", "pg-password")
        .with_var("DATABASE_URL", "postgres://url-host/db");
    let s = ConnectSettings::parse("dbname=app", &env).expect("valid");
    assert_eq!(s.endpoints, vec![unix("/var/run/postgresql", 5432)]);
    assert_eq!(s.password, None);
    assert_eq!(s.user, "osuser");
    assert_eq!(s.database, "app");
}

#[rstest]
#[case("postgres://h/db\n")]
#[case("  host=h dbname=db  ")]
#[case("\tpostgresql://h/db ")]
fn surrounding_whitespace_is_ignored(#[case] text: &str) {
    let s = resolve(Some(text), &env());
    assert_eq!(s.endpoints, vec![tcp("h", 5432)]);
    assert_eq!(s.database, "db");
}

#[test]
fn an_empty_string_means_all_defaults() {
    let env = env().with_var("PGHOST", "pg-host");
    assert_eq!(
        resolve(Some(""), &env).endpoints,
        vec![tcp("pg-host", 5432)]
    );
}

/// Passwords full of characters that need escaping somewhere.
const SECRETS: &[(&str, &str)] = &[
    ("hunter2", "hunter2"),
    ("p%40ss%3Aw%2Frd%2525", "p@ss:w/rd%25"),
    ("%27quoted%22%20%5C%20x", "'quoted\" \\ x"),
    ("caf%C3%A9-%E2%98%95", "caf\u{e9}-\u{2615}"),
];

#[test]
fn never_shows_the_password() {
    for (encoded, secret) in SECRETS {
        let s = resolve(Some(&format!("postgres://alice:{encoded}@h/db")), &env());
        assert_eq!(exposed(&s.password), Some(*secret));
        let debug = format!("{s:?}");
        let display = s.to_string();
        let alternate = format!("{s:#?}");
        for shown in [&debug, &display, &alternate] {
            assert!(!shown.contains(secret), "{shown}");
            assert!(!shown.contains(encoded), "{shown}");
            assert!(shown.contains("********"), "{shown}");
        }
        assert_eq!(
            display,
            "host=h port=5432 user=alice dbname=db password=********"
        );
    }
}

#[test]
fn password_from_pgpassword_is_redacted_too() {
    let s = resolve(Some("host=h"), &env().with_var("PGPASSWORD", "env-secret"));
    assert!(!format!("{s:?}").contains("env-secret"));
    assert!(!s.to_string().contains("env-secret"));
}

#[test]
fn errors_never_contain_the_password() {
    let cases = [
        "postgres://alice:hunter2@h:54x2/db",
        "postgres://alice:hunter2@h/db?sslmode=requir",
        "postgres://alice:hunter2@h/db?hots=x",
        "postgres://alice:hunter2@h/db?connect_timeout=x",
        "postgres://alice:hunter2@h,i/db?port=1,2,3",
        "postgres://alice:hunter2%@h/db",
        "postgres://alice:hunter2/x@h/db",
        "postgres://alice:hunter2?x/y@h/db",
        "host=h password=hunter2 x",
        "host=h password=hunter2 x=1",
        "host=h password='hunter2",
        "password=hunter2",
    ];
    for text in cases {
        let empty = Environment::new();
        let message = match ConnectSettings::resolve(Some(text), &empty) {
            Ok(s) => panic!("{text} resolved to {s}"),
            Err(e) => e.to_string(),
        };
        assert!(!message.contains("hunter2"), "{text}: {message}");
    }
}

#[rstest]
#[case(
    "host=127.0.0.1 port=5432 user=alice dbname=app",
    "host=127.0.0.1 port=5432 user=alice dbname=app"
)]
#[case(
    "postgres://a:1,b:2/app?user=bob",
    "host=a,b port=1,2 user=bob dbname=app"
)]
#[case(
    "postgres://a,b/app?user=bob",
    "host=a,b port=5432 user=bob dbname=app"
)]
#[case(
    "host=h user=alice dbname='my db' sslmode=verify-ca connect_timeout=9 \
     application_name='it\\'s' options='-c x=1' sslrootcert=/ca sslcert=/c sslkey=/k passfile=/p",
    "host=h port=5432 user=alice dbname='my db' sslmode=verify-ca connect_timeout=9 \
     application_name='it\\'s' options='-c x=1' sslrootcert=/ca sslcert=/c sslkey=/k passfile=/p"
)]
#[case(
    "host=h user=alice dbname=a\\\\b",
    "host=h port=5432 user=alice dbname='a\\\\b'"
)]
fn displays_as_key_value(#[case] text: &str, #[case] shown: &str) {
    assert_eq!(resolve(Some(text), &env()).to_string(), shown);
}

#[rstest]
#[case("postgres://alice@[::1]:5433,%2Ftmp/my%20db?application_name=x%27y%5Cz&options=-c%20a%3Db")]
#[case("host=a,b port=1,2 user='o\\'brien' dbname='' sslmode=require connect_timeout=1")]
fn display_parses_back_to_the_same_settings(#[case] text: &str) {
    let s = resolve(Some(text), &env());
    let mut again = resolve(Some(&s.to_string()), &env());
    // The text spells out what the first resolution defaulted.
    again.origins.clone_from(&s.origins);
    assert_eq!(again, s, "{s}");
}

#[test]
fn password_for_prefers_the_configured_password() {
    let pgpass = PgPass::parse("a:5432:app:alice:from-file-a\nb:5432:app:alice:from-file-b\n");
    let s = resolve(Some("host=a,b user=alice dbname=app"), &env());
    let found: Vec<Option<String>> = s
        .endpoints
        .iter()
        .map(|e| {
            s.password_for(e, Some(&pgpass))
                .map(|p| p.expose().to_string())
        })
        .collect();
    assert_eq!(
        found,
        vec![
            Some("from-file-a".to_string()),
            Some("from-file-b".to_string())
        ]
    );
    assert_eq!(s.password_for(&s.endpoints[0], None), None);

    let s = resolve(
        Some("host=a,b user=alice dbname=app password=given"),
        &env(),
    );
    let p = s.password_for(&s.endpoints[1], Some(&pgpass));
    assert_eq!(p.as_ref().map(Password::expose), Some("given"));
}

#[test]
fn socket_in_default_dir_uses_localhost_pgpass_line() {
    let pgpass = PgPass::parse("localhost:5432:*:alice:sock-pw\n");
    let s = resolve(Some("user=alice"), &env());
    let p = s.password_for(&s.endpoints[0], Some(&pgpass));
    assert_eq!(p.as_ref().map(Password::expose), Some("sock-pw"));
}

fn files(path: &str) -> Option<String> {
    match path {
        "/home/a/.pg_service.conf" => {
            Some("[prod]\nhost=prod.example\nport=6000\ndbname=sales\n".to_string())
        }
        "/etc/pg/pg_service.conf" => {
            Some("[prod]\nhost=system.example\n[sys]\nuser=sysuser\n".to_string())
        }
        "/srv/custom.conf" => Some("[prod]\nhost=custom.example\n".to_string()),
        _ => None,
    }
}

fn with_files(explicit: Option<&str>, env: &Environment) -> Result<ConnectSettings, ConfigError> {
    ConnectSettings::resolve_with_files(explicit, env, &files)
}

#[test]
fn service_file_fills_what_the_string_leaves_and_beats_pg_variables() {
    let env = env()
        .with_var("HOME", "/home/a")
        .with_var("PGSYSCONFDIR", "/etc/pg")
        .with_var("PGHOST", "from-env")
        .with_var("PGUSER", "envuser");
    let s = with_files(Some("service=prod port=7000"), &env).expect("resolves");
    assert_eq!(s.endpoints, vec![tcp("prod.example", 7000)]);
    assert_eq!(s.database, "sales");
    assert_eq!(s.user, "envuser");
    assert_eq!(s.origin("host"), Origin::ServiceFile);
    assert_eq!(s.origin("port"), Origin::ConnectionString);
    assert_eq!(s.origin("user"), Origin::EnvVar("PGUSER"));
    assert_eq!(s.service_file.as_deref(), Some("/home/a/.pg_service.conf"));

    // PGSERVICE names it too; the user file wins over the system one, and
    // the system one is searched when the user file lacks the group.
    let s = with_files(None, &env.clone().with_var("PGSERVICE", "sys")).expect("resolves");
    assert_eq!(s.user, "sysuser");
    assert_eq!(s.service_file.as_deref(), Some("/etc/pg/pg_service.conf"));

    let s = with_files(
        Some("service=prod"),
        &env.clone().with_var("PGSERVICEFILE", "/srv/custom.conf"),
    )
    .expect("resolves");
    assert_eq!(s.endpoints[0].host, Host::Tcp("custom.example".into()));
}

#[test]
fn pghostaddr_is_honoured_with_pghost_naming_the_server() {
    let env = env()
        .with_var("PGHOST", "db.example")
        .with_var("PGHOSTADDR", "127.0.0.1");
    let s = resolve(None, &env);
    assert_eq!(s.endpoints, vec![via(tcp("db.example", 5432), "127.0.0.1")]);
    assert_eq!(s.endpoints[0].connect_host(), "127.0.0.1");
    assert_eq!(s.origin("hostaddr"), Origin::EnvVar("PGHOSTADDR"));
}

#[rstest]
#[case("any", TargetSessionAttrs::Any)]
#[case("read-write", TargetSessionAttrs::ReadWrite)]
#[case("prefer-standby", TargetSessionAttrs::PreferStandby)]
fn target_session_attrs_from_pg_variable(#[case] value: &str, #[case] attrs: TargetSessionAttrs) {
    let s = resolve(None, &env().with_var("PGTARGETSESSIONATTRS", value));
    assert_eq!(s.target_session_attrs, attrs);
    // The string wins over the variable.
    let s = resolve(
        Some("target_session_attrs=standby"),
        &env().with_var("PGTARGETSESSIONATTRS", value),
    );
    assert_eq!(s.target_session_attrs, TargetSessionAttrs::Standby);
}

#[test]
fn a_string_setting_an_option_overrides_a_refused_variable() {
    let env = env().with_var("PGGSSENCMODE", "require");
    let s = resolve(Some("host=h gssencmode=disable"), &env);
    assert_eq!(s.endpoints, vec![tcp("h", 5432)]);
}

#[rstest]
#[case(
    "sslmode=require",
    "sslmode=require (from connection string) requires TLS"
)]
#[case(
    "sslmode=verify-full",
    "sslmode=verify-full (from connection string) requires TLS"
)]
fn tls_modes_are_a_configuration_problem_without_tls(#[case] text: &str, #[case] start: &str) {
    let s = resolve(Some(text), &env());
    let err = s.check_runtime(false).expect_err("no TLS");
    assert!(err.to_string().starts_with(start), "{err}");
    assert!(s.check_runtime(true).is_ok());
    assert!(
        resolve(Some("sslmode=prefer"), &env())
            .check_runtime(false)
            .is_ok()
    );
}

#[test]
fn dotenv_variables_say_so() {
    let env = env().with_dotenv("PGPORT=6001\n");
    let s = resolve(None, &env);
    assert_eq!(s.origin("port"), Origin::DotEnv("PGPORT"));
    assert_eq!(s.origin("host"), Origin::Default);
}

#[test]
fn the_default_password_file_is_found_at_resolution_and_never_shown() {
    let home = env().with_var("HOME", "/home/a");
    let s = resolve(Some("host=h"), &home);
    assert_eq!(s.default_passfile.as_deref(), Some("/home/a/.pgpass"));
    assert_eq!(s.password_file(), Some("/home/a/.pgpass"));
    assert!(!s.to_string().contains("pgpass"), "{s}");
    let s = resolve(Some("host=h passfile=/etc/pgpass"), &home);
    assert_eq!(s.password_file(), Some("/etc/pgpass"));
    // Without HOME, or from a string alone, there is no default file.
    assert_eq!(resolve(Some("host=h"), &env()).password_file(), None);
    let parsed = ConnectSettings::parse("host=h", &home).expect("valid");
    assert_eq!(parsed.password_file(), None);
}

#[rstest]
#[case(
    "host=h sslnegotiation=Direct",
    "invalid sslnegotiation value \"Direct\": expected postgres or direct (from connection string)"
)]
#[case(
    "host=h channel_binding=required",
    "invalid channel_binding value \"required\": expected disable, prefer or require (from connection string)"
)]
fn tls_settings_are_checked_with_their_origin(#[case] text: &str, #[case] message: &str) {
    let err = ConnectSettings::resolve(Some(text), &env()).expect_err("refused");
    assert_eq!(err.to_string(), message);
}

#[test]
fn tls_settings_come_from_the_string_then_the_variables() {
    let env = env()
        .with_var("PGSSLSNI", "0")
        .with_var("PGCHANNELBINDING", "disable")
        .with_var("HOME", "/home/alice");
    let s = resolve(
        Some("host=h sslnegotiation=direct channel_binding=require"),
        &env,
    );
    assert_eq!(
        s.tls,
        crate::tls::TlsSettings {
            negotiation: crate::tls::SslNegotiation::Direct,
            sni: false,
            channel_binding: crate::tls::ChannelBindingMode::Require,
        }
    );
    assert_eq!(s.origin("sslsni"), Origin::EnvVar("PGSSLSNI"));
    assert_eq!(s.origin("channel_binding"), Origin::ConnectionString);
    assert_eq!(s.home.as_deref(), Some("/home/alice"));
}

#[rstest]
#[case::configured_file_wins(Some("host=h passfile=/etc/pgpass"), true, Some("/etc/pgpass"))]
#[case::home_found_at_resolve(Some("host=h"), true, Some("/home/a/.pgpass"))]
#[case::home_of_the_given_env(Some("host=h"), false, Some("/home/b/.pgpass"))]
fn password_file_in_picks_the_file_libpq_would(
    #[case] conninfo: Option<&str>,
    #[case] resolve_with_home: bool,
    #[case] expected: Option<&str>,
) {
    let at_resolve = if resolve_with_home {
        env().with_var("HOME", "/home/a")
    } else {
        env()
    };
    let s = resolve(conninfo, &at_resolve);
    let later = env().with_var("HOME", "/home/b");
    assert_eq!(s.password_file_in(&later).as_deref(), expected);
}
