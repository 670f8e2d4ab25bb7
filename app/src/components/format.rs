//! Text formatting shared by the pages.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// RFC 3986 unreserved characters stay as they are; every other byte is encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Formats milliseconds since the epoch as `2026-11-21 20:35 UTC`.
pub fn format_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

/// A form's `YYYY-MM-DD` (UTC) as ms, `add_days` later (1 makes an inclusive end date
/// exclusive); None for a blank field. Errors: `Invalid` on `field` for anything else.
pub fn day_ms(field: &str, v: &str, add_days: i64) -> Result<Option<i64>, crate::error::AppError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let d = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| crate::error::AppError::invalid(field, "a date is YYYY-MM-DD"))?;
    let start = d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis()).unwrap_or_default();
    Ok(Some(start + add_days * 86_400_000))
}

/// Percent-encodes text for a URL path segment or query value (RFC 3986 unreserved
/// characters stay as they are; every other byte of the UTF-8 becomes `%XX`).
pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_shown_in_utc() {
        assert_eq!(super::format_time(0), "1970-01-01 00:00 UTC");
    }

    #[test]
    fn path_segments_and_query_values_are_encoded() {
        assert_eq!(super::percent_encode("a b/ü"), "a%20b%2F%C3%BC");
        assert_eq!(super::percent_encode("user-1_x.y"), "user-1_x.y");
        assert_eq!(super::percent_encode("Luna & co/ü"), "Luna%20%26%20co%2F%C3%BC");
    }
}
