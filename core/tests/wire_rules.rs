//! Rules of the state machine that recorded sessions cannot show: hostile
//! or broken servers, timeouts, misuse of the API.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use rstest::rstest;
use sequelae_core::config::{Password, SslMode};
use sequelae_core::wire::{
    Connection, Error, Event, Limits, Startup, TlsNegotiation, TransactionStatus,
};

fn startup(password: Option<&str>, tls: TlsNegotiation) -> Startup {
    Startup {
        user: "alice".into(),
        database: "app".into(),
        password: password.map(Password::new),
        application_name: None,
        options: None,
        tls,
        ssl_mode: SslMode::Require,
        channel_binding: sequelae_core::tls::ChannelBindingMode::Prefer,
        deadline: None,
        connect_timeout: None,
        limits: Limits::default(),
    }
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

fn ready(status: u8) -> Vec<u8> {
    message(b'Z', &[status])
}

fn drain(conn: &mut Connection) -> Result<Vec<Event>, Error> {
    let mut events = Vec::new();
    while let Some(e) = conn.poll_event()? {
        events.push(e);
    }
    Ok(events)
}

/// A connection that completed a trust login.
fn ready_connection() -> Connection {
    let mut conn = Connection::new(startup(None, TlsNegotiation::Disabled));
    conn.poll_transmit().unwrap();
    conn.handle_input(&auth(0, &[]));
    conn.handle_input(&message(b'K', &[0, 0, 0, 42, 0, 0, 0, 7]));
    conn.handle_input(&message(b'S', b"server_version\x0015.18 (Debian)\x00"));
    conn.handle_input(&ready(b'I'));
    assert_eq!(
        drain(&mut conn).unwrap(),
        [Event::Ready(TransactionStatus::Idle)]
    );
    conn
}

#[test]
fn startup_packet_carries_user_database_and_utf8() {
    let mut conn = Connection::new(startup(None, TlsNegotiation::Disabled));
    let packet = conn.poll_transmit().unwrap();
    let text = String::from_utf8_lossy(&packet[8..]).to_string();
    assert!(text.contains("user\0alice\0database\0app\0client_encoding\0UTF8\0"));
    assert_eq!(conn.poll_transmit(), None);
}

#[test]
fn backend_key_and_version_are_kept() {
    let conn = ready_connection();
    let token = conn.cancel_token().unwrap();
    assert_eq!((token.process_id, token.secret_key), (42, 7));
    assert_eq!(
        &token.request_bytes()[..],
        &[0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 42, 0, 0, 0, 7]
    );
    assert_eq!(conn.server_version_num(), Some(150018));
}

#[test]
fn an_oversized_message_is_refused_from_its_header() {
    let mut conn = ready_connection();
    conn.query("SELECT 1").unwrap();
    // Only the 5-byte header of a DataRow declaring 2 GiB arrives.
    conn.handle_input(&[b'D', 0x80, 0, 0, 0]);
    let err = conn.poll_event().unwrap_err();
    assert!(
        matches!(
            err,
            Error::MessageTooLong {
                kind: "DataRow",
                len: 0x8000_0000,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(conn.is_closed());
}

#[test]
fn startup_messages_have_a_tighter_limit() {
    let mut conn = Connection::new(startup(None, TlsNegotiation::Disabled));
    let limit = Limits::default().startup_message;
    conn.handle_input(b"E");
    conn.handle_input(&((limit + 1) as u32).to_be_bytes());
    assert!(matches!(
        conn.poll_event(),
        Err(Error::MessageTooLong {
            kind: "ErrorResponse",
            ..
        })
    ));
}

#[rstest]
#[case::length_below_four(vec![b'Z', 0, 0, 0, 3], "below the minimum")]
#[case::unknown_tag(message(b'?', b"x"), "unknown message tag")]
#[case::bad_ready_status(ready(b'Q'), "unknown transaction status")]
fn malformed_input_is_an_error_not_a_panic(#[case] bytes: Vec<u8>, #[case] expected: &str) {
    let mut conn = ready_connection();
    conn.query("SELECT 1").unwrap();
    conn.handle_input(&bytes);
    let err = drain(&mut conn).unwrap_err();
    assert!(err.to_string().contains(expected), "{err}");
}

#[rstest]
#[case::data_row(message(b'D', &[0, 0]), "'D'")]
#[case::http(b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec(), "'H'")]
#[case::one_byte(b"H".to_vec(), "'H'")]
#[case::binary(vec![0x16, 3, 1, 0, 5], "byte 0x16")]
fn a_first_answer_no_postgres_sends_is_named(#[case] bytes: Vec<u8>, #[case] shown: &str) {
    let mut conn = Connection::new(startup(None, TlsNegotiation::Disabled));
    conn.handle_input(&bytes);
    let err = conn.poll_event().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "expected an authentication request from the server, but received {shown}: is a \
             PostgreSQL server listening there?"
        )
    );
    assert!(conn.is_closed());
}

#[test]
fn data_after_authentication_starts_is_a_protocol_violation() {
    let mut conn = Connection::new(startup(Some("pw"), TlsNegotiation::Disabled));
    conn.handle_input(&auth(3, &[]));
    conn.handle_input(&message(b'D', &[0, 0]));
    let err = drain(&mut conn).unwrap_err();
    assert_eq!(
        err.to_string(),
        "protocol violation: server sent DataRow while authenticating"
    );
}

#[test]
fn query_while_busy_is_refused() {
    let mut conn = ready_connection();
    conn.query("SELECT 1").unwrap();
    let err = conn.query("SELECT 2").unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot start a query while the connection is running a query"
    );
}

#[test]
fn required_tls_refused_by_the_server_fails() {
    let mut conn = Connection::new(startup(None, TlsNegotiation::Required));
    assert_eq!(
        &conn.poll_transmit().unwrap()[..],
        &[0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f]
    );
    conn.handle_input(b"N");
    let err = conn.poll_event().unwrap_err();
    assert_eq!(
        err.to_string(),
        "server does not support SSL, but sslmode=require: enable ssl on the server, or use \
         sslmode=prefer to accept an unencrypted connection"
    );
}

#[test]
fn direct_tls_starts_with_the_handshake_and_sends_nothing_first() {
    let mut conn = Connection::new(startup(None, TlsNegotiation::Direct));
    assert_eq!(conn.poll_transmit(), None);
    assert_eq!(conn.poll_event().unwrap(), Some(Event::StartTls));
    conn.tls_established(Some(vec![0; 32])).unwrap();
    assert_eq!(&conn.poll_transmit().unwrap()[4..8], &[0, 3, 0, 0]);
}

fn binding_required(password: Option<&str>) -> Connection {
    let mut s = startup(password, TlsNegotiation::Disabled);
    s.channel_binding = sequelae_core::tls::ChannelBindingMode::Require;
    let mut conn = Connection::new(s);
    conn.poll_transmit().unwrap();
    conn
}

#[test]
fn channel_binding_required_refuses_a_password_request_without_sending_it() {
    let mut conn = binding_required(Some("secret"));
    conn.handle_input(&message(b'R', &3u32.to_be_bytes()));
    let err = conn.poll_event().unwrap_err();
    assert!(
        err.to_string()
            .starts_with("channel binding required but not supported by server's authentication request (password)"),
        "{err}"
    );
    assert_eq!(conn.poll_transmit(), None);
}

#[test]
fn channel_binding_required_refuses_a_server_that_lets_us_in_unbound() {
    let mut conn = binding_required(None);
    conn.handle_input(&message(b'R', &0u32.to_be_bytes()));
    let err = conn.poll_event().unwrap_err();
    assert!(
        err.to_string().starts_with(
            "channel binding required, but server authenticated client without channel binding"
        ),
        "{err}"
    );
}

#[test]
fn channel_binding_required_without_tls_refuses_plain_scram() {
    let mut conn = binding_required(Some("secret"));
    let mut body = 10u32.to_be_bytes().to_vec();
    body.extend_from_slice(b"SCRAM-SHA-256\0\0");
    conn.handle_input(&message(b'R', &body));
    let err = conn.poll_event().unwrap_err();
    assert!(
        err.to_string()
            .starts_with("channel binding is required, but server did not offer"),
        "{err}"
    );
    assert_eq!(conn.poll_transmit(), None);
}

#[test]
fn tls_accepted_waits_for_the_handshake_then_starts_up() {
    let mut conn = Connection::new(startup(None, TlsNegotiation::Optional));
    conn.poll_transmit().unwrap();
    conn.handle_input(b"S");
    assert_eq!(conn.poll_event().unwrap(), Some(Event::StartTls));
    assert_eq!(conn.poll_transmit(), None);
    conn.tls_established(None).unwrap();
    let packet = conn.poll_transmit().unwrap();
    assert_eq!(&packet[4..8], &[0, 3, 0, 0]);
}

/// CVE-2021-23222: bytes between `S` and the TLS handshake could be
/// injected by a man in the middle and must not be read as server replies.
#[test]
fn bytes_between_ssl_yes_and_the_handshake_are_refused() {
    let mut conn = Connection::new(startup(None, TlsNegotiation::Optional));
    conn.handle_input(b"Sjunk");
    assert!(matches!(
        conn.poll_event(),
        Err(Error::UnencryptedDataAfterSslResponse)
    ));
}

#[test]
fn connect_timeout_fails_the_startup() {
    let now = Instant::now();
    let mut s = startup(None, TlsNegotiation::Disabled);
    s.deadline = Some(now + Duration::from_secs(2));
    s.connect_timeout = Some(Duration::from_secs(2));
    let mut conn = Connection::new(s);
    assert_eq!(conn.poll_timeout(), Some(now + Duration::from_secs(2)));
    conn.handle_timeout(now + Duration::from_secs(1)).unwrap();
    let err = conn
        .handle_timeout(now + Duration::from_secs(2))
        .unwrap_err();
    assert!(err.to_string().contains("timed out after 2 s"), "{err}");
}

#[test]
fn no_deadline_once_ready() {
    let now = Instant::now();
    let mut s = startup(None, TlsNegotiation::Disabled);
    s.deadline = Some(now + Duration::from_secs(2));
    let mut conn = Connection::new(s);
    conn.handle_input(&auth(0, &[]));
    conn.handle_input(&ready(b'I'));
    drain(&mut conn).unwrap();
    assert_eq!(conn.poll_timeout(), None);
    conn.handle_timeout(now + Duration::from_secs(60)).unwrap();
}

#[rstest]
#[case::cleartext(3, &[][..], "password")]
#[case::md5(5, &[1, 2, 3, 4][..], "md5")]
#[case::scram(10, &b"SCRAM-SHA-256\0\0"[..], "scram-sha-256")]
fn a_password_request_without_password_names_user_and_method(
    #[case] code: u32,
    #[case] extra: &[u8],
    #[case] method: &str,
) {
    let mut conn = Connection::new(startup(None, TlsNegotiation::Disabled));
    conn.handle_input(&auth(code, extra));
    let err = conn.poll_event().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "server requested {method} authentication for user \"alice\" but no password was supplied: \
             put it in the connection URL, PGPASSWORD or the password file (PGPASSFILE, else ~/.pgpass)"
        )
    );
}

#[rstest]
#[case::gss(7, "GSSAPI")]
#[case::sspi(9, "SSPI")]
#[case::kerberos(2, "Kerberos V5")]
fn unsupported_methods_are_named(#[case] code: u32, #[case] name: &str) {
    let mut conn = Connection::new(startup(Some("pw"), TlsNegotiation::Disabled));
    conn.handle_input(&auth(code, &[]));
    let err = conn.poll_event().unwrap_err();
    assert!(err.to_string().contains(name), "{err}");
    assert!(err.to_string().contains("pg_hba.conf"), "{err}");
}

#[test]
fn md5_answer_is_the_libpq_hash() {
    let mut conn = Connection::new(startup(Some("secret"), TlsNegotiation::Disabled));
    conn.poll_transmit().unwrap();
    conn.handle_input(&auth(5, &[1, 2, 3, 4]));
    assert_eq!(conn.poll_event().unwrap(), None);
    let sent = conn.poll_transmit().unwrap();
    let expected = postgres_protocol::authentication::md5_hash(b"alice", b"secret", [1, 2, 3, 4]);
    assert_eq!(sent[0], b'p');
    assert_eq!(&sent[5..sent.len() - 1], expected.as_bytes());
}

#[test]
fn only_unsupported_sasl_mechanisms_are_refused() {
    let mut conn = Connection::new(startup(Some("pw"), TlsNegotiation::Disabled));
    conn.handle_input(&auth(10, b"SCRAM-SHA-256-PLUS\0\0"));
    let err = conn.poll_event().unwrap_err();
    assert!(err.to_string().contains("SCRAM-SHA-256-PLUS"), "{err}");
}

#[test]
fn a_fatal_error_explains_the_following_eof() {
    let mut conn = ready_connection();
    let mut body = Vec::new();
    for (k, v) in [
        (b'S', "FATAL"),
        (b'V', "FATAL"),
        (b'C', "57P01"),
        (b'M', "terminating connection due to administrator command"),
    ] {
        body.push(k);
        body.extend_from_slice(v.as_bytes());
        body.push(0);
    }
    body.push(0);
    conn.handle_input(&message(b'E', &body));
    assert!(matches!(conn.poll_event().unwrap(), Some(Event::Error(e)) if e.is_fatal()));
    let err = conn.handle_eof();
    assert_eq!(
        err.to_string(),
        "server closed the connection: FATAL:  terminating connection due to administrator command"
    );
}

#[test]
fn eof_without_a_reason_says_so() {
    let mut conn = ready_connection();
    assert!(
        conn.handle_eof()
            .to_string()
            .contains("closed the connection unexpectedly")
    );
}

#[test]
fn copy_data_is_refused_outside_copy_in() {
    let mut conn = ready_connection();
    let err = conn.send_copy_data(b"x").unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot send COPY data while the connection is idle"
    );
    assert!(conn.finish_copy_in().is_err());
}

#[test]
fn nul_in_query_is_refused() {
    let mut conn = ready_connection();
    assert!(matches!(conn.query("SELECT '\0'"), Err(Error::NulInQuery)));
    assert!(conn.is_idle());
}

#[test]
fn data_rows_must_match_their_row_description() {
    let mut conn = ready_connection();
    conn.query("SELECT 1").unwrap();
    // RowDescription of one int4 column named "a".
    let mut desc = vec![0, 1];
    desc.extend_from_slice(b"a\0");
    desc.extend_from_slice(&[
        0, 0, 0, 0, 0, 0, 0, 0, 0, 23, 0, 4, 0xff, 0xff, 0xff, 0xff, 0, 0,
    ]);
    conn.handle_input(&message(b'T', &desc));
    // A DataRow with two values.
    conn.handle_input(&message(b'D', &[0, 2, 0, 0, 0, 1, b'1', 0, 0, 0, 1, b'2']));
    assert!(matches!(
        conn.poll_event(),
        Ok(Some(Event::RowDescription(_)))
    ));
    let err = conn.poll_event().unwrap_err();
    assert!(
        err.to_string()
            .contains("2 values for a result of 1 columns"),
        "{err}"
    );
    assert!(conn.is_closed());
}

#[test]
fn a_malformed_message_closes_the_session() {
    let mut conn = ready_connection();
    conn.query("SELECT 1").unwrap();
    // CommandComplete whose tag has no terminating NUL.
    conn.handle_input(&message(b'C', b"SELECT 1"));
    assert!(conn.poll_event().is_err());
    assert!(conn.is_closed());
    assert!(conn.query("SELECT 2").is_err());
}

#[test]
fn a_nul_in_a_startup_parameter_sends_nothing() {
    let mut s = startup(None, TlsNegotiation::Disabled);
    s.user = "al\0ice".into();
    let mut conn = Connection::new(s);
    assert_eq!(conn.poll_transmit(), None);
    assert!(matches!(conn.poll_event(), Err(Error::NulInParameters)));
}

#[test]
fn invented_parameters_are_bounded() {
    let mut conn = ready_connection();
    for i in 0..10_000 {
        conn.handle_input(&message(b'S', format!("p{i}\0v\0").as_bytes()));
        while conn.poll_event().unwrap().is_some() {}
    }
    assert!(conn.parameter("p9999").is_none());
    assert_eq!(conn.parameter("server_version"), Some("15.18 (Debian)"));
}

/// The client-side deadline: first a request to cancel (the runtime dials
/// it), then, if the server still does not answer, the session is given up.
#[test]
fn a_query_past_its_deadline_asks_for_a_cancel_then_gives_up() {
    let now = Instant::now();
    let mut conn = ready_connection();
    conn.set_query_deadline(Some(now + Duration::from_secs(1)), Duration::from_secs(5));
    // No deadline while idle.
    assert_eq!(conn.poll_timeout(), None);
    conn.query("SELECT pg_sleep(60)").unwrap();
    assert_eq!(conn.poll_timeout(), Some(now + Duration::from_secs(1)));
    conn.handle_timeout(now + Duration::from_millis(999))
        .unwrap();
    assert_eq!(conn.poll_event().unwrap(), None);
    conn.handle_timeout(now + Duration::from_secs(1)).unwrap();
    assert_eq!(conn.poll_event().unwrap(), Some(Event::CancelNeeded));
    assert_eq!(conn.poll_timeout(), Some(now + Duration::from_secs(6)));
    let err = conn
        .handle_timeout(now + Duration::from_secs(6))
        .unwrap_err();
    assert!(matches!(err, Error::CancelIgnored { .. }), "{err:?}");
    assert!(
        err.to_string().contains("did not answer within 5.0 s"),
        "{err}"
    );
    assert!(conn.is_closed());
}

#[test]
fn a_query_answered_after_the_cancel_ends_normally() {
    let now = Instant::now();
    let mut conn = ready_connection();
    conn.set_query_deadline(Some(now), Duration::from_secs(5));
    conn.query("SELECT pg_sleep(60)").unwrap();
    conn.handle_timeout(now).unwrap();
    assert_eq!(conn.poll_event().unwrap(), Some(Event::CancelNeeded));
    let mut body = Vec::new();
    for (k, v) in [
        (b'S', "ERROR"),
        (b'C', "57014"),
        (b'M', "canceling statement due to user request"),
    ] {
        body.push(k);
        body.extend_from_slice(v.as_bytes());
        body.push(0);
    }
    body.push(0);
    conn.handle_input(&message(b'E', &body));
    conn.handle_input(&ready(b'I'));
    assert!(matches!(conn.poll_event().unwrap(), Some(Event::Error(e)) if e.code == "57014"));
    assert_eq!(
        conn.poll_event().unwrap(),
        Some(Event::Ready(TransactionStatus::Idle))
    );
    assert_eq!(conn.poll_timeout(), None);
}

#[test]
fn a_nul_in_a_password_names_the_password_never_its_value() {
    let mut conn = Connection::new(startup(Some("se\0cret"), TlsNegotiation::Disabled));
    conn.poll_transmit().unwrap();
    conn.handle_input(&auth(3, &[]));
    let error = drain(&mut conn).unwrap_err();
    assert!(matches!(error, Error::NulInPassword { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("password for user \"alice\""), "{text}");
    assert!(!text.contains("SQL"), "{text}");
    assert!(!text.contains("cret"), "the value leaked: {text}");
}

#[test]
fn an_http_answer_to_ssl_request_is_named_as_not_postgres() {
    let mut conn = Connection::new(startup(None, TlsNegotiation::Optional));
    conn.poll_transmit().unwrap();
    conn.handle_input(b"HTTP/1.1 400 Bad Request\r\n\r\n");
    let err = conn.poll_event().unwrap_err();
    assert!(
        err.to_string()
            .starts_with("expected an authentication request from the server, but received 'H'"),
        "{err}"
    );
}

/// The COPY OUT fast path hands over the buffered rows in order, stops at
/// the first message that is not CopyData (left for `poll_event`) and
/// after a chunk the sink refuses; nothing is taken outside COPY OUT.
#[test]
fn buffered_copy_data_goes_to_the_sink_without_events() {
    let mut conn = ready_connection();
    assert_eq!(conn.take_copy_data(&mut |_| true), (0, false));
    conn.query("COPY t TO STDOUT").unwrap();
    conn.poll_transmit().unwrap();
    // CopyOutResponse: text, no columns.
    conn.handle_input(&message(b'H', &[0, 0, 0]));
    assert!(matches!(
        drain(&mut conn).unwrap()[..],
        [Event::CopyOutStart(_)]
    ));
    for row in [&b"1\ta\n"[..], b"2\tb\n", b"3\tc\n"] {
        conn.handle_input(&message(b'd', row));
    }
    conn.handle_input(&message(b'c', &[]));
    let mut rows = Vec::new();
    let mut sink = |chunk: &[u8]| {
        rows.push(chunk.to_vec());
        rows.len() < 2
    };
    assert_eq!(conn.take_copy_data(&mut sink), (8, true));
    assert_eq!(rows, [b"1\ta\n".to_vec(), b"2\tb\n".to_vec()]);
    let mut rest = Vec::new();
    assert_eq!(
        conn.take_copy_data(&mut |chunk| {
            rest.extend_from_slice(chunk);
            true
        }),
        (4, false)
    );
    assert_eq!(rest, b"3\tc\n");
    assert_eq!(drain(&mut conn).unwrap(), [Event::CopyDone]);
}
