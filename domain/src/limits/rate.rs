//! A smooth fixed rate (GCRA, the generic cell rate algorithm of ATM
//! networks, as used by many API gateways): `max` requests per `per_secs`,
//! spread evenly, with a burst of up to `max` after a quiet spell. One
//! number per key (the theoretical arrival time), so a shared store can
//! update it atomically.

/// `max` requests per `per_secs` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub max: u32,
    pub per_secs: i64,
}

/// The answer to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateDecision {
    pub allowed: bool,
    /// Requests still allowed right now after this one.
    pub remaining: u32,
    /// Seconds until the full quota is back.
    pub reset_secs: i64,
    /// When refused: seconds until one more request is allowed.
    pub retry_after_secs: i64,
}

impl Rate {
    /// The time one request takes from the quota, in microseconds: fine
    /// enough for any quota a config allows (even millions a minute).
    pub fn interval_us(&self) -> i64 {
        ((self.per_secs.max(1) * 1_000_000) / i64::from(self.max.max(1))).max(1)
    }
    pub fn window_us(&self) -> i64 {
        self.per_secs.max(1) * 1_000_000
    }

    /// Decides one request at `now_ms` given the stored arrival time `tat`
    /// (microseconds); returns the decision and the arrival time to store
    /// when allowed.
    pub fn take(&self, tat: Option<i64>, now_ms: i64) -> (RateDecision, Option<i64>) {
        let now = now_ms.saturating_mul(1000);
        let t = self.interval_us();
        let w = self.window_us();
        let tat = tat.unwrap_or(now).max(now);
        let new_tat = tat + t;
        let ceil_secs = |us: i64| (us.max(0) + 999_999) / 1_000_000;
        if new_tat - now <= w {
            let remaining = ((w - (new_tat - now)) / t).clamp(0, i64::from(self.max)) as u32;
            (RateDecision { allowed: true, remaining, reset_secs: ceil_secs(new_tat - now), retry_after_secs: 0 }, Some(new_tat))
        } else {
            let retry = ceil_secs(new_tat - w - now).max(1);
            (RateDecision { allowed: false, remaining: 0, reset_secs: ceil_secs(tat - now), retry_after_secs: retry }, None)
        }
    }
}

impl Rate {
    /// What the quota looks like at `now_ms` given the stored arrival time,
    /// changing nothing: `remaining` is what a burst could still take now
    /// (so `max - remaining` is what recent requests used), `reset_secs`
    /// when all of it is back, `allowed` whether one more would be.
    pub fn peek(&self, tat: Option<i64>, now_ms: i64) -> RateDecision {
        let now = now_ms.saturating_mul(1000);
        let (t, w) = (self.interval_us(), self.window_us());
        let ahead = (tat.unwrap_or(now).max(now) - now).min(w);
        let remaining = ((w - ahead) / t).clamp(0, i64::from(self.max)) as u32;
        let ceil_secs = |us: i64| (us.max(0) + 999_999) / 1_000_000;
        let retry_after_secs = if remaining == 0 { ceil_secs(ahead + t - w).max(1) } else { 0 };
        RateDecision { allowed: remaining > 0, remaining, reset_secs: ceil_secs(ahead), retry_after_secs }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const API: Rate = Rate { max: 60, per_secs: 60 };

    #[test]
    fn a_full_quota_allows_exactly_max_at_once_then_refuses() {
        let mut tat = None;
        for i in 0..60 {
            let (d, next) = API.take(tat, 0);
            assert!(d.allowed, "request {i}");
            assert_eq!(d.remaining, 59 - i);
            tat = next;
        }
        let (d, next) = API.take(tat, 0);
        assert!(!d.allowed);
        assert_eq!(next, None, "a refusal changes nothing");
        assert_eq!(d.retry_after_secs, 1);
        assert_eq!(d.reset_secs, 60);
    }

    #[test]
    fn the_quota_comes_back_smoothly_one_per_interval() {
        let mut tat = None;
        for _ in 0..60 {
            tat = API.take(tat, 0).1;
        }
        assert!(!API.take(tat, 999).0.allowed);
        let (d, next) = API.take(tat, 1000);
        assert!(d.allowed, "one more after a second");
        assert!(!API.take(next, 1000).0.allowed);
        // After a quiet minute the whole burst is back.
        let (d, _) = API.take(next, 61_000);
        assert_eq!((d.allowed, d.remaining), (true, 59));
    }

    #[test]
    fn a_peek_sees_what_was_taken_and_what_comes_back_and_changes_nothing() {
        assert_eq!(API.peek(None, 0), RateDecision { allowed: true, remaining: 60, reset_secs: 0, retry_after_secs: 0 });
        let mut tat = None;
        for _ in 0..5 {
            tat = API.take(tat, 0).1;
        }
        let p = API.peek(tat, 0);
        assert_eq!((p.allowed, p.remaining, p.reset_secs), (true, 55, 5));
        assert_eq!(API.take(tat, 0).0.remaining, 54, "the next request finds what the peek saw, less itself");
        // Two seconds later two of the five are back.
        assert_eq!(API.peek(tat, 2_000).remaining, 57);
        assert_eq!(API.peek(tat, 5_000).remaining, 60);
        for _ in 5..60 {
            tat = API.take(tat, 0).1;
        }
        let full = API.peek(tat, 0);
        assert_eq!((full.allowed, full.remaining, full.retry_after_secs), (false, 0, 1));
        assert_eq!(API.take(tat, 0).0.allowed, full.allowed);
    }

    #[test]
    fn a_quota_of_millions_a_minute_still_counts_every_request() {
        let huge = Rate { max: 6_000_000, per_secs: 60 };
        let mut tat = None;
        for i in 0..1000 {
            let (d, next) = huge.take(tat, 0);
            assert!(d.allowed, "request {i}");
            assert_eq!(d.remaining, 6_000_000 - 1 - i);
            tat = next;
        }
    }
}
