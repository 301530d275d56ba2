//! Server functions of the Two-Factor Auth page and the second sign-in step.

use leptos::prelude::*;
pub use proto::views::{EnrolmentView, RecoveryCodes, TwoFactorView};
use proto::{ApiError, Password};

/// With JavaScript off the form post is answered by a redirect, which would
/// lose the codes: they travel sealed (AES-GCM, bound to this session) in a
/// five-minute cookie to the page that shows them once.
#[cfg(feature = "ssr")]
fn hand_over(c: &crate::ssr::Call, codes: &RecoveryCodes) -> domain::Result<()> {
    use crate::ssr::*;
    if is_plain_form_post() {
        let sealed = c.warden.two_factor().seal_codes(c.actor()?, &codes.0)?;
        set_cookie(c.cookies.set_flash(&sealed));
        leptos_axum::redirect(crate::gate::paths::TWO_FACTOR);
    }
    Ok(())
}

/// When the other devices were signed out, this session carries on under
/// its new token.
#[cfg(feature = "ssr")]
fn keep_signed_in<T>(c: &crate::ssr::Call, applied: &domain::second_factor::Applied<T>) {
    if let Some(renewed) = &applied.renewed {
        crate::ssr::set_cookie(c.cookies.set(renewed.token.expose()));
    }
}

#[server(prefix = "/_fn", endpoint = "two_factor_status")]
pub async fn two_factor_status() -> Result<TwoFactorView, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let actor = c.actor()?;
        let s = c.warden.two_factor().status(actor).await?;
        // Shown once, and only to a page this site opened: a link from
        // another site does not burn the display.
        let fresh_codes = request_cookie(|h| c.cookies.read_flash(h)).filter(|_| own_navigation()).and_then(|sealed| {
            set_cookie(c.cookies.clear_flash());
            c.warden.two_factor().open_codes(actor, &sealed).map(RecoveryCodes)
        });
        Ok(views::two_factor(s, fresh_codes, &c.times()))
    })
    .await
}

/// Starts enrolment in this session, after the step-up (the password, and
/// a security key's answer or a recovery code when the account has a key).
#[server(prefix = "/_fn", endpoint = "start_totp")]
pub async fn start_totp(password: Option<Password>, code: Option<String>) -> Result<(), ApiError> {
    use crate::ssr::*;
    use domain::sensitive::Operation;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let confirmed = confirm(&c, Operation::EnrolAuthenticatorApp, password, None, code.as_deref()).await?;
        c.warden.two_factor().start(c.actor()?, &confirmed).await.map(|_| ())
    })
    .await
}

#[server(prefix = "/_fn", endpoint = "confirm_totp")]
pub async fn confirm_totp(
    code: String,
    // An HTML checkbox: sent (as "on") only when ticked.
    sign_out_others: Option<String>,
) -> Result<Option<RecoveryCodes>, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let applied = c.warden.two_factor().confirm(c.actor()?, &code, sign_out_others.is_some(), &c.meta).await?;
        keep_signed_in(&c, &applied);
        // An account with a security key keeps the codes it has.
        let Some(codes) = applied.value.map(views::recovery_codes) else {
            if is_plain_form_post() {
                leptos_axum::redirect(crate::gate::paths::TWO_FACTOR);
            }
            return Ok(None);
        };
        hand_over(&c, &codes)?;
        Ok(Some(codes))
    })
    .await
}

/// Turns the authenticator app off, after the step-up (the password and a
/// second factor).
#[server(prefix = "/_fn", endpoint = "disable_totp")]
pub async fn disable_totp(password: Option<Password>, code: Option<String>, sign_out_others: Option<String>) -> Result<(), ApiError> {
    use crate::ssr::*;
    use domain::sensitive::Operation;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let confirmed = confirm(&c, Operation::DisableAuthenticatorApp, password, None, code.as_deref()).await?;
        let applied = c.warden.two_factor().disable(c.actor()?, &confirmed, sign_out_others.is_some(), &c.meta).await?;
        keep_signed_in(&c, &applied);
        Ok(())
    })
    .await
}

#[server(prefix = "/_fn", endpoint = "regenerate_recovery_codes")]
pub async fn regenerate_recovery_codes(
    password: Option<Password>,
    code: Option<String>,
    sign_out_others: Option<String>,
) -> Result<RecoveryCodes, ApiError> {
    use crate::ssr::*;
    use domain::sensitive::Operation;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let confirmed = confirm(&c, Operation::RegenerateRecoveryCodes, password, None, code.as_deref()).await?;
        let applied = c.warden.two_factor().regenerate_recovery_codes(c.actor()?, &confirmed, sign_out_others.is_some(), &c.meta).await?;
        keep_signed_in(&c, &applied);
        let codes = views::recovery_codes(applied.value);
        hand_over(&c, &codes)?;
        Ok(codes)
    })
    .await
}

/// The second step of signing in: a six-digit code or a recovery code.
#[server(prefix = "/_fn", endpoint = "verify_second_factor")]
pub async fn verify_second_factor(code: String, next: String) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SecondStep, |c| async move {
        let device = super::device_cookie(&c);
        let signed_in = c.warden.sign_in().complete_second_factor(c.actor()?, &code, &c.meta, &device).await?;
        super::finish_sign_in(&c, &signed_in, &next);
        Ok(())
    })
    .await
}
