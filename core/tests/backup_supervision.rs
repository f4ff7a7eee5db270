//! pg_dump supervision as core decides it: when to signal, when to kill,
//! how long to read standard error after the exit. The instants are made
//! up here; the core never reads the clock.

use std::time::{Duration, Instant};

use sequelae_core::backup::{ChildWatch, Supervision, WatchAction};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn a_cancelled_run_is_terminated_then_killed_after_the_grace() {
    let start = Instant::now();
    let mut watch = ChildWatch::new(Supervision::PG_DUMP);
    assert_eq!(watch.next(start, false), WatchAction::Wait);
    assert_eq!(watch.next(start, true), WatchAction::Terminate);
    assert_eq!(watch.next(start + secs(1), true), WatchAction::Wait);
    assert_eq!(watch.next(start + secs(4), true), WatchAction::Kill);
    assert_eq!(watch.next(start + secs(5), true), WatchAction::Kill);
}

#[test]
fn after_the_exit_standard_error_is_read_for_the_drain_time_only() {
    let start = Instant::now();
    let mut watch = ChildWatch::new(Supervision::PG_DUMP);
    assert!(!watch.has_exited());
    watch.exited(start);
    watch.exited(start + secs(1));
    assert!(watch.has_exited());
    // A gone process is never signalled, cancelled or not.
    assert_eq!(watch.next(start + secs(1), true), WatchAction::Wait);
    assert_eq!(watch.next(start + secs(2), false), WatchAction::Wait);
    assert_eq!(watch.next(start + secs(3), false), WatchAction::Stop);
}
