//! The in-process [`LimitStore`]: two maps under one mutex, so a step over
//! several budgets is one critical section.
//!
//! - Budgets of accounts and device cookies live in a map of their own,
//!   never bounded and never evicted: they are bounded by the database's
//!   rows, and a lock on a PIN or a second factor must hold.
//! - Budgets of client addresses and typed text (anyone can mint those)
//!   live in a bounded map. Expired entries leave first (an index by expiry
//!   finds them); when it is full of live ones a new key is refused (the
//!   store answers an error, which each kind's outage policy turns into a
//!   refusal for guesses), with a log line, and a live key is never
//!   dropped to make room: evicting a lock would hand out fresh guesses.
//!
//! Every write also drops a few expired entries of its map, so memory
//! follows the live budgets without a full scan under the lock.

use super::{Budget, LimitKey, LimitStore, Rate, RateDecision, Record, Reserved, StoreError, StoreFuture};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

/// Live budgets of client addresses and typed text held at most.
pub const DEFAULT_MAX_KEYS: usize = 200_000;

#[derive(Clone, Copy)]
enum State {
    Failures(Record),
    /// GCRA's theoretical arrival time, in microseconds.
    Arrival(i64),
}

struct Entry {
    state: State,
    /// Seconds; the entry means nothing from then on.
    expires_at: i64,
}

/// One map and its expiry index.
#[derive(Default)]
struct Map {
    map: HashMap<String, Entry>,
    by_expiry: BTreeSet<(i64, String)>,
}

impl Map {
    fn live(&self, key: &str, now: i64) -> Option<State> {
        self.map.get(key).filter(|e| e.expires_at > now).map(|e| e.state)
    }

    fn remove(&mut self, key: &str) {
        if let Some(old) = self.map.remove(key) {
            self.by_expiry.remove(&(old.expires_at, key.to_owned()));
        }
    }

    /// Drops up to `n` entries expired by `now`; how many it dropped.
    fn drop_expired(&mut self, now: i64, n: usize) -> usize {
        let mut dropped = 0;
        while dropped < n {
            let Some((exp, key)) = self.by_expiry.first().cloned() else { break };
            if exp > now {
                break;
            }
            self.by_expiry.pop_first();
            self.map.remove(&key);
            dropped += 1;
        }
        dropped
    }

    fn put(&mut self, key: &str, state: State, expires_at: i64) {
        if let Some(old) = self.map.insert(key.to_owned(), Entry { state, expires_at }) {
            self.by_expiry.remove(&(old.expires_at, key.to_owned()));
        }
        self.by_expiry.insert((expires_at, key.to_owned()));
    }
}

#[derive(Default)]
struct Inner {
    /// Accounts and device cookies.
    owned: Map,
    /// Client addresses and typed text: bounded.
    mintable: Map,
}

impl Inner {
    fn map(&mut self, key: &LimitKey) -> &mut Map {
        if key.owner().is_mintable() {
            &mut self.mintable
        } else {
            &mut self.owned
        }
    }
}

pub struct MemoryStore {
    inner: Mutex<Inner>,
    max_keys: usize,
}

fn full() -> StoreError {
    tracing::error!(
        "limiter: the in-memory store is full of live client budgets; refusing new ones (fails closed for guesses) \
         until some expire. Many addresses are attacking at once: put a shared limiter (REDIS_URL) or a proxy in front"
    );
    StoreError("the in-memory limiter is full of live budgets".into())
}

impl MemoryStore {
    pub fn new(max_keys: usize) -> Self {
        MemoryStore { inner: Mutex::new(Inner::default()), max_keys: max_keys.max(1) }
    }

    /// Keys held now, in both maps (expired ones may linger until the next writes).
    pub fn len(&self) -> usize {
        let inner = self.lock();
        inner.owned.map.len() + inner.mintable.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `keys` that are new to the bounded map fit in it now,
    /// dropping expired entries to make room; live ones never leave.
    fn room_for(&self, inner: &mut Inner, keys: &[&LimitKey], now: i64) -> bool {
        let new = keys.iter().filter(|k| k.owner().is_mintable() && inner.mintable.live(&k.render(), now).is_none()).count();
        if new == 0 {
            return true;
        }
        let m = &mut inner.mintable;
        m.drop_expired(now, 4);
        while m.map.len() + new > self.max_keys {
            if m.drop_expired(now, 64) == 0 {
                return false;
            }
        }
        true
    }

    fn failures(inner: &mut Inner, key: &LimitKey, now: i64) -> Record {
        match inner.map(key).live(&key.render(), now) {
            Some(State::Failures(r)) => r,
            _ => Record::default(),
        }
    }
}

impl LimitStore for MemoryStore {
    fn reserve<'a>(&'a self, budgets: &'a [Budget], now: i64) -> StoreFuture<'a, Reserved> {
        let answer = (|| {
            let mut inner = self.lock();
            let mut records = Vec::with_capacity(budgets.len());
            let mut longest = None;
            for b in budgets {
                let mut r = Self::failures(&mut inner, &b.key, now);
                match b.rule.take(&mut r, now) {
                    Ok(()) => records.push(r),
                    Err(w) => longest = longest.max(Some(w)),
                }
            }
            if let Some(w) = longest {
                return Ok(Reserved::Wait(w));
            }
            let keys: Vec<&LimitKey> = budgets.iter().map(|b| &b.key).collect();
            if !self.room_for(&mut inner, &keys, now) {
                return Err(full());
            }
            for (b, r) in budgets.iter().zip(&records) {
                inner.map(&b.key).put(&b.key.render(), State::Failures(*r), b.rule.expires_at(r));
            }
            Ok(Reserved::Taken(records))
        })();
        Box::pin(async move { answer })
    }

    fn waiting<'a>(&'a self, budgets: &'a [Budget], now: i64) -> StoreFuture<'a, Option<i64>> {
        let mut inner = self.lock();
        let longest = budgets.iter().filter_map(|b| b.rule.wait(&Self::failures(&mut inner, &b.key, now), now)).max();
        Box::pin(async move { Ok(longest) })
    }

    fn refund<'a>(&'a self, key: &'a LimitKey) -> StoreFuture<'a, ()> {
        let mut inner = self.lock();
        let map = inner.map(key);
        if let Some(Entry { state: State::Failures(r), .. }) = map.map.get_mut(&key.render()) {
            r.refund();
        }
        Box::pin(async { Ok(()) })
    }

    fn clear<'a>(&'a self, key: &'a LimitKey) -> StoreFuture<'a, ()> {
        self.lock().map(key).remove(&key.render());
        Box::pin(async { Ok(()) })
    }

    fn arrival<'a>(&'a self, key: &'a LimitKey, now_ms: i64) -> StoreFuture<'a, Option<i64>> {
        let tat = match self.lock().map(key).live(&key.render(), now_ms.div_euclid(1000)) {
            Some(State::Arrival(t)) => Some(t),
            _ => None,
        };
        Box::pin(async move { Ok(tat) })
    }

    fn take<'a>(&'a self, key: &'a LimitKey, rate: Rate, now_ms: i64) -> StoreFuture<'a, RateDecision> {
        let answer = (|| {
            let mut inner = self.lock();
            let now = now_ms.div_euclid(1000);
            let tat = match inner.map(key).live(&key.render(), now) {
                Some(State::Arrival(t)) => Some(t),
                _ => None,
            };
            let (decision, next) = rate.take(tat, now_ms);
            if let Some(t) = next {
                if !self.room_for(&mut inner, &[key], now) {
                    return Err(full());
                }
                // After its arrival time a key is as good as fresh: it may go.
                inner.map(key).put(&key.render(), State::Arrival(t), t.div_euclid(1_000_000) + 1);
            }
            let m = inner.map(key);
            m.drop_expired(now, 4);
            Ok(decision)
        })();
        Box::pin(async move { answer })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Backoff, LimitKind, OnSuccess};
    use super::*;
    use crate::actor::AccountId;
    const RULE: Backoff = Backoff { free_failures: 1, base_secs: 1, max_secs: 10, window_secs: 60 };

    fn ip(n: usize) -> Budget {
        Budget::new(LimitKey::ip(LimitKind::SignInIp, &format!("10.0.{}.{}", n / 256, n % 256)), RULE, OnSuccess::Refund)
    }
    fn account(n: i64, kind: LimitKind) -> Budget {
        Budget::new(LimitKey::account(kind, AccountId::new(n)), RULE, OnSuccess::Clear)
    }

    #[tokio::test]
    async fn expired_keys_leave_as_new_ones_arrive() {
        let s = MemoryStore::new(1000);
        for i in 0..100 {
            s.reserve(&[ip(i)], 0).await.expect("reserve");
        }
        assert_eq!(s.len(), 100);
        // A minute later every old key has lapsed; new writes push them out.
        for i in 100..200 {
            s.reserve(&[ip(i)], 1000).await.expect("reserve");
        }
        assert_eq!(s.len(), 100, "only the new keys are left");
    }

    #[tokio::test]
    async fn a_full_map_of_live_client_budgets_refuses_new_keys_and_keeps_every_live_one() {
        let s = MemoryStore::new(50);
        for i in 0..50 {
            s.reserve(&[ip(i)], 0).await.expect("room");
        }
        assert!(s.reserve(&[ip(50)], 0).await.is_err(), "no room: refused, nothing evicted");
        assert!(s.waiting(&[ip(0)], 0).await.expect("read").is_some(), "the oldest live budget still holds");
        // A key already held is still counted.
        assert!(matches!(s.reserve(&[ip(0)], 5).await, Ok(Reserved::Taken(_))));
        // Once the old ones expire, new keys fit again.
        assert!(matches!(s.reserve(&[ip(51)], 1000).await, Ok(Reserved::Taken(_))));
    }

    #[tokio::test]
    async fn account_budgets_are_never_evicted_by_a_flood_of_client_budgets() {
        let s = MemoryStore::new(10);
        let lock = Budget::new(
            LimitKey::account(LimitKind::PinLock, AccountId::new(7)),
            Backoff { free_failures: 1, base_secs: 3600, max_secs: 3600, window_secs: 3600 },
            OnSuccess::Clear,
        );
        s.reserve(std::slice::from_ref(&lock), 0).await.expect("first wrong PIN");
        for i in 0..10_000 {
            let _ = s.reserve(&[ip(i)], 1).await;
        }
        assert_eq!(s.reserve(std::slice::from_ref(&lock), 2).await.expect("read"), Reserved::Wait(3598), "the PIN stays locked");
        assert!(s.len() <= 11, "{}", s.len());
        // Many accounts are fine: they are rows of the database.
        for n in 0..100 {
            s.reserve(&[account(n, LimitKind::SecondFactor)], 3).await.expect("accounts are not bounded here");
        }
    }

    #[tokio::test]
    async fn a_refund_never_goes_below_nothing_and_clear_forgets() {
        let s = MemoryStore::new(10);
        let b = account(1, LimitKind::PasswordProof);
        s.reserve(std::slice::from_ref(&b), 0).await.expect("take");
        s.refund(&b.key).await.expect("refund");
        s.refund(&b.key).await.expect("refund again");
        assert!(matches!(s.reserve(std::slice::from_ref(&b), 0).await, Ok(Reserved::Taken(r)) if r[0].failures == 1));
        s.clear(&b.key).await.expect("clear");
        assert_eq!(s.waiting(std::slice::from_ref(&b), 0).await.expect("read"), None);
    }
}
