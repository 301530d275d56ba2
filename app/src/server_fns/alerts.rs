//! Server functions of "Was this you?": the new-sign-in alert switch and
//! session names on Login Security, and the page a "This wasn't me" link
//! opens (public: it asks for no credential, its cookie is the proof).

use leptos::prelude::*;
pub use proto::views::NotMeView;
use proto::{ApiError, Password};

/// The token a followed "This wasn't me" link left in its cookie.
#[cfg(feature = "ssr")]
fn not_me_token(c: &crate::ssr::Call) -> Option<domain::alerts::NotMeToken> {
    crate::ssr::request_cookie(|h| c.cookies.read_not_me(h)).and_then(|t| domain::alerts::NotMeToken::parse(&t))
}

/// What the followed link is about and what was done; `None` without a
/// live link.
#[server(prefix = "/_fn", endpoint = "not_me_status")]
pub async fn not_me_status() -> Result<Option<NotMeView>, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::Public, |c| async move {
        let Some(token) = not_me_token(&c) else { return Ok(None) };
        match c.warden.alerts().status(&token).await {
            Ok(n) => Ok(Some(views::not_me(n, c.warden.now()))),
            Err(e) if e.code() == domain::ErrorCode::AlertLinkInvalid => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await
}

/// "End every session and delete all API tokens", from the link's page.
#[server(prefix = "/_fn", endpoint = "not_me_end_everything")]
pub async fn not_me_end_everything() -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::Public, |c| async move {
        let token = not_me_token(&c).ok_or_else(no_link)?;
        c.warden.alerts().end_everything(&token, &c.meta).await?;
        Ok(())
    })
    .await
}

/// "Send me a password reset link", from the link's page: to the account's
/// confirmed address, once per link.
#[server(prefix = "/_fn", endpoint = "not_me_send_reset")]
pub async fn not_me_send_reset() -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::Public, |c| async move {
        let token = not_me_token(&c).ok_or_else(no_link)?;
        if let Some(address) = c.warden.alerts().claim_reset(&token).await? {
            c.warden.passwords().request_reset(address.as_str(), &c.meta).await?;
        }
        Ok(())
    })
    .await
}

#[cfg(feature = "ssr")]
fn no_link() -> domain::Error {
    domain::Error::refused(domain::ErrorCode::AlertLinkInvalid, "Open the \"This wasn't me\" link from the alert mail first.")
}

/// Turns new-sign-in alerts on, or off after the step-up (the password and
/// a second factor when the account has one, or this session's window).
#[server(prefix = "/_fn", endpoint = "set_sign_in_alerts")]
pub async fn set_sign_in_alerts(on: bool, password: Option<Password>, code: Option<String>) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let confirmed = match on {
            true => None,
            false => Some(confirm(&c, domain::sensitive::Operation::TurnOffSignInAlerts, password, None, code.as_deref()).await?),
        };
        c.warden.alerts().set_enabled(c.actor()?, confirmed.as_ref(), on, &c.meta).await
    })
    .await
}

/// Names one of this account's active sessions ("Work laptop"); an empty
/// name clears it.
#[server(prefix = "/_fn", endpoint = "rename_session")]
pub async fn rename_session(session_id: String, name: String) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        c.warden.sessions().rename(c.actor()?, &domain::SessionId::new(session_id), &name, &c.meta).await
    })
    .await
}

/// "Don't ask again" to the invitation to add a passkey.
#[server(prefix = "/_fn", endpoint = "dismiss_passkey_invite")]
pub async fn dismiss_passkey_invite() -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move { c.warden.security_keys().dismiss_passkey_invite(c.actor()?).await }).await
}
