//! Replays recorded sessions through the state machine.
//!
//! A transcript is what really crossed a socket between sequelae and a
//! PostgreSQL 15 server, recorded by `tests/tests/record_transcripts.rs`:
//! lines `C <hex>` (client to server) and `S <hex>` (server to client).
//! Replaying feeds the `S` bytes to a fresh [`Connection`], performs the
//! requests found in the `C` bytes (Query, CopyData, CopyDone, CopyFail,
//! Terminate) at the moment the client made them, and checks that every
//! other byte the core sends (startup, SSLRequest, passwords) is what was
//! recorded.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use sequelae_core::config::{Password, SslMode};
use sequelae_core::wire::{Connection, Event, Limits, Startup, TlsNegotiation};

/// One direction's bytes in recording order.
#[derive(Debug, Clone)]
pub enum Chunk {
    Client(Vec<u8>),
    Server(Vec<u8>),
}

/// A parsed transcript file with the login it was recorded with.
#[derive(Debug, Clone)]
pub struct Transcript {
    pub name: String,
    pub user: String,
    pub database: String,
    pub password: Option<String>,
    pub tls: TlsNegotiation,
    pub chunks: Vec<Chunk>,
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

impl Transcript {
    pub fn load(name: &str) -> Transcript {
        Transcript::load_from(
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/transcripts"),
            name,
        )
    }

    /// Loads `name` from `dir` (for other crates' tests, whose manifest
    /// directory is elsewhere).
    pub fn load_from(dir: &str, name: &str) -> Transcript {
        let path = format!("{dir}/{name}.txt");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
        let mut t = Transcript {
            name: name.to_string(),
            user: String::new(),
            database: String::new(),
            password: None,
            tls: TlsNegotiation::Disabled,
            chunks: Vec::new(),
        };
        for line in text.lines() {
            let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
            match kind {
                "#" | "" => {}
                "user" => t.user = rest.to_string(),
                "database" => t.database = rest.to_string(),
                "password" => t.password = Some(rest.to_string()),
                "tls" => {
                    t.tls = match rest {
                        "optional" => TlsNegotiation::Optional,
                        "required" => TlsNegotiation::Required,
                        _ => TlsNegotiation::Disabled,
                    }
                }
                "C" => t.chunks.push(Chunk::Client(unhex(rest))),
                "S" => t.chunks.push(Chunk::Server(unhex(rest))),
                other => panic!("{path}: unknown line kind {other:?}"),
            }
        }
        t
    }

    pub fn startup(&self) -> Startup {
        Startup {
            user: self.user.clone(),
            database: self.database.clone(),
            password: self.password.clone().map(Password::new),
            application_name: Some("sequelae-transcript".into()),
            options: None,
            tls: self.tls,
            ssl_mode: SslMode::Prefer,
            channel_binding: sequelae_core::tls::ChannelBindingMode::Prefer,
            deadline: None,
            connect_timeout: None,
            limits: Limits::default(),
        }
    }

    /// All server bytes, concatenated.
    pub fn server_bytes(&self) -> Vec<u8> {
        self.chunks
            .iter()
            .filter_map(|c| match c {
                Chunk::Server(b) => Some(b.as_slice()),
                Chunk::Client(_) => None,
            })
            .flatten()
            .copied()
            .collect()
    }

    /// All client bytes, concatenated.
    pub fn client_bytes(&self) -> Vec<u8> {
        self.chunks
            .iter()
            .filter_map(|c| match c {
                Chunk::Client(b) => Some(b.as_slice()),
                Chunk::Server(_) => None,
            })
            .flatten()
            .copied()
            .collect()
    }

    /// The client requests (messages the core does not originate itself),
    /// in order.
    pub fn requests(&self) -> Vec<Request> {
        let bytes = self.client_bytes();
        let mut requests = Vec::new();
        let mut at = 0;
        // The first message (StartupMessage or SSLRequest) has no tag byte.
        let mut untagged = true;
        while at < bytes.len() {
            if untagged {
                let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
                let code = u32::from_be_bytes(bytes[at + 4..at + 8].try_into().unwrap());
                // SSLRequest is followed by another untagged StartupMessage.
                untagged = code == 80877103;
                at += len;
                continue;
            }
            let tag = bytes[at];
            let len = u32::from_be_bytes(bytes[at + 1..at + 5].try_into().unwrap()) as usize;
            let body = &bytes[at + 5..at + 1 + len];
            match tag {
                b'Q' => requests.push(Request::Query(
                    String::from_utf8(body[..body.len() - 1].to_vec()).unwrap(),
                )),
                b'P' => {
                    // Parse: unnamed statement name (one NUL), then the SQL.
                    let sql = &body[1..];
                    let end = sql.iter().position(|b| *b == 0).unwrap();
                    requests.push(Request::Single(
                        String::from_utf8(sql[..end].to_vec()).unwrap(),
                    ));
                }
                b'd' => requests.push(Request::CopyData(body.to_vec())),
                b'c' => requests.push(Request::CopyDone),
                // After a Parse, a CopyFail is the core's own refusal of
                // COPY FROM STDIN in the extended protocol, not a request.
                b'f' if matches!(requests.last(), Some(Request::Single(_))) => {}
                b'f' => requests.push(Request::CopyFail(
                    String::from_utf8(body[..body.len() - 1].to_vec()).unwrap(),
                )),
                b'X' => requests.push(Request::Terminate),
                _ => {}
            }
            at += 1 + len;
        }
        requests
    }
}

/// What the client asked of the state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Query(String),
    Single(String),
    CopyData(Vec<u8>),
    CopyDone,
    CopyFail(String),
    Terminate,
}

/// The outcome of a replay: every event, the error that ended it (if
/// any), and every byte the core transmitted.
#[derive(Debug)]
pub struct Replay {
    pub events: Vec<Event>,
    pub error: Option<String>,
    pub transmitted: Vec<u8>,
}

/// Replays `t`, feeding the server bytes in the pieces `split` cuts them
/// into, and issuing each request as soon as the core can take it.
pub fn replay(t: &Transcript, pieces: &[&[u8]]) -> Replay {
    let mut conn = Connection::new(t.startup());
    let mut requests = t.requests().into_iter().peekable();
    let mut out = Replay {
        events: Vec::new(),
        error: None,
        transmitted: Vec::new(),
    };
    let mut pieces = pieces.iter();
    loop {
        while let Some(b) = conn.poll_transmit() {
            out.transmitted.extend_from_slice(&b);
        }
        match conn.poll_event() {
            Ok(Some(event)) => {
                let idle_now = matches!(event, Event::Ready(_));
                let copy_in = matches!(event, Event::CopyInReady(_));
                out.events.push(event);
                if copy_in {
                    // Send data until the recorded CopyDone/CopyFail.
                    while let Some(r) = requests.next_if(|r| {
                        matches!(
                            r,
                            Request::CopyData(_) | Request::CopyDone | Request::CopyFail(_)
                        )
                    }) {
                        match r {
                            Request::CopyData(d) => conn.send_copy_data(&d).unwrap(),
                            Request::CopyDone => {
                                conn.finish_copy_in().unwrap();
                                break;
                            }
                            Request::CopyFail(m) => {
                                conn.fail_copy_in(&m).unwrap();
                                break;
                            }
                            _ => unreachable!(),
                        }
                    }
                }
                if idle_now && conn.is_idle() {
                    match requests.next() {
                        Some(Request::Query(sql)) => conn.query(&sql).unwrap(),
                        Some(Request::Single(sql)) => conn.query_single(&sql).unwrap(),
                        Some(Request::Terminate) => conn.terminate(),
                        Some(other) => panic!("{}: request {other:?} while idle", t.name),
                        None => {}
                    }
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => {
                out.error = Some(e.to_string());
                break;
            }
        }
        match pieces.next() {
            Some(piece) => conn.handle_input(piece),
            None => break,
        }
    }
    while let Some(b) = conn.poll_transmit() {
        out.transmitted.extend_from_slice(&b);
    }
    out
}

/// Replays with the server bytes fed in one piece.
pub fn replay_whole(t: &Transcript) -> Replay {
    let bytes = t.server_bytes();
    replay(t, &[&bytes])
}
