//! Proving an email address by a mailed link, before it receives reset links
//! and security notices (an unverified address may be a typo, or someone
//! else's).
//!
//! Links: 256-bit random tokens, only their SHA-256 stored with the address
//! they went to; each works once (compare-and-set), for
//! `AccountsConfig::verify_link_secs`, and closes when a newer one is sent.
//! Opening a link spends nothing (mail scanners follow links): the address is
//! verified when the person presses Confirm on the page it opens. Only one
//! account holds an address verified (a unique index); the second to confirm
//! is told so, and nothing changes.
//!
//! Who gets what, so that nobody learns whether an address is registered:
//! when another account already holds the address verified, its owner gets
//! "someone tried to sign up with your address" instead of a link; otherwise
//! the address gets a link. The person asking sees the same either way.

use super::store::{self, Closed};
use super::{Accounts, AccountsConfig, Email};
use crate::actor::{AccountId, Actor, ClientMeta};
use crate::change::Change;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{Event, EventKind};
use crate::limits::{Budget, LimitKey, LimitKind, OnSuccess};
use crate::outbox::notices::{self, Happened};
use crate::support::db::is_unique_violation;
use crate::support::random;
use crate::support::secret::Secret;
use crate::support::zone::Zone;
use std::fmt;

/// The bearer secret of a verification link.
#[derive(Clone)]
pub struct VerifyToken(Secret);

impl VerifyToken {
    pub fn parse(raw: &str) -> Option<Self> {
        (!raw.is_empty() && raw.len() <= 128).then(|| VerifyToken(Secret::new(raw)))
    }
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
    fn hash(&self) -> String {
        random::token_hash(self.0.expose())
    }
}

impl fmt::Debug for VerifyToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerifyToken(<hidden>)")
    }
}

/// An open verification link, as its page shows it.
#[derive(Clone, Debug)]
pub struct VerifyLink {
    account: AccountId,
    email: String,
    pub username: String,
    pub expires_at: i64,
}

impl VerifyLink {
    /// The account the link confirms an address for.
    pub fn account(&self) -> AccountId {
        self.account
    }
    /// The address, partly hidden (`a…@example.com`).
    pub fn masked_email(&self) -> String {
        mask(&self.email)
    }
    /// How long the browser may keep the token, from `now`.
    pub fn cookie_max_age(&self, now: i64) -> i64 {
        (self.expires_at - now).clamp(1, VERIFY_COOKIE_MAX_SECS)
    }
}

/// The cookie that carries an opened link's token lives at most this long.
pub const VERIFY_COOKIE_MAX_SECS: i64 = 15 * 60;

/// The account's address and whether it is verified, for the pages.
#[derive(Clone, Debug)]
pub struct EmailStatus {
    /// Partly hidden (`a…@example.com`): enough to recognise, not to read out.
    pub masked: String,
    pub verified_at: Option<i64>,
    /// When an account never confirmed is removed (see [`super::sweep_unverified`]).
    pub removed_if_unconfirmed_at: i64,
}

/// `ann@example.com` → `a…@example.com`.
pub fn mask(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}…@{domain}")
        }
        None => "…".into(),
    }
}

fn dead_link() -> Error {
    Error::refused(
        ErrorCode::VerifyLinkInvalid,
        "This confirmation link is invalid or has expired. A link works once, for a limited time, and only the newest one works. \
         Sign in and use \"Send the link again\" on Login Security.",
    )
}

fn taken() -> Error {
    Error::refused(
        ErrorCode::EmailTaken,
        "This address has been confirmed for another Warden account in the meantime, so it cannot be confirmed for this one. \
         Sign in to that account, or give this account another address.",
    )
}

/// Inside a change for `account` (whose address is `email`): mails the
/// address a new verification link, or, when another account already holds
/// it verified, mails that owner "someone tried to sign up with your address".
pub(crate) async fn mail_for_address(
    change: &mut Change<'_>,
    cfg: &AccountsConfig,
    account: AccountId,
    username: &str,
    email: &Email,
    zone: &Zone,
    meta: &ClientMeta,
) -> Result<()> {
    let at = change.at();
    let public_url = change.public_url().to_owned();
    let happened = Happened { at, meta, zone };
    // A few mails a day to one address, whoever asks: past them the request
    // answers the same and nothing is sent ("Send the link again" later).
    match change.deps().limiter.attempt(vec![super::address_mail_budget(cfg, email)], at).await {
        Ok(_counted) => {}
        Err(Error::Throttled(_)) => {
            tracing::warn!(target: "security", account = account.get(), "sign-up mail to an address held back: its daily budget is spent");
            return Ok(());
        }
        Err(e) => return Err(e),
    }
    if let Some(owner) = store::by_verified_email(change.db(), email.as_str()).await?.filter(|o| o.account_id() != account) {
        let mail = notices::sign_up_attempt(&owner.email, &owner.username, &public_url, &Happened { zone: &owner.zone(), ..happened });
        return change.queue_mail(owner.account_id(), &mail).await;
    }
    let token = random::token();
    store::close_open_verify_links(change.db(), account, at, Closed::Superseded).await?;
    match store::insert_verify_link(change.db(), account, email.as_str(), &random::token_hash(&token), at, at + cfg.verify_link_secs).await {
        Ok(()) => {}
        // Two requests of the same account raced: the other one's link stands.
        Err(e) if is_unique_violation(&e) => return Err(Error::busy()),
        Err(e) => return Err(e.into()),
    }
    let url = format!("{public_url}/email/verify/open?token={token}");
    let mail = notices::verify_link(email.as_str(), username, &url, (cfg.verify_link_secs / 3600).max(1), &happened);
    change.queue_mail(account, &mail).await
}

impl Accounts<'_> {
    /// The signed-in account's address and whether it is verified.
    pub async fn email_status(&self, actor: &Actor) -> Result<EmailStatus> {
        let a = super::find(self.deps.pool(), actor.account()?).await?;
        Ok(EmailStatus {
            masked: mask(&a.email),
            verified_at: a.email_verified_at,
            removed_if_unconfirmed_at: a.created_at + self.cfg.unverified_max_age_secs,
        })
    }

    /// "Send the link again": a new link (the older one closes), or, if the
    /// address is another account's verified one, a note to that owner. A
    /// few an hour per account; an address already verified gets nothing.
    pub async fn resend_verification(&self, actor: &Actor, meta: &ClientMeta) -> Result<()> {
        let (account_id, _) = actor.browser_session()?;
        let budget = Budget::new(LimitKey::account(LimitKind::VerifyResend, account_id), self.cfg.resend_backoff, OnSuccess::Keep);
        let _counted = self.deps.limiter.attempt(vec![budget], self.deps.now()).await?;
        let account = super::find(self.deps.pool(), account_id).await?;
        if account.email_verified_at.is_some() {
            return Ok(());
        }
        let email = Email::parse(&account.email)?;
        let mut change = Change::begin(self.deps).await?;
        // Resends of one account queue up behind each other: each closes
        // the link the one before it made, and none finds its own new link
        // refused because another request's is open.
        store::lock(change.db(), account_id).await?;
        mail_for_address(&mut change, self.cfg, account_id, &account.username, &email, &account.zone(), meta).await?;
        change.commit(Some(account_id), Event::new(EventKind::EmailVerificationSent), None, meta).await
    }

    /// The open link a token belongs to, if it still works. Reading it
    /// changes nothing, so a mail scanner that follows the link spends nothing.
    pub async fn verify_link(&self, token: &VerifyToken) -> Result<Option<VerifyLink>> {
        let link = store::open_verify_link(self.deps.pool(), &token.hash(), self.deps.now()).await?;
        Ok(link.map(|l| VerifyLink { account: AccountId::new(l.account_id), email: l.email, username: l.username, expires_at: l.expires_at }))
    }

    /// Confirms the address through a link: the link is spent (once, even
    /// under concurrent use) and the address becomes the account's verified
    /// one, unless another account verified it first. Returns the username.
    pub async fn confirm_email(&self, token: Option<&VerifyToken>, meta: &ClientMeta) -> Result<String> {
        let token = token.ok_or_else(dead_link)?;
        let link = self.verify_link(token).await?.ok_or_else(dead_link)?;
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        if !store::use_verify_link(change.db(), link.account, &token.hash(), at).await? {
            return Err(dead_link());
        }
        match store::set_email_verified(change.db(), link.account, &link.email, at).await {
            Ok(true) => {}
            Ok(false) => return Err(dead_link()),
            Err(e) if is_unique_violation(&e) => return Err(taken()),
            Err(e) => return Err(e.into()),
        }
        change.commit(Some(link.account), Event::new(EventKind::EmailVerified), None, meta).await?;
        Ok(link.username)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_masked_to_their_first_letter_and_domain() {
        assert_eq!(mask("ann@example.com"), "a…@example.com");
        assert_eq!(mask("ö@example.com"), "ö…@example.com");
        assert_eq!(mask("nonsense"), "…");
    }

    #[test]
    fn tokens_never_reach_debug_output() {
        let t = VerifyToken::parse("secret-token").expect("token");
        assert_eq!(format!("{t:?}"), "VerifyToken(<hidden>)");
        assert!(VerifyToken::parse("").is_none());
        assert!(VerifyToken::parse(&"a".repeat(129)).is_none());
    }
}
