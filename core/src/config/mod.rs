//! Connection settings with libpq's conventions, because what users paste
//! is what psql accepts: `postgres://` URIs, `key=value` strings, the `PG*`
//! variables, `DATABASE_URL` and `.pgpass`.
//!
//! Nothing here does I/O. The runtime snapshots the environment into an
//! [`Environment`] and reads the password file into a [`PgPass`]; the core
//! applies the rules, so every runtime resolves the same settings.
//!
//! ```
//! use sequelae_core::config::{ConnectSettings, Environment, Host};
//!
//! let env = Environment::new()
//!     .with_var("PGPORT", "5433")
//!     .with_os_user("alice");
//! let settings = ConnectSettings::resolve(Some("postgresql://db.example/app"), &env).unwrap();
//! assert_eq!(settings.endpoints[0].host, Host::Tcp("db.example".into()));
//! assert_eq!(settings.endpoints[0].port, 5433);
//! assert_eq!(settings.user, "alice");
//! assert_eq!(settings.to_string(), "host=db.example port=5433 user=alice dbname=app");
//! ```

mod conninfo;
mod dotenv;
mod endpoint;
mod environment;
mod error;
mod keywords;
mod os_user;
mod params;
mod password;
mod pgpass;
mod report;
mod service;
mod settings;
mod ssl_mode;
mod target;
mod uri;

pub use dotenv::parse_dotenv;
pub use endpoint::{DEFAULT_PORT, DEFAULT_SOCKET_DIR, Endpoint, Host};
pub use environment::Environment;
pub use error::{ConfigError, Origin, UriPart};
pub use os_user::os_user_from;
pub use password::Password;
pub use pgpass::PgPass;
pub use report::{ConnectionReport, HostReport};
pub use service::DEFAULT_SYSCONFDIR;
pub use settings::ConnectSettings;
pub use ssl_mode::{ParseSslModeError, SslMode};
pub use target::{ParseTargetError, SessionCheck, TargetSessionAttrs};
