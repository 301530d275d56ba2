//! The `security_events` table.

use crate::actor::{AccountId, ClientMeta};
use crate::support::clip;
use crate::Result;

const MAX_UA: usize = 512;

#[derive(sqlx::FromRow)]
pub struct EventRow {
    pub kind: String,
    pub ip: String,
    pub user_agent: String,
    pub detail: String,
    pub at: i64,
    pub first_at: i64,
    pub count: i64,
    /// Distinct sources of a counted row (up to [`MAX_SOURCES`]).
    pub sources: i64,
}

/// Distinct sources a counted row remembers; past it the count stays there.
pub const MAX_SOURCES: i64 = 100;

/// Inserts an event; with an `aggregate_key`, counts it into the row of
/// that key instead when there is one, remembering `source` among its
/// distinct sources (one atomic statement, so racing attempts never make
/// two rows nor lose a count). `source` holds no `,`, `%` or `_`.
#[allow(clippy::too_many_arguments)]
pub async fn insert<'c, E>(
    db: E,
    account: Option<AccountId>,
    kind: &str,
    meta: &ClientMeta,
    detail: &str,
    at: i64,
    aggregate_key: Option<&str>,
    source: &str,
) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO security_events (account_id, kind, ip, user_agent, detail, at, first_at, count, aggregate_key, sources, source_list) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, 1, $7, 1, $8) \
         ON CONFLICT (aggregate_key) DO UPDATE SET count = security_events.count + 1, at = excluded.at, ip = excluded.ip, \
         user_agent = excluded.user_agent, detail = excluded.detail, \
         sources = CASE WHEN (',' || security_events.source_list || ',') LIKE ('%,' || excluded.source_list || ',%') \
           OR security_events.sources >= $9 THEN security_events.sources ELSE security_events.sources + 1 END, \
         source_list = CASE WHEN (',' || security_events.source_list || ',') LIKE ('%,' || excluded.source_list || ',%') \
           OR security_events.sources >= $9 THEN security_events.source_list \
           ELSE security_events.source_list || ',' || excluded.source_list END",
    )
    .bind(account.map(AccountId::get))
    .bind(kind)
    .bind(&meta.ip)
    .bind(clip(&meta.user_agent, MAX_UA))
    .bind(detail)
    .bind(at)
    .bind(aggregate_key)
    .bind(source)
    .bind(MAX_SOURCES)
    .execute(db)
    .await?;
    Ok(())
}

/// An account's events, newest first (a counted row by its latest attempt).
pub async fn page(db: &sqlx::AnyPool, account: AccountId, limit: i64, offset: i64) -> Result<Vec<EventRow>> {
    Ok(sqlx::query_as(
        "SELECT kind, ip, user_agent, detail, at, COALESCE(first_at, at) AS first_at, count, sources FROM security_events \
         WHERE account_id = $1 ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3",
    )
    .bind(account.get())
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?)
}

/// Events of an account from before `account_before`, and of no account from before `anonymous_before`.
pub async fn delete_older(db: &sqlx::AnyPool, account_before: i64, anonymous_before: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM security_events WHERE (account_id IS NOT NULL AND at < $1) OR (account_id IS NULL AND at < $2)")
        .bind(account_before)
        .bind(anonymous_before)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// Each account's events of the `noise` kinds beyond its newest `cap` of
/// them. Every other kind stays until its retention age: the cap never
/// takes what the owner needs to read.
pub async fn delete_beyond_account_cap(db: &sqlx::AnyPool, cap: i64, noise: &[&str]) -> Result<u64> {
    let kinds = (0..noise.len()).map(|i| format!("${}", i + 2)).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "DELETE FROM security_events WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER \
         (PARTITION BY account_id ORDER BY at DESC, id DESC) AS n FROM security_events WHERE account_id IS NOT NULL \
         AND kind IN ({kinds})) ranked WHERE n > $1)"
    );
    let mut q = sqlx::query(&sql).bind(cap);
    for k in noise {
        q = q.bind(*k);
    }
    Ok(q.execute(db).await?.rows_affected())
}

/// Events of no account beyond the newest `cap`.
pub async fn delete_beyond_anonymous_cap(db: &sqlx::AnyPool, cap: i64) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM security_events WHERE account_id IS NULL AND id NOT IN \
         (SELECT id FROM security_events WHERE account_id IS NULL ORDER BY at DESC, id DESC LIMIT $1)",
    )
    .bind(cap)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
