//! The `password_resets` table. Only the SHA-256 of a link's token is stored.

use crate::actor::AccountId;
use crate::error::Result;

#[derive(sqlx::FromRow)]
pub struct OpenLink {
    pub account_id: i64,
    pub username: String,
    pub expires_at: i64,
}

/// Why a link closed.
#[derive(Clone, Copy, Debug)]
pub enum Closed {
    Used,
    Superseded,
    PasswordChanged,
}

impl Closed {
    fn code(self) -> &'static str {
        match self {
            Closed::Used => "used",
            Closed::Superseded => "superseded",
            Closed::PasswordChanged => "password_changed",
        }
    }
}

pub async fn close_open(db: &mut sqlx::AnyConnection, account: AccountId, at: i64, why: Closed) -> Result<()> {
    sqlx::query("UPDATE password_resets SET closed_at = $1, closed_reason = $2 WHERE account_id = $3 AND closed_at IS NULL")
        .bind(at)
        .bind(why.code())
        .bind(account.get())
        .execute(db)
        .await?;
    Ok(())
}

pub async fn insert(db: &mut sqlx::AnyConnection, account: AccountId, token_hash: &str, at: i64, expires_at: i64) -> Result<()> {
    sqlx::query("INSERT INTO password_resets (account_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(account.get())
        .bind(token_hash)
        .bind(at)
        .bind(expires_at)
        .execute(db)
        .await?;
    Ok(())
}

/// The open, unexpired link a token hash belongs to.
pub async fn open_link(db: &sqlx::AnyPool, token_hash: &str, now: i64) -> Result<Option<OpenLink>> {
    Ok(sqlx::query_as(
        "SELECT r.account_id, a.username, r.expires_at FROM password_resets r JOIN accounts a ON a.id = r.account_id \
         WHERE r.token_hash = $1 AND r.closed_at IS NULL AND r.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db)
    .await?)
}

/// Spends the link, once even under concurrent use.
pub async fn use_link(db: &mut sqlx::AnyConnection, account: AccountId, token_hash: &str, at: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE password_resets SET closed_at = $1, closed_reason = $4 \
         WHERE token_hash = $2 AND account_id = $3 AND closed_at IS NULL AND expires_at > $1",
    )
    .bind(at)
    .bind(token_hash)
    .bind(account.get())
    .bind(Closed::Used.code())
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
