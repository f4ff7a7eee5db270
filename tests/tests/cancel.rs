//! Cancelling a running query from another thread.

#![allow(clippy::unwrap_used)]

use std::thread;
use std::time::{Duration, Instant};

use sequelae_core::config::{ConnectSettings, Environment};
use sequelae_std::Client;
use sequelae_tests::{AuthMethod, Cluster, role};

fn settings(conn: &str) -> ConnectSettings {
    ConnectSettings::resolve(Some(conn), &Environment::new().with_os_user("nobody")).unwrap()
}

/// Waits, by asking the server, until `pid` is running `pg_sleep`.
fn wait_until_sleeping(observer: &mut Client, pid: i32) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = observer
            .simple_query(&format!(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = {pid} AND state = 'active' AND query LIKE '%pg_sleep%'"
            ))
            .unwrap();
        if r[0].rows[0].get_str(0) == Some("1") {
            return;
        }
        assert!(Instant::now() < deadline, "query never started");
    }
}

fn cancel_within_a_second(conn: &str) {
    let cluster = Cluster::shared();
    let mut sleeper = Client::connect(&settings(conn)).unwrap();
    let pid = sleeper.backend_pid().unwrap();
    let handle = sleeper.cancel_handle().unwrap();
    let mut observer = Client::connect(&settings(&cluster.superuser_conninfo("postgres"))).unwrap();

    let worker = thread::spawn(move || {
        let result = sleeper.simple_query("SELECT pg_sleep(30)");
        (result.map(|_| ()), Instant::now(), sleeper)
    });
    wait_until_sleeping(&mut observer, pid);
    let cancelled_at = Instant::now();
    handle.cancel().unwrap();
    let (result, finished_at, mut sleeper) = worker.join().unwrap();
    let err = result.unwrap_err();
    assert_eq!(err.db_error().unwrap().code, "57014", "{err}");
    let took = finished_at - cancelled_at;
    println!("cancel took {took:?}");
    assert!(took < Duration::from_secs(1), "cancel took {took:?}");
    // The session survives a cancel.
    assert_eq!(sleeper.simple_query("SELECT 1").unwrap().len(), 1);
}

#[test]
fn cancel_over_tcp() {
    let cluster = Cluster::shared();
    cancel_within_a_second(&cluster.url(&role(AuthMethod::ScramSha256), "postgres"));
}

#[test]
fn cancel_over_unix_socket() {
    cancel_within_a_second(&Cluster::shared().superuser_conninfo("postgres"));
}
