//! The server's timestamps.

use std::time::{Duration, SystemTime};

/// Parses an ISO-8601 / RFC 3339 timestamp as the server writes it
/// (`2024-01-02T03:04:05Z`, `2024-01-02T03:04:05.123456Z`, or with a `+00:00`/`-05:00`
/// offset). Upstream passes these to `new Date(...)`, which never fails but may give an
/// invalid date; here an unreadable value is `None`.
pub(crate) fn parse_timestamp(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    if let Ok(time) = humantime::parse_rfc3339_weak(text) {
        return Some(time);
    }
    // humantime only knows `Z`: apply a numeric offset ourselves.
    let split = text.len().checked_sub(6)?;
    let (local, offset) = text.split_at(split);
    let sign = match offset.as_bytes().first()? {
        b'+' => 1i64,
        b'-' => -1i64,
        _ => return None,
    };
    let (hours, minutes) = offset[1..].split_once(':')?;
    let seconds = (hours.parse::<i64>().ok()? * 60 + minutes.parse::<i64>().ok()?) * 60;
    let utc_if_local = humantime::parse_rfc3339_weak(local).ok()?;
    // `local` is wall-clock time at the offset: UTC = local - offset.
    let shift = Duration::from_secs(seconds.unsigned_abs());
    if sign * seconds >= 0 {
        utc_if_local.checked_sub(shift)
    } else {
        utc_if_local.checked_add(shift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_server_formats() {
        let base = humantime::parse_rfc3339("2024-01-02T03:04:05Z").unwrap();
        assert_eq!(parse_timestamp("2024-01-02T03:04:05Z"), Some(base));
        assert_eq!(
            parse_timestamp("2024-01-02T03:04:05.250Z"),
            Some(base + Duration::from_millis(250))
        );
        assert_eq!(parse_timestamp("2024-01-02T03:04:05+00:00"), Some(base));
        assert_eq!(parse_timestamp("2024-01-02T05:04:05+02:00"), Some(base));
        assert_eq!(parse_timestamp("2024-01-01T22:04:05-05:00"), Some(base));
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp(""), None);
    }
}
