//! The `pins` table: one argon2id hash per account, never the PIN.

use crate::actor::AccountId;
use crate::error::Result;

pub async fn pin<'c, E>(db: E, account: AccountId) -> Result<Option<(String, i64)>>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    Ok(sqlx::query_as("SELECT pin_hash, set_at FROM pins WHERE account_id = $1").bind(account.get()).fetch_optional(db).await?)
}

/// Sets the PIN when none is set; returns whether it did.
pub async fn insert(db: &mut sqlx::AnyConnection, account: AccountId, hash: &str, at: i64) -> Result<bool> {
    let done = sqlx::query("INSERT INTO pins (account_id, pin_hash, set_at) VALUES ($1, $2, $3) ON CONFLICT (account_id) DO NOTHING")
        .bind(account.get())
        .bind(hash)
        .bind(at)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the PIN that was checked (`old`); returns whether it did.
pub async fn replace(db: &mut sqlx::AnyConnection, account: AccountId, old: &str, hash: &str, at: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE pins SET pin_hash = $1, set_at = $2 WHERE account_id = $3 AND pin_hash = $4")
        .bind(hash)
        .bind(at)
        .bind(account.get())
        .bind(old)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn remove(db: &mut sqlx::AnyConnection, account: AccountId) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM pins WHERE account_id = $1").bind(account.get()).execute(db).await?.rows_affected() == 1)
}
