//! Keeping the password out of anything shown: pg_dump's messages pass
//! through a [`Redactor`] before they reach a result, a log or a screen.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// What a secret is replaced with.
pub const REDACTED: &str = "********";

/// Replaces every occurrence of the secrets, as typed and as a URL would
/// percent-encode them, with `********`.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Longest first, so that a secret containing another is replaced
    /// whole.
    secrets: Vec<String>,
}

impl Redactor {
    /// A redactor for `secrets` (empty ones are ignored).
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Redactor {
        let mut all: Vec<String> = Vec::new();
        for secret in secrets.into_iter().filter(|s| !s.is_empty()) {
            let encoded = utf8_percent_encode(&secret, NON_ALPHANUMERIC).to_string();
            if encoded != secret {
                all.push(encoded);
            }
            all.push(secret);
        }
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
        all.dedup();
        Redactor { secrets: all }
    }

    /// `text` with the secrets replaced.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        out
    }
}

/// Shows how many secrets, never what they are.
impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_plain_and_encoded_forms() {
        let r = Redactor::new(["p@ss: w%rd".to_string(), String::new()]);
        assert_eq!(
            r.redact("password p@ss: w%rd in postgres://u:p%40ss%3A%20w%25rd@h"),
            "password ******** in postgres://u:********@h"
        );
        assert!(!format!("{r:?}").contains("p@ss"));
        assert_eq!(Redactor::default().redact("nothing"), "nothing");
    }
}
