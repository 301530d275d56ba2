//! The limiter port: every guessable thing has a budget here, under a
//! typed, namespaced key (`warden:limit:<kind>:<id>`).
//!
//! Two policies over one store: a growing delay after failures
//! ([`Backoff`], for password, code and PIN guesses) and a smooth fixed rate
//! ([`Rate`], for the API). Where the state lives is behind [`LimitStore`]:
//! in this process by default ([`MemoryStore`]), or a store shared by every
//! instance. When the store cannot be reached each kind follows its own
//! outage policy: guesses fail closed ("try again shortly"), the API rate
//! fails open with a log line.

pub mod backoff;
pub mod memory;
pub mod rate;
pub mod redis_store;

pub use backoff::{Backoff, Record};
pub use memory::MemoryStore;
pub use rate::{Rate, RateDecision};
pub use redis_store::RedisStore;

use crate::actor::AccountId;
use crate::{Error, Result};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What a budget is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LimitKind {
    /// Wrong passwords at sign-in, per account.
    SignInAccount,
    /// Wrong passwords at sign-in for a login that matches no account.
    SignInLogin,
    /// Wrong passwords at sign-in, per client IP across accounts.
    SignInIp,
    /// Wrong passwords at sign-in from a browser that holds the account's
    /// device cookie: its own budget instead of the account's.
    SignInDevice,
    /// Wrong second-factor codes (and passwords given with them), per account.
    SecondFactor,
    /// Wrong current passwords on the Password page, per account and per IP.
    PasswordChangeAccount,
    PasswordChangeIp,
    /// Reset-link requests, per address and per IP.
    ResetAddress,
    ResetIp,
    /// REST API requests, per account.
    Api,
    /// Sign-ups per client IP, every attempt (each costs a password hash).
    SignUpIp,
    /// "Send the link again" for email verification, per account.
    VerifyResend,
    /// Wrong Protection PINs, per account: growing delays.
    PinDelay,
    /// Wrong Protection PINs, per account: the hour-long lock after ten.
    PinLock,
    /// Wrong passwords (or codes) when setting, changing or removing the PIN.
    PinSettings,
    /// Wrong usernames, passwords (or codes) when creating an API token, per account.
    ApiTokenCreate,
    /// Bearer tokens the REST API refused (malformed, unknown, expired,
    /// deleted), per client IP: growing delays. It fails open: a token
    /// holds 178 random bits, so the budget damps floods of lookups rather
    /// than guesses, and an unreachable store must not take the API down.
    ApiTokenIp,
    /// Passwordless sign-ins started, per client IP, every one (each holds
    /// a challenge row for a few minutes). Fails open: a start guesses
    /// nothing, and passkeys must not go down with the limiter's store.
    PasskeyStartIp,
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
            LimitKind::SignInAccount => "sign_in_account",
            LimitKind::SignInLogin => "sign_in_login",
            LimitKind::SignInIp => "sign_in_ip",
            LimitKind::SignInDevice => "sign_in_device",
            LimitKind::SecondFactor => "second_factor",
            LimitKind::PasswordChangeAccount => "password_change_account",
            LimitKind::PasswordChangeIp => "password_change_ip",
            LimitKind::ResetAddress => "reset_address",
            LimitKind::ResetIp => "reset_ip",
            LimitKind::Api => "api",
            LimitKind::SignUpIp => "sign_up_ip",
            LimitKind::VerifyResend => "verify_resend",
            LimitKind::PinDelay => "pin_delay",
            LimitKind::PinLock => "pin_lock",
            LimitKind::PinSettings => "pin_settings",
            LimitKind::ApiTokenCreate => "api_token_create",
            LimitKind::ApiTokenIp => "api_token_ip",
            LimitKind::PasskeyStartIp => "passkey_start_ip",
        }
    }

    pub fn on_outage(self) -> Outage {
        match self {
            LimitKind::Api | LimitKind::ApiTokenIp | LimitKind::PasskeyStartIp => Outage::FailOpen,
            _ => Outage::FailClosed,
        }
    }
}

/// One budget: a kind and whose it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LimitKey {
    kind: LimitKind,
    id: String,
}

impl LimitKey {
    pub fn account(kind: LimitKind, account: AccountId) -> Self {
        LimitKey { kind, id: account.to_string() }
    }
    /// A client IP. An IPv6 address counts by its /64, the block one
    /// subscriber normally holds, so walking the block gains nothing.
    pub fn ip(kind: LimitKind, ip: &str) -> Self {
        LimitKey { kind, id: ip_block(ip) }
    }
    /// A device cookie, by its row id (never by its token).
    pub fn device(kind: LimitKind, device_id: i64) -> Self {
        LimitKey { kind, id: device_id.to_string() }
    }
    /// Something a person typed (a login, an email address), folded.
    pub fn typed(kind: LimitKind, typed: &str) -> Self {
        LimitKey { kind, id: crate::support::random::token_hash(&typed.trim().to_lowercase()) }
    }
    pub fn kind(&self) -> LimitKind {
        self.kind
    }
    /// `warden:limit:<kind>:<id>`: what the shared store sees.
    pub fn render(&self) -> String {
        format!("warden:limit:{}:{}", self.kind.name(), self.id)
    }
}

/// The block a client address counts by: an IPv6 address by its /64, an
/// IPv4 (or IPv4-mapped) address by itself.
pub fn ip_block(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(std::net::IpAddr::V6(v6)) => v6.to_ipv4_mapped().map(|v4| v4.to_string()).unwrap_or_default(),
        Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = std::result::Result<T, StoreError>> + Send + 'a>>;

/// The store could not be reached or answered nonsense.
#[derive(Debug, thiserror::Error)]
#[error("limiter store: {0}")]
pub struct StoreError(pub String);

/// Where budgets live. Each method is one atomic step on one key.
pub trait LimitStore: Send + Sync {
    /// The failures recorded under `key`, if any are still remembered.
    fn failures(&self, key: &str) -> StoreFuture<'_, Option<Record>>;
    /// Counts one more failure under `key` (by `rule`) and returns the record.
    fn fail(&self, key: &str, rule: Backoff, now: i64) -> StoreFuture<'_, Record>;
    /// Forgets `key`.
    fn clear(&self, key: &str) -> StoreFuture<'_, ()>;
    /// Takes one request from `key`'s rate.
    fn take(&self, key: &str, rate: Rate, now_ms: i64) -> StoreFuture<'_, RateDecision>;
}

/// The port the slices use.
#[derive(Clone)]
pub struct Limiter {
    store: Arc<dyn LimitStore>,
}

impl Limiter {
    pub fn new(store: Arc<dyn LimitStore>) -> Self {
        Limiter { store }
    }

    /// The limiter every instance shares, on Redis (see [`RedisStore`]).
    pub async fn redis(url: &str, prefix: &str) -> std::result::Result<Self, StoreError> {
        Ok(Limiter::new(Arc::new(RedisStore::connect(url, prefix).await?)))
    }

    /// The in-process limiter: fine for one instance.
    pub fn in_memory() -> Self {
        Limiter::new(Arc::new(MemoryStore::new(memory::DEFAULT_MAX_KEYS)))
    }

    fn outage(key: &LimitKey, e: &StoreError) -> Error {
        tracing::error!(kind = key.kind.name(), error = %e, "limiter store unreachable: refusing the guess");
        Error::unavailable()
    }

    /// `Err(Throttled)` while `key` must wait under `rule`.
    pub async fn check(&self, key: &LimitKey, rule: &Backoff, now: i64) -> Result<()> {
        match self.store.failures(&key.render()).await {
            Ok(Some(r)) => match rule.wait(&r, now) {
                Some(wait) => Err(Error::Throttled(wait)),
                None => Ok(()),
            },
            Ok(None) => Ok(()),
            Err(e) => match key.kind.on_outage() {
                Outage::FailClosed => Err(Self::outage(key, &e)),
                Outage::FailOpen => Self::open(key, &e),
            },
        }
    }

    fn open(key: &LimitKey, e: &StoreError) -> Result<()> {
        tracing::warn!(kind = key.kind.name(), error = %e, "limiter store unreachable: allowing the request");
        Ok(())
    }

    /// The longest wait among several budgets, each under its own rule, as `Err(Throttled)`.
    pub async fn check_all(&self, budgets: &[(LimitKey, &Backoff)], now: i64) -> Result<()> {
        let mut longest = None;
        for (k, rule) in budgets {
            match self.check(k, rule, now).await {
                Err(Error::Throttled(w)) => longest = longest.max(Some(w)),
                other => other?,
            }
        }
        longest.map_or(Ok(()), |w| Err(Error::Throttled(w)))
    }

    /// Counts a failure (or, for budgets that count every request, a use).
    pub async fn failed(&self, key: &LimitKey, rule: &Backoff, now: i64) -> Result<()> {
        match self.store.fail(&key.render(), *rule, now).await {
            Ok(_) => Ok(()),
            Err(e) => match key.kind.on_outage() {
                Outage::FailClosed => Err(Self::outage(key, &e)),
                Outage::FailOpen => Self::open(key, &e),
            },
        }
    }

    /// Counts a failure and returns the record it made: how many failures
    /// the key now holds. Fails closed for the guesses (the only users).
    pub async fn count_failure(&self, key: &LimitKey, rule: &Backoff, now: i64) -> Result<Record> {
        self.store.fail(&key.render(), *rule, now).await.map_err(|e| Self::outage(key, &e))
    }

    /// A success forgets the key's failures.
    pub async fn succeeded(&self, key: &LimitKey) -> Result<()> {
        self.store.clear(&key.render()).await.map_err(|e| Self::outage(key, &e))
    }

    /// One request against a fixed rate. If the store is unreachable and the
    /// kind fails open, the request is allowed and the outage logged.
    pub async fn take(&self, key: &LimitKey, rate: Rate, now_ms: i64) -> Result<RateDecision> {
        match self.store.take(&key.render(), rate, now_ms).await {
            Ok(d) => Ok(d),
            Err(e) => match key.kind.on_outage() {
                Outage::FailOpen => {
                    tracing::warn!(kind = key.kind.name(), error = %e, "limiter store unreachable: allowing the request");
                    Ok(RateDecision { allowed: true, remaining: rate.max, reset_secs: 0, retry_after_secs: 0 })
                }
                Outage::FailClosed => Err(Self::outage(key, &e)),
            },
        }
    }
}

/// A store that cannot be reached, for the outage tests of every slice.
#[cfg(test)]
pub(crate) mod unreachable {
    use super::*;

    pub(crate) struct Down;
    impl LimitStore for Down {
        fn failures(&self, _: &str) -> StoreFuture<'_, Option<Record>> {
            Box::pin(async { Err(StoreError("down".into())) })
        }
        fn fail(&self, _: &str, _: Backoff, _: i64) -> StoreFuture<'_, Record> {
            Box::pin(async { Err(StoreError("down".into())) })
        }
        fn clear(&self, _: &str) -> StoreFuture<'_, ()> {
            Box::pin(async { Err(StoreError("down".into())) })
        }
        fn take(&self, _: &str, _: Rate, _: i64) -> StoreFuture<'_, RateDecision> {
            Box::pin(async { Err(StoreError("down".into())) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: Backoff = Backoff { free_failures: 2, base_secs: 10, max_secs: 60, window_secs: 600 };

    use unreachable::Down;

    #[test]
    fn keys_are_namespaced_by_kind() {
        let a = LimitKey::account(LimitKind::SecondFactor, AccountId::new(7));
        assert_eq!(a.render(), "warden:limit:second_factor:7");
        assert_ne!(a.render(), LimitKey::account(LimitKind::SignInAccount, AccountId::new(7)).render());
        let typed = LimitKey::typed(LimitKind::ResetAddress, " Ann@Example.com");
        assert_eq!(typed, LimitKey::typed(LimitKind::ResetAddress, "ann@example.com"));
        assert!(!typed.render().contains("ann"), "what a person typed is not spelled out in a shared store");
    }

    #[test]
    fn ipv6_addresses_count_by_their_slash_64() {
        let a = LimitKey::ip(LimitKind::SignInIp, "2001:db8:1:2:aaaa::1");
        let b = LimitKey::ip(LimitKind::SignInIp, "2001:db8:1:2:ffff:ffff:ffff:ffff");
        let c = LimitKey::ip(LimitKind::SignInIp, "2001:db8:1:3::1");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(LimitKey::ip(LimitKind::SignInIp, "::ffff:203.0.113.9"), LimitKey::ip(LimitKind::SignInIp, "203.0.113.9"));
        assert_ne!(LimitKey::ip(LimitKind::SignInIp, "203.0.113.9"), LimitKey::ip(LimitKind::SignInIp, "203.0.113.10"));
    }

    #[tokio::test]
    async fn backoff_through_the_port_delays_then_a_success_clears() {
        let l = Limiter::in_memory();
        let k = LimitKey::account(LimitKind::SignInAccount, AccountId::new(1));
        for _ in 0..2 {
            l.check(&k, &RULE, 100).await.expect("free so far");
            l.failed(&k, &RULE, 100).await.expect("count");
        }
        assert!(matches!(l.check(&k, &RULE, 100).await, Err(Error::Throttled(10))));
        l.succeeded(&k).await.expect("clear");
        assert!(l.check(&k, &RULE, 100).await.is_ok());
    }

    #[tokio::test]
    async fn guesses_fail_closed_and_the_api_rate_fails_open_when_the_store_is_down() {
        let l = Limiter::new(Arc::new(Down));
        let guess = LimitKey::account(LimitKind::SecondFactor, AccountId::new(1));
        assert_eq!(l.check(&guess, &RULE, 0).await.map_err(|e| e.code()).err(), Some(crate::ErrorCode::Unavailable));
        assert!(l.failed(&guess, &RULE, 0).await.is_err());
        let api = LimitKey::account(LimitKind::Api, AccountId::new(1));
        let d = l.take(&api, Rate { max: 60, per_secs: 60 }, 0).await.expect("fails open");
        assert!(d.allowed);
        let refused_tokens = LimitKey::ip(LimitKind::ApiTokenIp, "203.0.113.9");
        assert!(l.check(&refused_tokens, &RULE, 0).await.is_ok(), "the API stays up: refused tokens are counted when the store is back");
        assert!(l.failed(&refused_tokens, &RULE, 0).await.is_ok());
    }
}
