//! The options a connection string gave, before environment and defaults.

use std::collections::BTreeMap;

use super::error::{ConfigError, Origin};
use super::keywords::{self, Handling};

/// The options one connection string set, by libpq key. A later
/// occurrence of a key replaces an earlier one, as in libpq. An empty value
/// is kept: libpq treats "given but empty" differently from "not given"
/// (it stops the `PG*` variable from applying).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RawParams {
    values: BTreeMap<&'static str, String>,
}

impl RawParams {
    /// The value given for `key`, if any (possibly empty).
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// Records `key=value` as libpq's `conninfo_storeval` does: translate
    /// the old `requiressl`, reject unknown keys, and refuse options whose
    /// value asks for something sequelae cannot do.
    ///
    /// `after_secret` names the secret key whose unquoted value came just
    /// before, if any: then an unknown `key` may be the tail of that secret
    /// and must not be echoed.
    pub(crate) fn store(
        &mut self,
        key: &str,
        value: String,
        origin: Origin,
        after_secret: Option<&str>,
    ) -> Result<(), ConfigError> {
        let (key, value) = if key == "requiressl" {
            let mode = if value.starts_with('1') {
                "require"
            } else {
                "prefer"
            };
            ("sslmode", mode.to_string())
        } else {
            (key, value)
        };
        let Some(keyword) = keywords::lookup(key) else {
            return Err(match after_secret {
                Some(secret) => ConfigError::UnknownOptionAfterSecret {
                    key: secret.to_string(),
                    origin,
                },
                None => ConfigError::UnknownOption {
                    key: key.to_string(),
                    origin,
                    hint: keywords::hint_for_unknown(key),
                },
            });
        };
        if value.contains('\0') {
            return Err(ConfigError::NulInValue {
                key: keyword.name.to_string(),
                origin,
            });
        }
        match keyword.handling {
            Handling::Used => {
                self.values.insert(keyword.name, value);
            }
            Handling::Ignored => {}
            Handling::OnlyDefault(accepted) => {
                let fine =
                    value.is_empty() || accepted.iter().any(|a| a.eq_ignore_ascii_case(&value));
                if !fine {
                    return Err(ConfigError::UnsupportedOption {
                        key: keyword.name.to_string(),
                        value: (!keyword.secret).then_some(value),
                        accepted,
                        origin,
                    });
                }
                // Kept so that it stops the `PG*` variable, as in libpq.
                self.values.insert(keyword.name, value);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn store(key: &str, value: &str) -> Result<RawParams, ConfigError> {
        let mut p = RawParams::default();
        p.store(key, value.to_string(), Origin::ConnectionString, None)?;
        Ok(p)
    }

    #[rstest]
    #[case("1", "require")]
    #[case("0", "prefer")]
    #[case("", "prefer")]
    fn translates_requiressl(#[case] value: &str, #[case] mode: &str) {
        let p = store("requiressl", value).expect("valid");
        assert_eq!(p.get("sslmode"), Some(mode));
    }

    #[rstest]
    #[case("keepalives", "0")]
    #[case("channel_binding", "prefer")]
    #[case("client_encoding", "utf8")]
    #[case("gssencmode", "disable")]
    #[case("load_balance_hosts", "")]
    fn accepts_default_behaviour(#[case] key: &str, #[case] value: &str) {
        let p = store(key, value).expect("accepted");
        let kept = if key == "keepalives" {
            None
        } else {
            Some(value)
        };
        assert_eq!(p.get(key), kept);
    }

    #[test]
    fn refuses_behaviour_it_lacks() {
        let err = store("load_balance_hosts", "random").expect_err("refused");
        assert_eq!(
            err.to_string(),
            "connection option load_balance_hosts=\"random\" in connection string is not \
             supported by sequelae: remove it or use disable"
        );
        let err = store("requirepeer", "postgres").expect_err("refused");
        assert_eq!(
            err.to_string(),
            "connection option requirepeer=\"postgres\" in connection string is not supported by \
             sequelae: remove it"
        );
    }

    #[test]
    fn never_echoes_a_refused_secret() {
        let err = store("sslpassword", "k3y-pass").expect_err("refused");
        let text = err.to_string();
        assert!(!text.contains("k3y-pass"), "{text}");
        assert!(
            text.starts_with("connection option \"sslpassword\""),
            "{text}"
        );
    }

    #[test]
    fn unknown_key_after_secret_is_not_echoed() {
        let mut p = RawParams::default();
        let err = p
            .store(
                "tail",
                "x".to_string(),
                Origin::DatabaseUrl,
                Some("password"),
            )
            .expect_err("unknown");
        let text = err.to_string();
        assert!(!text.contains("tail"), "{text}");
        assert!(
            text.contains("after the value of \"password\" in DATABASE_URL"),
            "{text}"
        );
    }

    #[test]
    fn rejects_nul() {
        let err = store("dbname", "a\0b").expect_err("nul");
        assert_eq!(
            err.to_string(),
            "the value of \"dbname\" in connection string contains a NUL character, which \
             PostgreSQL cannot accept"
        );
    }

    #[test]
    fn later_value_wins() {
        let mut p = RawParams::default();
        p.store("host", "a".into(), Origin::ConnectionString, None)
            .expect("ok");
        p.store("host", "b".into(), Origin::ConnectionString, None)
            .expect("ok");
        assert_eq!(p.get("host"), Some("b"));
    }
}
