//! The `security_events` table.

use crate::actor::{AccountId, ClientMeta};
use crate::support::clip;
use crate::Result;

const MAX_UA: usize = 512;

#[derive(sqlx::FromRow)]
pub struct EventRow {
    pub kind: String,
    pub ip: String,
    pub user_agent: String,
    pub detail: String,
    pub at: i64,
}

pub async fn insert<'c, E>(db: E, account: Option<AccountId>, kind: &str, meta: &ClientMeta, detail: &str, at: i64) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query("INSERT INTO security_events (account_id, kind, ip, user_agent, detail, at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(account.map(AccountId::get))
        .bind(kind)
        .bind(&meta.ip)
        .bind(clip(&meta.user_agent, MAX_UA))
        .bind(detail)
        .bind(at)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn recent(db: &sqlx::AnyPool, account: AccountId, limit: i64) -> Result<Vec<EventRow>> {
    Ok(sqlx::query_as("SELECT kind, ip, user_agent, detail, at FROM security_events WHERE account_id = $1 ORDER BY at DESC, id DESC LIMIT $2")
        .bind(account.get())
        .bind(limit)
        .fetch_all(db)
        .await?)
}
