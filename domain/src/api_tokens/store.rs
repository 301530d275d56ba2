//! The `api_tokens` table: a token's SHA-256, never the token; its prefix,
//! name, access and times. Deleting sets `deleted_at`; every read of a live
//! token says `deleted_at IS NULL`.

use crate::actor::AccountId;
use crate::error::Result;
use crate::support::db::Store;
use crate::support::hot::col;
use std::sync::LazyLock;

#[derive(sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub prefix: String,
    /// `read` or `read_write`.
    pub access: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub last_used_ip: Option<String>,
    pub last_used_user_agent: Option<String>,
    /// 1 when the token may list and end the account's browser sessions.
    pub sessions_scope: i64,
    /// CIDR ranges, comma-separated; empty: any network.
    pub allowed_networks: String,
    /// The secret a regeneration replaced, while it may still work: its
    /// prefix and until when (see [`regenerate`]).
    pub previous_prefix: Option<String>,
    pub previous_until: Option<i64>,
    /// When the current secret was made by a regeneration.
    pub regenerated_at: Option<i64>,
}

const COLS: &str = "id, account_id, name, prefix, access, created_at, expires_at, last_used_at, last_used_ip, last_used_user_agent, \
                    sessions_scope, allowed_networks, previous_prefix, previous_until, regenerated_at";

pub struct NewToken<'a> {
    pub account: AccountId,
    pub name: &'a str,
    pub name_key: &'a str,
    pub prefix: &'a str,
    pub token_hash: &'a str,
    pub access: &'a str,
    pub sessions_scope: bool,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    /// See [`TokenRow::allowed_networks`].
    pub allowed_networks: &'a str,
}

/// Inserts a live token; a live token of the same account and `name_key`
/// fails it with a unique violation.
pub async fn insert(db: &mut sqlx::AnyConnection, t: &NewToken<'_>) -> std::result::Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO api_tokens (account_id, name, name_key, prefix, token_hash, access, created_at, expires_at, sessions_scope, allowed_networks) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(t.account.get())
    .bind(t.name)
    .bind(t.name_key)
    .bind(t.prefix)
    .bind(t.token_hash)
    .bind(t.access)
    .bind(t.created_at)
    .bind(t.expires_at)
    .bind(i64::from(t.sessions_scope))
    .bind(t.allowed_networks)
    .fetch_one(db)
    .await?;
    Ok(id)
}

/// The account's live tokens (expired ones too, until deleted), newest first.
pub async fn live(db: &sqlx::AnyPool, account: AccountId) -> Result<Vec<TokenRow>> {
    let sql = format!("SELECT {COLS} FROM api_tokens WHERE account_id = $1 AND deleted_at IS NULL ORDER BY created_at DESC, id DESC");
    Ok(sqlx::query_as(&sql).bind(account.get()).fetch_all(db).await?)
}

pub async fn count_live<'c, E>(db: E, account: AccountId) -> Result<i64>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM api_tokens WHERE account_id = $1 AND deleted_at IS NULL").bind(account.get()).fetch_one(db).await?;
    Ok(n)
}

pub async fn name_taken<'c, E>(db: E, account: AccountId, name_key: &str) -> Result<bool>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM api_tokens WHERE account_id = $1 AND name_key = $2 AND deleted_at IS NULL")
        .bind(account.get())
        .bind(name_key)
        .fetch_optional(db)
        .await?;
    Ok(row.is_some())
}

/// Which live token a hash opens at `now`, of any account: its current
/// secret, or the secret a regeneration replaced while its overlap lasts.
/// `prefix` is the presented secret's.
/// Read on every API request, so through the hot reads on SQLite
/// ([`crate::support::hot`]).
pub async fn by_hash(store: &Store, token_hash: &str, now: i64) -> Result<Option<TokenRow>> {
    static SQL: LazyLock<String> = LazyLock::new(|| opened_by(false));
    match hot_read(store, &SQL, token_hash, now, TokenRow::from_hot) {
        Some(found) => Ok(found),
        None => store.fetch_optional(sqlx::query_as(&SQL).bind(token_hash).bind(now)).await,
    }
}

/// `sql` (`$1` the hash, `$2` now) through the hot reads, when the store
/// has them and the read succeeds.
fn hot_read<T>(store: &Store, sql: &str, token_hash: &str, now: i64, map: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>) -> Option<Option<T>> {
    store.hot.as_ref()?.read(|c| {
        use rusqlite::OptionalExtension;
        c.prepare_cached(sql)?.query_row(rusqlite::named_params! { "$1": token_hash, "$2": now }, map).optional()
    })
}

impl TokenRow {
    /// The row as [`hot_read`] reads it (the columns of [`opened_by`]).
    fn from_hot(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRow> {
        Ok(TokenRow {
            id: col(r, "id")?,
            account_id: col(r, "account_id")?,
            name: col(r, "name")?,
            prefix: col(r, "prefix")?,
            access: col(r, "access")?,
            created_at: col(r, "created_at")?,
            expires_at: col(r, "expires_at")?,
            last_used_at: col(r, "last_used_at")?,
            last_used_ip: col(r, "last_used_ip")?,
            last_used_user_agent: col(r, "last_used_user_agent")?,
            sessions_scope: col(r, "sessions_scope")?,
            allowed_networks: col(r, "allowed_networks")?,
            previous_prefix: col(r, "previous_prefix")?,
            previous_until: col(r, "previous_until")?,
            regenerated_at: col(r, "regenerated_at")?,
        })
    }
}

/// A token and its account's overview, from one statement.
#[derive(sqlx::FromRow)]
pub struct TokenAndAccount {
    #[sqlx(flatten)]
    pub token: TokenRow,
    #[sqlx(flatten)]
    pub account: crate::overview::Row,
}

/// [`by_hash`] joined to the `account_overview` view: the token and its
/// account (who it is, its second factors, its PIN) in one round trip, for
/// `GET /api/v1/account`.
pub async fn by_hash_with_account(store: &Store, token_hash: &str, now: i64) -> Result<Option<TokenAndAccount>> {
    static SQL: LazyLock<String> = LazyLock::new(|| opened_by(true));
    let map = |r: &rusqlite::Row<'_>| Ok(TokenAndAccount { token: TokenRow::from_hot(r)?, account: crate::overview::Row::from_hot(r)? });
    match hot_read(store, &SQL, token_hash, now, map) {
        Some(found) => Ok(found),
        None => store.fetch_optional(sqlx::query_as(&SQL).bind(token_hash).bind(now)).await,
    }
}

/// The statement of [`by_hash`] (`$1` the hash, `$2` now), with the
/// account's overview joined when `with_account` (its `account_id` is then
/// the view's, the same value).
fn opened_by(with_account: bool) -> String {
    let (account, join) = match with_account {
        true => (crate::overview::COLS, " JOIN account_overview o ON o.account_id = t.account_id"),
        false => ("t.account_id", ""),
    };
    format!(
        "SELECT t.id, {account}, t.name, CASE WHEN t.token_hash = $1 THEN t.prefix ELSE t.previous_prefix END AS prefix, t.access, \
         t.created_at, t.expires_at, t.last_used_at, t.last_used_ip, t.last_used_user_agent, t.sessions_scope, t.allowed_networks, \
         t.previous_prefix, t.previous_until, t.regenerated_at FROM api_tokens t{join} \
         WHERE t.deleted_at IS NULL AND (t.token_hash = $1 OR (t.previous_hash = $1 AND t.previous_until > $2))"
    )
}

/// What [`regenerate`] left: the token as it is now.
#[derive(sqlx::FromRow)]
pub struct Regenerated {
    pub name: String,
    pub access: String,
    pub sessions_scope: i64,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub previous_until: Option<i64>,
}

/// Gives the account's live token `id` a new secret (`token_hash`,
/// `prefix`) in one statement, so at every moment one secret or two work,
/// never none: the current secret becomes the previous one until
/// `overlap_until` (capped at its own expiry; `None`: it stops now), and a
/// previous one still in its overlap stops. The lifetime starts again from
/// `at` (a 90-day token works 90 days more), and the expiry reminders are
/// owed again. Another account's id, or a deleted token, changes nothing.
pub async fn regenerate(
    db: &mut sqlx::AnyConnection,
    account: AccountId,
    id: i64,
    token_hash: &str,
    prefix: &str,
    at: i64,
    overlap_until: Option<i64>,
) -> Result<Option<Regenerated>> {
    // Every expression reads the row as it was before this statement.
    const SQL: &str = "UPDATE api_tokens SET \
         previous_hash = CASE WHEN $5 IS NOT NULL AND (expires_at IS NULL OR expires_at > $4) THEN token_hash ELSE NULL END, \
         previous_prefix = CASE WHEN $5 IS NOT NULL AND (expires_at IS NULL OR expires_at > $4) THEN prefix ELSE NULL END, \
         previous_until = CASE WHEN $5 IS NOT NULL AND (expires_at IS NULL OR expires_at > $4) \
             THEN (CASE WHEN expires_at IS NOT NULL AND expires_at < $5 THEN expires_at ELSE $5 END) ELSE NULL END, \
         token_hash = $1, prefix = $2, \
         expires_at = CASE WHEN expires_at IS NULL THEN NULL ELSE $4 + (expires_at - COALESCE(regenerated_at, created_at)) END, \
         regenerated_at = $4, expiry_warned_at = NULL, last_day_warned_at = NULL \
         WHERE id = $3 AND account_id = $6 AND deleted_at IS NULL \
         RETURNING name, access, sessions_scope, created_at, expires_at, previous_until";
    Ok(sqlx::query_as(SQL).bind(token_hash).bind(prefix).bind(id).bind(at).bind(overlap_until).bind(account.get()).fetch_optional(db).await?)
}

/// Deletes the account's live token `id`; its name when it did. Another
/// account's id, or one deleted already, changes nothing.
pub async fn delete(db: &mut sqlx::AnyConnection, account: AccountId, id: i64, at: i64) -> Result<Option<String>> {
    Ok(sqlx::query_as("UPDATE api_tokens SET deleted_at = $1 WHERE id = $2 AND account_id = $3 AND deleted_at IS NULL RETURNING name")
        .bind(at)
        .bind(id)
        .bind(account.get())
        .fetch_optional(db)
        .await?
        .map(|(name,): (String,)| name))
}

/// Deletes the live token with this hash (a token revoking itself, or a
/// leaked one handed in); its account, id, name and prefix when it did.
/// A secret a regeneration replaced counts while its overlap lasts: the
/// whole token goes (whoever holds either secret holds the token).
pub async fn delete_by_hash(db: &mut sqlx::AnyConnection, token_hash: &str, at: i64) -> Result<Option<(i64, i64, String, String)>> {
    Ok(sqlx::query_as(
        "UPDATE api_tokens SET deleted_at = $1 WHERE deleted_at IS NULL \
         AND (token_hash = $2 OR (previous_hash = $2 AND previous_until > $1)) RETURNING account_id, id, name, prefix",
    )
    .bind(at)
    .bind(token_hash)
    .fetch_optional(db)
    .await?)
}

/// Deletes every live token of the account; how many.
pub async fn delete_all(db: &mut sqlx::AnyConnection, account: AccountId, at: i64) -> Result<u64> {
    let done = sqlx::query("UPDATE api_tokens SET deleted_at = $1 WHERE account_id = $2 AND deleted_at IS NULL")
        .bind(at)
        .bind(account.get())
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// Records a use, unless one was recorded after `not_after` (a compare and
/// set: of many requests in the same minute, one writes). Whether it wrote.
pub async fn touch(db: &sqlx::AnyPool, id: i64, at: i64, ip: &str, user_agent: &str, not_after: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE api_tokens SET last_used_at = $1, last_used_ip = $2, last_used_user_agent = $3 \
         WHERE id = $4 AND deleted_at IS NULL AND (last_used_at IS NULL OR last_used_at <= $5)",
    )
    .bind(at)
    .bind(ip)
    .bind(user_agent)
    .bind(id)
    .bind(not_after)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Adds `requests` and `limited` to a token's day (the `api_token_usage`
/// table): additive, so counts flushed by several instances add up.
pub async fn add_usage(db: &mut sqlx::AnyConnection, token: i64, day: i64, requests: i64, limited: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_token_usage (token_id, day, requests, limited) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (token_id, day) DO UPDATE SET requests = api_token_usage.requests + excluded.requests, \
         limited = api_token_usage.limited + excluded.limited",
    )
    .bind(token)
    .bind(day)
    .bind(requests)
    .bind(limited)
    .execute(db)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
pub struct UsageRow {
    pub token_id: i64,
    pub day: i64,
    pub requests: i64,
    pub limited: i64,
}

/// The usage of the account's live tokens from UTC day `from_day` on.
pub async fn usage_since(db: &sqlx::AnyPool, account: AccountId, from_day: i64) -> Result<Vec<UsageRow>> {
    Ok(sqlx::query_as(
        "SELECT u.token_id, u.day, u.requests, u.limited FROM api_token_usage u JOIN api_tokens t ON t.id = u.token_id \
         WHERE t.account_id = $1 AND t.deleted_at IS NULL AND u.day >= $2",
    )
    .bind(account.get())
    .bind(from_day)
    .fetch_all(db)
    .await?)
}

/// Removes the counts of days before `day`; how many rows.
pub async fn delete_usage_before(db: &sqlx::AnyPool, day: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM api_token_usage WHERE day < $1").bind(day).execute(db).await?.rows_affected())
}

/// Which expiry reminder: the one 7 days before, or the one on the last day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reminder {
    Week,
    LastDay,
}

impl Reminder {
    /// The column that says it was sent (a fixed name, never input).
    fn column(self) -> &'static str {
        match self {
            Reminder::Week => "expiry_warned_at",
            Reminder::LastDay => "last_day_warned_at",
        }
    }
}

/// Live tokens that expire after `now` and by `until`, whose owner was not
/// yet sent `reminder`.
pub async fn expiring_unwarned(db: &sqlx::AnyPool, now: i64, until: i64, reminder: Reminder) -> Result<Vec<TokenRow>> {
    let sql = format!(
        "SELECT {COLS} FROM api_tokens WHERE deleted_at IS NULL AND {} IS NULL \
         AND expires_at IS NOT NULL AND expires_at > $1 AND expires_at <= $2 ORDER BY expires_at, id",
        reminder.column()
    );
    Ok(sqlx::query_as(&sql).bind(now).bind(until).fetch_all(db).await?)
}

/// Live tokens whose last use (or, never used, the making of their
/// current secret) was before `before`.
pub async fn unused_since(db: &sqlx::AnyPool, before: i64) -> Result<Vec<TokenRow>> {
    let sql = format!(
        "SELECT {COLS} FROM api_tokens WHERE deleted_at IS NULL \
         AND COALESCE(last_used_at, regenerated_at, created_at) < $1 ORDER BY id"
    );
    Ok(sqlx::query_as(&sql).bind(before).fetch_all(db).await?)
}

/// Deletes token `id` if it is still live and still unused since before
/// `before` (a use or a regeneration meanwhile keeps it): whether it did.
pub async fn delete_unused(db: &mut sqlx::AnyConnection, id: i64, before: i64, at: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE api_tokens SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL \
         AND COALESCE(last_used_at, regenerated_at, created_at) < $3",
    )
    .bind(at)
    .bind(id)
    .bind(before)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks `reminder` sent, unless another instance did first (a compare and
/// set): whether this one did. The last day's reminder marks the week's
/// too, so a token first seen on its last day gets one mail, not two.
pub async fn mark_expiry_warned(db: &mut sqlx::AnyConnection, id: i64, at: i64, reminder: Reminder) -> Result<bool> {
    let also = match reminder {
        Reminder::Week => "",
        Reminder::LastDay => ", expiry_warned_at = COALESCE(expiry_warned_at, $1)",
    };
    let col = reminder.column();
    let sql = format!("UPDATE api_tokens SET {col} = $1{also} WHERE id = $2 AND {col} IS NULL AND deleted_at IS NULL");
    let done = sqlx::query(&sql).bind(at).bind(id).execute(db).await?;
    Ok(done.rows_affected() == 1)
}

/// Keeps a sealed new token for the next page of `session` (one per
/// session: a newer one replaces it). See [`super::handover`].
pub async fn hold_handover(db: &sqlx::AnyPool, session: &str, sealed: &str, expires_at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_token_handover (session_id, sealed, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (session_id) DO UPDATE SET sealed = excluded.sealed, expires_at = excluded.expires_at",
    )
    .bind(session)
    .bind(sealed)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Takes (reads and deletes, in one statement, so two pages cannot both
/// get it) the token held for `session`, if it has not expired.
pub async fn take_handover(db: &sqlx::AnyPool, session: &str, now: i64) -> Result<Option<String>> {
    let row: Option<(String, i64)> =
        sqlx::query_as("DELETE FROM api_token_handover WHERE session_id = $1 RETURNING sealed, expires_at").bind(session).fetch_optional(db).await?;
    Ok(row.filter(|(_, until)| *until > now).map(|(sealed, _)| sealed))
}

pub async fn delete_handovers_before(db: &sqlx::AnyPool, now: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM api_token_handover WHERE expires_at <= $1").bind(now).execute(db).await?.rows_affected())
}

/// Sets the networks the account's live token `id` may be used from; its
/// name and prefix when it did. Another account's id, or one deleted
/// already, changes nothing.
pub async fn set_allowed_networks(db: &mut sqlx::AnyConnection, account: AccountId, id: i64, allowed: &str) -> Result<Option<(String, String)>> {
    Ok(sqlx::query_as("UPDATE api_tokens SET allowed_networks = $1 WHERE id = $2 AND account_id = $3 AND deleted_at IS NULL RETURNING name, prefix")
        .bind(allowed)
        .bind(id)
        .bind(account.get())
        .fetch_optional(db)
        .await?)
}

/// One network a token was used from.
#[derive(sqlx::FromRow)]
pub struct NetworkRow {
    pub token_id: i64,
    pub network: String,
    pub ip: String,
    pub user_agent: String,
    pub first_seen: i64,
    pub last_seen: i64,
}

/// A use from a network the token is known to have been used from: its
/// last address, user agent and time. Whether the network was known.
pub async fn seen_again(db: &sqlx::AnyPool, token: i64, network: &str, ip: &str, user_agent: &str, at: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE api_token_networks SET ip = $1, user_agent = $2, last_seen = $3 WHERE token_id = $4 AND network = $5")
        .bind(ip)
        .bind(user_agent)
        .bind(at)
        .bind(token)
        .bind(network)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Adds one to the live token's `networks_seen`, which holds its row's
/// lock until the caller's transaction ends: the recording of a new
/// network of one token runs one at a time. The new count; `None` when the
/// token is no longer live.
pub async fn lock_for_new_network(db: &mut sqlx::AnyConnection, token: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_as("UPDATE api_tokens SET networks_seen = networks_seen + 1 WHERE id = $1 AND deleted_at IS NULL RETURNING networks_seen")
        .bind(token)
        .fetch_optional(db)
        .await?
        .map(|(n,): (i64,)| n))
}

/// Whether the token has a row for `network`, and how many rows it has.
pub async fn known_networks(db: &mut sqlx::AnyConnection, token: i64, network: &str) -> Result<(bool, i64)> {
    let (known, all): (i64, i64) =
        sqlx::query_as("SELECT COALESCE(SUM(CASE WHEN network = $2 THEN 1 ELSE 0 END), 0), COUNT(*) FROM api_token_networks WHERE token_id = $1")
            .bind(token)
            .bind(network)
            .fetch_one(db)
            .await?;
    Ok((known > 0, all))
}

/// Records a use from `network` (inserted, or updated when it is there),
/// then keeps only the token's newest `keep` networks (by last use, then
/// by the order they were recorded in), in the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub async fn record_network(db: &mut sqlx::AnyConnection, token: i64, network: &str, ip: &str, user_agent: &str, at: i64, keep: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_token_networks (token_id, network, ip, user_agent, first_seen, last_seen) VALUES ($1, $2, $3, $4, $5, $5) \
         ON CONFLICT (token_id, network) DO UPDATE SET ip = excluded.ip, user_agent = excluded.user_agent, last_seen = excluded.last_seen",
    )
    .bind(token)
    .bind(network)
    .bind(ip)
    .bind(user_agent)
    .bind(at)
    .execute(&mut *db)
    .await?;
    sqlx::query(
        "DELETE FROM api_token_networks WHERE token_id = $1 AND id NOT IN \
         (SELECT id FROM api_token_networks WHERE token_id = $1 ORDER BY last_seen DESC, id DESC LIMIT $2)",
    )
    .bind(token)
    .bind(keep)
    .execute(db)
    .await?;
    Ok(())
}

/// The networks of the account's live tokens, newest first within each token.
pub async fn networks_of_account(db: &sqlx::AnyPool, account: AccountId) -> Result<Vec<NetworkRow>> {
    Ok(sqlx::query_as(
        "SELECT n.token_id, n.network, n.ip, n.user_agent, n.first_seen, n.last_seen FROM api_token_networks n \
         JOIN api_tokens t ON t.id = n.token_id WHERE t.account_id = $1 AND t.deleted_at IS NULL \
         ORDER BY n.token_id, n.last_seen DESC, n.id DESC",
    )
    .bind(account.get())
    .fetch_all(db)
    .await?)
}
