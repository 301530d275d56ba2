//! Configuration from the environment, with defaults that run on a fresh
//! machine with nothing set.

use domain::sessions::Lifetimes;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct Config {
    /// `WARDEN_BIND`, else the `site-addr` of Leptos.toml (127.0.0.1:3000).
    pub bind: Option<SocketAddr>,
    /// `WARDEN_DATA_DIR`, default `./data`: the SQLite file lives here.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`, default `sqlite://<data dir>/warden.db`.
    pub database_url: String,
    /// `WARDEN_COOKIE_SECURE`, default true (`__Host-` cookie, `Secure`).
    pub cookie_secure: bool,
    /// `WARDEN_TRUSTED_PROXY`: the one proxy address whose `X-Forwarded-For` is believed.
    pub trusted_proxy: Option<IpAddr>,
    /// `WARDEN_SESSION_IDLE_MINUTES` (30) and `WARDEN_SESSION_MAX_HOURS` (12).
    pub lifetimes: Lifetimes,
    /// `WARDEN_SECRET_KEY` (64 hex characters), else the key file
    /// `<data dir>/secret.key`, created (0600) on first start. Encrypts
    /// two-factor secrets and queued mail at rest.
    pub secret_key: Option<domain::Secret>,
    /// `WARDEN_RETIRED_SECRET_KEYS` (with `WARDEN_SECRET_KEY` only): older
    /// keys, comma-separated, that still open what they sealed until
    /// `warden rotate-key --finish` has re-sealed it (see `data.rs`).
    pub retired_secret_keys: Option<domain::Secret>,
    /// `WARDEN_TOTP_ISSUER`, default "Warden": the name authenticator apps show.
    pub totp_issuer: String,
    /// `WARDEN_PUBLIC_URL`, default `http://<bind address>`: the address in
    /// links that Warden mails (never taken from a request's `Host`).
    pub public_url: Option<String>,
    /// `WARDEN_RESET_LINK_MINUTES` (30): how long a password-reset link works.
    pub reset_link_minutes: i64,
    /// How long entering the Protection PIN unlocks previous days' reports (minutes).
    pub pin_unlock_minutes: i64,
    /// `WARDEN_SIGN_UPS_PER_HOUR` (10): sign-up attempts per client IP (IPv6
    /// by /64) before each further one waits (each costs a password hash).
    pub sign_ups_per_hour: u32,
    /// `WARDEN_MAX_CALLS_PER_ACCOUNT` (500000): calls one account may store.
    pub max_calls_per_account: i64,
    /// `SMTP_URL`: `smtp://user:pass@host:587` (STARTTLS) or
    /// `smtps://user:pass@host:465` (TLS). Unset: mail goes to `.eml` files in
    /// `<data dir>/outbox`.
    pub smtp_url: Option<domain::Secret>,
    /// `WARDEN_MAIL_FROM`, default `Warden <warden@localhost>`.
    pub mail_from: String,
    /// How long security events are kept and how many (`WARDEN_EVENT_RETENTION_DAYS`,
    /// default 400; at most the newest 1,000 per account).
    pub events: domain::events::EventsConfig,
    /// The REST API's rate limit and load policy (`WARDEN_API_*`).
    pub api: ApiLimits,
    /// `WARDEN_API_TOKEN_UNUSED_DAYS` (365; 0 = never): API tokens unused
    /// this long are deleted by the sweep, and their owner mailed.
    pub api_token_unused_days: i64,
    /// `WARDEN_WEBHOOKS_ALLOW_PRIVATE=1`: webhooks may go to `http://` and
    /// to private and loopback addresses (a deployment on premises). Off:
    /// https only, and never inside the server's own networks. The cloud
    /// metadata address is refused either way.
    pub webhooks_allow_private: bool,
    /// `REDIS_URL` (`redis://[:password@]host:6379[/db]`, or `rediss://`):
    /// where every instance keeps the limiter's budgets (guesses and the
    /// API rate). Unset: in this process, which is right for one instance only.
    pub redis_url: Option<domain::Secret>,
    /// `WARDEN_REDIS_PREFIX`, default empty: put before every Redis key, so
    /// deployments can share one Redis.
    pub redis_prefix: String,
    /// `WARDEN_SINGLE_INSTANCE=1`: this is the only instance, so PostgreSQL
    /// without `REDIS_URL` is allowed (see [`crate::limiter`]).
    pub single_instance: bool,
}

/// Refused tokens per client IP: ten free, then 1 s doubling up to a
/// minute; ten quiet minutes forget them. A client with a typo learns at
/// once; a guesser gets a handful a minute.
pub const REFUSED_TOKEN_BACKOFF: domain::limits::Backoff =
    domain::limits::Backoff { free_failures: 10, base_secs: 1, max_secs: 60, window_secs: 600 };

/// The REST API's rate limit: `quota` requests a minute per account (all
/// its tokens together), `busy_quota` while the server is busy, which is
/// while more than `busy_in_flight` API requests are being served at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiLimits {
    /// `WARDEN_API_QUOTA`, default 60.
    pub quota: u32,
    /// `WARDEN_API_BUSY_QUOTA`, default 30.
    pub busy_quota: u32,
    /// `WARDEN_API_BUSY_IN_FLIGHT`, default 64.
    pub busy_in_flight: usize,
    /// Refused tokens per client address ([`REFUSED_TOKEN_BACKOFF`]).
    pub refused_tokens: domain::limits::Backoff,
}

impl ApiLimits {
    /// The quota in force with `in_flight` API requests being served (the
    /// one asking among them), and whether it is the busy one.
    pub fn quota_at(&self, in_flight: usize) -> (u32, bool) {
        match in_flight > self.busy_in_flight {
            true => (self.busy_quota, true),
            false => (self.quota, false),
        }
    }
}

impl Default for ApiLimits {
    fn default() -> Self {
        ApiLimits { quota: 60, busy_quota: 30, busy_in_flight: 64, refused_tokens: REFUSED_TOKEN_BACKOFF }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse<T: std::str::FromStr>(name: &str) -> Result<Option<T>, ConfigError> {
    var(name).map(|v| v.trim().parse::<T>().map_err(|_| ConfigError(format!("{name}={v:?} is not valid")))).transpose()
}

impl Config {
    /// For tests only (the HTTP tests in `server/tests/`): every setting at its
    /// test value, the database and data folder given. Secure cookies, no
    /// trusted proxy, default session lifetimes, a key file in `data_dir`,
    /// links to `https://warden.example`, reset links for 30 minutes, and mail
    /// to the outbox from `Warden <warden@warden.example>`. A new setting gets
    /// its test value here, so the tests' harness does not change.
    pub fn for_tests(data_dir: PathBuf, database_url: String) -> Config {
        Config {
            bind: None,
            data_dir,
            database_url,
            cookie_secure: true,
            trusted_proxy: None,
            lifetimes: Lifetimes::default(),
            secret_key: None,
            retired_secret_keys: None,
            totp_issuer: "Warden".into(),
            public_url: Some("https://warden.example".into()),
            reset_link_minutes: 30,
            pin_unlock_minutes: 15,
            sign_ups_per_hour: 10,
            max_calls_per_account: domain::reporting::manage::MAX_CALLS_PER_ACCOUNT,
            smtp_url: None,
            mail_from: "Warden <warden@warden.example>".into(),
            events: domain::events::EventsConfig::default(),
            api: ApiLimits::default(),
            api_token_unused_days: 365,
            webhooks_allow_private: false,
            redis_url: None,
            redis_prefix: String::new(),
            // Each test server is one instance; the several-instance tests
            // give theirs a Redis.
            single_instance: true,
        }
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(var("WARDEN_DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = var("DATABASE_URL").unwrap_or_else(|| format!("sqlite://{}/warden.db?mode=rwc", data_dir.display()));
        let cookie_secure = match var("WARDEN_COOKIE_SECURE").as_deref() {
            None => true,
            Some("1" | "true" | "yes") => true,
            Some("0" | "false" | "no") => false,
            Some(v) => return Err(ConfigError(format!("WARDEN_COOKIE_SECURE={v:?}: use true or false"))),
        };
        let mut lifetimes = Lifetimes::default();
        if let Some(m) = parse::<i64>("WARDEN_SESSION_IDLE_MINUTES")? {
            lifetimes.idle_secs = m.max(1) * 60;
        }
        if let Some(h) = parse::<i64>("WARDEN_SESSION_MAX_HOURS")? {
            lifetimes.absolute_secs = h.max(1) * 3600;
        }
        let mut events = domain::events::EventsConfig::default();
        if let Some(d) = parse::<i64>("WARDEN_EVENT_RETENTION_DAYS")? {
            events.retention_secs = d.max(1) * 86_400;
        }
        let quota = parse::<u32>("WARDEN_API_QUOTA")?.unwrap_or(60).clamp(1, 100_000);
        let api = ApiLimits {
            quota,
            busy_quota: parse::<u32>("WARDEN_API_BUSY_QUOTA")?.unwrap_or(quota / 2).clamp(1, quota),
            busy_in_flight: parse::<usize>("WARDEN_API_BUSY_IN_FLIGHT")?.unwrap_or(64),
            refused_tokens: REFUSED_TOKEN_BACKOFF,
        };
        let single_instance = match var("WARDEN_SINGLE_INSTANCE").as_deref() {
            None | Some("0" | "false" | "no") => false,
            Some("1" | "true" | "yes") => true,
            Some(v) => return Err(ConfigError(format!("WARDEN_SINGLE_INSTANCE={v:?}: use 1 or 0"))),
        };
        let redis_url = var("REDIS_URL");
        if let Some(u) = &redis_url {
            if !(u.starts_with("redis://") || u.starts_with("rediss://") || u.starts_with("redis+unix://") || u.starts_with("unix://")) {
                // Not echoed: it may hold a password.
                return Err(ConfigError("REDIS_URL: use redis://[:password@]host[:port][/db] or rediss://…".into()));
            }
        }
        Ok(Config {
            redis_url: redis_url.map(domain::Secret::new),
            redis_prefix: var("WARDEN_REDIS_PREFIX").unwrap_or_default(),
            single_instance,
            api,
            events,
            bind: parse("WARDEN_BIND")?,
            data_dir,
            database_url,
            cookie_secure,
            trusted_proxy: parse("WARDEN_TRUSTED_PROXY")?,
            lifetimes,
            secret_key: var("WARDEN_SECRET_KEY").map(domain::Secret::new),
            retired_secret_keys: var("WARDEN_RETIRED_SECRET_KEYS").map(domain::Secret::new),
            totp_issuer: var("WARDEN_TOTP_ISSUER").unwrap_or_else(|| "Warden".into()),
            public_url: match var("WARDEN_PUBLIC_URL") {
                None => None,
                Some(u) if u.starts_with("https://") || u.starts_with("http://") => Some(u.trim_end_matches('/').to_owned()),
                Some(u) => return Err(ConfigError(format!("WARDEN_PUBLIC_URL={u:?}: use http(s)://host[:port]"))),
            },
            reset_link_minutes: parse::<i64>("WARDEN_RESET_LINK_MINUTES")?.unwrap_or(30).clamp(5, 24 * 60),
            pin_unlock_minutes: parse::<i64>("WARDEN_PIN_UNLOCK_MINUTES")?.unwrap_or(15).clamp(1, 12 * 60),
            sign_ups_per_hour: parse::<u32>("WARDEN_SIGN_UPS_PER_HOUR")?.unwrap_or(10).clamp(1, 10_000),
            max_calls_per_account: parse::<i64>("WARDEN_MAX_CALLS_PER_ACCOUNT")?.unwrap_or(domain::reporting::manage::MAX_CALLS_PER_ACCOUNT).max(1),
            api_token_unused_days: parse::<i64>("WARDEN_API_TOKEN_UNUSED_DAYS")?.unwrap_or(365).clamp(0, 100 * 365),
            webhooks_allow_private: var("WARDEN_WEBHOOKS_ALLOW_PRIVATE").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
            smtp_url: var("SMTP_URL").map(domain::Secret::new),
            mail_from: var("WARDEN_MAIL_FROM").unwrap_or_else(|| "Warden <warden@localhost>".into()),
        })
    }
}
