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
use sequelae_tests::conformance::{SCENARIOS, Step};
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
