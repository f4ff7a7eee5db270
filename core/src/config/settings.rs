//! Resolving a connection string, the environment and libpq's defaults into
//! the settings one connection attempt needs.
//!
//! Precedence, per option, as libpq's: the connection string (an explicit
//! one, else `DATABASE_URL`), then the service file group named by
//! `service=` or `PGSERVICE`, then the `PG*` variable, then libpq's
//! default. As in libpq, an option the string gives *empty* (`host=''`,
//! `?port=`) means "the default", and nothing later is consulted for it.
//!
//! A `PG*` variable for behaviour sequelae lacks is refused, not ignored:
//! psql would honour it, and a silent difference could mean a different
//! server, database or security level.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use super::conninfo;
use super::endpoint::{DEFAULT_PORT, DEFAULT_SOCKET_DIR, Endpoint, Host};
use super::environment::Environment;
use super::error::{ConfigError, Origin};
use super::keywords::{self, Handling};
use super::params::RawParams;
use super::password::{Password, REDACTED};
use super::pgpass::PgPass;
use super::service;
use super::ssl_mode::SslMode;
use super::target::TargetSessionAttrs;
use super::uri;
use crate::tls::{TlsSettingError, TlsSettings};

/// Fully resolved settings: everything a runtime needs to open a session,
/// with every libpq rule already applied so that runtimes cannot disagree.
///
/// `Debug` and `Display` never show the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectSettings {
    /// The servers to try, in order (libpq's host list). Never empty.
    pub endpoints: Vec<Endpoint>,
    /// The role to log in as.
    pub user: String,
    /// The database to connect to.
    pub database: String,
    /// The password from the connection string or `PGPASSWORD`. `None`
    /// means "ask the password file" ([`ConnectSettings::password_for`]).
    pub password: Option<Password>,
    /// Reported to the server (`application_name`, `PGAPPNAME`, else
    /// `fallback_application_name`).
    pub application_name: Option<String>,
    /// How long one connection attempt may take; `None` waits forever.
    pub connect_timeout: Option<Duration>,
    /// Command-line options for the server process (`-c name=value ...`).
    pub options: Option<String>,
    /// How hard to insist on TLS.
    pub ssl_mode: SslMode,
    /// CA certificates to trust (a file path, or `system` for the
    /// operating system's roots, as libpq).
    pub ssl_root_cert: Option<String>,
    /// Client certificate file.
    pub ssl_cert: Option<String>,
    /// Client private key file.
    pub ssl_key: Option<String>,
    /// `sslnegotiation`, `sslsni` and `channel_binding`.
    pub tls: TlsSettings,
    /// The home directory, where libpq looks for `~/.postgresql/root.crt`
    /// and the default client certificate; found when the settings were
    /// resolved, so that connecting reads no environment.
    pub home: Option<String>,
    /// The password file named by `passfile=` or `PGPASSFILE`; `None`
    /// means the default, [`default_passfile`](Self::default_passfile).
    pub passfile: Option<String>,
    /// libpq's default password file, `$HOME/.pgpass`, found when the
    /// settings were resolved (so that connecting reads no environment);
    /// `None` without a `HOME`. Kept apart from `passfile` because only an
    /// explicit file is shown or handed on to pg_dump.
    pub default_passfile: Option<String>,
    /// Which kind of server the session must reach.
    pub target_session_attrs: TargetSessionAttrs,
    /// The service file the `service` group was read from, if any.
    pub service_file: Option<String>,
    /// Where each option's value came from, by libpq key; a key not listed
    /// is at its default.
    pub origins: BTreeMap<&'static str, Origin>,
}

impl ConnectSettings {
    /// Resolves the settings for a connection: an explicit connection
    /// string (e.g. `--database-url`) wins over `DATABASE_URL`, which is read
    /// only when there is no explicit string; either may be a URI or
    /// key=value pairs. Options the string leaves out come from the `PG*`
    /// variables, then libpq's defaults: the socket directory
    /// `/var/run/postgresql`, port 5432, the OS user, a database named after
    /// the user, and `sslmode=prefer`.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the bad part and where it came from (the
    /// string, `DATABASE_URL` or a `PG*` variable), or [`ConfigError::NoUser`]
    /// when no user name can be found.
    pub fn resolve(
        explicit: Option<&str>,
        env: &Environment,
    ) -> Result<ConnectSettings, ConfigError> {
        ConnectSettings::resolve_with_files(explicit, env, &|_| None)
    }

    /// [`resolve`](Self::resolve), with the service files readable:
    /// `read(path)` returns a file's text, or `None` when it does not exist.
    /// The core decides which files to read (libpq's order: `servicefile=`,
    /// `PGSERVICEFILE`, `~/.pg_service.conf`, then
    /// `PGSYSCONFDIR/pg_service.conf`); the runtime only reads them.
    ///
    /// # Errors
    ///
    /// As [`resolve`](Self::resolve), plus a service that no file defines
    /// or a malformed service file.
    pub fn resolve_with_files(
        explicit: Option<&str>,
        env: &Environment,
        read: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ConnectSettings, ConfigError> {
        let (text, origin) = match explicit {
            Some(text) => (Some(text), Origin::ConnectionString),
            None => (
                env.var("DATABASE_URL"),
                if env.from_dotenv("DATABASE_URL") {
                    Origin::DotEnv("DATABASE_URL")
                } else {
                    Origin::DatabaseUrl
                },
            ),
        };
        let raw = match text {
            Some(text) => parse_connection_string(text, origin)?,
            None => RawParams::default(),
        };
        let mut sources = Sources {
            raw: &raw,
            origin,
            env: Some(env),
            service: BTreeMap::new(),
            service_file: None,
        };
        sources.load_service(read)?;
        sources.refuse_unhonoured_variables()?;
        sources.resolve(env.os_user())
    }

    /// Resolves one connection string on its own: the `PG*` variables and
    /// `DATABASE_URL` are ignored, only the OS user is taken from `env`.
    /// For embedding and tests, where the process environment must not leak
    /// in.
    ///
    /// # Errors
    ///
    /// As [`ConnectSettings::resolve`].
    pub fn parse(conn_str: &str, env: &Environment) -> Result<ConnectSettings, ConfigError> {
        let origin = Origin::ConnectionString;
        let raw = parse_connection_string(conn_str, origin)?;
        let mut sources = Sources {
            raw: &raw,
            origin,
            env: None,
            service: BTreeMap::new(),
            service_file: None,
        };
        sources.load_service(&|_| None)?;
        sources.resolve(env.os_user())
    }

    /// The password to offer `endpoint`: the configured one, else the first
    /// matching `.pgpass` line (libpq looks it up per host, since each host
    /// of a list may have its own).
    pub fn password_for(&self, endpoint: &Endpoint, pgpass: Option<&PgPass>) -> Option<Password> {
        self.password
            .clone()
            .or_else(|| pgpass.and_then(|file| file.lookup(endpoint, &self.database, &self.user)))
    }

    /// The password file to consult when no password is configured:
    /// `passfile=` / `PGPASSFILE`, else `~/.pgpass`.
    pub fn password_file(&self) -> Option<&str> {
        self.passfile
            .as_deref()
            .or(self.default_passfile.as_deref())
    }

    /// [`password_file`](Self::password_file), else `env`'s `~/.pgpass`
    /// (for settings resolved without the environment): which file wins is
    /// libpq's rule, the same for every runtime.
    pub fn password_file_in(&self, env: &Environment) -> Option<String> {
        let path = self.password_file().map(str::to_string);
        path.or_else(|| env.default_passfile())
    }

    /// Where the value of libpq option `key` came from.
    pub fn origin(&self, key: &str) -> Origin {
        self.origins.get(key).copied().unwrap_or(Origin::Default)
    }

    /// Refuses settings this runtime cannot honour before any socket is
    /// opened: an sslmode that demands TLS when the runtime has none can
    /// work against no server, so it is a configuration problem, not a
    /// failed connection.
    ///
    /// # Errors
    ///
    /// [`ConfigError::TlsUnavailable`] naming the sslmode and its source.
    pub fn check_runtime(&self, runtime_has_tls: bool) -> Result<(), ConfigError> {
        let needs_tls = matches!(
            self.ssl_mode,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull
        );
        if needs_tls && !runtime_has_tls {
            return Err(ConfigError::TlsUnavailable {
                mode: self.ssl_mode.to_string(),
                origin: self.origin("sslmode"),
            });
        }
        Ok(())
    }
}

/// Tells the two accepted forms apart, as libpq does by the prefix, and
/// refuses what is neither with a message naming both forms.
fn parse_connection_string(text: &str, origin: Origin) -> Result<RawParams, ConfigError> {
    // Pasted values often carry a trailing newline; no form gives it meaning.
    let text = text.trim();
    if uri::scheme_len(text).is_some() {
        return uri::parse(text, origin);
    }
    if let Some(scheme) = uri::foreign_scheme(text) {
        return Err(ConfigError::UnsupportedScheme {
            scheme: scheme.to_string(),
            origin,
        });
    }
    if !text.is_empty() && !text.contains('=') {
        return Err(ConfigError::NotAConnectionString { origin });
    }
    conninfo::parse(text, origin)
}

/// Where each option can come from.
struct Sources<'a> {
    raw: &'a RawParams,
    origin: Origin,
    /// `None` when the environment must not be consulted.
    env: Option<&'a Environment>,
    /// The options of the service group, when one was named.
    service: BTreeMap<&'static str, String>,
    /// The file the service group came from.
    service_file: Option<String>,
}

impl<'a> Sources<'a> {
    /// Reads the service group named by `service=` or `PGSERVICE`, if any.
    fn load_service(&mut self, read: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let Some((name, name_origin)) = self.pick_plain("service", "PGSERVICE") else {
            return Ok(());
        };
        let var = |key: &str| self.env.and_then(|env| env.var(key));
        let files = service::candidate_files(
            self.raw.get("servicefile").filter(|f| !f.is_empty()),
            var("PGSERVICEFILE"),
            var("HOME"),
            var("PGSYSCONFDIR"),
        );
        let (file, options) = service::resolve(name, name_origin, &files, read)?;
        for (key, value) in options {
            // Later lines of a group replace earlier ones, as in libpq.
            self.service.insert(key, value);
        }
        self.service_file = Some(file);
        Ok(())
    }

    /// Refuses a `PG*` variable that would apply (nothing earlier sets its
    /// option) but asks for behaviour sequelae does not have.
    fn refuse_unhonoured_variables(&self) -> Result<(), ConfigError> {
        let Some(env) = self.env else { return Ok(()) };
        for keyword in keywords::all() {
            let (Some(var), Handling::OnlyDefault(accepted)) = (keyword.env, keyword.handling)
            else {
                continue;
            };
            if self.raw.get(keyword.name).is_some() || self.service.contains_key(keyword.name) {
                continue;
            }
            let Some(value) = env.var(var) else { continue };
            if !accepted.iter().any(|a| a.eq_ignore_ascii_case(value)) {
                return Err(ConfigError::UnsupportedOption {
                    key: keyword.name.to_string(),
                    value: (!keyword.secret).then(|| value.to_string()),
                    accepted,
                    origin: self.var_origin(var),
                });
            }
        }
        for (var, instead) in keywords::SESSION_VARIABLES {
            if env.var(var).is_some() {
                return Err(ConfigError::UnsupportedVariable { var, instead });
            }
        }
        Ok(())
    }

    fn var_origin(&self, var: &'static str) -> Origin {
        match self.env {
            Some(env) if env.from_dotenv(var) => Origin::DotEnv(var),
            _ => Origin::EnvVar(var),
        }
    }

    /// The value for `key`: from the string, else the service group, else
    /// `var`. `None` means "use the default" (nowhere set, or set empty).
    fn pick_plain(&self, key: &str, var: &'static str) -> Option<(&'a str, Origin)> {
        match self.raw.get(key) {
            Some("") => None,
            Some(value) => Some((value, self.origin)),
            None => self
                .env
                .and_then(|env| env.var(var))
                .map(|value| (value, self.var_origin(var))),
        }
    }

    /// Like [`pick_plain`](Self::pick_plain), with the service group
    /// between the string and the variable.
    fn pick(&self, key: &str, var: &'static str) -> Option<(String, Origin)> {
        if self.raw.get(key).is_none() {
            if let Some(value) = self.service.get(key) {
                return (!value.is_empty()).then(|| (value.clone(), Origin::ServiceFile));
            }
        }
        self.pick_plain(key, var).map(|(v, o)| (v.to_string(), o))
    }

    /// A value no `PG*` variable exists for: the string, else the service.
    fn given(&self, key: &str) -> Option<(String, Origin)> {
        match self.raw.get(key) {
            Some(v) => (!v.is_empty()).then(|| (v.to_string(), self.origin)),
            None => self
                .service
                .get(key)
                .filter(|v| !v.is_empty())
                .map(|v| (v.clone(), Origin::ServiceFile)),
        }
    }

    fn resolve(&self, os_user: Option<&str>) -> Result<ConnectSettings, ConfigError> {
        let default_passfile = self.env.and_then(Environment::default_passfile);
        let mut origins = BTreeMap::new();
        let mut note = |key: &'static str, found: Option<&(String, Origin)>| {
            if let Some((_, origin)) = found {
                origins.insert(key, *origin);
            }
        };
        let endpoints = self.endpoints()?;
        note("host", self.pick("host", "PGHOST").as_ref());
        note("hostaddr", self.pick("hostaddr", "PGHOSTADDR").as_ref());
        note("port", self.pick("port", "PGPORT").as_ref());
        let user_found = self.pick("user", "PGUSER");
        note("user", user_found.as_ref());
        let user = match user_found {
            Some((user, _)) => user,
            None => os_user.ok_or(ConfigError::NoUser)?.to_string(),
        };
        let db_found = self.pick("dbname", "PGDATABASE");
        note("dbname", db_found.as_ref());
        let database = db_found.map_or_else(|| user.clone(), |(db, _)| db);
        let password_found = self.pick("password", "PGPASSWORD");
        note("password", password_found.as_ref());
        let target_found = self.pick("target_session_attrs", "PGTARGETSESSIONATTRS");
        note("target_session_attrs", target_found.as_ref());
        let target_session_attrs = match target_found {
            Some((text, origin)) => {
                text.parse()
                    .map_err(|_| ConfigError::InvalidTargetSessionAttrs {
                        value: text.clone(),
                        origin,
                    })?
            }
            None => TargetSessionAttrs::Any,
        };
        let sslmode_found = self.pick("sslmode", "PGSSLMODE");
        note("sslmode", sslmode_found.as_ref());
        let password = password_found.map(|(p, _)| Password::new(p));
        let application_name = self
            .pick("application_name", "PGAPPNAME")
            .or_else(|| self.given("fallback_application_name"))
            .map(|(name, _)| name.to_string());
        let connect_timeout = match self.pick("connect_timeout", "PGCONNECT_TIMEOUT") {
            Some((text, origin)) => parse_connect_timeout(&text, origin)?,
            None => None,
        };
        let text = |key, var| self.pick(key, var).map(|(v, _)| v);
        let ssl_root_cert = text("sslrootcert", "PGSSLROOTCERT");
        let ssl_mode = self.ssl_mode(ssl_root_cert.as_deref())?;
        for (key, var) in [
            ("sslrootcert", "PGSSLROOTCERT"),
            ("sslcert", "PGSSLCERT"),
            ("sslkey", "PGSSLKEY"),
        ] {
            note(key, self.pick(key, var).as_ref());
        }
        let negotiation = self.pick("sslnegotiation", "PGSSLNEGOTIATION");
        let sni = self.pick("sslsni", "PGSSLSNI");
        let binding = self.pick("channel_binding", "PGCHANNELBINDING");
        note("sslnegotiation", negotiation.as_ref());
        note("sslsni", sni.as_ref());
        note("channel_binding", binding.as_ref());
        if self.service_file.is_some() {
            origins.insert(
                "service",
                self.pick_plain("service", "PGSERVICE")
                    .map_or(Origin::Default, |(_, o)| o),
            );
        }
        let value = |found: &Option<(String, Origin)>| found.as_ref().map(|(v, _)| v.clone());
        let tls = TlsSettings::parse(
            value(&negotiation).as_deref(),
            value(&sni).as_deref(),
            value(&binding).as_deref(),
        )
        .map_err(|source| {
            let origin = match source {
                TlsSettingError::Negotiation(_) => &negotiation,
                TlsSettingError::ChannelBinding(_) => &binding,
            };
            ConfigError::InvalidTlsSetting {
                source,
                origin: origin.as_ref().map_or(Origin::Default, |(_, o)| *o),
            }
        })?;
        Ok(ConnectSettings {
            endpoints,
            user,
            database,
            password,
            application_name,
            connect_timeout,
            options: text("options", "PGOPTIONS"),
            ssl_mode,
            ssl_root_cert,
            ssl_cert: text("sslcert", "PGSSLCERT"),
            ssl_key: text("sslkey", "PGSSLKEY"),
            tls,
            home: self.env.and_then(|env| env.var("HOME")).map(str::to_string),
            passfile: text("passfile", "PGPASSFILE"),
            default_passfile,
            target_session_attrs,
            service_file: self.service_file.clone(),
            origins,
        })
    }

    /// libpq: `sslrootcert=system` with no sslmode set raises the default
    /// to `verify-full`, and refuses any weaker explicit mode, because
    /// trusting every public CA is only safe when the host name is checked.
    fn ssl_mode(&self, ssl_root_cert: Option<&str>) -> Result<SslMode, ConfigError> {
        let system_roots = ssl_root_cert == Some("system");
        let requiressl = || {
            // libpq's old PGREQUIRESSL=1 means sslmode=require when no
            // sslmode is given anywhere.
            let env = self.env?;
            let value = env.var("PGREQUIRESSL")?;
            value
                .starts_with('1')
                .then(|| ("require".to_string(), self.var_origin("PGREQUIRESSL")))
        };
        let Some((text, origin)) = self.pick("sslmode", "PGSSLMODE").or_else(requiressl) else {
            return Ok(if system_roots {
                SslMode::VerifyFull
            } else {
                SslMode::default()
            });
        };
        let mode: SslMode = text.parse().map_err(|_| ConfigError::InvalidSslMode {
            value: text.clone(),
            origin,
        })?;
        if system_roots && mode != SslMode::VerifyFull {
            return Err(ConfigError::WeakSslModeForSystemRoots {
                ssl_mode: mode.to_string(),
                origin,
            });
        }
        Ok(mode)
    }

    /// libpq's host list: one slot per `hostaddr` (if given) or `host`
    /// element, else one default slot; ports paired one-to-one, or one
    /// port for all.
    fn endpoints(&self) -> Result<Vec<Endpoint>, ConfigError> {
        let hosts = self.pick("host", "PGHOST");
        let addrs = self.pick("hostaddr", "PGHOSTADDR");
        let host_items: Option<Vec<&str>> = hosts.as_ref().map(|(h, _)| h.split(',').collect());
        let addr_items: Option<Vec<&str>> = addrs.as_ref().map(|(a, _)| a.split(',').collect());
        if let (Some((_, host_origin)), Some(h), Some((_, hostaddr_origin)), Some(a)) =
            (&hosts, &host_items, &addrs, &addr_items)
        {
            let (host_origin, hostaddr_origin) = (*host_origin, *hostaddr_origin);
            if h.len() != a.len() {
                return Err(ConfigError::HostCountMismatch {
                    hosts: h.len(),
                    hostaddrs: a.len(),
                    host_origin,
                    hostaddr_origin,
                });
            }
        }
        let slots = addr_items
            .as_ref()
            .or(host_items.as_ref())
            .map_or(1, Vec::len);
        let host_origin = hosts
            .as_ref()
            .or(addrs.as_ref())
            .map_or(Origin::Default, |(_, o)| *o);

        let ports: Vec<u16> = match self.pick("port", "PGPORT") {
            None => vec![DEFAULT_PORT; slots],
            Some((list, origin)) => {
                let items: Vec<&str> = list.split(',').collect();
                let parsed = items
                    .iter()
                    .map(|item| parse_port(item, origin))
                    .collect::<Result<Vec<u16>, _>>()?;
                match parsed.len() {
                    1 => vec![parsed[0]; slots],
                    n if n == slots => parsed,
                    n => {
                        return Err(ConfigError::PortCountMismatch {
                            ports: n,
                            hosts: slots,
                            port_origin: origin,
                            host_origin,
                        });
                    }
                }
            }
        };

        let slot_addr = |i: usize| -> Option<String> {
            addr_items
                .as_ref()
                .and_then(|a| a.get(i))
                .filter(|a| !a.is_empty())
                .map(|a| (*a).to_string())
        };
        let slot_host = |i: usize| -> Host {
            let named = host_items
                .as_ref()
                .and_then(|h| h.get(i))
                .filter(|h| !h.is_empty());
            let addr = addr_items
                .as_ref()
                .and_then(|a| a.get(i))
                .filter(|a| !a.is_empty());
            match (named, addr) {
                (Some(name), _) => Host::from_libpq(name),
                (None, Some(addr)) => Host::Tcp((*addr).to_string()),
                (None, None) => Host::Unix(DEFAULT_SOCKET_DIR.to_string()),
            }
        };
        Ok(ports
            .into_iter()
            .enumerate()
            .map(|(i, port)| Endpoint {
                host: slot_host(i),
                port,
                hostaddr: slot_addr(i),
            })
            .collect())
    }
}

/// An `int` as libpq's `pqParseIntParam` reads it: optional sign, digits,
/// white space allowed around, no overflow.
fn parse_c_int(text: &str) -> Option<i32> {
    text.trim_matches(conninfo::is_space).parse().ok()
}

/// One port list element; empty means the default port, as in libpq.
fn parse_port(item: &str, origin: Origin) -> Result<u16, ConfigError> {
    if item.is_empty() {
        return Ok(DEFAULT_PORT);
    }
    parse_c_int(item)
        .and_then(|n| u16::try_from(n).ok())
        .filter(|&n| n != 0)
        .ok_or_else(|| ConfigError::InvalidPort {
            value: item.to_string(),
            origin,
        })
}

/// libpq: whole seconds; zero or negative waits forever; 1 counts as 2
/// (one second is too short to be meant, and libpq's rounding makes it
/// unreliable).
fn parse_connect_timeout(text: &str, origin: Origin) -> Result<Option<Duration>, ConfigError> {
    let seconds = parse_c_int(text).ok_or_else(|| ConfigError::InvalidConnectTimeout {
        value: text.to_string(),
        origin,
    })?;
    Ok(match seconds {
        s if s <= 0 => None,
        1 => Some(Duration::from_secs(2)),
        s => Some(Duration::from_secs(u64::from(s.unsigned_abs()))),
    })
}

/// A value as a key=value string needs it: bare when that is unambiguous,
/// else single-quoted with `'` and `\` escaped.
fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && !value
            .chars()
            .any(|c| conninfo::is_space(c) || c == '\'' || c == '\\');
    if plain {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// A key=value string for logs and error messages, e.g.
/// `host=127.0.0.1 port=5432 user=alice dbname=app`. A password shows as
/// `password=********`; options at their default are left out.
impl fmt::Display for ConnectSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hosts: Vec<&str> = self.endpoints.iter().map(|e| e.host.as_str()).collect();
        let ports: Vec<String> = self.endpoints.iter().map(|e| e.port.to_string()).collect();
        let ports = if ports.windows(2).all(|w| w[0] == w[1]) {
            ports.first().cloned().unwrap_or_default()
        } else {
            ports.join(",")
        };
        write!(
            f,
            "host={} port={} user={} dbname={}",
            quote(&hosts.join(",")),
            quote(&ports),
            quote(&self.user),
            quote(&self.database)
        )?;
        let addrs: Vec<&str> = self
            .endpoints
            .iter()
            .map(|e| e.hostaddr.as_deref().unwrap_or(""))
            .collect();
        if addrs.iter().any(|a| !a.is_empty()) {
            write!(f, " hostaddr={}", quote(&addrs.join(",")))?;
        }
        if self.password.is_some() {
            write!(f, " password={REDACTED}")?;
        }
        if self.ssl_mode != SslMode::default() {
            write!(f, " sslmode={}", self.ssl_mode)?;
        }
        if self.target_session_attrs != TargetSessionAttrs::Any {
            write!(f, " target_session_attrs={}", self.target_session_attrs)?;
        }
        if let Some(timeout) = self.connect_timeout {
            write!(f, " connect_timeout={}", timeout.as_secs())?;
        }
        let optional = [
            ("application_name", &self.application_name),
            ("options", &self.options),
            ("sslrootcert", &self.ssl_root_cert),
            ("sslcert", &self.ssl_cert),
            ("sslkey", &self.ssl_key),
            ("passfile", &self.passfile),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                write!(f, " {key}={}", quote(value))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
