//! A password that cannot be printed by accident.

use std::fmt;

/// A password. `Debug` and `Display` print `********` so that settings,
/// errors and logs can be formatted freely; the real text is reachable only
/// through [`Password::expose`], which makes every use visible in review.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a secret so it is redacted from here on.
    pub fn new(secret: impl Into<String>) -> Self {
        Password(secret.into())
    }

    /// The secret itself, for the authentication exchange and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// What a password looks like wherever it is printed.
pub(crate) const REDACTED: &str = "********";

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_secret() {
        let p = Password::new("hunter2");
        assert_eq!(format!("{p:?}"), "********");
        assert_eq!(p.to_string(), "********");
        assert_eq!(format!("{:?}", Some(p.clone())), "Some(********)");
        assert_eq!(p.expose(), "hunter2");
    }
}
