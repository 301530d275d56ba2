//! An account's IANA time zone: the days Reporting counts in and the clock
//! every time is shown on. The tz database is jiff's bundled copy.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

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
