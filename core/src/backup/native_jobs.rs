//! `--jobs N` for the native method: the table data read by N worker
//! sessions that join the leader's snapshot, each part spooled by its
//! worker into a private temporary file beside the output, and appended
//! to the output by the leader once it is complete.
//!
//! Why spools: the plain format is one stream, and a table must never be
//! held in memory, so a worker cannot hand its rows to the leader while
//! another table is being written. Each spool is a whole data block
//! (`COPY ... FROM stdin;`, the rows, `\.`), gzip-compressed by its worker
//! when the output is (one gzip member per spool: the output is then a
//! valid multi-member gzip, and compression runs in parallel too).
//!
//! Every decision is here, in the shape of the driver: which worker gets
//! which part, in which order (largest first, as pg_dump does), what each
//! worker runs (joining the snapshot, `LOCK TABLE ... NOWAIT`, the COPY),
//! when a spool is appended, and what is left to stop and remove after a
//! failure or a cancel. The runtime only runs the workers and the files.
//!
//! Tables larger than a share of the data are read in parts by `ctid`
//! range (a TID range scan from PostgreSQL 14 on), so that one big table
//! keeps every worker busy; the parts of a table are separate data blocks
//! in the output, which restore the same.

use std::collections::VecDeque;
use std::path::PathBuf;

use super::error::BackupError;
use super::native::{TableCopy, worker_setup};
use super::output::OutputTarget;
use super::progress::ProgressEvent;
use super::step::Step;
use crate::wire::DataRow;

/// What a worker session is told to do (see [`Step::Worker`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerTask {
    /// Open a session with the backup's settings; answer
    /// [`WorkerAnswer::Done`].
    Connect,
    /// Run `sql` (statements by the simple query protocol; the rows are
    /// not wanted); answer [`WorkerAnswer::Done`].
    Query {
        /// The statements.
        sql: String,
    },
    /// Create `path` exclusively (mode 0600), write `header`, stream the
    /// data of `sql` (a `COPY ... TO STDOUT`) into it, write `trailer`,
    /// all through one gzip member at `gzip_level` when given, and close
    /// it; answer [`WorkerAnswer::Copied`] with what the COPY gave.
    Spool {
        /// The spool file.
        path: PathBuf,
        /// Written before the rows.
        header: Vec<u8>,
        /// The COPY.
        sql: String,
        /// Written after the rows.
        trailer: Vec<u8>,
        /// A gzip level, or plain bytes.
        gzip_level: Option<u32>,
    },
}

/// How a worker's task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerAnswer {
    /// Connected, or the statements ran.
    Done,
    /// The COPY streamed `rows` rows, `bytes` bytes (before compression).
    Copied {
        /// Rows.
        rows: u64,
        /// Bytes.
        bytes: u64,
    },
    /// The task failed: the server's or the system's words. The session
    /// is not used again.
    Failed(String),
}

/// The private temporary names of the spools: beside the output, named
/// like its temporary file (`.<name>.sequelae-<pid>-<n>.tmp`), so that
/// the cleanup of killed runs removes them too.
#[derive(Debug, Clone)]
pub(super) struct Spools {
    /// The output.
    pub(super) target: OutputTarget,
    /// This process.
    pub(super) pid: u32,
    /// The first number after the temporary output's.
    pub(super) first: u32,
}

impl Spools {
    fn path(&self, n: usize) -> PathBuf {
        let n = u32::try_from(n).unwrap_or(u32::MAX - self.first);
        self.target
            .temp_path(self.pid, self.first.saturating_add(n))
    }
}

/// Parts are at least this big (bytes of heap), so that small tables are
/// never split.
const MIN_PART: u64 = 8 << 20;

/// Parts per worker a big table is aimed to be split into, so that the
/// last parts to finish are small.
const PARTS_PER_WORKER: u64 = 8;

/// At most this many parts of one table.
const MAX_PARTS: u64 = 256;

/// PostgreSQL 14 reads a `ctid` range with a TID range scan; before that
/// every part would scan the whole table.
const TID_RANGE_SCAN: u32 = 140_000;

/// Where a worker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Worker {
    New,
    Connecting,
    Connected,
    Joining,
    Ready,
    Locking(usize),
    Locked(usize),
    Copying(usize),
    /// Nothing left for it; its session stays open until the end.
    Idle,
    /// Its session failed.
    Broken,
}

impl Worker {
    fn busy(self) -> bool {
        matches!(
            self,
            Worker::Connecting | Worker::Joining | Worker::Locking(_) | Worker::Copying(_)
        )
    }
}

/// One spool: a part of a table (or the whole of it).
#[derive(Debug, Clone)]
struct Part {
    table: usize,
    sql: String,
    weight: u64,
    path: PathBuf,
    /// The worker may have created the file, and it was not appended.
    on_disk: bool,
    rows: u64,
    bytes: u64,
}

/// The data section of a native dump copied by workers: see the module
/// documentation. Pumped by the driver: [`next`](Self::next) gives a step
/// (or `None` when every part is in the output and the workers are
/// stopped), the `handle_*` calls take the answers.
#[derive(Debug)]
pub(super) struct ParallelCopy {
    tables: Vec<TableCopy>,
    /// Parts not yet started, unordered until the sizes are known.
    parts: Vec<Part>,
    queue: VecDeque<usize>,
    /// Where the spools are named from.
    spools: Spools,
    setup: String,
    gzip_level: Option<u32>,
    server_version_num: u32,
    sizes: Sizes,
    workers: Vec<Worker>,
    /// Parts spooled and not yet appended, in the order they finished.
    ready: VecDeque<usize>,
    appending: Option<usize>,
    /// Parts of each table still to be appended.
    parts_left: Vec<usize>,
    /// Tables a part of which was given out.
    begun: Vec<bool>,
    started: usize,
    finished: usize,
    rows: u64,
    bytes: u64,
    stopped: bool,
    events: Vec<ProgressEvent>,
    failed: Option<BackupError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sizes {
    Ask,
    Asked,
    Known,
}

impl ParallelCopy {
    /// The copy of `tables` by `jobs` workers on `snapshot`, spooled
    /// under the names `spools` gives.
    pub(super) fn new(
        tables: Vec<TableCopy>,
        jobs: u32,
        snapshot: &str,
        server_version_num: u32,
        gzip_level: Option<u32>,
        spools: Spools,
    ) -> ParallelCopy {
        let workers = (jobs as usize).max(1);
        let parts = tables
            .iter()
            .enumerate()
            .map(|(i, t)| Part {
                table: i,
                sql: t.sql.clone(),
                weight: 0,
                path: PathBuf::new(),
                on_disk: false,
                rows: 0,
                bytes: 0,
            })
            .collect();
        ParallelCopy {
            parts_left: vec![0; tables.len()],
            begun: vec![false; tables.len()],
            tables,
            parts,
            queue: VecDeque::new(),
            spools,
            setup: worker_setup(snapshot).join(";\n"),
            gzip_level,
            server_version_num,
            sizes: Sizes::Ask,
            workers: vec![Worker::New; workers],
            ready: VecDeque::new(),
            appending: None,
            started: 0,
            finished: 0,
            rows: 0,
            bytes: 0,
            stopped: false,
            events: Vec::new(),
            failed: None,
        }
    }

    /// The query (on the leader's session) for the tables' sizes: heap
    /// bytes, TOAST bytes and the block size.
    fn sizes_query() -> String {
        "SELECT n.nspname, c.relname, pg_catalog.pg_relation_size(c.oid), \
         COALESCE(pg_catalog.pg_relation_size(NULLIF(c.reltoastrelid, 0)), 0), \
         pg_catalog.current_setting('block_size') \
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind = 'r'"
            .to_string()
    }

    /// The next step; `None` when the data is in the output and the
    /// workers are stopped, or after a failure ([`take_error`](Self::take_error)).
    pub(super) fn next(&mut self) -> Option<Step> {
        if self.failed.is_some() {
            return None;
        }
        match self.sizes {
            Sizes::Ask => {
                self.sizes = Sizes::Asked;
                return Some(Step::Query {
                    sql: Self::sizes_query(),
                });
            }
            Sizes::Asked => {
                return Some(Step::Query {
                    sql: Self::sizes_query(),
                });
            }
            Sizes::Known => {}
        }
        // A finished spool first: it frees its disk space. One whose
        // table references tables not all in yet waits (a --data-only
        // restore checks foreign keys row by row).
        if self.appending.is_none() {
            let appendable = self.ready.iter().position(|&p| {
                let table = &self.tables[self.parts[p].table];
                table.after.iter().all(|&t| self.parts_left[t] == 0)
            });
            if let Some(part) = appendable.and_then(|i| self.ready.remove(i)) {
                self.appending = Some(part);
                return Some(Step::AppendSpool {
                    path: self.parts[part].path.clone(),
                });
            }
        }
        for worker in 0..self.workers.len() {
            if let Some(task) = self.task_for(worker) {
                return Some(Step::Worker { worker, task });
            }
        }
        if self.workers.iter().any(|w| w.busy()) {
            return Some(Step::AwaitWorker);
        }
        if !self.stopped {
            self.stopped = true;
            return Some(Step::StopWorkers);
        }
        None
    }

    /// What `worker` does next, if it can do something now.
    fn task_for(&mut self, worker: usize) -> Option<WorkerTask> {
        let (state, task) = match self.workers[worker] {
            // A worker is started only for a part no other one will take.
            Worker::New if self.queue.len() > self.waiting() => {
                (Worker::Connecting, WorkerTask::Connect)
            }
            Worker::New => {
                self.workers[worker] = Worker::Idle;
                return None;
            }
            Worker::Connected => (
                Worker::Joining,
                WorkerTask::Query {
                    sql: self.setup.clone(),
                },
            ),
            Worker::Ready => match self.queue.pop_front() {
                Some(part) => {
                    let table = self.parts[part].table;
                    if !self.begun[table] {
                        self.begun[table] = true;
                        self.started += 1;
                        self.events.push(ProgressEvent::TableData {
                            table: self.tables[table].table.to_string(),
                            started: self.started,
                            total: self.tables.len(),
                        });
                    }
                    let sql = format!(
                        "LOCK TABLE {} IN ACCESS SHARE MODE NOWAIT",
                        self.tables[table].relation
                    );
                    (Worker::Locking(part), WorkerTask::Query { sql })
                }
                None => {
                    self.workers[worker] = Worker::Idle;
                    return None;
                }
            },
            Worker::Locked(part) => {
                self.parts[part].on_disk = true;
                let table = &self.tables[self.parts[part].table];
                (
                    Worker::Copying(part),
                    WorkerTask::Spool {
                        path: self.parts[part].path.clone(),
                        header: table.header.clone().into_bytes(),
                        sql: self.parts[part].sql.clone(),
                        trailer: b"\\.\n".to_vec(),
                        gzip_level: self.gzip_level,
                    },
                )
            }
            _ => return None,
        };
        self.workers[worker] = state;
        Some(task)
    }

    /// Workers on their way to take a part from the queue.
    fn waiting(&self) -> usize {
        let waiting = |w: &&Worker| {
            matches!(
                w,
                Worker::Connecting | Worker::Connected | Worker::Joining | Worker::Ready
            )
        };
        self.workers.iter().filter(waiting).count()
    }

    /// Answers the sizes query: orders the parts, largest first, splitting
    /// the big tables.
    pub(super) fn handle_rows(&mut self, rows: &[DataRow]) {
        if self.sizes != Sizes::Asked {
            return self.fail_with("table sizes arrived unasked".to_string());
        }
        self.sizes = Sizes::Known;
        fn text(row: &DataRow, i: usize) -> Option<&str> {
            row.get(i).and_then(|v| std::str::from_utf8(v).ok())
        }
        let number = |row: &DataRow, i: usize| text(row, i).and_then(|v| v.parse::<u64>().ok());
        let mut heap = vec![0u64; self.tables.len()];
        let mut toast = vec![0u64; self.tables.len()];
        let mut block = 8192u64;
        for row in rows {
            let (Some(schema), Some(name)) = (text(row, 0), text(row, 1)) else {
                continue;
            };
            block = number(row, 4).filter(|b| *b > 0).unwrap_or(block);
            for (i, t) in self.tables.iter().enumerate() {
                if t.table.schema == schema && t.table.name == name {
                    heap[i] = number(row, 2).unwrap_or(0);
                    toast[i] = number(row, 3).unwrap_or(0);
                }
            }
        }
        let total: u64 = heap.iter().sum();
        let part_size = (total / (self.workers.len() as u64 * PARTS_PER_WORKER)).max(MIN_PART);
        let whole = std::mem::take(&mut self.parts);
        for part in whole {
            let t = part.table;
            let pieces = match &self.tables[t].columns {
                Some(columns) if self.server_version_num >= TID_RANGE_SCAN => {
                    let n = heap[t].div_ceil(part_size).clamp(1, MAX_PARTS);
                    if n > 1 {
                        let pages = heap[t].div_ceil(block).div_ceil(n);
                        ranges(&self.tables[t].relation, columns, pages, n)
                    } else {
                        vec![part.sql.clone()]
                    }
                }
                _ => vec![part.sql.clone()],
            };
            let n = pieces.len() as u64;
            self.parts_left[t] = pieces.len();
            for sql in pieces {
                self.parts.push(Part {
                    sql,
                    weight: (heap[t] + toast[t]) / n,
                    ..part.clone()
                });
            }
        }
        for (n, part) in self.parts.iter_mut().enumerate() {
            part.path = self.spools.path(n);
        }
        let mut order: Vec<usize> = (0..self.parts.len()).collect();
        // Largest first; the dump's order between equals.
        order.sort_by_key(|&p| std::cmp::Reverse(self.parts[p].weight));
        self.queue = order.into();
    }

    /// Answers [`Step::AwaitWorker`].
    pub(super) fn handle_worker(&mut self, worker: usize, answer: WorkerAnswer) {
        let Some(&state) = self.workers.get(worker) else {
            return self.fail_with(format!(
                "an answer from worker {worker}, which does not exist"
            ));
        };
        let next = match (state, answer) {
            (Worker::Connecting, WorkerAnswer::Done) => Worker::Connected,
            (Worker::Joining, WorkerAnswer::Done) => Worker::Ready,
            (Worker::Locking(part), WorkerAnswer::Done) => Worker::Locked(part),
            (Worker::Copying(part), WorkerAnswer::Copied { rows, bytes }) => {
                self.parts[part].rows = rows;
                self.parts[part].bytes = bytes;
                self.ready.push_back(part);
                Worker::Ready
            }
            (state, WorkerAnswer::Failed(message)) => {
                self.workers[worker] = Worker::Broken;
                let message = self.failure(state, &message);
                return self.fail_with(message);
            }
            (state, answer) => {
                return self.fail_with(format!(
                    "worker {worker} answered {answer:?} while {state:?}"
                ));
            }
        };
        self.workers[worker] = next;
    }

    /// What a worker's failure means to the user.
    fn failure(&self, state: Worker, message: &str) -> String {
        let table = |part: usize| self.tables[self.parts[part].table].table.to_string();
        match state {
            Worker::Connecting => {
                format!("a parallel worker (--jobs) could not connect: {message}")
            }
            Worker::Joining => format!(
                "a parallel worker (--jobs) could not join the backup's snapshot: {message}"
            ),
            Worker::Locking(part) => format!(
                "a parallel worker (--jobs) could not lock table {} without waiting: another session asked for a conflicting lock (ALTER TABLE, TRUNCATE, DROP, VACUUM FULL...) while the backup ran ({message}); run the backup again once that session is done, or without --jobs",
                table(part)
            ),
            Worker::Copying(part) => format!(
                "a parallel worker (--jobs) failed copying table {}: {message}",
                table(part)
            ),
            _ => format!("a parallel worker (--jobs) failed: {message}"),
        }
    }

    /// Answers [`Step::AppendSpool`] (the spool is gone either way).
    pub(super) fn handle_appended(&mut self, appended: bool) {
        let Some(part) = self.appending.take() else {
            return;
        };
        self.parts[part].on_disk = false;
        if !appended {
            return;
        }
        let Part {
            table, rows, bytes, ..
        } = self.parts[part];
        self.rows += rows;
        self.bytes += bytes;
        self.parts_left[table] -= 1;
        if self.parts_left[table] == 0 {
            self.finished += 1;
            self.events.push(ProgressEvent::TableCopied {
                table: self.tables[table].table.to_string(),
                finished: self.finished,
                total: self.tables.len(),
                rows: self.rows,
                bytes: self.bytes,
            });
        }
    }

    /// The leader's query failed.
    pub(super) fn handle_query_error(&mut self, message: &str) {
        self.fail_with(format!("reading the table sizes failed: {message}"));
    }

    fn fail_with(&mut self, message: String) {
        self.failed.get_or_insert(BackupError::NativeDump {
            message,
            streamed: false,
        });
    }

    /// The error that ended the copy, once.
    pub(super) fn take_error(&mut self) -> Option<BackupError> {
        self.failed.take()
    }

    /// Progress since the last call.
    pub(super) fn take_progress(&mut self) -> Vec<ProgressEvent> {
        std::mem::take(&mut self.events)
    }

    /// Tables, rows and bytes copied.
    pub(super) fn totals(&self) -> (usize, u64, u64) {
        (self.finished, self.rows, self.bytes)
    }

    /// What is left after a failure or a cancel: whether workers must be
    /// stopped (before anything is removed), and the spools that may be
    /// on disk.
    pub(super) fn leftovers(&self) -> (bool, Vec<PathBuf>) {
        let started = self.workers.iter().any(|w| *w != Worker::New);
        let spools = self
            .parts
            .iter()
            .filter(|p| p.on_disk)
            .map(|p| p.path.clone())
            .collect();
        (started && !self.stopped, spools)
    }
}

/// `n` COPYs that read `relation` in consecutive `ctid` ranges of `pages`
/// pages; the last one is open-ended.
fn ranges(relation: &str, columns: &str, pages: u64, n: u64) -> Vec<String> {
    (0..n)
        .map(|i| {
            let from = i * pages;
            let mut filter = Vec::new();
            if i > 0 {
                filter.push(format!("ctid >= '({from},0)'::pg_catalog.tid"));
            }
            if i + 1 < n {
                filter.push(format!("ctid < '({},0)'::pg_catalog.tid", from + pages));
            }
            format!(
                "COPY (SELECT {columns} FROM ONLY {relation} WHERE {}) TO STDOUT",
                filter.join(" AND ")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::{BackupOptions, QualifiedName};
    use std::path::Path;
    use std::time::{Duration, SystemTime};

    fn table(name: &str) -> TableCopy {
        TableCopy {
            table: QualifiedName {
                schema: "public".into(),
                name: name.into(),
            },
            header: format!("\nCOPY public.{name} (a, b) FROM stdin;\n"),
            sql: format!("COPY public.{name} (a, b) TO STDOUT"),
            relation: format!("public.{name}"),
            columns: Some("a, b".into()),
            after: Vec::new(),
        }
    }

    fn copy(names: &[&str], jobs: u32, server: u32) -> ParallelCopy {
        let options = BackupOptions {
            output: Some("db.sql".into()),
            ..BackupOptions::default()
        };
        let target = OutputTarget::choose(
            &options,
            Path::new("/work"),
            SystemTime::UNIX_EPOCH + Duration::from_secs(1),
        );
        let spools = Spools {
            target,
            pid: 7,
            first: 101,
        };
        let tables = names.iter().map(|n| table(n)).collect();
        ParallelCopy::new(tables, jobs, "00000003-1", server, None, spools)
    }

    fn size(name: &str, heap: u64) -> DataRow {
        let heap = heap.to_string();
        DataRow::from_values([
            Some(&b"public"[..]),
            Some(name.as_bytes()),
            Some(heap.as_bytes()),
            Some(&b"0"[..]),
            Some(&b"8192"[..]),
        ])
    }

    /// Pumps the copy, every worker succeeding; the steps, described.
    fn pump(copy: &mut ParallelCopy) -> Vec<String> {
        let mut given: VecDeque<(usize, WorkerTask)> = VecDeque::new();
        let mut log = Vec::new();
        while let Some(step) = copy.next() {
            match step {
                Step::Query { .. } => panic!("sizes asked twice"),
                Step::Worker { worker, task } => {
                    log.push(match &task {
                        WorkerTask::Connect => format!("{worker} connect"),
                        WorkerTask::Query { sql } => format!("{worker} {}", &sql[..20]),
                        WorkerTask::Spool { sql, path, .. } => {
                            format!("{worker} spool {} {sql}", path.display())
                        }
                    });
                    given.push_back((worker, task));
                }
                Step::AwaitWorker => {
                    let (worker, task) = given.pop_front().expect("a worker is busy");
                    let answer = match task {
                        WorkerTask::Spool { .. } => WorkerAnswer::Copied { rows: 2, bytes: 10 },
                        _ => WorkerAnswer::Done,
                    };
                    copy.handle_worker(worker, answer);
                }
                Step::AppendSpool { path } => {
                    log.push(format!("append {}", path.display()));
                    copy.handle_appended(true);
                }
                Step::StopWorkers => log.push("stop".into()),
                other => panic!("unexpected {other:?}"),
            }
        }
        log
    }

    #[test]
    fn largest_tables_go_first_and_big_ones_are_read_in_ranges() {
        let mut copy = copy(&["small", "big", "mid"], 2, 150_000);
        let Some(Step::Query { sql }) = copy.next() else {
            panic!("the sizes come first");
        };
        assert!(sql.contains("pg_relation_size"), "{sql}");
        // 64 MiB of heap for 2 workers: 8 MiB parts, the big table in 6.
        copy.handle_rows(&[
            size("small", 8192),
            size("big", 48 << 20),
            size("mid", 16 << 20),
            size("other", 1 << 30),
        ]);
        let log = pump(&mut copy);
        let spools: Vec<&String> = log.iter().filter(|l| l.contains(" spool ")).collect();
        assert_eq!(spools.len(), 6 + 2 + 1, "{log:#?}");
        assert!(spools[0].contains("FROM ONLY public.big WHERE ctid < '(1024,0)'"));
        assert!(spools[0].contains("COPY (SELECT a, b FROM ONLY public.big"));
        let last_big = spools
            .iter()
            .rfind(|s| s.contains("public.big"))
            .expect("parts of the big table");
        assert!(last_big.ends_with("WHERE ctid >= '(5120,0)'::pg_catalog.tid) TO STDOUT"));
        assert!(
            spools[8].ends_with("COPY public.small (a, b) TO STDOUT"),
            "{spools:#?}"
        );
        assert!(
            spools[0].contains("/work/.db.sql.sequelae-7-1"),
            "{spools:#?}"
        );
        assert_eq!(log.iter().filter(|l| l.starts_with("append")).count(), 9);
        assert_eq!(log.last().map(String::as_str), Some("stop"));
        assert_eq!(copy.totals(), (3, 18, 90));
        let events = copy.take_progress();
        let started = events
            .iter()
            .filter(|e| matches!(e, ProgressEvent::TableData { .. }))
            .count();
        assert_eq!(started, 3);
        assert!(matches!(
            events.last(),
            Some(ProgressEvent::TableCopied {
                finished: 3,
                total: 3,
                rows: 18,
                ..
            })
        ));
    }

    /// In a --data-only dump a referencing table's parts wait in their
    /// spools until every part of the tables it references is appended,
    /// though they finish first (largest first).
    #[test]
    fn a_part_waits_for_the_tables_its_foreign_keys_reference() {
        let mut copy = copy(&["parent", "child"], 1, 150_000);
        copy.tables[1].after = vec![0];
        copy.next();
        copy.handle_rows(&[size("parent", 8192), size("child", 32 << 20)]);
        let log = pump(&mut copy);
        let spooled: Vec<&String> = log.iter().filter(|l| l.contains(" spool ")).collect();
        assert!(spooled[0].contains("public.child"), "{log:#?}");
        let appended: Vec<&String> = log.iter().filter(|l| l.starts_with("append")).collect();
        let parent = spooled
            .iter()
            .find(|l| l.contains("public.parent"))
            .and_then(|l| l.split(' ').nth(2))
            .expect("the parent was spooled");
        assert_eq!(appended.len(), spooled.len(), "{log:#?}");
        assert!(appended[0].ends_with(parent), "{log:#?}");
        assert_eq!(copy.totals().0, 2);
    }

    #[test]
    fn before_postgresql_14_tables_are_read_whole() {
        let mut copy = copy(&["big"], 2, 130_010);
        copy.next();
        copy.handle_rows(&[size("big", 1 << 30)]);
        let log = pump(&mut copy);
        let spools: Vec<&String> = log.iter().filter(|l| l.contains(" spool ")).collect();
        assert_eq!(spools.len(), 1);
        assert!(spools[0].ends_with("COPY public.big (a, b) TO STDOUT"));
        // The second worker had nothing to do and never connected.
        assert!(!log.iter().any(|l| l == "1 connect"), "{log:#?}");
    }

    #[test]
    fn every_worker_joins_the_snapshot_and_locks_without_waiting() {
        let mut copy = copy(&["a", "b"], 2, 150_000);
        copy.next();
        copy.handle_rows(&[]);
        let mut sql = Vec::new();
        let mut busy = VecDeque::new();
        while let Some(step) = copy.next() {
            match step {
                Step::Worker { worker, task } => {
                    if let WorkerTask::Query { sql: s } = &task {
                        sql.push(s.clone());
                    }
                    busy.push_back((worker, task));
                }
                Step::AwaitWorker => {
                    let (worker, task) = busy.pop_front().expect("a worker is busy");
                    copy.handle_worker(
                        worker,
                        match task {
                            WorkerTask::Spool { .. } => WorkerAnswer::Copied { rows: 0, bytes: 0 },
                            _ => WorkerAnswer::Done,
                        },
                    );
                }
                Step::AppendSpool { .. } => copy.handle_appended(true),
                _ => {}
            }
        }
        let joins: Vec<&String> = sql.iter().filter(|s| s.starts_with("BEGIN")).collect();
        assert_eq!(joins.len(), 2);
        assert!(joins[0].contains("SET TRANSACTION SNAPSHOT '00000003-1'"));
        assert!(joins[0].contains("SET row_security = off"));
        assert!(sql.contains(&"LOCK TABLE public.a IN ACCESS SHARE MODE NOWAIT".to_string()));
    }

    #[rstest::rstest]
    #[case::lock(2, "could not lock table public.a without waiting")]
    #[case::copy(3, "failed copying table public.a: server closed")]
    fn a_failed_worker_ends_the_copy_leaving_what_to_stop_and_remove(
        #[case] answers: usize,
        #[case] message: &str,
    ) {
        let mut copy = copy(&["a"], 1, 150_000);
        copy.next();
        copy.handle_rows(&[]);
        let mut done = 0;
        while let Some(step) = copy.next() {
            if step == Step::AwaitWorker {
                let answer = if done == answers {
                    WorkerAnswer::Failed("server closed the connection".into())
                } else {
                    WorkerAnswer::Done
                };
                done += 1;
                copy.handle_worker(0, answer);
            }
        }
        let error = copy.take_error().expect("failed").to_string();
        assert!(error.contains(message), "{error}");
        assert!(error.ends_with("no backup was kept"), "{error}");
        let (stop, spools) = copy.leftovers();
        assert!(stop);
        // The spool exists once its COPY was given out.
        assert_eq!(spools.len(), usize::from(answers == 3), "{spools:?}");
    }
}
