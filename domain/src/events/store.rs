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
}

/// Inserts an event; with an `aggregate_key`, counts it into the row of
/// that key instead when there is one (one atomic statement, so racing
/// attempts never make two rows).
pub async fn insert<'c, E>(
    db: E,
    account: Option<AccountId>,
    kind: &str,
    meta: &ClientMeta,
    detail: &str,
    at: i64,
    aggregate_key: Option<&str>,
) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO security_events (account_id, kind, ip, user_agent, detail, at, first_at, count, aggregate_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, 1, $7) \
         ON CONFLICT (aggregate_key) DO UPDATE SET count = security_events.count + 1, at = excluded.at, ip = excluded.ip, \
         user_agent = excluded.user_agent, detail = excluded.detail",
    )
    .bind(account.map(AccountId::get))
    .bind(kind)
    .bind(&meta.ip)
    .bind(clip(&meta.user_agent, MAX_UA))
    .bind(detail)
    .bind(at)
    .bind(aggregate_key)
    .execute(db)
    .await?;
    Ok(())
}

/// An account's events, newest first (a counted row by its latest attempt).
pub async fn page(db: &sqlx::AnyPool, account: AccountId, limit: i64, offset: i64) -> Result<Vec<EventRow>> {
    Ok(sqlx::query_as(
        "SELECT kind, ip, user_agent, detail, at, COALESCE(first_at, at) AS first_at, count FROM security_events \
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

/// Each account's events beyond its newest `cap`.
pub async fn delete_beyond_account_cap(db: &sqlx::AnyPool, cap: i64) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM security_events WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER \
         (PARTITION BY account_id ORDER BY at DESC, id DESC) AS n FROM security_events WHERE account_id IS NOT NULL) ranked WHERE n > $1)",
    )
    .bind(cap)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
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
