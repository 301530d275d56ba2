//! Protection: a PIN that guards the reports of earlier days (the help
//! article: "requires the entry of a unique PIN code if someone needs to
//! check the reporting for the previous days").
//!
//! - Setting, changing and removing the PIN take the step-up of
//!   [`crate::sensitive`] (the account password, and a second factor when
//!   the account has one): whoever holds only a session cannot set a PIN
//!   the owner does not know, nor take it away. Forgetting the PIN is
//!   handled the same way: remove it with the password (and second factor).
//! - The PIN is stored only as an argon2id hash ([`pin`] holds the policy).
//! - Entering it unlocks earlier days for the session that entered it, for
//!   `unlock_secs` (15 minutes). The unlock is a column of that session, so
//!   ending the session ends it; a new session token (password change, 2FA
//!   change), Lock now, and a PIN change or removal end it too.
//! - 4 to 8 digits is a small space, so the throttle is the real protection:
//!   three wrong PINs free, then growing delays, and the tenth wrong PIN
//!   within an hour locks the PIN for an hour and mails the owner. Every
//!   guess spends its unit of both budgets before the PIN is hashed, so a
//!   burst of parallel guesses gets three checks, not one per request. Both
//!   budgets live in the limiter port (shared by every instance when the
//!   limiter is), and a limiter that cannot be reached refuses the guess.
//! - [`ReportsUnlocked`] is the gate: the only way to it is
//!   [`Protection::reports_gate`], and every read of a report range takes one.

pub mod pin;
mod store;

use crate::accounts;
use crate::actor::{AccountId, Actor, ClientMeta};
use crate::change::Change;
use crate::deps::Deps;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{self, Event, EventKind};
use crate::limits::{Backoff, Budget, LimitKey, LimitKind, OnSuccess};
use crate::outbox::notices::Notice;
use crate::second_factor;
use crate::sensitive::{Confirmed, Operation};
use crate::sessions;
use crate::support::secret::Secret;
use crate::support::zone::Zone;
use jiff::civil::Date;
use pin::NewPin;

#[derive(Clone, Debug)]
pub struct ProtectionConfig {
    /// How long entering the PIN unlocks earlier days, for that session.
    pub unlock_secs: i64,
    /// Wrong PINs per account: a few free, then growing delays.
    pub wrong_pin_delay: Backoff,
    /// Wrong PINs per account: after `free_failures` within `window_secs`,
    /// the PIN is locked for `max_secs` and the owner is mailed.
    pub wrong_pin_lock: Backoff,
}

impl Default for ProtectionConfig {
    fn default() -> Self {
        ProtectionConfig {
            unlock_secs: 15 * 60,
            wrong_pin_delay: Backoff { free_failures: 3, base_secs: 2, max_secs: 300, window_secs: 3600 },
            wrong_pin_lock: Backoff { free_failures: 10, base_secs: 3600, max_secs: 3600, window_secs: 3600 },
        }
    }
}

/// What the Protection tab and Reporting show about the PIN.
#[derive(Clone, Debug)]
pub struct PinStatus {
    /// When the PIN was set (or last changed); `None` when there is none.
    pub set_since: Option<i64>,
    /// Until when this session has earlier days unlocked.
    pub unlocked_until: Option<i64>,
    /// Seconds until the PIN takes guesses again, when it is locked or delayed.
    pub wait_secs: Option<i64>,
    /// Whether the changes below ask for a second factor (the account has one).
    pub two_factor_on: bool,
    /// Whether a security key can be that factor.
    pub security_key: bool,
    pub unlock_minutes: i64,
}

/// A report range that may leave the server: made only by
/// [`Protection::reports_gate`], which checked that the range holds only
/// today, or that no PIN is set, or that this session holds a live unlock.
#[derive(Clone, Debug)]
pub struct ReportsUnlocked {
    account: AccountId,
    zone: Zone,
    from: Date,
    to: Date,
}

impl ReportsUnlocked {
    pub fn account(&self) -> AccountId {
        self.account
    }
    pub fn zone(&self) -> &Zone {
        &self.zone
    }
    pub fn from(&self) -> Date {
        self.from
    }
    pub fn to(&self) -> Date {
        self.to
    }
}

fn pin_required() -> Error {
    Error::refused(ErrorCode::PinRequired, "Reports of previous days are protected: enter your PIN to see them.")
}

fn already_set() -> Error {
    Error::refused(ErrorCode::PinAlreadySet, "A PIN is already set: change it or remove it.")
}

fn not_set() -> Error {
    Error::refused(ErrorCode::PinNotSet, "No PIN is set. Nothing was changed.")
}

/// Since when the account's PIN is set, if it is (for the account's
/// overview; changing it is [`Protection`]'s).
pub async fn pin_set_since(db: &sqlx::AnyPool, account: AccountId) -> Result<Option<i64>> {
    Ok(store::pin(db, account).await?.map(|(_, at)| at))
}

pub struct Protection<'w> {
    deps: &'w Deps,
    cfg: &'w ProtectionConfig,
}

/// The PIN's two budgets: growing delays, and the hour-long lock.
fn pin_budgets(cfg: &ProtectionConfig, account: AccountId) -> Vec<Budget> {
    vec![
        Budget::new(LimitKey::account(LimitKind::PinDelay, account), cfg.wrong_pin_delay, OnSuccess::Clear),
        Budget::new(LimitKey::account(LimitKind::PinLock, account), cfg.wrong_pin_lock, OnSuccess::Clear),
    ]
}

impl<'w> Protection<'w> {
    pub fn new(deps: &'w Deps, cfg: &'w ProtectionConfig) -> Self {
        Protection { deps, cfg }
    }

    pub async fn status(&self, actor: &Actor) -> Result<PinStatus> {
        let (account, session) = actor.browser_session()?;
        let db = self.deps.pool();
        let set_since = store::pin(db, account).await?.map(|(_, at)| at);
        let now = self.deps.now();
        let unlocked_until = match set_since {
            Some(_) => sessions::reports_unlocked_until(db, account, session).await?.filter(|&u| u > now),
            None => None,
        };
        let wait_secs = self.deps.limiter.waiting(&pin_budgets(self.cfg, account), now).await.unwrap_or(None);
        let methods = second_factor::methods(db, account).await?;
        Ok(PinStatus {
            set_since,
            unlocked_until,
            wait_secs,
            two_factor_on: methods.any(),
            security_key: methods.security_keys > 0,
            unlock_minutes: self.cfg.unlock_secs / 60,
        })
    }

    fn new_pin(actor: &Actor, pin: &Secret, confirm: &Secret) -> Result<NewPin> {
        NewPin::parse(pin, confirm, actor.username().unwrap_or_default()).map_err(|why| Error::refused(ErrorCode::InvalidPin, why.message()))
    }

    /// Turns the PIN on, once the step-up passed. Mails the owner.
    pub async fn set_pin(&self, actor: &Actor, confirmed: &Confirmed, pin: &Secret, confirm: &Secret, meta: &ClientMeta) -> Result<()> {
        let (account, _) = actor.browser_session()?;
        confirmed.covers(account, Operation::SetPin)?;
        let new = Self::new_pin(actor, pin, confirm)?;
        if store::pin(self.deps.pool(), account).await?.is_some() {
            return Err(already_set());
        }
        let owner = accounts::find(self.deps.pool(), account).await?;
        let hash = self.deps.hasher.hash_secret(new.secret()).await?;
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        if !store::insert(change.db(), account, &hash, at).await? {
            return Err(already_set());
        }
        let notice = Notice {
            to: owner.email,
            subject: "A PIN now protects your Warden reports",
            what: "A PIN was set to protect the reports of previous days on your Warden account".into(),
        };
        change.commit(Some(account), Event::new(EventKind::PinSet), Some(notice), meta).await
    }

    /// A new PIN in place of the old, once the step-up passed; every
    /// session's unlock ends. Mails the owner.
    pub async fn change_pin(&self, actor: &Actor, confirmed: &Confirmed, pin: &Secret, confirm: &Secret, meta: &ClientMeta) -> Result<()> {
        let (account, _) = actor.browser_session()?;
        confirmed.covers(account, Operation::ChangePin)?;
        let new = Self::new_pin(actor, pin, confirm)?;
        let (old, _) = store::pin(self.deps.pool(), account).await?.ok_or_else(not_set)?;
        let owner = accounts::find(self.deps.pool(), account).await?;
        let hash = self.deps.hasher.hash_secret(new.secret()).await?;
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        if !store::replace(change.db(), account, &old, &hash, at).await? {
            return Err(not_set());
        }
        sessions::lock_reports(change.db(), account, None).await?;
        let notice = Notice {
            to: owner.email,
            subject: "Your Warden PIN was changed",
            what: "The PIN that protects the reports of previous days on your Warden account was changed".into(),
        };
        change.commit(Some(account), Event::new(EventKind::PinChanged), Some(notice), meta).await
    }

    /// Turns the PIN off (also the way out of a forgotten PIN), once the
    /// step-up passed; every session's unlock ends. Mails the owner.
    pub async fn remove_pin(&self, actor: &Actor, confirmed: &Confirmed, meta: &ClientMeta) -> Result<()> {
        let (account, _) = actor.browser_session()?;
        confirmed.covers(account, Operation::RemovePin)?;
        if store::pin(self.deps.pool(), account).await?.is_none() {
            return Err(not_set());
        }
        let owner = accounts::find(self.deps.pool(), account).await?;
        let mut change = Change::begin(self.deps).await?;
        if !store::remove(change.db(), account).await? {
            return Err(not_set());
        }
        sessions::lock_reports(change.db(), account, None).await?;
        let notice = Notice {
            to: owner.email,
            subject: "The PIN on your Warden reports was removed",
            what: "The PIN that protected the reports of previous days on your Warden account was removed".into(),
        };
        change.commit(Some(account), Event::new(EventKind::PinRemoved), Some(notice), meta).await
    }

    /// The right PIN unlocks earlier days for this session until the
    /// returned moment. Each guess spends its unit of both PIN budgets
    /// before the PIN is hashed.
    pub async fn unlock(&self, actor: &Actor, typed: &Secret, meta: &ClientMeta) -> Result<i64> {
        let (account, session) = actor.browser_session()?;
        let (hash, _) = store::pin(self.deps.pool(), account).await?.ok_or_else(not_set)?;
        let t = typed.expose();
        if !(pin::MIN_DIGITS..=pin::MAX_DIGITS).contains(&t.len()) || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::refused(ErrorCode::InvalidPin, pin::PinRefusal::Length.message()));
        }
        let attempt = self.deps.limiter.attempt(pin_budgets(self.cfg, account), self.deps.now()).await?;
        if !self.deps.hasher.verify(typed, Some(&hash)).await? {
            let lock = attempt.record(LimitKind::PinLock).map_or(0, |r| r.failures);
            return Err(self.wrong_pin(account, lock, meta).await?);
        }
        attempt.passed().await;
        let now = self.deps.now();
        let until = now + self.cfg.unlock_secs;
        if !sessions::unlock_reports(self.deps.pool(), account, session, until).await? {
            return Err(Error::not_signed_in());
        }
        let minutes = self.cfg.unlock_secs / 60;
        let event = Event::with_detail(EventKind::ReportsUnlocked, format!("for this session, {minutes} minutes"));
        events::record(self.deps.pool(), Some(account), &event, meta, now).await?;
        Ok(until)
    }

    /// A wrong PIN (its units already spent; `failures` is the lock
    /// budget's count with it); the one that reaches the lock mails the owner.
    async fn wrong_pin(&self, account: AccountId, failures: u32, meta: &ClientMeta) -> Result<Error> {
        let now = self.deps.now();
        let lock = &self.cfg.wrong_pin_lock;
        if failures == lock.free_failures {
            let owner = accounts::find(self.deps.pool(), account).await?;
            let notice = Notice {
                to: owner.email,
                subject: "Your Warden PIN is locked after 10 wrong PINs",
                what: "Someone entered a wrong PIN 10 times on your Warden account, and the PIN is now locked for an hour; the last attempt was"
                    .into(),
            };
            let detail = format!("{} wrong PINs within an hour", lock.free_failures);
            Change::begin(self.deps).await?.commit(Some(account), Event::with_detail(EventKind::PinLocked, detail), Some(notice), meta).await?;
            return Ok(Error::Throttled(lock.max_secs));
        }
        events::record(self.deps.pool(), Some(account), &Event::new(EventKind::PinFailed), meta, now).await?;
        let left = lock.free_failures.saturating_sub(failures);
        let more = if left == 1 { "One more wrong PIN locks it".to_owned() } else { format!("{left} more wrong PINs lock it") };
        Ok(Error::refused(ErrorCode::WrongPin, format!("That PIN is not right. {more} for an hour.")))
    }

    /// Lock now: this session's unlock ends.
    pub async fn lock(&self, actor: &Actor) -> Result<()> {
        let (account, session) = actor.browser_session()?;
        sessions::lock_reports(self.deps.pool(), account, Some(session)).await
    }

    /// The gate of every report read: a range within today always passes;
    /// one that reaches an earlier day passes only when no PIN is set or
    /// this session holds a live unlock. Refused: [`ErrorCode::PinRequired`].
    ///
    /// An API token passes for every day: it was made with the account
    /// password, and the PIN guards the dashboard, never the API (DESIGN.md).
    pub async fn reports_gate(&self, actor: &Actor, zone: Zone, from: Date, to: Date) -> Result<ReportsUnlocked> {
        if let Actor::ApiToken(bearer) = actor {
            return Ok(ReportsUnlocked { account: bearer.account, zone, from, to });
        }
        let (account, _) = actor.browser_session()?;
        let now = self.deps.now();
        if (zone.reaches_an_earlier_day(from, now) || zone.reaches_an_earlier_day(to, now)) && self.is_locked(actor).await? {
            return Err(pin_required());
        }
        Ok(ReportsUnlocked { account, zone, from, to })
    }

    /// Whether a PIN is set and this session is not unlocked: what changing
    /// the time zone (which moves "today") must not get around.
    pub async fn is_locked(&self, actor: &Actor) -> Result<bool> {
        let (account, session) = actor.browser_session()?;
        let db = self.deps.pool();
        let now = self.deps.now();
        Ok(store::pin(db, account).await?.is_some() && sessions::reports_unlocked_until(db, account, session).await?.is_none_or(|u| u <= now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limiter;

    /// One wrong PIN the way [`Protection::unlock`] spends it: both budgets
    /// taken before the check. The lock record's count, or the wait.
    async fn wrong(l: &Limiter, cfg: &ProtectionConfig, a: AccountId, now: i64) -> std::result::Result<u32, i64> {
        match l.attempt(pin_budgets(cfg, a), now).await {
            Ok(attempt) => Ok(attempt.record(LimitKind::PinLock).map_or(0, |r| r.failures)),
            Err(Error::Throttled(w)) => Err(w),
            Err(e) => panic!("{e}"),
        }
    }

    #[tokio::test]
    async fn a_pin_guess_that_cannot_be_counted_is_refused() {
        let cfg = ProtectionConfig::default();
        let l = Limiter::new(std::sync::Arc::new(crate::limits::unreachable::Down));
        let got = l.attempt(pin_budgets(&cfg, AccountId::new(1)), 0).await.map_err(|e| e.code());
        assert_eq!(got.err(), Some(ErrorCode::Unavailable));
    }

    #[tokio::test]
    async fn three_wrong_pins_are_free_then_delays_grow_and_the_tenth_locks_for_an_hour() {
        let cfg = ProtectionConfig::default();
        let l = Limiter::in_memory();
        let a = AccountId::new(1);
        let mut t = 1_000_000;
        for n in 1..=3 {
            assert_eq!(wrong(&l, &cfg, a, t).await, Ok(n));
        }
        assert_eq!(wrong(&l, &cfg, a, t).await, Err(2), "after three, the delays start");
        let mut last = 2;
        for n in 4..=9 {
            t += 300;
            assert_eq!(wrong(&l, &cfg, a, t).await, Ok(n), "a delay is over after at most five minutes");
            let w = wrong(&l, &cfg, a, t).await.expect_err("a delay");
            assert!(w > last && w <= 300, "growing: {w} after {last}");
            last = w;
        }
        t += 300;
        assert_eq!(wrong(&l, &cfg, a, t).await, Ok(cfg.wrong_pin_lock.free_failures), "the tenth wrong PIN");
        assert_eq!(wrong(&l, &cfg, a, t).await, Err(3600), "locked for an hour");
        assert_eq!(wrong(&l, &cfg, a, t + 3599).await, Err(1));
        assert!(wrong(&l, &cfg, a, t + 3601).await.is_ok(), "and open again after it");
        // Another account's budget is its own.
        assert_eq!(wrong(&l, &cfg, AccountId::new(2), t).await, Ok(1));
    }
}
