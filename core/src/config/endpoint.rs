//! Where to connect: one entry of libpq's host list.

use std::fmt;

/// libpq's default port, used when no port is given (or a list element is
/// empty).
pub const DEFAULT_PORT: u16 = 5432;

/// libpq's default Unix-socket directory on Debian-family systems, where
/// `psql` with no arguments connects.
pub const DEFAULT_SOCKET_DIR: &str = "/var/run/postgresql";

/// How to reach a server: by TCP or through a Unix socket. libpq decides by
/// the first character of the host (`/` means a socket directory), and so
/// do we.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A host name or IP literal, resolved and connected by the runtime.
    /// IPv6 literals are stored without brackets.
    Tcp(String),
    /// The *directory* holding the server's socket; the socket file name
    /// comes from the port (see [`Endpoint::socket_path`]).
    Unix(String),
}

impl Host {
    /// Classifies a host as libpq does: an absolute path is a socket
    /// directory, anything else a TCP host. Brackets around an IPv6 literal
    /// are dropped, since name resolution would not accept them.
    pub(crate) fn from_libpq(text: &str) -> Host {
        if text.starts_with('/') {
            return Host::Unix(text.to_string());
        }
        match text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            Some(inner) if !inner.is_empty() => Host::Tcp(inner.to_string()),
            _ => Host::Tcp(text.to_string()),
        }
    }

    /// The host as a connection string spells it (socket directory or
    /// name), which is also what `.pgpass` matches against.
    pub fn as_str(&self) -> &str {
        match self {
            Host::Tcp(name) | Host::Unix(name) => name,
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One server to try: a host and its port. Settings hold a list of these,
/// tried in order, as libpq does with `host=a,b port=5432,5433`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// Where the server is.
    pub host: Host,
    /// The TCP port, or for a socket the number in its file name.
    pub port: u16,
    /// The numeric address to connect to instead of resolving `host`
    /// (libpq's `hostaddr`); `host` still names the server for the
    /// password file and messages.
    pub hostaddr: Option<String>,
}

impl Endpoint {
    /// What to open a TCP connection to: the `hostaddr` when given, else
    /// the host name.
    pub fn connect_host(&self) -> &str {
        self.hostaddr
            .as_deref()
            .unwrap_or_else(|| self.host.as_str())
    }

    /// Whether the server is reached through a Unix socket.
    pub fn is_socket(&self) -> bool {
        matches!(self.host, Host::Unix(_))
    }

    /// The socket file to connect to for a Unix endpoint,
    /// `<dir>/.s.PGSQL.<port>` as the server names it; `None` for TCP.
    pub fn socket_path(&self) -> Option<String> {
        match &self.host {
            Host::Unix(dir) => {
                // "/tmp/" and "/tmp" name the same directory; libpq would
                // print "/tmp//.s.PGSQL.5432", which works but reads badly.
                let dir = dir.trim_end_matches('/');
                Some(format!("{dir}/.s.PGSQL.{}", self.port))
            }
            Host::Tcp(_) => None,
        }
    }
}

/// The endpoint in libpq's words, so that "connection to {endpoint} failed"
/// reads as psql's message does: `server on socket "/dir/.s.PGSQL.5432"` or
/// `server at "host", port 5432`.
impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.host, self.socket_path()) {
            (Host::Unix(_), Some(path)) => write!(f, "server on socket \"{path}\""),
            (host, _) => match &self.hostaddr {
                Some(addr) if addr != host.as_str() => {
                    write!(f, "server at \"{host}\" ({addr}), port {}", self.port)
                }
                _ => write!(f, "server at \"{host}\", port {}", self.port),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("/var/run/postgresql", 5432, "/var/run/postgresql/.s.PGSQL.5432")]
    #[case("/tmp/", 5433, "/tmp/.s.PGSQL.5433")]
    #[case("/", 5432, "/.s.PGSQL.5432")]
    fn socket_path_is_dir_plus_port(#[case] dir: &str, #[case] port: u16, #[case] path: &str) {
        let ep = Endpoint {
            host: Host::Unix(dir.to_string()),
            port,
            hostaddr: None,
        };
        assert_eq!(ep.socket_path().as_deref(), Some(path));
        assert_eq!(ep.to_string(), format!("server on socket \"{path}\""));
    }

    #[test]
    fn tcp_has_no_socket_path() {
        let ep = Endpoint {
            host: Host::Tcp("db.example".to_string()),
            port: 5432,
            hostaddr: None,
        };
        assert_eq!(ep.socket_path(), None);
        assert_eq!(ep.to_string(), "server at \"db.example\", port 5432");
    }

    #[test]
    fn ipv6_displays_without_brackets_like_libpq() {
        let ep = Endpoint {
            host: Host::Tcp("::1".to_string()),
            port: 5433,
            hostaddr: None,
        };
        assert_eq!(ep.to_string(), "server at \"::1\", port 5433");
    }

    #[rstest]
    #[case("/tmp", Host::Unix("/tmp".to_string()))]
    #[case("localhost", Host::Tcp("localhost".to_string()))]
    #[case("::1", Host::Tcp("::1".to_string()))]
    #[case("[::1]", Host::Tcp("::1".to_string()))]
    #[case("[]", Host::Tcp("[]".to_string()))]
    fn classifies_like_libpq(#[case] text: &str, #[case] host: Host) {
        assert_eq!(Host::from_libpq(text), host);
    }
}
