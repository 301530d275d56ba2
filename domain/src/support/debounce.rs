//! One write per key per interval from this process.
//!
//! Last-active of a session and last-used of a token are written at most
//! once a minute: each request reads the stored time and writes only when it
//! is a minute old, and the `UPDATE` is conditional, so the row changes once
//! even when instances race. But a burst of requests that all read the old
//! time before the first write lands would each still send their (no-op)
//! `UPDATE`. This claims the write in memory first, so one request per
//! instance sends it. A claim that is lost (the process stops, the write
//! fails) only delays the next write by one interval.

use std::collections::HashMap;
use std::sync::Mutex;

pub struct Debounce {
    claimed: Mutex<HashMap<String, i64>>,
    max_keys: usize,
}

impl Default for Debounce {
    fn default() -> Self {
        Debounce::new(100_000)
    }
}

impl Debounce {
    pub fn new(max_keys: usize) -> Self {
        Debounce { claimed: Mutex::new(HashMap::new()), max_keys: max_keys.max(1) }
    }

    /// True for the first caller for `key` in each `every` seconds (the one
    /// that should write); false for the rest.
    pub fn claim(&self, key: &str, now: i64, every: i64) -> bool {
        let mut m = self.claimed.lock().unwrap_or_else(|p| p.into_inner());
        if m.get(key).is_some_and(|&at| now - at < every && now >= at) {
            return false;
        }
        if m.len() >= self.max_keys {
            m.retain(|_, at| now - *at < every);
            if m.len() >= self.max_keys {
                // Only live claims and still full: forgetting them costs at
                // most one extra (conditional) write each.
                m.clear();
            }
        }
        m.insert(key.to_owned(), now);
        true
    }
}

impl std::fmt::Debug for Debounce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Debounce")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_claim_per_key_per_interval() {
        let d = Debounce::new(10);
        assert!(d.claim("s1", 1000, 60));
        assert!(!d.claim("s1", 1000, 60), "the burst's other requests do not write");
        assert!(!d.claim("s1", 1059, 60));
        assert!(d.claim("s2", 1000, 60), "keys are apart");
        assert!(d.claim("s1", 1060, 60), "a minute later, one write again");
    }

    #[test]
    fn the_map_stays_bounded() {
        let d = Debounce::new(5);
        for i in 0..1000 {
            assert!(d.claim(&format!("k{i}"), 1000, 60));
        }
        assert!(d.claimed.lock().map(|m| m.len()).unwrap_or(0) <= 5);
    }
}
