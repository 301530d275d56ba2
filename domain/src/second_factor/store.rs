//! The `totp_credentials` and `recovery_codes` tables.

use crate::actor::{AccountId, SessionId};
use crate::error::Result;

#[derive(sqlx::FromRow)]
pub struct TotpRow {
    pub secret_sealed: String,
    pub enabled_at: Option<i64>,
    pub last_used_step: Option<i64>,
    pub created_at: i64,
    /// The session that started a waiting enrolment.
    pub enrolling_session_id: Option<String>,
}

#[derive(sqlx::FromRow)]
pub struct RecoveryRow {
    pub id: i64,
    pub code_hash: String,
}

/// A recovery code as stored: its argon2id hash and its lookup hint.
pub struct StoredCode {
    pub hash: String,
    pub lookup: String,
}

pub async fn totp(db: &sqlx::AnyPool, account: AccountId) -> Result<Option<TotpRow>> {
    Ok(sqlx::query_as(
        "SELECT secret_sealed, enabled_at, last_used_step, created_at, enrolling_session_id FROM totp_credentials WHERE account_id = $1",
    )
    .bind(account.get())
    .fetch_optional(db)
    .await?)
}

/// The account's second factors in one statement: since when the
/// authenticator app is on, its keys and passkeys, its unused recovery
/// codes, as the `account_overview` view (migration 0022) counts them from
/// this slice's tables, so the rule is written once. Every page's step-up
/// status reads it (three statements before).
pub async fn methods(db: &sqlx::AnyPool, account: AccountId) -> Result<(Option<i64>, i64, i64, i64)> {
    let row: Option<(Option<i64>, i64, i64, i64)> =
        sqlx::query_as("SELECT authenticator_app_since, security_keys, passkeys, recovery_codes_left FROM account_overview WHERE account_id = $1")
            .bind(account.get())
            .fetch_optional(db)
            .await?;
    Ok(row.unwrap_or((None, 0, 0, 0)))
}

pub async fn recovery_codes_left(db: &sqlx::AnyPool, account: AccountId) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) AS n FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL")
        .bind(account.get())
        .fetch_one(db)
        .await?;
    Ok(n)
}

/// The unused codes a typed code may be: those with its lookup hint, and
/// those made before hints were kept (no hint to match).
pub async fn candidate_recovery_codes(db: &sqlx::AnyPool, account: AccountId, lookup: &str) -> Result<Vec<RecoveryRow>> {
    Ok(sqlx::query_as(
        "SELECT id, code_hash FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL AND (lookup = $2 OR lookup IS NULL) ORDER BY id",
    )
    .bind(account.get())
    .bind(lookup)
    .fetch_all(db)
    .await?)
}

/// Replaces an unconfirmed enrolment (if any, whichever session started
/// it) with a new secret that belongs to `session`.
pub async fn restart_enrolment(db: &mut sqlx::AnyConnection, account: AccountId, session: &SessionId, sealed: &str, at: i64) -> Result<()> {
    sqlx::query("DELETE FROM totp_credentials WHERE account_id = $1 AND enabled_at IS NULL").bind(account.get()).execute(&mut *db).await?;
    sqlx::query("INSERT INTO totp_credentials (account_id, secret_sealed, created_at, enrolling_session_id) VALUES ($1, $2, $3, $4)")
        .bind(account.get())
        .bind(sealed)
        .bind(at)
        .bind(session.as_str())
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Turns the waiting enrolment `session` started with `sealed` on, with its
/// first accepted step (compare-and-set: an enrolment restarted meanwhile,
/// by this session or another, is not turned on). Returns whether it did.
pub async fn enable(db: &mut sqlx::AnyConnection, account: AccountId, session: &SessionId, sealed: &str, step: i64, at: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE totp_credentials SET enabled_at = $1, last_used_step = $2, enrolling_session_id = NULL \
         WHERE account_id = $3 AND enabled_at IS NULL AND enrolling_session_id = $4 AND secret_sealed = $5",
    )
    .bind(at)
    .bind(step)
    .bind(account.get())
    .bind(session.as_str())
    .bind(sealed)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Accepts `step` if it is newer than every accepted one (compare-and-set,
/// so two requests racing with the same code cannot both win).
pub async fn accept_step(db: &sqlx::AnyPool, account: AccountId, step: i64) -> Result<bool> {
    let done =
        sqlx::query("UPDATE totp_credentials SET last_used_step = $1 WHERE account_id = $2 AND (last_used_step IS NULL OR last_used_step < $1)")
            .bind(step)
            .bind(account.get())
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn replace_recovery_codes(db: &mut sqlx::AnyConnection, account: AccountId, codes: &[StoredCode], at: i64) -> Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1").bind(account.get()).execute(&mut *db).await?;
    for c in codes {
        sqlx::query("INSERT INTO recovery_codes (account_id, code_hash, lookup, created_at) VALUES ($1, $2, $3, $4)")
            .bind(account.get())
            .bind(&c.hash)
            .bind(&c.lookup)
            .bind(at)
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

/// Spends one recovery code, once even under concurrent use.
pub async fn spend_recovery_code(db: &mut sqlx::AnyConnection, id: i64, at: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL").bind(at).bind(id).execute(db).await?;
    Ok(done.rows_affected() == 1)
}

/// Turns the authenticator app off; its recovery codes go too unless
/// `keep_recovery_codes` (a security key still uses them).
pub async fn remove(db: &mut sqlx::AnyConnection, account: AccountId, keep_recovery_codes: bool) -> Result<()> {
    sqlx::query("DELETE FROM totp_credentials WHERE account_id = $1").bind(account.get()).execute(&mut *db).await?;
    if !keep_recovery_codes {
        delete_recovery_codes(db, account).await?;
    }
    Ok(())
}

pub async fn delete_recovery_codes(db: &mut sqlx::AnyConnection, account: AccountId) -> Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1").bind(account.get()).execute(db).await?;
    Ok(())
}

/// Every sealed TOTP secret, on or pending, for a key rotation.
pub async fn sealed_secrets(db: &sqlx::AnyPool) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as("SELECT account_id, secret_sealed FROM totp_credentials ORDER BY account_id").fetch_all(db).await?)
}

/// Swaps a sealed secret for the same secret sealed again, only if it is
/// still `old` (an enrolment restarted meanwhile is left alone).
pub async fn replace_sealed_secret(db: &sqlx::AnyPool, account: AccountId, old: &str, new: &str) -> Result<bool> {
    let done = sqlx::query("UPDATE totp_credentials SET secret_sealed = $1 WHERE account_id = $2 AND secret_sealed = $3")
        .bind(new)
        .bind(account.get())
        .bind(old)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}
