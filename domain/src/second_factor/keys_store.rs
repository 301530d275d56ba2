//! The `webauthn_credentials`, `webauthn_challenges`,
//! `webauthn_user_handles` and `webauthn_passkey_challenges` tables. Flags
//! are integers (0 or 1).

use crate::actor::{AccountId, SessionId};
use crate::error::Result;

#[derive(sqlx::FromRow)]
pub struct KeyRow {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub passkey: i64,
}

#[derive(sqlx::FromRow)]
pub struct CredentialRow {
    pub id: i64,
    pub account_id: i64,
    pub credential_id: String,
    pub name: String,
    /// webauthn-rs's stored form of the key (JSON).
    pub credential: String,
    pub counter: i64,
    pub passkey: i64,
}

#[derive(sqlx::FromRow)]
pub struct ChallengeRow {
    pub account_id: i64,
    pub state: String,
    pub key_name: Option<String>,
    pub expires_at: i64,
    pub passkey: i64,
}

#[derive(sqlx::FromRow)]
pub struct PasskeyChallengeRow {
    pub state: String,
    pub expires_at: i64,
}

const CREDENTIAL_COLS: &str = "id, account_id, credential_id, name, credential, counter, passkey";

pub struct NewCredential<'a> {
    pub account: AccountId,
    pub credential_id: &'a str,
    pub name: &'a str,
    pub credential: &'a str,
    pub counter: i64,
    pub transports: &'a str,
    pub passkey: bool,
    pub at: i64,
}

pub async fn keys(db: &sqlx::AnyPool, account: AccountId) -> Result<Vec<KeyRow>> {
    Ok(sqlx::query_as("SELECT id, name, created_at, last_used_at, passkey FROM webauthn_credentials WHERE account_id = $1 ORDER BY created_at, id")
        .bind(account.get())
        .fetch_all(db)
        .await?)
}

pub async fn count<'c, E>(db: E, account: AccountId) -> Result<i64>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) AS n FROM webauthn_credentials WHERE account_id = $1").bind(account.get()).fetch_one(db).await?;
    Ok(n)
}

/// How many keys the account has, and how many of them are passkeys.
pub async fn count_kinds(db: &sqlx::AnyPool, account: AccountId) -> Result<(i64, i64)> {
    // COUNT on both backends (PostgreSQL's SUM of a BIGINT is a NUMERIC).
    let (n, p): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*) AS n, COUNT(CASE WHEN passkey <> 0 THEN 1 END) AS p FROM webauthn_credentials WHERE account_id = $1")
            .bind(account.get())
            .fetch_one(db)
            .await?;
    Ok((n, p))
}

pub async fn credentials(db: &sqlx::AnyPool, account: AccountId) -> Result<Vec<CredentialRow>> {
    let sql = format!("SELECT {CREDENTIAL_COLS} FROM webauthn_credentials WHERE account_id = $1 ORDER BY id");
    Ok(sqlx::query_as(&sql).bind(account.get()).fetch_all(db).await?)
}

/// The passkey with this credential id (base64url), of whichever account;
/// keys not registered as passkeys are not found.
pub async fn passkey(db: &sqlx::AnyPool, credential_id: &str) -> Result<Option<CredentialRow>> {
    let sql = format!("SELECT {CREDENTIAL_COLS} FROM webauthn_credentials WHERE credential_id = $1 AND passkey = 1");
    Ok(sqlx::query_as(&sql).bind(credential_id).fetch_optional(db).await?)
}

/// Adds a key; `false` when its credential id is registered already
/// (credential ids are unique across all accounts).
pub async fn insert(db: &mut sqlx::AnyConnection, c: &NewCredential<'_>) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO webauthn_credentials (account_id, credential_id, name, credential, counter, transports, passkey, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (credential_id) DO NOTHING",
    )
    .bind(c.account.get())
    .bind(c.credential_id)
    .bind(c.name)
    .bind(c.credential)
    .bind(c.counter)
    .bind(c.transports)
    .bind(i64::from(c.passkey))
    .bind(c.at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a use: the new counter and stored form, only if the counter went
/// forward (or the key keeps no counter, 0 before and after). Returns whether
/// it did; `false` means another use got there first with a counter at least
/// as high, which is what a cloned key looks like.
pub async fn record_use(db: &sqlx::AnyPool, id: i64, old_counter: i64, counter: i64, credential: &str, at: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webauthn_credentials SET counter = $1, credential = $2, last_used_at = $3 \
         WHERE id = $4 AND counter = $5 AND (counter < $1 OR (counter = 0 AND $1 = 0))",
    )
    .bind(counter)
    .bind(credential)
    .bind(at)
    .bind(id)
    .bind(old_counter)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the account's key `id`; its name when it did.
/// Deletes the account's key `id`: its name and credential id (base64url).
pub async fn delete(db: &mut sqlx::AnyConnection, account: AccountId, id: i64) -> Result<Option<(String, String)>> {
    Ok(sqlx::query_as("DELETE FROM webauthn_credentials WHERE id = $1 AND account_id = $2 RETURNING name, credential_id")
        .bind(id)
        .bind(account.get())
        .fetch_optional(db)
        .await?)
}

/// A ceremony in flight, as [`put_challenge`] holds it.
pub struct NewChallenge<'a> {
    pub purpose: &'a str,
    pub account: AccountId,
    /// webauthn-rs's state of the ceremony (JSON).
    pub state: &'a str,
    /// The name of the key being added.
    pub key_name: Option<&'a str>,
    /// Whether the key being added is a passkey.
    pub passkey: bool,
    pub expires_at: i64,
}

/// Holds a ceremony's state for `session`, replacing any it had for the
/// same purpose (an older challenge stops being answerable).
pub async fn put_challenge(db: &sqlx::AnyPool, session: &SessionId, c: &NewChallenge<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO webauthn_challenges (session_id, purpose, account_id, state, key_name, passkey, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (session_id, purpose) DO UPDATE SET account_id = $3, state = $4, key_name = $5, passkey = $6, expires_at = $7",
    )
    .bind(session.as_str())
    .bind(c.purpose)
    .bind(c.account.get())
    .bind(c.state)
    .bind(c.key_name)
    .bind(i64::from(c.passkey))
    .bind(c.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Takes (deletes and returns, in one statement, so only one answer ever
/// gets it) the ceremony `session` started for `purpose`, if it is still
/// good at `now`.
pub async fn take_challenge(db: &sqlx::AnyPool, session: &SessionId, purpose: &str, now: i64) -> Result<Option<ChallengeRow>> {
    let row: Option<ChallengeRow> = sqlx::query_as(
        "DELETE FROM webauthn_challenges WHERE session_id = $1 AND purpose = $2 RETURNING account_id, state, key_name, expires_at, passkey",
    )
    .bind(session.as_str())
    .bind(purpose)
    .fetch_optional(db)
    .await?;
    Ok(row.filter(|r| r.expires_at > now))
}

pub async fn delete_challenges_before(db: &sqlx::AnyPool, now: i64) -> Result<u64> {
    let session_bound = sqlx::query("DELETE FROM webauthn_challenges WHERE expires_at <= $1").bind(now).execute(db).await?.rows_affected();
    let browser_bound = sqlx::query("DELETE FROM webauthn_passkey_challenges WHERE expires_at <= $1").bind(now).execute(db).await?.rows_affected();
    Ok(session_bound + browser_bound)
}

/// The account's passkey user handle, made from `fresh` if it has none yet
/// (two first passkeys racing agree on the one that got in).
pub async fn user_handle(db: &sqlx::AnyPool, account: AccountId, fresh: &str) -> Result<String> {
    sqlx::query("INSERT INTO webauthn_user_handles (account_id, user_handle) VALUES ($1, $2) ON CONFLICT (account_id) DO NOTHING")
        .bind(account.get())
        .bind(fresh)
        .execute(db)
        .await?;
    let (handle,): (String,) =
        sqlx::query_as("SELECT user_handle FROM webauthn_user_handles WHERE account_id = $1").bind(account.get()).fetch_one(db).await?;
    Ok(handle)
}

/// The account's passkey user handle, if it has one.
pub async fn user_handle_of(db: &sqlx::AnyPool, account: AccountId) -> Result<Option<String>> {
    Ok(sqlx::query_as("SELECT user_handle FROM webauthn_user_handles WHERE account_id = $1")
        .bind(account.get())
        .fetch_optional(db)
        .await?
        .map(|(h,): (String,)| h))
}

/// Holds a passwordless sign-in's state for the browser whose cookie
/// hashes to `browser_hash`.
pub async fn put_passkey_challenge(db: &sqlx::AnyPool, browser_hash: &str, state: &str, expires_at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO webauthn_passkey_challenges (browser_hash, state, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (browser_hash) DO UPDATE SET state = $2, expires_at = $3",
    )
    .bind(browser_hash)
    .bind(state)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Takes (deletes and returns, in one statement) the passwordless sign-in
/// of the browser `browser_hash`, if it is still good at `now`.
pub async fn take_passkey_challenge(db: &sqlx::AnyPool, browser_hash: &str, now: i64) -> Result<Option<PasskeyChallengeRow>> {
    let row: Option<PasskeyChallengeRow> =
        sqlx::query_as("DELETE FROM webauthn_passkey_challenges WHERE browser_hash = $1 RETURNING state, expires_at")
            .bind(browser_hash)
            .fetch_optional(db)
            .await?;
    Ok(row.filter(|r| r.expires_at > now))
}
