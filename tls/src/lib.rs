//! The TLS client configuration both runtimes use, executing what a
//! [`TlsRequirements`] from `core::tls` says: which roots, what to verify
//! (none, verify-ca, verify-full as libpq means them), which client
//! certificate, SNI and ALPN, and the tls-server-end-point data for
//! channel binding after the handshake. Every sslmode decision was made in
//! the core; the runtimes only drive the handshake on their own sockets
//! (rustls's `ClientConnection` here is sans-IO, so the blocking runtime
//! uses it with `complete_io` and the async one through futures-rustls).

mod blocking;

pub use blocking::{TlsStream, handshake};

use std::io;
use std::os::unix::fs::MetadataExt;
use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::server::ParsedCertificate;
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore,
    SignatureScheme,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use sequelae_core::client_error::ClientError;
use sequelae_core::tls::{
    ChannelBindingMode, FileStat, Roots, ServerIdentity, TlsError, TlsRequirements, Verification,
    host_mismatch, tls_server_end_point, unknown_issuer,
};
use sequelae_core::wire::Error as WireError;

/// Why the handshake did not give a TLS session.
#[derive(Debug, thiserror::Error)]
pub enum TlsHandshakeError {
    /// A decision of the core's policy failed (verification, channel
    /// binding, ALPN): its message says what to change.
    #[error("{0}")]
    Policy(#[from] TlsError),
    /// A certificate or key file could not be used.
    #[error("could not load {what} \"{path}\": {reason}")]
    File {
        /// Which file it is (root certificates, client certificate...).
        what: &'static str,
        /// The path.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The TLS library refused the configuration.
    #[error("TLS setup failed: {0}")]
    Setup(String),
    /// The handshake failed on the wire (server closed, protocol error).
    #[error("TLS handshake failed: {0}")]
    Handshake(io::Error),
}

impl TlsHandshakeError {
    /// What a failed handshake is for a caller of a runtime's client:
    /// the core policy's refusal (unknown issuer, host mismatch, ALPN) is
    /// a startup failure whose message says what to change; anything else
    /// is a connection failure.
    pub fn into_client_error(self, endpoint: String) -> ClientError {
        match self {
            TlsHandshakeError::Policy(source) => ClientError::Startup {
                endpoint,
                source: WireError::Tls(source),
            },
            TlsHandshakeError::Handshake(source) => ClientError::Connect { endpoint, source },
            other => ClientError::Connect {
                endpoint,
                source: io::Error::other(other.to_string()),
            },
        }
    }
}

/// A client ready to shake hands: the rustls configuration and the name
/// to give it, plus the verifier, which keeps the core's wording of a
/// refusal (rustls only passes on its own error type).
#[derive(Debug)]
pub struct TlsClient {
    /// The rustls configuration: hand it to a `ClientConnection` (or a
    /// futures-rustls connector).
    pub config: Arc<ClientConfig>,
    /// The server name for the connection (SNI when sent).
    pub server_name: ServerName<'static>,
    verifier: Arc<PolicyVerifier>,
}

impl TlsClient {
    /// Builds the configuration `req` asks for; `host` is the endpoint's
    /// host, for messages and for verify-full.
    ///
    /// # Errors
    ///
    /// A root, certificate or key file that cannot be used, or a
    /// configuration rustls refuses.
    pub fn new(req: &TlsRequirements, host: &str) -> Result<TlsClient, TlsHandshakeError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = Arc::new(PolicyVerifier {
            roots: load_roots(&req.roots)?,
            roots_source: req.roots.clone(),
            verification: req.verification.clone(),
            host: host.to_string(),
            algorithms: provider.signature_verification_algorithms,
            failure: Mutex::new(None),
        });
        let mut config = client_config(provider, verifier.clone(), req)?;
        config.enable_sni = req.sni.is_some();
        config.alpn_protocols = vec![req.alpn.to_vec()];
        Ok(TlsClient {
            config: Arc::new(config),
            server_name: server_name(req, host),
            verifier,
        })
    }

    /// What a failed handshake means: the core's message when our
    /// verifier refused the certificate, else the transport's error.
    pub fn failed(&self, error: io::Error) -> TlsHandshakeError {
        let recorded = self
            .verifier
            .failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match recorded {
            Some(policy) => TlsHandshakeError::Policy(policy),
            None => TlsHandshakeError::Handshake(error),
        }
    }

    /// After the handshake: checks ALPN where it is required and gives
    /// the channel-binding data (see [`channel_binding`]).
    ///
    /// # Errors
    ///
    /// ALPN missing for direct TLS, or binding data that cannot be
    /// computed when binding is required.
    pub fn established(
        &self,
        conn: &ClientConnection,
        req: &TlsRequirements,
    ) -> Result<Option<Vec<u8>>, TlsHandshakeError> {
        if req.alpn_required && conn.alpn_protocol() != Some(req.alpn) {
            return Err(TlsError::AlpnMissing.into());
        }
        Ok(channel_binding(conn, req.channel_binding)?)
    }
}

fn client_config(
    provider: Arc<CryptoProvider>,
    verifier: Arc<PolicyVerifier>,
    req: &TlsRequirements,
) -> Result<ClientConfig, TlsHandshakeError> {
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsHandshakeError::Setup(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let Some(identity) = &req.client else {
        return Ok(builder.with_no_client_auth());
    };
    let chain = CertificateDer::pem_file_iter(&identity.cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| file_error("client certificate", &identity.cert, e))?;
    let key = PrivateKeyDer::from_pem_file(&identity.key)
        .map_err(|e| file_error("client key", &identity.key, e))?;
    builder
        .with_client_auth_cert(chain, key)
        .map_err(|e| TlsHandshakeError::File {
            what: "client certificate and key",
            path: identity.cert.clone(),
            reason: e.to_string(),
        })
}

fn file_error(
    what: &'static str,
    path: &str,
    e: rustls_pki_types::pem::Error,
) -> TlsHandshakeError {
    TlsHandshakeError::File {
        what,
        path: path.to_string(),
        reason: e.to_string(),
    }
}

fn load_roots(roots: &Roots) -> Result<RootCertStore, TlsHandshakeError> {
    let mut store = RootCertStore::empty();
    match roots {
        Roots::None => {}
        Roots::File(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| file_error("root certificate file", path, e))?;
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(TlsHandshakeError::File {
                    what: "root certificate file",
                    path: path.clone(),
                    reason: "it holds no usable certificate".into(),
                });
            }
        }
        Roots::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(TlsHandshakeError::File {
                    what: "the system's root certificates",
                    path: "system".into(),
                    reason: found
                        .errors
                        .first()
                        .map_or_else(|| "none found".to_string(), ToString::to_string),
                });
            }
        }
    }
    Ok(store)
}

/// The name rustls is given: the SNI name when one is sent, else the
/// host if it parses (verification does not use it: the verifier holds
/// its own identity), else a placeholder that is never sent.
fn server_name(req: &TlsRequirements, host: &str) -> ServerName<'static> {
    let candidate = req.sni.as_deref().unwrap_or(host);
    ServerName::try_from(candidate.to_string())
        .unwrap_or_else(|_| ServerName::IpAddress(std::net::Ipv4Addr::UNSPECIFIED.into()))
}

/// The tls-server-end-point data of the server's certificate, for
/// SCRAM-SHA-256-PLUS; failure to compute it only matters when binding is
/// required.
pub fn channel_binding(
    conn: &ClientConnection,
    mode: ChannelBindingMode,
) -> Result<Option<Vec<u8>>, TlsError> {
    if mode == ChannelBindingMode::Disable {
        return Ok(None);
    }
    let Some(leaf) = conn.peer_certificates().and_then(<[_]>::first) else {
        return Ok(None);
    };
    match (tls_server_end_point(leaf.as_ref()), mode) {
        (Ok(data), _) => Ok(Some(data)),
        (Err(e), ChannelBindingMode::Require) => Err(e),
        (Err(_), _) => Ok(None),
    }
}

/// verify-ca and verify-full as libpq means them, and no check at all
/// when the policy says none. Handshake signatures are always checked, so
/// that the certificate presented is the one the channel binds to.
#[derive(Debug)]
struct PolicyVerifier {
    roots: RootCertStore,
    roots_source: Roots,
    verification: Verification,
    host: String,
    algorithms: WebPkiSupportedAlgorithms,
    /// The core's message for the last refusal, since rustls only passes
    /// on its own error type.
    failure: Mutex<Option<TlsError>>,
}

impl PolicyVerifier {
    fn refuse(&self, error: TlsError) -> rustls::Error {
        *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
        rustls::Error::General("server certificate refused".into())
    }

    fn translate(&self, error: rustls::Error) -> TlsError {
        match error {
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
                unknown_issuer(&self.roots_source)
            }
            rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
                presented,
                ..
            }) => {
                let names: Vec<String> = presented.iter().map(|n| plain_name(n)).collect();
                host_mismatch(&self.host, &names)
            }
            rustls::Error::InvalidCertificate(CertificateError::NotValidForName) => {
                host_mismatch(&self.host, &[])
            }
            other => TlsError::CertificateInvalid {
                reason: other.to_string(),
            },
        }
    }
}

/// rustls-webpki lists a certificate's names in their `Debug` form
/// (`DnsName("db.example")`); users know them as `db.example`.
fn plain_name(presented: &str) -> String {
    presented
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .map(|inner| inner.trim_matches('"'))
        .unwrap_or(presented)
        .to_string()
}

impl ServerCertVerifier for PolicyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let identity = match &self.verification {
            Verification::None => return Ok(ServerCertVerified::assertion()),
            Verification::Chain => None,
            Verification::ChainAndHost(identity) => Some(identity),
        };
        let checked = ParsedCertificate::try_from(end_entity).and_then(|cert| {
            verify_server_cert_signed_by_trust_anchor(
                &cert,
                &self.roots,
                intermediates,
                now,
                self.algorithms.all,
            )?;
            if let Some(identity) = identity {
                let name = match identity {
                    ServerIdentity::Name(name) => {
                        ServerName::try_from(name.as_str()).map_err(|_| {
                            rustls::Error::General(format!(
                                "host name \"{name}\" is not a valid DNS name to check the \
                                 certificate against"
                            ))
                        })?
                    }
                    ServerIdentity::Address(addr) => ServerName::IpAddress((*addr).into()),
                };
                verify_server_name(&cert, &name)?;
            }
            Ok(())
        });
        match checked {
            Ok(()) => Ok(ServerCertVerified::assertion()),
            Err(e) => Err(self.refuse(self.translate(e))),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// What the core's policy needs to know about a certificate or key file
/// ([`sequelae_core::tls::TlsPolicy::requirements`]).
pub fn file_stat(path: &str) -> FileStat {
    match std::fs::metadata(path) {
        Ok(meta) => FileStat::Present {
            regular: meta.is_file(),
            mode: meta.mode() & 0o7777,
            owned_by_us: is_ours(meta.uid()),
            owned_by_root: meta.uid() == 0,
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => FileStat::Missing,
        // ENOTDIR: a path through a regular file, which libpq also takes
        // for "not there".
        Err(e) if e.raw_os_error() == Some(20) => FileStat::Missing,
        Err(e) => FileStat::Unreadable(e.to_string()),
    }
}

#[cfg(target_os = "linux")]
fn is_ours(uid: u32) -> bool {
    uid == rustix::process::geteuid().as_raw()
}

/// Without a way to ask for the effective user here, every owner but root
/// counts as us: the stricter 0600 rule then applies.
#[cfg(not(target_os = "linux"))]
fn is_ours(uid: u32) -> bool {
    uid != 0
}

#[cfg(test)]
mod tests {
    use super::plain_name;

    #[test]
    fn presented_names_lose_their_debug_wrapping() {
        assert_eq!(plain_name("DnsName(\"db.example\")"), "db.example");
        assert_eq!(plain_name("IpAddress(127.0.0.1)"), "127.0.0.1");
        assert_eq!(plain_name("db.example"), "db.example");
    }
}
