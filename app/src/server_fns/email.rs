//! Server functions of email verification: the banner on Login Security
//! ("Confirm your email address", "Send the link again") and the page an
//! emailed link opens.

use leptos::prelude::*;
use proto::views::{UnverifiedEmailView, VerifyView};
use proto::ApiError;

/// The token an opened verification link left in its cookie.
#[cfg(feature = "ssr")]
fn verify_token(c: &crate::ssr::Call) -> Option<domain::accounts::VerifyToken> {
    crate::ssr::request_cookie(|h| c.cookies.read_verify(h)).and_then(|t| domain::accounts::VerifyToken::parse(&t))
}

/// The signed-in account's address while it is unverified; `None` once it is.
#[server(prefix = "/_fn", endpoint = "email_status")]
pub async fn email_status() -> Result<Option<UnverifiedEmailView>, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let s = c.warden.accounts().email_status(c.actor()?).await?;
        Ok(s.verified_at.is_none().then(|| UnverifiedEmailView { email: s.masked, removed_at: c.times().stamp(s.removed_if_unconfirmed_at) }))
    })
    .await
}

/// "Send the link again" (a few an hour).
#[server(prefix = "/_fn", endpoint = "resend_verification")]
pub async fn resend_verification() -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        c.warden.accounts().resend_verification(c.actor()?, &c.meta).await?;
        leptos_axum::redirect(&format!("{}?link_sent=1", crate::gate::paths::SESSIONS));
        Ok(())
    })
    .await
}

#[server(prefix = "/_fn", endpoint = "verify_link_status")]
pub async fn verify_link_status() -> Result<Option<VerifyView>, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::Public, |c| async move {
        let Some(token) = verify_token(&c) else { return Ok(None) };
        let link = c.warden.accounts().verify_link(&token).await?;
        let Some(l) = link else { return Ok(None) };
        let expires = c.times_of(l.account()).await?.stamp(l.expires_at);
        Ok(Some(VerifyView { email: l.masked_email(), username: l.username, expires }))
    })
    .await
}

/// Confirms the address through the link held in the verification cookie.
#[server(prefix = "/_fn", endpoint = "confirm_email")]
pub async fn confirm_email() -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::Public, |c| async move {
        let token = verify_token(&c);
        c.warden.accounts().confirm_email(token.as_ref(), &c.meta).await?;
        set_cookie(c.cookies.clear_verify());
        leptos_axum::redirect(&format!("{}?confirmed=1", crate::gate::paths::VERIFY_EMAIL));
        Ok(())
    })
    .await
}
