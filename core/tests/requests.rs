//! The request folds and `Connection::abandon`, fed server messages built
//! here: what a runtime is told to do with each event, and how a request
//! ends.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use rstest::rstest;
use sequelae_core::config::{Password, SslMode};
use sequelae_core::request::{
    CopyError, CopyInFold, CopyInStep, CopyOutFold, CopyOutStep, CopyOutcome, QueryFold, QueryItem,
    QueryStep, read_timeout,
};
use sequelae_core::wire::{Connection, Event, Limits, Startup, TlsNegotiation, TransactionStatus};

fn message(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![tag];
    m.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

fn ready() -> Vec<u8> {
    message(b'Z', b"I")
}

fn row_description(names: &[&str]) -> Vec<u8> {
    let mut body = (names.len() as i16).to_be_bytes().to_vec();
    for name in names {
        body.extend_from_slice(name.as_bytes());
        body.push(0);
        body.extend_from_slice(&0i32.to_be_bytes());
        body.extend_from_slice(&0i16.to_be_bytes());
        body.extend_from_slice(&25i32.to_be_bytes());
        body.extend_from_slice(&(-1i16).to_be_bytes());
        body.extend_from_slice(&(-1i32).to_be_bytes());
        body.extend_from_slice(&0i16.to_be_bytes());
    }
    message(b'T', &body)
}

fn data_row(values: &[&str]) -> Vec<u8> {
    let mut body = (values.len() as i16).to_be_bytes().to_vec();
    for v in values {
        body.extend_from_slice(&(v.len() as i32).to_be_bytes());
        body.extend_from_slice(v.as_bytes());
    }
    message(b'D', &body)
}

fn complete(tag: &str) -> Vec<u8> {
    message(b'C', format!("{tag}\0").as_bytes())
}

fn error(code: &str) -> Vec<u8> {
    message(
        b'E',
        format!("SERROR\0C{code}\0Mit went wrong\0\0").as_bytes(),
    )
}

fn copy_response(tag: u8) -> Vec<u8> {
    message(tag, &[0, 0, 1, 0, 0])
}

/// A connection after a trust login, with a query sent.
fn busy(sql: &str) -> Connection {
    let startup = Startup {
        user: "alice".into(),
        database: "app".into(),
        password: None::<&str>.map(Password::new),
        application_name: None,
        options: None,
        tls: TlsNegotiation::Disabled,
        ssl_mode: SslMode::Disable,
        channel_binding: sequelae_core::tls::ChannelBindingMode::Prefer,
        deadline: None,
        connect_timeout: None,
        limits: Limits::default(),
    };
    let mut conn = Connection::new(startup);
    conn.poll_transmit().unwrap();
    conn.handle_input(&message(b'R', &0u32.to_be_bytes()));
    conn.handle_input(&ready());
    while conn.poll_event().unwrap().is_some() {}
    conn.query(sql).unwrap();
    while conn.poll_transmit().is_some() {}
    conn
}

fn events(conn: &mut Connection) -> Vec<Event> {
    let mut out = Vec::new();
    while let Some(e) = conn.poll_event().unwrap() {
        out.push(e);
    }
    out
}

fn sent(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(b) = conn.poll_transmit() {
        out.extend_from_slice(&b);
    }
    out
}

fn query_steps(conn: &mut Connection, input: &[Vec<u8>]) -> Vec<QueryStep> {
    let mut fold = QueryFold::new();
    let mut steps = Vec::new();
    for bytes in input {
        conn.handle_input(bytes);
        for event in events(conn) {
            steps.push(fold.handle(conn, event).unwrap());
        }
    }
    assert!(fold.is_finished());
    steps
}

#[test]
fn a_query_yields_its_items_and_reports_the_error_at_the_end() {
    let mut conn = busy("SELECT a FROM t; SELECT 1/0");
    let steps = query_steps(
        &mut conn,
        &[
            row_description(&["a"]),
            data_row(&["x"]),
            complete("SELECT 1"),
            error("22012"),
            ready(),
        ],
    );
    let items: Vec<&QueryItem> = steps
        .iter()
        .filter_map(|s| match s {
            QueryStep::Item(i) => Some(i),
            _ => None,
        })
        .collect();
    assert!(matches!(items[0], QueryItem::Columns(d) if d.columns[0].name == "a"));
    assert!(matches!(items[1], QueryItem::Row(r) if r.get_str(0) == Some("x")));
    assert!(matches!(items[2], QueryItem::Complete(t) if t.as_str() == "SELECT 1"));
    assert_eq!(items.len(), 3);
    match steps.last().unwrap() {
        QueryStep::Finished(Some(e)) => assert_eq!(e.code, "22012"),
        other => panic!("{other:?}"),
    }
    assert!(conn.is_idle());
}

#[test]
fn a_query_refuses_copy_from_stdin_on_the_connection() {
    let mut conn = busy("COPY t FROM STDIN");
    conn.handle_input(&copy_response(b'G'));
    let mut fold = QueryFold::new();
    for event in events(&mut conn) {
        assert_eq!(fold.handle(&mut conn, event).unwrap(), QueryStep::Continue);
    }
    let out = sent(&mut conn);
    assert_eq!(out[0], b'f', "CopyFail expected, sent {out:?}");
    assert!(String::from_utf8_lossy(&out).contains("COPY FROM STDIN needs its data"));
}

fn copy_out(conn: &mut Connection, fail_sink_after: Option<usize>) -> (Vec<Vec<u8>>, CopyOutFold) {
    let mut fold = CopyOutFold::new();
    let mut written = Vec::new();
    for bytes in [
        copy_response(b'H'),
        message(b'd', b"1\tone\n"),
        message(b'd', b"2\ttwo\n"),
        message(b'c', b""),
        complete("COPY 2"),
        ready(),
    ] {
        conn.handle_input(&bytes);
        for event in events(conn) {
            if let CopyOutStep::Write(chunk) = fold.handle(conn, event).unwrap() {
                written.push(chunk.to_vec());
                if fail_sink_after == Some(written.len()) {
                    fold.sink_failed();
                }
            }
        }
    }
    assert!(fold.is_finished());
    (written, fold)
}

#[test]
fn copy_out_hands_out_chunks_and_counts_them() {
    let mut conn = busy("COPY t TO STDOUT");
    let (written, fold) = copy_out(&mut conn, None);
    assert_eq!(written, [b"1\tone\n".to_vec(), b"2\ttwo\n".to_vec()]);
    assert_eq!(
        fold.finish::<()>(None).unwrap(),
        CopyOutcome { bytes: 12, rows: 2 }
    );
}

#[test]
fn copy_out_stops_handing_out_chunks_once_the_sink_failed() {
    let mut conn = busy("COPY t TO STDOUT");
    let (written, fold) = copy_out(&mut conn, Some(1));
    assert_eq!(written.len(), 1);
    assert!(matches!(
        fold.finish(Some("disk full")),
        Err(CopyError::Local("disk full"))
    ));
}

#[rstest]
#[case::server_refused(vec![error("42P01"), ready()], "db")]
#[case::not_a_copy(vec![row_description(&["a"]), complete("SELECT 0"), ready()], "not a copy")]
fn copy_out_failures(#[case] input: Vec<Vec<u8>>, #[case] expected: &str) {
    let mut conn = busy("COPY nope TO STDOUT");
    let mut fold = CopyOutFold::new();
    for bytes in input {
        conn.handle_input(&bytes);
        for event in events(&mut conn) {
            fold.handle(&mut conn, event).unwrap();
        }
    }
    match (fold.finish::<()>(None), expected) {
        (Err(CopyError::Db(e)), "db") => assert_eq!(e.code, "42P01"),
        (Err(CopyError::NotACopy(m)), "not a copy") => assert!(m.contains("COPY ... TO STDOUT")),
        (other, _) => panic!("{other:?}"),
    }
}

#[test]
fn copy_in_asks_for_data_then_reports_rows() {
    let mut conn = busy("COPY t FROM STDIN");
    let mut fold = CopyInFold::new();
    conn.handle_input(&copy_response(b'G'));
    let steps: Vec<CopyInStep> = events(&mut conn)
        .into_iter()
        .map(|e| fold.handle(e))
        .collect();
    assert_eq!(steps, [CopyInStep::SendData]);
    conn.send_copy_data(b"1\n2\n").unwrap();
    fold.sent(4);
    conn.finish_copy_in().unwrap();
    conn.handle_input(&complete("COPY 2"));
    conn.handle_input(&ready());
    let steps: Vec<CopyInStep> = events(&mut conn)
        .into_iter()
        .map(|e| fold.handle(e))
        .collect();
    assert_eq!(steps.last(), Some(&CopyInStep::Finished));
    assert_eq!(
        fold.finish::<()>(None).unwrap(),
        CopyOutcome { bytes: 4, rows: 2 }
    );
}

#[test]
fn an_abandoned_query_reports_only_its_end() {
    let mut conn = busy("SELECT a FROM big");
    conn.handle_input(&row_description(&["a"]));
    conn.handle_input(&data_row(&["1"]));
    assert!(conn.abandon().unwrap());
    assert!(conn.is_abandoned());
    conn.handle_input(&data_row(&["2"]));
    conn.handle_input(&complete("SELECT 2"));
    conn.handle_input(&ready());
    assert_eq!(events(&mut conn), [Event::Ready(TransactionStatus::Idle)]);
    assert!(!conn.is_abandoned());
    assert!(conn.is_idle());
    conn.query("SELECT 1").unwrap();
}

#[test]
fn an_abandoned_copy_in_is_failed() {
    let mut conn = busy("COPY t FROM STDIN");
    conn.handle_input(&copy_response(b'G'));
    assert!(matches!(events(&mut conn)[..], [Event::CopyInReady(_)]));
    assert!(conn.abandon().unwrap());
    let out = sent(&mut conn);
    assert_eq!(out[0], b'f');
    assert!(String::from_utf8_lossy(&out).contains("abandoned by the client"));
    conn.handle_input(&error("57014"));
    conn.handle_input(&ready());
    assert_eq!(events(&mut conn), [Event::Ready(TransactionStatus::Idle)]);
}

#[test]
fn a_copy_in_met_after_abandoning_is_failed_too() {
    let mut conn = busy("SELECT 1; COPY t FROM STDIN");
    assert!(conn.abandon().unwrap());
    conn.handle_input(&complete("SELECT 1"));
    conn.handle_input(&copy_response(b'G'));
    assert_eq!(events(&mut conn), []);
    assert_eq!(sent(&mut conn)[0], b'f');
}

#[test]
fn abandoning_a_request_whose_end_is_unread_still_reports_that_end() {
    let mut conn = busy("SELECT 1");
    conn.handle_input(&complete("SELECT 1"));
    conn.handle_input(&ready());
    // The caller stops before reading the end: the end is still what the
    // runtime waits for, and the next request does not see it.
    assert!(matches!(
        conn.poll_event().unwrap(),
        Some(Event::CommandComplete(_))
    ));
    assert!(conn.abandon().unwrap());
    assert_eq!(events(&mut conn), [Event::Ready(TransactionStatus::Idle)]);
    assert!(!conn.abandon().unwrap());
    conn.query("SELECT 2").unwrap();
}

#[test]
fn a_read_waits_until_the_next_deadline_and_never_zero() {
    let now = Instant::now();
    let mut unbounded = busy("SELECT 1");
    assert_eq!(read_timeout(&mut unbounded, now).unwrap(), None);

    let mut conn = busy("SELECT 1");
    while conn.poll_event().unwrap().is_some() {}
    conn.handle_input(&ready());
    while conn.poll_event().unwrap().is_some() {}
    conn.set_query_deadline(Some(now + Duration::from_secs(3)), Duration::from_secs(5));
    conn.query("SELECT pg_sleep(10)").unwrap();
    assert_eq!(
        read_timeout(&mut conn, now).unwrap(),
        Some(Duration::from_secs(3))
    );
    let late = now + Duration::from_secs(4);
    assert_eq!(
        read_timeout(&mut conn, late).unwrap(),
        Some(Duration::from_millis(1)),
        "a passed deadline must not read as 'block forever'"
    );
    assert_eq!(conn.poll_event().unwrap(), Some(Event::CancelNeeded));
}

#[test]
fn copy_in_sends_what_the_source_gives_and_ends_with_it() {
    let mut conn = busy("COPY t FROM STDIN");
    let mut fold = CopyInFold::new();
    conn.handle_input(&copy_response(b'G'));
    let steps: Vec<CopyInStep> = events(&mut conn)
        .into_iter()
        .map(|e| fold.handle(e))
        .collect();
    assert_eq!(steps, [CopyInStep::SendData]);
    assert!(fold.send(&mut conn, b"1\n2\n").unwrap());
    assert_eq!(sent(&mut conn)[0], b'd');
    assert!(!fold.send(&mut conn, b"").unwrap());
    assert_eq!(sent(&mut conn), [b'c', 0, 0, 0, 4]);
    assert!(!conn.is_copy_in());
    conn.handle_input(&complete("COPY 2"));
    conn.handle_input(&ready());
    for event in events(&mut conn) {
        fold.handle(event);
    }
    assert_eq!(
        fold.finish::<()>(None).unwrap(),
        CopyOutcome { bytes: 4, rows: 2 }
    );
}

#[test]
fn copy_in_whose_source_fails_is_aborted_with_its_words() {
    let mut conn = busy("COPY t FROM STDIN");
    let mut fold = CopyInFold::new();
    conn.handle_input(&copy_response(b'G'));
    events(&mut conn);
    fold.source_failed(&mut conn, &"disk on fire").unwrap();
    let out = sent(&mut conn);
    assert_eq!(out[0], b'f');
    assert!(String::from_utf8_lossy(&out).contains("client input failed: disk on fire"));
    assert!(!conn.is_copy_in());
}
