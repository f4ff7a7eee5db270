//! COPY in both directions against a real server.

use sequelae_core::client_error::ClientError as Error;

use super::{scalar, superuser};
use crate::Cluster;
use crate::runtime::{Runtime, TestClient};

/// The COPY tests for one runtime.
#[macro_export]
macro_rules! copy_tests {
    ($runtime:ty) => {
        $crate::__shared_tests!(
            $runtime,
            copy,
            [
                copy_in_then_copy_out_round_trips,
                copy_in_bad_data_is_a_database_error_and_commits_nothing,
                copy_in_aborts_when_the_input_fails,
                copy_out_refuses_a_statement_that_is_not_copy,
                copy_out_stops_the_server_when_the_writer_fails,
                copy_in_survives_a_server_that_talks_while_we_send,
                copy_in_stops_sending_after_an_early_server_error,
            ]
        );
    };
}

/// A database of its own for this test and runtime.
fn fresh<R: Runtime>(name: &str) -> R::Client {
    let db = Cluster::shared().create_database(&format!("{name}_{}", R::NAME.replace('-', "_")));
    superuser::<R>(&db)
}

pub fn copy_in_then_copy_out_round_trips<R: Runtime>() {
    let mut c = fresh::<R>("copy_rt");
    c.simple_query("CREATE TABLE t(id int, name text, note text)")
        .unwrap();
    let mut data = Vec::new();
    for i in 0..20_000 {
        data.extend_from_slice(
            format!(
                "{i}\tname {i} ✓\t{}\n",
                if i % 7 == 0 { "\\N" } else { "tab\\there" }
            )
            .as_bytes(),
        );
    }
    let outcome = c.copy_in("COPY t FROM STDIN", &mut &data[..]).unwrap();
    assert_eq!(outcome.rows, 20_000);
    assert_eq!(outcome.bytes, data.len() as u64);

    let mut out = Vec::new();
    let outcome = c.copy_out("COPY t TO STDOUT", &mut out).unwrap();
    assert_eq!(outcome.rows, 20_000);
    assert_eq!(out, data);
}

pub fn copy_in_bad_data_is_a_database_error_and_commits_nothing<R: Runtime>() {
    let mut c = fresh::<R>("copy_bad");
    c.simple_query("CREATE TABLE t(id int)").unwrap();
    let err = c
        .copy_in("COPY t FROM STDIN", &mut &b"1\n2\nnot a number\n4\n"[..])
        .unwrap_err();
    let db_err = err.db_error().unwrap();
    assert_eq!(db_err.code, "22P02");
    assert!(
        db_err.where_.as_deref().unwrap_or("").contains("line 3"),
        "{db_err:?}"
    );
    assert_eq!(
        scalar(&mut c, "SELECT count(*) FROM t").as_deref(),
        Some("0")
    );
}

pub fn copy_in_aborts_when_the_input_fails<R: Runtime>() {
    struct Failing(usize);
    impl std::io::Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("disk on fire"));
            }
            self.0 -= 1;
            buf[..2].copy_from_slice(b"1\n");
            Ok(2)
        }
    }
    let mut c = fresh::<R>("copy_fail");
    c.simple_query("CREATE TABLE t(id int)").unwrap();
    let err = c.copy_in("COPY t FROM STDIN", &mut Failing(3)).unwrap_err();
    assert!(matches!(err, Error::Local(_)), "{err:?}");
    assert!(err.to_string().contains("disk on fire"));
    assert_eq!(
        scalar(&mut c, "SELECT count(*) FROM t").as_deref(),
        Some("0")
    );
}

pub fn copy_out_refuses_a_statement_that_is_not_copy<R: Runtime>() {
    let mut c = superuser::<R>("postgres");
    let err = c.copy_out("SELECT 1", &mut std::io::sink()).unwrap_err();
    assert!(matches!(err, Error::Usage(_)), "{err:?}");
    assert_eq!(c.simple_query("SELECT 1").unwrap().len(), 1);
}

pub fn copy_out_stops_the_server_when_the_writer_fails<R: Runtime>() {
    struct Full(usize);
    impl std::io::Write for Full {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.0 < buf.len() {
                return Err(std::io::Error::other("no space left"));
            }
            self.0 -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = superuser::<R>("postgres");
    let started = std::time::Instant::now();
    let err = c
        .copy_out(
            "COPY (SELECT g, repeat('x', 100) FROM generate_series(1, 50000000) g) TO STDOUT",
            &mut Full(1 << 20),
        )
        .unwrap_err();
    assert!(err.to_string().contains("no space left"), "{err}");
    // 50 M rows would take minutes: the cancel must have stopped it.
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert_eq!(c.simple_query("SELECT 1").unwrap().len(), 1);
}

/// A trigger that raises a notice per row makes the server talk while we
/// send: unless the client reads while sending, both sides end up blocked
/// on full sockets.
pub fn copy_in_survives_a_server_that_talks_while_we_send<R: Runtime>() {
    let mut c = fresh::<R>("copy_chatty");
    c.simple_query(
        "CREATE TABLE n(a int);
         CREATE FUNCTION shout() RETURNS trigger LANGUAGE plpgsql AS
           $$BEGIN RAISE NOTICE '%', repeat('z', 500); RETURN NEW; END$$;
         CREATE TRIGGER shout BEFORE INSERT ON n FOR EACH ROW EXECUTE FUNCTION shout();",
    )
    .unwrap();
    let data: Vec<u8> = (1..=100_000)
        .flat_map(|i| format!("{i}\n").into_bytes())
        .collect();
    let outcome = c.copy_in("COPY n FROM STDIN", &mut &data[..]).unwrap();
    assert_eq!(outcome.rows, 100_000);
    assert_eq!(
        scalar(&mut c, "SELECT count(*) FROM n").as_deref(),
        Some("100000")
    );
}

/// An error the server finds early stops the sending instead of pushing
/// the rest of a large input into a COPY that has already failed.
pub fn copy_in_stops_sending_after_an_early_server_error<R: Runtime>() {
    struct Endless(u64);
    impl std::io::Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            // A bad row first, then valid rows for ever.
            let line: &[u8] = if self.0 == 0 { b"oops\n" } else { b"1\n" };
            self.0 += 1;
            let n = line.len().min(buf.len());
            buf[..n].copy_from_slice(&line[..n]);
            Ok(n)
        }
    }
    let mut c = fresh::<R>("copy_early");
    c.simple_query("CREATE TABLE t(a int)").unwrap();
    let err = c.copy_in("COPY t FROM STDIN", &mut Endless(0)).unwrap_err();
    assert_eq!(err.db_error().unwrap().code, "22P02");
    assert_eq!(c.simple_query("SELECT 1").unwrap().len(), 1);
}
