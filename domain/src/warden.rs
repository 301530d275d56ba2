//! The account-security service: every rule that a page or an API call
//! reaches goes through here, so the two doors share one implementation.

use crate::account::{Email, Username};
use crate::clock::Clock;
use crate::events::EventKind;
use crate::password::{self, Hasher};
use crate::random;
use crate::secret_box::SecretBox;
use crate::session::{ClientMeta, CurrentSession, EndReason, Lifetimes};
use crate::store::{get_i64, get_opt_i64, get_opt_str, get_str, is_unique_violation, Store};
use crate::throttle::{Backoff, Throttle};
use crate::user_agent::{self, Device};
use crate::{Error, Result, Secret};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Config {
    pub lifetimes: Lifetimes,
    /// Argon2 hashes allowed at once (each holds 19 MiB).
    pub hash_concurrency: usize,
    /// How long a request waits for a hashing slot before "try again".
    pub hash_wait: Duration,
    /// Failures per account (or per typed login, when no account matches).
    pub account_backoff: Backoff,
    /// Failures per client IP, across accounts: slows spraying.
    pub ip_backoff: Backoff,
    /// Ended sessions shown per page on Login Security.
    pub ended_page_size: i64,
    /// The name authenticator apps show next to the code.
    pub totp_issuer: String,
    /// Wrong second-factor codes per account: a growing delay, then a lock
    /// of up to the cap.
    pub second_factor_backoff: Backoff,
    /// How long the two-factor step of a sign-in may take.
    pub second_factor_window_secs: i64,
    /// Where people reach Warden, for links in mail (`https://host`, no
    /// trailing slash). From configuration, never from a request's `Host`.
    pub public_url: String,
    /// How long a password-reset link works.
    pub reset_link_secs: i64,
    /// Wrong current passwords on the Password page, per account and per IP.
    pub password_change_backoff: Backoff,
    /// Reset-link requests per address: a few an hour are free.
    pub reset_address_backoff: Backoff,
    /// Reset-link requests per client IP, across addresses.
    pub reset_ip_backoff: Backoff,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            lifetimes: Lifetimes::default(),
            hash_concurrency: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).max(2),
            hash_wait: Duration::from_secs(5),
            account_backoff: Backoff { free_failures: 5, base_secs: 1, max_secs: 300, window_secs: 3600 },
            ip_backoff: Backoff { free_failures: 20, base_secs: 1, max_secs: 900, window_secs: 3600 },
            ended_page_size: 50,
            totp_issuer: "Warden".into(),
            second_factor_backoff: Backoff { free_failures: 3, base_secs: 2, max_secs: 900, window_secs: 3600 },
            second_factor_window_secs: 300,
            public_url: "http://127.0.0.1:3000".into(),
            reset_link_secs: 30 * 60,
            password_change_backoff: Backoff { free_failures: 5, base_secs: 2, max_secs: 900, window_secs: 3600 },
            reset_address_backoff: Backoff { free_failures: 3, base_secs: 60, max_secs: 3600, window_secs: 3600 },
            reset_ip_backoff: Backoff { free_failures: 20, base_secs: 60, max_secs: 3600, window_secs: 3600 },
        }
    }
}

pub struct SignUpForm {
    pub email: String,
    pub username: String,
    pub password: Secret,
    pub confirm_password: Secret,
}

/// A session just created: the token goes into the cookie and nowhere else.
pub struct NewSession {
    pub session_id: String,
    pub token: Secret,
    /// The password was right, but the account asks for a second factor:
    /// until it is given, this session reaches nothing.
    pub second_factor_required: bool,
}

#[derive(Clone, Debug)]
pub struct SessionRow {
    pub id: String,
    pub device: Device,
    pub ip: String,
    pub started_at: i64,
    pub last_active_at: i64,
    pub ended_at: Option<i64>,
    pub end_reason: Option<EndReason>,
    pub current: bool,
}

#[derive(Clone, Debug)]
pub struct SessionList {
    pub active: Vec<SessionRow>,
    pub ended: Vec<SessionRow>,
    /// 0-based page of ended sessions.
    pub page: i64,
    pub has_older: bool,
}

#[derive(Clone, Debug)]
pub struct EventRow {
    pub kind: String,
    pub ip: String,
    pub device: Device,
    pub detail: String,
    pub at: i64,
}

const MAX_UA: usize = 512;
const MAX_LOGIN: usize = 254;

pub struct Warden {
    pub(crate) store: Store,
    pub(crate) hasher: Hasher,
    clock: Arc<dyn Clock>,
    pub(crate) cfg: Config,
    account_throttle: Throttle,
    ip_throttle: Throttle,
    pub(crate) second_factor_throttle: Throttle,
    pub(crate) password_change_throttle: Throttle,
    pub(crate) reset_address_throttle: Throttle,
    pub(crate) reset_ip_throttle: Throttle,
    pub(crate) secret_box: SecretBox,
    /// Rung after a mail is queued, so the mail worker sends it at once
    /// instead of at its next poll.
    pub(crate) mail_wakeup: Arc<tokio::sync::Notify>,
}

impl Warden {
    /// `secret_box` encrypts second-factor secrets at rest.
    pub fn new(store: Store, clock: Arc<dyn Clock>, cfg: Config, secret_box: SecretBox) -> Result<Self> {
        Ok(Warden {
            hasher: Hasher::new(cfg.hash_concurrency, cfg.hash_wait)?,
            account_throttle: Throttle::new(cfg.account_backoff),
            ip_throttle: Throttle::new(cfg.ip_backoff),
            second_factor_throttle: Throttle::new(cfg.second_factor_backoff),
            password_change_throttle: Throttle::new(cfg.password_change_backoff),
            reset_address_throttle: Throttle::new(cfg.reset_address_backoff),
            reset_ip_throttle: Throttle::new(cfg.reset_ip_backoff),
            secret_box,
            mail_wakeup: Arc::new(tokio::sync::Notify::new()),
            store,
            clock,
            cfg,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The mail worker waits on this between polls.
    pub fn mail_wakeup(&self) -> Arc<tokio::sync::Notify> {
        self.mail_wakeup.clone()
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    pub(crate) async fn record(&self, account_id: Option<i64>, kind: EventKind, meta: &ClientMeta, detail: &str) -> Result<()> {
        self.record_on(&self.store.pool, account_id, kind, meta, detail).await
    }

    /// Records an event through `db`: the pool, or a transaction whose change
    /// the event describes, so both commit together.
    pub(crate) async fn record_on<'c, E>(&self, db: E, account_id: Option<i64>, kind: EventKind, meta: &ClientMeta, detail: &str) -> Result<()>
    where
        E: sqlx::Executor<'c, Database = sqlx::Any>,
    {
        sqlx::query("INSERT INTO security_events (account_id, kind, ip, user_agent, detail, at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(account_id)
            .bind(kind.code())
            .bind(&meta.ip)
            .bind(clip(&meta.user_agent, MAX_UA))
            .bind(detail)
            .bind(self.now())
            .execute(db)
            .await?;
        Ok(())
    }

    /// Creates an account. The person signs in afterwards.
    pub async fn sign_up(&self, form: SignUpForm, meta: &ClientMeta) -> Result<i64> {
        let email = Email::parse(&form.email)?;
        let username = Username::parse(&form.username)?;
        password::check_new(&form.password)?;
        crate::password_change::check_new_password(&form.password, &form.confirm_password, username.as_str(), email.as_str(), None).await?;
        let hash = self.hasher.hash(&form.password).await?;
        let inserted = sqlx::query("INSERT INTO accounts (username, email, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(username.as_str())
            .bind(email.as_str())
            .bind(&hash)
            .bind(self.now())
            .fetch_one(&self.store.pool)
            .await;
        let id = match inserted {
            Ok(row) => get_i64(&row, "id")?,
            Err(e) if is_unique_violation(&e) => {
                let taken = sqlx::query("SELECT id FROM accounts WHERE username = $1")
                    .bind(username.as_str())
                    .fetch_optional(&self.store.pool)
                    .await?;
                return Err(Error::Conflict(if taken.is_some() {
                    "That username is taken. Choose another one.".into()
                } else {
                    "An account with this email address already exists. Sign in, or reset your password.".into()
                }));
            }
            Err(e) => return Err(e.into()),
        };
        self.record(Some(id), EventKind::AccountCreated, meta, "").await?;
        Ok(id)
    }

    /// Username or email plus password. Every failure is the same
    /// `InvalidCredentials`, after the same amount of hashing work. A success
    /// always starts a new session; `replacing`, the session this browser
    /// held before (full or pending), ends: nothing is carried over.
    pub async fn sign_in(&self, login: &str, password: &Secret, meta: &ClientMeta, replacing: Option<&CurrentSession>) -> Result<NewSession> {
        let now = self.now();
        let login = login.trim().to_lowercase();
        let ip_key = format!("ip:{}", meta.ip);
        if let Some(wait) = self.ip_throttle.wait(&ip_key, now) {
            self.record(None, EventKind::SignInThrottled, meta, "").await?;
            return Err(Error::Throttled(wait));
        }
        let account = if login.is_empty() || login.len() > MAX_LOGIN {
            None
        } else {
            sqlx::query("SELECT id, password_hash FROM accounts WHERE username = $1 OR email = $1")
                .bind(&login)
                .fetch_optional(&self.store.pool)
                .await?
        };
        let (account_id, stored) = match &account {
            Some(row) => (Some(get_i64(row, "id")?), Some(get_str(row, "password_hash")?)),
            None => (None, None),
        };
        // Keyed by account when one matches, so "alice" and her email share a
        // budget; by the typed login otherwise, so unknown names are throttled
        // exactly like known ones.
        let account_key = match account_id {
            Some(id) => format!("account:{id}"),
            None => format!("login:{login}"),
        };
        if let Some(wait) = self.account_throttle.wait(&account_key, now) {
            self.record(account_id, EventKind::SignInThrottled, meta, "").await?;
            return Err(Error::Throttled(wait));
        }
        let ok = self.hasher.verify(password, stored.as_deref()).await?;
        let Some(account_id) = account_id.filter(|_| ok) else {
            self.account_throttle.failed(&account_key, now);
            self.ip_throttle.failed(&ip_key, now);
            self.record(account_id, EventKind::SignInFailed, meta, "").await?;
            return Err(Error::InvalidCredentials);
        };
        self.account_throttle.succeeded(&account_key);
        let second_factor = self.second_factor_enabled(account_id).await?;
        if let Some(old) = replacing {
            self.sign_out(old, meta).await?;
        }
        let session = self.create_session(account_id, meta, second_factor).await?;
        let kind = if second_factor { EventKind::SecondFactorRequested } else { EventKind::SignedIn };
        self.record(Some(account_id), kind, meta, "").await?;
        Ok(session)
    }

    async fn create_session(&self, account_id: i64, meta: &ClientMeta, second_factor_pending: bool) -> Result<NewSession> {
        let now = self.now();
        let token = random::token();
        let id = random::public_id();
        sqlx::query("INSERT INTO sessions (id, account_id, token_hash, user_agent, ip, created_at, last_active_at, second_factor_pending) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)")
            .bind(&id)
            .bind(account_id)
            .bind(random::token_hash(&token))
            .bind(clip(&meta.user_agent, MAX_UA))
            .bind(&meta.ip)
            .bind(now)
            .bind(i64::from(second_factor_pending))
            .execute(&self.store.pool)
            .await?;
        Ok(NewSession { session_id: id, token: Secret::new(token), second_factor_required: second_factor_pending })
    }

    /// The session a cookie token belongs to, if it is still valid. Ends it
    /// (reason "expired") when its idle or absolute lifetime has passed.
    pub async fn authenticate(&self, token: &str) -> Result<Option<CurrentSession>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        let now = self.now();
        let row = sqlx::query(
            "SELECT s.id, s.account_id, s.created_at, s.last_active_at, s.second_factor_pending, a.username FROM sessions s \
             JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1 AND s.ended_at IS NULL",
        )
        .bind(random::token_hash(token))
        .fetch_optional(&self.store.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id = get_str(&row, "id")?;
        let created = get_i64(&row, "created_at")?;
        let last = get_i64(&row, "last_active_at")?;
        let life = self.cfg.lifetimes;
        let pending = get_i64(&row, "second_factor_pending")? != 0;
        let window = self.cfg.second_factor_window_secs;
        let lapsed = if pending && now >= created + window {
            Some((created + window, EndReason::SecondFactorNotCompleted))
        } else if life.is_expired(created, last, now) {
            Some((life.expires_at(created, last), EndReason::Expired))
        } else {
            None
        };
        if let Some((at, reason)) = lapsed {
            sqlx::query("UPDATE sessions SET ended_at = $1, end_reason = $2 WHERE id = $3 AND ended_at IS NULL")
                .bind(at)
                .bind(reason.code())
                .bind(&id)
                .execute(&self.store.pool)
                .await?;
            return Ok(None);
        }
        if life.needs_touch(last, now) {
            sqlx::query("UPDATE sessions SET last_active_at = $1 WHERE id = $2")
                .bind(now)
                .bind(&id)
                .execute(&self.store.pool)
                .await?;
        }
        Ok(Some(CurrentSession {
            session_id: id,
            account_id: get_i64(&row, "account_id")?,
            username: get_str(&row, "username")?,
            second_factor_pending: pending,
        }))
    }

    pub async fn sign_out(&self, cur: &CurrentSession, meta: &ClientMeta) -> Result<()> {
        sqlx::query("UPDATE sessions SET ended_at = $1, end_reason = $2 WHERE id = $3 AND account_id = $4 AND ended_at IS NULL")
            .bind(self.now())
            .bind(EndReason::SignedOut.code())
            .bind(&cur.session_id)
            .bind(cur.account_id)
            .execute(&self.store.pool)
            .await?;
        self.record(Some(cur.account_id), EventKind::SignedOut, meta, "").await
    }

    /// Ends one other active session of the same account. Another account's
    /// session id is "not found", exactly like an unknown one.
    pub async fn end_session(&self, cur: &CurrentSession, session_id: &str, meta: &ClientMeta) -> Result<()> {
        if session_id == cur.session_id {
            return Err(Error::Invalid("This is the session you are using. Use Sign out to end it.".into()));
        }
        let row = sqlx::query("SELECT user_agent, ip FROM sessions WHERE id = $1 AND account_id = $2 AND ended_at IS NULL")
            .bind(session_id)
            .bind(cur.account_id)
            .fetch_optional(&self.store.pool)
            .await?;
        let not_found = || Error::NotFound("That session has already ended or does not exist.".into());
        let Some(row) = row else { return Err(not_found()) };
        let done = sqlx::query("UPDATE sessions SET ended_at = $1, end_reason = $2 WHERE id = $3 AND account_id = $4 AND ended_at IS NULL")
            .bind(self.now())
            .bind(EndReason::EndedFromAnotherSession.code())
            .bind(session_id)
            .bind(cur.account_id)
            .execute(&self.store.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(not_found());
        }
        let d = user_agent::parse(&get_str(&row, "user_agent")?);
        let detail = format!("{} on {}, {}", d.browser, d.os, get_str(&row, "ip")?);
        self.record(Some(cur.account_id), EventKind::SessionEnded, meta, &detail).await
    }

    /// "Log out of all devices": every active session of the account, this
    /// one included, ends at the same instant, in one transaction.
    pub async fn end_all_sessions(&self, cur: &CurrentSession, meta: &ClientMeta) -> Result<u64> {
        let now = self.now();
        let mut tx = self.store.pool.begin().await?;
        let ended = sqlx::query("UPDATE sessions SET ended_at = $1, end_reason = $2 WHERE account_id = $3 AND ended_at IS NULL")
            .bind(now)
            .bind(EndReason::LoggedOutAllDevices.code())
            .bind(cur.account_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        self.record_on(&mut *tx, Some(cur.account_id), EventKind::LoggedOutAllDevices, meta, &format!("{ended} sessions ended"))
            .await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Active sessions (most recently active first), then one page of ended
    /// ones, newest first.
    pub async fn sessions(&self, cur: &CurrentSession, page: i64) -> Result<SessionList> {
        let now = self.now();
        let life = self.cfg.lifetimes;
        // Sign-ins that never passed the second factor end when their window
        // closes: the owner sees that someone knew the password.
        sqlx::query("UPDATE sessions SET ended_at = created_at + $1, end_reason = $2 WHERE account_id = $3 AND ended_at IS NULL AND second_factor_pending = 1 AND created_at + $1 <= $4")
            .bind(self.cfg.second_factor_window_secs)
            .bind(EndReason::SecondFactorNotCompleted.code())
            .bind(cur.account_id)
            .bind(now)
            .execute(&self.store.pool)
            .await?;
        // Sessions that lapsed without another request are shown as expired,
        // at the moment they lapsed.
        sqlx::query(
            "UPDATE sessions SET end_reason = $1, ended_at = CASE WHEN last_active_at + $2 < created_at + $3 \
             THEN last_active_at + $2 ELSE created_at + $3 END \
             WHERE account_id = $4 AND ended_at IS NULL AND (last_active_at + $2 <= $5 OR created_at + $3 <= $5)",
        )
        .bind(EndReason::Expired.code())
        .bind(life.idle_secs)
        .bind(life.absolute_secs)
        .bind(cur.account_id)
        .bind(now)
        .execute(&self.store.pool)
        .await?;

        const COLS: &str = "id, user_agent, ip, created_at, last_active_at, ended_at, end_reason";
        let active = sqlx::query(&format!(
            "SELECT {COLS} FROM sessions WHERE account_id = $1 AND ended_at IS NULL AND second_factor_pending = 0 ORDER BY last_active_at DESC, created_at DESC LIMIT 500"
        ))
        .bind(cur.account_id)
        .fetch_all(&self.store.pool)
        .await?;
        let page = page.clamp(0, 10_000);
        let size = self.cfg.ended_page_size;
        let ended = sqlx::query(&format!(
            "SELECT {COLS} FROM sessions WHERE account_id = $1 AND ended_at IS NOT NULL ORDER BY ended_at DESC, created_at DESC, id LIMIT $2 OFFSET $3"
        ))
        .bind(cur.account_id)
        .bind(size + 1)
        .bind(page * size)
        .fetch_all(&self.store.pool)
        .await?;
        let to_row = |r: &sqlx::any::AnyRow| -> Result<SessionRow> {
            let id = get_str(r, "id")?;
            Ok(SessionRow {
                current: id == cur.session_id,
                device: user_agent::parse(&get_str(r, "user_agent")?),
                ip: get_str(r, "ip")?,
                started_at: get_i64(r, "created_at")?,
                last_active_at: get_i64(r, "last_active_at")?,
                ended_at: get_opt_i64(r, "ended_at")?,
                end_reason: get_opt_str(r, "end_reason")?.as_deref().and_then(EndReason::from_code),
                id,
            })
        };
        let mut active = active.iter().map(to_row).collect::<Result<Vec<_>>>()?;
        // "This device" always leads the list.
        active.sort_by_key(|s| !s.current);
        let has_older = ended.len() as i64 > size;
        let ended = ended.iter().take(size as usize).map(to_row).collect::<Result<Vec<_>>>()?;
        Ok(SessionList { active, ended, page, has_older })
    }

    pub async fn recent_events(&self, cur: &CurrentSession, limit: i64) -> Result<Vec<EventRow>> {
        let rows = sqlx::query("SELECT kind, ip, user_agent, detail, at FROM security_events WHERE account_id = $1 ORDER BY at DESC, id DESC LIMIT $2")
            .bind(cur.account_id)
            .bind(limit.clamp(1, 200))
            .fetch_all(&self.store.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(EventRow {
                    kind: get_str(r, "kind")?,
                    ip: get_str(r, "ip")?,
                    device: user_agent::parse(&get_str(r, "user_agent")?),
                    detail: get_str(r, "detail")?,
                    at: get_i64(r, "at")?,
                })
            })
            .collect()
    }
}

fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
