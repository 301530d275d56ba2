//! "Forgot your password?": a link by mail.
//!
//! Links go only to a verified address (see `accounts::verify`): an
//! unverified one may be a typo, or someone else's.
//!
//! Reset links: 256-bit random tokens, only their SHA-256 stored; each works
//! once, for `PasswordsConfig::reset_link_secs`, and closes when a newer link
//! is sent or the password changes. Asking for a link answers the same, after
//! the same work, whether or not the address has an account: the lookup and
//! the mail happen after the answer. A reset ends every session, signs nobody
//! in, and leaves two-factor authentication on. It deletes the account's API
//! tokens too unless the person unticks "Also delete my API tokens": a reset
//! is how an account is taken back, and a token made by whoever had it must
//! not outlive that. The mail and the activity say how many went.

use super::store::{self, Closed};
use super::{Passwords, PasswordsConfig};
use crate::accounts::{self, Email};
use crate::actor::{AccountId, ClientMeta};
use crate::change::Change;
use crate::credentials::policy::Strength;
use crate::credentials::{new_password, NewPassword};
use crate::deps::Deps;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{Event, EventKind};
use crate::limits::{Budget, LimitKey, LimitKind, OnSuccess};
use crate::outbox::notices::{self, Happened, Notice};
use crate::sessions::{self, EndReason, Which};
use crate::support::random;
use crate::support::secret::Secret;
use std::fmt;
use std::sync::Arc;

/// The bearer secret of a reset link.
#[derive(Clone)]
pub struct ResetToken(Secret);

impl ResetToken {
    pub fn parse(raw: &str) -> Option<Self> {
        (!raw.is_empty() && raw.len() <= 128).then(|| ResetToken(Secret::new(raw)))
    }
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
    fn hash(&self) -> String {
        random::token_hash(self.0.expose())
    }
}

impl fmt::Debug for ResetToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResetToken(<hidden>)")
    }
}

/// The account an open reset link belongs to, as the reset page shows it.
#[derive(Clone, Debug)]
pub struct ResetLink {
    account: AccountId,
    pub username: String,
    pub expires_at: i64,
}

/// The cookie that carries an opened link's token lives at most this long:
/// enough to type a new password, then it is gone even if the link is not.
pub const RESET_COOKIE_MAX_SECS: i64 = 15 * 60;

impl ResetLink {
    /// The account the link resets.
    pub fn account(&self) -> AccountId {
        self.account
    }
    /// How long the browser may keep the token, from `now`.
    pub fn cookie_max_age(&self, now: i64) -> i64 {
        (self.expires_at - now).clamp(1, RESET_COOKIE_MAX_SECS)
    }
}

fn dead_link() -> Error {
    Error::refused(
        ErrorCode::ResetLinkInvalid,
        "This password-reset link is invalid or has expired. A link works once, for a limited time, and only the newest one you asked for works. Ask for a new link.",
    )
}

impl Passwords<'_> {
    /// Checks the input and the budgets, then answers at once; whether a link
    /// is sent is decided afterwards, out of the request's timing. Budgets are
    /// per address and per client IP, apart from sign-in's, so this never
    /// slows anyone's sign-in. The returned task finishes once the link (if
    /// any) is queued; callers need not wait.
    pub async fn request_reset(&self, email: &str, meta: &ClientMeta) -> Result<tokio::task::JoinHandle<()>> {
        let email = Email::parse(email)?;
        // Every request counts, spent before anything else happens: the
        // free budget is a few links an hour per address and per client.
        let mut budgets =
            vec![Budget::new(LimitKey::typed(LimitKind::ResetAddress, email.as_str()), self.cfg.reset_address_backoff, OnSuccess::Keep)];
        budgets.extend(Budget::client(LimitKind::ResetIp, &meta.ip, self.cfg.reset_ip_backoff, OnSuccess::Keep));
        let _counted = self.deps.limiter.attempt(budgets, self.deps.now()).await?;
        let deps = Arc::clone(self.deps);
        let cfg = self.cfg.clone();
        let meta = meta.clone();
        Ok(tokio::spawn(async move {
            if let Err(e) = send_link(&deps, &cfg, &email, &meta).await {
                tracing::error!(error = %e, "could not queue a password-reset link");
            }
        }))
    }

    /// The open link a token belongs to, if it still works. Reading it
    /// changes nothing, so a mail scanner that follows the link spends nothing.
    pub async fn reset_link(&self, token: &ResetToken) -> Result<Option<ResetLink>> {
        let link = store::open_link(self.deps.pool(), &token.hash(), self.deps.now()).await?;
        Ok(link.map(|l| ResetLink { account: AccountId::new(l.account_id), username: l.username, expires_at: l.expires_at }))
    }

    /// The strength meter on the reset page, against that link's account.
    pub async fn strength_for_reset(&self, token: &ResetToken, candidate: &Secret) -> Result<Strength> {
        let link = self.reset_link(token).await?.ok_or_else(dead_link)?;
        self.meter_allows(LimitKey::account(LimitKind::StrengthMeter, link.account)).await?;
        let a = accounts::find(self.deps.pool(), link.account).await?;
        new_password::strength(candidate, &a.chooser(None)).await
    }

    /// Sets the new password through a reset link: the link closes (once,
    /// even under concurrent use), every session of the account ends, with
    /// `delete_api_tokens` every API token is deleted in the same change, and
    /// nobody is signed in. Returns the account's username for the sign-in page.
    pub async fn complete_reset(
        &self,
        token: Option<&ResetToken>,
        new: &Secret,
        confirm: &Secret,
        delete_api_tokens: bool,
        meta: &ClientMeta,
    ) -> Result<String> {
        let token = token.ok_or_else(dead_link)?;
        let account_id = self.reset_link(token).await?.ok_or_else(dead_link)?.account;
        let account = accounts::find(self.deps.pool(), account_id).await?;
        let new = NewPassword::parse(new, confirm, &account.chooser(None)).await?;
        let hash = self.deps.hasher.hash_password(&new).await?;
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        // The account first, as when a link is sent: the same lock order, so
        // using a link while a new one is sent cannot deadlock.
        accounts::lock(change.db(), account_id).await?;
        if !store::use_link(change.db(), account_id, &token.hash(), at).await? {
            return Err(dead_link());
        }
        accounts::set_password_hash(change.db(), account_id, &hash, None, at).await?;
        store::close_open(change.db(), account_id, at, Closed::PasswordChanged).await?;
        let ended = sessions::end(&mut change, Which::AllOf(account_id), EndReason::PasswordChanged).await?;
        let tokens = if delete_api_tokens { crate::api_tokens::delete_all(change.db(), account_id, at).await? } else { 0 };
        let tokens_said = match (delete_api_tokens, tokens) {
            (false, _) => "its API tokens were kept".to_owned(),
            (true, 1) => "1 API token was deleted".to_owned(),
            (true, n) => format!("{n} API tokens were deleted"),
        };
        let notice = Notice {
            to: account.email,
            subject: "Your Warden password was reset",
            what: format!(
                "The password of your Warden account was reset with a link sent to this address; every session was signed out and {tokens_said}"
            )
            .into(),
        };
        let mut detail = sessions::signed_out_detail(ended, "");
        if !detail.is_empty() {
            detail.push_str("; ");
        }
        detail.push_str(&tokens_said.replace("its API tokens were kept", "API tokens kept"));
        let event = Event::with_detail(EventKind::PasswordReset, detail);
        change.commit(Some(account_id), event, Some(notice), meta).await?;
        Ok(account.username)
    }
}

async fn send_link(deps: &Deps, cfg: &PasswordsConfig, email: &Email, meta: &ClientMeta) -> Result<()> {
    let Some(account) = accounts::find_by_verified_email(deps.pool(), email).await? else { return Ok(()) };
    let account_id = account.account_id();
    let token = random::token();
    let mut change = Change::begin(deps).await?;
    let at = change.at();
    // "Close the older links, open this one" must not interleave with another
    // request's: on PostgreSQL (READ COMMITTED) two requests would each close
    // only what was committed before them and both links would stay open. The
    // account's row lock makes them take turns; the later one then sees and
    // closes the earlier one's link. (A partial unique index on the open link
    // per account would refuse the second insert instead, and need a retry.)
    accounts::lock(change.db(), account_id).await?;
    store::close_open(change.db(), account_id, at, Closed::Superseded).await?;
    store::insert(change.db(), account_id, &random::token_hash(&token), at, at + cfg.reset_link_secs).await?;
    let url = format!("{}/password/reset/open?token={}", deps.public_url, token);
    let mail = notices::reset_link(email.as_str(), &account.username, &url, cfg.reset_link_secs / 60, &Happened { at, meta, zone: &account.zone() });
    change.queue_mail(account_id, &mail).await?;
    change.commit(Some(account_id), Event::new(EventKind::PasswordResetRequested), None, meta).await
}
