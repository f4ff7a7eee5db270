//! One conformance suite for every runtime: real PostgreSQL sessions,
//! recorded once by `tests/tests/record_transcripts.rs`, replayed through a
//! runtime's own client over an in-memory transport.
//!
//! A runtime passes when, for every recorded scenario, it sends the server
//! exactly the bytes that were recorded and reports the same results
//! (rows, tags, errors, COPY counts). The bodies here know nothing of any
//! runtime: a runtime implements [`RuntimeUnderTest`] and calls
//! [`run_all`], so the blocking runtime and the async one run the very
//! same checks.

mod replay;
mod scenarios;

use sequelae_core::request::QueryItem;
use sequelae_core::wire::Startup;

pub use replay::ReplayTransport;
pub use scenarios::{SCENARIOS, Scenario, Step};

#[path = "../../../core/tests/transcript_support/mod.rs"]
mod transcript_support;

/// How a step failed: the server's SQLSTATE when the server refused,
/// and the runtime's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    /// SQLSTATE of a server error; `None` for any other failure.
    pub sqlstate: Option<String>,
    /// The runtime's error, displayed.
    pub message: String,
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.sqlstate {
            Some(code) => write!(f, "{code}"),
            None => f.write_str(self.message.lines().next().unwrap_or_default()),
        }
    }
}

/// A session of the runtime under test, reduced to what the scenarios do.
pub trait SessionUnderTest {
    /// Runs `sql` through the simple query protocol, collecting every item
    /// as the stream yields it (an error ends the stream).
    fn query(&mut self, sql: &str) -> Vec<Result<QueryItem, StepError>>;
    /// Runs one statement through the extended protocol, likewise.
    fn query_single(&mut self, sql: &str) -> Vec<Result<QueryItem, StepError>>;
    /// Runs a COPY FROM STDIN fed with `data`; returns the rows copied.
    fn copy_in(&mut self, sql: &str, data: &[u8]) -> Result<u64, StepError>;
    /// Runs a COPY TO STDOUT; returns the rows and the data.
    fn copy_out(&mut self, sql: &str) -> Result<(u64, Vec<u8>), StepError>;
    /// Ends the session politely.
    fn close(self: Box<Self>) -> Result<(), StepError>;
}

/// A runtime: starts a session over a transport it is handed.
pub trait RuntimeUnderTest {
    /// Runs the startup of `startup` over `transport`.
    fn start(
        &self,
        startup: Startup,
        transport: ReplayTransport,
    ) -> Result<Box<dyn SessionUnderTest>, StepError>;
}

/// Replays every scenario through `runtime` and panics, naming the
/// scenario and the difference, at the first one that does not conform.
pub fn run_all(runtime: &dyn RuntimeUnderTest) {
    for scenario in SCENARIOS {
        run(runtime, scenario);
    }
}

/// Replays one scenario; see [`run_all`].
pub fn run(runtime: &dyn RuntimeUnderTest, scenario: &Scenario) {
    let transcript = transcript_support::Transcript::load_from(
        &format!("{}/../core/tests/transcripts", env!("CARGO_MANIFEST_DIR")),
        scenario.name,
    );
    let transport = ReplayTransport::new(&transcript);
    let written = transport.written();
    let mut log = Vec::new();
    match runtime.start(transcript.startup(), transport) {
        Ok(mut session) => {
            for step in scenario.steps {
                run_step(session.as_mut(), step, &mut log);
            }
            if let Err(e) = session.close() {
                log.push(format!("close failed: {e}"));
            }
        }
        Err(e) => log.push(format!("connect failed: {e}")),
    }
    let sent = written.lock().map(|w| w.clone()).unwrap_or_default();
    assert!(
        sent == transcript.client_bytes(),
        "{}: the runtime sent other bytes than were recorded\nsent:     {}\nrecorded: {}",
        scenario.name,
        String::from_utf8_lossy(&sent).escape_debug(),
        String::from_utf8_lossy(&transcript.client_bytes()).escape_debug(),
    );
    let expected: Vec<String> = scenario.expect.iter().map(|s| s.to_string()).collect();
    assert_eq!(log, expected, "{}: results differ", scenario.name);
}

fn run_step(session: &mut dyn SessionUnderTest, step: &Step, log: &mut Vec<String>) {
    match step {
        Step::Query(sql) => log_items(session.query(sql), log),
        Step::Single(sql) => log_items(session.query_single(sql), log),
        Step::CopyIn(sql, data) => match session.copy_in(sql, data) {
            Ok(rows) => log.push(format!("copy in {rows}")),
            Err(e) => log.push(format!("error {e}")),
        },
        Step::CopyOut(sql) => match session.copy_out(sql) {
            Ok((rows, data)) => log.push(format!("copy out {rows} rows {} bytes", data.len())),
            Err(e) => log.push(format!("error {e}")),
        },
    }
}

fn log_items(items: Vec<Result<QueryItem, StepError>>, log: &mut Vec<String>) {
    for item in items {
        let item = match item {
            Ok(item) => item,
            Err(e) => {
                log.push(format!("error {e}"));
                continue;
            }
        };
        log.push(match item {
            QueryItem::Columns(d) => format!(
                "columns {}",
                d.columns
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            QueryItem::Row(r) => format!(
                "row {}",
                r.values()
                    .map(|v| v.map_or("NULL".into(), |v| String::from_utf8_lossy(v).into_owned()))
                    .collect::<Vec<_>>()
                    .join("|")
            ),
            QueryItem::Complete(tag) => format!("tag {}", tag.as_str()),
            QueryItem::CopyData(d) => format!("copy data {} bytes", d.len()),
            QueryItem::EmptyQuery => "empty".into(),
            QueryItem::Notice(n) => format!("notice {}", n.message),
        });
    }
}
