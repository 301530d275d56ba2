//! The `mail_queue` table: insert (bodies sealed) inside a change's
//! transaction, the worker's claim-with-a-lease, retry and give-up steps, and
//! re-sealing the waiting bodies under a new key.

use super::{retry_delay, Mail, QueuedMail, Retry, SealedBodies, LEASE_SECS, MAX_ERROR_LEN};
use crate::actor::{AccountId, SessionId};
use crate::support::clip;
use crate::support::secret_box::{Resealed, SecretBox};
use crate::Result;
use sqlx::AnyPool;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    to_addr: String,
    subject: String,
    text_body: String,
    html_body: String,
    body_id: Option<String>,
    attempts: i64,
    created_at: i64,
}

/// Queues `mail` through `db`: the pool, or the transaction whose change the
/// mail describes, so both commit together. Its bodies are stored sealed
/// with `secret_box`. Ring [`super::Outbox::queued`] after the commit.
/// `account`: the account the mail is about, whose mail log lists it.
pub async fn enqueue<'c, E>(db: E, secret_box: &SecretBox, account: Option<AccountId>, mail: &Mail, now: i64) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    insert(db, secret_box, account, mail, now, now, None).await
}

/// Queues `mail` to go out at `not_before`, unless [`withdraw_held`] takes it
/// back for `session` first: a notice about a pending sign-in that is only
/// true if the sign-in never completes.
pub async fn enqueue_held<'c, E>(
    db: E,
    secret_box: &SecretBox,
    account: AccountId,
    mail: &Mail,
    now: i64,
    not_before: i64,
    session: &SessionId,
) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    insert(db, secret_box, Some(account), mail, now, not_before, Some(session.as_str())).await
}

/// Takes back the unsent mail held for `session`. Returns how many.
pub async fn withdraw_held<'c, E>(db: E, session: &SessionId) -> Result<u64>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let done = sqlx::query("DELETE FROM mail_queue WHERE held_for_session = $1 AND sent_at IS NULL").bind(session.as_str()).execute(db).await?;
    Ok(done.rows_affected())
}

async fn insert<'c, E>(
    db: E,
    secret_box: &SecretBox,
    account: Option<AccountId>,
    mail: &Mail,
    now: i64,
    not_before: i64,
    held_for: Option<&str>,
) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let sealed = SealedBodies::seal(secret_box, mail)?;
    sqlx::query(
        "INSERT INTO mail_queue (to_addr, subject, text_body, html_body, body_id, created_at, attempts, next_attempt_at, held_for_session, account_id) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9)",
    )
    .bind(&mail.to)
    .bind(&mail.subject)
    .bind(&sealed.text)
    .bind(&sealed.html)
    .bind(&sealed.body_id)
    .bind(now)
    .bind(not_before)
    .bind(held_for)
    .bind(account.map(AccountId::get))
    .execute(db)
    .await?;
    Ok(())
}

/// Mail due at `now` and not held by a live lease, oldest first.
pub async fn due(pool: &AnyPool, now: i64, limit: i64) -> Result<Vec<QueuedMail>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, to_addr, subject, text_body, html_body, body_id, attempts, created_at FROM mail_queue \
         WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
         AND (lease_until IS NULL OR lease_until <= $1) ORDER BY next_attempt_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit.clamp(1, 1000))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| QueuedMail {
            id: r.id,
            to: r.to_addr,
            subject: r.subject,
            bodies: SealedBodies { body_id: r.body_id, text: r.text_body, html: r.html_body },
            attempts: r.attempts,
            created_at: r.created_at,
        })
        .collect())
}

/// Takes mail `id` for one attempt, for [`LEASE_SECS`]. Only the caller whose
/// update hit the row may send it; others get `None`. Returns the attempt
/// number this is (1 for the first).
pub async fn claim(pool: &AnyPool, id: i64, now: i64) -> Result<Option<i64>> {
    let attempts: Option<(i64,)> = sqlx::query_as(
        "UPDATE mail_queue SET lease_until = $2, attempts = attempts + 1 \
         WHERE id = $1 AND sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $3 \
         AND (lease_until IS NULL OR lease_until <= $3) RETURNING attempts",
    )
    .bind(id)
    .bind(now + LEASE_SECS)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    Ok(attempts.map(|(n,)| n))
}

/// Gives back the claim on mail `id` taken as attempt `attempts` without an
/// outcome (the worker is stopping mid-send), so another instance sends it
/// at its next pass instead of after the lease. The attempt stays counted: a
/// mail that hangs every sender still runs out of attempts. Only the claim
/// this attempt took is cleared, never a later one. Whether it was.
pub async fn release(pool: &AnyPool, id: i64, attempts: i64, why: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE mail_queue SET lease_until = NULL, last_error = $3 \
         WHERE id = $1 AND attempts = $2 AND lease_until IS NOT NULL AND sent_at IS NULL AND failed_at IS NULL",
    )
    .bind(id)
    .bind(attempts)
    .bind(clip(why, MAX_ERROR_LEN))
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The mail went out: it is never sent again, and its bodies are dropped.
pub async fn mark_sent(pool: &AnyPool, id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE mail_queue SET sent_at = $2, lease_until = NULL, last_error = NULL, text_body = '', html_body = '' WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(())
}

/// The `attempts`-th attempt failed with `error` (the transport's complaint,
/// which must not contain the body): schedules the next one, or gives up.
pub async fn mark_retry(pool: &AnyPool, id: i64, now: i64, attempts: i64, error: &str) -> Result<Retry> {
    match retry_delay(attempts) {
        Some(delay) => {
            let at = now + delay;
            sqlx::query("UPDATE mail_queue SET next_attempt_at = $2, lease_until = NULL, last_error = $3 WHERE id = $1 AND sent_at IS NULL")
                .bind(id)
                .bind(at)
                .bind(clip(error, MAX_ERROR_LEN))
                .execute(pool)
                .await?;
            Ok(Retry::At(at))
        }
        None => {
            mark_failed(pool, id, now, error).await?;
            tracing::error!(mail_id = id, attempts, error = %clip(error, MAX_ERROR_LEN), "giving up on a mail: every attempt to send it failed");
            Ok(Retry::GaveUp)
        }
    }
}

/// The mail can never be sent (retries exhausted, or a message that cannot
/// be built): it stays in the table for the record, without its bodies.
pub async fn mark_failed(pool: &AnyPool, id: i64, now: i64, error: &str) -> Result<()> {
    sqlx::query(
        "UPDATE mail_queue SET failed_at = $2, lease_until = NULL, last_error = $3, text_body = '', html_body = '' WHERE id = $1 AND sent_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .bind(clip(error, MAX_ERROR_LEN))
    .execute(pool)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct WaitingRow {
    id: i64,
    to_addr: String,
    text_body: String,
    html_body: String,
    body_id: Option<String>,
}

/// Seals the bodies of every mail still waiting under the current key of
/// `secret_box` (for a key rotation), plain bodies queued before sealing
/// included. Compare-and-set per mail, so a mail sent meanwhile is left alone.
pub async fn reseal(pool: &AnyPool, secret_box: &SecretBox) -> Result<Resealed> {
    let rows: Vec<WaitingRow> =
        sqlx::query_as("SELECT id, to_addr, text_body, html_body, body_id FROM mail_queue WHERE sent_at IS NULL AND failed_at IS NULL ORDER BY id")
            .fetch_all(pool)
            .await?;
    let mut done = Resealed::default();
    for r in rows {
        let bodies = SealedBodies { body_id: r.body_id.clone(), text: r.text_body.clone(), html: r.html_body.clone() };
        let current = |s: &str| s.is_empty() || secret_box.is_current(s);
        if bodies.body_id.is_some() && current(&bodies.text) && current(&bodies.html) && bodies.open(secret_box, &r.to_addr).is_ok() {
            done.current += 1;
            continue;
        }
        let new = match bodies.open(secret_box, &r.to_addr) {
            Ok((text, html)) => SealedBodies::seal(secret_box, &Mail { to: r.to_addr.clone(), subject: String::new(), text, html })?,
            Err(e) => {
                tracing::error!(mail_id = r.id, error = %e, "a queued mail's body opens with no key of the ring");
                done.unreadable += 1;
                continue;
            }
        };
        let updated = sqlx::query(
            "UPDATE mail_queue SET body_id = $2, text_body = $3, html_body = $4 \
             WHERE id = $1 AND sent_at IS NULL AND failed_at IS NULL AND text_body = $5 AND html_body = $6",
        )
        .bind(r.id)
        .bind(&new.body_id)
        .bind(&new.text)
        .bind(&new.html)
        .bind(&r.text_body)
        .bind(&r.html_body)
        .execute(pool)
        .await?;
        if updated.rows_affected() == 1 {
            done.resealed += 1;
        }
    }
    Ok(done)
}

/// One line of an account's mail log.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct LoggedMail {
    pub to_addr: String,
    pub subject: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub failed_at: Option<i64>,
}

/// The mail about `account` queued since `since`, newest first, but mail
/// held for a sign-in's second step that is not due (it may be taken back):
/// what the mail log lists.
pub async fn log_for(db: &AnyPool, account: AccountId, since: i64, now: i64, limit: i64) -> Result<Vec<LoggedMail>> {
    Ok(sqlx::query_as(
        "SELECT to_addr, subject, created_at, sent_at, failed_at FROM mail_queue \
         WHERE account_id = $1 AND created_at >= $2 AND (held_for_session IS NULL OR next_attempt_at <= $3 OR sent_at IS NOT NULL) \
         ORDER BY created_at DESC, id DESC LIMIT $4",
    )
    .bind(account.get())
    .bind(since)
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await?)
}
