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

use crate::events::EventKind;
use crate::recovery;
use crate::session::{ClientMeta, CurrentSession};
use crate::store::{get_i64, get_opt_i64, get_str};
use crate::totp::{self, TotpSecret};
use crate::warden::{NewSession, Warden};
use crate::{random, Error, Result, Secret};

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

/// How an enrolment that was never confirmed stays shown.
const PENDING_ENROLMENT_SECS: i64 = 15 * 60;

fn wrong_code() -> Error {
    Error::Invalid("That code is not right. Check the time on your phone and enter the newest code.".into())
}

impl Warden {
    /// Seals data that only this session may read back (the recovery codes
    /// carried across a plain form post's redirect).
    pub fn seal_for_session(&self, session_id: &str, data: &[u8]) -> Result<String> {
        self.secret_box.seal(data, format!("flash:{session_id}").as_bytes())
    }

    pub fn open_for_session(&self, session_id: &str, sealed: &str) -> Result<Vec<u8>> {
        self.secret_box.open(sealed, format!("flash:{session_id}").as_bytes())
    }

    fn sealed_context(account_id: i64) -> Vec<u8> {
        format!("totp:{account_id}").into_bytes()
    }

    pub(crate) async fn second_factor_enabled(&self, account_id: i64) -> Result<bool> {
        let row = sqlx::query("SELECT enabled_at FROM totp_credentials WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(&self.store.pool)
            .await?;
        Ok(match row {
            Some(r) => get_opt_i64(&r, "enabled_at")?.is_some(),
            None => false,
        })
    }

    fn throttle_key(account_id: i64) -> String {
        format!("2fa:{account_id}")
    }

    fn check_throttle(&self, account_id: i64) -> Result<()> {
        match self.second_factor_throttle.wait(&Self::throttle_key(account_id), self.now()) {
            Some(wait) => Err(Error::Throttled(wait)),
            None => Ok(()),
        }
    }

    async fn code_failed(&self, account_id: i64, meta: &ClientMeta, kind: EventKind) -> Result<Error> {
        self.factor_failed(account_id, meta, kind, "").await?;
        Ok(wrong_code())
    }

    /// Every failed factor, code or password, counts against the same
    /// per-account throttle and is recorded.
    async fn factor_failed(&self, account_id: i64, meta: &ClientMeta, kind: EventKind, detail: &str) -> Result<()> {
        self.second_factor_throttle.failed(&Self::throttle_key(account_id), self.now());
        self.record(Some(account_id), kind, meta, detail).await
    }

    fn enrolment(&self, secret: &TotpSecret, username: &str) -> Result<Enrolment> {
        let uri = totp::otpauth_uri(secret, &self.cfg.totp_issuer, username);
        Ok(Enrolment {
            qr_svg: Secret::new(totp::qr_svg(&uri)?),
            otpauth_uri: Secret::new(uri),
            key_grouped: Secret::new(secret.base32_grouped()),
        })
    }

    async fn load_secret(&self, account_id: i64, sealed: &str) -> Result<TotpSecret> {
        let bytes = self.secret_box.open(sealed, &Self::sealed_context(account_id))?;
        TotpSecret::from_bytes(bytes)
    }

    pub async fn two_factor_status(&self, cur: &CurrentSession) -> Result<TwoFactorStatus> {
        let row = sqlx::query("SELECT secret_sealed, enabled_at, created_at FROM totp_credentials WHERE account_id = $1")
            .bind(cur.account_id)
            .fetch_optional(&self.store.pool)
            .await?;
        let left = sqlx::query("SELECT COUNT(*) AS n FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL")
            .bind(cur.account_id)
            .fetch_one(&self.store.pool)
            .await?;
        let mut status = TwoFactorStatus { enabled_since: None, recovery_codes_left: get_i64(&left, "n")?, pending: None };
        if let Some(r) = row {
            status.enabled_since = get_opt_i64(&r, "enabled_at")?;
            let fresh = self.now() - get_i64(&r, "created_at")? < PENDING_ENROLMENT_SECS;
            if status.enabled_since.is_none() && fresh {
                let secret = self.load_secret(cur.account_id, &get_str(&r, "secret_sealed")?).await?;
                status.pending = Some(self.enrolment(&secret, &cur.username)?);
            }
        }
        Ok(status)
    }

    /// Starts (or restarts) enrolment with a new secret. Nothing changes for
    /// signing in until [`Warden::confirm_totp`] succeeds.
    pub async fn start_totp_enrolment(&self, cur: &CurrentSession) -> Result<Enrolment> {
        if self.second_factor_enabled(cur.account_id).await? {
            return Err(Error::Conflict("Two-factor authentication is already on.".into()));
        }
        let secret = TotpSecret::generate();
        let sealed = self.secret_box.seal(secret.as_bytes(), &Self::sealed_context(cur.account_id))?;
        let mut tx = self.store.pool.begin().await?;
        sqlx::query("DELETE FROM totp_credentials WHERE account_id = $1 AND enabled_at IS NULL")
            .bind(cur.account_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO totp_credentials (account_id, secret_sealed, created_at) VALUES ($1, $2, $3)")
            .bind(cur.account_id)
            .bind(&sealed)
            .bind(self.now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.enrolment(&secret, &cur.username)
    }

    /// The first right code turns 2FA on; returns the recovery codes, the only
    /// time they exist in plain text.
    pub async fn confirm_totp(&self, cur: &CurrentSession, code: &str, meta: &ClientMeta) -> Result<Vec<Secret>> {
        self.check_throttle(cur.account_id)?;
        let row = sqlx::query("SELECT secret_sealed FROM totp_credentials WHERE account_id = $1 AND enabled_at IS NULL")
            .bind(cur.account_id)
            .fetch_optional(&self.store.pool)
            .await?
            .ok_or_else(|| Error::Invalid("Start again: choose Authenticator App to get a new QR code.".into()))?;
        let secret = self.load_secret(cur.account_id, &get_str(&row, "secret_sealed")?).await?;
        let Some(step) = totp::verify(&secret, code, self.now(), None) else {
            return Err(self.code_failed(cur.account_id, meta, EventKind::TwoFactorFailed).await?);
        };
        let codes = recovery::generate_codes(recovery::DEFAULT_COUNT);
        let hashes = self.hash_recovery_codes(&codes).await?;
        let mut tx = self.store.pool.begin().await?;
        let done = sqlx::query("UPDATE totp_credentials SET enabled_at = $1, last_used_step = $2 WHERE account_id = $3 AND enabled_at IS NULL")
            .bind(self.now())
            .bind(step)
            .bind(cur.account_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(Error::Conflict("Two-factor authentication is already on.".into()));
        }
        self.replace_recovery_codes(&mut tx, cur.account_id, &hashes).await?;
        tx.commit().await?;
        self.second_factor_throttle.succeeded(&Self::throttle_key(cur.account_id));
        self.record(Some(cur.account_id), EventKind::TwoFactorEnabled, meta, "").await?;
        self.notify_owner(cur.account_id, "Two-factor authentication is on for your Warden account", "Two-factor authentication was turned on for your Warden account", meta).await?;
        Ok(codes)
    }

    async fn hash_recovery_codes(&self, codes: &[Secret]) -> Result<Vec<String>> {
        let mut hashes = Vec::with_capacity(codes.len());
        for c in codes {
            let normal = recovery::normalize(c.expose()).ok_or_else(|| Error::Internal("recovery code format".into()))?;
            hashes.push(self.hasher.hash(&Secret::new(normal)).await?);
        }
        Ok(hashes)
    }

    async fn replace_recovery_codes(&self, tx: &mut sqlx::Transaction<'_, sqlx::Any>, account_id: i64, hashes: &[String]) -> Result<()> {
        sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
            .bind(account_id)
            .execute(&mut **tx)
            .await?;
        for h in hashes {
            sqlx::query("INSERT INTO recovery_codes (account_id, code_hash, created_at) VALUES ($1, $2, $3)")
                .bind(account_id)
                .bind(h)
                .bind(self.now())
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Checks a six-digit code or a recovery code against an account with
    /// 2FA on, spending it. `Ok(true)` when a recovery code was used.
    async fn spend_second_factor(&self, account_id: i64, code: &str, meta: &ClientMeta) -> Result<bool> {
        self.check_throttle(account_id)?;
        let row = sqlx::query("SELECT secret_sealed, last_used_step FROM totp_credentials WHERE account_id = $1 AND enabled_at IS NOT NULL")
            .bind(account_id)
            .fetch_optional(&self.store.pool)
            .await?
            .ok_or_else(|| Error::Invalid("Two-factor authentication is not on for this account.".into()))?;
        if let Some(normal) = recovery::normalize(code) {
            let unused = sqlx::query("SELECT id, code_hash FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL")
                .bind(account_id)
                .fetch_all(&self.store.pool)
                .await?;
            let typed = Secret::new(normal);
            for r in &unused {
                if self.hasher.verify(&typed, Some(&get_str(r, "code_hash")?)).await? {
                    let spent = sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
                        .bind(self.now())
                        .bind(get_i64(r, "id")?)
                        .execute(&self.store.pool)
                        .await?;
                    if spent.rows_affected() == 1 {
                        self.second_factor_throttle.succeeded(&Self::throttle_key(account_id));
                        self.record(Some(account_id), EventKind::RecoveryCodeUsed, meta, "").await?;
                        self.notify_owner(account_id, "A recovery code was used on your Warden account", "One of your recovery codes was used to sign in to your Warden account", meta).await?;
                        return Ok(true);
                    }
                }
            }
            return Err(self.code_failed(account_id, meta, EventKind::TwoFactorFailed).await?);
        }
        let secret = self.load_secret(account_id, &get_str(&row, "secret_sealed")?).await?;
        let last = get_opt_i64(&row, "last_used_step")?;
        // Verify without the replay bound first, so a replay is told apart
        // from a wrong code in the owner's event list.
        let Some(step) = totp::verify(&secret, code, self.now(), None) else {
            return Err(self.code_failed(account_id, meta, EventKind::TwoFactorFailed).await?);
        };
        let fresh = last.is_none_or(|l| step > l)
            && sqlx::query("UPDATE totp_credentials SET last_used_step = $1 WHERE account_id = $2 AND (last_used_step IS NULL OR last_used_step < $1)")
                .bind(step)
                .bind(account_id)
                .execute(&self.store.pool)
                .await?
                .rows_affected()
                == 1;
        if !fresh {
            return Err(self.code_failed(account_id, meta, EventKind::TwoFactorReplayRefused).await?);
        }
        self.second_factor_throttle.succeeded(&Self::throttle_key(account_id));
        Ok(false)
    }

    /// The second step of signing in. On success the pending session becomes
    /// a full one under a new token (the old token only ever opened this step).
    pub async fn complete_second_factor(&self, pending: &CurrentSession, code: &str, meta: &ClientMeta) -> Result<NewSession> {
        if !pending.second_factor_pending {
            return Err(Error::Invalid("This sign-in needs no second step.".into()));
        }
        let recovery = self.spend_second_factor(pending.account_id, code, meta).await?;
        let token = random::token();
        let done = sqlx::query("UPDATE sessions SET second_factor_pending = 0, token_hash = $1, last_active_at = $2 WHERE id = $3 AND account_id = $4 AND ended_at IS NULL AND second_factor_pending = 1")
            .bind(random::token_hash(&token))
            .bind(self.now())
            .bind(&pending.session_id)
            .bind(pending.account_id)
            .execute(&self.store.pool)
            .await?;
        if done.rows_affected() != 1 {
            return Err(Error::NotSignedIn);
        }
        let detail = if recovery { "with a recovery code" } else { "with the authenticator app" };
        self.record(Some(pending.account_id), EventKind::SignedIn, meta, detail).await?;
        Ok(NewSession { session_id: pending.session_id.clone(), token: Secret::new(token), second_factor_required: false })
    }

    async fn check_password(&self, account_id: i64, password: &Secret) -> Result<bool> {
        let row = sqlx::query("SELECT password_hash FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_one(&self.store.pool)
            .await?;
        self.hasher.verify(password, Some(&get_str(&row, "password_hash")?)).await
    }

    /// Both the password and a current code (or a recovery code): whoever
    /// turns 2FA off or mints new recovery codes must hold both factors.
    async fn prove_both_factors(&self, cur: &CurrentSession, password: &Secret, code: &str, meta: &ClientMeta) -> Result<()> {
        self.check_throttle(cur.account_id)?;
        if !self.check_password(cur.account_id, password).await? {
            self.factor_failed(cur.account_id, meta, EventKind::TwoFactorFailed, "wrong password").await?;
            return Err(Error::Invalid("Your password or code is not right.".into()));
        }
        self.spend_second_factor(cur.account_id, code, meta).await.map(|_| ())
    }

    pub async fn disable_totp(&self, cur: &CurrentSession, password: &Secret, code: &str, meta: &ClientMeta) -> Result<()> {
        self.prove_both_factors(cur, password, code, meta).await?;
        let mut tx = self.store.pool.begin().await?;
        sqlx::query("DELETE FROM totp_credentials WHERE account_id = $1").bind(cur.account_id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1").bind(cur.account_id).execute(&mut *tx).await?;
        tx.commit().await?;
        self.record(Some(cur.account_id), EventKind::TwoFactorDisabled, meta, "").await?;
        self.notify_owner(cur.account_id, "Two-factor authentication is off for your Warden account", "Two-factor authentication was turned off for your Warden account", meta).await
    }

    pub async fn regenerate_recovery_codes(&self, cur: &CurrentSession, password: &Secret, code: &str, meta: &ClientMeta) -> Result<Vec<Secret>> {
        self.prove_both_factors(cur, password, code, meta).await?;
        let codes = recovery::generate_codes(recovery::DEFAULT_COUNT);
        let hashes = self.hash_recovery_codes(&codes).await?;
        let mut tx = self.store.pool.begin().await?;
        self.replace_recovery_codes(&mut tx, cur.account_id, &hashes).await?;
        tx.commit().await?;
        self.record(Some(cur.account_id), EventKind::RecoveryCodesRegenerated, meta, "").await?;
        Ok(codes)
    }
}
