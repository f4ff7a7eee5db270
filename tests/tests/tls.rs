//! TLS against real clusters with certificates made at test time: the
//! harness's TLS clusters work with psql, and runtime-std's handshake, driven
//! by core's policy, verifies and binds as libpq does.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use sequelae_core::config::{ConnectSettings, Environment, Password};
use sequelae_core::tls::{TlsPolicy, TlsRequirements, TlsSettings};
use sequelae_core::wire::{Connection, Event, Startup};
use sequelae_std::{TlsStream, Transport, tls_file_stat, tls_handshake};
use sequelae_tests::tls::{ServerCert, TestPki};
use sequelae_tests::{AuthMethod, Cluster, role};

/// SSLRequest: length 8, code 80877103.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// Refuses every TCP connection without TLS, so that a success proves TLS.
const TLS_ONLY: &[&str] = &["hostnossl all all 127.0.0.1/32 reject"];

const TIMEOUT: Duration = Duration::from_secs(10);

fn start(pki: &TestPki, which: ServerCert) -> Cluster {
    let opts = pki.cluster_options(which, TLS_ONLY).expect("TLS options");
    Cluster::start(opts).expect("TLS cluster")
}

/// Runs `SELECT <sql>` with the cluster's psql and `conninfo`; Ok(output) or Err(stderr).
fn psql(cluster: &Cluster, conninfo: &str, sql: &str) -> Result<String, String> {
    let out = Command::new(cluster.bin_dir().join("psql"))
        .args(["-X", "-A", "-t", "-c", sql, conninfo])
        .env("PGCONNECT_TIMEOUT", "10")
        .output()
        .expect("run psql");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Core's requirements for `conninfo` on its first endpoint, the files examined for real.
fn requirements(conninfo: &str) -> TlsRequirements {
    let env = Environment::new().with_os_user("postgres");
    let settings = ConnectSettings::parse(conninfo, &env).expect("settings");
    let policy = TlsPolicy::new(&settings, TlsSettings::default(), None).expect("policy");
    policy
        .requirements(&settings.endpoints[0], &|p| tls_file_stat(p))
        .expect("requirements")
}

/// Opens a socket, asks for TLS as a client would, and checks the server said `S`.
fn socket_after_ssl_request(cluster: &Cluster) -> TcpStream {
    let mut socket = TcpStream::connect((cluster.host(), cluster.port())).expect("connect");
    socket.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    socket.write_all(&SSL_REQUEST).expect("send SSLRequest");
    let mut answer = [0u8; 1];
    socket.read_exact(&mut answer).expect("answer");
    assert_eq!(answer[0], b'S', "the server must accept TLS");
    socket
}

fn handshake(cluster: &Cluster, conninfo: &str) -> Result<TlsStream, String> {
    let req = requirements(conninfo);
    let socket = socket_after_ssl_request(cluster);
    tls_handshake(Box::new(socket), &req, "localhost").map_err(|e| e.to_string())
}

#[test]
fn psql_connects_to_a_tls_cluster_with_verify_full_and_not_without_tls() {
    let pki = TestPki::create().expect("certificates");
    let cluster = start(&pki, ServerCert::Trusted);
    let base = format!(
        "host=localhost port={} user=postgres dbname=postgres",
        cluster.port()
    );
    let verified = format!("{base} sslmode=verify-full sslrootcert={}", pki.ca.cert);
    assert_eq!(
        psql(
            &cluster,
            &verified,
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        ),
        Ok("t".to_owned())
    );
    let clear = psql(&cluster, &format!("{base} sslmode=disable"), "SELECT 1")
        .expect_err("hostnossl reject");
    assert!(clear.contains("no encryption"), "{clear}");
}

#[test]
fn runtime_handshake_verifies_full_and_yields_channel_binding_data() {
    let pki = TestPki::create().expect("certificates");
    let cluster = start(&pki, ServerCert::Trusted);
    let conninfo = format!(
        "host=localhost port={} sslmode=verify-full sslrootcert={}",
        cluster.port(),
        pki.ca.cert
    );
    let mut tls = handshake(&cluster, &conninfo).expect("verified handshake");
    // ECDSA with SHA-256: the tls-server-end-point hash is SHA-256.
    assert_eq!(tls.channel_binding().map(<[u8]>::len), Some(32));
    // The stream carries the protocol: a trusted startup gets AuthenticationOk.
    let mut startup = Vec::new();
    let body = b"\0\x03\0\0user\0postgres\0database\0postgres\0\0";
    startup.extend_from_slice(&u32::try_from(body.len() + 4).expect("small").to_be_bytes());
    startup.extend_from_slice(body);
    tls.write_all(&startup).expect("send startup");
    let mut first = [0u8; 9];
    tls.read_exact(&mut first).expect("answer");
    assert_eq!(&first, b"R\0\0\0\x08\0\0\0\0", "AuthenticationOk");
}

/// Logs in as the SCRAM role through core's Connection over the TLS stream; the server
/// offers SCRAM-SHA-256-PLUS over TLS, so the channel-binding data must be right.
fn scram_over_tls(cluster: &Cluster, tls: &mut TlsStream, binding: Vec<u8>) -> Result<(), String> {
    let scram = role(AuthMethod::ScramSha256);
    let env = Environment::new().with_os_user("postgres");
    let settings = ConnectSettings::parse(
        &format!(
            "host=localhost port={} user={} dbname=postgres sslmode=require",
            cluster.port(),
            scram.name
        ),
        &env,
    )
    .expect("settings");
    let mut startup = Startup::from_settings(&settings, true, Instant::now()).expect("startup");
    startup.password = Some(Password::new(scram.password));
    let mut conn = Connection::new(startup);
    // The SSLRequest and its answer already happened on this socket.
    let _ = conn.poll_transmit();
    conn.handle_input(b"S");
    assert_eq!(
        conn.poll_event().map_err(|e| e.to_string())?,
        Some(Event::StartTls)
    );
    conn.tls_established(Some(binding))
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + TIMEOUT;
    let mut buf = [0u8; 8192];
    while Instant::now() < deadline {
        if let Some(out) = conn.poll_transmit() {
            tls.write_all(&out).map_err(|e| e.to_string())?;
        }
        while let Some(event) = conn.poll_event().map_err(|e| e.to_string())? {
            if let Event::Ready(_) = event {
                return Ok(());
            }
        }
        if let Some(out) = conn.poll_transmit() {
            tls.write_all(&out).map_err(|e| e.to_string())?;
        }
        let n = tls.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(conn.handle_eof().to_string());
        }
        conn.handle_input(&buf[..n]);
    }
    Err("no ReadyForQuery before the deadline".to_owned())
}

#[test]
fn scram_sha_256_plus_binds_to_the_real_server_certificate() {
    let pki = TestPki::create().expect("certificates");
    let cluster = start(&pki, ServerCert::Trusted);
    let conninfo = format!("host=localhost port={} sslmode=require", cluster.port());
    let mut tls = handshake(&cluster, &conninfo).expect("handshake");
    tls.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    let binding = tls.channel_binding().expect("binding data").to_vec();
    scram_over_tls(&cluster, &mut tls, binding).expect("SCRAM-SHA-256-PLUS login");

    // The same login with other binding data fails: the server checks it.
    let mut tls = handshake(&cluster, &conninfo).expect("handshake");
    let err = scram_over_tls(&cluster, &mut tls, vec![0; 32]).expect_err("wrong binding");
    assert!(
        err.contains("channel binding") || err.contains("SCRAM"),
        "{err}"
    );
}

/// What a verification case should give: success, or a failure whose message (ours) starts
/// with the text and whose psql message contains the other.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    Connects,
    Fails {
        ours: &'static str,
        psql: &'static str,
    },
}

const UNKNOWN_ISSUER: Outcome = Outcome::Fails {
    ours: "certificate verify failed: unknown issuer (set sslrootcert=",
    psql: "certificate verify failed",
};

/// sslmode × server certificate, as libpq decides: the handshake of runtime-std (after core's
/// policy) and psql on the same cluster must agree.
#[test]
fn verification_matrix_agrees_with_psql() {
    let pki = TestPki::create().expect("certificates");
    let ca = pki.ca.cert.to_string();
    let other = pki.other_ca.cert.to_string();
    let missing = format!("{}/no-such-root.crt", pki.dir().display());
    let wrong_host = Outcome::Fails {
        ours: "hostname localhost does not match certificate for other.example.com",
        psql: "does not match host name",
    };
    let cases: Vec<(ServerCert, &str, &str, Outcome)> = vec![
        (ServerCert::Trusted, "verify-full", &ca, Outcome::Connects),
        (ServerCert::Trusted, "verify-ca", &ca, Outcome::Connects),
        (ServerCert::Trusted, "require", &missing, Outcome::Connects),
        // libpq: require with a root file verifies the chain.
        (ServerCert::Trusted, "require", &other, UNKNOWN_ISSUER),
        (ServerCert::Trusted, "verify-full", &other, UNKNOWN_ISSUER),
        (ServerCert::UnknownCa, "verify-full", &ca, UNKNOWN_ISSUER),
        (ServerCert::UnknownCa, "verify-ca", &ca, UNKNOWN_ISSUER),
        (ServerCert::UnknownCa, "require", &ca, UNKNOWN_ISSUER),
        (
            ServerCert::UnknownCa,
            "require",
            &missing,
            Outcome::Connects,
        ),
        (ServerCert::WrongHost, "verify-full", &ca, wrong_host),
        (ServerCert::WrongHost, "verify-ca", &ca, Outcome::Connects),
        (
            ServerCert::WrongHost,
            "require",
            &missing,
            Outcome::Connects,
        ),
    ];
    let clusters: Vec<(ServerCert, Cluster)> = [
        ServerCert::Trusted,
        ServerCert::UnknownCa,
        ServerCert::WrongHost,
    ]
    .into_iter()
    .map(|which| (which, start(&pki, which)))
    .collect();
    let mut mismatches = Vec::new();
    for (which, mode, root, expected) in cases {
        let cluster = &clusters
            .iter()
            .find(|(w, _)| *w == which)
            .expect("started")
            .1;
        let conninfo = format!(
            "host=localhost port={} user=postgres dbname=postgres sslmode={mode} sslrootcert={root}",
            cluster.port()
        );
        let ours = handshake(cluster, &conninfo).map(|_| ());
        let theirs = psql(cluster, &conninfo, "SELECT 1").map(|_| ());
        let agrees = match expected {
            Outcome::Connects => ours.is_ok() && theirs.is_ok(),
            Outcome::Fails { ours: text, psql } => {
                ours.as_ref().is_err_and(|e| e.starts_with(text))
                    && theirs.as_ref().is_err_and(|e| e.contains(psql))
            }
        };
        if !agrees {
            mismatches.push(format!(
                "{which:?} sslmode={mode} sslrootcert={root}: expected {expected:?}, \
                 sequelae {ours:?}, psql {theirs:?}"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
