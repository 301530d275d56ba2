//! Waits this instance has seen: the budgets whose units stay spent
//! ([`super::OnSuccess::Keep`]) and that guard something cheap, such as the
//! refused-API-token damper, are checked here before the work they guard,
//! without asking the shared store.
//!
//! A wait remembered here is never longer than the store's: it is what the
//! store answered (or what the rule says of the record it answered), and a
//! kept budget's wait only ends with time, never by a right answer. So this
//! can only refuse what the store would refuse. What it misses (a wait that
//! began on another instance) the caller's next step against the store
//! still refuses ([`super::Limiter::take_unless_waiting`]).

use std::collections::HashMap;
use std::sync::Mutex;

/// Budget sets that must wait, by their keys, until when (seconds).
pub struct SeenWaits {
    until: Mutex<HashMap<String, i64>>,
    max_keys: usize,
}

impl Default for SeenWaits {
    fn default() -> Self {
        SeenWaits::new(100_000)
    }
}

impl std::fmt::Debug for SeenWaits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SeenWaits")
    }
}

impl SeenWaits {
    pub fn new(max_keys: usize) -> Self {
        SeenWaits { until: Mutex::new(HashMap::new()), max_keys: max_keys.max(1) }
    }

    /// Seconds `key` must still wait at `now`, as last seen here.
    pub fn wait(&self, key: &str, now: i64) -> Option<i64> {
        let m = self.until.lock().unwrap_or_else(|p| p.into_inner());
        m.get(key).map(|until| until - now).filter(|&w| w > 0)
    }

    /// `key` must wait `wait` seconds from `now`. Bounded: when full of
    /// live waits it forgets them all, which costs each forgotten address
    /// one trip to the shared store, never a wrong answer.
    pub fn note(&self, key: &str, now: i64, wait: i64) {
        if wait <= 0 {
            return;
        }
        let mut m = self.until.lock().unwrap_or_else(|p| p.into_inner());
        if m.len() >= self.max_keys && !m.contains_key(key) {
            m.retain(|_, until| *until > now);
            if m.len() >= self.max_keys {
                m.clear();
            }
        }
        let until = now + wait;
        let at = m.entry(key.to_owned()).or_insert(until);
        *at = (*at).max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_lasts_until_its_end_and_only_for_its_key() {
        let s = SeenWaits::new(10);
        assert_eq!(s.wait("a", 100), None);
        s.note("a", 100, 4);
        assert_eq!(s.wait("a", 100), Some(4));
        assert_eq!(s.wait("a", 103), Some(1));
        assert_eq!(s.wait("a", 104), None, "over at its end");
        assert_eq!(s.wait("b", 100), None);
        s.note("a", 100, 2);
        s.note("a", 100, 8);
        assert_eq!(s.wait("a", 100), Some(8), "the longest seen");
        s.note("c", 100, 0);
        assert_eq!(s.wait("c", 100), None);
    }

    #[test]
    fn the_map_stays_bounded() {
        let s = SeenWaits::new(5);
        for i in 0..1000 {
            s.note(&format!("k{i}"), 1000, 60);
            assert_eq!(s.wait(&format!("k{i}"), 1000), Some(60), "the newest is kept");
        }
        assert!(s.until.lock().map(|m| m.len()).unwrap_or(0) <= 5);
    }
}
