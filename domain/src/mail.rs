//! Outgoing mail: the message itself, and the `mail_queue` table it waits in
//! until the server's mail worker sends it.
//!
//! A request only inserts a row (inside its own transaction, when the mail
//! describes a change), so a slow or absent mail server never holds it up or
//! fails it. The worker claims a row with a lease before sending: with several
//! instances on one PostgreSQL only one of them sends it, and if the sender
//! dies mid-send the lease runs out and the mail is tried again. Delivery is
//! therefore at least once, never lost; a failed attempt is retried with
//! exponential backoff until [`MAX_ATTEMPTS`], then the mail is marked failed.
//!
//! Bodies may carry one-time links: they are blanked once the mail is sent or
//! given up, never logged, and never part of `last_error`.

use crate::store::{get_i64, get_str};
use crate::{Result, Warden};
use sqlx::AnyPool;
use std::fmt;

/// One message to one person, in a plain-text and an HTML version.
#[derive(Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl fmt::Debug for Mail {
    // The bodies may hold a password-reset link: keep them out of every log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mail").field("to", &self.to).field("subject", &self.subject).finish_non_exhaustive()
    }
}

/// Escapes text for an HTML body or attribute value.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// How long a claim keeps other workers off a mail: well above the send
/// timeout, so a slow send is not sent twice, and short enough that a crashed
/// sender's mail goes out again soon.
pub const LEASE_SECS: i64 = 120;

/// Attempts before a mail is given up (about five hours of retrying).
pub const MAX_ATTEMPTS: i64 = 12;

const FIRST_RETRY_SECS: i64 = 30;
const MAX_RETRY_SECS: i64 = 3600;
const MAX_ERROR_LEN: usize = 500;

/// Seconds to wait after the `attempts`-th failed attempt: 30 s, 1 min,
/// 2 min, … doubling up to an hour. `None` once [`MAX_ATTEMPTS`] have failed.
pub fn retry_delay(attempts: i64) -> Option<i64> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let doublings = attempts.clamp(1, 32) - 1;
    Some(FIRST_RETRY_SECS.saturating_mul(1 << doublings).min(MAX_RETRY_SECS))
}

/// A mail waiting in the queue.
#[derive(Clone, Debug)]
pub struct QueuedMail {
    pub id: i64,
    pub mail: Mail,
    /// Attempts started before this one.
    pub attempts: i64,
    pub created_at: i64,
}

/// What happened to a mail whose attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// It is tried again at this time.
    At(i64),
    /// Retries are exhausted: it is marked failed and never sent.
    GaveUp,
}

/// Queues `mail` through `db`: the pool, or the transaction whose change the
/// mail describes, so both commit together. Ring [`Warden::mail_queued`]
/// after the commit.
pub async fn enqueue_on<'c, E>(db: E, mail: &Mail, now: i64) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO mail_queue (to_addr, subject, text_body, html_body, created_at, attempts, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $5)",
    )
    .bind(&mail.to)
    .bind(&mail.subject)
    .bind(&mail.text)
    .bind(&mail.html)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Mail due at `now` and not held by a live lease, oldest first.
pub async fn due(pool: &AnyPool, now: i64, limit: i64) -> Result<Vec<QueuedMail>> {
    let rows = sqlx::query(
        "SELECT id, to_addr, subject, text_body, html_body, attempts, created_at FROM mail_queue \
         WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
         AND (lease_until IS NULL OR lease_until <= $1) ORDER BY next_attempt_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit.clamp(1, 1000))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(QueuedMail {
                id: get_i64(r, "id")?,
                mail: Mail {
                    to: get_str(r, "to_addr")?,
                    subject: get_str(r, "subject")?,
                    text: get_str(r, "text_body")?,
                    html: get_str(r, "html_body")?,
                },
                attempts: get_i64(r, "attempts")?,
                created_at: get_i64(r, "created_at")?,
            })
        })
        .collect()
}

/// Takes mail `id` for one attempt, for [`LEASE_SECS`]. Only the caller whose
/// update hit the row may send it; others get `None`. Returns the attempt
/// number this is (1 for the first).
pub async fn claim(pool: &AnyPool, id: i64, now: i64) -> Result<Option<i64>> {
    let row = sqlx::query(
        "UPDATE mail_queue SET lease_until = $2, attempts = attempts + 1 \
         WHERE id = $1 AND sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $3 \
         AND (lease_until IS NULL OR lease_until <= $3) RETURNING attempts",
    )
    .bind(id)
    .bind(now + LEASE_SECS)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    row.map(|r| get_i64(&r, "attempts")).transpose()
}

/// The mail went out: it is never sent again, and its bodies are dropped.
pub async fn mark_sent(pool: &AnyPool, id: i64, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE mail_queue SET sent_at = $2, lease_until = NULL, last_error = NULL, text_body = '', html_body = '' WHERE id = $1",
    )
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
                .bind(clip(error))
                .execute(pool)
                .await?;
            Ok(Retry::At(at))
        }
        None => {
            mark_failed(pool, id, now, error).await?;
            tracing::error!(mail_id = id, attempts, error = %clip(error), "giving up on a mail: every attempt to send it failed");
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
    .bind(clip(error))
    .execute(pool)
    .await?;
    Ok(())
}

fn clip(s: &str) -> &str {
    if s.len() <= MAX_ERROR_LEN {
        return s;
    }
    let mut end = MAX_ERROR_LEN;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl Warden {
    /// Queues a mail on its own and wakes the mail worker. Returns once the
    /// row is stored; sending happens in the background.
    pub async fn queue_mail(&self, mail: &Mail) -> Result<()> {
        enqueue_on(&self.store.pool, mail, self.now()).await?;
        self.mail_queued();
        Ok(())
    }

    /// Wakes the mail worker: call after committing a transaction in which
    /// [`enqueue_on`] queued mail.
    pub fn mail_queued(&self) {
        self.mail_wakeup.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_start_at_thirty_seconds_and_double() {
        assert_eq!(retry_delay(1), Some(30));
        assert_eq!(retry_delay(2), Some(60));
        assert_eq!(retry_delay(3), Some(120));
        assert_eq!(retry_delay(4), Some(240));
        assert_eq!(retry_delay(7), Some(1920));
    }

    #[test]
    fn retries_wait_at_most_an_hour() {
        assert_eq!(retry_delay(8), Some(3600));
        assert_eq!(retry_delay(MAX_ATTEMPTS - 1), Some(3600));
    }

    #[test]
    fn retries_stop_after_the_last_attempt() {
        assert_eq!(retry_delay(MAX_ATTEMPTS), None);
        assert_eq!(retry_delay(MAX_ATTEMPTS + 5), None);
        assert_eq!(retry_delay(i64::MAX), None);
    }

    #[test]
    fn odd_attempt_counts_never_panic_or_overflow() {
        assert_eq!(retry_delay(0), Some(30));
        assert_eq!(retry_delay(-3), Some(30));
    }

    #[test]
    fn retrying_gives_up_after_about_five_hours() {
        let total: i64 = (1..MAX_ATTEMPTS).map(|a| retry_delay(a).unwrap_or(0)).sum();
        assert!((4 * 3600..6 * 3600).contains(&total), "{total}");
    }

    #[test]
    fn debug_shows_the_recipient_and_subject_but_never_the_bodies() {
        let m = Mail {
            to: "ann@example.com".into(),
            subject: "Reset your password".into(),
            text: "https://warden.example/reset?token=SECRET1".into(),
            html: "<a href=\"https://warden.example/reset?token=SECRET2\">reset</a>".into(),
        };
        let d = format!("{m:?}");
        assert!(d.contains("ann@example.com") && d.contains("Reset your password"), "{d}");
        assert!(!d.contains("SECRET"), "{d}");
        let q = QueuedMail { id: 1, mail: m, attempts: 0, created_at: 0 };
        assert!(!format!("{q:?}").contains("SECRET"));
    }

    #[test]
    fn html_escape_neutralises_markup_and_quotes() {
        assert_eq!(html_escape(r#"<b>"Tom" & 'Jerry'</b>"#), "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;");
        assert_eq!(html_escape("Zoë"), "Zoë");
    }

    #[test]
    fn long_errors_are_clipped_on_a_character_boundary() {
        let long = "é".repeat(400);
        let c = clip(&long);
        assert!(c.len() <= MAX_ERROR_LEN && long.starts_with(c));
    }
}
