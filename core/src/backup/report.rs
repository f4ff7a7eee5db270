//! The result of a backup, for people (one line) and for programs (JSON),
//! shared by the CLI and the MCP tool.
//!
//! JSON, success and failure alike (failures before a method was chosen
//! have `method: null`):
//!
//! ```json
//! {"success": true, "method": "pg_dump", "pgDumpVersion": "15.18",
//!  "format": "custom", "outputPath": "/srv/db.dump", "size": 1234567,
//!  "tables": 12, "rows": null, "duration": 2345, "warnings": [], "fallbackReasons": [],
//!  "error": null, "errorKind": null}
//! ```
//!
//! `size` is in bytes (for a directory, the sum of its files), `duration`
//! in milliseconds, `fallbackReasons` says why pg_dump was not used when
//! auto mode fell back.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use super::error::{BackupError, ErrorKind};
use super::format::BackupFormat;

/// Which method produced (or was to produce) the backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MethodUsed {
    /// pg_dump ran.
    PgDump {
        /// Its version.
        version: String,
        /// The program.
        program: PathBuf,
    },
    /// The native method.
    Native,
}

impl MethodUsed {
    /// `pg_dump` or `native`.
    pub fn as_str(&self) -> &'static str {
        match self {
            MethodUsed::PgDump { .. } => "pg_dump",
            MethodUsed::Native => "native",
        }
    }
}

/// What a backup did, successful or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// The method that ran (or was about to run when the backup failed).
    pub method: Option<MethodUsed>,
    /// The format.
    pub format: BackupFormat,
    /// Where the backup is (on failure: where it was going).
    pub output_path: Option<PathBuf>,
    /// Bytes written; for a directory, the sum of its files.
    pub size: Option<u64>,
    /// Tables in the backup.
    pub tables: Option<usize>,
    /// Rows copied (the native method counts them; pg_dump does not say).
    pub rows: Option<u64>,
    /// From start to end.
    pub duration: Duration,
    /// Everything the user should know that did not stop the backup.
    pub warnings: Vec<String>,
    /// Why pg_dump was not used, when auto mode fell back.
    pub fallback_reasons: Vec<String>,
    /// Why the backup failed; `None` on success.
    pub error: Option<BackupError>,
}

impl BackupReport {
    /// An empty report for `format`, filled in as the backup proceeds.
    pub fn new(format: BackupFormat) -> BackupReport {
        BackupReport {
            method: None,
            format,
            output_path: None,
            size: None,
            rows: None,
            tables: None,
            duration: Duration::ZERO,
            warnings: Vec::new(),
            fallback_reasons: Vec::new(),
            error: None,
        }
    }

    /// A report of a backup refused before it started.
    pub fn refused(format: BackupFormat, error: BackupError) -> BackupReport {
        BackupReport {
            error: Some(error),
            ..BackupReport::new(format)
        }
    }

    /// True when the backup was written.
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }

    /// The kind of failure, `None` on success.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        self.error.as_ref().map(BackupError::kind)
    }

    /// The JSON object described in the module documentation.
    pub fn to_json(&self) -> Value {
        let version = match &self.method {
            Some(MethodUsed::PgDump { version, .. }) => Value::from(version.as_str()),
            _ => Value::Null,
        };
        json!({
            "success": self.succeeded(),
            "method": self.method.as_ref().map(MethodUsed::as_str),
            "pgDumpVersion": version,
            "format": self.format.as_str(),
            "outputPath": self.output_path.as_ref().map(|p| p.display().to_string()),
            "size": self.size,
            "tables": self.tables,
            "rows": self.rows,
            "duration": u64::try_from(self.duration.as_millis()).unwrap_or(u64::MAX),
            "warnings": self.warnings,
            "fallbackReasons": self.fallback_reasons,
            "error": self.error.as_ref().map(ToString::to_string),
            "errorKind": self.error_kind().map(|k| match k {
                ErrorKind::Usage => "usage",
                ErrorKind::Connect => "connect",
                ErrorKind::Dump => "dump",
                ErrorKind::Interrupted => "interrupted",
                ErrorKind::ReaderGone => "readerGone",
            }),
        })
    }

    /// One line for people: where, how big, how long, by what; or the
    /// error.
    pub fn summary(&self) -> String {
        if let Some(error) = &self.error {
            return error.to_string();
        }
        let path = match &self.output_path {
            Some(p) if p.as_os_str() == "-" => "standard output".to_string(),
            Some(p) => p.display().to_string(),
            None => String::new(),
        };
        let mut details = vec![format!("{} format", self.format)];
        if let Some(size) = self.size {
            details.push(human_size(size));
        }
        if let Some(tables) = self.tables {
            details.push(format!(
                "{tables} {}",
                if tables == 1 { "table" } else { "tables" }
            ));
        }
        if let Some(rows) = self.rows {
            details.push(format!("{rows} {}", if rows == 1 { "row" } else { "rows" }));
        }
        let by = match &self.method {
            Some(MethodUsed::PgDump { version, .. }) => format!(" by pg_dump {version}"),
            Some(MethodUsed::Native) => " by the native method".to_string(),
            None => String::new(),
        };
        format!(
            "Backup written to {path} ({}){by} in {:.1} s",
            details.join(", "),
            self.duration.as_secs_f64()
        )
    }
}

/// `999 B`, `1.5 KiB`, `12.3 MiB`, `4.0 GiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    // Precision is not the point of a summary.
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn success() -> BackupReport {
        BackupReport {
            method: Some(MethodUsed::PgDump {
                version: "15.18".into(),
                program: "/usr/bin/pg_dump".into(),
            }),
            output_path: Some("/srv/db.dump".into()),
            size: Some(1_234_567),
            tables: Some(12),
            duration: Duration::from_millis(2345),
            ..BackupReport::new(BackupFormat::Custom)
        }
    }

    #[test]
    fn success_json() {
        assert_eq!(
            success().to_json(),
            json!({"success": true, "method": "pg_dump", "pgDumpVersion": "15.18",
                   "format": "custom", "outputPath": "/srv/db.dump", "size": 1_234_567,
                   "tables": 12, "rows": null, "duration": 2345, "warnings": [],
                   "fallbackReasons": [], "error": null, "errorKind": null})
        );
        assert_eq!(
            success().summary(),
            "Backup written to /srv/db.dump (custom format, 1.2 MiB, 12 tables) by pg_dump 15.18 in 2.3 s"
        );
    }

    #[test]
    fn failures_have_the_same_keys() {
        let refused = BackupReport::refused(BackupFormat::Tar, BackupError::TarCompression);
        let keys = |v: &Value| -> Vec<String> {
            let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
            k.sort();
            k
        };
        let json = refused.to_json();
        assert_eq!(keys(&json), keys(&success().to_json()));
        assert_eq!(json["success"], false);
        assert_eq!(json["errorKind"], "usage");
        assert_eq!(json["method"], Value::Null);
        assert!(json["error"].as_str().expect("text").contains("tar format"));
    }

    #[test]
    fn sizes() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }
}
