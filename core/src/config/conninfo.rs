//! libpq's `key=value` connection strings, parsed as `conninfo_parse` does:
//! pairs separated by white space, spaces allowed around `=`, values either
//! bare (a backslash escapes the next character) or in single quotes (`\'`
//! and `\\` inside).

use super::error::{ConfigError, Origin};
use super::keywords;
use super::params::RawParams;

/// C's `isspace` in the "C" locale, which is what libpq splits on.
pub(crate) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{0b}' | '\u{0c}')
}

/// Parses a key=value string into the options it sets.
pub(crate) fn parse(text: &str, origin: Origin) -> Result<RawParams, ConfigError> {
    let chars: Vec<char> = text.chars().collect();
    let mut params = RawParams::default();
    let mut i = 0;
    // The secret key whose unquoted value was just read: a stray token
    // after it may be the rest of the secret, cut at a space.
    let mut after_secret: Option<String> = None;
    let skip_spaces = |i: &mut usize| {
        while *i < chars.len() && is_space(chars[*i]) {
            *i += 1;
        }
    };
    loop {
        skip_spaces(&mut i);
        if i == chars.len() {
            break;
        }
        let start = i;
        while i < chars.len() && chars[i] != '=' && !is_space(chars[i]) {
            i += 1;
        }
        let key: String = chars[start..i].iter().collect();
        skip_spaces(&mut i);
        if i == chars.len() || chars[i] != '=' {
            return Err(match after_secret {
                Some(secret) => ConfigError::MissingEqualsAfterSecret {
                    key: secret,
                    origin,
                },
                None => ConfigError::MissingEquals {
                    word: key,
                    origin,
                    position: i + 1,
                },
            });
        }
        if key.is_empty() {
            return Err(ConfigError::MissingKey {
                origin,
                position: i + 1,
            });
        }
        i += 1;
        skip_spaces(&mut i);
        let mut value = String::new();
        let quoted = i < chars.len() && chars[i] == '\'';
        let quote_at = i + 1;
        if quoted {
            i += 1;
            loop {
                let Some(&c) = chars.get(i) else {
                    return Err(ConfigError::UnterminatedQuote {
                        key,
                        origin,
                        position: quote_at,
                    });
                };
                i += 1;
                match c {
                    '\\' => {
                        if let Some(&escaped) = chars.get(i) {
                            value.push(escaped);
                            i += 1;
                        }
                    }
                    '\'' => break,
                    other => value.push(other),
                }
            }
        } else {
            while let Some(&c) = chars.get(i) {
                if is_space(c) {
                    break;
                }
                i += 1;
                if c == '\\' {
                    if let Some(&escaped) = chars.get(i) {
                        value.push(escaped);
                        i += 1;
                    }
                } else {
                    value.push(c);
                }
            }
        }
        params.store(&key, value, origin, after_secret.as_deref())?;
        after_secret = (!quoted && keywords::is_secret(&key)).then_some(key);
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn parse_ok(text: &str) -> RawParams {
        parse(text, Origin::ConnectionString).expect("valid conninfo")
    }

    fn parse_err(text: &str) -> String {
        parse(text, Origin::ConnectionString)
            .expect_err("invalid conninfo")
            .to_string()
    }

    #[rstest]
    #[case("host=localhost", "host", "localhost")]
    #[case("  host = localhost  ", "host", "localhost")]
    #[case("host\t=\tlocalhost", "host", "localhost")]
    #[case("password='a b c'", "password", "a b c")]
    #[case(r"password='it\'s'", "password", "it's")]
    #[case(r"password='back\\slash'", "password", r"back\slash")]
    #[case(r"password=it\'s", "password", "it's")]
    #[case(r"password=a\ b", "password", "a b")]
    #[case("password=''", "password", "")]
    #[case("password=", "password", "")]
    #[case("password=p@ss:w/rd%25", "password", "p@ss:w/rd%25")]
    #[case(
        "application_name='caf\u{e9} \u{2615}'",
        "application_name",
        "caf\u{e9} \u{2615}"
    )]
    #[case("options='-c search_path=app'", "options", "-c search_path=app")]
    #[case("host=a,b port=5432,5433", "port", "5432,5433")]
    #[case("host=a host=b", "host", "b")]
    fn reads_values(#[case] text: &str, #[case] key: &str, #[case] value: &str) {
        assert_eq!(parse_ok(text).get(key), Some(value));
    }

    #[test]
    fn reads_several_pairs() {
        let p = parse_ok("host=/tmp port=5433 user=alice dbname='my db' sslmode=require");
        assert_eq!(p.get("host"), Some("/tmp"));
        assert_eq!(p.get("port"), Some("5433"));
        assert_eq!(p.get("user"), Some("alice"));
        assert_eq!(p.get("dbname"), Some("my db"));
        assert_eq!(p.get("sslmode"), Some("require"));
        assert_eq!(p.get("password"), None);
    }

    #[test]
    fn quoted_value_may_touch_next_key() {
        // libpq restarts key parsing right after the closing quote.
        let p = parse_ok("dbname='x'user=bob");
        assert_eq!(p.get("dbname"), Some("x"));
        assert_eq!(p.get("user"), Some("bob"));
    }

    #[test]
    fn empty_string_sets_nothing() {
        assert_eq!(parse_ok("   "), RawParams::default());
    }

    #[rstest]
    #[case(
        "password='abc",
        "unterminated quoted value for key \"password\" (the quote at position 10) in connection \
         string: close it with ' (write \\' for a quote inside the value)"
    )]
    #[case(r"password='abc\'", "unterminated quoted value for key \"password\"")]
    #[case(
        "host=localhost dbname",
        "missing \"=\" after \"dbname\" at position 22 in connection string: write key=value \
         pairs separated by spaces, and quote values that contain spaces, e.g. \
         application_name='my app'"
    )]
    #[case(
        "=x",
        "missing option name before \"=\" at position 1 in connection string: write key=value \
         pairs"
    )]
    #[case(
        "hots=x",
        "unknown connection option \"hots\" in connection string: did you mean \"host\"?"
    )]
    fn reports_errors(#[case] text: &str, #[case] message: &str) {
        let got = parse_err(text);
        assert!(got.starts_with(message), "got: {got}");
    }

    #[rstest]
    #[case(
        "password=hunter2 zebra host=x",
        "missing \"=\" after the value of \"password\""
    )]
    #[case(
        "password=hunter2 zebra=x",
        "unknown connection option after the value of \"password\""
    )]
    #[case(
        "password=hunter2 zebra",
        "missing \"=\" after the value of \"password\""
    )]
    fn never_echoes_the_tail_of_an_unquoted_password(#[case] text: &str, #[case] message: &str) {
        let got = parse_err(text);
        assert!(got.starts_with(message), "got: {got}");
        assert!(!got.contains("zebra"), "got: {got}");
        assert!(!got.contains("hunter2"), "got: {got}");
    }

    #[test]
    fn echoes_word_after_quoted_password() {
        // Quoted, so the password was not split; the stray word is safe to show.
        let got = parse_err("password='my secret' oops");
        assert!(
            got.starts_with("missing \"=\" after \"oops\""),
            "got: {got}"
        );
    }
}
