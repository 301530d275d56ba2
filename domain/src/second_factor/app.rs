//! The authenticator app as a second factor (RFC 6238 TOTP) and
//! recovery codes (NIST SP 800-63B §5.1.2 look-up secrets, §5.1.4.2 OTP
//! devices; OWASP ASVS 5.0 V6.5).
//!
//! Enrolment: starting it takes the step-up of [`crate::sensitive`] (the
//! password, and the account's other second factor when it has one: a
//! session thief cannot plant a second factor they know and lock the owner
//! out). A 160-bit
//! secret is generated and stored encrypted (AES-256-GCM, bound to the account
//! id), unconfirmed and bound to the session that started it: only that
//! session is shown its QR code and key, and only that session can confirm
//! it. The first right code turns 2FA on and yields ten recovery codes, stored
//! only as argon2id hashes. From then on every sign-in stops after the password
//! at a pending session that reaches nothing until a code passes.
//!
//! Turning 2FA on or off and regenerating recovery codes can sign out every
//! other session of the account (the page offers it, ticked); this session
//! then carries on under a new token. Each of the three mails the owner.
//!
//! Each TOTP step is accepted once: the accepted step is written with a
//! compare-and-set (`last_used_step < step`), so two requests racing with the
//! same code cannot both win, and a code older than the last accepted one is
//! refused. Every second-factor attempt (a code, a recovery code, a key's
//! answer) spends a unit of the account's one budget before it is checked
//! (growing delays up to a 15-minute lock, on the sign-in step and the
//! settings pages alike); only a passed second factor gives it back, never
//! a right password.

use super::factors::{has_keys, has_second_factor, new_recovery_codes, sign_out_others, totp_enabled, Applied, Guesses, TwoFactorConfig};
use super::keys::SecurityKeys;
use super::{recovery, store, totp};
use crate::accounts;
use crate::actor::{AccountId, Actor, ClientMeta, SessionId};
use crate::change::Change;
use crate::deps::Deps;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{Event, EventKind};
use crate::limits::Attempt;
use crate::outbox::notices::Notice;
use crate::sensitive::{Confirmed, Operation};
use crate::sessions;
use crate::support::secret::Secret;
use totp::TotpSecret;

/// What the Two-Factor Auth page shows.
#[derive(Clone, Debug)]
pub struct TwoFactorStatus {
    /// When the authenticator app was turned on; `None` when it is off.
    pub app_enabled_since: Option<i64>,
    pub recovery_codes_left: i64,
    /// An enrolment this session started and has not confirmed yet: its QR
    /// code and key, shown until the first right code (never again after
    /// that) and never to another session.
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

/// How long an enrolment that was never confirmed stays shown (and can be
/// confirmed).
const PENDING_ENROLMENT_SECS: i64 = 15 * 60;

fn not_started() -> Error {
    Error::refused(ErrorCode::EnrolmentNotStarted, "Start again: choose Authenticator App to get a new QR code.")
}

fn wrong_code() -> Error {
    Error::refused(ErrorCode::WrongCode, "That code is not right. Check the time on your phone and enter the newest code.")
}

/// What sealed recovery codes are bound to: the session they were made for.
fn handover_context(session: &SessionId) -> Vec<u8> {
    format!("flash:{session}").into_bytes()
}

fn sealed_context(account: AccountId) -> Vec<u8> {
    format!("totp:{account}").into_bytes()
}

pub struct TwoFactor<'w> {
    deps: &'w Deps,
    cfg: &'w TwoFactorConfig,
}

impl<'w> TwoFactor<'w> {
    pub fn new(deps: &'w Deps, cfg: &'w TwoFactorConfig) -> Self {
        TwoFactor { deps, cfg }
    }

    /// The account's one second-factor budget, shared with security keys.
    fn guesses(&self) -> Guesses<'w> {
        Guesses::new(self.deps, self.cfg)
    }

    /// Spends a unit of the budget before a code is checked (see [`Guesses::attempt`]).
    async fn attempt(&self, account: AccountId) -> Result<Attempt> {
        self.guesses().attempt(account).await
    }

    async fn code_failed(&self, account: AccountId, meta: &ClientMeta, kind: EventKind) -> Result<Error> {
        self.guesses().failed_event(account, meta, kind, "").await?;
        Ok(wrong_code())
    }

    fn enrolment(&self, secret: &TotpSecret, username: &str) -> Result<Enrolment> {
        let uri = totp::otpauth_uri(secret, &self.cfg.issuer, username);
        Ok(Enrolment { qr_svg: Secret::new(totp::qr_svg(&uri)?), otpauth_uri: Secret::new(uri), key_grouped: Secret::new(secret.base32_grouped()) })
    }

    fn open_secret(&self, account: AccountId, sealed: &str) -> Result<TotpSecret> {
        TotpSecret::from_bytes(self.deps.secret_box.open(sealed, &sealed_context(account))?)
    }

    /// The enrolment `session` started and may still confirm, if any.
    fn own_pending(&self, row: Option<store::TotpRow>, session: &SessionId) -> Option<store::TotpRow> {
        let now = self.deps.now();
        row.filter(|r| {
            r.enabled_at.is_none() && r.enrolling_session_id.as_deref() == Some(session.as_str()) && now - r.created_at < PENDING_ENROLMENT_SECS
        })
    }

    /// New recovery codes sealed for this session alone (AES-GCM, bound to
    /// it): how a form posted without JavaScript carries them, in a short
    /// cookie, to the page that shows them once.
    pub fn seal_codes(&self, actor: &Actor, codes: &[String]) -> Result<String> {
        let (_, session) = actor.browser_session()?;
        self.deps.secret_box.seal(codes.join("\n").as_bytes(), &handover_context(session))
    }

    /// The codes [`Self::seal_codes`] sealed for this session; `None` for
    /// anything else (another session's, tampered with, or not codes).
    pub fn open_codes(&self, actor: &Actor, sealed: &str) -> Option<Vec<String>> {
        let (_, session) = actor.browser_session().ok()?;
        let bytes = self.deps.secret_box.open(sealed, &handover_context(session)).ok()?;
        Some(String::from_utf8(bytes).ok()?.lines().map(str::to_owned).collect())
    }

    pub async fn status(&self, actor: &Actor) -> Result<TwoFactorStatus> {
        let (account, session) = actor.browser_session()?;
        let row = store::totp(self.deps.pool(), account).await?;
        let left = store::recovery_codes_left(self.deps.pool(), account).await?;
        let app_enabled_since = row.as_ref().and_then(|r| r.enabled_at);
        let mut status = TwoFactorStatus { app_enabled_since, recovery_codes_left: left, pending: None };
        if let Some(r) = self.own_pending(row, session) {
            let secret = self.open_secret(account, &r.secret_sealed)?;
            status.pending = Some(self.enrolment(&secret, actor.username().unwrap_or_default())?);
        }
        Ok(status)
    }

    /// Starts (or restarts) enrolment with a new secret, bound to this
    /// session, once the step-up passed (`confirmed`). Any enrolment another
    /// session had waiting is replaced. Nothing changes for signing in
    /// until [`TwoFactor::confirm`] succeeds.
    pub async fn start(&self, actor: &Actor, confirmed: &Confirmed) -> Result<Enrolment> {
        let (account, session) = actor.browser_session()?;
        confirmed.covers(account, Operation::EnrolAuthenticatorApp)?;
        if totp_enabled(self.deps.pool(), account).await? {
            return Err(already_on());
        }
        let secret = TotpSecret::generate();
        let sealed = self.deps.secret_box.seal(secret.as_bytes(), &sealed_context(account))?;
        let mut tx = self.deps.pool().begin().await?;
        store::restart_enrolment(&mut tx, account, session, &sealed, self.deps.now()).await?;
        tx.commit().await?;
        self.enrolment(&secret, actor.username().unwrap_or_default())
    }

    /// The first right code, in the session that started the enrolment,
    /// turns the app on; returns new recovery codes (the only time they
    /// exist in plain text) when the account had none. An account that
    /// already has codes (it has a security key) keeps them: the owner's
    /// printed codes go on working. With `sign_out_others`, every other
    /// session ends.
    pub async fn confirm(&self, actor: &Actor, code: &str, sign_out_others_too: bool, meta: &ClientMeta) -> Result<Applied<Option<Vec<Secret>>>> {
        let (account, session) = actor.browser_session()?;
        let row = self.own_pending(store::totp(self.deps.pool(), account).await?, session).ok_or_else(not_started)?;
        let attempt = self.attempt(account).await?;
        let secret = self.open_secret(account, &row.secret_sealed)?;
        let Some(step) = totp::verify(&secret, code, self.deps.now(), None, self.cfg.previous_step_grace_secs) else {
            return Err(self.code_failed(account, meta, EventKind::TwoFactorFailed).await?);
        };
        attempt.passed().await;
        let keep_codes = has_keys(self.deps.pool(), account).await? && store::recovery_codes_left(self.deps.pool(), account).await? > 0;
        let codes = if keep_codes { None } else { Some(self.new_recovery_codes().await?) };
        let owner = accounts::find(self.deps.pool(), account).await?;
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        // Only the secret this code was checked against, still this session's.
        if !store::enable(change.db(), account, session, &row.secret_sealed, step, at).await? {
            return Err(if totp_enabled(self.deps.pool(), account).await? { already_on() } else { not_started() });
        }
        if let Some((_, stored)) = &codes {
            store::replace_recovery_codes(change.db(), account, stored, at).await?;
        }
        let (renewed, ended) = sign_out_others(&mut change, account, session, sign_out_others_too).await?;
        let notice = Notice {
            to: owner.email,
            subject: "Two-factor authentication is on for your Warden account",
            what: "Two-factor authentication was turned on for your Warden account".into(),
        };
        let event = Event::with_detail(EventKind::TwoFactorEnabled, sessions::signed_out_detail(ended, "other "));
        change.commit(Some(account), event, Some(notice), meta).await?;
        Ok(Applied { value: codes.map(|(c, _)| c), renewed, other_sessions_ended: ended })
    }

    async fn new_recovery_codes(&self) -> Result<(Vec<Secret>, Vec<store::StoredCode>)> {
        new_recovery_codes(self.deps).await
    }

    /// A second factor given for a change (the step-up): a code from the
    /// authenticator app or a recovery code, checked and spent; or a
    /// security key's answer (its JSON) to the key check `session` started
    /// (see [`SecurityKeys::start_check`]).
    pub(crate) async fn verify_any(&self, account: AccountId, session: &SessionId, given: &str, meta: &ClientMeta) -> Result<()> {
        if given.starts_with('{') {
            return SecurityKeys::new(self.deps, self.cfg).verify_check(account, session, given, meta).await;
        }
        self.verify(account, given, meta).await.map(|_| ())
    }

    /// Checks a six-digit code or a recovery code against an account with a
    /// second factor, and spends it. A recovery code is spent, recorded and
    /// announced to the owner in one transaction. The attempt's unit of the
    /// budget is spent before anything is checked.
    pub async fn verify(&self, account: AccountId, code: &str, meta: &ClientMeta) -> Result<Factor> {
        let row = store::totp(self.deps.pool(), account).await?.filter(|r| r.enabled_at.is_some());
        // An account with only security keys still has recovery codes.
        if row.is_none() && !has_keys(self.deps.pool(), account).await? {
            return Err(Error::refused(ErrorCode::TwoFactorNotOn, "Two-factor authentication is not on for this account."));
        }
        let attempt = self.attempt(account).await?;
        if let Some(normal) = recovery::normalize(code) {
            return match self.check_recovery_code(account, &normal, meta).await? {
                true => {
                    attempt.passed().await;
                    Ok(Factor::RecoveryCode)
                }
                false => Err(self.code_failed(account, meta, EventKind::TwoFactorFailed).await?),
            };
        }
        let Some(row) = row else {
            return Err(self.code_failed(account, meta, EventKind::TwoFactorFailed).await?);
        };
        let secret = self.open_secret(account, &row.secret_sealed)?;
        // Verify without the replay bound first, so a replay is told apart
        // from a wrong code in the owner's event list.
        let Some(step) = totp::verify(&secret, code, self.deps.now(), None, self.cfg.previous_step_grace_secs) else {
            return Err(self.code_failed(account, meta, EventKind::TwoFactorFailed).await?);
        };
        let fresh = row.last_used_step.is_none_or(|l| step > l) && store::accept_step(self.deps.pool(), account, step).await?;
        if !fresh {
            return Err(self.code_failed(account, meta, EventKind::TwoFactorReplayRefused).await?);
        }
        attempt.passed().await;
        Ok(Factor::AuthenticatorApp)
    }

    /// Whether `normal` is an unused recovery code of the account (and then
    /// spends it). One argon2id hash per guess, matched or not: the code
    /// with the typed code's lookup hint, or the dummy hash. Codes made
    /// before hints were kept are checked one by one.
    async fn check_recovery_code(&self, account: AccountId, normal: &str, meta: &ClientMeta) -> Result<bool> {
        let typed = Secret::new(normal);
        let candidates = store::candidate_recovery_codes(self.deps.pool(), account, &recovery::lookup(normal)).await?;
        if candidates.is_empty() {
            self.deps.hasher.verify(&typed, None).await?;
            return Ok(false);
        }
        for r in candidates {
            if self.deps.hasher.verify(&typed, Some(&r.code_hash)).await? && self.spend_recovery_code(account, r.id, meta).await? {
                return Ok(true);
            }
        }
        Ok(false)
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
            what: "One of your recovery codes was used to sign in to your Warden account".into(),
        };
        change.commit(Some(account), Event::new(EventKind::RecoveryCodeUsed), Some(notice), meta).await?;
        Ok(true)
    }

    /// Turns the authenticator app off, once the step-up passed (the
    /// password and a second factor); with `sign_out_others`, every other
    /// session ends.
    pub async fn disable(&self, actor: &Actor, confirmed: &Confirmed, sign_out_others_too: bool, meta: &ClientMeta) -> Result<Applied<()>> {
        let (account, session) = actor.browser_session()?;
        confirmed.covers(account, Operation::DisableAuthenticatorApp)?;
        if !totp_enabled(self.deps.pool(), account).await? {
            return Err(Error::refused(ErrorCode::TwoFactorNotOn, "The authenticator app is not on for this account."));
        }
        let owner = accounts::find(self.deps.pool(), account).await?;
        // With a security key left, the recovery codes still serve it.
        let keep_codes = has_keys(self.deps.pool(), account).await?;
        let mut change = Change::begin(self.deps).await?;
        store::remove(change.db(), account, keep_codes).await?;
        let (renewed, ended) = sign_out_others(&mut change, account, session, sign_out_others_too).await?;
        let notice = Notice {
            to: owner.email,
            subject: "Two-factor authentication is off for your Warden account",
            what: "Two-factor authentication was turned off for your Warden account".into(),
        };
        let event = Event::with_detail(EventKind::TwoFactorDisabled, sessions::signed_out_detail(ended, "other "));
        change.commit(Some(account), event, Some(notice), meta).await?;
        Ok(Applied { value: (), renewed, other_sessions_ended: ended })
    }

    /// New recovery codes, once the step-up passed (the password and a
    /// second factor); the old ones stop working and the owner is mailed.
    /// With `sign_out_others`, every other session ends.
    pub async fn regenerate_recovery_codes(
        &self,
        actor: &Actor,
        confirmed: &Confirmed,
        sign_out_others_too: bool,
        meta: &ClientMeta,
    ) -> Result<Applied<Vec<Secret>>> {
        let (account, session) = actor.browser_session()?;
        confirmed.covers(account, Operation::RegenerateRecoveryCodes)?;
        if !has_second_factor(self.deps.pool(), account).await? {
            return Err(Error::refused(ErrorCode::TwoFactorNotOn, "Two-factor authentication is not on for this account."));
        }
        let (codes, hashes) = self.new_recovery_codes().await?;
        let owner = accounts::find(self.deps.pool(), account).await?;
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        store::replace_recovery_codes(change.db(), account, &hashes, at).await?;
        let (renewed, ended) = sign_out_others(&mut change, account, session, sign_out_others_too).await?;
        let notice = Notice {
            to: owner.email,
            subject: "New recovery codes were made for your Warden account",
            what: "New recovery codes were made for your Warden account".into(),
        };
        let event = Event::with_detail(EventKind::RecoveryCodesRegenerated, sessions::signed_out_detail(ended, "other "));
        change.commit(Some(account), event, Some(notice), meta).await?;
        Ok(Applied { value: codes, renewed, other_sessions_ended: ended })
    }
}

fn already_on() -> Error {
    Error::refused(ErrorCode::TwoFactorAlreadyOn, "Two-factor authentication is already on.")
}

/// Seals every stored TOTP secret again under the current key of
/// `secret_box` (for `warden rotate-key`; see [`crate::rekey`]).
pub async fn reseal(db: &sqlx::AnyPool, secret_box: &crate::support::secret_box::SecretBox) -> Result<crate::support::secret_box::Resealed> {
    let mut done = crate::support::secret_box::Resealed::default();
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
