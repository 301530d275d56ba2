//! The `device_cookies` table.

use crate::actor::{AccountId, SessionId};
use crate::error::Result;
use sqlx::AnyConnection;

#[derive(sqlx::FromRow)]
pub struct DeviceRow {
    pub id: i64,
    pub account_id: i64,
}

/// The device a token hash names, if not revoked and used since `used_since`.
pub async fn live_device(db: &sqlx::AnyPool, token_hash: &str, used_since: i64) -> Result<Option<DeviceRow>> {
    Ok(sqlx::query_as("SELECT id, account_id FROM device_cookies WHERE token_hash = $1 AND revoked_at IS NULL AND last_used_at > $2")
        .bind(token_hash)
        .bind(used_since)
        .fetch_optional(db)
        .await?)
}

pub async fn insert_device(db: &mut AnyConnection, account: AccountId, token_hash: &str, session: &SessionId, at: i64) -> Result<()> {
    sqlx::query("INSERT INTO device_cookies (account_id, token_hash, session_id, created_at, last_used_at) VALUES ($1, $2, $3, $4, $4)")
        .bind(account.get())
        .bind(token_hash)
        .bind(session.as_str())
        .bind(at)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn touch_device(db: &mut AnyConnection, id: i64, session: &SessionId, at: i64) -> Result<()> {
    sqlx::query("UPDATE device_cookies SET last_used_at = $1, session_id = $2 WHERE id = $3")
        .bind(at)
        .bind(session.as_str())
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Revokes the account's live devices; with `session`, only those that
/// signed in with it (`true`) or all but those (`false`).
pub async fn revoke_devices(db: &mut AnyConnection, account: AccountId, session: Option<(&SessionId, bool)>, at: i64) -> Result<u64> {
    let extra = match session {
        None => "",
        Some((_, true)) => " AND session_id = $3",
        Some((_, false)) => " AND (session_id IS NULL OR session_id <> $3)",
    };
    let sql = format!("UPDATE device_cookies SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL{extra}");
    let mut q = sqlx::query(&sql).bind(at).bind(account.get());
    if let Some((id, _)) = session {
        q = q.bind(id.as_str());
    }
    Ok(q.execute(db).await?.rows_affected())
}

/// Devices revoked, or unused, since before `before`.
pub async fn delete_stale_devices(db: &sqlx::AnyPool, before: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM device_cookies WHERE last_used_at < $1 OR (revoked_at IS NOT NULL AND revoked_at < $1)")
        .bind(before)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
