//! How much each API token is used: requests per token per **UTC** day, and
//! how many of them the rate limit refused (429).
//!
//! A request never writes to the database for this. The REST door calls
//! [`super::ApiTokens::record`], which adds one to a counter in this
//! process's [`Meter`] (a mutex over a small map: cheap and synchronous).
//! The counters are added to the `api_token_usage` table
//! (`requests = requests + n`) by [`super::ApiTokens::flush_usage`]: every
//! minute from the server's background task, on shutdown, and before this
//! instance shows a list, so several instances add up and the owner sees
//! their own requests at once. A flush that fails gives its counts back, to
//! be added by the next one.
//!
//! Days are UTC days (`day` = days since 1970-01-01), the same for every
//! account and instance: a token's day does not move when its owner changes
//! time zone, and the chart says "UTC".

use crate::actor::ApiTokenId;
use std::collections::HashMap;
use std::sync::Mutex;

/// Days the usage chart (and [`super::ApiTokens::usage`]) covers, today included.
pub const DAYS: i64 = 30;
/// Days of counts kept; older ones are removed by the retention sweep.
pub const KEEP_DAYS: i64 = 90;

const DAY_SECS: i64 = 86_400;

/// The UTC day (days since 1970-01-01) that `t` (Unix seconds) falls in.
pub fn day_of(t: i64) -> i64 {
    t.div_euclid(DAY_SECS)
}

/// The first second of UTC day `day`.
pub fn day_start(day: i64) -> i64 {
    day * DAY_SECS
}

/// Requests of one token on one day, and how many were refused with 429.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub requests: i64,
    pub limited: i64,
}

/// One day of a token's usage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DayUsage {
    /// UTC day: days since 1970-01-01.
    pub day: i64,
    pub requests: i64,
    /// Of `requests`, those refused with 429.
    pub limited: i64,
}

/// This process's counts not yet added to the database.
#[derive(Debug, Default)]
pub struct Meter {
    counts: Mutex<HashMap<(ApiTokenId, i64), Tally>>,
}

impl Meter {
    /// One request of `token` at `now` (Unix seconds); `limited` when it was
    /// refused with 429.
    pub fn record(&self, token: ApiTokenId, limited: bool, now: i64) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let t = counts.entry((token, day_of(now))).or_default();
        t.requests += 1;
        t.limited += i64::from(limited);
    }

    /// Takes every count, leaving the meter empty (to be flushed).
    pub fn take(&self) -> Vec<(ApiTokenId, i64, Tally)> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut *counts).into_iter().map(|((token, day), t)| (token, day, t)).collect()
    }

    /// Puts back counts a failed flush took, added to any recorded since.
    pub fn give_back(&self, taken: Vec<(ApiTokenId, i64, Tally)>) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        for (token, day, t) in taken {
            let c = counts.entry((token, day)).or_default();
            c.requests += t.requests;
            c.limited += t.limited;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.counts.lock().unwrap_or_else(|e| e.into_inner()).is_empty()
    }
}

/// The [`DAYS`] days up to and including `today`, oldest first, with
/// zeroes for days without requests. `rows` are `(day, tally)` of one token.
pub fn last_days(rows: &[(i64, Tally)], today: i64) -> Vec<DayUsage> {
    (today - DAYS + 1..=today)
        .map(|day| {
            let t = rows
                .iter()
                .filter(|(d, _)| *d == day)
                .fold(Tally::default(), |a, (_, t)| Tally { requests: a.requests + t.requests, limited: a.limited + t.limited });
            DayUsage { day, requests: t.requests, limited: t.limited }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOON: i64 = 1_700_000_000; // 2023-11-14 22:13 UTC

    #[test]
    fn the_meter_counts_requests_and_429s_per_token_and_utc_day() {
        let m = Meter::default();
        let (a, b) = (ApiTokenId::new(1), ApiTokenId::new(2));
        m.record(a, false, NOON);
        m.record(a, true, NOON + 1);
        m.record(b, false, NOON);
        // Past midnight UTC: another day.
        let tomorrow = day_start(day_of(NOON) + 1);
        m.record(a, false, tomorrow);
        m.record(a, false, tomorrow - 1);
        let mut taken = m.take();
        taken.sort_by_key(|(t, d, _)| (t.get(), *d));
        assert_eq!(
            taken,
            vec![
                (a, day_of(NOON), Tally { requests: 3, limited: 1 }),
                (a, day_of(NOON) + 1, Tally { requests: 1, limited: 0 }),
                (b, day_of(NOON), Tally { requests: 1, limited: 0 }),
            ]
        );
        assert!(m.is_empty(), "taking empties the meter");
        assert!(m.take().is_empty(), "nothing is counted twice");
    }

    #[test]
    fn counts_a_failed_flush_gives_back_add_to_new_ones() {
        let m = Meter::default();
        let a = ApiTokenId::new(7);
        m.record(a, true, NOON);
        let taken = m.take();
        m.record(a, false, NOON);
        m.give_back(taken);
        assert_eq!(m.take(), vec![(a, day_of(NOON), Tally { requests: 2, limited: 1 })]);
    }

    #[test]
    fn the_last_30_days_are_zero_filled_oldest_first() {
        let today = day_of(NOON);
        let rows = [
            (today, Tally { requests: 5, limited: 2 }),
            (today - 29, Tally { requests: 1, limited: 0 }),
            (today - 30, Tally { requests: 9, limited: 9 }),
        ];
        let days = last_days(&rows, today);
        assert_eq!(days.len(), 30);
        assert_eq!(days[0], DayUsage { day: today - 29, requests: 1, limited: 0 });
        assert_eq!(days[29], DayUsage { day: today, requests: 5, limited: 2 });
        assert_eq!(days.iter().map(|d| d.requests).sum::<i64>(), 6, "a day before the window is left out");
        assert!(days.windows(2).all(|w| w[1].day == w[0].day + 1));
    }

    #[test]
    fn days_are_utc_and_negative_times_round_down() {
        assert_eq!(day_of(0), 0);
        assert_eq!(day_of(86_399), 0);
        assert_eq!(day_of(86_400), 1);
        assert_eq!(day_of(-1), -1);
        assert_eq!(day_start(day_of(NOON)) % 86_400, 0);
    }
}
