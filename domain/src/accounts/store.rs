//! The `accounts` table.

use crate::actor::AccountId;
use crate::error::Result;

#[derive(sqlx::FromRow)]
pub struct AccountRow {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub created_at: i64,
    pub password_changed_at: Option<i64>,
}

const COLS: &str = "id, username, email, password_hash, created_at, password_changed_at";

pub async fn insert<'c, E>(db: E, username: &str, email: &str, password_hash: &str, at: i64) -> std::result::Result<i64, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let (id,): (i64,) = sqlx::query_as("INSERT INTO accounts (username, email, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(username)
        .bind(email)
        .bind(password_hash)
        .bind(at)
        .fetch_one(db)
        .await?;
    Ok(id)
}

pub async fn username_exists(db: &sqlx::AnyPool, username: &str) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM accounts WHERE username = $1").bind(username).fetch_optional(db).await?;
    Ok(row.is_some())
}

pub async fn by_id<'c, E>(db: E, id: AccountId) -> Result<Option<AccountRow>>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM accounts WHERE id = $1")).bind(id.get()).fetch_optional(db).await?)
}

/// By username or email, both stored lower-case.
pub async fn by_login(db: &sqlx::AnyPool, login: &str) -> Result<Option<AccountRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM accounts WHERE username = $1 OR email = $1")).bind(login).fetch_optional(db).await?)
}

pub async fn by_email(db: &sqlx::AnyPool, email: &str) -> Result<Option<AccountRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM accounts WHERE email = $1")).bind(email).fetch_optional(db).await?)
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
