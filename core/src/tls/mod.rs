//! TLS as libpq decides it, with no I/O: whether to ask for TLS, what a
//! refusal means, which files to load, what to verify, which SCRAM
//! mechanism binds to the channel, and the messages when any of it fails.
//!
//! A runtime computes a [`TlsPolicy`] from the settings, follows its
//! [`attempts`](TlsPolicy::attempts) per endpoint, examines the files it
//! names, and runs the handshake the [`TlsRequirements`] describe; it
//! reports back the server's certificate for the channel-binding data
//! ([`tls_server_end_point`]). Nothing about sslmode is decided elsewhere,
//! so the blocking and async runtimes behave like psql alike.

mod binding;
mod der;
mod error;
mod policy;
mod settings;

pub use binding::{
    AuthRequest, EndPointHash, SCRAM_SHA_256, SCRAM_SHA_256_PLUS, ScramChoice, check_auth_request,
    choose_scram, tls_server_end_point,
};
pub use error::TlsError;
pub use policy::{
    ALPN_POSTGRESQL, Attempt, ClientIdentity, FileStat, Roots, ServerIdentity, TlsPolicy,
    TlsRequirements, Verification, host_mismatch, unknown_issuer,
};
pub use settings::{ChannelBindingMode, SslNegotiation, TlsSettingError, TlsSettings};
