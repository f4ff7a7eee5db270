//! The authentication exchange: which method the server asked for and the
//! SCRAM conversation in progress.

use bytes::BytesMut;
use postgres_protocol::authentication::{
    md5_hash,
    sasl::{ChannelBinding, ScramSha256},
};
use postgres_protocol::message::frontend;

use crate::tls::{AuthRequest, ChannelBindingMode, ScramChoice, check_auth_request, choose_scram};

use super::auth_method::AuthMethod;
use super::error::Error;

/// What the password exchange still expects.
pub(crate) enum Scram {
    /// SASLInitialResponse sent; waiting for SASLContinue.
    AwaitingContinue(Box<ScramSha256>),
    /// SASLResponse sent; waiting for SASLFinal.
    AwaitingFinal(Box<ScramSha256>),
    /// Server proof verified; waiting for AuthenticationOk.
    Done,
}

/// Credentials and the exchange state for one login.
pub(crate) struct Authenticator {
    pub(crate) user: String,
    password: Option<String>,
    /// `channel_binding`: the rules are core::tls's, applied here.
    binding_mode: ChannelBindingMode,
    /// The session runs over TLS.
    over_tls: bool,
    /// tls-server-end-point data after a TLS handshake, for SCRAM-PLUS.
    channel_binding: Option<Vec<u8>>,
    /// The SCRAM exchange in progress is SCRAM-SHA-256-PLUS.
    bound: bool,
    pub(crate) method: Option<AuthMethod>,
    scram: Option<Scram>,
}

impl Authenticator {
    pub(crate) fn new(
        user: String,
        password: Option<String>,
        binding_mode: ChannelBindingMode,
    ) -> Authenticator {
        Authenticator {
            user,
            password,
            binding_mode,
            over_tls: false,
            channel_binding: None,
            bound: false,
            method: None,
            scram: None,
        }
    }

    /// The session now runs over TLS; `data` is the channel-binding data,
    /// if the certificate gives any.
    pub(crate) fn set_tls(&mut self, data: Option<Vec<u8>>) {
        self.over_tls = true;
        self.channel_binding = data;
    }

    /// libpq's channel_binding=require guard, before any password leaves.
    fn check(&self, request: AuthRequest<'_>) -> Result<(), Error> {
        Ok(check_auth_request(self.binding_mode, request)?)
    }

    fn password(&self, method: AuthMethod) -> Result<&str, Error> {
        self.password
            .as_deref()
            .ok_or_else(|| Error::PasswordRequired {
                user: self.user.clone(),
                method,
            })
    }

    pub(crate) fn cleartext(&mut self, out: &mut BytesMut) -> Result<(), Error> {
        self.method = Some(AuthMethod::Cleartext);
        self.check(AuthRequest::Other("password"))?;
        let password = self.password(AuthMethod::Cleartext)?;
        frontend::password_message(password.as_bytes(), out).map_err(|_| Error::NulInPassword {
            user: self.user.clone(),
        })
    }

    pub(crate) fn md5(&mut self, salt: [u8; 4], out: &mut BytesMut) -> Result<(), Error> {
        self.method = Some(AuthMethod::Md5);
        self.check(AuthRequest::Other("md5"))?;
        let password = self.password(AuthMethod::Md5)?;
        let hash = md5_hash(self.user.as_bytes(), password.as_bytes(), salt);
        // The hash is hex digits: it cannot hold a NUL.
        frontend::password_message(hash.as_bytes(), out).map_err(|_| Error::NulInPassword {
            user: self.user.clone(),
        })
    }

    /// Another method the server asked for (GSSAPI, SSPI...): under
    /// channel_binding=require that refusal comes first, as in libpq.
    pub(crate) fn other(&mut self, name: &str) -> Result<(), Error> {
        self.check(AuthRequest::Other(name))
    }

    /// Picks a mechanism as libpq does ([`choose_scram`]): SCRAM-SHA-256-PLUS
    /// over TLS when offered and not disabled.
    pub(crate) fn sasl_start<'a>(
        &mut self,
        mechanisms: impl Iterator<Item = &'a str>,
        out: &mut BytesMut,
    ) -> Result<(), Error> {
        self.method = Some(AuthMethod::ScramSha256);
        self.check(AuthRequest::Sasl)?;
        let offered: Vec<&str> = mechanisms.collect();
        // Over TLS without binding data (a certificate whose signature
        // names no hash, with binding only preferred): bind nothing.
        let mode = match (&self.channel_binding, self.over_tls) {
            (None, true) if self.binding_mode != ChannelBindingMode::Require => {
                ChannelBindingMode::Disable
            }
            _ => self.binding_mode,
        };
        let choice = choose_scram(mode, self.over_tls, &offered)?;
        let binding = match (choice, &self.channel_binding) {
            (ScramChoice::Plus, Some(data)) => ChannelBinding::tls_server_end_point(data.clone()),
            (ScramChoice::Plus, None) => {
                return Err(Error::Tls(crate::tls::TlsError::BindingNotOffered));
            }
            (ScramChoice::PlainCouldBind, _) => ChannelBinding::unrequested(),
            (ScramChoice::Plain, _) => ChannelBinding::unsupported(),
        };
        self.bound = choice == ScramChoice::Plus;
        let password = self.password(AuthMethod::ScramSha256)?.to_string();
        let scram = ScramSha256::new(password.as_bytes(), binding);
        frontend::sasl_initial_response(choice.mechanism(), scram.message(), out)
            .map_err(|e| self.scram_error(e))?;
        self.scram = Some(Scram::AwaitingContinue(Box::new(scram)));
        Ok(())
    }

    pub(crate) fn sasl_continue(&mut self, data: &[u8], out: &mut BytesMut) -> Result<(), Error> {
        match self.scram.take() {
            Some(Scram::AwaitingContinue(mut scram)) => {
                scram.update(data).map_err(|e| self.scram_error(e))?;
                frontend::sasl_response(scram.message(), out).map_err(|e| self.scram_error(e))?;
                self.scram = Some(Scram::AwaitingFinal(scram));
                Ok(())
            }
            _ => Err(Error::UnexpectedMessage {
                message: "AuthenticationSASLContinue",
                state: "not in a SASL exchange",
            }),
        }
    }

    pub(crate) fn sasl_final(&mut self, data: &[u8]) -> Result<(), Error> {
        match self.scram.take() {
            Some(Scram::AwaitingFinal(mut scram)) => {
                scram.finish(data).map_err(|e| self.scram_error(e))?;
                self.scram = Some(Scram::Done);
                Ok(())
            }
            _ => Err(Error::UnexpectedMessage {
                message: "AuthenticationSASLFinal",
                state: "not expecting the end of a SASL exchange",
            }),
        }
    }

    /// AuthenticationOk in the middle of SCRAM would let a server skip
    /// proving it knows the password; refuse it as libpq does.
    pub(crate) fn check_complete(&self) -> Result<(), Error> {
        match self.scram {
            None | Some(Scram::Done) => self.check(AuthRequest::Ok {
                bound: self.bound && matches!(self.scram, Some(Scram::Done)),
            }),
            Some(_) => Err(Error::Scram {
                user: self.user.clone(),
                reason: "server reported success before completing the SCRAM exchange".into(),
            }),
        }
    }

    fn scram_error(&self, e: std::io::Error) -> Error {
        Error::Scram {
            user: self.user.clone(),
            reason: e.to_string(),
        }
    }
}
