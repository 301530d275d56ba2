//! The `webhook_endpoints` and `webhook_deliveries` tables.

use crate::actor::AccountId;
use crate::error::Result;
use sqlx::{AnyConnection, AnyPool};

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct EndpointRow {
    pub id: i64,
    pub url: String,
    pub events: String,
    pub created_at: i64,
    pub failing_since: Option<i64>,
    pub disabled_at: Option<i64>,
    pub previous_until: Option<i64>,
}

const ENDPOINT_COLS: &str = "id, url, events, created_at, failing_since, disabled_at, previous_until";

pub async fn endpoints(db: &AnyPool, account: AccountId) -> Result<Vec<EndpointRow>> {
    let sql = format!("SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE account_id = $1 ORDER BY id");
    Ok(sqlx::query_as(&sql).bind(account.get()).fetch_all(db).await?)
}

pub async fn count(db: &mut AnyConnection, account: AccountId) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM webhook_endpoints WHERE account_id = $1").bind(account.get()).fetch_one(db).await?;
    Ok(n)
}

pub async fn insert_endpoint(db: &mut AnyConnection, account: AccountId, url: &str, events: &str, secret_sealed: &str, at: i64) -> Result<i64> {
    let (id,): (i64,) =
        sqlx::query_as("INSERT INTO webhook_endpoints (account_id, url, events, secret_sealed, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(account.get())
            .bind(url)
            .bind(events)
            .bind(secret_sealed)
            .bind(at)
            .fetch_one(db)
            .await?;
    Ok(id)
}

/// The endpoint's URL, if it is the account's: `None` for another's or an unknown id.
pub async fn delete_endpoint(db: &mut AnyConnection, account: AccountId, id: i64) -> Result<Option<String>> {
    Ok(sqlx::query_as("DELETE FROM webhook_endpoints WHERE id = $1 AND account_id = $2 RETURNING url")
        .bind(id)
        .bind(account.get())
        .fetch_optional(db)
        .await?
        .map(|(url,): (String,)| url))
}

/// A new secret; the current one signs on beside it until `previous_until`.
/// Also enables a disabled endpoint again. Whether the account has it.
pub async fn rotate(db: &mut AnyConnection, account: AccountId, id: i64, sealed: &str, previous_until: i64) -> Result<Option<String>> {
    Ok(sqlx::query_as(
        "UPDATE webhook_endpoints SET previous_secret_sealed = secret_sealed, previous_until = $1, secret_sealed = $2, \
         disabled_at = NULL, failing_since = NULL WHERE id = $3 AND account_id = $4 RETURNING url",
    )
    .bind(previous_until)
    .bind(sealed)
    .bind(id)
    .bind(account.get())
    .fetch_optional(db)
    .await?
    .map(|(url,): (String,)| url))
}

/// Queues one delivery of `payload` to every live endpoint of the account
/// that chose `topic`, each under its own message id (`msg_prefix` and the
/// endpoint's id).
pub async fn announce(
    db: &mut AnyConnection,
    account: AccountId,
    topic: &str,
    event_type: &str,
    payload: &str,
    msg_prefix: &str,
    at: i64,
) -> Result<u64> {
    let done = sqlx::query(
        "INSERT INTO webhook_deliveries (endpoint_id, account_id, message_id, event_type, payload, created_at, attempts, next_attempt_at) \
         SELECT id, account_id, $1 || CAST(id AS TEXT), $2, $3, $4, 0, $4 FROM webhook_endpoints \
         WHERE account_id = $5 AND disabled_at IS NULL AND events LIKE $6",
    )
    .bind(msg_prefix)
    .bind(event_type)
    .bind(payload)
    .bind(at)
    .bind(account.get())
    .bind(format!("%,{topic},%"))
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// One delivery to one endpoint of the account, whatever it chose (a test event).
pub async fn insert_delivery(
    db: &mut AnyConnection,
    endpoint: i64,
    account: AccountId,
    message_id: &str,
    event_type: &str,
    payload: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO webhook_deliveries (endpoint_id, account_id, message_id, event_type, payload, created_at, attempts, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $6)",
    )
    .bind(endpoint)
    .bind(account.get())
    .bind(message_id)
    .bind(event_type)
    .bind(payload)
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct DeliveryRow {
    pub id: i64,
    pub endpoint_id: i64,
    pub message_id: String,
    pub event_type: String,
    pub created_at: i64,
    pub attempts: i64,
    pub last_attempt_at: Option<i64>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub next_attempt_at: i64,
}

const DELIVERY_COLS: &str =
    "id, endpoint_id, message_id, event_type, created_at, attempts, last_attempt_at, last_status, last_error, delivered_at, failed_at, next_attempt_at";

/// The newest deliveries of the account's endpoints, newest first.
pub async fn deliveries(db: &AnyPool, account: AccountId, limit: i64) -> Result<Vec<DeliveryRow>> {
    let sql = format!("SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2");
    Ok(sqlx::query_as(&sql).bind(account.get()).bind(limit).fetch_all(db).await?)
}

/// Sends one delivery of the account again, now (a delivered or given-up
/// one too): whether it is the account's.
pub async fn redeliver(db: &AnyPool, account: AccountId, id: i64, at: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET next_attempt_at = $1, delivered_at = NULL, failed_at = NULL, lease_until = NULL, created_at = $1 \
         WHERE id = $2 AND account_id = $3 AND (lease_until IS NULL OR lease_until <= $1)",
    )
    .bind(at)
    .bind(id)
    .bind(account.get())
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deliveries due at `now` and not held by a live lease, oldest first.
pub async fn due(db: &AnyPool, now: i64, limit: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM webhook_deliveries WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
         AND (lease_until IS NULL OR lease_until <= $1) ORDER BY next_attempt_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Claims a due delivery until `lease_until` and counts the attempt: the
/// attempts before this one, or `None` when another sender has it.
pub async fn claim(db: &AnyPool, id: i64, now: i64, lease_until: i64) -> Result<Option<i64>> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET lease_until = $1, attempts = attempts + 1, last_attempt_at = $2 \
         WHERE id = $3 AND delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until <= $2)",
    )
    .bind(lease_until)
    .bind(now)
    .bind(id)
    .execute(db)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    let (attempts,): (i64,) = sqlx::query_as("SELECT attempts FROM webhook_deliveries WHERE id = $1").bind(id).fetch_one(db).await?;
    Ok(Some(attempts - 1))
}

/// What a claimed delivery is sent as, and where.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct TargetRow {
    pub account_id: i64,
    pub endpoint_id: i64,
    pub message_id: String,
    pub payload: String,
    pub created_at: i64,
    pub url: String,
    pub secret_sealed: String,
    pub previous_secret_sealed: Option<String>,
    pub previous_until: Option<i64>,
    pub disabled_at: Option<i64>,
}

pub async fn target(db: &AnyPool, id: i64) -> Result<Option<TargetRow>> {
    Ok(sqlx::query_as(
        "SELECT d.account_id, d.endpoint_id, d.message_id, d.payload, d.created_at, e.url, e.secret_sealed, e.previous_secret_sealed, \
         e.previous_until, e.disabled_at FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?)
}

pub async fn mark_delivered(db: &AnyPool, id: i64, endpoint: i64, now: i64, status: i64) -> Result<()> {
    sqlx::query("UPDATE webhook_deliveries SET delivered_at = $1, last_status = $2, last_error = NULL, lease_until = NULL WHERE id = $3")
        .bind(now)
        .bind(status)
        .bind(id)
        .execute(db)
        .await?;
    sqlx::query("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1").bind(endpoint).execute(db).await?;
    Ok(())
}

/// A failed attempt: retried at `next` or, with `None`, given up.
pub async fn mark_failed_attempt(db: &AnyPool, id: i64, endpoint: i64, now: i64, status: Option<i64>, error: &str, next: Option<i64>) -> Result<()> {
    let sql = match next {
        Some(_) => "UPDATE webhook_deliveries SET next_attempt_at = $1, last_status = $2, last_error = $3, lease_until = NULL WHERE id = $4",
        None => "UPDATE webhook_deliveries SET failed_at = $1, last_status = $2, last_error = $3, lease_until = NULL WHERE id = $4",
    };
    sqlx::query(sql).bind(next.unwrap_or(now)).bind(status).bind(error).bind(id).execute(db).await?;
    sqlx::query("UPDATE webhook_endpoints SET failing_since = $1 WHERE id = $2 AND failing_since IS NULL")
        .bind(now)
        .bind(endpoint)
        .execute(db)
        .await?;
    Ok(())
}

/// Disables the endpoint when it has failed since `failing_before` or
/// longer: `true` for the one call that did (the mail goes once).
pub async fn disable_if_failing(db: &mut AnyConnection, endpoint: i64, failing_before: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL AND failing_since IS NOT NULL AND failing_since <= $3",
    )
    .bind(now)
    .bind(endpoint)
    .bind(failing_before)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives up the deliveries of a disabled endpoint that still wait.
pub async fn fail_waiting(db: &mut AnyConnection, endpoint: i64, now: i64) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET failed_at = $1, last_error = 'endpoint disabled' WHERE endpoint_id = $2 AND delivered_at IS NULL AND failed_at IS NULL",
    )
    .bind(now)
    .bind(endpoint)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Forgets deliveries older than `before`.
pub async fn delete_old_deliveries(db: &AnyPool, before: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM webhook_deliveries WHERE created_at < $1 AND (delivered_at IS NOT NULL OR failed_at IS NOT NULL)")
        .bind(before)
        .execute(db)
        .await?
        .rows_affected())
}

/// Every sealed secret (current and previous) with its endpoint and account.
pub async fn sealed_secrets(db: &AnyPool) -> Result<Vec<(i64, i64, String, Option<String>)>> {
    Ok(sqlx::query_as("SELECT id, account_id, secret_sealed, previous_secret_sealed FROM webhook_endpoints ORDER BY id").fetch_all(db).await?)
}

/// Swaps a sealed secret for its re-sealed form, if it is still the one read.
pub async fn replace_sealed(db: &AnyPool, id: i64, previous: bool, old: &str, new: &str) -> Result<bool> {
    let sql = match previous {
        false => "UPDATE webhook_endpoints SET secret_sealed = $1 WHERE id = $2 AND secret_sealed = $3",
        true => "UPDATE webhook_endpoints SET previous_secret_sealed = $1 WHERE id = $2 AND previous_secret_sealed = $3",
    };
    Ok(sqlx::query(sql).bind(new).bind(id).bind(old).execute(db).await?.rows_affected() == 1)
}
