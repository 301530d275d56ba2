//! The `accounts` and `email_verifications` tables. Only the SHA-256 of a
//! verification link's token is stored.

use crate::actor::AccountId;
use crate::error::Result;
use sqlx::AnyConnection;

#[derive(sqlx::FromRow)]
pub struct AccountRow {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub created_at: i64,
    pub password_changed_at: Option<i64>,
    /// When the address was proven by a mailed link; `None` until then.
    pub email_verified_at: Option<i64>,
    /// The IANA zone the person's days are counted in.
    pub time_zone: String,
}

const COLS: &str = "id, username, email, password_hash, created_at, password_changed_at, email_verified_at, time_zone";

pub async fn insert<'c, E>(db: E, username: &str, email: &str, password_hash: &str, time_zone: &str, at: i64) -> std::result::Result<i64, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let (id,): (i64,) =
        sqlx::query_as("INSERT INTO accounts (username, email, password_hash, created_at, time_zone) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(username)
            .bind(email)
            .bind(password_hash)
            .bind(at)
            .bind(time_zone)
            .fetch_one(db)
            .await?;
    Ok(id)
}

pub async fn by_id<'c, E>(db: E, id: AccountId) -> Result<Option<AccountRow>>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM accounts WHERE id = $1")).bind(id.get()).fetch_optional(db).await?)
}

/// By username, or by an email address that is verified: only one account
/// can hold an address verified, and a username never contains `@`, so at
/// most one account matches.
pub async fn by_login(db: &sqlx::AnyPool, login: &str) -> Result<Option<AccountRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM accounts WHERE username = $1 OR (email = $1 AND email_verified_at IS NOT NULL)"))
        .bind(login)
        .fetch_optional(db)
        .await?)
}

/// The one account that holds `email` verified, if any.
pub async fn by_verified_email<'c, E>(db: E, email: &str) -> Result<Option<AccountRow>>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM accounts WHERE email = $1 AND email_verified_at IS NOT NULL"))
        .bind(email)
        .fetch_optional(db)
        .await?)
}

/// Whether `email` is the account's address, verified.
pub async fn is_verified_address<'c, E>(db: E, id: AccountId, email: &str) -> Result<bool>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    Ok(verified_address_zone(db, id, email).await?.is_some())
}

/// The account's time zone, when `email` is its address and verified (who
/// a notice goes to, and the clock it is told on).
pub async fn verified_address_zone<'c, E>(db: E, id: AccountId, email: &str) -> Result<Option<String>>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let row: Option<(String,)> = sqlx::query_as("SELECT time_zone FROM accounts WHERE id = $1 AND email = $2 AND email_verified_at IS NOT NULL")
        .bind(id.get())
        .bind(email)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|r| r.0))
}

/// Marks the account's address verified, if it is still `email` and not yet
/// verified. A unique violation means another account holds it verified.
pub async fn set_email_verified(db: &mut sqlx::AnyConnection, id: AccountId, email: &str, at: i64) -> std::result::Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE accounts SET email_verified_at = $1 WHERE id = $2 AND email = $3 AND email_verified_at IS NULL")
        .bind(at)
        .bind(id.get())
        .bind(email)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(sqlx::FromRow)]
pub struct OpenVerifyLink {
    pub account_id: i64,
    pub username: String,
    pub email: String,
    pub expires_at: i64,
}

/// Why a verification link closed.
#[derive(Clone, Copy, Debug)]
pub enum Closed {
    Used,
    Superseded,
}

impl Closed {
    fn code(self) -> &'static str {
        match self {
            Closed::Used => "used",
            Closed::Superseded => "superseded",
        }
    }
}

pub async fn close_open_verify_links(db: &mut sqlx::AnyConnection, account: AccountId, at: i64, why: Closed) -> Result<()> {
    sqlx::query("UPDATE email_verifications SET closed_at = $1, closed_reason = $2 WHERE account_id = $3 AND closed_at IS NULL")
        .bind(at)
        .bind(why.code())
        .bind(account.get())
        .execute(db)
        .await?;
    Ok(())
}

/// A new open link. At most one is open per account (a unique index): close
/// the open one first, in the same transaction.
pub async fn insert_verify_link(
    db: &mut sqlx::AnyConnection,
    account: AccountId,
    email: &str,
    token_hash: &str,
    at: i64,
    expires_at: i64,
) -> std::result::Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO email_verifications (account_id, email, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(account.get())
        .bind(email)
        .bind(token_hash)
        .bind(at)
        .bind(expires_at)
        .execute(db)
        .await?;
    Ok(())
}

/// The open, unexpired link a token hash belongs to, while the account still
/// has the address it was sent to.
pub async fn open_verify_link<'c, E>(db: E, token_hash: &str, now: i64) -> Result<Option<OpenVerifyLink>>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT v.account_id, a.username, v.email, v.expires_at FROM email_verifications v JOIN accounts a ON a.id = v.account_id \
         WHERE v.token_hash = $1 AND v.closed_at IS NULL AND v.expires_at > $2 AND a.email = v.email",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db)
    .await?)
}

/// Spends the link, once even under concurrent use (compare-and-set).
pub async fn use_verify_link(db: &mut sqlx::AnyConnection, account: AccountId, token_hash: &str, at: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE email_verifications SET closed_at = $1, closed_reason = $2 \
         WHERE token_hash = $3 AND account_id = $4 AND closed_at IS NULL AND expires_at > $1",
    )
    .bind(at)
    .bind(Closed::Used.code())
    .bind(token_hash)
    .bind(account.get())
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the password hash; with `expected`, only if it is still that one
/// (compare-and-set, so two changes racing with the same old password cannot
/// both win). Returns whether the row changed.
pub async fn set_password_hash<'c, E>(db: E, id: AccountId, new_hash: &str, expected: Option<&str>, at: i64) -> Result<bool>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let done = match expected {
        Some(old) => {
            sqlx::query("UPDATE accounts SET password_hash = $1, password_changed_at = $2 WHERE id = $3 AND password_hash = $4")
                .bind(new_hash)
                .bind(at)
                .bind(id.get())
                .bind(old)
                .execute(db)
                .await?
        }
        None => {
            sqlx::query("UPDATE accounts SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
                .bind(new_hash)
                .bind(at)
                .bind(id.get())
                .execute(db)
                .await?
        }
    };
    Ok(done.rows_affected() == 1)
}

/// Takes the account row's write lock until the transaction ends, so changes
/// that must not interleave per account queue up behind each other. A no-op
/// update rather than `SELECT … FOR UPDATE`, which SQLite lacks (SQLite
/// already lets one writer at a time through); not of `id`, which
/// PostgreSQL's `GENERATED ALWAYS` identity refuses to update.
pub async fn lock(db: &mut sqlx::AnyConnection, id: AccountId) -> Result<()> {
    sqlx::query("UPDATE accounts SET created_at = created_at WHERE id = $1").bind(id.get()).execute(db).await?;
    Ok(())
}

pub async fn sign_in_alerts(db: &mut AnyConnection, id: AccountId) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT sign_in_alerts FROM accounts WHERE id = $1").bind(id.get()).fetch_optional(db).await?;
    Ok(row.is_some_and(|(on,)| on != 0))
}

/// A compare-and-set: `false` when the setting already was `on`.
pub async fn set_sign_in_alerts(db: &mut AnyConnection, id: AccountId, on: bool) -> Result<bool> {
    let done = sqlx::query("UPDATE accounts SET sign_in_alerts = $1 WHERE id = $2 AND sign_in_alerts <> $1")
        .bind(i64::from(on))
        .bind(id.get())
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn passkey_invite_dismissed(db: &sqlx::AnyPool, id: AccountId) -> Result<bool> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT passkey_invite_dismissed_at FROM accounts WHERE id = $1").bind(id.get()).fetch_optional(db).await?;
    Ok(row.is_some_and(|(at,)| at.is_some()))
}

pub async fn dismiss_passkey_invite(db: &sqlx::AnyPool, id: AccountId, at: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET passkey_invite_dismissed_at = $1 WHERE id = $2 AND passkey_invite_dismissed_at IS NULL")
        .bind(at)
        .bind(id.get())
        .execute(db)
        .await?;
    Ok(())
}

pub async fn set_time_zone(db: &sqlx::AnyPool, id: AccountId, zone: &str) -> Result<()> {
    sqlx::query("UPDATE accounts SET time_zone = $1 WHERE id = $2").bind(zone).bind(id.get()).execute(db).await?;
    Ok(())
}

/// Removes accounts created before `before` whose address was never
/// confirmed (their rows in every table go with them); how many.
pub async fn delete_unverified_before(db: &sqlx::AnyPool, before: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM accounts WHERE email_verified_at IS NULL AND created_at < $1").bind(before).execute(db).await?;
    Ok(done.rows_affected())
}
