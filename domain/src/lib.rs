//! Warden's rules. Requests enter as an [`Actor`]; features live in slices
//! that own their tables (`accounts`, `sessions`, `sign_in`, `alerts`, `passwords`,
//! `second_factor`, `protection`, `reporting`, `api_tokens`, `idempotency`,
//! `events`, `outbox`); the world is reached only through ports ([`Deps`]: store,
//! limiter, outbox, clock). [`Warden`] is the thin
//! façade that wires them: `warden.sessions().end_all(&actor, false, &meta)`.
//! No web framework lives here; time comes in through the clock, so every
//! rule is testable without sleeping.
#![deny(clippy::unwrap_used)]

pub mod accounts;
pub mod actor;
pub mod alerts;
pub mod api_tokens;
pub mod change;
pub mod credentials;
pub mod deps;
pub mod error;
pub mod events;
pub mod idempotency;
pub mod lifetimes;
pub mod limits;
pub mod outbox;
pub mod overview;
pub mod passwords;
pub mod protection;
pub mod rekey;
pub mod reporting;
pub mod second_factor;
pub mod sensitive;
pub mod sessions;
pub mod sign_in;
pub mod step_up;
pub mod support;
pub mod webhooks;

pub use actor::{AccountId, Actor, ClientMeta, SessionId, SessionToken};
pub use deps::Deps;
pub use error::{Error, ErrorCode, Result};
/// Dates of the person's days, for the doors that show them.
pub use jiff;
pub use support::secret::Secret;

use accounts::{Accounts, AccountsConfig};
use alerts::{Alerts, AlertsConfig};
use api_tokens::{ApiTokens, ApiTokensConfig};
use credentials::Hasher;
use events::{Events, EventsConfig};
use limits::Limiter;
use outbox::Outbox;
use passwords::{Passwords, PasswordsConfig};
use protection::{Protection, ProtectionConfig};
use second_factor::{TwoFactor, TwoFactorConfig};
use sessions::{Sessions, SessionsConfig};
use sign_in::{SignIn, SignInConfig};
use std::sync::Arc;
use std::time::Duration;
use step_up::{StepUp, StepUpConfig};
use support::clock::Clock;
use support::db::Store;
use support::secret_box::SecretBox;
use webhooks::{Webhooks, WebhooksConfig};

/// Every setting, a section per slice.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where people reach Warden (`https://host`, no trailing slash), for
    /// links in mail. From configuration, never from a request's `Host`.
    pub public_url: String,
    pub hashing: HashingConfig,
    pub accounts: AccountsConfig,
    pub sessions: SessionsConfig,
    pub sign_in: SignInConfig,
    /// New-sign-in alerts, their links and the mail log.
    pub alerts: AlertsConfig,
    /// Security-event webhooks.
    pub webhooks: WebhooksConfig,
    pub passwords: PasswordsConfig,
    pub two_factor: TwoFactorConfig,
    pub events: EventsConfig,
    pub protection: ProtectionConfig,
    pub api_tokens: ApiTokensConfig,
    pub step_up: StepUpConfig,
    /// Calls an account may store (see [`reporting::manage::MAX_CALLS_PER_ACCOUNT`]).
    pub max_calls_per_account: i64,
}

#[derive(Clone, Debug)]
pub struct HashingConfig {
    /// Argon2 hashes allowed at once (each holds 19 MiB).
    pub concurrency: usize,
    /// How long a request waits for a hashing slot before "try again".
    pub wait: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            public_url: "http://127.0.0.1:3000".into(),
            hashing: HashingConfig {
                // One core is always left for everything else: a flood of
                // wrong passwords must not starve the API and the pages.
                concurrency: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).saturating_sub(1).max(1),
                wait: Duration::from_secs(5),
            },
            accounts: AccountsConfig::default(),
            sessions: SessionsConfig::default(),
            sign_in: SignInConfig::default(),
            alerts: AlertsConfig::default(),
            webhooks: WebhooksConfig::default(),
            passwords: PasswordsConfig::default(),
            two_factor: TwoFactorConfig::default(),
            events: EventsConfig::default(),
            protection: ProtectionConfig::default(),
            api_tokens: ApiTokensConfig::default(),
            step_up: StepUpConfig::default(),
            max_calls_per_account: reporting::manage::MAX_CALLS_PER_ACCOUNT,
        }
    }
}

/// What a [`Warden::sweep`] removed (and the expiry warnings it queued).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub events: u64,
    pub devices: u64,
    /// Idempotency keys older than 24 hours.
    pub idempotency_keys: u64,
    /// Owners emailed that an API token expires within 7 days.
    pub expiry_warnings: u64,
    /// API tokens deleted because they were not used for a year (a setting).
    pub unused_tokens: u64,
    /// Sessions that had lapsed without another request, now written down as ended.
    pub sessions_lapsed: u64,
    /// Accounts removed because their address was never confirmed.
    pub unverified_accounts: u64,
}

/// The façade: the ports, the settings, and a handle per slice.
pub struct Warden {
    deps: Arc<Deps>,
    cfg: Config,
    /// API token requests counted in this process, not yet in the store.
    meter: api_tokens::usage::Meter,
}

impl Warden {
    /// `secret_box` encrypts second-factor secrets at rest; `limiter` holds
    /// every budget (in this process, or shared by several instances).
    pub fn new(store: Store, clock: Arc<dyn Clock>, cfg: Config, secret_box: SecretBox, limiter: Limiter) -> Result<Self> {
        let deps = Deps {
            hasher: Hasher::new(cfg.hashing.concurrency, cfg.hashing.wait)?,
            limiter,
            secret_box,
            outbox: Outbox::default(),
            touches: Default::default(),
            public_url: cfg.public_url.clone(),
            session_lapse: cfg.sessions.lapse(),
            verified_address_zone: |db, id, email| Box::pin(accounts::verified_address_zone(db, id, email)),
            announce: webhooks::announce,
            store,
            clock,
        };
        Ok(Warden { deps: Arc::new(deps), cfg, meter: Default::default() })
    }

    pub fn accounts(&self) -> Accounts<'_> {
        Accounts::new(&self.deps, &self.cfg.accounts)
    }
    pub fn sessions(&self) -> Sessions<'_> {
        Sessions::new(&self.deps, &self.cfg.sessions)
    }
    pub fn sign_in(&self) -> SignIn<'_> {
        SignIn::new(&self.deps, &self.cfg.sign_in, &self.cfg.two_factor, &self.cfg.sessions, &self.cfg.alerts)
    }
    /// Security-event webhooks: the endpoints, and the sender's queue.
    pub fn webhooks(&self) -> Webhooks<'_> {
        Webhooks::new(&self.deps, &self.cfg.webhooks)
    }
    /// New-sign-in alerts, the "This wasn't me" link and the mail log.
    pub fn alerts(&self) -> Alerts<'_> {
        Alerts::new(&self.deps, &self.cfg.alerts)
    }
    pub fn passwords(&self) -> Passwords<'_> {
        Passwords::new(&self.deps, &self.cfg.passwords, self.cfg.step_up.password_backoff)
    }
    pub fn two_factor(&self) -> TwoFactor<'_> {
        TwoFactor::new(&self.deps, &self.cfg.two_factor)
    }

    /// Security keys and passkeys, the second factor beside the app.
    pub fn security_keys(&self) -> second_factor::SecurityKeys<'_> {
        second_factor::SecurityKeys::new(&self.deps, &self.cfg.two_factor)
    }

    pub fn protection(&self) -> Protection<'_> {
        Protection::new(&self.deps, &self.cfg.protection)
    }

    pub fn reporting(&self) -> reporting::Reporting<'_> {
        reporting::Reporting::new(&self.deps, self.protection(), self.cfg.max_calls_per_account)
    }

    pub fn api_tokens(&self) -> ApiTokens<'_> {
        ApiTokens::new(&self.deps, &self.cfg.api_tokens, &self.meter)
    }

    /// Proving it is the owner before a change of the step-up table.
    pub fn step_up(&self) -> StepUp<'_> {
        StepUp::new(&self.deps, &self.cfg.step_up, &self.cfg.two_factor)
    }

    pub fn idempotency(&self) -> idempotency::Idempotency<'_> {
        idempotency::Idempotency::new(&self.deps)
    }

    /// The actor's account, as its owner reads it: see [`overview`].
    pub async fn overview(&self, actor: &Actor) -> Result<overview::Overview> {
        overview::overview(&self.deps, actor).await
    }

    pub fn events(&self) -> Events<'_> {
        Events::new(&self.deps, &self.cfg.events)
    }

    /// Retention: old and surplus security events, stale device cookies, accounts never confirmed,
    /// idempotency keys past their 24 hours, old API token usage, sessions
    /// that lapsed without another request (written down as ended); and the
    /// mail to owners of API tokens that expire within 7 days (once per
    /// token). The server runs this every `events.sweep_every_secs`.
    pub async fn sweep(&self) -> Result<Swept> {
        let sessions_lapsed = self.sessions().sweep_lapsed().await?;
        let events = self.events().sweep().await?;
        let devices = self.sign_in().sweep_devices().await? + self.alerts().sweep().await?;
        self.webhooks().sweep().await?;
        let tokens = self.api_tokens();
        let expiry_warnings = tokens.warn_expiring().await?;
        let unused_tokens = tokens.sweep_unused().await?;
        tokens.sweep_usage().await?;
        api_tokens::handover::sweep(&self.deps).await?;
        second_factor::sweep(&self.deps).await?;
        let idempotency_keys = self.idempotency().sweep().await?;
        let unverified_accounts = accounts::sweep_unverified(&self.deps, &self.cfg.accounts).await?;
        Ok(Swept { events: events.events, devices, idempotency_keys, expiry_warnings, unused_tokens, sessions_lapsed, unverified_accounts })
    }

    /// The database, for the server's adapters (the mail worker reads its
    /// queue, shutdown closes it) and for tests. The doors' pages, server
    /// functions and REST handlers go through the slices instead; the
    /// ports as a bag (`Deps`) stay inside the domain.
    pub fn pool(&self) -> &sqlx::AnyPool {
        self.deps.pool()
    }
    /// The store and its backend (SQLite or PostgreSQL).
    pub fn store(&self) -> &Store {
        &self.deps.store
    }
    /// The key ring that seals values at rest (the mail worker opens queued bodies with it).
    pub fn secret_box(&self) -> &SecretBox {
        &self.deps.secret_box
    }
    /// The mail queue's wake-up, for the mail worker.
    pub fn outbox(&self) -> &Outbox {
        &self.deps.outbox
    }
    /// The limiter, for the REST door's admission (its per-account rate).
    pub fn limiter(&self) -> &Limiter {
        &self.deps.limiter
    }
    /// Unix milliseconds from the clock.
    pub fn now_ms(&self) -> i64 {
        self.deps.now_ms()
    }
    pub fn config(&self) -> &Config {
        &self.cfg
    }
    pub fn now(&self) -> i64 {
        self.deps.now()
    }
    /// Where people reach Warden (`https://host`), from configuration.
    pub fn public_url(&self) -> &str {
        &self.cfg.public_url
    }
}
