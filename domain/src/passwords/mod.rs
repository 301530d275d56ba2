//! Changing a password with the old one ([`Passwords::change`]), and
//! resetting a forgotten one by an emailed link (`reset.rs`).

mod reset;
mod store;

pub use reset::{ResetLink, ResetToken, RESET_COOKIE_MAX_SECS};

use crate::accounts;
use crate::actor::{Actor, ClientMeta};
use crate::change::Change;
use crate::credentials::policy::Strength;
use crate::credentials::{new_password, NewPassword};
use crate::deps::Deps;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{self, Event, EventKind};
use crate::limits::{Backoff, Budget, LimitKey, LimitKind, OnSuccess};
use crate::outbox::notices::Notice;
use crate::sessions::{self, EndReason, NewSession, Which};
use crate::support::secret::Secret;

#[derive(Clone, Debug)]
pub struct PasswordsConfig {
    /// How long a password-reset link works.
    pub reset_link_secs: i64,
    /// Wrong current passwords on the Password page, per client IP (its
    /// /48 or /24 gets eight times as many). Per account they count against
    /// the one password-proof budget (`StepUpConfig::password_backoff`).
    pub change_backoff: Backoff,
    /// Reset-link requests per address: a few an hour are free.
    pub reset_address_backoff: Backoff,
    /// Reset-link requests per client IP, across addresses.
    pub reset_ip_backoff: Backoff,
}

impl Default for PasswordsConfig {
    fn default() -> Self {
        PasswordsConfig {
            reset_link_secs: 30 * 60,
            change_backoff: Backoff { free_failures: 5, base_secs: 2, max_secs: 900, window_secs: 3600 },
            reset_address_backoff: Backoff { free_failures: 3, base_secs: 60, max_secs: 3600, window_secs: 3600 },
            reset_ip_backoff: Backoff { free_failures: 20, base_secs: 60, max_secs: 3600, window_secs: 3600 },
        }
    }
}

/// What the Password page shows about the account's password.
#[derive(Clone, Debug)]
pub struct PasswordStatus {
    /// When it was last changed or reset; `None` if never since sign-up.
    pub changed_at: Option<i64>,
    pub created_at: i64,
}

/// The outcome of a change: the current session's new token, and how many
/// other sessions ended.
pub struct Changed {
    pub session: NewSession,
    pub other_sessions_ended: u64,
}

/// Strength readings per person: a burst of ten, then one a second (the
/// meter asks once typing pauses).
pub const STRENGTH_RATE: crate::limits::Rate = crate::limits::Rate { max: 10, per_secs: 10 };

fn wrong_current() -> Error {
    Error::refused(ErrorCode::WrongCurrentPassword, "Your current password is not right. Nothing was changed.")
}

pub struct Passwords<'w> {
    deps: &'w std::sync::Arc<Deps>,
    cfg: &'w PasswordsConfig,
    /// The account's one budget for passwords typed in a signed-in session.
    proof_backoff: Backoff,
}

impl<'w> Passwords<'w> {
    pub fn new(deps: &'w std::sync::Arc<Deps>, cfg: &'w PasswordsConfig, proof_backoff: Backoff) -> Self {
        Passwords { deps, cfg, proof_backoff }
    }

    pub async fn status(&self, actor: &Actor) -> Result<PasswordStatus> {
        let a = accounts::find(self.deps.pool(), actor.account()?).await?;
        Ok(PasswordStatus { changed_at: a.password_changed_at, created_at: a.created_at })
    }

    /// The strength meter for a signed-in person (their username and email
    /// count against the password). Nothing is stored or logged. Each
    /// reading costs a zxcvbn run, so an account gets [`STRENGTH_RATE`].
    pub async fn strength(&self, actor: &Actor, candidate: &Secret) -> Result<Strength> {
        let (account, _) = actor.browser_session()?;
        self.meter_allows(LimitKey::account(LimitKind::StrengthMeter, account)).await?;
        let a = accounts::find(self.deps.pool(), account).await?;
        new_password::strength(candidate, &a.chooser(None)).await
    }

    /// One reading of the strength meter against `key`'s rate.
    pub(crate) async fn meter_allows(&self, key: LimitKey) -> Result<()> {
        let d = self.deps.limiter.take(&key, STRENGTH_RATE, self.deps.now_ms()).await?;
        if d.allowed {
            Ok(())
        } else {
            Err(Error::Throttled(d.retry_after_secs.max(1)))
        }
    }

    /// Change the password, proving the current one. The current session
    /// always gets a new token; with `sign_out_others`, every other session
    /// ends ("password changed"). Open reset links close.
    pub async fn change(
        &self,
        actor: &Actor,
        current: &Secret,
        new: &Secret,
        confirm: &Secret,
        sign_out_others: bool,
        meta: &ClientMeta,
    ) -> Result<Changed> {
        let (account_id, session) = actor.browser_session()?;
        let now = self.deps.now();
        let mut budgets = vec![Budget::new(LimitKey::account(LimitKind::PasswordProof, account_id), self.proof_backoff, OnSuccess::Clear)];
        budgets.extend(Budget::client(LimitKind::PasswordChangeIp, &meta.ip, self.cfg.change_backoff, OnSuccess::Refund));
        let attempt = self.deps.limiter.attempt(budgets, now).await?;
        let account = accounts::find(self.deps.pool(), account_id).await?;
        if !self.deps.hasher.verify(current, Some(&account.password_hash)).await? {
            events::record(self.deps.pool(), Some(account_id), &Event::new(EventKind::PasswordChangeFailed), meta, now).await?;
            return Err(wrong_current());
        }
        attempt.passed().await;
        let new = NewPassword::parse(new, confirm, &account.chooser(Some(current))).await?;
        let hash = self.deps.hasher.hash_password(&new).await?;

        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        // Compare-and-set on the hash we verified against: two changes racing
        // with the same old password cannot both win.
        if !accounts::set_password_hash(change.db(), account_id, &hash, Some(&account.password_hash), at).await? {
            return Err(wrong_current());
        }
        store::close_open(change.db(), account_id, at, store::Closed::PasswordChanged).await?;
        let renewed = sessions::renew(change.db(), account_id, session, at, false).await?;
        let ended =
            if sign_out_others { sessions::end(&mut change, Which::OthersOf(account_id, session), EndReason::PasswordChanged).await? } else { 0 };
        let notice =
            Notice { to: account.email, subject: "Your Warden password was changed", what: "The password of your Warden account was changed".into() };
        let event = Event::with_detail(EventKind::PasswordChanged, sessions::signed_out_detail(ended, "other "));
        change.commit(Some(account_id), event, Some(notice), meta).await?;
        Ok(Changed { session: renewed, other_sessions_ended: ended })
    }
}
