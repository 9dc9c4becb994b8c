//! Time: epoch milliseconds inside, RFC 3339 on the wire.
//!
//! The server serialises `java.util.Date` (and SQL timestamps, which extend it) with cheshire's
//! default pattern, seconds precision and a `Z`: `2025-01-02T03:04:05Z`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `2025-01-02T03:04:05Z` for an epoch-milliseconds instant.
pub(crate) fn iso(ms: i64) -> String {
    let time = UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_seconds(time).to_string()
}

/// Parses a date the way `i.date()` attributes accept them: an RFC 3339 timestamp (with or
/// without fractional seconds or offset) or a plain `YYYY-MM-DD` day. Returns epoch ms.
pub(crate) fn parse_date(text: &str) -> Option<i64> {
    let text = text.trim();
    let parsed = humantime::parse_rfc3339_weak(text)
        .or_else(|_| humantime::parse_rfc3339(text))
        .ok()
        .or_else(|| {
            // A bare day, or a timestamp with an explicit offset humantime does not take.
            if text.len() == 10 {
                humantime::parse_rfc3339(&format!("{text}T00:00:00Z")).ok()
            } else {
                None
            }
        })?;
    let ms = parsed.duration_since(UNIX_EPOCH).ok()?.as_millis();
    i64::try_from(ms).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_has_seconds_precision() {
        assert_eq!(iso(1_735_787_045_123), "2025-01-02T03:04:05Z");
    }

    #[test]
    fn dates_parse_leniently() {
        assert_eq!(parse_date("2025-01-02T03:04:05Z"), Some(1_735_787_045_000));
        assert_eq!(
            parse_date("2025-01-02T03:04:05.123Z"),
            Some(1_735_787_045_123)
        );
        assert_eq!(parse_date("2025-01-02"), Some(1_735_776_000_000));
        assert_eq!(parse_date("tomorrow"), None);
    }
}
