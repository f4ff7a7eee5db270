//! What `sequelae health` asks the server and how it judges the answer.

use std::time::Duration;

use serde_json::json;

use crate::wire::DataRow;

/// One query, one row: everything the report needs.
pub const HEALTH_SQL: &str = "SELECT \
    current_setting('server_version'), \
    current_setting('server_version_num'), \
    current_database(), \
    current_user, \
    pg_database_size(current_database()), \
    pg_size_pretty(pg_database_size(current_database())), \
    extract(epoch FROM now() - pg_postmaster_start_time())::bigint, \
    pg_is_in_recovery(), \
    (SELECT count(*) FROM pg_stat_activity WHERE state = 'active'), \
    (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'), \
    current_setting('max_connections')::int";

/// Share of max_connections in use above which the server is reported
/// unhealthy: new clients are about to be refused.
const CONNECTION_ALARM: f64 = 0.9;

/// The health of one server, as measured.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthReport {
    /// `server_version`, e.g. `15.18 (Debian 15.18-0+deb12u1)`.
    pub version: String,
    /// e.g. 150018.
    pub version_num: u32,
    /// The connected database.
    pub database: String,
    /// The connected user.
    pub user: String,
    /// Database size in bytes.
    pub size_bytes: u64,
    /// Database size as PostgreSQL words it.
    pub size_pretty: String,
    /// Time since the postmaster started.
    pub uptime: Duration,
    /// True on a standby.
    pub in_recovery: bool,
    /// Sessions running a statement now.
    pub active_connections: u64,
    /// Client sessions of any state.
    pub total_connections: u64,
    /// The server's limit.
    pub max_connections: u64,
    /// Time to open the session (TCP/socket, TLS, authentication).
    pub connect_latency: Duration,
    /// Round trip of a trivial query.
    pub query_latency: Duration,
    /// Why the server is unhealthy; empty when healthy.
    pub problems: Vec<String>,
}

/// Why the answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected answer to the health query: {0}")]
pub struct HealthParseError(String);

impl HealthReport {
    /// Reads the row of [`HEALTH_SQL`] and judges it.
    pub fn from_row(
        row: &DataRow,
        connect_latency: Duration,
        query_latency: Duration,
    ) -> Result<HealthReport, HealthParseError> {
        let text = |i: usize| -> Result<String, HealthParseError> {
            row.get_str(i)
                .map(str::to_string)
                .ok_or_else(|| HealthParseError(format!("column {} is missing", i + 1)))
        };
        let number = |i: usize| -> Result<u64, HealthParseError> {
            let t = text(i)?;
            t.parse()
                .map_err(|_| HealthParseError(format!("column {} is not a number: {t:?}", i + 1)))
        };
        let mut report = HealthReport {
            version: text(0)?,
            version_num: number(1)? as u32,
            database: text(2)?,
            user: text(3)?,
            size_bytes: number(4)?,
            size_pretty: text(5)?,
            uptime: Duration::from_secs(number(6)?),
            in_recovery: text(7)? == "t",
            active_connections: number(8)?,
            total_connections: number(9)?,
            max_connections: number(10)?,
            connect_latency,
            query_latency,
            problems: Vec::new(),
        };
        let usage = report.total_connections as f64 / report.max_connections.max(1) as f64;
        if usage >= CONNECTION_ALARM {
            report.problems.push(format!(
                "{} of {} connections in use ({:.0}%): new clients will soon be refused",
                report.total_connections,
                report.max_connections,
                usage * 100.0
            ));
        }
        Ok(report)
    }

    /// True when nothing is wrong.
    pub fn healthy(&self) -> bool {
        self.problems.is_empty()
    }

    /// The `--json` form.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "success": true,
            "healthy": self.healthy(),
            "problems": self.problems,
            "version": self.version,
            "versionNum": self.version_num,
            "database": self.database,
            "user": self.user,
            "sizeBytes": self.size_bytes,
            "size": self.size_pretty,
            "uptimeSeconds": self.uptime.as_secs(),
            "inRecovery": self.in_recovery,
            "activeConnections": self.active_connections,
            "totalConnections": self.total_connections,
            "maxConnections": self.max_connections,
            "connectLatencyMs": ms(self.connect_latency),
            "queryLatencyMs": ms(self.query_latency),
        })
    }

    /// The human form, one fact a line.
    pub fn to_text(&self) -> String {
        let status = if self.healthy() {
            "healthy"
        } else {
            "UNHEALTHY"
        };
        let mut out = format!(
            "status:        {status}\n\
             server:        PostgreSQL {}\n\
             database:      {} (user {})\n\
             size:          {} ({} bytes)\n\
             uptime:        {}\n\
             role:          {}\n\
             connections:   {} active, {} total of {} allowed\n\
             latency:       connect {:.1} ms, query {:.1} ms\n",
            self.version,
            self.database,
            self.user,
            self.size_pretty,
            self.size_bytes,
            human_duration(self.uptime),
            if self.in_recovery {
                "standby (in recovery)"
            } else {
                "primary"
            },
            self.active_connections,
            self.total_connections,
            self.max_connections,
            ms(self.connect_latency),
            ms(self.query_latency),
        );
        for p in &self.problems {
            out.push_str(&format!("problem:       {p}\n"));
        }
        out
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    let (days, hours, minutes, seconds) = (s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds}s"),
        (0, 0, _) => format!("{minutes}m {seconds}s"),
        (0, _, _) => format!("{hours}h {minutes}m"),
        _ => format!("{days}d {hours}h"),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn row(values: &[&str]) -> DataRow {
        let mut body = Vec::new();
        let mut ranges = Vec::new();
        for v in values {
            ranges.push(Some(body.len()..body.len() + v.len()));
            body.extend_from_slice(v.as_bytes());
        }
        DataRow::new(Bytes::from(body), ranges)
    }

    fn values(total: &str) -> Vec<&str> {
        vec![
            "15.18", "150018", "app", "alice", "7753728", "7573 kB", "3725", "f", "1", total, "100",
        ]
    }

    #[test]
    fn reads_and_renders_a_healthy_server() {
        let r = HealthReport::from_row(
            &row(&values("5")),
            Duration::from_micros(2500),
            Duration::from_micros(300),
        )
        .expect("parses");
        assert!(r.healthy());
        assert_eq!(r.uptime, Duration::from_secs(3725));
        let text = r.to_text();
        assert!(text.contains("status:        healthy"), "{text}");
        assert!(text.contains("uptime:        1h 2m"), "{text}");
        assert!(
            text.contains("latency:       connect 2.5 ms, query 0.3 ms"),
            "{text}"
        );
        assert_eq!(r.to_json()["connectLatencyMs"], 2.5);
        assert_eq!(r.to_json()["healthy"], true);
    }

    #[test]
    fn nearly_full_connection_slots_are_a_problem() {
        let r = HealthReport::from_row(&row(&values("95")), Duration::ZERO, Duration::ZERO)
            .expect("parses");
        assert!(!r.healthy());
        assert!(r.problems[0].contains("95 of 100 connections"));
        assert!(r.to_text().contains("UNHEALTHY"));
    }

    #[test]
    fn a_short_row_is_an_error() {
        assert!(HealthReport::from_row(&row(&["15"]), Duration::ZERO, Duration::ZERO).is_err());
    }
}
