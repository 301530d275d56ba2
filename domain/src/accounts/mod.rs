//! Accounts: who someone is (username, email) and signing up. Owns the
//! `accounts` table; other slices read an account through [`find`].

pub mod model;
mod store;

pub use model::{Email, Username};
pub use store::AccountRow;

use crate::actor::{AccountId, ClientMeta};
use crate::change::Change;
use crate::credentials::{Chooser, NewPassword};
use crate::deps::Deps;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{Event, EventKind};
use crate::support::db::is_unique_violation;
use crate::support::secret::Secret;

pub struct SignUpForm {
    pub email: String,
    pub username: String,
    pub password: Secret,
    pub confirm_password: Secret,
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

/// By what a person typed at sign-in: username or email, folded.
pub async fn find_by_login(db: &sqlx::AnyPool, login: &str) -> Result<Option<AccountRow>> {
    let login = login.trim().to_lowercase();
    if login.is_empty() || login.len() > MAX_LOGIN {
        return Ok(None);
    }
    store::by_login(db, &login).await
}

pub async fn find_by_email(db: &sqlx::AnyPool, email: &Email) -> Result<Option<AccountRow>> {
    store::by_email(db, email.as_str()).await
}

/// Holds the account's row lock for the rest of the change; see [`store::lock`].
pub async fn lock(db: &mut sqlx::AnyConnection, id: AccountId) -> Result<()> {
    store::lock(db, id).await
}

/// Sets a password hash inside a change; see [`store::set_password_hash`].
pub async fn set_password_hash(db: &mut sqlx::AnyConnection, id: AccountId, new_hash: &str, expected: Option<&str>, at: i64) -> Result<bool> {
    store::set_password_hash(db, id, new_hash, expected, at).await
}

impl AccountRow {
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
}

impl<'w> Accounts<'w> {
    pub fn new(deps: &'w Deps) -> Self {
        Accounts { deps }
    }

    /// Creates an account. The person signs in afterwards.
    pub async fn sign_up(&self, form: SignUpForm, meta: &ClientMeta) -> Result<AccountId> {
        let email = Email::parse(&form.email)?;
        let username = Username::parse(&form.username)?;
        let who = Chooser { username: username.as_str().to_owned(), email: email.as_str().to_owned(), current_password: None };
        let password = NewPassword::parse(&form.password, &form.confirm_password, &who).await?;
        let hash = self.deps.hasher.hash_password(&password).await?;
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        let id = match store::insert(change.db(), username.as_str(), email.as_str(), &hash, at).await {
            Ok(id) => AccountId::new(id),
            Err(e) if is_unique_violation(&e) => {
                drop(change);
                return Err(if store::username_exists(self.deps.pool(), username.as_str()).await? {
                    Error::refused(ErrorCode::UsernameTaken, "That username is taken. Choose another one.")
                } else {
                    Error::refused(ErrorCode::EmailTaken, "An account with this email address already exists. Sign in, or reset your password.")
                });
            }
            Err(e) => return Err(e.into()),
        };
        change.commit(Some(id), Event::new(EventKind::AccountCreated), None, meta).await?;
        Ok(id)
    }
}
