//! The recorded sessions: the recorder plays them against a live server,
//! the conformance suite replays them through each runtime.

use sequelae_core::wire::TlsNegotiation;

use crate::AuthMethod;

/// What the client does in a recorded session.
#[derive(Debug)]
pub enum Step {
    /// A simple query (one or several statements).
    Query(&'static str),
    /// One statement through the extended protocol.
    Single(&'static str),
    /// COPY FROM STDIN fed with the data.
    CopyIn(&'static str, &'static [u8]),
    /// COPY TO STDOUT.
    CopyOut(&'static str),
}

/// A recorded session: how it logs in, what it runs, and what every
/// runtime must report for it.
#[derive(Debug)]
pub struct Scenario {
    /// File name of the transcript (without `.txt`).
    pub name: &'static str,
    /// One line for the transcript's header.
    pub about: &'static str,
    /// The login role's authentication method.
    pub method: AuthMethod,
    /// A password other than the role's own (to record a refusal).
    pub password: Option<&'static str>,
    /// A database other than the test database.
    pub database: Option<&'static str>,
    /// Whether the client asks for TLS.
    pub tls: TlsNegotiation,
    /// What the client runs once connected.
    pub steps: &'static [Step],
    /// What the runtime reports, one line per item (see `run`).
    pub expect: &'static [&'static str],
}

/// Every recorded session, in the order they are recorded.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "trust_multi_statement",
        about: "trust login; several statements, NULL and Unicode values, DDL and DML tags",
        method: AuthMethod::Trust,
        password: None,
        database: None,
        tls: TlsNegotiation::Disabled,
        expect: &[
            "columns one,nothing,unicode",
            "row 1|NULL|héllo wörld ✓",
            "tag SELECT 1",
            "columns two",
            "row 2",
            "tag SELECT 1",
            "tag CREATE TABLE",
            "tag INSERT 0 2",
        ],
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
        expect: &["columns current_user", "row sq_password", "tag SELECT 1"],
        steps: &[Step::Query("SELECT current_user")],
    },
    Scenario {
        name: "md5_login",
        about: "md5 authentication",
        method: AuthMethod::Md5,
        password: None,
        database: None,
        tls: TlsNegotiation::Disabled,
        expect: &["columns current_user", "row sq_md5", "tag SELECT 1"],
        steps: &[Step::Query("SELECT current_user")],
    },
    Scenario {
        name: "md5_wrong_password",
        about: "md5 authentication with a wrong password: FATAL 28P01",
        method: AuthMethod::Md5,
        password: Some("not the password"),
        database: None,
        tls: TlsNegotiation::Disabled,
        expect: &[
            "connect failed: connection to server at \"replay\", port 5432 failed: FATAL:  password authentication failed for user \"sq_md5\" (user \"sq_md5\", authentication method md5)",
        ],
        steps: &[],
    },
    Scenario {
        name: "unknown_database",
        about: "trust login to a database that does not exist: FATAL 3D000",
        method: AuthMethod::Trust,
        password: None,
        database: Some("no_such_database"),
        tls: TlsNegotiation::Disabled,
        expect: &[
            "connect failed: connection to server at \"replay\", port 5432 failed: FATAL:  database \"no_such_database\" does not exist (user \"sq_trust\")",
        ],
        steps: &[],
    },
    Scenario {
        name: "ssl_refused",
        about: "SSLRequest answered N by a server without TLS, then a trust login",
        method: AuthMethod::Trust,
        password: None,
        database: None,
        tls: TlsNegotiation::Optional,
        expect: &["columns ?column?", "row 1", "tag SELECT 1"],
        steps: &[Step::Query("SELECT 1")],
    },
    Scenario {
        name: "errors",
        about: "an error with a position, then an error mid-script that skips the rest",
        method: AuthMethod::Trust,
        password: None,
        database: None,
        tls: TlsNegotiation::Disabled,
        expect: &[
            "error 42P01",
            "columns ?column?",
            "row 1",
            "tag SELECT 1",
            "error 22012",
            "tag BEGIN",
            "error 42703",
            "tag ROLLBACK",
        ],
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
        expect: &["notice hello 42", "tag DO", "empty"],
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
        expect: &["copy out 500 rows 5784 bytes"],
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
        expect: &[
            "tag CREATE TABLE",
            "copy in 3",
            "error 22P02",
            "columns count",
            "row 3",
            "tag SELECT 1",
        ],
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
        expect: &[
            "columns a,b",
            "row 1|NULL",
            "tag SELECT 1",
            "error 42601",
            "empty",
            "tag CREATE TABLE",
            "error 57014",
            "columns count",
            "row 0",
            "tag SELECT 1",
        ],
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
