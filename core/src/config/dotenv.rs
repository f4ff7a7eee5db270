//! `.env` files, as sequelae-mcp users keep their `DATABASE_URL` in one.
//!
//! The dialect is the common one: `KEY=value` lines, optional `export `,
//! `#` comments, values in single quotes (literal), double quotes (with
//! `\n`, `\"` and `\\` escapes) or bare (trailing ` # comment` dropped).

use super::Environment;

/// Parses `.env` text into key/value pairs, skipping lines it cannot read
/// (a `.env` file is a convenience, not a configuration language worth
/// failing over).
pub fn parse_dotenv(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let value = value.trim();
        let value = if let Some(inner) = value.strip_prefix('\'') {
            match inner.find('\'') {
                Some(end) => inner[..end].to_string(),
                None => continue,
            }
        } else if let Some(inner) = value.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = inner.chars();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => match chars.next() {
                        Some('n') => out.push('\n'),
                        Some(other) => out.push(other),
                        None => break,
                    },
                    c => out.push(c),
                }
            }
            if !closed {
                continue;
            }
            out
        } else {
            match value.find(" #") {
                Some(at) => value[..at].trim_end().to_string(),
                None => value.to_string(),
            }
        };
        pairs.push((key.to_string(), value));
    }
    pairs
}

impl Environment {
    /// Adds the variables of a `.env` file that the real environment does
    /// not set: the process environment always wins, as with dotenv tools.
    pub fn with_dotenv(mut self, text: &str) -> Self {
        for (key, value) in parse_dotenv(text) {
            if self.var(&key).is_none() {
                self.mark_dotenv(&key);
                self = self.with_var(key, value);
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case::bare("DATABASE_URL=postgres://a@b/c", "postgres://a@b/c")]
    #[case::export("export DATABASE_URL=postgres://x", "postgres://x")]
    #[case::single_quoted("DATABASE_URL='postgres://u:p#w@h/d'", "postgres://u:p#w@h/d")]
    #[case::double_quoted(r#"DATABASE_URL="postgres://u:p\"q@h/d""#, "postgres://u:p\"q@h/d")]
    #[case::comment_after("DATABASE_URL=postgres://h/d # prod", "postgres://h/d")]
    #[case::hash_inside("DATABASE_URL=postgres://u:p#w@h/d", "postgres://u:p#w@h/d")]
    #[case::spaces(" DATABASE_URL = postgres://h/d ", "postgres://h/d")]
    fn values(#[case] line: &str, #[case] expected: &str) {
        assert_eq!(
            parse_dotenv(line),
            vec![("DATABASE_URL".to_string(), expected.to_string())]
        );
    }

    #[rstest]
    #[case::comment("# DATABASE_URL=x")]
    #[case::no_equals("DATABASE_URL")]
    #[case::unterminated("DATABASE_URL='x")]
    #[case::bad_key("DATA BASE=x")]
    fn skipped(#[case] line: &str) {
        assert!(parse_dotenv(line).is_empty());
    }

    #[test]
    fn the_real_environment_wins() {
        let env = Environment::new()
            .with_var("DATABASE_URL", "postgres://real")
            .with_dotenv("DATABASE_URL=postgres://file\nPGUSER=bob\n");
        assert_eq!(env.var("DATABASE_URL"), Some("postgres://real"));
        assert_eq!(env.var("PGUSER"), Some("bob"));
    }
}
