//! libpq's connection URIs, parsed as `conninfo_uri_parse_options` does:
//!
//! `postgres[ql]://[user[:password]@][netloc][,netloc...][/dbname][?key=value&...]`
//!
//! with `netloc = host[:port]` or `[ipv6][:port]`, every component
//! percent-decoded, and query keys being the same keys as key=value strings.
//!
//! Two deliberate differences, both only for URIs libpq gets wrong:
//! - an unencoded `@` in the password (`u:p@ss@host`) splits at the last
//!   `@` of the authority rather than the first;
//! - an `@` after the host (in the database name or a query key) is an
//!   error: it almost always means a password with an unencoded `/`, and
//!   parsing on would echo a piece of that password in a later message.

use super::error::{ConfigError, Origin, UriPart};
use super::keywords;
use super::params::RawParams;

/// The length of the `postgresql://` or `postgres://` prefix, if `text`
/// starts with one (in any letter case).
pub(crate) fn scheme_len(text: &str) -> Option<usize> {
    ["postgresql://", "postgres://"].iter().find_map(|prefix| {
        let head = text.get(..prefix.len())?;
        head.eq_ignore_ascii_case(prefix).then_some(prefix.len())
    })
}

/// The scheme of a URI that is not PostgreSQL's (`mysql`, `jdbc:postgresql`),
/// so the error can name what was found.
pub(crate) fn foreign_scheme(text: &str) -> Option<&str> {
    let end = text.find("://")?;
    let scheme = &text[..end];
    let mut chars = scheme.chars();
    let first_is_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | ':'));
    (first_is_letter && rest_ok).then_some(scheme)
}

/// Parses a connection URI (which must start with a PostgreSQL scheme) into
/// the options it sets.
pub(crate) fn parse(text: &str, origin: Origin) -> Result<RawParams, ConfigError> {
    let Some(prefix) = scheme_len(text) else {
        return Err(ConfigError::UnsupportedScheme {
            scheme: foreign_scheme(text).unwrap_or_default().to_string(),
            origin,
        });
    };
    let rest = &text[prefix..];
    let bytes = rest.as_bytes();
    let mut params = RawParams::default();
    let locate = |part: &str, i: usize| position_in(text, part, i);
    let decode = |raw: &str, part: UriPart| percent_decode(raw, part, origin, locate(raw, 0));

    let mut p = 0;
    if let Some(end) = userinfo_end(rest) {
        let userinfo = &rest[..end];
        let (user, password) = match userinfo.split_once(':') {
            Some((user, password)) => (user, Some(password)),
            None => (userinfo, None),
        };
        // Empty ones are not stored, so PGUSER and PGPASSWORD still apply.
        let user = decode(user, UriPart::User)?;
        if !user.is_empty() {
            params.store("user", user, origin, None)?;
        }
        if let Some(password) = password {
            let password = decode(password, UriPart::Password)?;
            if !password.is_empty() {
                params.store("password", password, origin, None)?;
            }
        }
        p = end + 1;
    }

    let netlocs = parse_netlocs(text, rest, p, origin)?;
    if !netlocs.hosts.is_empty() {
        let hosts = decode(&netlocs.hosts, UriPart::Host)?;
        params.store("host", hosts, origin, None)?;
    }
    if !netlocs.ports.is_empty() {
        let ports = decode(&netlocs.ports, UriPart::Port)?;
        params.store("port", ports, origin, None)?;
    }
    p = netlocs.end;

    let mut terminator = bytes.get(p).copied();
    if terminator == Some(b'/') {
        let start = p + 1;
        p = rest[start..].find('?').map_or(rest.len(), |q| start + q);
        let raw = &rest[start..p];
        if let Some(at) = raw.find('@') {
            return Err(ConfigError::UnencodedAtSign {
                origin,
                position: locate(raw, at).unwrap_or_default(),
            });
        }
        // An empty name is not stored, so PGDATABASE still applies.
        let dbname = decode(raw, UriPart::Database)?;
        if !dbname.is_empty() {
            params.store("dbname", dbname, origin, None)?;
        }
        terminator = bytes.get(p).copied();
    }
    if terminator == Some(b'?') {
        parse_query(text, &rest[p + 1..], origin, &mut params)?;
    }
    Ok(params)
}

/// Where the user info ends (the index of its `@`), if there is any.
///
/// libpq takes the first `@` before the first `/`. When the text between
/// that `@` and the host's end holds another `@`, the password had an
/// unencoded `@` (libpq would take `ss@host` for a host name); the last
/// one is then the separator.
fn userinfo_end(rest: &str) -> Option<usize> {
    let slash = rest.find('/').unwrap_or(rest.len());
    let first = rest[..slash].find('@')?;
    let after = first + 1;
    let host_end = rest[after..slash].find('?').map_or(slash, |q| after + q);
    Some(
        rest[after..host_end]
            .rfind('@')
            .map_or(first, |last| after + last),
    )
}

/// The host and port lists of a URI, still percent-encoded.
struct Netlocs {
    /// Comma-separated hosts, IPv6 brackets removed.
    hosts: String,
    /// Comma-separated ports, one element per host (possibly empty).
    ports: String,
    /// Index of the first byte after the last netloc.
    end: usize,
}

/// One or more `host[:port]` separated by commas, starting at `p`. Hosts
/// and ports are gathered into comma lists, as libpq does, so that
/// `a:5433,b` gives ports "5433," (b gets the default port).
fn parse_netlocs(
    text: &str,
    rest: &str,
    mut p: usize,
    origin: Origin,
) -> Result<Netlocs, ConfigError> {
    let bytes = rest.as_bytes();
    let is_host_end = |b: u8| matches!(b, b':' | b'/' | b'?' | b',');
    let is_port_end = |b: u8| matches!(b, b'/' | b'?' | b',');
    let mut hosts = String::new();
    let mut ports = String::new();
    loop {
        if bytes.get(p) == Some(&b'[') {
            let open = p + 1;
            let Some(len) = rest[open..].find(']') else {
                return Err(ConfigError::UnterminatedIpv6 { origin });
            };
            if len == 0 {
                return Err(ConfigError::EmptyIpv6 { origin });
            }
            hosts.push_str(&rest[open..open + len]);
            p = open + len + 1;
            if bytes.get(p).is_some_and(|&b| !is_host_end(b)) {
                let found = rest[p..].chars().next().unwrap_or_default();
                return Err(ConfigError::UnexpectedAfterIpv6 {
                    found,
                    origin,
                    position: position_in(text, rest, p).unwrap_or_default(),
                });
            }
        } else {
            let start = p;
            while bytes.get(p).is_some_and(|&b| !is_host_end(b)) {
                p += 1;
            }
            hosts.push_str(&rest[start..p]);
        }
        if bytes.get(p) == Some(&b':') {
            p += 1;
            let start = p;
            while bytes.get(p).is_some_and(|&b| !is_port_end(b)) {
                p += 1;
            }
            ports.push_str(&rest[start..p]);
        }
        if bytes.get(p) != Some(&b',') {
            return Ok(Netlocs {
                hosts,
                ports,
                end: p,
            });
        }
        p += 1;
        hosts.push(',');
        ports.push(',');
    }
}

/// The `key=value&...` part. libpq turns the JDBC-style `ssl=true` into
/// `sslmode=require`; any other unknown key is an error.
fn parse_query(
    text: &str,
    query: &str,
    origin: Origin,
    params: &mut RawParams,
) -> Result<(), ConfigError> {
    let locate = |part: &str, i: usize| position_in(text, part, i);
    let mut after_secret: Option<String> = None;
    for segment in query.split('&').filter(|s| !s.is_empty()) {
        let raw_key = segment.split_once('=').map_or(segment, |(k, _)| k);
        if let Some(at) = raw_key.find('@') {
            return Err(ConfigError::UnencodedAtSign {
                origin,
                position: locate(raw_key, at).unwrap_or_default(),
            });
        }
        let Some((raw_key, raw_value)) = segment.split_once('=') else {
            return Err(ConfigError::QueryParameterWithoutValue {
                param: after_secret.is_none().then(|| segment.to_string()),
                origin,
            });
        };
        let key = percent_decode(raw_key, UriPart::ParameterName, origin, locate(raw_key, 0))?;
        let value = percent_decode(
            raw_value,
            UriPart::ParameterValue(key.clone()),
            origin,
            locate(raw_value, 0),
        )?;
        let (key, value) = if key == "ssl" && value == "true" {
            ("sslmode".to_string(), "require".to_string())
        } else {
            (key, value)
        };
        if after_secret.is_none() && keywords::lookup(&key).is_none() && key != "requiressl" {
            return Err(ConfigError::InvalidUriParameter {
                hint: keywords::hint_for_unknown(&key),
                key,
                origin,
            });
        }
        params.store(&key, value, origin, after_secret.as_deref())?;
        after_secret = keywords::is_secret(&key).then_some(key);
    }
    Ok(())
}

/// The position (characters, from 1) of byte `i` of `part` in `text`, when
/// `part` is a slice of `text`; `None` for text assembled elsewhere.
pub(crate) fn position_in(text: &str, part: &str, i: usize) -> Option<usize> {
    let base = text.as_ptr() as usize;
    let start = part.as_ptr() as usize;
    if start < base || start + part.len() > base + text.len() {
        return None;
    }
    let byte = start - base + i;
    text.get(..byte).map(|before| before.chars().count() + 1)
}

/// Decodes `%XX` escapes as libpq's `conninfo_uri_decode` does: leading and
/// trailing spaces are dropped, a space inside is an error (write `%20`),
/// and `%00` is refused. The result must be UTF-8.
///
/// `start` is the position (characters, from 1) of `raw` in the whole
/// URI, when `raw` is a slice of it, so that errors can point at the
/// offending character.
pub(crate) fn percent_decode(
    raw: &str,
    part: UriPart,
    origin: Origin,
    start: Option<usize>,
) -> Result<String, ConfigError> {
    let lead = raw.len() - raw.trim_start_matches(' ').len();
    let trimmed = raw.trim_matches(' ');
    let position = |i: usize| start.map(|s| s + raw[..lead + i].chars().count());
    if let Some(space) = trimmed.find(' ') {
        return Err(ConfigError::UnencodedSpace {
            part,
            origin,
            position: position(space),
        });
    }
    let input = trimmed.as_bytes();
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if b != b'%' {
            out.push(b);
            i += 1;
            continue;
        }
        let hex = |at: usize| input.get(at).and_then(|&h| (h as char).to_digit(16));
        let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) else {
            return Err(ConfigError::InvalidPercentEncoding {
                part,
                origin,
                position: position(i),
            });
        };
        let byte = u8::try_from(hi * 16 + lo).unwrap_or_default();
        if byte == 0 {
            return Err(ConfigError::PercentEncodedNul {
                part,
                origin,
                position: position(i),
            });
        }
        out.push(byte);
        i += 3;
    }
    String::from_utf8(out).map_err(|_| ConfigError::InvalidUtf8 { part, origin })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn parse_ok(text: &str) -> RawParams {
        parse(text, Origin::ConnectionString).expect("valid URI")
    }

    fn parse_err(text: &str) -> ConfigError {
        parse(text, Origin::ConnectionString).expect_err("invalid URI")
    }

    /// The options a URI sets, as (key, value) pairs in key order.
    fn pairs(text: &str) -> Vec<(String, String)> {
        let p = parse_ok(text);
        [
            "host",
            "port",
            "user",
            "password",
            "dbname",
            "sslmode",
            "application_name",
            "connect_timeout",
            "options",
            "sslrootcert",
            "passfile",
        ]
        .iter()
        .filter_map(|k| p.get(k).map(|v| ((*k).to_string(), v.to_string())))
        .collect()
    }

    fn kv(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[rstest]
    #[case("postgres://", &[])]
    #[case("postgresql://", &[])]
    #[case("POSTGRES://h", &[("host", "h")])]
    #[case("postgresql://localhost", &[("host", "localhost")])]
    #[case("postgresql://localhost:5433", &[("host", "localhost"), ("port", "5433")])]
    #[case("postgresql://localhost/mydb", &[("host", "localhost"), ("dbname", "mydb")])]
    #[case("postgresql://localhost/", &[("host", "localhost")])]
    #[case("postgresql:///mydb", &[("dbname", "mydb")])]
    #[case("postgresql://user@localhost", &[("host", "localhost"), ("user", "user")])]
    #[case(
        "postgresql://user:secret@localhost",
        &[("host", "localhost"), ("user", "user"), ("password", "secret")]
    )]
    #[case("postgresql://user:@localhost", &[("host", "localhost"), ("user", "user")])]
    #[case("postgresql://:pw@localhost", &[("host", "localhost"), ("password", "pw")])]
    #[case(
        "postgresql://other@localhost/otherdb?connect_timeout=10&application_name=myapp",
        &[("host", "localhost"), ("user", "other"), ("dbname", "otherdb"),
          ("application_name", "myapp"), ("connect_timeout", "10")]
    )]
    #[case(
        "postgresql://host1:123,host2:456/somedb",
        &[("host", "host1,host2"), ("port", "123,456"), ("dbname", "somedb")]
    )]
    #[case("postgresql://a:5433,b/db", &[("host", "a,b"), ("port", "5433,"), ("dbname", "db")])]
    #[case("postgresql://a,b", &[("host", "a,b"), ("port", ",")])]
    #[case("postgresql://[::1]:5433/db", &[("host", "::1"), ("port", "5433"), ("dbname", "db")])]
    #[case("postgresql://[2001:db8::1234]/database", &[("host", "2001:db8::1234"), ("dbname", "database")])]
    #[case("postgresql://[fe80::1%25eth0]", &[("host", "fe80::1%eth0")])]
    #[case("postgresql://[::1],[::2]:6000", &[("host", "::1,::2"), ("port", ",6000")])]
    #[case(
        "postgresql://%2Fvar%2Frun%2Fpostgresql/dbname",
        &[("host", "/var/run/postgresql"), ("dbname", "dbname")]
    )]
    #[case("postgresql:///dbname?host=/var/lib/postgresql", &[("host", "/var/lib/postgresql"), ("dbname", "dbname")])]
    #[case("postgresql:///dbname?host=%2Ftmp%2Fsock", &[("host", "/tmp/sock"), ("dbname", "dbname")])]
    #[case("postgresql://h/db?host=other", &[("host", "other"), ("dbname", "db")])]
    #[case("postgresql://h?sslmode=verify-full", &[("host", "h"), ("sslmode", "verify-full")])]
    #[case("postgresql://h?ssl=true", &[("host", "h"), ("sslmode", "require")])]
    #[case("postgresql://h?requiressl=1", &[("host", "h"), ("sslmode", "require")])]
    #[case("postgresql://h?&sslmode=disable&", &[("host", "h"), ("sslmode", "disable")])]
    #[case(
        "postgresql://h/db?options=-c%20search_path%3Dapp",
        &[("host", "h"), ("dbname", "db"), ("options", "-c search_path=app")]
    )]
    #[case("postgresql://h/my%20db", &[("host", "h"), ("dbname", "my db")])]
    #[case("postgresql://h/caf%C3%A9", &[("host", "h"), ("dbname", "caf\u{e9}")])]
    #[case("postgresql://h/db?password=%26%3D", &[("host", "h"), ("password", "&="), ("dbname", "db")])]
    #[case("postgresql://u@h?passfile=/home/u/.pgpass", &[("host", "h"), ("user", "u"), ("passfile", "/home/u/.pgpass")])]
    #[case("postgresql://h?sslrootcert=%2Fetc%2Fca.pem", &[("host", "h"), ("sslrootcert", "/etc/ca.pem")])]
    fn parses_uri_forms(#[case] uri: &str, #[case] expected: &[(&str, &str)]) {
        let mut want = kv(expected);
        let order = |k: &str| {
            [
                "host",
                "port",
                "user",
                "password",
                "dbname",
                "sslmode",
                "application_name",
                "connect_timeout",
                "options",
                "sslrootcert",
                "passfile",
            ]
            .iter()
            .position(|x| *x == k)
        };
        want.sort_by_key(|(k, _)| order(k));
        assert_eq!(pairs(uri), want, "{uri}");
    }

    #[rstest]
    // Every character that needs escaping in a password, encoded.
    #[case("p%40ss%3Aw%2Frd%2525", "p@ss:w/rd%25")]
    #[case("a%20b%27c%22d%3Fe%23f%26", "a b'c\"d?e#f&")]
    #[case("%C3%A9t%C3%A9", "\u{e9}t\u{e9}")]
    // libpq lets '?' and ':' through unencoded in the password.
    #[case("p?x", "p?x")]
    #[case("a:b:c", "a:b:c")]
    // An unencoded '@' splits at the last '@' before the host.
    #[case("p@ss", "p@ss")]
    fn decodes_passwords(#[case] encoded: &str, #[case] password: &str) {
        let p = parse_ok(&format!("postgresql://alice:{encoded}@db.example:5433/app"));
        assert_eq!(p.get("user"), Some("alice"));
        assert_eq!(p.get("password"), Some(password));
        assert_eq!(p.get("host"), Some("db.example"));
        assert_eq!(p.get("port"), Some("5433"));
        assert_eq!(p.get("dbname"), Some("app"));
    }

    #[test]
    fn at_sign_in_query_value_is_not_user_info() {
        let p = parse_ok("postgresql://u:p@h?application_name=a@b");
        assert_eq!(p.get("user"), Some("u"));
        assert_eq!(p.get("password"), Some("p"));
        assert_eq!(p.get("host"), Some("h"));
        assert_eq!(p.get("application_name"), Some("a@b"));
    }

    #[rstest]
    #[case("postgresql://u%2x@h", UriPart::User, Some(15))]
    #[case("postgresql://u:p%zz@h", UriPart::Password, Some(17))]
    #[case("postgresql://u:p%4@h", UriPart::Password, Some(17))]
    #[case("postgresql://h%/db", UriPart::Host, None)]
    #[case("postgresql://h/d%", UriPart::Database, Some(17))]
    #[case("postgresql://h?a%=1", UriPart::ParameterName, Some(17))]
    #[case("postgresql://h?options=%G1", UriPart::ParameterValue("options".to_string()), Some(24))]
    fn rejects_bad_percent_encoding(
        #[case] uri: &str,
        #[case] part: UriPart,
        #[case] position: Option<usize>,
    ) {
        assert_eq!(
            parse_err(uri),
            ConfigError::InvalidPercentEncoding {
                part,
                origin: Origin::ConnectionString,
                position,
            }
        );
    }

    #[test]
    fn bad_encoding_message_names_the_part_not_the_value() {
        let err = parse_err("postgresql://alice:hunter%2@h/db");
        assert_eq!(
            err.to_string(),
            "invalid percent-encoding at position 26 in connection URI (password, connection \
             string): \"%\" \
             must be followed by two hex digits; write a literal \"%\" as %25"
        );
        let err =
            parse("postgresql://alice:hunter%FF@h/db", Origin::DatabaseUrl).expect_err("bad utf8");
        assert_eq!(
            err.to_string(),
            "connection URI (password, DATABASE_URL) decodes to bytes that are not UTF-8: \
             percent-encode text as UTF-8"
        );
    }

    #[rstest]
    #[case("postgresql://h/db%00", ConfigError::PercentEncodedNul { part: UriPart::Database, origin: Origin::ConnectionString, position: Some(18) })]
    #[case("postgresql://u:my pass@h", ConfigError::UnencodedSpace { part: UriPart::Password, origin: Origin::ConnectionString, position: Some(18) })]
    #[case("postgresql://[::1/db", ConfigError::UnterminatedIpv6 { origin: Origin::ConnectionString })]
    #[case("postgresql://[]/db", ConfigError::EmptyIpv6 { origin: Origin::ConnectionString })]
    #[case("postgresql://[::1]x/db", ConfigError::UnexpectedAfterIpv6 { found: 'x', origin: Origin::ConnectionString, position: 19 })]
    #[case("postgresql://u:a/b@h/db", ConfigError::UnencodedAtSign { origin: Origin::ConnectionString, position: 19 })]
    #[case("postgresql://u:a?b/c@h/db", ConfigError::UnencodedAtSign { origin: Origin::ConnectionString, position: 21 })]
    #[case("postgresql://u:p?s/s@h", ConfigError::UnencodedAtSign { origin: Origin::ConnectionString, position: 21 })]
    #[case("postgresql://h/db?sslmode", ConfigError::QueryParameterWithoutValue { param: Some("sslmode".to_string()), origin: Origin::ConnectionString })]
    #[case("postgresql://h/db?password=a&tail", ConfigError::QueryParameterWithoutValue { param: None, origin: Origin::ConnectionString })]
    #[case("mysql://h/db", ConfigError::UnsupportedScheme { scheme: "mysql".to_string(), origin: Origin::ConnectionString })]
    fn rejects_malformed_uris(#[case] uri: &str, #[case] error: ConfigError) {
        assert_eq!(parse_err(uri), error, "{uri}");
    }

    #[test]
    fn trims_spaces_around_components_like_libpq() {
        let p = parse_ok("postgresql://h/ db ?application_name=%20x%20");
        assert_eq!(p.get("dbname"), Some("db"));
        // "%20" is decoded after trimming, so encoded spaces stay.
        assert_eq!(p.get("application_name"), Some(" x "));
    }

    #[rstest]
    #[case(
        "postgresql://h?ssl=false",
        "invalid URI query parameter: \"ssl\" in connection string: did you mean \"sslmode\"?"
    )]
    #[case(
        "postgresql://h?sslmdoe=require",
        "invalid URI query parameter: \"sslmdoe\" in connection string: did you mean \"sslmode\"?"
    )]
    #[case(
        "postgresql://h?currentSchema=app",
        "invalid URI query parameter: \"currentSchema\" in connection string: set the schema search path"
    )]
    fn rejects_unknown_query_keys(#[case] uri: &str, #[case] message: &str) {
        let got = parse_err(uri).to_string();
        assert!(got.starts_with(message), "got: {got}");
    }

    #[test]
    fn unknown_key_after_password_param_is_not_echoed() {
        let got = parse_err("postgresql://h?password=hunter2&zebra=1").to_string();
        assert!(!got.contains("zebra"), "{got}");
        assert!(!got.contains("hunter2"), "{got}");
    }

    #[rstest]
    #[case("mysql://h", Some("mysql"))]
    #[case("jdbc:postgresql://h/db", Some("jdbc:postgresql"))]
    #[case("host=a options=x://y", None)]
    #[case("postgres://h", Some("postgres"))]
    #[case("://h", None)]
    fn recognizes_foreign_schemes(#[case] text: &str, #[case] scheme: Option<&str>) {
        assert_eq!(foreign_scheme(text), scheme);
    }
}
