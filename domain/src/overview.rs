//! An account as its owner (or its API token) reads it: who it is and how
//! it is protected. Composed above the slices it reads (accounts, second
//! factors, the PIN), so none of them imports another for it.

use crate::actor::{AccountId, Actor};
use crate::deps::Deps;
use crate::error::Result;
use crate::{accounts, protection, second_factor};

/// What an account is, as its owner (or its API token) reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overview {
    pub id: AccountId,
    pub username: String,
    pub email: String,
    /// When the address was confirmed by its mailed link; `None` until then.
    pub email_verified_at: Option<i64>,
    /// The IANA zone the person's days are counted in.
    pub time_zone: String,
    pub created_at: i64,
    pub password_changed_at: Option<i64>,
    /// The account's second factors (any one of them means "two-factor
    /// authentication is on").
    pub second_factors: second_factor::Methods,
    /// Since when earlier days' reports ask for the Protection PIN (in the
    /// dashboard only: never for an API token), if they do.
    pub pin_since: Option<i64>,
}

/// The actor's account: who it is and how it is protected. Never a secret
/// (no hash, no key).
pub async fn overview(deps: &Deps, actor: &Actor) -> Result<Overview> {
    let id = actor.account()?;
    let db = deps.pool();
    let row = accounts::find(db, id).await?;
    Ok(Overview {
        id,
        second_factors: second_factor::methods(db, id).await?,
        pin_since: protection::pin_set_since(db, id).await?,
        username: row.username,
        email: row.email,
        email_verified_at: row.email_verified_at,
        time_zone: row.time_zone,
        created_at: row.created_at,
        password_changed_at: row.password_changed_at,
    })
}
