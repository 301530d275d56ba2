//! API Access Tokens: named bearer tokens that open the REST API for their
//! account. Owns the `api_tokens` table.
//!
//! - A token is `wdn_` + 178 random bits + a checksum ([`format`]), shown
//!   to its owner once; only its SHA-256 is stored, with the 8-character
//!   prefix that tells it apart in the list and in logs.
//! - Creating one takes the account's username and password typed again
//!   (and a second factor when the account has one, unless this session
//!   confirmed it in the last minutes), as GitHub and the help article ask:
//!   a session left open is not enough to mint a credential that outlives
//!   it. The step-up slice checks that ([`crate::sensitive`]).
//! - Access is read only, or read and write, over campaigns, calls and
//!   reports. Listing and ending the account's browser sessions is a scope
//!   of its own (`sessions`), offered at creation and shown in the list: a
//!   data token never fights its owner for the dashboard.
//! - A token can delete itself (`DELETE /api/v1/token`), so a leaked one is
//!   killed without a browser.
//! - A name is unique among the account's live tokens, ignoring case; a
//!   deleted token's name may be used again.
//! - Expiry is 30, 90 (the default) or 365 days, or never; access is read
//!   only, or read and write.
//! - Deleting takes effect on the next request: every request looks its
//!   token up ([`ApiTokens::authenticate`]); nothing is cached.
//! - Last use (time, IP, user agent) is written at most once a minute per
//!   token, by a compare-and-set, never on every request.
//! - Creating and deleting are security events; creating mails the owner.
//!   A password change keeps tokens (they were made with a password the
//!   owner knew); a password reset deletes them unless the person says
//!   otherwise; [`delete_all`] is "Also delete all API tokens".
//! - Usage (requests per UTC day, 429s among them) is counted in memory and
//!   added to the store about once a minute ([`usage`]); a token expiring
//!   within 7 days mails its owner once, and again once on its last day
//!   ([`ApiTokens::warn_expiring`]).
//! - Each token keeps the newest five networks it was used from, and a use
//!   from a new one is a security event; a token may be limited to a list
//!   of CIDR ranges, changed behind the same step-up as making a token
//!   ([`networks`]).

pub mod format;
pub mod handover;
pub mod networks;
mod store;
use store::Reminder;
pub mod usage;

pub use format::{ApiToken, Malformed};
pub use networks::AllowedNetworks;

use crate::accounts;
pub use crate::actor::{Access, ApiTokenId, Bearer};
use crate::actor::{AccountId, Actor, ClientMeta};
use crate::change::Change;
use crate::deps::Deps;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{self, Event, EventKind};
use crate::limits::{Backoff, Budget, LimitKey, LimitKind, OnSuccess, Rate, RateDecision};
use crate::outbox::notices::Notice;
use crate::overview::Overview;
use crate::sensitive::{Confirmed, Operation};
use crate::support::db::is_unique_violation;
use crate::support::time_fmt;
use crate::support::user_agent::{self, Device};
use usage::{DayUsage, Tally};

/// Revocations by whoever holds a token, per client IP (and its /24 or
/// /48): twenty at once, then one a few seconds, enough for a secret
/// scanner's batch and no flood of lookups.
pub const REVOKE_BACKOFF: Backoff = Backoff { free_failures: 20, base_secs: 1, max_secs: 60, window_secs: 600 };

/// The REST API's rate: `limit` requests a minute per account, all its
/// tokens together (the limit the server is configured and loaded for).
pub fn api_rate(limit: u32) -> Rate {
    Rate { max: limit, per_secs: 60 }
}

/// A token expiring within this many seconds mails its owner (once).
pub const EXPIRY_WARNING_SECS: i64 = 7 * 86_400;
/// The second reminder: within a day of the expiry.
pub const LAST_DAY_WARNING_SECS: i64 = 86_400;

#[derive(Clone, Debug)]
pub struct ApiTokensConfig {
    /// Last use is written at most this often per token.
    pub last_used_every_secs: i64,
    /// Live tokens an account may hold.
    pub max_per_account: i64,
    /// Tokens not used for this long (counted from their last use, else
    /// from when their secret was made) are deleted by the sweep, and their
    /// owner mailed; 0: never.
    pub unused_after_secs: i64,
}

impl Default for ApiTokensConfig {
    fn default() -> Self {
        ApiTokensConfig { last_used_every_secs: 60, max_per_account: 50, unused_after_secs: 365 * 86_400 }
    }
}

/// The refused-token budgets of the address `meta` comes from (its block
/// and its wider block), under `rule`: the gate of [`ApiTokens::admit`].
fn refused_tokens(meta: &ClientMeta, rule: Backoff) -> [Budget; 2] {
    Budget::client(LimitKind::ApiTokenIp, &meta.ip, rule, OnSuccess::Keep)
}

/// How long a new token works.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Expiry {
    Days30,
    #[default]
    Days90,
    Days365,
    Never,
}

impl Expiry {
    /// Every choice, in the order the form offers them.
    pub const CHOICES: [Expiry; 4] = [Expiry::Days30, Expiry::Days90, Expiry::Days365, Expiry::Never];

    /// As a form sends it: `30`, `90`, `365`, `never`.
    pub fn as_str(self) -> &'static str {
        match self {
            Expiry::Days30 => "30",
            Expiry::Days90 => "90",
            Expiry::Days365 => "365",
            Expiry::Never => "never",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::CHOICES.into_iter().find(|e| e.as_str() == s.trim())
    }
    pub fn label(self) -> &'static str {
        match self {
            Expiry::Days30 => "30 days",
            Expiry::Days90 => "90 days",
            Expiry::Days365 => "365 days",
            Expiry::Never => "No expiry",
        }
    }
    /// When a token made at `now` stops working; `None` for never.
    pub fn expires_at(self, now: i64) -> Option<i64> {
        let days = match self {
            Expiry::Days30 => 30,
            Expiry::Days90 => 90,
            Expiry::Days365 => 365,
            Expiry::Never => return None,
        };
        Some(now + days * 86_400)
    }
}

/// How long the secret a regeneration replaced keeps working beside the
/// new one: long enough to put the new one where the old one was.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Overlap {
    /// It stops at once.
    #[default]
    None,
    Hour,
    Day,
}

impl Overlap {
    /// Every choice, in the order the form offers them.
    pub const CHOICES: [Overlap; 3] = [Overlap::None, Overlap::Hour, Overlap::Day];

    /// As a form sends it: `none`, `1h`, `24h`.
    pub fn as_str(self) -> &'static str {
        match self {
            Overlap::None => "none",
            Overlap::Hour => "1h",
            Overlap::Day => "24h",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::CHOICES.into_iter().find(|o| o.as_str() == s.trim())
    }
    pub fn label(self) -> &'static str {
        match self {
            Overlap::None => "No overlap: the old secret stops now",
            Overlap::Hour => "1 hour",
            Overlap::Day => "24 hours",
        }
    }
    /// How long, in seconds; `None` for no overlap.
    pub fn secs(self) -> Option<i64> {
        match self {
            Overlap::None => None,
            Overlap::Hour => Some(3_600),
            Overlap::Day => Some(86_400),
        }
    }
}

/// Longest token name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// A token's name as its owner typed it (trimmed): 1 to 64 characters, no
/// control characters. Two names that differ only in case are one name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenName(String);

impl TokenName {
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim();
        let refuse = |why: &'static str| Err(Error::refused(ErrorCode::InvalidTokenName, why));
        if s.is_empty() {
            return refuse("Give the token a name, so you can tell it apart later.");
        }
        if s.chars().count() > MAX_NAME_CHARS {
            return refuse("A token name can be at most 64 characters.");
        }
        if s.chars().any(char::is_control) {
            return refuse("A token name cannot hold control characters such as line breaks.");
        }
        Ok(TokenName(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// What uniqueness compares: the name in lower case.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// What the create form sends (the username and password it also sends
/// are the step-up's, checked before).
pub struct CreateForm {
    pub name: String,
    pub expiry: Expiry,
    pub access: Access,
    /// May list and end the account's browser sessions.
    pub sessions_scope: bool,
    /// The networks it may be used from; none: any.
    pub allowed_networks: AllowedNetworks,
}

/// A token just made: the only time its text exists outside the request
/// that presents it. `Debug` hides it.
#[derive(Debug)]
pub struct Created {
    pub id: ApiTokenId,
    pub name: String,
    pub prefix: String,
    pub access: Access,
    pub sessions_scope: bool,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    /// Made by regenerating an existing token (not by creating one).
    pub regenerated: bool,
    /// Made by regenerating: until when the secret it replaced still works
    /// (`None`: it stopped at once, or the token is new).
    pub previous_until: Option<i64>,
    /// Show once, with a copy button; never store or log it.
    pub token: ApiToken,
}

/// The secret a regeneration replaced, while it still works.
#[derive(Clone, Debug)]
pub struct PreviousSecret {
    /// Its first 8 characters after `wdn_`.
    pub prefix: String,
    pub until: i64,
}

/// When and from where a token was last used (to the minute).
#[derive(Clone, Debug)]
pub struct LastUse {
    pub at: i64,
    pub ip: String,
    pub user_agent: String,
    pub device: Device,
}

/// A network a token was used from (an IPv4 address, or an IPv6 /64).
#[derive(Clone, Debug)]
pub struct NetworkUse {
    /// `203.0.113.7`, or `2001:db8:1:2::/64`.
    pub network: String,
    /// The last address seen from it.
    pub ip: String,
    pub user_agent: String,
    pub device: Device,
    pub first_seen: i64,
    pub last_seen: i64,
}

/// A live token as its list shows it.
#[derive(Clone, Debug)]
pub struct TokenEntry {
    pub id: ApiTokenId,
    pub name: String,
    /// The first 8 characters after `wdn_`.
    pub prefix: String,
    pub access: Access,
    /// May list and end the account's browser sessions.
    pub sessions_scope: bool,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    /// Past its expiry: it opens nothing, and stays listed until deleted.
    pub expired: bool,
    pub last_used: Option<LastUse>,
    /// Requests per UTC day over the last [`usage::DAYS`] days, oldest first.
    pub usage: Vec<DayUsage>,
    /// The newest [`networks::KEPT`] networks it was used from, newest first.
    pub networks: Vec<NetworkUse>,
    /// The networks it may be used from; none: any.
    pub allowed: AllowedNetworks,
    /// The secret the last regeneration replaced, while it still works.
    pub previous: Option<PreviousSecret>,
    /// When the current secret was made, when a regeneration made it.
    pub regenerated_at: Option<i64>,
}

/// Why a presented token opens nothing.
enum Refused {
    /// Malformed, unknown, deleted or expired: `invalid_token`.
    Invalid(Error),
    /// A live token from a network it may not be used from: recorded.
    Network { account: AccountId, detail: String, error: Error },
    /// Not the token's fault (the database, say).
    Other(Error),
}

impl From<Error> for Refused {
    fn from(e: Error) -> Self {
        Refused::Other(e)
    }
}

impl From<sqlx::Error> for Refused {
    fn from(e: sqlx::Error) -> Self {
        Refused::Other(e.into())
    }
}

fn invalid_token(message: &'static str) -> Error {
    Error::refused(ErrorCode::InvalidToken, message)
}

fn name_taken() -> Error {
    Error::refused(ErrorCode::TokenNameTaken, "You already have a token with this name: choose another.")
}

fn not_found() -> Error {
    Error::refused(ErrorCode::NotFound, "There is no such API token.")
}

/// A user agent is stored for the list; a hostile one is not stored whole.
const MAX_USER_AGENT: usize = 512;

/// Deletes every live token of `account` within the caller's change (Log
/// out of all devices, "Also delete all API tokens"); how many it deleted.
/// The caller records the event.
pub async fn delete_all(db: &mut sqlx::AnyConnection, account: AccountId, at: i64) -> Result<u64> {
    store::delete_all(db, account, at).await
}

pub struct ApiTokens<'w> {
    deps: &'w Deps,
    cfg: &'w ApiTokensConfig,
    meter: &'w usage::Meter,
}

impl<'w> ApiTokens<'w> {
    /// `meter` counts this process's requests until they are flushed.
    pub fn new(deps: &'w Deps, cfg: &'w ApiTokensConfig, meter: &'w usage::Meter) -> Self {
        ApiTokens { deps, cfg, meter }
    }

    /// The actor's live tokens, newest first, expired ones marked, each with
    /// its usage over the last 30 days (this instance's counts flushed first).
    pub async fn list(&self, actor: &Actor) -> Result<Vec<TokenEntry>> {
        let account = actor.account()?;
        self.flush_usage().await?;
        let now = self.deps.now();
        let today = usage::day_of(now);
        let rows = store::live(self.deps.pool(), account).await?;
        let counts = store::usage_since(self.deps.pool(), account, today - usage::DAYS + 1).await?;
        let mut seen = store::networks_of_account(self.deps.pool(), account).await?;
        let mut networks_of = |id: i64| -> Vec<NetworkUse> {
            let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut seen).into_iter().partition(|n| n.token_id == id);
            seen = rest;
            mine.into_iter()
                .map(|n| NetworkUse {
                    device: user_agent::parse(&n.user_agent),
                    network: n.network,
                    ip: n.ip,
                    user_agent: n.user_agent,
                    first_seen: n.first_seen,
                    last_seen: n.last_seen,
                })
                .collect()
        };
        let usage_of = |id: i64| {
            let mine: Vec<(i64, Tally)> =
                counts.iter().filter(|u| u.token_id == id).map(|u| (u.day, Tally { requests: u.requests, limited: u.limited })).collect();
            usage::last_days(&mine, today)
        };
        rows.into_iter()
            .map(|r| {
                Ok(TokenEntry {
                    usage: usage_of(r.id),
                    networks: networks_of(r.id),
                    allowed: AllowedNetworks::from_stored(&r.allowed_networks)?,
                    id: ApiTokenId::new(r.id),
                    access: Access::parse(&r.access).unwrap_or(Access::Read),
                    sessions_scope: r.sessions_scope != 0,
                    expired: r.expires_at.is_some_and(|e| now >= e),
                    last_used: r.last_used_at.map(|at| {
                        let user_agent = r.last_used_user_agent.unwrap_or_default();
                        LastUse { at, ip: r.last_used_ip.unwrap_or_default(), device: user_agent::parse(&user_agent), user_agent }
                    }),
                    previous: match (r.previous_prefix, r.previous_until) {
                        (Some(prefix), Some(until)) if until > now => Some(PreviousSecret { prefix, until }),
                        _ => None,
                    },
                    regenerated_at: r.regenerated_at,
                    name: r.name,
                    prefix: r.prefix,
                    created_at: r.created_at,
                    expires_at: r.expires_at,
                })
            })
            .collect()
    }

    /// One of the actor's tokens' requests per UTC day over the last 30
    /// days, oldest first. Another account's id answers like an unknown one.
    pub async fn usage(&self, actor: &Actor, id: ApiTokenId) -> Result<Vec<DayUsage>> {
        self.list(actor).await?.into_iter().find(|t| t.id == id).map(|t| t.usage).ok_or_else(not_found)
    }

    /// One request of `account` against the API rate at `limit` a minute
    /// (the REST door's admission, after the token), unless the address
    /// the request comes from must wait for its refused tokens
    /// (`Err(Throttled)`, the rate untouched; see [`Self::admit`]): one
    /// step of the limiter's store, one round trip to Redis.
    pub async fn take_quota(&self, account: AccountId, limit: u32, meta: &ClientMeta, rule: Backoff) -> Result<RateDecision> {
        let key = LimitKey::account(LimitKind::Api, account);
        self.deps.limiter.take_unless_waiting(&key, api_rate(limit), self.deps.now_ms(), &refused_tokens(meta, rule), self.deps.now()).await
    }

    /// How much of the actor's API rate at `limit` a minute recent
    /// requests hold, as the next request would find it, changing nothing
    /// (the tab's quota line).
    pub async fn quota_use(&self, actor: &Actor, limit: u32) -> Result<RateDecision> {
        let key = LimitKey::account(LimitKind::Api, actor.account()?);
        Ok(self.deps.limiter.peek(&key, api_rate(limit), self.deps.now_ms()).await)
    }

    /// Counts one request made with `token` (for the usage chart);
    /// `limited` when the rate limit refused it (429). In memory only, cheap
    /// and synchronous: the REST door calls it on every request it
    /// authenticated. See [`usage`].
    pub fn record(&self, token: ApiTokenId, limited: bool) {
        self.meter.record(token, limited, self.deps.now());
    }

    /// Adds this process's counted requests to the store, in one
    /// transaction; on failure they stay counted for the next flush. The
    /// server calls this every minute and on shutdown; [`Self::list`] before
    /// it reads.
    pub async fn flush_usage(&self) -> Result<()> {
        let taken = self.meter.take();
        if taken.is_empty() {
            return Ok(());
        }
        let write = async {
            let mut tx = self.deps.pool().begin().await?;
            for (token, day, t) in &taken {
                store::add_usage(&mut tx, token.get(), *day, t.requests, t.limited).await?;
            }
            tx.commit().await?;
            Ok::<_, Error>(())
        };
        if let Err(e) = write.await {
            self.meter.give_back(taken);
            return Err(e);
        }
        Ok(())
    }

    /// Removes usage counts older than [`usage::KEEP_DAYS`] days.
    pub async fn sweep_usage(&self) -> Result<u64> {
        store::delete_usage_before(self.deps.pool(), usage::day_of(self.deps.now()) - usage::KEEP_DAYS).await
    }

    /// Mails the owner of every live token that expires within 7 days, once
    /// per token, and again once within its last day (a compare-and-set on
    /// `expiry_warned_at` and `last_day_warned_at`, so several instances
    /// send one mail each), through the change path: the mark, the
    /// event and the queued mail commit together. Only to a verified
    /// address, like every notice. How many tokens were marked.
    pub async fn warn_expiring(&self) -> Result<u64> {
        let now = self.deps.now();
        let system = ClientMeta { ip: String::new(), user_agent: String::new(), session_name: None };
        let mut warned = 0;
        // The last day first: a token first seen on its last day gets that
        // reminder alone.
        for (reminder, ahead) in [(Reminder::LastDay, LAST_DAY_WARNING_SECS), (Reminder::Week, EXPIRY_WARNING_SECS)] {
            for t in store::expiring_unwarned(self.deps.pool(), now, now + ahead, reminder).await? {
                let Some(expires_at) = t.expires_at else { continue };
                let account = AccountId::new(t.account_id);
                let mut change = Change::begin(self.deps).await?;
                let at = change.at();
                if !store::mark_expiry_warned(change.db(), t.id, at, reminder).await? {
                    continue;
                }
                let owner = accounts::find(&mut *change.db(), account).await?;
                if accounts::is_verified_address(change.db(), account, &owner.email).await? {
                    let last_day = reminder == Reminder::LastDay;
                    let mail = crate::outbox::notices::api_token_expiring(
                        &owner.email,
                        &self.deps.public_url,
                        (t.id, &t.name, &t.prefix),
                        expires_at,
                        &owner.zone(),
                        last_day,
                    );
                    change.queue_mail(account, &mail).await?;
                }
                let detail = format!("\"{}\" (wdn_{}…) expires {}", t.name, t.prefix, time_fmt::display(expires_at, &owner.zone()));
                change.commit(Some(account), Event::with_detail(EventKind::ApiTokenExpiring, detail), None, &system).await?;
                warned += 1;
            }
        }
        Ok(warned)
    }

    /// Deletes every live token unused for [`ApiTokensConfig::unused_after_secs`]
    /// (its last use, else when its secret was made, before then), each
    /// through the change path: the delete (a compare-and-set on
    /// `deleted_at`, so of several instances sweeping at once one deletes
    /// and mails), the event and the mail commit together. How many.
    pub async fn sweep_unused(&self) -> Result<u64> {
        let after = self.cfg.unused_after_secs;
        if after <= 0 {
            return Ok(0);
        }
        let now = self.deps.now();
        let system = ClientMeta { ip: String::new(), user_agent: String::new(), session_name: None };
        let mut deleted = 0;
        for t in store::unused_since(self.deps.pool(), now - after).await? {
            let account = AccountId::new(t.account_id);
            let mut change = Change::begin(self.deps).await?;
            let at = change.at();
            if !store::delete_unused(change.db(), t.id, now - after, at).await? {
                continue;
            }
            let owner = accounts::find(&mut *change.db(), account).await?;
            let zone = owner.zone();
            let idle = match t.last_used_at {
                Some(u) => format!("last used {}", time_fmt::display(u, &zone)),
                None => format!("never used since {}", time_fmt::display(t.regenerated_at.unwrap_or(t.created_at), &zone)),
            };
            let days = after / 86_400;
            let notice = Notice {
                to: owner.email,
                subject: "An unused API token of your Warden account was deleted",
                what: format!(
                    "The API token named \"{}\" (wdn_{}…) of your Warden account was deleted because it was not used for {days} days \
                     ({idle}); it opens nothing any more. If something still needs it, create a new token on the API Access Tokens tab",
                    t.name, t.prefix
                )
                .into(),
            };
            let detail = format!("\"{}\" (wdn_{}…), unused for {days} days ({idle})", t.name, t.prefix);
            change.commit(Some(account), Event::with_detail(EventKind::ApiTokenDeleted, detail), Some(notice), &system).await?;
            deleted += 1;
        }
        Ok(deleted)
    }

    /// Keeps a token just made for the next page of the actor's session,
    /// which shows it once (a plain form post, JavaScript off; see
    /// [`handover`]).
    pub async fn hand_over(&self, actor: &Actor, created: &Created) -> Result<()> {
        let (_, session) = actor.browser_session()?;
        handover::hold(self.deps, session, created).await
    }

    /// The token [`Self::hand_over`] kept for the actor's session, once.
    pub async fn take_handed_over(&self, actor: &Actor) -> Result<Option<Created>> {
        let (account, session) = actor.browser_session()?;
        handover::take(self.deps, account, session).await
    }

    /// Makes a token once the step-up passed (the username and password
    /// typed again, and the second factor); the token's text is in the
    /// answer, once. Mails the owner.
    pub async fn create(&self, actor: &Actor, confirmed: &Confirmed, form: &CreateForm, meta: &ClientMeta) -> Result<Created> {
        let (account, _) = actor.browser_session()?;
        confirmed.covers(account, Operation::CreateApiToken)?;
        let name = TokenName::parse(&form.name)?;
        let db = self.deps.pool();
        if store::name_taken(db, account, &name.key()).await? {
            return Err(name_taken());
        }
        if store::count_live(db, account).await? >= self.cfg.max_per_account {
            return Err(Error::refused(
                ErrorCode::TokenLimitReached,
                format!("You have {} API tokens, the most an account can hold: delete one you no longer use first.", self.cfg.max_per_account),
            ));
        }
        let owner = accounts::find(self.deps.pool(), account).await?;

        let token = ApiToken::generate();
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        let expires_at = form.expiry.expires_at(at);
        let (key, hash) = (name.key(), token.hash());
        let new = store::NewToken {
            account,
            name: name.as_str(),
            name_key: &key,
            prefix: token.prefix(),
            token_hash: &hash,
            access: form.access.as_str(),
            sessions_scope: form.sessions_scope,
            created_at: at,
            expires_at,
            allowed_networks: &form.allowed_networks.stored(),
        };
        let id = match store::insert(change.db(), &new).await {
            Ok(id) => id,
            Err(e) if is_unique_violation(&e) => return Err(name_taken()),
            Err(e) => return Err(e.into()),
        };
        let until = match expires_at {
            Some(t) => format!("expires {}", time_fmt::display(t, &owner.zone())),
            None => "never expires".to_owned(),
        };
        let mut scope = match form.sessions_scope {
            true => format!("{}, may see and end browser sessions", form.access.label().to_lowercase()),
            false => form.access.label().to_lowercase(),
        };
        if !form.allowed_networks.is_any() {
            scope = format!("{scope}, only from {}", form.allowed_networks.describe());
        }
        let notice = Notice {
            to: owner.email,
            subject: "A new API token was created for your Warden account",
            what: format!("An API token named \"{}\" (wdn_{}…, {scope}, {until}) was created for your Warden account", name.as_str(), token.prefix())
                .into(),
        };
        let detail = format!("\"{}\" (wdn_{}…), {scope}, {until}", name.as_str(), token.prefix());
        change.commit(Some(account), Event::with_detail(EventKind::ApiTokenCreated, detail), Some(notice), meta).await?;
        Ok(Created {
            id: ApiTokenId::new(id),
            name: name.as_str().to_owned(),
            prefix: token.prefix().to_owned(),
            access: form.access,
            sessions_scope: form.sessions_scope,
            created_at: at,
            expires_at,
            regenerated: false,
            previous_until: None,
            token,
        })
    }

    /// Gives one of the actor's tokens a new secret under the same name,
    /// access, scope, networks and lifetime, once the step-up passed (the
    /// same proof as making a token); the new secret is in the answer,
    /// once. The old one keeps working for `overlap` (never past its own
    /// expiry), so whatever uses it can be moved without a moment with no
    /// working secret; an older secret still in its overlap stops now. The
    /// lifetime starts again (renewing from the expiry reminder), and the
    /// reminders are owed again. Recorded, and the owner mailed. Another
    /// account's id answers like an unknown one, and changes nothing.
    pub async fn regenerate(&self, actor: &Actor, confirmed: &Confirmed, id: ApiTokenId, overlap: Overlap, meta: &ClientMeta) -> Result<Created> {
        let (account, _) = actor.browser_session()?;
        confirmed.covers(account, Operation::RegenerateApiToken)?;
        let owner = accounts::find(self.deps.pool(), account).await?;
        let token = ApiToken::generate();
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        let until = overlap.secs().map(|s| at + s);
        let row = store::regenerate(change.db(), account, id.get(), &token.hash(), token.prefix(), at, until).await?.ok_or_else(not_found)?;
        let zone = owner.zone();
        let old = match row.previous_until {
            Some(t) => format!("the old secret works until {}", time_fmt::display(t, &zone)),
            None => "the old secret stopped working at once".to_owned(),
        };
        let until_text = match row.expires_at {
            Some(t) => format!("expires {}", time_fmt::display(t, &zone)),
            None => "never expires".to_owned(),
        };
        let notice = Notice {
            to: owner.email,
            subject: "An API token of your Warden account was regenerated",
            what: format!(
                "The API token named \"{}\" of your Warden account got a new secret (wdn_{}…, {until_text}); {old}",
                row.name,
                token.prefix()
            )
            .into(),
        };
        let detail = format!("\"{}\" (now wdn_{}…), {until_text}; {old}", row.name, token.prefix());
        change.commit(Some(account), Event::with_detail(EventKind::ApiTokenRegenerated, detail), Some(notice), meta).await?;
        Ok(Created {
            id,
            name: row.name,
            prefix: token.prefix().to_owned(),
            access: Access::parse(&row.access).unwrap_or(Access::Read),
            sessions_scope: row.sessions_scope != 0,
            created_at: row.created_at,
            expires_at: row.expires_at,
            regenerated: true,
            previous_until: row.previous_until,
            token,
        })
    }

    /// Deletes one of the actor's tokens; it opens nothing from the next
    /// request on. Another account's id answers like an unknown one.
    pub async fn delete(&self, actor: &Actor, id: ApiTokenId, meta: &ClientMeta) -> Result<()> {
        let (account, _) = actor.browser_session()?;
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        let name = store::delete(change.db(), account, id.get(), at).await?.ok_or_else(not_found)?;
        change.commit(Some(account), Event::with_detail(EventKind::ApiTokenDeleted, format!("\"{name}\"")), None, meta).await
    }

    /// Who a presented bearer token speaks for: its text must parse (prefix,
    /// length, checksum; no lookup otherwise), its hash must belong to a
    /// live token (its current secret, or the one a regeneration replaced
    /// while its overlap lasts), it must not have expired, and the request
    /// must come from a network the token may be used from (a refusal of
    /// that kind is recorded). Every other refusal is `invalid_token` (401).
    /// Records the use at most once a minute. No budget: the REST door
    /// goes through [`Self::admit`].
    pub async fn authenticate(&self, raw: &str, meta: &ClientMeta) -> Result<Bearer> {
        match self.lookup(Some(raw), meta, false).await {
            Ok((bearer, _)) => Ok(bearer),
            Err(refused) => Err(self.recorded(refused, meta).await?),
        }
    }

    /// The REST door's admission of `raw` (the bearer token, `None` for an
    /// `Authorization` header that is not one): [`Self::authenticate`],
    /// with the client address's budget for refused tokens (`rule`, over
    /// the address and its wider block), and with `read_account` the
    /// token's account as [`crate::overview`] reads it, from the same
    /// statement (one round trip for `GET /api/v1/account`). Nothing is
    /// cached: a deleted token is refused from the first request after the
    /// delete commits.
    ///
    /// The budget damps floods of lookups; it guards no guess (a token holds
    /// 178 random bits). An address this instance has seen waiting is
    /// refused before any lookup, without a trip to the limiter's store; a
    /// wait that began on another instance is found by the store in the
    /// same step that takes the request's rate ([`Self::take_quota`]), so
    /// a good token from a waiting address is refused (429) on every
    /// instance, and that instance remembers the wait for the next request.
    /// A refusal spends a unit, atomically over both blocks, before it is
    /// answered (or recorded): of any burst, at most the free units are
    /// answered `invalid_token` or `network_not_allowed`, the rest wait
    /// (429). A token that opens is not counted at all, so a client's
    /// parallel requests never spend each other's units: spending one for
    /// every request before its lookup (as a guess budget does) throttled
    /// busy clients with good tokens (32 parallel requests of one address
    /// were answered 429 by the dozen).
    pub async fn admit(&self, raw: Option<&str>, meta: &ClientMeta, read_account: bool, rule: Backoff) -> Result<(Bearer, Option<Overview>)> {
        let limiter = &self.deps.limiter;
        let gate = refused_tokens(meta, rule);
        if let Some(wait) = limiter.seen_waiting(&gate, self.deps.now()) {
            return Err(Error::Throttled(wait.max(1)));
        }
        match self.lookup(raw, meta, read_account).await {
            Ok(found) => Ok(found),
            Err(Refused::Other(e)) => Err(e),
            Err(refused) => {
                // Kept spent: the budget counts refusals.
                limiter.refused(gate.to_vec(), self.deps.now()).await?;
                Err(self.recorded(refused, meta).await?)
            }
        }
    }

    /// A refusal as the caller answers it; a refused network is recorded
    /// as a security event first.
    async fn recorded(&self, refused: Refused, meta: &ClientMeta) -> Result<Error> {
        Ok(match refused {
            Refused::Invalid(e) | Refused::Other(e) => e,
            Refused::Network { account, detail, error } => {
                let event = Event::with_detail(EventKind::ApiTokenNetworkRefused, detail);
                events::record(self.deps.pool(), Some(account), &event, meta, self.deps.now()).await?;
                error
            }
        })
    }

    /// The token `raw` opens, or why not (see [`Self::authenticate`]).
    async fn lookup(&self, raw: Option<&str>, meta: &ClientMeta, read_account: bool) -> std::result::Result<(Bearer, Option<Overview>), Refused> {
        let raw = raw.ok_or_else(|| Refused::Invalid(invalid_token("The Authorization header must be: Bearer wdn_…")))?;
        let token = ApiToken::parse(raw).map_err(|m| Refused::Invalid(invalid_token(m.message())))?;
        let now = self.deps.now();
        let db = self.deps.pool();
        let found = match read_account {
            true => store::by_hash_with_account(&self.deps.store, &token.hash(), now).await?.map(|r| (r.token, Some(Overview::from(r.account)))),
            false => store::by_hash(&self.deps.store, &token.hash(), now).await?.map(|r| (r, None)),
        };
        let (row, overview) =
            found.ok_or_else(|| Refused::Invalid(invalid_token("This API token is not valid: it was deleted, or never existed.")))?;
        if row.expires_at.is_some_and(|e| now >= e) {
            return Err(Refused::Invalid(invalid_token("This API token has expired: create a new one on the API Access Tokens tab.")));
        }
        let access = Access::parse(&row.access).ok_or_else(|| Error::internal(format!("api token {} has access {:?}", row.id, row.access)))?;
        let account = AccountId::new(row.account_id);
        if !AllowedNetworks::from_stored(&row.allowed_networks)?.allows(&meta.ip) {
            return Err(Refused::Network {
                account,
                detail: format!("\"{}\" (wdn_{}…) from {}", row.name, row.prefix, meta.ip),
                error: Error::refused(
                    ErrorCode::NetworkNotAllowed,
                    format!("This API token may not be used from {}: its owner limited it to other networks (API Access Tokens tab).", meta.ip),
                ),
            });
        }
        let ua: String = meta.user_agent.chars().take(MAX_USER_AGENT).collect();
        let every = self.cfg.last_used_every_secs;
        if row.last_used_at.is_none_or(|last| last <= now - every) && self.deps.touches.claim(&format!("t{}", row.id), now, every) {
            store::touch(db, row.id, now, &meta.ip, &ua, now - self.cfg.last_used_every_secs).await?;
        }
        self.seen_from(&row, &ua, meta).await?;
        let bearer = Bearer { account, token: ApiTokenId::new(row.id), access, sessions_scope: row.sessions_scope != 0, prefix: row.prefix };
        Ok((bearer, overview))
    }

    /// Records that `row`'s token was used from the request's network (see
    /// [`networks`]), at most once a minute per token and network on each
    /// instance: a known network is one `UPDATE`; an unseen one is
    /// recorded under the token row's lock with the prune to the newest
    /// [`networks::KEPT`], and, unless it is the token's first use, a
    /// security event, all in one transaction.
    async fn seen_from(&self, row: &store::TokenRow, user_agent: &str, meta: &ClientMeta) -> Result<()> {
        let network = networks::network_of(&meta.ip);
        let now = self.deps.now();
        // Seen from here by this instance within the last minute: recorded
        // already (the API's hot path writes at most once a minute per
        // token and network, as it does for "last used").
        if !self.deps.touches.claim(&format!("n{}:{network}", row.id), now, self.cfg.last_used_every_secs) {
            return Ok(());
        }
        if store::seen_again(self.deps.pool(), row.id, &network, &meta.ip, user_agent, now).await? {
            return Ok(());
        }
        let mut tx = self.deps.pool().begin().await?;
        if store::lock_for_new_network(&mut tx, row.id).await?.is_none() {
            // Deleted meanwhile: nothing to record (its next request is refused).
            return Ok(());
        }
        // Under the lock, every earlier recording of this token is committed.
        let (known, recorded) = store::known_networks(&mut tx, row.id, &network).await?;
        store::record_network(&mut tx, row.id, &network, &meta.ip, user_agent, now, networks::KEPT).await?;
        // Another request from this network was first, or this is the
        // token's very first use: nothing new to tell.
        if !known && recorded > 0 {
            let detail = format!("API token \"{}\" (wdn_{}…) was used from a new network {}", row.name, row.prefix, meta.ip);
            let event = Event::with_detail(EventKind::ApiTokenNewNetwork, detail);
            let account = AccountId::new(row.account_id);
            events::record(&mut *tx, Some(account), &event, meta, now).await?;
            (self.deps.announce)(&mut tx, account, event.kind.code(), &event.detail, meta, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Limits one of the actor's tokens to `allowed` (none: any network),
    /// once the step-up passed (the same proof as making a token); it takes
    /// effect on the token's next request. Recorded, and the owner mailed.
    /// Another account's id answers like an unknown one, and changes nothing.
    pub async fn set_allowed_networks(
        &self,
        actor: &Actor,
        confirmed: &Confirmed,
        id: ApiTokenId,
        allowed: &AllowedNetworks,
        meta: &ClientMeta,
    ) -> Result<()> {
        let (account, _) = actor.browser_session()?;
        confirmed.covers(account, Operation::LimitApiTokenNetworks)?;
        let mut change = Change::begin(self.deps).await?;
        let (name, prefix) = store::set_allowed_networks(change.db(), account, id.get(), &allowed.stored()).await?.ok_or_else(not_found)?;
        let owner = accounts::find(&mut *change.db(), account).await?;
        let what = match allowed.is_any() {
            true => "may now be used from any network".to_owned(),
            false => format!("may now be used only from {}", allowed.describe()),
        };
        let notice = Notice {
            to: owner.email,
            subject: "Where an API token of your Warden account may be used changed",
            what: format!("The API token named \"{name}\" (wdn_{prefix}…) of your Warden account {what}").into(),
        };
        let detail = format!("\"{name}\" (wdn_{prefix}…) {what}");
        change.commit(Some(account), Event::with_detail(EventKind::ApiTokenNetworksChanged, detail), Some(notice), meta).await
    }

    /// A token deletes itself (`DELETE /api/v1/token`): whoever holds a
    /// leaked token can kill it without a browser. Recorded and mailed to
    /// the owner.
    pub async fn revoke_self(&self, actor: &Actor, raw: &str, meta: &ClientMeta) -> Result<()> {
        let Actor::ApiToken(bearer) = actor else {
            return Err(Error::refused(ErrorCode::Forbidden, "Only an API token can revoke itself."));
        };
        let token = ApiToken::parse(raw).map_err(|m| invalid_token(m.message()))?;
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        let Some((account, id, name, prefix)) = store::delete_by_hash(change.db(), &token.hash(), at).await? else {
            return Err(invalid_token("This API token is not valid: it was deleted, or never existed."));
        };
        if id != bearer.token.get() || account != bearer.account.get() {
            return Err(Error::internal("a bearer revoked a token other than its own"));
        }
        let account = AccountId::new(account);
        let owner = accounts::find(&mut *change.db(), account).await?;
        let notice = Notice {
            to: owner.email,
            subject: "An API token of your Warden account was revoked",
            what: format!("The API token named \"{name}\" (wdn_{prefix}…) revoked itself through the API; it opens nothing any more").into(),
        };
        let detail = format!("\"{name}\" (wdn_{prefix}…), by the token itself through the API");
        change.commit(Some(account), Event::with_detail(EventKind::ApiTokenDeleted, detail), Some(notice), meta).await
    }

    /// Anyone holding a token revokes it (`POST /api/v1/tokens/revoke`): a
    /// secret scanner that found it published, or whoever came across it.
    /// No credential is asked: the token itself is the proof. The answer
    /// is the same whatever was presented (a live token, a deleted,
    /// expired or unknown one, or text that is no token at all), so the
    /// endpoint tells nothing; a live or expired token is deleted, recorded
    /// and its owner mailed. Every request spends a unit of the caller's
    /// budget first ([`REVOKE_BACKOFF`]).
    pub async fn revoke_presented(&self, raw: &str, meta: &ClientMeta) -> Result<()> {
        let budgets = Budget::client(LimitKind::TokenRevokeIp, &meta.ip, REVOKE_BACKOFF, OnSuccess::Keep);
        // Kept spent whatever the outcome: the budget counts every request.
        let _spent = self.deps.limiter.attempt(budgets.to_vec(), self.deps.now()).await?;
        let Ok(token) = ApiToken::parse(raw.trim()) else { return Ok(()) };
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        let Some((account, _, name, prefix)) = store::delete_by_hash(change.db(), &token.hash(), at).await? else {
            return Ok(());
        };
        let account = AccountId::new(account);
        let owner = accounts::find(&mut *change.db(), account).await?;
        let notice = Notice {
            to: owner.email,
            subject: "An API token of your Warden account was revoked",
            what: format!(
                "The API token named \"{name}\" (wdn_{prefix}…) was revoked by someone who presented it to Warden's revocation address: \
                 a secret scanner that found it published, or whoever held it. It opens nothing any more. If you did not expect this, \
                 the token was exposed: check where it was used, and create a new one for whatever needs it"
            )
            .into(),
        };
        let detail = format!("\"{name}\" (wdn_{prefix}…), revoked by someone who presented it");
        change.commit(Some(account), Event::with_detail(EventKind::ApiTokenDeleted, detail), Some(notice), meta).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_one_to_64_characters_and_compared_ignoring_case() {
        assert_eq!(TokenName::parse("  CI deploy ").map(|n| n.as_str().to_owned()).ok().as_deref(), Some("CI deploy"));
        assert_eq!(TokenName::parse("CI Deploy").map(|n| n.key()).ok(), TokenName::parse("ci deploy").map(|n| n.key()).ok());
        for bad in ["", "   ", "line\nbreak", "tab\there"] {
            assert_eq!(TokenName::parse(bad).map_err(|e| e.code()).err(), Some(ErrorCode::InvalidTokenName), "{bad:?}");
        }
        assert!(TokenName::parse(&"é".repeat(64)).is_ok(), "64 characters, whatever their bytes");
        assert_eq!(TokenName::parse(&"a".repeat(65)).map_err(|e| e.code()).err(), Some(ErrorCode::InvalidTokenName));
    }

    #[test]
    fn expiry_defaults_to_90_days_and_never_means_none() {
        assert_eq!(Expiry::default(), Expiry::Days90);
        assert_eq!(Expiry::Days30.expires_at(1_000), Some(1_000 + 30 * 86_400));
        assert_eq!(Expiry::Days365.expires_at(0), Some(365 * 86_400));
        assert_eq!(Expiry::Never.expires_at(1_000), None);
        for e in Expiry::CHOICES {
            assert_eq!(Expiry::parse(e.as_str()), Some(e));
            assert!(!e.label().is_empty());
        }
        assert_eq!(Expiry::parse("7"), None);
    }

    #[test]
    fn access_round_trips_and_a_read_only_token_cannot_write() {
        for a in [Access::Read, Access::ReadWrite] {
            assert_eq!(Access::parse(a.as_str()), Some(a));
        }
        assert_eq!(Access::parse("admin"), None);
        let bearer =
            |access| Bearer { account: AccountId::new(1), token: ApiTokenId::new(2), access, sessions_scope: false, prefix: "abcdefgh".into() };
        assert_eq!(bearer(Access::Read).require_write().map_err(|e| e.code()), Err(ErrorCode::InsufficientScope));
        assert!(bearer(Access::ReadWrite).require_write().is_ok());
        assert_eq!(
            bearer(Access::ReadWrite).require_sessions().map_err(|e| e.code()),
            Err(ErrorCode::InsufficientScope),
            "a data token is no session token"
        );
        assert!(Bearer { sessions_scope: true, ..bearer(Access::Read) }.require_sessions().is_ok());
        assert_eq!(ErrorCode::InsufficientScope.status(), 403);
        assert_eq!(ApiTokenId::new(7).to_string(), "7");
    }
}
