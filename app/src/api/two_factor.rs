//! Server functions of the Two-Factor Auth page and the second sign-in step.

use super::Stamp;
use crate::error::AppError;
use crate::secret::Password;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TwoFactorView {
    pub enabled_since: Option<Stamp>,
    pub recovery_codes_left: i64,
    /// Only while an enrolment waits for its first code.
    pub pending: Option<EnrolmentView>,
    /// Recovery codes just created by a plain form post (JavaScript off),
    /// shown once on the page it was redirected to.
    pub fresh_codes: Option<RecoveryCodes>,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrolmentView {
    /// Inline SVG rendered on the server.
    pub qr_svg: String,
    /// The key in groups of four, for typing by hand.
    pub key: String,
}

impl std::fmt::Debug for EnrolmentView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnrolmentView(<hidden>)")
    }
}

/// Recovery codes, shown once.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryCodes(pub Vec<String>);

impl std::fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecoveryCodes(<{} hidden>)", self.0.len())
    }
}

#[cfg(feature = "ssr")]
fn plain(codes: Vec<domain::Secret>) -> RecoveryCodes {
    RecoveryCodes(codes.iter().map(|c| c.expose().to_owned()).collect())
}

/// With JavaScript off the form post is answered by a redirect, which would
/// lose the codes: they travel sealed (AES-GCM, bound to this session) in a
/// five-minute cookie to the page that shows them once.
#[cfg(feature = "ssr")]
fn hand_over(c: &crate::ssr::Ctx, session_id: &str, codes: &RecoveryCodes) -> Result<(), AppError> {
    use crate::ssr::*;
    if is_plain_form_post() {
        let sealed = c.warden.seal_for_session(session_id, codes.0.join("\n").as_bytes()).map_err(fail)?;
        set_cookie(c.cookie.set_flash(&sealed));
        leptos_axum::redirect("/account/security/2fa");
    }
    Ok(())
}

#[server(prefix = "/api", endpoint = "two_factor_status")]
pub async fn two_factor_status() -> Result<TwoFactorView, AppError> {
    use crate::ssr::*;
    let c = ctx()?;
    let cur = require_session()?;
    let s = c.warden.two_factor_status(&cur).await.map_err(fail)?;
    let fresh_codes = request_cookie(|h| c.cookie.read_flash(h)).and_then(|sealed| {
        set_cookie(c.cookie.clear_flash());
        let bytes = c.warden.open_for_session(&cur.session_id, &sealed).ok()?;
        Some(RecoveryCodes(String::from_utf8(bytes).ok()?.lines().map(str::to_owned).collect()))
    });
    Ok(TwoFactorView {
        fresh_codes,
        enabled_since: s.enabled_since.map(super::stamp),
        recovery_codes_left: s.recovery_codes_left,
        pending: s.pending.map(|e| EnrolmentView { qr_svg: e.qr_svg.expose().to_owned(), key: e.key_grouped.expose().to_owned() }),
    })
}

#[server(prefix = "/api", endpoint = "start_totp")]
pub async fn start_totp() -> Result<(), AppError> {
    use crate::ssr::*;
    let c = ctx()?;
    let cur = require_session()?;
    c.warden.start_totp_enrolment(&cur).await.map_err(fail)?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "confirm_totp")]
pub async fn confirm_totp(code: String) -> Result<RecoveryCodes, AppError> {
    use crate::ssr::*;
    let c = ctx()?;
    let cur = require_session()?;
    let codes = plain(c.warden.confirm_totp(&cur, &code, &client_meta()).await.map_err(fail)?);
    hand_over(&c, &cur.session_id, &codes)?;
    Ok(codes)
}

#[server(prefix = "/api", endpoint = "disable_totp")]
pub async fn disable_totp(password: Password, code: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let c = ctx()?;
    let cur = require_session()?;
    c.warden.disable_totp(&cur, &password.into(), &code, &client_meta()).await.map_err(fail)
}

#[server(prefix = "/api", endpoint = "regenerate_recovery_codes")]
pub async fn regenerate_recovery_codes(password: Password, code: String) -> Result<RecoveryCodes, AppError> {
    use crate::ssr::*;
    let c = ctx()?;
    let cur = require_session()?;
    let codes = plain(c.warden.regenerate_recovery_codes(&cur, &password.into(), &code, &client_meta()).await.map_err(fail)?);
    hand_over(&c, &cur.session_id, &codes)?;
    Ok(codes)
}

/// The second step of signing in: a six-digit code or a recovery code.
#[server(prefix = "/api", endpoint = "verify_second_factor")]
pub async fn verify_second_factor(code: String, next: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let c = ctx()?;
    let pending = pending_sign_in().ok_or_else(|| fail(AppError::NotSignedIn))?;
    let session = c.warden.complete_second_factor(&pending, &code, &client_meta()).await.map_err(fail)?;
    set_cookie(c.cookie.set(session.token.expose()));
    leptos_axum::redirect(safe_next(&next));
    Ok(())
}
