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
use sequelae_tests::runtime::{Runtime, Smol, Std, TestClient};
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
    // The stream carries the protocol: a trusted startup gets an authentication answer.
    assert_eq!(startup_answer(&mut tls, "postgres"), b'R');
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
        // The system's roots do not hold the test CA. psql 15 predates sslrootcert=system
        // (libpq 16) and looks for a file named "system"; we follow libpq 16 and later.
        (
            ServerCert::Trusted,
            "verify-full",
            "system",
            Outcome::Fails {
                ours: "certificate verify failed: unknown issuer (set sslrootcert=<file with the \
                       CA that signed the server's certificate>; the system's roots do not hold it)",
                psql: "certificate",
            },
        ),
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

/// Sends a StartupMessage for `user` to database postgres and returns the first message's
/// type byte: `R` (authentication) or `E` (refused).
fn startup_answer(tls: &mut TlsStream, user: &str) -> u8 {
    let mut body = b"\0\x03\0\0user\0".to_vec();
    body.extend_from_slice(user.as_bytes());
    body.extend_from_slice(b"\0database\0postgres\0\0");
    let mut message = u32::try_from(body.len() + 4)
        .expect("small")
        .to_be_bytes()
        .to_vec();
    message.extend(body);
    tls.write_all(&message).expect("send startup");
    let mut first = [0u8; 1];
    tls.read_exact(&mut first).expect("answer");
    first[0]
}

#[test]
fn client_certificate_authenticates_with_cert_method() {
    use sequelae_tests::tls::CLIENT_CERT_USER;
    let pki = TestPki::create().expect("certificates");
    let hba = format!("hostssl all {CLIENT_CERT_USER} 127.0.0.1/32 cert");
    let opts = pki
        .cluster_options(ServerCert::Trusted, &[TLS_ONLY[0], &hba])
        .expect("options");
    let cluster = Cluster::start(opts).expect("TLS cluster");
    cluster
        .psql("postgres", &format!("CREATE ROLE {CLIENT_CERT_USER} LOGIN"))
        .expect("role");
    let base = format!(
        "host=localhost port={} user={CLIENT_CERT_USER} dbname=postgres sslmode=verify-full sslrootcert={}",
        cluster.port(),
        pki.ca.cert
    );
    let with_cert = format!(
        "{base} sslcert={} sslkey={}",
        pki.client.cert, pki.client.key
    );

    // psql agrees that the certificate is what logs in.
    assert_eq!(
        psql(&cluster, &with_cert, "SELECT current_user"),
        Ok(CLIENT_CERT_USER.to_owned())
    );

    let mut tls = handshake(&cluster, &with_cert).expect("handshake with a client certificate");
    assert_eq!(startup_answer(&mut tls, CLIENT_CERT_USER), b'R');
    // Without the certificate, the cert method refuses.
    let none = format!(
        "{base} sslcert={0}/none.crt sslkey={0}/none.key",
        pki.dir().display()
    );
    let mut tls = handshake(&cluster, &none).expect("handshake without a client certificate");
    assert_eq!(startup_answer(&mut tls, CLIENT_CERT_USER), b'E');
}

#[test]
fn a_client_key_others_can_read_is_refused_before_connecting() {
    use std::os::unix::fs::PermissionsExt;
    let pki = TestPki::create().expect("certificates");
    let loose = pki.dir().join("loose.key");
    std::fs::copy(&pki.client.key, &loose).expect("copy key");
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let conninfo = format!(
        "host=localhost sslmode=require sslcert={} sslkey={}",
        pki.client.cert,
        loose.display()
    );
    let env = Environment::new().with_os_user("postgres");
    let settings = ConnectSettings::parse(&conninfo, &env).expect("settings");
    let policy = TlsPolicy::new(&settings, TlsSettings::default(), None).expect("policy");
    let err = policy
        .requirements(&settings.endpoints[0], &|p| tls_file_stat(p))
        .expect_err("loose key");
    assert!(
        err.to_string().starts_with(&format!(
            "private key file \"{}\" has group or world access (mode 0644)",
            loose.display()
        )),
        "{err}"
    );
}

/// PostgreSQL 17 and later accept TLS without SSLRequest, and agree to ALPN `postgresql`.
#[test]
fn direct_tls_negotiates_alpn_with_postgresql_18() {
    use sequelae_core::tls::SslNegotiation;
    let pki = TestPki::create().expect("certificates");
    let mut opts = pki
        .cluster_options(ServerCert::Trusted, TLS_ONLY)
        .expect("options");
    opts.version = Some(18);
    let cluster = Cluster::start(opts).expect("PostgreSQL 18 with TLS");
    let conninfo = format!(
        "host=localhost port={} sslmode=verify-full sslrootcert={}",
        cluster.port(),
        pki.ca.cert
    );
    let env = Environment::new().with_os_user("postgres");
    let settings = ConnectSettings::parse(&conninfo, &env).expect("settings");
    let direct = TlsSettings {
        negotiation: SslNegotiation::Direct,
        ..TlsSettings::default()
    };
    let policy = TlsPolicy::new(&settings, direct, None).expect("policy");
    let endpoint = &settings.endpoints[0];
    assert_eq!(
        policy.attempts(endpoint),
        &[sequelae_core::tls::Attempt::DirectTls]
    );
    let req = policy
        .requirements(endpoint, &|p| tls_file_stat(p))
        .expect("requirements");
    let socket = TcpStream::connect((cluster.host(), cluster.port())).expect("connect");
    socket.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    let mut tls = tls_handshake(Box::new(socket), &req, "localhost").expect("direct handshake");
    assert_eq!(tls.alpn_protocol(), Some(&b"postgresql"[..]));
    assert_eq!(startup_answer(&mut tls, "postgres"), b'R');
    // The same through both clients: the core's plan says direct TLS.
    let scram = role(AuthMethod::ScramSha256);
    let direct = format!(
        "host=localhost port={} user={} password='{}' dbname=postgres sslmode=verify-full \
         sslrootcert={} sslnegotiation=direct",
        cluster.port(),
        scram.name,
        scram.password.replace('\\', "\\\\").replace('\'', "\\'"),
        pki.ca.cert
    );
    assert_eq!(through_client(&direct), Ok("encrypted".to_owned()));
}

/// What a connection came to, in terms psql and sequelae can both be judged by.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reached {
    /// Connected; whether the session is encrypted.
    Session { encrypted: bool },
    /// "server does not support SSL, but sslmode=..."
    Refused,
    /// The certificate does not chain to the given roots.
    UnknownIssuer,
    /// verify-full, and the certificate is for another host.
    HostMismatch,
    /// verify-ca/verify-full with a root file that does not exist.
    RootMissing,
    /// Anything else, with its text.
    Other(String),
}

const ENCRYPTED_SQL: &str = "SELECT CASE WHEN ssl THEN 'encrypted' ELSE 'clear' END \
                             FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

fn reached_by_psql(answer: Result<String, String>) -> Reached {
    match answer {
        Ok(out) => Reached::Session {
            encrypted: out == "encrypted",
        },
        Err(e) if e.contains("server does not support SSL") => Reached::Refused,
        Err(e) if e.contains("certificate verify failed") => Reached::UnknownIssuer,
        Err(e) if e.contains("does not match host name") => Reached::HostMismatch,
        Err(e) if e.contains("root certificate file") => Reached::RootMissing,
        Err(e) => Reached::Other(e),
    }
}

fn reached_by_sequelae(answer: Result<String, String>) -> Reached {
    match answer {
        Ok(out) => Reached::Session {
            encrypted: out == "encrypted",
        },
        Err(e) if e.contains("server does not support SSL, but sslmode=") => Reached::Refused,
        Err(e) if e.contains("certificate verify failed: unknown issuer (set sslrootcert=") => {
            Reached::UnknownIssuer
        }
        Err(e) if e.contains("hostname localhost does not match certificate for") => {
            Reached::HostMismatch
        }
        Err(e) if e.contains("root certificate file") && e.contains("does not exist") => {
            Reached::RootMissing
        }
        Err(e) => Reached::Other(e),
    }
}

/// `conninfo` through `Client::connect` of runtime `R`, as the library's users connect.
fn through<R: Runtime>(conninfo: &str) -> Result<String, String> {
    let env = Environment::new().with_os_user("postgres");
    let settings = ConnectSettings::resolve(Some(conninfo), &env).map_err(|e| e.to_string())?;
    let mut client = R::connect(&settings).map_err(|e| e.to_string())?;
    let results = client
        .simple_query(ENCRYPTED_SQL)
        .map_err(|e| e.to_string())?;
    Ok(results[0].rows[0].get_str(0).unwrap_or_default().to_owned())
}

/// `conninfo` through both runtimes' `Client::connect`: they must come to
/// the same answer, which is returned.
fn through_client(conninfo: &str) -> Result<String, String> {
    let blocking = through::<Std>(conninfo);
    let async_ = through::<Smol>(conninfo);
    assert_eq!(
        blocking, async_,
        "runtime-std and runtime-smol disagree on {conninfo}"
    );
    blocking
}

/// The servers of the matrix: none of them refuses the clear, so that a fallback shows.
fn matrix_clusters(pki: &TestPki) -> Vec<(&'static str, Cluster)> {
    let tls = |which| {
        let opts = pki.cluster_options(which, &[]).expect("TLS options");
        Cluster::start(opts).expect("TLS cluster")
    };
    vec![
        (
            "no TLS",
            Cluster::start(sequelae_tests::ClusterOptions::default()).expect("cluster"),
        ),
        ("trusted CA", tls(ServerCert::Trusted)),
        ("unknown CA", tls(ServerCert::UnknownCa)),
        ("wrong host", tls(ServerCert::WrongHost)),
    ]
}

const MODES: [&str; 6] = [
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

/// sslmode × server × (the CA given, or a root file that does not exist), through
/// `Client::connect`, against psql on the same cluster with the same settings.
#[test]
fn connect_matrix_agrees_with_psql() {
    let pki = TestPki::create().expect("certificates");
    let missing = format!("{}/no-such-root.crt", pki.dir().display());
    let roots = [pki.ca.cert.to_string(), missing];
    let clusters = matrix_clusters(&pki);
    let (mut mismatches, mut table) = (Vec::new(), Vec::new());
    for (server, cluster) in &clusters {
        for mode in MODES {
            for root in &roots {
                let conninfo = format!(
                    "host=localhost port={} user=postgres dbname=postgres sslmode={mode} \
                     sslrootcert={root}",
                    cluster.port()
                );
                let theirs = reached_by_psql(psql(cluster, &conninfo, ENCRYPTED_SQL));
                let ours = reached_by_sequelae(through_client(&conninfo));
                table.push(format!("{server:<10} {mode:<11} {root}: {ours:?}"));
                if ours != theirs || matches!(ours, Reached::Other(_)) {
                    mismatches.push(format!(
                        "{server} sslmode={mode} sslrootcert={root}: sequelae {ours:?}, psql {theirs:?}"
                    ));
                }
            }
        }
    }
    println!("{}", table.join("\n"));
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// A role that logs in with SCRAM, on a TLS cluster.
fn scram_conninfo(cluster: &Cluster, pki: &TestPki, extra: &str) -> String {
    let scram = role(AuthMethod::ScramSha256);
    format!(
        "host=localhost port={} user={} password='{}' dbname=postgres sslrootcert={} {extra}",
        cluster.port(),
        scram.name,
        scram.password.replace('\\', "\\\\").replace('\'', "\\'"),
        pki.ca.cert
    )
}

#[test]
fn channel_binding_required_binds_over_tls_and_is_refused_without() {
    let pki = TestPki::create().expect("certificates");
    let cluster = Cluster::start(
        pki.cluster_options(ServerCert::Trusted, &[])
            .expect("TLS options"),
    )
    .expect("TLS cluster");
    let bound = scram_conninfo(
        &cluster,
        &pki,
        "sslmode=verify-full channel_binding=require",
    );
    assert_eq!(through_client(&bound), Ok("encrypted".to_owned()));
    assert_eq!(
        psql(&cluster, &bound, ENCRYPTED_SQL),
        Ok("encrypted".to_owned())
    );

    let clear = scram_conninfo(&cluster, &pki, "sslmode=disable channel_binding=require");
    let ours = through_client(&clear).expect_err("no TLS, no binding");
    assert!(
        ours.contains("channel binding is required, but server did not offer an authentication method that supports channel binding"),
        "{ours}"
    );
    let theirs = psql(&cluster, &clear, "SELECT 1").expect_err("psql refuses too");
    assert!(theirs.contains("channel binding"), "{theirs}");
}

#[test]
fn client_certificate_logs_in_through_client_connect() {
    use sequelae_tests::tls::CLIENT_CERT_USER;
    let pki = TestPki::create().expect("certificates");
    let hba = format!("hostssl all {CLIENT_CERT_USER} 127.0.0.1/32 cert");
    let opts = pki
        .cluster_options(ServerCert::Trusted, &[TLS_ONLY[0], &hba])
        .expect("options");
    let cluster = Cluster::start(opts).expect("TLS cluster");
    cluster
        .psql("postgres", &format!("CREATE ROLE {CLIENT_CERT_USER} LOGIN"))
        .expect("role");
    let base = format!(
        "host=localhost port={} user={CLIENT_CERT_USER} dbname=postgres sslmode=verify-full \
         sslrootcert={}",
        cluster.port(),
        pki.ca.cert
    );
    let with_cert = format!(
        "{base} sslcert={} sslkey={}",
        pki.client.cert, pki.client.key
    );
    assert_eq!(through_client(&with_cert), Ok("encrypted".to_owned()));
    let without = format!(
        "{base} sslcert={0}/none.crt sslkey={0}/none.key",
        pki.dir().display()
    );
    let err = through_client(&without).expect_err("the cert method needs a certificate");
    assert!(err.contains(CLIENT_CERT_USER), "{err}");
}
