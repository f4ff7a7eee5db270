//! Replays real PostgreSQL 15 sessions through the state machine: whole,
//! split at every byte boundary, and byte by byte. The core must send
//! exactly what it sent when recorded and report the same events however
//! the bytes are cut.

#![allow(clippy::unwrap_used)]

mod transcript_support;

use rstest::rstest;
use sequelae_core::wire::{CopyFormat, Event, TransactionStatus};
use transcript_support::{Replay, Transcript, replay, replay_whole};

/// Every recorded session: the files themselves are the one list, so a
/// transcript cannot be recorded and then never replayed.
fn all() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/transcripts");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|f| f.strip_suffix(".txt").map(str::to_string))
        .collect();
    names.sort();
    names
}

fn tags(r: &Replay) -> Vec<String> {
    r.events
        .iter()
        .filter_map(|e| match e {
            Event::CommandComplete(t) => Some(t.as_str().to_string()),
            _ => None,
        })
        .collect()
}

fn errors(r: &Replay) -> Vec<(String, Option<u32>)> {
    r.events
        .iter()
        .filter_map(|e| match e {
            Event::Error(e) => Some((e.code.clone(), e.position)),
            _ => None,
        })
        .collect()
}

fn readies(r: &Replay) -> Vec<TransactionStatus> {
    r.events
        .iter()
        .filter_map(|e| match e {
            Event::Ready(s) => Some(*s),
            _ => None,
        })
        .collect()
}

#[test]
fn the_recorded_sessions_are_all_there() {
    // Named by the tests below; a lost file must not shrink the suite.
    let names = all();
    for expected in [
        "trust_multi_statement",
        "copy_in",
        "copy_out",
        "ssl_refused",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected} missing");
    }
    assert!(names.len() >= 11, "{names:?}");
}

/// Replayed whole, the core sends exactly the recorded bytes; cut at
/// every byte boundary, and fed byte by byte, it reports the same events.
#[test]
fn replays_like_the_recording() {
    for name in all() {
        replays_like(&name);
    }
}

fn replays_like(name: &str) {
    let t = Transcript::load(name);
    let whole = replay_whole(&t);
    assert_eq!(
        whole.transmitted,
        t.client_bytes(),
        "{name}: the core sent different bytes than recorded"
    );
    let bytes = t.server_bytes();
    for cut in 1..bytes.len() {
        let (a, b) = bytes.split_at(cut);
        let split = replay(&t, &[a, b]);
        assert_eq!(split.events, whole.events, "{name}: cut at byte {cut}");
        assert_eq!(split.error, whole.error, "{name}: cut at byte {cut}");
        assert_eq!(
            split.transmitted, whole.transmitted,
            "{name}: cut at byte {cut}"
        );
    }
    let singles: Vec<&[u8]> = bytes.chunks(1).collect();
    let trickle = replay(&t, &singles);
    assert_eq!(trickle.events, whole.events, "{name}: byte by byte");
    assert_eq!(trickle.error, whole.error, "{name}: byte by byte");
}

#[test]
fn multi_statement_results_with_nulls_and_unicode() {
    let r = replay_whole(&Transcript::load("trust_multi_statement"));
    assert_eq!(r.error, None);
    let Some(Event::RowDescription(d)) = r
        .events
        .iter()
        .find(|e| matches!(e, Event::RowDescription(_)))
    else {
        panic!("no RowDescription")
    };
    let names: Vec<_> = d.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["one", "nothing", "unicode"]);
    assert_eq!(
        d.columns.iter().map(|c| c.type_oid).collect::<Vec<_>>(),
        [23, 25, 25]
    );
    let Some(Event::DataRow(row)) = r.events.iter().find(|e| matches!(e, Event::DataRow(_))) else {
        panic!("no DataRow")
    };
    assert_eq!(row.get_str(0), Some("1"));
    assert_eq!(row.get(1), None);
    assert_eq!(row.get_str(2), Some("héllo wörld ✓"));
    assert_eq!(
        tags(&r),
        ["SELECT 1", "SELECT 1", "CREATE TABLE", "INSERT 0 2"]
    );
    assert_eq!(readies(&r), [TransactionStatus::Idle; 2]);
}

#[rstest]
#[case::cleartext("cleartext_login", "sq_password")]
#[case::md5("md5_login", "sq_md5")]
fn password_logins_reach_the_query(#[case] name: &str, #[case] user: &str) {
    let t = Transcript::load(name);
    let r = replay_whole(&t);
    assert_eq!(r.error, None);
    let row = r
        .events
        .iter()
        .find_map(|e| match e {
            Event::DataRow(row) => Some(row.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(row.get_str(0), Some(user));
}

#[test]
fn wrong_password_is_rejected_naming_user_and_method_only() {
    let t = Transcript::load("md5_wrong_password");
    let r = replay_whole(&t);
    let error = r.error.unwrap();
    assert!(
        error.contains("password authentication failed for user \"sq_md5\""),
        "{error}"
    );
    assert!(error.contains("authentication method md5"), "{error}");
    assert!(!error.contains(t.password.as_deref().unwrap()), "{error}");
}

#[test]
fn unknown_database_is_rejected_after_authentication() {
    let r = replay_whole(&Transcript::load("unknown_database"));
    let error = r.error.unwrap();
    assert!(
        error.contains("database \"no_such_database\" does not exist"),
        "{error}"
    );
}

#[test]
fn ssl_refusal_falls_back_to_clear_text_when_optional() {
    let t = Transcript::load("ssl_refused");
    let r = replay_whole(&t);
    assert_eq!(r.error, None);
    assert_eq!(&r.transmitted[..8], &[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
    assert_eq!(tags(&r), ["SELECT 1"]);
}

#[test]
fn errors_carry_code_and_position_and_skip_the_rest() {
    let r = replay_whole(&Transcript::load("errors"));
    assert_eq!(r.error, None);
    assert_eq!(
        errors(&r),
        [
            ("42P01".to_string(), Some(15)),
            ("22012".to_string(), None),
            ("42703".to_string(), Some(15)),
        ]
    );
    // "SELECT 1; SELECT 1/0; SELECT 3": the third statement never runs.
    assert_eq!(tags(&r), ["SELECT 1", "BEGIN", "ROLLBACK"]);
    assert_eq!(
        readies(&r),
        [
            TransactionStatus::Idle,
            TransactionStatus::Idle,
            TransactionStatus::Idle,
            TransactionStatus::Failed,
            TransactionStatus::Idle,
        ]
    );
}

#[test]
fn notices_and_empty_queries_are_events() {
    let r = replay_whole(&Transcript::load("notice_and_empty"));
    let notice = r
        .events
        .iter()
        .find_map(|e| match e {
            Event::Notice(n) => Some(n.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(notice.severity, "NOTICE");
    assert_eq!(notice.code, "00000");
    assert_eq!(notice.message, "hello 42");
    assert!(r.events.contains(&Event::EmptyQuery));
}

#[test]
fn copy_out_hands_out_every_chunk_in_order() {
    let r = replay_whole(&Transcript::load("copy_out"));
    assert_eq!(r.error, None);
    assert!(r.events.contains(&Event::CopyOutStart(CopyFormat::Text)));
    let mut data = Vec::new();
    let mut chunks = 0;
    for e in &r.events {
        if let Event::CopyData(b) = e {
            data.extend_from_slice(b);
            chunks += 1;
        }
    }
    let expected: String = (1..=500).map(|g| format!("{g}\trow {g}\n")).collect();
    assert_eq!(String::from_utf8(data).unwrap(), expected);
    assert_eq!(chunks, 500);
    let done = r.events.iter().position(|e| *e == Event::CopyDone).unwrap();
    assert!(matches!(&r.events[done + 1], Event::CommandComplete(t) if t.as_str() == "COPY 500"));
}

#[test]
fn copy_in_accepts_data_and_reports_bad_rows() {
    let r = replay_whole(&Transcript::load("copy_in"));
    assert_eq!(r.error, None);
    let ready_for_copy = r
        .events
        .iter()
        .filter(|e| matches!(e, Event::CopyInReady(CopyFormat::Text)))
        .count();
    assert_eq!(ready_for_copy, 2);
    assert_eq!(tags(&r), ["CREATE TABLE", "COPY 3", "SELECT 1"]);
    assert_eq!(errors(&r), [("22P02".to_string(), None)]);
    let count = r
        .events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::DataRow(row) => row.get_str(0).map(str::to_string),
            _ => None,
        })
        .unwrap();
    assert_eq!(count, "3");
}

/// Mutated real sessions: whatever the bytes, the core returns an event,
/// asks for more input or reports an error, and never panics.
#[test]
fn mutated_transcripts_never_panic() {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for name in all() {
        let t = Transcript::load(&name);
        let original = t.server_bytes();
        for _ in 0..300 {
            let mut bytes = original.clone();
            let flips = 1 + next() % 4;
            for _ in 0..flips {
                let at = (next() % bytes.len() as u64) as usize;
                match next() % 3 {
                    0 => bytes[at] ^= 1 << (next() % 8),
                    1 => bytes[at] = (next() % 256) as u8,
                    _ => bytes.truncate(at.max(1)),
                }
            }
            let cut = (next() % bytes.len() as u64) as usize;
            let (a, b) = bytes.split_at(cut);
            render(&replay(&t, &[a, b]).events);
        }
    }
}

/// Renders every row a replay produced, as a front end would, as a table
/// and as JSON: mutated values must not panic a renderer either, and the
/// JSON stays one valid document.
fn render(events: &[Event]) {
    use sequelae_core::render::{JsonResults, StatementSummary, TableOptions, TableWriter};
    let mut json = JsonResults::new(true);
    let mut table: Option<TableWriter> = None;
    let mut out = String::new();
    let mut text = String::new();
    for event in events {
        match event {
            Event::RowDescription(d) => {
                json.columns(&mut out, d);
                table = Some(TableWriter::new(d, TableOptions::default()));
            }
            Event::DataRow(row) => {
                json.row(&mut out, row);
                if let Some(table) = table.as_mut() {
                    table.row(row, &mut text);
                }
            }
            Event::CommandComplete(tag) => {
                let summary = StatementSummary {
                    command: Some(tag.command().to_string()),
                    row_count: tag.rows(),
                    rows_returned: 0,
                    truncated: false,
                    duration_ms: 0.0,
                };
                json.statement_done(&mut out, &summary);
                if let Some(mut table) = table.take() {
                    table.finish(&mut text, tag.rows());
                }
            }
            _ => {}
        }
    }
    json.finish(&mut out, 0.0);
    serde_json::from_str::<serde_json::Value>(&out)
        .unwrap_or_else(|e| panic!("{out:?} is not JSON: {e}"));
}

#[test]
fn extended_protocol_runs_one_statement_and_refuses_two() {
    let r = replay_whole(&Transcript::load("extended_single"));
    assert_eq!(r.error, None);
    // Rows and NULLs as with a simple query.
    let Some(Event::DataRow(row)) = r.events.iter().find(|e| matches!(e, Event::DataRow(_))) else {
        panic!("no DataRow")
    };
    assert_eq!((row.get_str(0), row.get(1)), (Some("1"), None));
    // "SELECT 1; SELECT 2" is refused by the server itself (42601), and
    // the COPY FROM STDIN is failed by the core (57014, our CopyFail).
    assert_eq!(
        errors(&r),
        [("42601".to_string(), None), ("57014".to_string(), None)]
    );
    assert!(r.events.contains(&Event::EmptyQuery));
    assert_eq!(tags(&r), ["SELECT 1", "CREATE TABLE", "SELECT 1"]);
    assert_eq!(readies(&r), [TransactionStatus::Idle; 7]);
}
