//! Two-factor authentication with an authenticator app (RFC 6238 TOTP) and
//! recovery codes (NIST SP 800-63B §5.1.2 look-up secrets, §5.1.4.2 OTP
//! devices; OWASP ASVS 5.0 V6.5).
//!
//! Enrolment: a 160-bit secret is generated and stored encrypted (AES-256-GCM,
//! bound to the account id), unconfirmed; it is shown once as a QR code and as
//! text. The first right code turns 2FA on and yields ten recovery codes,
//! stored only as argon2id hashes. From then on every sign-in stops after the
//! password at a pending session that reaches nothing until a code passes.
//!
//! Each TOTP step is accepted once: the accepted step is written with a
//! compare-and-set (`last_used_step < step`), so two requests racing with the
//! same code cannot both win, and a code older than the last accepted one is
//! refused. Wrong codes are throttled per account with growing delays up to a
//! 15-minute lock, on the sign-in step and the settings page alike.

pub mod recovery;
mod store;
pub mod totp;

use crate::accounts;
use crate::actor::{AccountId, Actor, ClientMeta};
use crate::change::Change;
use crate::deps::Deps;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{self, Event, EventKind};
use crate::limits::{Backoff, LimitKey, LimitKind};
use crate::outbox::notices::Notice;
use crate::support::secret::Secret;
use totp::TotpSecret;

#[derive(Clone, Debug)]
pub struct TwoFactorConfig {
    /// The name authenticator apps show next to the code.
    pub issuer: String,
    /// Wrong codes (and passwords given with them) per account: a growing
    /// delay, then a lock of up to the cap.
    pub backoff: Backoff,
}

impl Default for TwoFactorConfig {
    fn default() -> Self {
        TwoFactorConfig { issuer: "Warden".into(), backoff: Backoff { free_failures: 3, base_secs: 2, max_secs: 900, window_secs: 3600 } }
    }
}

/// What the Two-Factor Auth page shows.
#[derive(Clone, Debug)]
pub struct TwoFactorStatus {
    /// When 2FA was turned on; `None` when off.
    pub enabled_since: Option<i64>,
    pub recovery_codes_left: i64,
    /// An enrolment started but not confirmed yet: its QR code and key, shown
    /// until the first right code (never again after that).
    pub pending: Option<Enrolment>,
}

#[derive(Clone)]
pub struct Enrolment {
    pub otpauth_uri: Secret,
    pub qr_svg: Secret,
    pub key_grouped: Secret,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrolment(<hidden>)")
    }
}

/// Which second factor a sign-in was completed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Factor {
    AuthenticatorApp,
    RecoveryCode,
}

/// How long an enrolment that was never confirmed stays shown.
const PENDING_ENROLMENT_SECS: i64 = 15 * 60;

fn wrong_code() -> Error {
    Error::refused(ErrorCode::WrongCode, "That code is not right. Check the time on your phone and enter the newest code.")
}

fn sealed_context(account: AccountId) -> Vec<u8> {
    format!("totp:{account}").into_bytes()
}

fn limit_key(account: AccountId) -> LimitKey {
    LimitKey::account(LimitKind::SecondFactor, account)
}

/// Whether the account asks for a second factor at sign-in.
pub async fn is_enabled(db: &sqlx::AnyPool, account: AccountId) -> Result<bool> {
    Ok(store::totp(db, account).await?.is_some_and(|r| r.enabled_at.is_some()))
}

pub struct TwoFactor<'w> {
    deps: &'w Deps,
    cfg: &'w TwoFactorConfig,
}

impl<'w> TwoFactor<'w> {
    pub fn new(deps: &'w Deps, cfg: &'w TwoFactorConfig) -> Self {
        TwoFactor { deps, cfg }
    }

    async fn check_throttle(&self, account: AccountId) -> Result<()> {
        self.deps.limiter.check(&limit_key(account), &self.cfg.backoff, self.deps.now()).await
    }

    async fn code_failed(&self, account: AccountId, meta: &ClientMeta, kind: EventKind) -> Result<Error> {
        self.factor_failed(account, meta, kind, "").await?;
        Ok(wrong_code())
    }

    /// Every failed factor, code or password, counts against the same
    /// per-account budget and is recorded.
    async fn factor_failed(&self, account: AccountId, meta: &ClientMeta, kind: EventKind, detail: &str) -> Result<()> {
        let now = self.deps.now();
        self.deps.limiter.failed(&limit_key(account), &self.cfg.backoff, now).await?;
        events::record(self.deps.pool(), Some(account), &Event::with_detail(kind, detail), meta, now).await
    }

    async fn succeeded(&self, account: AccountId) -> Result<()> {
        self.deps.limiter.succeeded(&limit_key(account)).await
    }

    fn enrolment(&self, secret: &TotpSecret, username: &str) -> Result<Enrolment> {
        let uri = totp::otpauth_uri(secret, &self.cfg.issuer, username);
        Ok(Enrolment { qr_svg: Secret::new(totp::qr_svg(&uri)?), otpauth_uri: Secret::new(uri), key_grouped: Secret::new(secret.base32_grouped()) })
    }

    fn open_secret(&self, account: AccountId, sealed: &str) -> Result<TotpSecret> {
        TotpSecret::from_bytes(self.deps.secret_box.open(sealed, &sealed_context(account))?)
    }

    pub async fn status(&self, actor: &Actor) -> Result<TwoFactorStatus> {
        let account = actor.account()?;
        let row = store::totp(self.deps.pool(), account).await?;
        let left = store::recovery_codes_left(self.deps.pool(), account).await?;
        let mut status = TwoFactorStatus { enabled_since: None, recovery_codes_left: left, pending: None };
        if let Some(r) = row {
            status.enabled_since = r.enabled_at;
            let fresh = self.deps.now() - r.created_at < PENDING_ENROLMENT_SECS;
            if r.enabled_at.is_none() && fresh {
                let secret = self.open_secret(account, &r.secret_sealed)?;
                status.pending = Some(self.enrolment(&secret, actor.username().unwrap_or_default())?);
            }
        }
        Ok(status)
    }

    /// Starts (or restarts) enrolment with a new secret. Nothing changes for
    /// signing in until [`TwoFactor::confirm`] succeeds.
    pub async fn start(&self, actor: &Actor) -> Result<Enrolment> {
        let account = actor.account()?;
        if is_enabled(self.deps.pool(), account).await? {
            return Err(already_on());
        }
        let secret = TotpSecret::generate();
        let sealed = self.deps.secret_box.seal(secret.as_bytes(), &sealed_context(account))?;
        let mut tx = self.deps.pool().begin().await?;
        store::restart_enrolment(&mut tx, account, &sealed, self.deps.now()).await?;
        tx.commit().await?;
        self.enrolment(&secret, actor.username().unwrap_or_default())
    }

    /// The first right code turns 2FA on; returns the recovery codes, the only
    /// time they exist in plain text.
    pub async fn confirm(&self, actor: &Actor, code: &str, meta: &ClientMeta) -> Result<Vec<Secret>> {
        let account = actor.account()?;
        self.check_throttle(account).await?;
        let row = store::totp(self.deps.pool(), account)
            .await?
            .filter(|r| r.enabled_at.is_none())
            .ok_or_else(|| Error::refused(ErrorCode::EnrolmentNotStarted, "Start again: choose Authenticator App to get a new QR code."))?;
        let secret = self.open_secret(account, &row.secret_sealed)?;
        let Some(step) = totp::verify(&secret, code, self.deps.now(), None) else {
            return Err(self.code_failed(account, meta, EventKind::TwoFactorFailed).await?);
        };
        let (codes, hashes) = self.new_recovery_codes().await?;
        let owner = accounts::find(self.deps.pool(), account).await?;
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        if !store::enable(change.db(), account, step, at).await? {
            return Err(already_on());
        }
        store::replace_recovery_codes(change.db(), account, &hashes, at).await?;
        let notice = Notice {
            to: owner.email,
            subject: "Two-factor authentication is on for your Warden account",
            what: "Two-factor authentication was turned on for your Warden account",
        };
        change.commit(Some(account), Event::new(EventKind::TwoFactorEnabled), Some(notice), meta).await?;
        self.succeeded(account).await?;
        Ok(codes)
    }

    async fn new_recovery_codes(&self) -> Result<(Vec<Secret>, Vec<String>)> {
        let codes = recovery::generate_codes(recovery::DEFAULT_COUNT);
        let mut hashes = Vec::with_capacity(codes.len());
        for c in &codes {
            let normal = recovery::normalize(c.expose()).ok_or_else(|| Error::internal("recovery code format"))?;
            hashes.push(self.deps.hasher.hash_secret(&Secret::new(normal)).await?);
        }
        Ok((codes, hashes))
    }

    /// Checks a six-digit code or a recovery code against an account with
    /// 2FA on, and spends it. A recovery code is spent, recorded and
    /// announced to the owner in one transaction.
    pub async fn verify(&self, account: AccountId, code: &str, meta: &ClientMeta) -> Result<Factor> {
        self.check_throttle(account).await?;
        let row = store::totp(self.deps.pool(), account)
            .await?
            .filter(|r| r.enabled_at.is_some())
            .ok_or_else(|| Error::refused(ErrorCode::TwoFactorNotOn, "Two-factor authentication is not on for this account."))?;
        if let Some(normal) = recovery::normalize(code) {
            let typed = Secret::new(normal);
            for r in store::unused_recovery_codes(self.deps.pool(), account).await? {
                if self.deps.hasher.verify(&typed, Some(&r.code_hash)).await? && self.spend_recovery_code(account, r.id, meta).await? {
                    self.succeeded(account).await?;
                    return Ok(Factor::RecoveryCode);
                }
            }
            return Err(self.code_failed(account, meta, EventKind::TwoFactorFailed).await?);
        }
        let secret = self.open_secret(account, &row.secret_sealed)?;
        // Verify without the replay bound first, so a replay is told apart
        // from a wrong code in the owner's event list.
        let Some(step) = totp::verify(&secret, code, self.deps.now(), None) else {
            return Err(self.code_failed(account, meta, EventKind::TwoFactorFailed).await?);
        };
        let fresh = row.last_used_step.is_none_or(|l| step > l) && store::accept_step(self.deps.pool(), account, step).await?;
        if !fresh {
            return Err(self.code_failed(account, meta, EventKind::TwoFactorReplayRefused).await?);
        }
        self.succeeded(account).await?;
        Ok(Factor::AuthenticatorApp)
    }

    async fn spend_recovery_code(&self, account: AccountId, id: i64, meta: &ClientMeta) -> Result<bool> {
        let owner = accounts::find(self.deps.pool(), account).await?;
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        if !store::spend_recovery_code(change.db(), id, at).await? {
            return Ok(false);
        }
        let notice = Notice {
            to: owner.email,
            subject: "A recovery code was used on your Warden account",
            what: "One of your recovery codes was used to sign in to your Warden account",
        };
        change.commit(Some(account), Event::new(EventKind::RecoveryCodeUsed), Some(notice), meta).await?;
        Ok(true)
    }

    /// Both the password and a current code (or a recovery code): whoever
    /// turns 2FA off or mints new recovery codes must hold both factors.
    async fn prove_both_factors(&self, account: AccountId, password: &Secret, code: &str, meta: &ClientMeta) -> Result<()> {
        self.check_throttle(account).await?;
        let owner = accounts::find(self.deps.pool(), account).await?;
        if !self.deps.hasher.verify(password, Some(&owner.password_hash)).await? {
            self.factor_failed(account, meta, EventKind::TwoFactorFailed, "wrong password").await?;
            return Err(Error::refused(ErrorCode::WrongPasswordOrCode, "Your password or code is not right."));
        }
        self.verify(account, code, meta).await.map(|_| ())
    }

    pub async fn disable(&self, actor: &Actor, password: &Secret, code: &str, meta: &ClientMeta) -> Result<()> {
        let account = actor.account()?;
        self.prove_both_factors(account, password, code, meta).await?;
        let owner = accounts::find(self.deps.pool(), account).await?;
        let mut change = Change::begin(self.deps).await?;
        store::remove(change.db(), account).await?;
        let notice = Notice {
            to: owner.email,
            subject: "Two-factor authentication is off for your Warden account",
            what: "Two-factor authentication was turned off for your Warden account",
        };
        change.commit(Some(account), Event::new(EventKind::TwoFactorDisabled), Some(notice), meta).await
    }

    pub async fn regenerate_recovery_codes(&self, actor: &Actor, password: &Secret, code: &str, meta: &ClientMeta) -> Result<Vec<Secret>> {
        let account = actor.account()?;
        self.prove_both_factors(account, password, code, meta).await?;
        let (codes, hashes) = self.new_recovery_codes().await?;
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        store::replace_recovery_codes(change.db(), account, &hashes, at).await?;
        change.commit(Some(account), Event::new(EventKind::RecoveryCodesRegenerated), None, meta).await?;
        Ok(codes)
    }
}

fn already_on() -> Error {
    Error::refused(ErrorCode::TwoFactorAlreadyOn, "Two-factor authentication is already on.")
}

/// Seals every stored TOTP secret again under the current key of
/// `secret_box` (for `warden rotate-key`; see [`crate::rekey`]).
pub async fn reseal(db: &sqlx::AnyPool, secret_box: &crate::support::secret_box::SecretBox) -> Result<crate::rekey::Resealed> {
    let mut done = crate::rekey::Resealed::default();
    for (account, sealed) in store::sealed_secrets(db).await? {
        let account = AccountId::new(account);
        match secret_box.reseal(&sealed, &sealed_context(account)) {
            Ok(None) => done.current += 1,
            Ok(Some(new)) => {
                if store::replace_sealed_secret(db, account, &sealed, &new).await? {
                    done.resealed += 1;
                }
            }
            Err(e) => {
                tracing::error!(account = %account, error = %e, "a TOTP secret opens with no key of the ring");
                done.unreadable += 1;
            }
        }
    }
    Ok(done)
}
