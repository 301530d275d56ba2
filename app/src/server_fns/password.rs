//! Server functions of the Password page and of "Forgot your password?".

use leptos::prelude::*;
pub use proto::views::{PasswordChanged, PasswordView, ResetView, StrengthView};
use proto::{ApiError, Password};

/// The token an opened reset link left in its cookie.
#[cfg(feature = "ssr")]
fn reset_token(c: &crate::ssr::Call) -> Option<domain::passwords::ResetToken> {
    crate::ssr::request_cookie(|h| c.cookies.read_reset(h)).and_then(|t| domain::passwords::ResetToken::parse(&t))
}

#[server(prefix = "/_fn", endpoint = "password_status")]
pub async fn password_status() -> Result<PasswordView, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move { Ok(views::password(c.warden.passwords().status(c.actor()?).await?, &c.times())) }).await
}

/// How strong a candidate password is, for the person choosing it: signed
/// in, or holding an open reset link. Nothing is stored or logged.
#[server(prefix = "/_fn", endpoint = "password_strength")]
pub async fn password_strength(password: Password) -> Result<StrengthView, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::Public, |c| async move {
        let candidate: domain::Secret = password.into();
        let s = match (c.actor_if_any(), reset_token(&c)) {
            (Some(actor @ domain::Actor::Session { .. }), _) => c.warden.passwords().strength(actor, &candidate).await?,
            (_, Some(token)) => c.warden.passwords().strength_for_reset(&token, &candidate).await?,
            _ => return Err(domain::Error::not_signed_in()),
        };
        Ok(StrengthView { score: s.score, label: s.label.into(), reason: s.reason, acceptable: s.acceptable })
    })
    .await
}

#[server(prefix = "/_fn", endpoint = "change_password")]
pub async fn change_password(
    current_password: Password,
    new_password: Password,
    confirm_password: Password,
    // An HTML checkbox: sent (as "on") only when ticked.
    sign_out_others: Option<String>,
) -> Result<PasswordChanged, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let (current, new, confirm): (domain::Secret, domain::Secret, domain::Secret) =
            (current_password.into(), new_password.into(), confirm_password.into());
        let changed = c.warden.passwords().change(c.actor()?, &current, &new, &confirm, sign_out_others.is_some(), &c.meta).await?;
        set_cookie(c.cookies.set(changed.session.token.expose()));
        if is_plain_form_post() {
            leptos_axum::redirect(&format!("/account/security/password?changed={}", changed.other_sessions_ended));
        }
        Ok(PasswordChanged { other_sessions_ended: changed.other_sessions_ended })
    })
    .await
}

/// "Forgot your password?": the same answer whether or not the address has
/// an account; the link, if any, goes by mail.
#[server(prefix = "/_fn", endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::Public, |c| async move {
        // The lookup and the mail run after the answer, so its timing says nothing.
        let _queued = c.warden.passwords().request_reset(&email, &c.meta).await?;
        leptos_axum::redirect("/password/forgot?sent=1");
        Ok(())
    })
    .await
}

#[server(prefix = "/_fn", endpoint = "reset_link_status")]
pub async fn reset_link_status() -> Result<Option<ResetView>, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::Public, |c| async move {
        let Some(token) = reset_token(&c) else { return Ok(None) };
        let link = c.warden.passwords().reset_link(&token).await?;
        let Some(l) = link else { return Ok(None) };
        let expires = c.times_of(l.account()).await?.stamp(l.expires_at);
        Ok(Some(ResetView { username: l.username, expires }))
    })
    .await
}

/// Sets the new password through the link held in the reset cookie. Every
/// session ends; the person signs in afresh (with 2FA, if it is on). The
/// account's API tokens are deleted too, unless the form offered the choice
/// (`api_tokens_choice`) and "Also delete my API tokens"
/// (`delete_api_tokens`, a checkbox, ticked by default) was unticked: a
/// caller that offers no choice gets the safe side.
#[server(prefix = "/_fn", endpoint = "complete_password_reset")]
pub async fn complete_password_reset(
    new_password: Password,
    confirm_password: Password,
    delete_api_tokens: Option<String>,
    api_tokens_choice: Option<String>,
) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::Public, |c| async move {
        let token = reset_token(&c);
        let delete_tokens = delete_api_tokens.is_some() || api_tokens_choice.is_none();
        c.warden.passwords().complete_reset(token.as_ref(), &new_password.into(), &confirm_password.into(), delete_tokens, &c.meta).await?;
        set_cookie(c.cookies.clear_reset());
        // Whatever session this browser had ended with the others.
        set_cookie(c.cookies.clear());
        leptos_axum::redirect("/signin?reason=password_reset");
        Ok(())
    })
    .await
}
