//! The person's days (issue 9, work in progress: not wired in yet). Reports
//! count by calendar day in the account's IANA time zone, so "today" and
//! "previous days" are the days the person lives, daylight saving included:
//! a day is 23, 24 or 25 hours long. The tz database is jiff's bundled copy.

use jiff::tz::TimeZone;
use jiff::Timestamp;

/// The calendar types of Reporting's API, so a crate without its own jiff
/// can name them (`"2026-03-29".parse::<Date>()`).
pub use jiff::civil::{Date, Time};

/// An account's time zone, by its IANA name (`Europe/Berlin`).
#[derive(Clone, Debug)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Zone {
    /// The zone named `name`, if the tz database knows it.
    pub fn parse(name: &str) -> Option<Zone> {
        let name = name.trim();
        if name.is_empty() || name.len() > 64 {
            return None;
        }
        TimeZone::get(name).ok().map(|tz| Zone { name: name.to_owned(), tz })
    }

    pub fn utc() -> Zone {
        Zone { name: "UTC".into(), tz: TimeZone::UTC }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The time of day of `at` on this zone's clock, `HH:MM`.
    pub fn clock(&self, at: i64) -> String {
        Timestamp::from_second(at).map(|t| t.to_zoned(self.tz.clone()).strftime("%H:%M").to_string()).unwrap_or_default()
    }

    /// Every zone name the tz database knows, sorted.
    pub fn all_names() -> Vec<String> {
        let mut names: Vec<String> = jiff::tz::db().available().map(|n| n.to_string()).collect();
        names.sort();
        names.dedup();
        names
    }

    /// The calendar date of the Unix second `at` in this zone.
    pub fn date_of(&self, at: i64) -> Option<Date> {
        Some(Timestamp::from_second(at).ok()?.to_zoned(self.tz.clone()).date())
    }

    /// The first second of `date` and the first second of the day after:
    /// `[start, end)` in Unix seconds.
    pub fn bounds(&self, date: Date) -> Option<(i64, i64)> {
        let start = date.to_zoned(self.tz.clone()).ok()?.start_of_day().ok()?;
        let next = date.tomorrow().ok()?.to_zoned(self.tz.clone()).ok()?.start_of_day().ok()?;
        Some((start.timestamp().as_second(), next.timestamp().as_second()))
    }

    /// The Unix second `at` as a date and time on this zone's clocks (for
    /// showing it, with its offset).
    pub fn zoned(&self, at: i64) -> Option<jiff::Zoned> {
        Some(Timestamp::from_second(at).ok()?.to_zoned(self.tz.clone()))
    }

    /// The Unix second at which this zone's clocks read `time` on `date`. A
    /// time skipped by daylight saving is read as after the jump, a repeated
    /// one as its first occurrence (jiff's "compatible" rule, as RFC 5545).
    pub fn at(&self, date: Date, time: jiff::civil::Time) -> Option<i64> {
        Some(date.to_datetime(time).to_zoned(self.tz.clone()).ok()?.timestamp().as_second())
    }

    /// Whether `[from, to]` (calendar dates) reaches before the day of `now`:
    /// the ranges that need the PIN when one is set.
    pub fn reaches_an_earlier_day(&self, from: Date, now: i64) -> bool {
        self.date_of(now).is_some_and(|today| from < today)
    }
}

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
