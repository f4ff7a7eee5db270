//! SCRAM-SHA-256 end to end without a socket: the test plays a server that
//! follows RFC 5802/7677 as PostgreSQL does, so the client's random nonce
//! is no obstacle and a lying server can be simulated.

#![allow(clippy::unwrap_used)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sequelae_core::config::{Password, SslMode};
use sequelae_core::wire::{Connection, Error, Event, Limits, Startup, TlsNegotiation};
use sha2::{Digest, Sha256};

const PASSWORD: &str = "sc@ram:w/rd%40 it's \"q\" 4";
const SALT: &[u8] = b"0123456789abcdef";
const ITERATIONS: u32 = 4096;

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn salted_password() -> Vec<u8> {
    // PBKDF2-HMAC-SHA256 with one output block (RFC 5802 "Hi").
    let mut block = SALT.to_vec();
    block.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac(PASSWORD.as_bytes(), &block);
    let mut out = u.clone();
    for _ in 1..ITERATIONS {
        u = hmac(PASSWORD.as_bytes(), &u);
        out.iter_mut().zip(&u).for_each(|(o, x)| *o ^= x);
    }
    out
}

fn message(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![tag];
    m.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

fn auth(code: u32, extra: &[u8]) -> Vec<u8> {
    let mut body = code.to_be_bytes().to_vec();
    body.extend_from_slice(extra);
    message(b'R', &body)
}

/// The payload of a SASLInitialResponse or SASLResponse ('p') message.
fn sasl_payload(packet: &[u8], initial: bool) -> String {
    assert_eq!(packet[0], b'p');
    let body = &packet[5..];
    let data = if initial {
        let nul = body.iter().position(|b| *b == 0).unwrap();
        assert_eq!(&body[..nul], b"SCRAM-SHA-256");
        &body[nul + 5..]
    } else {
        body
    };
    String::from_utf8(data.to_vec()).unwrap()
}

/// A clear-text login as sq_scram with `password`.
fn scram_startup(password: &str) -> Startup {
    Startup {
        user: "sq_scram".into(),
        database: "app".into(),
        password: Some(Password::new(password)),
        application_name: None,
        options: None,
        tls: TlsNegotiation::Disabled,
        ssl_mode: SslMode::Disable,
        channel_binding: sequelae_core::tls::ChannelBindingMode::Prefer,
        deadline: None,
        connect_timeout: None,
        limits: Limits::default(),
    }
}

struct Exchange {
    conn: Connection,
    client_first_bare: String,
    server_first: String,
    client_final_without_proof: String,
    proof: Vec<u8>,
}

fn start(password: &str) -> Exchange {
    let mut conn = Connection::new(scram_startup(password));
    conn.poll_transmit().unwrap();
    conn.handle_input(&auth(10, b"SCRAM-SHA-256\0\0"));
    assert_eq!(conn.poll_event().unwrap(), None);
    let client_first = sasl_payload(&conn.poll_transmit().unwrap(), true);
    // No channel binding without TLS: gs2 header "n,,".
    let client_first_bare = client_first.strip_prefix("n,,").unwrap().to_string();
    let client_nonce = client_first_bare.strip_prefix("n=,r=").unwrap();
    let server_first = format!(
        "r={client_nonce}SERVERNONCE,s={},i={ITERATIONS}",
        STANDARD.encode(SALT)
    );
    conn.handle_input(&auth(11, server_first.as_bytes()));
    assert_eq!(conn.poll_event().unwrap(), None);
    let client_final = sasl_payload(&conn.poll_transmit().unwrap(), false);
    let (without_proof, proof) = client_final.rsplit_once(",p=").unwrap();
    Exchange {
        conn,
        client_first_bare,
        server_first,
        client_final_without_proof: without_proof.to_string(),
        proof: STANDARD.decode(proof).unwrap(),
    }
}

impl Exchange {
    fn auth_message(&self) -> String {
        format!(
            "{},{},{}",
            self.client_first_bare, self.server_first, self.client_final_without_proof
        )
    }

    /// What the server checks: the proof recovers a ClientKey whose hash
    /// is the StoredKey derived from the real password.
    fn proof_is_valid(&self) -> bool {
        let salted = salted_password();
        let stored_key = Sha256::digest(hmac(&salted, b"Client Key")).to_vec();
        let signature = hmac(&stored_key, self.auth_message().as_bytes());
        let client_key: Vec<u8> = self
            .proof
            .iter()
            .zip(&signature)
            .map(|(p, s)| p ^ s)
            .collect();
        Sha256::digest(&client_key).to_vec() == stored_key
    }

    fn server_final(&self) -> String {
        let server_key = hmac(&salted_password(), b"Server Key");
        let signature = hmac(&server_key, self.auth_message().as_bytes());
        format!("v={}", STANDARD.encode(signature))
    }
}

#[test]
fn full_exchange_with_the_right_password() {
    let mut ex = start(PASSWORD);
    assert!(ex.proof_is_valid());
    assert!(ex.client_final_without_proof.starts_with("c=biws,r="));
    let server_final = ex.server_final();
    ex.conn.handle_input(&auth(12, server_final.as_bytes()));
    ex.conn.handle_input(&auth(0, &[]));
    ex.conn.handle_input(&message(b'Z', b"I"));
    assert!(matches!(
        ex.conn.poll_event().unwrap(),
        Some(Event::Ready(_))
    ));
    assert!(ex.conn.is_idle());
}

#[test]
fn a_wrong_password_gives_a_proof_the_server_rejects() {
    let ex = start("not the password");
    assert!(!ex.proof_is_valid());
}

#[test]
fn a_server_that_cannot_prove_the_password_is_refused() {
    let mut ex = start(PASSWORD);
    let forged = format!("v={}", STANDARD.encode([7u8; 32]));
    ex.conn.handle_input(&auth(12, forged.as_bytes()));
    let err = ex.conn.poll_event().unwrap_err();
    assert!(matches!(err, Error::Scram { .. }), "{err:?}");
    assert!(err.to_string().contains("sq_scram"), "{err}");
    assert!(!err.to_string().contains(PASSWORD));
}

#[test]
fn success_before_the_server_proof_is_refused() {
    let mut ex = start(PASSWORD);
    ex.conn.handle_input(&auth(0, &[]));
    let err = ex.conn.poll_event().unwrap_err();
    assert!(
        err.to_string()
            .contains("server reported success before completing the SCRAM exchange"),
        "{err}"
    );
}

#[test]
fn a_second_sasl_continue_is_refused() {
    let mut conn = start(PASSWORD).conn;
    conn.handle_input(&auth(11, b"r=other,s=c2FsdA==,i=4096"));
    assert!(matches!(
        conn.poll_event(),
        Err(Error::UnexpectedMessage { .. })
    ));
}

#[test]
fn a_server_nonce_not_extending_ours_is_refused() {
    let mut conn = Connection::new(scram_startup(PASSWORD));
    conn.handle_input(&auth(10, b"SCRAM-SHA-256\0\0"));
    assert_eq!(conn.poll_event().unwrap(), None);
    conn.handle_input(&auth(11, b"r=someone-elses-nonce,s=c2FsdA==,i=4096"));
    let err = conn.poll_event().unwrap_err();
    assert!(matches!(err, Error::Scram { .. }), "{err:?}");
}
