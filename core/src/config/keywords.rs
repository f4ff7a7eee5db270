//! The option names libpq accepts, and what sequelae does with each.
//!
//! libpq rejects unknown names, and so do we: a typo such as `sslmdoe`
//! silently ignored would connect without the TLS the user asked for. Known
//! names that ask for behaviour sequelae does not have are refused unless
//! their value is libpq's default, for the same reason.

/// What happens to a known option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Handling {
    /// Read into `ConnectSettings`.
    Used,
    /// Accepted with any value and not acted on: socket tuning that the
    /// operating system's defaults cover well enough.
    Ignored,
    /// Accepted when empty or one of these values (compared ignoring ASCII
    /// case), which are what libpq does by default; refused otherwise.
    OnlyDefault(&'static [&'static str]),
}

/// One option name.
#[derive(Debug)]
pub(crate) struct Keyword {
    pub(crate) name: &'static str,
    pub(crate) handling: Handling,
    /// Holds a secret: its value never appears in a message.
    pub(crate) secret: bool,
    /// The `PG*` variable libpq reads for it, if any.
    pub(crate) env: Option<&'static str>,
}

const fn kw(name: &'static str, handling: Handling) -> Keyword {
    Keyword {
        name,
        handling,
        secret: false,
        env: None,
    }
}

const fn secret(name: &'static str, handling: Handling) -> Keyword {
    Keyword {
        name,
        handling,
        secret: true,
        env: None,
    }
}

impl Keyword {
    const fn var(mut self, env: &'static str) -> Keyword {
        self.env = Some(env);
        self
    }
}

use Handling::{Ignored, OnlyDefault, Used};

/// Every option of libpq 18's `PQconndefaults()`.
const KEYWORDS: &[Keyword] = &[
    kw("host", Used).var("PGHOST"),
    kw("hostaddr", Used).var("PGHOSTADDR"),
    kw("port", Used).var("PGPORT"),
    kw("dbname", Used).var("PGDATABASE"),
    kw("user", Used).var("PGUSER"),
    secret("password", Used).var("PGPASSWORD"),
    kw("passfile", Used).var("PGPASSFILE"),
    kw("connect_timeout", Used).var("PGCONNECT_TIMEOUT"),
    kw("options", Used).var("PGOPTIONS"),
    kw("application_name", Used).var("PGAPPNAME"),
    kw("fallback_application_name", Used),
    kw("sslmode", Used).var("PGSSLMODE"),
    kw("sslcert", Used).var("PGSSLCERT"),
    kw("sslkey", Used).var("PGSSLKEY"),
    kw("sslrootcert", Used).var("PGSSLROOTCERT"),
    kw("service", Used).var("PGSERVICE"),
    kw("servicefile", Used).var("PGSERVICEFILE"),
    kw("channel_binding", Used).var("PGCHANNELBINDING"),
    kw(
        "client_encoding",
        OnlyDefault(&["UTF8", "UTF-8", "UNICODE"]),
    )
    .var("PGCLIENTENCODING"),
    kw("keepalives", Ignored),
    kw("keepalives_idle", Ignored),
    kw("keepalives_interval", Ignored),
    kw("keepalives_count", Ignored),
    kw("tcp_user_timeout", Ignored),
    kw("sslnegotiation", Used).var("PGSSLNEGOTIATION"),
    kw("sslcompression", Ignored).var("PGSSLCOMPRESSION"),
    kw("sslcertmode", OnlyDefault(&["allow"])).var("PGSSLCERTMODE"),
    secret("sslpassword", OnlyDefault(&[])),
    kw("sslcrl", OnlyDefault(&[])).var("PGSSLCRL"),
    kw("sslcrldir", OnlyDefault(&[])).var("PGSSLCRLDIR"),
    kw("sslsni", Used).var("PGSSLSNI"),
    kw("sslkeylogfile", Ignored),
    kw("requirepeer", OnlyDefault(&[])).var("PGREQUIREPEER"),
    kw("require_auth", OnlyDefault(&[])).var("PGREQUIREAUTH"),
    kw("min_protocol_version", OnlyDefault(&["3.0"])).var("PGMINPROTOCOLVERSION"),
    kw(
        "max_protocol_version",
        OnlyDefault(&["3.0", "3.2", "latest"]),
    )
    .var("PGMAXPROTOCOLVERSION"),
    kw(
        "ssl_min_protocol_version",
        OnlyDefault(&["TLSv1", "TLSv1.1", "TLSv1.2"]),
    )
    .var("PGSSLMINPROTOCOLVERSION"),
    kw("ssl_max_protocol_version", OnlyDefault(&["TLSv1.3"])).var("PGSSLMAXPROTOCOLVERSION"),
    kw("gssencmode", OnlyDefault(&["disable", "prefer"])).var("PGGSSENCMODE"),
    kw("krbsrvname", Ignored).var("PGKRBSRVNAME"),
    kw("gsslib", Ignored).var("PGGSSLIB"),
    kw("gssdelegation", Ignored).var("PGGSSDELEGATION"),
    kw("replication", OnlyDefault(&["0", "false", "off", "no"])),
    kw("target_session_attrs", Used).var("PGTARGETSESSIONATTRS"),
    kw("load_balance_hosts", OnlyDefault(&["disable"])).var("PGLOADBALANCEHOSTS"),
    secret("scram_client_key", OnlyDefault(&[])),
    secret("scram_server_key", OnlyDefault(&[])),
    kw("oauth_issuer", OnlyDefault(&[])),
    kw("oauth_client_id", OnlyDefault(&[])),
    secret("oauth_client_secret", OnlyDefault(&[])),
    kw("oauth_scope", OnlyDefault(&[])),
];

/// Every option, for checks that go over all of them (the `PG*`
/// variables that must not be ignored).
pub(crate) fn all() -> &'static [Keyword] {
    KEYWORDS
}

/// `PG*` variables libpq reads that map to no connection option: session
/// defaults it sends to the server. sequelae does not send them, so they
/// are refused rather than silently dropped; the hint says how to get the
/// same effect.
pub(crate) const SESSION_VARIABLES: &[(&str, &str)] = &[
    ("PGDATESTYLE", "PGOPTIONS='-c datestyle=...'"),
    ("PGTZ", "PGOPTIONS='-c timezone=...'"),
    ("PGGEQO", "PGOPTIONS='-c geqo=...'"),
];

/// The keyword spelled exactly `name` (libpq is case-sensitive).
pub(crate) fn lookup(name: &str) -> Option<&'static Keyword> {
    KEYWORDS.iter().find(|k| k.name == name)
}

/// Whether `name` holds a secret, so that neither its value nor the token
/// after an unquoted value of it is echoed.
pub(crate) fn is_secret(name: &str) -> bool {
    lookup(name).is_some_and(|k| k.secret)
}

/// Where users find the list of valid keys.
const KEYWORD_DOCS: &str =
    "https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS";

/// Names from other drivers and frameworks that users paste, mapped to the
/// libpq key they mean.
const ALIASES: &[(&str, &str)] = &[
    ("database", "dbname"),
    ("db", "dbname"),
    ("username", "user"),
    ("login", "user"),
    ("pass", "password"),
    ("passwd", "password"),
    ("pwd", "password"),
    ("hostname", "host"),
    ("server", "host"),
    ("appname", "application_name"),
    ("timeout", "connect_timeout"),
    ("connecttimeout", "connect_timeout"),
    ("connection_timeout", "connect_timeout"),
    ("ssl", "sslmode"),
];

/// The end of an unknown-option message: the likely intended key, or where
/// the valid keys are listed.
pub(crate) fn hint_for_unknown(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let normalized: String = lower.chars().filter(|c| *c != '-' && *c != '_').collect();
    if matches!(
        normalized.as_str(),
        "schema" | "searchpath" | "currentschema"
    ) {
        return "set the schema search path with options='-c search_path=myschema' \
                (in a URI: ?options=-c%20search_path%3Dmyschema)"
            .to_string();
    }
    if lower == "ssl" {
        return "did you mean \"sslmode\"? (e.g. sslmode=require; in a URI only ssl=true \
                is understood, as sslmode=require)"
            .to_string();
    }
    let alias = ALIASES
        .iter()
        .find(|(from, _)| *from == lower || *from == normalized)
        .map(|(_, to)| *to);
    let by_case = KEYWORDS
        .iter()
        .find(|k| k.name.eq_ignore_ascii_case(name) || k.name.replace('_', "") == normalized)
        .map(|k| k.name);
    let nearest = || {
        let limit = if name.chars().count() >= 4 { 2 } else { 1 };
        KEYWORDS
            .iter()
            .map(|k| (edit_distance(&lower, k.name), k.name))
            .filter(|(d, _)| *d <= limit)
            .min_by_key(|(d, _)| *d)
            .map(|(_, n)| n)
    };
    match alias.or(by_case).or_else(nearest) {
        Some(key) => format!("did you mean \"{key}\"?"),
        None => format!("see the keywords libpq accepts at {KEYWORD_DOCS}"),
    }
}

use crate::text::edit_distance;

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("hots", "did you mean \"host\"?")]
    #[case("sslmdoe", "did you mean \"sslmode\"?")]
    #[case("sslrootcer", "did you mean \"sslrootcert\"?")]
    #[case("SSLMODE", "did you mean \"sslmode\"?")]
    #[case("applicationName", "did you mean \"application_name\"?")]
    #[case("database", "did you mean \"dbname\"?")]
    #[case("username", "did you mean \"user\"?")]
    #[case("connect-timeout", "did you mean \"connect_timeout\"?")]
    fn suggests_the_intended_key(#[case] name: &str, #[case] hint: &str) {
        assert_eq!(hint_for_unknown(name), hint);
    }

    #[test]
    fn points_at_the_docs_when_nothing_is_close() {
        assert_eq!(
            hint_for_unknown("frobnicate"),
            format!("see the keywords libpq accepts at {KEYWORD_DOCS}")
        );
    }

    #[test]
    fn explains_schema_and_ssl() {
        assert!(hint_for_unknown("currentSchema").contains("search_path"));
        assert!(hint_for_unknown("ssl").starts_with("did you mean \"sslmode\"?"));
    }

    #[rstest]
    #[case("host", "host", 0)]
    #[case("hots", "host", 1)]
    #[case("hst", "host", 1)]
    #[case("", "abc", 3)]
    #[case("kitten", "sitting", 3)]
    fn edit_distance_counts_edits(#[case] a: &str, #[case] b: &str, #[case] d: usize) {
        assert_eq!(edit_distance(a, b), d);
    }

    #[test]
    fn secrets_are_marked() {
        for name in ["password", "sslpassword", "oauth_client_secret"] {
            assert!(is_secret(name), "{name}");
        }
        assert!(!is_secret("user"));
        assert!(!is_secret("nonsense"));
    }
}
