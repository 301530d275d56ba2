//! Outgoing mail: the message itself, and the `mail_queue` table it waits in
//! until the server's mail worker sends it.
//!
//! A request only inserts a row (inside its own transaction, when the mail
//! describes a change), so a slow or absent mail server never holds it up or
//! fails it. The worker claims a row with a lease before sending: with several
//! instances on one PostgreSQL only one of them sends it, and if the sender
//! dies mid-send the lease runs out and the mail is tried again (a sender
//! that stops in an orderly way gives its claim back at once). Delivery is
//! therefore at least once, never lost; a failed attempt is retried with
//! exponential backoff until [`MAX_ATTEMPTS`], then the mail is marked failed.
//!
//! Bodies may carry one-time links: they are sealed with the secret key
//! (`support::secret_box`) while they wait, so the database (or a backup of
//! it) never holds a usable link; the worker opens them just before sending.
//! They are blanked once the mail is sent or given up, never logged, and
//! never part of `last_error`.

pub mod notices;
pub mod store;

pub use store::{claim, due, enqueue, mark_failed, mark_retry, mark_sent, release, reseal};

use crate::support::secret_box::SecretBox;
use crate::Result;
use std::fmt;
use std::sync::Arc;
use tokio::sync::Notify;

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
/// The transport complaint kept per mail, at most.
pub const MAX_ERROR_LEN: usize = 500;

/// Seconds to wait after the `attempts`-th failed attempt: 30 s, 1 min,
/// 2 min, … doubling up to an hour. `None` once [`MAX_ATTEMPTS`] have failed.
pub fn retry_delay(attempts: i64) -> Option<i64> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let doublings = attempts.clamp(1, 32) - 1;
    Some(FIRST_RETRY_SECS.saturating_mul(1 << doublings).min(MAX_RETRY_SECS))
}

/// A mail waiting in the queue, its bodies still sealed.
#[derive(Clone, Debug)]
pub struct QueuedMail {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub bodies: SealedBodies,
    /// Attempts started before this one.
    pub attempts: i64,
    pub created_at: i64,
}

impl QueuedMail {
    /// The mail as it is sent: opened at the last moment, never stored open.
    pub fn open(&self, secret_box: &SecretBox) -> Result<Mail> {
        let (text, html) = self.bodies.open(secret_box, &self.to)?;
        Ok(Mail { to: self.to.clone(), subject: self.subject.clone(), text, html })
    }
}

/// The two bodies of a queued mail as `mail_queue` keeps them.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedBodies {
    /// The random id the sealing is bound to; `None` for a mail queued before
    /// bodies were sealed, whose bodies are plain text.
    pub body_id: Option<String>,
    pub text: String,
    pub html: String,
}

impl SealedBodies {
    /// Seals both bodies of `mail` under a fresh random id.
    pub fn seal(secret_box: &SecretBox, mail: &Mail) -> Result<SealedBodies> {
        let body_id = crate::support::random::public_id();
        let text = secret_box.seal(mail.text.as_bytes(), &body_context(&body_id, "text", &mail.to))?;
        let html = secret_box.seal(mail.html.as_bytes(), &body_context(&body_id, "html", &mail.to))?;
        Ok(SealedBodies { body_id: Some(body_id), text, html })
    }

    /// The text and HTML bodies of a mail to `to`. Bodies already blanked
    /// (the mail was sent or given up) open as blank.
    pub fn open(&self, secret_box: &SecretBox, to: &str) -> Result<(String, String)> {
        let Some(id) = &self.body_id else { return Ok((self.text.clone(), self.html.clone())) };
        let open = |sealed: &str, part: &str| -> Result<String> {
            if sealed.is_empty() {
                return Ok(String::new());
            }
            let bytes = secret_box.open(sealed, &body_context(id, part, to))?;
            String::from_utf8(bytes).map_err(|_| crate::Error::internal("mail body: not UTF-8"))
        };
        Ok((open(&self.text, "text")?, open(&self.html, "html")?))
    }
}

impl fmt::Debug for SealedBodies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedBodies").field("body_id", &self.body_id).finish_non_exhaustive()
    }
}

/// What a sealed body belongs to: its mail, its part and its recipient, so a
/// body copied to another mail, part or address does not open.
fn body_context(body_id: &str, part: &str, to: &str) -> Vec<u8> {
    format!("mail_queue:{body_id}:{part}:{to}").into_bytes()
}

/// What happened to a mail whose attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// It is tried again at this time.
    At(i64),
    /// Retries are exhausted: it is marked failed and never sent.
    GaveUp,
}

/// The queue as the rest of the domain sees it: queue a mail, wake the worker.
#[derive(Clone, Default)]
pub struct Outbox {
    /// Rung after a mail is queued, so the worker sends it at once instead
    /// of at its next poll (other instances find it at theirs).
    wakeup: Arc<Notify>,
}

impl Outbox {
    /// The mail worker waits on this between polls.
    pub fn wakeup(&self) -> Arc<Notify> {
        self.wakeup.clone()
    }

    /// Wakes the mail worker: call after committing a transaction in which
    /// [`store::enqueue`] queued mail.
    pub fn queued(&self) {
        self.wakeup.notify_one();
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
        let b = SecretBox::new([9; 32]);
        let q = QueuedMail {
            id: 1,
            to: m.to.clone(),
            subject: m.subject.clone(),
            bodies: SealedBodies::seal(&b, &m).expect("seal"),
            attempts: 0,
            created_at: 0,
        };
        assert!(!format!("{q:?}").contains("SECRET"));
        assert_eq!(q.open(&b).expect("open"), m);
    }

    #[test]
    fn sealed_bodies_hold_no_link_and_open_only_for_their_mail_and_recipient() {
        let b = SecretBox::new([9; 32]);
        let m = Mail { to: "ann@example.com".into(), subject: "s".into(), text: "token=SECRET1".into(), html: "token=SECRET2".into() };
        let sealed = SealedBodies::seal(&b, &m).expect("seal");
        assert!(!sealed.text.contains("SECRET") && !sealed.html.contains("SECRET"));
        assert_eq!(sealed.open(&b, "ann@example.com").expect("open"), (m.text.clone(), m.html.clone()));
        assert!(sealed.open(&b, "mallory@example.com").is_err(), "redirected to another address");
        let swapped = SealedBodies { text: sealed.html.clone(), html: sealed.text.clone(), ..sealed.clone() };
        assert!(swapped.open(&b, "ann@example.com").is_err(), "parts swapped");
        let other = SealedBodies::seal(&b, &m).expect("seal");
        let moved = SealedBodies { body_id: other.body_id.clone(), ..sealed.clone() };
        assert!(moved.open(&b, "ann@example.com").is_err(), "moved to another mail");
        assert!(sealed.open(&SecretBox::new([8; 32]), "ann@example.com").is_err(), "another key");
        let blank = SealedBodies { text: String::new(), html: String::new(), ..sealed };
        assert_eq!(blank.open(&b, "ann@example.com").expect("sent"), (String::new(), String::new()));
        let before_sealing = SealedBodies { body_id: None, text: "plain".into(), html: "<p>plain</p>".into() };
        assert_eq!(before_sealing.open(&b, "ann@example.com").expect("plain"), ("plain".into(), "<p>plain</p>".into()));
    }

    #[test]
    fn html_escape_neutralises_markup_and_quotes() {
        assert_eq!(html_escape(r#"<b>"Tom" & 'Jerry'</b>"#), "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;");
        assert_eq!(html_escape("Zoë"), "Zoë");
    }
}
