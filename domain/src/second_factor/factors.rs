//! What every second factor shares: the account's methods and the one
//! answer to "is two-factor authentication on" ([`has_second_factor`],
//! [`methods`]), the settings, the one budget every attempt spends (app
//! codes, recovery codes and key answers alike: [`Guesses`]), recovery codes
//! that come with the first factor, and signing out the other sessions when
//! the factors change. The authenticator app ([`super::app`]) and security
//! keys ([`super::keys`]) both build on this file and on nothing of each
//! other's but the one check a step-up may take either way.

use super::{keys_store, recovery, store, totp};
use crate::actor::{AccountId, ClientMeta, SessionId};
use crate::change::Change;
use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::events::{self, Event, EventKind};
use crate::lifetimes::EndReason;
use crate::limits::{Attempt, Backoff, Budget, LimitKey, LimitKind, OnSuccess};
use crate::sessions::{self, NewSession, Which};
use crate::support::secret::Secret;

#[derive(Clone, Debug)]
pub struct TwoFactorConfig {
    /// The name authenticator apps show next to the code.
    pub issuer: String,
    /// Second-factor attempts per account (app codes, recovery codes, key
    /// answers): a few free, then a growing delay up to the cap.
    pub backoff: Backoff,
    /// How long into a 30-second step the previous step's code is still
    /// accepted; a code therefore lives at most 30 s plus this.
    pub previous_step_grace_secs: i64,
}

impl Default for TwoFactorConfig {
    fn default() -> Self {
        TwoFactorConfig {
            issuer: "Warden".into(),
            backoff: Backoff { free_failures: 3, base_secs: 2, max_secs: 900, window_secs: 3600 },
            previous_step_grace_secs: totp::DEFAULT_GRACE_SECS,
        }
    }
}

/// The outcome of a change to the second factor: its result, and what it
/// did to the account's other sessions.
pub struct Applied<T> {
    pub value: T,
    /// This session's new token, when the other sessions were signed out.
    pub renewed: Option<NewSession>,
    pub other_sessions_ended: u64,
}

/// The account's one second-factor budget: every attempt (an app code, a
/// recovery code, a key's answer) spends a unit of it before it is checked.
pub(crate) struct Guesses<'w> {
    deps: &'w Deps,
    cfg: &'w TwoFactorConfig,
}

impl<'w> Guesses<'w> {
    pub(crate) fn new(deps: &'w Deps, cfg: &'w TwoFactorConfig) -> Self {
        Guesses { deps, cfg }
    }

    /// Admits one attempt: spends a unit before anything is checked, or
    /// refuses while it must wait. A right answer calls
    /// [`Attempt::passed`], which gives the budget back.
    pub(crate) async fn attempt(&self, account: AccountId) -> Result<Attempt> {
        let budget = Budget::new(limit_key(account), self.cfg.backoff, OnSuccess::Clear);
        self.deps.limiter.attempt(vec![budget], self.deps.now()).await
    }

    /// Seconds until the budget takes another attempt, if it is spent: for
    /// not starting a ceremony that could not be answered (admits nothing).
    pub(crate) async fn waiting(&self, account: AccountId) -> Result<Option<i64>> {
        let budget = Budget::new(limit_key(account), self.cfg.backoff, OnSuccess::Clear);
        self.deps.limiter.waiting(&[budget], self.deps.now()).await
    }

    /// Records a refused second factor (its unit is already spent).
    pub(crate) async fn failed_event(&self, account: AccountId, meta: &ClientMeta, kind: EventKind, detail: &str) -> Result<()> {
        events::record(self.deps.pool(), Some(account), &Event::with_detail(kind, detail), meta, self.deps.now()).await
    }
}

/// When `wanted`, ends every other session of the account (in the change's
/// transaction, reason "Two-factor settings changed") and gives this one a
/// new token, as a password change does.
pub(crate) async fn sign_out_others(
    change: &mut Change<'_>,
    account: AccountId,
    session: &SessionId,
    wanted: bool,
) -> Result<(Option<NewSession>, u64)> {
    if !wanted {
        return Ok((None, 0));
    }
    let at = change.at();
    let renewed = sessions::renew(change.db(), account, session, at, false).await?;
    let ended = sessions::end(change, Which::OthersOf(account, session), EndReason::TwoFactorChanged).await?;
    Ok((Some(renewed), ended))
}

fn limit_key(account: AccountId) -> LimitKey {
    LimitKey::account(LimitKind::SecondFactor, account)
}

/// Whether the authenticator app is on (one second factor among others:
/// "has two-factor authentication" is [`has_second_factor`]).
pub async fn totp_enabled(db: &sqlx::AnyPool, account: AccountId) -> Result<bool> {
    Ok(totp_enabled_since(db, account).await?.is_some())
}

/// Since when the authenticator app is on, if it is.
pub async fn totp_enabled_since(db: &sqlx::AnyPool, account: AccountId) -> Result<Option<i64>> {
    Ok(store::totp(db, account).await?.and_then(|r| r.enabled_at))
}

/// The account's second factors, as the pages, the API and the mails name them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Methods {
    /// Since when the authenticator app is on.
    pub authenticator_app_since: Option<i64>,
    /// Security keys, passkeys among them.
    pub security_keys: i64,
    pub passkeys: i64,
    pub recovery_codes_left: i64,
}

impl Methods {
    /// Whether signing in (and every change of the step-up table) asks for
    /// a second factor: any method counts.
    pub fn any(&self) -> bool {
        self.authenticator_app_since.is_some() || self.security_keys > 0
    }
    /// The methods by their wire names (`authenticator_app`, `security_key`,
    /// `passkey`, `recovery_code`), for the API.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.authenticator_app_since.is_some() {
            names.push("authenticator_app");
        }
        if self.security_keys > self.passkeys {
            names.push("security_key");
        }
        if self.passkeys > 0 {
            names.push("passkey");
        }
        if self.any() && self.recovery_codes_left > 0 {
            names.push("recovery_code");
        }
        names
    }
}

/// The account's second factors.
pub async fn methods(db: &sqlx::AnyPool, account: AccountId) -> Result<Methods> {
    let (authenticator_app_since, security_keys, passkeys, recovery_codes_left) = store::methods(db, account).await?;
    Ok(Methods { authenticator_app_since, security_keys, passkeys, recovery_codes_left })
}

/// Whether the account has any second factor (the authenticator app, a
/// security key or a passkey): what "two-factor authentication is on"
/// means on every page, in the API and in mail.
pub async fn has_second_factor(db: &sqlx::AnyPool, account: AccountId) -> Result<bool> {
    Ok(totp_enabled(db, account).await? || has_keys(db, account).await?)
}

/// Ten new recovery codes and what is stored of them.
pub(crate) async fn new_recovery_codes(deps: &Deps) -> Result<(Vec<Secret>, Vec<store::StoredCode>)> {
    let codes = recovery::generate_codes(recovery::DEFAULT_COUNT);
    let mut stored = Vec::with_capacity(codes.len());
    for c in &codes {
        let normal = recovery::normalize(c.expose()).ok_or_else(|| Error::internal("recovery code format"))?;
        let lookup = recovery::lookup(&normal);
        stored.push(store::StoredCode { hash: deps.hasher.hash_secret(&Secret::new(normal)).await?, lookup });
    }
    Ok((codes, stored))
}

/// Replaces the account's recovery codes (for the first security key).
pub(crate) async fn store_recovery_codes(db: &mut sqlx::AnyConnection, account: AccountId, codes: &[store::StoredCode], at: i64) -> Result<()> {
    store::replace_recovery_codes(db, account, codes, at).await
}

/// Deletes the account's recovery codes (its last second factor removed).
pub(crate) async fn delete_recovery_codes(db: &mut sqlx::AnyConnection, account: AccountId) -> Result<()> {
    store::delete_recovery_codes(db, account).await
}

/// How many unused recovery codes the account has.
pub async fn recovery_codes_left(db: &sqlx::AnyPool, account: AccountId) -> Result<i64> {
    store::recovery_codes_left(db, account).await
}

/// Whether the account has at least one security key.
pub async fn has_keys(db: &sqlx::AnyPool, account: AccountId) -> Result<bool> {
    Ok(keys_store::count(db, account).await? > 0)
}

/// How many security keys the account has, and how many are passkeys.
pub async fn count_keys(db: &sqlx::AnyPool, account: AccountId) -> Result<(i64, i64)> {
    keys_store::count_kinds(db, account).await
}
