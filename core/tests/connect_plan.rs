//! The connect plan driven with scripted answers: no socket, no file.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use rstest::rstest;

use sequelae_core::config::{ConnectSettings, Environment, Password};
use sequelae_core::connect::*;
use sequelae_core::tls;
use sequelae_core::wire::{self, DataRow, TlsNegotiation};

fn settings(conn: &str) -> ConnectSettings {
    let env = Environment::new()
        .with_os_user("alice")
        .with_var("HOME", "/home/alice");
    ConnectSettings::resolve(Some(conn), &env).expect("valid settings")
}

/// What the runtime would see, step by step.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Stat(String),
    Read(String),
    Open(String),
    Start(String, Option<String>),
    Check(&'static str),
    Close,
}

/// One scripted answer per attempt: how a host behaves.
#[derive(Debug, Clone, Copy)]
enum Host {
    Refuses,
    AuthFails,
    NulParameters,
    /// Reports in_hot_standby / default_transaction_read_only.
    Reports(&'static str, &'static str),
    /// Reports nothing; answers the check query with this.
    Answers(&'static str),
}

/// Drives `plan` to the end; `hosts` answers per host name, `file` is the
/// password file (mode, text).
fn drive(
    plan: &mut ConnectPlan<String>,
    hosts: &dyn Fn(&str) -> Host,
    file: Option<(u32, &str)>,
) -> Vec<Seen> {
    let mut seen = Vec::new();
    let mut current = String::new();
    for _ in 0..100 {
        match plan.next_step() {
            ConnectStep::StatPasswordFile(path) => {
                seen.push(Seen::Stat(path.to_string()));
                plan.handle_password_file_stat(file.map(|(mode, _)| FileStat {
                    is_file: true,
                    mode,
                }));
            }
            ConnectStep::ReadPasswordFile(path) => {
                seen.push(Seen::Read(path.to_string()));
                plan.handle_password_file_text(Ok(file.map(|f| f.1).unwrap_or("").to_string()));
            }
            ConnectStep::Open { endpoint, .. } => {
                current = endpoint.host.as_str().to_string();
                seen.push(Seen::Open(current.clone()));
                match hosts(&current) {
                    Host::Refuses => {
                        plan.handle_failure(Failure::Runtime(format!("{current} refused")))
                    }
                    _ => plan.handle_opened(Instant::now()),
                }
            }
            ConnectStep::Start { startup, .. } => {
                let password = startup.password.as_ref().map(|p| p.expose().to_string());
                seen.push(Seen::Start(current.clone(), password));
                match hosts(&current) {
                    Host::AuthFails => {
                        plan.handle_failure(Failure::Startup(wire::Error::PasswordRequired {
                            user: "alice".into(),
                            method: wire::AuthMethod::ScramSha256,
                        }))
                    }
                    Host::NulParameters => {
                        plan.handle_failure(Failure::Startup(wire::Error::NulInParameters))
                    }
                    Host::Reports(standby, read_only) => plan.handle_started(&|name| match name {
                        "in_hot_standby" => Some(standby.to_string()),
                        "default_transaction_read_only" => Some(read_only.to_string()),
                        _ => None,
                    }),
                    Host::Answers(_) | Host::Refuses => plan.handle_started(&|_| None),
                }
            }
            ConnectStep::Check(sql) => {
                seen.push(Seen::Check(sql));
                match hosts(&current) {
                    Host::Answers(answer) => {
                        let row = DataRow::from_values([Some(answer.as_bytes())]);
                        plan.handle_check_answer(Some(&row));
                    }
                    other => panic!("no check expected for {other:?}"),
                }
            }
            ConnectStep::Close => {
                seen.push(Seen::Close);
                plan.handle_closed();
            }
            ConnectStep::StatTlsFile(_) => panic!("no TLS in these tests"),
            ConnectStep::Finished => return seen,
        }
    }
    panic!("the plan never finished: {seen:?}")
}

fn plan(conn: &str) -> ConnectPlan<String> {
    ConnectPlan::new(&settings(conn), false).expect("plan")
}

fn open(host: &str) -> Seen {
    Seen::Open(host.to_string())
}

fn start(host: &str) -> Seen {
    Seen::Start(host.to_string(), None)
}

#[test]
fn tries_hosts_in_order_until_one_starts() {
    let mut p = plan("host=a,b,c port=1,2,3 password=pw");
    let seen = drive(
        &mut p,
        &|h| {
            if h == "c" {
                Host::Reports("off", "off")
            } else {
                Host::Refuses
            }
        },
        None,
    );
    assert_eq!(
        seen,
        vec![
            open("a"),
            open("b"),
            open("c"),
            Seen::Start("c".into(), Some("pw".into()))
        ]
    );
    let connected = p.finish().expect("connected");
    assert_eq!(connected.endpoint.port, 3);
    assert!(connected.warnings.is_empty());
}

#[test]
fn hostaddr_goes_with_its_host_and_the_timeout_with_every_open() {
    let p = plan("host=db.example hostaddr=10.0.0.9 connect_timeout=7 password=pw");
    let ConnectStep::Open { endpoint, timeout } = p.next_step() else {
        panic!("expected an open step");
    };
    assert_eq!(endpoint.connect_host(), "10.0.0.9");
    assert_eq!(endpoint.host.as_str(), "db.example");
    assert_eq!(timeout, Some(Duration::from_secs(7)));
}

#[test]
fn every_failure_is_kept_in_order() {
    let mut p = plan("host=a,b password=pw");
    drive(
        &mut p,
        &|h| {
            if h == "a" {
                Host::Refuses
            } else {
                Host::AuthFails
            }
        },
        None,
    );
    let failed = p.finish().expect_err("both fail");
    let hosts: Vec<&str> = failed
        .attempts
        .iter()
        .map(|a| a.endpoint.host.as_str())
        .collect();
    assert_eq!(hosts, ["a", "b"]);
    assert!(matches!(failed.attempts[0].failure, Failure::Runtime(ref e) if e == "a refused"));
    assert!(matches!(
        failed.attempts[1].failure,
        Failure::Startup(wire::Error::PasswordRequired { .. })
    ));
}

#[rstest]
#[case::refused(Host::Refuses, true)]
#[case::authentication(Host::AuthFails, true)]
#[case::wrong_kind(Host::Reports("on", "on"), true)]
// A NUL in the settings fails on every host alike: no point going on.
#[case::settings(Host::NulParameters, false)]
fn which_failures_try_the_next_host(#[case] first: Host, #[case] next_tried: bool) {
    let mut p = plan("host=a,b password=pw target_session_attrs=read-write");
    let seen = drive(
        &mut p,
        &|h| {
            if h == "a" {
                first
            } else {
                Host::Reports("off", "off")
            }
        },
        None,
    );
    assert_eq!(seen.contains(&open("b")), next_tried, "{seen:?}");
    assert_eq!(p.finish().is_ok(), next_tried);
}

#[test]
fn the_password_file_is_read_once_and_looked_up_per_host() {
    let mut p = plan("host=a,b port=5432 dbname=app");
    let file = "a:5432:app:alice:pw-a\nb:5432:app:alice:pw-b\n";
    let seen = drive(
        &mut p,
        &|h| {
            if h == "a" {
                Host::AuthFails
            } else {
                Host::Reports("off", "off")
            }
        },
        Some((0o600, file)),
    );
    assert_eq!(
        seen,
        vec![
            Seen::Stat("/home/alice/.pgpass".into()),
            Seen::Read("/home/alice/.pgpass".into()),
            open("a"),
            Seen::Start("a".into(), Some("pw-a".into())),
            open("b"),
            Seen::Start("b".into(), Some("pw-b".into())),
        ]
    );
}

#[test]
fn passfile_setting_wins_and_a_configured_password_skips_the_file() {
    let p = plan("host=a passfile=/etc/team-pgpass");
    assert!(matches!(
        p.next_step(),
        ConnectStep::StatPasswordFile("/etc/team-pgpass")
    ));
    let mut p = plan("host=a password=given");
    let seen = drive(
        &mut p,
        &|_| Host::Reports("off", "off"),
        Some((0o600, "*:*:*:*:file")),
    );
    assert_eq!(
        seen,
        vec![open("a"), Seen::Start("a".into(), Some("given".into()))]
    );
    // Resolved without HOME and without passfile: no file at all.
    let s = ConnectSettings::parse("host=a", &Environment::new().with_os_user("x")).expect("valid");
    let p: ConnectPlan<String> = ConnectPlan::new(&s, false).expect("plan");
    assert!(matches!(p.next_step(), ConnectStep::Open { .. }));
}

#[test]
fn a_world_readable_password_file_is_ignored_with_a_warning() {
    let mut p = plan("host=a,b dbname=app");
    let seen = drive(
        &mut p,
        &|_| Host::AuthFails,
        Some((0o644, "*:*:*:*:leaked")),
    );
    // Never read; no password offered to any host.
    assert_eq!(
        seen,
        vec![
            Seen::Stat("/home/alice/.pgpass".into()),
            open("a"),
            start("a"),
            open("b"),
            start("b")
        ]
    );
    let failed = p.finish().expect_err("no password");
    assert_eq!(failed.warnings.len(), 1);
    assert!(
        failed.warnings[0]
            .starts_with("password file \"/home/alice/.pgpass\" has group or world access"),
        "{:?}",
        failed.warnings
    );
}

#[test]
fn a_missing_or_unreadable_password_file() {
    let mut p = plan("host=a");
    p.handle_password_file_stat(None);
    assert!(matches!(p.next_step(), ConnectStep::Open { .. }));
    let mut p = plan("host=a");
    p.handle_password_file_stat(Some(FileStat {
        is_file: true,
        mode: 0o600,
    }));
    p.handle_password_file_text(Err("Permission denied".into()));
    assert!(matches!(p.next_step(), ConnectStep::Open { .. }));
    p.handle_failure(Failure::Runtime("refused".into()));
    let failed = p.finish().expect_err("refused");
    assert_eq!(
        failed.warnings,
        ["could not read password file \"/home/alice/.pgpass\": Permission denied"]
    );
}

#[rstest]
#[case::read_write_on_a_standby("read-write", Host::Reports("on", "on"), false)]
#[case::read_write_on_a_primary("read-write", Host::Reports("off", "off"), true)]
#[case::read_only_on_a_primary("read-only", Host::Reports("off", "off"), false)]
#[case::standby_on_a_standby("standby", Host::Reports("on", "off"), true)]
#[case::primary_asks_an_old_server("primary", Host::Answers("f"), true)]
#[case::standby_asks_an_old_server("standby", Host::Answers("f"), false)]
#[case::read_only_asks_an_old_server("read-only", Host::Answers("on"), true)]
fn target_session_attrs_verdicts(#[case] attrs: &str, #[case] host: Host, #[case] kept: bool) {
    let mut p = plan(&format!("host=a password=pw target_session_attrs={attrs}"));
    let seen = drive(&mut p, &|_| host, None);
    assert_eq!(seen.last() == Some(&Seen::Close), !kept, "{seen:?}");
    assert_eq!(
        matches!(host, Host::Answers(_)),
        seen.iter().any(|s| matches!(s, Seen::Check(_)))
    );
    match p.finish() {
        Ok(_) => assert!(kept),
        Err(failed) => {
            assert!(!kept);
            assert!(matches!(
                failed.attempts[0].failure,
                Failure::WrongSession(_)
            ));
        }
    }
}

#[test]
fn prefer_standby_takes_a_standby_anywhere_then_any_server() {
    // a is a primary, b a standby: b wins although a comes first.
    let mut p = plan("host=a,b password=pw target_session_attrs=prefer-standby");
    let seen = drive(
        &mut p,
        &|h| Host::Reports(if h == "b" { "on" } else { "off" }, "off"),
        None,
    );
    assert_eq!(
        seen,
        vec![
            open("a"),
            Seen::Start("a".into(), Some("pw".into())),
            Seen::Close,
            open("b"),
            Seen::Start("b".into(), Some("pw".into()))
        ]
    );
    assert_eq!(p.finish().expect("standby").endpoint.host.as_str(), "b");

    // No standby at all: the second pass takes the first server that works.
    let mut p = plan("host=a,b password=pw target_session_attrs=prefer-standby");
    let seen = drive(
        &mut p,
        &|h| {
            if h == "a" {
                Host::Refuses
            } else {
                Host::Reports("off", "off")
            }
        },
        None,
    );
    let opens: Vec<&Seen> = seen.iter().filter(|s| matches!(s, Seen::Open(_))).collect();
    assert_eq!(opens, [&open("a"), &open("b"), &open("a"), &open("b")]);
    assert_eq!(p.finish().expect("any").endpoint.host.as_str(), "b");
}

/// What a runtime with TLS is asked to do for `conn`, each TCP attempt
/// failing after the server answered; `/ca.pem` exists, nothing else.
fn tls_attempts(conn: &str) -> (Vec<(String, TlsNegotiation, bool)>, Vec<String>) {
    let mut p: ConnectPlan<String> = ConnectPlan::new(&settings(conn), true).expect("plan");
    let (mut seen, mut examined) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        match p.next_step() {
            ConnectStep::StatTlsFile(path) => {
                examined.push(path.to_string());
                let present = tls::FileStat::Present {
                    regular: true,
                    mode: 0o644,
                    owned_by_us: true,
                    owned_by_root: false,
                };
                let stat = if path == "/ca.pem" {
                    present
                } else {
                    tls::FileStat::Missing
                };
                p.handle_tls_file_stat(stat);
            }
            ConnectStep::Open { .. } => p.handle_opened(Instant::now()),
            ConnectStep::Start {
                startup,
                endpoint,
                tls,
            } => {
                seen.push((
                    endpoint.host.as_str().to_string(),
                    startup.tls,
                    tls.is_some(),
                ));
                // The server says yes to TLS: a requirement that failed is the failure.
                let failure = match tls {
                    Some(Err(e)) => Failure::Startup(wire::Error::Tls(e.clone())),
                    _ => Failure::Runtime("refused".into()),
                };
                p.handle_failure(failure);
            }
            ConnectStep::Finished => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    let failed = p.finish().expect_err("every attempt failed");
    let failures = failed
        .attempts
        .iter()
        .map(|a| match &a.failure {
            Failure::Startup(e) => e.to_string(),
            Failure::Runtime(e) => e.clone(),
            Failure::WrongSession(r) => r.to_string(),
        })
        .collect();
    (seen, failures)
}

#[rstest]
#[case::disable("host=a sslmode=disable", &[("a", TlsNegotiation::Disabled, false)])]
#[case::allow("host=a sslmode=allow", &[("a", TlsNegotiation::Disabled, false), ("a", TlsNegotiation::Optional, true)])]
#[case::prefer("host=a,b", &[("a", TlsNegotiation::Optional, true), ("a", TlsNegotiation::Disabled, false), ("b", TlsNegotiation::Optional, true), ("b", TlsNegotiation::Disabled, false)])]
#[case::require("host=a,b sslmode=require", &[("a", TlsNegotiation::Required, true), ("b", TlsNegotiation::Required, true)])]
#[case::verify_full("host=a sslmode=verify-full sslrootcert=/ca.pem", &[("a", TlsNegotiation::Required, true)])]
#[case::direct("host=a sslmode=require sslnegotiation=direct", &[("a", TlsNegotiation::Direct, true)])]
#[case::socket_never_tls("host=/tmp sslmode=prefer", &[("/tmp", TlsNegotiation::Disabled, false)])]
#[case::socket_even_required("host=/tmp sslmode=require", &[("/tmp", TlsNegotiation::Disabled, false)])]
fn each_host_is_tried_in_the_order_of_its_sslmode(
    #[case] conn: &str,
    #[case] expected: &[(&str, TlsNegotiation, bool)],
) {
    let (seen, _) = tls_attempts(&format!("{conn} password=pw"));
    let expected: Vec<_> = expected
        .iter()
        .map(|(h, n, t)| (h.to_string(), *n, *t))
        .collect();
    assert_eq!(seen, expected);
}

#[test]
fn a_missing_root_file_under_verify_full_fails_once_tls_starts_and_stops() {
    let (seen, failures) =
        tls_attempts("host=a,b sslmode=verify-full sslrootcert=/missing.pem password=pw");
    assert_eq!(seen, [("a".to_string(), TlsNegotiation::Required, true)]);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].starts_with("root certificate file \"/missing.pem\" does not exist"),
        "{failures:?}"
    );
}

#[test]
fn the_root_file_makes_require_verify_the_chain() {
    let s = settings("host=a sslmode=require sslrootcert=/ca.pem password=pw");
    let mut p: ConnectPlan<String> = ConnectPlan::new(&s, true).expect("plan");
    while let ConnectStep::StatTlsFile(path) = p.next_step() {
        let stat = if path == "/ca.pem" {
            tls::FileStat::Present {
                regular: true,
                mode: 0o644,
                owned_by_us: true,
                owned_by_root: false,
            }
        } else {
            tls::FileStat::Missing
        };
        p.handle_tls_file_stat(stat);
    }
    p.handle_opened(Instant::now());
    let ConnectStep::Start {
        tls: Some(Ok(tls)), ..
    } = p.next_step()
    else {
        panic!("expected a TLS startup");
    };
    assert_eq!(tls.roots, tls::Roots::File("/ca.pem".into()));
    assert_eq!(tls.verification, tls::Verification::Chain);
    assert_eq!(tls.sni.as_deref(), Some("a"));
}

#[test]
fn a_runtime_without_tls_goes_in_the_clear_and_refuses_modes_that_need_tls() {
    let s = settings("host=a sslmode=prefer password=pw");
    let mut p: ConnectPlan<String> = ConnectPlan::new(&s, false).expect("plan");
    p.handle_opened(Instant::now());
    let ConnectStep::Start { startup, tls, .. } = p.next_step() else {
        panic!("expected the startup");
    };
    assert_eq!(
        (startup.tls, tls.is_none()),
        (TlsNegotiation::Disabled, true)
    );
    assert!(ConnectPlan::<String>::new(&settings("host=a sslmode=require"), false).is_err());
    assert!(ConnectPlan::<String>::new(&settings("host=a sslmode=require"), true).is_ok());
    // libpq: direct TLS cannot fall back to the clear, so weak modes are refused.
    let err = ConnectPlan::<String>::new(&settings("host=a sslnegotiation=direct"), true)
        .expect_err("prefer with direct");
    assert!(
        err.to_string()
            .starts_with("weak sslmode \"prefer\" may not be used with sslnegotiation=direct"),
        "{err}"
    );
}

#[test]
fn connect_timeout_counts_from_the_opening() {
    let mut p = plan("host=a connect_timeout=5 password=pw");
    let started = Instant::now();
    p.handle_opened(started);
    let ConnectStep::Start { startup, .. } = p.next_step() else {
        panic!("expected the startup");
    };
    assert_eq!(startup.deadline, Some(started + Duration::from_secs(5)));
    assert_eq!(startup.password.as_ref().map(Password::expose), Some("pw"));
}
