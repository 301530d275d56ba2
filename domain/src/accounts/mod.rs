//! Accounts: who someone is (username, email), signing up, and verifying
//! the email address (`verify.rs`). Owns the `accounts` and
//! `email_verifications` tables; other slices read an account through [`find`].
//!
//! Signing up answers the same whether or not the address is registered:
//! the account is created either way (an unverified address may sit on
//! several accounts; only one can hold it verified), and only the mail
//! differs, which only the address's owner reads. A taken username is still
//! said plainly: usernames are public identifiers, not secrets.

pub mod model;
mod store;
pub mod verify;

pub use model::{Email, Username};
pub use store::AccountRow;
pub use verify::{EmailStatus, VerifyLink, VerifyToken, VERIFY_COOKIE_MAX_SECS};

use crate::actor::{AccountId, ClientMeta};
use crate::change::Change;
use crate::credentials::{Chooser, NewPassword};
use crate::deps::Deps;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{Event, EventKind};
use crate::limits::{Backoff, Budget, LimitKey, LimitKind, OnSuccess};
use crate::support::db::is_unique_violation;
use crate::support::secret::Secret;
use crate::support::zone::Zone;

#[derive(Clone, Debug)]
pub struct AccountsConfig {
    /// Sign-ups per client IP (IPv6 by /64). Every attempt counts, made or
    /// not: each one costs a password hash.
    pub sign_up_ip_backoff: Backoff,
    /// How long an email verification link works.
    pub verify_link_secs: i64,
    /// "Send the link again", per account.
    pub resend_backoff: Backoff,
    /// Mails to one address about signing up (confirmation links, "someone
    /// tried to sign up with your address"), whoever asks: a stranger cannot
    /// make Warden flood an inbox.
    pub address_mail_backoff: Backoff,
    /// Accounts whose address is never confirmed are removed after this long.
    pub unverified_max_age_secs: i64,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        AccountsConfig {
            sign_up_ip_backoff: Backoff { free_failures: 10, base_secs: 60, max_secs: 3600, window_secs: 3600 },
            verify_link_secs: 24 * 3600,
            resend_backoff: Backoff { free_failures: 3, base_secs: 60, max_secs: 3600, window_secs: 3600 },
            address_mail_backoff: Backoff { free_failures: 3, base_secs: 86_400, max_secs: 86_400, window_secs: 86_400 },
            unverified_max_age_secs: 7 * 86_400,
        }
    }
}

pub struct SignUpForm {
    pub email: String,
    pub username: String,
    pub password: Secret,
    pub confirm_password: Secret,
    /// The browser's IANA zone, when it said (JavaScript); else UTC.
    pub time_zone: Option<String>,
}

/// Longest login (username or email) looked up at sign-in.
pub const MAX_LOGIN: usize = 254;

/// An account by id. An id that no longer exists is "not signed in": the
/// only way to hold one is a session of a deleted account.
pub async fn find<'c, E>(db: E, id: AccountId) -> Result<AccountRow>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    store::by_id(db, id).await?.ok_or_else(Error::not_signed_in)
}

/// By what a person typed at sign-in: username, or an email address that is
/// verified, folded. An unverified address signs nobody in: several accounts
/// may have typed it, and none has proven it.
pub async fn find_by_login(db: &sqlx::AnyPool, login: &str) -> Result<Option<AccountRow>> {
    let login = login.trim().to_lowercase();
    if login.is_empty() || login.len() > MAX_LOGIN {
        return Ok(None);
    }
    store::by_login(db, &login).await
}

/// The account that holds `email` verified: where reset links may go.
pub async fn find_by_verified_email(db: &sqlx::AnyPool, email: &Email) -> Result<Option<AccountRow>> {
    store::by_verified_email(db, email.as_str()).await
}

/// Whether `email` is the account's verified address: notices go only there.
pub async fn is_verified_address(db: &mut sqlx::AnyConnection, id: AccountId, email: &str) -> Result<bool> {
    store::is_verified_address(db, id, email).await
}

/// The account's zone when `email` is its verified address; `None` when a
/// notice may not go there. See [`store::verified_address_zone`].
pub async fn verified_address_zone(db: &mut sqlx::AnyConnection, id: AccountId, email: &str) -> Result<Option<Zone>> {
    Ok(store::verified_address_zone(db, id, email).await?.map(|z| Zone::parse(&z).unwrap_or_else(Zone::utc)))
}

/// Holds the account's row lock for the rest of the change; see [`store::lock`].
pub async fn lock(db: &mut sqlx::AnyConnection, id: AccountId) -> Result<()> {
    store::lock(db, id).await
}

/// Sets a password hash inside a change; see [`store::set_password_hash`].
pub async fn set_password_hash(db: &mut sqlx::AnyConnection, id: AccountId, new_hash: &str, expected: Option<&str>, at: i64) -> Result<bool> {
    store::set_password_hash(db, id, new_hash, expected, at).await
}

/// Whether the owner wants new-sign-in alerts (on unless turned off).
pub async fn sign_in_alerts(db: &mut sqlx::AnyConnection, id: AccountId) -> Result<bool> {
    store::sign_in_alerts(db, id).await
}

/// Turns new-sign-in alerts on or off; `false` when they already were so.
pub async fn set_sign_in_alerts(db: &mut sqlx::AnyConnection, id: AccountId, on: bool) -> Result<bool> {
    store::set_sign_in_alerts(db, id, on).await
}

/// Whether the owner said "Don't ask again" to the passkey invitation.
pub async fn passkey_invite_dismissed(db: &sqlx::AnyPool, id: AccountId) -> Result<bool> {
    store::passkey_invite_dismissed(db, id).await
}

/// Remembers "Don't ask again" to the passkey invitation (the first time counts).
pub async fn dismiss_passkey_invite(db: &sqlx::AnyPool, id: AccountId, at: i64) -> Result<()> {
    store::dismiss_passkey_invite(db, id, at).await
}

impl AccountRow {
    /// The account's time zone (UTC if what is stored is no longer known).
    pub fn zone(&self) -> Zone {
        Zone::parse(&self.time_zone).unwrap_or_else(Zone::utc)
    }
    pub fn account_id(&self) -> AccountId {
        AccountId::new(self.id)
    }
    /// Who is choosing a password for this account.
    pub fn chooser(&self, current_password: Option<&Secret>) -> Chooser {
        Chooser { username: self.username.clone(), email: self.email.clone(), current_password: current_password.cloned() }
    }
}

pub struct Accounts<'w> {
    deps: &'w Deps,
    cfg: &'w AccountsConfig,
}

impl<'w> Accounts<'w> {
    pub fn new(deps: &'w Deps, cfg: &'w AccountsConfig) -> Self {
        Accounts { deps, cfg }
    }

    /// Creates an account, its address unverified, and mails the address a
    /// verification link (or, if another account holds it verified, mails
    /// that owner instead): the answer is the same either way. The person
    /// signs in afterwards. Every attempt spends the client IP's budget.
    pub async fn sign_up(&self, form: SignUpForm, meta: &ClientMeta) -> Result<AccountId> {
        let budgets = Budget::client(LimitKind::SignUpIp, &meta.ip, self.cfg.sign_up_ip_backoff, OnSuccess::Keep);
        let _counted = self.deps.limiter.attempt(budgets.to_vec(), self.deps.now()).await?;
        let email = Email::parse(&form.email)?;
        let username = Username::parse(&form.username)?;
        let who = Chooser { username: username.as_str().to_owned(), email: email.as_str().to_owned(), current_password: None };
        let password = NewPassword::parse(&form.password, &form.confirm_password, &who).await?;
        let hash = self.deps.hasher.hash_password(&password).await?;
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        let zone = form.time_zone.as_deref().and_then(Zone::parse).unwrap_or_else(Zone::utc);
        let id = match store::insert(change.db(), username.as_str(), email.as_str(), &hash, zone.name(), at).await {
            Ok(id) => AccountId::new(id),
            // Only the username is unique now; the address never refuses.
            Err(e) if is_unique_violation(&e) => {
                return Err(Error::refused(ErrorCode::UsernameTaken, "That username is taken. Choose another one."));
            }
            Err(e) => return Err(e.into()),
        };
        verify::mail_for_address(&mut change, self.cfg, id, username.as_str(), &email, &zone, meta).await?;
        change.commit(Some(id), Event::new(EventKind::AccountCreated), None, meta).await?;
        Ok(id)
    }
}

/// Removes accounts whose address was never confirmed within
/// `unverified_max_age_secs` of signing up (everything of theirs goes with
/// them); how many.
pub async fn sweep_unverified(deps: &Deps, cfg: &AccountsConfig) -> Result<u64> {
    store::delete_unverified_before(deps.pool(), deps.now() - cfg.unverified_max_age_secs).await
}

/// The budget of mails about signing up to `email`: spent by each one.
pub(crate) fn address_mail_budget(cfg: &AccountsConfig, email: &Email) -> Budget {
    Budget::new(LimitKey::typed(LimitKind::AccountMailAddress, email.as_str()), cfg.address_mail_backoff, OnSuccess::Keep)
}

/// The account's time zone (UTC if what is stored is no longer known).
pub async fn time_zone(db: &sqlx::AnyPool, id: AccountId) -> Result<Zone> {
    Ok(find(db, id).await?.zone())
}

impl Accounts<'_> {
    /// The account's time zone (UTC if what is stored is no longer known).
    pub async fn time_zone(&self, id: AccountId) -> Result<Zone> {
        time_zone(self.deps.pool(), id).await
    }
}

/// Stores a new time zone; the caller checks who may (see `reporting`).
pub async fn set_time_zone(db: &sqlx::AnyPool, id: AccountId, zone: &Zone) -> Result<()> {
    store::set_time_zone(db, id, zone.name()).await
}
