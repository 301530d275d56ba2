//! The limiter's store shared by every instance: Redis (`REDIS_URL`).
//!
//! One multiplexed connection ([`ConnectionManager`]) that reconnects by
//! itself after Redis comes back. Every step on a budget is one atomic
//! command or one Lua script (Redis runs a script alone), so two instances
//! counting the same budget at once never lose a count: no read, then
//! write, from the client. Keys expire by themselves (a TTL a little past
//! the longest time a value can matter), so Redis holds only live budgets.
//!
//! Times are the instances' own clocks, passed in as everywhere in the
//! limiter (keep them in step with NTP, as for the database); the TTLs are
//! only garbage collection, never the rule. The rules themselves are the
//! pure ones in [`super::backoff`] and [`super::rate`]: the scripts below
//! repeat their few lines of arithmetic, and the tests here check them
//! against each other on a real Redis.
//!
//! Every command is bounded in time: a Redis that does not answer is an
//! outage (see [`super::Outage`]), not a hung request.

use super::{Backoff, LimitStore, Rate, RateDecision, Record, StoreError, StoreFuture};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::time::Duration;

/// How long one command may take before it counts as an outage.
const COMMAND_TIMEOUT: Duration = Duration::from_millis(750);

/// A failure: count it, or start again after a quiet window ([`Backoff::failed`]).
/// KEYS[1] the budget; ARGV now (s), window (s), ttl (s). Returns {failures, last}.
const FAIL: &str = r"
local v = redis.call('HMGET', KEYS[1], 'n', 't')
local n = tonumber(v[1]) or 0
local last = tonumber(v[2]) or 0
local now = tonumber(ARGV[1])
if now - last > tonumber(ARGV[2]) then n = 0 end
n = n + 1
redis.call('HSET', KEYS[1], 'n', string.format('%d', n), 't', string.format('%d', now))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return {n, now}
";

/// One request against GCRA ([`Rate::take`]): stores the new arrival time
/// when the request is allowed. KEYS[1] the budget; ARGV now, interval and
/// window, in microseconds (below 2^53, so exact in Lua's numbers). Returns
/// the arrival time stored before, or nil; the caller decides from it
/// exactly as the script did.
const TAKE: &str = r"
local now = tonumber(ARGV[1])
local stored = tonumber(redis.call('GET', KEYS[1]))
local tat = stored or now
if tat < now then tat = now end
local new = tat + tonumber(ARGV[2])
local window = tonumber(ARGV[3])
if new - now <= window then
  redis.call('SET', KEYS[1], string.format('%d', new), 'PX', string.format('%d', window / 1000 + 1000))
end
if stored then return stored end
return false
";

pub struct RedisStore {
    conn: ConnectionManager,
    /// Put before every key, so one Redis can serve several deployments
    /// (`WARDEN_REDIS_PREFIX`; empty by default).
    prefix: String,
    fail: redis::Script,
    take: redis::Script,
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
        let store = RedisStore { conn, prefix: prefix.to_owned(), fail: redis::Script::new(FAIL), take: redis::Script::new(TAKE) };
        store.ping().await?;
        Ok(store)
    }

    /// One round trip: is Redis answering now?
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut c = self.conn.clone();
        bounded(async move { redis::cmd("PING").query_async::<String>(&mut c).await }).await.map(|_| ())
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

async fn bounded<T>(f: impl std::future::Future<Output = redis::RedisResult<T>>) -> Result<T, StoreError> {
    match tokio::time::timeout(COMMAND_TIMEOUT, f).await {
        Ok(r) => r.map_err(err),
        Err(_) => Err(StoreError(format!("Redis did not answer within {} ms", COMMAND_TIMEOUT.as_millis()))),
    }
}

impl LimitStore for RedisStore {
    fn failures(&self, key: &str) -> StoreFuture<'_, Option<Record>> {
        let key = self.key(key);
        let mut c = self.conn.clone();
        Box::pin(async move {
            let (n, t): (Option<u32>, Option<i64>) =
                bounded(async move { redis::cmd("HMGET").arg(&key).arg("n").arg("t").query_async(&mut c).await }).await?;
            Ok(n.map(|failures| Record { failures, last_failure: t.unwrap_or(0) }))
        })
    }

    fn fail(&self, key: &str, rule: Backoff, now: i64) -> StoreFuture<'_, Record> {
        let key = self.key(key);
        let mut c = self.conn.clone();
        Box::pin(async move {
            let ttl = rule.window_secs.max(1) + 1;
            let (failures, last_failure): (u32, i64) =
                bounded(self.fail.key(&key).arg(now).arg(rule.window_secs).arg(ttl).invoke_async(&mut c)).await?;
            Ok(Record { failures, last_failure })
        })
    }

    fn clear(&self, key: &str) -> StoreFuture<'_, ()> {
        let key = self.key(key);
        let mut c = self.conn.clone();
        Box::pin(async move { bounded(async move { redis::cmd("DEL").arg(&key).query_async::<i64>(&mut c).await }).await.map(|_| ()) })
    }

    fn take(&self, key: &str, rate: Rate, now_ms: i64) -> StoreFuture<'_, RateDecision> {
        let key = self.key(key);
        let mut c = self.conn.clone();
        Box::pin(async move {
            let before: Option<i64> =
                bounded(self.take.key(&key).arg(now_ms.saturating_mul(1000)).arg(rate.interval_us()).arg(rate.window_us()).invoke_async(&mut c))
                    .await?;
            Ok(rate.take(before, now_ms).0)
        })
    }
}

/// Against the Redis at `WARDEN_TEST_REDIS_URL`; without it they say so
/// and do nothing (and fail under `WARDEN_REQUIRE_REDIS`, as in CI).
#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> Option<RedisStore> {
        let Ok(url) = std::env::var("WARDEN_TEST_REDIS_URL") else {
            assert!(std::env::var("WARDEN_REQUIRE_REDIS").is_err(), "WARDEN_REQUIRE_REDIS is set but WARDEN_TEST_REDIS_URL is not");
            eprintln!("NOT RUN on Redis: set WARDEN_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379) to run it");
            return None;
        };
        let prefix = format!("warden-test:{}:", crate::support::random::public_id());
        Some(RedisStore::connect(&url, &prefix).await.expect("connect to WARDEN_TEST_REDIS_URL"))
    }

    const RULE: Backoff = Backoff { free_failures: 2, base_secs: 10, max_secs: 60, window_secs: 600 };
    const API: Rate = Rate { max: 60, per_secs: 60 };

    #[tokio::test]
    async fn failures_count_forget_after_the_window_and_clear_like_the_pure_rule() {
        let Some(s) = store().await else { return };
        assert_eq!(s.failures("k").await.expect("read"), None);
        let mut expected = Record::default();
        for now in [100, 101, 105, 800, 801] {
            RULE.failed(&mut expected, now);
            assert_eq!(s.fail("k", RULE, now).await.expect("fail"), expected, "at {now}");
            assert_eq!(s.failures("k").await.expect("read"), Some(expected));
        }
        assert_eq!(expected.failures, 2, "the quiet window from 105 to 800 forgot the first three");
        s.clear("k").await.expect("clear");
        assert_eq!(s.failures("k").await.expect("read"), None);
    }

    #[tokio::test]
    async fn the_rate_decides_like_the_pure_gcra_and_keeps_exactly_max() {
        let Some(s) = store().await else { return };
        let mut tat = None;
        for (i, now) in [0, 0, 10, 500, 999, 1000, 1000, 30_000].into_iter().cycle().take(200).enumerate() {
            let now = 1_800_000_000_000 + now + (i as i64 / 8) * 250;
            let (want, next) = API.take(tat, now);
            assert_eq!(s.take("r", API, now).await.expect("take"), want, "request {i}");
            tat = next.or(tat);
        }
    }

    #[tokio::test]
    async fn concurrent_takes_never_lose_a_count() {
        let Some(s) = store().await else { return };
        let s = std::sync::Arc::new(s);
        let now = 1_800_000_000_000;
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { s.take("burst", API, now).await.expect("take").allowed })
            })
            .collect();
        let mut allowed = 0;
        for t in tasks {
            allowed += usize::from(t.await.expect("join"));
        }
        assert_eq!(allowed, 60);
    }

    #[tokio::test]
    async fn a_prefix_keeps_deployments_apart() {
        let Some(a) = store().await else { return };
        let Some(b) = store().await else { return };
        a.fail("same", RULE, 1).await.expect("fail");
        assert!(b.failures("same").await.expect("read").is_none());
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
