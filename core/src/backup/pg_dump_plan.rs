//! [`PgDumpPlan`]: the exact pg_dump invocation, as a value.
//!
//! Connection settings travel in the `PG*` environment variables, never in
//! the arguments (which `ps` shows every user). The password travels in
//! `PGPASSWORD` or in a private password file (see [`PasswordChannel`]).
//! Inherited libpq variables that would change where pg_dump connects
//! (`PGSERVICE`, `PGHOSTADDR`...) are removed, so pg_dump connects exactly
//! where sequelae did, to the server whose version was checked.
//!
//! Messages are forced to English (`LC_MESSAGES=C`) because the progress
//! display reads pg_dump's `--verbose` lines.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::catalog::Selection;
use super::options::{BackupOptions, Compression, PasswordChannel};
use crate::config::{ConnectSettings, Endpoint, Environment, Password};
use crate::tls::SslNegotiation;

/// libpq variables that choose the server, the user or the credentials.
/// All are removed from pg_dump's environment, then those sequelae
/// resolved are set again.
const CONNECTION_VARS: &[&str] = &[
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGDATABASE",
    "PGUSER",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGOPTIONS",
    "PGAPPNAME",
    "PGSSLMODE",
    "PGREQUIRESSL",
    "PGSSLCERT",
    "PGSSLKEY",
    "PGSSLROOTCERT",
    "PGSSLSNI",
    "PGSSLNEGOTIATION",
    "PGCHANNELBINDING",
    "PGCONNECT_TIMEOUT",
    "PGTARGETSESSIONATTRS",
    "PGLOADBALANCEHOSTS",
];

/// The locale categories `LC_ALL` sets besides messages; when the user
/// has `LC_ALL` (which would override `LC_MESSAGES`), it is replaced by
/// these so only the messages change.
const LOCALE_CATEGORIES: &[&str] = &[
    "LC_CTYPE",
    "LC_COLLATE",
    "LC_NUMERIC",
    "LC_TIME",
    "LC_MONETARY",
];

/// One pg_dump run: the program, its arguments, and its environment as
/// changes to the inherited one.
///
/// `Debug` shows everything but the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgDumpPlan {
    /// The pg_dump to run.
    pub program: PathBuf,
    /// Its arguments: options and patterns, never a password or a
    /// connection string.
    pub args: Vec<OsString>,
    /// Variables to remove from the inherited environment (first).
    pub env_remove: Vec<String>,
    /// Variables to set (after removing).
    pub env_set: Vec<(String, String)>,
    /// `PGPASSWORD` when the password travels in the environment.
    pub password_env: Option<Password>,
    /// The password file to write before pg_dump starts (mode 0600,
    /// created exclusively) and to remove when it ends.
    pub passfile: Option<PassfileRequest>,
}

/// A private password file for one pg_dump run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassfileRequest {
    /// The private directory (mode 0700, created exclusively) that holds
    /// the file, so that no other user can list, open or replace it, even
    /// in a shared /tmp.
    pub dir: PathBuf,
    /// Where (named by `PGPASSFILE`), inside `dir`.
    pub path: PathBuf,
    /// The contents: one `*:*:*:*:password` line, escaped.
    pub contents: Password,
}

/// Everything [`PgDumpPlan::build`] needs.
#[derive(Debug, Clone, Copy)]
pub struct PgDumpInputs<'a> {
    /// The pg_dump found.
    pub program: &'a Path,
    /// The request.
    pub options: &'a BackupOptions,
    /// The resolved names.
    pub selection: &'a Selection,
    /// The connection settings.
    pub settings: &'a ConnectSettings,
    /// The endpoint sequelae connected to (and whose version it checked).
    pub endpoint: &'a Endpoint,
    /// The temporary output pg_dump writes; `None`: its standard output
    /// (`--output -`).
    pub output: Option<&'a Path>,
    /// The process environment (for `TMPDIR` and `LC_ALL`).
    pub env: &'a Environment,
    /// This process's id, for the password file's name.
    pub pid: u32,
    /// Which password file name to try (1, 2... after a name was taken).
    pub passfile_attempt: u32,
}

impl PgDumpPlan {
    /// The invocation for `inputs`, with the warnings it gives (e.g. a
    /// password that a password file cannot hold).
    pub fn build(inputs: PgDumpInputs<'_>) -> (PgDumpPlan, Vec<String>) {
        let PgDumpInputs {
            program,
            options,
            selection,
            settings,
            endpoint,
            output,
            env,
            pid,
            passfile_attempt,
        } = inputs;
        let mut warnings = Vec::new();
        let mut args: Vec<OsString> = vec![
            "--verbose".into(),
            "--no-password".into(),
            format!("--format={}", options.format.pg_dump_letter()).into(),
        ];
        if let Some(output) = output {
            let mut file = OsString::from("--file=");
            file.push(output.as_os_str());
            args.push(file);
        }
        if let Compression::Level(level) = options.compression {
            // Tar takes no -Z (validation refused a level above 0).
            if options.format != super::format::BackupFormat::Tar {
                args.push(format!("--compress={level}").into());
            }
        }
        if options.jobs > 1 {
            args.push(format!("--jobs={}", options.jobs).into());
        }
        if options.schema_only {
            args.push("--schema-only".into());
        }
        if options.data_only {
            args.push("--data-only".into());
        }
        if options.no_owner {
            args.push("--no-owner".into());
        }
        if options.no_privileges {
            args.push("--no-privileges".into());
        }
        if options.disable_triggers {
            args.push("--disable-triggers".into());
        }
        if let Some(ms) = options.lock_wait_timeout_ms {
            // pg_dump hands the text to the server, which reads a bare
            // number as milliseconds.
            args.push(format!("--lock-wait-timeout={ms}").into());
        }
        if !selection.tables.is_empty() || !selection.schemas.is_empty() {
            // The names were resolved, but a table may be dropped before
            // pg_dump looks: then fail rather than dump less than asked.
            args.push("--strict-names".into());
        }
        for table in &selection.tables {
            args.push(format!("--table={}", table.pg_dump_pattern()).into());
        }
        for schema in &selection.schemas {
            args.push(format!("--schema={}", super::names::quote_ident(schema)).into());
        }
        for table in &selection.exclude_tables {
            args.push(format!("--exclude-table={}", table.pg_dump_pattern()).into());
        }

        let mut env_remove: Vec<String> = CONNECTION_VARS.iter().map(|v| v.to_string()).collect();
        let mut env_set: Vec<(String, String)> = vec![
            ("PGHOST".into(), endpoint.host.as_str().to_string()),
            ("PGPORT".into(), endpoint.port.to_string()),
            ("PGUSER".into(), settings.user.clone()),
            ("PGDATABASE".into(), settings.database.clone()),
            ("PGSSLMODE".into(), settings.ssl_mode.to_string()),
            (
                "PGSSLSNI".into(),
                if settings.tls.sni { "1" } else { "0" }.into(),
            ),
            (
                "PGCHANNELBINDING".into(),
                settings.tls.channel_binding.as_str().into(),
            ),
        ];
        // libpq before 17 does not know sslnegotiation: only the
        // non-default value is passed, for a pg_dump that can honour it.
        if settings.tls.negotiation != SslNegotiation::Postgres {
            env_set.push((
                "PGSSLNEGOTIATION".into(),
                settings.tls.negotiation.as_str().into(),
            ));
        }
        let optional = [
            ("PGHOSTADDR", &endpoint.hostaddr),
            ("PGSSLROOTCERT", &settings.ssl_root_cert),
            ("PGSSLCERT", &settings.ssl_cert),
            ("PGSSLKEY", &settings.ssl_key),
            ("PGAPPNAME", &settings.application_name),
            ("PGOPTIONS", &settings.options),
        ];
        for (var, value) in optional {
            if let Some(value) = value {
                env_set.push((var.into(), value.clone()));
            }
        }
        if let Some(timeout) = settings.connect_timeout {
            env_set.push(("PGCONNECT_TIMEOUT".into(), timeout.as_secs().to_string()));
        }

        let mut password_env = None;
        let mut passfile = None;
        match &settings.password {
            None => {
                // pg_dump reads the same password file sequelae read.
                if let Some(file) = &settings.passfile {
                    env_set.push(("PGPASSFILE".into(), file.clone()));
                }
            }
            Some(password) => {
                let channel = match options.password_channel {
                    PasswordChannel::Passfile if password.expose().contains(['\n', '\r']) => {
                        warnings.push("the password has a line break, which a password file cannot hold; it was passed in PGPASSWORD instead".to_string());
                        PasswordChannel::Environment
                    }
                    other => other,
                };
                match channel {
                    PasswordChannel::Environment => password_env = Some(password.clone()),
                    PasswordChannel::Passfile => {
                        let dir = passfile_dir(env, pid, passfile_attempt);
                        let path = dir.join(PASSFILE_NAME);
                        env_set.push(("PGPASSFILE".into(), path.display().to_string()));
                        passfile = Some(PassfileRequest {
                            dir,
                            path,
                            contents: passfile_contents(password),
                        });
                    }
                }
            }
        }

        env_set.push(("LC_MESSAGES".into(), "C".into()));
        // No colour escapes in the lines the progress display reads.
        env_set.push(("PG_COLOR".into(), "never".into()));
        if let Some(all) = env.var("LC_ALL") {
            env_remove.push("LC_ALL".into());
            for category in LOCALE_CATEGORIES {
                env_set.push((category.to_string(), all.to_string()));
            }
        }

        (
            PgDumpPlan {
                program: program.to_path_buf(),
                args,
                env_remove,
                env_set,
                password_env,
                passfile,
            },
            warnings,
        )
    }

    /// The secrets that must not appear in anything shown: the password.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(p) = &self.password_env {
            out.push(p.expose().to_string());
        }
        if let Some(file) = &self.passfile {
            let plain = passfile_password(&file.contents);
            // The escaped form too, as it stands in the file.
            let line = file.contents.expose().trim_end_matches('\n');
            if let Some(escaped) = line.strip_prefix("*:*:*:*:") {
                if escaped != plain {
                    out.push(escaped.to_string());
                }
            }
            out.push(plain);
        }
        out
    }
}

/// The password file's name inside its private directory.
const PASSFILE_NAME: &str = "pgpass";

/// `$TMPDIR/sequelae-pgpass-<pid>-<n>/` (or under `/tmp`): the private
/// directory of one run's password file. The runtime creates it
/// exclusively with mode 0700 (a name someone planted fails, and the next
/// attempt is made), then the file inside with mode 0600.
pub fn passfile_dir(env: &Environment, pid: u32, attempt: u32) -> PathBuf {
    passfile_parent(env).join(format!("sequelae-pgpass-{pid}-{attempt}"))
}

/// The process id in a private password directory's name
/// (`sequelae-pgpass-<pid>-<n>`), or `None` for any other name: with
/// [`crate::backup::stale_leftovers`]' rule (the process is gone) it says
/// which directories a killed run left in the temporary folder.
pub fn passfile_dir_pid(name: &str) -> Option<u32> {
    let (pid, n) = name.strip_prefix("sequelae-pgpass-")?.split_once('-')?;
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(pid) || !digits(n) {
        return None;
    }
    pid.parse().ok()
}

/// The temporary folder password directories are made in.
pub fn passfile_parent(env: &Environment) -> PathBuf {
    PathBuf::from(env.var("TMPDIR").unwrap_or("/tmp"))
}

/// One line that matches any host, port, database and user: the file is
/// private to one pg_dump run. `\` and `:` are escaped as libpq expects.
fn passfile_contents(password: &Password) -> Password {
    let escaped = password.expose().replace('\\', "\\\\").replace(':', "\\:");
    Password::new(format!("*:*:*:*:{escaped}\n"))
}

fn passfile_password(contents: &Password) -> String {
    let line = contents.expose().trim_end_matches('\n');
    line.strip_prefix("*:*:*:*:")
        .unwrap_or(line)
        .replace("\\:", ":")
        .replace("\\\\", "\\")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::format::BackupFormat;
    use crate::backup::names::QualifiedName;
    use crate::config::Host;
    use std::time::Duration;

    const SECRET: &str = "sc@ram:w/rd%40 it's \"q\" \\4";

    fn settings(password: Option<&str>) -> ConnectSettings {
        let env = Environment::new().with_os_user("nobody");
        let mut s = ConnectSettings::parse("host=db.example port=5433 user=alice dbname=app", &env)
            .expect("settings");
        s.password = password.map(Password::new);
        s.connect_timeout = Some(Duration::from_secs(7));
        s.ssl_root_cert = Some("/etc/ca.pem".into());
        s
    }

    fn build(
        options: &BackupOptions,
        selection: &Selection,
        password: Option<&str>,
        env: &Environment,
    ) -> (PgDumpPlan, Vec<String>) {
        let s = settings(password);
        let endpoint = Endpoint {
            host: Host::Tcp("10.0.0.5".into()),
            port: 5433,
            hostaddr: None,
        };
        PgDumpPlan::build(PgDumpInputs {
            program: Path::new("/usr/bin/pg_dump"),
            options,
            selection,
            settings: &s,
            endpoint: &endpoint,
            output: Some(Path::new("/srv/.x.dump.sequelae-1-1.tmp")),
            env,
            pid: 77,
            passfile_attempt: 1,
        })
    }

    fn args(plan: &PgDumpPlan) -> Vec<String> {
        plan.args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    fn set<'a>(plan: &'a PgDumpPlan, var: &str) -> Option<&'a str> {
        plan.env_set
            .iter()
            .rev()
            .find(|(k, _)| k == var)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn everything_in_its_place() {
        let options = BackupOptions {
            format: BackupFormat::Directory,
            compression: Compression::Level(9),
            jobs: 4,
            data_only: true,
            disable_triggers: true,
            lock_wait_timeout_ms: Some(2_500),
            ..BackupOptions::default()
        };
        let selection = Selection {
            tables: vec![QualifiedName {
                schema: "app".into(),
                name: "my \"table\"*".into(),
            }],
            exclude_tables: vec![QualifiedName {
                schema: "public".into(),
                name: "Logs".into(),
            }],
            ..Selection::default()
        };
        let (plan, warnings) = build(&options, &selection, Some(SECRET), &Environment::new());
        assert!(warnings.is_empty());
        assert_eq!(
            args(&plan),
            vec![
                "--verbose",
                "--no-password",
                "--format=d",
                "--file=/srv/.x.dump.sequelae-1-1.tmp",
                "--compress=9",
                "--jobs=4",
                "--data-only",
                "--disable-triggers",
                "--lock-wait-timeout=2500",
                "--strict-names",
                "--table=\"app\".\"my \"\"table\"\"*\"",
                "--exclude-table=\"public\".\"Logs\"",
            ]
        );
        assert_eq!(set(&plan, "PGHOST"), Some("10.0.0.5"));
        assert_eq!(set(&plan, "PGPORT"), Some("5433"));
        assert_eq!(set(&plan, "PGUSER"), Some("alice"));
        assert_eq!(set(&plan, "PGDATABASE"), Some("app"));
        assert_eq!(set(&plan, "PGSSLMODE"), Some("prefer"));
        assert_eq!(set(&plan, "PGSSLROOTCERT"), Some("/etc/ca.pem"));
        assert_eq!(set(&plan, "PGCONNECT_TIMEOUT"), Some("7"));
        assert_eq!(set(&plan, "PGSSLSNI"), Some("1"));
        assert_eq!(set(&plan, "PGCHANNELBINDING"), Some("prefer"));
        assert_eq!(set(&plan, "PGSSLNEGOTIATION"), None);
        assert_eq!(set(&plan, "PGHOSTADDR"), None);
        assert_eq!(set(&plan, "LC_MESSAGES"), Some("C"));
        assert_eq!(set(&plan, "PGPASSWORD"), None);
        assert_eq!(
            plan.password_env.as_ref().map(Password::expose),
            Some(SECRET)
        );
        for var in ["PGSERVICE", "PGHOSTADDR", "PGPASSWORD", "PGPASSFILE"] {
            assert!(plan.env_remove.iter().any(|v| v == var), "{var}");
        }
        // The password is nowhere but in password_env, and Debug hides it.
        assert!(!args(&plan).concat().contains("sc@ram"));
        assert!(!format!("{plan:?}").contains("sc@ram"));
        assert_eq!(plan.secrets(), vec![SECRET.to_string()]);
    }

    #[test]
    fn tls_settings_and_hostaddr_reach_pg_dump() {
        let env = Environment::new().with_os_user("nobody");
        let s = ConnectSettings::parse(
            "host=db.example hostaddr=10.0.0.9 user=alice sslmode=verify-full \
             sslrootcert=/ca.pem sslcert=/c.crt sslkey=/c.key sslsni=0 \
             sslnegotiation=direct channel_binding=require",
            &env,
        )
        .expect("settings");
        let (plan, _) = PgDumpPlan::build(PgDumpInputs {
            program: Path::new("/usr/bin/pg_dump"),
            options: &BackupOptions::default(),
            selection: &Selection::default(),
            settings: &s,
            endpoint: &s.endpoints[0],
            output: None,
            env: &env,
            pid: 77,
            passfile_attempt: 1,
        });
        for (var, value) in [
            ("PGHOST", "db.example"),
            ("PGHOSTADDR", "10.0.0.9"),
            ("PGSSLMODE", "verify-full"),
            ("PGSSLROOTCERT", "/ca.pem"),
            ("PGSSLCERT", "/c.crt"),
            ("PGSSLKEY", "/c.key"),
            ("PGSSLSNI", "0"),
            ("PGSSLNEGOTIATION", "direct"),
            ("PGCHANNELBINDING", "require"),
        ] {
            assert_eq!(set(&plan, var), Some(value), "{var}");
        }
    }

    #[test]
    fn plain_formats_without_names_take_no_strict_names() {
        let (plan, _) = build(
            &BackupOptions::default(),
            &Selection::default(),
            None,
            &Environment::new(),
        );
        assert_eq!(
            args(&plan),
            vec![
                "--verbose",
                "--no-password",
                "--format=p",
                "--file=/srv/.x.dump.sequelae-1-1.tmp"
            ]
        );
        assert_eq!(plan.password_env, None);
        assert!(plan.secrets().is_empty());
    }

    #[test]
    fn tar_level_zero_passes_no_compress() {
        let options = BackupOptions {
            format: BackupFormat::Tar,
            compression: Compression::Level(0),
            ..BackupOptions::default()
        };
        let (plan, _) = build(&options, &Selection::default(), None, &Environment::new());
        assert!(!args(&plan).iter().any(|a| a.starts_with("--compress")));
    }

    #[test]
    fn password_directories_name_their_process() {
        let env = Environment::new();
        let dir = passfile_dir(&env, 4242, 3);
        let name = dir.file_name().and_then(|n| n.to_str()).expect("a name");
        assert_eq!(passfile_dir_pid(name), Some(4242));
        assert_eq!(passfile_dir_pid("sequelae-pgpass-x-1"), None);
        assert_eq!(passfile_dir_pid("sequelae-pgpass-12"), None);
        assert_eq!(passfile_dir_pid("other-12-1"), None);
    }

    #[test]
    fn passfile_channel_escapes_and_hides() {
        let options = BackupOptions {
            password_channel: PasswordChannel::Passfile,
            ..BackupOptions::default()
        };
        let env = Environment::new().with_var("TMPDIR", "/run/user/1000");
        let (plan, _) = build(&options, &Selection::default(), Some(SECRET), &env);
        assert_eq!(plan.password_env, None);
        let file = plan.passfile.clone().expect("passfile");
        assert_eq!(file.dir, Path::new("/run/user/1000/sequelae-pgpass-77-1"));
        assert_eq!(
            file.path,
            Path::new("/run/user/1000/sequelae-pgpass-77-1/pgpass")
        );
        assert_eq!(
            file.contents.expose(),
            "*:*:*:*:sc@ram\\:w/rd%40 it's \"q\" \\\\4\n"
        );
        assert_eq!(
            set(&plan, "PGPASSFILE"),
            Some("/run/user/1000/sequelae-pgpass-77-1/pgpass")
        );
        // Both the password and its escaped form in the file are hidden.
        assert_eq!(
            plan.secrets(),
            vec![
                "sc@ram\\:w/rd%40 it's \"q\" \\\\4".to_string(),
                SECRET.to_string()
            ]
        );
        assert!(!format!("{plan:?}").contains("sc@ram"));
    }

    #[test]
    fn a_line_break_cannot_go_in_a_passfile() {
        let options = BackupOptions {
            password_channel: PasswordChannel::Passfile,
            ..BackupOptions::default()
        };
        let (plan, warnings) = build(
            &options,
            &Selection::default(),
            Some("two\nlines"),
            &Environment::new(),
        );
        assert!(plan.passfile.is_none());
        assert!(plan.password_env.is_some());
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn lc_all_gives_way_to_english_messages() {
        let env = Environment::new().with_var("LC_ALL", "de_DE.UTF-8");
        let (plan, _) = build(&BackupOptions::default(), &Selection::default(), None, &env);
        assert!(plan.env_remove.iter().any(|v| v == "LC_ALL"));
        assert_eq!(set(&plan, "LC_CTYPE"), Some("de_DE.UTF-8"));
        assert_eq!(set(&plan, "LC_MESSAGES"), Some("C"));
    }

    #[test]
    fn unix_sockets_and_user_passfiles_pass_through() {
        let env = Environment::new().with_os_user("nobody");
        let s = ConnectSettings::parse("host=/run/pg user=bob passfile=/home/bob/.pgpass", &env)
            .expect("settings");
        let (plan, _) = PgDumpPlan::build(PgDumpInputs {
            program: Path::new("pg_dump"),
            options: &BackupOptions::default(),
            selection: &Selection::default(),
            settings: &s,
            endpoint: &s.endpoints[0],
            output: Some(Path::new("out.sql")),
            env: &env,
            pid: 1,
            passfile_attempt: 1,
        });
        assert_eq!(set(&plan, "PGHOST"), Some("/run/pg"));
        assert_eq!(set(&plan, "PGPASSFILE"), Some("/home/bob/.pgpass"));
    }
}
