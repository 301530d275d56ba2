//! The `sessions` table. [`end`] is the one statement that ends sessions,
//! and [`expire_lapsed`] the one place the lifetime rule becomes SQL.

use super::lifetimes::{EndReason, Lifetimes};
use crate::actor::{AccountId, ClientMeta, SessionId};
use crate::error::Result;
use crate::support::clip;

const MAX_UA: usize = 512;

/// Which sessions of an account to end.
#[derive(Clone, Copy, Debug)]
pub enum Which<'a> {
    One(AccountId, &'a SessionId),
    AllOf(AccountId),
    OthersOf(AccountId, &'a SessionId),
}

#[derive(sqlx::FromRow)]
pub struct AuthRow {
    pub id: String,
    pub account_id: i64,
    pub created_at: i64,
    pub last_active_at: i64,
    pub second_factor_pending: i64,
    pub username: String,
}

#[derive(sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub user_agent: String,
    pub ip: String,
    pub created_at: i64,
    pub last_active_at: i64,
    pub ended_at: Option<i64>,
    pub end_reason: Option<String>,
}

const COLS: &str = "id, user_agent, ip, created_at, last_active_at, ended_at, end_reason";

pub async fn insert<'c, E>(db: E, id: &SessionId, account: AccountId, token_hash: &str, meta: &ClientMeta, at: i64, pending: bool) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO sessions (id, account_id, token_hash, user_agent, ip, created_at, last_active_at, second_factor_pending) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
    )
    .bind(id.as_str())
    .bind(account.get())
    .bind(token_hash)
    .bind(clip(&meta.user_agent, MAX_UA))
    .bind(&meta.ip)
    .bind(at)
    .bind(i64::from(pending))
    .execute(db)
    .await?;
    Ok(())
}

pub async fn by_token_hash(db: &sqlx::AnyPool, token_hash: &str) -> Result<Option<AuthRow>> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.account_id, s.created_at, s.last_active_at, s.second_factor_pending, a.username FROM sessions s \
         JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1 AND s.ended_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?)
}

pub async fn touch(db: &sqlx::AnyPool, id: &SessionId, at: i64) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_active_at = $1 WHERE id = $2").bind(at).bind(id.as_str()).execute(db).await?;
    Ok(())
}

/// Ends the active sessions `which` names, at `at`, for `reason`. Returns how many ended.
pub async fn end<'c, E>(db: E, which: Which<'_>, reason: EndReason, at: i64) -> Result<u64>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let (account, extra, id) = match which {
        Which::One(account, id) => (account, " AND id = $4", Some(id)),
        Which::AllOf(account) => (account, "", None),
        Which::OthersOf(account, id) => (account, " AND id <> $4", Some(id)),
    };
    let sql = format!("UPDATE sessions SET ended_at = $1, end_reason = $2 WHERE ended_at IS NULL AND account_id = $3{extra}");
    let mut q = sqlx::query(&sql).bind(at).bind(reason.code()).bind(account.get());
    if let Some(id) = id {
        q = q.bind(id.as_str());
    }
    Ok(q.execute(db).await?.rows_affected())
}

/// Ends, as they would have ended, the account's sessions whose lifetime
/// ran out without another request: a pending sign-in at the end of its
/// second-factor window, any other at `Lifetimes::expires_at`.
pub async fn expire_lapsed(db: &sqlx::AnyPool, account: AccountId, life: &Lifetimes, second_factor_window: i64, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE sessions SET ended_at = created_at + $1, end_reason = $2 \
         WHERE account_id = $3 AND ended_at IS NULL AND second_factor_pending = 1 AND created_at + $1 <= $4",
    )
    .bind(second_factor_window)
    .bind(EndReason::SecondFactorNotCompleted.code())
    .bind(account.get())
    .bind(now)
    .execute(db)
    .await?;
    sqlx::query(
        "UPDATE sessions SET end_reason = $1, ended_at = CASE WHEN last_active_at + $2 < created_at + $3 \
         THEN last_active_at + $2 ELSE created_at + $3 END \
         WHERE account_id = $4 AND ended_at IS NULL AND (last_active_at + $2 <= $5 OR created_at + $3 <= $5)",
    )
    .bind(EndReason::Expired.code())
    .bind(life.idle_secs)
    .bind(life.absolute_secs)
    .bind(account.get())
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// One active session of the account, if it is one.
pub async fn active_one(db: &sqlx::AnyPool, account: AccountId, id: &SessionId) -> Result<Option<SessionRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM sessions WHERE id = $1 AND account_id = $2 AND ended_at IS NULL"))
        .bind(id.as_str())
        .bind(account.get())
        .fetch_optional(db)
        .await?)
}

/// Active, fully signed-in sessions, most recently active first.
pub async fn active(db: &sqlx::AnyPool, account: AccountId) -> Result<Vec<SessionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLS} FROM sessions WHERE account_id = $1 AND ended_at IS NULL AND second_factor_pending = 0 \
         ORDER BY last_active_at DESC, created_at DESC LIMIT 500"
    ))
    .bind(account.get())
    .fetch_all(db)
    .await?)
}

/// Ended sessions, newest first.
pub async fn ended(db: &sqlx::AnyPool, account: AccountId, limit: i64, offset: i64) -> Result<Vec<SessionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLS} FROM sessions WHERE account_id = $1 AND ended_at IS NOT NULL ORDER BY ended_at DESC, created_at DESC, id LIMIT $2 OFFSET $3"
    ))
    .bind(account.get())
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?)
}

/// Gives an active session a new token (and, with `complete_second_factor`,
/// turns a pending sign-in into a full session). Returns whether it did.
pub async fn replace_token<'c, E>(db: E, account: AccountId, id: &SessionId, token_hash: &str, at: i64, complete_second_factor: bool) -> Result<bool>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let sql = if complete_second_factor {
        "UPDATE sessions SET token_hash = $1, last_active_at = $2, second_factor_pending = 0, reports_unlocked_until = NULL \
         WHERE id = $3 AND account_id = $4 AND ended_at IS NULL AND second_factor_pending = 1"
    } else {
        "UPDATE sessions SET token_hash = $1, last_active_at = $2, reports_unlocked_until = NULL WHERE id = $3 AND account_id = $4 AND ended_at IS NULL"
    };
    let done = sqlx::query(sql).bind(token_hash).bind(at).bind(id.as_str()).bind(account.get()).execute(db).await?;
    Ok(done.rows_affected() == 1)
}

/// Unlocks earlier days' reports for one active session until `until`.
pub async fn unlock_reports(db: &sqlx::AnyPool, account: AccountId, id: &SessionId, until: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE sessions SET reports_unlocked_until = $1 WHERE id = $2 AND account_id = $3 AND ended_at IS NULL")
        .bind(until)
        .bind(id.as_str())
        .bind(account.get())
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Until when this active session has earlier days unlocked, if it has.
pub async fn reports_unlocked_until(db: &sqlx::AnyPool, account: AccountId, id: &SessionId) -> Result<Option<i64>> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT reports_unlocked_until FROM sessions WHERE id = $1 AND account_id = $2 AND ended_at IS NULL")
            .bind(id.as_str())
            .bind(account.get())
            .fetch_optional(db)
            .await?;
    Ok(row.and_then(|(u,)| u))
}

/// Ends the unlock of one session (`Some`) or of every session of the account.
pub async fn lock_reports<'c, E>(db: E, account: AccountId, id: Option<&SessionId>) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    match id {
        Some(id) => {
            sqlx::query("UPDATE sessions SET reports_unlocked_until = NULL WHERE account_id = $1 AND id = $2")
                .bind(account.get())
                .bind(id.as_str())
                .execute(db)
                .await?
        }
        None => {
            sqlx::query("UPDATE sessions SET reports_unlocked_until = NULL WHERE account_id = $1 AND reports_unlocked_until IS NOT NULL")
                .bind(account.get())
                .execute(db)
                .await?
        }
    };
    Ok(())
}
