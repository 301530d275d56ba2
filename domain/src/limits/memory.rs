//! The in-process [`LimitStore`]: one map under a mutex, bounded. Expired
//! keys leave through a queue in write order, a few at a time on each write
//! (amortised O(1), never a full scan under the lock); past `max_keys` the
//! oldest written keys go first.

use super::{Backoff, LimitStore, Rate, RateDecision, Record, StoreFuture};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

pub const DEFAULT_MAX_KEYS: usize = 200_000;

enum State {
    Failures(Record),
    /// GCRA's theoretical arrival time, in microseconds.
    Arrival(i64),
}

struct Entry {
    state: State,
    /// Seconds; the entry means nothing after this.
    expires_at: i64,
    /// Which write last touched the entry: queue items of older writes are stale.
    write: u64,
}

#[derive(Default)]
struct Inner {
    map: HashMap<String, Entry>,
    /// (expires_at, key, write) in write order.
    queue: VecDeque<(i64, String, u64)>,
    writes: u64,
}

pub struct MemoryStore {
    inner: Mutex<Inner>,
    max_keys: usize,
}

impl MemoryStore {
    pub fn new(max_keys: usize) -> Self {
        MemoryStore { inner: Mutex::new(Inner::default()), max_keys: max_keys.max(1) }
    }

    /// Keys held now (expired ones may linger until the next writes).
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Inner {
    fn put(&mut self, key: &str, state: State, expires_at: i64, now: i64, max_keys: usize) {
        self.writes += 1;
        let write = self.writes;
        self.map.insert(key.to_owned(), Entry { state, expires_at, write });
        self.queue.push_back((expires_at, key.to_owned(), write));
        // Each queued item leaves once: the work per write is amortised O(1).
        for _ in 0..4 {
            let Some((exp, _, _)) = self.queue.front() else { break };
            let over = self.map.len() > max_keys;
            if *exp > now && !over {
                break;
            }
            if let Some((_, k, w)) = self.queue.pop_front() {
                if self.map.get(&k).is_some_and(|e| e.write == w) {
                    self.map.remove(&k);
                }
            }
        }
        // Stale items (keys written again since) are dropped as they surface.
        while let Some((_, k, w)) = self.queue.front() {
            if self.map.get(k).is_some_and(|e| e.write == *w) {
                break;
            }
            self.queue.pop_front();
        }
    }

    fn live(&self, key: &str, now: i64) -> Option<&Entry> {
        self.map.get(key).filter(|e| e.expires_at > now)
    }
}

impl LimitStore for MemoryStore {
    fn failures(&self, key: &str) -> StoreFuture<'_, Option<Record>> {
        let inner = self.lock();
        let r = match inner.map.get(key).map(|e| &e.state) {
            Some(State::Failures(r)) => Some(*r),
            _ => None,
        };
        Box::pin(async move { Ok(r) })
    }

    fn fail(&self, key: &str, rule: Backoff, now: i64) -> StoreFuture<'_, Record> {
        let mut inner = self.lock();
        let mut r = match inner.live(key, now).map(|e| &e.state) {
            Some(State::Failures(r)) => *r,
            _ => Record::default(),
        };
        rule.failed(&mut r, now);
        inner.put(key, State::Failures(r), rule.expires_at(&r), now, self.max_keys);
        Box::pin(async move { Ok(r) })
    }

    fn clear(&self, key: &str) -> StoreFuture<'_, ()> {
        self.lock().map.remove(key);
        Box::pin(async { Ok(()) })
    }

    fn take(&self, key: &str, rate: Rate, now_ms: i64) -> StoreFuture<'_, RateDecision> {
        let mut inner = self.lock();
        let now = now_ms.div_euclid(1000);
        let tat = match inner.live(key, now).map(|e| &e.state) {
            Some(State::Arrival(t)) => Some(*t),
            _ => None,
        };
        let (decision, next) = rate.take(tat, now_ms);
        if let Some(t) = next {
            // After its arrival time a key is as good as fresh: it may go.
            inner.put(key, State::Arrival(t), t.div_euclid(1_000_000) + 1, now, self.max_keys);
        }
        Box::pin(async move { Ok(decision) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const RULE: Backoff = Backoff { free_failures: 1, base_secs: 1, max_secs: 10, window_secs: 60 };

    #[tokio::test]
    async fn expired_keys_leave_as_new_ones_arrive() {
        let s = MemoryStore::new(1000);
        for i in 0..100 {
            s.fail(&format!("k{i}"), RULE, 0).await.expect("fail");
        }
        assert_eq!(s.len(), 100);
        // A minute later every old key has lapsed; new writes push them out.
        for i in 0..100 {
            s.fail(&format!("n{i}"), RULE, 1000).await.expect("fail");
        }
        assert_eq!(s.len(), 100, "only the new keys are left");
    }

    #[tokio::test]
    async fn the_map_never_grows_past_its_bound() {
        let s = MemoryStore::new(50);
        for i in 0..10_000 {
            s.fail(&format!("ip{i}"), RULE, 0).await.expect("fail");
        }
        assert!(s.len() <= 51, "{}", s.len());
        // The newest key is still counted.
        assert!(s.failures("ip9999").await.expect("read").is_some());
    }

    #[tokio::test]
    async fn rewriting_a_key_keeps_it_alive() {
        let s = MemoryStore::new(1000);
        s.fail("k", RULE, 0).await.expect("fail");
        s.fail("k", RULE, 50).await.expect("fail");
        for i in 0..20 {
            s.fail(&format!("x{i}"), RULE, 100).await.expect("fail");
        }
        assert_eq!(s.failures("k").await.expect("read").map(|r| r.failures), Some(2), "written at 50, lives to 111");
    }
}
