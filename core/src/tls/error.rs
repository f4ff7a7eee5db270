//! Why a TLS connection could not be made or authenticated, in words that
//! say what to change. The first part of each message is libpq's wording
//! where libpq has one, so that a user can search for it.

/// A TLS decision that ends the connection attempt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    /// The server answered SSLRequest with `N` and the sslmode needs TLS.
    #[error(
        "server does not support SSL, but sslmode={mode}: enable ssl on the server, \
         or use sslmode=prefer to accept an unencrypted connection"
    )]
    ServerRefused {
        /// The sslmode in force.
        mode: String,
    },
    /// verify-ca/verify-full without a CA file to verify against.
    #[error(
        "root certificate file \"{path}\" does not exist, and sslmode={mode} needs it to \
         verify the server: provide the file, use sslrootcert=system for the system's \
         trusted roots, or choose an sslmode that does not verify the certificate"
    )]
    RootCertMissing {
        /// The file looked for.
        path: String,
        /// The sslmode in force.
        mode: String,
    },
    /// As [`TlsError::RootCertMissing`], when no home directory was found to
    /// look for `~/.postgresql/root.crt` in.
    #[error(
        "could not get the home directory to locate the root certificate file, and \
         sslmode={mode} needs it to verify the server: set sslrootcert to the CA's file, \
         or sslrootcert=system for the system's trusted roots"
    )]
    NoHomeForRootCert {
        /// The sslmode in force.
        mode: String,
    },
    /// The server's certificate does not chain to a trusted root.
    #[error("certificate verify failed: unknown issuer (set sslrootcert={hint})")]
    UnknownIssuer {
        /// What to set sslrootcert to.
        hint: String,
    },
    /// The certificate chains to a trusted root but is not valid for some
    /// other reason (expired, not yet valid, wrong usage, revoked...).
    #[error("certificate verify failed: {reason}")]
    CertificateInvalid {
        /// What the verifier said.
        reason: String,
    },
    /// verify-full, and the certificate names other hosts.
    #[error(
        "hostname {host} does not match certificate for {first}{others}: connect with a name \
         the certificate holds, or use sslmode=verify-ca to skip the host name check",
        others = others_text(*others)
    )]
    HostMismatch {
        /// The host connected to.
        host: String,
        /// The first name the certificate holds.
        first: String,
        /// How many more names it holds.
        others: usize,
    },
    /// verify-full, and the certificate names no host at all.
    #[error(
        "could not get the server's host name from its certificate, so sslmode=verify-full cannot check it"
    )]
    NoNamesInCertificate,
    /// verify-full needs a host name to check, and there is only an address.
    #[error("host name must be specified for a verified SSL connection (sslmode=verify-full)")]
    NoHostToVerify,
    /// The client certificate file exists but could not be read.
    #[error("could not open certificate file \"{path}\": {reason}")]
    CertificateFile {
        /// The file.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// A client certificate without its key.
    #[error(
        "certificate present, but not private key file \"{key}\": set sslkey to the key of \
         \"{cert}\""
    )]
    KeyMissing {
        /// The certificate file found.
        cert: String,
        /// The key file looked for.
        key: String,
    },
    /// The key file exists but could not be examined.
    #[error("could not stat private key file \"{path}\": {reason}")]
    KeyUnreadable {
        /// The file.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The key file is a directory or a device.
    #[error("private key file \"{path}\" is not a regular file")]
    KeyNotRegular {
        /// The file.
        path: String,
    },
    /// Others may read the key file (libpq's rule).
    #[error(
        "private key file \"{path}\" has group or world access (mode {mode:04o}); it must be \
         u=rw (0600) or less if owned by the current user, or u=rw,g=r (0640) or less if \
         owned by root: run chmod 0600 \"{path}\""
    )]
    KeyPermissions {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// `sslnegotiation=direct` with an sslmode that might go in the clear.
    #[error(
        "weak sslmode \"{mode}\" may not be used with sslnegotiation=direct: use require, \
         verify-ca or verify-full"
    )]
    DirectNeedsStrongMode {
        /// The sslmode in force.
        mode: String,
    },
    /// Direct TLS, and the server did not agree to ALPN `postgresql`.
    #[error(
        "direct SSL connection was established without the ALPN protocol \"postgresql\": the \
         server is older than PostgreSQL 17 or not PostgreSQL; use sslnegotiation=postgres"
    )]
    AlpnMissing,
    /// channel_binding=require, and SCRAM-SHA-256-PLUS is not possible.
    #[error(
        "channel binding is required, but server did not offer an authentication method that \
         supports channel binding (it needs SCRAM over TLS): use channel_binding=prefer or \
         fix the server's authentication"
    )]
    BindingNotOffered,
    /// channel_binding=require, and the server asked for a password method
    /// that cannot bind (so the password must not be sent).
    #[error(
        "channel binding required but not supported by server's authentication request \
         ({method}): use channel_binding=prefer or make the server use scram-sha-256"
    )]
    BindingNotSupported {
        /// The method the server asked for.
        method: String,
    },
    /// channel_binding=require, and the server accepted us without SCRAM
    /// (trust, peer, a certificate): it never proved it knows the password.
    #[error(
        "channel binding required, but server authenticated client without channel binding: \
         use channel_binding=prefer or make the server use scram-sha-256"
    )]
    AuthenticatedWithoutBinding,
    /// SCRAM-SHA-256-PLUS offered on a connection without TLS: TLS was
    /// stripped on the way, or the server is confused.
    #[error(
        "server offered SCRAM-SHA-256-PLUS authentication over a non-SSL connection; \
         something between us and the server may have removed TLS"
    )]
    PlusWithoutTls,
    /// No SASL mechanism we know.
    #[error(
        "none of the server's SASL authentication mechanisms are supported (offered: {offered})"
    )]
    NoSupportedMechanism {
        /// What the server offered, comma separated.
        offered: String,
    },
    /// The certificate's signature algorithm names no hash to bind with.
    #[error(
        "cannot compute channel binding data: the server certificate's signature algorithm \
         {algorithm} has no hash for tls-server-end-point; set channel_binding=disable"
    )]
    UnsupportedSignature {
        /// The algorithm's object identifier, dotted.
        algorithm: String,
    },
    /// The server's certificate could not be parsed.
    #[error("server certificate is not valid DER: {0}")]
    MalformedCertificate(String),
}

impl TlsError {
    /// Whether the error comes from the settings or the files they name,
    /// so that every host would fail the same way: trying the next one is
    /// pointless.
    pub fn is_setting(&self) -> bool {
        matches!(
            self,
            TlsError::RootCertMissing { .. }
                | TlsError::NoHomeForRootCert { .. }
                | TlsError::CertificateFile { .. }
                | TlsError::KeyMissing { .. }
                | TlsError::KeyUnreadable { .. }
                | TlsError::KeyNotRegular { .. }
                | TlsError::KeyPermissions { .. }
                | TlsError::DirectNeedsStrongMode { .. }
        )
    }
}

fn others_text(others: usize) -> String {
    match others {
        0 => String::new(),
        1 => " (and 1 other name)".to_string(),
        n => format!(" (and {n} other names)"),
    }
}
