//! SCRAM channel binding as libpq does it: which mechanism to answer the
//! server's offer with, which authentication requests to refuse, and the
//! `tls-server-end-point` data (RFC 5929) from the server's certificate.

use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use super::der;
use super::error::TlsError;
use super::settings::ChannelBindingMode;

/// The SASL mechanism names.
pub const SCRAM_SHA_256: &str = "SCRAM-SHA-256";
/// The channel-binding variant.
pub const SCRAM_SHA_256_PLUS: &str = "SCRAM-SHA-256-PLUS";

/// How to answer the server's SASL offer; each maps to a GS2 header flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScramChoice {
    /// SCRAM-SHA-256-PLUS with tls-server-end-point (`p=`).
    Plus,
    /// SCRAM-SHA-256, telling the server we could bind but it did not
    /// offer to (`y`): a server that did offer will see the downgrade.
    PlainCouldBind,
    /// SCRAM-SHA-256 without binding (`n`): no TLS, or binding disabled.
    Plain,
}

impl ScramChoice {
    /// The mechanism name to send.
    pub fn mechanism(self) -> &'static str {
        match self {
            ScramChoice::Plus => SCRAM_SHA_256_PLUS,
            ScramChoice::PlainCouldBind | ScramChoice::Plain => SCRAM_SHA_256,
        }
    }
}

/// Chooses the SCRAM mechanism from the server's `offered` list.
///
/// # Errors
///
/// PLUS offered without TLS (stripped TLS), nothing we support, or
/// channel_binding=require without PLUS.
pub fn choose_scram(
    mode: ChannelBindingMode,
    over_tls: bool,
    offered: &[&str],
) -> Result<ScramChoice, TlsError> {
    let plus = offered.contains(&SCRAM_SHA_256_PLUS);
    let plain = offered.contains(&SCRAM_SHA_256);
    if plus && !over_tls {
        return Err(TlsError::PlusWithoutTls);
    }
    let choice = if plus && mode != ChannelBindingMode::Disable {
        ScramChoice::Plus
    } else if plain || plus {
        if over_tls && mode != ChannelBindingMode::Disable {
            ScramChoice::PlainCouldBind
        } else {
            ScramChoice::Plain
        }
    } else {
        return Err(TlsError::NoSupportedMechanism {
            offered: offered.join(", "),
        });
    };
    if mode == ChannelBindingMode::Require && choice != ScramChoice::Plus {
        return Err(TlsError::BindingNotOffered);
    }
    Ok(choice)
}

/// What the server asked or said during authentication, for
/// [`check_auth_request`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthRequest<'a> {
    /// A SASL step (start, continue or final).
    Sasl,
    /// AuthenticationOk; `bound` tells whether a SCRAM-PLUS exchange
    /// completed before it.
    Ok {
        /// Channel binding took place.
        bound: bool,
    },
    /// Any other method (cleartext or MD5 password, GSS, SSPI), named.
    Other(&'a str),
}

/// libpq's guard for `channel_binding=require`: no password is sent to a
/// server that asks for it in a way that cannot bind, and a server that
/// lets us in without binding is not trusted.
///
/// # Errors
///
/// [`TlsError::BindingNotSupported`] or
/// [`TlsError::AuthenticatedWithoutBinding`].
pub fn check_auth_request(
    mode: ChannelBindingMode,
    request: AuthRequest<'_>,
) -> Result<(), TlsError> {
    if mode != ChannelBindingMode::Require {
        return Ok(());
    }
    match request {
        AuthRequest::Sasl | AuthRequest::Ok { bound: true } => Ok(()),
        AuthRequest::Ok { bound: false } => Err(TlsError::AuthenticatedWithoutBinding),
        AuthRequest::Other(method) => Err(TlsError::BindingNotSupported {
            method: method.to_string(),
        }),
    }
}

/// The hash tls-server-end-point uses for a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndPointHash {
    /// SHA-224.
    Sha224,
    /// SHA-256, also for MD5 and SHA-1 signatures (RFC 5929 §4.1).
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl EndPointHash {
    /// The hash for a certificate, from its signature algorithm.
    ///
    /// # Errors
    ///
    /// Malformed DER, or an algorithm without a hash (Ed25519, Ed448).
    pub fn for_certificate(cert_der: &[u8]) -> Result<EndPointHash, TlsError> {
        let (algorithm, params) = der::signature_algorithm(cert_der)
            .map_err(|e| TlsError::MalformedCertificate(e.to_string()))?;
        let hash = match algorithm {
            oid::RSA_PSS => der::pss_hash(params)
                .map_err(|e| TlsError::MalformedCertificate(e.to_string()))?
                .map_or(Some(EndPointHash::Sha256), hash_by_oid),
            other => signature_hash(other),
        };
        hash.ok_or_else(|| TlsError::UnsupportedSignature {
            algorithm: der::dotted(algorithm),
        })
    }

    /// Hashes `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            EndPointHash::Sha224 => Sha224::digest(data).to_vec(),
            EndPointHash::Sha256 => Sha256::digest(data).to_vec(),
            EndPointHash::Sha384 => Sha384::digest(data).to_vec(),
            EndPointHash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
}

/// The channel-binding data for SCRAM-SHA-256-PLUS: the hash of the
/// server's leaf certificate (DER), by [`EndPointHash::for_certificate`].
///
/// # Errors
///
/// As [`EndPointHash::for_certificate`].
pub fn tls_server_end_point(cert_der: &[u8]) -> Result<Vec<u8>, TlsError> {
    Ok(EndPointHash::for_certificate(cert_der)?.digest(cert_der))
}

/// Object identifiers (DER content bytes) of the signature algorithms.
mod oid {
    const RSA: [u8; 8] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
    const fn rsa(last: u8) -> [u8; 9] {
        [
            RSA[0], RSA[1], RSA[2], RSA[3], RSA[4], RSA[5], RSA[6], RSA[7], last,
        ]
    }
    pub(super) const MD5_RSA: &[u8] = &rsa(0x04);
    pub(super) const SHA1_RSA: &[u8] = &rsa(0x05);
    pub(super) const RSA_PSS: &[u8] = &rsa(0x0a);
    pub(super) const SHA256_RSA: &[u8] = &rsa(0x0b);
    pub(super) const SHA384_RSA: &[u8] = &rsa(0x0c);
    pub(super) const SHA512_RSA: &[u8] = &rsa(0x0d);
    pub(super) const SHA224_RSA: &[u8] = &rsa(0x0e);
    pub(super) const ECDSA_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01];
    pub(super) const ECDSA_SHA224: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x01];
    pub(super) const ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    pub(super) const ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
    pub(super) const ECDSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
    pub(super) const DSA_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x03];
    pub(super) const DSA_SHA224: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x01];
    pub(super) const DSA_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x02];
    pub(super) const SHA1: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1a];
    pub(super) const MD5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05];
    pub(super) const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    pub(super) const SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
    pub(super) const SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
    pub(super) const SHA224: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04];
}

fn signature_hash(algorithm: &[u8]) -> Option<EndPointHash> {
    use oid::*;
    Some(match algorithm {
        a if [
            MD5_RSA,
            SHA1_RSA,
            SHA256_RSA,
            ECDSA_SHA1,
            ECDSA_SHA256,
            DSA_SHA1,
            DSA_SHA256,
        ]
        .contains(&a) =>
        {
            EndPointHash::Sha256
        }
        a if [SHA224_RSA, ECDSA_SHA224, DSA_SHA224].contains(&a) => EndPointHash::Sha224,
        a if [SHA384_RSA, ECDSA_SHA384].contains(&a) => EndPointHash::Sha384,
        a if [SHA512_RSA, ECDSA_SHA512].contains(&a) => EndPointHash::Sha512,
        _ => return None,
    })
}

fn hash_by_oid(hash: &[u8]) -> Option<EndPointHash> {
    use oid::*;
    Some(match hash {
        h if h == MD5 || h == SHA1 || h == SHA256 => EndPointHash::Sha256,
        h if h == SHA224 => EndPointHash::Sha224,
        h if h == SHA384 => EndPointHash::Sha384,
        h if h == SHA512 => EndPointHash::Sha512,
        _ => return None,
    })
}

#[cfg(test)]
#[path = "binding_tests.rs"]
mod tests;
