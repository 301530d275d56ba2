//! Changing a password with the old one, and resetting a forgotten one by an
//! emailed link.
//!
//! Reset links: 256-bit random tokens, only their SHA-256 stored; each works
//! once, for `Config::reset_link_secs`, and closes when a newer link is sent
//! or the password changes. Asking for a link answers the same, after the same
//! work, whether or not the address has an account: the lookup and the mail
//! happen after the answer. A reset ends every session, signs nobody in, and
//! leaves two-factor authentication on.

use crate::account::Email;
use crate::events::EventKind;
use crate::mail::{self, Mail};
use crate::notices::{self, Happened};
use crate::password_policy::{self, PolicyContext};
use crate::random;
use crate::session::{ClientMeta, CurrentSession, EndReason};
use crate::store::{get_i64, get_opt_i64, get_str};
use crate::warden::NewSession;
use crate::{Error, Result, Secret, Warden};
use std::sync::Arc;

/// What the Password page shows about the account's password.
#[derive(Clone, Debug)]
pub struct PasswordStatus {
    /// When it was last changed or reset; `None` if never since sign-up.
    pub changed_at: Option<i64>,
    pub created_at: i64,
}

/// The account an open reset link belongs to, as the reset page shows it.
#[derive(Clone, Debug)]
pub struct ResetLink {
    pub(crate) account_id: i64,
    pub username: String,
    pub expires_at: i64,
}

/// The cookie that carries an opened link's token lives at most this long:
/// enough to type a new password, then it is gone even if the link is not.
pub const RESET_COOKIE_MAX_SECS: i64 = 15 * 60;

impl ResetLink {
    /// How long the browser may keep the token, from `now`.
    pub fn cookie_max_age(&self, now: i64) -> i64 {
        (self.expires_at - now).clamp(1, RESET_COOKIE_MAX_SECS)
    }
}

/// The outcome of a change: the current session's new token, and how many
/// other sessions ended.
pub struct Changed {
    pub session: NewSession,
    pub other_sessions_ended: u64,
}

struct AccountRow {
    username: String,
    email: String,
    password_hash: String,
}

/// A new password (sign-up, change, reset): typed the same twice, and
/// accepted by the policy.
pub(crate) async fn check_new_password(new: &Secret, confirm: &Secret, username: &str, email: &str, current: Option<&Secret>) -> Result<()> {
    if new.expose() != confirm.expose() {
        return Err(Error::Invalid("The password and its confirmation do not match.".into()));
    }
    policy_check(new, username, email, current).await
}

/// The policy's list lookup and strength estimate take milliseconds of CPU
/// (tens, for long random input): they run on the blocking pool, not on the
/// threads that serve requests.
async fn policy_check(password: &Secret, username: &str, email: &str, current: Option<&Secret>) -> Result<()> {
    let (p, u, e, c) = (password.clone(), username.to_owned(), email.to_owned(), current.cloned());
    tokio::task::spawn_blocking(move || {
        password_policy::check(&p, &PolicyContext { username: &u, email: &e, current_password: c.as_ref().map(Secret::expose) })
    })
    .await
    .map_err(|e| Error::Internal(format!("password policy: {e}")))?
}

async fn policy_strength(password: &Secret, username: &str, email: &str) -> Result<password_policy::Strength> {
    let (p, u, e) = (password.clone(), username.to_owned(), email.to_owned());
    tokio::task::spawn_blocking(move || password_policy::strength(&p, &PolicyContext { username: &u, email: &e, current_password: None }))
        .await
        .map_err(|e| Error::Internal(format!("password strength: {e}")))
}

fn wrong_current() -> Error {
    Error::Invalid("Your current password is not right. Nothing was changed.".into())
}

fn dead_link() -> Error {
    Error::Invalid(
        "This password-reset link is invalid or has expired. A link works once, for a limited time, and only the newest one you asked for works. Ask for a new link.".into(),
    )
}

impl Warden {
    async fn account_row(&self, account_id: i64) -> Result<AccountRow> {
        let row = sqlx::query("SELECT username, email, password_hash FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_one(&self.store.pool)
            .await?;
        Ok(AccountRow {
            username: get_str(&row, "username")?,
            email: get_str(&row, "email")?,
            password_hash: get_str(&row, "password_hash")?,
        })
    }

    pub async fn password_status(&self, cur: &CurrentSession) -> Result<PasswordStatus> {
        let row = sqlx::query("SELECT created_at, password_changed_at FROM accounts WHERE id = $1")
            .bind(cur.account_id)
            .fetch_one(&self.store.pool)
            .await?;
        Ok(PasswordStatus { changed_at: get_opt_i64(&row, "password_changed_at")?, created_at: get_i64(&row, "created_at")? })
    }

    /// The strength meter for a signed-in person (their username and email
    /// count against the password) — nothing is stored or logged.
    pub async fn password_strength_for(&self, account_id: i64, candidate: &Secret) -> Result<password_policy::Strength> {
        let a = self.account_row(account_id).await?;
        policy_strength(candidate, &a.username, &a.email).await
    }

    fn change_keys(account_id: i64, meta: &ClientMeta) -> [String; 2] {
        [format!("change:account:{account_id}"), format!("change:ip:{}", meta.ip)]
    }

    /// Change the password, proving the current one. The current session
    /// always gets a new token; with `sign_out_others`, every other session
    /// ends ("password changed"). Open reset links close.
    pub async fn change_password(
        &self,
        cur: &CurrentSession,
        current: &Secret,
        new: &Secret,
        confirm: &Secret,
        sign_out_others: bool,
        meta: &ClientMeta,
    ) -> Result<Changed> {
        let now = self.now();
        let keys = Self::change_keys(cur.account_id, meta);
        if let Some(wait) = keys.iter().filter_map(|k| self.password_change_throttle.wait(k, now)).max() {
            return Err(Error::Throttled(wait));
        }
        let account = self.account_row(cur.account_id).await?;
        if !self.hasher.verify(current, Some(&account.password_hash)).await? {
            for k in &keys {
                self.password_change_throttle.failed(k, now);
            }
            self.record(Some(cur.account_id), EventKind::PasswordChangeFailed, meta, "").await?;
            return Err(wrong_current());
        }
        check_new_password(new, confirm, &account.username, &account.email, Some(current)).await?;
        let hash = self.hasher.hash(new).await?;
        self.password_change_throttle.succeeded(&keys[0]);

        let token = random::token();
        let mut tx = self.store.pool.begin().await?;
        // Compare-and-set on the hash we verified against: two changes racing
        // with the same old password cannot both win.
        let done = sqlx::query("UPDATE accounts SET password_hash = $1, password_changed_at = $2 WHERE id = $3 AND password_hash = $4")
            .bind(&hash)
            .bind(now)
            .bind(cur.account_id)
            .bind(&account.password_hash)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(wrong_current());
        }
        close_open_links(&mut tx, cur.account_id, now, "password_changed").await?;
        let rotated = sqlx::query("UPDATE sessions SET token_hash = $1, last_active_at = $2 WHERE id = $3 AND account_id = $4 AND ended_at IS NULL")
            .bind(random::token_hash(&token))
            .bind(now)
            .bind(&cur.session_id)
            .bind(cur.account_id)
            .execute(&mut *tx)
            .await?;
        if rotated.rows_affected() != 1 {
            return Err(Error::NotSignedIn);
        }
        let ended = if sign_out_others {
            sqlx::query("UPDATE sessions SET ended_at = $1, end_reason = $2 WHERE account_id = $3 AND id <> $4 AND ended_at IS NULL")
                .bind(now)
                .bind(EndReason::PasswordChanged.code())
                .bind(cur.account_id)
                .bind(&cur.session_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        } else {
            0
        };
        let notice = Notice {
            kind: EventKind::PasswordChanged,
            detail: signed_out(ended, "other "),
            subject: "Your Warden password was changed",
            what: "The password of your Warden account was changed",
        };
        self.commit_with_notice(tx, cur.account_id, &account.email, notice, meta, now).await?;
        Ok(Changed {
            session: NewSession { session_id: cur.session_id.clone(), token: Secret::new(token), second_factor_required: false },
            other_sessions_ended: ended,
        })
    }

    /// "Forgot your password?": checks the input and the throttles, then
    /// answers at once; whether a link is sent is decided afterwards, out of
    /// the request's timing. Throttled per address and per client IP, on
    /// their own budgets, so this never slows anyone's sign-in. The returned
    /// task finishes once the link (if any) is queued; callers need not wait.
    pub async fn request_password_reset(self: &Arc<Self>, email: &str, meta: &ClientMeta) -> Result<tokio::task::JoinHandle<()>> {
        let email = Email::parse(email)?;
        let now = self.now();
        let limits = [(&self.reset_address_throttle, email.as_str()), (&self.reset_ip_throttle, meta.ip.as_str())];
        if let Some(wait) = limits.iter().filter_map(|(t, k)| t.wait(k, now)).max() {
            return Err(Error::Throttled(wait));
        }
        // Every request counts: the free budget is a few links an hour.
        for (t, k) in limits {
            t.failed(k, now);
        }
        let this = Arc::clone(self);
        let meta = meta.clone();
        Ok(tokio::spawn(async move {
            if let Err(e) = this.send_reset_link(email.as_str(), now, &meta).await {
                tracing::error!(error = %e, "could not queue a password-reset link");
            }
        }))
    }

    async fn send_reset_link(&self, email: &str, now: i64, meta: &ClientMeta) -> Result<()> {
        let row = sqlx::query("SELECT id, username FROM accounts WHERE email = $1").bind(email).fetch_optional(&self.store.pool).await?;
        let Some(row) = row else { return Ok(()) };
        let account_id = get_i64(&row, "id")?;
        let username = get_str(&row, "username")?;
        let token = random::token();
        let expires_at = now + self.cfg.reset_link_secs;
        let mut tx = self.store.pool.begin().await?;
        close_open_links(&mut tx, account_id, now, "superseded").await?;
        sqlx::query("INSERT INTO password_resets (account_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(account_id)
            .bind(random::token_hash(&token))
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
        self.record_on(&mut *tx, Some(account_id), EventKind::PasswordResetRequested, meta, "").await?;
        let url = format!("{}/password/reset/open?token={}", self.cfg.public_url, token);
        let minutes = self.cfg.reset_link_secs / 60;
        let mail: Mail = notices::reset_link(email, &username, &url, minutes, &Happened { at: now, meta });
        mail::enqueue_on(&mut *tx, &mail, now).await?;
        tx.commit().await?;
        self.mail_queued();
        Ok(())
    }

    /// The open link a token belongs to, if it still works. Reading it
    /// changes nothing, so a mail scanner that follows the link spends nothing.
    pub async fn reset_link(&self, token: &str) -> Result<Option<ResetLink>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT r.account_id, a.username, r.expires_at FROM password_resets r JOIN accounts a ON a.id = r.account_id \
             WHERE r.token_hash = $1 AND r.closed_at IS NULL AND r.expires_at > $2",
        )
        .bind(random::token_hash(token))
        .bind(self.now())
        .fetch_optional(&self.store.pool)
        .await?;
        row.map(|r| {
            Ok(ResetLink { account_id: get_i64(&r, "account_id")?, username: get_str(&r, "username")?, expires_at: get_i64(&r, "expires_at")? })
        })
        .transpose()
    }

    /// The strength meter on the reset page, against that link's account.
    pub async fn password_strength_for_reset(&self, token: &str, candidate: &Secret) -> Result<password_policy::Strength> {
        let link = self.reset_link(token).await?.ok_or_else(dead_link)?;
        self.password_strength_for(link.account_id, candidate).await
    }

    /// Sets the new password through a reset link: the link closes (once,
    /// even under concurrent use), every session of the account ends, and
    /// nobody is signed in. Returns the account's username for the sign-in page.
    pub async fn complete_password_reset(&self, token: &str, new: &Secret, confirm: &Secret, meta: &ClientMeta) -> Result<String> {
        let now = self.now();
        let account_id = self.reset_link(token).await?.ok_or_else(dead_link)?.account_id;
        let account = self.account_row(account_id).await?;
        check_new_password(new, confirm, &account.username, &account.email, None).await?;
        let hash = self.hasher.hash(new).await?;
        let mut tx = self.store.pool.begin().await?;
        let used = sqlx::query(
            "UPDATE password_resets SET closed_at = $1, closed_reason = 'used' \
             WHERE token_hash = $2 AND account_id = $3 AND closed_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(random::token_hash(token))
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
        if used.rows_affected() != 1 {
            return Err(dead_link());
        }
        sqlx::query("UPDATE accounts SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
            .bind(&hash)
            .bind(now)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        close_open_links(&mut tx, account_id, now, "password_changed").await?;
        let ended = sqlx::query("UPDATE sessions SET ended_at = $1, end_reason = $2 WHERE account_id = $3 AND ended_at IS NULL")
            .bind(now)
            .bind(EndReason::PasswordChanged.code())
            .bind(account_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let notice = Notice {
            kind: EventKind::PasswordReset,
            detail: signed_out(ended, ""),
            subject: "Your Warden password was reset",
            what: "The password of your Warden account was reset with a link sent to this address",
        };
        self.commit_with_notice(tx, account_id, &account.email, notice, meta, now).await?;
        Ok(account.username)
    }

    /// Records the change's event and queues the owner's notice in the
    /// change's own transaction, commits, then wakes the mail worker.
    async fn commit_with_notice(
        &self,
        mut tx: sqlx::Transaction<'_, sqlx::Any>,
        account_id: i64,
        email: &str,
        n: Notice,
        meta: &ClientMeta,
        now: i64,
    ) -> Result<()> {
        self.record_on(&mut *tx, Some(account_id), n.kind, meta, &n.detail).await?;
        let mail = notices::account_changed(email, &self.cfg.public_url, n.subject, n.what, &Happened { at: now, meta });
        mail::enqueue_on(&mut *tx, &mail, now).await?;
        tx.commit().await?;
        self.mail_queued();
        Ok(())
    }
}

struct Notice {
    kind: EventKind,
    detail: String,
    subject: &'static str,
    what: &'static str,
}

fn signed_out(n: u64, other: &str) -> String {
    match n {
        0 => String::new(),
        1 => format!("1 {other}session signed out"),
        n => format!("{n} {other}sessions signed out"),
    }
}

async fn close_open_links(tx: &mut sqlx::Transaction<'_, sqlx::Any>, account_id: i64, now: i64, reason: &str) -> Result<()> {
    sqlx::query("UPDATE password_resets SET closed_at = $1, closed_reason = $2 WHERE account_id = $3 AND closed_at IS NULL")
        .bind(now)
        .bind(reason)
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::secret_box::SecretBox;
    use crate::store::Store;
    use crate::warden::SignUpForm;

    const PW: &str = "correct horse battery";
    const NEW: &str = "lantern orbit meadow 42";

    fn meta() -> ClientMeta {
        ClientMeta { ip: "192.0.2.7".into(), user_agent: "test".into() }
    }

    /// A Warden over a fresh SQLite file, on a clock the test moves.
    async fn warden() -> (Arc<Warden>, ManualClock) {
        let dir = std::env::temp_dir().join(format!("warden-domain-{}", random::public_id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let store = Store::connect(&format!("sqlite://{}/w.db?mode=rwc", dir.display())).await.expect("store");
        let clock = ManualClock::at(1_800_000_000);
        let w = Warden::new(store, Arc::new(clock.clone()), crate::Config::default(), SecretBox::new([7; 32])).expect("warden");
        let form = SignUpForm { email: "ann@example.com".into(), username: "ann".into(), password: Secret::new(PW), confirm_password: Secret::new(PW) };
        w.sign_up(form, &meta()).await.expect("sign up");
        (Arc::new(w), clock)
    }

    /// Asks for a link and returns its token, read from the queued mail.
    async fn link(w: &Arc<Warden>) -> String {
        w.request_password_reset("ann@example.com", &meta()).await.expect("request").await.expect("queued");
        let row = sqlx::query("SELECT text_body FROM mail_queue WHERE subject LIKE 'Reset%' ORDER BY id DESC LIMIT 1")
            .fetch_one(&w.store.pool)
            .await
            .expect("reset mail");
        let text = get_str(&row, "text_body").expect("text");
        let at = text.find("token=").expect("token in link") + "token=".len();
        text[at..].chars().take_while(|c| !c.is_whitespace()).collect()
    }

    async fn reset(w: &Warden, token: &str) -> Result<String> {
        w.complete_password_reset(token, &Secret::new(NEW), &Secret::new(NEW), &meta()).await
    }

    #[tokio::test]
    async fn a_link_lapses_when_its_time_is_up() {
        let (w, clock) = warden().await;
        let token = link(&w).await;
        clock.advance(w.config().reset_link_secs - 1);
        assert!(w.reset_link(&token).await.expect("read").is_some(), "still open a second before");
        clock.advance(1);
        assert!(w.reset_link(&token).await.expect("read").is_none(), "closed at the deadline");
        assert!(matches!(reset(&w, &token).await, Err(Error::Invalid(_))));
    }

    #[tokio::test]
    async fn a_link_works_once() {
        let (w, _) = warden().await;
        let token = link(&w).await;
        assert_eq!(reset(&w, &token).await.expect("first use"), "ann");
        assert!(matches!(reset(&w, &token).await, Err(Error::Invalid(_))), "second use");
        assert!(w.reset_link(&token).await.expect("read").is_none());
    }

    #[tokio::test]
    async fn a_newer_link_or_a_password_change_closes_the_open_one() {
        let (w, _) = warden().await;
        let older = link(&w).await;
        let newer = link(&w).await;
        assert!(w.reset_link(&older).await.expect("read").is_none(), "superseded");
        assert!(w.reset_link(&newer).await.expect("read").is_some());

        let s = w.sign_in("ann", &Secret::new(PW), &meta(), None).await.expect("sign in");
        let cur = w.authenticate(s.token.expose()).await.expect("auth").expect("session");
        w.change_password(&cur, &Secret::new(PW), &Secret::new("quiet river stones 7"), &Secret::new("quiet river stones 7"), true, &meta())
            .await
            .expect("change");
        assert!(w.reset_link(&newer).await.expect("read").is_none(), "closed by the change");
        assert!(matches!(reset(&w, &newer).await, Err(Error::Invalid(_))));
    }

    #[tokio::test]
    async fn an_unknown_address_gets_no_link_but_the_same_answer() {
        let (w, _) = warden().await;
        let task = w.request_password_reset("nobody@example.com", &meta()).await.expect("same answer");
        task.await.expect("done");
        let n = sqlx::query("SELECT COUNT(*) AS n FROM mail_queue").fetch_one(&w.store.pool).await.expect("count");
        assert_eq!(get_i64(&n, "n").expect("n"), 0);
    }
}
