//! A UTC timestamp for default file names, computed from a time the
//! runtime passes in (the core reads no clock).

use std::time::{SystemTime, UNIX_EPOCH};

/// `20250131T120000Z`: ISO 8601 basic format, UTC, to the second. It sorts
/// by time, and has no `:` (which some file systems and tools refuse).
/// Times before 1970 print as the epoch.
pub fn utc_stamp(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a
/// proleptic Gregorian (year, month, day).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use std::time::Duration;

    #[rstest]
    #[case(0, "19700101T000000Z")]
    #[case(951_782_400, "20000229T000000Z")]
    #[case(1_738_324_800, "20250131T120000Z")]
    #[case(1_709_251_199, "20240229T235959Z")]
    #[case(4_102_444_800, "21000101T000000Z")]
    fn stamps(#[case] secs: u64, #[case] text: &str) {
        assert_eq!(utc_stamp(UNIX_EPOCH + Duration::from_secs(secs)), text);
    }

    #[test]
    fn before_the_epoch_is_the_epoch() {
        let t = UNIX_EPOCH - Duration::from_secs(10);
        assert_eq!(utc_stamp(t), "19700101T000000Z");
    }
}
