//! The authentication exchange: which method the server asked for and the
//! SCRAM conversation in progress.

use bytes::BytesMut;
use postgres_protocol::authentication::{
    md5_hash,
    sasl::{ChannelBinding, SCRAM_SHA_256, SCRAM_SHA_256_PLUS, ScramSha256},
};
use postgres_protocol::message::frontend;

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
    /// tls-server-end-point data after a TLS handshake, for SCRAM-PLUS.
    channel_binding: Option<Vec<u8>>,
    pub(crate) method: Option<AuthMethod>,
    scram: Option<Scram>,
}

impl Authenticator {
    pub(crate) fn new(user: String, password: Option<String>) -> Authenticator {
        Authenticator {
            user,
            password,
            channel_binding: None,
            method: None,
            scram: None,
        }
    }

    pub(crate) fn set_channel_binding(&mut self, data: Option<Vec<u8>>) {
        self.channel_binding = data;
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
        let password = self.password(AuthMethod::Cleartext)?;
        frontend::password_message(password.as_bytes(), out).map_err(|_| Error::NulInPassword {
            user: self.user.clone(),
        })
    }

    pub(crate) fn md5(&mut self, salt: [u8; 4], out: &mut BytesMut) -> Result<(), Error> {
        self.method = Some(AuthMethod::Md5);
        let password = self.password(AuthMethod::Md5)?;
        let hash = md5_hash(self.user.as_bytes(), password.as_bytes(), salt);
        // The hash is hex digits: it cannot hold a NUL.
        frontend::password_message(hash.as_bytes(), out).map_err(|_| Error::NulInPassword {
            user: self.user.clone(),
        })
    }

    /// Picks a mechanism the way libpq does: SCRAM-SHA-256-PLUS when we have
    /// channel-binding data and the server offers it, else SCRAM-SHA-256.
    pub(crate) fn sasl_start<'a>(
        &mut self,
        mechanisms: impl Iterator<Item = &'a str>,
        out: &mut BytesMut,
    ) -> Result<(), Error> {
        self.method = Some(AuthMethod::ScramSha256);
        let (mut plain, mut plus) = (false, false);
        let mut offered = Vec::new();
        for m in mechanisms {
            plain |= m == SCRAM_SHA_256;
            plus |= m == SCRAM_SHA_256_PLUS;
            offered.push(m.to_string());
        }
        let password = self.password(AuthMethod::ScramSha256)?.to_string();
        let (mechanism, binding) = match (&self.channel_binding, plus, plain) {
            (Some(data), true, _) => (
                SCRAM_SHA_256_PLUS,
                ChannelBinding::tls_server_end_point(data.clone()),
            ),
            (Some(_), false, true) => (SCRAM_SHA_256, ChannelBinding::unrequested()),
            (None, _, true) => (SCRAM_SHA_256, ChannelBinding::unsupported()),
            _ => {
                return Err(Error::Scram {
                    user: self.user.clone(),
                    reason: format!(
                        "server offered SASL mechanisms [{}], none of which sequelae supports",
                        offered.join(", ")
                    ),
                });
            }
        };
        let scram = ScramSha256::new(password.as_bytes(), binding);
        frontend::sasl_initial_response(mechanism, scram.message(), out)
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
            None | Some(Scram::Done) => Ok(()),
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
