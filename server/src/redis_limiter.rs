//! The limiter's store shared by every instance: Redis (`REDIS_URL`), an
//! adapter of the domain's [`LimitStore`] port.
//!
//! One multiplexed connection ([`ConnectionManager`]) that reconnects by
//! itself after Redis comes back. Every step is one atomic command or one
//! Lua script (Redis runs a script alone), so two instances counting the
//! same budget at once never lose a count, and an attempt over several
//! budgets spends all of them or none: no read, then write, from the
//! client. Keys expire by themselves (a TTL a little past the longest time
//! a value can matter), so Redis holds only live budgets.
//!
//! Times are the instances' own clocks, passed in as everywhere in the
//! limiter (keep them in step with NTP, as for the database); the TTLs are
//! only garbage collection, never the rule. The rules themselves are the
//! pure ones in `domain::limits::{backoff, rate}`: the scripts below repeat
//! their few lines of arithmetic, and the tests here check them against
//! each other on a real Redis.
//!
//! Redis must not evict these keys to make room (`maxmemory-policy
//! noeviction`, Redis's default): an evicted lock would hand out fresh
//! guesses. [`RedisStore::connect`] checks the policy where `CONFIG GET`
//! is allowed and says so in the log.
//!
//! Every command is bounded in time: a Redis that does not answer is an
//! outage (see `domain::limits::Outage`), not a hung request.

use domain::limits::{Budget, Gated, LimitKey, LimitStore, Rate, RateDecision, Record, Reserved, StoreError, StoreFuture};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::time::Duration;

/// How long one command may take before it counts as an outage.
const COMMAND_TIMEOUT: Duration = Duration::from_millis(750);

/// The Lua both backoff scripts share: `longest_wait(first, base, now)`
/// reads the budgets `KEYS[first..]` (their rules at `ARGV[base + 1..]`,
/// four each: free, base, max, window) and returns the longest wait among
/// them ([`domain::limits::Backoff`]'s `wait`; 0 for none), and each one's
/// count and last failure as read.
macro_rules! lua_longest_wait {
    () => {
        r"
local function longest_wait(first, base, now)
  local longest, counts, lasts = 0, {}, {}
  for i = first, #KEYS do
    local o = base + (i - first) * 4
    local free, base_s, max, window = tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4])
    local v = redis.call('HMGET', KEYS[i], 'n', 't')
    local n, last = tonumber(v[1]) or 0, tonumber(v[2]) or 0
    if n >= free and now - last <= window then
      local exp = n - free
      if exp > 30 then exp = 30 end
      local delay = base_s * (2 ^ exp)
      if delay > max then delay = max end
      local left = last + delay - now
      if left > longest then longest = left end
    end
    counts[i], lasts[i] = n, last
  end
  return longest, counts, lasts
end
"
    };
}

/// The Lua both rate scripts share: `take(key, now, interval, window)`,
/// one request against GCRA ([`Rate::take`]), all in microseconds (below
/// 2^53, so exact in Lua's numbers). Stores the new arrival time when the
/// request is allowed and returns the one stored before, or nil; the
/// caller decides from it exactly as the script did.
macro_rules! lua_take {
    () => {
        r"
local function take(key, now, interval, window)
  local stored = tonumber(redis.call('GET', key))
  local tat = stored or now
  if tat < now then tat = now end
  local new = tat + interval
  if new - now <= window then
    redis.call('SET', key, string.format('%d', new), 'PX', string.format('%d', window / 1000 + 1000))
  end
  return stored
end
"
    };
}

/// One attempt over several backoff budgets ([`domain::limits::Backoff`]'s
/// `wait` and `failed`): when any budget must wait, nothing is written and
/// `{0, longest wait}` comes back; else each is counted and `{1, 0, n1, t1,
/// n2, t2, …}` comes back. With ARGV[2] = 1 it only reads (the wait).
/// KEYS the budgets; ARGV now, dry, then per key free, base, max, window.
const RESERVE: &str = concat!(
    lua_longest_wait!(),
    r"
local now = tonumber(ARGV[1])
local dry = ARGV[2] == '1'
local longest, counts, lasts = longest_wait(1, 2, now)
if longest > 0 then return {0, longest} end
if dry then return {1, 0} end
local out = {1, 0}
for i = 1, #KEYS do
  local window = tonumber(ARGV[2 + (i - 1) * 4 + 4])
  local n = counts[i]
  if now - lasts[i] > window then n = 0 end
  n = n + 1
  redis.call('HSET', KEYS[i], 'n', string.format('%d', n), 't', string.format('%d', now))
  redis.call('EXPIRE', KEYS[i], window + 1)
  out[#out + 1] = n
  out[#out + 1] = now
end
return out
"
);

/// Gives back one unit, never below none. KEYS[1] the budget.
const REFUND: &str = r"
local n = tonumber(redis.call('HGET', KEYS[1], 'n'))
if n and n > 0 then redis.call('HSET', KEYS[1], 'n', string.format('%d', n - 1)) end
return 0
";

/// One request against a rate. KEYS[1] the rate; ARGV now, interval and
/// window, in microseconds. Returns the arrival time stored before, or nil.
const TAKE: &str = concat!(
    lua_take!(),
    r"
local stored = take(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
if stored then return stored end
return false
"
);

/// One request against a rate unless a backoff budget must wait (the
/// gate, [`LimitStore::take_unless_waiting`]): `{0, longest wait}` and the
/// rate untouched, else the rate is taken and `{1, arrival stored before}`
/// or `{2}` (none) comes back. KEYS[1] the rate, then the gate's budgets;
/// ARGV now, interval and window of the rate (microseconds), now in
/// seconds, then per budget free, base, max, window.
const GATED_TAKE: &str = concat!(
    lua_longest_wait!(),
    lua_take!(),
    r"
local longest = longest_wait(2, 4, tonumber(ARGV[4]))
if longest > 0 then return {0, longest} end
local stored = take(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
if stored then return {1, stored} end
return {2}
"
);

pub struct RedisStore {
    conn: ConnectionManager,
    /// Put before every key, so one Redis can serve several deployments
    /// (`WARDEN_REDIS_PREFIX`; empty by default).
    prefix: String,
    reserve: redis::Script,
    refund: redis::Script,
    take: redis::Script,
    gated_take: redis::Script,
}

impl std::fmt::Debug for RedisStore {
    // The URL may carry a password: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

impl RedisStore {
    /// Connects (within a few seconds, or an error that says why). After
    /// that the connection comes back by itself whenever Redis does.
    pub async fn connect(url: &str, prefix: &str) -> Result<RedisStore, StoreError> {
        // The parse error of the redis crate never repeats the URL.
        let client = redis::Client::open(url).map_err(|e| StoreError(format!("REDIS_URL is not a Redis URL ({e})")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Duration::from_secs(2))
            .set_response_timeout(COMMAND_TIMEOUT)
            .set_number_of_retries(1)
            .set_max_delay(1_000);
        let conn = tokio::time::timeout(Duration::from_secs(5), ConnectionManager::new_with_config(client, config))
            .await
            .map_err(|_| StoreError("Redis did not answer within 5 s".into()))?
            .map_err(|e| StoreError(format!("cannot reach Redis: {e}")))?;
        let store = RedisStore {
            conn,
            prefix: prefix.to_owned(),
            reserve: redis::Script::new(RESERVE),
            refund: redis::Script::new(REFUND),
            take: redis::Script::new(TAKE),
            gated_take: redis::Script::new(GATED_TAKE),
        };
        store.ping().await?;
        store.check_eviction_policy().await;
        Ok(store)
    }

    /// One round trip: is Redis answering now?
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut c = self.conn.clone();
        bounded(async move { redis::cmd("PING").query_async::<String>(&mut c).await }).await.map(|_| ())
    }

    /// Says in the log when Redis may evict budgets to make room.
    async fn check_eviction_policy(&self) {
        let mut c = self.conn.clone();
        let policy = bounded(async move { redis::cmd("CONFIG").arg("GET").arg("maxmemory-policy").query_async::<Vec<String>>(&mut c).await }).await;
        match policy.ok().and_then(|v| v.get(1).cloned()) {
            Some(p) if p == "noeviction" => {}
            Some(p) => tracing::warn!(
                policy = %p,
                "Redis may evict keys to make room (maxmemory-policy is not noeviction): an evicted budget hands out fresh guesses. \
                 Set maxmemory-policy noeviction on the limiter's Redis"
            ),
            None => tracing::info!("could not read Redis's maxmemory-policy (CONFIG GET is not allowed here): make sure it is noeviction"),
        }
    }

    fn key(&self, key: &LimitKey) -> String {
        format!("{}{}", self.prefix, key.render())
    }

    fn reserve_invocation(&self, budgets: &[Budget], now: i64, dry: bool) -> redis::ScriptInvocation<'_> {
        let mut inv = self.reserve.prepare_invoke();
        inv.arg(now).arg(if dry { 1 } else { 0 });
        self.add_budgets(&mut inv, budgets);
        inv
    }

    /// Each budget as the scripts read it: its key, and its rule's free,
    /// base, max and window as four arguments.
    fn add_budgets(&self, inv: &mut redis::ScriptInvocation<'_>, budgets: &[Budget]) {
        for b in budgets {
            inv.key(self.key(&b.key)).arg(b.rule.free_failures).arg(b.rule.base_secs).arg(b.rule.max_secs).arg(b.rule.window_secs.max(1));
        }
    }
}

async fn bounded<T>(f: impl std::future::Future<Output = redis::RedisResult<T>>) -> Result<T, StoreError> {
    match tokio::time::timeout(COMMAND_TIMEOUT, f).await {
        Ok(r) => r.map_err(err),
        Err(_) => Err(StoreError(format!("Redis did not answer within {} ms", COMMAND_TIMEOUT.as_millis()))),
    }
}

impl LimitStore for RedisStore {
    fn reserve<'a>(&'a self, budgets: &'a [Budget], now: i64) -> StoreFuture<'a, Reserved> {
        let mut c = self.conn.clone();
        Box::pin(async move {
            if budgets.is_empty() {
                return Ok(Reserved::Taken(Vec::new()));
            }
            let inv = self.reserve_invocation(budgets, now, false);
            let out: Vec<i64> = bounded(inv.invoke_async(&mut c)).await?;
            match out.as_slice() {
                [0, wait, ..] => Ok(Reserved::Wait(*wait)),
                [1, _, rest @ ..] if rest.len() == budgets.len() * 2 => Ok(Reserved::Taken(
                    rest.chunks(2).map(|p| Record { failures: u32::try_from(p[0]).unwrap_or(u32::MAX), last_failure: p[1] }).collect(),
                )),
                other => Err(StoreError(format!("unexpected answer to reserve: {other:?}"))),
            }
        })
    }

    fn waiting<'a>(&'a self, budgets: &'a [Budget], now: i64) -> StoreFuture<'a, Option<i64>> {
        let mut c = self.conn.clone();
        Box::pin(async move {
            if budgets.is_empty() {
                return Ok(None);
            }
            let inv = self.reserve_invocation(budgets, now, true);
            let out: Vec<i64> = bounded(inv.invoke_async(&mut c)).await?;
            Ok(match out.as_slice() {
                [0, wait, ..] => Some(*wait),
                _ => None,
            })
        })
    }

    fn refund<'a>(&'a self, key: &'a LimitKey) -> StoreFuture<'a, ()> {
        let key = self.key(key);
        let mut c = self.conn.clone();
        Box::pin(async move { bounded(self.refund.key(&key).invoke_async::<i64>(&mut c)).await.map(|_| ()) })
    }

    fn clear<'a>(&'a self, key: &'a LimitKey) -> StoreFuture<'a, ()> {
        let key = self.key(key);
        let mut c = self.conn.clone();
        Box::pin(async move { bounded(async move { redis::cmd("DEL").arg(&key).query_async::<i64>(&mut c).await }).await.map(|_| ()) })
    }

    fn arrival<'a>(&'a self, key: &'a LimitKey, _now_ms: i64) -> StoreFuture<'a, Option<i64>> {
        let key = self.key(key);
        let mut c = self.conn.clone();
        Box::pin(async move { bounded(async move { redis::cmd("GET").arg(&key).query_async::<Option<i64>>(&mut c).await }).await })
    }

    fn take<'a>(&'a self, key: &'a LimitKey, rate: Rate, now_ms: i64) -> StoreFuture<'a, RateDecision> {
        let key = self.key(key);
        let mut c = self.conn.clone();
        Box::pin(async move {
            let before: Option<i64> =
                bounded(self.take.key(&key).arg(now_ms.saturating_mul(1000)).arg(rate.interval_us()).arg(rate.window_us()).invoke_async(&mut c))
                    .await?;
            Ok(rate.take(before, now_ms).0)
        })
    }

    fn take_unless_waiting<'a>(&'a self, key: &'a LimitKey, rate: Rate, now_ms: i64, gate: &'a [Budget], now: i64) -> StoreFuture<'a, Gated> {
        let mut c = self.conn.clone();
        Box::pin(async move {
            let mut inv = self.gated_take.prepare_invoke();
            inv.key(self.key(key)).arg(now_ms.saturating_mul(1000)).arg(rate.interval_us()).arg(rate.window_us()).arg(now);
            self.add_budgets(&mut inv, gate);
            let out: Vec<i64> = bounded(inv.invoke_async(&mut c)).await?;
            match out.as_slice() {
                [0, wait] => Ok(Gated::Wait(*wait)),
                [1, before] => Ok(Gated::Rate(rate.take(Some(*before), now_ms).0)),
                [2] => Ok(Gated::Rate(rate.take(None, now_ms).0)),
                other => Err(StoreError(format!("unexpected answer to a gated take: {other:?}"))),
            }
        })
    }
}

/// Against the Redis at `WARDEN_TEST_REDIS_URL`; without it they say so
/// and do nothing (and fail under `WARDEN_REQUIRE_REDIS`, as in CI).
#[cfg(test)]
mod tests {
    use super::*;
    use domain::limits::{Backoff, LimitKind, OnSuccess};
    use domain::AccountId;
    use std::sync::Arc;

    async fn store() -> Option<RedisStore> {
        let Ok(url) = std::env::var("WARDEN_TEST_REDIS_URL") else {
            assert!(std::env::var("WARDEN_REQUIRE_REDIS").is_err(), "WARDEN_REQUIRE_REDIS is set but WARDEN_TEST_REDIS_URL is not");
            eprintln!("NOT RUN on Redis: set WARDEN_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379) to run it");
            return None;
        };
        let prefix = format!("warden-test:{}:", domain::support::random::public_id());
        Some(RedisStore::connect(&url, &prefix).await.expect("connect to WARDEN_TEST_REDIS_URL"))
    }

    const RULE: Backoff = Backoff { free_failures: 2, base_secs: 10, max_secs: 60, window_secs: 600 };
    const API: Rate = Rate { max: 60, per_secs: 60 };

    fn budget(n: i64, rule: Backoff) -> Budget {
        Budget::new(LimitKey::account(LimitKind::SecondFactor, AccountId::new(n)), rule, OnSuccess::Clear)
    }

    #[tokio::test]
    async fn reserving_counts_waits_and_forgets_like_the_pure_rule() {
        let Some(s) = store().await else { return };
        let b = budget(1, RULE);
        let mut expected = Record::default();
        for now in [100, 101, 125, 800, 801, 802, 803, 900, 1000, 5000] {
            let want = match RULE.take(&mut expected, now) {
                Ok(()) => Reserved::Taken(vec![expected]),
                Err(w) => Reserved::Wait(w),
            };
            assert_eq!(
                s.waiting(std::slice::from_ref(&b), now).await.expect("read"),
                match want {
                    Reserved::Wait(w) => Some(w),
                    _ => None,
                }
            );
            assert_eq!(s.reserve(std::slice::from_ref(&b), now).await.expect("reserve"), want, "at {now}");
        }
        s.clear(&b.key).await.expect("clear");
        assert_eq!(s.waiting(std::slice::from_ref(&b), 5000).await.expect("read"), None);
    }

    #[tokio::test]
    async fn several_budgets_are_spent_together_or_not_at_all_and_refunds_give_one_back() {
        let Some(s) = store().await else { return };
        let tight = budget(2, Backoff { free_failures: 1, ..RULE });
        let roomy = budget(3, RULE);
        let both = [tight.clone(), roomy.clone()];
        assert!(matches!(s.reserve(&both, 0).await.expect("first"), Reserved::Taken(r) if r.len() == 2));
        assert_eq!(s.reserve(&both, 0).await.expect("second"), Reserved::Wait(10));
        // The refused attempt spent nothing of the roomy budget.
        assert!(matches!(s.reserve(std::slice::from_ref(&roomy), 0).await.expect("roomy"), Reserved::Taken(r) if r[0].failures == 2));
        s.refund(&roomy.key).await.expect("refund");
        assert!(matches!(s.reserve(std::slice::from_ref(&roomy), 0).await.expect("given back"), Reserved::Taken(r) if r[0].failures == 2));
        for _ in 0..3 {
            s.refund(&tight.key).await.expect("refund");
        }
        assert!(matches!(s.reserve(std::slice::from_ref(&tight), 0).await.expect("never below none"), Reserved::Taken(r) if r[0].failures == 1));
    }

    #[tokio::test]
    async fn a_burst_of_parallel_reservations_gets_exactly_the_free_ones() {
        let Some(s) = store().await else { return };
        let s = Arc::new(s);
        let barrier = Arc::new(tokio::sync::Barrier::new(40));
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let (s, barrier) = (s.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    matches!(s.reserve(&[budget(4, RULE)], 1_000).await.expect("reserve"), Reserved::Taken(_))
                })
            })
            .collect();
        let mut admitted = 0;
        for t in tasks {
            admitted += usize::from(t.await.expect("join"));
        }
        assert_eq!(admitted, 2);
    }

    #[tokio::test]
    async fn the_rate_decides_like_the_pure_gcra_and_keeps_exactly_max() {
        let Some(s) = store().await else { return };
        let key = LimitKey::account(LimitKind::Api, AccountId::new(5));
        let mut tat = None;
        for (i, now) in [0, 0, 10, 500, 999, 1000, 1000, 30_000].into_iter().cycle().take(200).enumerate() {
            let now = 1_800_000_000_000 + now + (i as i64 / 8) * 250;
            let (want, next) = API.take(tat, now);
            assert_eq!(s.take(&key, API, now).await.expect("take"), want, "request {i}");
            tat = next.or(tat);
        }
    }

    #[tokio::test]
    async fn concurrent_takes_never_lose_a_count() {
        let Some(s) = store().await else { return };
        let s = Arc::new(s);
        let now = 1_800_000_000_000;
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { s.take(&LimitKey::account(LimitKind::Api, AccountId::new(6)), API, now).await.expect("take").allowed })
            })
            .collect();
        let mut allowed = 0;
        for t in tasks {
            allowed += usize::from(t.await.expect("join"));
        }
        assert_eq!(allowed, 60);
    }

    /// The gated take is the dry reserve and the take in one script: it
    /// answers what the two would, step by step against the pure rules,
    /// and a refused request takes nothing of the rate.
    #[tokio::test]
    async fn a_gated_take_answers_like_the_wait_and_the_take_it_folds() {
        let Some(s) = store().await else { return };
        let key = LimitKey::account(LimitKind::Api, AccountId::new(8));
        let gate = [Budget::new(LimitKey::ip(LimitKind::ApiTokenIp, "203.0.113.9"), RULE, OnSuccess::Keep)];
        let (mut tat, mut record) = (None, Record::default());
        for (i, now) in [0, 0, 10, 500, 999, 1000, 1000, 30_000].into_iter().cycle().take(120).enumerate() {
            let now_ms = 1_800_000_000_000 + now + (i as i64 / 8) * 4_000;
            let secs = now_ms / 1000;
            if i % 7 == 3 {
                // A refusal now and then: the gate closes and opens again.
                let want = match RULE.take(&mut record, secs) {
                    Ok(()) => Reserved::Taken(vec![record]),
                    Err(w) => Reserved::Wait(w),
                };
                assert_eq!(s.reserve(&gate, secs).await.expect("reserve"), want, "refusal {i}");
            }
            let want = match RULE.wait(&record, secs) {
                Some(w) => Gated::Wait(w),
                None => {
                    let (d, next) = API.take(tat, now_ms);
                    tat = next.or(tat);
                    Gated::Rate(d)
                }
            };
            assert_eq!(s.take_unless_waiting(&key, API, now_ms, &gate, secs).await.expect("gated take"), want, "request {i}");
        }
    }

    #[tokio::test]
    async fn concurrent_gated_takes_never_lose_a_count_and_a_waiting_gate_takes_none() {
        let Some(s) = store().await else { return };
        let s = Arc::new(s);
        let now = 1_800_000_000_000;
        let burst = |ip: &'static str, account: i64| {
            let barrier = Arc::new(tokio::sync::Barrier::new(100));
            let tasks: Vec<_> = (0..100)
                .map(|_| {
                    let (s, barrier) = (s.clone(), barrier.clone());
                    tokio::spawn(async move {
                        let gate = [Budget::new(LimitKey::ip(LimitKind::ApiTokenIp, ip), RULE, OnSuccess::Keep)];
                        barrier.wait().await;
                        s.take_unless_waiting(&LimitKey::account(LimitKind::Api, AccountId::new(account)), API, now, &gate, now / 1000)
                            .await
                            .expect("gated take")
                    })
                })
                .collect::<Vec<_>>();
            async move {
                let mut answers = Vec::new();
                for t in tasks {
                    answers.push(t.await.expect("join"));
                }
                answers
            }
        };
        let open = burst("198.51.100.1", 9).await;
        assert_eq!(open.iter().filter(|g| matches!(g, Gated::Rate(d) if d.allowed)).count(), 60);
        let shut_gate = [Budget::new(LimitKey::ip(LimitKind::ApiTokenIp, "198.51.100.2"), RULE, OnSuccess::Keep)];
        for _ in 0..2 {
            assert!(matches!(s.reserve(&shut_gate, now / 1000).await.expect("refusal"), Reserved::Taken(_)));
        }
        let shut = burst("198.51.100.2", 10).await;
        assert!(shut.iter().all(|g| *g == Gated::Wait(10)), "{shut:?}");
        let key = LimitKey::account(LimitKind::Api, AccountId::new(10));
        assert_eq!(s.arrival(&key, now).await.expect("read"), None, "a refused request takes nothing of the rate");
    }

    #[tokio::test]
    async fn a_prefix_keeps_deployments_apart() {
        let Some(a) = store().await else { return };
        let Some(b) = store().await else { return };
        a.reserve(&[budget(7, RULE)], 1).await.expect("reserve");
        assert_eq!(a.waiting(&[budget(7, Backoff { free_failures: 1, ..RULE })], 1).await.expect("read"), Some(10));
        assert_eq!(b.waiting(&[budget(7, Backoff { free_failures: 1, ..RULE })], 1).await.expect("read"), None);
        assert!(format!("{a:?}").starts_with("RedisStore"));
    }

    #[tokio::test]
    async fn an_address_where_no_redis_answers_is_an_error_not_a_hang() {
        // A port nothing listens on: bind one, then let it go.
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let e = RedisStore::connect(&format!("redis://127.0.0.1:{port}"), "").await.expect_err("nothing there");
        assert!(e.0.contains("Redis"), "{e}");
        let e = RedisStore::connect("http://example.com", "").await.expect_err("not redis");
        assert!(e.0.contains("not a Redis URL"), "{e}");
    }
}
