//! Cancelling a running query from another thread.

use std::thread;
use std::time::{Duration, Instant};

use super::{scalar, settings, superuser};
use crate::runtime::{Runtime, TestClient};
use crate::{AuthMethod, Cluster, role};

/// The cancel tests for one runtime.
#[macro_export]
macro_rules! cancel_tests {
    ($runtime:ty) => {
        $crate::__shared_tests!($runtime, cancel, [cancel_over_tcp, cancel_over_unix_socket]);
    };
}

/// Waits, by asking the server, until `pid` is running `pg_sleep`.
pub fn wait_until_sleeping(observer: &mut impl TestClient, pid: i32) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let sql = format!(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = {pid} AND state = 'active' AND query LIKE '%pg_sleep%'"
        );
        if scalar(observer, &sql).as_deref() == Some("1") {
            return;
        }
        assert!(Instant::now() < deadline, "query never started");
    }
}

fn cancel_within_a_second<R: Runtime>(conn: &str) {
    let mut sleeper = R::connect(&settings(conn)).unwrap();
    let pid = sleeper.backend_pid().unwrap();
    let cancel = sleeper.canceller().unwrap();
    let mut observer = superuser::<R>("postgres");

    let worker = thread::spawn(move || {
        let result = sleeper.simple_query("SELECT pg_sleep(30)");
        (result.map(|_| ()), Instant::now(), sleeper)
    });
    wait_until_sleeping(&mut observer, pid);
    let cancelled_at = Instant::now();
    cancel().unwrap();
    let (result, finished_at, mut sleeper) = worker.join().unwrap();
    let err = result.unwrap_err();
    assert_eq!(err.db_error().unwrap().code, "57014", "{err}");
    let took = finished_at - cancelled_at;
    println!("{}: cancel took {took:?}", R::NAME);
    assert!(took < Duration::from_secs(1), "cancel took {took:?}");
    // The session survives a cancel.
    assert_eq!(sleeper.simple_query("SELECT 1").unwrap().len(), 1);
}

pub fn cancel_over_tcp<R: Runtime>() {
    let cluster = Cluster::shared();
    cancel_within_a_second::<R>(&cluster.url(&role(AuthMethod::ScramSha256), "postgres"));
}

pub fn cancel_over_unix_socket<R: Runtime>() {
    cancel_within_a_second::<R>(&Cluster::shared().superuser_conninfo("postgres"));
}
