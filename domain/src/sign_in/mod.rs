//! Signing in: the password step (one answer for every failure, growing
//! delays per account and per client IP) and, when 2FA is on, the second
//! step that turns the pending session into a full one.
//!
//! A right password with 2FA on also queues, in the same transaction, a
//! notice to the owner held until the second step's window ends ("your
//! password was entered but the two-factor step was not completed").
//! Completing the step withdraws it, in the transaction that renews the
//! session; signing out of the step does not (whoever holds a stolen
//! password would).

use crate::accounts;
use crate::actor::{Actor, ClientMeta};
use crate::change::Change;
use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::events::{self, Event, EventKind};
use crate::limits::{Backoff, LimitKey, LimitKind};
use crate::outbox::{self, notices};
use crate::sessions::{self, EndReason, NewSession, SessionsConfig, Which};
use crate::support::secret::Secret;
use crate::two_factor::{self, Factor, TwoFactor, TwoFactorConfig};

#[derive(Clone, Debug)]
pub struct SignInConfig {
    /// Failures per account (or per typed login, when no account matches).
    pub account_backoff: Backoff,
    /// Failures per client IP, across accounts: slows spraying.
    pub ip_backoff: Backoff,
}

impl Default for SignInConfig {
    fn default() -> Self {
        SignInConfig {
            account_backoff: Backoff { free_failures: 5, base_secs: 1, max_secs: 300, window_secs: 3600 },
            ip_backoff: Backoff { free_failures: 20, base_secs: 1, max_secs: 900, window_secs: 3600 },
        }
    }
}

pub struct SignIn<'w> {
    deps: &'w Deps,
    cfg: &'w SignInConfig,
    two_factor: &'w TwoFactorConfig,
    sessions: &'w SessionsConfig,
}

impl<'w> SignIn<'w> {
    pub fn new(deps: &'w Deps, cfg: &'w SignInConfig, two_factor: &'w TwoFactorConfig, sessions: &'w SessionsConfig) -> Self {
        SignIn { deps, cfg, two_factor, sessions }
    }

    async fn refused(&self, account: Option<crate::actor::AccountId>, kind: EventKind, meta: &ClientMeta) -> Result<()> {
        events::record(self.deps.pool(), account, &Event::new(kind), meta, self.deps.now()).await
    }

    /// Username or email plus password. Every failure is the same
    /// `invalid_credentials`, after the same amount of hashing work. A
    /// success always starts a new session; `replacing`, the session this
    /// browser held before (full or pending), ends: nothing is carried over.
    pub async fn sign_in(&self, login: &str, password: &Secret, meta: &ClientMeta, replacing: Option<&Actor>) -> Result<NewSession> {
        let now = self.deps.now();
        let limiter = &self.deps.limiter;
        let ip_key = LimitKey::ip(LimitKind::SignInIp, &meta.ip);
        if let Err(e) = limiter.check(&ip_key, &self.cfg.ip_backoff, now).await {
            self.refused(None, EventKind::SignInThrottled, meta).await?;
            return Err(e);
        }
        let account = accounts::find_by_login(self.deps.pool(), login).await?;
        let account_id = account.as_ref().map(accounts::AccountRow::account_id);
        // Keyed by account when one matches, so "alice" and her email share a
        // budget; by the typed login otherwise, so unknown names are throttled
        // exactly like known ones.
        let account_key = match account_id {
            Some(id) => LimitKey::account(LimitKind::SignInAccount, id),
            None => LimitKey::typed(LimitKind::SignInLogin, login),
        };
        if let Err(e) = limiter.check(&account_key, &self.cfg.account_backoff, now).await {
            self.refused(account_id, EventKind::SignInThrottled, meta).await?;
            return Err(e);
        }
        let ok = self.deps.hasher.verify(password, account.as_ref().map(|a| a.password_hash.as_str())).await?;
        let Some(account_id) = account_id.filter(|_| ok) else {
            limiter.failed(&account_key, &self.cfg.account_backoff, now).await?;
            limiter.failed(&ip_key, &self.cfg.ip_backoff, now).await?;
            self.refused(account_id, EventKind::SignInFailed, meta).await?;
            return Err(Error::invalid_credentials());
        };
        limiter.succeeded(&account_key).await?;
        let second_factor = two_factor::is_enabled(self.deps.pool(), account_id).await?;
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        if let Some(old) = replacing {
            let (old_account, old_session) = old.any_browser_session();
            sessions::end(change.db(), Which::One(old_account, old_session), EndReason::SignedOut, at).await?;
            events::record(change.db(), Some(old_account), &Event::new(EventKind::SignedOut), meta, at).await?;
        }
        let session = sessions::create(change.db(), account_id, meta, second_factor, at).await?;
        if let (true, Some(owner)) = (second_factor, &account) {
            let window = self.sessions.second_factor_window_secs;
            let h = notices::Happened { at, meta };
            let notice = notices::second_step_not_completed(&owner.email, &self.deps.public_url, (window + 59) / 60, &h);
            outbox::store::enqueue_held(change.db(), &self.deps.secret_box, &notice, at, at + window, &session.session_id).await?;
        }
        let kind = if second_factor { EventKind::SecondFactorRequested } else { EventKind::SignedIn };
        change.commit(Some(account_id), Event::new(kind), None, meta).await?;
        Ok(session)
    }

    /// The second step of signing in. On success the pending session becomes
    /// a full one under a new token (the old token only ever opened this step).
    pub async fn complete_second_factor(&self, actor: &Actor, code: &str, meta: &ClientMeta) -> Result<NewSession> {
        let (account, session) = actor.pending_second_factor()?;
        let factor = TwoFactor::new(self.deps, self.two_factor).verify(account, code, meta).await?;
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        let renewed = sessions::renew(change.db(), account, session, at, true).await?;
        outbox::store::withdraw_held(change.db(), session).await?;
        let detail = match factor {
            Factor::RecoveryCode => "with a recovery code",
            Factor::AuthenticatorApp => "with the authenticator app",
        };
        change.commit(Some(account), Event::with_detail(EventKind::SignedIn, detail), None, meta).await?;
        Ok(renewed)
    }
}
