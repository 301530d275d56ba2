//! Growing delays after failed attempts (NIST SP 800-63B §5.2.2, "rate
//! limiting"): a small pure state machine, kept per key by the limiter.
//!
//! A few failures are free; after that each further attempt must wait
//! `base · 2^(n − free)` seconds after the last failure, up to `max`. A quiet
//! `window` forgets the history. The cap keeps an attacker from locking the
//! real owner out for long: the worst they can do is a delay of `max`.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub free_failures: u32,
    pub base_secs: i64,
    pub max_secs: i64,
    pub window_secs: i64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Record {
    pub failures: u32,
    pub last_failure: i64,
}

impl Backoff {
    /// Seconds still to wait before another attempt, if any.
    pub fn wait(&self, r: &Record, now: i64) -> Option<i64> {
        if r.failures < self.free_failures || now - r.last_failure > self.window_secs {
            return None;
        }
        let exp = (r.failures - self.free_failures).min(30);
        let delay = self.base_secs.saturating_mul(1i64 << exp).min(self.max_secs);
        let left = r.last_failure + delay - now;
        (left > 0).then_some(left)
    }

    /// How long a record must be kept: after this it is forgotten anyway.
    pub fn expires_at(&self, r: &Record) -> i64 {
        r.last_failure + self.window_secs + 1
    }

    pub fn failed(&self, r: &mut Record, now: i64) {
        if now - r.last_failure > self.window_secs {
            r.failures = 0;
        }
        r.failures = r.failures.saturating_add(1);
        r.last_failure = now;
    }

    /// Takes one attempt if the record allows it now: `Err(wait)` when it
    /// must wait, else counts it. The limiter's one step ([`super::Limiter::attempt`]).
    pub fn take(&self, r: &mut Record, now: i64) -> Result<(), i64> {
        match self.wait(r, now) {
            Some(wait) => Err(wait),
            None => {
                self.failed(r, now);
                Ok(())
            }
        }
    }
}

impl Record {
    /// Gives back one attempt (a right answer on a budget that refunds).
    pub fn refund(&mut self) {
        self.failures = self.failures.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const RULE: Backoff = Backoff { free_failures: 3, base_secs: 2, max_secs: 60, window_secs: 900 };

    #[test]
    fn the_first_failures_are_free_then_delays_double_up_to_the_cap() {
        let mut r = Record::default();
        let t = 1_000;
        for _ in 0..2 {
            RULE.failed(&mut r, t);
            assert_eq!(RULE.wait(&r, t), None);
        }
        RULE.failed(&mut r, t); // 3rd
        assert_eq!(RULE.wait(&r, t), Some(2));
        RULE.failed(&mut r, t); // 4th
        assert_eq!(RULE.wait(&r, t), Some(4));
        assert_eq!(RULE.wait(&r, t + 3), Some(1));
        assert_eq!(RULE.wait(&r, t + 4), None);
        for _ in 0..20 {
            RULE.failed(&mut r, t);
        }
        assert_eq!(RULE.wait(&r, t), Some(60), "capped, so the owner is never locked out for long");
    }

    #[test]
    fn take_refuses_while_it_must_wait_and_counts_otherwise() {
        let mut r = Record::default();
        for _ in 0..3 {
            assert_eq!(RULE.take(&mut r, 10), Ok(()));
        }
        assert_eq!(RULE.take(&mut r, 10), Err(2), "the fourth waits");
        assert_eq!(r.failures, 3, "a refused take counts nothing");
        assert_eq!(RULE.take(&mut r, 12), Ok(()));
        r.refund();
        assert_eq!(r.failures, 3);
    }

    #[test]
    fn a_quiet_window_forgets_the_history() {
        let mut r = Record::default();
        for _ in 0..10 {
            RULE.failed(&mut r, 0);
        }
        assert!(RULE.wait(&r, 10).is_some());
        assert_eq!(RULE.wait(&r, 901), None);
        RULE.failed(&mut r, 901);
        assert_eq!(r.failures, 1);
    }
}
