//! An account as its owner (or its API token) reads it: who it is and how
//! it is protected. Read in one statement from the `account_overview` view
//! (migration 0022), which composes the slices it reads (accounts, second
//! factors, the PIN) in SQL, so none of them imports another for it.

use crate::actor::{AccountId, Actor};
use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::second_factor;

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

/// The columns of the `account_overview` view (migration 0022), as `o`:
/// for a statement that joins it (the REST door's token lookup does).
pub const COLS: &str = "o.account_id, o.username, o.email, o.email_verified_at, o.time_zone, o.account_created_at, \
                        o.password_changed_at, o.authenticator_app_since, o.security_keys, o.passkeys, o.recovery_codes_left, o.pin_since";

/// One row of the `account_overview` view: the account's own columns and,
/// from each slice's table, its second factors and its PIN.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Row {
    pub account_id: i64,
    pub username: String,
    pub email: String,
    pub email_verified_at: Option<i64>,
    pub time_zone: String,
    pub account_created_at: i64,
    pub password_changed_at: Option<i64>,
    pub authenticator_app_since: Option<i64>,
    pub security_keys: i64,
    pub passkeys: i64,
    pub recovery_codes_left: i64,
    pub pin_since: Option<i64>,
}

impl Row {
    /// The row as a hot read reads it ([`crate::support::hot`]): the
    /// columns of [`COLS`].
    pub(crate) fn from_hot(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
        use crate::support::hot::col;
        Ok(Row {
            account_id: col(r, "account_id")?,
            username: col(r, "username")?,
            email: col(r, "email")?,
            email_verified_at: col(r, "email_verified_at")?,
            time_zone: col(r, "time_zone")?,
            account_created_at: col(r, "account_created_at")?,
            password_changed_at: col(r, "password_changed_at")?,
            authenticator_app_since: col(r, "authenticator_app_since")?,
            security_keys: col(r, "security_keys")?,
            passkeys: col(r, "passkeys")?,
            recovery_codes_left: col(r, "recovery_codes_left")?,
            pin_since: col(r, "pin_since")?,
        })
    }
}

impl From<Row> for Overview {
    fn from(r: Row) -> Self {
        Overview {
            id: AccountId::new(r.account_id),
            username: r.username,
            email: r.email,
            email_verified_at: r.email_verified_at,
            time_zone: r.time_zone,
            created_at: r.account_created_at,
            password_changed_at: r.password_changed_at,
            second_factors: second_factor::Methods {
                authenticator_app_since: r.authenticator_app_since,
                security_keys: r.security_keys,
                passkeys: r.passkeys,
                recovery_codes_left: r.recovery_codes_left,
            },
            pin_since: r.pin_since,
        }
    }
}

/// The actor's account: who it is and how it is protected, in one
/// statement. Never a secret (no hash, no key).
pub async fn overview(deps: &Deps, actor: &Actor) -> Result<Overview> {
    let id = actor.account()?;
    let sql = format!("SELECT {COLS} FROM account_overview o WHERE o.account_id = $1");
    let row: Option<Row> = sqlx::query_as(&sql).bind(id.get()).fetch_optional(deps.pool()).await?;
    row.map(Overview::from).ok_or_else(Error::not_signed_in)
}
