use super::*;
use rstest::rstest;

use crate::config::Environment;

const HOME: &str = "/home/alice";
const DEFAULT_ROOT: &str = "/home/alice/.postgresql/root.crt";
const DEFAULT_CERT: &str = "/home/alice/.postgresql/postgresql.crt";
const DEFAULT_KEY: &str = "/home/alice/.postgresql/postgresql.key";

fn settings(conn: &str) -> ConnectSettings {
    ConnectSettings::parse(conn, &Environment::new().with_os_user("alice")).expect("valid settings")
}

fn policy(conn: &str) -> TlsPolicy {
    policy_with(conn, TlsSettings::default())
}

fn policy_with(conn: &str, tls: TlsSettings) -> TlsPolicy {
    TlsPolicy::new(&settings(conn), tls, Some(HOME)).expect("valid policy")
}

fn key_file(mode: u32) -> FileStat {
    FileStat::Present {
        regular: true,
        mode,
        owned_by_us: true,
        owned_by_root: false,
    }
}

/// A file system holding exactly `present`.
fn only(present: &[&str]) -> impl Fn(&str) -> FileStat {
    let present: Vec<String> = present.iter().map(|p| p.to_string()).collect();
    move |path| {
        if present.iter().any(|p| p == path) {
            key_file(0o600)
        } else {
            FileStat::Missing
        }
    }
}

fn endpoint(conn: &str) -> Endpoint {
    settings(conn).endpoints.remove(0)
}

use Attempt::{Clear, DirectTls, SslRequest};

#[rstest]
#[case("host=db sslmode=disable", &[Clear])]
#[case("host=db sslmode=allow", &[Clear, SslRequest])]
#[case("host=db sslmode=prefer", &[SslRequest, Clear])]
#[case("host=db", &[SslRequest, Clear])]
#[case("host=db sslmode=require", &[SslRequest])]
#[case("host=db sslmode=verify-ca", &[SslRequest])]
#[case("host=db sslmode=verify-full", &[SslRequest])]
#[case("host=db sslrootcert=system", &[SslRequest])]
// Unix sockets never use TLS, whatever the mode.
#[case("host=/tmp sslmode=require", &[Clear])]
#[case("host=/tmp sslmode=verify-full", &[Clear])]
#[case("host=/tmp sslmode=prefer", &[Clear])]
#[case("host=/tmp sslmode=allow", &[Clear])]
fn attempts_follow_sslmode(#[case] conn: &str, #[case] expected: &[Attempt]) {
    assert_eq!(policy(conn).attempts(&endpoint(conn)), expected);
}

#[rstest]
#[case("host=db sslmode=require", &[DirectTls])]
#[case("host=db sslmode=verify-ca", &[DirectTls])]
#[case("host=db sslmode=verify-full", &[DirectTls])]
#[case("host=/tmp sslmode=require", &[Clear])]
fn direct_negotiation_skips_sslrequest(#[case] conn: &str, #[case] expected: &[Attempt]) {
    let direct = TlsSettings {
        negotiation: SslNegotiation::Direct,
        ..TlsSettings::default()
    };
    assert_eq!(
        policy_with(conn, direct).attempts(&endpoint(conn)),
        expected
    );
}

#[rstest]
#[case("sslmode=disable", "disable")]
#[case("sslmode=allow", "allow")]
#[case("sslmode=prefer", "prefer")]
fn direct_negotiation_refuses_weak_modes(#[case] conn: &str, #[case] mode: &str) {
    let direct = TlsSettings {
        negotiation: SslNegotiation::Direct,
        ..TlsSettings::default()
    };
    let err = TlsPolicy::new(&settings(conn), direct, Some(HOME)).expect_err("refused");
    assert_eq!(err, TlsError::DirectNeedsStrongMode { mode: mode.into() });
}

#[rstest]
#[case("sslmode=allow", None)]
#[case("sslmode=prefer", None)]
#[case("sslmode=require", Some("require"))]
#[case("sslmode=verify-ca", Some("verify-ca"))]
#[case("sslmode=verify-full", Some("verify-full"))]
fn refusal_fails_only_modes_that_need_tls(#[case] conn: &str, #[case] fails: Option<&str>) {
    let result = policy(conn).on_refused();
    match fails {
        None => assert_eq!(result, Ok(())),
        Some(mode) => {
            let err = result.expect_err("must fail");
            assert!(
                err.to_string()
                    .starts_with(&format!("server does not support SSL, but sslmode={mode}")),
                "{err}"
            );
        }
    }
}

fn chain_and_host() -> Verification {
    Verification::ChainAndHost(ServerIdentity::Name("db.example".into()))
}

/// sslmode × root file: what is loaded and what is verified, as libpq's
/// initialize_SSL and verify_peer_name_matches_certificate decide.
#[rstest]
// No root file anywhere: only the verify modes care.
#[case("sslmode=allow", &[], Ok((Roots::None, Verification::None)))]
#[case("sslmode=prefer", &[], Ok((Roots::None, Verification::None)))]
#[case("sslmode=require", &[], Ok((Roots::None, Verification::None)))]
#[case("sslmode=verify-ca", &[], Err(TlsError::RootCertMissing { path: DEFAULT_ROOT.into(), mode: "verify-ca".into() }))]
#[case("sslmode=verify-full", &[], Err(TlsError::RootCertMissing { path: DEFAULT_ROOT.into(), mode: "verify-full".into() }))]
// ~/.postgresql/root.crt exists: require (and prefer, allow) verify the chain.
#[case("sslmode=allow", &[DEFAULT_ROOT], Ok((Roots::File(DEFAULT_ROOT.into()), Verification::Chain)))]
#[case("sslmode=prefer", &[DEFAULT_ROOT], Ok((Roots::File(DEFAULT_ROOT.into()), Verification::Chain)))]
#[case("sslmode=require", &[DEFAULT_ROOT], Ok((Roots::File(DEFAULT_ROOT.into()), Verification::Chain)))]
#[case("sslmode=verify-ca", &[DEFAULT_ROOT], Ok((Roots::File(DEFAULT_ROOT.into()), Verification::Chain)))]
#[case("sslmode=verify-full", &[DEFAULT_ROOT], Ok((Roots::File(DEFAULT_ROOT.into()), chain_and_host())))]
// An explicit sslrootcert replaces the default file.
#[case("sslmode=require sslrootcert=/etc/ca.pem", &["/etc/ca.pem"], Ok((Roots::File("/etc/ca.pem".into()), Verification::Chain)))]
#[case("sslmode=require sslrootcert=/etc/ca.pem", &[DEFAULT_ROOT], Ok((Roots::None, Verification::None)))]
#[case("sslmode=verify-ca sslrootcert=/etc/ca.pem", &[DEFAULT_ROOT], Err(TlsError::RootCertMissing { path: "/etc/ca.pem".into(), mode: "verify-ca".into() }))]
#[case("sslmode=verify-full sslrootcert=/etc/ca.pem", &["/etc/ca.pem"], Ok((Roots::File("/etc/ca.pem".into()), chain_and_host())))]
// system: the platform's roots, and verify-full.
#[case("sslrootcert=system", &[], Ok((Roots::System, chain_and_host())))]
#[case("sslrootcert=system sslmode=verify-full", &[DEFAULT_ROOT], Ok((Roots::System, chain_and_host())))]
fn roots_and_verification(
    #[case] options: &str,
    #[case] present: &[&str],
    #[case] expected: Result<(Roots, Verification), TlsError>,
) {
    let conn = format!("host=db.example {options}");
    let got = policy(&conn)
        .requirements(&endpoint(&conn), &only(present))
        .map(|r| (r.roots, r.verification));
    assert_eq!(got, expected);
}

#[test]
fn verify_full_checks_an_ip_host_as_an_address() {
    let conn = "host=127.0.0.1 sslmode=verify-full";
    let req = policy(conn)
        .requirements(&endpoint(conn), &only(&[DEFAULT_ROOT]))
        .expect("valid");
    assert_eq!(
        req.verification,
        Verification::ChainAndHost(ServerIdentity::Address([127, 0, 0, 1].into()))
    );
}

#[test]
fn verify_modes_without_a_home_say_so() {
    let conn = "host=db sslmode=verify-ca";
    let policy = TlsPolicy::new(&settings(conn), TlsSettings::default(), None).expect("valid");
    let err = policy
        .requirements(&endpoint(conn), &only(&[]))
        .expect_err("no root file");
    assert_eq!(
        err,
        TlsError::NoHomeForRootCert {
            mode: "verify-ca".into()
        }
    );
}

#[test]
fn missing_root_file_message_tells_what_to_do() {
    let conn = "host=db sslmode=verify-full sslrootcert=/etc/ca.pem";
    let err = policy(conn)
        .requirements(&endpoint(conn), &only(&[]))
        .expect_err("missing");
    assert_eq!(
        err.to_string(),
        "root certificate file \"/etc/ca.pem\" does not exist, and sslmode=verify-full needs it \
         to verify the server: provide the file, use sslrootcert=system for the system's \
         trusted roots, or choose an sslmode that does not verify the certificate"
    );
}

#[rstest]
#[case("host=db.example", TlsSettings::default(), Some("db.example"))]
#[case("host=db.example", TlsSettings { sni: false, ..TlsSettings::default() }, None)]
#[case("host=127.0.0.1", TlsSettings::default(), None)]
#[case("host=::1", TlsSettings::default(), None)]
#[case(
    "host=db.example hostaddr=10.0.0.1",
    TlsSettings::default(),
    Some("db.example")
)]
fn sni_names_hosts_not_addresses(
    #[case] conn: &str,
    #[case] tls: TlsSettings,
    #[case] expected: Option<&str>,
) {
    let req = policy_with(conn, tls)
        .requirements(&endpoint(conn), &only(&[]))
        .expect("valid");
    assert_eq!(req.sni.as_deref(), expected);
}

#[rstest]
#[case(SslNegotiation::Postgres, "sslmode=require", false)]
#[case(SslNegotiation::Direct, "sslmode=require", true)]
fn alpn_is_offered_always_and_required_for_direct(
    #[case] negotiation: SslNegotiation,
    #[case] options: &str,
    #[case] required: bool,
) {
    let conn = format!("host=db {options}");
    let tls = TlsSettings {
        negotiation,
        ..TlsSettings::default()
    };
    let req = policy_with(&conn, tls)
        .requirements(&endpoint(&conn), &only(&[]))
        .expect("valid");
    assert_eq!((req.alpn, req.alpn_required), (ALPN_POSTGRESQL, required));
}

#[rstest]
// No certificate file: no client certificate, silently (libpq).
#[case("", &[], Ok(None))]
#[case("sslcert=/c.pem sslkey=/k.pem", &[], Ok(None))]
// Default files under ~/.postgresql.
#[case("", &[DEFAULT_CERT, DEFAULT_KEY], Ok(Some((DEFAULT_CERT, DEFAULT_KEY))))]
#[case("sslcert=/c.pem sslkey=/k.pem", &["/c.pem", "/k.pem"], Ok(Some(("/c.pem", "/k.pem"))))]
#[case("sslcert=/c.pem", &["/c.pem", DEFAULT_KEY], Ok(Some(("/c.pem", DEFAULT_KEY))))]
// A certificate without its key is an error.
#[case("sslcert=/c.pem sslkey=/k.pem", &["/c.pem"], Err(TlsError::KeyMissing { cert: "/c.pem".into(), key: "/k.pem".into() }))]
fn client_certificate(
    #[case] options: &str,
    #[case] present: &[&str],
    #[case] expected: Result<Option<(&str, &str)>, TlsError>,
) {
    let conn = format!("host=db sslmode=require {options}");
    let got = policy(&conn)
        .requirements(&endpoint(&conn), &only(present))
        .map(|r| r.client.map(|c| (c.cert, c.key)));
    let expected = expected.map(|o| o.map(|(c, k)| (c.to_string(), k.to_string())));
    assert_eq!(got, expected);
}

/// libpq's key file rule: ours 0600 or less, root's 0640 or less, anyone
/// else's unchecked.
#[rstest]
#[case(0o600, true, false, true)]
#[case(0o400, true, false, true)]
#[case(0o640, true, false, false)]
#[case(0o644, true, false, false)]
#[case(0o604, true, false, false)]
#[case(0o640, false, true, true)]
#[case(0o660, false, true, false)]
#[case(0o644, false, true, false)]
#[case(0o644, false, false, true)]
fn key_file_permissions(
    #[case] mode: u32,
    #[case] owned_by_us: bool,
    #[case] owned_by_root: bool,
    #[case] accepted: bool,
) {
    let conn = "host=db sslmode=require sslcert=/c.pem sslkey=/k.pem";
    let stat = move |path: &str| match path {
        "/k.pem" => FileStat::Present {
            regular: true,
            mode,
            owned_by_us,
            owned_by_root,
        },
        "/c.pem" => key_file(0o644),
        _ => FileStat::Missing,
    };
    let got = policy(conn).requirements(&endpoint(conn), &stat);
    if accepted {
        assert!(got.is_ok(), "{got:?}");
    } else {
        let err = got.expect_err("loose permissions");
        assert_eq!(
            err,
            TlsError::KeyPermissions {
                path: "/k.pem".into(),
                mode
            }
        );
        assert!(err.to_string().contains("chmod 0600 \"/k.pem\""), "{err}");
    }
}

#[test]
fn key_that_is_a_directory_is_refused() {
    let conn = "host=db sslmode=require sslcert=/c.pem sslkey=/k";
    let stat = |path: &str| match path {
        "/k" => FileStat::Present {
            regular: false,
            mode: 0o700,
            owned_by_us: true,
            owned_by_root: false,
        },
        "/c.pem" => key_file(0o644),
        _ => FileStat::Missing,
    };
    let err = policy(conn)
        .requirements(&endpoint(conn), &stat)
        .expect_err("not a file");
    assert_eq!(err, TlsError::KeyNotRegular { path: "/k".into() });
}

#[test]
fn unreadable_certificate_is_an_error() {
    let conn = "host=db sslmode=require sslcert=/c.pem";
    let stat = |path: &str| match path {
        "/c.pem" => FileStat::Unreadable("Permission denied".into()),
        _ => FileStat::Missing,
    };
    let err = policy(conn)
        .requirements(&endpoint(conn), &stat)
        .expect_err("unreadable");
    assert_eq!(
        err.to_string(),
        "could not open certificate file \"/c.pem\": Permission denied"
    );
}

#[rstest]
#[case("host=db", vec![DEFAULT_ROOT, DEFAULT_CERT, DEFAULT_KEY])]
#[case("host=db sslrootcert=system", vec![DEFAULT_CERT, DEFAULT_KEY])]
#[case("host=db sslrootcert=/r sslcert=/c sslkey=/k", vec!["/r", "/c", "/k"])]
fn files_to_examine(#[case] conn: &str, #[case] expected: Vec<&str>) {
    assert_eq!(policy(conn).files_to_examine(), expected);
}

#[rstest]
#[case(&["other.example"], "hostname db.example does not match certificate for other.example: ")]
#[case(&["a.example", "b.example"], "hostname db.example does not match certificate for a.example (and 1 other name): ")]
#[case(&["a.example", "b.example", "c.example"], "hostname db.example does not match certificate for a.example (and 2 other names): ")]
#[case(&[], "could not get the server's host name from its certificate")]
fn host_mismatch_names_the_certificate(#[case] names: &[&str], #[case] prefix: &str) {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let text = host_mismatch("db.example", &names).to_string();
    assert!(text.starts_with(prefix), "{text}");
}

#[rstest]
#[case(
    Roots::None,
    "certificate verify failed: unknown issuer (set sslrootcert=<file with the CA that signed the server's certificate>)"
)]
#[case(Roots::File("/ca.pem".into()), "certificate verify failed: unknown issuer (set sslrootcert=<file with the CA that signed the server's certificate>; \"/ca.pem\" does not hold it)")]
fn unknown_issuer_says_what_to_set(#[case] roots: Roots, #[case] text: &str) {
    assert_eq!(unknown_issuer(&roots).to_string(), text);
}

#[test]
fn channel_binding_setting_is_passed_on() {
    let conn = "host=db sslmode=require";
    let tls = TlsSettings {
        channel_binding: ChannelBindingMode::Require,
        ..TlsSettings::default()
    };
    let req = policy_with(conn, tls)
        .requirements(&endpoint(conn), &only(&[]))
        .expect("valid");
    assert_eq!(req.channel_binding, ChannelBindingMode::Require);
}

#[test]
fn unreadable_key_is_named() {
    let conn = "host=db sslmode=require sslcert=/c.pem sslkey=/k.pem";
    let stat = |path: &str| match path {
        "/c.pem" => key_file(0o644),
        "/k.pem" => FileStat::Unreadable("Permission denied".into()),
        _ => FileStat::Missing,
    };
    let err = policy(conn)
        .requirements(&endpoint(conn), &stat)
        .expect_err("unreadable");
    assert_eq!(
        err.to_string(),
        "could not stat private key file \"/k.pem\": Permission denied"
    );
}
