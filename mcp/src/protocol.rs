//! The two eras of MCP this server speaks, and what each asks of a
//! request and a result.
//!
//! Legacy (handshake) era: `initialize` picks a version for the whole
//! stdio session; requests carry no version. Modern era (2026-07-28):
//! every request carries `_meta` `io.modelcontextprotocol/protocolVersion`
//! and `.../clientCapabilities`, every result `resultType`.

use serde_json::{Map, Value, json};

use crate::jsonrpc::{ErrorAnswer, INVALID_PARAMS, Id, UNSUPPORTED_PROTOCOL_VERSION};

/// The per-request versions.
pub(crate) const MODERN_VERSIONS: [&str; 1] = ["2026-07-28"];
/// The versions `initialize` accepts, newest first.
pub(crate) const LEGACY_VERSIONS: [&str; 4] =
    ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

pub(crate) const PROTOCOL_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
pub(crate) const CLIENT_CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
pub(crate) const CLIENT_INFO_KEY: &str = "io.modelcontextprotocol/clientInfo";
pub(crate) const LOG_LEVEL_KEY: &str = "io.modelcontextprotocol/logLevel";
/// The syslog levels a request may ask for (this server sends no log
/// messages, but a level outside these breaks the request's schema).
const LOG_LEVELS: [&str; 8] = [
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
];
pub(crate) const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";
pub(crate) const SUBSCRIPTION_ID_KEY: &str = "io.modelcontextprotocol/subscriptionId";

/// How long a client may keep `tools/list` and `server/discover`: the
/// tools of a running server never change.
pub(crate) const LIST_TTL_MS: u64 = 3_600_000;

/// Which era a request belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Era {
    /// The version `initialize` agreed on.
    Legacy,
    /// A request stamped with a modern version.
    Modern,
}

/// Every version, modern first: what an unsupported-version error lists.
pub(crate) fn all_versions() -> Vec<&'static str> {
    MODERN_VERSIONS
        .iter()
        .chain(LEGACY_VERSIONS.iter())
        .copied()
        .collect()
}

/// What the version a request speaks defines beyond 2024-11-05, so a
/// legacy session gets only what its negotiated version knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    /// Tool annotations, a progress notification's message (2025-03-26).
    pub(crate) annotations: bool,
    /// Titles, `outputSchema` and `structuredContent` (2025-06-18).
    pub(crate) structured: bool,
}

impl Shape {
    /// Everything: the modern era and the newest legacy versions.
    pub(crate) const FULL: Shape = Shape {
        annotations: true,
        structured: true,
    };

    /// The shape for a request of `era` in a session that `initialize`
    /// agreed on `legacy` for. Versions are dates, so they compare as text.
    pub(crate) fn of(era: Era, legacy: Option<&str>) -> Shape {
        match (era, legacy) {
            (Era::Legacy, Some(version)) => Shape {
                annotations: version >= "2025-03-26",
                structured: version >= "2025-06-18",
            },
            _ => Shape::FULL,
        }
    }
}

/// The server's name and version, as `shape` defines them.
pub(crate) fn server_info_for(shape: Shape) -> Value {
    let mut info = server_info();
    if !shape.structured {
        if let Value::Object(fields) = &mut info {
            fields.remove("title");
        }
    }
    info
}

/// The server's name and version.
pub(crate) fn server_info() -> Value {
    json!({
        "name": "sequelae",
        "title": "sequelae (PostgreSQL)",
        "version": env!("CARGO_PKG_VERSION"),
    })
}

/// What the server offers: tools, whose list never changes.
pub(crate) fn capabilities() -> Value {
    json!({"tools": {"listChanged": false}})
}

pub(crate) const INSTRUCTIONS: &str = "sequelae runs SQL against one PostgreSQL database. \
    Use sql_schema to see tables before querying, sql_exec for queries (results are capped: \
    aggregate or page large ones), sql_health to check the server, sql_backup for a backup file.";

/// The era of a request from its `_meta`: a modern request must carry
/// both required keys with a version this server speaks.
///
/// `Ok(None)`: not a modern request, because there is no version key or
/// it names a legacy version. A legacy version is one this server speaks
/// (through `initialize`, whose session serves the request), so it is
/// never answered with -32022, whose `supported` list names it.
pub(crate) fn modern_meta(id: &Id, params: &Map<String, Value>) -> Result<Option<()>, ErrorAnswer> {
    let meta = match params.get("_meta") {
        None => return Ok(None),
        Some(Value::Object(meta)) => meta,
        Some(_) => {
            return Err(ErrorAnswer::new(
                Some(id.clone()),
                INVALID_PARAMS,
                "Invalid params: \"_meta\" must be an object",
            ));
        }
    };
    let Some(version) = meta.get(PROTOCOL_VERSION_KEY) else {
        return Ok(None);
    };
    let Some(version) = version.as_str() else {
        return Err(ErrorAnswer::new(
            Some(id.clone()),
            INVALID_PARAMS,
            format!("Invalid params: _meta \"{PROTOCOL_VERSION_KEY}\" must be a string"),
        ));
    };
    if LEGACY_VERSIONS.contains(&version) {
        return Ok(None);
    }
    if !MODERN_VERSIONS.contains(&version) {
        return Err(unsupported(id, version));
    }
    let invalid = |message: String| {
        Err(ErrorAnswer::new(
            Some(id.clone()),
            INVALID_PARAMS,
            format!("Invalid params: {message}"),
        ))
    };
    if let Some(level) = meta.get(LOG_LEVEL_KEY) {
        if !level.as_str().is_some_and(|l| LOG_LEVELS.contains(&l)) {
            return invalid(format!(
                "_meta \"{LOG_LEVEL_KEY}\" must be one of {}; got {level}",
                LOG_LEVELS.join(", ")
            ));
        }
    }
    if let Some(info) = meta.get(CLIENT_INFO_KEY) {
        if !(info["name"].is_string() && info["version"].is_string()) {
            return invalid(format!(
                "_meta \"{CLIENT_INFO_KEY}\" must be an object with \"name\" and \"version\" \
                 (strings)"
            ));
        }
    }
    match meta.get(CLIENT_CAPABILITIES_KEY) {
        Some(Value::Object(_)) => Ok(Some(())),
        Some(_) => Err(ErrorAnswer::new(
            Some(id.clone()),
            INVALID_PARAMS,
            format!("Invalid params: _meta \"{CLIENT_CAPABILITIES_KEY}\" must be an object"),
        )),
        None => Err(ErrorAnswer::new(
            Some(id.clone()),
            INVALID_PARAMS,
            format!(
                "Invalid params: every request must carry _meta \"{CLIENT_CAPABILITIES_KEY}\" \
                 (protocol version {version})"
            ),
        )),
    }
}

/// -32022 for a version this server does not speak.
pub(crate) fn unsupported(id: &Id, requested: &str) -> ErrorAnswer {
    let mut answer = ErrorAnswer::new(
        Some(id.clone()),
        UNSUPPORTED_PROTOCOL_VERSION,
        format!(
            "Unsupported protocol version \"{requested}\"; this server speaks {}",
            all_versions().join(", ")
        ),
    );
    answer.data = Some(json!({"supported": all_versions(), "requested": requested}));
    answer
}

/// The version `initialize` answers with: the client's when supported,
/// else our newest.
pub(crate) fn negotiate(requested: &str) -> &'static str {
    LEGACY_VERSIONS
        .iter()
        .find(|v| **v == requested)
        .copied()
        .unwrap_or(LEGACY_VERSIONS[0])
}

/// Stamps a modern result: `resultType` and who answered.
pub(crate) fn complete(mut result: Value, era: Era) -> Value {
    if era == Era::Modern {
        if let Value::Object(fields) = &mut result {
            fields.insert("resultType".into(), json!("complete"));
            let meta = fields
                .entry("_meta")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(meta) = meta {
                meta.insert(SERVER_INFO_KEY.into(), server_info());
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_legacy_versions_get_only_what_they_define() {
        let old = Shape::of(Era::Legacy, Some("2024-11-05"));
        assert!(!old.annotations && !old.structured);
        let mid = Shape::of(Era::Legacy, Some("2025-03-26"));
        assert!(mid.annotations && !mid.structured);
        assert_eq!(Shape::of(Era::Legacy, Some("2025-06-18")), Shape::FULL);
        assert_eq!(Shape::of(Era::Modern, Some("2024-11-05")), Shape::FULL);
        assert!(server_info_for(old).get("title").is_none());
    }

    #[test]
    fn initialize_answers_the_clients_version_or_our_newest() {
        assert_eq!(negotiate("2025-03-26"), "2025-03-26");
        assert_eq!(negotiate("2024-11-05"), "2024-11-05");
        assert_eq!(negotiate("2099-01-01"), "2025-11-25");
        assert_eq!(negotiate("2026-07-28"), "2025-11-25");
    }

    #[test]
    fn a_modern_request_needs_a_known_version_and_capabilities() {
        let id = Id::Signed(1);
        let params = |meta: Value| json!({"_meta": meta}).as_object().cloned().expect("object");
        assert_eq!(modern_meta(&id, &Map::new()), Ok(None));
        assert_eq!(
            modern_meta(
                &id,
                &params(json!({PROTOCOL_VERSION_KEY: "2026-07-28", CLIENT_CAPABILITIES_KEY: {}}))
            ),
            Ok(Some(()))
        );
        let e = modern_meta(&id, &params(json!({PROTOCOL_VERSION_KEY: "2026-07-28"})))
            .expect_err("no capabilities");
        assert_eq!(e.code, INVALID_PARAMS);
        let e = modern_meta(
            &id,
            &params(json!({PROTOCOL_VERSION_KEY: "1900-01-01", CLIENT_CAPABILITIES_KEY: {}})),
        )
        .expect_err("old");
        assert_eq!(e.code, UNSUPPORTED_PROTOCOL_VERSION);
        assert_eq!(
            e.data.as_ref().map(|d| d["requested"].clone()),
            Some(json!("1900-01-01"))
        );
        assert_eq!(
            modern_meta(
                &id,
                &params(json!({PROTOCOL_VERSION_KEY: "2025-06-18", CLIENT_CAPABILITIES_KEY: {}}))
            ),
            Ok(None),
            "a legacy version is the legacy era, not an unsupported one"
        );
    }
}
