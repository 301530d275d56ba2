//! Browser sessions: the cookie token's session, how long it lives, the
//! Login Security list, and ending one or all of them. Owns the `sessions`
//! table. Signing in (which creates sessions) is the `sign_in` slice.

pub mod devices;
pub use crate::lifetimes;
mod store;

pub use lifetimes::{EndReason, Lapse, Lifetimes};
pub use store::{lock_reports, open_step_up, reports_unlocked_until, step_up_window, unlock_reports, Which};

use crate::actor::{AccountId, Actor, ClientMeta, SessionId, SessionToken};
use crate::change::Change;
use crate::deps::Deps;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{Event, EventKind};
use crate::sensitive::{Confirmed, Operation};
use crate::support::random;
use crate::support::user_agent::Device;
use crate::support::zone::Zone;

#[derive(Clone, Debug)]
pub struct SessionsConfig {
    pub lifetimes: Lifetimes,
    /// How long the two-factor step of a sign-in may take.
    pub second_factor_window_secs: i64,
    /// Ended sessions shown per page on Login Security.
    pub ended_page_size: i64,
}

impl SessionsConfig {
    pub fn lapse(&self) -> Lapse {
        Lapse { lifetimes: self.lifetimes, second_factor_window_secs: self.second_factor_window_secs }
    }
}

impl Default for SessionsConfig {
    fn default() -> Self {
        SessionsConfig { lifetimes: Lifetimes::default(), second_factor_window_secs: 300, ended_page_size: 50 }
    }
}

/// A session just created or given a new token: the token goes into the
/// cookie and nowhere else.
pub struct NewSession {
    pub session_id: SessionId,
    pub token: SessionToken,
    /// The password was right, but the account asks for a second factor:
    /// until it is given, this session reaches nothing.
    pub second_factor_required: bool,
}

/// One session as Login Security lists it.
#[derive(Clone, Debug)]
pub struct SessionEntry {
    pub id: SessionId,
    pub device: Device,
    pub ip: String,
    pub started_at: i64,
    pub last_active_at: i64,
    pub ended_at: Option<i64>,
    pub end_reason: Option<EndReason>,
    pub current: bool,
    /// The name the owner gave it, if any.
    pub name: Option<String>,
}

/// A session's name as the owner typed it: trimmed, at most
/// [`MAX_SESSION_NAME`] characters, no control characters; empty clears it.
pub fn parse_session_name(raw: &str) -> Result<Option<String>> {
    let name = raw.trim();
    if name.chars().count() > MAX_SESSION_NAME || name.chars().any(char::is_control) {
        return Err(Error::refused_field(
            ErrorCode::InvalidSessionName,
            "name",
            format!("A session's name is at most {MAX_SESSION_NAME} characters, without line breaks or control characters."),
        ));
    }
    Ok((!name.is_empty()).then(|| name.to_owned()))
}

/// The longest session name.
pub const MAX_SESSION_NAME: usize = 40;

#[derive(Clone, Debug)]
pub struct SessionList {
    pub active: Vec<SessionEntry>,
    pub ended: Vec<SessionEntry>,
    /// 0-based page of ended sessions.
    pub page: i64,
    pub has_older: bool,
}

/// What "Log out of all devices" ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndedAll {
    pub sessions: u64,
    /// API tokens deleted with them ("Also delete all API tokens"); 0 when not asked.
    pub api_tokens: u64,
}

/// Starts a session for `account` (pending its second factor, or not).
pub async fn create<'c, E>(db: E, account: AccountId, meta: &ClientMeta, second_factor_pending: bool, at: i64) -> Result<NewSession>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let token = SessionToken::generate();
    let id = SessionId::new(random::public_id());
    store::insert(db, &id, account, &token.hash(), meta, at, second_factor_pending).await?;
    Ok(NewSession { session_id: id, token, second_factor_required: second_factor_pending })
}

/// Ends the sessions `which` names (see [`Which`]) and revokes the device
/// cookies that go with them (see [`devices::revoke_with`]),
/// so a browser signed out from elsewhere loses its sign-in budget too.
/// Sessions of the account that had already lapsed are written down first as
/// they ended (see [`Lapse`]): Login Security showed them as expired, and
/// ending "all" or "all others" must not relabel them or count them.
pub async fn end(change: &mut Change<'_>, which: Which<'_>, reason: EndReason) -> Result<u64> {
    let ended = end_keeping_devices(change, which, reason).await?;
    let at = change.at();
    devices::revoke_with(change.db(), which, reason, at).await?;
    Ok(ended)
}

/// Ends the sessions `which` names, as [`end`] does, but leaves the device
/// cookies that go with them: an API token ending a session must not take
/// the owner's browser its own sign-in budget.
async fn end_keeping_devices(change: &mut Change<'_>, which: Which<'_>, reason: EndReason) -> Result<u64> {
    let at = change.at();
    let lapse = change.deps().session_lapse;
    let db = change.db();
    if !matches!(which, Which::One(..)) {
        store::settle_lapsed(&mut *db, which.account(), &lapse, at).await?;
    }
    store::end(&mut *db, which, reason, at).await
}

/// A new token for an active session (after a password change, or when a
/// pending sign-in completes its second factor): the old token stops working.
pub async fn renew<'c, E>(db: E, account: AccountId, id: &SessionId, at: i64, complete_second_factor: bool) -> Result<NewSession>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let token = SessionToken::generate();
    if !store::replace_token(db, account, id, &token.hash(), at, complete_second_factor).await? {
        return Err(Error::not_signed_in());
    }
    Ok(NewSession { session_id: id.clone(), token, second_factor_required: false })
}

/// "1 other session signed out", for event details.
pub fn signed_out_detail(n: u64, other: &str) -> String {
    match n {
        0 => String::new(),
        1 => format!("1 {other}session signed out"),
        n => format!("{n} {other}sessions signed out"),
    }
}

pub struct Sessions<'w> {
    deps: &'w Deps,
    cfg: &'w SessionsConfig,
}

impl<'w> Sessions<'w> {
    pub fn new(deps: &'w Deps, cfg: &'w SessionsConfig) -> Self {
        Sessions { deps, cfg }
    }

    /// The actor a cookie token belongs to, if its session is still valid.
    /// Ends it (reason "expired", or "two-factor step not completed") when
    /// its time has passed.
    pub async fn authenticate(&self, token: &SessionToken) -> Result<Option<Actor>> {
        let now = self.deps.now();
        let Some(row) = store::by_token_hash(&self.deps.store, &token.hash()).await? else { return Ok(None) };
        let id = SessionId::new(row.id);
        let account = AccountId::new(row.account_id);
        let life = self.cfg.lifetimes;
        let pending = row.second_factor_pending != 0;
        if let Some((at, reason)) = self.cfg.lapse().lapsed(row.created_at, row.last_active_at, pending, now) {
            store::end(self.deps.pool(), Which::One(account, &id), reason, at).await?;
            return Ok(None);
        }
        if life.needs_touch(row.last_active_at, now) && self.deps.touches.claim(&format!("s{}", id.as_str()), now, life.touch_every_secs) {
            store::touch(self.deps.pool(), &id, now, now - life.touch_every_secs).await?;
        }
        Ok(Some(if pending {
            Actor::PendingSecondFactor { account, session: id }
        } else {
            let zone = Zone::parse(&row.time_zone).unwrap_or_else(Zone::utc);
            Actor::Session { account, session: id, username: row.username, zone, name: row.name }
        }))
    }

    /// Ends this browser's session, full or pending.
    pub async fn sign_out(&self, actor: &Actor, meta: &ClientMeta) -> Result<()> {
        let (account, session) = actor.any_browser_session().ok_or_else(Error::not_signed_in)?;
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        store::end(change.db(), Which::One(account, session), EndReason::SignedOut, at).await?;
        change.commit(Some(account), Event::new(EventKind::SignedOut), None, meta).await
    }

    /// Ends one other active session of the same account: from a browser
    /// session once the step-up passed (`confirmed`; never itself: that is
    /// Sign out), or with an API token that has the `sessions` scope (any
    /// session of its account; a token is no session, and the browser keeps
    /// its device cookie). Another account's session id is "not found",
    /// exactly like an unknown one.
    pub async fn end_other(&self, actor: &Actor, confirmed: Option<&Confirmed>, session_id: &SessionId, meta: &ClientMeta) -> Result<()> {
        let account = match actor {
            Actor::ApiToken(bearer) => {
                bearer.require_sessions()?;
                bearer.account
            }
            _ => {
                let (account, _) = actor.browser_session()?;
                confirmed.ok_or_else(|| Error::internal("ending a session without a step-up"))?.covers(account, Operation::EndSession)?;
                account
            }
        };
        if actor.any_browser_session().is_some_and(|(_, current)| current == session_id) {
            return Err(Error::refused(ErrorCode::CannotEndCurrentSession, "This is the session you are using. Use Sign out to end it."));
        }
        let not_found = || Error::refused(ErrorCode::NotFound, "That session has already ended or does not exist.");
        // One that has lapsed is shown among the ended ones: "not found" too.
        let row = store::active_one(self.deps.pool(), account, session_id, &self.cfg.lapse(), self.deps.now()).await?.ok_or_else(not_found)?;
        let mut change = Change::begin(self.deps).await?;
        let which = Which::One(account, session_id);
        let ended = match actor {
            Actor::ApiToken(_) => end_keeping_devices(&mut change, which, EndReason::EndedFromAnotherSession).await?,
            _ => end(&mut change, which, EndReason::EndedFromAnotherSession).await?,
        };
        if ended == 0 {
            return Err(not_found());
        }
        let d = row.device();
        let by = match actor {
            Actor::ApiToken(bearer) => format!(", with API token wdn_{}…", bearer.prefix),
            _ => String::new(),
        };
        let named = row.name.as_deref().map(|n| format!("\"{n}\" — ")).unwrap_or_default();
        let detail = format!("{named}{} on {}, {}{by}", d.browser, d.os, row.ip);
        change.commit(Some(account), Event::with_detail(EventKind::SessionEnded, detail), None, meta).await
    }

    /// "Log out of all devices": every active session of the account, this
    /// one included, ends at the same instant, in one transaction, and every
    /// device cookie of the account is revoked. With `also_api_tokens`
    /// ("Also delete all API tokens") every live API token of the account is
    /// deleted in the same change, and the event says how many.
    pub async fn end_all(&self, actor: &Actor, confirmed: &Confirmed, also_api_tokens: bool, meta: &ClientMeta) -> Result<EndedAll> {
        let (account, _) = actor.browser_session()?;
        confirmed.covers(account, Operation::EndAllSessions)?;
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        let sessions = end(&mut change, Which::AllOf(account), EndReason::LoggedOutAllDevices).await?;
        let api_tokens = if also_api_tokens { crate::api_tokens::delete_all(change.db(), account, at).await? } else { 0 };
        let mut detail = format!("{sessions} sessions ended");
        if also_api_tokens {
            detail.push_str(&match api_tokens {
                1 => "; 1 API token deleted".to_owned(),
                n => format!("; {n} API tokens deleted"),
            });
        }
        change.commit(Some(account), Event::with_detail(EventKind::LoggedOutAllDevices, detail), None, meta).await?;
        Ok(EndedAll { sessions, api_tokens })
    }

    /// Active sessions ("This device" first, then the most recently active),
    /// then one page of ended ones, newest first. An API token with the
    /// `sessions` scope reads the list too; none of its sessions is "this
    /// device".
    ///
    /// A read, and only a read: sessions that lapsed without another request
    /// are shown among the ended ones, with when and why they lapsed,
    /// computed by the queries; [`Self::sweep_lapsed`] writes them down.
    pub async fn list(&self, actor: &Actor, page: i64) -> Result<SessionList> {
        let account = actor.account()?;
        if let Actor::ApiToken(bearer) = actor {
            bearer.require_sessions()?;
        }
        let current = actor.any_browser_session().map(|(_, s)| s.as_str()).unwrap_or("");
        let now = self.deps.now();
        let lapse = self.cfg.lapse();
        let active = store::active(&self.deps.store, account, &lapse, now).await?;
        let page = page.clamp(0, 10_000);
        let size = self.cfg.ended_page_size;
        let ended = store::ended(&self.deps.store, account, &lapse, now, size + 1, page * size).await?;
        let entry = |r: store::SessionRow| SessionEntry {
            current: !current.is_empty() && r.id == current,
            device: r.device(),
            ip: r.ip,
            started_at: r.created_at,
            last_active_at: r.last_active_at,
            ended_at: r.ended_at,
            end_reason: r.end_reason.as_deref().and_then(EndReason::from_code),
            name: r.name,
            id: SessionId::new(r.id),
        };
        let mut active: Vec<_> = active.into_iter().map(entry).collect();
        active.sort_by_key(|s| !s.current);
        let has_older = ended.len() as i64 > size;
        let ended = ended.into_iter().take(size as usize).map(entry).collect();
        Ok(SessionList { active, ended, page, has_older })
    }

    /// Names one active session of the actor's account ("Work laptop"), or
    /// clears its name: shown on Login Security and in the activity. No
    /// step-up: a name opens nothing. Another account's session, an ended
    /// one or an unknown id is "not found".
    pub async fn rename(&self, actor: &Actor, session_id: &SessionId, name: &str, meta: &ClientMeta) -> Result<()> {
        let (account, _) = actor.browser_session()?;
        let name = parse_session_name(name)?;
        let not_found = || Error::refused(ErrorCode::NotFound, "That session has already ended or does not exist.");
        let row = store::active_one(self.deps.pool(), account, session_id, &self.cfg.lapse(), self.deps.now()).await?.ok_or_else(not_found)?;
        if row.name == name {
            return Ok(());
        }
        let mut change = Change::begin(self.deps).await?;
        if !store::rename(change.db(), account, session_id, name.as_deref()).await? {
            return Err(not_found());
        }
        let d = row.device();
        let detail = match &name {
            Some(n) => format!("{} on {}, {}: now \"{n}\"", d.browser, d.os, row.ip),
            None => format!("{} on {}, {}: name cleared", d.browser, d.os, row.ip),
        };
        change.commit(Some(account), Event::with_detail(EventKind::SessionRenamed, detail), None, meta).await
    }

    /// Writes down the sessions of every account that lapsed without another
    /// request (see [`Lapse`]), a bounded batch at a time, so the table
    /// converges without any page view writing. Part of [`crate::Warden::sweep`].
    pub async fn sweep_lapsed(&self) -> Result<u64> {
        let now = self.deps.now();
        let mut settled = 0;
        for _ in 0..SWEEP_BATCHES {
            let n = store::settle_lapsed_batch(self.deps.pool(), &self.cfg.lapse(), now, SWEEP_BATCH).await?;
            settled += n;
            if n < SWEEP_BATCH as u64 {
                break;
            }
        }
        Ok(settled)
    }
}

/// Sessions the sweep settles per statement, and statements per sweep: a
/// short write each, so sign-ins are not held up behind one long one. Any
/// left over wait for the next sweep; until then reads compute them.
const SWEEP_BATCH: i64 = 500;
const SWEEP_BATCHES: usize = 20;
