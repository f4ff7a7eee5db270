//! Records the protocol transcripts that `core/tests/transcripts.rs`
//! replays: real bytes between sequelae and a real PostgreSQL server.
//!
//! Run `cargo test -p sequelae-tests --test record_transcripts -- --ignored`
//! after changing what the client sends; the files land in
//! `core/tests/transcripts/`.

#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sequelae_core::config::{ConnectSettings, Endpoint, Environment, Password};
use sequelae_core::wire::{Startup, TlsNegotiation};
use sequelae_std::{Client, Transport};
use sequelae_tests::{AuthMethod, Cluster, role};

type Log = Arc<Mutex<Vec<(char, Vec<u8>)>>>;

/// A TCP stream that logs every chunk in both directions.
struct Recorder {
    inner: TcpStream,
    log: Log,
}

impl Recorder {
    fn push(&self, dir: char, bytes: &[u8]) {
        let mut log = self.log.lock().unwrap();
        match log.last_mut() {
            Some((d, b)) if *d == dir => b.extend_from_slice(bytes),
            _ => log.push((dir, bytes.to_vec())),
        }
    }
}

impl Read for Recorder {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.push('S', &buf[..n]);
        Ok(n)
    }
}

impl Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.push('C', &buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl Transport for Recorder {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.inner.set_read_timeout(timeout)
    }
}

enum Step {
    Query(&'static str),
    Single(&'static str),
    CopyIn(&'static str, &'static [u8]),
    CopyOut(&'static str),
}

struct Scenario {
    name: &'static str,
    about: &'static str,
    method: AuthMethod,
    password: Option<&'static str>,
    database: Option<&'static str>,
    tls: TlsNegotiation,
    steps: &'static [Step],
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "trust_multi_statement",
        about: "trust login; several statements, NULL and Unicode values, DDL and DML tags",
        method: AuthMethod::Trust,
        password: None,
        database: None,
        tls: TlsNegotiation::Disabled,
        steps: &[Step::Query(
            "SELECT 1 AS one, NULL::text AS nothing, 'héllo wörld ✓'::text AS unicode; \
             SELECT 2 AS two; CREATE TEMP TABLE t(a int); INSERT INTO t VALUES (1), (2)",
        )],
    },
    Scenario {
        name: "cleartext_login",
        about: "password (cleartext) authentication",
        method: AuthMethod::Password,
        password: None,
        database: None,
        tls: TlsNegotiation::Disabled,
        steps: &[Step::Query("SELECT current_user")],
    },
    Scenario {
        name: "md5_login",
        about: "md5 authentication",
        method: AuthMethod::Md5,
        password: None,
        database: None,
        tls: TlsNegotiation::Disabled,
        steps: &[Step::Query("SELECT current_user")],
    },
    Scenario {
        name: "md5_wrong_password",
        about: "md5 authentication with a wrong password: FATAL 28P01",
        method: AuthMethod::Md5,
        password: Some("not the password"),
        database: None,
        tls: TlsNegotiation::Disabled,
        steps: &[],
    },
    Scenario {
        name: "unknown_database",
        about: "trust login to a database that does not exist: FATAL 3D000",
        method: AuthMethod::Trust,
        password: None,
        database: Some("no_such_database"),
        tls: TlsNegotiation::Disabled,
        steps: &[],
    },
    Scenario {
        name: "ssl_refused",
        about: "SSLRequest answered N by a server without TLS, then a trust login",
        method: AuthMethod::Trust,
        password: None,
        database: None,
        tls: TlsNegotiation::Optional,
        steps: &[Step::Query("SELECT 1")],
    },
    Scenario {
        name: "errors",
        about: "an error with a position, then an error mid-script that skips the rest",
        method: AuthMethod::Trust,
        password: None,
        database: None,
        tls: TlsNegotiation::Disabled,
        steps: &[
            Step::Query("SELECT * FROM nope"),
            Step::Query("SELECT 1; SELECT 1/0; SELECT 3"),
            Step::Query("BEGIN; SELECT x; "),
            Step::Query("ROLLBACK"),
        ],
    },
    Scenario {
        name: "notice_and_empty",
        about: "a NOTICE raised by a DO block, and an empty query",
        method: AuthMethod::Trust,
        password: None,
        database: None,
        tls: TlsNegotiation::Disabled,
        steps: &[
            Step::Query("DO $$BEGIN RAISE NOTICE 'hello %', 42; END$$"),
            Step::Query(";"),
        ],
    },
    Scenario {
        name: "copy_out",
        about: "COPY TO STDOUT of 500 rows",
        method: AuthMethod::Trust,
        password: None,
        database: None,
        tls: TlsNegotiation::Disabled,
        steps: &[Step::CopyOut(
            "COPY (SELECT g, 'row ' || g FROM generate_series(1, 500) g) TO STDOUT",
        )],
    },
    Scenario {
        name: "copy_in",
        about: "COPY FROM STDIN, good data then bad data",
        method: AuthMethod::Trust,
        password: None,
        database: None,
        tls: TlsNegotiation::Disabled,
        steps: &[
            Step::Query("CREATE TEMP TABLE c(a int, b text)"),
            Step::CopyIn("COPY c FROM STDIN", b"1\tone\n2\t\\N\n3\tthree\n"),
            Step::CopyIn("COPY c FROM STDIN", b"4\tfour\nx\ty\n"),
            Step::Query("SELECT count(*) FROM c"),
        ],
    },
    Scenario {
        name: "extended_single",
        about: "one statement at a time through the extended protocol: rows, a refused \
                multi-statement string, an empty statement, a COPY FROM STDIN it must refuse",
        method: AuthMethod::Trust,
        password: None,
        database: None,
        tls: TlsNegotiation::Disabled,
        steps: &[
            Step::Single("SELECT 1 AS a, NULL::text AS b"),
            Step::Single("SELECT 1; SELECT 2"),
            Step::Single(""),
            Step::Single("CREATE TEMP TABLE e(a int)"),
            Step::Single("COPY e FROM STDIN"),
            Step::Single("SELECT count(*) FROM e"),
        ],
    },
];

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        write!(s, "{b:02x}").unwrap();
    }
    s
}

#[test]
#[ignore = "regenerates core/tests/transcripts from a live cluster"]
fn record_transcripts() {
    let cluster = Cluster::shared();
    let db = cluster.create_database("transcripts");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/tests/transcripts");
    for scenario in SCENARIOS {
        let role = role(scenario.method);
        let database = scenario.database.unwrap_or(&db);
        let env = Environment::new().with_os_user("nobody");
        let mut settings = ConnectSettings::resolve(
            Some(&format!(
                "host=127.0.0.1 port={} user={} dbname={database} application_name=sequelae-transcript",
                cluster.port(),
                role.name
            )),
            &env,
        )
        .unwrap();
        let password = scenario.password.unwrap_or(role.password);
        settings.password = match scenario.method {
            AuthMethod::Trust => None,
            _ => Some(Password::new(password)),
        };
        let mut startup = Startup::from_settings(&settings, false, Instant::now()).unwrap();
        startup.tls = scenario.tls;
        let log: Log = Arc::default();
        let stream = TcpStream::connect(("127.0.0.1", cluster.port())).unwrap();
        let recorder = Recorder {
            inner: stream,
            log: log.clone(),
        };
        let endpoint: Endpoint = settings.endpoints[0].clone();
        match Client::start(startup, Box::new(recorder), endpoint) {
            Ok(mut client) => {
                for step in scenario.steps {
                    match step {
                        Step::Query(sql) => {
                            let _ = client.simple_query(sql);
                        }
                        Step::Single(sql) => {
                            if let Ok(stream) = client.query_single(sql) {
                                for _ in stream {}
                            }
                        }
                        Step::CopyIn(sql, data) => {
                            let _ = client.copy_in(sql, &mut &data[..]);
                        }
                        Step::CopyOut(sql) => {
                            client.copy_out(sql, &mut io::sink()).unwrap();
                        }
                    }
                }
                client.close().unwrap();
            }
            Err(e) => println!("{}: connection failed as recorded: {e}", scenario.name),
        }
        let mut text = format!(
            "# {}\n# Recorded from PostgreSQL {} by tests/tests/record_transcripts.rs.\nuser {}\ndatabase {}\n",
            scenario.about,
            cluster.version_num(),
            role.name,
            database,
        );
        if scenario.method != AuthMethod::Trust {
            writeln!(text, "password {password}").unwrap();
        }
        if scenario.tls == TlsNegotiation::Optional {
            text.push_str("tls optional\n");
        }
        for (dir, bytes) in log.lock().unwrap().iter() {
            writeln!(text, "{dir} {}", hex(bytes)).unwrap();
        }
        std::fs::write(format!("{dir}/{}.txt", scenario.name), text).unwrap();
    }
}
