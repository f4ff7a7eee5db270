//! What `connection-info` shows: the resolved settings and where each value
//! came from, without the password and without connecting.

use super::endpoint::Endpoint;
use super::error::Origin;
use super::pgpass::PgPass;
use super::settings::ConnectSettings;

/// One host of the list, as it will be tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostReport {
    /// Host name, or the socket directory.
    pub host: String,
    /// The numeric address connected to instead of resolving `host`.
    pub hostaddr: Option<String>,
    /// Port (for a socket, the number in its file name).
    pub port: u16,
    /// Whether it is reached through a Unix socket.
    pub socket: bool,
}

/// The resolved settings in the shape a person or a script reads them.
/// Holds no password: only whether one will be offered, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionReport {
    /// The hosts, in the order they are tried.
    pub hosts: Vec<HostReport>,
    /// The role.
    pub user: String,
    /// The database.
    pub dbname: String,
    /// The sslmode in force.
    pub sslmode: String,
    /// The TLS settings besides sslmode, by libpq key, with their values
    /// (an empty value: not set): sslrootcert, sslcert, sslkey, sslsni,
    /// sslnegotiation, channel_binding.
    pub tls: Vec<(&'static str, String)>,
    /// Which kind of server the session must reach.
    pub target_session_attrs: String,
    /// Whether a password will be offered (from the settings, or the
    /// password file for at least one host).
    pub password_set: bool,
    /// Where each value came from, by libpq key, in a fixed order: host,
    /// hostaddr, port, user, dbname, sslmode, the keys of
    /// [`tls`](Self::tls), target_session_attrs, password.
    pub sources: Vec<(&'static str, String)>,
}

impl ConnectionReport {
    /// Builds the report; `pgpass` is the password file (already checked
    /// and parsed by the runtime) and `pgpass_path` its name, for saying
    /// where a password came from.
    pub fn new(
        settings: &ConnectSettings,
        pgpass: Option<&PgPass>,
        pgpass_path: Option<&str>,
    ) -> ConnectionReport {
        let hosts = settings.endpoints.iter().map(host_report).collect();
        let from_file = settings.password.is_none()
            && settings
                .endpoints
                .iter()
                .any(|e| settings.password_for(e, pgpass).is_some());
        let label = |key: &str| source_label(settings, settings.origin(key), pgpass_path);
        let password_source = if settings.password.is_some() {
            label("password")
        } else if from_file {
            source_label(settings, Origin::PasswordFile, pgpass_path)
        } else {
            "none".to_string()
        };
        let sources = vec![
            ("host", label("host")),
            ("hostaddr", label("hostaddr")),
            ("port", label("port")),
            ("user", user_label(settings, label("user"))),
            ("dbname", dbname_label(settings, label("dbname"))),
            ("sslmode", label("sslmode")),
            ("sslrootcert", label("sslrootcert")),
            ("sslcert", label("sslcert")),
            ("sslkey", label("sslkey")),
            ("sslsni", label("sslsni")),
            ("sslnegotiation", label("sslnegotiation")),
            ("channel_binding", label("channel_binding")),
            ("target_session_attrs", label("target_session_attrs")),
            ("password", password_source),
        ];
        ConnectionReport {
            hosts,
            user: settings.user.clone(),
            dbname: settings.database.clone(),
            sslmode: settings.ssl_mode.to_string(),
            tls: tls_values(settings),
            target_session_attrs: settings.target_session_attrs.to_string(),
            password_set: settings.password.is_some() || from_file,
            sources,
        }
    }

    /// Where `key` came from, as in [`sources`](Self::sources).
    pub fn source(&self, key: &str) -> Option<&str> {
        self.sources
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn tls_values(settings: &ConnectSettings) -> Vec<(&'static str, String)> {
    let file = |v: &Option<String>| v.clone().unwrap_or_default();
    let tls = &settings.tls;
    vec![
        ("sslrootcert", file(&settings.ssl_root_cert)),
        ("sslcert", file(&settings.ssl_cert)),
        ("sslkey", file(&settings.ssl_key)),
        ("sslsni", if tls.sni { "1" } else { "0" }.to_string()),
        ("sslnegotiation", tls.negotiation.as_str().to_string()),
        ("channel_binding", tls.channel_binding.as_str().to_string()),
    ]
}

fn host_report(endpoint: &Endpoint) -> HostReport {
    HostReport {
        host: endpoint.host.as_str().to_string(),
        hostaddr: endpoint.hostaddr.clone(),
        port: endpoint.port,
        socket: endpoint.is_socket(),
    }
}

/// The defaults of user and database are not constants: say what they
/// follow.
fn user_label(settings: &ConnectSettings, label: String) -> String {
    if settings.origin("user") == Origin::Default {
        "default: the operating-system user".to_string()
    } else {
        label
    }
}

fn dbname_label(settings: &ConnectSettings, label: String) -> String {
    if settings.origin("dbname") == Origin::Default {
        "default: the user name".to_string()
    } else {
        label
    }
}

/// The source names the issue and the README use: flag, DATABASE_URL,
/// .env, the PG* variable, service file, .pgpass, default.
fn source_label(settings: &ConnectSettings, origin: Origin, pgpass_path: Option<&str>) -> String {
    match origin {
        Origin::ConnectionString => "flag --database-url".to_string(),
        Origin::DatabaseUrl => "DATABASE_URL".to_string(),
        Origin::DotEnv(var) => format!(".env {var}"),
        Origin::EnvVar(var) => var.to_string(),
        Origin::ServiceFile => match &settings.service_file {
            Some(file) => format!("service file {file}"),
            None => "service file".to_string(),
        },
        Origin::PasswordFile => match pgpass_path {
            Some(path) => format!(".pgpass {path}"),
            None => ".pgpass".to_string(),
        },
        Origin::Default => "default".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Environment;

    #[test]
    fn says_where_each_value_came_from_and_never_the_password() {
        let env = Environment::new()
            .with_os_user("osuser")
            .with_var("PGPORT", "6000")
            .with_var("PGHOSTADDR", "10.0.0.9")
            .with_dotenv("PGSSLMODE=disable\n");
        let settings =
            ConnectSettings::resolve(Some("host=db.example dbname=app"), &env).expect("valid");
        let pgpass = PgPass::parse("db.example:6000:app:osuser:s3cret\n");
        let report = ConnectionReport::new(&settings, Some(&pgpass), Some("/home/o/.pgpass"));
        assert_eq!(
            report.hosts,
            vec![HostReport {
                host: "db.example".into(),
                hostaddr: Some("10.0.0.9".into()),
                port: 6000,
                socket: false,
            }]
        );
        assert!(report.password_set);
        assert_eq!(report.source("host"), Some("flag --database-url"));
        assert_eq!(report.source("hostaddr"), Some("PGHOSTADDR"));
        assert_eq!(report.source("port"), Some("PGPORT"));
        assert_eq!(
            report.source("user"),
            Some("default: the operating-system user")
        );
        assert_eq!(report.source("sslmode"), Some(".env PGSSLMODE"));
        assert_eq!(report.source("password"), Some(".pgpass /home/o/.pgpass"));
        assert!(!format!("{report:?}").contains("s3cret"));

        let report = ConnectionReport::new(&settings, None, None);
        assert!(!report.password_set);
        assert_eq!(report.source("password"), Some("none"));
    }

    #[test]
    fn reports_the_tls_settings_and_their_sources() {
        let env = Environment::new()
            .with_os_user("osuser")
            .with_var("PGSSLROOTCERT", "/ca.pem")
            .with_var("PGSSLSNI", "0")
            .with_var("PGCHANNELBINDING", "require")
            .with_var("PGSSLNEGOTIATION", "direct")
            .with_var("PGSSLCERT", "/c.crt")
            .with_var("PGSSLKEY", "/c.key");
        let settings = ConnectSettings::resolve(Some("host=db.example sslmode=verify-full"), &env)
            .expect("valid");
        let report = ConnectionReport::new(&settings, None, None);
        let expected: Vec<(&str, String)> = [
            ("sslrootcert", "/ca.pem"),
            ("sslcert", "/c.crt"),
            ("sslkey", "/c.key"),
            ("sslsni", "0"),
            ("sslnegotiation", "direct"),
            ("channel_binding", "require"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
        assert_eq!(report.tls, expected);
        for (key, var) in [
            ("sslrootcert", "PGSSLROOTCERT"),
            ("sslcert", "PGSSLCERT"),
            ("sslkey", "PGSSLKEY"),
            ("sslsni", "PGSSLSNI"),
            ("sslnegotiation", "PGSSLNEGOTIATION"),
            ("channel_binding", "PGCHANNELBINDING"),
        ] {
            assert_eq!(report.source(key), Some(var), "{key}");
        }
        assert_eq!(report.source("sslmode"), Some("flag --database-url"));
    }
}
