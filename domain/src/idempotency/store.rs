//! The `idempotency_keys` table: per account and key, the request's
//! fingerprint and, once the first request finished, its answer.

use crate::actor::AccountId;
use crate::error::Result;

#[derive(sqlx::FromRow)]
pub struct KeyRow {
    pub fingerprint: String,
    /// `None` while the first request is in progress.
    pub status: Option<i64>,
    pub body: Option<String>,
}

/// Claims `key` for `account`: fails with a unique violation when the key
/// is already there (claimed, or answered).
pub async fn claim(
    db: &sqlx::AnyPool,
    account: AccountId,
    key: &str,
    fingerprint: &str,
    now: i64,
    locked_until: i64,
) -> std::result::Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO idempotency_keys (account_id, idem_key, fingerprint, created_at, locked_until) VALUES ($1, $2, $3, $4, $5)")
        .bind(account.get())
        .bind(key)
        .bind(fingerprint)
        .bind(now)
        .bind(locked_until)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn find(db: &sqlx::AnyPool, account: AccountId, key: &str) -> Result<Option<KeyRow>> {
    Ok(sqlx::query_as("SELECT fingerprint, status, body FROM idempotency_keys WHERE account_id = $1 AND idem_key = $2")
        .bind(account.get())
        .bind(key)
        .fetch_optional(db)
        .await?)
}

/// Forgets the key if it was made at or before `expired_at`: a key older
/// than the retention is free again even before the sweep runs.
pub async fn forget_if_expired(db: &sqlx::AnyPool, account: AccountId, key: &str, expired_at: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM idempotency_keys WHERE account_id = $1 AND idem_key = $2 AND created_at <= $3")
        .bind(account.get())
        .bind(key)
        .bind(expired_at)
        .execute(db)
        .await?
        .rows_affected())
}

/// Forgets an unanswered claim whose lease ran out (its client went away,
/// or the server stopped mid-request): the key is free to claim again.
pub async fn forget_if_lease_over(db: &sqlx::AnyPool, account: AccountId, key: &str, now: i64, lease_secs: i64) -> Result<u64> {
    Ok(sqlx::query(
        "DELETE FROM idempotency_keys WHERE account_id = $1 AND idem_key = $2 AND status IS NULL \
         AND COALESCE(locked_until, created_at + $4) <= $3",
    )
    .bind(account.get())
    .bind(key)
    .bind(now)
    .bind(lease_secs)
    .execute(db)
    .await?
    .rows_affected())
}

/// Stores the answer of the claim made at `created_at`; 0 rows when the
/// claim is gone (released, expired, or taken over).
pub async fn complete(db: &sqlx::AnyPool, account: AccountId, key: &str, created_at: i64, status: i64, body: &str) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE idempotency_keys SET status = $1, body = $2 \
         WHERE account_id = $3 AND idem_key = $4 AND created_at = $5 AND status IS NULL",
    )
    .bind(status)
    .bind(body)
    .bind(account.get())
    .bind(key)
    .bind(created_at)
    .execute(db)
    .await?
    .rows_affected())
}

/// Removes an unanswered claim made at `created_at`.
pub async fn release(db: &sqlx::AnyPool, account: AccountId, key: &str, created_at: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM idempotency_keys WHERE account_id = $1 AND idem_key = $2 AND created_at = $3 AND status IS NULL")
        .bind(account.get())
        .bind(key)
        .bind(created_at)
        .execute(db)
        .await?
        .rows_affected())
}

/// Every key made at or before `expired_at`, for the sweep.
pub async fn sweep(db: &sqlx::AnyPool, expired_at: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM idempotency_keys WHERE created_at <= $1").bind(expired_at).execute(db).await?.rows_affected())
}
