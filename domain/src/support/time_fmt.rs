//! How times are shown to a person: UTC, to the minute.

use time::OffsetDateTime;

pub fn display(unix: i64) -> String {
    match OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute()),
        Err(_) => String::from("—"),
    }
}

/// Machine-readable form for `<time datetime=…>`.
pub fn iso(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix).ok().and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn shows_utc_minutes() {
        assert_eq!(super::display(1_700_000_000), "2023-11-14 22:13 UTC");
        assert_eq!(super::iso(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
