//! Versions of pg_dump and of the server, and whether the one can dump
//! the other.
//!
//! pg_dump refuses a server of a newer major version ("aborting because of
//! server version mismatch"), the failure users report most, so the check
//! is made before pg_dump runs and the message says which pg_dump to
//! install. pg_dump 15 and newer dump servers from 9.2 on.

use std::fmt;

/// A server version as `server_version_num` gives it, e.g. 150018 for
/// 15.18 and 90624 for 9.6.24.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServerVersion(pub u32);

impl ServerVersion {
    /// The major version in `server_version_num` units: 150000 for any
    /// 15.x, 90600 for any 9.6.x.
    pub fn major_num(self) -> u32 {
        if self.0 >= 100_000 {
            self.0 / 10_000 * 10_000
        } else {
            self.0 / 100 * 100
        }
    }

    /// The major version as people write it: "15", "9.6".
    pub fn major_text(self) -> String {
        major_text(self.major_num())
    }
}

/// "15.18", "9.6.24".
impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        if n >= 100_000 {
            write!(f, "{}.{}", n / 10_000, n % 10_000)
        } else {
            write!(f, "{}.{}.{}", n / 10_000, n / 100 % 100, n % 100)
        }
    }
}

fn major_text(major_num: u32) -> String {
    if major_num >= 100_000 {
        (major_num / 10_000).to_string()
    } else {
        format!("{}.{}", major_num / 10_000, major_num / 100 % 100)
    }
}

/// pg_dump's version, from `pg_dump --version`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PgDumpVersion {
    /// The major version in `server_version_num` units (150000, 90600).
    pub major_num: u32,
    /// The version as printed ("15.18", "17devel", "9.6.24").
    pub text: String,
}

impl PgDumpVersion {
    /// Reads the first line of `pg_dump --version`, e.g.
    /// `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`; `None` when
    /// it is not pg_dump's.
    pub fn parse(output: &str) -> Option<PgDumpVersion> {
        let line = output.lines().find(|l| !l.trim().is_empty())?;
        let rest = line.trim().strip_prefix("pg_dump")?;
        let rest = rest.trim_start();
        let rest = match rest.strip_prefix('(') {
            Some(r) => r.split_once(')')?.1.trim_start(),
            None => rest,
        };
        let text = rest.split_whitespace().next()?.to_string();
        let numbers: Vec<u32> = text
            .split(|c: char| !c.is_ascii_digit())
            .take_while(|part| !part.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        let major_num = match numbers.as_slice() {
            [] => return None,
            [major, ..] if *major >= 10 => major.checked_mul(10_000)?,
            [major, minor, ..] => major * 10_000 + minor * 100,
            [_] => return None,
        };
        Some(PgDumpVersion { major_num, text })
    }

    /// The major version as people write it: "15", "9.6".
    pub fn major_text(&self) -> String {
        major_text(self.major_num)
    }

    /// Whether this pg_dump dumps `server`: not a newer major version, and
    /// for pg_dump 15 and newer not older than 9.2.
    pub fn can_dump(&self, server: ServerVersion) -> Compatibility {
        if server.major_num() > self.major_num {
            Compatibility::ServerNewer
        } else if self.major_num >= 150_000 && server.major_num() < 90_200 {
            Compatibility::ServerTooOld
        } else {
            Compatibility::Yes
        }
    }
}

impl fmt::Display for PgDumpVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The answer of [`PgDumpVersion::can_dump`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compatibility {
    /// pg_dump can dump this server.
    Yes,
    /// The server is of a newer major version than pg_dump.
    ServerNewer,
    /// The server is older than pg_dump supports.
    ServerTooOld,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(
        "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n",
        150_000,
        "15.18"
    )]
    #[case("pg_dump (PostgreSQL) 17.2\n", 170_000, "17.2")]
    #[case("pg_dump (PostgreSQL) 17devel", 170_000, "17devel")]
    #[case("pg_dump (PostgreSQL) 16beta1", 160_000, "16beta1")]
    #[case("pg_dump (PostgreSQL) 9.6.24", 90_600, "9.6.24")]
    #[case("pg_dump 12.1", 120_000, "12.1")]
    fn parses_versions(#[case] out: &str, #[case] major: u32, #[case] text: &str) {
        let v = PgDumpVersion::parse(out).expect("parses");
        assert_eq!((v.major_num, v.text.as_str()), (major, text));
    }

    #[rstest]
    #[case("")]
    #[case("psql (PostgreSQL) 15.1")]
    #[case("pg_dump (PostgreSQL) devel")]
    #[case("pg_dump (PostgreSQL) 9")]
    #[case("pg_dump (PostgreSQL) 99999999999.1")]
    fn refuses_other_output(#[case] out: &str) {
        assert_eq!(PgDumpVersion::parse(out), None);
    }

    #[rstest]
    #[case(150_018, "15.18", "15")]
    #[case(90_624, "9.6.24", "9.6")]
    #[case(170_000, "17.0", "17")]
    fn server_versions_print(#[case] num: u32, #[case] text: &str, #[case] major: &str) {
        assert_eq!(ServerVersion(num).to_string(), text);
        assert_eq!(ServerVersion(num).major_text(), major);
    }

    #[rstest]
    #[case("pg_dump (PostgreSQL) 15.18", 150_018, Compatibility::Yes)]
    #[case("pg_dump (PostgreSQL) 15.1", 150_018, Compatibility::Yes)]
    #[case("pg_dump (PostgreSQL) 17.2", 150_018, Compatibility::Yes)]
    #[case("pg_dump (PostgreSQL) 15.18", 170_002, Compatibility::ServerNewer)]
    #[case("pg_dump (PostgreSQL) 9.6.1", 100_001, Compatibility::ServerNewer)]
    #[case("pg_dump (PostgreSQL) 15.18", 90_124, Compatibility::ServerTooOld)]
    #[case("pg_dump (PostgreSQL) 15.18", 90_200, Compatibility::Yes)]
    #[case("pg_dump (PostgreSQL) 14.1", 80_400, Compatibility::Yes)]
    fn compatibility(#[case] pg_dump: &str, #[case] server: u32, #[case] answer: Compatibility) {
        let v = PgDumpVersion::parse(pg_dump).expect("parses");
        assert_eq!(v.can_dump(ServerVersion(server)), answer);
    }
}
