//! The limiter port: every guessable thing has a budget here, under a
//! typed, namespaced key (`warden:limit:<kind>:<id>`).
//!
//! Two policies over one store: a growing delay after failures
//! ([`Backoff`], for password, code and PIN guesses, and for things counted
//! on every use such as sign-ups and reset mails) and a smooth fixed rate
//! ([`Rate`], for the API). Where the state lives is behind [`LimitStore`]:
//! in this process by default ([`MemoryStore`]), or a store shared by every
//! instance (the Redis adapter lives in the server, beside the other
//! adapters).
//!
//! **Budgets take before they verify.** The one step on a backoff budget is
//! [`Limiter::attempt`]: it spends one unit of every budget the attempt
//! counts against, atomically and all together (one lock in memory, one
//! script in Redis), *before* the slow check (argon2, TOTP, PIN, a key's
//! signature), and refuses when any of them has none left. A wrong answer
//! keeps its unit spent; a right one clears or refunds it as each budget's
//! [`OnSuccess`] says. There is no "check now, count later": a burst of
//! parallel requests all reading one free budget would each be verified.
//! So under any concurrency at most `free_failures` attempts are verified
//! before the waits begin. The refused-API-token damper is the one
//! exception, and says why ([`LimitKind::ApiTokenIp`]): it guards a cheap
//! lookup, not a guess, and of a burst it still answers only the free
//! units with a refusal.
//!
//! When the store cannot be reached each kind follows its own outage
//! policy: guesses fail closed ("try again shortly"), the API rate and the
//! flood dampers fail open with a log line.

pub mod backoff;
pub mod memory;
pub mod rate;
pub mod seen;

pub use backoff::{Backoff, Record};
pub use memory::MemoryStore;
pub use rate::{Rate, RateDecision};

use crate::actor::AccountId;
use crate::{Error, Result};
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

/// What a budget is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LimitKind {
    /// Wrong passwords at sign-in, per login as typed (folded): a username
    /// and an email address of one account are two budgets, so a throttle
    /// never tells that they belong together, and an unknown login is
    /// throttled exactly like a known one.
    SignInLogin,
    /// Wrong passwords at sign-in, per client IP across accounts.
    SignInIp,
    /// Wrong passwords at sign-in from a browser that holds the account's
    /// device cookie: its own budget instead of the login's.
    SignInDevice,
    /// Wrong second factors (app codes, recovery codes, key answers), per
    /// account. Only a passed second factor clears it, never a password.
    SecondFactor,
    /// Every password a signed-in person types to prove it is them (the
    /// Password page, confirming a sensitive change, a new API token): one
    /// budget per account, so a session holder gets one set of guesses,
    /// not one per form.
    PasswordProof,
    /// Wrong current passwords on the Password page, per client IP.
    PasswordChangeIp,
    /// Reset-link requests, per address and per IP.
    ResetAddress,
    ResetIp,
    /// REST API requests, per account.
    Api,
    /// Sign-ups per client IP, every attempt (each costs a password hash).
    SignUpIp,
    /// Confirmation and "someone tried to sign up" mails, per address: a
    /// stranger cannot make Warden flood an inbox.
    AccountMailAddress,
    /// "Send the link again" for email verification, per account.
    VerifyResend,
    /// Wrong Protection PINs, per account: growing delays.
    PinDelay,
    /// Wrong Protection PINs, per account: the hour-long lock after ten.
    PinLock,
    /// Bearer tokens the REST API refused (malformed, unknown, expired,
    /// deleted, or from a network the token may not be used from), per
    /// client IP: growing delays. It fails open: a token holds 178 random
    /// bits, so the budget damps floods of lookups rather than guesses, and
    /// an unreachable store must not take the API down. The one budget
    /// that is not spent before its check: a waiting address is refused
    /// before any lookup, a refusal spends its unit before it is answered,
    /// and a token that opens spends nothing, so a client's parallel good
    /// requests never throttle each other (see `ApiTokens::admit`).
    ApiTokenIp,
    /// Passwordless sign-ins started, per client IP, every one (each holds
    /// a challenge row for a few minutes). Fails open: a start guesses
    /// nothing, and passkeys must not go down with the limiter's store.
    PasskeyStartIp,
    /// Passkey autofill requests started, per client IP: the sign-in page
    /// starts one on every load where the browser offers passkeys in the
    /// username field (conditional mediation). Its own budget, with room
    /// for page loads, so reloading the page never locks the button out.
    /// Fails open, like [`LimitKind::PasskeyStartIp`].
    PasskeyAutofillIp,
    /// The password strength meter, per account: each answer costs a
    /// zxcvbn run.
    StrengthMeter,
    /// Revocations by whoever holds a token (`POST /api/v1/tokens/revoke`),
    /// per client IP, every one. Fails open: killing a leaked token must
    /// work while the limiter's store is down, and a revocation guesses
    /// nothing (a token holds 178 random bits).
    TokenRevokeIp,
}

/// What happens when the limiter's store cannot be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outage {
    /// Refuse: a guess that cannot be counted is not allowed.
    FailClosed,
    /// Allow, and say so in the log: availability over a rate.
    FailOpen,
}

impl LimitKind {
    pub fn name(self) -> &'static str {
        match self {
            LimitKind::SignInLogin => "sign_in_login",
            LimitKind::SignInIp => "sign_in_ip",
            LimitKind::SignInDevice => "sign_in_device",
            LimitKind::SecondFactor => "second_factor",
            LimitKind::PasswordProof => "password_proof",
            LimitKind::PasswordChangeIp => "password_change_ip",
            LimitKind::ResetAddress => "reset_address",
            LimitKind::ResetIp => "reset_ip",
            LimitKind::Api => "api",
            LimitKind::SignUpIp => "sign_up_ip",
            LimitKind::AccountMailAddress => "account_mail_address",
            LimitKind::VerifyResend => "verify_resend",
            LimitKind::PinDelay => "pin_delay",
            LimitKind::PinLock => "pin_lock",
            LimitKind::ApiTokenIp => "api_token_ip",
            LimitKind::PasskeyStartIp => "passkey_start_ip",
            LimitKind::PasskeyAutofillIp => "passkey_autofill_ip",
            LimitKind::StrengthMeter => "strength_meter",
            LimitKind::TokenRevokeIp => "token_revoke_ip",
        }
    }

    pub fn on_outage(self) -> Outage {
        match self {
            LimitKind::Api
            | LimitKind::ApiTokenIp
            | LimitKind::PasskeyStartIp
            | LimitKind::PasskeyAutofillIp
            | LimitKind::StrengthMeter
            | LimitKind::TokenRevokeIp => Outage::FailOpen,
            _ => Outage::FailClosed,
        }
    }
}

/// Whose budget a key is, which decides how the in-memory store may bound
/// it: accounts and device cookies are rows of the database (bounded by
/// it, never evicted), while addresses and typed text are anyone's to mint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Owner {
    Account,
    Device,
    Client,
    Typed,
}

impl Owner {
    /// Keys an outsider can make as many of as they like.
    pub fn is_mintable(self) -> bool {
        matches!(self, Owner::Client | Owner::Typed)
    }
}

/// One budget: a kind and whose it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LimitKey {
    kind: LimitKind,
    owner: Owner,
    id: String,
}

impl LimitKey {
    pub fn account(kind: LimitKind, account: AccountId) -> Self {
        LimitKey { kind, owner: Owner::Account, id: account.to_string() }
    }
    /// A client address by the block one subscriber normally holds: an
    /// IPv6 address by its /64, an IPv4 address by itself. See
    /// [`Budget::client`] for the wider blocks counted beside it.
    pub fn ip(kind: LimitKind, ip: &str) -> Self {
        LimitKey { kind, owner: Owner::Client, id: ip_block(ip) }
    }
    /// The wider block of a client address: an IPv6 /48 (a site), an
    /// IPv4 /24. Walking a /48's 65,536 /64s, or a /24's 256 addresses,
    /// gains nothing beyond this budget.
    pub fn ip_wide(kind: LimitKind, ip: &str) -> Self {
        LimitKey { kind, owner: Owner::Client, id: ip_wide_block(ip) }
    }
    /// A device cookie, by its row id (never by its token).
    pub fn device(kind: LimitKind, device_id: i64) -> Self {
        LimitKey { kind, owner: Owner::Device, id: device_id.to_string() }
    }
    /// Something a person typed (a login, an email address), folded.
    pub fn typed(kind: LimitKind, typed: &str) -> Self {
        LimitKey { kind, owner: Owner::Typed, id: crate::support::random::token_hash(&typed.trim().to_lowercase()) }
    }
    pub fn kind(&self) -> LimitKind {
        self.kind
    }
    pub fn owner(&self) -> Owner {
        self.owner
    }
    /// `warden:limit:<kind>:<id>`: what the shared store sees.
    pub fn render(&self) -> String {
        format!("warden:limit:{}:{}", self.kind.name(), self.id)
    }
}

fn parse_ip(ip: &str) -> Option<IpAddr> {
    match ip.parse::<IpAddr>().ok()? {
        IpAddr::V6(v6) => Some(v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4)),
        v4 => Some(v4),
    }
}

/// The block a client address counts by: an IPv6 address by its /64, an
/// IPv4 (or IPv4-mapped) address by itself.
pub fn ip_block(ip: &str) -> String {
    match parse_ip(ip) {
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(IpAddr::V4(v4)) => v4.to_string(),
        None => ip.to_owned(),
    }
}

/// The wider block: an IPv6 address by its /48, an IPv4 address by its /24.
pub fn ip_wide_block(ip: &str) -> String {
    match parse_ip(ip) {
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
        Some(IpAddr::V4(v4)) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        None => format!("{ip}/wide"),
    }
}

/// How many times a client budget's allowance its wider block gets.
pub const WIDE_BLOCK_FACTOR: u32 = 8;

/// What a budget does when the attempt it guarded turns out right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnSuccess {
    /// Forget the failures: the owner proved it is them.
    Clear,
    /// Give back the one unit this attempt took (a shared budget, such as
    /// an address's across accounts, that counts only failures).
    Refund,
    /// Keep it spent: the budget counts every use (sign-ups, mails).
    Keep,
}

/// One budget an attempt counts against: its key, its rule, and what a
/// right answer does to it.
#[derive(Clone, Debug)]
pub struct Budget {
    pub key: LimitKey,
    pub rule: Backoff,
    pub on_success: OnSuccess,
}

impl Budget {
    pub fn new(key: LimitKey, rule: Backoff, on_success: OnSuccess) -> Self {
        Budget { key, rule, on_success }
    }

    /// A client's budgets: its own block under `rule`, and its wider block
    /// (/48, /24) with [`WIDE_BLOCK_FACTOR`] times the free allowance.
    pub fn client(kind: LimitKind, ip: &str, rule: Backoff, on_success: OnSuccess) -> [Budget; 2] {
        let wide = Backoff { free_failures: rule.free_failures.saturating_mul(WIDE_BLOCK_FACTOR), ..rule };
        [Budget::new(LimitKey::ip(kind, ip), rule, on_success), Budget::new(LimitKey::ip_wide(kind, ip), wide, on_success)]
    }
}

pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = std::result::Result<T, StoreError>> + Send + 'a>>;

/// The store could not be reached, answered nonsense, or (in memory) is
/// full of live budgets and takes no new key.
#[derive(Debug, thiserror::Error)]
#[error("limiter store: {0}")]
pub struct StoreError(pub String);

/// The answer of [`LimitStore::reserve`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reserved {
    /// One unit of every budget was spent; their records after it, in order.
    Taken(Vec<Record>),
    /// Some budget must wait this many seconds (the longest); nothing was spent.
    Wait(i64),
}

/// Where budgets live. Each method is one atomic step.
pub trait LimitStore: Send + Sync {
    /// Spends one unit of every budget, all or none: when any of them must
    /// wait under its rule, nothing changes and the longest wait comes back.
    fn reserve<'a>(&'a self, budgets: &'a [Budget], now: i64) -> StoreFuture<'a, Reserved>;
    /// The longest wait among `budgets`, if any, changing nothing: for a
    /// page that says how long a lock lasts, never to admit an attempt.
    fn waiting<'a>(&'a self, budgets: &'a [Budget], now: i64) -> StoreFuture<'a, Option<i64>>;
    /// Gives back one unit of `key` (never below none).
    fn refund<'a>(&'a self, key: &'a LimitKey) -> StoreFuture<'a, ()>;
    /// Forgets `key`.
    fn clear<'a>(&'a self, key: &'a LimitKey) -> StoreFuture<'a, ()>;
    /// Takes one request from `key`'s rate.
    fn take<'a>(&'a self, key: &'a LimitKey, rate: Rate, now_ms: i64) -> StoreFuture<'a, RateDecision>;
    /// The arrival time a rate's key holds (microseconds), changing
    /// nothing: for a page that shows how much of the quota is used.
    fn arrival<'a>(&'a self, key: &'a LimitKey, now_ms: i64) -> StoreFuture<'a, Option<i64>>;
    /// Takes one request from `key`'s rate unless a budget of `gate` must
    /// wait under its rule; a request the gate refuses takes nothing. A
    /// shared store does it in one step (one script in Redis: one round
    /// trip where [`Self::waiting`] and [`Self::take`] would be two); this
    /// default is the two steps, as cheap as one in memory.
    fn take_unless_waiting<'a>(&'a self, key: &'a LimitKey, rate: Rate, now_ms: i64, gate: &'a [Budget], now: i64) -> StoreFuture<'a, Gated> {
        Box::pin(async move {
            if let Some(wait) = self.waiting(gate, now).await? {
                return Ok(Gated::Wait(wait));
            }
            Ok(Gated::Rate(self.take(key, rate, now_ms).await?))
        })
    }
}

/// The answer of [`LimitStore::take_unless_waiting`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gated {
    /// A budget of the gate must wait this many seconds (the longest); the
    /// rate was not touched.
    Wait(i64),
    /// The gate is open: the rate's answer.
    Rate(RateDecision),
}

/// The port the slices use.
#[derive(Clone)]
pub struct Limiter {
    store: Arc<dyn LimitStore>,
    /// The waits of kept budgets this instance has been told of (see
    /// [`seen`]).
    seen: Arc<seen::SeenWaits>,
}

/// An attempt that has spent its units: verify, then say how it went. A
/// wrong answer needs nothing more (drop it; the units stay spent); a right
/// one calls [`Attempt::passed`].
#[must_use = "an attempt is only admitted: call passed() when the answer is right"]
pub struct Attempt {
    store: Arc<dyn LimitStore>,
    budgets: Vec<Budget>,
    records: Vec<Record>,
}

impl std::fmt::Debug for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempt").field("records", &self.records).finish_non_exhaustive()
    }
}

impl Attempt {
    /// The record of the budget of `kind` after this attempt took its unit:
    /// how many attempts it now holds. `None` when no budget of that kind
    /// was taken (or the store was down and the kind fails open).
    pub fn record(&self, kind: LimitKind) -> Option<Record> {
        self.budgets.iter().zip(&self.records).find(|(b, _)| b.key.kind() == kind).map(|(_, r)| *r)
    }

    /// The answer was right: each budget clears, refunds or keeps its unit
    /// as it says. A store that fails here is logged, not the person's
    /// problem: their answer was right, and a unit left spent is the safe
    /// side.
    pub async fn passed(self) {
        for b in &self.budgets {
            let done = match b.on_success {
                OnSuccess::Keep => continue,
                OnSuccess::Clear => self.store.clear(&b.key).await,
                OnSuccess::Refund => self.store.refund(&b.key).await,
            };
            if let Err(e) = done {
                tracing::warn!(kind = b.key.kind().name(), error = %e, "limiter store: a right answer could not give its unit back");
            }
        }
    }
}

impl Limiter {
    pub fn new(store: Arc<dyn LimitStore>) -> Self {
        Limiter { store, seen: Arc::default() }
    }

    /// The in-process limiter: fine for one instance.
    pub fn in_memory() -> Self {
        Limiter::new(Arc::new(MemoryStore::new(memory::DEFAULT_MAX_KEYS)))
    }

    fn outage(kind: LimitKind, e: &StoreError) -> Error {
        tracing::error!(kind = kind.name(), error = %e, "limiter store unreachable: refusing the attempt");
        Error::unavailable()
    }

    /// Admits one attempt against every budget in `budgets` (spending a
    /// unit of each, atomically), or refuses it with `Err(Throttled)` and
    /// the longest wait. With the store unreachable, the attempt is refused
    /// when any budget fails closed, else allowed with a log line.
    pub async fn attempt(&self, budgets: Vec<Budget>, now: i64) -> Result<Attempt> {
        match self.store.reserve(&budgets, now).await {
            Ok(Reserved::Taken(records)) => Ok(Attempt { store: self.store.clone(), budgets, records }),
            Ok(Reserved::Wait(w)) => Err(Error::Throttled(w.max(1))),
            Err(e) => match budgets.iter().find(|b| b.key.kind().on_outage() == Outage::FailClosed) {
                Some(b) => Err(Self::outage(b.key.kind(), &e)),
                None => {
                    let kind = budgets.first().map_or("none", |b| b.key.kind().name());
                    tracing::warn!(kind, error = %e, "limiter store unreachable: allowing the request");
                    Ok(Attempt { store: self.store.clone(), budgets: Vec::new(), records: Vec::new() })
                }
            },
        }
    }

    /// How long `budgets` must still wait, changing nothing: for a page that
    /// shows a lock. Never admits an attempt (that is [`Self::attempt`]).
    pub async fn waiting(&self, budgets: &[Budget], now: i64) -> Result<Option<i64>> {
        match self.store.waiting(budgets, now).await {
            Ok(w) => Ok(w),
            Err(e) => match budgets.iter().find(|b| b.key.kind().on_outage() == Outage::FailClosed) {
                Some(b) => Err(Self::outage(b.key.kind(), &e)),
                None => Ok(None),
            },
        }
    }

    /// Forgets a budget outright (an operator's or a test's tool; a right
    /// answer goes through [`Attempt::passed`]).
    pub async fn clear(&self, key: &LimitKey) -> Result<()> {
        self.store.clear(key).await.map_err(|e| Self::outage(key.kind(), &e))
    }

    /// One request against a fixed rate. If the store is unreachable and the
    /// kind fails open, the request is allowed and the outage logged.
    pub async fn take(&self, key: &LimitKey, rate: Rate, now_ms: i64) -> Result<RateDecision> {
        match self.store.take(key, rate, now_ms).await {
            Ok(d) => Ok(d),
            Err(e) => Self::rate_outage(key, rate, &[], &e),
        }
    }

    /// A rate step the store could not take: refused when `key` or a
    /// budget of `gate` fails closed, else allowed (the whole quota) with
    /// a log line.
    fn rate_outage(key: &LimitKey, rate: Rate, gate: &[Budget], e: &StoreError) -> Result<RateDecision> {
        let mut kinds = std::iter::once(key.kind).chain(gate.iter().map(|b| b.key.kind()));
        match kinds.find(|k| k.on_outage() == Outage::FailClosed) {
            Some(kind) => Err(Self::outage(kind, e)),
            None => {
                tracing::warn!(kind = key.kind.name(), error = %e, "limiter store unreachable: allowing the request");
                Ok(RateDecision { allowed: true, remaining: rate.max, reset_secs: 0, retry_after_secs: 0 })
            }
        }
    }
}

/// A gate: the budgets of something cheap that count its refusals, kept
/// spent ([`OnSuccess::Keep`]), checked before that cheap work without a
/// trip to the store on an instance that has seen them wait, and checked
/// again by the store in the same step that takes the request's rate. The
/// refused-API-token damper ([`LimitKind::ApiTokenIp`]) is one.
impl Limiter {
    fn gate_key(gate: &[Budget]) -> String {
        debug_assert!(gate.iter().all(|b| b.on_success == OnSuccess::Keep), "a gate's units stay spent: a cleared one would leave a stale wait here");
        gate.iter().map(|b| b.key.render()).collect::<Vec<_>>().join(" ")
    }

    /// How long `gate` must still wait, as this instance last heard from
    /// the store: no trip to it. `None` does not mean open (the wait may
    /// have begun on another instance): [`Self::take_unless_waiting`] is
    /// the check that admits.
    pub fn seen_waiting(&self, gate: &[Budget], now: i64) -> Option<i64> {
        self.seen.wait(&Self::gate_key(gate), now)
    }

    /// Counts one refusal against `gate` (spending a unit of each budget,
    /// as [`Self::attempt`]), and remembers here when that leaves it
    /// waiting. `Err(Throttled)` when it was already waiting.
    pub async fn refused(&self, gate: Vec<Budget>, now: i64) -> Result<()> {
        let key = Self::gate_key(&gate);
        match self.attempt(gate, now).await {
            Ok(spent) => {
                let wait = spent.budgets.iter().zip(&spent.records).filter_map(|(b, r)| b.rule.wait(r, now)).max();
                self.seen.note(&key, now, wait.unwrap_or(0));
                Ok(())
            }
            Err(Error::Throttled(wait)) => {
                self.seen.note(&key, now, wait);
                Err(Error::Throttled(wait))
            }
            Err(e) => Err(e),
        }
    }

    /// One request against a fixed rate, unless `gate` must wait: then
    /// `Err(Throttled)`, the rate untouched, and the wait remembered here.
    /// One step of the store. With the store unreachable, as
    /// [`Self::take`] when every kind involved fails open, else refused.
    pub async fn take_unless_waiting(&self, key: &LimitKey, rate: Rate, now_ms: i64, gate: &[Budget], now: i64) -> Result<RateDecision> {
        match self.store.take_unless_waiting(key, rate, now_ms, gate, now).await {
            Ok(Gated::Rate(d)) => Ok(d),
            Ok(Gated::Wait(wait)) => {
                self.seen.note(&Self::gate_key(gate), now, wait);
                Err(Error::Throttled(wait.max(1)))
            }
            Err(e) => Self::rate_outage(key, rate, gate, &e),
        }
    }
}

impl Limiter {
    /// How much of `key`'s rate is used at `now_ms`, as the next request
    /// would find it, changing nothing (a page's display, never an
    /// admission: that is [`Self::take`]). With the store unreachable it
    /// says the whole quota is free, as the API would then allow.
    pub async fn peek(&self, key: &LimitKey, rate: Rate, now_ms: i64) -> RateDecision {
        match self.store.arrival(key, now_ms).await {
            Ok(tat) => rate.peek(tat, now_ms),
            Err(e) => {
                tracing::warn!(kind = key.kind.name(), error = %e, "limiter store unreachable: showing the quota as free");
                rate.peek(None, now_ms)
            }
        }
    }
}

/// A store that cannot be reached, for the outage tests of every slice.
#[cfg(test)]
pub(crate) mod unreachable {
    use super::*;

    pub(crate) struct Down;
    impl LimitStore for Down {
        fn reserve<'a>(&'a self, _: &'a [Budget], _: i64) -> StoreFuture<'a, Reserved> {
            Box::pin(async { Err(StoreError("down".into())) })
        }
        fn waiting<'a>(&'a self, _: &'a [Budget], _: i64) -> StoreFuture<'a, Option<i64>> {
            Box::pin(async { Err(StoreError("down".into())) })
        }
        fn refund<'a>(&'a self, _: &'a LimitKey) -> StoreFuture<'a, ()> {
            Box::pin(async { Err(StoreError("down".into())) })
        }
        fn clear<'a>(&'a self, _: &'a LimitKey) -> StoreFuture<'a, ()> {
            Box::pin(async { Err(StoreError("down".into())) })
        }
        fn take<'a>(&'a self, _: &'a LimitKey, _: Rate, _: i64) -> StoreFuture<'a, RateDecision> {
            Box::pin(async { Err(StoreError("down".into())) })
        }
        fn arrival<'a>(&'a self, _: &'a LimitKey, _: i64) -> StoreFuture<'a, Option<i64>> {
            Box::pin(async { Err(StoreError("down".into())) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: Backoff = Backoff { free_failures: 2, base_secs: 10, max_secs: 60, window_secs: 600 };

    use unreachable::Down;

    fn budget(kind: LimitKind, on_success: OnSuccess) -> Budget {
        Budget::new(LimitKey::account(kind, AccountId::new(1)), RULE, on_success)
    }

    #[test]
    fn keys_are_namespaced_by_kind() {
        let a = LimitKey::account(LimitKind::SecondFactor, AccountId::new(7));
        assert_eq!(a.render(), "warden:limit:second_factor:7");
        assert_ne!(a.render(), LimitKey::account(LimitKind::PasswordProof, AccountId::new(7)).render());
        let typed = LimitKey::typed(LimitKind::ResetAddress, " Ann@Example.com");
        assert_eq!(typed, LimitKey::typed(LimitKind::ResetAddress, "ann@example.com"));
        assert!(!typed.render().contains("ann"), "what a person typed is not spelled out in a shared store");
    }

    #[test]
    fn ipv6_addresses_count_by_their_slash_64_and_their_slash_48() {
        let a = LimitKey::ip(LimitKind::SignInIp, "2001:db8:1:2:aaaa::1");
        let b = LimitKey::ip(LimitKind::SignInIp, "2001:db8:1:2:ffff:ffff:ffff:ffff");
        let c = LimitKey::ip(LimitKind::SignInIp, "2001:db8:1:3::1");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(LimitKey::ip_wide(LimitKind::SignInIp, "2001:db8:1:2::1"), LimitKey::ip_wide(LimitKind::SignInIp, "2001:db8:1:ffff::1"));
        assert_ne!(LimitKey::ip_wide(LimitKind::SignInIp, "2001:db8:1::1"), LimitKey::ip_wide(LimitKind::SignInIp, "2001:db8:2::1"));
        assert_eq!(LimitKey::ip(LimitKind::SignInIp, "::ffff:203.0.113.9"), LimitKey::ip(LimitKind::SignInIp, "203.0.113.9"));
        assert_ne!(LimitKey::ip(LimitKind::SignInIp, "203.0.113.9"), LimitKey::ip(LimitKind::SignInIp, "203.0.113.10"));
        assert_eq!(ip_wide_block("203.0.113.9"), "203.0.113.0/24");
        assert_eq!(ip_wide_block("::ffff:203.0.113.200"), "203.0.113.0/24");
        assert_eq!(ip_wide_block("2001:db8:1:2::1"), "2001:db8:1::/48");
    }

    #[test]
    fn a_client_budget_has_a_wider_block_with_a_larger_allowance() {
        let [own, wide] = Budget::client(LimitKind::SignInIp, "203.0.113.9", RULE, OnSuccess::Refund);
        assert_eq!(own.rule.free_failures, 2);
        assert_eq!(wide.rule.free_failures, 2 * WIDE_BLOCK_FACTOR);
        assert_ne!(own.key, wide.key);
        assert!(own.key.owner().is_mintable() && wide.key.owner().is_mintable());
    }

    #[tokio::test]
    async fn an_attempt_spends_before_it_is_verified_and_a_success_clears() {
        let l = Limiter::in_memory();
        for _ in 0..2 {
            let a = l.attempt(vec![budget(LimitKind::PasswordProof, OnSuccess::Clear)], 100).await.expect("free so far");
            drop(a); // wrong: the unit stays spent
        }
        let e = l.attempt(vec![budget(LimitKind::PasswordProof, OnSuccess::Clear)], 100).await.map_err(|e| e.retry_after());
        assert_eq!(e.err(), Some(Some(10)), "the third waits, although nobody said the second was wrong yet");
        let a = l.attempt(vec![budget(LimitKind::PasswordProof, OnSuccess::Clear)], 111).await.expect("after the wait");
        a.passed().await;
        assert_eq!(l.waiting(&[budget(LimitKind::PasswordProof, OnSuccess::Clear)], 111).await.expect("read"), None);
    }

    #[tokio::test]
    async fn several_budgets_are_spent_all_together_or_not_at_all() {
        let l = Limiter::in_memory();
        let tight = Budget::new(LimitKey::account(LimitKind::PinLock, AccountId::new(1)), Backoff { free_failures: 1, ..RULE }, OnSuccess::Clear);
        let roomy = budget(LimitKind::PinDelay, OnSuccess::Clear);
        drop(l.attempt(vec![tight.clone(), roomy.clone()], 0).await.expect("first"));
        assert!(l.attempt(vec![tight.clone(), roomy.clone()], 0).await.is_err());
        // The refused attempt spent nothing of the roomy budget.
        drop(l.attempt(vec![roomy.clone()], 0).await.expect("second of two free"));
        assert!(l.attempt(vec![roomy], 0).await.is_err());
    }

    #[tokio::test]
    async fn a_refund_gives_back_one_unit_and_keep_gives_back_nothing() {
        let l = Limiter::in_memory();
        let refund = budget(LimitKind::SignInIp, OnSuccess::Refund);
        let keep = budget(LimitKind::SignUpIp, OnSuccess::Keep);
        drop(l.attempt(vec![refund.clone(), keep.clone()], 0).await.expect("first"));
        let a = l.attempt(vec![refund.clone(), keep.clone()], 0).await.expect("second");
        assert_eq!(a.record(LimitKind::SignInIp).map(|r| r.failures), Some(2));
        a.passed().await;
        let a = l.attempt(vec![refund.clone()], 0).await.expect("the refunded unit is back");
        assert_eq!(a.record(LimitKind::SignInIp).map(|r| r.failures), Some(2));
        assert!(l.attempt(vec![keep], 0).await.is_err(), "a kept unit stays spent");
    }

    #[tokio::test]
    async fn a_burst_of_parallel_attempts_gets_exactly_the_free_ones() {
        let l = Limiter::in_memory();
        let barrier = Arc::new(tokio::sync::Barrier::new(50));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (l, barrier) = (l.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    l.attempt(vec![budget(LimitKind::PinDelay, OnSuccess::Clear)], 0).await.is_ok()
                })
            })
            .collect();
        let mut admitted = 0;
        for t in tasks {
            admitted += usize::from(t.await.expect("join"));
        }
        assert_eq!(admitted, 2);
    }

    const API: Rate = Rate { max: 30, per_secs: 60 };

    fn gate(ip: &str) -> [Budget; 2] {
        Budget::client(LimitKind::ApiTokenIp, ip, RULE, OnSuccess::Keep)
    }

    /// Two instances on one store: what one has seen the other has not,
    /// but its gated take still refuses, takes nothing of the rate, and
    /// from then on it has seen the wait too.
    #[tokio::test]
    async fn a_gate_seen_waiting_on_one_instance_refuses_on_the_other_without_taking_the_rate() {
        let store: Arc<dyn LimitStore> = Arc::new(MemoryStore::new(memory::DEFAULT_MAX_KEYS));
        let (a, b) = (Limiter::new(store.clone()), Limiter::new(store));
        let api = LimitKey::account(LimitKind::Api, AccountId::new(1));
        let now = 1_000;
        assert_eq!(a.refused(gate("203.0.113.9").to_vec(), now).await.map_err(|e| e.retry_after()), Ok(()));
        assert_eq!(a.seen_waiting(&gate("203.0.113.9"), now), None, "one of two free refusals");
        assert_eq!(a.refused(gate("203.0.113.9").to_vec(), now).await.map_err(|e| e.retry_after()), Ok(()));
        assert_eq!(a.seen_waiting(&gate("203.0.113.9"), now), Some(10), "the last free refusal leaves it waiting, and this instance knows");
        assert_eq!(a.refused(gate("203.0.113.9").to_vec(), now).await.map_err(|e| e.retry_after()), Err(Some(10)));

        assert_eq!(b.seen_waiting(&gate("203.0.113.9"), now), None, "the other instance has not heard");
        let refused = b.take_unless_waiting(&api, API, now * 1000, &gate("203.0.113.9"), now).await.map_err(|e| e.retry_after());
        assert_eq!(refused, Err(Some(10)), "its store step refuses");
        assert_eq!(b.seen_waiting(&gate("203.0.113.9"), now + 4), Some(6), "and now it knows");
        assert_eq!(b.peek(&api, API, now * 1000).await.remaining, 30, "a refused request took nothing of the rate");
        assert_eq!(b.seen_waiting(&gate("203.0.113.10"), now), None, "another address is another gate");

        let later = now + 10;
        assert_eq!((a.seen_waiting(&gate("203.0.113.9"), later), b.seen_waiting(&gate("203.0.113.9"), later)), (None, None));
        let d = b.take_unless_waiting(&api, API, later * 1000, &gate("203.0.113.9"), later).await.expect("open again");
        assert!(d.allowed && d.remaining == 29, "{d:?}");
    }

    #[tokio::test]
    async fn a_burst_of_gated_takes_gets_exactly_the_rate_or_nothing_while_the_gate_waits() {
        let l = Limiter::in_memory();
        let api = LimitKey::account(LimitKind::Api, AccountId::new(2));
        let burst = |ip: &'static str, now: i64| {
            let barrier = Arc::new(tokio::sync::Barrier::new(50));
            let tasks: Vec<_> = (0..50)
                .map(|_| {
                    let (l, barrier, api) = (l.clone(), barrier.clone(), api.clone());
                    tokio::spawn(async move {
                        barrier.wait().await;
                        l.take_unless_waiting(&api, API, now * 1000, &gate(ip), now).await.map(|d| d.allowed).map_err(|e| e.retry_after())
                    })
                })
                .collect::<Vec<_>>();
            async move {
                let mut answers = Vec::new();
                for t in tasks {
                    answers.push(t.await.expect("join"));
                }
                answers
            }
        };
        let open = burst("198.51.100.1", 0).await;
        assert_eq!(open.iter().filter(|a| **a == Ok(true)).count(), 30, "{open:?}");
        assert_eq!(open.iter().filter(|a| **a == Ok(false)).count(), 20, "{open:?}");

        let later = 120;
        for _ in 0..2 {
            l.refused(gate("198.51.100.2").to_vec(), later).await.expect("free");
        }
        let shut = burst("198.51.100.2", later).await;
        assert!(shut.iter().all(|a| *a == Err(Some(10))), "{shut:?}");
        assert_eq!(l.peek(&api, API, later * 1000).await.remaining, 30, "nothing of the rate was taken");
    }

    #[tokio::test]
    async fn guesses_fail_closed_and_the_api_rate_fails_open_when_the_store_is_down() {
        let l = Limiter::new(Arc::new(Down));
        let guess = budget(LimitKind::SecondFactor, OnSuccess::Clear);
        assert_eq!(l.attempt(vec![guess.clone()], 0).await.map_err(|e| e.code()).err(), Some(crate::ErrorCode::Unavailable));
        assert!(l.waiting(std::slice::from_ref(&guess), 0).await.is_err());
        let api = LimitKey::account(LimitKind::Api, AccountId::new(1));
        let d = l.take(&api, Rate { max: 60, per_secs: 60 }, 0).await.expect("fails open");
        assert!(d.allowed);
        let refused_tokens = Budget::client(LimitKind::ApiTokenIp, "203.0.113.9", RULE, OnSuccess::Keep);
        assert!(l.attempt(refused_tokens.to_vec(), 0).await.is_ok(), "the API stays up: refused tokens are counted when the store is back");
        assert_eq!(l.refused(refused_tokens.to_vec(), 0).await.map_err(|e| e.retry_after()), Ok(()));
        let d = l.take_unless_waiting(&api, Rate { max: 60, per_secs: 60 }, 0, &refused_tokens, 0).await.expect("fails open");
        assert!(d.allowed);
        let mixed = [refused_tokens[0].clone(), guess];
        assert!(l.take_unless_waiting(&api, Rate { max: 60, per_secs: 60 }, 0, &mixed, 0).await.is_err(), "a gate that fails closed refuses");
    }
}
