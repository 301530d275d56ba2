//! The `account_networks` and `sign_in_alerts` tables.

use crate::actor::AccountId;
use crate::error::Result;
use sqlx::AnyConnection;

/// Whether the account has completed a sign-in from any network yet.
pub async fn has_networks(db: &mut AnyConnection, account: AccountId) -> Result<bool> {
    let n: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM account_networks WHERE account_id = $1 LIMIT 1").bind(account.get()).fetch_optional(db).await?;
    Ok(n.is_some())
}

/// Whether the account completed a sign-in from `network` at or after `since`.
pub async fn network_seen(db: &mut AnyConnection, account: AccountId, network: &str, since: i64) -> Result<bool> {
    let n: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM account_networks WHERE account_id = $1 AND network = $2 AND last_seen_at >= $3")
        .bind(account.get())
        .bind(network)
        .bind(since)
        .fetch_optional(db)
        .await?;
    Ok(n.is_some())
}

/// Notes a completed sign-in from `network` at `at`.
pub async fn touch_network(db: &mut AnyConnection, account: AccountId, network: &str, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO account_networks (account_id, network, last_seen_at) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id, network) DO UPDATE SET last_seen_at = excluded.last_seen_at",
    )
    .bind(account.get())
    .bind(network)
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets one network of the account: the next new browser from it is
/// news again.
pub async fn forget_network(db: &mut AnyConnection, account: AccountId, network: &str) -> Result<()> {
    sqlx::query("DELETE FROM account_networks WHERE account_id = $1 AND network = $2").bind(account.get()).bind(network).execute(db).await?;
    Ok(())
}

/// Forgets networks not seen since `before`: they count as new again anyway.
pub async fn delete_stale_networks(db: &sqlx::AnyPool, before: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM account_networks WHERE last_seen_at < $1").bind(before).execute(db).await?.rows_affected())
}

pub struct NewAlert<'a> {
    pub account: AccountId,
    pub session_id: &'a str,
    pub token_hash: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub at: i64,
    pub expires_at: i64,
}

pub async fn insert_alert(db: &mut AnyConnection, a: &NewAlert<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO sign_in_alerts (account_id, session_id, token_hash, ip, user_agent, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(a.account.get())
    .bind(a.session_id)
    .bind(a.token_hash)
    .bind(a.ip)
    .bind(a.user_agent)
    .bind(a.at)
    .bind(a.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// One alert as its link's page shows it.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct AlertRow {
    pub account_id: i64,
    pub session_id: String,
    pub ip: String,
    pub user_agent: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub ended_all_at: Option<i64>,
    pub reset_sent_at: Option<i64>,
}

pub async fn alert_by_hash(db: &mut AnyConnection, token_hash: &str) -> Result<Option<AlertRow>> {
    Ok(sqlx::query_as(
        "SELECT account_id, session_id, ip, user_agent, created_at, expires_at, used_at, ended_all_at, reset_sent_at \
         FROM sign_in_alerts WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?)
}

/// What a link may be used for, once each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Following the link: ends the session it is about.
    Follow,
    /// "End every session and delete all API tokens" (after following it).
    EndAll,
    /// "Send me a password reset link" (after following it).
    Reset,
}

/// Takes `step` of the alert whose link hashes to `token_hash` at `at`, if
/// it is not taken yet and the link is live: one compare-and-set, so of
/// parallel requests exactly one gets `true`. It is the first statement of
/// its transaction: a write first takes SQLite's write lock at once, where
/// a read first would leave a stale snapshot that cannot write.
pub async fn take(db: &mut AnyConnection, token_hash: &str, step: Step, at: i64) -> Result<bool> {
    let sql = match step {
        Step::Follow => "UPDATE sign_in_alerts SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
        Step::EndAll => {
            "UPDATE sign_in_alerts SET ended_all_at = $1 \
             WHERE token_hash = $2 AND used_at IS NOT NULL AND ended_all_at IS NULL AND expires_at > $1"
        }
        Step::Reset => {
            "UPDATE sign_in_alerts SET reset_sent_at = $1 \
             WHERE token_hash = $2 AND used_at IS NOT NULL AND reset_sent_at IS NULL AND expires_at > $1"
        }
    };
    Ok(sqlx::query(sql).bind(at).bind(token_hash).execute(db).await?.rows_affected() == 1)
}

/// Forgets alerts whose links ended before `before`.
pub async fn delete_expired_alerts(db: &sqlx::AnyPool, before: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sign_in_alerts WHERE expires_at < $1").bind(before).execute(db).await?.rows_affected())
}
