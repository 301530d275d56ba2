//! "Was this you?": the new-sign-in alert, its "This wasn't me" link, and
//! the mail log that lets an owner tell our mail from a copy.
//!
//! **The rule.** A sign-in that completes (after its second step, when the
//! account has one) is *new* when the browser holds no device cookie of the
//! account ([`crate::sessions::devices`]) **and** it comes from a network
//! (IPv4 /24, IPv6 /48) the account has not completed a sign-in from in the
//! last 90 days. A new sign-in mails the owner, unless they turned alerts
//! off; a known browser on a new network is an event only, and so is every
//! sign-in from a known network. The account's first sign-in (the one right
//! after sign-up) sets the first known network and mails nothing. Keying on
//! the browser *and* the network keeps the mail rare enough to be read: a
//! new IP address alone (a phone between cells) is not news.
//!
//! **The link.** The alert carries a single-use link (256 random bits, only
//! its SHA-256 kept, 7 days, bound to that sign-in's session). It asks for
//! no credential, so a copied mail cannot be turned into a page that
//! collects one, and it does only what cannot hurt the owner: following it
//! ends that session, forgets that browser's device cookie and that
//! sign-in's network (the next new browser there alerts again) at once, and
//! the page it opens offers, once each, "End every session and delete all
//! API tokens" and "Send me a password reset link" (to the confirmed
//! address, never anywhere the request says). Each use is one
//! compare-and-set ([`store::take`]): of parallel clicks exactly one acts,
//! the others are told it is already done.
//!
//! **The mail log.** Every mail about the account is listed on Login
//! Security for 90 days (subject, when, to which address, partly hidden as
//! everywhere on the pages; the body is not kept), and every mail ends by saying so
//! ([`crate::outbox::notices::MAIL_LOG_LINE`]).

mod store;

pub use crate::outbox::store::LoggedMail;
pub use store::Step;

use crate::accounts::{self, AccountRow};
use crate::actor::{AccountId, Actor, ClientMeta, SessionId};
use crate::change::Change;
use crate::deps::Deps;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{Event, EventKind};
use crate::limits::ip_wide_block;
use crate::outbox::notices::{self, Happened, Notice};
use crate::sensitive::{Confirmed, Operation};
use crate::sessions::{self, EndReason, Which};
use crate::support::random;
use crate::support::secret::Secret;
use crate::support::user_agent::{self, Device};
use crate::support::zone::Zone;
use std::fmt;

const DAY: i64 = 86_400;

#[derive(Clone, Debug)]
pub struct AlertsConfig {
    /// How long a network stays known after the last sign-in from it.
    pub network_memory_secs: i64,
    /// How long a "This wasn't me" link works.
    pub link_secs: i64,
    /// How far back the mail log reaches.
    pub mail_log_secs: i64,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig { network_memory_secs: 90 * DAY, link_secs: 7 * DAY, mail_log_secs: 90 * DAY }
    }
}

/// Mails the log lists at most.
pub const MAIL_LOG_MAX: i64 = 200;

/// The token of a "This wasn't me" link.
#[derive(Clone)]
pub struct NotMeToken(Secret);

impl NotMeToken {
    /// A token as the link or its cookie carried it; anything that cannot
    /// be one of ours is `None`.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = raw.len() == 43 && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| NotMeToken(Secret::new(raw.to_owned())))
    }
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
    fn hash(&self) -> String {
        random::token_hash(self.0.expose())
    }
}

impl fmt::Debug for NotMeToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NotMeToken(<hidden>)")
    }
}

/// Where a completed sign-in came from, and what the alert rule made of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The account's first sign-in: its network is now known.
    First,
    /// A network the account used in the last 90 days.
    KnownNetwork,
    /// A browser that signed in before, on a new network: an event.
    KnownBrowserNewNetwork,
    /// Neither: an event, and the alert mail when alerts are on.
    New,
}

/// The rule, on its facts.
pub fn verdict(first: bool, network_seen: bool, known_browser: bool) -> Verdict {
    match (first, network_seen, known_browser) {
        (true, _, _) => Verdict::First,
        (false, true, _) => Verdict::KnownNetwork,
        (false, false, true) => Verdict::KnownBrowserNewNetwork,
        (false, false, false) => Verdict::New,
    }
}

/// Applies the rule to a sign-in that just completed as `session`, inside
/// the change that completes it (so the alert, its link and its event
/// commit with the session, or none of them does). `known_browser`: the
/// browser brought a live device cookie of the account.
pub async fn on_sign_in(
    change: &mut Change<'_>,
    cfg: &AlertsConfig,
    owner: &AccountRow,
    session: &SessionId,
    known_browser: bool,
    meta: &ClientMeta,
) -> Result<Verdict> {
    let at = change.at();
    let account = owner.account_id();
    let network = ip_wide_block(&meta.ip);
    let first = !store::has_networks(change.db(), account).await?;
    let seen = !first && store::network_seen(change.db(), account, &network, at - cfg.network_memory_secs).await?;
    store::touch_network(change.db(), account, &network, at).await?;
    let v = verdict(first, seen, known_browser);
    let d = user_agent::parse(&meta.user_agent);
    let said = format!("{} on {}, network {network}", d.browser, d.os);
    match v {
        Verdict::First | Verdict::KnownNetwork => {}
        Verdict::KnownBrowserNewNetwork => {
            change.record(Some(account), &Event::with_detail(EventKind::SignedInFromNewNetwork, said), meta).await?;
        }
        Verdict::New => {
            let on = accounts::sign_in_alerts(change.db(), account).await?;
            let verified = owner.email_verified_at.is_some();
            let detail = match (on, verified) {
                (true, true) => {
                    let token = NotMeToken(Secret::new(random::token()));
                    let row = store::NewAlert {
                        account,
                        session_id: session.as_str(),
                        token_hash: &token.hash(),
                        ip: &meta.ip,
                        user_agent: &meta.user_agent,
                        at,
                        expires_at: at + cfg.link_secs,
                    };
                    store::insert_alert(change.db(), &row).await?;
                    let url = format!("{}/wasnt-me/open?token={}", change.public_url(), token.expose());
                    let h = Happened { at, meta, zone: &owner.zone() };
                    let mail = notices::new_sign_in(&owner.email, change.public_url(), &url, None, &h);
                    change.queue_mail(account, &mail).await?;
                    format!("{said}; alert mailed")
                }
                (false, _) => format!("{said}; alerts are off, nothing mailed"),
                (true, false) => format!("{said}; no confirmed address to mail"),
            };
            change.record(Some(account), &Event::with_detail(EventKind::NewSignIn, detail), meta).await?;
        }
    }
    Ok(v)
}

/// A "This wasn't me" link as its page shows it.
#[derive(Clone, Debug)]
pub struct NotMe {
    /// This request was the one that acted (a later click only reads).
    pub acted_now: bool,
    pub signed_in_at: i64,
    pub ip: String,
    pub device: Device,
    /// When the link was first followed (that session ended then).
    pub followed_at: i64,
    pub expires_at: i64,
    pub ended_all_at: Option<i64>,
    pub reset_sent_at: Option<i64>,
    /// The account's zone, for the times.
    pub zone: Zone,
    /// Whether a reset link can be mailed (the account has a confirmed address).
    pub can_reset: bool,
}

/// What the link's "End every session and delete all API tokens" ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndedEverything {
    pub sessions: u64,
    pub api_tokens: u64,
}

pub struct Alerts<'w> {
    deps: &'w Deps,
    cfg: &'w AlertsConfig,
}

impl<'w> Alerts<'w> {
    pub fn new(deps: &'w Deps, cfg: &'w AlertsConfig) -> Self {
        Alerts { deps, cfg }
    }

    fn invalid() -> Error {
        Error::refused(
            ErrorCode::AlertLinkInvalid,
            "This link is not valid, or its 7 days are over. If someone else may be in your account, sign in and use \
             \"Log out of all devices\", or reset your password.",
        )
    }

    /// The live alert a token names.
    async fn live(&self, db: &mut sqlx::AnyConnection, token: &NotMeToken, now: i64) -> Result<store::AlertRow> {
        store::alert_by_hash(db, &token.hash()).await?.filter(|a| a.expires_at > now).ok_or_else(Self::invalid)
    }

    /// Follows the link: the first time, ends the session the alert is about
    /// and forgets that browser's device cookie, in one change with its
    /// event; later, changes nothing. Unknown or expired: refused.
    pub async fn follow(&self, token: &NotMeToken, meta: &ClientMeta) -> Result<NotMe> {
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        let acted_now = store::take(change.db(), &token.hash(), Step::Follow, at).await?;
        let alert = self.live(change.db(), token, at).await?;
        let account = AccountId::new(alert.account_id);
        if acted_now {
            let session = SessionId::new(alert.session_id.clone());
            let ended = sessions::end(&mut change, Which::One(account, &session), EndReason::ReportedNotYou).await?;
            // The network it came from is not the owner's: the next new
            // browser there is news again.
            store::forget_network(change.db(), account, &ip_wide_block(&alert.ip)).await?;
            let d = user_agent::parse(&alert.user_agent);
            let state = if ended == 1 { "that session ended" } else { "that session had already ended" };
            let detail = format!("{} on {}, {}: {state}, and that browser is forgotten", d.browser, d.os, alert.ip);
            change.commit(Some(account), Event::with_detail(EventKind::SignInReportedNotYou, detail), None, meta).await?;
        }
        let mut page = self.status(token).await?;
        page.acted_now = acted_now;
        Ok(page)
    }

    /// The link's page: what it is about and what was done, without acting.
    pub async fn status(&self, token: &NotMeToken) -> Result<NotMe> {
        let mut db = self.deps.pool().acquire().await?;
        let alert = self.live(&mut db, token, self.deps.now()).await?;
        let followed_at = alert.used_at.ok_or_else(Self::invalid)?;
        let owner = accounts::find(&mut *db, AccountId::new(alert.account_id)).await?;
        Ok(NotMe {
            acted_now: false,
            signed_in_at: alert.created_at,
            device: user_agent::parse(&alert.user_agent),
            ip: alert.ip,
            followed_at,
            expires_at: alert.expires_at,
            ended_all_at: alert.ended_all_at,
            reset_sent_at: alert.reset_sent_at,
            zone: owner.zone(),
            can_reset: owner.email_verified_at.is_some(),
        })
    }

    /// "End every session and delete all API tokens", once per link, after
    /// it was followed: every session of the account ends and every device
    /// cookie is forgotten, with every live API token, in one change.
    /// `None`: already done from this link.
    pub async fn end_everything(&self, token: &NotMeToken, meta: &ClientMeta) -> Result<Option<EndedEverything>> {
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        let taken = store::take(change.db(), &token.hash(), Step::EndAll, at).await?;
        let alert = self.live(change.db(), token, at).await?;
        if alert.used_at.is_none() {
            return Err(Self::invalid());
        }
        if !taken {
            return Ok(None);
        }
        let account = AccountId::new(alert.account_id);
        let sessions = sessions::end(&mut change, Which::AllOf(account), EndReason::LoggedOutAllDevices).await?;
        let api_tokens = crate::api_tokens::delete_all(change.db(), account, at).await?;
        let done = format!(
            "{}; {}",
            match sessions {
                1 => "1 session ended".to_owned(),
                n => format!("{n} sessions ended"),
            },
            match api_tokens {
                1 => "1 API token deleted".to_owned(),
                n => format!("{n} API tokens deleted"),
            }
        );
        let owner = accounts::find(change.db(), account).await?;
        let notice = Notice {
            to: owner.email,
            subject: "Every session of your Warden account was ended",
            what: format!("From the \"This wasn't me\" link of a new-sign-in alert: {done}, and every browser was forgotten").into(),
        };
        let event = Event::with_detail(EventKind::LoggedOutAllDevices, format!("from a \"This wasn't me\" link: {done}"));
        change.commit(Some(account), event, Some(notice), meta).await?;
        Ok(Some(EndedEverything { sessions, api_tokens }))
    }

    /// "Send me a password reset link", once per link, after it was
    /// followed: the confirmed address of the account, for the door to ask
    /// `passwords().request_reset` with. `None`: already sent from this link.
    pub async fn claim_reset(&self, token: &NotMeToken) -> Result<Option<accounts::Email>> {
        let mut db = self.deps.pool().acquire().await?;
        let at = self.deps.now();
        let alert = self.live(&mut db, token, at).await?;
        let owner = accounts::find(&mut *db, AccountId::new(alert.account_id)).await?;
        if alert.used_at.is_none() || owner.email_verified_at.is_none() {
            return Err(Self::invalid());
        }
        // Outside a transaction: the compare-and-set alone decides.
        if !store::take(&mut db, &token.hash(), Step::Reset, at).await? {
            return Ok(None);
        }
        Ok(Some(accounts::Email::parse(&owner.email)?))
    }

    /// Whether new-sign-in alerts are on for the actor's account.
    pub async fn enabled(&self, actor: &Actor) -> Result<bool> {
        let (account, _) = actor.browser_session()?;
        let mut db = self.deps.pool().acquire().await?;
        accounts::sign_in_alerts(&mut db, account).await
    }

    /// Turns the alerts on (no proof needed) or off (after the step-up: a
    /// thief's first move would be to silence them). A change is recorded
    /// and mailed; setting what already is changes nothing.
    pub async fn set_enabled(&self, actor: &Actor, confirmed: Option<&Confirmed>, on: bool, meta: &ClientMeta) -> Result<()> {
        let (account, _) = actor.browser_session()?;
        if !on {
            confirmed.ok_or_else(|| Error::internal("turning alerts off without a step-up"))?.covers(account, Operation::TurnOffSignInAlerts)?;
        }
        let mut change = Change::begin(self.deps).await?;
        if !accounts::set_sign_in_alerts(change.db(), account, on).await? {
            return Ok(());
        }
        let owner = accounts::find(change.db(), account).await?;
        let (kind, subject, what) = match on {
            true => (EventKind::SignInAlertsOn, "New-sign-in alerts are on", "New-sign-in alerts of your Warden account were turned on"),
            false => (
                EventKind::SignInAlertsOff,
                "New-sign-in alerts were turned off",
                "New-sign-in alerts of your Warden account were turned off: a sign-in from a new browser and network is now only listed on Login Security",
            ),
        };
        change.commit(Some(account), Event::new(kind), Some(Notice { to: owner.email, subject, what: what.into() }), meta).await
    }

    /// The mail log: every mail about the actor's account in the last 90
    /// days, newest first (a held notice only once it is due). Addresses
    /// are partly hidden, as everywhere on the pages: enough to recognise.
    pub async fn mail_log(&self, actor: &Actor) -> Result<Vec<LoggedMail>> {
        let (account, _) = actor.browser_session()?;
        let now = self.deps.now();
        let mut log = crate::outbox::store::log_for(self.deps.pool(), account, now - self.cfg.mail_log_secs, now, MAIL_LOG_MAX).await?;
        for m in &mut log {
            m.to_addr = accounts::verify::mask(&m.to_addr);
        }
        Ok(log)
    }

    /// Forgets networks not seen for the memory's length, and alerts whose
    /// links ended. Part of [`crate::Warden::sweep`].
    pub async fn sweep(&self) -> Result<u64> {
        let now = self.deps.now();
        let networks = store::delete_stale_networks(self.deps.pool(), now - self.cfg.network_memory_secs).await?;
        let links = store::delete_expired_alerts(self.deps.pool(), now).await?;
        Ok(networks + links)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_new_browser_on_a_new_network_is_a_new_sign_in() {
        assert_eq!(verdict(true, false, false), Verdict::First);
        assert_eq!(verdict(false, true, false), Verdict::KnownNetwork);
        assert_eq!(verdict(false, true, true), Verdict::KnownNetwork);
        assert_eq!(verdict(false, false, true), Verdict::KnownBrowserNewNetwork);
        assert_eq!(verdict(false, false, false), Verdict::New);
    }

    #[test]
    fn a_link_token_is_read_only_when_well_formed_and_never_printed() {
        let t = random::token();
        let parsed = NotMeToken::parse(&t).expect("a token of ours");
        assert!(!format!("{parsed:?}").contains(&t));
        assert!(NotMeToken::parse("short").is_none());
        assert!(NotMeToken::parse(&format!("{}!", &t[..42])).is_none());
    }
}
