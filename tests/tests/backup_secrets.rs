//! The password: taken from a percent-encoded URL, given to pg_dump
//! decoded, through its environment or a private password file, never
//! through its arguments, and never shown.

#![allow(clippy::unwrap_used)]

#[path = "backup_support/mod.rs"]
mod support;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use sequelae_core::backup::{
    BackupError, BackupFormat, BackupMethod, PasswordChannel, PgDumpProblem,
};
use sequelae_std::backup::BackupRequest;
use sequelae_tests::runtime::Backups;
use sequelae_tests::{AuthMethod, Cluster, role};
use support::*;

/// A database whose tables belong to the SCRAM role, so that it can dump
/// them over TCP with its password.
fn scram_database() -> String {
    let cluster = Cluster::shared();
    let db = cluster.create_database("backup_scram");
    cluster
        .psql(
            &db,
            "SET ROLE sq_scram;\n\
             CREATE TABLE notes (id serial PRIMARY KEY, body text);\n\
             INSERT INTO notes (body) SELECT 'note ' || g FROM generate_series(1, 100) g;\n",
        )
        .unwrap();
    db
}

fn scram_request(db: &str, dir: &std::path::Path, wrapper: &std::path::Path) -> BackupRequest {
    let cluster = Cluster::shared();
    let mut request = request(db, dir, |o| {
        o.pg_dump_path = Some(wrapper.display().to_string());
        o.format = BackupFormat::Custom;
        o.output = Some("scram.dump".into());
    });
    request.settings = settings(&cluster.url(&role(AuthMethod::ScramSha256), db));
    request
}

/// Every form of the password that must not appear.
fn forms(password: &str) -> Vec<String> {
    vec![
        password.to_string(),
        utf8_percent_encode(password, NON_ALPHANUMERIC).to_string(),
        // The distinctive middle, in case it was split or re-quoted.
        "ram:w/rd".to_string(),
    ]
}

fn assert_absent(what: &str, text: &str, password: &str) {
    for form in forms(password) {
        assert!(!text.contains(&form), "{what} contains {form:?}:\n{text}");
    }
}

#[rstest::rstest]
fn scram_over_tcp_with_the_password_in_the_environment_only(
    #[values(Backups::Std, Backups::Smol)] runtime: Backups,
) {
    let db = scram_database();
    let password = role(AuthMethod::ScramSha256).password;
    let dir = tempfile::tempdir().unwrap();
    let calls = tempfile::tempdir().unwrap();
    let wrapper = recording_pg_dump(calls.path(), "");
    let (report, path) = runtime.ok(&scram_request(&db, dir.path(), &wrapper));

    let argv = std::fs::read_to_string(calls.path().join("calls")).unwrap();
    assert!(argv.contains("--format=c"), "{argv}");
    assert_absent("pg_dump's arguments", &argv, password);
    let env = std::fs::read_to_string(calls.path().join("calls.env")).unwrap();
    assert!(
        env.lines().any(|l| l == format!("PGPASSWORD={password}")),
        "PGPASSWORD must hold the decoded password"
    );
    assert!(env.lines().any(|l| l == "PGHOST=127.0.0.1"));
    assert!(env.lines().any(|l| l == "PGUSER=sq_scram"));
    assert!(!calls.path().join("calls.passfile-mode").exists());
    assert_absent("the report", &format!("{report:?}"), password);
    assert_absent("the JSON", &report.to_json().to_string(), password);

    let restored = restore(BackupFormat::Custom, &path, false);
    assert_eq!(data_of(&db), data_of(&restored));
}

#[rstest::rstest]
fn scram_with_a_private_password_file_removed_afterwards(
    #[values(Backups::Std, Backups::Smol)] runtime: Backups,
) {
    let db = scram_database();
    let password = role(AuthMethod::ScramSha256).password;
    let dir = tempfile::tempdir().unwrap();
    let calls = tempfile::tempdir().unwrap();
    let wrapper = recording_pg_dump(calls.path(), "");
    let mut request = scram_request(&db, dir.path(), &wrapper);
    request.options.password_channel = PasswordChannel::Passfile;
    let tmp = tempfile::tempdir().unwrap();
    request.env = request
        .env
        .with_var("TMPDIR", tmp.path().display().to_string());
    runtime.ok(&request);

    let argv = std::fs::read_to_string(calls.path().join("calls")).unwrap();
    assert_absent("pg_dump's arguments", &argv, password);
    let env = std::fs::read_to_string(calls.path().join("calls.env")).unwrap();
    assert_absent("pg_dump's environment", &env, password);
    let passfile = env
        .lines()
        .find_map(|l| l.strip_prefix("PGPASSFILE="))
        .unwrap()
        .to_string();
    assert!(
        passfile.starts_with(&tmp.path().display().to_string()),
        "{passfile}"
    );
    let mode = std::fs::read_to_string(calls.path().join("calls.passfile-mode")).unwrap();
    assert_eq!(mode.trim(), "600");
    assert!(
        !std::path::Path::new(&passfile).exists(),
        "{passfile} was left behind"
    );
    assert!(entries(tmp.path()).is_empty());
}

#[rstest::rstest]
fn what_pg_dump_prints_is_shown_with_the_password_redacted(
    #[values(Backups::Std, Backups::Smol)] runtime: Backups,
) {
    let db = scram_database();
    let password = role(AuthMethod::ScramSha256).password;
    let dir = tempfile::tempdir().unwrap();
    let calls = tempfile::tempdir().unwrap();
    let real = real_pg_dump();
    let leaky = script(
        calls.path(),
        "pg_dump",
        &format!(
            "if [ \"$1\" = --version ]; then exec '{real}' --version; fi\n\
             echo \"pg_dump: error: could not log in with $PGPASSWORD\" >&2\n\
             echo \"and a second line: $PGPASSWORD\" >&2\n\
             exit 1"
        ),
    );
    for method in [BackupMethod::Auto, BackupMethod::PgDump] {
        let mut request = scram_request(&db, dir.path(), &leaky);
        request.options.method = method;
        let (report, _) = runtime.run(&request);
        // Auto mode falls back to the native method: pg_dump's words are
        // then its reason.
        let text = match method {
            BackupMethod::Auto => {
                assert_eq!(report.to_json()["method"], "native");
                if report.succeeded() {
                    std::fs::remove_file(report.output_path.clone().unwrap()).unwrap();
                }
                report.fallback_reasons.join("\n")
            }
            _ => report.error.clone().unwrap().to_string(),
        };
        assert!(
            text.contains("pg_dump: error: could not log in with ********"),
            "{text}"
        );
        assert!(text.contains("and a second line: ********"), "{text}");
        assert_absent("the error", &text, password);
        assert_absent("the JSON", &report.to_json().to_string(), password);
        assert_absent("the report", &format!("{report:?}"), password);
        if method == BackupMethod::PgDump {
            assert!(matches!(
                report.error,
                Some(BackupError::PgDump(PgDumpProblem::Failed { .. }))
            ));
        }
        assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    }
}
