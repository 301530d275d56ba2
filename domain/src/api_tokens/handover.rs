//! A new token's way to the page that shows it once when JavaScript is off.
//!
//! With JavaScript the token travels in the answer to the form's fetch and
//! lives only in the page's memory. A plain form post is answered with a
//! redirect, so the token must wait for the page that follows, on whichever
//! instance that page lands: not in the URL, not in a cookie, but in one
//! database row per session, sealed by the secret box (AES-GCM, bound to the
//! session's id, so a row moved to another session does not open), for two
//! minutes at most, and taken (deleted, in the same statement that reads it)
//! by the first page that shows it, so a reload shows only the prefix. The
//! sweep removes rows nobody came for.

use super::{store, Created};
use crate::actor::{AccountId, SessionId};
use crate::api_tokens::ApiToken;
use crate::deps::Deps;
use crate::Result;

/// How long a token waits for its page, in seconds.
pub const HOLD_SECS: i64 = 120;

fn bound_to(session: &SessionId) -> Vec<u8> {
    format!("api_token_handover:{}", session.as_str()).into_bytes()
}

/// Holds `created` for the next page of `session` (replacing one not yet shown).
pub async fn hold(deps: &Deps, session: &SessionId, created: &Created) -> Result<()> {
    let sealed = deps.secret_box.seal(created.token.expose().as_bytes(), &bound_to(session))?;
    store::hold_handover(deps.pool(), session.as_str(), &sealed, deps.now() + HOLD_SECS).await
}

/// The token held for `session` of `account`, once: still live, still the account's.
pub async fn take(deps: &Deps, account: AccountId, session: &SessionId) -> Result<Option<Created>> {
    let Some(sealed) = store::take_handover(deps.pool(), session.as_str(), deps.now()).await? else { return Ok(None) };
    let plain = deps.secret_box.open(&sealed, &bound_to(session))?;
    let token = String::from_utf8(plain).ok().and_then(|t| ApiToken::parse(&t).ok());
    let Some(token) = token else { return Err(crate::Error::internal("api token handover: not a token")) };
    let Some(row) = store::by_hash(&deps.store, &token.hash(), deps.now()).await? else { return Ok(None) };
    if row.account_id != account.get() {
        return Ok(None);
    }
    Ok(Some(Created {
        id: super::ApiTokenId::new(row.id),
        name: row.name,
        prefix: row.prefix,
        access: super::Access::parse(&row.access).unwrap_or(super::Access::Read),
        sessions_scope: row.sessions_scope != 0,
        created_at: row.created_at,
        expires_at: row.expires_at,
        regenerated: row.regenerated_at.is_some(),
        previous_until: row.previous_until.filter(|&t| t > deps.now() && row.regenerated_at.is_some()),
        token,
    }))
}

/// Forgets tokens nobody came for.
pub async fn sweep(deps: &Deps) -> Result<u64> {
    store::delete_handovers_before(deps.pool(), deps.now()).await
}
