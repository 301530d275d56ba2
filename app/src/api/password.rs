//! Server functions of the Password page and of "Forgot your password?".

use super::Stamp;
use crate::error::AppError;
use crate::secret::Password;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PasswordView {
    /// Last changed or reset; `None` if unchanged since the account was made.
    pub changed: Option<Stamp>,
    pub created: Stamp,
}

/// The strength meter's reading. Holds no part of the password.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StrengthView {
    /// 0 (very weak) to 4 (very strong).
    pub score: u8,
    pub label: String,
    pub reason: Option<String>,
    /// Whether the password would be accepted.
    pub acceptable: bool,
}

/// The reset page's view of its link: whose it is, or `None` when the link
/// is missing, used, superseded or expired.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResetView {
    pub username: String,
    pub expires: Stamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PasswordChanged {
    pub other_sessions_ended: u64,
}

#[server(prefix = "/api", endpoint = "password_status")]
pub async fn password_status() -> Result<PasswordView, AppError> {
    use crate::ssr::*;
    let c = ctx()?;
    let cur = require_session()?;
    let s = c.warden.password_status(&cur).await.map_err(fail)?;
    Ok(PasswordView { changed: s.changed_at.map(super::stamp), created: super::stamp(s.created_at) })
}

/// How strong a candidate password is, for the person choosing it: signed
/// in, or holding an open reset link. Nothing is stored or logged.
#[server(prefix = "/api", endpoint = "password_strength")]
pub async fn password_strength(password: Password) -> Result<StrengthView, AppError> {
    use crate::ssr::*;
    let c = ctx()?;
    let candidate: domain::Secret = password.into();
    let s = if let Some(cur) = current_session() {
        c.warden.password_strength_for(cur.account_id, &candidate).await
    } else if let Some(token) = request_cookie(|h| c.cookie.read_reset(h)) {
        c.warden.password_strength_for_reset(&token, &candidate).await
    } else {
        return Err(fail(AppError::NotSignedIn));
    }
    .map_err(fail)?;
    Ok(StrengthView { score: s.score, label: s.label.into(), reason: s.reason, acceptable: s.acceptable })
}

#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(
    current_password: Password,
    new_password: Password,
    confirm_password: Password,
    // An HTML checkbox: sent (as "on") only when ticked.
    sign_out_others: Option<String>,
) -> Result<PasswordChanged, AppError> {
    use crate::ssr::*;
    let c = ctx()?;
    let cur = require_session()?;
    let changed = c
        .warden
        .change_password(
            &cur,
            &current_password.into(),
            &new_password.into(),
            &confirm_password.into(),
            sign_out_others.is_some(),
            &client_meta(),
        )
        .await
        .map_err(fail)?;
    set_cookie(c.cookie.set(changed.session.token.expose()));
    if is_plain_form_post() {
        leptos_axum::redirect(&format!("/account/security/password?changed={}", changed.other_sessions_ended));
    }
    Ok(PasswordChanged { other_sessions_ended: changed.other_sessions_ended })
}

/// "Forgot your password?": the same answer whether or not the address has
/// an account; the link, if any, goes by mail.
#[server(prefix = "/api", endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let c = ctx()?;
    // The lookup and the mail run after the answer, so its timing says nothing.
    let _queued = c.warden.request_password_reset(&email, &client_meta()).await.map_err(fail)?;
    leptos_axum::redirect("/password/forgot?sent=1");
    Ok(())
}

#[server(prefix = "/api", endpoint = "reset_link_status")]
pub async fn reset_link_status() -> Result<Option<ResetView>, AppError> {
    use crate::ssr::*;
    let c = ctx()?;
    let Some(token) = request_cookie(|h| c.cookie.read_reset(h)) else { return Ok(None) };
    let link = c.warden.reset_link(&token).await.map_err(fail)?;
    Ok(link.map(|l| ResetView { username: l.username, expires: super::stamp(l.expires_at) }))
}

/// Sets the new password through the link held in the reset cookie. Every
/// session ends; the person signs in afresh (with 2FA, if it is on).
#[server(prefix = "/api", endpoint = "complete_password_reset")]
pub async fn complete_password_reset(new_password: Password, confirm_password: Password) -> Result<(), AppError> {
    use crate::ssr::*;
    let c = ctx()?;
    let token = request_cookie(|h| c.cookie.read_reset(h)).unwrap_or_default();
    c.warden
        .complete_password_reset(&token, &new_password.into(), &confirm_password.into(), &client_meta())
        .await
        .map_err(fail)?;
    set_cookie(c.cookie.clear_reset());
    // Whatever session this browser had ended with the others.
    set_cookie(c.cookie.clear());
    leptos_axum::redirect("/signin?reason=password_reset");
    Ok(())
}
