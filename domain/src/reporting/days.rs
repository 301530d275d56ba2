//! The person's days. Reports count by calendar day in the account's IANA time zone, so "today" and
//! "previous days" are the days the person lives, daylight saving included:
//! a day is 23, 24 or 25 hours long. The tz database is jiff's bundled copy.

/// The calendar types of Reporting's API, so a crate without its own jiff
/// can name them (`"2026-03-29".parse::<Date>()`).
pub use jiff::civil::{Date, Time};

pub use crate::support::zone::Zone;

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn hours(z: &Zone, d: Date) -> i64 {
        let (start, end) = z.bounds(d).expect("bounds");
        (end - start) / 3600
    }

    #[test]
    fn days_across_daylight_saving_in_berlin_and_new_york() {
        let berlin = Zone::parse("Europe/Berlin").expect("zone");
        assert_eq!(hours(&berlin, date(2026, 3, 29)), 23, "clocks go forward");
        assert_eq!(hours(&berlin, date(2026, 3, 30)), 24);
        assert_eq!(hours(&berlin, date(2026, 10, 25)), 25, "clocks go back");
        let ny = Zone::parse("America/New_York").expect("zone");
        assert_eq!(hours(&ny, date(2026, 3, 8)), 23);
        assert_eq!(hours(&ny, date(2026, 11, 1)), 25);
        // Berlin's day starts at 23:00 UTC the evening before in winter.
        assert_eq!(berlin.bounds(date(2026, 1, 15)).map(|b| b.0), Some(1_768_431_600));
    }

    #[test]
    fn today_and_earlier_days_are_the_persons() {
        // 2026-11-28 23:30 UTC is already the 29th in Berlin, still the 28th in New York.
        let at = 1_795_908_600;
        let berlin = Zone::parse("Europe/Berlin").expect("zone");
        let ny = Zone::parse("America/New_York").expect("zone");
        assert_eq!(berlin.date_of(at), Some(date(2026, 11, 29)));
        assert_eq!(ny.date_of(at), Some(date(2026, 11, 28)));
        assert!(berlin.reaches_an_earlier_day(date(2026, 11, 28), at));
        assert!(!ny.reaches_an_earlier_day(date(2026, 11, 28), at));
        assert!(!berlin.reaches_an_earlier_day(date(2026, 11, 29), at));
    }

    #[test]
    fn unknown_zones_are_refused() {
        assert!(Zone::parse("Mars/Olympus_Mons").is_none());
        assert!(Zone::parse("").is_none());
        assert_eq!(Zone::parse(" Europe/Berlin ").map(|z| z.name().to_owned()), Some("Europe/Berlin".into()));
        assert_eq!(Zone::utc().name(), "UTC");
    }
}
