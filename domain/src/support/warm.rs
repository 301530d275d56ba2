//! Warm connections on PostgreSQL: the statements every request makes (the
//! API token a request presents, the session its cookie names, Login
//! Security's lists) run on a connection kept aside after its last use,
//! instead of going back to sqlx's pool.
//!
//! Why: sqlx 0.8 *pings* every connection it gets back (a `Sync` message and
//! its answer, in a task of its own), so each statement through the pool is
//! two round trips to PostgreSQL, the second one only to check the first.
//! Kept aside, a connection goes straight to its next statement.
//!
//! What does not move:
//! - Each statement is its own transaction (autocommit) and sees every
//!   write committed before it began: a token deleted or a session ended is
//!   refused from the next request on, on every instance, as before.
//! - A statement that fails, or a request dropped while its statement runs
//!   (a client gone), never puts its connection back here: it goes to
//!   sqlx's pool, whose check on return closes it if it is broken. A
//!   connection PostgreSQL dropped (a restart) fails the one statement that
//!   meets it, as through the pool (`test_before_acquire` is off there too).
//! - At most [`KEPT`] connections wait here, below the pool's 16, and each
//!   goes back through the pool once it is [`ROTATE`] old, so sqlx's
//!   lifetime rules still apply. [`Warm::close`] empties it before the pool
//!   closes (the pool's close waits for every connection it lent).
//!
//! On SQLite nothing is kept: the hot reads ([`super::hot`]) already skip
//! sqlx there, and a reused SQLite connection must not hold a read open.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::pool::PoolConnection;
use sqlx::query::QueryAs;
use sqlx::{Any, AnyPool, FromRow};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Connections kept aside at most.
pub const KEPT: usize = 4;
/// A kept connection goes back through the pool after this long.
pub const ROTATE: Duration = Duration::from_secs(600);

/// The connections kept aside, shared by every clone of the store.
#[derive(Clone, Default)]
pub struct Warm(Arc<Inner>);

#[derive(Default)]
struct Inner {
    kept: Mutex<Vec<(Instant, PoolConnection<Any>)>>,
    closed: AtomicBool,
}

impl std::fmt::Debug for Warm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Warm").field("kept", &self.kept()).field("closed", &self.0.closed.load(Ordering::Relaxed)).finish()
    }
}

impl Warm {
    /// How many connections wait here now.
    pub fn kept(&self) -> usize {
        self.0.kept.lock().map(|k| k.len()).unwrap_or(0)
    }

    /// A kept connection young enough, or one from the pool.
    async fn take(&self, pool: &AnyPool) -> sqlx::Result<(Instant, PoolConnection<Any>)> {
        loop {
            let popped = self.0.kept.lock().ok().and_then(|mut k| k.pop());
            match popped {
                Some((since, conn)) if since.elapsed() < ROTATE => return Ok((since, conn)),
                // Dropped: back to the pool, through its check and lifetime rules.
                Some(old) => drop(old),
                None => return Ok((Instant::now(), pool.acquire().await?)),
            }
        }
    }

    /// Keeps a connection whose statement completed, if there is room and
    /// the store is open; otherwise it goes back to the pool.
    fn keep(&self, since: Instant, conn: PoolConnection<Any>) {
        if self.0.closed.load(Ordering::SeqCst) {
            return;
        }
        if let Ok(mut kept) = self.0.kept.lock() {
            if kept.len() < KEPT {
                kept.push((since, conn));
            }
        }
    }

    /// Empties the stash for good (before the pool closes).
    pub fn close(&self) {
        self.0.closed.store(true, Ordering::SeqCst);
        let drained: Vec<_> = self.0.kept.lock().map(|mut k| k.drain(..).collect()).unwrap_or_default();
        drop(drained);
    }

    /// `query`'s row, if any, on a warm connection.
    pub async fn fetch_optional<'q, O>(&self, pool: &AnyPool, query: QueryAs<'q, Any, O, AnyArguments<'q>>) -> sqlx::Result<Option<O>>
    where
        O: Send + Unpin + for<'r> FromRow<'r, AnyRow>,
    {
        let (since, mut conn) = self.take(pool).await?;
        // On an error `conn` is dropped here: back to the pool, which checks it.
        let row = query.fetch_optional(&mut *conn).await?;
        self.keep(since, conn);
        Ok(row)
    }

    /// `query`'s rows on a warm connection.
    pub async fn fetch_all<'q, O>(&self, pool: &AnyPool, query: QueryAs<'q, Any, O, AnyArguments<'q>>) -> sqlx::Result<Vec<O>>
    where
        O: Send + Unpin + for<'r> FromRow<'r, AnyRow>,
    {
        let (since, mut conn) = self.take(pool).await?;
        let rows = query.fetch_all(&mut *conn).await?;
        self.keep(since, conn);
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::any::AnyPoolOptions;

    /// The PostgreSQL at `WARDEN_TEST_POSTGRES_URL`; `None` (said on stderr)
    /// when it is not set, an error when CI requires it.
    async fn pool(max: u32) -> Option<AnyPool> {
        let Ok(url) = std::env::var("WARDEN_TEST_POSTGRES_URL") else {
            assert!(std::env::var_os("WARDEN_REQUIRE_POSTGRES").is_none(), "WARDEN_REQUIRE_POSTGRES is set, WARDEN_TEST_POSTGRES_URL is not");
            eprintln!("NOT RUN: the warm connections are PostgreSQL's; set WARDEN_TEST_POSTGRES_URL to run this test");
            return None;
        };
        sqlx::any::install_default_drivers();
        Some(
            AnyPoolOptions::new()
                .max_connections(max)
                .test_before_acquire(false)
                .connect(&url)
                .await
                .expect("the PostgreSQL at WARDEN_TEST_POSTGRES_URL"),
        )
    }

    fn backend_pid() -> QueryAs<'static, Any, (i32,), AnyArguments<'static>> {
        sqlx::query_as("SELECT pg_backend_pid()")
    }

    #[tokio::test]
    async fn a_connection_is_kept_reused_and_sees_every_commit() {
        let Some(pool) = pool(4).await else { return };
        let warm = Warm::default();
        let first = warm.fetch_optional(&pool, backend_pid()).await.expect("read");
        assert_eq!(warm.kept(), 1, "kept after its statement");
        let again = warm.fetch_optional(&pool, backend_pid()).await.expect("read");
        assert_eq!(first, again, "the same connection serves the next statement");

        // Written on another connection, committed: the warm one sees it at once.
        let table = format!("warm_test_{}", std::process::id());
        sqlx::query(&format!("CREATE TABLE {table} (v INTEGER)")).execute(&pool).await.expect("test setup");
        let count = format!("SELECT COUNT(*) FROM {table}");
        let seen = |warm: Warm, pool: AnyPool, sql: String| async move {
            warm.fetch_optional(&pool, sqlx::query_as::<_, (i64,)>(&sql)).await.expect("read").map(|(n,)| n)
        };
        assert_eq!(seen(warm.clone(), pool.clone(), count.clone()).await, Some(0));
        sqlx::query(&format!("INSERT INTO {table} VALUES (1), (2)")).execute(&pool).await.expect("test setup");
        assert_eq!(seen(warm.clone(), pool.clone(), count.clone()).await, Some(2), "a committed insert is seen by the next read");
        sqlx::query(&format!("DELETE FROM {table}")).execute(&pool).await.expect("test setup");
        assert_eq!(seen(warm.clone(), pool.clone(), count.clone()).await, Some(0), "a committed delete too (a deleted token)");
        let pid = warm.fetch_optional(&pool, backend_pid()).await.expect("read");
        assert_eq!(pid, first, "all on the one warm connection");
        sqlx::query(&format!("DROP TABLE {table}")).execute(&pool).await.expect("test teardown");
        warm.close();
        assert!(tokio::time::timeout(Duration::from_secs(5), pool.close()).await.is_ok(), "closed at once, the stash emptied first");
    }

    #[tokio::test]
    async fn a_failed_or_abandoned_statement_never_keeps_its_connection() {
        let Some(pool) = pool(4).await else { return };
        let warm = Warm::default();
        let first = warm.fetch_optional(&pool, backend_pid()).await.expect("read");
        assert_eq!(warm.kept(), 1);
        let failed = warm.fetch_optional(&pool, sqlx::query_as::<_, (i64,)>("SELECT no_such_column FROM pg_class")).await;
        assert!(failed.is_err());
        assert_eq!(warm.kept(), 0, "a failed statement's connection goes back to the pool, to be checked");

        // A request dropped while its statement runs (the client went away).
        let abandoned =
            tokio::time::timeout(Duration::from_millis(200), warm.fetch_optional(&pool, sqlx::query_as::<_, (i32,)>("SELECT 1 FROM pg_sleep(2)")))
                .await;
        assert!(abandoned.is_err(), "the statement was still running");
        assert_eq!(warm.kept(), 0, "an abandoned statement's connection is not kept");
        let next = warm.fetch_optional(&pool, backend_pid()).await.expect("the next statement is served");
        assert!(next.is_some() && first.is_some());
        assert_eq!(warm.kept(), 1);
        warm.close();
        assert_eq!(warm.kept(), 0);
        let after = warm.fetch_optional(&pool, backend_pid()).await.expect("still served once closed");
        assert!(after.is_some());
        assert_eq!(warm.kept(), 0, "nothing is kept once closed");
        assert!(tokio::time::timeout(Duration::from_secs(5), pool.close()).await.is_ok());
    }

    /// 40 statements released together on a pool of 8: every one is
    /// served, at most `KEPT` connections wait afterwards, and the pool
    /// never lends more than it has.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_is_served_and_keeps_at_most_kept() {
        let Some(pool) = pool(8).await else { return };
        let warm = Warm::default();
        let gate = Arc::new(tokio::sync::Barrier::new(40));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..40 {
            let (warm, pool, gate) = (warm.clone(), pool.clone(), gate.clone());
            tasks.spawn(async move {
                gate.wait().await;
                warm.fetch_optional(&pool, sqlx::query_as::<_, (i32,)>("SELECT 1 FROM pg_sleep(0.01)")).await
            });
        }
        let mut served = 0;
        while let Some(done) = tasks.join_next().await {
            assert_eq!(done.expect("task").expect("served"), Some((1,)));
            served += 1;
        }
        assert_eq!(served, 40);
        assert!((1..=KEPT).contains(&warm.kept()), "kept {}", warm.kept());
        assert!(pool.size() <= 8);
        warm.close();
        assert!(tokio::time::timeout(Duration::from_secs(5), pool.close()).await.is_ok());
    }
}
