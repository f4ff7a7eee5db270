//! One throwaway PostgreSQL server: start, configure, use, tear down.

use std::io::Write;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use camino::{Utf8Path, Utf8PathBuf};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::bins::{has_clients, server_bin_dir, version_bin_dir};
use crate::os::{self, Ids};
use crate::{AuthMethod, HarnessError, TestRole, role};

/// Where cluster directories go. Not `$TMPDIR`: the socket path
/// `<dir>/s/.s.PGSQL.<port>` must stay under the 107-byte limit of Unix socket addresses.
const TEMP_PARENT: &str = "/tmp";

/// How many ports to try when another process takes the free port before the server binds it.
const PORT_ATTEMPTS: usize = 5;

/// How many lines of the server log an error shows.
const LOG_TAIL_LINES: usize = 30;

/// Characters left alone in URL parts: RFC 3986 "unreserved". Everything else is
/// percent-encoded, which is always correct and exercises the client's decoding.
const URL_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The authentication `pg_hba.conf` demands: one role per method over TCP, so that each client
/// method is really exercised; trust over the Unix socket for the harness itself, except for
/// `sq_scram`, so that SCRAM over a Unix socket can be tested too.
const PG_HBA: &str = "\
# Written by sequelae-tests. First match wins.
# TYPE  DATABASE  USER         ADDRESS       METHOD
local   all       sq_scram                   scram-sha-256
local   all       all                        trust
host    all       sq_trust     127.0.0.1/32  trust
host    all       sq_password  127.0.0.1/32  password
host    all       sq_md5       127.0.0.1/32  md5
host    all       sq_scram     127.0.0.1/32  scram-sha-256
host    all       postgres     127.0.0.1/32  trust
host    all       all          127.0.0.1/32  scram-sha-256
";

/// How to start a [`Cluster`] that differs from the shared one.
#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    /// Lines appended to `postgresql.conf` after the harness's own settings, so they win, e.g.
    /// `"ssl = on"` or `"max_connections = 20"`.
    pub extra_conf: Vec<String>,
    /// Files written into the data directory before the server starts, as (relative name,
    /// contents), owned by the server's OS user with mode 0600. PostgreSQL reads relative paths
    /// in `postgresql.conf` from the data directory, and refuses a private key that its user
    /// does not own or that others can read, so this is the place for `ssl_cert_file` and
    /// `ssl_key_file` made at test time.
    pub data_files: Vec<(String, Vec<u8>)>,
    /// `pg_hba.conf` lines placed before the harness's own, so they win (first match), e.g.
    /// `"hostnossl all all 127.0.0.1/32 reject"` to refuse connections without TLS.
    pub hba_lines: Vec<String>,
    /// The PostgreSQL major version to run (see `scripts/postgres-versions`);
    /// `None` runs the installation found on PATH or the newest Debian one.
    pub version: Option<u32>,
    /// With `version`: run its ICU-enabled build (`scripts/postgres-versions
    /// <major>-icu`), for ICU and nondeterministic collations; the builds from
    /// PyPI have no ICU.
    pub icu: bool,
}

/// A running PostgreSQL server that belongs to one test process.
///
/// It listens on `127.0.0.1:`[`port`](Cluster::port) and in the private Unix socket directory
/// [`socket_dir`](Cluster::socket_dir). The superuser is `postgres`. Its `pg_hba.conf` gives each
/// [`TestRole`] one authentication method over TCP (first match wins):
///
/// ```text
/// local  all  sq_scram                   scram-sha-256
/// local  all  all                        trust
/// host   all  sq_trust     127.0.0.1/32  trust
/// host   all  sq_password  127.0.0.1/32  password
/// host   all  sq_md5       127.0.0.1/32  md5
/// host   all  sq_scram     127.0.0.1/32  scram-sha-256
/// host   all  postgres     127.0.0.1/32  trust
/// host   all  all          127.0.0.1/32  scram-sha-256
/// ```
///
/// The server runs with `fsync`, `full_page_writes` and `synchronous_commit` off (a crash loses
/// nothing a test needs), logs to `server.log` in [`data_dir`](Cluster::data_dir), and was
/// initialised with encoding UTF8 and locale `C.UTF-8` (or `C` where that is missing).
///
/// # Cleanup
/// Dropping a `Cluster` stops the server (`pg_ctl stop -m immediate`) and removes its directory.
/// Because a test process may also panic, be killed, or never drop a cluster (the one of
/// [`Cluster::shared`] is a `static`), each cluster also has a watchdog: a `sh` child blocked
/// reading a pipe whose only write end this `Cluster` holds (Rust opens pipes close-on-exec, so
/// no other child inherits it). When the test process ends for any reason, the kernel closes the
/// pipe and the watchdog stops the server and removes the directory. The watchdog runs in a
/// process group of its own and ignores SIGINT, SIGQUIT, SIGHUP and SIGTERM, so Ctrl-C on
/// `cargo test` or `timeout` (both signal the whole process group) kill the tests but not their
/// cleanup; `pg_ctl` starts the server in its own session,
/// so the server does not get the signal either. If the test process dies mid-`initdb` or
/// mid-`pg_ctl start`, the watchdog waits (up to a minute) for the orphaned programs and the
/// half-started server to finish or stop before it removes the directory.
#[derive(Debug)]
pub struct Cluster {
    /// `/tmp/sq-XXXXXX`, owned by the server's user; holds everything below.
    root: Utf8PathBuf,
    data_dir: Utf8PathBuf,
    socket_dir: Utf8PathBuf,
    bin_dir: Utf8PathBuf,
    client_bin_dir: Utf8PathBuf,
    psql: Utf8PathBuf,
    port: u16,
    version_num: u32,
    /// Who `initdb`, `pg_ctl` and the watchdog run as (`None`: ourselves).
    user: Option<Ids>,
    /// The watchdog, with its stdin pipe open until drop.
    watchdog: Option<Child>,
}

impl Cluster {
    /// The cluster shared by all tests of this test process, started on first use.
    ///
    /// Tests isolate themselves in it with [`create_database`](Cluster::create_database). It is
    /// never dropped; its watchdog removes it when the process exits.
    ///
    /// # Panics
    /// If the cluster cannot start, with the [`HarnessError`] message; every later call panics
    /// with the same message rather than trying again.
    pub fn shared() -> &'static Cluster {
        static SHARED: OnceLock<Result<Cluster, String>> = OnceLock::new();
        match SHARED
            .get_or_init(|| Cluster::start(ClusterOptions::default()).map_err(|e| e.to_string()))
        {
            Ok(cluster) => cluster,
            Err(message) => panic!("{message}"),
        }
    }

    /// Creates and starts a new cluster, with the test roles of [`role`] in it.
    ///
    /// Takes about a second, most of it `initdb`: share [`Cluster::shared`] unless a test needs
    /// its own server settings or to stop the server.
    pub fn start(opts: ClusterOptions) -> Result<Cluster, HarnessError> {
        Cluster::start_with_ports(opts, free_port)
    }

    /// [`Cluster::start`], with the ports to try coming from `next_port`.
    fn start_with_ports(
        opts: ClusterOptions,
        next_port: impl FnMut() -> Result<u16, HarnessError>,
    ) -> Result<Cluster, HarnessError> {
        let bin_dir = match opts.version {
            Some(major) => version_bin_dir(major, opts.icu)?,
            None => server_bin_dir()?.to_owned(),
        };
        let client_bin_dir = client_bin_dir(&bin_dir, &opts)?;
        let psql = client_bin_dir.join("psql");
        let user = os::server_user()?;

        let temp = tempfile::Builder::new()
            .prefix("sq-")
            .tempdir_in(TEMP_PARENT)
            .map_err(|e| {
                HarnessError::io(format!("cannot create a directory in {TEMP_PARENT}"), e)
            })?;
        let root = Utf8Path::from_path(temp.path())
            .ok_or_else(|| {
                HarnessError::Unexpected(format!("non-UTF-8 temporary path {:?}", temp.path()))
            })?
            .to_owned();
        os::give_to(&root, user)?;
        let data_dir = root.join("data");
        let socket_dir = root.join("s");
        std::fs::create_dir(&socket_dir)
            .map_err(|e| HarnessError::io(format!("cannot create {socket_dir}"), e))?;
        os::give_to(&socket_dir, user)?;

        let watchdog = spawn_watchdog(&bin_dir, &data_dir, &root, user)?;
        // The watchdog owns the directory's removal from here on; so does `Drop` below.
        let _ = temp.keep();
        let mut cluster = Cluster {
            root,
            data_dir,
            socket_dir,
            bin_dir,
            client_bin_dir,
            psql,
            port: 0,
            version_num: 0,
            user,
            watchdog: Some(watchdog),
        };
        cluster.initdb()?;
        cluster.configure(&opts)?;
        cluster.start_server(next_port)?;
        cluster.version_num = cluster.query_version_num()?;
        cluster.create_roles()?;
        Ok(cluster)
    }

    /// The TCP port the server listens on, at [`host`](Cluster::host).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address the server listens on: `127.0.0.1`, never a name that could resolve to IPv6.
    pub fn host(&self) -> &str {
        "127.0.0.1"
    }

    /// The private directory of the server's Unix socket (`.s.PGSQL.<port>` in it), to test
    /// `host=/dir` connections.
    pub fn socket_dir(&self) -> &Utf8Path {
        &self.socket_dir
    }

    /// The directory of this server's programs (`initdb`, `pg_ctl`, `postgres`); in a whole
    /// installation also the same version's `psql`, `pg_dump` and `pg_restore`.
    pub fn bin_dir(&self) -> &Utf8Path {
        &self.bin_dir
    }

    /// The directory of the client programs (`psql`, `pg_dump`, `pg_restore`) to use with this
    /// server: its own installation's when it has them; for a server-only package (the npm
    /// builds of `scripts/postgres-versions`), the same major version's whole installation when
    /// there is one (`18-icu` borrows `18`'s), else the default installation's (pg_dump 15 for
    /// PostgreSQL 13: pg_dump dumps older servers).
    pub fn client_bin_dir(&self) -> &Utf8Path {
        &self.client_bin_dir
    }

    /// The server's data directory (its `server.log` is there), for tests that inspect the
    /// server's side.
    pub fn data_dir(&self) -> &Utf8Path {
        &self.data_dir
    }

    /// The server version as `server_version_num` reports it, e.g. `150018`, for tests whose
    /// expectations depend on it.
    pub fn version_num(&self) -> u32 {
        self.version_num
    }

    /// A `postgresql://` URL that connects to `database` as `role` over TCP.
    ///
    /// User, password and database are percent-encoded (every character but RFC 3986
    /// unreserved ones), as a careful user would paste them. No `sslmode`: the client's default
    /// applies, and the server has no TLS unless [`ClusterOptions`] turned it on.
    pub fn url(&self, role: &TestRole, database: &str) -> String {
        format!(
            "postgresql://{}:{}@{}:{}/{}",
            utf8_percent_encode(role.name, URL_COMPONENT),
            utf8_percent_encode(role.password, URL_COMPONENT),
            self.host(),
            self.port,
            utf8_percent_encode(database, URL_COMPONENT),
        )
    }

    /// A libpq `key=value` connection string for the superuser `postgres` over the private Unix
    /// socket (trusted, no password), for setting up what a test needs.
    pub fn superuser_conninfo(&self, database: &str) -> String {
        format!(
            "host={} port={} user=postgres dbname={}",
            conninfo_quote(self.socket_dir.as_str()),
            self.port,
            conninfo_quote(database),
        )
    }

    /// Creates a database with a name unique to this process and call (`<prefix>_<pid>_<n>`,
    /// the prefix shortened to fit PostgreSQL's 63-byte names) and returns the name.
    ///
    /// It is owned by `postgres`; every role may connect, create schemas and create objects in
    /// `public` (PostgreSQL 15 no longer grants the latter by default), so each test role can
    /// fill it.
    ///
    /// # Panics
    /// If the server refuses: there is no test to run without the database.
    pub fn create_database(&self, prefix: &str) -> String {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let suffix = format!(
            "_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut end = prefix.len().min(63 - suffix.len());
        while !prefix.is_char_boundary(end) {
            end -= 1;
        }
        let name = format!("{}{suffix}", &prefix[..end]);
        let ident = sql_ident(&name);
        let setup = || -> Result<(), HarnessError> {
            self.psql(
                "postgres",
                &format!("CREATE DATABASE {ident};\nGRANT ALL ON DATABASE {ident} TO PUBLIC;\n"),
            )?;
            self.psql(&name, "GRANT ALL ON SCHEMA public TO PUBLIC;\n")?;
            Ok(())
        };
        if let Err(e) = setup() {
            panic!("cannot create test database {name}: {e}");
        }
        name
    }

    /// Runs `sql` (one or more statements, or psql meta-commands) with `psql` as the superuser
    /// over the Unix socket, stopping at the first error, and returns what it printed: rows
    /// unaligned, `|`-separated, one per line, without headers or command tags.
    ///
    /// The error includes psql's standard error, which has the server's message.
    pub fn psql(&self, database: &str, sql: &str) -> Result<String, HarnessError> {
        let mut cmd = os::command(&self.psql, None, self.root.as_std_path());
        cmd.args([
            "-X",
            "-A",
            "-t",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-f",
            "-",
            "-d",
        ])
        .arg(self.superuser_conninfo(database))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| HarnessError::io(format!("cannot run {cmd:?}"), e))?;
        let mut stdin = child.stdin.take();
        // Write from another thread: psql may fill its stdout pipe before reading all of stdin.
        let out = std::thread::scope(|scope| {
            scope.spawn(move || {
                if let Some(stdin) = stdin.as_mut() {
                    // A failed write means psql exited early; its status and stderr say why.
                    let _ = stdin.write_all(sql.as_bytes());
                }
            });
            child.wait_with_output()
        })
        .map_err(|e| HarnessError::io(format!("cannot run {cmd:?}"), e))?;
        let out = os::check(&cmd, out)?;
        String::from_utf8(out.stdout)
            .map_err(|e| HarnessError::Unexpected(format!("psql printed non-UTF-8: {e}")))
    }

    /// Runs a server program (`initdb`, `pg_ctl`) as the server's user.
    fn server_command(&self, program: &str) -> Command {
        os::command(
            self.bin_dir.join(program),
            self.user,
            self.root.as_std_path(),
        )
    }

    fn log_path(&self) -> Utf8PathBuf {
        self.data_dir.join("server.log")
    }

    fn initdb(&self) -> Result<(), HarnessError> {
        let attempt = |locale: &str| {
            let mut cmd = self.server_command("initdb");
            cmd.arg("-D")
                .arg(&self.data_dir)
                .args([
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-sync",
                ])
                .arg(format!("--locale={locale}"));
            os::run(&mut cmd)
        };
        match attempt("C.UTF-8") {
            Ok(_) => Ok(()),
            Err(first) => {
                // initdb removes a data directory it created; make sure before trying again.
                let _ = std::fs::remove_dir_all(&self.data_dir);
                attempt("C").map(drop).map_err(|second| {
                    HarnessError::Unexpected(format!(
                        "initdb failed with locale C.UTF-8:\n{first}\nand with locale C:\n{second}"
                    ))
                })
            }
        }
    }

    fn configure(&self, opts: &ClusterOptions) -> Result<(), HarnessError> {
        let write = |path: &Utf8Path, contents: &[u8], append: bool| {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(append)
                .truncate(!append)
                .open(path)
                .map_err(|e| HarnessError::io(format!("cannot open {path}"), e))?;
            file.write_all(contents)
                .map_err(|e| HarnessError::io(format!("cannot write {path}"), e))
        };
        // Existing files keep their owner (the server's user) when we write them as root.
        let mut hba = String::new();
        for line in &opts.hba_lines {
            hba.push_str(line);
            hba.push('\n');
        }
        hba.push_str(PG_HBA);
        write(&self.data_dir.join("pg_hba.conf"), hba.as_bytes(), false)?;
        let mut conf = format!(
            "\n# Added by sequelae-tests.\n\
             listen_addresses = '127.0.0.1'\n\
             unix_socket_directories = {}\n\
             max_connections = 100\n\
             shared_buffers = 32MB\n\
             fsync = off\n\
             full_page_writes = off\n\
             synchronous_commit = off\n",
            sql_literal(self.socket_dir.as_str())
        );
        for line in &opts.extra_conf {
            conf.push_str(line);
            conf.push('\n');
        }
        write(
            &self.data_dir.join("postgresql.conf"),
            conf.as_bytes(),
            true,
        )?;

        for (name, contents) in &opts.data_files {
            let relative = Utf8Path::new(name);
            if relative.is_absolute()
                || relative
                    .components()
                    .any(|c| !matches!(c, camino::Utf8Component::Normal(_)))
            {
                return Err(HarnessError::Unexpected(format!(
                    "data file name {name:?} must be a plain relative path"
                )));
            }
            let path = self.data_dir.join(relative);
            write(&path, contents, false)?;
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
                .map_err(|e| HarnessError::io(format!("cannot chmod {path}"), e))?;
            os::give_to(&path, self.user)?;
        }
        Ok(())
    }

    /// `pg_ctl start` on a free port, trying other ports when another process took it first.
    fn start_server(
        &mut self,
        mut next_port: impl FnMut() -> Result<u16, HarnessError>,
    ) -> Result<(), HarnessError> {
        let log = self.log_path();
        for attempt in 1..=PORT_ATTEMPTS {
            let port = next_port()?;
            let log_start = std::fs::metadata(&log).map_or(0, |m| m.len());
            let mut cmd = self.server_command("pg_ctl");
            cmd.args(["-w", "-D"])
                .arg(&self.data_dir)
                .arg("-l")
                .arg(&log)
                .args(["-o", &format!("-p {port}"), "start"]);
            // pg_ctl redirects the server's output to the log, so capturing pg_ctl's own output
            // does not wait for the server.
            let out = cmd
                .stdin(Stdio::null())
                .output()
                .map_err(|e| HarnessError::io(format!("cannot run {cmd:?}"), e))?;
            if out.status.success() {
                self.port = port;
                return Ok(());
            }
            let new_log = read_log(&log, log_start);
            if attempt < PORT_ATTEMPTS && new_log.contains("Address already in use") {
                continue;
            }
            let mut reason = format!("{cmd:?} failed ({})", out.status);
            for stream in [&out.stderr, &out.stdout] {
                let text = String::from_utf8_lossy(stream);
                if !text.trim().is_empty() {
                    reason.push_str(": ");
                    reason.push_str(text.trim());
                }
            }
            return Err(HarnessError::Startup {
                reason,
                log_tail: self.log_tail(),
                log,
            });
        }
        unreachable!("the last attempt returns")
    }

    /// The last lines of the server log, for error messages.
    fn log_tail(&self) -> String {
        let text = read_log(&self.log_path(), 0);
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
    }

    /// Turns a failure after the server started into one that shows the server log.
    fn with_log(&self, what: &str, error: HarnessError) -> HarnessError {
        HarnessError::Startup {
            reason: format!("{what}: {error}"),
            log: self.log_path(),
            log_tail: self.log_tail(),
        }
    }

    fn query_version_num(&self) -> Result<u32, HarnessError> {
        let out = self
            .psql("postgres", "SHOW server_version_num;\n")
            .map_err(|e| self.with_log("cannot query the server version", e))?;
        out.trim()
            .parse()
            .map_err(|_| HarnessError::Unexpected(format!("server_version_num is {out:?}")))
    }

    fn create_roles(&self) -> Result<(), HarnessError> {
        let mut sql = String::from("SET password_encryption = 'scram-sha-256';\n");
        for method in [
            AuthMethod::Trust,
            AuthMethod::Password,
            AuthMethod::ScramSha256,
        ] {
            sql.push_str(&create_role_sql(&role(method)));
        }
        // Stored as MD5, or the server would answer md5 in pg_hba.conf with SCRAM.
        sql.push_str("SET password_encryption = 'md5';\n");
        sql.push_str(&create_role_sql(&role(AuthMethod::Md5)));
        self.psql("postgres", &sql)
            .map(drop)
            .map_err(|e| self.with_log("cannot create the test roles", e))
    }

    /// Stops the server now and removes its directory; the watchdog then has nothing left to do.
    fn tear_down(&mut self) {
        let mut stop = self.server_command("pg_ctl");
        stop.arg("-D")
            .arg(&self.data_dir)
            .args(["stop", "-m", "immediate"]);
        // Fails harmlessly when the server never started.
        let _ = stop.stdin(Stdio::null()).output();
        let _ = std::fs::remove_dir_all(&self.root);
        if let Some(mut watchdog) = self.watchdog.take() {
            drop(watchdog.stdin.take());
            let _ = watchdog.wait();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.tear_down();
    }
}

/// The watchdog's `sh` script, run with the arguments `pg_ctl`, data directory, cluster root.
///
/// After end-of-file on stdin, it stops the server and removes the root. A test process that
/// died mid-`initdb` or mid-`pg_ctl start` leaves those running (they are not in the watchdog's
/// hands), and removing the directory under them would leave their half-started servers' shared
/// memory behind; every process of the cluster works in the root (the harness starts them there;
/// the server moves into its data directory), so the script stops the server and polls until no
/// process has its working directory there, for at most a minute.
const WATCHDOG_SCRIPT: &str = r#"trap '' INT QUIT HUP TERM
cat >/dev/null
pg_ctl=$1 data=$2 root=$3
busy() {
    for p in /proc/[0-9]*; do
        case $(readlink "$p/cwd" 2>/dev/null) in "$root" | "$root"/*) return 0 ;; esac
    done
    return 1
}
i=0
while :; do
    "$pg_ctl" -D "$data" stop -m immediate >/dev/null 2>&1
    busy || break
    i=$((i + 1))
    [ "$i" -ge 600 ] && break
    sleep 0.1 2>/dev/null || sleep 1
done
rm -rf "$root"
"#;

/// The watchdog described at [`Cluster`] and [`WATCHDOG_SCRIPT`]. It runs as the server's user,
/// who owns `root` and the server's processes.
fn spawn_watchdog(
    bin_dir: &Utf8Path,
    data_dir: &Utf8Path,
    root: &Utf8Path,
    user: Option<Ids>,
) -> Result<Child, HarnessError> {
    let mut cmd = os::command("/bin/sh", user, std::path::Path::new("/"));
    // Its own process group: `timeout`, Ctrl-C and other group-wide
    // signals aimed at the test run must not take the cleanup with it.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    cmd.args(["-c", WATCHDOG_SCRIPT, "sq-watchdog"])
        .arg(bin_dir.join("pg_ctl"))
        .arg(data_dir)
        .arg(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd.spawn()
        .map_err(|e| HarnessError::io(format!("cannot start the cleanup watchdog {cmd:?}"), e))
}

/// Where the client programs for a server in `bin_dir` are: see [`Cluster::client_bin_dir`].
fn client_bin_dir(bin_dir: &Utf8Path, opts: &ClusterOptions) -> Result<Utf8PathBuf, HarnessError> {
    if has_clients(bin_dir) {
        return Ok(bin_dir.to_owned());
    }
    if let Some(major) = opts.version.filter(|_| opts.icu) {
        let whole = version_bin_dir(major, false)?;
        if has_clients(&whole) {
            return Ok(whole);
        }
    }
    let default = server_bin_dir()?;
    if has_clients(default) {
        return Ok(default.to_owned());
    }
    Err(HarnessError::ProgramNotFound {
        program: "psql and pg_dump".to_owned(),
        bin_dir: bin_dir.to_owned(),
    })
}

/// A TCP port of 127.0.0.1 that nothing listens on right now.
fn free_port() -> Result<u16, HarnessError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| HarnessError::io("cannot find a free TCP port on 127.0.0.1", e))
}

/// The server log from byte `from` on, as text (empty when there is none).
fn read_log(path: &Utf8Path, from: u64) -> String {
    let bytes = std::fs::read(path).unwrap_or_default();
    let from = usize::try_from(from).unwrap_or(usize::MAX).min(bytes.len());
    String::from_utf8_lossy(&bytes[from..]).into_owned()
}

fn create_role_sql(role: &TestRole) -> String {
    format!(
        "CREATE ROLE {} LOGIN CREATEDB PASSWORD {};\n",
        sql_ident(role.name),
        sql_literal(role.password)
    )
}

/// `s` as an SQL string literal (with `standard_conforming_strings`, the default: backslashes
/// are plain characters).
fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `s` as a quoted SQL identifier.
fn sql_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// `s` as a libpq `key=value` value: single-quoted, with `\` and `'` backslash-escaped.
fn conninfo_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', r"\\").replace('\'', r"\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// psql connecting with `url` as given (no PG* variables from our environment), running
    /// `SELECT current_user`.
    fn psql_url(cluster: &Cluster, url: &str) -> Result<String, HarnessError> {
        let mut cmd = os::command(&cluster.psql, None, std::path::Path::new("/"));
        cmd.args([
            "-X",
            "-A",
            "-t",
            "-w",
            "-c",
            "SELECT current_user",
            "-d",
            url,
        ]);
        let out = os::run(&mut cmd)?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    #[test]
    fn shared_cluster_answers() {
        let cluster = Cluster::shared();
        assert_eq!(cluster.psql("postgres", "SELECT 1;").expect("psql"), "1\n");
        assert!(
            cluster.version_num() >= 100_000,
            "{}",
            cluster.version_num()
        );
        let version = cluster
            .psql("postgres", "SHOW server_version_num")
            .expect("psql");
        assert_eq!(version.trim(), cluster.version_num().to_string());
        assert!(
            cluster
                .socket_dir()
                .join(format!(".s.PGSQL.{}", cluster.port()))
                .exists()
        );
        assert!(cluster.socket_dir().as_str().len() + ".s.PGSQL.65535".len() < 107);
        // The harness's pg_hba.conf parsed cleanly, line for line.
        let hba = cluster
            .psql(
                "postgres",
                "SELECT type, user_name[1], auth_method, error FROM pg_hba_file_rules ORDER BY line_number",
            )
            .expect("psql");
        assert_eq!(
            hba,
            "local|sq_scram|scram-sha-256|\n\
             local|all|trust|\n\
             host|sq_trust|trust|\n\
             host|sq_password|password|\n\
             host|sq_md5|md5|\n\
             host|sq_scram|scram-sha-256|\n\
             host|postgres|trust|\n\
             host|all|scram-sha-256|\n"
        );
    }

    #[test]
    fn roles_store_the_right_password_kinds() {
        let cluster = Cluster::shared();
        let rows = cluster
            .psql(
                "postgres",
                "SELECT rolname, CASE WHEN rolpassword ~ '^md5[0-9a-f]{32}$' THEN 'md5' \
                 ELSE left(rolpassword, 14) END, rolcanlogin, rolcreatedb FROM pg_authid \
                 WHERE rolname LIKE 'sq\\_%' ORDER BY rolname",
            )
            .expect("psql");
        assert_eq!(
            rows,
            "sq_md5|md5|t|t\n\
             sq_password|SCRAM-SHA-256$|t|t\n\
             sq_scram|SCRAM-SHA-256$|t|t\n\
             sq_trust|SCRAM-SHA-256$|t|t\n"
        );
        // The MD5 hash is of exactly the published password, so quoting lost nothing.
        let md5 = role(AuthMethod::Md5);
        let same = cluster
            .psql(
                "postgres",
                &format!(
                    "SELECT rolpassword = 'md5' || md5({} || rolname) FROM pg_authid WHERE rolname = {}",
                    sql_literal(md5.password),
                    sql_literal(md5.name)
                ),
            )
            .expect("psql");
        assert_eq!(same, "t\n");
    }

    #[test]
    fn passwords_are_hostile_and_distinct() {
        let passwords: Vec<&str> = AuthMethod::ALL.iter().map(|&m| role(m).password).collect();
        for password in &passwords {
            for c in ['@', ':', '/', '%', '\'', '"', ' '] {
                assert!(password.contains(c), "{password:?} lacks {c:?}");
            }
        }
        let mut unique = passwords.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), passwords.len());
        assert!(passwords.iter().any(|p| p.contains('\\')));
    }

    #[test]
    fn each_role_logs_in_over_tcp_with_its_url_and_only_with_its_password() {
        let cluster = Cluster::shared();
        let db = cluster.create_database("login");
        for method in AuthMethod::ALL {
            let role = role(method);
            assert_eq!(
                psql_url(cluster, &cluster.url(&role, &db)).expect("login"),
                role.name,
                "{method:?}"
            );
            let wrong = TestRole {
                password: "wrong",
                ..role
            };
            let result = psql_url(cluster, &cluster.url(&wrong, &db));
            if method == AuthMethod::Trust {
                assert!(result.is_ok(), "trust ignores the password: {result:?}");
            } else {
                let message = result.expect_err("a wrong password must fail").to_string();
                assert!(
                    message.contains("password authentication failed"),
                    "{message}"
                );
            }
        }
        // Over the Unix socket, sq_scram needs its password; the others are trusted.
        let socket = |role: &TestRole, password: &str| {
            format!(
                "host={} port={} user={} password={} dbname={}",
                conninfo_quote(cluster.socket_dir().as_str()),
                cluster.port(),
                role.name,
                conninfo_quote(password),
                conninfo_quote(&db)
            )
        };
        let scram = role(AuthMethod::ScramSha256);
        assert_eq!(
            psql_url(cluster, &socket(&scram, scram.password)).expect("socket login"),
            "sq_scram"
        );
        let message = psql_url(cluster, &socket(&scram, "wrong"))
            .expect_err("a wrong password must fail")
            .to_string();
        assert!(
            message.contains("password authentication failed"),
            "{message}"
        );
        let md5 = role(AuthMethod::Md5);
        assert_eq!(
            psql_url(cluster, &socket(&md5, "wrong")).expect("trusted"),
            "sq_md5"
        );
        // Without the matching pg_hba.conf line, an unknown role meets SCRAM, not trust.
        let message = psql_url(
            cluster,
            &format!("postgresql://nobody@127.0.0.1:{}/postgres", cluster.port()),
        )
        .expect_err("no password, no login")
        .to_string();
        assert!(message.contains("no password supplied"), "{message}");
    }

    #[test]
    fn test_roles_can_create_tables_in_a_test_database() {
        let cluster = Cluster::shared();
        let db =
            cluster.create_database("a prefix \"quoted\" and much too long for a database name");
        assert!(db.len() <= 63, "{db}");
        assert!(db.starts_with("a prefix \"quoted\""), "{db}");
        let other = cluster.create_database("login");
        assert_ne!(other, db);
        let scram = role(AuthMethod::ScramSha256);
        let mut cmd = os::command(&cluster.psql, None, std::path::Path::new("/"));
        cmd.args(["-X", "-A", "-t", "-q", "-w", "-v", "ON_ERROR_STOP=1"])
            .args(["-c", "CREATE TABLE public.t (x int)"])
            .args(["-c", "INSERT INTO t VALUES (42)"])
            .args(["-c", "CREATE SCHEMA s"])
            .args(["-c", "SELECT x FROM t"])
            .args(["-d", &cluster.url(&scram, &db)]);
        let out = os::run(&mut cmd).expect("psql as sq_scram");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "42\n");
    }

    #[test]
    fn psql_errors_carry_the_server_message() {
        let error = Cluster::shared()
            .psql("postgres", "SELECT 1;\nSELECT no_such_column;\nSELECT 2;")
            .expect_err("must fail");
        let message = error.to_string();
        assert!(message.contains("no_such_column"), "{message}");
        assert!(message.contains("does not exist"), "{message}");
    }

    #[test]
    fn superuser_conninfo_quotes_values() {
        let cluster = Cluster::shared();
        let conninfo = cluster.superuser_conninfo(r"it's a \db");
        assert!(conninfo.ends_with(r"dbname='it\'s a \\db'"), "{conninfo}");
    }

    #[test]
    fn url_encodes_everything_but_unreserved() {
        let cluster = Cluster::shared();
        let role = TestRole {
            name: "a b",
            password: "p@ss:w/rd%25 it's \"q\"-._~",
            method: AuthMethod::Password,
        };
        assert_eq!(
            cluster.url(&role, "d/b"),
            format!(
                "postgresql://a%20b:p%40ss%3Aw%2Frd%2525%20it%27s%20%22q%22-._~@127.0.0.1:{}/d%2Fb",
                cluster.port()
            )
        );
    }

    #[test]
    fn two_private_clusters_run_at_once_and_vanish_on_drop() {
        let a = Cluster::start(ClusterOptions {
            extra_conf: vec!["work_mem = '7MB'".to_owned()],
            data_files: vec![("note.txt".to_owned(), b"hello".to_vec())],
            ..ClusterOptions::default()
        })
        .expect("start a");
        let b = Cluster::start(ClusterOptions::default()).expect("start b");
        assert_ne!(a.port(), b.port());
        assert_ne!(a.socket_dir(), b.socket_dir());
        assert_eq!(a.psql("postgres", "SHOW work_mem").expect("a"), "7MB\n");
        assert_eq!(b.psql("postgres", "SHOW work_mem").expect("b"), "4MB\n");
        assert_eq!(
            a.psql("postgres", "SELECT pg_read_file('note.txt')")
                .expect("a"),
            "hello\n"
        );
        let pids = [&a, &b].map(postmaster_pid);
        let roots = [a.root.clone(), b.root.clone()];
        drop(a);
        drop(b);
        for (pid, root) in pids.iter().zip(&roots) {
            assert!(!is_running(*pid), "{pid}");
            assert!(!root.exists(), "{root}");
        }
    }

    /// CI installs PostgreSQL 18 with `scripts/postgres-versions` (run by
    /// `scripts/test`): the native backup is tested against it.
    #[test]
    fn a_cluster_of_another_major_version_runs_with_its_own_programs() {
        if crate::version_skipped("18") {
            return;
        }
        let cluster = Cluster::start(ClusterOptions {
            version: Some(18),
            ..ClusterOptions::default()
        })
        .expect("PostgreSQL 18");
        assert!(
            (180_000..190_000).contains(&cluster.version_num()),
            "{}",
            cluster.version_num()
        );
        assert!(cluster.bin_dir().join("pg_dump").is_file());
        assert_eq!(cluster.client_bin_dir(), cluster.bin_dir());
        assert_eq!(
            cluster
                .psql("postgres", "SHOW server_version_num")
                .expect("psql"),
            format!("{}\n", cluster.version_num())
        );
    }

    /// The npm packages of `scripts/postgres-versions` hold a server only, built with ICU: it
    /// runs from the cache (its libraries found through their rebuilt links), and borrows whole
    /// installations' client programs.
    #[rstest::rstest]
    #[case::pg13(13, false)]
    #[case::pg18_icu(18, true)]
    fn a_server_only_package_runs_with_borrowed_client_programs(
        #[case] major: u32,
        #[case] icu: bool,
    ) {
        if crate::version_skipped(&crate::version_name(major, icu)) {
            return;
        }
        let cluster = Cluster::start(ClusterOptions {
            version: Some(major),
            icu,
            ..ClusterOptions::default()
        })
        .expect("a server-only installation");
        assert_eq!(cluster.version_num() / 10_000, major);
        assert!(!cluster.bin_dir().join("pg_dump").exists());
        let expected = if icu {
            version_bin_dir(major, false).expect("the whole installation")
        } else {
            server_bin_dir()
                .expect("the default installation")
                .to_owned()
        };
        assert_eq!(cluster.client_bin_dir(), expected);
        // Built with ICU: it knows ICU collations and makes nondeterministic ones.
        let icu_collations = cluster
            .psql(
                "postgres",
                "SELECT count(*) > 100 FROM pg_collation WHERE collprovider = 'i';
                 CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
                 SELECT 'A' = 'a' COLLATE ci;",
            )
            .expect("ICU collations");
        assert_eq!(icu_collations, "t\nt\n");
    }

    #[test]
    fn a_version_that_is_not_installed_says_how_to_install_it() {
        let error = version_bin_dir(9, false).expect_err("no PostgreSQL 9 here");
        let message = error.to_string();
        assert!(
            message.contains("scripts/postgres-versions 9`"),
            "{message}"
        );
        assert!(message.contains("SEQUELAE_PG9_BIN"), "{message}");
        let error = version_bin_dir(9, true).expect_err("no PostgreSQL 9 with ICU here");
        let message = error.to_string();
        assert!(
            message.contains("scripts/postgres-versions 9-icu`"),
            "{message}"
        );
        assert!(message.contains("SEQUELAE_PG9_ICU_BIN"), "{message}");
        assert!(
            message.contains("SEQUELAE_SKIP_PG_VERSIONS=9-icu"),
            "{message}"
        );
    }

    #[test]
    fn bad_settings_fail_with_the_server_log() {
        let error = Cluster::start(ClusterOptions {
            extra_conf: vec!["no_such_setting = 1".to_owned()],
            ..ClusterOptions::default()
        })
        .expect_err("must not start");
        let message = error.to_string();
        assert!(message.contains("no_such_setting"), "{message}");
        assert!(matches!(error, HarnessError::Startup { .. }), "{message}");
    }

    #[test]
    fn a_port_taken_before_the_server_binds_it_is_retried() {
        let squatter = TcpListener::bind("127.0.0.1:0").expect("bind");
        let taken = squatter.local_addr().expect("addr").port();
        let mut offered = vec![];
        let cluster = Cluster::start_with_ports(ClusterOptions::default(), || {
            let port = if offered.is_empty() {
                taken
            } else {
                free_port()?
            };
            offered.push(port);
            Ok(port)
        })
        .expect("start");
        assert_eq!(offered.len(), 2, "{offered:?}");
        assert_eq!(cluster.port(), offered[1]);
        assert_eq!(cluster.psql("postgres", "SELECT 1").expect("psql"), "1\n");
        let log = read_log(&cluster.log_path(), 0);
        assert!(log.contains("Address already in use"), "{log}");
    }

    #[test]
    fn watchdog_tears_down_when_the_pipe_closes() {
        let mut cluster = Cluster::start(ClusterOptions::default()).expect("start");
        let pid = postmaster_pid(&cluster);
        let mut watchdog = cluster.watchdog.take().expect("watchdog");
        // What the kernel does when the test process dies.
        drop(watchdog.stdin.take());
        let status = watchdog.wait().expect("wait");
        assert!(status.success(), "{status}");
        assert!(!is_running(pid), "{pid}");
        assert!(!cluster.root.exists(), "{}", cluster.root);
        // Drop then finds nothing to do.
    }

    /// Whether process `pid` exists and is not a zombie (the stopped postmaster is reparented,
    /// and not every init reaps promptly).
    fn is_running(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
            !state.is_some_and(|s| s.starts_with('Z') || s.starts_with('X'))
        })
    }

    fn postmaster_pid(cluster: &Cluster) -> u32 {
        let text = std::fs::read_to_string(cluster.data_dir().join("postmaster.pid"))
            .expect("postmaster.pid");
        text.lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .expect("pid")
    }
}
