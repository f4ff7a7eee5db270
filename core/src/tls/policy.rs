//! What sslmode means for one connection, decided from the settings and
//! from facts the runtime gathers (which files exist, their permissions).

use core::net::IpAddr;

use crate::config::{ConnectSettings, Endpoint, Host, SslMode};

use super::error::TlsError;
use super::settings::{ChannelBindingMode, SslNegotiation, TlsSettings};

/// The ALPN protocol name PostgreSQL 17 registered; libpq 17 offers it on
/// every TLS connection and insists on it for direct TLS.
pub const ALPN_POSTGRESQL: &[u8] = b"postgresql";

/// libpq's default files, under the home directory.
const ROOT_CERT_FILE: &str = ".postgresql/root.crt";
const USER_CERT_FILE: &str = ".postgresql/postgresql.crt";
const USER_KEY_FILE: &str = ".postgresql/postgresql.key";

/// How one connection attempt to a server is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attempt {
    /// Startup message in the clear, no SSLRequest.
    Clear,
    /// SSLRequest first; TLS if the server answers `S`.
    SslRequest,
    /// TLS handshake at once, without SSLRequest (`sslnegotiation=direct`).
    DirectTls,
}

/// What the runtime found at a path the policy named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStat {
    /// Nothing there (libpq: ENOENT or ENOTDIR).
    Missing,
    /// Something there.
    Present {
        /// A regular file (not a directory or a device).
        regular: bool,
        /// The permission bits (`st_mode & 0o7777`).
        mode: u32,
        /// Owned by the effective user of this process.
        owned_by_us: bool,
        /// Owned by root.
        owned_by_root: bool,
    },
    /// It could not be examined (permission denied on a directory...).
    Unreadable(String),
}

/// Where the CA certificates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roots {
    /// None: the certificate is not verified at all.
    None,
    /// A PEM file of CA certificates.
    File(String),
    /// The operating system's trusted roots (`sslrootcert=system`).
    System,
}

/// How the server's certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Not at all: encryption without authentication (`require` without a
    /// root file, `prefer`, `allow`).
    None,
    /// It must chain to the roots (`verify-ca`, and libpq's rule that any
    /// mode verifies the chain when a root file exists).
    Chain,
    /// It must chain to the roots and name this host (`verify-full`).
    ChainAndHost(ServerIdentity),
}

/// The name or address verify-full checks the certificate against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerIdentity {
    /// A DNS name, matched against the certificate's DNS names.
    Name(String),
    /// An IP literal, matched against the certificate's IP addresses.
    Address(IpAddr),
}

/// A client certificate and its key, both known to exist and the key to
/// have safe permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    /// PEM certificate chain file.
    pub cert: String,
    /// PEM private key file.
    pub key: String,
}

/// Everything a runtime needs for one TLS handshake with one server: what
/// to load, what to send, what to check. The runtime decides nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsRequirements {
    /// The CA certificates to load.
    pub roots: Roots,
    /// What must hold of the server's certificate.
    pub verification: Verification,
    /// The client certificate to present, if any.
    pub client: Option<ClientIdentity>,
    /// The host name to send as SNI, if any (never an IP literal).
    pub sni: Option<String>,
    /// The ALPN protocol to offer.
    pub alpn: &'static [u8],
    /// Whether the server must have agreed to that ALPN protocol.
    pub alpn_required: bool,
    /// Whether and how SCRAM binds to this channel.
    pub channel_binding: ChannelBindingMode,
}

/// sslmode and its companions, resolved to libpq's decisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsPolicy {
    /// sslmode as resolved (`sslrootcert=system` already made it verify-full).
    pub mode: SslMode,
    /// The TLS settings config does not hold.
    pub settings: TlsSettings,
    /// `sslrootcert` as given.
    pub root_cert: Option<String>,
    /// `sslcert` as given.
    pub cert: Option<String>,
    /// `sslkey` as given.
    pub key: Option<String>,
    /// The home directory, for libpq's default file names.
    pub home: Option<String>,
}

impl TlsPolicy {
    /// The policy for `settings`; `home` locates `~/.postgresql/*`.
    ///
    /// # Errors
    ///
    /// [`TlsError::DirectNeedsStrongMode`]: libpq refuses direct TLS with
    /// a mode that could fall back to the clear, since direct TLS has no
    /// way to ask first.
    pub fn new(
        settings: &ConnectSettings,
        tls: TlsSettings,
        home: Option<&str>,
    ) -> Result<TlsPolicy, TlsError> {
        let direct = tls.negotiation == SslNegotiation::Direct;
        if direct
            && matches!(
                settings.ssl_mode,
                SslMode::Disable | SslMode::Allow | SslMode::Prefer
            )
        {
            return Err(TlsError::DirectNeedsStrongMode {
                mode: settings.ssl_mode.to_string(),
            });
        }
        let given = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
        Ok(TlsPolicy {
            mode: settings.ssl_mode,
            settings: tls,
            root_cert: given(&settings.ssl_root_cert),
            cert: given(&settings.ssl_cert),
            key: given(&settings.ssl_key),
            home: home.map(str::to_string),
        })
    }

    /// The attempts to make on `endpoint`, in order. After an attempt fails
    /// with a TLS handshake error or with an error from the server before
    /// the session is ready (libpq retries even a refused password), the
    /// next one is made on a new socket; when none is left, the endpoint
    /// has failed. Unix sockets never use TLS, whatever the mode.
    pub fn attempts(&self, endpoint: &Endpoint) -> &'static [Attempt] {
        if endpoint.is_socket() {
            return &[Attempt::Clear];
        }
        let tls = match self.settings.negotiation {
            SslNegotiation::Postgres => Attempt::SslRequest,
            SslNegotiation::Direct => Attempt::DirectTls,
        };
        match (self.mode, tls) {
            (SslMode::Disable, _) => &[Attempt::Clear],
            (SslMode::Allow, _) => &[Attempt::Clear, Attempt::SslRequest],
            (SslMode::Prefer, _) => &[Attempt::SslRequest, Attempt::Clear],
            (_, Attempt::DirectTls) => &[Attempt::DirectTls],
            _ => &[Attempt::SslRequest],
        }
    }

    /// The server answered SSLRequest with `N`.
    ///
    /// # Errors
    ///
    /// [`TlsError::ServerRefused`] for require, verify-ca and verify-full;
    /// otherwise the session goes on in the clear on the same socket.
    pub fn on_refused(&self) -> Result<(), TlsError> {
        match self.mode {
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                Err(TlsError::ServerRefused {
                    mode: self.mode.to_string(),
                })
            }
            SslMode::Disable | SslMode::Allow | SslMode::Prefer => Ok(()),
        }
    }

    /// The files the runtime should examine with [`FileStat`] before a
    /// handshake: the root file, the client certificate, and its key.
    pub fn files_to_examine(&self) -> Vec<String> {
        [self.root_path(), self.cert_path(), self.key_path()]
            .into_iter()
            .flatten()
            .collect()
    }

    /// The handshake for `endpoint`, given what `stat` says about the
    /// files of [`files_to_examine`](Self::files_to_examine).
    ///
    /// # Errors
    ///
    /// A missing root file under verify-ca/verify-full, a client
    /// certificate without a usable key, or verify-full without a host
    /// name.
    pub fn requirements(
        &self,
        endpoint: &Endpoint,
        stat: &dyn Fn(&str) -> FileStat,
    ) -> Result<TlsRequirements, TlsError> {
        let host = match &endpoint.host {
            Host::Tcp(name) => name.as_str(),
            Host::Unix(_) => "",
        };
        let roots = self.roots(stat)?;
        let verification = match (&roots, self.mode) {
            (Roots::None, _) => Verification::None,
            (_, SslMode::VerifyFull) => Verification::ChainAndHost(identity(host)?),
            _ => Verification::Chain,
        };
        let sni = (self.settings.sni && !host.is_empty() && host.parse::<IpAddr>().is_err())
            .then(|| host.to_string());
        Ok(TlsRequirements {
            roots,
            verification,
            client: self.client(stat)?,
            sni,
            alpn: ALPN_POSTGRESQL,
            alpn_required: self.settings.negotiation == SslNegotiation::Direct,
            channel_binding: self.settings.channel_binding,
        })
    }

    fn root_path(&self) -> Option<String> {
        match self.root_cert.as_deref() {
            Some("system") => None,
            Some(path) => Some(path.to_string()),
            None => self.home_file(ROOT_CERT_FILE),
        }
    }

    fn cert_path(&self) -> Option<String> {
        self.cert.clone().or_else(|| self.home_file(USER_CERT_FILE))
    }

    fn key_path(&self) -> Option<String> {
        self.key.clone().or_else(|| self.home_file(USER_KEY_FILE))
    }

    fn home_file(&self, name: &str) -> Option<String> {
        let home = self.home.as_deref().filter(|h| !h.is_empty())?;
        Some(format!("{}/{name}", home.trim_end_matches('/')))
    }

    /// libpq: `system` means the platform's roots; otherwise a root file
    /// that exists is always used (even under `require` and `prefer`,
    /// which then verify the chain), and one that does not is an error
    /// only for the verify modes.
    fn roots(&self, stat: &dyn Fn(&str) -> FileStat) -> Result<Roots, TlsError> {
        if self.root_cert.as_deref() == Some("system") {
            return Ok(Roots::System);
        }
        let path = self.root_path();
        if let Some(path) = &path {
            if matches!(stat(path), FileStat::Present { .. }) {
                return Ok(Roots::File(path.clone()));
            }
        }
        let mode = self.mode.to_string();
        match (self.mode, path) {
            (SslMode::VerifyCa | SslMode::VerifyFull, Some(path)) => {
                Err(TlsError::RootCertMissing { path, mode })
            }
            (SslMode::VerifyCa | SslMode::VerifyFull, None) => {
                Err(TlsError::NoHomeForRootCert { mode })
            }
            _ => Ok(Roots::None),
        }
    }

    /// libpq: a missing certificate file means "no client certificate",
    /// but a certificate without a safe key is an error.
    fn client(&self, stat: &dyn Fn(&str) -> FileStat) -> Result<Option<ClientIdentity>, TlsError> {
        let Some(cert) = self.cert_path() else {
            return Ok(None);
        };
        match stat(&cert) {
            FileStat::Missing => return Ok(None),
            FileStat::Unreadable(reason) => {
                return Err(TlsError::CertificateFile { path: cert, reason });
            }
            FileStat::Present { .. } => {}
        }
        let Some(key) = self.key_path() else {
            return Err(TlsError::KeyMissing {
                cert,
                key: USER_KEY_FILE.to_string(),
            });
        };
        check_key_file(&key, &stat(&key)).map_err(|e| match e {
            KeyProblem::Missing => TlsError::KeyMissing {
                cert: cert.clone(),
                key: key.clone(),
            },
            KeyProblem::Error(e) => e,
        })?;
        Ok(Some(ClientIdentity { cert, key }))
    }
}

enum KeyProblem {
    Missing,
    Error(TlsError),
}

/// libpq's rule for a client key: a regular file, 0600 or less when ours,
/// 0640 or less when root's (system-wide keys), anything when someone
/// else's (libpq does not check those).
fn check_key_file(path: &str, stat: &FileStat) -> Result<(), KeyProblem> {
    match *stat {
        FileStat::Missing => Err(KeyProblem::Missing),
        FileStat::Unreadable(ref reason) => Err(KeyProblem::Error(TlsError::KeyUnreadable {
            path: path.to_string(),
            reason: reason.clone(),
        })),
        FileStat::Present { regular: false, .. } => {
            Err(KeyProblem::Error(TlsError::KeyNotRegular {
                path: path.to_string(),
            }))
        }
        FileStat::Present {
            mode,
            owned_by_us,
            owned_by_root,
            ..
        } => {
            let loose = (owned_by_us && mode & 0o077 != 0) || (owned_by_root && mode & 0o037 != 0);
            if loose {
                return Err(KeyProblem::Error(TlsError::KeyPermissions {
                    path: path.to_string(),
                    mode: mode & 0o7777,
                }));
            }
            Ok(())
        }
    }
}

fn identity(host: &str) -> Result<ServerIdentity, TlsError> {
    if host.is_empty() {
        return Err(TlsError::NoHostToVerify);
    }
    Ok(match host.parse::<IpAddr>() {
        Ok(addr) => ServerIdentity::Address(addr),
        Err(_) => ServerIdentity::Name(host.to_string()),
    })
}

/// What to set `sslrootcert` to after an unknown-issuer failure: the file
/// in use is the wrong one, or there is none yet.
pub fn unknown_issuer(roots: &Roots) -> TlsError {
    let hint = match roots {
        Roots::File(path) => format!(
            "<file with the CA that signed the server's certificate>; \"{path}\" does not hold it"
        ),
        Roots::System => {
            "<file with the CA that signed the server's certificate>; the system's roots do not \
             hold it"
                .to_string()
        }
        Roots::None => "<file with the CA that signed the server's certificate>".to_string(),
    };
    TlsError::UnknownIssuer { hint }
}

/// verify-full failed because the certificate is for other names; libpq
/// names the first of them and counts the rest.
pub fn host_mismatch(host: &str, presented: &[String]) -> TlsError {
    match presented.split_first() {
        Some((first, rest)) => TlsError::HostMismatch {
            host: host.to_string(),
            first: first.clone(),
            others: rest.len(),
        },
        None => TlsError::NoNamesInCertificate,
    }
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
