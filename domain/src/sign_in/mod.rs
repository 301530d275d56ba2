//! Signing in: the password step (one answer for every failure, growing
//! delays per account and per client IP) and, when 2FA is on (the
//! authenticator app, or a security key), the second step (a code, a
//! recovery code or a key) that turns the pending session into a full one.
//!
//! A right password with 2FA on also queues, in the same transaction, a
//! notice to the owner held until the second step's window ends ("your
//! password was entered but the two-factor step was not completed").
//! Completing the step withdraws it, in the transaction that renews the
//! session; signing out of the step does not (whoever holds a stolen
//! password would).
//!
//! The lock: after `account_backoff.free_failures` attempts for a login (as
//! typed, folded: a username and an email address are two logins, so a
//! throttle never tells that they are one account) within its window, each
//! further attempt must wait, doubling up to `max_secs`; the right password
//! is refused too while it waits, from any browser that does not hold the
//! account's device cookie. A browser that completed a sign-in to the
//! account before holds one ([`devices`]): its attempts count against that
//! device's own budget, not the login's, so an attacker's guesses keep the
//! login locked for everyone else while the owner still gets in. The
//! client's budgets (its address, and its /48 or /24) apply to every
//! attempt. Every attempt spends its units before the password is hashed
//! ([`crate::limits::Limiter::attempt`]), so a burst of parallel guesses
//! gets the free ones and no more.
//!
//! A sign-in that completes is weighed for a new-sign-in alert in the same
//! change ([`alerts::on_sign_in`]): a browser without the account's device
//! cookie, from a network not seen in 90 days, mails the owner.
//!
//! A passkey signs in on its own ([`SignIn::complete_with_passkey`]): the
//! key is the possession factor and its user verification the second, so
//! the session is full at once. The password budgets do not apply to it (a
//! signature cannot be guessed, and an attacker's wrong passwords must not
//! keep the owner's passkey out); the per-IP budget and the account's
//! second-factor budget do, and it opens the session, ends the one this
//! browser held, and remembers the device exactly as a password does.

pub use crate::sessions::devices;

pub use devices::DeviceCookie;

use crate::accounts;
use crate::actor::{AccountId, Actor, ClientMeta, SessionId};
use crate::alerts::{self, AlertsConfig};
use crate::change::Change;
use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::events::{self, Event, EventKind};
use crate::limits::{Attempt, Backoff, Budget, LimitKey, LimitKind, OnSuccess};
use crate::outbox::{self, notices};
use crate::second_factor::{self, Factor, TwoFactor, TwoFactorConfig};
use crate::second_factor::{PasskeyChallenge, SecurityKeys};
use crate::sessions::{self, EndReason, NewSession, SessionsConfig, Which};
use crate::support::secret::Secret;

#[derive(Clone, Debug)]
pub struct SignInConfig {
    /// Failures per login as typed (a username, or an email address).
    pub account_backoff: Backoff,
    /// Failures per client IP, across accounts: slows spraying (its /48 or
    /// /24 gets eight times as many).
    pub ip_backoff: Backoff,
    /// Failures from a browser holding the account's device cookie. After
    /// its free failures the device stops counting as known (its attempts
    /// fall back to the account's budget) until a quiet window passes.
    pub device_backoff: Backoff,
    /// How long a device cookie lives, unused, in the browser and here.
    pub device_max_age_secs: i64,
    /// Passwordless sign-ins started per client IP (each one counts): the
    /// challenges a guest can make the server hold.
    pub passkey_start_ip_backoff: Backoff,
    /// Passkey autofill requests started per client IP (one per load of the
    /// sign-in page in a browser that offers it).
    pub passkey_autofill_ip_backoff: Backoff,
}

impl Default for SignInConfig {
    fn default() -> Self {
        SignInConfig {
            account_backoff: Backoff { free_failures: 5, base_secs: 1, max_secs: 300, window_secs: 3600 },
            ip_backoff: Backoff { free_failures: 20, base_secs: 1, max_secs: 900, window_secs: 3600 },
            device_backoff: Backoff { free_failures: 5, base_secs: 3600, max_secs: 3600, window_secs: 3600 },
            device_max_age_secs: 365 * 86_400,
            passkey_start_ip_backoff: Backoff { free_failures: 30, base_secs: 1, max_secs: 60, window_secs: 300 },
            passkey_autofill_ip_backoff: Backoff { free_failures: 300, base_secs: 1, max_secs: 60, window_secs: 300 },
        }
    }
}

/// What the second sign-in step can be answered with, for the page that asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecondStepMethods {
    pub security_key: bool,
    pub authenticator_app: bool,
    pub recovery_code: bool,
}

/// A sign-in that went through: the session for the session cookie and,
/// once the sign-in is complete (second factor included), the device cookie
/// to set.
pub struct SignedIn {
    pub session: NewSession,
    pub device_cookie: Option<DeviceCookie>,
}

pub struct SignIn<'w> {
    deps: &'w Deps,
    cfg: &'w SignInConfig,
    two_factor: &'w TwoFactorConfig,
    sessions: &'w SessionsConfig,
    alerts: &'w AlertsConfig,
}

impl<'w> SignIn<'w> {
    pub fn new(
        deps: &'w Deps,
        cfg: &'w SignInConfig,
        two_factor: &'w TwoFactorConfig,
        sessions: &'w SessionsConfig,
        alerts: &'w AlertsConfig,
    ) -> Self {
        SignIn { deps, cfg, two_factor, sessions, alerts }
    }

    async fn refused(&self, account: Option<AccountId>, kind: EventKind, meta: &ClientMeta) -> Result<()> {
        events::record(self.deps.pool(), account, &Event::new(kind), meta, self.deps.now()).await
    }

    /// The client's budgets across accounts (its address and its wider
    /// block): a right answer gives back the unit it took.
    fn client_budgets(&self, meta: &ClientMeta) -> [Budget; 2] {
        Budget::client(LimitKind::SignInIp, &meta.ip, self.cfg.ip_backoff, OnSuccess::Refund)
    }

    /// Admits one attempt against `budgets`, or records the throttled
    /// attempt (for `account`, when one is known) and refuses it.
    async fn admit(&self, budgets: Vec<Budget>, account: Option<AccountId>, meta: &ClientMeta) -> Result<Attempt> {
        match self.deps.limiter.attempt(budgets, self.deps.now()).await {
            Err(e @ Error::Throttled(_)) => {
                self.refused(account, EventKind::SignInThrottled, meta).await?;
                Err(e)
            }
            other => other,
        }
    }

    /// Username or email plus password. Every failure is the same
    /// `invalid_credentials`, after the same amount of hashing work. A
    /// success always starts a new session; `replacing`, the session this
    /// browser held before (full or pending), ends: nothing is carried over.
    /// `device` is the browser's device cookie (see [`devices`]).
    pub async fn sign_in(
        &self,
        login: &str,
        password: &Secret,
        meta: &ClientMeta,
        replacing: Option<&Actor>,
        device: &DeviceCookie,
    ) -> Result<SignedIn> {
        let now = self.deps.now();
        let account = accounts::find_by_login(self.deps.pool(), login).await?;
        let account_id = account.as_ref().map(accounts::AccountRow::account_id);
        let known = devices::Known::lookup(self.deps.pool(), device, now, self.cfg.device_max_age_secs).await?;
        // Keyed by the login as typed, known or not, so unknown names are
        // throttled exactly like known ones. A browser with the account's
        // device cookie uses its device's budget instead, while that has
        // attempts to spare.
        let login_budget = Budget::new(LimitKey::typed(LimitKind::SignInLogin, login), self.cfg.account_backoff, OnSuccess::Clear);
        let with_client = |first: Budget| [first].into_iter().chain(self.client_budgets(meta)).collect::<Vec<_>>();
        let attempt = match account_id.and_then(|a| known.device_of(a)) {
            Some(d) => {
                let device_budget = Budget::new(LimitKey::device(LimitKind::SignInDevice, d), self.cfg.device_backoff, OnSuccess::Clear);
                match self.deps.limiter.attempt(with_client(device_budget), now).await {
                    Err(Error::Throttled(_)) => self.admit(with_client(login_budget), account_id, meta).await?,
                    other => other?,
                }
            }
            None => self.admit(with_client(login_budget), account_id, meta).await?,
        };
        let ok = self.deps.hasher.verify(password, account.as_ref().map(|a| a.password_hash.as_str())).await?;
        let (Some(owner), true) = (account, ok) else {
            self.refused(account_id, EventKind::SignInFailed, meta).await?;
            return Err(Error::invalid_credentials());
        };
        // A known device's success clears its own budget only: the owner
        // signing in does not hand an attacker a fresh set of guesses.
        attempt.passed().await;
        let second_factor = second_factor::has_second_factor(self.deps.pool(), owner.account_id()).await?;
        let kind = if second_factor { EventKind::SecondFactorRequested } else { EventKind::SignedIn };
        self.open_session(&owner, second_factor, known, replacing, Event::new(kind), meta).await
    }

    /// Opens the session of a sign-in that went through (a password, or a
    /// passkey alone) and records `event` with it, in one change: the
    /// session this browser held before ends; with `second_factor` the new
    /// one waits for it (and the owner is told if it never comes), else
    /// the browser is remembered as a device of the account.
    async fn open_session(
        &self,
        owner: &accounts::AccountRow,
        second_factor: bool,
        known: devices::Known,
        replacing: Option<&Actor>,
        event: Event,
        meta: &ClientMeta,
    ) -> Result<SignedIn> {
        let account_id = owner.account_id();
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        if let Some((old_account, old_session)) = replacing.and_then(Actor::any_browser_session) {
            sessions::end(&mut change, Which::One(old_account, old_session), EndReason::SignedOut).await?;
            events::record(change.db(), Some(old_account), &Event::new(EventKind::SignedOut), meta, at).await?;
        }
        let session = sessions::create(change.db(), account_id, meta, second_factor, at).await?;
        // Like every notice, only to an address the owner has confirmed.
        if second_factor && owner.email_verified_at.is_some() {
            let window = self.sessions.second_factor_window_secs;
            let h = notices::Happened { at, meta, zone: &owner.zone() };
            let notice = notices::second_step_not_completed(&owner.email, &self.deps.public_url, (window + 59) / 60, &h);
            outbox::store::enqueue_held(change.db(), &self.deps.secret_box, account_id, &notice, at, at + window, &session.session_id).await?;
        }
        // With a second factor the browser is remembered, and the sign-in
        // weighed for an alert, once that is given.
        let device_cookie = if second_factor {
            None
        } else {
            let known_browser = known.device_of(account_id).is_some();
            alerts::on_sign_in(&mut change, self.alerts, owner, &session.session_id, known_browser, meta).await?;
            Some(known.remember(change.db(), account_id, &session.session_id, at).await?)
        };
        change.commit(Some(account_id), event, None, meta).await?;
        Ok(SignedIn { session, device_cookie })
    }

    /// Starts a passwordless sign-in with a passkey: the options for
    /// `navigator.credentials.get()` and the value of the cookie that binds
    /// the challenge to this browser. Refused while the client IP's sign-in
    /// budget is spent, or when it started too many (30 in five minutes,
    /// then growing waits).
    pub async fn start_with_passkey(&self, meta: &ClientMeta) -> Result<PasskeyChallenge> {
        let budgets = Budget::client(LimitKind::PasskeyStartIp, &meta.ip, self.cfg.passkey_start_ip_backoff, OnSuccess::Keep);
        let _counted = self.deps.limiter.attempt(budgets.to_vec(), self.deps.now()).await?;
        SecurityKeys::new(self.deps, self.two_factor).start_passkey_sign_in().await
    }

    /// Starts the passkey autofill of the sign-in page (conditional
    /// mediation: the browser lists its passkeys for Warden under the
    /// username field). The same challenge as the button's, on a budget of
    /// its own (300 in five minutes per client IP), so page loads never
    /// spend the button's.
    pub async fn start_passkey_autofill(&self, meta: &ClientMeta) -> Result<PasskeyChallenge> {
        let budgets = Budget::client(LimitKind::PasskeyAutofillIp, &meta.ip, self.cfg.passkey_autofill_ip_backoff, OnSuccess::Keep);
        let _counted = self.deps.limiter.attempt(budgets.to_vec(), self.deps.now()).await?;
        SecurityKeys::new(self.deps, self.two_factor).start_passkey_sign_in().await
    }

    /// Signs in with a passkey alone: `credential` is its answer
    /// (`PublicKeyCredential` JSON) to the challenge of the browser that
    /// holds `browser` (the cookie [`start_with_passkey`](Self::start_with_passkey)
    /// gave it). A refused answer counts against the client IP's budget. On
    /// success the session is full at once; `replacing` and `device` as in
    /// [`sign_in`](Self::sign_in).
    pub async fn complete_with_passkey(
        &self,
        browser: Option<&Secret>,
        credential: &str,
        meta: &ClientMeta,
        replacing: Option<&Actor>,
        device: &DeviceCookie,
    ) -> Result<SignedIn> {
        let attempt = self.admit(self.client_budgets(meta).to_vec(), None, meta).await?;
        let (account, name) = SecurityKeys::new(self.deps, self.two_factor).verify_passkey(browser, credential, meta).await?;
        attempt.passed().await;
        let owner = accounts::find(self.deps.pool(), account).await?;
        let known = devices::Known::lookup(self.deps.pool(), device, self.deps.now(), self.cfg.device_max_age_secs).await?;
        let event = Event::with_detail(EventKind::SignedIn, format!("with the passkey \"{name}\", without a password"));
        self.open_session(&owner, false, known, replacing, event, meta).await
    }

    /// The second step of signing in. On success the pending session becomes
    /// a full one under a new token (the old token only ever opened this
    /// step), and the browser is remembered as a device of the account.
    pub async fn complete_second_factor(&self, actor: &Actor, code: &str, meta: &ClientMeta, device: &DeviceCookie) -> Result<SignedIn> {
        let (account, session) = actor.pending_second_factor()?;
        let factor = TwoFactor::new(self.deps, self.two_factor).verify(account, code, meta).await?;
        let detail = match factor {
            Factor::RecoveryCode => "with a recovery code",
            Factor::AuthenticatorApp => "with the authenticator app",
        };
        self.second_step_passed(account, session, detail.into(), meta, device).await
    }

    /// The second step by security key: `credential` is the key's answer
    /// (`PublicKeyCredential` JSON) to the challenge
    /// [`SecurityKeys::start_sign_in`](crate::second_factor::SecurityKeys::start_sign_in)
    /// gave this pending session.
    pub async fn complete_with_key(&self, actor: &Actor, credential: &str, meta: &ClientMeta, device: &DeviceCookie) -> Result<SignedIn> {
        let (account, session) = actor.pending_second_factor()?;
        let name = SecurityKeys::new(self.deps, self.two_factor).verify_sign_in(account, session, credential, meta).await?;
        self.second_step_passed(account, session, format!("with the security key \"{name}\""), meta, device).await
    }

    async fn second_step_passed(
        &self,
        account: AccountId,
        session: &SessionId,
        detail: String,
        meta: &ClientMeta,
        device: &DeviceCookie,
    ) -> Result<SignedIn> {
        let known = devices::Known::lookup(self.deps.pool(), device, self.deps.now(), self.cfg.device_max_age_secs).await?;
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        let renewed = sessions::renew(change.db(), account, session, at, true).await?;
        outbox::store::withdraw_held(change.db(), session).await?;
        let owner = accounts::find(change.db(), account).await?;
        alerts::on_sign_in(&mut change, self.alerts, &owner, session, known.device_of(account).is_some(), meta).await?;
        let device_cookie = known.remember(change.db(), account, session, at).await?;
        change.commit(Some(account), Event::with_detail(EventKind::SignedIn, detail), None, meta).await?;
        Ok(SignedIn { session: renewed, device_cookie: Some(device_cookie) })
    }

    /// Which second factors this pending sign-in's account has.
    pub async fn second_step_methods(&self, actor: &Actor) -> Result<SecondStepMethods> {
        let (account, _) = actor.pending_second_factor()?;
        let db = self.deps.pool();
        Ok(SecondStepMethods {
            security_key: crate::second_factor::has_keys(db, account).await?,
            authenticator_app: second_factor::totp_enabled(db, account).await?,
            recovery_code: second_factor::recovery_codes_left(db, account).await? > 0,
        })
    }

    /// Forgets device cookies revoked or unused for their whole lifetime.
    pub async fn sweep_devices(&self) -> Result<u64> {
        devices::sweep(self.deps.pool(), self.deps.now(), self.cfg.device_max_age_secs).await
    }
}
