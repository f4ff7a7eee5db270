//! The `.pgpass` password file, matched as libpq's `passwordFromFile` does.
//! The runtime finds the file, checks its permissions and reads it; this
//! module only interprets the text.

use super::endpoint::{DEFAULT_SOCKET_DIR, Endpoint, Host};
use super::password::Password;

/// A parsed password file: `host:port:database:user:password` lines, tried
/// in order, first match wins.
///
/// `Debug` shows the patterns with passwords redacted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PgPass {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    host: Field,
    port: Field,
    database: Field,
    user: Field,
    password: Password,
}

/// One of the four matching fields.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    /// `*`: matches anything.
    Any,
    /// Matches this text exactly (escapes already removed).
    Exact(String),
}

impl Field {
    fn matches(&self, value: &str) -> bool {
        match self {
            Field::Any => true,
            Field::Exact(text) => text == value,
        }
    }
}

impl PgPass {
    /// Why the password file at `path` must be ignored, if it must: like
    /// libpq, a file that is not a plain file, or that group or others can
    /// read, is skipped with a warning (a password file anyone can read is
    /// a leak waiting to happen). `mode` is the file's permission bits.
    pub fn refusal(path: &str, is_file: bool, mode: u32) -> Option<String> {
        if !is_file {
            return Some(format!(
                "password file \"{path}\" is not a plain file; ignoring it"
            ));
        }
        (mode & 0o077 != 0).then(|| {
            format!(
                "password file \"{path}\" has group or world access; permissions should be \
                 u=rw (0600) or less; ignoring it"
            )
        })
    }

    /// Parses the file's text. Lines starting with `#` and blank lines are
    /// skipped; in fields, `\:` and `\\` stand for `:` and `\`; a field that
    /// is exactly `*` matches anything. Lines with fewer than five fields
    /// can never match in libpq and are dropped.
    pub fn parse(text: &str) -> PgPass {
        let entries = text
            .split('\n')
            .map(|line| line.trim_end_matches(['\r', '\n']))
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter_map(parse_line)
            .collect();
        PgPass { entries }
    }

    /// The password of the first line matching this endpoint, database and
    /// user. As in libpq, a socket in the default directory matches the host
    /// field `localhost` (any other socket directory matches its own path),
    /// and the port matches as decimal text. An empty password in the
    /// matching line means none.
    pub fn lookup(&self, endpoint: &Endpoint, database: &str, user: &str) -> Option<Password> {
        if database.is_empty() || user.is_empty() {
            return None;
        }
        let host = match &endpoint.host {
            Host::Unix(dir) if dir.trim_end_matches('/') == DEFAULT_SOCKET_DIR => "localhost",
            other => other.as_str(),
        };
        let port = endpoint.port.to_string();
        let entry = self.entries.iter().find(|e| {
            e.host.matches(host)
                && e.port.matches(&port)
                && e.database.matches(database)
                && e.user.matches(user)
        })?;
        (!entry.password.expose().is_empty()).then(|| entry.password.clone())
    }
}

/// One line, or `None` if it has fewer than four `:` separators.
fn parse_line(line: &str) -> Option<Entry> {
    let mut rest = line;
    let mut fields = Vec::with_capacity(4);
    for _ in 0..4 {
        if let Some(after) = rest.strip_prefix("*:") {
            fields.push(Field::Any);
            rest = after;
            continue;
        }
        let mut text = String::new();
        let mut chars = rest.char_indices();
        let mut next = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => text.push(chars.next()?.1),
                ':' => {
                    next = Some(i + 1);
                    break;
                }
                other => text.push(other),
            }
        }
        fields.push(Field::Exact(text));
        rest = &rest[next?..];
    }
    // The password runs to the next unescaped ':' (or the end); a trailing
    // lone backslash is kept, as libpq does.
    let mut password = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ':' => break,
            '\\' => password.push(chars.next().unwrap_or('\\')),
            other => password.push(other),
        }
    }
    let mut fields = fields.into_iter();
    Some(Entry {
        host: fields.next()?,
        port: fields.next()?,
        database: fields.next()?,
        user: fields.next()?,
        password: Password::new(password),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn refuses_files_others_can_read() {
        assert_eq!(super::PgPass::refusal("/p", true, 0o600), None);
        assert_eq!(super::PgPass::refusal("/p", true, 0o400), None);
        let warning = super::PgPass::refusal("/p", true, 0o640).expect("refused");
        assert!(warning.starts_with("password file \"/p\" has group or world access"));
        assert!(super::PgPass::refusal("/p", false, 0o600).is_some());
    }

    use super::*;
    use rstest::rstest;

    fn tcp(host: &str, port: u16) -> Endpoint {
        Endpoint {
            host: Host::Tcp(host.to_string()),
            port,
            hostaddr: None,
        }
    }

    fn unix(dir: &str, port: u16) -> Endpoint {
        Endpoint {
            host: Host::Unix(dir.to_string()),
            port,
            hostaddr: None,
        }
    }

    fn find(file: &str, endpoint: &Endpoint, db: &str, user: &str) -> Option<String> {
        PgPass::parse(file)
            .lookup(endpoint, db, user)
            .map(|p| p.expose().to_string())
    }

    const FILE: &str = "\
# comment line: host:port:db:user:password
db.example:5432:app:alice:exact-pw

db.example:*:*:alice:any-port-pw
*:5433:*:*:wild-5433
localhost:5432:app:bob:socket-pw
/tmp/pg:5432:app:bob:tmp-socket-pw
weird\\:host:5432:a\\\\b:carol:esc-pw
*:*:*:dave:pw\\:with\\\\escapes:ignored
*:*:*:erin:
*:*:*:frank:first
*:*:*:frank:second
";

    #[rstest]
    #[case(tcp("db.example", 5432), "app", "alice", Some("exact-pw"))]
    #[case(tcp("db.example", 6000), "app", "alice", Some("any-port-pw"))]
    #[case(tcp("db.example", 5432), "other", "alice", Some("any-port-pw"))]
    #[case(tcp("elsewhere", 5433), "x", "y", Some("wild-5433"))]
    #[case(tcp("elsewhere", 5432), "app", "alice", None)]
    // A socket in the default directory matches "localhost".
    #[case(unix("/var/run/postgresql", 5432), "app", "bob", Some("socket-pw"))]
    #[case(unix("/var/run/postgresql/", 5432), "app", "bob", Some("socket-pw"))]
    // Another socket directory matches its own path, not "localhost".
    #[case(unix("/tmp/pg", 5432), "app", "bob", Some("tmp-socket-pw"))]
    #[case(unix("/run/other", 5432), "app", "bob", None)]
    #[case(tcp("localhost", 5432), "app", "bob", Some("socket-pw"))]
    // Escapes in matching fields.
    #[case(tcp("weird:host", 5432), "a\\b", "carol", Some("esc-pw"))]
    #[case(tcp("weird\\:host", 5432), "a\\b", "carol", None)]
    // Escapes in the password, which ends at the next unescaped ':'.
    #[case(tcp("h", 1), "d", "dave", Some("pw:with\\escapes"))]
    // An empty password means none.
    #[case(tcp("h", 1), "d", "erin", None)]
    // First match wins.
    #[case(tcp("h", 1), "d", "frank", Some("first"))]
    // libpq never looks up an empty database or user.
    #[case(tcp("h", 1), "", "frank", None)]
    fn looks_up_like_libpq(
        #[case] endpoint: Endpoint,
        #[case] db: &str,
        #[case] user: &str,
        #[case] expected: Option<&str>,
    ) {
        assert_eq!(find(FILE, &endpoint, db, user).as_deref(), expected);
    }

    #[rstest]
    #[case("h:5432:db:user")]
    #[case("h:5432:db")]
    #[case("just text")]
    #[case("h:5432:db:us\\")]
    fn skips_malformed_lines(#[case] line: &str) {
        assert_eq!(PgPass::parse(line), PgPass::default());
    }

    #[test]
    fn star_is_a_wildcard_only_as_a_whole_field() {
        let file = "*x:5432:db:u:p1\n\\*:5432:db:u:p2\n";
        assert_eq!(find(file, &tcp("anything", 5432), "db", "u"), None);
        assert_eq!(
            find(file, &tcp("*x", 5432), "db", "u").as_deref(),
            Some("p1")
        );
        assert_eq!(
            find(file, &tcp("*", 5432), "db", "u").as_deref(),
            Some("p2")
        );
    }

    #[test]
    fn handles_crlf_and_missing_final_newline() {
        let file = "h:5432:db:u:crlf-pw\r\nh:5433:db:u:last-pw";
        assert_eq!(
            find(file, &tcp("h", 5432), "db", "u").as_deref(),
            Some("crlf-pw")
        );
        assert_eq!(
            find(file, &tcp("h", 5433), "db", "u").as_deref(),
            Some("last-pw")
        );
    }

    #[test]
    fn comment_only_at_line_start() {
        let file = " #h:5432:db:u:pw\n#h:5433:db:u:pw2\n";
        assert_eq!(
            find(file, &tcp(" #h", 5432), "db", "u").as_deref(),
            Some("pw")
        );
        assert_eq!(find(file, &tcp("#h", 5433), "db", "u"), None);
    }

    #[test]
    fn debug_redacts_passwords() {
        let shown = format!("{:?}", PgPass::parse("h:5432:db:u:hunter2\n"));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("********"), "{shown}");
    }
}
